//! Reading a response head: finding where it ends in the bytes received so
//! far ([`HeadScanner`]) and turning it into a [`ResponseHead`]
//! ([`parse_head`]).
//!
//! This sits right after the request has been written: the connection reads
//! into a buffer, asks the scanner after every read whether the head is
//! complete, and once it is, parses it exactly once. The split is deliberate.
//! `httparse` can report "partial" itself, but calling it after every read
//! re-parses the status line and every header from the start each time, which
//! is O(n^2) in the number of reads for a head that trickles in; the scanner
//! only looks at the new bytes (plus two bytes of overlap). Both halves are
//! sans-IO: they take byte slices and return values, and know nothing of
//! sockets, so the tests below can feed a head split at every possible point.

use std::error::Error;
use std::fmt;

use crate::http::proto::headers::Headers;

/// Bounds on a response head, so a hostile or broken server cannot make the
/// client buffer without end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct HeadLimits {
    /// Most bytes a head may take, status line and final empty line included.
    pub(crate) max_head_bytes: usize,
    /// Most header fields a head may carry.
    pub(crate) max_headers: usize,
}

impl Default for HeadLimits {
    /// 64 KiB and 100 fields: the same order as browsers and common servers.
    fn default() -> HeadLimits {
        HeadLimits { max_head_bytes: 64 * 1024, max_headers: 100 }
    }
}

/// The parsed status line and header fields of a response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ResponseHead {
    /// The minor HTTP version: 0 for HTTP/1.0, 1 for HTTP/1.1.
    pub(crate) version: u8,
    /// The three-digit status code, such as 200; always 100 to 599.
    pub(crate) status: u16,
    /// The reason phrase, such as `OK`; empty if it was missing or not UTF-8.
    pub(crate) reason: String,
    /// The header fields in the order received; values decoded by `decode_value`.
    pub(crate) headers: Headers,
}

/// Finds the end of a response head in a buffer that grows read by read,
/// looking at each byte about once.
///
/// The head ends at the first empty line. `httparse` accepts a bare LF as a
/// line ending, so the terminator is an LF followed by an optional CR and an
/// LF: `\r\n\r\n`, `\n\n`, and the mixed `\n\r\n`, `\r\n\n` all count, exactly
/// the set `httparse` itself stops at. Empty lines before the status line are
/// skipped, as `httparse` skips them.
#[derive(Clone, Debug, Default)]
pub(crate) struct HeadScanner {
    /// Where the status line begins, once a byte other than CR or LF has arrived.
    start: Option<usize>,
    /// Where the next scan resumes: up to here no terminator begins, except
    /// possibly in the last two bytes, which may be the start of a split one.
    resume: usize,
}

/// How many bytes of the status line are checked against `HTTP/` before the
/// head is complete, so a server speaking another protocol fails at once.
const HTTP_PREFIX: &[u8] = b"HTTP/";

/// How many bytes of a malformed head are quoted in the error.
const QUOTED_PREFIX: usize = 32;

impl HeadScanner {
    /// A scanner that has seen nothing yet.
    pub(crate) fn new() -> HeadScanner {
        HeadScanner::default()
    }

    /// Forgets everything scanned, ready for the next head.
    pub(crate) fn reset(&mut self) {
        *self = HeadScanner::default();
    }

    /// Looks for the end of the head in `buf`, which holds every byte received
    /// for this head so far (the same bytes as last call, plus new ones).
    ///
    /// Returns `Ok(Some(len))` with the length of the head including its
    /// terminator (body bytes may follow it in `buf`), `Ok(None)` if more bytes
    /// are needed, and an error if the head is over `limits.max_head_bytes` or
    /// the bytes are clearly not an HTTP response.
    pub(crate) fn scan(&mut self, buf: &[u8], limits: &HeadLimits) -> Result<Option<usize>, HeadError> {
        // Only the first `max_head_bytes` can hold a head we would accept, so
        // never search past them, however much the caller has buffered.
        let window = &buf[..buf.len().min(limits.max_head_bytes)];
        let too_large = || HeadError::HeadTooLarge { limit: limits.max_head_bytes };
        // The caller broke the contract if the buffer shrank; starting over
        // from the beginning is correct and cannot index out of bounds.
        if self.resume > window.len() {
            self.reset();
        }

        // Step 1: skip empty lines before the status line, once.
        let start = match self.start {
            Some(start) => start,
            None => match window[self.resume..].iter().position(|&b| b != b'\r' && b != b'\n') {
                Some(offset) => *self.start.insert(self.resume + offset),
                None => {
                    self.resume = window.len();
                    return if buf.len() > limits.max_head_bytes { Err(too_large()) } else { Ok(None) };
                }
            },
        };

        // Step 2: fail fast on a peer that is not speaking HTTP (an SSH banner,
        // a TLS alert sent to a plain-text port): it may never send the empty
        // line we are waiting for.
        let line = &window[start..];
        let checked = line.len().min(HTTP_PREFIX.len());
        if line[..checked] != HTTP_PREFIX[..checked] {
            return Err(malformed("response does not start with HTTP/", &buf[start..]));
        }

        // Step 3: look for LF [CR] LF from where the last scan stopped. A
        // terminator is at most three bytes, so one that began in the last two
        // bytes of the previous buffer is still found by resuming two back.
        let mut from = self.resume.max(start);
        while let Some(offset) = window[from..].iter().position(|&b| b == b'\n') {
            let lf = from + offset;
            match (window.get(lf + 1), window.get(lf + 2)) {
                (Some(b'\n'), _) => return Ok(Some(lf + 2)),
                (Some(b'\r'), Some(b'\n')) => return Ok(Some(lf + 3)),
                _ => from = lf + 1,
            }
        }
        self.resume = window.len().saturating_sub(2).max(start);

        // Step 4: no terminator within the limit. If bytes beyond the limit
        // have arrived, any terminator would end past it: give up now.
        if buf.len() > limits.max_head_bytes { Err(too_large()) } else { Ok(None) }
    }
}

/// Parses a complete head (as delimited by [`HeadScanner::scan`]) with one
/// call to `httparse`.
pub(crate) fn parse_head(head: &[u8], limits: &HeadLimits) -> Result<ResponseHead, HeadError> {
    // httparse writes into a caller-provided header array. Up to 100 fields
    // (the default limit) a stack array costs no allocation; a larger limit
    // gets one Vec, allocated once for this parse.
    const STACK_HEADERS: usize = 100;
    if limits.max_headers <= STACK_HEADERS {
        let mut storage = [httparse::EMPTY_HEADER; STACK_HEADERS];
        parse_into(head, &mut storage[..limits.max_headers], limits)
    } else {
        let mut storage = vec![httparse::EMPTY_HEADER; limits.max_headers];
        parse_into(head, &mut storage, limits)
    }
}

/// Runs httparse over `head` with `slots` for the fields and copies the result
/// out into owned values.
fn parse_into<'b>(
    head: &'b [u8],
    slots: &mut [httparse::Header<'b>],
    limits: &HeadLimits,
) -> Result<ResponseHead, HeadError> {
    let mut response = httparse::Response::new(slots);
    let parsed = httparse::ParserConfig::default()
        // `HTTP/1.1  200  OK` with doubled spaces is sent by real servers and
        // unambiguous, so accept it.
        .allow_multiple_spaces_in_response_status_delimiters(true)
        // RFC 9112 section 5.2: a user agent that receives an obsolete line
        // folding in a response must replace it with spaces, not reject it.
        .allow_obsolete_multiline_headers_in_responses(true)
        .parse_response(&mut response, head);
    match parsed {
        Ok(httparse::Status::Complete(_)) => {}
        Ok(httparse::Status::Partial) => return Err(malformed("head ends before it is complete", head)),
        Err(httparse::Error::TooManyHeaders) => return Err(HeadError::TooManyHeaders { limit: limits.max_headers }),
        Err(error) => return Err(malformed(&error.to_string(), head)),
    }

    // httparse takes any three digits; RFC 9110 section 15 allows only 100
    // to 599. A `099` or a `600` is not a status a client can act on (it
    // has no class), so the response is refused as malformed.
    let status = response.code.unwrap_or(0);
    if !(100..=599).contains(&status) {
        return Err(malformed(&format!("status code {status:03} is not between 100 and 599"), head));
    }

    // One buffer for all the names and values, sized exactly.
    let text_length = response.headers.iter().map(|field| field.name.len() + field.value.len()).sum();
    let mut headers = Headers::with_text_capacity(response.headers.len(), text_length);
    for field in response.headers.iter() {
        headers.append_received(field.name, field.value);
    }
    // After `Complete`, httparse has filled version, code and reason.
    Ok(ResponseHead {
        version: response.version.unwrap_or(0),
        status,
        reason: response.reason.unwrap_or("").to_owned(),
        headers,
    })
}

/// Builds a [`HeadError::Malformed`] quoting the start of the bytes, escaped,
/// so the user can see what the server actually sent.
fn malformed(reason: &str, bytes: &[u8]) -> HeadError {
    let quoted = &bytes[..bytes.len().min(QUOTED_PREFIX)];
    let mut start: String = quoted.escape_ascii().to_string();
    if bytes.len() > QUOTED_PREFIX {
        start.push_str("...");
    }
    HeadError::Malformed { reason: reason.to_owned(), start }
}

/// Why a response head (or a proxy's answer to `CONNECT`) could not be
/// read: the cause inside [`ProtocolError::Head`](crate::http::ProtocolError::Head).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum HeadError {
    /// The head did not end within `limit` bytes (the session's
    /// `max_head_size`, 64 KiB by default).
    HeadTooLarge {
        /// The `max_head_bytes` in force.
        limit: usize,
    },
    /// The head carried more than `limit` header fields (100 by default).
    TooManyHeaders {
        /// The `max_headers` in force.
        limit: usize,
    },
    /// The bytes are not a valid HTTP/1.x response head: the status line or a
    /// header line is malformed, the status code is outside 100 to 599
    /// (`HTTP/1.1 099`), or the peer is not speaking HTTP at all.
    Malformed {
        /// What is wrong, mostly in httparse's words (such as `invalid
        /// response status`).
        reason: String,
        /// The first bytes of the head, escaped for display.
        start: String,
    },
}

impl fmt::Display for HeadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HeadError::HeadTooLarge { limit } => {
                write!(f, "response head is larger than {limit} bytes; raise max_head_bytes if the server is trusted")
            }
            HeadError::TooManyHeaders { limit } => {
                write!(f, "response has more than {limit} header fields; raise max_headers if the server is trusted")
            }
            HeadError::Malformed { reason, start } => write!(f, "malformed response head ({reason}): \"{start}\""),
        }
    }
}

impl Error for HeadError {}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: HeadLimits = HeadLimits { max_head_bytes: 64 * 1024, max_headers: 100 };

    /// Feeds `bytes` to a fresh scanner in pieces cut at `cuts`, then parses
    /// what it found, as the connection will.
    fn read_in_pieces(bytes: &[u8], cuts: &[usize], limits: &HeadLimits) -> Result<Option<ResponseHead>, HeadError> {
        let mut scanner = HeadScanner::new();
        for &end in cuts.iter().chain([&bytes.len()]) {
            if let Some(len) = scanner.scan(&bytes[..end], limits)? {
                return parse_head(&bytes[..len], limits).map(Some);
            }
        }
        Ok(None)
    }

    fn fields(head: &ResponseHead) -> Vec<(&str, &str)> {
        head.headers.iter().collect()
    }

    #[test]
    fn scanner_finds_the_same_end_whole_and_at_every_split_point() {
        let cases: &[(&[u8], Option<usize>)] = &[
            (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", Some(38)),
            (b"HTTP/1.1 204 No Content\r\n\r\n", Some(27)),
            (b"HTTP/1.0 200 OK\nA: b\n\nbody", Some(22)),
            (b"HTTP/1.1 200 OK\r\nA: b\n\r\n", Some(24)),
            (b"HTTP/1.1 200 OK\nA: b\r\n\n", Some(23)),
            (b"\r\n\nHTTP/1.1 200 OK\r\n\r\n", Some(22)),
            (b"HTTP/1.1 200 OK\r\nA: b\r\n", None),
            (b"HTTP/1.1 200 OK\r\nA: b\r\n\r", None),
            (b"HTTP/1.1 200 OK\r\r\n", None),
            (b"\r\n", None),
        ];
        for &(bytes, expected) in cases {
            let whole = HeadScanner::new().scan(bytes, &LIMITS);
            assert_eq!(whole, Ok(expected), "whole {:?}", bytes.escape_ascii().to_string());
            // Every single split point, then the same head one byte at a time.
            let all_bytes: Vec<usize> = (1..bytes.len()).collect();
            let splits = (1..bytes.len()).map(|cut| vec![cut]).chain([all_bytes]);
            for cuts in splits {
                let mut scanner = HeadScanner::new();
                let mut found = Ok(None);
                for &end in cuts.iter().chain([&bytes.len()]) {
                    found = scanner.scan(&bytes[..end], &LIMITS);
                    if found != Ok(None) {
                        break;
                    }
                }
                assert_eq!(found, whole, "cuts {cuts:?} of {:?}", bytes.escape_ascii().to_string());
            }
        }
    }

    #[test]
    fn heads_parse_alike_whole_and_split() {
        // (bytes, version, status, reason, fields)
        type Case<'a> = (&'a [u8], u8, u16, &'a str, &'a [(&'a str, &'a str)]);
        let cases: &[Case] = &[
            (
                b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nA:  b \r\n\r\nhello",
                1,
                200,
                "OK",
                &[("Content-Length", "5"), ("A", "b")],
            ),
            (b"HTTP/1.0 404 Not Found\n\n", 0, 404, "Not Found", &[]),
            (b"HTTP/1.1 200\r\nX: 1\r\n\r\n", 1, 200, "", &[("X", "1")]),
            (b"HTTP/1.1  301  Moved\r\n\r\n", 1, 301, "Moved", &[]),
            (b"\r\nHTTP/1.1 100 Continue\r\n\r\n", 1, 100, "Continue", &[]),
            (b"HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n", 1, 200, "OK", &[("X", "a   b")]),
            (
                b"HTTP/1.1 200 OK\r\nX: caf\xe9\r\nY: caf\xc3\xa9\r\n\r\n",
                1,
                200,
                "OK",
                &[("X", "caf\u{e9}"), ("Y", "caf\u{e9}")],
            ),
            (b"HTTP/1.1 200 \xe9t\xe9\r\n\r\n", 1, 200, "", &[]),
        ];
        for &(bytes, version, status, reason, expected_fields) in cases {
            for cut in 0..bytes.len() {
                let head = read_in_pieces(bytes, &[cut], &LIMITS);
                let label = format!("{:?} cut at {cut}", bytes.escape_ascii().to_string());
                let Ok(Some(head)) = head else { panic!("{label}: {head:?}") };
                assert_eq!((head.version, head.status, head.reason.as_str()), (version, status, reason), "{label}");
                assert_eq!(fields(&head), expected_fields, "{label}");
            }
        }
    }

    #[test]
    fn head_size_limit_is_inclusive() {
        let head = b"HTTP/1.1 200 OK\r\nA: b\r\n\r\n";
        let n = head.len();
        let limits = |max_head_bytes| HeadLimits { max_head_bytes, max_headers: 100 };
        let too_large = |limit| Err(HeadError::HeadTooLarge { limit });
        // (bytes received, limit, expected)
        type Case<'a> = (&'a [u8], usize, Result<Option<usize>, HeadError>);
        let cases: &[Case] = &[
            (head, n, Ok(Some(n))),
            (head, n - 1, too_large(n - 1)),
            (b"HTTP/1.1 200 OK\r\nA: b\r\n\r\nbody past the limit", n, Ok(Some(n))),
            (b"HTTP/1.1 200 OK\r\nA: b", 21, Ok(None)),
            (b"HTTP/1.1 200 OK\r\nA: bc", 21, too_large(21)),
            (b"\r\n\r\n\r\n", 5, too_large(5)),
        ];
        for (bytes, limit, expected) in cases {
            assert_eq!(&HeadScanner::new().scan(bytes, &limits(*limit)), expected, "limit {limit}");
            // Fed one byte at a time, the answer is the same.
            let cuts: Vec<usize> = (1..bytes.len()).collect();
            let mut scanner = HeadScanner::new();
            let mut found = Ok(None);
            for end in cuts.into_iter().chain([bytes.len()]) {
                found = scanner.scan(&bytes[..end], &limits(*limit));
                if found != Ok(None) {
                    break;
                }
            }
            assert_eq!(&found, expected, "limit {limit}, byte by byte");
        }
    }

    #[test]
    fn header_count_limit_is_inclusive() {
        let head_with = |n: usize| {
            let mut head = b"HTTP/1.1 200 OK\r\n".to_vec();
            (0..n).for_each(|i| head.extend_from_slice(format!("X-{i}: v\r\n").as_bytes()));
            head.extend_from_slice(b"\r\n");
            head
        };
        // (fields sent, max_headers, accepted): both the stack and the Vec paths.
        let cases =
            [(0, 0, true), (1, 0, false), (100, 100, true), (101, 100, false), (150, 150, true), (151, 150, false)];
        for (sent, max_headers, accepted) in cases {
            let limits = HeadLimits { max_head_bytes: 64 * 1024, max_headers };
            let parsed = parse_head(&head_with(sent), &limits);
            match parsed {
                Ok(head) if accepted => assert_eq!(head.headers.len(), sent),
                Err(HeadError::TooManyHeaders { limit }) if !accepted => assert_eq!(limit, max_headers),
                other => panic!("{sent} fields, max {max_headers}: {other:?}"),
            }
        }
    }

    #[test]
    fn malformed_heads_quote_what_was_received() {
        let cases: &[(&[u8], &str)] = &[
            (
                b"SSH-2.0-OpenSSH_9.6\r\n",
                r#"malformed response head (response does not start with HTTP/): "SSH-2.0-OpenSSH_9.6\r\n""#,
            ),
            (
                b"\x15\x03\x01\x00\x02",
                r#"malformed response head (response does not start with HTTP/): "\x15\x03\x01\x00\x02""#,
            ),
            (
                b"HTTP/1.1 2000 OK\r\n\r\n",
                r#"malformed response head (invalid response status): "HTTP/1.1 2000 OK\r\n\r\n""#,
            ),
            (b"HTTP/1.1 OK\r\n\r\n", r#"malformed response head (invalid response status): "HTTP/1.1 OK\r\n\r\n""#),
            (
                b"HTTP/1.1 099 Odd\r\n\r\n",
                r#"malformed response head (status code 099 is not between 100 and 599): "HTTP/1.1 099 Odd\r\n\r\n""#,
            ),
            (
                b"HTTP/1.1 000\r\n\r\n",
                r#"malformed response head (status code 000 is not between 100 and 599): "HTTP/1.1 000\r\n\r\n""#,
            ),
            (
                b"HTTP/1.1 600 Beyond\r\n\r\n",
                r#"malformed response head (status code 600 is not between 100 and 599): "HTTP/1.1 600 Beyond\r\n\r\n""#,
            ),
            (
                b"HTTP/2.0 200 OK\r\n\r\n",
                r#"malformed response head (invalid HTTP version): "HTTP/2.0 200 OK\r\n\r\n""#,
            ),
            (
                b"HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
                r#"malformed response head (invalid header name): "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n""#,
            ),
            (
                b"HTTP/1.1 200 OK\r\nX: a\x01b\r\nPadding-To-Make-It-Long: y\r\n\r\n",
                r#"malformed response head (invalid header value): "HTTP/1.1 200 OK\r\nX: a\x01b\r\nPadding...""#,
            ),
        ];
        for &(bytes, message) in cases {
            let whole = read_in_pieces(bytes, &[], &LIMITS);
            let Err(HeadError::Malformed { reason, .. }) = &whole else { panic!("{message}: {whole:?}") };
            assert_eq!(whole.as_ref().map_err(ToString::to_string).err().as_deref(), Some(message));
            // Split anywhere, the same fault is found; a non-HTTP peer is caught
            // early, so the quote may hold fewer bytes.
            for cut in 1..bytes.len() {
                match read_in_pieces(bytes, &[cut], &LIMITS) {
                    Err(HeadError::Malformed { reason: split_reason, .. }) => assert_eq!(&split_reason, reason),
                    other => panic!("{message} cut at {cut}: {other:?}"),
                }
            }
        }
    }

    #[test]
    fn parse_head_reports_a_head_cut_short() {
        let error = parse_head(b"HTTP/1.1 200 OK\r\nA: b\r\n", &LIMITS);
        assert!(
            matches!(error, Err(HeadError::Malformed { ref reason, .. }) if reason == "head ends before it is complete")
        );
    }

    #[test]
    fn reset_scanner_reads_the_next_head() {
        let mut scanner = HeadScanner::new();
        assert_eq!(scanner.scan(b"HTTP/1.1 200 OK\r\nLong-Header: xxxxxxxx", &LIMITS), Ok(None));
        scanner.reset();
        assert_eq!(scanner.scan(b"HTTP/1.1 204 OK\r\n\r\n", &LIMITS), Ok(Some(19)));
    }
}
