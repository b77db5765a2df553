//! [`StreamReader`]: asyncio's buffered reader over a stream socket
//! (`read`, `readline`, `readuntil`, `readexactly`, `at_eof`).
//!
//! asyncio's reader is *fed*: the transport reads whenever the socket is
//! readable and pushes the bytes into the reader's buffer, pausing at twice
//! the limit. corio's reader *pulls*: a method reads from the socket only
//! when the buffer cannot answer it, one recv of at most [`READ_CHUNK`]
//! bytes at a time through the socket's `poll_read` (so the reactor's
//! try-then-park rule, and any I/O budget in it, apply). The buffer so never
//! holds more than the limit plus one chunk, without a pause/resume dance,
//! and what a method returns is the same as asyncio's. What differs is
//! *when* the end of the stream is known: asyncio learns it as soon as the
//! peer's FIN arrives, this reader when a read sees it, so
//! [`at_eof`](StreamReader::at_eof) turns true only after a read.
//!
//! Every method keeps the bytes it has buffered if its future is dropped
//! (a timeout, a cancelled task): the next call finds them, as in asyncio.

use std::future::poll_fn;
use std::io;
use std::rc::Rc;
use std::task::{Context, Poll};

use super::connection::Connection;
use super::error::StreamError;

/// asyncio's default `limit`: 64 KiB (`2 ** 16`).
pub const DEFAULT_LIMIT: usize = 64 * 1024;

/// The most one socket read asks for. asyncio's selector transport reads
/// up to 256 KiB at once; 64 KiB keeps a reader's buffer within one limit
/// of what it was asked for.
const READ_CHUNK: usize = 64 * 1024;

/// The reading half of a stream, from [`open_connection`](crate::net::open_connection),
/// [`open_unix_connection`](crate::net::open_unix_connection) or a
/// [`Server`](crate::net::Server)'s callback.
///
/// Methods take `&mut self`: two tasks cannot wait on one reader at once,
/// which asyncio reports at run time ("readuntil() called while another
/// coroutine is already waiting for incoming data") and Rust rules out.
///
/// ```
/// # corio::run(async {
/// let listener = corio::net::TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
/// let port = listener.local_addr()?.port();
/// corio::create_task(async move {
///     let (peer, _) = listener.accept().await?;
///     peer.write_all(b"first line\nsecond line\nno newline").await
/// });
/// let (mut reader, _writer) = corio::net::open_connection("127.0.0.1", port).await?;
/// assert_eq!(reader.readline().await?, b"first line\n");
/// assert_eq!(reader.readuntil(b" ").await?, b"second ");
/// assert_eq!(reader.readexactly(5).await?, b"line\n");
/// // At the end of the stream readline returns what is left, then nothing.
/// assert_eq!(reader.readline().await?, b"no newline");
/// assert_eq!(reader.readline().await?, b"");
/// assert!(reader.at_eof());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
pub struct StreamReader {
    /// The socket, shared with the writer.
    connection: Rc<Connection>,
    /// Bytes read from the socket and not yet returned, oldest first.
    buffer: Vec<u8>,
    /// A read saw the end of the stream (or the writer closed it).
    eof: bool,
    /// How much `readuntil` and `readline` may buffer while looking for
    /// their separator.
    limit: usize,
}

impl StreamReader {
    /// A reader over `connection` with asyncio's default limit.
    pub(crate) fn new(connection: Rc<Connection>) -> StreamReader {
        StreamReader { connection, buffer: Vec::new(), eof: false, limit: DEFAULT_LIMIT }
    }

    /// The limit `readuntil` and `readline` keep to, asyncio's `limit=`
    /// ([`DEFAULT_LIMIT`] unless set).
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Sets the limit: what asyncio's `open_connection(..., limit=n)` and
    /// `start_server(..., limit=n)` pass to the reader they make.
    ///
    /// # Panics
    /// If `limit` is 0 (asyncio: "Limit cannot be <= 0").
    pub fn set_limit(&mut self, limit: usize) {
        assert!(limit > 0, "limit cannot be 0");
        self.limit = limit;
    }

    /// Reads up to `n` bytes (asyncio's `read(n)`): what the buffer holds,
    /// or else the next bytes to arrive. Empty only at the end of the
    /// stream, or when `n` is 0.
    ///
    /// # Errors
    /// [`StreamError::Io`] if the socket fails.
    pub async fn read(&mut self, n: usize) -> Result<Vec<u8>, StreamError> {
        if n == 0 {
            return Ok(Vec::new());
        }
        if self.buffer.is_empty() && !self.eof {
            self.fill().await?;
        }
        Ok(self.take(n.min(self.buffer.len())))
    }

    /// Reads until the end of the stream (asyncio's `read()` or `read(-1)`).
    ///
    /// # Errors
    /// [`StreamError::Io`] if the socket fails; what was read stays buffered.
    #[doc(alias = "read(-1)")]
    pub async fn read_to_end(&mut self) -> Result<Vec<u8>, StreamError> {
        while !self.eof {
            self.fill().await?;
        }
        Ok(self.take(self.buffer.len()))
    }

    /// Reads one line, up to and including `\n` (asyncio's `readline`). At
    /// the end of the stream it returns the bytes that are left, without a
    /// newline, and then empty vectors.
    ///
    /// # Errors
    /// [`StreamError::LimitOverrun`] if the line is longer than the limit;
    /// unlike `readuntil`, the oversized data is dropped: up to and including
    /// the newline if one was found, otherwise the whole buffer (asyncio does
    /// the same, then raises `ValueError`). [`StreamError::Io`] if the socket
    /// fails.
    pub async fn readline(&mut self) -> Result<Vec<u8>, StreamError> {
        match self.readuntil(b"\n").await {
            Err(StreamError::IncompleteRead { partial, .. }) => Ok(partial),
            Err(StreamError::LimitOverrun { consumed, separator_found }) => {
                if self.buffer[consumed..].starts_with(b"\n") {
                    self.buffer.drain(..=consumed);
                } else {
                    self.buffer.clear();
                }
                Err(StreamError::LimitOverrun { consumed, separator_found })
            }
            result => result,
        }
    }

    /// Reads up to and including `separator` (asyncio's `readuntil`).
    ///
    /// # Errors
    /// - [`StreamError::IncompleteRead`] if the stream ends first; the
    ///   buffer is emptied into `partial`.
    /// - [`StreamError::LimitOverrun`] if the separator is not within the
    ///   limit; the data stays in the buffer.
    /// - [`StreamError::Io`] if the socket fails.
    ///
    /// # Panics
    /// If `separator` is empty (asyncio: `ValueError`).
    ///
    /// ```
    /// # corio::run(async {
    /// let (a, b) = corio::net::UnixStream::pair()?;
    /// let (mut reader, _writer) = corio::net::stream_pair(corio::net::StreamSocket::Unix(a));
    /// reader.set_limit(8);
    /// b.write_all(b"0123456789;").await?;
    /// let overrun = reader.readuntil(b";").await.unwrap_err();
    /// assert!(matches!(
    ///     overrun,
    ///     corio::net::StreamError::LimitOverrun { consumed: 10, separator_found: true }
    /// ));
    /// // The bytes are still there for a reader with a larger limit.
    /// reader.set_limit(16);
    /// assert_eq!(reader.readuntil(b";").await?, b"0123456789;");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    pub async fn readuntil(&mut self, separator: &[u8]) -> Result<Vec<u8>, StreamError> {
        assert!(!separator.is_empty(), "separator should be at least one byte");
        // asyncio's algorithm, step for step: `offset` is where the search
        // resumes, so bytes already searched are not searched again.
        let mut offset = 0;
        let found = loop {
            if self.buffer.len() - offset >= separator.len() {
                if let Some(at) = find(&self.buffer[offset..], separator) {
                    break offset + at;
                }
                // The separator may straddle what arrives next.
                offset = self.buffer.len() + 1 - separator.len();
                if offset > self.limit {
                    return Err(StreamError::LimitOverrun { consumed: offset, separator_found: false });
                }
            }
            if self.eof {
                let partial = self.take(self.buffer.len());
                return Err(StreamError::IncompleteRead { partial, expected: None });
            }
            self.fill().await?;
        };
        if found > self.limit {
            return Err(StreamError::LimitOverrun { consumed: found, separator_found: true });
        }
        Ok(self.take(found + separator.len()))
    }

    /// Reads exactly `n` bytes (asyncio's `readexactly`).
    ///
    /// # Errors
    /// [`StreamError::IncompleteRead`] if the stream ends first (the buffer
    /// is emptied into `partial`), [`StreamError::Io`] if the socket fails.
    pub async fn readexactly(&mut self, n: usize) -> Result<Vec<u8>, StreamError> {
        while self.buffer.len() < n {
            if self.eof {
                let partial = self.take(self.buffer.len());
                return Err(StreamError::IncompleteRead { partial, expected: Some(n) });
            }
            self.fill().await?;
        }
        Ok(self.take(n))
    }

    /// True once the end of the stream was read and the buffer is empty
    /// (asyncio's `at_eof`; see the module docs for when the end is known).
    pub fn at_eof(&self) -> bool {
        self.eof && self.buffer.is_empty()
    }

    /// Takes the first `n` buffered bytes.
    fn take(&mut self, n: usize) -> Vec<u8> {
        // A shortcut: removing from the front moves the rest down. A ring
        // buffer would not, at the price of a split slice for `find`.
        self.buffer.drain(..n).collect()
    }

    /// Reads once from the socket into the buffer (at most one chunk), or
    /// notes the end of the stream.
    async fn fill(&mut self) -> Result<(), StreamError> {
        poll_fn(|cx| self.poll_fill(cx)).await.map_err(StreamError::Io)
    }

    /// Poll-style [`fill`](StreamReader::fill). The buffer grows and shrinks
    /// back within one call, so a dropped future leaves no zeroed tail.
    fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.connection.is_closed() {
            self.eof = true;
            return Poll::Ready(Ok(()));
        }
        let start = self.buffer.len();
        self.buffer.resize(start + READ_CHUNK, 0);
        // With nothing to read, the reactor wakes this task when the socket
        // turns readable (or closed).
        let result = self.connection.socket.poll_read(cx, &mut self.buffer[start..]);
        let read = match result {
            Poll::Ready(Ok(n)) => n,
            _ => 0,
        };
        self.buffer.truncate(start + read);
        result.map_ok(|n| self.eof |= n == 0)
    }
}

/// The offset of the first `needle` in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|window| window == needle)
}

impl std::fmt::Debug for StreamReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamReader")
            .field("buffered", &self.buffer.len())
            .field("eof", &self.eof)
            .field("limit", &self.limit)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::find;

    #[test]
    fn find_locates_the_first_occurrence_or_none() {
        assert_eq!(find(b"a\r\nb\r\n", b"\r\n"), Some(1));
        assert_eq!(find(b"abc", b"c"), Some(2));
        assert_eq!(find(b"abc", b"cd"), None);
        assert_eq!(find(b"", b"x"), None);
    }
}
