//! [`Connection`]: one open transport and the bytes received on it but not
//! yet consumed.
//!
//! The buffer is what lets the head parser and the body decoders work on
//! slices: a read appends to it, a parser consumes a prefix of it. Bytes past
//! the end of one response are the next response's on a keep-alive
//! connection, so they stay here rather than in any per-response state.
//!
//! The buffer is a [`ReadBuffer`]: its reads grow while they fill the space
//! they were given, so a large page arrives in a read or two.

use std::future::poll_fn;
use std::io;
use std::task::{Context, Poll};

use crate::http::read_buffer::ReadBuffer;
use crate::http::transport::Transport;

/// An open connection to an origin (or to a proxy tunnelling to it).
pub(crate) struct Connection {
    transport: Transport,
    /// Received bytes not consumed yet.
    buffer: ReadBuffer,
}

impl Connection {
    /// Wraps a connected transport.
    pub(crate) fn new(transport: Transport) -> Connection {
        Connection { transport, buffer: ReadBuffer::new() }
    }

    /// The received bytes not consumed yet.
    pub(crate) fn buffered(&self) -> &[u8] {
        self.buffer.unread()
    }

    /// Marks the first `n` buffered bytes consumed.
    pub(crate) fn consume(&mut self, n: usize) {
        self.buffer.consume(n);
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
        self.buffer.poll_fill(|space| self.transport.poll_read(cx, space))
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
        self.buffer.is_empty() && self.transport.is_open_and_quiet()
    }

    /// Gives up the connection for its transport (to run TLS over a proxy
    /// tunnel once the proxy accepted `CONNECT`).
    pub(crate) fn into_transport(self) -> Transport {
        self.transport
    }
}
