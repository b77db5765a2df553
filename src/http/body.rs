//! [`BodyReader`]: a response body coming off its connection, unframed
//! (Content-Length, chunked, or until close), decompressed, and limited.
//!
//! In the path of a request this is the last stage. It owns the connection
//! and its pool slot while the body is being read; when the body ends
//! cleanly on a reusable connection the connection goes back to the pool,
//! and if the reader is dropped half-way the connection is closed instead,
//! because the unread rest of the body would corrupt the next response.

use std::time::Duration;

use crate::http::connection::Connection;
use crate::http::deadline::{Deadline, within};
use crate::http::error::{Error, TimeoutKind};
use crate::http::pool::Lease;
use crate::http::proto::chunked::ChunkedDecoder;
use crate::http::proto::decode::ContentDecoder;
use crate::http::proto::framing::{BodyLength, Framing};
use crate::http::proto::headers::Headers;

/// Decoded bytes one read aims to return at most. A read stops feeding the
/// decoder once past it, so the overshoot is what one small input step can
/// expand to (see `ContentDecoder::input_step`).
const OUTPUT_BUDGET: usize = 64 * 1024;

/// How the remaining body is delimited on the wire.
enum Wire {
    /// This many bytes are still to come, of `announced` in all.
    Length {
        /// Bytes still to read.
        remaining: u64,
        /// The Content-Length, for the error message.
        announced: u64,
    },
    /// Chunked transfer coding.
    Chunked(ChunkedDecoder),
    /// Everything until the server closes the connection.
    UntilClose,
}

/// The connection a body is read from, with its pool slot.
struct Source {
    /// The connection, positioned at the next body byte.
    connection: Connection,
    /// The slot it counts against in the pool.
    lease: Lease,
    /// How the rest is delimited.
    wire: Wire,
    /// Whether the connection may be reused after the body ends.
    keep_alive: bool,
}

/// A body being read; see the module documentation.
pub(crate) struct BodyReader {
    /// The connection, until the body ends or fails.
    source: Option<Source>,
    /// The Content-Encoding decoder, `None` for identity.
    decoder: Option<ContentDecoder>,
    /// Decoded bytes allowed in all.
    limit: u64,
    /// Decoded bytes produced so far.
    produced: u64,
    /// Limit on each wait for bytes.
    read_timeout: Option<Duration>,
    /// The whole request's deadline.
    total: Option<Deadline>,
    /// Chunked data already unframed but not yet through the content
    /// decoder (`pending[pending_start..]`); the allocation is reused.
    pending: Vec<u8>,
    /// How much of `pending` the decoder has taken.
    pending_start: usize,
    /// An error found in the head that only matters for the body (an
    /// unsupported Content-Encoding): reported by the first read, so the
    /// caller still sees the status and headers.
    deferred: Option<Error>,
    /// Trailer fields of a chunked body, once it has ended.
    trailers: Headers,
    /// Set once a read failed: later reads fail too, rather than look like
    /// a clean end.
    failed: bool,
}

/// How a body reader is set up.
pub(crate) struct BodySettings {
    /// Decoded bytes allowed.
    pub(crate) limit: u64,
    /// Per-read timeout.
    pub(crate) read_timeout: Option<Duration>,
    /// Whole-request deadline.
    pub(crate) total: Option<Deadline>,
}

impl BodyReader {
    /// A reader for a body framed as `framing` on `connection`.
    pub(crate) fn new(
        connection: Connection,
        lease: Lease,
        framing: Framing,
        decoder: Result<Option<ContentDecoder>, Error>,
        settings: BodySettings,
    ) -> BodyReader {
        let wire = match framing.body {
            BodyLength::Empty => None,
            BodyLength::Length(0) => None,
            BodyLength::Length(length) => Some(Wire::Length { remaining: length, announced: length }),
            BodyLength::Chunked => Some(Wire::Chunked(ChunkedDecoder::new())),
            BodyLength::UntilClose => Some(Wire::UntilClose),
        };
        let (decoder, deferred) = match decoder {
            Ok(decoder) => (decoder, None),
            Err(error) => (None, Some(error)),
        };
        let mut reader = BodyReader {
            decoder,
            limit: settings.limit,
            read_timeout: settings.read_timeout,
            total: settings.total,
            deferred,
            ..BodyReader::finished()
        };
        match wire {
            Some(wire) => {
                reader.source = Some(Source { connection, lease, wire, keep_alive: framing.keep_alive });
            }
            // No body: the connection is free for the next request now,
            // even if the caller never reads this "body".
            None => release(connection, lease, framing.keep_alive),
        }
        reader
    }

    /// A reader that is already at its end (for a response whose body was
    /// consumed, such as a redirect in the history).
    pub(crate) fn finished() -> BodyReader {
        BodyReader {
            source: None,
            decoder: None,
            limit: 0,
            produced: 0,
            read_timeout: None,
            total: None,
            pending: Vec::new(),
            pending_start: 0,
            deferred: None,
            trailers: Headers::new(),
            failed: false,
        }
    }

    /// The trailer fields of a chunked body (empty until it has ended).
    pub(crate) fn trailers(&self) -> &Headers {
        &self.trailers
    }

    /// Appends the next decoded bytes to `out` (about [`OUTPUT_BUDGET`] at
    /// most, however much the data expands); returns how many, 0 at the end
    /// of the body.
    pub(crate) async fn read_into(&mut self, out: &mut Vec<u8>) -> Result<usize, Error> {
        if self.failed {
            return Err(Error::Incomplete("the body could not be read after an earlier error".into()));
        }
        let result = match self.deferred.take() {
            Some(error) => Err(error),
            None => self.read_into_inner(out).await,
        };
        if result.is_err() {
            // Drop the connection: whatever is left on it is unusable.
            self.failed = true;
            self.source = None;
        }
        result
    }

    /// [`read_into`](Self::read_into) without the failure bookkeeping.
    async fn read_into_inner(&mut self, out: &mut Vec<u8>) -> Result<usize, Error> {
        let start = out.len();
        loop {
            if self.source.is_none() {
                return Ok(0);
            }
            // Step 1: unframe and decode whatever is buffered already.
            let ended = self.unframe(out, start)?;
            if ended {
                self.finish(out)?;
                return Ok(out.len() - start);
            }
            if out.len() > start {
                return Ok(out.len() - start);
            }
            // Step 2: nothing decodable yet, so read more. Pending inside
            // `fill` means the reactor will wake us when the socket is
            // readable, or the timer when a deadline passes.
            let Some(source) = &mut self.source else { return Ok(0) };
            let deadline = Deadline::earliest(self.total, Deadline::starting_now(TimeoutKind::Read, self.read_timeout));
            let read = within(deadline, async { source.connection.fill().await.map_err(Error::Io) }).await?;
            if read == 0 {
                end_of_stream(source)?;
                self.finish(out)?;
                return Ok(out.len() - start);
            }
        }
    }

    /// The body ended cleanly: flush the decoder, keep the trailers, and
    /// give the connection back to the pool if it can be reused.
    fn finish(&mut self, out: &mut Vec<u8>) -> Result<(), Error> {
        if let Some(decoder) = &mut self.decoder {
            decoder.finish(out, self.limit).map_err(decode_error)?;
        }
        if let Some(source) = self.source.take() {
            if let Wire::Chunked(chunked) = &source.wire {
                self.trailers = chunked.trailers().iter().cloned().collect();
            }
            // Bytes after the body that nobody asked for mean the server and
            // we disagree about framing: do not trust the connection again.
            let clean = source.connection.buffered().is_empty();
            let reusable = source.keep_alive && clean && !matches!(source.wire, Wire::UntilClose);
            release(source.connection, source.lease, reusable);
        }
        Ok(())
    }

    /// Moves body bytes already received through the framing and the
    /// content decoder into `out`, stopping once `out` has grown by
    /// [`OUTPUT_BUDGET`] since `start`; returns true when the body ended.
    fn unframe(&mut self, out: &mut Vec<u8>, start: usize) -> Result<bool, Error> {
        let Some(source) = &mut self.source else { return Ok(true) };
        let mut feeder = Feeder { decoder: &mut self.decoder, limit: self.limit, produced: &mut self.produced, start };
        // Chunked data unframed by an earlier call goes first.
        if self.pending_start < self.pending.len() {
            self.pending_start += feeder.feed(&self.pending[self.pending_start..], out)?;
            if self.pending_start < self.pending.len() {
                return Ok(false);
            }
            if let Wire::Chunked(chunked) = &source.wire
                && chunked.is_done()
            {
                return Ok(true);
            }
        }
        let buffered = source.connection.buffered();
        if buffered.is_empty() {
            return Ok(false);
        }
        let (consumed, ended) = match &mut source.wire {
            Wire::Length { remaining, .. } => {
                let take = usize::try_from(*remaining).map_or(buffered.len(), |left| left.min(buffered.len()));
                let used = feeder.feed(&buffered[..take], out)?;
                *remaining -= used as u64;
                (used, *remaining == 0)
            }
            // Without a content decoder, chunk data goes straight into
            // `out`: one copy from the connection's buffer, none between.
            Wire::Chunked(chunked) if feeder.decoder.is_none() => {
                let before = out.len();
                let progress = chunked.decode(buffered, out).map_err(|error| Error::Protocol(error.to_string()))?;
                feeder.count((out.len() - before) as u64)?;
                (progress.consumed, progress.done)
            }
            Wire::Chunked(chunked) => {
                self.pending.clear();
                let progress =
                    chunked.decode(buffered, &mut self.pending).map_err(|error| Error::Protocol(error.to_string()))?;
                self.pending_start = feeder.feed(&self.pending, out)?;
                (progress.consumed, progress.done && self.pending_start == self.pending.len())
            }
            Wire::UntilClose => (feeder.feed(buffered, out)?, false),
        };
        source.connection.consume(consumed);
        Ok(ended)
    }
}

/// Passes raw body bytes through the content decoder (or copies them, for
/// identity) into the caller's buffer, enforcing the size limit on the
/// decoded total and the per-read output budget.
struct Feeder<'a> {
    /// The content decoder, `None` for identity.
    decoder: &'a mut Option<ContentDecoder>,
    /// Decoded bytes allowed in all.
    limit: u64,
    /// Identity bytes produced so far (a decoder counts its own).
    produced: &'a mut u64,
    /// Where this read's output began in the caller's buffer.
    start: usize,
}

impl Feeder<'_> {
    /// Feeds `raw`, stopping early once the output budget is used up;
    /// returns how many bytes of `raw` were taken.
    fn feed(&mut self, raw: &[u8], out: &mut Vec<u8>) -> Result<usize, Error> {
        let Some(decoder) = self.decoder else {
            self.count(raw.len() as u64)?;
            out.extend_from_slice(raw);
            return Ok(raw.len());
        };
        // Small steps, so that a bomb cannot turn one read into gigabytes:
        // `input_step` bounds what one step can expand to.
        let mut used = 0;
        for piece in raw.chunks(decoder.input_step()) {
            decoder.decode(piece, out, self.limit).map_err(decode_error)?;
            used += piece.len();
            if out.len() - self.start >= OUTPUT_BUDGET {
                break;
            }
        }
        Ok(used)
    }

    /// Counts identity bytes against the limit.
    fn count(&mut self, bytes: u64) -> Result<(), Error> {
        *self.produced += bytes;
        if *self.produced > self.limit {
            return Err(Error::BodyTooLarge { limit: self.limit });
        }
        Ok(())
    }
}

/// The connection ended: fine for a close-delimited body (unless TLS ended
/// without `close_notify`, which an attacker could forge), an error for
/// every other framing.
fn end_of_stream(source: &Source) -> Result<(), Error> {
    match &source.wire {
        Wire::UntilClose if source.connection.closed_without_notify() => Err(Error::Incomplete(
            "the TLS connection closed without close_notify, so the close-delimited body may be truncated".into(),
        )),
        Wire::UntilClose => Ok(()),
        Wire::Length { remaining, announced } => Err(Error::Incomplete(format!(
            "the connection closed after {} of {announced} body bytes",
            announced - remaining
        ))),
        Wire::Chunked(_) => Err(Error::Incomplete("the connection closed in the middle of a chunked body".into())),
    }
}

/// Returns a connection to its pool if reusable (else closes it), then
/// frees its slot.
fn release(connection: Connection, lease: Lease, reusable: bool) {
    if reusable {
        lease.pool().put_idle(lease.key(), connection, crate::get_running_loop().time());
    }
    drop(lease);
}

/// A content-decoding error as the client's error.
fn decode_error(error: crate::http::proto::decode::DecodeError) -> Error {
    match error {
        crate::http::proto::decode::DecodeError::TooLarge { limit } => Error::BodyTooLarge { limit },
        other => Error::Decode(other.to_string()),
    }
}
