//! [`BodyReader`]: a response body coming off its connection, unframed
//! (Content-Length, chunked, or until close), decompressed, and limited.
//!
//! In the path of a request this is the last stage. It owns the connection
//! and its pool slot while the body is being read; when the body ends
//! cleanly on a reusable connection the connection goes back to the pool,
//! and if the reader is dropped half-way the connection is closed instead,
//! because the unread rest of the body would corrupt the next response.

use std::time::Duration;

use crate::http::chunked::ChunkedDecoder;
use crate::http::connection::Connection;
use crate::http::deadline::{Deadline, within};
use crate::http::decode::ContentDecoder;
use crate::http::error::{Error, TimeoutKind};
use crate::http::framing::{BodyLength, Framing};
use crate::http::headers::Headers;
use crate::http::pool::Lease;

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
    /// Chunked bytes before content decoding; kept to reuse its allocation.
    scratch: Vec<u8>,
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
        decoder: Option<ContentDecoder>,
        settings: BodySettings,
    ) -> BodyReader {
        let wire = match framing.body {
            BodyLength::Empty => None,
            BodyLength::Length(0) => None,
            BodyLength::Length(length) => Some(Wire::Length { remaining: length, announced: length }),
            BodyLength::Chunked => Some(Wire::Chunked(ChunkedDecoder::new())),
            BodyLength::UntilClose => Some(Wire::UntilClose),
        };
        let mut reader = BodyReader {
            source: None,
            decoder,
            limit: settings.limit,
            produced: 0,
            read_timeout: settings.read_timeout,
            total: settings.total,
            scratch: Vec::new(),
            trailers: Headers::new(),
            failed: false,
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
            scratch: Vec::new(),
            trailers: Headers::new(),
            failed: false,
        }
    }

    /// The trailer fields of a chunked body (empty until it has ended).
    pub(crate) fn trailers(&self) -> &Headers {
        &self.trailers
    }

    /// Appends the next decoded bytes to `out`; returns how many, 0 at the
    /// end of the body.
    pub(crate) async fn read_into(&mut self, out: &mut Vec<u8>) -> Result<usize, Error> {
        if self.failed {
            return Err(Error::Incomplete("the body could not be read after an earlier error".into()));
        }
        let result = self.read_into_inner(out).await;
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
            let Some(source) = &mut self.source else { return Ok(0) };
            // Step 1: unframe and decode whatever is buffered already.
            let ended = unframe(source, &mut self.scratch, &mut self.decoder, out, self.limit, &mut self.produced)?;
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
}

/// Moves the body bytes already in `source`'s buffer through the framing
/// and the content decoder into `out`; returns true when the body ended.
fn unframe(
    source: &mut Source,
    scratch: &mut Vec<u8>,
    decoder: &mut Option<ContentDecoder>,
    out: &mut Vec<u8>,
    limit: u64,
    produced: &mut u64,
) -> Result<bool, Error> {
    let buffered = source.connection.buffered();
    if buffered.is_empty() {
        return Ok(false);
    }
    let (consumed, ended) = match &mut source.wire {
        Wire::Length { remaining, .. } => {
            let take = usize::try_from(*remaining).map_or(buffered.len(), |remaining| remaining.min(buffered.len()));
            decode(&buffered[..take], decoder, out, limit, produced)?;
            *remaining -= take as u64;
            (take, *remaining == 0)
        }
        Wire::Chunked(chunked) => {
            scratch.clear();
            let progress = chunked.decode(buffered, scratch).map_err(|error| Error::Protocol(error.to_string()))?;
            decode(scratch, decoder, out, limit, produced)?;
            (progress.consumed, progress.done)
        }
        Wire::UntilClose => {
            decode(buffered, decoder, out, limit, produced)?;
            (buffered.len(), false)
        }
    };
    source.connection.consume(consumed);
    Ok(ended)
}

/// Passes raw body bytes through the content decoder (or copies them, for
/// identity) into `out`, enforcing the size limit on the decoded total.
fn decode(
    raw: &[u8],
    decoder: &mut Option<ContentDecoder>,
    out: &mut Vec<u8>,
    limit: u64,
    produced: &mut u64,
) -> Result<(), Error> {
    let before = out.len();
    match decoder {
        Some(decoder) => decoder.decode(raw, out, limit).map_err(decode_error)?,
        None => {
            if *produced + raw.len() as u64 > limit {
                return Err(Error::BodyTooLarge { limit });
            }
            out.extend_from_slice(raw);
        }
    }
    *produced += (out.len() - before) as u64;
    Ok(())
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
fn release(mut connection: Connection, lease: Lease, reusable: bool) {
    if reusable {
        connection.responses += 1;
        lease.pool().put_idle(lease.key(), connection, crate::get_running_loop().time());
    }
    drop(lease);
}

/// A content-decoding error as the client's error.
fn decode_error(error: crate::http::decode::DecodeError) -> Error {
    match error {
        crate::http::decode::DecodeError::TooLarge { limit } => Error::BodyTooLarge { limit },
        other => Error::Decode(other.to_string()),
    }
}
