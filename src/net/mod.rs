//! Networking on the loop: TCP, UDP and Unix-domain sockets driven by the
//! reactor, asyncio's streams on top of the stream sockets, and DNS
//! resolution through the blocking pool.
//!
//! Read `io_source.rs` first (the retry rule every socket operation
//! follows), then `tcp_stream.rs` and `tcp_listener.rs`; `udp_socket.rs`,
//! `unix_stream.rs`, `unix_listener.rs` and `pipe.rs` apply the same rule
//! to the other sockets and to pipes, and `streams/` builds asyncio's reader
//! and writer on them.

mod dns;
mod io_source;
pub(crate) use io_source::IoSource;
mod pipe;
mod streams;
mod tcp_listener;
mod tcp_stream;
mod udp_socket;
mod unix_listener;
mod unix_stream;

pub use dns::lookup_host;
pub use pipe::{PipeReader, PipeWriter};
pub use streams::{
    DEFAULT_HIGH_WATER, DEFAULT_LIMIT, ListenAddr, Server, StreamError, StreamReader, StreamSocket, StreamWriter,
    open_connection, open_unix_connection, start_server, start_unix_server, stream_pair,
};
pub(crate) use streams::{reader_only, writer_only};
pub use tcp_listener::TcpListener;
pub use tcp_stream::TcpStream;
pub use udp_socket::UdpSocket;
pub use unix_listener::UnixListener;
pub use unix_stream::UnixStream;
