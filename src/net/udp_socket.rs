//! [`UdpSocket`]: datagrams on the running loop.
//!
//! asyncio speaks UDP through `loop.create_datagram_endpoint` and a
//! protocol object whose `datagram_received` the loop calls; corio offers
//! the socket itself, with awaitable `send_to`/`recv_from` (asyncio's
//! `loop.sock_sendto`/`sock_recvfrom`), because a task that awaits the next
//! datagram is what a protocol callback turns into anyway. Every method
//! follows `IoSource::poll_io`'s rule, as `TcpStream`'s do.

use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::task::{Context, Poll};

use crate::net::io_source::IoSource;
use crate::runtime::reactor::Direction;

/// A UDP socket registered with the running loop.
///
/// ```
/// # corio::run(async {
/// let a = corio::net::UdpSocket::bind("127.0.0.1:0".parse().unwrap())?;
/// let b = corio::net::UdpSocket::bind("127.0.0.1:0".parse().unwrap())?;
/// a.send_to(b"ping", b.local_addr()?).await?;
/// let mut buf = [0u8; 16];
/// let (n, from) = b.recv_from(&mut buf).await?;
/// assert_eq!((&buf[..n], from), (&b"ping"[..], a.local_addr()?));
/// # Ok::<(), std::io::Error>(())
/// # }).unwrap();
/// ```
pub struct UdpSocket {
    /// The registered mio socket.
    source: IoSource<mio::net::UdpSocket>,
}

impl UdpSocket {
    /// Binds to `addr` (port 0 picks a free port) and registers with the
    /// running loop.
    ///
    /// # Errors
    /// The bind error (address in use, ...), or "no running event loop".
    pub fn bind(addr: SocketAddr) -> io::Result<UdpSocket> {
        Ok(UdpSocket { source: IoSource::new(mio::net::UdpSocket::bind(addr)?)? })
    }

    /// Sets the default peer: [`send`](UdpSocket::send) goes there, and
    /// [`recv`](UdpSocket::recv) only sees datagrams from it (asyncio's
    /// `remote_addr=`). UDP has no handshake, so this does not wait.
    ///
    /// # Errors
    /// The socket's error (for example, an address of the other family).
    pub fn connect(&self, addr: SocketAddr) -> io::Result<()> {
        self.source.get_ref().connect(addr)
    }

    /// Sends one datagram to `target`, returning the bytes sent (all of
    /// `buf`: a datagram is never split).
    ///
    /// # Errors
    /// The socket's error (for example, a datagram larger than the
    /// interface allows).
    pub async fn send_to(&self, buf: &[u8], target: SocketAddr) -> io::Result<usize> {
        poll_fn(|cx| self.poll_send_to(cx, buf, target)).await
    }

    /// Waits for one datagram and copies it into `buf`, returning its length
    /// and sender. A datagram longer than `buf` is cut to fit; the rest of
    /// it is lost, as with `recvfrom(2)`.
    ///
    /// # Errors
    /// The socket's error (on a connected socket, for example, "connection
    /// refused" reported by an ICMP message from a previous send).
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        poll_fn(|cx| self.poll_recv_from(cx, buf)).await
    }

    /// Sends one datagram to the peer set by [`connect`](UdpSocket::connect).
    ///
    /// # Errors
    /// As [`send_to`](UdpSocket::send_to); also when the socket is not connected.
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        poll_fn(|cx| self.source.poll_io(Direction::Write, cx, |socket| socket.send(buf))).await
    }

    /// Waits for one datagram from the connected peer (see
    /// [`recv_from`](UdpSocket::recv_from) for cutting).
    ///
    /// # Errors
    /// As [`recv_from`](UdpSocket::recv_from).
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        poll_fn(|cx| self.source.poll_io(Direction::Read, cx, |socket| socket.recv(buf))).await
    }

    /// Poll-style [`send_to`](UdpSocket::send_to).
    ///
    /// # Errors
    /// As [`send_to`](UdpSocket::send_to).
    pub fn poll_send_to(&self, cx: &mut Context<'_>, buf: &[u8], target: SocketAddr) -> Poll<io::Result<usize>> {
        // A full send buffer parks the task until the reactor reports the
        // socket writable again.
        self.source.poll_io(Direction::Write, cx, |socket| socket.send_to(buf, target))
    }

    /// Poll-style [`recv_from`](UdpSocket::recv_from).
    ///
    /// # Errors
    /// As [`recv_from`](UdpSocket::recv_from).
    pub fn poll_recv_from(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<(usize, SocketAddr)>> {
        // With no datagram queued, the reactor wakes the task when one arrives.
        self.source.poll_io(Direction::Read, cx, |socket| socket.recv_from(buf))
    }

    /// Allows sending to broadcast addresses (`SO_BROADCAST`).
    ///
    /// # Errors
    /// The socket's error.
    pub fn set_broadcast(&self, on: bool) -> io::Result<()> {
        self.source.get_ref().set_broadcast(on)
    }

    /// The bound address (with the chosen port).
    ///
    /// # Errors
    /// The socket's error.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.source.get_ref().local_addr()
    }

    /// The peer set by [`connect`](UdpSocket::connect).
    ///
    /// # Errors
    /// `NotConnected` if none was set.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.source.get_ref().peer_addr()
    }
}

impl std::fmt::Debug for UdpSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UdpSocket")
            .field("local", &self.local_addr().ok())
            .field("peer", &self.peer_addr().ok())
            .finish()
    }
}
