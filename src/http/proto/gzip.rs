//! gzip member framing (RFC 1952): the header in front of the deflate data
//! and the 8-byte trailer behind it, parsed resumably.
//!
//! Where it sits in the path of a request: `decode.rs` undoes a response's
//! `Content-Encoding`. For a gzip coding its stage feeds body bytes to a
//! [`GzipHeader`] until the header is done, inflates the deflate data
//! itself, then feeds a [`GzipTrailer`], which checks the CRC-32 and length
//! of what was inflated. If more bytes follow, they are another member and
//! a new header starts.
//!
//! These parsers are hand-written because `decode.rs` drives flate2's
//! low-level `Decompress`, which knows deflate and zlib but not gzip (see
//! there for why). Body bytes arrive in pieces of any size, so both parsers
//! take whatever slice they are given, say how much of it they used, and
//! pick up where they stopped on the next call. Neither stores more than a
//! few bytes, so a long file name or comment in a header costs no memory.

use flate2::Crc;

use super::decode::{ContentDecodeError, corrupt};

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
/// Length of the member trailer: CRC-32 then ISIZE, both little-endian.
const TRAILER_LEN: usize = 8;

/// Which part of a gzip member header (RFC 1952 section 2.3) comes next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HeaderPart {
    /// The 10 fixed bytes; the number says how many were read.
    Fixed(u8),
    /// The 2-byte length of the extra field, little-endian.
    ExtraLen {
        /// Bytes of the length read so far.
        got: u8,
        /// The length so far.
        len: u16,
    },
    /// Extra field bytes still to skip.
    Extra(u16),
    /// The file name, up to its zero byte.
    Name,
    /// The comment, up to its zero byte.
    Comment,
    /// The 2-byte header CRC, little-endian.
    HeaderCrc {
        /// Bytes of the CRC read so far.
        got: u8,
        /// The CRC so far.
        value: u16,
    },
    /// The header is complete.
    Done,
}

/// A resumable parser for one gzip member header; nothing is stored but the
/// flags and a checksum, so a long file name costs no memory.
#[derive(Debug)]
pub(crate) struct GzipHeader {
    /// What comes next.
    part: HeaderPart,
    /// The FLG byte.
    flags: u8,
    /// CRC-32 of the header bytes, for FHCRC.
    crc: Crc,
}

impl GzipHeader {
    /// A parser expecting the first byte of a member.
    pub(crate) fn new() -> Self {
        Self { part: HeaderPart::Fixed(0), flags: 0, crc: Crc::new() }
    }

    /// True once the whole header, FHCRC included, has been read and checked.
    pub(crate) fn is_done(&self) -> bool {
        self.part == HeaderPart::Done
    }

    /// Reads header bytes from `input`, returning how many were used: all of
    /// them, or fewer if the header ended inside `input`.
    pub(crate) fn feed(&mut self, input: &[u8]) -> Result<usize, ContentDecodeError> {
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

/// A resumable reader for the 8-byte member trailer, which it checks
/// against the member's inflated output once the last byte is in.
#[derive(Debug)]
pub(crate) struct GzipTrailer {
    /// The trailer bytes read so far.
    bytes: [u8; TRAILER_LEN],
    /// How many of `bytes` are filled.
    got: usize,
}

impl GzipTrailer {
    /// A reader expecting the first trailer byte.
    pub(crate) fn new() -> Self {
        Self { bytes: [0; TRAILER_LEN], got: 0 }
    }

    /// True once all 8 bytes have been read and matched.
    pub(crate) fn is_done(&self) -> bool {
        self.got == TRAILER_LEN
    }

    /// Reads trailer bytes from `input`, returning how many were used. With
    /// the last byte, compares the trailer with `crc`, the CRC-32 and length
    /// of the member's inflated output.
    pub(crate) fn feed(&mut self, input: &[u8], crc: &Crc) -> Result<usize, ContentDecodeError> {
        let take = (TRAILER_LEN - self.got).min(input.len());
        self.bytes[self.got..self.got + take].copy_from_slice(&input[..take]);
        self.got += take;
        if self.is_done() {
            check_trailer(&self.bytes, crc)?;
        }
        Ok(take)
    }
}

/// Compares a gzip member trailer with the CRC-32 and length of its output.
fn check_trailer(bytes: &[u8; TRAILER_LEN], crc: &Crc) -> Result<(), ContentDecodeError> {
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

/// A gzip member with every optional header part, FHCRC included, which
/// flate2's encoder never writes. Its header is 36 bytes long.
#[cfg(test)]
pub(crate) fn gzip_with_all_header_parts(data: &[u8]) -> Vec<u8> {
    use flate2::Compression;
    use flate2::write::DeflateEncoder;
    use std::io::Write;

    let mut member = vec![0x1f, 0x8b, 8, FHCRC | FEXTRA | FNAME | FCOMMENT, 0, 0, 0, 0, 0, 255];
    member.extend_from_slice(&[3, 0, b'a', b'b', b'c']);
    member.extend_from_slice(b"name.txt\0a comment\0");
    let mut crc = Crc::new();
    crc.update(&member);
    member.extend_from_slice(&(crc.sum() as u16).to_le_bytes());
    let mut encoder = DeflateEncoder::new(Vec::new(), Compression::default());
    member.extend_from_slice(&encoder.write_all(data).and_then(|()| encoder.finish()).unwrap_or_default());
    let mut crc = Crc::new();
    crc.update(data);
    member.extend_from_slice(&crc.sum().to_le_bytes());
    member.extend_from_slice(&crc.amount().to_le_bytes());
    member
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::Compression;
    use flate2::write::GzEncoder;
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(data).and_then(|()| encoder.finish()).unwrap_or_default()
    }

    /// Feeds `member` to a header parser `piece` bytes at a time and returns
    /// the length of the header, or `None` if the header never ended.
    fn header_len(member: &[u8], piece: usize) -> Result<Option<usize>, ContentDecodeError> {
        let mut header = GzipHeader::new();
        let mut used = 0;
        for chunk in member.chunks(piece) {
            used += header.feed(chunk)?;
            if header.is_done() {
                return Ok(Some(used));
            }
        }
        Ok(None)
    }

    /// Feeds the last 8 bytes of `member` to a trailer reader `piece` bytes
    /// at a time, checking them against `data`.
    fn check(member: &[u8], data: &[u8], piece: usize) -> Result<bool, ContentDecodeError> {
        let mut crc = Crc::new();
        crc.update(data);
        let mut trailer = GzipTrailer::new();
        for chunk in member[member.len() - TRAILER_LEN..].chunks(piece) {
            assert_eq!(trailer.feed(chunk, &crc)?, chunk.len());
        }
        Ok(trailer.is_done())
    }

    const SAMPLE: &[u8] = b"the quick brown fox jumps over the lazy dog; the quick brown fox jumps again. 0123456789";

    #[test]
    fn header_ends_where_the_deflate_data_begins() {
        let cases =
            [("flate2's header", gzip(SAMPLE), 10), ("every optional part", gzip_with_all_header_parts(SAMPLE), 36)];
        for (name, member, expected) in cases {
            for piece in [member.len(), 7, 1] {
                assert_eq!(header_len(&member, piece), Ok(Some(expected)), "{name}: pieces of {piece}");
            }
            assert_eq!(header_len(&member[..expected - 1], 1), Ok(None), "{name}: one byte short");
        }
    }

    #[test]
    fn corrupt_headers_are_rejected() {
        let good = gzip(SAMPLE);
        let patched = |at: usize, byte: u8| {
            let mut bytes = good.clone();
            bytes[at] = byte;
            bytes
        };
        let mut bad_header_crc = gzip_with_all_header_parts(SAMPLE);
        bad_header_crc[29] ^= 1;
        let cases = [
            ("bad magic", patched(0, 0x1e), "not a gzip stream (bad magic)"),
            ("bad method", patched(2, 7), "gzip compression method is not deflate"),
            ("reserved flags", patched(3, 0x20), "gzip reserved flags are set"),
            ("header checksum", bad_header_crc, "gzip header checksum mismatch"),
        ];
        for (name, input, why) in cases {
            let expected = Err(ContentDecodeError::Corrupt(why.to_owned()));
            assert_eq!(header_len(&input, input.len()), expected, "{name}: whole");
            assert_eq!(header_len(&input, 1), expected, "{name}: byte by byte");
        }
    }

    #[test]
    fn trailer_checks_crc_32_and_length() {
        let good = gzip(SAMPLE);
        let n = good.len();
        let patched = |at: usize| {
            let mut bytes = good.clone();
            bytes[at] ^= 1;
            bytes
        };
        let cases = [
            ("good", good.clone(), Ok(true)),
            ("crc", patched(n - 8), Err(corrupt("gzip crc-32 mismatch"))),
            ("length", patched(n - 4), Err(corrupt("gzip length mismatch"))),
        ];
        for (name, member, expected) in cases {
            assert_eq!(check(&member, SAMPLE, TRAILER_LEN), expected, "{name}: whole");
            assert_eq!(check(&member, SAMPLE, 1), expected, "{name}: byte by byte");
        }
        // Bytes past the trailer belong to whatever follows the member.
        let mut crc = Crc::new();
        crc.update(SAMPLE);
        let mut trailer = GzipTrailer::new();
        assert_eq!(trailer.feed(&[&good[n - 8..], b"next"].concat(), &crc), Ok(TRAILER_LEN));
        assert!(trailer.is_done());
    }
}
