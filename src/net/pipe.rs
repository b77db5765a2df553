//! [`PipeReader`] and [`PipeWriter`]: the two ends of an OS pipe on the
//! running loop, as a child process's stdout/stderr and stdin are. They
//! follow `IoSource::poll_io`'s rule, as the sockets do.

use std::cell::RefCell;
use std::io;
use std::task::{Context, Poll};

use crate::net::io_source::IoSource;

/// The read end of a pipe, registered with the running loop.
pub struct PipeReader {
    /// The registered mio pipe end.
    source: IoSource<mio::unix::pipe::Receiver>,
}

impl PipeReader {
    /// Registers `receiver` (made non-blocking first).
    pub(crate) fn new(receiver: mio::unix::pipe::Receiver) -> io::Result<PipeReader> {
        receiver.set_nonblocking(true)?;
        Ok(PipeReader { source: IoSource::new(receiver)? })
    }

    /// Poll-style read; `Ok(0)` once every write end is closed.
    ///
    /// # Errors
    /// The pipe's error.
    pub fn poll_read(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        // An empty pipe parks the task until the reactor reports it readable
        // (or its writers gone).
        self.source.poll_read(cx, buf)
    }
}

/// The write end of a pipe, registered with the running loop. Closing it
/// (what [`StreamWriter::close`](crate::net::StreamWriter::close) and
/// `write_eof` do) is how the reader learns the end of the data.
pub struct PipeWriter {
    /// The registered mio pipe end; `None` once closed.
    source: RefCell<Option<IoSource<mio::unix::pipe::Sender>>>,
}

impl PipeWriter {
    /// Registers `sender` (made non-blocking first).
    pub(crate) fn new(sender: mio::unix::pipe::Sender) -> io::Result<PipeWriter> {
        sender.set_nonblocking(true)?;
        Ok(PipeWriter { source: RefCell::new(Some(IoSource::new(sender)?)) })
    }

    /// Poll-style write.
    ///
    /// # Errors
    /// The pipe's error (`BrokenPipe` once the reader is gone or this end
    /// is closed).
    pub fn poll_write(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match &*self.source.borrow() {
            // A full pipe parks the task until the reactor reports it
            // writable again.
            Some(source) => source.poll_write(cx, buf),
            None => Poll::Ready(Err(io::ErrorKind::BrokenPipe.into())),
        }
    }

    /// Closes this end: deregisters it and closes the descriptor.
    pub fn close(&self) {
        let source = self.source.borrow_mut().take();
        drop(source);
    }
}

impl std::fmt::Debug for PipeReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PipeReader")
    }
}

impl std::fmt::Debug for PipeWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PipeWriter").field("closed", &self.source.borrow().is_none()).finish()
    }
}
