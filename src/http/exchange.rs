//! One request-response exchange on one connection: write the head and
//! body, read the response head (skipping 1xx), decide the body's framing.
//!
//! In the path of a request this sits between the session (which picked the
//! connection) and the [`Response`](crate::http::Response) (which reads the
//! body). It also tells the session whether a failure happened before the
//! server sent a single byte, the one case where retrying on a fresh
//! connection is safe for an idempotent request.

use crate::http::body_stream::BodyStream;
use crate::http::connection::Connection;
use crate::http::deadline::{Deadline, within};
use crate::http::error::{Error, ProtocolError};
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

/// Writes `request` (head and body, already rendered) and the streamed
/// body if there is one, then reads the final response head and its
/// framing.
pub(crate) async fn exchange(
    connection: &mut Connection,
    request: &[u8],
    stream: Option<&mut BodyStream>,
    request_was_head: bool,
    limits: &HeadLimits,
    read_deadline: impl Fn() -> Option<Deadline>,
) -> Result<(ResponseHead, Framing), Failure> {
    if let Err(error) = connection.write_all(request).await {
        // A write can fail on a connection the server already closed; the
        // server has then seen (and answered) nothing.
        return Err(Failure { error: Error::Io(error), nothing_received: true });
    }
    if let Some(stream) = stream {
        send_stream(connection, stream).await.map_err(|error| Failure { error, nothing_received: false })?;
    }
    let mut received_any = false;
    let head = read_head_tracking(connection, limits, read_deadline, &mut received_any).await.map_err(|error| {
        // Only a close or reset counts: a timeout on a silent server is
        // not a sign of a stale connection, and retrying would double it.
        let closed = matches!(error, Error::Io(_) | Error::Incomplete(_));
        Failure { error, nothing_received: closed && !received_any }
    })?;
    let framing = response_framing(request_was_head, &head)
        .map_err(|error| Failure { error: Error::Protocol(ProtocolError::Framing(error)), nothing_received: false })?;
    Ok((head, framing))
}

/// Writes a streamed body after its head: each chunk as it comes, framed
/// as the head said (`Content-Length` if the stream knew its length, else
/// chunked). The response is read only after the last chunk; a server
/// that answers early and closes shows up as a write error.
async fn send_stream(connection: &mut Connection, stream: &mut BodyStream) -> Result<(), Error> {
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
        match announced {
            Some(length) if sent > length => return Err(mismatch(sent, length)),
            Some(_) => connection.write_all(&chunk).await.map_err(Error::Io)?,
            None => {
                // One write per chunk: size line, data, CRLF (RFC 9112 7.1).
                frame.clear();
                frame.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
                frame.extend_from_slice(&chunk);
                frame.extend_from_slice(b"\r\n");
                connection.write_all(&frame).await.map_err(Error::Io)?;
            }
        }
    }
    match announced {
        Some(length) if sent != length => Err(mismatch(sent, length)),
        Some(_) => Ok(()),
        None => connection.write_all(b"0\r\n\r\n").await.map_err(Error::Io),
    }
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
