//! Content-Encoding decoding (gzip, deflate, brotli, zstd) with limits on
//! the decoded size, on the input spent per decoded byte, and on gzip
//! members.
//!
//! Where it sits in the path of a request: the body bytes that come out of the
//! framing layer (`Content-Length` counting or `chunked.rs`) are still
//! compressed if the response carried `Content-Encoding`. The session parses
//! that header with [`parse_content_encoding`]; the body's `BodyDecoder`
//! (`body_decoder.rs`) builds a [`ContentDecoder`] from the codings, pushes
//! every unframed slice through [`ContentDecoder::decode`] and calls
//! [`ContentDecoder::finish`] at the end of the body.
//!
//! The limit is the point of this file. Ten kilobytes of gzip can inflate to
//! ten gigabytes (a "decompression bomb"), so the decoder never inflates more
//! than [`STEP`] bytes before handing them on and checking the running total.
//! It uses flate2's low-level [`Decompress`] rather than its `write::`
//! decoders because those buffer output internally and flush it all at
//! `finish`, which is exactly the unbounded step a bomb exploits. The price is
//! that gzip's small header and trailer are parsed by hand, in `gzip.rs`.
//! Brotli (`brotli.rs`) and zstd (`zstd.rs`) are stages of their own, each
//! around a streaming decoder that hands on at most [`STEP`] bytes at a time
//! too.
//!
//! The opposite attack is input that decodes to nothing: a stream of empty
//! gzip members (20 bytes each), empty deflate blocks, endless header
//! fields, skippable zstd frames. No output means the size limit never
//! applies, so each stage also keeps a ledger of the bytes it took and the
//! bytes it gave, and fails once it took more than
//! [`DecodeLimits::input_ratio`] bytes per byte given, beyond a first
//! [`DecodeLimits::input_slack`] (see there for why that rule and those
//! numbers). gzip members are counted too: each one resets the inflater,
//! real work for 20 bytes of input, so their number has a limit of its own.

use flate2::{Crc, Decompress, FlushDecompress, Status};
use std::fmt;

use super::brotli::BrotliStage;
use super::gzip::{GzipHeader, GzipTrailer};
use super::headers::trim_ows;
use super::zstd::ZstdStage;

/// Most content codings accepted on one response. Real servers apply one;
/// two are allowed (curl decodes stacks too), but each stage multiplies how
/// much one input byte can expand (about 1032 times for deflate), and the
/// body reader's per-read output bound relies on at most two.
pub(crate) const MAX_CODINGS: usize = 2;
/// Most bytes one decompressor produces before they are passed on and
/// counted; this bounds how far past the limit memory can grow.
pub(crate) const STEP: usize = 32 * 1024;

/// What a [`ContentDecoder`] allows a body; the session's settings of the
/// same names (`settings.rs`) fill it in.
///
/// The input rule: a stage fails once the bytes it took exceed
/// `input_slack + input_ratio * (bytes it gave)`. Honest compressed data
/// takes about one input byte per output byte at worst (incompressible data
/// in stored blocks costs 5 bytes per 64 KiB), and even a server that
/// flushes after every byte, or starts a new gzip member for every byte,
/// stays near 20 input bytes per output byte; a flood of empty members or
/// blocks gives nothing for its input, so it fails after about `input_slack`
/// bytes however it is built. The slack covers what honest streams carry
/// before their first output: headers (a gzip file name, an extra field),
/// block tables, metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DecodeLimits {
    /// Most decoded bytes in all.
    pub(crate) max_size: u64,
    /// Most gzip members per gzip coding.
    pub(crate) max_gzip_members: u64,
    /// Most input bytes per decoded byte, per stage, beyond the slack.
    pub(crate) input_ratio: u64,
    /// Input bytes a stage may take before the ratio applies.
    pub(crate) input_slack: u64,
}

impl DecodeLimits {
    /// Limits that only bound the decoded size.
    pub(crate) fn only_size(max_size: u64) -> DecodeLimits {
        DecodeLimits { max_size, max_gzip_members: u64::MAX, input_ratio: u64::MAX, input_slack: u64::MAX }
    }
}

/// One content coding named in `Content-Encoding`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Coding {
    /// gzip (RFC 1952), possibly several members back to back.
    Gzip,
    /// zlib-wrapped deflate (RFC 1950), or raw deflate from servers that get
    /// it wrong.
    Deflate,
    /// Brotli (`br`, RFC 7932).
    Brotli,
    /// Zstandard (`zstd`, RFC 8878), possibly several frames back to back.
    Zstd,
}

/// Why a compressed body could not be decoded: the cause inside
/// [`DecodeError::Content`](crate::http::DecodeError::Content).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ContentDecodeError {
    /// `Content-Encoding` named a coding other than gzip, x-gzip, deflate,
    /// br, zstd or identity (`compress`, say). Reported by the first body read, so the
    /// status and headers of the response can still be seen.
    UnsupportedEncoding(String),
    /// `Content-Encoding` listed more than two codings (`MAX_CODINGS`);
    /// reported by the first body read.
    TooManyEncodings,
    /// The decoded body grew past the limit. The client reports this as
    /// [`Error::BodyTooLarge`](crate::http::Error::BodyTooLarge), so it
    /// never reaches a caller inside a `DecodeError`.
    TooLarge {
        /// The limit that was exceeded, in decoded bytes.
        limit: u64,
    },
    /// A gzip coding carried more members than the session allows
    /// (`max_gzip_members`). Reported as
    /// [`Error::TooManyGzipMembers`](crate::http::Error::TooManyGzipMembers),
    /// never inside a `DecodeError`.
    TooManyMembers {
        /// The most members allowed.
        limit: u64,
    },
    /// A stage took more input per decoded byte than the session allows
    /// (`max_input_ratio`): input that decodes to (almost) nothing, such
    /// as a flood of empty gzip members. Reported as
    /// [`Error::TooMuchInput`](crate::http::Error::TooMuchInput), never
    /// inside a `DecodeError`.
    TooMuchInput {
        /// The most input bytes allowed per decoded byte.
        ratio: u64,
        /// The input bytes allowed before the ratio applies.
        slack: u64,
    },
    /// The body ended (by its framing, or at the close) before the
    /// compressed stream did.
    Truncated,
    /// The compressed data is invalid: a bad gzip header, a bad deflate,
    /// brotli or zstd block, a checksum or length mismatch, or data after
    /// the end of a deflate or brotli stream.
    Corrupt(String),
}

impl fmt::Display for ContentDecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnsupportedEncoding(name) => {
                write!(
                    f,
                    "unsupported content-encoding \"{name}\"; only gzip, deflate, br, zstd and identity are decoded"
                )
            }
            Self::TooManyEncodings => write!(f, "response applies more than {MAX_CODINGS} content-encodings"),
            Self::TooLarge { limit } => {
                write!(f, "decoded body exceeds the limit of {limit} bytes; raise the limit if this is expected")
            }
            Self::TooManyMembers { limit } => write!(f, "compressed body has more than {limit} gzip members"),
            Self::TooMuchInput { ratio, slack } => write!(
                f,
                "compressed body carries more than {ratio} input bytes per decoded byte (after the first {slack}), \
                 as a flood of empty gzip members or blocks does"
            ),
            Self::Truncated => write!(f, "compressed body ended before the end of the compressed stream"),
            Self::Corrupt(why) => write!(f, "corrupt compressed body: {why}"),
        }
    }
}

impl std::error::Error for ContentDecodeError {}

/// Parses the values of every `Content-Encoding` header, in order, into the
/// codings to undo. `identity` is dropped; names are case-insensitive and
/// `x-gzip` means gzip (RFC 9110 section 8.4.1.3).
pub(crate) fn parse_content_encoding<'a>(
    header_values: impl Iterator<Item = &'a str>,
) -> Result<Vec<Coding>, ContentDecodeError> {
    let mut codings = Vec::new();
    let names = header_values.flat_map(|value| value.split(',')).map(trim_ows);
    // Empty list elements ("gzip, ,deflate") are allowed by the list syntax.
    for name in names.filter(|name| !name.is_empty()) {
        let coding = match name {
            _ if name.eq_ignore_ascii_case("gzip") || name.eq_ignore_ascii_case("x-gzip") => Coding::Gzip,
            _ if name.eq_ignore_ascii_case("deflate") => Coding::Deflate,
            _ if name.eq_ignore_ascii_case("br") => Coding::Brotli,
            _ if name.eq_ignore_ascii_case("zstd") => Coding::Zstd,
            _ if name.eq_ignore_ascii_case("identity") => continue,
            _ => return Err(ContentDecodeError::UnsupportedEncoding(name.to_owned())),
        };
        if codings.len() == MAX_CODINGS {
            return Err(ContentDecodeError::TooManyEncodings);
        }
        codings.push(coding);
    }
    Ok(codings)
}

/// Undoes a list of content codings, counting decoded bytes against a limit.
#[derive(Debug)]
pub(crate) struct ContentDecoder {
    /// One decompressor per coding, in decoding order: the reverse of the
    /// header, since the last coding listed was applied last.
    stages: Vec<Stage>,
    /// Decoded bytes handed to the caller so far, across all calls.
    total: u64,
    /// What the body is allowed.
    limits: DecodeLimits,
}

impl ContentDecoder {
    /// A decoder for `codings` as listed in the header; an empty list just
    /// copies bytes.
    pub(crate) fn new(codings: &[Coding], limits: DecodeLimits) -> Self {
        let members = limits.max_gzip_members;
        let stages = codings
            .iter()
            .rev()
            .map(|coding| match coding {
                Coding::Gzip => Coder::Flate(FlateStage::new(Framing::GzipHeader(GzipHeader::new()), members)),
                Coding::Deflate => Coder::Flate(FlateStage::new(Framing::DeflateSniff { first: None }, members)),
                Coding::Brotli => Coder::Brotli(BrotliStage::new()),
                Coding::Zstd => Coder::Zstd(Box::new(ZstdStage::new())),
            })
            .map(|coder| Stage { coder, taken: 0, given: 0 })
            .collect();
        Self { stages, total: 0, limits }
    }

    /// Decodes `input` and appends the result to `out`. Fails with
    /// `TooLarge` as soon as the total decoded so far would pass the size
    /// limit (`out` then holds at most that many bytes from this decoder),
    /// and with `TooManyMembers` or `TooMuchInput` once the input breaks
    /// the other limits.
    pub(crate) fn decode(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), ContentDecodeError> {
        pump(&mut self.stages, input, &mut Sink { out, total: &mut self.total, limits: self.limits })
    }

    /// How many input bytes to feed at a time so that one `decode` call
    /// produces a bounded amount: deflate expands at most about 1032 times,
    /// so 1 KiB gives at most about 1 MiB through one stage; through two, a
    /// single byte gives at most about as much. A zstd block decodes to 128
    /// KiB at most, but a block can be as small as 4 bytes (an RLE block),
    /// so 1 KiB of zstd could be 32 MiB: 16 bytes complete at most 6
    /// blocks, 768 KiB. Brotli has no such ratio (a few bytes can repeat a
    /// run for a whole 16 MiB meta-block), and neither has zstd stacked
    /// with another coding (one byte of gzip can inflate to a thousand
    /// bytes of RLE blocks, and 128 KiB of zstd output to 128 MiB of
    /// gzip's), so for those this is only the common case; the size limit
    /// still holds every [`STEP`].
    pub(crate) fn input_step(&self) -> usize {
        match &self.stages[..] {
            [Stage { coder: Coder::Zstd(_), .. }] => 16,
            [] | [_] => 1024,
            _ => 1,
        }
    }

    /// Checks, at the end of the body, that every compressed stream ended.
    /// A body that never carried a byte is accepted: servers do label empty
    /// bodies as gzip.
    pub(crate) fn finish(&mut self, out: &mut Vec<u8>) -> Result<(), ContentDecodeError> {
        let mut sink = Sink { out, total: &mut self.total, limits: self.limits };
        let mut stages = &mut self.stages[..];
        while let Some((stage, rest)) = stages.split_first_mut() {
            stage.finish(rest, &mut sink)?;
            stages = rest;
        }
        Ok(())
    }
}

/// Where decoded bytes end up: the caller's buffer, behind the limit check.
struct Sink<'a> {
    /// The caller's output buffer.
    out: &'a mut Vec<u8>,
    /// The decoder's running total of decoded bytes.
    total: &'a mut u64,
    /// What the body is allowed.
    limits: DecodeLimits,
}

impl Sink<'_> {
    /// Appends `data` if the total stays within the limit.
    fn push(&mut self, data: &[u8]) -> Result<(), ContentDecodeError> {
        let total = self.total.saturating_add(data.len() as u64);
        if total > self.limits.max_size {
            return Err(ContentDecodeError::TooLarge { limit: self.limits.max_size });
        }
        *self.total = total;
        self.out.extend_from_slice(data);
        Ok(())
    }
}

/// Sends `input` through the first stage, whose output goes through the
/// rest; past the last stage, bytes land in the sink.
fn pump(stages: &mut [Stage], input: &[u8], sink: &mut Sink<'_>) -> Result<(), ContentDecodeError> {
    match stages.split_first_mut() {
        None => sink.push(input),
        Some((stage, rest)) => stage.write(input, rest, sink),
    }
}

/// One decompressor in the chain, with its ledger for the input rule.
#[derive(Debug)]
struct Stage {
    /// The decompressor.
    coder: Coder,
    /// Input bytes this stage has taken.
    taken: u64,
    /// Decoded bytes it has handed on.
    given: u64,
}

/// A decompressor.
#[derive(Debug)]
enum Coder {
    /// gzip or deflate, through flate2.
    Flate(FlateStage),
    /// Brotli.
    Brotli(BrotliStage),
    /// Zstandard; boxed, as its decoder state is large.
    Zstd(Box<ZstdStage>),
}

impl Stage {
    /// Decodes `input`, pushing output through `rest` in [`STEP`] pieces,
    /// then holds the stage to the input rule.
    fn write(&mut self, input: &[u8], rest: &mut [Stage], sink: &mut Sink<'_>) -> Result<(), ContentDecodeError> {
        let limits = sink.limits;
        let Stage { coder, taken, given } = self;
        *taken += input.len() as u64;
        let mut emit = |out: &[u8]| {
            *given += out.len() as u64;
            pump(rest, out, sink)
        };
        match coder {
            Coder::Flate(stage) => stage.write(input, &mut emit)?,
            Coder::Brotli(stage) => stage.write(input, &mut emit)?,
            Coder::Zstd(stage) => stage.write(input, &mut emit)?,
        }
        // zstd keeps a frame's last window of output until the frame ends,
        // so what it has decoded but not handed on counts as given.
        let held = match coder {
            Coder::Zstd(stage) => stage.held_output_bound(),
            _ => 0,
        };
        let allowed = limits.input_slack.saturating_add(limits.input_ratio.saturating_mul(*given + held));
        if *taken > allowed {
            return Err(ContentDecodeError::TooMuchInput { ratio: limits.input_ratio, slack: limits.input_slack });
        }
        Ok(())
    }

    /// Checks that this stage's stream ended; output it still owes is
    /// pushed through `rest` first.
    fn finish(&mut self, rest: &mut [Stage], sink: &mut Sink<'_>) -> Result<(), ContentDecodeError> {
        match &mut self.coder {
            Coder::Flate(stage) => stage.finish(&mut |out| pump(rest, out, sink)),
            Coder::Brotli(stage) => stage.finish(),
            Coder::Zstd(stage) => stage.finish(),
        }
    }
}

/// Where a stage's output goes: through the rest of the chain to the sink.
type Emit<'a> = dyn FnMut(&[u8]) -> Result<(), ContentDecodeError> + 'a;

/// Where a flate2 stage is in its compressed format.
#[derive(Debug)]
enum Framing {
    /// Deflate, before its first two bytes tell zlib from raw deflate.
    DeflateSniff {
        /// The first byte, held until the second arrives.
        first: Option<u8>,
    },
    /// Inside a deflate stream (zlib or raw).
    DeflateBody,
    /// The deflate stream ended; nothing may follow.
    DeflateEnd,
    /// Reading a gzip member header.
    GzipHeader(GzipHeader),
    /// Inside a gzip member's deflate data.
    GzipBody,
    /// Reading the 8-byte member trailer: CRC-32 and size, little-endian.
    GzipTrailer(GzipTrailer),
    /// A member ended; the body may end here or another member may follow.
    GzipEnd,
}

/// A gzip or deflate decompressor in the chain.
#[derive(Debug)]
struct FlateStage {
    /// Position in the format.
    framing: Framing,
    /// The inflater; replaced once deflate's flavour is known.
    inflate: Decompress,
    /// Output of one inflate step, [`STEP`] bytes once first used.
    buf: Vec<u8>,
    /// CRC-32 of the current gzip member's output.
    crc: Crc,
    /// Whether any input reached this stage.
    seen_input: bool,
    /// gzip members that have ended so far.
    members: u64,
    /// Most gzip members allowed.
    max_members: u64,
}

impl FlateStage {
    /// A stage starting at `framing`, its inflater and buffer not yet used,
    /// allowing `max_members` gzip members.
    fn new(framing: Framing, max_members: u64) -> Self {
        let inflate = Decompress::new(false);
        Self { framing, inflate, buf: Vec::new(), crc: Crc::new(), seen_input: false, members: 0, max_members }
    }

    /// Decodes `input`, passing output to `emit` in [`STEP`] pieces.
    fn write(&mut self, mut input: &[u8], emit: &mut Emit<'_>) -> Result<(), ContentDecodeError> {
        self.seen_input |= !input.is_empty();
        while let Some(&byte) = input.first() {
            let used = match &mut self.framing {
                Framing::DeflateSniff { first: None } => {
                    self.framing = Framing::DeflateSniff { first: Some(byte) };
                    1
                }
                // The zlib header check from RFC 1950: method 8 and a header
                // that is a multiple of 31. Raw deflate rarely passes it.
                &mut Framing::DeflateSniff { first: Some(cmf) } => {
                    let zlib = cmf & 0x0f == 8 && (u16::from(cmf) << 8 | u16::from(byte)) % 31 == 0;
                    self.inflate = Decompress::new(zlib);
                    self.framing = Framing::DeflateBody;
                    self.inflate([cmf, byte].as_slice(), emit)?;
                    1
                }
                Framing::DeflateBody => self.inflate(input, emit)?,
                Framing::DeflateEnd => return Err(corrupt("data after the end of the deflate stream")),
                Framing::GzipHeader(header) => {
                    let used = header.feed(input)?;
                    if header.is_done() {
                        self.inflate.reset(false);
                        self.crc.reset();
                        self.framing = Framing::GzipBody;
                    }
                    used
                }
                Framing::GzipBody => self.inflate(input, emit)?,
                Framing::GzipTrailer(trailer) => {
                    let used = trailer.feed(input, &self.crc)?;
                    if trailer.is_done() {
                        self.members += 1;
                        self.framing = Framing::GzipEnd;
                    }
                    used
                }
                // Concatenated gzip: whatever follows a member is another one.
                Framing::GzipEnd => {
                    if self.members >= self.max_members {
                        return Err(ContentDecodeError::TooManyMembers { limit: self.max_members });
                    }
                    self.framing = Framing::GzipHeader(GzipHeader::new());
                    0
                }
            };
            input = &input[used..];
        }
        Ok(())
    }

    /// Inflates `input` (all of it, or up to the end of the stream) in
    /// [`STEP`] pieces, moving on to the trailer or end state at stream end.
    /// Returns how many bytes of `input` were used.
    fn inflate(&mut self, input: &[u8], emit: &mut Emit<'_>) -> Result<usize, ContentDecodeError> {
        if self.buf.is_empty() {
            self.buf.resize(STEP, 0);
        }
        let mut used = 0;
        loop {
            let (in_before, out_before) = (self.inflate.total_in(), self.inflate.total_out());
            let status = self
                .inflate
                .decompress(&input[used..], &mut self.buf, FlushDecompress::None)
                .map_err(|e| corrupt(&e.to_string()))?;
            // Both deltas are bounded by the slices just passed in.
            let took = (self.inflate.total_in() - in_before) as usize;
            let made = (self.inflate.total_out() - out_before) as usize;
            used += took;
            // Hand this step's output on before producing more: the limit
            // check in the sink runs after every STEP bytes at most.
            if made > 0 {
                self.crc.update(&self.buf[..made]);
                emit(&self.buf[..made])?;
            }
            if status == Status::StreamEnd {
                self.framing = match self.framing {
                    Framing::GzipBody => Framing::GzipTrailer(GzipTrailer::new()),
                    _ => Framing::DeflateEnd,
                };
                return Ok(used);
            }
            // A full output buffer may mean more output is pending inside
            // the inflater, so go round again even with no input left.
            if made < self.buf.len() && used == input.len() {
                return Ok(used);
            }
            if took == 0 && made == 0 {
                return Err(corrupt("inflater made no progress"));
            }
        }
    }

    /// Checks that this stage's stream ended; output it still owes is
    /// pushed through `rest` first.
    fn finish(&mut self, emit: &mut Emit<'_>) -> Result<(), ContentDecodeError> {
        // `inflate` already keeps going while its output buffer fills, so
        // this drain should find nothing; it is here so that a stream whose
        // last output was still inside the inflater is not called truncated.
        if matches!(self.framing, Framing::DeflateBody | Framing::GzipBody) {
            self.inflate(&[], emit)?;
        }
        match self.framing {
            Framing::DeflateEnd | Framing::GzipEnd => Ok(()),
            _ if !self.seen_input => Ok(()),
            _ => Err(ContentDecodeError::Truncated),
        }
    }
}

/// A [`ContentDecodeError::Corrupt`] saying `why`; `gzip.rs` uses it too.
pub(crate) fn corrupt(why: &str) -> ContentDecodeError {
    ContentDecodeError::Corrupt(why.to_owned())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::http::proto::gzip::gzip_with_all_header_parts;
    use flate2::Compression;
    use flate2::write::{DeflateEncoder, GzEncoder, ZlibEncoder};
    use std::io::Write;

    /// `data` gzip-compressed (also used by `body_decoder.rs`'s tests).
    pub(crate) fn gzip(data: &[u8]) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(data).and_then(|()| encoder.finish()).unwrap_or_default()
    }

    /// `data` in zlib form, what `Content-Encoding: deflate` means (also
    /// used by `body_decoder.rs`'s tests).
    pub(crate) fn zlib(data: &[u8]) -> Vec<u8> {
        let mut encoder = ZlibEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(data).and_then(|()| encoder.finish()).unwrap_or_default()
    }

    /// `data` brotli-compressed (also used by `body_decoder.rs`'s tests).
    pub(crate) fn brotli(data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        // Quality 5, not the default 11: as good a test, and far faster.
        let params = brotli::enc::BrotliEncoderParams { quality: 5, ..Default::default() };
        brotli::BrotliCompress(&mut &data[..], &mut out, &params).map(|_| out).unwrap_or_default()
    }

    /// `data` zstd-compressed by ruzstd's own encoder, one frame.
    pub(crate) fn zstd(data: &[u8]) -> Vec<u8> {
        ruzstd::encoding::compress_to_vec(data, ruzstd::encoding::CompressionLevel::Fastest)
    }

    /// `SAMPLE` as the zstd command-line tool (`zstd -19`) writes it, with
    /// its content checksum, and with `--no-check`: an encoder other than
    /// the decoder's own.
    fn zstd_cli_sample(checksum: bool) -> Vec<u8> {
        let hex = if checksum {
            "28b52ffd0468250200a40374686520717569636b2062726f776e20666f78206a756d7073206f766572206c617a7920646f673b\
             20616761696e2e2030313233343536373839020050195ab0ca09434968de"
        } else {
            "28b52ffd0068250200a40374686520717569636b2062726f776e20666f78206a756d7073206f766572206c617a7920646f673b\
             20616761696e2e2030313233343536373839020050195ab0ca09"
        };
        let digits: Vec<u8> = hex.bytes().filter(u8::is_ascii_hexdigit).collect();
        let value = |digit: u8| (digit as char).to_digit(16).unwrap_or(0) as u8;
        digits.chunks(2).map(|pair| value(pair[0]) << 4 | value(pair[1])).collect()
    }

    fn raw_deflate(data: &[u8]) -> Vec<u8> {
        let mut encoder = DeflateEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(data).and_then(|()| encoder.finish()).unwrap_or_default()
    }

    /// Decodes `pieces` one call each, then finishes.
    fn run<'a>(
        codings: &[Coding],
        pieces: impl Iterator<Item = &'a [u8]>,
        limit: u64,
    ) -> Result<Vec<u8>, ContentDecodeError> {
        let mut decoder = ContentDecoder::new(codings, DecodeLimits::only_size(limit));
        let mut out = Vec::new();
        for piece in pieces {
            decoder.decode(piece, &mut out)?;
        }
        decoder.finish(&mut out)?;
        Ok(out)
    }

    /// Name, codings, encoded input, expected decoded output.
    type RoundTrip = (&'static str, Vec<Coding>, Vec<u8>, Vec<u8>);
    /// Name, codings, input, limit, whether the output fits.
    type LimitCase<'a> = (&'a str, &'a [Coding], &'a [u8], u64, bool);
    /// Header values and the codings they parse to.
    type ParseCase = (&'static [&'static str], Result<Vec<Coding>, ContentDecodeError>);

    const SAMPLE: &[u8] = b"the quick brown fox jumps over the lazy dog; the quick brown fox jumps again. 0123456789";

    #[test]
    fn round_trips_identically_at_every_split() {
        use Coding::{Brotli, Deflate, Gzip, Zstd};
        let two_members = [gzip(b"first member, "), gzip(SAMPLE)].concat();
        let cases: Vec<RoundTrip> = vec![
            ("gzip", vec![Gzip], gzip(SAMPLE), SAMPLE.to_vec()),
            ("zlib deflate", vec![Deflate], zlib(SAMPLE), SAMPLE.to_vec()),
            ("raw deflate", vec![Deflate], raw_deflate(SAMPLE), SAMPLE.to_vec()),
            ("identity only", vec![], SAMPLE.to_vec(), SAMPLE.to_vec()),
            ("no codings", vec![], SAMPLE.to_vec(), SAMPLE.to_vec()),
            ("gzip then gzip", vec![Gzip, Gzip], gzip(&gzip(SAMPLE)), SAMPLE.to_vec()),
            ("deflate then gzip", vec![Deflate, Gzip], gzip(&zlib(SAMPLE)), SAMPLE.to_vec()),
            ("concatenated gzip members", vec![Gzip], two_members, [&b"first member, "[..], SAMPLE].concat()),
            ("gzip header with every part", vec![Gzip], gzip_with_all_header_parts(SAMPLE), SAMPLE.to_vec()),
            ("gzip of nothing", vec![Gzip], gzip(b""), vec![]),
            ("raw deflate of nothing", vec![Deflate], raw_deflate(b""), vec![]),
            ("empty gzip body", vec![Gzip], vec![], vec![]),
            ("empty deflate body", vec![Deflate], vec![], vec![]),
            ("brotli", vec![Brotli], brotli(SAMPLE), SAMPLE.to_vec()),
            ("brotli of nothing", vec![Brotli], brotli(b""), vec![]),
            ("zstd", vec![Zstd], zstd(SAMPLE), SAMPLE.to_vec()),
            ("zstd from the zstd tool, with checksum", vec![Zstd], zstd_cli_sample(true), SAMPLE.to_vec()),
            ("zstd from the zstd tool, without", vec![Zstd], zstd_cli_sample(false), SAMPLE.to_vec()),
            (
                "two zstd frames and a skippable one",
                vec![Zstd],
                [zstd(b"first frame, "), vec![0x5e, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3], zstd(SAMPLE)].concat(),
                [&b"first frame, "[..], SAMPLE].concat(),
            ),
            ("zstd of nothing", vec![Zstd], zstd(b""), vec![]),
            ("brotli then gzip", vec![Brotli, Gzip], gzip(&brotli(SAMPLE)), SAMPLE.to_vec()),
            ("gzip then zstd", vec![Gzip, Zstd], zstd(&gzip(SAMPLE)), SAMPLE.to_vec()),
        ];
        for (name, codings, encoded, expected) in &cases {
            let expected = Ok(expected.clone());
            assert_eq!(run(codings, std::iter::once(&encoded[..]), u64::MAX), expected, "{name}: whole");
            for split in 0..=encoded.len() {
                let (a, b) = encoded.split_at(split);
                assert_eq!(run(codings, [a, b].into_iter(), u64::MAX), expected, "{name}: split at {split}");
            }
            assert_eq!(run(codings, encoded.chunks(1), u64::MAX), expected, "{name}: byte by byte");
        }
    }

    #[test]
    fn bodies_of_many_blocks_and_windows_round_trip() {
        // 600 KiB of text that compresses but not to nothing: several zstd
        // blocks (128 KiB each at most) and brotli meta-blocks.
        let mut text = Vec::new();
        let mut seed = 1u32;
        while text.len() < 600 * 1024 {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            text.extend_from_slice(format!("movie {} rank {} ", seed >> 20, seed % 250).as_bytes());
        }
        for (name, coding, encoded) in [("brotli", Coding::Brotli, brotli(&text)), ("zstd", Coding::Zstd, zstd(&text))]
        {
            assert!(encoded.len() < text.len() / 2, "{name}: {} bytes", encoded.len());
            for piece in [1000, 4096, encoded.len()] {
                assert_eq!(run(&[coding], encoded.chunks(piece), u64::MAX).as_ref(), Ok(&text), "{name}: {piece}");
            }
        }
    }

    #[test]
    fn bomb_stops_at_the_limit_with_bounded_memory() {
        const LIMIT: u64 = 1024 * 1024;
        let zeros = vec![0; 10 * 1024 * 1024];
        let cases: Vec<(&str, Vec<Coding>, Vec<u8>)> = vec![
            ("gzip", vec![Coding::Gzip], gzip(&zeros)),
            ("zlib deflate", vec![Coding::Deflate], zlib(&zeros)),
            ("raw deflate", vec![Coding::Deflate], raw_deflate(&zeros)),
            ("gzip of gzip", vec![Coding::Gzip, Coding::Gzip], gzip(&gzip(&zeros))),
            ("brotli", vec![Coding::Brotli], brotli(&zeros)),
            ("zstd", vec![Coding::Zstd], zstd(&zeros)),
        ];
        for (name, codings, bomb) in &cases {
            assert!(bomb.len() < 64 * 1024, "{name}: bomb is {} bytes", bomb.len());
            for piece_len in [bomb.len(), 1024] {
                let mut decoder = ContentDecoder::new(codings, DecodeLimits::only_size(LIMIT));
                let mut out = Vec::new();
                let result = bomb.chunks(piece_len).try_for_each(|piece| decoder.decode(piece, &mut out));
                assert_eq!(result, Err(ContentDecodeError::TooLarge { limit: LIMIT }), "{name}");
                assert!(out.len() as u64 <= LIMIT, "{name}: {} bytes decoded", out.len());
            }
        }
    }

    /// The session's default limits (`settings.rs`'s `DEFAULT_*`, written
    /// out: this module may not import the client).
    fn defaults() -> DecodeLimits {
        DecodeLimits { max_size: u64::MAX, max_gzip_members: 1024, input_ratio: 32, input_slack: 64 * 1024 }
    }

    /// Decodes `pieces` one call each under `limits`, then finishes.
    fn run_limited<'a>(
        codings: &[Coding],
        pieces: impl Iterator<Item = &'a [u8]>,
        limits: DecodeLimits,
    ) -> Result<Vec<u8>, ContentDecodeError> {
        let mut decoder = ContentDecoder::new(codings, limits);
        let mut out = Vec::new();
        for piece in pieces {
            decoder.decode(piece, &mut out)?;
        }
        decoder.finish(&mut out)?;
        Ok(out)
    }

    /// An empty gzip member, as flate2 writes it: 20 bytes.
    fn empty_member() -> Vec<u8> {
        gzip(b"")
    }

    #[test]
    fn gzip_members_are_limited_at_exactly_the_limit() {
        let three = [gzip(b"one "), gzip(b"two "), gzip(b"three")].concat();
        let four = [&three[..], &gzip(b" four")].concat();
        let limits = DecodeLimits { max_gzip_members: 3, ..DecodeLimits::only_size(u64::MAX) };
        let expected = Ok(b"one two three".to_vec());
        let too_many = Err(ContentDecodeError::TooManyMembers { limit: 3 });
        assert_eq!(run_limited(&[Coding::Gzip], std::iter::once(&three[..]), limits), expected);
        assert_eq!(run_limited(&[Coding::Gzip], three.chunks(1), limits), expected);
        assert_eq!(run_limited(&[Coding::Gzip], std::iter::once(&four[..]), limits), too_many);
        assert_eq!(run_limited(&[Coding::Gzip], four.chunks(1), limits), too_many);
        // One byte of a fourth member is already one too many.
        let one_byte_more = &four[..three.len() + 1];
        assert_eq!(run_limited(&[Coding::Gzip], std::iter::once(one_byte_more), limits), too_many);
    }

    #[test]
    fn input_without_output_is_limited_at_exactly_the_slack() {
        // Empty members decode to nothing: only the slack lets them through.
        let limits = DecodeLimits { input_slack: 60, input_ratio: 32, ..DecodeLimits::only_size(u64::MAX) };
        let three = empty_member().repeat(3);
        let too_much = Err(ContentDecodeError::TooMuchInput { ratio: 32, slack: 60 });
        assert_eq!(run_limited(&[Coding::Gzip], std::iter::once(&three[..]), limits), Ok(Vec::new()));
        assert_eq!(run_limited(&[Coding::Gzip], three.chunks(1), limits), Ok(Vec::new()));
        let one_more = [&three[..], &empty_member()[..1]].concat();
        assert_eq!(run_limited(&[Coding::Gzip], std::iter::once(&one_more[..]), limits), too_much);
        assert_eq!(run_limited(&[Coding::Gzip], one_more.chunks(1), limits), too_much);
        // Endless empty deflate blocks inside one zlib stream are caught
        // the same way: a non-final empty stored block is 5 bytes.
        let blocks = [&[0x78, 0x9c][..], &[0, 0, 0, 0xff, 0xff].repeat(100)].concat();
        let limits = DecodeLimits { input_slack: 400, ..limits };
        let result = run_limited(&[Coding::Deflate], blocks.chunks(64), limits);
        assert_eq!(result, Err(ContentDecodeError::TooMuchInput { ratio: 32, slack: 400 }));
    }

    #[test]
    fn input_per_decoded_byte_is_limited_at_exactly_the_ratio() {
        // gzip("abc") is 23 bytes for 3 decoded; each empty member after it
        // adds 20 bytes and nothing decoded. Slack 13 and ratio 10 allow
        // 13 + 10 * 3 = 43 bytes: the member and one empty member exactly.
        let limits = DecodeLimits { input_slack: 13, input_ratio: 10, ..DecodeLimits::only_size(u64::MAX) };
        let at_limit = [gzip(b"abc"), empty_member()].concat();
        assert_eq!(at_limit.len(), 43);
        assert_eq!(run_limited(&[Coding::Gzip], std::iter::once(&at_limit[..]), limits), Ok(b"abc".to_vec()));
        let past = [&at_limit[..], &empty_member()[..1]].concat();
        let result = run_limited(&[Coding::Gzip], std::iter::once(&past[..]), limits);
        assert_eq!(result, Err(ContentDecodeError::TooMuchInput { ratio: 10, slack: 13 }));
    }

    #[test]
    fn honest_streams_stay_within_the_default_limits() {
        // Text that compresses but not to nothing, several windows long.
        let mut text = Vec::new();
        let mut seed = 7u32;
        while text.len() < 600 * 1024 {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            text.extend_from_slice(format!("movie {} rank {} ", seed >> 20, seed % 250).as_bytes());
        }
        let zeros = vec![0u8; 4 << 20];
        // The worst honest framing: a new gzip member for every byte (21
        // input bytes per decoded byte), for as many members as allowed.
        let per_byte: Vec<u8> = SAMPLE.iter().cycle().take(1024).flat_map(|byte| gzip(&[*byte])).collect();
        let cases: Vec<(&str, Vec<Coding>, Vec<u8>, usize)> = vec![
            ("gzip text", vec![Coding::Gzip], gzip(&text), text.len()),
            ("zlib text", vec![Coding::Deflate], zlib(&text), text.len()),
            ("brotli text", vec![Coding::Brotli], brotli(&text), text.len()),
            ("zstd text", vec![Coding::Zstd], zstd(&text), text.len()),
            ("zstd zeros", vec![Coding::Zstd], zstd(&zeros), zeros.len()),
            ("brotli zeros", vec![Coding::Brotli], brotli(&zeros), zeros.len()),
            ("gzip of gzip text", vec![Coding::Gzip, Coding::Gzip], gzip(&gzip(&text)), text.len()),
            ("a gzip member per byte", vec![Coding::Gzip], per_byte, 1024),
        ];
        for (name, codings, encoded, decoded) in &cases {
            for piece in [1, 1000, encoded.len()] {
                if piece == 1 && encoded.len() > 64 * 1024 {
                    continue;
                }
                let result = run_limited(codings, encoded.chunks(piece), defaults()).map(|out| out.len());
                assert_eq!(result, Ok(*decoded), "{name}: pieces of {piece}");
            }
        }
    }

    #[test]
    fn limit_counts_across_calls() {
        let encoded = gzip(SAMPLE);
        let exact = SAMPLE.len() as u64;
        let cases: Vec<LimitCase> = vec![
            ("gzip exactly at the limit", &[Coding::Gzip], &encoded, exact, true),
            ("gzip one past the limit", &[Coding::Gzip], &encoded, exact - 1, false),
            ("identity exactly at the limit", &[], SAMPLE, exact, true),
            ("identity one past the limit", &[], SAMPLE, exact - 1, false),
        ];
        for (name, codings, input, limit, fits) in cases {
            let expected = if fits { Ok(SAMPLE.to_vec()) } else { Err(ContentDecodeError::TooLarge { limit }) };
            assert_eq!(run(codings, input.chunks(7), limit), expected, "{name}");
        }
    }

    #[test]
    fn every_cut_short_stream_is_truncated() {
        let streams = [
            ("gzip", Coding::Gzip, gzip(SAMPLE)),
            ("zlib", Coding::Deflate, zlib(SAMPLE)),
            ("brotli", Coding::Brotli, brotli(SAMPLE)),
            ("zstd", Coding::Zstd, zstd(SAMPLE)),
            ("zstd with checksum", Coding::Zstd, zstd_cli_sample(true)),
        ];
        for (name, coding, encoded) in streams {
            for len in 1..encoded.len() {
                let result = run(&[coding], std::iter::once(&encoded[..len]), u64::MAX);
                assert_eq!(result, Err(ContentDecodeError::Truncated), "{name} cut to {len} bytes");
            }
        }
    }

    #[test]
    fn corrupt_streams_are_rejected() {
        let good = gzip(SAMPLE);
        let patched = |at: usize, byte: u8| {
            let mut bytes = good.clone();
            bytes[at] = byte;
            bytes
        };
        // Header and trailer checks are tested in `gzip.rs`; these are the
        // errors that come from how the stages use them.
        let cases: Vec<(&str, Coding, Vec<u8>, &str)> = vec![
            ("garbage after member", Coding::Gzip, [&good[..], b"junk"].concat(), "not a gzip stream (bad magic)"),
            (
                "data after deflate end",
                Coding::Deflate,
                [zlib(SAMPLE), b"x".to_vec()].concat(),
                "data after the end of the deflate stream",
            ),
        ];
        for (name, coding, input, why) in cases {
            let expected = Err(ContentDecodeError::Corrupt(why.to_owned()));
            assert_eq!(run(&[coding], std::iter::once(&input[..]), u64::MAX), expected, "{name}: whole");
            assert_eq!(run(&[coding], input.chunks(1), u64::MAX), expected, "{name}: byte by byte");
        }
        let mut bad_checksum = zstd_cli_sample(true);
        if let Some(last) = bad_checksum.last_mut() {
            *last ^= 1;
        }
        let cases: Vec<(&str, Coding, Vec<u8>, &str)> = vec![
            (
                "data after brotli end",
                Coding::Brotli,
                [brotli(SAMPLE), b"x".to_vec()].concat(),
                "data after the end of the brotli stream",
            ),
            ("not zstd", Coding::Zstd, b"<html>".to_vec(), "not a zstd stream (bad magic)"),
            ("zstd checksum", Coding::Zstd, bad_checksum, "zstd content checksum mismatch"),
            (
                "garbage after zstd frame",
                Coding::Zstd,
                [zstd(SAMPLE), b"junk!".to_vec()].concat(),
                "not a zstd stream (bad magic)",
            ),
        ];
        for (name, coding, input, why) in cases {
            let expected = Err(ContentDecodeError::Corrupt(why.to_owned()));
            assert_eq!(run(&[coding], std::iter::once(&input[..]), u64::MAX), expected, "{name}: whole");
            assert_eq!(run(&[coding], input.chunks(1), u64::MAX), expected, "{name}: byte by byte");
        }
        // Invalid deflate blocks: the message is the inflater's, so only the
        // variant is checked. 0x78 0x9c is a valid zlib header, 0xff a block
        // with the reserved type 3.
        for (name, coding, input) in [
            ("bad zlib block", Coding::Deflate, vec![0x78, 0x9c, 0xff, 0xff]),
            ("bad gzip block", Coding::Gzip, patched(10, 0xff)),
            ("bad brotli", Coding::Brotli, vec![0xff; 16]),
        ] {
            let result = run(&[coding], std::iter::once(&input[..]), u64::MAX);
            assert!(matches!(result, Err(ContentDecodeError::Corrupt(_))), "{name}: {result:?}");
        }
    }

    #[test]
    fn parses_content_encoding_headers() {
        use Coding::{Deflate, Gzip};
        let unsupported = |name: &str| Err(ContentDecodeError::UnsupportedEncoding(name.to_owned()));
        let cases: Vec<ParseCase> = vec![
            (&["gzip"], Ok(vec![Gzip])),
            (&["GZip"], Ok(vec![Gzip])),
            (&["x-gzip"], Ok(vec![Gzip])),
            (&["deflate, gzip"], Ok(vec![Deflate, Gzip])),
            (&["deflate", "gzip"], Ok(vec![Deflate, Gzip])),
            (&[" ,\tgzip ,, "], Ok(vec![Gzip])),
            (&["identity"], Ok(vec![])),
            (&[""], Ok(vec![])),
            (&["identity, identity, identity, identity, identity, gzip"], Ok(vec![Gzip])),
            (&["gzip, gzip"], Ok(vec![Gzip; 2])),
            (&["gzip", "gzip", "gzip"], Err(ContentDecodeError::TooManyEncodings)),
            (&["br"], Ok(vec![Coding::Brotli])),
            (&["ZSTD, br"], Ok(vec![Coding::Zstd, Coding::Brotli])),
            (&["compress"], unsupported("compress")),
            (&["gzip, compress"], unsupported("compress")),
            (&["gzip;q=1"], unsupported("gzip;q=1")),
        ];
        for (values, expected) in cases {
            assert_eq!(parse_content_encoding(values.iter().copied()), expected, "{values:?}");
        }
    }

    #[test]
    fn error_messages_are_lowercase_and_actionable() {
        let cases = [
            (
                ContentDecodeError::UnsupportedEncoding("compress".into()),
                "unsupported content-encoding \"compress\"; only gzip, deflate, br, zstd and identity are decoded",
            ),
            (
                ContentDecodeError::TooLarge { limit: 10 },
                "decoded body exceeds the limit of 10 bytes; raise the limit if this is expected",
            ),
            (ContentDecodeError::TooManyMembers { limit: 3 }, "compressed body has more than 3 gzip members"),
            (
                ContentDecodeError::TooMuchInput { ratio: 32, slack: 65536 },
                "compressed body carries more than 32 input bytes per decoded byte (after the first 65536), \
                 as a flood of empty gzip members or blocks does",
            ),
            (ContentDecodeError::Truncated, "compressed body ended before the end of the compressed stream"),
            (
                ContentDecodeError::Corrupt("gzip crc-32 mismatch".into()),
                "corrupt compressed body: gzip crc-32 mismatch",
            ),
        ];
        for (error, message) in cases {
            assert_eq!(error.to_string(), message);
        }
    }
}
