//! The brotli content coding (`br`, RFC 7932): one stage of the content
//! decoder (`decode.rs`), fed body bytes in pieces of any size.
//!
//! The `brotli-decompressor` crate is a streaming decoder with a C-style
//! API: it takes what input it can, writes into the output slice it is
//! given, and says whether it needs more input, more room for output, or
//! is done. Giving it a [`STEP`]-byte output slice and handing that on
//! before calling again keeps the size limit checked every 32 KiB, as for
//! gzip. The window is at most 16 MiB (the RFC's; the crate's "large
//! window" extension is not accepted).

use brotli_decompressor::{BrotliDecompressStream, BrotliResult, BrotliState, StandardAlloc};

use super::decode::{ContentDecodeError, STEP, corrupt};

/// A brotli decoding stage.
pub(crate) struct BrotliStage {
    /// The decoder's state, boxed: it is a few kilobytes.
    state: Box<BrotliState<StandardAlloc, StandardAlloc, StandardAlloc>>,
    /// Output of one step, [`STEP`] bytes once first used.
    buf: Vec<u8>,
    /// The stream's last meta-block has been decoded.
    done: bool,
    /// Whether any input reached this stage.
    seen_input: bool,
}

impl std::fmt::Debug for BrotliStage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BrotliStage").field("done", &self.done).finish_non_exhaustive()
    }
}

impl BrotliStage {
    /// A stage before the stream's first byte.
    pub(crate) fn new() -> BrotliStage {
        let state =
            BrotliState::new_strict(StandardAlloc::default(), StandardAlloc::default(), StandardAlloc::default());
        BrotliStage { state: Box::new(state), buf: Vec::new(), done: false, seen_input: false }
    }

    /// Decodes all of `input`, passing the output to `emit` in [`STEP`]
    /// pieces.
    pub(crate) fn write(
        &mut self,
        input: &[u8],
        emit: &mut dyn FnMut(&[u8]) -> Result<(), ContentDecodeError>,
    ) -> Result<(), ContentDecodeError> {
        self.seen_input |= !input.is_empty();
        if self.done {
            return match input.is_empty() {
                true => Ok(()),
                false => Err(corrupt("data after the end of the brotli stream")),
            };
        }
        if self.buf.is_empty() {
            self.buf.resize(STEP, 0);
        }
        let (mut available_in, mut input_offset) = (input.len(), 0);
        loop {
            let (mut available_out, mut output_offset, mut total_out) = (self.buf.len(), 0, 0);
            let result = BrotliDecompressStream(
                &mut available_in,
                &mut input_offset,
                input,
                &mut available_out,
                &mut output_offset,
                &mut self.buf,
                &mut total_out,
                &mut self.state,
            );
            if output_offset > 0 {
                emit(&self.buf[..output_offset])?;
            }
            match result {
                // The output slice filled up: hand it on, then go on.
                BrotliResult::NeedsMoreOutput => continue,
                BrotliResult::NeedsMoreInput => return Ok(()),
                BrotliResult::ResultSuccess => {
                    self.done = true;
                    return match available_in {
                        0 => Ok(()),
                        _ => Err(corrupt("data after the end of the brotli stream")),
                    };
                }
                BrotliResult::ResultFailure => return Err(corrupt("invalid brotli data")),
            }
        }
    }

    /// Checks, at the end of the body, that the stream ended.
    pub(crate) fn finish(&self) -> Result<(), ContentDecodeError> {
        if self.done || !self.seen_input { Ok(()) } else { Err(ContentDecodeError::Truncated) }
    }
}
