//! [`StreamWriter`]: asyncio's writer over a stream socket (`write`,
//! `drain`, `write_eof`, `close`, `wait_closed`), with the transport's
//! write buffer and high/low-water marks folded in.
//!
//! As asyncio's transport does, [`write`](StreamWriter::write) first tries
//! to send at once; only what the socket does not take is buffered. A
//! buffer that is not empty is sent by a *flush task* that the writer
//! starts then and that ends when the buffer is empty, so bytes go out
//! whether or not anyone drains (the loop's writer callback does this in
//! asyncio). The flush task is the only sender while it runs: the reactor
//! keeps one waker per direction, so two tasks waiting to write one socket
//! would lose a wakeup. [`drain`](StreamWriter::drain) waits, as asyncio's
//! does, only while the buffer is *paused*: from the write that took it
//! above the high-water mark until the flush task brings it down to the
//! low-water mark.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::poll_fn;
use std::io;
use std::net::Shutdown;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use super::connection::{Connection, StreamSocket};
use super::error::StreamError;
use crate::runtime::context;
use crate::sync::Event;
use crate::task::spawn_on;

/// asyncio's default high-water mark for a transport's write buffer: 64 KiB.
pub const DEFAULT_HIGH_WATER: usize = 64 * 1024;

/// The writing half of a stream.
///
/// Dropping it closes the connection (after the buffered bytes are sent),
/// as asyncio's `StreamWriter.__del__` does, so keep the writer while its reader
/// still reads.
///
/// ```
/// # corio::run(async {
/// let (a, b) = corio::net::UnixStream::pair()?;
/// let (_, writer) = corio::net::stream_pair(corio::net::StreamSocket::Unix(a));
/// let (mut reader, _writer) = corio::net::stream_pair(corio::net::StreamSocket::Unix(b));
/// writer.write(b"hello, ")?;
/// writer.writelines([&b"wor"[..], b"ld\n"])?;
/// writer.drain().await?;
/// writer.close();
/// writer.wait_closed().await?;
/// assert_eq!(reader.read_to_end().await?, b"hello, world\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
pub struct StreamWriter {
    /// Shared with the flush task.
    state: Rc<WriteState>,
}

/// A writer's buffer and flags.
struct WriteState {
    /// The socket, shared with the reader.
    connection: Rc<Connection>,
    /// Bytes accepted by `write` and not yet taken by the socket.
    buffer: RefCell<VecDeque<u8>>,
    /// Above this many buffered bytes, `write` pauses the writer.
    high_water: Cell<usize>,
    /// At or below this many, the flush task resumes it.
    low_water: Cell<usize>,
    /// Paused: `drain` waits. Set by `write`, cleared by the flush task.
    paused: Cell<bool>,
    /// Set whenever the writer is not paused; `drain` waits on it.
    resumed: Event,
    /// A flush task is running.
    flushing: Cell<bool>,
    /// `close` was called.
    closing: Cell<bool>,
    /// `write_eof` was called: shut the write half once the buffer is empty.
    eof: Cell<bool>,
    /// The send error that ended the connection, kept as kind and message
    /// so every later call can report a copy (`io::Error` is not `Clone`).
    lost: RefCell<Option<(io::ErrorKind, String)>>,
    /// Set once the connection is closed, gracefully or by an error.
    closed: Event,
}

impl StreamWriter {
    /// A writer over `connection` with asyncio's default water marks.
    pub(crate) fn new(connection: Rc<Connection>) -> StreamWriter {
        let resumed = Event::new();
        resumed.set();
        let state = WriteState {
            connection,
            buffer: RefCell::new(VecDeque::new()),
            high_water: Cell::new(DEFAULT_HIGH_WATER),
            low_water: Cell::new(DEFAULT_HIGH_WATER / 4),
            paused: Cell::new(false),
            resumed,
            flushing: Cell::new(false),
            closing: Cell::new(false),
            eof: Cell::new(false),
            lost: RefCell::new(None),
            closed: Event::new(),
        };
        StreamWriter { state: Rc::new(state) }
    }

    /// Sends `data`, or buffers what the socket does not take at once
    /// (asyncio's `write`; it does not wait). Await
    /// [`drain`](StreamWriter::drain) after writing to let the buffer empty.
    ///
    /// # Errors
    /// [`StreamError::Closing`] after `close` or `write_eof` (asyncio raises
    /// `RuntimeError` after `write_eof` and drops the data silently after
    /// `close`); [`StreamError::Io`] if a send has already failed.
    pub fn write(&self, data: &[u8]) -> Result<(), StreamError> {
        let state = &self.state;
        if let Some(error) = state.lost_error() {
            return Err(StreamError::Io(error));
        }
        if state.closing.get() || state.eof.get() {
            return Err(StreamError::Closing);
        }
        if data.is_empty() {
            return Ok(());
        }
        let mut rest = data;
        if state.buffer.borrow().is_empty() && !state.flushing.get() {
            // Nobody is waiting to write this socket, so try now, as
            // asyncio's transport does. `Pending` (a full socket, or an
            // exhausted I/O budget) leaves the no-op waker with the reactor;
            // the flush task started below replaces it with its own.
            let mut cx = Context::from_waker(Waker::noop());
            match state.connection.socket.poll_write(&mut cx, data) {
                Poll::Ready(Ok(sent)) => rest = &data[sent..],
                Poll::Ready(Err(error)) => {
                    let report = copy_error(&error);
                    state.lose(error);
                    return Err(StreamError::Io(report));
                }
                Poll::Pending => {}
            }
        }
        if !rest.is_empty() {
            state.buffer.borrow_mut().extend(rest);
            state.start_flushing();
            state.maybe_pause();
        }
        Ok(())
    }

    /// Writes each of `chunks` in turn (asyncio's `writelines`).
    ///
    /// # Errors
    /// As [`write`](StreamWriter::write).
    pub fn writelines<'a>(&self, chunks: impl IntoIterator<Item = &'a [u8]>) -> Result<(), StreamError> {
        chunks.into_iter().try_for_each(|chunk| self.write(chunk))
    }

    /// Waits until it is appropriate to write again (asyncio's `drain`): at
    /// once unless the buffer went above the high-water mark, in which case
    /// until it is back at the low-water mark.
    ///
    /// # Errors
    /// [`StreamError::Io`] if a send failed; [`StreamError::ConnectionLost`]
    /// once the connection is closed (also after [`close`](StreamWriter::close):
    /// as in asyncio, draining a closing writer yields once and then reports
    /// the lost connection).
    pub async fn drain(&self) -> Result<(), StreamError> {
        let state = &self.state;
        if let Some(error) = state.lost_error() {
            return Err(StreamError::Io(error));
        }
        if self.is_closing() {
            // asyncio yields here so a closing transport can finish closing.
            crate::time::sleep(Duration::ZERO).await;
        }
        loop {
            if let Some(error) = state.lost_error() {
                return Err(StreamError::Io(error));
            }
            if state.closed.is_set() {
                return Err(StreamError::ConnectionLost);
            }
            if !state.paused.get() {
                return Ok(());
            }
            // The flush task sets `resumed` at the low-water mark, or when
            // the connection ends.
            state.resumed.wait().await;
        }
    }

    /// Shuts the write half once the buffered bytes are sent (asyncio's
    /// `write_eof`); the reader can still read. Does nothing after `close`
    /// or a previous `write_eof`.
    ///
    /// # Errors
    /// [`StreamError::Io`] if the shutdown fails (not connected, ...).
    pub fn write_eof(&self) -> Result<(), StreamError> {
        let state = &self.state;
        if state.closing.get() || state.eof.replace(true) {
            return Ok(());
        }
        if state.buffer.borrow().is_empty() && !state.flushing.get() {
            state.connection.socket.shutdown(Shutdown::Write)?;
        }
        Ok(())
    }

    /// Always true: stream sockets can shut their write half.
    pub fn can_write_eof(&self) -> bool {
        true
    }

    /// Closes the stream (asyncio's `close`): what is buffered is still sent,
    /// then the socket is shut down both ways and the reader sees the end of
    /// the stream. Await [`wait_closed`](StreamWriter::wait_closed) for that
    /// moment.
    pub fn close(&self) {
        let state = &self.state;
        if state.closing.replace(true) {
            return;
        }
        if state.buffer.borrow().is_empty() && !state.flushing.get() {
            state.finish_closing();
        }
        // Otherwise the flush task closes the connection when the buffer is
        // empty.
    }

    /// True after `close`, or once the connection failed (asyncio's `is_closing`).
    pub fn is_closing(&self) -> bool {
        self.state.closing.get() || self.state.closed.is_set()
    }

    /// Waits until the connection is closed (asyncio's `wait_closed`).
    ///
    /// # Errors
    /// [`StreamError::Io`] if it closed because a send failed.
    pub async fn wait_closed(&self) -> Result<(), StreamError> {
        // `finish_closing` and `lose` set it.
        self.state.closed.wait().await;
        match self.state.lost_error() {
            Some(error) => Err(StreamError::Io(error)),
            None => Ok(()),
        }
    }

    /// How many bytes are buffered, not yet taken by the socket (asyncio's
    /// `transport.get_write_buffer_size()`).
    pub fn get_write_buffer_size(&self) -> usize {
        self.state.buffer.borrow().len()
    }

    /// Sets the water marks (asyncio's `transport.set_write_buffer_limits`):
    /// with neither given, 64 KiB and 16 KiB; with one given, the other is
    /// four times or a quarter of it.
    ///
    /// # Panics
    /// If `low` is above `high` (asyncio: `ValueError`).
    pub fn set_write_buffer_limits(&self, high: Option<usize>, low: Option<usize>) {
        let high = high.unwrap_or_else(|| low.map_or(DEFAULT_HIGH_WATER, |low| 4 * low));
        let low = low.unwrap_or(high / 4);
        assert!(low <= high, "high ({high}) must be >= low ({low})");
        self.state.high_water.set(high);
        self.state.low_water.set(low);
        self.state.maybe_pause();
    }

    /// The water marks, `(low, high)` (asyncio's `get_write_buffer_limits`).
    pub fn get_write_buffer_limits(&self) -> (usize, usize) {
        (self.state.low_water.get(), self.state.high_water.get())
    }

    /// The socket (asyncio's `get_extra_info('socket')`), for its addresses.
    #[doc(alias = "get_extra_info")]
    pub fn socket(&self) -> &StreamSocket {
        &self.state.connection.socket
    }
}

impl WriteState {
    /// A copy of the send error that ended the connection, if one did.
    fn lost_error(&self) -> Option<io::Error> {
        self.lost.borrow().as_ref().map(|(kind, message)| io::Error::new(*kind, message.clone()))
    }

    /// Pauses the writer if the buffer is above the high-water mark.
    fn maybe_pause(&self) {
        if !self.paused.get() && self.buffer.borrow().len() > self.high_water.get() {
            self.paused.set(true);
            self.resumed.clear();
        }
    }

    /// Resumes the writer once the buffer is down to the low-water mark.
    fn maybe_resume(&self) {
        if self.paused.get() && self.buffer.borrow().len() <= self.low_water.get() {
            self.paused.set(false);
            self.resumed.set();
        }
    }

    /// Starts the flush task unless one runs.
    fn start_flushing(self: &Rc<Self>) {
        if self.flushing.replace(true) {
            return;
        }
        let Some(core) = context::try_current() else {
            self.lose(io::Error::other("no running event loop to send the buffered bytes"));
            return;
        };
        let state = Rc::clone(self);
        // Dropping the handle detaches the task; it ends when the buffer is
        // empty.
        drop(spawn_on(&core, flush(state), Some("StreamWriter flush".to_owned())));
    }

    /// Sends the buffer until it is empty or the socket is full.
    fn poll_flush(&self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            let mut buffer = self.buffer.borrow_mut();
            if buffer.is_empty() {
                break;
            }
            let (front, _) = buffer.as_slices();
            match self.connection.socket.poll_write(cx, front) {
                Poll::Ready(Ok(0)) => {
                    drop(buffer);
                    self.lose(io::ErrorKind::WriteZero.into());
                    return Poll::Ready(());
                }
                Poll::Ready(Ok(sent)) => {
                    buffer.drain(..sent);
                    drop(buffer);
                    self.maybe_resume();
                }
                Poll::Ready(Err(error)) => {
                    drop(buffer);
                    self.lose(error);
                    return Poll::Ready(());
                }
                // The socket is full: the reactor wakes this task when it
                // turns writable again.
                Poll::Pending => return Poll::Pending,
            }
        }
        if self.closing.get() {
            self.finish_closing();
        } else if self.eof.get()
            && let Err(error) = self.connection.socket.shutdown(Shutdown::Write)
        {
            self.lose(error);
        }
        Poll::Ready(())
    }

    /// Closes the connection now that nothing is left to send.
    fn finish_closing(&self) {
        self.connection.close();
        self.closed.set();
        // A drain waiting on a paused writer must see the close.
        self.resumed.set();
    }

    /// Ends the connection after a failed send: the buffer is dropped, and
    /// every waiter is woken to see the error.
    fn lose(&self, error: io::Error) {
        if self.lost.borrow().is_none() {
            *self.lost.borrow_mut() = Some((error.kind(), error.to_string()));
        }
        self.buffer.borrow_mut().clear();
        self.paused.set(false);
        self.finish_closing();
    }
}

/// The flush task's body.
async fn flush(state: Rc<WriteState>) {
    poll_fn(|cx| state.poll_flush(cx)).await;
    state.flushing.set(false);
}

/// A copy of `error` to hand back while the original is stored.
fn copy_error(error: &io::Error) -> io::Error {
    io::Error::new(error.kind(), error.to_string())
}

impl Drop for StreamWriter {
    fn drop(&mut self) {
        self.close();
    }
}

impl std::fmt::Debug for StreamWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamWriter")
            .field("buffered", &self.get_write_buffer_size())
            .field("closing", &self.is_closing())
            .finish()
    }
}
