//! [`Error`]: everything a Redis call can fail with, one enum for the
//! client.
//!
//! The variants follow the path of a command: the URL, the connection, the
//! handshake, the bytes on the wire, the server's answer, and the
//! conversion of that answer into the Rust type the caller asked for.

use std::fmt;
use std::io;

pub use super::proto::parse::ProtocolError;
pub use super::proto::server_error::{ServerError, ServerErrorKind};

/// Why a Redis call failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The URL could not be read; the text says why.
    Url(String),
    /// The TCP connection could not be made (refused, unreachable, DNS).
    Connect(io::Error),
    /// The TLS handshake of a `rediss://` connection failed; the text says
    /// why (an unknown issuer, a self-signed certificate, a name mismatch).
    Tls(String),
    /// A deadline passed: connecting (with the handshake), or waiting for
    /// one reply. The connection may still be usable after a reply timeout;
    /// the late reply is read and dropped when it comes.
    Timeout(TimeoutKind),
    /// The server's bytes were not RESP, or broke a limit; the connection
    /// is closed.
    Protocol(ProtocolError),
    /// The server answered with an error reply: its code and its message,
    /// as Redis sent them (`WRONGTYPE ...`, `NOAUTH ...`).
    Server(ServerError),
    /// The connection closed or failed while this call was waiting or
    /// before it was sent; every caller waiting on it gets this. The text
    /// says what happened (the server closed it, a reset, a protocol error).
    ConnectionLost(String),
    /// The reply was fine but is not what the caller asked to convert it
    /// into, such as text where an integer was wanted.
    Type(String),
    /// A socket error outside a connection's life (TLS setup, ...).
    Io(io::Error),
}

/// Which deadline passed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeoutKind {
    /// Connecting, including AUTH, HELLO and SELECT.
    Connect,
    /// One reply.
    Reply,
}

impl Error {
    /// The server's error, if this is one.
    pub fn server_error(&self) -> Option<&ServerError> {
        match self {
            Error::Server(error) => Some(error),
            _ => None,
        }
    }

    /// The server's error code's kind, if this is a server error.
    ///
    /// ```
    /// use corio::redis::{Error, ServerError, ServerErrorKind};
    /// let error = Error::Server(ServerError::new("NOAUTH Authentication required."));
    /// assert_eq!(error.kind(), Some(ServerErrorKind::NoAuth));
    /// ```
    pub fn kind(&self) -> Option<ServerErrorKind> {
        self.server_error().map(ServerError::kind)
    }

    /// Whether the connection is gone: connecting failed, it was lost, or
    /// the server broke the protocol. Another connection may succeed.
    pub fn is_connection_error(&self) -> bool {
        matches!(self, Error::Connect(_) | Error::Tls(_) | Error::ConnectionLost(_) | Error::Protocol(_) | Error::Io(_))
    }

    /// Whether a deadline passed.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Timeout(_))
    }

    /// A conversion error: `wanted` from this value.
    pub(crate) fn type_error(wanted: &str, value: &super::Value) -> Error {
        let mut shown = value.to_string();
        if shown.len() > 80 {
            let mut cut = 77;
            while !shown.is_char_boundary(cut) {
                cut -= 1;
            }
            shown.truncate(cut);
            shown.push_str("...");
        }
        Error::Type(format!("expected {wanted}, got {} {shown}", value.kind()))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Url(why) => write!(f, "bad redis url: {why}"),
            Error::Connect(error) => write!(f, "cannot connect to redis: {error}"),
            Error::Tls(why) => write!(f, "redis tls: {why}"),
            Error::Timeout(TimeoutKind::Connect) => f.write_str("timed out connecting to redis"),
            Error::Timeout(TimeoutKind::Reply) => f.write_str("timed out waiting for a reply from redis"),
            Error::Protocol(error) => write!(f, "redis protocol error: {error}"),
            Error::Server(error) => write!(f, "redis: {error}"),
            Error::ConnectionLost(why) => write!(f, "redis connection lost: {why}"),
            Error::Type(why) => write!(f, "unexpected redis reply: {why}"),
            Error::Io(error) => write!(f, "redis i/o error: {error}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Connect(error) | Error::Io(error) => Some(error),
            Error::Protocol(error) => Some(error),
            Error::Server(error) => Some(error),
            _ => None,
        }
    }
}

impl From<ServerError> for Error {
    fn from(error: ServerError) -> Error {
        Error::Server(error)
    }
}

impl From<ProtocolError> for Error {
    fn from(error: ProtocolError) -> Error {
        Error::Protocol(error)
    }
}
