//! [`Connection`]: one open transport and the bytes received on it but not
//! yet consumed.
//!
//! The buffer is what lets the head parser and the body decoders work on
//! slices: a read appends to it, a parser consumes a prefix of it. Bytes past
//! the end of one response are the next response's on a keep-alive
//! connection, so they stay here rather than in any per-response state.

use std::future::poll_fn;
use std::io;
use std::task::{Context, Poll, ready};

use crate::http::transport::Transport;

/// How much a read asks the socket for at most: large enough for a few TLS
/// records or a typical page's head and first body bytes.
const READ_CHUNK: usize = 16 * 1024;

/// An open connection to an origin (or to a proxy tunnelling to it).
pub(crate) struct Connection {
    transport: Transport,
    /// Received bytes; `buffer[start..end]` are not consumed yet. The vector
    /// is kept at its full length (zeroed once), so reads go straight into
    /// its tail without re-initialising memory. Empty, with no allocation,
    /// until the first bytes arrive.
    buffer: Vec<u8>,
    /// First unconsumed byte.
    start: usize,
    /// One past the last received byte.
    end: usize,
}

impl Connection {
    /// Wraps a connected transport.
    pub(crate) fn new(transport: Transport) -> Connection {
        Connection { transport, buffer: Vec::new(), start: 0, end: 0 }
    }

    /// The received bytes not consumed yet.
    pub(crate) fn buffered(&self) -> &[u8] {
        &self.buffer[self.start..self.end]
    }

    /// Marks the first `n` buffered bytes consumed.
    pub(crate) fn consume(&mut self, n: usize) {
        debug_assert!(n <= self.end - self.start);
        self.start += n;
        if self.start == self.end {
            // Everything consumed: the next read can start at the front.
            self.start = 0;
            self.end = 0;
        }
    }

    /// Reads more bytes from the transport and appends them to the buffer;
    /// returns how many (0 at the end of the stream).
    pub(crate) async fn fill(&mut self) -> io::Result<usize> {
        poll_fn(|cx| self.poll_fill(cx)).await
    }

    /// [`fill`](Self::fill), poll-style: for a writer that watches for an
    /// answer while it writes. `Pending` leaves the task's waker with the
    /// reactor for the socket's next readable edge.
    pub(crate) fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        if self.buffer.is_empty() {
            return self.poll_first_fill(cx);
        }
        self.make_room();
        let n = ready!(self.transport.poll_read(cx, &mut self.buffer[self.end..]))?;
        self.end += n;
        Poll::Ready(Ok(n))
    }

    /// The first read on a connection. It reads into an array on the stack
    /// of the poll that finds bytes, and only then gives the connection its
    /// buffer, sized to what came: a request waiting for its answer (10,000
    /// of them, say) holds no read buffer until the answer starts to arrive.
    /// The one copy is of at most one chunk, once per connection.
    fn poll_first_fill(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let mut first = [0u8; READ_CHUNK];
        // Pending: the reactor wakes us when the socket is readable.
        let n = ready!(self.transport.poll_read(cx, &mut first))?;
        // Just what arrived: an answer read whole in one go (a small page,
        // a redirect) never costs a full chunk; the next read grows the
        // buffer if there is more.
        self.buffer.extend_from_slice(&first[..n]);
        self.end = n;
        Poll::Ready(Ok(n))
    }

    /// Makes at least `READ_CHUNK` bytes free after `end`: first by moving
    /// the unconsumed bytes to the front, and only if that is not enough by
    /// growing (a head larger than one chunk, say).
    fn make_room(&mut self) {
        if self.buffer.len() - self.end >= READ_CHUNK {
            return;
        }
        if self.start > 0 {
            self.buffer.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.buffer.len() - self.end < READ_CHUNK {
            self.buffer.resize(self.end + READ_CHUNK, 0);
        }
    }

    /// Writes all of `bytes`.
    pub(crate) async fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.transport.write_all(bytes).await
    }

    /// Writes some of `bytes`, poll-style; [`poll_flush`](Self::poll_flush)
    /// finishes what TLS queued.
    pub(crate) fn poll_write(&mut self, cx: &mut Context<'_>, bytes: &[u8]) -> Poll<io::Result<usize>> {
        self.transport.poll_write(cx, bytes)
    }

    /// Pushes out the TLS records still queued (nothing for plain TCP).
    pub(crate) fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.transport.poll_flush(cx)
    }

    /// True when the last end-of-stream was a TLS close without
    /// `close_notify`: a close-delimited body may have been truncated.
    pub(crate) fn closed_without_notify(&self) -> bool {
        self.transport.closed_without_notify()
    }

    /// Checks, without waiting, that an idle connection was not closed by
    /// the server and has nothing to read: any byte or end of stream means
    /// it is unusable (an idle connection has no response owed to it, and
    /// stray bytes would be read as the next request's answer).
    pub(crate) fn looks_open(&mut self) -> bool {
        self.start == self.end && self.transport.is_open_and_quiet()
    }

    /// Gives up the connection for its transport (to run TLS over a proxy
    /// tunnel once the proxy accepted `CONNECT`).
    pub(crate) fn into_transport(self) -> Transport {
        self.transport
    }
}
