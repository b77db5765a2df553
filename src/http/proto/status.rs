//! [`StatusCode`]: the three-digit status of a response, with its class
//! (informational, success, redirection, client error, server error) and
//! its canonical reason phrase.
//!
//! The response head parser reads the number (`head.rs`); this type is what
//! `Response::status()` hands the caller, so `status().is_success()` reads
//! as it does with reqwest, while `status() == 200` still compiles.

use std::fmt;

/// An HTTP status code, 100 to 599 (RFC 9110 section 15: "all valid status
/// codes are within the range of 100 to 599, inclusive").
///
/// It compares with the bare number (`==`, `<`), and `Display` writes only the
/// number (the reason phrase is [`canonical_reason`](Self::canonical_reason),
/// or the server's own in [`Response::reason`](crate::http::Response::reason)).
///
/// ```
/// use corio::http::StatusCode;
/// let status = StatusCode::from_u16(404).unwrap();
/// assert!(status.is_client_error() && !status.is_success());
/// assert_eq!(status, StatusCode::NOT_FOUND);
/// assert_eq!(status, 404);
/// assert_eq!(status.canonical_reason(), Some("Not Found"));
/// assert_eq!(format!("{status} {}", status.canonical_reason().unwrap()), "404 Not Found");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StatusCode(u16);

impl StatusCode {
    /// 100 Continue.
    pub const CONTINUE: StatusCode = StatusCode(100);
    /// 101 Switching Protocols.
    pub const SWITCHING_PROTOCOLS: StatusCode = StatusCode(101);
    /// 200 OK.
    pub const OK: StatusCode = StatusCode(200);
    /// 201 Created.
    pub const CREATED: StatusCode = StatusCode(201);
    /// 202 Accepted.
    pub const ACCEPTED: StatusCode = StatusCode(202);
    /// 204 No Content.
    pub const NO_CONTENT: StatusCode = StatusCode(204);
    /// 206 Partial Content.
    pub const PARTIAL_CONTENT: StatusCode = StatusCode(206);
    /// 301 Moved Permanently.
    pub const MOVED_PERMANENTLY: StatusCode = StatusCode(301);
    /// 302 Found.
    pub const FOUND: StatusCode = StatusCode(302);
    /// 303 See Other.
    pub const SEE_OTHER: StatusCode = StatusCode(303);
    /// 304 Not Modified.
    pub const NOT_MODIFIED: StatusCode = StatusCode(304);
    /// 307 Temporary Redirect.
    pub const TEMPORARY_REDIRECT: StatusCode = StatusCode(307);
    /// 308 Permanent Redirect.
    pub const PERMANENT_REDIRECT: StatusCode = StatusCode(308);
    /// 400 Bad Request.
    pub const BAD_REQUEST: StatusCode = StatusCode(400);
    /// 401 Unauthorized.
    pub const UNAUTHORIZED: StatusCode = StatusCode(401);
    /// 403 Forbidden.
    pub const FORBIDDEN: StatusCode = StatusCode(403);
    /// 404 Not Found.
    pub const NOT_FOUND: StatusCode = StatusCode(404);
    /// 405 Method Not Allowed.
    pub const METHOD_NOT_ALLOWED: StatusCode = StatusCode(405);
    /// 407 Proxy Authentication Required.
    pub const PROXY_AUTHENTICATION_REQUIRED: StatusCode = StatusCode(407);
    /// 408 Request Timeout.
    pub const REQUEST_TIMEOUT: StatusCode = StatusCode(408);
    /// 410 Gone.
    pub const GONE: StatusCode = StatusCode(410);
    /// 413 Content Too Large.
    pub const CONTENT_TOO_LARGE: StatusCode = StatusCode(413);
    /// 418 I'm a Teapot.
    pub const IM_A_TEAPOT: StatusCode = StatusCode(418);
    /// 429 Too Many Requests.
    pub const TOO_MANY_REQUESTS: StatusCode = StatusCode(429);
    /// 500 Internal Server Error.
    pub const INTERNAL_SERVER_ERROR: StatusCode = StatusCode(500);
    /// 501 Not Implemented.
    pub const NOT_IMPLEMENTED: StatusCode = StatusCode(501);
    /// 502 Bad Gateway.
    pub const BAD_GATEWAY: StatusCode = StatusCode(502);
    /// 503 Service Unavailable.
    pub const SERVICE_UNAVAILABLE: StatusCode = StatusCode(503);
    /// 504 Gateway Timeout.
    pub const GATEWAY_TIMEOUT: StatusCode = StatusCode(504);

    /// The status `code`, if it is a valid one (100 to 599; a code the
    /// registry does not name, such as 299, is still a status).
    pub const fn from_u16(code: u16) -> Option<StatusCode> {
        if code >= 100 && code <= 599 { Some(StatusCode(code)) } else { None }
    }

    /// A status as the head parser read it, which refuses any code outside
    /// 100 to 599 (`parse_head`), so it is always a valid one.
    pub(crate) const fn from_head(code: u16) -> StatusCode {
        StatusCode(code)
    }

    /// The number, such as 200.
    pub const fn as_u16(self) -> u16 {
        self.0
    }

    /// 1xx: an interim answer (the client skips them, except 101).
    pub const fn is_informational(self) -> bool {
        self.0 >= 100 && self.0 < 200
    }

    /// 2xx: the request succeeded.
    pub const fn is_success(self) -> bool {
        self.0 >= 200 && self.0 < 300
    }

    /// 3xx: look elsewhere (the session follows 301, 302, 303, 307 and 308
    /// unless redirects are off).
    pub const fn is_redirection(self) -> bool {
        self.0 >= 300 && self.0 < 400
    }

    /// 4xx: the request was wrong (or unwelcome: 403, 429).
    pub const fn is_client_error(self) -> bool {
        self.0 >= 400 && self.0 < 500
    }

    /// 5xx: the server failed.
    pub const fn is_server_error(self) -> bool {
        self.0 >= 500 && self.0 < 600
    }

    /// The reason phrase the IANA registry gives the code, as Python's
    /// `http.HTTPStatus` (and so aiohttp) spells it; `None` for a code it
    /// does not register.
    pub const fn canonical_reason(self) -> Option<&'static str> {
        Some(match self.0 {
            100 => "Continue",
            101 => "Switching Protocols",
            102 => "Processing",
            103 => "Early Hints",
            200 => "OK",
            201 => "Created",
            202 => "Accepted",
            203 => "Non-Authoritative Information",
            204 => "No Content",
            205 => "Reset Content",
            206 => "Partial Content",
            207 => "Multi-Status",
            208 => "Already Reported",
            226 => "IM Used",
            300 => "Multiple Choices",
            301 => "Moved Permanently",
            302 => "Found",
            303 => "See Other",
            304 => "Not Modified",
            305 => "Use Proxy",
            307 => "Temporary Redirect",
            308 => "Permanent Redirect",
            400 => "Bad Request",
            401 => "Unauthorized",
            402 => "Payment Required",
            403 => "Forbidden",
            404 => "Not Found",
            405 => "Method Not Allowed",
            406 => "Not Acceptable",
            407 => "Proxy Authentication Required",
            408 => "Request Timeout",
            409 => "Conflict",
            410 => "Gone",
            411 => "Length Required",
            412 => "Precondition Failed",
            413 => "Content Too Large",
            414 => "URI Too Long",
            415 => "Unsupported Media Type",
            416 => "Range Not Satisfiable",
            417 => "Expectation Failed",
            418 => "I'm a Teapot",
            421 => "Misdirected Request",
            422 => "Unprocessable Content",
            423 => "Locked",
            424 => "Failed Dependency",
            425 => "Too Early",
            426 => "Upgrade Required",
            428 => "Precondition Required",
            429 => "Too Many Requests",
            431 => "Request Header Fields Too Large",
            451 => "Unavailable For Legal Reasons",
            500 => "Internal Server Error",
            501 => "Not Implemented",
            502 => "Bad Gateway",
            503 => "Service Unavailable",
            504 => "Gateway Timeout",
            505 => "HTTP Version Not Supported",
            506 => "Variant Also Negotiates",
            507 => "Insufficient Storage",
            508 => "Loop Detected",
            510 => "Not Extended",
            511 => "Network Authentication Required",
            _ => return None,
        })
    }
}

impl fmt::Display for StatusCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl fmt::Debug for StatusCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.canonical_reason() {
            Some(reason) => write!(f, "{} {reason}", self.0),
            None => write!(f, "{}", self.0),
        }
    }
}

impl PartialEq<u16> for StatusCode {
    fn eq(&self, other: &u16) -> bool {
        self.0 == *other
    }
}

impl PartialEq<StatusCode> for u16 {
    fn eq(&self, other: &StatusCode) -> bool {
        *self == other.0
    }
}

impl PartialOrd<u16> for StatusCode {
    fn partial_cmp(&self, other: &u16) -> Option<std::cmp::Ordering> {
        Some(self.0.cmp(other))
    }
}

impl From<StatusCode> for u16 {
    fn from(status: StatusCode) -> u16 {
        status.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_class_is_its_hundred() {
        // (code, informational, success, redirection, client, server)
        let table = [
            (100, true, false, false, false, false),
            (199, true, false, false, false, false),
            (200, false, true, false, false, false),
            (299, false, true, false, false, false),
            (300, false, false, true, false, false),
            (399, false, false, true, false, false),
            (400, false, false, false, true, false),
            (499, false, false, false, true, false),
            (500, false, false, false, false, true),
            (599, false, false, false, false, true),
        ];
        for (code, info, success, redirection, client, server) in table {
            let status = StatusCode::from_u16(code).unwrap();
            let classes = (
                status.is_informational(),
                status.is_success(),
                status.is_redirection(),
                status.is_client_error(),
                status.is_server_error(),
            );
            assert_eq!(classes, (info, success, redirection, client, server), "{code}");
        }
        for invalid in [0, 99, 600, 999, 1000] {
            assert_eq!(StatusCode::from_u16(invalid), None, "{invalid}");
        }
    }

    #[test]
    fn reasons_are_the_registrys() {
        let reason = |code| StatusCode::from_u16(code).and_then(StatusCode::canonical_reason);
        assert_eq!(reason(200), Some("OK"));
        assert_eq!(reason(413), Some("Content Too Large"));
        assert_eq!(reason(418), Some("I'm a Teapot"));
        assert_eq!(reason(429), Some("Too Many Requests"));
        assert_eq!(reason(599), None);
        assert_eq!(format!("{:?}", StatusCode::SERVICE_UNAVAILABLE), "503 Service Unavailable");
        assert_eq!(StatusCode::OK.to_string(), "200");
        assert_eq!(u16::from(StatusCode::FOUND), 302);
        assert!(StatusCode::NOT_FOUND >= 400 && StatusCode::OK < 300 && 200 == StatusCode::OK);
    }
}
