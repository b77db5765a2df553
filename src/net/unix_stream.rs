//! [`UnixStream`]: a non-blocking Unix-domain stream socket on the running
//! loop, [`TcpStream`](crate::net::TcpStream)'s twin for a path instead of
//! an address.
//!
//! Every method follows `IoSource::poll_io`'s rule: try the syscall, and
//! only on `WouldBlock` park the task until the reactor sees the socket
//! ready. Methods take `&self`, so one task can read while another writes.

use std::future::poll_fn;
use std::io;
use std::net::Shutdown;
use std::os::unix::net::SocketAddr;
use std::path::Path;
use std::task::{Context, Poll};

use crate::net::io_source::IoSource;
use crate::runtime::reactor::Direction;

/// A connected Unix-domain stream socket.
///
/// ```
/// # corio::run(async {
/// let (a, b) = corio::net::UnixStream::pair()?;
/// a.write_all(b"hello").await?;
/// let mut buf = [0u8; 5];
/// let n = b.read(&mut buf).await?;
/// assert_eq!(&buf[..n], b"hello");
/// # Ok::<(), std::io::Error>(())
/// # }).unwrap();
/// ```
pub struct UnixStream {
    /// The registered mio socket.
    source: IoSource<mio::net::UnixStream>,
}

impl UnixStream {
    /// Connects to the socket bound at `path`.
    ///
    /// # Errors
    /// The connection error: `NotFound` for no such path, "connection
    /// refused" when nothing listens there, `WouldBlock` when the
    /// listener's backlog is full (a Unix socket does not queue the
    /// attempt), or "no running event loop".
    pub async fn connect(path: impl AsRef<Path>) -> io::Result<UnixStream> {
        let stream = UnixStream { source: IoSource::new(mio::net::UnixStream::connect(path)?)? };
        // A local connect usually completes inside the syscall; if it did
        // not, the socket turns writable when it does (as for TCP).
        poll_fn(|cx| {
            stream.source.poll_io(Direction::Write, cx, |socket| match socket.take_error()? {
                Some(error) => Err(error),
                None => Ok(()),
            })
        })
        .await?;
        Ok(stream)
    }

    /// A pair of connected sockets (`socketpair(2)`), both registered with
    /// the running loop.
    ///
    /// # Errors
    /// The system's error (out of file descriptors), or "no running event loop".
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let (a, b) = mio::net::UnixStream::pair()?;
        Ok((UnixStream::from_mio(a)?, UnixStream::from_mio(b)?))
    }

    /// Registers a connected std socket (made non-blocking first).
    pub(crate) fn from_std(stream: std::os::unix::net::UnixStream) -> io::Result<UnixStream> {
        stream.set_nonblocking(true)?;
        UnixStream::from_mio(mio::net::UnixStream::from_std(stream))
    }

    /// Wraps an accepted or paired socket.
    pub(crate) fn from_mio(stream: mio::net::UnixStream) -> io::Result<UnixStream> {
        Ok(UnixStream { source: IoSource::new(stream)? })
    }

    /// Reads into `buf`; `Ok(0)` means the peer closed its side.
    ///
    /// # Errors
    /// The socket's error.
    pub async fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.source.read(buf).await
    }

    /// Writes some of `buf`, returning how much.
    ///
    /// # Errors
    /// The socket's error (broken pipe, ...).
    pub async fn write(&self, buf: &[u8]) -> io::Result<usize> {
        self.source.write(buf).await
    }

    /// Writes all of `buf`.
    ///
    /// # Errors
    /// The socket's error, or `WriteZero` if the socket accepts no bytes.
    pub async fn write_all(&self, buf: &[u8]) -> io::Result<()> {
        self.source.write_all(buf).await
    }

    /// Poll-style read.
    ///
    /// # Errors
    /// The socket's error.
    pub fn poll_read(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.source.poll_read(cx, buf)
    }

    /// Poll-style write.
    ///
    /// # Errors
    /// The socket's error.
    pub fn poll_write(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.source.poll_write(cx, buf)
    }

    /// Shuts down the read half, the write half or both.
    ///
    /// # Errors
    /// The socket's error.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.source.get_ref().shutdown(how)
    }

    /// The peer's address (unnamed for a client that did not bind).
    ///
    /// # Errors
    /// The socket's error.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.source.get_ref().peer_addr()
    }

    /// This end's address (unnamed unless bound).
    ///
    /// # Errors
    /// The socket's error.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.source.get_ref().local_addr()
    }
}

impl std::fmt::Debug for UnixStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UnixStream")
            .field("local", &self.local_addr().ok())
            .field("peer", &self.peer_addr().ok())
            .finish()
    }
}
