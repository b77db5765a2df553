//! The chunked transfer coding (RFC 9112 section 7.1), decoded as a sans-IO
//! state machine over byte slices.
//!
//! Where it sits in the path of a request: after the response head has been
//! parsed and `Transfer-Encoding: chunked` was found, the body's
//! `BodyDecoder` (`body_decoder.rs`) hands every slice of bytes the
//! connection received to [`ChunkedDecoder::decode`]. The decoder strips the
//! framing (size lines, the CRLF after each chunk's data, the trailer
//! section) and appends the body data to a `Vec`, which then flows on to
//! content decoding (`decode.rs`) and to the user.
//!
//! The decoder never touches a socket and never asks the caller to re-feed
//! bytes: it consumes what it can, keeps partial size lines and trailer lines
//! in small bounded state, and reports how much it consumed. It can therefore
//! be resumed at every byte boundary, and the tests split every input at every
//! position to prove it.
//!
//! It is strict on purpose. Lenient chunk parsing (bare LF, junk after the
//! size, sizes that wrap around) is how request smuggling and response
//! splitting happen when two parsers disagree about where a body ends, so
//! anything outside the grammar is an error rather than a guess.

use std::fmt;

use crate::http::proto::headers::{decode_value, is_token_byte};

/// Most significant hex digits in a chunk size: 16 fill a `u64` exactly.
/// Leading zeros add no value and are not counted (any number is
/// accepted, as curl and Go accept them); [`MAX_SIZE_LINE`] bounds them.
pub(crate) const MAX_SIZE_DIGITS: u8 = 16;
/// Longest size line accepted, counting the size, whitespace and extensions
/// but not the terminating CRLF.
pub(crate) const MAX_SIZE_LINE: usize = 4096;
/// Most bytes accepted in the trailer section, CRLFs included.
pub(crate) const MAX_TRAILER_BYTES: usize = 16 * 1024;
/// Most trailer fields accepted.
pub(crate) const MAX_TRAILER_FIELDS: usize = 100;

/// How far one call to [`ChunkedDecoder::decode`] got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Progress {
    /// Bytes of the input that were used; the caller keeps the rest.
    pub(crate) consumed: usize,
    /// True once the last chunk and the trailer section have been read.
    pub(crate) done: bool,
}

/// Why a chunked body was rejected, found while reading the body: the cause
/// inside [`ProtocolError::Chunked`](crate::http::ProtocolError::Chunked).
/// Once returned, the decoder keeps returning the same error: the
/// connection cannot be trusted any more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChunkedError {
    /// The size line broke the grammar: no leading hex digit, junk after the
    /// size, a control byte in an extension, or CR without LF.
    InvalidSizeLine {
        /// What the grammar allowed at this point.
        expected: &'static str,
        /// The byte that was found instead.
        found: u8,
    },
    /// The chunk size had more than 16 significant hex digits
    /// (`MAX_SIZE_DIGITS`, which fill a `u64`); leading zeros do not count.
    SizeOverflow,
    /// The size line (with extensions) was longer than 4096 bytes
    /// (`MAX_SIZE_LINE`).
    SizeLineTooLong,
    /// A line (size line or trailer line) ended in LF without CR before it.
    BareLineFeed,
    /// A chunk's data was not followed by exactly CRLF: the size lied.
    MissingDataTerminator {
        /// The byte found where CR or LF was expected.
        found: u8,
    },
    /// The trailer section passed 16 KiB (`MAX_TRAILER_BYTES`) or 100 fields
    /// (`MAX_TRAILER_FIELDS`).
    TrailersTooLarge,
    /// A trailer line was not of the form `name: value`.
    InvalidTrailer {
        /// What was wrong with the line.
        reason: &'static str,
    },
}

impl fmt::Display for ChunkedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidSizeLine { expected, found } => {
                write!(f, "invalid chunk size line: expected {expected}, found \"{}\"", [*found].escape_ascii())
            }
            Self::SizeOverflow => {
                write!(f, "chunk size has more than {MAX_SIZE_DIGITS} significant hex digits (it overflows 64 bits)")
            }
            Self::SizeLineTooLong => {
                write!(f, "chunk size line (with extensions) is longer than {MAX_SIZE_LINE} bytes")
            }
            Self::BareLineFeed => write!(f, "line in chunked body ends in a bare LF; CRLF is required"),
            Self::MissingDataTerminator { found } => write!(
                f,
                "chunk data is not followed by CRLF (found \"{}\"); the chunk size does not match the data",
                [*found].escape_ascii()
            ),
            Self::TrailersTooLarge => {
                write!(f, "chunked trailer section exceeds {MAX_TRAILER_BYTES} bytes or {MAX_TRAILER_FIELDS} fields")
            }
            Self::InvalidTrailer { reason } => write!(f, "invalid chunked trailer line: {reason}"),
        }
    }
}

impl std::error::Error for ChunkedError {}

/// Where the decoder is in the grammar. Each state records only what it
/// needs to resume, so feeding one byte at a time works.
#[derive(Debug)]
enum State {
    /// Reading the hex digits of a chunk size.
    Size {
        /// The size so far.
        value: u64,
        /// Digits read so far, leading zeros included (zero means the line
        /// has just started); saturates, since only zero or not matters.
        digits: u8,
        /// Bytes of the size line read so far, for [`MAX_SIZE_LINE`].
        line_len: usize,
    },
    /// After the digits: optional whitespace, then `;` or CR.
    AfterSize {
        size: u64,
        /// Bytes of the size line read so far.
        line_len: usize,
    },
    /// Inside chunk extensions, tracking quoted strings so that an
    /// unterminated quote is caught.
    Extension {
        size: u64,
        /// Bytes of the size line read so far.
        line_len: usize,
        /// Inside a quoted string.
        in_quote: bool,
        /// The previous byte was a backslash inside a quoted string.
        escaped: bool,
    },
    /// Saw the CR ending a size line; LF must follow.
    SizeLineLf { size: u64 },
    /// Copying chunk data.
    Data {
        /// Data bytes of this chunk still to come.
        remaining: u64,
    },
    /// Chunk data is over; CR must follow.
    DataCr,
    /// Saw the CR after chunk data; LF must follow.
    DataLf,
    /// Reading a trailer line (or the empty line ending the section) into
    /// `line`.
    Trailer {
        /// The line's CR was seen; LF must follow.
        cr: bool,
    },
    /// The whole body has been read.
    Done,
    /// An error was returned; it is repeated on every later call.
    Failed(ChunkedError),
}

/// Decodes a `Transfer-Encoding: chunked` body, one slice at a time.
///
/// At EOF the caller checks [`ChunkedDecoder::is_done`]: `false` means the
/// body was cut short, which the client reports as an error.
#[derive(Debug)]
pub(crate) struct ChunkedDecoder {
    /// Position in the grammar.
    state: State,
    /// The trailer line being read; bounded by [`MAX_TRAILER_BYTES`].
    line: Vec<u8>,
    /// Bytes of trailer section read so far.
    trailer_bytes: usize,
    /// Trailer fields parsed so far, in order of arrival.
    trailers: Vec<(String, String)>,
}

impl Default for ChunkedDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl ChunkedDecoder {
    /// A decoder positioned at the start of the first size line.
    pub(crate) fn new() -> Self {
        Self {
            state: State::Size { value: 0, digits: 0, line_len: 0 },
            line: Vec::new(),
            trailer_bytes: 0,
            trailers: Vec::new(),
        }
    }

    /// True once the last chunk and the trailer section have been read.
    pub(crate) fn is_done(&self) -> bool {
        matches!(self.state, State::Done)
    }

    /// Data bytes of the current chunk not yet delivered, while inside one
    /// (only the tests ask, to check the decoder never reserves them).
    #[cfg(test)]
    pub(crate) fn data_remaining(&self) -> Option<u64> {
        match self.state {
            State::Data { remaining } => Some(remaining),
            _ => None,
        }
    }

    /// The trailer fields so far (only the tests look without taking them).
    #[cfg(test)]
    pub(crate) fn trailers(&self) -> &[(String, String)] {
        &self.trailers
    }

    /// The trailer fields, complete once [`ChunkedDecoder::is_done`], taken
    /// out of the decoder without a copy.
    pub(crate) fn into_trailers(self) -> Vec<(String, String)> {
        self.trailers
    }

    /// Consumes as much of `input` as possible and appends body data to
    /// `out`. Bytes past `consumed` are the caller's: more of this body if
    /// `done` is false (append more and call again), the next response on
    /// a keep-alive connection if `done` is true.
    pub(crate) fn decode(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<Progress, ChunkedError> {
        // A failed decoder stays failed: the framing is lost for good.
        if let State::Failed(error) = self.state {
            return Err(error);
        }
        let mut pos = 0;
        while pos < input.len() {
            // Chunk data is copied in bulk: only what has arrived, never a
            // reservation of the announced size, which a hostile server
            // could set to 2^64 - 1.
            if let State::Data { remaining } = self.state {
                let take = usize::try_from(remaining).unwrap_or(usize::MAX).min(input.len() - pos);
                out.extend_from_slice(&input[pos..pos + take]);
                pos += take;
                let remaining = remaining - take as u64;
                self.state = if remaining == 0 { State::DataCr } else { State::Data { remaining } };
                continue;
            }
            if matches!(self.state, State::Done) {
                break;
            }
            // Everything else is framing, read a byte at a time so that any
            // split point resumes cleanly.
            if let Err(error) = self.step(input[pos]) {
                self.state = State::Failed(error);
                return Err(error);
            }
            pos += 1;
        }
        Ok(Progress { consumed: pos, done: self.is_done() })
    }

    /// Advances the framing state machine by one byte.
    fn step(&mut self, byte: u8) -> Result<(), ChunkedError> {
        let invalid = |expected| ChunkedError::InvalidSizeLine { expected, found: byte };
        self.state = match self.state {
            State::Size { value, digits, line_len } => {
                let line_len = bump_line(line_len, byte)?;
                match (hex_value(byte), digits) {
                    // One more digit would shift a nonzero top nibble out:
                    // more than 16 significant digits. Leading zeros keep
                    // `value` at 0, so they never overflow.
                    (Some(_), _) if value >> (64 - 4) != 0 => return Err(ChunkedError::SizeOverflow),
                    (Some(d), _) => {
                        State::Size { value: value << 4 | u64::from(d), digits: digits.saturating_add(1), line_len }
                    }
                    (None, 0) if byte == b'\n' => return Err(ChunkedError::BareLineFeed),
                    (None, 0) => return Err(invalid("a hex digit")),
                    (None, _) => after_size(value, line_len, byte)?,
                }
            }
            State::AfterSize { size, line_len } => after_size(size, bump_line(line_len, byte)?, byte)?,
            State::Extension { size, line_len, in_quote, escaped } => {
                let line_len = bump_line(line_len, byte)?;
                match byte {
                    b'\n' => return Err(ChunkedError::BareLineFeed),
                    b'\r' if in_quote => return Err(invalid("a closing quote in the chunk extension")),
                    b'\r' => State::SizeLineLf { size },
                    // Control bytes other than HTAB are not allowed anywhere in
                    // an extension, quoted or not.
                    0..=0x08 | 0x0a..=0x1f | 0x7f => return Err(invalid("a chunk extension character")),
                    b'\\' if in_quote && !escaped => State::Extension { size, line_len, in_quote, escaped: true },
                    b'"' if !escaped => State::Extension { size, line_len, in_quote: !in_quote, escaped: false },
                    _ => State::Extension { size, line_len, in_quote, escaped: false },
                }
            }
            State::SizeLineLf { size } => match byte {
                b'\n' if size == 0 => State::Trailer { cr: false },
                b'\n' => State::Data { remaining: size },
                _ => return Err(invalid("LF after CR")),
            },
            State::DataCr if byte == b'\r' => State::DataLf,
            State::DataLf if byte == b'\n' => State::Size { value: 0, digits: 0, line_len: 0 },
            State::DataCr | State::DataLf => return Err(ChunkedError::MissingDataTerminator { found: byte }),
            State::Trailer { cr } => return self.trailer_byte(cr, byte),
            // `decode` handles these before calling `step`.
            State::Data { .. } | State::Done | State::Failed(_) => return Ok(()),
        };
        Ok(())
    }

    /// Feeds one byte of the trailer section, parsing each line at its CRLF.
    fn trailer_byte(&mut self, cr: bool, byte: u8) -> Result<(), ChunkedError> {
        self.trailer_bytes += 1;
        if self.trailer_bytes > MAX_TRAILER_BYTES {
            return Err(ChunkedError::TrailersTooLarge);
        }
        match (cr, byte) {
            (false, b'\r') => self.state = State::Trailer { cr: true },
            (false, b'\n') => return Err(ChunkedError::BareLineFeed),
            (false, _) => self.line.push(byte),
            (true, b'\n') if self.line.is_empty() => self.state = State::Done,
            (true, b'\n') => {
                if self.trailers.len() == MAX_TRAILER_FIELDS {
                    return Err(ChunkedError::TrailersTooLarge);
                }
                let field = parse_trailer(&self.line)?;
                self.trailers.push(field);
                self.line.clear();
                self.state = State::Trailer { cr: false };
            }
            (true, _) => return Err(ChunkedError::InvalidTrailer { reason: "CR not followed by LF" }),
        }
        Ok(())
    }
}

/// Counts one more byte of a size line against [`MAX_SIZE_LINE`]; the CR
/// that ends the line is not counted.
fn bump_line(line_len: usize, byte: u8) -> Result<usize, ChunkedError> {
    match byte {
        b'\r' => Ok(line_len),
        _ if line_len >= MAX_SIZE_LINE => Err(ChunkedError::SizeLineTooLong),
        _ => Ok(line_len + 1),
    }
}

/// The state after a non-digit byte that follows the chunk size.
fn after_size(size: u64, line_len: usize, byte: u8) -> Result<State, ChunkedError> {
    Ok(match byte {
        b' ' | b'\t' => State::AfterSize { size, line_len },
        b';' => State::Extension { size, line_len, in_quote: false, escaped: false },
        b'\r' => State::SizeLineLf { size },
        b'\n' => return Err(ChunkedError::BareLineFeed),
        _ => return Err(ChunkedError::InvalidSizeLine { expected: "a hex digit, \";\" or CRLF", found: byte }),
    })
}

/// The value of one hex digit, or `None` for any other byte.
fn hex_value(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

/// Splits a trailer line (without CRLF) into name and value.
fn parse_trailer(line: &[u8]) -> Result<(String, String), ChunkedError> {
    let invalid = |reason| ChunkedError::InvalidTrailer { reason };
    if matches!(line.first(), Some(b' ' | b'\t')) {
        return Err(invalid("obsolete line folding is not allowed"));
    }
    let colon = line.iter().position(|&b| b == b':').ok_or(invalid("missing \":\" after the field name"))?;
    let (name, value) = (&line[..colon], &line[colon + 1..]);
    if name.is_empty() || !name.iter().copied().all(is_token_byte) {
        return Err(invalid("field name must be a non-empty token"));
    }
    let value = value.trim_ascii();
    if value.iter().any(|&b| (b < 0x20 && b != b'\t') || b == 0x7f) {
        return Err(invalid("field value contains a control character"));
    }
    // Decoded as header values are: UTF-8, else Latin-1 (the name is
    // ASCII, checked above, so either reading is exact for it).
    Ok((decode_value(name), decode_value(value)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What decoding a whole input is expected to give.
    type Expected = Result<(&'static [u8], Vec<(&'static str, &'static str)>, &'static [u8]), ChunkedError>;

    /// Body, trailers, leftover bytes and whether the body is done.
    type Decoded = (Vec<u8>, Vec<(String, String)>, Vec<u8>, bool);

    /// Body, trailers and leftover bytes after feeding `pieces` the way a
    /// client would: append each piece to a buffer, decode, drop what was
    /// consumed, keep the rest.
    fn feed<'a>(pieces: impl Iterator<Item = &'a [u8]>) -> Result<Decoded, ChunkedError> {
        let mut decoder = ChunkedDecoder::new();
        let (mut buffer, mut body) = (Vec::new(), Vec::new());
        let mut done = false;
        for piece in pieces {
            buffer.extend_from_slice(piece);
            let progress = decoder.decode(&buffer, &mut body)?;
            assert!(!done || progress.consumed == 0, "input consumed after done");
            assert_eq!(progress.done, decoder.is_done());
            buffer.drain(..progress.consumed);
            done = progress.done;
        }
        Ok((body, decoder.trailers().to_vec(), buffer, done))
    }

    /// Feeds `input` whole, split at every byte boundary (when short), and
    /// one byte at a time, and checks that all of them agree with `expected`.
    fn check(name: &str, input: &[u8], expected: &Expected) {
        let expected = expected.clone().map(|(body, trailers, leftover)| {
            let trailers = trailers.iter().map(|&(n, v)| (n.to_owned(), v.to_owned())).collect::<Vec<_>>();
            (body.to_vec(), trailers, leftover.to_vec(), true)
        });
        assert_eq!(feed(std::iter::once(input)), expected, "{name}: whole input");
        if input.len() <= 1024 {
            for split in 0..=input.len() {
                let (a, b) = input.split_at(split);
                assert_eq!(feed([a, b].into_iter()), expected, "{name}: split at {split}");
            }
        }
        assert_eq!(feed(input.chunks(1)), expected, "{name}: byte by byte");
    }

    fn invalid(expected: &'static str, found: u8) -> ChunkedError {
        ChunkedError::InvalidSizeLine { expected, found }
    }

    fn bad_trailer(reason: &'static str) -> ChunkedError {
        ChunkedError::InvalidTrailer { reason }
    }

    #[test]
    fn decodes_valid_bodies_identically_at_every_split() {
        let cases: Vec<(&str, &[u8], Expected)> = vec![
            ("two chunks", b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", Ok((b"hello world", vec![], b""))),
            ("empty body", b"0\r\n\r\n", Ok((b"", vec![], b""))),
            (
                "upper and lower hex",
                b"A\r\n0123456789\r\na\r\n0123456789\r\n0\r\n\r\n",
                Ok((b"01234567890123456789", vec![], b"")),
            ),
            ("leading zeros", b"0005\r\nhello\r\n000\r\n\r\n", Ok((b"hello", vec![], b""))),
            ("sixteen digits", b"0000000000000003\r\nabc\r\n0\r\n\r\n", Ok((b"abc", vec![], b""))),
            ("seventeen digits, one significant", b"00000000000000003\r\nabc\r\n0\r\n\r\n", Ok((b"abc", vec![], b""))),
            ("whitespace after size", b"5 \t\r\nhello\r\n0 \r\n\r\n", Ok((b"hello", vec![], b""))),
            ("extensions", b"5;name=value;flag\r\nhello\r\n0;last\r\n\r\n", Ok((b"hello", vec![], b""))),
            ("whitespace before extension", b"5 ; a = b\r\nhello\r\n0\r\n\r\n", Ok((b"hello", vec![], b""))),
            (
                "quoted extension with ; and escaped quote",
                b"5;n=\"a;b\\\"c d\"\r\nhello\r\n0\r\n\r\n",
                Ok((b"hello", vec![], b"")),
            ),
            ("data containing CRLF", b"4\r\n\r\n\r\n\r\n0\r\n\r\n", Ok((b"\r\n\r\n", vec![], b""))),
            (
                "trailers",
                b"0\r\nExpires: never\r\nX-Sum:  abc \t\r\nEmpty:\r\n\r\n",
                Ok((b"", vec![("Expires", "never"), ("X-Sum", "abc"), ("Empty", "")], b"")),
            ),
            ("trailer in latin-1", b"0\r\nX-Name: caf\xe9\r\n\r\n", Ok((b"", vec![("X-Name", "caf\u{e9}")], b""))),
            ("trailer in utf-8", b"0\r\nX-Name: caf\xc3\xa9\r\n\r\n", Ok((b"", vec![("X-Name", "caf\u{e9}")], b""))),
            (
                "leftover is not consumed",
                b"3\r\nabc\r\n0\r\n\r\nHTTP/1.1 200 OK\r\n",
                Ok((b"abc", vec![], b"HTTP/1.1 200 OK\r\n")),
            ),
        ];
        for (name, input, expected) in &cases {
            check(name, input, expected);
        }
    }

    #[test]
    fn rejects_malformed_bodies_identically_at_every_split() {
        let cases: Vec<(&str, &[u8], Expected)> = vec![
            ("no digits", b"\r\n", Err(invalid("a hex digit", b'\r'))),
            ("letter instead of digits", b"x\r\n", Err(invalid("a hex digit", b'x'))),
            ("extension without size", b";a\r\n", Err(invalid("a hex digit", b';'))),
            ("leading space", b" 5\r\nhello\r\n", Err(invalid("a hex digit", b' '))),
            ("0x prefix", b"0x10\r\n", Err(invalid("a hex digit, \";\" or CRLF", b'x'))),
            ("junk after whitespace", b"5 5\r\n", Err(invalid("a hex digit, \";\" or CRLF", b'5'))),
            ("sign", b"-5\r\n", Err(invalid("a hex digit", b'-'))),
            ("seventeen significant digits", b"10000000000000000\r\n", Err(ChunkedError::SizeOverflow)),
            ("overflow", b"1FFFFFFFFFFFFFFFF\r\n", Err(ChunkedError::SizeOverflow)),
            ("overflow after leading zeros", b"0000010000000000000000\r\n", Err(ChunkedError::SizeOverflow)),
            ("bare LF at start", b"\n", Err(ChunkedError::BareLineFeed)),
            ("bare LF after size", b"5\nhello\r\n0\r\n\r\n", Err(ChunkedError::BareLineFeed)),
            ("bare LF after whitespace", b"5 \nhello\r\n", Err(ChunkedError::BareLineFeed)),
            ("bare LF in extension", b"5;a=b\nhello\r\n", Err(ChunkedError::BareLineFeed)),
            ("bare LF in quoted extension", b"5;a=\"b\nc\"\r\nhello\r\n", Err(ChunkedError::BareLineFeed)),
            ("CR without LF", b"5\rhello", Err(invalid("LF after CR", b'h'))),
            (
                "CR inside a quoted extension",
                b"5;n=\"a;b\\\"c\r\"\r\nhello\r\n0\r\n\r\n",
                Err(invalid("a closing quote in the chunk extension", b'\r')),
            ),
            (
                "unterminated quote",
                b"5;a=\"b\r\nhello\r\n",
                Err(invalid("a closing quote in the chunk extension", b'\r')),
            ),
            ("control byte in extension", b"5;a\x00\r\n", Err(invalid("a chunk extension character", 0))),
            ("data longer than size", b"3\r\nhello\r\n", Err(ChunkedError::MissingDataTerminator { found: b'l' })),
            ("junk instead of CRLF", b"5\r\nhelloX\r\n", Err(ChunkedError::MissingDataTerminator { found: b'X' })),
            ("LF only after data", b"5\r\nhello\n0\r\n\r\n", Err(ChunkedError::MissingDataTerminator { found: b'\n' })),
            ("CR then junk after data", b"5\r\nhello\rX", Err(ChunkedError::MissingDataTerminator { found: b'X' })),
            ("trailer without colon", b"0\r\nNoColon\r\n\r\n", Err(bad_trailer("missing \":\" after the field name"))),
            (
                "trailer with space in name",
                b"0\r\nBad Name: v\r\n\r\n",
                Err(bad_trailer("field name must be a non-empty token")),
            ),
            (
                "trailer with space before colon",
                b"0\r\nName : v\r\n\r\n",
                Err(bad_trailer("field name must be a non-empty token")),
            ),
            ("trailer with empty name", b"0\r\n: v\r\n\r\n", Err(bad_trailer("field name must be a non-empty token"))),
            ("folded trailer", b"0\r\nA: b\r\n c\r\n\r\n", Err(bad_trailer("obsolete line folding is not allowed"))),
            (
                "control byte in trailer value",
                b"0\r\nA: b\x01c\r\n\r\n",
                Err(bad_trailer("field value contains a control character")),
            ),
            ("CR without LF in trailer", b"0\r\nA: b\rX", Err(bad_trailer("CR not followed by LF"))),
            ("bare LF in trailer", b"0\r\nA: b\n\r\n", Err(ChunkedError::BareLineFeed)),
            ("bare LF ending trailers", b"0\r\n\n", Err(ChunkedError::BareLineFeed)),
        ];
        for (name, input, expected) in &cases {
            check(name, input, expected);
        }
    }

    #[test]
    fn enforces_size_line_and_trailer_limits() {
        let line_of = |len: usize| {
            let mut line = b"5;".to_vec();
            line.resize(len, b'a');
            line.extend_from_slice(b"\r\nhello\r\n0\r\n\r\n");
            line
        };
        let trailers_of = |count: usize, value_len: usize| {
            let mut input = b"0\r\n".to_vec();
            for i in 0..count {
                input.extend_from_slice(format!("X-{i}: {}\r\n", "v".repeat(value_len)).as_bytes());
            }
            input.extend_from_slice(b"\r\n");
            input
        };
        let hundred = (0..100).map(|i| (format!("X-{i}"), String::new())).collect::<Vec<_>>();
        let cases: Vec<(&str, Vec<u8>, Result<usize, ChunkedError>)> = vec![
            ("size line at the limit", line_of(MAX_SIZE_LINE), Ok(0)),
            ("size line one past the limit", line_of(MAX_SIZE_LINE + 1), Err(ChunkedError::SizeLineTooLong)),
            ("5000-byte extension", line_of(5000), Err(ChunkedError::SizeLineTooLong)),
            ("100 trailers", trailers_of(100, 0), Ok(100)),
            ("101 trailers", trailers_of(101, 0), Err(ChunkedError::TrailersTooLarge)),
            ("trailer section over 16 KiB", trailers_of(1, MAX_TRAILER_BYTES), Err(ChunkedError::TrailersTooLarge)),
        ];
        for (name, input, expected) in cases {
            let result = feed(std::iter::once(&input[..]));
            assert_eq!(result.clone().map(|(_, t, _, _)| t.len()), expected, "{name}: whole input");
            assert_eq!(feed(input.chunks(1)), result, "{name}: byte by byte");
        }
        let (_, trailers, _, _) = feed(std::iter::once(&trailers_of(100, 0)[..])).unwrap_or_default();
        assert_eq!(trailers, hundred);
    }

    #[test]
    fn any_number_of_leading_zeros_is_accepted_up_to_the_size_line_limit() {
        let sized = |zeros: usize, digits: &str| {
            let mut input = "0".repeat(zeros).into_bytes();
            input.extend_from_slice(digits.as_bytes());
            input.extend_from_slice(b"\r\nhello\r\n0\r\n\r\n");
            input
        };
        // (leading zeros, significant digits, expected)
        let cases = [
            (100, "5", Ok(&b"hello"[..])),
            (MAX_SIZE_LINE - 1, "5", Ok(&b"hello"[..])),
            // The zeros still count against the size line's length.
            (MAX_SIZE_LINE, "5", Err(ChunkedError::SizeLineTooLong)),
        ];
        for (zeros, digits, expected) in cases {
            let input = sized(zeros, digits);
            let whole = feed(std::iter::once(&input[..])).map(|(body, ..)| body);
            assert_eq!(whole.as_deref().map_err(|e| *e), expected, "{zeros} zeros, whole");
            let bytewise = feed(input.chunks(1)).map(|(body, ..)| body);
            assert_eq!(bytewise.as_deref().map_err(|e| *e), expected, "{zeros} zeros, byte by byte");
        }
        // Sixteen significant digits after zeros fill a u64; the value is exact.
        let mut decoder = ChunkedDecoder::new();
        let progress = decoder.decode(b"0000FFFFFFFFFFFFFFFE\r\nab", &mut Vec::new());
        assert_eq!(progress, Ok(Progress { consumed: 24, done: false }));
        assert_eq!(decoder.data_remaining(), Some(u64::MAX - 3));
    }

    #[test]
    fn cut_short_body_is_not_done_and_reports_remaining_data() {
        let mut decoder = ChunkedDecoder::new();
        let mut body = Vec::new();
        let progress = decoder.decode(b"5\r\nhel", &mut body);
        assert_eq!(progress, Ok(Progress { consumed: 6, done: false }));
        assert_eq!((body.as_slice(), decoder.data_remaining(), decoder.is_done()), (&b"hel"[..], Some(2), false));
        assert_eq!(decoder.decode(b"", &mut body), Ok(Progress { consumed: 0, done: false }));
    }

    #[test]
    fn huge_announced_size_does_not_reserve_memory() {
        let mut decoder = ChunkedDecoder::new();
        let mut body = Vec::new();
        let progress = decoder.decode(b"FFFFFFFFFFFFFFFF\r\nab", &mut body);
        assert_eq!(progress, Ok(Progress { consumed: 20, done: false }));
        assert_eq!(decoder.data_remaining(), Some(u64::MAX - 2));
        assert!(body.capacity() < 1024, "capacity {}", body.capacity());
    }

    #[test]
    fn error_is_repeated_after_failure() {
        let mut decoder = ChunkedDecoder::new();
        let mut body = Vec::new();
        assert_eq!(decoder.decode(b"zz", &mut body), Err(invalid("a hex digit", b'z')));
        assert_eq!(decoder.decode(b"0\r\n\r\n", &mut body), Err(invalid("a hex digit", b'z')));
    }

    #[test]
    fn error_messages_are_lowercase_and_name_the_byte() {
        let cases = [
            (invalid("a hex digit", b'x'), "invalid chunk size line: expected a hex digit, found \"x\""),
            (invalid("LF after CR", b'\n'), "invalid chunk size line: expected LF after CR, found \"\\n\""),
            (ChunkedError::SizeOverflow, "chunk size has more than 16 significant hex digits (it overflows 64 bits)"),
            (
                ChunkedError::MissingDataTerminator { found: b'X' },
                "chunk data is not followed by CRLF (found \"X\"); the chunk size does not match the data",
            ),
        ];
        for (error, message) in cases {
            assert_eq!(error.to_string(), message);
        }
    }
}
