//! [`BodyDecoder`]: a response body as it comes off the wire, turned into
//! the body the caller reads, as a sans-IO state machine over byte slices.
//!
//! In the path of a request this is the last protocol step. The framing
//! (`framing.rs`) said how the body is delimited and `decode.rs` parsed its
//! `Content-Encoding`; the client's `BodyReader` then hands every slice of
//! received bytes to [`BodyDecoder::decode`] and says when the connection
//! ended ([`BodyDecoder::end_of_input`]). The decoder does everything else:
//!
//! 1. **Unframing**: counting down a Content-Length, running the chunked
//!    state machine (`chunked.rs`), or taking everything until the close.
//! 2. **Content decoding**: gzip or deflate, at most two stacked codings.
//! 3. **The size limit**: decoded bytes counted against `max_body_size`.
//! 4. **The per-call budgets**: one call returns about [`OUTPUT_BUDGET`]
//!    decoded bytes at most, however well the data compresses, because
//!    compressed input is fed to the content decoder in small steps and
//!    feeding stops once the budget is used; and a call that has fed
//!    [`IDLE_INPUT_BUDGET`] bytes without any output stops too, so input
//!    that decodes to nothing (empty gzip members) is also taken a bounded
//!    amount at a time, and the caller can give other tasks a turn.
//!
//! As in `chunked.rs`, partial input is a status, not an error: `decode`
//! takes what it can, says how much it consumed and whether the body is
//! complete, and the caller keeps the rest and calls again with more. So the
//! tests below can split a body at every byte and expect the same result.

use std::fmt;

use crate::http::proto::chunked::{ChunkedDecoder, ChunkedError, Progress};
use crate::http::proto::decode::{Coding, ContentDecodeError, ContentDecoder, DecodeLimits};
use crate::http::proto::framing::BodyLength;

/// Decoded bytes one [`BodyDecoder::decode`] call aims to return at most.
/// A call stops feeding the content decoder once past it, so the overshoot
/// is what one small input step can expand to (see
/// `ContentDecoder::input_step`). Identity bodies are not held to it: their
/// output is never larger than the input the caller already holds.
pub(crate) const OUTPUT_BUDGET: usize = 64 * 1024;

/// Compressed bytes one [`BodyDecoder::decode`] call feeds at most while
/// they decode to nothing. 1 KiB of empty gzip members is 51 inflater
/// resets, about half a millisecond in a debug build: the most one call
/// spends on input that gives nothing back, so a reader that yields after
/// each such call keeps a 10 ms ticker on the same loop on time.
pub(crate) const IDLE_INPUT_BUDGET: usize = 1024;

/// How the rest of the body is delimited.
#[derive(Debug)]
enum Wire {
    /// This many bytes are still to come, of `announced` in all.
    Length {
        /// Bytes still to come.
        remaining: u64,
        /// The Content-Length, for the error at an early end.
        announced: u64,
    },
    /// Chunked transfer coding.
    Chunked(ChunkedDecoder),
    /// Everything until the connection ends.
    UntilClose,
}

/// Why a body could not be decoded. Every one is final: the decoder's state,
/// and the connection's, cannot be trusted after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BodyError {
    /// The chunked framing broke its grammar.
    Chunked(ChunkedError),
    /// The content coding could not be undone: unsupported or too many
    /// codings (reported by the first call), corrupt or truncated data.
    /// Never [`ContentDecodeError::TooLarge`], `TooManyMembers` or
    /// `TooMuchInput`, which become the variants of the same names.
    Content(ContentDecodeError),
    /// The decoded body grew past the limit.
    TooLarge {
        /// The limit, in decoded bytes.
        limit: u64,
    },
    /// A gzip coding had more members than allowed.
    TooManyMembers {
        /// The most members allowed.
        limit: u64,
    },
    /// The content decoder took more input per decoded byte than allowed.
    TooMuchInput {
        /// The most input bytes allowed per decoded byte.
        ratio: u64,
        /// The input bytes allowed before the ratio applies.
        slack: u64,
    },
    /// The input ended before the announced Content-Length.
    ShortLength {
        /// Body bytes that did arrive.
        received: u64,
        /// The Content-Length.
        announced: u64,
    },
    /// The input ended before the chunked body's last chunk.
    UnfinishedChunked,
}

impl fmt::Display for BodyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BodyError::Chunked(error) => write!(f, "{error}"),
            BodyError::Content(error) => write!(f, "{error}"),
            BodyError::TooLarge { limit } => write!(f, "decoded body exceeds the limit of {limit} bytes"),
            BodyError::TooManyMembers { limit } => {
                write!(f, "{}", ContentDecodeError::TooManyMembers { limit: *limit })
            }
            BodyError::TooMuchInput { ratio, slack } => {
                write!(f, "{}", ContentDecodeError::TooMuchInput { ratio: *ratio, slack: *slack })
            }
            BodyError::ShortLength { received, announced } => {
                write!(f, "the connection closed after {received} of {announced} body bytes")
            }
            BodyError::UnfinishedChunked => write!(f, "the connection closed in the middle of a chunked body"),
        }
    }
}

impl std::error::Error for BodyError {}

impl From<ContentDecodeError> for BodyError {
    fn from(error: ContentDecodeError) -> Self {
        match error {
            ContentDecodeError::TooLarge { limit } => BodyError::TooLarge { limit },
            ContentDecodeError::TooManyMembers { limit } => BodyError::TooManyMembers { limit },
            ContentDecodeError::TooMuchInput { ratio, slack } => BodyError::TooMuchInput { ratio, slack },
            other => BodyError::Content(other),
        }
    }
}

/// One response body's decoding state; see the module documentation.
#[derive(Debug)]
pub(crate) struct BodyDecoder {
    /// How the rest is delimited; `None` once the body is complete (or if it
    /// never had one).
    wire: Option<Wire>,
    /// The Content-Encoding decoder, `None` for identity.
    content: Option<ContentDecoder>,
    /// An unusable Content-Encoding, reported by the first `decode` so the
    /// caller still sees the status and headers.
    refused: Option<ContentDecodeError>,
    /// What the body is allowed (`max_body_size` and the input limits).
    limits: DecodeLimits,
    /// Identity bytes produced so far (a content decoder counts its own).
    produced: u64,
    /// Chunked data already unframed but not yet through the content
    /// decoder (`pending[pending_start..]`); the allocation is reused.
    pending: Vec<u8>,
    /// How much of `pending` the content decoder has taken.
    pending_start: usize,
    /// Trailer fields of a chunked body, kept when it completes.
    trailers: Vec<(String, String)>,
}

impl BodyDecoder {
    /// A decoder for a body delimited as `body`, with the content codings
    /// `codings` (as `parse_content_encoding` returned them: an error there
    /// is reported by the first [`decode`](Self::decode)), held to `limits`.
    pub(crate) fn new(
        body: BodyLength,
        codings: Result<Vec<Coding>, ContentDecodeError>,
        limits: DecodeLimits,
    ) -> BodyDecoder {
        let wire = match body {
            BodyLength::Empty | BodyLength::Length(0) => None,
            BodyLength::Length(length) => Some(Wire::Length { remaining: length, announced: length }),
            BodyLength::Chunked => Some(Wire::Chunked(ChunkedDecoder::new())),
            BodyLength::UntilClose => Some(Wire::UntilClose),
        };
        let (content, refused) = match codings {
            Ok(codings) => ((!codings.is_empty()).then(|| ContentDecoder::new(&codings, limits)), None),
            Err(error) => (None, Some(error)),
        };
        BodyDecoder {
            wire,
            content,
            refused,
            limits,
            produced: 0,
            pending: Vec::new(),
            pending_start: 0,
            trailers: Vec::new(),
        }
    }

    /// True once the body is complete; from the start for a response
    /// without one (HEAD, 204, 304, `Content-Length: 0`).
    pub(crate) fn is_done(&self) -> bool {
        self.wire.is_none()
    }

    /// True when only the end of the connection ends this body: its end is
    /// then only as trustworthy as the way the connection ended.
    pub(crate) fn is_close_delimited(&self) -> bool {
        matches!(self.wire, Some(Wire::UntilClose))
    }

    /// True while chunked data unframed by an earlier call still waits for
    /// the content decoder: the next call makes progress without new input.
    pub(crate) fn has_pending(&self) -> bool {
        self.pending_start < self.pending.len()
    }

    /// The trailer fields of a chunked body; empty until it is complete.
    pub(crate) fn trailers(&self) -> &[(String, String)] {
        &self.trailers
    }

    /// Decodes as much of `input` (the received bytes not consumed yet) as
    /// the output budget allows and appends the body bytes to `out`.
    ///
    /// `consumed` says how much of `input` was used; the caller keeps the
    /// rest, and calls again with it (plus whatever arrives meanwhile) once
    /// it has handed on this call's output. `done` means the body is
    /// complete and checked, content coding included; bytes after it belong
    /// to the next response. A call that neither consumes nor produces
    /// anything needs more input.
    pub(crate) fn decode(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<Progress, BodyError> {
        if let Some(error) = self.refused.take() {
            return Err(error.into());
        }
        let not_yet = |consumed| Ok(Progress { consumed, done: false });
        let limit = self.limits.max_size;
        let mut feeder = Feeder { content: &mut self.content, limit, produced: &mut self.produced, start: out.len() };
        let Some(wire) = &mut self.wire else { return Ok(Progress { consumed: 0, done: true }) };
        // Step 1: chunked data unframed by an earlier call goes first.
        if self.pending_start < self.pending.len() {
            self.pending_start += feeder.feed(&self.pending[self.pending_start..], out)?;
            if self.pending_start < self.pending.len() {
                return not_yet(0);
            }
            if let Wire::Chunked(chunked) = wire
                && chunked.is_done()
            {
                self.complete(out)?;
                return Ok(Progress { consumed: 0, done: true });
            }
        }
        if input.is_empty() {
            return not_yet(0);
        }
        // Step 2: unframe the new bytes, and pass them on.
        let (consumed, ended) = match wire {
            Wire::Length { remaining, .. } => {
                let take = usize::try_from(*remaining).map_or(input.len(), |left| left.min(input.len()));
                let used = feeder.feed(&input[..take], out)?;
                *remaining -= used as u64;
                (used, *remaining == 0)
            }
            // Without a content decoder, chunk data goes straight into
            // `out`: one copy from the caller's buffer, none between.
            Wire::Chunked(chunked) if feeder.content.is_none() => {
                let before = out.len();
                let progress = chunked.decode(input, out).map_err(BodyError::Chunked)?;
                if let Err(error) = feeder.count((out.len() - before) as u64) {
                    // Unframed before it was counted: this call's bytes go,
                    // so nothing past the limit stays beside the error.
                    out.truncate(before);
                    return Err(error);
                }
                (progress.consumed, progress.done)
            }
            Wire::Chunked(chunked) => {
                self.pending.clear();
                let progress = chunked.decode(input, &mut self.pending).map_err(BodyError::Chunked)?;
                self.pending_start = feeder.feed(&self.pending, out)?;
                (progress.consumed, progress.done && self.pending_start == self.pending.len())
            }
            Wire::UntilClose => (feeder.feed(input, out)?, false),
        };
        if ended {
            self.complete(out)?;
        }
        Ok(Progress { consumed, done: ended })
    }

    /// The input ended (the connection closed). That completes a
    /// close-delimited body, after the content decoder's last check; for
    /// every other framing the body was cut short. After the body is
    /// complete it changes nothing.
    pub(crate) fn end_of_input(&mut self, out: &mut Vec<u8>) -> Result<(), BodyError> {
        match &self.wire {
            None | Some(Wire::UntilClose) => self.complete(out),
            Some(Wire::Length { remaining, announced }) => {
                Err(BodyError::ShortLength { received: announced - remaining, announced: *announced })
            }
            Some(Wire::Chunked(_)) => Err(BodyError::UnfinishedChunked),
        }
    }

    /// The framing ended: check that the content coding ended too, and keep
    /// the trailers.
    fn complete(&mut self, out: &mut Vec<u8>) -> Result<(), BodyError> {
        if let Some(content) = &mut self.content {
            content.finish(out)?;
        }
        if let Some(Wire::Chunked(chunked)) = self.wire.take() {
            self.trailers = chunked.into_trailers();
        }
        Ok(())
    }
}

/// Passes unframed body bytes through the content decoder (or copies them,
/// for identity) into the caller's buffer, enforcing the size limit and the
/// output budget.
struct Feeder<'a> {
    /// The content decoder, `None` for identity.
    content: &'a mut Option<ContentDecoder>,
    /// Decoded bytes allowed in all.
    limit: u64,
    /// Identity bytes produced so far (a content decoder counts its own).
    produced: &'a mut u64,
    /// Where this call's output began in the caller's buffer.
    start: usize,
}

impl Feeder<'_> {
    /// Feeds `raw`, stopping early once the output budget is used up, or
    /// once [`IDLE_INPUT_BUDGET`] bytes gave no output at all; returns how
    /// many bytes of `raw` were taken.
    fn feed(&mut self, raw: &[u8], out: &mut Vec<u8>) -> Result<usize, BodyError> {
        let Some(content) = self.content else {
            self.count(raw.len() as u64)?;
            out.extend_from_slice(raw);
            return Ok(raw.len());
        };
        // Small steps, so that a bomb cannot turn one call into gigabytes:
        // `input_step` bounds what one step can expand to.
        let mut used = 0;
        for piece in raw.chunks(content.input_step()) {
            content.decode(piece, out)?;
            used += piece.len();
            let made = out.len() - self.start;
            if made >= OUTPUT_BUDGET || (made == 0 && used >= IDLE_INPUT_BUDGET) {
                break;
            }
        }
        Ok(used)
    }

    /// Counts identity bytes against the limit.
    fn count(&mut self, bytes: u64) -> Result<(), BodyError> {
        *self.produced += bytes;
        if *self.produced > self.limit {
            return Err(BodyError::TooLarge { limit: self.limit });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::proto::decode::tests::{gzip, zlib};

    #[test]
    fn a_chunked_body_past_the_limit_leaves_nothing_past_it_beside_the_error() {
        let body = chunked(b"0123456789", 10, "");
        let mut decoder = BodyDecoder::new(BodyLength::Chunked, Ok(Vec::new()), DecodeLimits::only_size(5));
        let mut out = b"kept".to_vec();
        let error = decoder.decode(&body, &mut out).unwrap_err();
        assert!(matches!(error, BodyError::TooLarge { limit: 5 }), "{error:?}");
        assert_eq!(out, b"kept", "the bytes past the limit were left in the caller's buffer");
    }

    /// `data` in chunked framing, `piece` bytes per chunk, then `trailers`.
    fn chunked(data: &[u8], piece: usize, trailers: &str) -> Vec<u8> {
        let mut out = Vec::new();
        for part in data.chunks(piece) {
            out.extend_from_slice(format!("{:x}\r\n", part.len()).as_bytes());
            out.extend_from_slice(part);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(format!("0\r\n{trailers}\r\n").as_bytes());
        out
    }

    /// What a whole body decodes to: the body, its trailers, the bytes left
    /// after it, and whether it completed before the input ended.
    #[derive(Debug, PartialEq)]
    struct Decoded {
        body: Vec<u8>,
        trailers: Vec<(String, String)>,
        leftover: Vec<u8>,
        done: bool,
    }

    /// Feeds `pieces` the way the client does: append each to a buffer,
    /// call `decode` until it makes no progress, drop what it consumed.
    /// With `close`, the input then ends. Checks the output budget on
    /// every call.
    fn feed<'a>(
        framing: BodyLength,
        codings: Result<Vec<Coding>, ContentDecodeError>,
        limit: u64,
        pieces: impl Iterator<Item = &'a [u8]>,
        close: bool,
    ) -> Result<Decoded, BodyError> {
        // One input step through one coding expands to ~1 MiB at most.
        const OVERSHOOT: usize = 1032 * 1024;
        let mut decoder = BodyDecoder::new(framing, codings, DecodeLimits::only_size(limit));
        let (mut buffer, mut body) = (Vec::new(), Vec::new());
        let mut done = decoder.is_done();
        for piece in pieces {
            buffer.extend_from_slice(piece);
            while !done {
                let before = body.len();
                let progress = decoder.decode(&buffer, &mut body)?;
                assert!(body.len() - before <= OUTPUT_BUDGET + OVERSHOOT, "one call made {}", body.len() - before);
                buffer.drain(..progress.consumed);
                done = progress.done;
                if progress.consumed == 0 && body.len() == before && !decoder.has_pending() {
                    break;
                }
            }
        }
        if close && !done {
            decoder.end_of_input(&mut body)?;
        }
        let trailers = decoder.trailers().to_vec();
        Ok(Decoded { body, trailers, leftover: buffer, done })
    }

    /// Feeds `input` whole, split in two at every byte (when short), and one
    /// byte at a time, and checks that all agree with `expected`.
    fn check(name: &str, case: &Case, expected: &Result<Decoded, BodyError>) {
        let run = |pieces: &mut dyn Iterator<Item = &[u8]>| {
            feed(case.framing, case.codings.clone(), case.limit, pieces, case.close)
        };
        let input = &case.input[..];
        assert_eq!(&run(&mut std::iter::once(input)), expected, "{name}: whole input");
        if input.len() <= 512 {
            for split in 0..=input.len() {
                let (a, b) = input.split_at(split);
                assert_eq!(&run(&mut [a, b].into_iter()), expected, "{name}: split at {split}");
            }
        }
        if input.len() <= 4096 {
            assert_eq!(&run(&mut input.chunks(1)), expected, "{name}: byte by byte");
        }
    }

    /// One row of the table: the body on the wire and how it is framed.
    struct Case {
        framing: BodyLength,
        codings: Result<Vec<Coding>, ContentDecodeError>,
        limit: u64,
        input: Vec<u8>,
        /// Whether the input ends (the connection closes) after `input`.
        close: bool,
    }

    fn case(framing: BodyLength, codings: &[Coding], input: &[u8], close: bool) -> Case {
        Case { framing, codings: Ok(codings.to_vec()), limit: 1 << 30, input: input.to_vec(), close }
    }

    fn body(body: &[u8], trailers: &[(&str, &str)], leftover: &[u8], done: bool) -> Result<Decoded, BodyError> {
        let trailers = trailers.iter().map(|&(name, value)| (name.to_owned(), value.to_owned())).collect();
        Ok(Decoded { body: body.to_vec(), trailers, leftover: leftover.to_vec(), done })
    }

    const TEXT: &[u8] = b"The Shawshank Redemption, 1994. Hope is a good thing, maybe the best of things.";

    #[test]
    fn bodies_decode_identically_at_every_split() {
        use BodyLength::*;
        use Coding::*;
        let with_leftover = |mut bytes: Vec<u8>| {
            bytes.extend_from_slice(b"HTTP/1.1 200 OK\r\n");
            bytes
        };
        let stacked = gzip(&zlib(TEXT));
        let cases: Vec<(&str, Case, Result<Decoded, BodyError>)> = vec![
            ("no body", case(Empty, &[], b"", false), body(b"", &[], b"", true)),
            ("length 0", case(Length(0), &[], b"next", false), body(b"", &[], b"next", true)),
            ("length", case(Length(5), &[], b"hello", false), body(b"hello", &[], b"", true)),
            (
                "length leaves the next response",
                case(Length(5), &[], &with_leftover(b"hello".to_vec()), false),
                body(b"hello", &[], b"HTTP/1.1 200 OK\r\n", true),
            ),
            (
                "chunked with trailers",
                case(Chunked, &[], &chunked(TEXT, 7, "X-Sum: 1\r\n"), false),
                body(TEXT, &[("X-Sum", "1")], b"", true),
            ),
            (
                "chunked leaves the next response",
                case(Chunked, &[], &with_leftover(chunked(b"abc", 2, "")), false),
                body(b"abc", &[], b"HTTP/1.1 200 OK\r\n", true),
            ),
            ("until close", case(UntilClose, &[], TEXT, true), body(TEXT, &[], b"", false)),
            ("until close, not yet closed", case(UntilClose, &[], TEXT, false), body(TEXT, &[], b"", false)),
            (
                "gzip by length",
                case(Length(gzip(TEXT).len() as u64), &[Gzip], &gzip(TEXT), false),
                body(TEXT, &[], b"", true),
            ),
            ("gzip chunked", case(Chunked, &[Gzip], &chunked(&gzip(TEXT), 5, ""), false), body(TEXT, &[], b"", true)),
            (
                "gzip chunked leaves the next response",
                case(Chunked, &[Gzip], &with_leftover(chunked(&gzip(TEXT), 9, "")), false),
                body(TEXT, &[], b"HTTP/1.1 200 OK\r\n", true),
            ),
            ("deflate until close", case(UntilClose, &[Deflate], &zlib(TEXT), true), body(TEXT, &[], b"", false)),
            (
                "two stacked codings",
                case(Length(stacked.len() as u64), &[Deflate, Gzip], &stacked, false),
                body(TEXT, &[], b"", true),
            ),
            ("empty gzip body", case(UntilClose, &[Gzip], b"", true), body(b"", &[], b"", false)),
        ];
        for (name, case, expected) in &cases {
            check(name, case, expected);
        }
    }

    #[test]
    fn early_ends_and_broken_bodies_are_errors_at_every_split() {
        use BodyLength::*;
        use Coding::*;
        let mut truncated = gzip(TEXT);
        truncated.truncate(truncated.len() - 4);
        let cases: Vec<(&str, Case, Result<Decoded, BodyError>)> = vec![
            (
                "length cut short",
                case(Length(10), &[], b"hello", true),
                Err(BodyError::ShortLength { received: 5, announced: 10 }),
            ),
            (
                "length not yet complete is not an error",
                case(Length(10), &[], b"hello", false),
                body(b"hello", &[], b"", false),
            ),
            ("chunked cut short", case(Chunked, &[], b"5\r\nhel", true), Err(BodyError::UnfinishedChunked)),
            (
                "chunked cut after the last chunk",
                case(Chunked, &[], b"5\r\nhello\r\n0\r\n", true),
                Err(BodyError::UnfinishedChunked),
            ),
            (
                "bad chunk size",
                case(Chunked, &[], b"zz\r\n", false),
                Err(BodyError::Chunked(ChunkedError::InvalidSizeLine { expected: "a hex digit", found: b'z' })),
            ),
            (
                "gzip cut short until close",
                case(UntilClose, &[Gzip], &truncated, true),
                Err(BodyError::Content(ContentDecodeError::Truncated)),
            ),
            (
                "gzip shorter than its length",
                case(Length(truncated.len() as u64), &[Gzip], &truncated, false),
                Err(BodyError::Content(ContentDecodeError::Truncated)),
            ),
            (
                "not gzip at all",
                case(Length(4), &[Gzip], b"nope", false),
                Err(BodyError::Content(ContentDecodeError::Corrupt("not a gzip stream (bad magic)".into()))),
            ),
        ];
        for (name, case, expected) in &cases {
            check(name, case, expected);
        }
    }

    #[test]
    fn the_limit_counts_decoded_bytes_in_every_framing() {
        use BodyLength::*;
        use Coding::*;
        let limited =
            |framing, codings: &[Coding], input: &[u8], limit| Case { limit, ..case(framing, codings, input, true) };
        let too_large = |limit| Err(BodyError::TooLarge { limit });
        let cases: Vec<(&str, Case, Result<Decoded, BodyError>)> = vec![
            ("length at the limit", limited(Length(5), &[], b"hello", 5), body(b"hello", &[], b"", true)),
            ("length past the limit", limited(Length(5), &[], b"hello", 4), too_large(4)),
            ("chunked past the limit", limited(Chunked, &[], &chunked(b"hello", 2, ""), 4), too_large(4)),
            ("until close past the limit", limited(UntilClose, &[], b"hello", 4), too_large(4)),
            (
                "gzip at the limit",
                limited(UntilClose, &[Gzip], &gzip(TEXT), TEXT.len() as u64),
                body(TEXT, &[], b"", false),
            ),
            (
                "gzip past the limit",
                limited(UntilClose, &[Gzip], &gzip(TEXT), TEXT.len() as u64 - 1),
                too_large(TEXT.len() as u64 - 1),
            ),
            ("gzip chunked past the limit", limited(Chunked, &[Gzip], &chunked(&gzip(TEXT), 8, ""), 10), too_large(10)),
        ];
        for (name, case, expected) in &cases {
            check(name, case, expected);
        }
    }

    #[test]
    fn an_unusable_content_encoding_is_reported_by_the_first_call() {
        let refused = ContentDecodeError::UnsupportedEncoding("br".into());
        let mut decoder =
            BodyDecoder::new(BodyLength::Length(2), Err(refused.clone()), DecodeLimits::only_size(1 << 20));
        let mut out = Vec::new();
        assert_eq!(decoder.decode(b"", &mut out), Err(BodyError::Content(refused)));
        let too_many = BodyDecoder::new(
            BodyLength::Chunked,
            Err(ContentDecodeError::TooManyEncodings),
            DecodeLimits::only_size(1 << 20),
        )
        .decode(b"2\r\nxx\r\n0\r\n\r\n", &mut out);
        assert_eq!(too_many, Err(BodyError::Content(ContentDecodeError::TooManyEncodings)));
        assert!(out.is_empty());
    }

    #[test]
    fn one_call_takes_a_bounded_amount_of_input_that_decodes_to_nothing() {
        let flood = gzip(b"").repeat(10_000);
        let framed = chunked(&flood, 16 * 1024, "");
        for (name, framing, wire) in
            [("until close", BodyLength::UntilClose, &flood), ("chunked", BodyLength::Chunked, &framed)]
        {
            let mut decoder = BodyDecoder::new(framing, Ok(vec![Coding::Gzip]), DecodeLimits::only_size(u64::MAX));
            let (mut input, mut body, mut calls) = (&wire[..], Vec::new(), 0);
            while !input.is_empty() || decoder.has_pending() {
                let progress = decoder.decode(input, &mut body).unwrap();
                if framing == BodyLength::UntilClose {
                    assert!(progress.consumed <= IDLE_INPUT_BUDGET, "{name}: one call took {}", progress.consumed);
                }
                assert!(body.is_empty(), "{name}: empty members decoded to something");
                input = &input[progress.consumed..];
                calls += 1;
            }
            // Each call fed the content decoder the budget at most.
            assert!(calls >= flood.len() / IDLE_INPUT_BUDGET, "{name}: only {calls} calls");
        }
    }

    #[test]
    fn one_call_returns_about_the_budget_however_well_data_compresses() {
        let zeros = vec![0u8; 8 << 20];
        for (name, codings, wire) in [
            ("gzip", vec![Coding::Gzip], gzip(&zeros)),
            ("gzip over deflate", vec![Coding::Deflate, Coding::Gzip], gzip(&zlib(&zeros))),
        ] {
            let mut decoder = BodyDecoder::new(BodyLength::UntilClose, Ok(codings), DecodeLimits::only_size(u64::MAX));
            let (mut input, mut body, mut calls) = (&wire[..], Vec::new(), 0);
            while !input.is_empty() {
                let before = body.len();
                let progress = decoder.decode(input, &mut body).unwrap();
                assert!(
                    body.len() - before <= OUTPUT_BUDGET + 1032 * 1024,
                    "{name}: one call made {}",
                    body.len() - before
                );
                assert!(progress.consumed > 0 || body.len() > before, "{name}: no progress");
                input = &input[progress.consumed..];
                calls += 1;
            }
            assert_eq!(decoder.end_of_input(&mut body), Ok(()), "{name}");
            assert_eq!(body.len(), zeros.len(), "{name}");
            assert!(calls >= zeros.len() / (OUTPUT_BUDGET + 1032 * 1024), "{name}: only {calls} calls");
        }
    }
}
