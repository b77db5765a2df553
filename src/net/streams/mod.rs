//! asyncio's streams: a buffered [`StreamReader`] and a [`StreamWriter`]
//! over one TCP or Unix socket, opened by [`open_connection`] /
//! [`open_unix_connection`], or handed to a [`Server`]'s callback by
//! [`start_server`] / [`start_unix_server`].
//!
//! Read `connection.rs` (what the two halves share), then `reader.rs` (the
//! pull-based buffer and asyncio's `readuntil` algorithm), `writer.rs` (the
//! write buffer, its flush task and the water marks), `server.rs` and
//! `socket_file.rs` (a Unix server's socket file).
//! `error.rs` holds the one error type.

mod connection;
mod error;
mod reader;
mod server;
mod socket_file;
mod writer;

use std::future::Future;
use std::io;
use std::path::Path;
use std::rc::Rc;

pub use connection::StreamSocket;
pub use error::StreamError;
pub use reader::{DEFAULT_LIMIT, StreamReader};
pub use server::{ListenAddr, Server};
pub use writer::{DEFAULT_HIGH_WATER, StreamWriter};

use self::connection::Connection;
use self::server::Listener;
use self::socket_file::SocketFile;
use crate::net::{TcpListener, TcpStream, UnixListener, UnixStream, lookup_host};

/// Connects to `host:port` and returns the connection's reader and writer
/// (asyncio's `open_connection`). `host` is resolved off the loop unless it
/// is an IP literal, and each address is tried in turn. The reader has
/// asyncio's default limit; see [`StreamReader::set_limit`] for `limit=`.
///
/// # Errors
/// The resolver's error, or the last address's connection error.
///
/// ```
/// # corio::run(async {
/// let listener = corio::net::TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
/// let port = listener.local_addr()?.port();
/// let (reader, writer) = corio::net::open_connection("127.0.0.1", port).await?;
/// # Ok::<(), std::io::Error>(())
/// # }).unwrap();
/// ```
pub async fn open_connection(host: &str, port: u16) -> io::Result<(StreamReader, StreamWriter)> {
    let stream = TcpStream::connect_host(host, port).await?;
    Ok(stream_pair(StreamSocket::Tcp(stream)))
}

/// Connects to the Unix socket at `path` (asyncio's `open_unix_connection`).
///
/// # Errors
/// As [`UnixStream::connect`].
pub async fn open_unix_connection(path: impl AsRef<Path>) -> io::Result<(StreamReader, StreamWriter)> {
    let stream = UnixStream::connect(path).await?;
    Ok(stream_pair(StreamSocket::Unix(stream)))
}

/// Wraps a connected socket in a reader and a writer (asyncio's
/// `open_connection(sock=...)`).
#[doc(alias = "open_connection(sock)")]
pub fn stream_pair(socket: StreamSocket) -> (StreamReader, StreamWriter) {
    let connection = Rc::new(Connection::new(socket, None));
    (StreamReader::new(connection.clone()), StreamWriter::new(connection))
}

/// A reader alone over `socket` (a child's stdout or stderr): no writer
/// shares it, so nothing closes it but the reader's drop.
pub(crate) fn reader_only(socket: StreamSocket) -> StreamReader {
    StreamReader::new(Rc::new(Connection::new(socket, None)))
}

/// A writer alone over `socket` (a child's stdin).
pub(crate) fn writer_only(socket: StreamSocket) -> StreamWriter {
    StreamWriter::new(Rc::new(Connection::new(socket, None)))
}

/// Listens on `host:port` (every address `host` resolves to, as asyncio
/// does) and calls `client_connected_cb` with the reader and writer of each
/// connection, running the future it returns as a task (asyncio's
/// `start_server`). Port 0 picks a free port; [`Server::sockets`] says
/// which.
///
/// # Errors
/// The resolver's error, or the first bind error (address in use, ...).
pub async fn start_server<F, Fut>(client_connected_cb: F, host: &str, port: u16) -> io::Result<Server>
where
    F: FnMut(StreamReader, StreamWriter) -> Fut + 'static,
    Fut: Future<Output = ()> + 'static,
{
    let mut listeners = Vec::new();
    for addr in lookup_host(host, port).await? {
        listeners.push(Listener::Tcp(TcpListener::bind(addr)?));
    }
    Server::start(listeners, client_connected_cb)
}

/// Listens on the Unix socket `path` (asyncio's `start_unix_server`); see
/// [`start_server`]. As in asyncio 3.13, a socket file left at `path` by an
/// earlier server is replaced, and closing the server removes the file.
///
/// # Errors
/// The bind error (`AddrInUse` if a file that is not a socket is in the
/// way, `NotFound` for a missing directory, ...).
pub async fn start_unix_server<F, Fut>(client_connected_cb: F, path: impl AsRef<Path>) -> io::Result<Server>
where
    F: FnMut(StreamReader, StreamWriter) -> Fut + 'static,
    Fut: Future<Output = ()> + 'static,
{
    let path = path.as_ref();
    SocketFile::remove_stale(path)?;
    let listener = UnixListener::bind(path)?;
    let file = SocketFile::claim(path)?;
    Server::start(vec![Listener::Unix { listener, _file: file }], client_connected_cb)
}
