//! An async Redis client on corio's runtime: what aioredis (now
//! `redis.asyncio`) is to asyncio.
//!
//! ```no_run
//! # fn main() -> Result<(), corio::redis::Error> {
//! corio::run(async {
//!     let conn = corio::redis::Connection::open("redis://127.0.0.1:6379/0").await?;
//!     conn.set("my-key", "value").await?;
//!     let value: Option<String> = conn.get("my-key").await?;
//!     assert_eq!(value.as_deref(), Some("value"));
//!     Ok(())
//! })
//! # }
//! ```
//!
//! Like the HTTP client, it has two halves. `proto/` is RESP2 and RESP3 as
//! data (parse a reply, encode a command, read a URL), importing nothing of
//! the runtime. The files here put it on a socket:
//!
//! - [`ConnectOptions`] (`connect.rs`) opens a TCP connection and greets
//!   the server (HELLO 3 with AUTH, or AUTH alone on RESP2; SELECT);
//! - [`Connection`] (`connection.rs`) is one socket shared by many tasks,
//!   with a line of reply slots and a reader and a writer task;
//! - the typed methods (`commands/`) and [`cmd()`] (`cmd.rs`) build
//!   commands, and [`FromValue`] (`from_value.rs`) converts the replies;
//! - [`Pipeline`] sends many commands in one round trip, optionally as a
//!   MULTI/EXEC transaction; [`PubSub`] is a subscribed connection;
//!   [`Pool`] lends whole connections for blocking commands and WATCH;
//! - [`Cluster`] (`cluster.rs`) routes each command to the node of its
//!   key's slot and follows MOVED and ASK.
//!
//! `rediss://` runs over the HTTP client's TLS layer (`stream.rs`). Not here
//! yet: Sentinel, client certificates, client-side caching, Lua script
//! helpers.

mod cluster;
mod cmd;
mod commands;
mod connect;
mod connection;
mod error;
mod from_value;
mod pipeline;
mod pool;
mod proto;
mod pubsub;
mod stream;
mod wire;

pub use cluster::Cluster;
pub use cmd::{Cmd, ToArgs, cmd};
pub use commands::{AutoClaim, PendingSummary, SetOptions, Side, StreamEntry};
pub use connect::{ConnectOptions, DEFAULT_CONNECT_TIMEOUT};
pub use connection::Connection;
pub use error::{Error, ProtocolError, ServerError, ServerErrorKind, TimeoutKind};
pub use from_value::FromValue;
pub use pipeline::Pipeline;
pub use pool::{Pool, PooledConnection};
pub use proto::parse::Limits;
pub use proto::slot::{SLOTS, key_slot};
pub use proto::url::{DEFAULT_PORT, Protocol, ServerAddress};
pub use proto::value::Value;
pub use pubsub::{Message, PubSub};

/// Connects to `url` with default options, as aioredis's `from_url`.
///
/// # Errors
/// As [`ConnectOptions::connect`].
pub async fn from_url(url: &str) -> Result<Connection, Error> {
    Connection::open(url).await
}
