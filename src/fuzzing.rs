//! Entry points for the cargo-fuzz targets in `fuzz/`: **not part of the
//! API**, hidden from the docs, compiled only with the `fuzzing` feature,
//! and free to change at any time.
//!
//! Each function takes the raw bytes libFuzzer made up, reads the first
//! four as parameters (where to split the input, which limits, which
//! framing and coding) and hands the rest to the matching check in
//! `http/proto/properties.rs`, the same checks the property tests run. A
//! check that fails panics, which libFuzzer reports as a crash.
//!
//! The input layout, so seeds can be written by hand:
//!
//! | bytes | meaning |
//! |---|---|
//! | 0-1 | split seed, little-endian: the low 3 bits are how many random cuts (0-7); with bit 15 set, an input up to 256 bytes is cut at every byte |
//! | 2 | parameter A (per target) |
//! | 3 | parameter B (per target) |
//! | 4.. | the input itself |

use crate::http::proto::framing::BodyLength;
use crate::http::proto::properties;

/// Decoded body limits the targets choose from: at, near and far from
/// what small inputs decode to.
const LIMITS: [u64; 8] = [0, 1, 64, 1000, 4096, 64 * 1024, 1 << 20, 16 << 20];

/// Head size limits the targets choose from.
const HEAD_LIMITS: [usize; 6] = [1, 16, 64, 256, 4096, 64 * 1024];

/// Header count limits the targets choose from.
const FIELD_LIMITS: [usize; 4] = [0, 1, 4, 100];

/// `Content-Encoding` values the content target chooses from: each coding
/// alone, stacked, aliased, and refused.
const CODINGS: [&str; 16] = [
    "",
    "gzip",
    "deflate",
    "br",
    "zstd",
    "gzip, gzip",
    "deflate, gzip",
    "gzip, zstd",
    "zstd, gzip",
    "br, gzip",
    "x-gzip",
    "identity, deflate",
    "gzip, deflate, br",
    "compress",
    "zstd, zstd",
    "br, br",
];

/// The fuzz input split into its parameters and the bytes under test.
struct Input<'a> {
    /// Where to cut `data`.
    cuts: Vec<usize>,
    /// Parameter A.
    a: u8,
    /// Parameter B.
    b: u8,
    /// The bytes under test.
    data: &'a [u8],
}

impl Input<'_> {
    /// Reads the layout in the module documentation; a short input gets
    /// zeros for the parameters it lacks.
    fn read(bytes: &[u8]) -> Input<'_> {
        let mut header = [0u8; 4];
        let taken = bytes.len().min(4);
        header[..taken].copy_from_slice(&bytes[..taken]);
        let data = &bytes[taken..];
        let seed = u16::from_le_bytes([header[0], header[1]]);
        let cuts = if seed & 0x8000 != 0 && data.len() <= 256 {
            (1..data.len()).collect()
        } else {
            // xorshift32 from the seed: cheap, and the same cuts every run.
            let mut state = u32::from(seed) | 1 << 16;
            (0..seed & 7)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 17;
                    state ^= state << 5;
                    state as usize
                })
                .collect()
        };
        Input { cuts, a: header[2], b: header[3], data }
    }
}

/// The head scanner and parser. A: head size limit; B: field limit.
pub fn head(bytes: &[u8]) {
    let input = Input::read(bytes);
    let max_head = HEAD_LIMITS[usize::from(input.a) % HEAD_LIMITS.len()];
    let max_fields = FIELD_LIMITS[usize::from(input.b) % FIELD_LIMITS.len()];
    properties::check_head(input.data, &input.cuts, max_head, max_fields);
}

/// A whole response: head, framing, content coding and body. A: bit 0 for
/// a response to HEAD, the rest the body limit; B: head and field limits.
pub fn response(bytes: &[u8]) {
    let input = Input::read(bytes);
    let limit = LIMITS[usize::from(input.a >> 1) % LIMITS.len()];
    let max_head = HEAD_LIMITS[usize::from(input.b) % HEAD_LIMITS.len()];
    let max_fields = FIELD_LIMITS[usize::from(input.b >> 4) % FIELD_LIMITS.len()];
    properties::check_response(input.data, &input.cuts, input.a & 1 == 1, max_head, max_fields, limit);
}

/// The chunked decoder on its own. A and B are unused.
pub fn chunked(bytes: &[u8]) {
    let input = Input::read(bytes);
    properties::check_chunked(input.data, &input.cuts);
}

/// The body decoder with a content coding. A: the coding (low 4 bits) and
/// the framing (bits 4-5: Content-Length of the input, until close,
/// chunked as given, or the input framed in 97-byte chunks here); B: the
/// body limit.
pub fn content(bytes: &[u8]) {
    let input = Input::read(bytes);
    let coding = CODINGS[usize::from(input.a) % CODINGS.len()];
    let limit = LIMITS[usize::from(input.b) % LIMITS.len()];
    let framed;
    let (body, length) = match (input.a >> 4) & 3 {
        0 => (input.data, BodyLength::Length(input.data.len() as u64)),
        1 => (input.data, BodyLength::UntilClose),
        2 => (input.data, BodyLength::Chunked),
        _ => {
            framed = frame_chunked(input.data);
            (&framed[..], BodyLength::Chunked)
        }
    };
    properties::check_body(body, &input.cuts, length, coding, limit);
}

/// `data` in chunked framing, 97 bytes a chunk.
fn frame_chunked(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + data.len() / 16 + 8);
    for chunk in data.chunks(97) {
        out.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        out.extend_from_slice(chunk);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}

/// The URL parser and `join`. The input (as UTF-8, invalid bytes
/// replaced) is a URL, then optionally a newline and a reference to join
/// to it; A and B are unused.
pub fn url(bytes: &[u8]) {
    let input = Input::read(bytes);
    let text = String::from_utf8_lossy(input.data);
    let (url, reference) = text.split_once('\n').unwrap_or((&text, ""));
    properties::check_url(url, reference);
}
