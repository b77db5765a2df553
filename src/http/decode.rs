//! Content-Encoding decoding (gzip, deflate) with a limit on the decoded size.
//!
//! Where it sits in the path of a request: the body bytes that come out of the
//! framing layer (`Content-Length` counting or `chunked.rs`) are still
//! compressed if the response carried `Content-Encoding`. The client parses
//! that header with [`parse_content_encoding`], builds a [`ContentDecoder`],
//! pushes every body slice through [`ContentDecoder::decode`] and calls
//! [`ContentDecoder::finish`] at the end of the body.
//!
//! The limit is the point of this file. Ten kilobytes of gzip can inflate to
//! ten gigabytes (a "decompression bomb"), so the decoder never inflates more
//! than [`STEP`] bytes before handing them on and checking the running total.
//! It uses flate2's low-level [`Decompress`] rather than its `write::`
//! decoders because those buffer output internally and flush it all at
//! `finish`, which is exactly the unbounded step a bomb exploits. The price is
//! that gzip's small header and trailer are parsed here by hand.

use flate2::{Crc, Decompress, FlushDecompress, Status};
use std::fmt;

/// Most content codings accepted on one response; more is either a broken
/// or a hostile server, and each one costs a decompressor.
pub const MAX_CODINGS: usize = 4;
/// Most bytes one decompressor produces before they are passed on and
/// counted; this bounds how far past the limit memory can grow.
pub const STEP: usize = 32 * 1024;

/// One content coding named in `Content-Encoding`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coding {
    /// gzip (RFC 1952), possibly several members back to back.
    Gzip,
    /// zlib-wrapped deflate (RFC 1950), or raw deflate from servers that get
    /// it wrong.
    Deflate,
}

/// Why a compressed body could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// `Content-Encoding` named a coding other than gzip, deflate, identity.
    UnsupportedEncoding(String),
    /// `Content-Encoding` listed more than [`MAX_CODINGS`] codings.
    TooManyEncodings,
    /// The decoded body grew past the caller's limit.
    TooLarge {
        /// The limit that was exceeded, in decoded bytes.
        limit: u64,
    },
    /// The body ended before the compressed stream did.
    Truncated,
    /// The compressed data is invalid: bad header, bad block, bad checksum,
    /// or data after the end of the stream.
    Corrupt(String),
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnsupportedEncoding(name) => {
                write!(f, "unsupported content-encoding \"{name}\"; only gzip, deflate and identity are decoded")
            }
            Self::TooManyEncodings => write!(f, "response applies more than {MAX_CODINGS} content-encodings"),
            Self::TooLarge { limit } => {
                write!(f, "decoded body exceeds the limit of {limit} bytes; raise the limit if this is expected")
            }
            Self::Truncated => write!(f, "compressed body ended before the end of the compressed stream"),
            Self::Corrupt(why) => write!(f, "corrupt compressed body: {why}"),
        }
    }
}

impl std::error::Error for DecodeError {}

/// Parses the values of every `Content-Encoding` header, in order, into the
/// codings to undo. `identity` is dropped; names are case-insensitive and
/// `x-gzip` means gzip (RFC 9110 section 8.4.1.3).
pub fn parse_content_encoding<'a>(header_values: impl Iterator<Item = &'a str>) -> Result<Vec<Coding>, DecodeError> {
    let mut codings = Vec::new();
    let names = header_values.flat_map(|value| value.split(',')).map(|name| name.trim_matches([' ', '\t']));
    // Empty list elements ("gzip, ,deflate") are allowed by the list syntax.
    for name in names.filter(|name| !name.is_empty()) {
        let coding = match name {
            _ if name.eq_ignore_ascii_case("gzip") || name.eq_ignore_ascii_case("x-gzip") => Coding::Gzip,
            _ if name.eq_ignore_ascii_case("deflate") => Coding::Deflate,
            _ if name.eq_ignore_ascii_case("identity") => continue,
            _ => return Err(DecodeError::UnsupportedEncoding(name.to_owned())),
        };
        if codings.len() == MAX_CODINGS {
            return Err(DecodeError::TooManyEncodings);
        }
        codings.push(coding);
    }
    Ok(codings)
}

/// Undoes a list of content codings, counting decoded bytes against a limit.
#[derive(Debug)]
pub struct ContentDecoder {
    /// One decompressor per coding, in decoding order: the reverse of the
    /// header, since the last coding listed was applied last.
    stages: Vec<Stage>,
    /// Decoded bytes handed to the caller so far, across all calls.
    total: u64,
}

impl ContentDecoder {
    /// A decoder for `codings` as listed in the header; an empty list just
    /// copies bytes.
    pub fn new(codings: &[Coding]) -> Self {
        let stages = codings
            .iter()
            .rev()
            .map(|coding| match coding {
                Coding::Gzip => Stage::new(Framing::GzipHeader(GzipHeader::new())),
                Coding::Deflate => Stage::new(Framing::DeflateSniff { first: None }),
            })
            .collect();
        Self { stages, total: 0 }
    }

    /// Decodes `input` and appends the result to `out`. Fails with
    /// `TooLarge` as soon as the total decoded so far would pass `limit`;
    /// `out` then holds at most `limit` bytes from this decoder.
    pub fn decode(&mut self, input: &[u8], out: &mut Vec<u8>, limit: u64) -> Result<(), DecodeError> {
        pump(&mut self.stages, input, &mut Sink { out, total: &mut self.total, limit })
    }

    /// Checks, at the end of the body, that every compressed stream ended.
    /// A body that never carried a byte is accepted: servers do label empty
    /// bodies as gzip.
    pub fn finish(&mut self, out: &mut Vec<u8>, limit: u64) -> Result<(), DecodeError> {
        let mut sink = Sink { out, total: &mut self.total, limit };
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
    /// Most decoded bytes allowed in total.
    limit: u64,
}

impl Sink<'_> {
    /// Appends `data` if the total stays within the limit.
    fn push(&mut self, data: &[u8]) -> Result<(), DecodeError> {
        let total = self.total.saturating_add(data.len() as u64);
        if total > self.limit {
            return Err(DecodeError::TooLarge { limit: self.limit });
        }
        *self.total = total;
        self.out.extend_from_slice(data);
        Ok(())
    }
}

/// Sends `input` through the first stage, whose output goes through the
/// rest; past the last stage, bytes land in the sink.
fn pump(stages: &mut [Stage], input: &[u8], sink: &mut Sink<'_>) -> Result<(), DecodeError> {
    match stages.split_first_mut() {
        None => sink.push(input),
        Some((stage, rest)) => stage.write(input, rest, sink),
    }
}

/// Where one stage is in its compressed format.
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
    GzipTrailer {
        /// The trailer bytes read so far.
        bytes: [u8; 8],
        /// How many of `bytes` are filled.
        got: usize,
    },
    /// A member ended; the body may end here or another member may follow.
    GzipEnd,
}

/// One decompressor in the chain.
#[derive(Debug)]
struct Stage {
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
}

impl Stage {
    fn new(framing: Framing) -> Self {
        Self { framing, inflate: Decompress::new(false), buf: Vec::new(), crc: Crc::new(), seen_input: false }
    }

    /// Decodes `input`, pushing output through `rest` in [`STEP`] pieces.
    fn write(&mut self, mut input: &[u8], rest: &mut [Stage], sink: &mut Sink<'_>) -> Result<(), DecodeError> {
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
                    self.inflate([cmf, byte].as_slice(), rest, sink)?;
                    1
                }
                Framing::DeflateBody => self.inflate(input, rest, sink)?,
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
                Framing::GzipBody => self.inflate(input, rest, sink)?,
                Framing::GzipTrailer { bytes, got } => {
                    let take = (8 - *got).min(input.len());
                    bytes[*got..*got + take].copy_from_slice(&input[..take]);
                    *got += take;
                    if *got == 8 {
                        check_gzip_trailer(bytes, &self.crc)?;
                        self.framing = Framing::GzipEnd;
                    }
                    take
                }
                // Concatenated gzip: whatever follows a member is another one.
                Framing::GzipEnd => {
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
    fn inflate(&mut self, input: &[u8], rest: &mut [Stage], sink: &mut Sink<'_>) -> Result<usize, DecodeError> {
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
                pump(rest, &self.buf[..made], sink)?;
            }
            if status == Status::StreamEnd {
                self.framing = match self.framing {
                    Framing::GzipBody => Framing::GzipTrailer { bytes: [0; 8], got: 0 },
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
    fn finish(&mut self, rest: &mut [Stage], sink: &mut Sink<'_>) -> Result<(), DecodeError> {
        // `inflate` already keeps going while its output buffer fills, so
        // this drain should find nothing; it is here so that a stream whose
        // last output was still inside the inflater is not called truncated.
        if matches!(self.framing, Framing::DeflateBody | Framing::GzipBody) {
            self.inflate(&[], rest, sink)?;
        }
        match self.framing {
            Framing::DeflateEnd | Framing::GzipEnd => Ok(()),
            _ if !self.seen_input => Ok(()),
            _ => Err(DecodeError::Truncated),
        }
    }
}

/// Compares a gzip member trailer with the CRC-32 and length of its output.
fn check_gzip_trailer(bytes: &[u8; 8], crc: &Crc) -> Result<(), DecodeError> {
    let [c0, c1, c2, c3, s0, s1, s2, s3] = *bytes;
    if u32::from_le_bytes([c0, c1, c2, c3]) != crc.sum() {
        return Err(corrupt("gzip crc-32 mismatch"));
    }
    // ISIZE is the decoded length modulo 2^32, as is `Crc::amount`.
    if u32::from_le_bytes([s0, s1, s2, s3]) != crc.amount() {
        return Err(corrupt("gzip length mismatch"));
    }
    Ok(())
}

fn corrupt(why: &str) -> DecodeError {
    DecodeError::Corrupt(why.to_owned())
}

/// gzip header flag: a CRC-16 of the header follows it.
const FHCRC: u8 = 0x02;
/// gzip header flag: a length-prefixed extra field is present.
const FEXTRA: u8 = 0x04;
/// gzip header flag: a zero-terminated file name is present.
const FNAME: u8 = 0x08;
/// gzip header flag: a zero-terminated comment is present.
const FCOMMENT: u8 = 0x10;
/// gzip header flags that must be zero.
const FRESERVED: u8 = 0xe0;

/// Which part of a gzip member header (RFC 1952 section 2.3) comes next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HeaderPart {
    /// The 10 fixed bytes; the number says how many were read.
    Fixed(u8),
    /// The 2-byte length of the extra field, little-endian: `got` bytes of
    /// it read so far, `len` the value so far.
    ExtraLen { got: u8, len: u16 },
    /// Extra field bytes still to skip.
    Extra(u16),
    /// The file name, up to its zero byte.
    Name,
    /// The comment, up to its zero byte.
    Comment,
    /// The 2-byte header CRC, little-endian: `got` bytes of it read so far,
    /// `value` the value so far.
    HeaderCrc { got: u8, value: u16 },
    /// The header is complete.
    Done,
}

/// A resumable parser for one gzip member header; nothing is stored but the
/// flags and a checksum, so a long file name costs no memory.
#[derive(Debug)]
struct GzipHeader {
    /// What comes next.
    part: HeaderPart,
    /// The FLG byte.
    flags: u8,
    /// CRC-32 of the header bytes, for FHCRC.
    crc: Crc,
}

impl GzipHeader {
    fn new() -> Self {
        Self { part: HeaderPart::Fixed(0), flags: 0, crc: Crc::new() }
    }

    fn is_done(&self) -> bool {
        self.part == HeaderPart::Done
    }

    /// Reads header bytes from `input`, returning how many were used.
    fn feed(&mut self, input: &[u8]) -> Result<usize, DecodeError> {
        for (i, &byte) in input.iter().enumerate() {
            if self.is_done() {
                return Ok(i);
            }
            if !matches!(self.part, HeaderPart::HeaderCrc { .. }) {
                self.crc.update(&[byte]);
            }
            self.part = match self.part {
                HeaderPart::Fixed(0) if byte != 0x1f => return Err(corrupt("not a gzip stream (bad magic)")),
                HeaderPart::Fixed(1) if byte != 0x8b => return Err(corrupt("not a gzip stream (bad magic)")),
                HeaderPart::Fixed(2) if byte != 8 => return Err(corrupt("gzip compression method is not deflate")),
                HeaderPart::Fixed(3) if byte & FRESERVED != 0 => return Err(corrupt("gzip reserved flags are set")),
                HeaderPart::Fixed(3) => {
                    self.flags = byte;
                    HeaderPart::Fixed(4)
                }
                HeaderPart::Fixed(9) => self.after(0),
                HeaderPart::Fixed(n) => HeaderPart::Fixed(n + 1),
                HeaderPart::ExtraLen { got: 0, .. } => HeaderPart::ExtraLen { got: 1, len: u16::from(byte) },
                HeaderPart::ExtraLen { len, .. } => match len | u16::from(byte) << 8 {
                    0 => self.after(1),
                    len => HeaderPart::Extra(len),
                },
                HeaderPart::Extra(1) => self.after(1),
                HeaderPart::Extra(n) => HeaderPart::Extra(n - 1),
                HeaderPart::Name if byte == 0 => self.after(2),
                HeaderPart::Comment if byte == 0 => self.after(3),
                part @ (HeaderPart::Name | HeaderPart::Comment) => part,
                HeaderPart::HeaderCrc { got: 0, .. } => HeaderPart::HeaderCrc { got: 1, value: u16::from(byte) },
                HeaderPart::HeaderCrc { value, .. } => {
                    // FHCRC is the low 16 bits of the CRC-32 of the header.
                    if value | u16::from(byte) << 8 != self.crc.sum() as u16 {
                        return Err(corrupt("gzip header checksum mismatch"));
                    }
                    HeaderPart::Done
                }
                HeaderPart::Done => HeaderPart::Done,
            };
        }
        Ok(input.len())
    }

    /// The optional part that follows part number `done` (0 fixed, 1 extra,
    /// 2 name, 3 comment), skipping those the flags leave out.
    fn after(&self, done: u8) -> HeaderPart {
        let has = |flag| self.flags & flag != 0;
        match done {
            0 if has(FEXTRA) => HeaderPart::ExtraLen { got: 0, len: 0 },
            0 | 1 if has(FNAME) => HeaderPart::Name,
            0..=2 if has(FCOMMENT) => HeaderPart::Comment,
            _ if has(FHCRC) => HeaderPart::HeaderCrc { got: 0, value: 0 },
            _ => HeaderPart::Done,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::Compression;
    use flate2::write::{DeflateEncoder, GzEncoder, ZlibEncoder};
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(data).and_then(|()| encoder.finish()).unwrap_or_default()
    }

    fn zlib(data: &[u8]) -> Vec<u8> {
        let mut encoder = ZlibEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(data).and_then(|()| encoder.finish()).unwrap_or_default()
    }

    fn raw_deflate(data: &[u8]) -> Vec<u8> {
        let mut encoder = DeflateEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(data).and_then(|()| encoder.finish()).unwrap_or_default()
    }

    /// A gzip member with every optional header part, FHCRC included, which
    /// flate2's encoder never writes.
    fn gzip_with_all_header_parts(data: &[u8]) -> Vec<u8> {
        let mut member = vec![0x1f, 0x8b, 8, FHCRC | FEXTRA | FNAME | FCOMMENT, 0, 0, 0, 0, 0, 255];
        member.extend_from_slice(&[3, 0, b'a', b'b', b'c']);
        member.extend_from_slice(b"name.txt\0a comment\0");
        let mut crc = Crc::new();
        crc.update(&member);
        member.extend_from_slice(&(crc.sum() as u16).to_le_bytes());
        member.extend_from_slice(&raw_deflate(data));
        let mut crc = Crc::new();
        crc.update(data);
        member.extend_from_slice(&crc.sum().to_le_bytes());
        member.extend_from_slice(&crc.amount().to_le_bytes());
        member
    }

    /// Decodes `pieces` one call each, then finishes.
    fn run<'a>(codings: &[Coding], pieces: impl Iterator<Item = &'a [u8]>, limit: u64) -> Result<Vec<u8>, DecodeError> {
        let mut decoder = ContentDecoder::new(codings);
        let mut out = Vec::new();
        for piece in pieces {
            decoder.decode(piece, &mut out, limit)?;
        }
        decoder.finish(&mut out, limit)?;
        Ok(out)
    }

    /// Name, codings, encoded input, expected decoded output.
    type RoundTrip = (&'static str, Vec<Coding>, Vec<u8>, Vec<u8>);
    /// Name, codings, input, limit, whether the output fits.
    type LimitCase<'a> = (&'a str, &'a [Coding], &'a [u8], u64, bool);
    /// Header values and the codings they parse to.
    type ParseCase = (&'static [&'static str], Result<Vec<Coding>, DecodeError>);

    const SAMPLE: &[u8] = b"the quick brown fox jumps over the lazy dog; the quick brown fox jumps again. 0123456789";

    #[test]
    fn round_trips_identically_at_every_split() {
        use Coding::{Deflate, Gzip};
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
    fn bomb_stops_at_the_limit_with_bounded_memory() {
        const LIMIT: u64 = 1024 * 1024;
        let zeros = vec![0; 10 * 1024 * 1024];
        let cases: Vec<(&str, Vec<Coding>, Vec<u8>)> = vec![
            ("gzip", vec![Coding::Gzip], gzip(&zeros)),
            ("zlib deflate", vec![Coding::Deflate], zlib(&zeros)),
            ("raw deflate", vec![Coding::Deflate], raw_deflate(&zeros)),
            ("gzip of gzip", vec![Coding::Gzip, Coding::Gzip], gzip(&gzip(&zeros))),
        ];
        for (name, codings, bomb) in &cases {
            assert!(bomb.len() < 64 * 1024, "{name}: bomb is {} bytes", bomb.len());
            for piece_len in [bomb.len(), 1024] {
                let mut decoder = ContentDecoder::new(codings);
                let mut out = Vec::new();
                let result = bomb.chunks(piece_len).try_for_each(|piece| decoder.decode(piece, &mut out, LIMIT));
                assert_eq!(result, Err(DecodeError::TooLarge { limit: LIMIT }), "{name}");
                assert!(out.len() as u64 <= LIMIT, "{name}: {} bytes decoded", out.len());
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
            let expected = if fits { Ok(SAMPLE.to_vec()) } else { Err(DecodeError::TooLarge { limit }) };
            assert_eq!(run(codings, input.chunks(7), limit), expected, "{name}");
        }
    }

    #[test]
    fn every_cut_short_stream_is_truncated() {
        for (name, coding, encoded) in [("gzip", Coding::Gzip, gzip(SAMPLE)), ("zlib", Coding::Deflate, zlib(SAMPLE))] {
            for len in 1..encoded.len() {
                let result = run(&[coding], std::iter::once(&encoded[..len]), u64::MAX);
                assert_eq!(result, Err(DecodeError::Truncated), "{name} cut to {len} bytes");
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
        let n = good.len();
        let mut bad_header_crc = gzip_with_all_header_parts(SAMPLE);
        bad_header_crc[29] ^= 1;
        let cases: Vec<(&str, Coding, Vec<u8>, &str)> = vec![
            ("bad magic", Coding::Gzip, patched(0, 0x1e), "not a gzip stream (bad magic)"),
            ("bad method", Coding::Gzip, patched(2, 7), "gzip compression method is not deflate"),
            ("reserved flags", Coding::Gzip, patched(3, 0x20), "gzip reserved flags are set"),
            ("header checksum", Coding::Gzip, bad_header_crc, "gzip header checksum mismatch"),
            ("crc", Coding::Gzip, patched(n - 8, good[n - 8] ^ 1), "gzip crc-32 mismatch"),
            ("length", Coding::Gzip, patched(n - 4, good[n - 4] ^ 1), "gzip length mismatch"),
            ("garbage after member", Coding::Gzip, [&good[..], b"junk"].concat(), "not a gzip stream (bad magic)"),
            (
                "data after deflate end",
                Coding::Deflate,
                [zlib(SAMPLE), b"x".to_vec()].concat(),
                "data after the end of the deflate stream",
            ),
        ];
        for (name, coding, input, why) in cases {
            let expected = Err(DecodeError::Corrupt(why.to_owned()));
            assert_eq!(run(&[coding], std::iter::once(&input[..]), u64::MAX), expected, "{name}: whole");
            assert_eq!(run(&[coding], input.chunks(1), u64::MAX), expected, "{name}: byte by byte");
        }
        // Invalid deflate blocks: the message is the inflater's, so only the
        // variant is checked. 0x78 0x9c is a valid zlib header, 0xff a block
        // with the reserved type 3.
        for (name, coding, input) in [
            ("bad zlib block", Coding::Deflate, vec![0x78, 0x9c, 0xff, 0xff]),
            ("bad gzip block", Coding::Gzip, patched(10, 0xff)),
        ] {
            let result = run(&[coding], std::iter::once(&input[..]), u64::MAX);
            assert!(matches!(result, Err(DecodeError::Corrupt(_))), "{name}: {result:?}");
        }
    }

    #[test]
    fn parses_content_encoding_headers() {
        use Coding::{Deflate, Gzip};
        let unsupported = |name: &str| Err(DecodeError::UnsupportedEncoding(name.to_owned()));
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
            (&["gzip, gzip, gzip, gzip"], Ok(vec![Gzip; 4])),
            (&["gzip, gzip, gzip", "gzip, gzip"], Err(DecodeError::TooManyEncodings)),
            (&["br"], unsupported("br")),
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
                DecodeError::UnsupportedEncoding("br".into()),
                "unsupported content-encoding \"br\"; only gzip, deflate and identity are decoded",
            ),
            (
                DecodeError::TooLarge { limit: 10 },
                "decoded body exceeds the limit of 10 bytes; raise the limit if this is expected",
            ),
            (DecodeError::Truncated, "compressed body ended before the end of the compressed stream"),
            (DecodeError::Corrupt("gzip crc-32 mismatch".into()), "corrupt compressed body: gzip crc-32 mismatch"),
        ];
        for (error, message) in cases {
            assert_eq!(error.to_string(), message);
        }
    }
}
