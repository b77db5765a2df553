//! One request-response exchange on one connection: write the head and
//! body, read the response head (skipping 1xx), decide the body's framing.
//!
//! In the path of a request this sits between the session (which picked the
//! connection) and the [`Response`](crate::http::Response) (which reads the
//! body). It also tells the session whether a failure happened before the
//! server sent a single byte, the one case where retrying on a fresh
//! connection is safe for an idempotent request.

use std::future::poll_fn;
use std::io;
use std::task::{Context, Poll};

use crate::http::body_stream::BodyStream;
use crate::http::connection::Connection;
use crate::http::deadline::{Deadline, within};
use crate::http::error::{Error, ProtocolError};
use crate::http::proto::early_answer::{EarlyAnswer, classify};
use crate::http::proto::framing::{Framing, response_framing};
use crate::http::proto::head::{HeadLimits, HeadScanner, ResponseHead, parse_head};

/// Interim (1xx) responses accepted before the final one.
const MAX_INTERIM_RESPONSES: usize = 16;

/// Why an exchange failed, and whether it failed before any response byte
/// arrived (a server closing a kept-alive connection looks exactly like that).
pub(crate) struct Failure {
    pub(crate) error: Error,
    /// True when the server sent nothing at all before the failure.
    pub(crate) nothing_received: bool,
}

/// How a request went out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sent {
    /// Every byte of it.
    Whole,
    /// Not all of it: the server refused the body while it was being sent,
    /// or went away. The connection cannot carry another request.
    CutShort,
}

/// Writes `request` (the head, and the body if it is small, already
/// rendered), then `body` (a large body, written from where it is rather
/// than copied behind the head) and the streamed body if there is one,
/// then reads the final response head and its framing.
///
/// While the body goes out, whatever the server sends is read too (see
/// `proto/early_answer.rs`): a server that refuses the body early (413)
/// and then resets the connection has its answer returned, not a reset
/// error, and the rest of the body is not sent.
pub(crate) async fn exchange(
    connection: &mut Connection,
    request: &[u8],
    body: &[u8],
    stream: Option<&mut BodyStream>,
    request_was_head: bool,
    limits: &HeadLimits,
    read_deadline: impl Fn() -> Option<Deadline>,
) -> Result<(ResponseHead, Framing), Failure> {
    let mut watch = Watch { limits, active: true };
    let sent = match send_request(connection, [request, body], stream, &mut watch).await {
        Ok(sent) => Ok(sent),
        // A write can fail on a connection the server already closed, or
        // reset right after answering: the answer may be here already.
        Err(Error::Io(error)) => Err(error),
        // The body stream failed or broke its promised length.
        Err(error) => return Err(Failure { error, nothing_received: false }),
    };
    let cut_short = !matches!(sent, Ok(Sent::Whole));
    let mut received_any = false;
    let head = read_head_tracking(connection, limits, read_deadline, &mut received_any).await.map_err(|error| {
        match sent {
            // The server said nothing before the write failed; it has then
            // seen (and answered) nothing.
            Err(write_error) if !received_any => Failure { error: Error::Io(write_error), nothing_received: true },
            _ => {
                // Only a close or reset counts: a timeout on a silent server
                // is not a sign of a stale connection, and retrying would
                // double it.
                let closed = matches!(error, Error::Io(_) | Error::Incomplete(_));
                Failure { error, nothing_received: closed && !received_any }
            }
        }
    })?;
    let mut framing = response_framing(request_was_head, &head)
        .map_err(|error| Failure { error: Error::Protocol(ProtocolError::Framing(error)), nothing_received: false })?;
    if cut_short {
        // The server still expects the rest of a body that will never come.
        framing.keep_alive = false;
    }
    Ok((head, framing))
}

/// Writes the rendered request (the head, then a large body from where it
/// is), then the streamed body if any, stopping early if the server
/// refuses the body.
///
/// # Errors
/// [`Error::Io`] when a write fails; the stream's own errors.
async fn send_request(
    connection: &mut Connection,
    parts: [&[u8]; 2],
    stream: Option<&mut BodyStream>,
    watch: &mut Watch<'_>,
) -> Result<Sent, Error> {
    for part in parts.into_iter().filter(|part| !part.is_empty()) {
        if write_watching(connection, part, watch).await.map_err(Error::Io)? == Sent::CutShort {
            return Ok(Sent::CutShort);
        }
    }
    match stream {
        Some(stream) => send_stream(connection, stream, watch).await,
        None => Ok(Sent::Whole),
    }
}

/// Writes a streamed body after its head: each chunk as it comes, framed
/// as the head said (`Content-Length` if the stream knew its length, else
/// chunked), until the stream ends or the server refuses the body.
async fn send_stream(
    connection: &mut Connection,
    stream: &mut BodyStream,
    watch: &mut Watch<'_>,
) -> Result<Sent, Error> {
    let announced = stream.length();
    let mut sent: u64 = 0;
    let mismatch = |sent: u64, length: u64| {
        Error::InvalidRequest(format!(
            "the body stream announced {length} bytes but gave {}{sent}",
            if sent > length { "at least " } else { "" }
        ))
    };
    let mut frame = Vec::new();
    while let Some(chunk) = stream.next_chunk().await {
        let chunk = chunk.map_err(Error::RequestBody)?;
        sent += chunk.len() as u64;
        let written = match announced {
            Some(length) if sent > length => return Err(mismatch(sent, length)),
            Some(_) => write_watching(connection, &chunk, watch).await,
            None => {
                // One write per chunk: size line, data, CRLF (RFC 9112 7.1).
                frame.clear();
                frame.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
                frame.extend_from_slice(&chunk);
                frame.extend_from_slice(b"\r\n");
                write_watching(connection, &frame, watch).await
            }
        };
        if written.map_err(Error::Io)? == Sent::CutShort {
            return Ok(Sent::CutShort);
        }
    }
    match announced {
        Some(length) if sent != length => Err(mismatch(sent, length)),
        Some(_) => Ok(Sent::Whole),
        None => write_watching(connection, b"0\r\n\r\n", watch).await.map_err(Error::Io),
    }
}

/// The watch kept on the server's side while a request is written.
struct Watch<'a> {
    /// The limits the interim heads received meanwhile must keep.
    limits: &'a HeadLimits,
    /// False once a final answer accepting the body has begun: from then
    /// on nothing more is read until the body is out, so a long answer
    /// cannot pile up in memory while we write.
    active: bool,
}

impl Watch<'_> {
    /// Reads what the server sent, without waiting. `Some` says to stop
    /// writing (with the reason); `None` to go on, and then, if still
    /// active, the reactor holds our waker for the socket's next readable
    /// edge, so an answer wakes a writer waiting on a full socket.
    fn poll_answer(&mut self, connection: &mut Connection, cx: &mut Context<'_>) -> Option<io::Result<Sent>> {
        loop {
            match connection.poll_fill(cx) {
                Poll::Pending => return None,
                // The server closed: it reads nothing more.
                Poll::Ready(Ok(0)) => return Some(Ok(Sent::CutShort)),
                Poll::Ready(Ok(_)) => match classify(connection.buffered(), self.limits, MAX_INTERIM_RESPONSES) {
                    EarlyAnswer::Undecided => {}
                    EarlyAnswer::Accepting => {
                        self.active = false;
                        return None;
                    }
                    EarlyAnswer::Refusing => return Some(Ok(Sent::CutShort)),
                },
                Poll::Ready(Err(error)) if connection.buffered().is_empty() => return Some(Err(error)),
                // A reset after an answer (the usual end of a refusal): the
                // answer is read from what arrived before it.
                Poll::Ready(Err(_)) => return Some(Ok(Sent::CutShort)),
            }
        }
    }
}

/// Writes all of `bytes` unless the server refuses the body meanwhile.
/// Once a write leaves more to send (the socket's buffer is full), each
/// further round first reads what the server sent; a request that fits in
/// the socket at once costs no read at all.
async fn write_watching(connection: &mut Connection, bytes: &[u8], watch: &mut Watch<'_>) -> io::Result<Sent> {
    let mut rest = bytes;
    let mut look = false;
    poll_fn(|cx| {
        loop {
            if rest.is_empty() {
                // TLS may hold records of the last write; Pending here
                // means the reactor wakes us when the socket drains.
                return connection.poll_flush(cx).map_ok(|()| Sent::Whole);
            }
            let looked = look && watch.active;
            if looked && let Some(stop) = watch.poll_answer(connection, cx) {
                return Poll::Ready(stop);
            }
            match connection.poll_write(cx, rest) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(n)) => rest = &rest[n..],
                Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
                // The reactor wakes us when the socket drains, or, having
                // looked above, when the server's answer arrives.
                Poll::Pending if looked || !watch.active => return Poll::Pending,
                // Look for an answer before waiting.
                Poll::Pending => {}
            }
            look = true;
        }
    })
    .await
}

/// Reads the next final response head from `connection`, skipping interim
/// (1xx) responses other than 101.
///
/// # Errors
/// [`Error::Incomplete`] if the connection ends first, [`Error::Protocol`]
/// for a malformed or oversized head, a read [`Error::Timeout`].
pub(crate) async fn read_head(
    connection: &mut Connection,
    limits: &HeadLimits,
    read_deadline: Option<Deadline>,
) -> Result<ResponseHead, Error> {
    read_head_tracking(connection, limits, || read_deadline, &mut false).await
}

/// [`read_head`], noting in `received_any` whether any byte arrived.
async fn read_head_tracking(
    connection: &mut Connection,
    limits: &HeadLimits,
    read_deadline: impl Fn() -> Option<Deadline>,
    received_any: &mut bool,
) -> Result<ResponseHead, Error> {
    for _ in 0..=MAX_INTERIM_RESPONSES {
        let mut scanner = HeadScanner::new();
        // The scanner remembers how far it looked, so each read only costs
        // a scan of the new bytes; httparse runs once, on the complete head.
        let length = loop {
            *received_any |= !connection.buffered().is_empty();
            match scanner.scan(connection.buffered(), limits) {
                Ok(Some(length)) => break length,
                Ok(None) => {}
                Err(error) => return Err(Error::Protocol(ProtocolError::Head(error))),
            }
            let read = within(read_deadline(), async { connection.fill().await.map_err(Error::Io) }).await?;
            if read == 0 {
                let what = if connection.buffered().is_empty() {
                    "the server closed the connection without sending a response"
                } else {
                    "the server closed the connection in the middle of the response head"
                };
                return Err(Error::Incomplete(what.into()));
            }
        };
        let head = parse_head(&connection.buffered()[..length], limits)
            .map_err(|error| Error::Protocol(ProtocolError::Head(error)))?;
        connection.consume(length);
        // 1xx answers (100 Continue, 103 Early Hints) are interim: the real
        // answer follows on the same connection. 101 is final for us.
        if (100..200).contains(&head.status) && head.status != 101 {
            continue;
        }
        return Ok(head);
    }
    // Each interim head arrives quickly, so the read timeout never fires;
    // without a cap a server could stall the request with them forever.
    Err(Error::Protocol(ProtocolError::TooManyInterimResponses { max: MAX_INTERIM_RESPONSES }))
}
