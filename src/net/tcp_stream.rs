//! [`TcpStream`]: a non-blocking TCP connection on the running loop.
//!
//! Every method follows `IoSource::poll_io`'s rule: try the syscall, and
//! only on `WouldBlock` park the task until the reactor sees the socket
//! ready. Methods take `&self`, so one task can read while another writes
//! (share the stream through an `Rc`).

use std::future::poll_fn;
use std::io;
use std::net::{Shutdown, SocketAddr};
use std::task::{Context, Poll};

use crate::net::dns::lookup_host;
use crate::net::io_source::IoSource;
use crate::runtime::reactor::Direction;

/// A TCP connection, asyncio's stream pair in one object.
///
/// ```no_run
/// # corio::run(async {
/// let stream = corio::net::TcpStream::connect_host("example.com", 80).await?;
/// stream.write_all(b"HEAD / HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n").await?;
/// let mut reply = Vec::new();
/// stream.read_to_end(&mut reply).await?;
/// # Ok::<(), std::io::Error>(())
/// # }).unwrap();
/// ```
pub struct TcpStream {
    /// The registered mio socket.
    source: IoSource<mio::net::TcpStream>,
}

impl TcpStream {
    /// Connects to `addr`, waiting (without blocking the loop) for the
    /// handshake to finish.
    ///
    /// # Errors
    /// The connection error (refused, unreachable, ...), or "no running
    /// event loop".
    ///
    /// ```
    /// # corio::run(async {
    /// let listener = corio::net::TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
    /// let stream = corio::net::TcpStream::connect(listener.local_addr()?).await?;
    /// # Ok::<(), std::io::Error>(())
    /// # }).unwrap();
    /// ```
    pub async fn connect(addr: SocketAddr) -> io::Result<TcpStream> {
        // mio starts a non-blocking connect (EINPROGRESS); the socket turns
        // writable when the handshake completes or fails.
        let stream = TcpStream { source: IoSource::new(mio::net::TcpStream::connect(addr)?)? };
        poll_fn(|cx| {
            stream.source.poll_io(Direction::Write, cx, |socket| {
                if let Some(error) = socket.take_error()? {
                    return Err(error);
                }
                match socket.peer_addr() {
                    Ok(_) => Ok(()),
                    // Still connecting: wait for the next writable edge.
                    Err(error) if error.kind() == io::ErrorKind::NotConnected => Err(io::ErrorKind::WouldBlock.into()),
                    Err(error) => Err(error),
                }
            })
        })
        .await?;
        Ok(stream)
    }

    /// Resolves `host` (off the loop, unless it is an IP literal) and tries
    /// each address in turn until one connects.
    ///
    /// # Errors
    /// The resolver's error, or the last address's connection error.
    ///
    /// ```
    /// # corio::run(async {
    /// let listener = corio::net::TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
    /// let port = listener.local_addr()?.port();
    /// let stream = corio::net::TcpStream::connect_host("127.0.0.1", port).await?;
    /// # Ok::<(), std::io::Error>(())
    /// # }).unwrap();
    /// ```
    pub async fn connect_host(host: &str, port: u16) -> io::Result<TcpStream> {
        TcpStream::connect_any(lookup_host(host, port).await?).await
    }

    /// Tries each of `addresses` in order until one connects (what a
    /// client does with a name that resolved to several addresses).
    ///
    /// # Errors
    /// The last address's connection error, or `NotFound` for no addresses.
    ///
    /// ```
    /// # corio::run(async {
    /// let listener = corio::net::TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
    /// let closed = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
    /// let stream = corio::net::TcpStream::connect_any([closed, listener.local_addr()?]).await?;
    /// assert_eq!(stream.peer_addr()?, listener.local_addr()?);
    /// # Ok::<(), std::io::Error>(())
    /// # }).unwrap();
    /// ```
    pub async fn connect_any(addresses: impl IntoIterator<Item = SocketAddr>) -> io::Result<TcpStream> {
        let mut last_error = io::Error::new(io::ErrorKind::NotFound, "no addresses to connect to");
        for address in addresses {
            match TcpStream::connect(address).await {
                Ok(stream) => return Ok(stream),
                Err(error) => last_error = error,
            }
        }
        Err(last_error)
    }

    /// Wraps an accepted socket.
    pub(crate) fn from_mio(stream: mio::net::TcpStream) -> io::Result<TcpStream> {
        Ok(TcpStream { source: IoSource::new(stream)? })
    }

    /// Reads into `buf`; `Ok(0)` means the peer closed its side.
    ///
    /// # Errors
    /// The socket's error (reset, ...).
    pub async fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.source.read(buf).await
    }

    /// Reads until the peer closes, appending to `buf`; returns the count read.
    ///
    /// # Errors
    /// The socket's error.
    pub async fn read_to_end(&self, buf: &mut Vec<u8>) -> io::Result<usize> {
        let start = buf.len();
        let mut chunk = [0u8; 8192];
        loop {
            match self.read(&mut chunk).await? {
                0 => return Ok(buf.len() - start),
                n => buf.extend_from_slice(&chunk[..n]),
            }
        }
    }

    /// Writes some of `buf`, returning how much.
    ///
    /// # Errors
    /// The socket's error (broken pipe, reset, ...).
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

    /// Poll-style read, for building other futures on top.
    ///
    /// # Errors
    /// The socket's error.
    pub fn poll_read(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.source.poll_read(cx, buf)
    }

    /// Reads into `buf` now, outside the cooperative budget and without
    /// parking: `WouldBlock` when nothing is there. For a probe that must
    /// really look (is a pooled idle connection still clean?): a read
    /// skipped for want of budget would pass for "nothing there".
    pub(crate) fn read_now(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.source.try_now(|mut socket| io::Read::read(&mut socket, buf))
    }

    /// Writes some of `buf` now, outside the cooperative budget and
    /// without parking: `WouldBlock` when the socket is full. For a
    /// best-effort write by a task that must not take the place of the
    /// task waiting to write (the reactor keeps one writer's waker per
    /// socket).
    pub(crate) fn write_now(&self, buf: &[u8]) -> io::Result<usize> {
        self.source.try_now(|mut socket| io::Write::write(&mut socket, buf))
    }

    /// Poll-style write, for building other futures on top.
    ///
    /// # Errors
    /// The socket's error.
    pub fn poll_write(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.source.poll_write(cx, buf)
    }

    /// Shuts down the read half, the write half (sending FIN) or both.
    ///
    /// # Errors
    /// The socket's error (for example, not connected).
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.source.get_ref().shutdown(how)
    }

    /// Sets `TCP_NODELAY` (disables Nagle's algorithm).
    ///
    /// # Errors
    /// The socket's error.
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.source.get_ref().set_nodelay(nodelay)
    }

    /// Whether `TCP_NODELAY` is set.
    ///
    /// # Errors
    /// The socket's error.
    pub fn nodelay(&self) -> io::Result<bool> {
        self.source.get_ref().nodelay()
    }

    /// The remote address.
    ///
    /// # Errors
    /// The socket's error (for example, not connected).
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.source.get_ref().peer_addr()
    }

    /// The local address.
    ///
    /// # Errors
    /// The socket's error.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.source.get_ref().local_addr()
    }
}

impl std::fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TcpStream")
            .field("local", &self.local_addr().ok())
            .field("peer", &self.peer_addr().ok())
            .finish()
    }
}
