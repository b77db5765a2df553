//! The properties every parser in this folder keeps on any input, written
//! once as checks that panic when one breaks: the property tests
//! (`proptests.rs`) call them on generated and mutated responses, and the
//! cargo-fuzz targets (`fuzz/`, through the hidden `corio::fuzzing` module)
//! call them on whatever libFuzzer makes up.
//!
//! Each check runs a parser twice, once with the whole input at once and
//! once with the same bytes split at `cuts`, and asserts:
//!
//! - it does not panic (a panic is the finding);
//! - the result is the same whatever the split: the same head, framing,
//!   body bytes and trailers, or a failure in both runs;
//! - nothing grows past the limits passed in: a head is never longer than
//!   `max_head_bytes`, a decoded body never longer than its limit, one
//!   decode call never returns much more than the output budget, and chunk
//!   data is never reserved ahead of its arrival.
//!
//! The URL check asserts that parse, serialize, parse is stable instead.
//! Compiled only for tests and for the `fuzzing` feature.

use crate::http::proto::body_decoder::{BodyDecoder, BodyError, OUTPUT_BUDGET};
use crate::http::proto::chunked::{ChunkedDecoder, ChunkedError, MAX_TRAILER_BYTES, MAX_TRAILER_FIELDS};
use crate::http::proto::decode::{Coding, DecodeLimits, parse_content_encoding};
use crate::http::proto::framing::{BodyLength, Framing, FramingError, response_framing};
use crate::http::proto::head::{HeadError, HeadLimits, HeadScanner, ResponseHead, parse_head};
use crate::http::proto::url::Url;

/// How many decoded bytes one step of compressed input may add to a
/// [`BodyDecoder::decode`] call past [`OUTPUT_BUDGET`]: deflate expands 1
/// KiB (the input step) to about 1 MiB, two stacked gzip or deflate codings
/// expand their 1-byte step to about as much, and 16 bytes of zstd complete
/// at most 6 blocks of 128 KiB. Brotli has no such ratio
/// (`ContentDecoder::input_step` says so), nor has zstd stacked with
/// another coding, so for those only the size limit is checked.
pub const STEP_EXPANSION: usize = 2 * 1024 * 1024;

/// The pieces of `input` when it is cut at `cuts` (taken modulo
/// `input.len() + 1`, in any order, repeats allowed): never empty, and
/// together exactly `input`.
pub fn split_at_cuts<'a>(input: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut ends: Vec<usize> = cuts.iter().map(|cut| cut % (input.len() + 1)).collect();
    ends.push(input.len());
    ends.sort_unstable();
    ends.dedup();
    let mut start = 0;
    let mut pieces = Vec::with_capacity(ends.len());
    for end in ends {
        if end > start || (end == 0 && input.is_empty()) {
            pieces.push(&input[start..end]);
        }
        start = end;
    }
    pieces
}

/// Scans and parses a response head from `input` received whole and split
/// at `cuts`; returns the parsed head, if one was complete.
///
/// Checks: the scanner finds the same end (or the same error) either way;
/// it never waits for more once `max_head_bytes` have arrived; the head is
/// within `max_head_bytes`; httparse, run on the head alone,
/// ends it exactly where the scanner did; the parsed head has at most
/// `max_headers` fields; its framing can be decided without a panic.
pub fn check_head(input: &[u8], cuts: &[usize], max_head_bytes: usize, max_headers: usize) -> Option<ResponseHead> {
    let limits = HeadLimits { max_head_bytes, max_headers };
    let whole = scan_head(&[input], &limits);
    let split = scan_head(&split_at_cuts(input, cuts), &limits);
    assert_same_scan(&whole, &split);
    let (len, _) = whole.ok()??;
    assert!(len <= max_head_bytes && len <= input.len(), "a head of {len} bytes passed the limit of {max_head_bytes}");
    let head = parse_head(&input[..len], &limits);
    if let Err(HeadError::Malformed { reason, .. }) = &head {
        assert_ne!(reason, "head ends before it is complete", "the scanner ended the head before httparse does");
    }
    let head = head.ok()?;
    assert!(head.headers.len() <= max_headers, "{} fields passed the limit of {max_headers}", head.headers.len());
    assert_eq!(httparse_end(&input[..len]), Some(len), "httparse ends the head elsewhere than the scanner");
    for request_was_head in [false, true] {
        let _ = response_framing(request_was_head, &head);
    }
    Some(head)
}

/// A scan's answer: the head's length and the index of the piece that
/// completed it, `None` if the input ended first, or the error.
type ScanResult = Result<Option<(usize, usize)>, HeadError>;

/// Feeds a growing buffer to a [`HeadScanner`], one piece more each time,
/// as the connection does; returns the first conclusive answer with the
/// index of the piece that completed the head.
fn scan_head(pieces: &[&[u8]], limits: &HeadLimits) -> ScanResult {
    let mut scanner = HeadScanner::new();
    let mut buf = Vec::new();
    for (index, piece) in pieces.iter().enumerate() {
        buf.extend_from_slice(piece);
        if let Some(len) = scanner.scan(&buf, limits)? {
            return Ok(Some((len, index)));
        }
        // Asking for more once past the limit would let a peer fill memory.
        assert!(buf.len() <= limits.max_head_bytes, "{} bytes buffered for a head, past the limit", buf.len());
    }
    Ok(None)
}

/// Asserts that two scans of the same bytes, whole and split, found the
/// same end or failed the same way. A malformed head quotes the bytes that
/// had arrived when it was refused, which depends on the split, so only
/// the reason is compared.
fn assert_same_scan(whole: &ScanResult, split: &ScanResult) {
    let same = match (whole, split) {
        (Ok(whole), Ok(split)) => whole.map(|(len, _)| len) == split.map(|(len, _)| len),
        (Err(HeadError::Malformed { reason, .. }), Err(HeadError::Malformed { reason: other, .. })) => reason == other,
        (Err(whole), Err(split)) => whole == split,
        _ => false,
    };
    assert!(same, "the head scanner's answer depends on how the bytes arrive: {whole:?} whole, {split:?} split");
}

/// Where httparse itself says a complete head ends, with room for any
/// number of fields.
fn httparse_end(head: &[u8]) -> Option<usize> {
    let mut slots = vec![httparse::EMPTY_HEADER; head.len() / 2 + 1];
    let mut response = httparse::Response::new(&mut slots);
    let parsed = httparse::ParserConfig::default()
        .allow_multiple_spaces_in_response_status_delimiters(true)
        .allow_obsolete_multiline_headers_in_responses(true)
        .parse_response(&mut response, head);
    match parsed {
        Ok(httparse::Status::Complete(len)) => Some(len),
        _ => None,
    }
}

/// What a [`ChunkedDecoder`] made of a whole input.
#[derive(Debug, PartialEq, Eq)]
struct ChunkedRun {
    /// The chunk data.
    data: Vec<u8>,
    /// Bytes consumed and whether the body was complete, or the error.
    outcome: Result<(usize, bool), ChunkedError>,
    /// The trailer fields.
    trailers: Vec<(String, String)>,
}

/// Decodes `input` as a chunked body, whole and split at `cuts`; returns
/// the data if the body was complete and valid.
///
/// Checks: the data, bytes consumed, completion, trailers and error are the
/// same either way; no call returns more data than its input; the data is
/// never reserved ahead (capacity stays within twice what arrived); the
/// trailers stay within their limits.
pub fn check_chunked(input: &[u8], cuts: &[usize]) -> Option<Vec<u8>> {
    let whole = run_chunked(&[input]);
    let split = run_chunked(&split_at_cuts(input, cuts));
    assert_eq!(whole, split, "the chunked decoder's result depends on how the bytes arrive");
    let trailer_bytes: usize = whole.trailers.iter().map(|(name, value)| name.len() + value.len()).sum();
    assert!(whole.trailers.len() <= MAX_TRAILER_FIELDS && trailer_bytes <= MAX_TRAILER_BYTES);
    match whole.outcome {
        Ok((_, true)) => Some(whole.data),
        _ => None,
    }
}

/// Runs one [`ChunkedDecoder`] over `pieces`, as they arrive.
fn run_chunked(pieces: &[&[u8]]) -> ChunkedRun {
    let mut decoder = ChunkedDecoder::new();
    let mut data = Vec::new();
    let mut consumed = 0;
    let mut received = 0;
    for piece in pieces {
        received += piece.len();
        let before = data.len();
        let progress = match decoder.decode(piece, &mut data) {
            Ok(progress) => progress,
            Err(error) => return ChunkedRun { data, outcome: Err(error), trailers: Vec::new() },
        };
        assert!(data.len() - before <= progress.consumed, "chunked data out of nothing");
        assert!(data.capacity() <= 2 * received + 64, "chunk data reserved ahead of its arrival");
        consumed += progress.consumed;
        if progress.done {
            break;
        }
        assert_eq!(progress.consumed, piece.len(), "an unfinished chunked body left input unread");
    }
    let done = decoder.is_done();
    ChunkedRun { data, outcome: Ok((consumed, done)), trailers: decoder.into_trailers() }
}

/// What a [`BodyDecoder`] made of a whole input.
#[derive(Debug)]
pub struct BodyRun {
    /// The decoded body bytes.
    pub data: Vec<u8>,
    /// Bytes of input left after the body (the next response's), or the
    /// error.
    outcome: Result<usize, BodyError>,
    /// The trailer fields of a chunked body.
    trailers: Vec<(String, String)>,
}

impl BodyRun {
    /// True if the body was decoded to its end without an error.
    #[cfg(test)]
    pub fn is_ok(&self) -> bool {
        self.outcome.is_ok()
    }

    /// Asserts that `self` (input received whole) and `split` (the same
    /// input, split) are the same result: equal if both succeeded, and
    /// otherwise both failures, one's data a prefix of the other's. Two
    /// faults in one body may be found in either order (a chunked framing
    /// error late in a piece the whole run unframes before it inflates
    /// anything, a corrupt stream early), so the errors may differ.
    fn assert_same(&self, split: &BodyRun) {
        match (&self.outcome, &split.outcome) {
            (Ok(_), Ok(_)) => {
                assert_eq!(self.outcome, split.outcome, "the body ends elsewhere when split");
                assert!(self.data == split.data, "the body decodes to other bytes when split");
                assert_eq!(self.trailers, split.trailers, "the trailers differ when split");
            }
            (Err(_), Err(_)) => {
                let shorter = self.data.len().min(split.data.len());
                assert!(self.data[..shorter] == split.data[..shorter], "a failing body's data differs when split");
            }
            (whole, split) => panic!("the body decodes whole to {whole:?} but split to {split:?}"),
        }
    }
}

/// Decodes `input` as a body delimited by `body`, with `content_encoding`
/// (the header's value) and at most `limit` decoded bytes, whole and split
/// at `cuts`.
///
/// Checks: the same body (or failure) either way; never more than `limit`
/// decoded bytes, not even beside the error for passing it; no call
/// returns more than [`OUTPUT_BUDGET`] plus one input step's expansion
/// ([`STEP_EXPANSION`];
/// brotli, and zstd stacked with another coding, excepted); identity
/// bodies never output more than came in.
pub fn check_body(input: &[u8], cuts: &[usize], body: BodyLength, content_encoding: &str, limit: u64) -> BodyRun {
    let decoder =
        || BodyDecoder::new(body, parse_content_encoding([content_encoding].into_iter()), session_limits(limit));
    let codings = parse_content_encoding([content_encoding].into_iter()).unwrap_or_default();
    let whole = run_body(decoder(), &[input], &codings, limit);
    let split = run_body(decoder(), &split_at_cuts(input, cuts), &codings, limit);
    whole.assert_same(&split);
    whole
}

/// Runs one [`BodyDecoder`] over `pieces` as the client's body reader does:
/// unconsumed bytes are kept and offered again with the next piece, and
/// the end of the input is announced after the last.
fn run_body(mut decoder: BodyDecoder, pieces: &[&[u8]], codings: &[Coding], limit: u64) -> BodyRun {
    let mut held: Vec<u8> = Vec::new();
    let mut data = Vec::new();
    let per_call = match codings {
        [] => None,
        [Coding::Zstd] => Some(OUTPUT_BUDGET + STEP_EXPANSION),
        _ if codings.iter().all(|coding| matches!(coding, Coding::Gzip | Coding::Deflate)) => {
            Some(OUTPUT_BUDGET + STEP_EXPANSION)
        }
        // Brotli has no bound per input byte, and zstd stacked with another
        // coding has none either (a 1-byte step of gzip can inflate to a
        // thousand bytes of 4-byte RLE blocks): only the limit holds there.
        _ => Some(usize::MAX),
    };
    let mut outcome = None;
    'pieces: for (index, piece) in pieces.iter().enumerate() {
        held.extend_from_slice(piece);
        loop {
            let before = data.len();
            let result = decoder.decode(&held, &mut data);
            let produced = data.len() - before;
            let progress = match result {
                Ok(progress) => progress,
                Err(error) => {
                    // Even the call that fails for passing the limit
                    // leaves nothing past it.
                    if let BodyError::TooLarge { .. } = error {
                        assert!(data.len() as u64 <= limit, "{} bytes past the limit of {limit}", data.len());
                    }
                    outcome = Some(Err(error));
                    break 'pieces;
                }
            };
            assert!(data.len() as u64 <= limit, "{} decoded bytes passed the limit of {limit}", data.len());
            match per_call {
                None => assert!(produced <= progress.consumed, "an identity body grew"),
                Some(most) => assert!(produced <= most, "one decode call returned {produced} bytes"),
            }
            held.drain(..progress.consumed);
            if progress.done {
                let unread: usize = pieces[index + 1..].iter().map(|piece| piece.len()).sum();
                outcome = Some(Ok(held.len() + unread));
                break 'pieces;
            }
            if progress.consumed == 0 && produced == 0 {
                break;
            }
        }
    }
    let outcome = match outcome {
        Some(outcome) => outcome,
        None => decoder.end_of_input(&mut data).map(|()| 0),
    };
    if outcome.is_ok() {
        assert!(data.len() as u64 <= limit, "{} decoded bytes passed the limit of {limit}", data.len());
    }
    BodyRun { data, outcome, trailers: decoder.trailers().to_vec() }
}

/// What one response made of an input: its head, framing and body.
#[derive(Debug)]
pub struct ResponseRun {
    /// The head and framing, or why there is none: `Ok(None)` if the input
    /// ended inside the head.
    head: Result<Option<(ResponseHead, Framing)>, HeadOrFraming>,
    /// The body, once head and framing were read.
    body: Option<BodyRun>,
}

/// A head or framing error, for comparing runs.
#[derive(Debug, PartialEq, Eq)]
enum HeadOrFraming {
    /// The head was refused.
    Head(HeadError),
    /// The framing was refused.
    Framing(FramingError),
}

/// Reads one whole response from `input` (head, framing, content coding,
/// body) as the client does, whole and split at `cuts`, with the limits
/// given.
///
/// Checks: the same head, framing and body (or failure) either way, and
/// everything [`check_head`] and [`check_body`] check.
pub fn check_response(
    input: &[u8],
    cuts: &[usize],
    request_was_head: bool,
    max_head_bytes: usize,
    max_headers: usize,
    limit: u64,
) -> ResponseRun {
    let limits = HeadLimits { max_head_bytes, max_headers };
    let whole = run_response(&[input], request_was_head, &limits, limit);
    let split = run_response(&split_at_cuts(input, cuts), request_was_head, &limits, limit);
    let same_head = match (&whole.head, &split.head) {
        (
            Err(HeadOrFraming::Head(HeadError::Malformed { reason, .. })),
            Err(HeadOrFraming::Head(HeadError::Malformed { reason: other, .. })),
        ) => reason == other,
        (whole, split) => whole == split,
    };
    assert!(
        same_head,
        "the head or framing depends on how the bytes arrive: {:?} whole, {:?} split",
        whole.head, split.head
    );
    if let (Some(whole_body), Some(split_body)) = (&whole.body, &split.body) {
        whole_body.assert_same(split_body);
    }
    whole
}

impl ResponseRun {
    /// The decoded body, if head, framing and body were all read.
    #[cfg(test)]
    pub fn body(&self) -> Option<&[u8]> {
        self.body.as_ref().filter(|body| body.is_ok()).map(|body| &body.data[..])
    }
}

/// Runs head scanner, parser, framing and body decoder over `pieces`.
fn run_response(pieces: &[&[u8]], request_was_head: bool, limits: &HeadLimits, limit: u64) -> ResponseRun {
    let failed = |error| ResponseRun { head: Err(error), body: None };
    let (len, index) = match scan_head(pieces, limits) {
        Ok(Some(found)) => found,
        Ok(None) => return ResponseRun { head: Ok(None), body: None },
        Err(error) => return failed(HeadOrFraming::Head(error)),
    };
    // The bytes up to and including the piece that completed the head.
    let received: Vec<u8> = pieces[..=index].concat();
    let head = match parse_head(&received[..len], limits) {
        Ok(head) => head,
        Err(error) => return failed(HeadOrFraming::Head(error)),
    };
    let framing = match response_framing(request_was_head, &head) {
        Ok(framing) => framing,
        Err(error) => return failed(HeadOrFraming::Framing(error)),
    };
    let codings = parse_content_encoding(head.headers.get_all("content-encoding"));
    let coding_list = codings.clone().unwrap_or_default();
    let decoder = BodyDecoder::new(framing.body, codings, session_limits(limit));
    let mut body_pieces = vec![&received[len..]];
    body_pieces.extend_from_slice(&pieces[index + 1..]);
    let body = run_body(decoder, &body_pieces, &coding_list, limit);
    ResponseRun { head: Ok(Some((head, framing))), body: Some(body) }
}

/// Parses `input` as a URL and checks that its serialization is a fixed
/// point: it parses again, to the same URL (less the user info, which the
/// serialization leaves out) and the same text. Then joins `reference` to
/// it (or to a fixed base, if `input` is not a URL) and checks the result
/// the same way, and that joining an absolute URL gives what parsing it
/// gives. Returns the parsed URL.
pub fn check_url(input: &str, reference: &str) -> Option<Url> {
    let parsed = Url::parse(input);
    if let Ok(url) = &parsed {
        check_fixed_point(url);
    }
    let base = match &parsed {
        Ok(url) => url.clone(),
        Err(_) => Url::parse("http://a/b/c/d;p?q").expect("the fixed base parses"),
    };
    if let Ok(joined) = base.join(reference) {
        check_fixed_point(&joined);
    }
    if let Ok(absolute) = Url::parse(reference) {
        assert_eq!(base.join(reference).ok(), Some(absolute), "joining an absolute URL is not parsing it");
    }
    parsed.ok()
}

/// Asserts that `url`'s serialization parses back to `url` (without user
/// info) and serializes to the same text, and that its parts are slices of
/// that text.
fn check_fixed_point(url: &Url) {
    let text = url.as_str();
    let again = Url::parse(text).unwrap_or_else(|error| panic!("{text:?} does not parse again: {error}"));
    assert_eq!(again.as_str(), text, "serializing is not stable");
    assert_eq!(again, url.without_userinfo(), "{text:?} parses to another URL");
    assert!(url.path().starts_with('/'), "{text:?} has a path without its slash");
    assert!(text.ends_with(url.path_and_query()), "{text:?} does not end with its path and query");
    assert!(text.starts_with(url.scheme().as_str()), "{text:?} does not start with its scheme");
}

/// A session's decoding limits with its defaults for the input rules
/// (`settings.rs`: 1024 gzip members, 32 input bytes per decoded byte
/// after 64 KiB), and `max_size` decoded bytes.
fn session_limits(max_size: u64) -> DecodeLimits {
    DecodeLimits { max_size, max_gzip_members: 1024, input_ratio: 32, input_slack: 64 * 1024 }
}
