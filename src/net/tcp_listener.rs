//! [`TcpListener`]: accepts TCP connections on the running loop.

use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::task::{Context, Poll};

use crate::net::io_source::IoSource;
use crate::net::tcp_stream::TcpStream;
use crate::runtime::reactor::Direction;

/// A listening TCP socket (asyncio's `start_server` without the callback).
///
/// ```
/// # corio::run(async {
/// let listener = corio::net::TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
/// let addr = listener.local_addr()?;
/// let client = corio::create_task(corio::net::TcpStream::connect(addr));
/// let (server_side, peer) = listener.accept().await?;
/// assert_eq!(peer, client.await.unwrap()?.local_addr()?);
/// # Ok::<(), std::io::Error>(())
/// # }).unwrap();
/// ```
pub struct TcpListener {
    /// The registered mio socket.
    source: IoSource<mio::net::TcpListener>,
}

impl TcpListener {
    /// Binds to `addr` (port 0 picks a free port) and registers with the
    /// running loop. `SO_REUSEADDR` is set, as mio does.
    ///
    /// # Errors
    /// The bind error (address in use, ...), or "no running event loop".
    pub fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
        Ok(TcpListener { source: IoSource::new(mio::net::TcpListener::bind(addr)?)? })
    }

    /// [`bind`](Self::bind) with room for `backlog` connections that have
    /// arrived but are not accepted yet (asyncio's `create_server(...,
    /// backlog=100)`). `bind` asks for 128, as std and mio do; once that
    /// many wait, the kernel drops further connection attempts, and each
    /// client tries again only after a second. A server that takes bursts
    /// (a crawler opening 250 connections at once) wants more. The kernel
    /// caps it at `net.core.somaxconn` (4096 by default since Linux 5.4).
    ///
    /// # Errors
    /// As [`bind`](Self::bind).
    #[doc(alias = "listen")]
    pub fn bind_with_backlog(addr: SocketAddr, backlog: u32) -> io::Result<TcpListener> {
        use rustix::net::{AddressFamily, SocketFlags, SocketType};
        let family = if addr.is_ipv4() { AddressFamily::INET } else { AddressFamily::INET6 };
        let flags = SocketFlags::NONBLOCK | SocketFlags::CLOEXEC;
        let socket = rustix::net::socket_with(family, SocketType::STREAM, flags, None)?;
        // What mio's `bind` sets: a restarted server can bind its port again
        // while old connections linger in TIME_WAIT.
        rustix::net::sockopt::set_socket_reuseaddr(&socket, true)?;
        rustix::net::bind(&socket, &addr)?;
        rustix::net::listen(&socket, i32::try_from(backlog).unwrap_or(i32::MAX))?;
        let listener = mio::net::TcpListener::from_std(std::net::TcpListener::from(socket));
        Ok(TcpListener { source: IoSource::new(listener)? })
    }

    /// Waits for the next connection.
    ///
    /// # Errors
    /// The accept error (for example, out of file descriptors); the listener
    /// stays usable.
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        poll_fn(|cx| self.poll_accept(cx)).await
    }

    /// Poll-style accept.
    ///
    /// # Errors
    /// As [`TcpListener::accept`].
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(TcpStream, SocketAddr)>> {
        match self.source.poll_io(Direction::Read, cx, |listener| listener.accept()) {
            Poll::Ready(Ok((stream, peer))) => Poll::Ready(TcpStream::from_mio(stream).map(|stream| (stream, peer))),
            Poll::Ready(Err(error)) => Poll::Ready(Err(error)),
            // The reactor wakes us when a connection arrives (readable).
            Poll::Pending => Poll::Pending,
        }
    }

    /// The bound address (with the chosen port).
    ///
    /// # Errors
    /// The socket's error.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.source.get_ref().local_addr()
    }
}

impl std::fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TcpListener").field("local", &self.local_addr().ok()).finish()
    }
}
