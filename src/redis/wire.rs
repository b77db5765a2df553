//! [`Wire`]: one TCP connection to Redis as a sequence of replies.
//!
//! It owns the receive buffer and hands each whole reply to its reader,
//! reading more from the socket only when the buffer holds no whole reply.
//! The handshake and a [`PubSub`](super::PubSub) connection read through it
//! directly; a multiplexed [`Connection`](super::Connection) gives it to its
//! reader task.

use std::rc::Rc;

use super::proto::parse::{Limits, parse};
use super::stream::Stream;
use super::{Cmd, Error, Value};

/// How much to read from the socket at a time.
const READ_CHUNK: usize = 16 * 1024;

/// A socket and the bytes read from it that no reply has used yet.
pub(crate) struct Wire {
    /// The socket, shared with a connection's writer task.
    pub(crate) stream: Rc<Stream>,
    /// Bytes received; `buf[start..]` is not parsed yet.
    buf: Vec<u8>,
    /// Where the unparsed bytes begin.
    start: usize,
    /// What a reply may declare.
    limits: Limits,
}

impl Wire {
    /// Wraps a connected socket.
    pub(crate) fn new(stream: Stream, limits: Limits) -> Wire {
        Wire { stream: Rc::new(stream), buf: Vec::new(), start: 0, limits }
    }

    /// The next whole reply, error replies included as [`Value::Error`].
    ///
    /// # Errors
    /// [`Error::ConnectionLost`] if the server closes the connection or the
    /// socket fails; [`Error::Protocol`] for bytes that are not RESP.
    pub(crate) async fn read_value(&mut self) -> Result<Value, Error> {
        loop {
            if let Some((value, used)) = parse(&self.buf[self.start..], &self.limits)? {
                self.start += used;
                // Keep the buffer from creeping: once everything is parsed
                // it starts over, and a long tail is moved to the front.
                if self.start == self.buf.len() {
                    self.buf.clear();
                    self.start = 0;
                } else if self.start > READ_CHUNK && self.start * 2 > self.buf.len() {
                    self.buf.drain(..self.start);
                    self.start = 0;
                }
                return Ok(value);
            }
            // No whole reply yet: read more. `read` parks this task until
            // the reactor sees the socket readable, so waiting here costs
            // nothing while the server thinks.
            let filled = self.buf.len();
            self.buf.resize(filled + READ_CHUNK, 0);
            let read = self.stream.read(&mut self.buf[filled..]).await;
            self.buf.truncate(filled + *read.as_ref().unwrap_or(&0));
            match read {
                Ok(0) => {
                    let why = if filled > self.start {
                        "the server closed the connection in the middle of a reply"
                    } else {
                        "the server closed the connection"
                    };
                    return Err(Error::ConnectionLost(why.into()));
                }
                Ok(_) => {}
                Err(error) => return Err(Error::ConnectionLost(error.to_string())),
            }
        }
    }

    /// Sends `command` and reads its reply: for the handshake and pub/sub,
    /// where nothing else is in flight.
    pub(crate) async fn call(&mut self, command: &Cmd) -> Result<Value, Error> {
        self.send(command).await?;
        self.read_value().await
    }

    /// Writes `command`.
    pub(crate) async fn send(&self, command: &Cmd) -> Result<(), Error> {
        let mut bytes = Vec::new();
        command.encode(&mut bytes);
        self.stream.write_all(&bytes).await.map_err(|error| Error::ConnectionLost(error.to_string()))
    }
}
