//! How a failed transfer ends: curl's exit status for each kind of
//! [`Error`], so scripts written for curl (`case $?`) read fetch the same.

use corio::http::{Error, TlsErrorKind, UrlError};

/// A failed run: the exit status and what to print (nothing when stdout
/// was closed under us, as by `fetch URL | head`: the reader is gone and so
/// is the need to explain).
#[derive(Debug)]
pub struct Failure {
    /// curl's exit status for this failure.
    pub code: u8,
    /// The message for stderr, without the `fetch: (code)` prefix.
    pub message: Option<String>,
}

/// Bad arguments (curl: "failed to initialize").
pub const BAD_ARGUMENTS: u8 = 2;
/// `-f` and a status of 400 or more.
pub const HTTP_ERROR: u8 = 22;
/// The output could not be written.
pub const WRITE_ERROR: u8 = 23;
/// A `-d @FILE`, `-w @FILE` or `--cacert` file could not be read.
pub const READ_ERROR: u8 = 26;

impl Failure {
    /// A failure with a message.
    pub fn new(code: u8, message: impl Into<String>) -> Failure {
        Failure { code, message: Some(message.into()) }
    }
}

impl From<Error> for Failure {
    fn from(error: Error) -> Failure {
        Failure::new(code(&error), error.to_string())
    }
}

/// curl's exit status for a client error.
pub fn code(error: &Error) -> u8 {
    match error {
        // CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT.
        Error::Url(UrlError::UnsupportedScheme(_)) => 1,
        Error::Url(_) => 3,
        // A header or method that would break the framing came from -H or -X.
        Error::InvalidRequest(_) => BAD_ARGUMENTS,
        // CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_CONNECT.
        Error::Dns { .. } => 6,
        Error::Connect { .. } => 7,
        // CURLE_PEER_FAILED_VERIFICATION for a certificate that is not
        // trusted for this name now; CURLE_SSL_CONNECT_ERROR for the rest.
        Error::Tls { kind, .. } => match kind {
            TlsErrorKind::WrongHost
            | TlsErrorKind::Expired
            | TlsErrorKind::SelfSigned
            | TlsErrorKind::UnknownIssuer => 60,
            _ => 35,
        },
        // CURLE_OPERATION_TIMEDOUT, whichever deadline it was.
        Error::Timeout { .. } => 28,
        // CURLE_RECV_ERROR: curl's answer to a refused CONNECT and to a
        // socket error mid-exchange.
        Error::Proxy { .. } | Error::Io(_) => 56,
        // CURLE_WEIRD_SERVER_REPLY, CURLE_PARTIAL_FILE.
        Error::Protocol(_) => 8,
        Error::Incomplete(_) => 18,
        // CURLE_TOO_MANY_REDIRECTS; a refused Location is a protocol curl
        // would not follow either.
        Error::TooManyRedirects { .. } => 47,
        Error::RedirectRefused { .. } => 1,
        // CURLE_FILESIZE_EXCEEDED, CURLE_BAD_CONTENT_ENCODING.
        Error::BodyTooLarge { .. } => 63,
        Error::Decode(_) => 61,
        Error::Status { .. } => HTTP_ERROR,
        // A kind of error added to the library after this was written.
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use std::io;
    use std::time::Duration;

    use corio::http::TimeoutKind;

    use super::*;

    #[test]
    fn network_failures_get_curls_codes() {
        let dns = Error::Dns { host: "nowhere".into(), source: io::Error::other("no such name") };
        let refused = io::Error::from(io::ErrorKind::ConnectionRefused);
        let connect = Error::Connect { host: "127.0.0.1".into(), port: 1, source: refused };
        let timeout = Error::Timeout { kind: TimeoutKind::Total, after: Duration::from_secs(1) };
        let tls = |kind| Error::Tls { kind, host: "h".into(), detail: String::new() };
        let cases = [
            (dns, 6),
            (connect, 7),
            (timeout, 28),
            (tls(TlsErrorKind::UnknownIssuer), 60),
            (tls(TlsErrorKind::WrongHost), 60),
            (tls(TlsErrorKind::Other), 35),
            (Error::Url(UrlError::UnsupportedScheme("ftp".into())), 1),
            (Error::Incomplete("cut".into()), 18),
        ];
        for (error, expected) in cases {
            assert_eq!(code(&error), expected, "{error:?}");
        }
    }
}
