//! What the reader and the writer of one stream share: the socket
//! ([`StreamSocket`]: TCP, Unix, or one end of a child process's pipe) and
//! whether the writer has closed it.

use std::cell::{Cell, RefCell};
use std::io;
use std::net::Shutdown;
use std::task::{Context, Poll};

use crate::net::{PipeReader, PipeWriter, TcpStream, UnixStream};

/// The socket under a stream pair: what asyncio's
/// `writer.get_extra_info('socket')` returns.
#[derive(Debug)]
pub enum StreamSocket {
    /// From [`open_connection`](crate::net::open_connection) or a TCP [`Server`](crate::net::Server).
    Tcp(TcpStream),
    /// From [`open_unix_connection`](crate::net::open_unix_connection) or a Unix [`Server`](crate::net::Server).
    Unix(UnixStream),
    /// A child process's stdout or stderr (only read).
    PipeReader(PipeReader),
    /// A child process's stdin (only written).
    PipeWriter(PipeWriter),
}

impl StreamSocket {
    /// Poll-style read from whichever socket this is.
    pub(crate) fn poll_read(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        match self {
            StreamSocket::Tcp(socket) => socket.poll_read(cx, buf),
            StreamSocket::Unix(socket) => socket.poll_read(cx, buf),
            StreamSocket::PipeReader(pipe) => pipe.poll_read(cx, buf),
            StreamSocket::PipeWriter(_) => Poll::Ready(Err(one_way("read from the write end of a pipe"))),
        }
    }

    /// Poll-style write to whichever socket this is.
    pub(crate) fn poll_write(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match self {
            StreamSocket::Tcp(socket) => socket.poll_write(cx, buf),
            StreamSocket::Unix(socket) => socket.poll_write(cx, buf),
            StreamSocket::PipeWriter(pipe) => pipe.poll_write(cx, buf),
            StreamSocket::PipeReader(_) => Poll::Ready(Err(one_way("write to the read end of a pipe"))),
        }
    }

    /// Shuts down one half or both. A pipe has one half: its write end
    /// closes, its read end has nothing to shut.
    pub(crate) fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        match self {
            StreamSocket::Tcp(socket) => socket.shutdown(how),
            StreamSocket::Unix(socket) => socket.shutdown(how),
            StreamSocket::PipeWriter(pipe) => {
                pipe.close();
                Ok(())
            }
            StreamSocket::PipeReader(_) => Ok(()),
        }
    }
}

/// The error for using a pipe end the wrong way.
fn one_way(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::Unsupported, format!("cannot {what}"))
}

/// One connection, shared (through an `Rc`) by its reader, its writer and
/// the writer's flush task.
pub(crate) struct Connection {
    /// The socket.
    pub(crate) socket: StreamSocket,
    /// The writer closed the connection: it is shut down both ways, and the
    /// reader reports the end of the stream without reading.
    closed: Cell<bool>,
    /// Run once when the connection closes or is dropped, whichever comes
    /// first: a [`Server`](crate::net::Server) counts its live connections
    /// this way.
    on_close: RefCell<Option<Box<dyn FnOnce()>>>,
}

impl Connection {
    /// A connection over `socket`; `on_close` runs when it closes. A TCP
    /// socket gets `TCP_NODELAY`, as asyncio's transports set it: a stream
    /// writes what it has at once, and Nagle's algorithm would hold small
    /// writes back for the peer's ACK.
    pub(crate) fn new(socket: StreamSocket, on_close: Option<Box<dyn FnOnce()>>) -> Connection {
        if let StreamSocket::Tcp(stream) = &socket {
            // Only latency is at stake: the stream works either way.
            let _ = stream.set_nodelay(true);
        }
        Connection { socket, closed: Cell::new(false), on_close: RefCell::new(on_close) }
    }

    /// Whether the writer has closed the connection.
    pub(crate) fn is_closed(&self) -> bool {
        self.closed.get()
    }

    /// Shuts the socket down both ways (the peer sees the end of the stream;
    /// the descriptor itself closes when the last owner lets go) and runs
    /// `on_close`.
    pub(crate) fn close(&self) {
        if self.closed.replace(true) {
            return;
        }
        // The peer may have gone already (`NotConnected`); either way the
        // connection is over for us, which is all `close` promises.
        let _ = self.socket.shutdown(Shutdown::Both);
        self.run_on_close();
    }

    /// Runs `on_close` if it has not run yet.
    fn run_on_close(&self) {
        let on_close = self.on_close.borrow_mut().take();
        if let Some(on_close) = on_close {
            on_close();
        }
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.run_on_close();
    }
}
