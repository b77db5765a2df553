//! Networking on the loop: TCP sockets driven by the reactor, and DNS
//! resolution through the blocking pool.
//!
//! Read `io_source.rs` first (the retry rule every socket operation
//! follows), then `tcp_stream.rs` and `tcp_listener.rs`.

mod dns;
mod io_source;
mod tcp_listener;
mod tcp_stream;

pub use dns::lookup_host;
pub use tcp_listener::TcpListener;
pub use tcp_stream::TcpStream;
