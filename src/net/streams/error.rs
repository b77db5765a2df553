//! [`StreamError`]: why a stream read or write gave no data, asyncio's
//! `IncompleteReadError`, `LimitOverrunError` and `ConnectionResetError`
//! as the variants of one type.

use std::fmt;
use std::io;

/// A failed [`StreamReader`](crate::net::StreamReader) or
/// [`StreamWriter`](crate::net::StreamWriter) operation.
#[derive(Debug)]
pub enum StreamError {
    /// The stream ended before [`readexactly`](crate::net::StreamReader::readexactly)
    /// had its bytes or [`readuntil`](crate::net::StreamReader::readuntil)
    /// found its separator (asyncio's `IncompleteReadError`). The bytes that
    /// did arrive are in `partial` and no longer in the reader's buffer.
    IncompleteRead {
        /// What was read before the end of the stream.
        partial: Vec<u8>,
        /// How many bytes `readexactly` wanted; `None` for `readuntil`.
        expected: Option<usize>,
    },
    /// [`readuntil`](crate::net::StreamReader::readuntil) (or `readline`)
    /// would have to buffer more than the reader's limit (asyncio's
    /// `LimitOverrunError`). `readuntil` leaves the data in the buffer;
    /// `readline` removes it, as asyncio does before it raises `ValueError`.
    LimitOverrun {
        /// How many bytes are to be consumed: the separator's offset if it
        /// was found, otherwise how far the reader looked.
        consumed: usize,
        /// Whether the separator was found (beyond the limit) or not at all.
        separator_found: bool,
    },
    /// A write after [`close`](crate::net::StreamWriter::close) or
    /// [`write_eof`](crate::net::StreamWriter::write_eof).
    Closing,
    /// The connection was closed, by [`close`](crate::net::StreamWriter::close)
    /// or after an error, so there is nothing left to drain (asyncio's
    /// `ConnectionResetError('Connection lost')`).
    ConnectionLost,
    /// The socket failed (reset by the peer, broken pipe, ...). A failed
    /// send is reported by the writer's next `write`, `drain` and by
    /// `wait_closed`.
    Io(io::Error),
}

impl fmt::Display for StreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StreamError::IncompleteRead { partial, expected: Some(expected) } => {
                write!(f, "the stream ended after {} of {expected} expected bytes", partial.len())
            }
            StreamError::IncompleteRead { partial, expected: None } => {
                write!(f, "the stream ended after {} bytes without the separator", partial.len())
            }
            StreamError::LimitOverrun { separator_found: true, .. } => {
                f.write_str("separator is found, but chunk is longer than limit")
            }
            StreamError::LimitOverrun { separator_found: false, .. } => {
                f.write_str("separator is not found, and chunk exceed the limit")
            }
            StreamError::Closing => f.write_str("cannot write: the stream is closing or its write end was shut"),
            StreamError::ConnectionLost => f.write_str("connection lost"),
            StreamError::Io(error) => write!(f, "stream i/o failed: {error}"),
        }
    }
}

impl std::error::Error for StreamError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StreamError::Io(error) => Some(error),
            _ => None,
        }
    }
}

impl From<io::Error> for StreamError {
    fn from(error: io::Error) -> Self {
        StreamError::Io(error)
    }
}
