//! [`Error`]: everything that can go wrong between `session.get(url)` and the
//! last byte of the body, as one public enum.
//!
//! Each variant names the stage that failed (URL, DNS, connect, TLS, proxy,
//! protocol, ...) so a caller can decide what to retry without matching on
//! message text; the messages themselves are written for the person reading
//! the log. The protocol's parsers (`proto/`) have their own small error
//! types, and this one carries them typed rather than as text: a protocol
//! violation is an [`Error::Protocol`] holding a [`ProtocolError`], a body
//! that cannot be decoded an [`Error::Decode`] holding a [`DecodeError`], and
//! [`std::error::Error::source`] leads from each to the parser's own error.

use std::fmt;
use std::io;
use std::time::Duration;

use crate::http::proto::chunked::ChunkedError;
use crate::http::proto::decode::ContentDecodeError;
use crate::http::proto::framing::FramingError;
use crate::http::proto::head::HeadError;
use crate::http::proto::redirect::{ConflictingLocations, RefusedRedirect};
use crate::http::proto::url::{Url, UrlError};

/// An error from the HTTP client.
///
/// Match on the variant to decide what to do (retry a [`Timeout`] or a
/// [`Connect`], report a [`Protocol`] violation); the [`Display`] message is
/// for people. The wrapped causes stay typed: [`ProtocolError`] and
/// [`DecodeError`] say which rule was broken, and
/// [`source`](std::error::Error::source) walks down to the parser's own error.
///
/// ```
/// use corio::http::{Error, UrlError};
/// # corio::run(async {
/// let session = corio::http::Session::new();
/// let error = session.get("ftp://example.com/").await.unwrap_err();
/// assert!(matches!(error, Error::Url(UrlError::UnsupportedScheme(_))));
/// assert_eq!(error.to_string(), r#"unsupported URL scheme "ftp" (only http and https are supported)"#);
/// // The cause, typed, is also the error's source.
/// let source = std::error::Error::source(&error).and_then(|cause| cause.downcast_ref::<UrlError>());
/// assert_eq!(source, Some(&UrlError::UnsupportedScheme("ftp".into())));
/// # });
/// ```
///
/// [`Timeout`]: Error::Timeout
/// [`Connect`]: Error::Connect
/// [`Protocol`]: Error::Protocol
/// [`Display`]: std::fmt::Display
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The URL could not be parsed, or uses a scheme other than http/https.
    Url(UrlError),
    /// The request itself is unsafe to send: a method, header name, header
    /// value or body option that would break the message framing (CR, LF or
    /// NUL in a header, say). Nothing was written to the network.
    InvalidRequest(String),
    /// The host name could not be resolved.
    Dns {
        /// The name that was looked up.
        host: String,
        /// The resolver's error.
        source: io::Error,
    },
    /// No resolved address accepted a TCP connection.
    Connect {
        /// The host that was dialled (a name or an IP literal).
        host: String,
        /// The port that was dialled.
        port: u16,
        /// The last address's error (refused, unreachable, ...).
        source: io::Error,
    },
    /// The TLS handshake failed; [`TlsErrorKind`] says why.
    Tls {
        /// What kind of failure it was.
        kind: TlsErrorKind,
        /// The server name the certificate was checked against.
        host: String,
        /// rustls's description.
        detail: String,
    },
    /// A deadline passed; [`TimeoutKind`] says which one.
    Timeout {
        /// Which of the session's timeouts expired.
        kind: TimeoutKind,
        /// Its configured length.
        after: Duration,
    },
    /// The proxy refused to open a tunnel (its answer to `CONNECT` was not
    /// 2xx; 407 means it wants credentials).
    Proxy {
        /// The proxy's status code.
        status: u16,
        /// The proxy's reason phrase.
        reason: String,
    },
    /// The server (or the proxy) broke HTTP/1.1: a malformed or oversized
    /// head, contradictory framing, a bad chunk, an endless run of 1xx
    /// answers, a redirect to two places at once; [`ProtocolError`] says
    /// which. The connection is closed.
    Protocol(ProtocolError),
    /// The connection ended before the response was complete: before the
    /// head, or before the body's announced end.
    Incomplete(String),
    /// A redirect chain was longer than the session allows.
    TooManyRedirects {
        /// The configured maximum.
        max: usize,
        /// The URL the last redirect pointed to (boxed: a `Url` is large,
        /// and every `Result` in the client carries this enum).
        url: Box<Url>,
    },
    /// A redirect pointed somewhere the client will not follow (a scheme
    /// other than http/https, or an unparseable Location).
    RedirectRefused {
        /// The `Location` header as received.
        location: String,
        /// Why it was refused.
        reason: String,
    },
    /// The body (after decompression) was larger than the configured limit.
    BodyTooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// A gzip body had more concatenated members than the session allows
    /// ([`SessionBuilder::max_gzip_members`](crate::http::SessionBuilder::max_gzip_members)).
    /// The connection is closed.
    TooManyGzipMembers {
        /// The most members allowed.
        limit: u64,
    },
    /// A compressed body carried more input per decoded byte than the
    /// session allows
    /// ([`SessionBuilder::max_input_ratio`](crate::http::SessionBuilder::max_input_ratio)):
    /// bytes that decode to (almost) nothing, such as a flood of empty gzip
    /// members. The connection is closed.
    TooMuchInput {
        /// The most input bytes allowed per decoded byte.
        ratio: u64,
        /// The input bytes allowed before the ratio applies.
        slack: u64,
    },
    /// The body could not be decoded: an unsupported or corrupt
    /// Content-Encoding while reading it; in
    /// [`Response::text`](crate::http::Response::text), text in a charset
    /// not understood or not valid in the one it claimed; in
    /// [`Response::json`](crate::http::Response::json), a body that is not
    /// the JSON expected; [`DecodeError`] says which.
    Decode(DecodeError),
    /// [`Response::raise_for_status`](crate::http::Response::raise_for_status)
    /// found a 4xx or 5xx status.
    Status {
        /// The status code.
        status: u16,
        /// The reason phrase.
        reason: String,
        /// The URL that answered (boxed, as above).
        url: Box<Url>,
    },
    /// A socket error in the middle of an exchange (a reset, say).
    Io(io::Error),
    /// A [`BodyStream`](crate::http::BodyStream) given as the request body
    /// failed to produce its next chunk (a file read error, say); the
    /// request was abandoned part-way and its connection closed.
    RequestBody(io::Error),
}

/// Why a TLS handshake failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TlsErrorKind {
    /// The certificate is valid, but not for this host name or IP address.
    WrongHost,
    /// The certificate's validity period has ended (or not yet begun).
    Expired,
    /// The certificate signed itself and is not among the trusted roots.
    SelfSigned,
    /// The certificate chains to no trusted root: add the CA with
    /// [`SessionBuilder::add_root_certificate_pem`](crate::http::SessionBuilder::add_root_certificate_pem).
    UnknownIssuer,
    /// Anything else: a bad signature, a protocol alert, no shared cipher, a
    /// close during the handshake, ...
    Other,
}

/// Which deadline expired.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeoutKind {
    /// Getting a connection: waiting for the pool, DNS, TCP, TLS, proxy tunnel.
    Connect,
    /// Waiting for the next bytes from the server (the gap between reads).
    Read,
    /// The whole request, redirects and body included.
    Total,
}

/// How the server broke HTTP/1.1: the cause inside [`Error::Protocol`].
///
/// The first three carry the protocol parser's own error, which
/// [`source`](std::error::Error::source) returns too.
///
/// ```
/// use corio::http::{Error, FramingError, ProtocolError};
/// # fn cause(error: &Error) -> &'static str {
/// match error {
///     Error::Protocol(ProtocolError::Framing(FramingError::ConflictingContentLength { .. })) => "two lengths",
///     Error::Protocol(ProtocolError::Head(_)) => "a bad head",
///     Error::Protocol(_) => "another violation",
///     _ => "not a protocol error",
/// }
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProtocolError {
    /// The response head (or a proxy's answer to `CONNECT`) was malformed,
    /// larger than the session's `max_head_size`, or had too many fields.
    Head(HeadError),
    /// The head's Transfer-Encoding or Content-Length made the body's end
    /// ambiguous, or named a transfer coding the client does not decode.
    Framing(FramingError),
    /// The chunked framing of the body broke its grammar, found while
    /// reading the body.
    Chunked(ChunkedError),
    /// More than `max` interim (1xx) answers came before the final one; a
    /// server could otherwise stall a request with them forever.
    TooManyInterimResponses {
        /// The most interim answers skipped (16).
        max: usize,
    },
    /// The proxy sent bytes after accepting a `CONNECT` tunnel, before the
    /// TLS handshake: they would be the proxy's, not the origin's.
    DataAfterConnect,
    /// A redirect the client would follow carried two `Location` fields
    /// that differ (identical copies count as one). Which one the server
    /// meant is a guess, so it is refused, as conflicting Content-Lengths
    /// are; with redirects off (`max_redirects(0)`) the response is
    /// returned as it came.
    ConflictingLocation {
        /// The first `Location` received.
        first: String,
        /// A later one that differs from it.
        other: String,
    },
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProtocolError::Head(error) => write!(f, "{error}"),
            ProtocolError::Framing(error) => write!(f, "{error}"),
            ProtocolError::Chunked(error) => write!(f, "{error}"),
            ProtocolError::TooManyInterimResponses { max } => {
                write!(f, "more than {max} interim (1xx) responses before the final one")
            }
            ProtocolError::DataAfterConnect => write!(f, "the proxy sent data after accepting the CONNECT tunnel"),
            ProtocolError::ConflictingLocation { first, other } => write!(
                f,
                "redirect has conflicting location headers {first:?} and {other:?}; refusing to guess which to follow"
            ),
        }
    }
}

impl std::error::Error for ProtocolError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ProtocolError::Head(error) => Some(error),
            ProtocolError::Framing(error) => Some(error),
            ProtocolError::Chunked(error) => Some(error),
            ProtocolError::TooManyInterimResponses { .. }
            | ProtocolError::DataAfterConnect
            | ProtocolError::ConflictingLocation { .. } => None,
        }
    }
}

/// Why a body could not be decoded: the cause inside [`Error::Decode`].
///
/// [`Content`](DecodeError::Content) comes from reading the body (`chunk`,
/// `bytes`, `text`); [`Json`](DecodeError::Json) from
/// [`Response::json`](crate::http::Response::json); the rest only from [`Response::text`](crate::http::Response::text),
/// after the whole body arrived, so [`Response::bytes`](crate::http::Response::bytes)
/// would still have returned it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    /// The Content-Encoding could not be undone: unsupported, more than
    /// two codings, corrupt or truncated data. The content decoder's own
    /// error is the [`source`](std::error::Error::source).
    Content(ContentDecodeError),
    /// The body has a byte that is not valid in its encoding (the one
    /// [`Response::text`](crate::http::Response::text) chose: from a byte
    /// order mark, the `Content-Type` charset, a `<meta>`, or UTF-8).
    Malformed {
        /// The encoding's name, as the WHATWG Encoding Standard writes it
        /// (`UTF-8`, `GBK`, `Shift_JIS`).
        charset: &'static str,
        /// Offset of the first bad byte in the (decompressed) body.
        offset: usize,
    },
    /// The `charset` of `Content-Type` names no encoding of the WHATWG
    /// Encoding Standard; carries it as written.
    /// [`Response::text_lossy`](crate::http::Response::text_lossy) passes
    /// over it as browsers do.
    UnsupportedCharset(String),
    /// [`Response::json`](crate::http::Response::json) found a body that is
    /// not JSON, or not the JSON the target type expects (a missing field, a
    /// string where a number belongs). Line and column are 1-based, in the
    /// body's text; 0 when serde could not say.
    Json {
        /// The line of the body where decoding stopped.
        line: usize,
        /// The column (in bytes) on that line.
        column: usize,
        /// serde_json's description, without its position.
        reason: String,
    },
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Content(error) => write!(f, "{error}"),
            DecodeError::Malformed { charset, offset } => write!(
                f,
                "the body is not valid {charset} (first bad byte at offset {offset}); read it with text_lossy() or bytes() instead"
            ),
            DecodeError::UnsupportedCharset(name) => write!(
                f,
                "charset {name:?} is not an encoding this client knows; read the body with text_lossy() or bytes() instead"
            ),
            DecodeError::Json { line, column, reason } => write!(
                f,
                "the body is not the JSON expected, at line {line} column {column}: {reason}; read it with text() to see it"
            ),
        }
    }
}

impl std::error::Error for DecodeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DecodeError::Content(error) => Some(error),
            DecodeError::Malformed { .. } | DecodeError::UnsupportedCharset(_) | DecodeError::Json { .. } => None,
        }
    }
}

impl Error {
    /// True for every [`Error::Timeout`].
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Timeout { .. })
    }

    /// True when the server could not be reached at all (DNS or TCP connect),
    /// the errors a crawler usually retries.
    pub fn is_connect(&self) -> bool {
        matches!(self, Error::Dns { .. } | Error::Connect { .. })
    }

    /// The status code for [`Error::Status`] and [`Error::Proxy`].
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Status { status, .. } | Error::Proxy { status, .. } => Some(*status),
            _ => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Url(error) => write!(f, "{error}"),
            Error::InvalidRequest(why) => write!(f, "invalid request: {why}"),
            Error::Dns { host, source } => write!(f, "could not resolve host {host:?}: {source}"),
            Error::Connect { host, port, source } => write!(f, "could not connect to {host}:{port}: {source}"),
            Error::Tls { kind, host, detail } => {
                let what = match kind {
                    TlsErrorKind::WrongHost => "the server's certificate is not valid for this host name",
                    TlsErrorKind::Expired => "the server's certificate has expired or is not yet valid",
                    TlsErrorKind::SelfSigned => {
                        "the server's certificate is self-signed (add it as a root certificate to trust it)"
                    }
                    TlsErrorKind::UnknownIssuer => {
                        "the server's certificate was issued by an unknown authority (add the CA as a root certificate)"
                    }
                    TlsErrorKind::Other => "TLS handshake failed",
                };
                write!(f, "TLS error with {host}: {what} ({detail})")
            }
            Error::Timeout { kind, after } => {
                let what = match kind {
                    TimeoutKind::Connect => "connect timeout: no connection",
                    TimeoutKind::Read => "read timeout: the server sent nothing",
                    TimeoutKind::Total => "total timeout: the request did not finish",
                };
                write!(f, "{what} within {after:?}")
            }
            Error::Proxy { status: 407, reason } => {
                write!(f, "the proxy requires authentication (407 {reason}); put user:password in the proxy URL")
            }
            Error::Proxy { status, reason } => write!(f, "the proxy refused the tunnel: {status} {reason}"),
            Error::Protocol(why) => write!(f, "HTTP protocol error: {why}"),
            Error::Incomplete(why) => write!(f, "incomplete response: {why}"),
            Error::TooManyRedirects { max, url } => {
                write!(f, "too many redirects (more than {max}); last went to {url}")
            }
            Error::RedirectRefused { location, reason } => write!(f, "refusing redirect to {location:?}: {reason}"),
            Error::BodyTooLarge { limit } => {
                write!(f, "response body exceeds the limit of {limit} bytes (raise it with max_body_size)")
            }
            Error::TooManyGzipMembers { limit } => {
                write!(f, "response body has more than {limit} gzip members (raise it with max_gzip_members)")
            }
            Error::TooMuchInput { ratio, slack } => write!(
                f,
                "compressed response body carries more than {ratio} bytes per decoded byte after the first {slack}, \
                 as a flood of empty gzip members does (raise it with max_input_ratio)"
            ),
            Error::Decode(why) => write!(f, "could not decode the response body: {why}"),
            Error::Status { status, reason, url } => write!(f, "HTTP status {status} {reason} from {url}"),
            Error::Io(error) => write!(f, "connection error: {error}"),
            Error::RequestBody(error) => write!(f, "could not read the request body to send: {error}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Url(error) => Some(error),
            Error::Protocol(error) => Some(error),
            Error::Decode(error) => Some(error),
            Error::Dns { source, .. } | Error::Connect { source, .. } => Some(source),
            Error::Io(error) | Error::RequestBody(error) => Some(error),
            _ => None,
        }
    }
}

impl From<UrlError> for Error {
    fn from(error: UrlError) -> Self {
        Error::Url(error)
    }
}

impl From<ProtocolError> for Error {
    fn from(error: ProtocolError) -> Self {
        Error::Protocol(error)
    }
}

impl From<DecodeError> for Error {
    fn from(error: DecodeError) -> Self {
        Error::Decode(error)
    }
}

impl From<ConflictingLocations> for Error {
    fn from(conflict: ConflictingLocations) -> Self {
        Error::Protocol(ProtocolError::ConflictingLocation { first: conflict.first, other: conflict.other })
    }
}

impl From<RefusedRedirect> for Error {
    fn from(refused: RefusedRedirect) -> Self {
        Error::RedirectRefused { location: refused.location, reason: refused.reason }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::proto::redirect::resolve;

    #[test]
    fn a_refused_redirect_becomes_redirect_refused_with_the_same_message() {
        let from = Url::parse("http://example.com/a/b?q=1").unwrap();
        for location in ["ftp://example.com/file", "javascript:alert(1)", "mailto:a@example.com"] {
            let refused = resolve(&from, location).unwrap_err();
            let message = refused.to_string();
            let error = Error::from(refused);
            assert!(matches!(error, Error::RedirectRefused { .. }), "{location}: {error:?}");
            assert!(error.to_string().contains("only http and https"), "{error}");
            assert_eq!(error.to_string(), message);
        }
    }
}
