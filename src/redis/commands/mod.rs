//! Typed methods for the common commands, as `impl Connection` blocks, one
//! file per data type: `keys.rs` (keys, expiry, strings, counters, the
//! server), `hashes.rs`, `lists.rs`, `sets.rs` (sets and sorted sets),
//! `streams.rs`.
//!
//! Each method builds the [`Cmd`](super::Cmd) the Redis manual documents
//! and converts the reply; methods whose reply is a value the caller
//! stores (GET, HGET, LPOP, ...) are generic over the type to convert it
//! into, as in redis-rs: `let name: Option<String> = conn.get("k").await?`.
//! Anything not here goes through [`Connection::query`](super::Connection::query).

mod hashes;
mod keys;
mod lists;
mod sets;
mod streams;

pub use keys::SetOptions;
pub use lists::Side;
pub use streams::{AutoClaim, PendingSummary, StreamEntry};
