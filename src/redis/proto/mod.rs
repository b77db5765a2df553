//! The sans-IO half of the Redis client: RESP2 and RESP3 as data.
//!
//! Everything here takes bytes or strings and returns values: a reply parsed
//! from a buffer ([`parse`](parse::parse)), a command encoded into one
//! (`encode.rs`), a `redis://` URL taken apart (`url.rs`), a key's cluster
//! slot (`slot.rs`). Nothing here touches a socket, a clock or a task, so
//! every parser is table-tested beside its code with input split at every
//! byte, as `http/proto/` is. `.ci/check-proto-imports` keeps it so.
//!
//! The client half, one folder up, owns the sockets, the handshake, the
//! waiting callers and the deadlines, and calls into these files for every
//! byte it sends or receives.

pub(crate) mod encode;
pub(crate) mod parse;
pub(crate) mod server_error;
pub(crate) mod slot;
pub(crate) mod url;
pub(crate) mod value;
