//! How a response body is delimited, and whether the connection can carry
//! another request afterwards: RFC 9112 section 6.3, as a pure function.
//!
//! This runs right after the head is parsed (`head.rs`) and decides how the
//! body decoder (`body_decoder.rs`) unframes the body: no body, a fixed
//! length, chunked, or everything until the close. Getting it wrong is not a cosmetic
//! bug: if client and server disagree on where a body ends, the tail of one
//! response is read as the start of the next (response splitting), so every
//! ambiguity below is resolved towards refusing or closing the connection.
//!
//! Only the `chunked` transfer coding is decoded. A response whose
//! Transfer-Encoding names another coding is refused: before a final
//! chunked (`gzip, chunked`) with [`FramingError::UnsupportedTransferCoding`],
//! as the last coding (`chunked, gzip`, or `gzip` alone) with
//! [`FramingError::ChunkedNotLast`]. RFC 9112 section 6.3 would read the
//! latter until the connection closes, but what arrived would still be
//! encoded with a coding we do not undo. curl, when it decodes transfer
//! codings (`--tr-encoding`), refuses `chunked, gzip` too ("'chunked' not
//! being the last Transfer-Encoding"); Go's client refuses every transfer
//! coding but chunked. Content codings
//! (`Content-Encoding: gzip`) are a different header, handled further up.

use std::error::Error;
use std::fmt;

use crate::http::proto::head::ResponseHead;
use crate::http::proto::headers::trim_ows;

/// Where the body of a response ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BodyLength {
    /// There is no body, whatever the headers announce.
    Empty,
    /// Exactly this many bytes follow the head (possibly 0).
    Length(u64),
    /// The body uses the chunked transfer coding and ends with its last chunk.
    Chunked,
    /// The body is everything the server sends until it closes the connection.
    UntilClose,
}

/// The framing decision for one response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Framing {
    /// How the body is delimited.
    pub(crate) body: BodyLength,
    /// True if the connection may be reused for another request once the body
    /// has been read to its end.
    pub(crate) keep_alive: bool,
}

/// Decides how the body of a response to a request (a HEAD request if
/// `request_was_head`) is delimited, following RFC 9112 section 6.3 in order:
///
/// 1. Informational responses (1xx) have no body. The caller handles them:
///    `101 Switching Protocols` is a final answer (body `Empty`,
///    `keep_alive: false`, since the connection now speaks another protocol);
///    any other 1xx gets `Empty` with `keep_alive: true` and the caller reads
///    the next head on the same connection.
/// 2. A response to HEAD, a 204 and a 304 have no body, whatever
///    Content-Length or Transfer-Encoding announce.
/// 3. With Transfer-Encoding, if its last coding is `chunked` the body is
///    chunked and any Content-Length is ignored (the connection is then not
///    reused, as that mix is a smuggling signal); any other coding is
///    refused (it would reach the caller still encoded), and an empty list
///    or a lone `identity` means the body runs until close.
/// 4. With Content-Length, every value must be the same decimal number.
/// 5. Otherwise the body runs until close.
///
/// Reuse follows the version: HTTP/1.1 keeps the connection unless
/// `Connection: close`; HTTP/1.0 closes it unless `Connection: keep-alive`.
/// Any body that runs until close forces `keep_alive: false`.
pub(crate) fn response_framing(request_was_head: bool, head: &ResponseHead) -> Result<Framing, FramingError> {
    let headers = &head.headers;
    let persistent = match head.version {
        0 => headers.has_token("connection", "keep-alive") && !headers.has_token("connection", "close"),
        _ => !headers.has_token("connection", "close"),
    };
    let framing = |body, keep_alive| Ok(Framing { body, keep_alive });

    // Rule 1: informational responses.
    if head.status == 101 {
        return framing(BodyLength::Empty, false);
    }
    if (100..200).contains(&head.status) {
        return framing(BodyLength::Empty, true);
    }

    // Rule 2: responses that never have a body. Their Content-Length describes
    // the body a GET would have had, not bytes on this connection.
    if request_was_head || head.status == 204 || head.status == 304 {
        return framing(BodyLength::Empty, persistent);
    }

    // Rule 3: Transfer-Encoding overrides Content-Length.
    if headers.contains("transfer-encoding") {
        return match last_transfer_coding(head)? {
            // RFC 9112 section 6.1: an HTTP/1.0 message with Transfer-Encoding
            // has faulty framing, and so does one that also carries
            // Content-Length; read it, then close.
            Some(coding) if coding.eq_ignore_ascii_case("chunked") => {
                let suspicious = head.version == 0 || headers.contains("content-length");
                framing(BodyLength::Chunked, persistent && !suspicious)
            }
            // RFC 9112 section 6.3 rule 4: when chunked is not the final
            // coding, the body runs until the close. But it would reach the
            // caller still encoded (gzip, say, or chunked under identity):
            // refuse it rather than hand over bytes that are not the body.
            Some(coding) if !coding.eq_ignore_ascii_case("identity") || names_chunked(head) => {
                Err(FramingError::ChunkedNotLast { last: coding.to_owned() })
            }
            // An empty list, or the obsolete `identity` (which changes
            // nothing): only closing the connection ends such a body.
            _ => framing(BodyLength::UntilClose, false),
        };
    }

    // Rule 4: Content-Length.
    if let Some(length) = content_length(head)? {
        return framing(BodyLength::Length(length), persistent);
    }

    // Rule 5: nothing says where the body ends but the end of the connection.
    framing(BodyLength::UntilClose, false)
}

/// The transfer codings named across all Transfer-Encoding fields, in the
/// order they were applied.
fn transfer_codings(head: &ResponseHead) -> impl Iterator<Item = &str> {
    // A coding may carry parameters (`x;q=1`); its name is what precedes them.
    // Empty list members (`chunked, , `) are allowed by RFC 9110's list rule.
    head.headers
        .get_all("transfer-encoding")
        .flat_map(|value| value.split(','))
        .map(|member| trim_ows(member.split(';').next().unwrap_or("")))
        .filter(|name| !name.is_empty())
}

/// True if `chunked` is among the transfer codings.
fn names_chunked(head: &ResponseHead) -> bool {
    transfer_codings(head).any(|coding| coding.eq_ignore_ascii_case("chunked"))
}

/// The last transfer coding named across all Transfer-Encoding fields, after
/// checking that nothing we cannot decode comes before a final `chunked`.
/// `None` if the fields list no coding at all.
fn last_transfer_coding(head: &ResponseHead) -> Result<Option<&str>, FramingError> {
    let mut codings = transfer_codings(head);
    let Some(mut last) = codings.next() else { return Ok(None) };
    let mut first_other: Option<&str> = None;
    for coding in codings {
        // Everything before the final coding was applied first and must be
        // undone after it; we cannot undo anything but chunked, and chunked
        // may only be applied once, so any earlier coding is unsupported.
        first_other.get_or_insert(last);
        last = coding;
    }
    match first_other {
        Some(name) if last.eq_ignore_ascii_case("chunked") => {
            Err(FramingError::UnsupportedTransferCoding(name.to_owned()))
        }
        _ => Ok(Some(last)),
    }
}

/// The body length from all Content-Length fields, `None` if there are none.
/// Every field, and every comma-separated member in one, must be the same
/// plain decimal number (RFC 9112 section 6.3, rule 5).
fn content_length(head: &ResponseHead) -> Result<Option<u64>, FramingError> {
    let mut length: Option<u64> = None;
    for member in head.headers.get_all("content-length").flat_map(|value| value.split(',')) {
        // OWS around list members is part of the list syntax; anything inside
        // a member other than digits (a sign, a space, a letter) is not.
        let member = trim_ows(member);
        let invalid = || FramingError::InvalidContentLength(member.to_owned());
        if member.is_empty() || !member.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid());
        }
        // Digits only, so the one way `parse` fails is overflow.
        let value: u64 = member.parse().map_err(|_| invalid())?;
        match length {
            Some(first) if first != value => {
                return Err(FramingError::ConflictingContentLength { first, other: value });
            }
            _ => length = Some(value),
        }
    }
    Ok(length)
}

/// Why the framing of a response could not be decided, found right after
/// its head arrived: the cause inside
/// [`ProtocolError::Framing`](crate::http::ProtocolError::Framing). Each is a
/// response we refuse to read, because guessing where its body ends could
/// desynchronise the connection.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FramingError {
    /// Transfer-Encoding applies a coding before the final `chunked`
    /// (`gzip, chunked`), or applies `chunked` twice: only one `chunked` is
    /// decoded. Carries the first such coding's name.
    UnsupportedTransferCoding(String),
    /// The last transfer coding is not `chunked` (`chunked, gzip`, or `gzip`
    /// alone). RFC 9112 section 6.1 requires chunked last whenever another
    /// coding is applied, and section 6.3 reads such a body until the close;
    /// it would reach the caller still encoded, so it is refused. Carries
    /// the last coding's name.
    ChunkedNotLast {
        /// The coding found last, where `chunked` belongs.
        last: String,
    },
    /// A Content-Length member is not a plain decimal number that fits in
    /// 64 bits (a sign, inner whitespace, letters, empty, or too large).
    InvalidContentLength(String),
    /// Content-Length fields, or the members of one, disagree (`5, 6`).
    ConflictingContentLength {
        /// The first length announced.
        first: u64,
        /// A later, different length.
        other: u64,
    },
}

impl fmt::Display for FramingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FramingError::UnsupportedTransferCoding(name) => write!(
                f,
                "response uses transfer coding {name:?} before chunked; only chunked is supported, \
                 so ask the server not to apply it (for example via the TE request header)"
            ),
            FramingError::ChunkedNotLast { last } => write!(
                f,
                "response's last transfer coding is {last:?}, not chunked; chunked must be the last \
                 transfer coding, and without it the body could only be read until the server closes \
                 the connection, still {last}-encoded, so it is refused"
            ),
            FramingError::InvalidContentLength(value) => {
                write!(f, "response has an invalid content-length {value:?}; refusing to guess where its body ends")
            }
            FramingError::ConflictingContentLength { first, other } => write!(
                f,
                "response announces conflicting content-lengths {first} and {other}; \
                 refusing to guess where its body ends"
            ),
        }
    }
}

impl Error for FramingError {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::proto::headers::Headers;
    use BodyLength::*;

    fn head(version: u8, status: u16, fields: &[(&str, &str)]) -> ResponseHead {
        ResponseHead { version, status, reason: String::new(), headers: fields.iter().copied().collect::<Headers>() }
    }

    fn ok(body: BodyLength, keep_alive: bool) -> Result<Framing, FramingError> {
        Ok(Framing { body, keep_alive })
    }

    #[test]
    fn framing_table() {
        let invalid = |s: &str| Err(FramingError::InvalidContentLength(s.to_owned()));
        let unsupported = |s: &str| Err(FramingError::UnsupportedTransferCoding(s.to_owned()));
        let not_last = |s: &str| Err(FramingError::ChunkedNotLast { last: s.to_owned() });
        let conflicting = |first, other| Err(FramingError::ConflictingContentLength { first, other });
        type Case<'a> = (&'a str, bool, u8, u16, &'a [(&'a str, &'a str)], Result<Framing, FramingError>);
        let cases: &[Case] = &[
            // Informational.
            ("100 continue", false, 1, 100, &[("Content-Length", "5")], ok(Empty, true)),
            ("103 early hints", false, 1, 103, &[], ok(Empty, true)),
            ("101 switching", false, 1, 101, &[("Connection", "upgrade")], ok(Empty, false)),
            // No body whatever is announced.
            ("head with cl", true, 1, 200, &[("Content-Length", "5")], ok(Empty, true)),
            ("head with te", true, 1, 200, &[("Transfer-Encoding", "chunked")], ok(Empty, true)),
            ("head with bad cl", true, 1, 200, &[("Content-Length", "x")], ok(Empty, true)),
            ("204 with cl", false, 1, 204, &[("Content-Length", "5")], ok(Empty, true)),
            ("304 with cl", false, 1, 304, &[("Content-Length", "5")], ok(Empty, true)),
            ("304 close", false, 1, 304, &[("Connection", "close")], ok(Empty, false)),
            // Transfer-Encoding.
            ("chunked", false, 1, 200, &[("Transfer-Encoding", "chunked")], ok(Chunked, true)),
            ("chunked any case", false, 1, 200, &[("transfer-encoding", " Chunked ")], ok(Chunked, true)),
            (
                "te beats cl",
                false,
                1,
                200,
                &[("Content-Length", "5"), ("Transfer-Encoding", "chunked")],
                ok(Chunked, false),
            ),
            (
                "te on 1.0",
                false,
                0,
                200,
                &[("Transfer-Encoding", "chunked"), ("Connection", "keep-alive")],
                ok(Chunked, false),
            ),
            ("gzip, chunked", false, 1, 200, &[("Transfer-Encoding", "gzip, chunked")], unsupported("gzip")),
            (
                "gzip then chunked fields",
                false,
                1,
                200,
                &[("Transfer-Encoding", "gzip"), ("Transfer-Encoding", "chunked")],
                unsupported("gzip"),
            ),
            ("chunked twice", false, 1, 200, &[("Transfer-Encoding", "chunked, chunked")], unsupported("chunked")),
            ("empty members", false, 1, 200, &[("Transfer-Encoding", " , chunked,")], ok(Chunked, true)),
            ("chunked, gzip", false, 1, 200, &[("Transfer-Encoding", "chunked, gzip")], not_last("gzip")),
            (
                "chunked then gzip fields",
                false,
                1,
                200,
                &[("Transfer-Encoding", "chunked"), ("Transfer-Encoding", "gzip")],
                not_last("gzip"),
            ),
            ("gzip only", false, 1, 200, &[("Transfer-Encoding", "gzip"), ("Content-Length", "5")], not_last("gzip")),
            ("chunked, identity", false, 1, 200, &[("Transfer-Encoding", "chunked, identity")], not_last("identity")),
            ("identity te", false, 1, 200, &[("Transfer-Encoding", "identity")], ok(UntilClose, false)),
            ("empty te", false, 1, 200, &[("Transfer-Encoding", "")], ok(UntilClose, false)),
            // Content-Length.
            ("cl", false, 1, 200, &[("Content-Length", "5")], ok(Length(5), true)),
            ("cl zero", false, 1, 200, &[("Content-Length", "0")], ok(Length(0), true)),
            ("cl leading zeros", false, 1, 200, &[("Content-Length", "007")], ok(Length(7), true)),
            ("cl max", false, 1, 200, &[("Content-Length", "18446744073709551615")], ok(Length(u64::MAX), true)),
            (
                "duplicate equal cl",
                false,
                1,
                200,
                &[("Content-Length", "5"), ("content-length", "5")],
                ok(Length(5), true),
            ),
            ("5, 5", false, 1, 200, &[("Content-Length", "5, 5")], ok(Length(5), true)),
            ("5, 6", false, 1, 200, &[("Content-Length", "5, 6")], conflicting(5, 6)),
            ("5 then 6", false, 1, 200, &[("Content-Length", "5"), ("Content-Length", "6")], conflicting(5, 6)),
            ("+5", false, 1, 200, &[("Content-Length", "+5")], invalid("+5")),
            ("-1", false, 1, 200, &[("Content-Length", "-1")], invalid("-1")),
            ("inner space", false, 1, 200, &[("Content-Length", "1 0")], invalid("1 0")),
            ("tab around", false, 1, 200, &[("Content-Length", "\t5 ")], ok(Length(5), true)),
            ("empty", false, 1, 200, &[("Content-Length", "")], invalid("")),
            ("trailing comma", false, 1, 200, &[("Content-Length", "5,")], invalid("")),
            ("hex", false, 1, 200, &[("Content-Length", "0x5")], invalid("0x5")),
            ("overflow", false, 1, 200, &[("Content-Length", "18446744073709551616")], invalid("18446744073709551616")),
            (
                "huge",
                false,
                1,
                200,
                &[("Content-Length", "99999999999999999999999")],
                invalid("99999999999999999999999"),
            ),
            ("invalid before conflict", false, 1, 200, &[("Content-Length", "5, x, 6")], invalid("x")),
            // Nothing announced.
            ("until close", false, 1, 200, &[], ok(UntilClose, false)),
            ("until close 1.0", false, 0, 200, &[("Connection", "keep-alive")], ok(UntilClose, false)),
            // Connection reuse.
            (
                "1.1 close",
                false,
                1,
                200,
                &[("Content-Length", "1"), ("Connection", "keep-alive, close")],
                ok(Length(1), false),
            ),
            (
                "1.1 close later field",
                false,
                1,
                200,
                &[("Content-Length", "1"), ("Connection", "x"), ("connection", "CLOSE")],
                ok(Length(1), false),
            ),
            ("1.0 default", false, 0, 200, &[("Content-Length", "1")], ok(Length(1), false)),
            (
                "1.0 keep-alive",
                false,
                0,
                200,
                &[("Content-Length", "1"), ("Connection", "Keep-Alive")],
                ok(Length(1), true),
            ),
            (
                "1.0 keep-alive close",
                false,
                0,
                200,
                &[("Content-Length", "1"), ("Connection", "keep-alive, close")],
                ok(Length(1), false),
            ),
            ("1.0 head keep-alive", true, 0, 200, &[("Connection", "keep-alive")], ok(Empty, true)),
        ];
        for (name, was_head, version, status, fields, expected) in cases {
            let got = response_framing(*was_head, &head(*version, *status, fields));
            assert_eq!(&got, expected, "{name}");
        }
    }

    #[test]
    fn errors_say_what_to_do() {
        let cases = [
            (
                FramingError::ConflictingContentLength { first: 5, other: 6 },
                "response announces conflicting content-lengths 5 and 6; refusing to guess where its body ends",
            ),
            (
                FramingError::InvalidContentLength("+5".into()),
                "response has an invalid content-length \"+5\"; refusing to guess where its body ends",
            ),
        ];
        for (error, message) in cases {
            assert_eq!(error.to_string(), message);
        }
        let unsupported = FramingError::UnsupportedTransferCoding("gzip".into()).to_string();
        assert!(unsupported.starts_with("response uses transfer coding \"gzip\" before chunked"), "{unsupported}");
        // `chunked, gzip` is not "gzip before chunked": the message says what is wrong.
        let not_last = FramingError::ChunkedNotLast { last: "gzip".into() }.to_string();
        assert_eq!(
            not_last,
            "response's last transfer coding is \"gzip\", not chunked; chunked must be the last transfer coding, \
             and without it the body could only be read until the server closes the connection, still gzip-encoded, \
             so it is refused"
        );
    }
}
