//! The sans-IO half of the HTTP client: HTTP/1.1 as data.
//!
//! Everything here takes bytes or strings and returns values (a parsed URL,
//! a response head, how a body is framed, decoded body bytes, the cookies to
//! send, the next request of a redirect chain), and imports nothing of the
//! runtime or the network: no sockets, no clocks, no tasks. That is what lets
//! each parser be table-tested beside its code, with input split at every
//! byte, and it keeps the protocol readable apart from the I/O around it (as
//! ureq-proto sits apart from ureq). `.ci/check-proto-imports` keeps it so.
//!
//! The client half, one folder up, owns the sockets, the pool and the
//! deadlines, and calls into these files at each step of a request.

pub(crate) mod auth;
pub(crate) mod body_decoder;
pub(crate) mod brotli;
pub(crate) mod charset;
pub(crate) mod chunked;
pub(crate) mod cookie;
pub(crate) mod date;
pub(crate) mod decode;
pub(crate) mod early_answer;
pub(crate) mod framing;
pub(crate) mod gzip;
pub(crate) mod head;
pub(crate) mod headers;
pub(crate) mod host;
pub(crate) mod multipart;
pub(crate) mod percent;
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) mod properties;
#[cfg(test)]
mod proptests;
pub(crate) mod redirect;
pub(crate) mod set_cookie;
pub(crate) mod status;
pub(crate) mod url;
pub(crate) mod zstd;
