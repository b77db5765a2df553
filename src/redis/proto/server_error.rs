//! [`ServerError`]: an error reply, with Redis's own words kept whole.
//!
//! Redis starts every error message with a code in capitals (`ERR`,
//! `WRONGTYPE`, `NOAUTH`, `MOVED`, ...), then a human sentence. The client
//! keeps both: the code, sorted into a [`ServerErrorKind`] a program can
//! match on, and the message exactly as the server sent it.

use std::fmt;

/// The error codes a program may want to act on; anything else is
/// [`ServerErrorKind::Other`] and still carries its code in
/// [`ServerError::code`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ServerErrorKind {
    /// `ERR`: the generic error (unknown command, wrong arguments, ...).
    Err,
    /// `WRONGTYPE`: the key holds another type than the command works on.
    WrongType,
    /// `NOAUTH`: the server wants AUTH first.
    NoAuth,
    /// `WRONGPASS`: AUTH (or HELLO's AUTH) with a bad user name or password.
    WrongPass,
    /// `NOPERM`: the ACL user may not run this command or touch this key.
    NoPerm,
    /// `NOPROTO`: HELLO asked for a protocol version the server lacks.
    NoProto,
    /// `MOVED`: in a cluster, the key's slot lives on another node for good.
    Moved,
    /// `ASK`: in a cluster, the key's slot is migrating; ask the named node once.
    Ask,
    /// `TRYAGAIN`: in a cluster, a multi-key command during resharding.
    TryAgain,
    /// `CLUSTERDOWN`: the cluster cannot serve the slot.
    ClusterDown,
    /// `LOADING`: the server is loading its dataset.
    Loading,
    /// `BUSY`: a script is running too long.
    Busy,
    /// `NOSCRIPT`: EVALSHA of an unknown script.
    NoScript,
    /// `EXECABORT`: EXEC refused because a queued command was wrong.
    ExecAbort,
    /// `READONLY`: a write sent to a replica.
    ReadOnly,
    /// `OOM`: the server is out of memory (`maxmemory`).
    OutOfMemory,
    /// `NOGROUP`: a stream consumer group that does not exist.
    NoGroup,
    /// `BUSYGROUP`: XGROUP CREATE of a group that exists.
    BusyGroup,
    /// Any other code.
    Other,
}

/// An error reply: its code and Redis's message.
///
/// ```
/// use corio::redis::{ServerError, ServerErrorKind};
///
/// let error = ServerError::new("WRONGTYPE Operation against a key holding the wrong kind of value");
/// assert_eq!(error.kind(), ServerErrorKind::WrongType);
/// assert_eq!(error.code(), "WRONGTYPE");
/// assert_eq!(error.to_string(), "WRONGTYPE Operation against a key holding the wrong kind of value");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerError {
    /// The whole message as the server sent it, code first.
    message: String,
}

impl ServerError {
    /// Wraps an error reply's text (without the leading `-` and the CRLF).
    pub fn new(message: impl Into<String>) -> ServerError {
        ServerError { message: message.into() }
    }

    /// The code: the message's first word (`ERR`, `WRONGTYPE`, ...).
    pub fn code(&self) -> &str {
        self.message.split(' ').next().unwrap_or_default()
    }

    /// The code, sorted.
    pub fn kind(&self) -> ServerErrorKind {
        match self.code() {
            "ERR" => ServerErrorKind::Err,
            "WRONGTYPE" => ServerErrorKind::WrongType,
            "NOAUTH" => ServerErrorKind::NoAuth,
            "WRONGPASS" => ServerErrorKind::WrongPass,
            "NOPERM" => ServerErrorKind::NoPerm,
            "NOPROTO" => ServerErrorKind::NoProto,
            "MOVED" => ServerErrorKind::Moved,
            "ASK" => ServerErrorKind::Ask,
            "TRYAGAIN" => ServerErrorKind::TryAgain,
            "CLUSTERDOWN" => ServerErrorKind::ClusterDown,
            "LOADING" => ServerErrorKind::Loading,
            "BUSY" => ServerErrorKind::Busy,
            "NOSCRIPT" => ServerErrorKind::NoScript,
            "EXECABORT" => ServerErrorKind::ExecAbort,
            "READONLY" => ServerErrorKind::ReadOnly,
            "OOM" => ServerErrorKind::OutOfMemory,
            "NOGROUP" => ServerErrorKind::NoGroup,
            "BUSYGROUP" => ServerErrorKind::BusyGroup,
            _ => ServerErrorKind::Other,
        }
    }

    /// The whole message, code first, exactly as the server sent it.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// For `MOVED` and `ASK`: the slot and the `host:port` to ask instead.
    ///
    /// ```
    /// let moved = corio::redis::ServerError::new("MOVED 3999 127.0.0.1:6381");
    /// assert_eq!(moved.redirect(), Some((3999, "127.0.0.1:6381")));
    /// ```
    pub fn redirect(&self) -> Option<(u16, &str)> {
        if !matches!(self.kind(), ServerErrorKind::Moved | ServerErrorKind::Ask) {
            return None;
        }
        let mut words = self.message.split(' ').skip(1);
        let slot = words.next()?.parse().ok()?;
        Some((slot, words.next()?))
    }
}

impl fmt::Display for ServerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ServerError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_sorted_and_the_message_kept_whole() {
        for (message, kind) in [
            ("ERR unknown command 'FOO'", ServerErrorKind::Err),
            ("NOAUTH Authentication required.", ServerErrorKind::NoAuth),
            ("WRONGPASS invalid username-password pair or user is disabled.", ServerErrorKind::WrongPass),
            ("ASK 12 10.0.0.1:7000", ServerErrorKind::Ask),
            ("BUSYGROUP Consumer Group name already exists", ServerErrorKind::BusyGroup),
            ("SOMETHINGNEW whatever", ServerErrorKind::Other),
            ("", ServerErrorKind::Other),
        ] {
            let error = ServerError::new(message);
            assert_eq!(error.kind(), kind, "{message}");
            assert_eq!(error.message(), message);
        }
    }

    #[test]
    fn only_moved_and_ask_redirect() {
        assert_eq!(ServerError::new("ASK 12 10.0.0.1:7000").redirect(), Some((12, "10.0.0.1:7000")));
        assert_eq!(ServerError::new("MOVED x 10.0.0.1:7000").redirect(), None);
        assert_eq!(ServerError::new("ERR 12 10.0.0.1:7000").redirect(), None);
    }
}
