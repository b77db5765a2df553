//! [`Stream`]: the byte pipe under a Redis connection, plain TCP or TLS
//! (`rediss://`), shared by a connection's reader and writer tasks.
//!
//! It is the HTTP client's [`Transport`] in a `RefCell`. Each poll borrows
//! it for the length of one poll and never across an await, so the reader
//! parked on a read and the writer parked on a write never hold it at the
//! same time: the single loop thread runs one poll at a time.

use std::cell::RefCell;
use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use rustls::ClientConfig;

use crate::http::transport::Transport;
use crate::net::TcpStream;

/// A connected pipe to the server.
pub(crate) struct Stream {
    /// Plain or TLS; borrowed only inside a poll.
    transport: RefCell<Transport>,
}

impl Stream {
    /// A plain TCP pipe.
    pub(crate) fn plain(tcp: TcpStream) -> Stream {
        Stream { transport: RefCell::new(Transport::Plain(tcp)) }
    }

    /// TLS over `tcp` for `host`, handshake done.
    ///
    /// # Errors
    /// The HTTP client's TLS error (certificate, alert, socket), whose
    /// message says which.
    pub(crate) async fn tls(tcp: TcpStream, host: &str, config: Arc<ClientConfig>) -> Result<Stream, String> {
        let transport = Transport::handshake(tcp, host, config).await.map_err(|error| error.to_string())?;
        Ok(Stream { transport: RefCell::new(transport) })
    }

    /// Reads into `buf`; `Ok(0)` is the end of the stream.
    pub(crate) async fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        // Pending: the reactor holds our waker for the socket's next
        // readable edge.
        poll_fn(|cx| self.transport.borrow_mut().poll_read(cx, buf)).await
    }

    /// Writes all of `buf` and flushes any TLS records.
    pub(crate) async fn write_all(&self, mut buf: &[u8]) -> io::Result<()> {
        while !buf.is_empty() {
            // Pending: the reactor wakes us when the socket drains.
            match poll_fn(|cx| self.transport.borrow_mut().poll_write(cx, buf)).await? {
                0 => return Err(io::ErrorKind::WriteZero.into()),
                n => buf = &buf[n..],
            }
        }
        poll_fn(|cx| self.transport.borrow_mut().poll_flush(cx)).await
    }

    /// Shuts the socket both ways, waking whichever task waits on it.
    pub(crate) fn shutdown(&self) {
        if let Ok(transport) = self.transport.try_borrow() {
            let _ = transport.tcp().shutdown(std::net::Shutdown::Both);
        }
    }

    /// The server's address.
    pub(crate) fn peer_addr(&self) -> Option<SocketAddr> {
        self.transport.try_borrow().ok().and_then(|transport| transport.tcp().peer_addr().ok())
    }
}
