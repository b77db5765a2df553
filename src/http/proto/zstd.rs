//! The zstd content coding (RFC 8878): one stage of the content decoder
//! (`decode.rs`), fed body bytes in pieces of any size.
//!
//! The `ruzstd` crate decodes the blocks; this file finds where they are.
//! ruzstd reads from a `Read` that must hold a whole frame header or a whole
//! block (it cannot stop halfway through one and go on later), so the stage
//! keeps the bytes of the current header or block until they have all
//! arrived, reading the sizes from the format: a frame header's length from
//! its descriptor byte, a block's from its 3-byte header. A block is at most
//! 128 KiB, so that is what the stage holds at most, and each block decodes
//! to at most 128 KiB, handed on in [`STEP`] pieces so the size limit is
//! checked as often as for gzip.
//!
//! Frames may follow each other (the format allows it), and skippable
//! frames (magic `0x184D2A5?`) are skipped.

use ruzstd::decoding::{BlockDecodingStrategy, FrameDecoder};

use super::decode::{ContentDecodeError, STEP, corrupt};

/// The zstd frame magic number, little-endian on the wire.
const MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];
/// Most bytes one block decodes to (RFC 8878 3.1.1.2.4).
const MAX_BLOCK: u64 = 128 * 1024;
/// The largest window counted as output held back: RFC 9659 limits zstd as
/// an HTTP content coding to 8 MiB windows.
const MAX_HELD: u64 = 8 * 1024 * 1024;

/// Where the stage is in the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    /// Before a frame (the body's first, or the next one): waiting for its
    /// magic number and header.
    FrameStart,
    /// Inside a frame, before a block header.
    Block {
        /// Whether the frame ends with a 4-byte content checksum, read with
        /// its last block.
        checksum: bool,
    },
    /// Skipping this many more bytes of a skippable frame.
    Skipping(u64),
}

/// A zstd decoding stage.
pub(crate) struct ZstdStage {
    /// Decodes blocks and holds the window.
    decoder: FrameDecoder,
    place: Place,
    /// Bytes of the header or block not complete yet.
    held: Vec<u8>,
    /// Whether any input reached this stage.
    seen_input: bool,
    /// The current frame's window: output the decoder may hold back.
    window: u64,
    /// Most bytes the current frame's blocks can have decoded to.
    frame_decoded_bound: u64,
    /// Bytes of the current frame handed on.
    frame_given: u64,
}

impl std::fmt::Debug for ZstdStage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZstdStage").field("place", &self.place).field("held", &self.held.len()).finish()
    }
}

impl ZstdStage {
    /// A stage before its first frame.
    pub(crate) fn new() -> ZstdStage {
        ZstdStage {
            decoder: FrameDecoder::new(),
            place: Place::FrameStart,
            held: Vec::new(),
            seen_input: false,
            window: 0,
            frame_decoded_bound: 0,
            frame_given: 0,
        }
    }

    /// At most how many decoded bytes the decoder holds back in its window
    /// (it hands on only what the window no longer needs until the frame
    /// ends): the input rule in `decode.rs` counts them as given, so a
    /// well-compressed frame is not mistaken for input without output.
    pub(crate) fn held_output_bound(&self) -> u64 {
        self.window.min(MAX_HELD).min(self.frame_decoded_bound.saturating_sub(self.frame_given))
    }

    /// Takes `input`, decoding every header and block it completes and
    /// passing the output to `emit` in [`STEP`] pieces.
    pub(crate) fn write(
        &mut self,
        mut input: &[u8],
        emit: &mut dyn FnMut(&[u8]) -> Result<(), ContentDecodeError>,
    ) -> Result<(), ContentDecodeError> {
        self.seen_input |= !input.is_empty();
        while !input.is_empty() {
            if let Place::Skipping(left) = self.place {
                let skip = usize::try_from(left).map_or(input.len(), |left| left.min(input.len()));
                input = &input[skip..];
                self.place = if left == skip as u64 { Place::FrameStart } else { Place::Skipping(left - skip as u64) };
                continue;
            }
            // Hold bytes until the unit that starts here is whole.
            let needed = match self.unit_length()? {
                Some(length) => length,
                // Not even the bytes that give the length yet: take one more.
                None => self.held.len() + 1,
            };
            let take = needed.saturating_sub(self.held.len()).min(input.len());
            self.held.extend_from_slice(&input[..take]);
            input = &input[take..];
            if self.unit_length()? == Some(self.held.len()) {
                self.decode_unit(emit)?;
                self.held.clear();
            }
        }
        Ok(())
    }

    /// Checks, at the end of the body, that the last frame ended.
    pub(crate) fn finish(&mut self) -> Result<(), ContentDecodeError> {
        match self.place {
            Place::FrameStart if self.held.is_empty() => Ok(()),
            _ if !self.seen_input => Ok(()),
            _ => Err(ContentDecodeError::Truncated),
        }
    }

    /// The length of the header or block that `held` begins, once enough
    /// of it is there to tell; `None` before that.
    fn unit_length(&self) -> Result<Option<usize>, ContentDecodeError> {
        let held = &self.held[..];
        match self.place {
            Place::FrameStart => {
                if held.len() < 5 {
                    return Ok(None);
                }
                if held[1..4] == [0x2a, 0x4d, 0x18] && held[0] & 0xf0 == 0x50 {
                    // A skippable frame: magic, then a 4-byte length.
                    return Ok(Some(8));
                }
                if held[..4] != MAGIC {
                    return Err(corrupt("not a zstd stream (bad magic)"));
                }
                // RFC 8878 3.1.1.1: the descriptor says which fields follow.
                let descriptor = held[4];
                let single_segment = descriptor & 0x20 != 0;
                let window = usize::from(!single_segment);
                let dictionary = [0, 1, 2, 4][usize::from(descriptor & 0x03)];
                let content_size = match descriptor >> 6 {
                    0 => usize::from(single_segment),
                    1 => 2,
                    2 => 4,
                    _ => 8,
                };
                Ok(Some(5 + window + dictionary + content_size))
            }
            Place::Block { checksum } => {
                if held.len() < 3 {
                    return Ok(None);
                }
                // RFC 8878 3.1.1.2: last-block bit, 2-bit type, 21-bit size.
                let header = u32::from(held[0]) | u32::from(held[1]) << 8 | u32::from(held[2]) << 16;
                let last = header & 1 != 0;
                let size = (header >> 3) as usize;
                let body = match (header >> 1) & 3 {
                    0 | 2 => size,
                    1 => 1,
                    _ => return Err(corrupt("reserved zstd block type")),
                };
                if size > 128 * 1024 {
                    return Err(corrupt("zstd block larger than 128 KiB"));
                }
                Ok(Some(3 + body + if last && checksum { 4 } else { 0 }))
            }
            Place::Skipping(_) => Ok(Some(0)),
        }
    }

    /// Decodes the whole header or block in `held`.
    fn decode_unit(
        &mut self,
        emit: &mut dyn FnMut(&[u8]) -> Result<(), ContentDecodeError>,
    ) -> Result<(), ContentDecodeError> {
        let held = &self.held[..];
        match self.place {
            Place::FrameStart if held[0] & 0xf0 == 0x50 && held[1..4] == [0x2a, 0x4d, 0x18] => {
                let length = u32::from_le_bytes([held[4], held[5], held[6], held[7]]);
                self.place = if length == 0 { Place::FrameStart } else { Place::Skipping(u64::from(length)) };
            }
            Place::FrameStart => {
                self.decoder.reset(held).map_err(|error| corrupt(&format!("bad zstd frame header: {error}")))?;
                self.place = Place::Block { checksum: held[4] & 0x04 != 0 };
                (self.window, self.frame_decoded_bound, self.frame_given) = (window_size(held), 0, 0);
            }
            Place::Block { checksum } => {
                // Raw and RLE blocks decode to their header's size exactly;
                // a compressed block to at most `MAX_BLOCK`.
                let header = u32::from(held[0]) | u32::from(held[1]) << 8 | u32::from(held[2]) << 16;
                let block_bound = if (header >> 1) & 3 == 2 { MAX_BLOCK } else { u64::from(header >> 3) };
                self.frame_decoded_bound += block_bound;
                let frame_done = self
                    .decoder
                    .decode_blocks(held, BlockDecodingStrategy::UptoBlocks(1))
                    .map_err(|error| corrupt(&format!("bad zstd block: {error}")))?;
                // Hand on what the window no longer needs (all of it at the
                // end of the frame), at most STEP bytes at a time.
                let mut piece = vec![0; STEP];
                loop {
                    let ready = self.decoder.can_collect().min(STEP);
                    if ready == 0 {
                        break;
                    }
                    let read = std::io::Read::read(&mut self.decoder, &mut piece[..ready])
                        .map_err(|error| corrupt(&format!("zstd: {error}")))?;
                    if read == 0 {
                        break;
                    }
                    self.frame_given += read as u64;
                    emit(&piece[..read])?;
                }
                if frame_done {
                    if checksum && self.decoder.get_checksum_from_data() != self.decoder.get_calculated_checksum() {
                        return Err(corrupt("zstd content checksum mismatch"));
                    }
                    self.place = Place::FrameStart;
                }
            }
            Place::Skipping(_) => {}
        }
        Ok(())
    }
}

/// The window size a whole frame header gives (RFC 8878 3.1.1.1.2): the
/// window descriptor, or for a single-segment frame its content size.
fn window_size(header: &[u8]) -> u64 {
    let descriptor = header[4];
    if descriptor & 0x20 == 0 {
        let byte = header[5];
        let base = 1u64 << (10 + (byte >> 3));
        return base + base / 8 * u64::from(byte & 7);
    }
    let dictionary = [0, 1, 2, 4][usize::from(descriptor & 0x03)];
    let field = &header[5 + dictionary..];
    let le = |bytes: &[u8]| bytes.iter().rev().fold(0u64, |value, &byte| value << 8 | u64::from(byte));
    match descriptor >> 6 {
        0 => le(&field[..1]),
        1 => le(&field[..2]) + 256,
        2 => le(&field[..4]),
        _ => le(&field[..8]),
    }
}
