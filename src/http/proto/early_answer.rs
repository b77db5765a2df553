//! What the server has said while the request body is still being written:
//! nothing yet, interim (1xx) answers only, the start of a final answer
//! that accepts the body, or the start of one that refuses it.
//!
//! A server may answer before it has read the whole body (RFC 9112 9.5): a
//! `413 Payload Too Large` after the head, say, and then close. The client
//! half reads what arrives while it writes and asks [`classify`] whether to
//! go on. The rule is curl's: a final status of 300 or more stops the body
//! (the server does not want it, and will likely reset the connection if
//! more comes); a 2xx or 101 lets it go on (the server may be streaming its
//! answer while it reads, as an echo service does); a 1xx is interim and
//! changes nothing. Only the status line is needed to decide, so a refusal
//! is seen from its first twelve bytes.

use crate::http::proto::head::{HeadLimits, HeadScanner, parse_head};

/// What the bytes received so far mean for the body being sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EarlyAnswer {
    /// Nothing, or only interim heads and maybe the start of another one
    /// (or too few bytes of a status line to tell): keep sending the body,
    /// and keep watching.
    Undecided,
    /// A final 2xx or 101 has begun: keep sending the body. Stop watching:
    /// the answer is read once the body is out.
    Accepting,
    /// A final answer of 300 or more has begun, or bytes that cannot be a
    /// run of interim heads (a malformed head, one over the size limit,
    /// more than `max_interim` interim ones): stop sending and read the
    /// answer, whose parse reports anything malformed.
    Refusing,
}

/// The status line up to and including its code: `HTTP/1.x NNN`.
const STATUS_PREFIX: usize = 12;

/// Classifies `received`, everything the server sent so far for this
/// request, allowing at most `max_interim` interim heads before the final one.
pub(crate) fn classify(mut received: &[u8], limits: &HeadLimits, max_interim: usize) -> EarlyAnswer {
    for _ in 0..=max_interim {
        // Empty lines before a status line are skipped, as the head reader does.
        let start = received.iter().position(|&byte| byte != b'\r' && byte != b'\n').unwrap_or(received.len());
        received = &received[start..];
        let Some(status) = status_code(received) else {
            return if could_be_status_line(received) { EarlyAnswer::Undecided } else { EarlyAnswer::Refusing };
        };
        match status {
            101 | 200..=299 => return EarlyAnswer::Accepting,
            100..=199 => {}
            _ => return EarlyAnswer::Refusing,
        }
        // An interim head: the body goes on once it is complete and valid.
        match HeadScanner::new().scan(received, limits) {
            Ok(Some(length)) if parse_head(&received[..length], limits).is_ok() => received = &received[length..],
            Ok(Some(_)) | Err(_) => return EarlyAnswer::Refusing,
            Ok(None) => return EarlyAnswer::Undecided,
        }
    }
    EarlyAnswer::Refusing
}

/// The status code of a status line that has arrived at least up to it.
fn status_code(line: &[u8]) -> Option<u16> {
    let prefix = line.get(..STATUS_PREFIX)?;
    if !could_be_status_line(prefix) {
        return None;
    }
    let code = std::str::from_utf8(&prefix[9..]).ok()?;
    code.parse().ok()
}

/// True when `line` is, as far as it goes, `HTTP/1.<digit> <digit><digit><digit>`.
fn could_be_status_line(line: &[u8]) -> bool {
    const TEMPLATE: &[u8; STATUS_PREFIX] = b"HTTP/1.0 000";
    line.iter().take(STATUS_PREFIX).zip(TEMPLATE).all(|(&byte, &expected)| match expected {
        b'0' => byte.is_ascii_digit(),
        _ => byte == expected,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    use EarlyAnswer::{Accepting, Refusing, Undecided};

    #[test]
    fn each_answer_is_classified_from_its_status_line() {
        let limits = HeadLimits::default();
        let cases: &[(&[u8], EarlyAnswer)] = &[
            (b"", Undecided),
            (b"\r\n", Undecided),
            (b"HTTP/1.1 4", Undecided),
            (b"HTTP/1.1 413", Refusing),
            (b"HTTP/1.1 413 Payload Too Large\r\n", Refusing),
            (b"HTTP/1.0 302 Found\r\n", Refusing),
            (b"HTTP/1.1 500", Refusing),
            (b"HTTP/1.1 200", Accepting),
            (b"HTTP/1.1 101 Switching Protocols\r\n", Accepting),
            (b"HTTP/1.1 100", Undecided),
            (b"HTTP/1.1 100 Continue\r\n", Undecided),
            (b"HTTP/1.1 100 Continue\r\n\r\n", Undecided),
            (b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n", Undecided),
            (b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 41", Undecided),
            (b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 413", Refusing),
            (b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201", Accepting),
            (b"SSH-2.0", Refusing),
            (b"HTTP/2 200", Refusing),
            (b"HTTP/1.1 1x0", Refusing),
        ];
        for &(received, expected) in cases {
            assert_eq!(classify(received, &limits, 16), expected, "{:?}", String::from_utf8_lossy(received));
        }
    }

    #[test]
    fn interim_heads_beyond_the_limit_or_malformed_stop_the_body() {
        let limits = HeadLimits::default();
        let two = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 100 Continue\r\n\r\n";
        assert_eq!(classify(two, &limits, 2), Undecided);
        assert_eq!(classify(two, &limits, 1), Refusing);
        assert_eq!(classify(b"HTTP/1.1 100 Continue\r\nno colon\r\n\r\n", &limits, 16), Refusing);
        let small = HeadLimits { max_head_bytes: 32, ..HeadLimits::default() };
        let long = b"HTTP/1.1 100 Continue\r\nX-Padding: 0123456789abcdef\r\n";
        assert_eq!(classify(long, &small, 16), Refusing);
    }
}
