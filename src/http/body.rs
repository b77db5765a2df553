//! [`BodyReader`]: a response body coming off its connection. It moves
//! bytes from the socket to the protocol's `BodyDecoder` (which unframes,
//! decompresses and limits them) and on to the caller, under the read and
//! total deadlines.
//!
//! Decoding is work the I/O budget does not see, and it can be long: a
//! small gzip body already in memory can inflate to hundreds of megabytes
//! without a read. So each decode call pays the step's budget for what it
//! made (`runtime/budget.rs`, one unit per 16 KiB). Input that decodes to
//! nothing (a flood of empty gzip members, say) is the other case: the
//! reader never waits, because the socket always has more, and never
//! returns, because there is nothing to return. So after each batch of
//! such input it yields to the loop, checks the total deadline, and leaves
//! the limits in the decoder to end the body.
//!
//! In the path of a request this is the last stage. It owns the connection
//! and its pool slot while the body is being read; when the body ends
//! cleanly on a reusable connection the connection goes back to the pool,
//! and if the reader is dropped half-way the connection is closed instead,
//! because the unread rest of the body would corrupt the next response.

use std::time::Duration;

use crate::http::connection::Connection;
use crate::http::deadline::{self, Deadline, within};
use crate::http::error::{DecodeError, Error, ProtocolError, TimeoutKind};
use crate::http::pool::Lease;
use crate::http::proto::body_decoder::{BodyDecoder, BodyError};
use crate::http::proto::decode::{Coding, ContentDecodeError, DecodeLimits};
use crate::http::proto::framing::{BodyLength, Framing};
use crate::http::proto::headers::Headers;
use crate::runtime::budget;

/// Decoded bytes that cost one unit of the step's budget: what the
/// connection's first, smallest read moves (`read_buffer::MIN_READ`).
const BYTES_PER_UNIT: usize = 16 * 1024;

/// The connection a body is read from, with its pool slot.
struct Source {
    /// The connection, positioned at the next body byte.
    connection: Connection,
    /// The slot it counts against in the pool.
    lease: Lease,
    /// Whether the connection may be reused after the body (never for a
    /// close-delimited one).
    keep_alive: bool,
}

/// A body being read; see the module documentation.
pub(crate) struct BodyReader {
    /// The connection, until the body ends or fails.
    source: Option<Source>,
    /// The body's decoding state: framing, content coding, size limit.
    decoder: BodyDecoder,
    /// Limit on each wait for bytes.
    read_timeout: Option<Duration>,
    /// The whole request's deadline.
    total: Option<Deadline>,
    /// Trailer fields of a chunked body, once it has ended.
    trailers: Headers,
    /// Set once a read failed: later reads fail too, rather than look like
    /// a clean end.
    failed: bool,
}

/// How a body reader is set up.
pub(crate) struct BodySettings {
    /// Decoded bytes allowed, and the input limits.
    pub(crate) limits: DecodeLimits,
    pub(crate) read_timeout: Option<Duration>,
    /// Whole-request deadline.
    pub(crate) total: Option<Deadline>,
}

impl BodyReader {
    /// A reader for a body framed as `framing` on `connection`, encoded
    /// with `codings` (an error there is reported by the first read).
    pub(crate) fn new(
        connection: Connection,
        lease: Lease,
        framing: Framing,
        codings: Result<Vec<Coding>, ContentDecodeError>,
        settings: BodySettings,
    ) -> BodyReader {
        let decoder = BodyDecoder::new(framing.body, codings, settings.limits);
        let mut reader =
            BodyReader { read_timeout: settings.read_timeout, total: settings.total, ..BodyReader::finished() };
        if decoder.is_done() {
            // No body: the connection is free for the next request now,
            // even if the caller never reads this "body". Bytes already
            // after the head (a body sent after a HEAD, 204 or 304 answer)
            // would be read as the next response: close it instead.
            let clean = connection.buffered().is_empty();
            release(connection, lease, framing.keep_alive && clean);
        } else {
            // Only the close ends a close-delimited body, so its connection
            // is never reused, whatever the headers said.
            let keep_alive = framing.keep_alive && !decoder.is_close_delimited();
            reader.source = Some(Source { connection, lease, keep_alive });
        }
        reader.decoder = decoder;
        reader
    }

    /// A reader that is already at its end (for a response whose body was
    /// consumed, such as a redirect in the history).
    pub(crate) fn finished() -> BodyReader {
        BodyReader {
            source: None,
            decoder: BodyDecoder::new(BodyLength::Empty, Ok(Vec::new()), DecodeLimits::only_size(0)),
            read_timeout: None,
            total: None,
            trailers: Headers::new(),
            failed: false,
        }
    }

    /// The trailer fields of a chunked body (empty until it has ended).
    pub(crate) fn trailers(&self) -> &Headers {
        &self.trailers
    }

    /// Appends the next decoded bytes to `out` (about `OUTPUT_BUDGET` at
    /// most, however much the data expands); returns how many, 0 at the end
    /// of the body.
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
            // Decoding buffered bytes never waits, so no timer can cut it
            // short: the total deadline is checked here instead.
            deadline::check(self.total)?;
            let Some(source) = &mut self.source else { return Ok(0) };
            // Step 1: decode whatever is buffered already.
            let progress = self.decoder.decode(source.connection.buffered(), out).map_err(body_error)?;
            source.connection.consume(progress.consumed);
            if out.len() > start {
                // Pay for the output as for the reads it would have taken;
                // with the step's budget gone, other tasks go first.
                let cost = 1 + (out.len() - start) / BYTES_PER_UNIT;
                budget::consume(u32::try_from(cost).unwrap_or(u32::MAX)).await;
            }
            if progress.done {
                self.finish();
                return Ok(out.len() - start);
            }
            if out.len() > start {
                return Ok(out.len() - start);
            }
            if progress.consumed > 0 || self.decoder.has_pending() {
                // Input that gave nothing (`IDLE_INPUT_BUDGET` of it at
                // most): let every other ready task and due timer run
                // before taking more, as `sleep(0)` does, so a peer that
                // sends only such bytes cannot hold the loop. The socket
                // always having data means the I/O budget alone would let
                // 128 reads of it through per step.
                crate::sleep(Duration::ZERO).await;
                continue;
            }
            // Step 2: nothing decodable yet, so read more. Pending inside
            // `fill` means the reactor will wake us when the socket is
            // readable, or the timer when a deadline passes.
            let deadline = Deadline::earliest(self.total, Deadline::starting_now(TimeoutKind::Read, self.read_timeout));
            let read = within(deadline, async { source.connection.fill().await.map_err(Error::Io) }).await?;
            if read == 0 {
                // A TLS close without `close_notify` could be an attacker
                // cutting the stream: it cannot end a close-delimited body.
                if self.decoder.is_close_delimited() && source.connection.closed_without_notify() {
                    return Err(Error::Incomplete(
                        "the TLS connection closed without close_notify, so the close-delimited body may be truncated"
                            .into(),
                    ));
                }
                self.decoder.end_of_input(out).map_err(body_error)?;
                self.finish();
                return Ok(out.len() - start);
            }
        }
    }

    /// The body ended cleanly: keep the trailers, and give the connection
    /// back to the pool if it can be reused.
    fn finish(&mut self) {
        self.trailers = self.decoder.trailers().iter().cloned().collect();
        if let Some(source) = self.source.take() {
            // Bytes after the body that nobody asked for mean the server and
            // we disagree about framing: do not trust the connection again.
            let clean = source.connection.buffered().is_empty();
            release(source.connection, source.lease, source.keep_alive && clean);
        }
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

/// A body decoding error as the client's error.
fn body_error(error: BodyError) -> Error {
    match error {
        BodyError::Chunked(error) => Error::Protocol(ProtocolError::Chunked(error)),
        BodyError::Content(error) => Error::Decode(DecodeError::Content(error)),
        BodyError::TooLarge { limit } => Error::BodyTooLarge { limit },
        BodyError::TooManyMembers { limit } => Error::TooManyGzipMembers { limit },
        BodyError::TooMuchInput { ratio, slack } => Error::TooMuchInput { ratio, slack },
        early @ (BodyError::ShortLength { .. } | BodyError::UnfinishedChunked) => Error::Incomplete(early.to_string()),
    }
}
