//! [`PubSub`]: a connection given over to SUBSCRIBE and PSUBSCRIBE, read
//! as a stream of [`Message`]s.
//!
//! A subscribed connection stops being request-reply: the server sends a
//! confirmation per channel, then messages whenever anyone publishes. So it
//! gets a connection of its own that reads frames one by one (in RESP2 they
//! are arrays, in RESP3 pushes; the first element names the kind). Messages
//! that arrive while a SUBSCRIBE waits for its confirmations are kept, in
//! order, for [`PubSub::next_message`].

use std::collections::VecDeque;

use super::from_value::into_items;
use super::wire::Wire;
use super::{Cmd, Error, FromValue, ToArgs, Value, cmd};

/// One published message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// The channel it was published on.
    pub channel: String,
    /// For a PSUBSCRIBE match, the pattern that matched.
    pub pattern: Option<String>,
    /// What was published.
    pub payload: Vec<u8>,
}

impl Message {
    /// The payload as text (lossily, if it is not UTF-8).
    pub fn payload_str(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.payload)
    }
}

/// A subscribed connection.
///
/// ```no_run
/// use corio::redis::ConnectOptions;
/// # corio::run(async {
/// let options = ConnectOptions::from_url("redis://127.0.0.1/")?;
/// let mut pubsub = options.pubsub().await?;
/// pubsub.subscribe(["news"]).await?;
/// pubsub.psubscribe(["crawl:*"]).await?;
/// loop {
///     let message = pubsub.next_message().await?;
///     println!("{}: {}", message.channel, message.payload_str());
/// }
/// # Ok::<(), corio::redis::Error>(())
/// # }).unwrap();
/// ```
pub struct PubSub {
    /// The connection, read frame by frame.
    wire: Wire,
    /// Messages read while waiting for confirmations.
    queued: VecDeque<Message>,
}

/// A frame on a subscribed connection.
enum Frame {
    /// A published message.
    Message(Message),
    /// A (p)(un)subscribe confirmation.
    Confirmation,
    /// Anything else (a PONG).
    Other,
}

impl PubSub {
    /// Wraps a greeted wire.
    pub(crate) fn new(wire: Wire) -> PubSub {
        PubSub { wire, queued: VecDeque::new() }
    }

    /// `SUBSCRIBE channel...`, returning once each is confirmed.
    ///
    /// # Errors
    /// [`Error::ConnectionLost`], or the server's refusal.
    pub async fn subscribe(&mut self, channels: impl ToArgs) -> Result<(), Error> {
        self.change("SUBSCRIBE", channels).await
    }

    /// `PSUBSCRIBE pattern...`: glob patterns such as `crawl:*`.
    ///
    /// # Errors
    /// As [`PubSub::subscribe`].
    pub async fn psubscribe(&mut self, patterns: impl ToArgs) -> Result<(), Error> {
        self.change("PSUBSCRIBE", patterns).await
    }

    /// `UNSUBSCRIBE channel...`.
    ///
    /// # Errors
    /// As [`PubSub::subscribe`].
    pub async fn unsubscribe(&mut self, channels: impl ToArgs) -> Result<(), Error> {
        self.change("UNSUBSCRIBE", channels).await
    }

    /// `PUNSUBSCRIBE pattern...`.
    ///
    /// # Errors
    /// As [`PubSub::subscribe`].
    pub async fn punsubscribe(&mut self, patterns: impl ToArgs) -> Result<(), Error> {
        self.change("PUNSUBSCRIBE", patterns).await
    }

    /// The next message, waiting as long as it takes (wrap it in
    /// [`corio::timeout`](crate::timeout()) to bound that).
    ///
    /// # Errors
    /// [`Error::ConnectionLost`] when the connection ends.
    #[doc(alias = "get_message")]
    pub async fn next_message(&mut self) -> Result<Message, Error> {
        if let Some(message) = self.queued.pop_front() {
            return Ok(message);
        }
        loop {
            if let Frame::Message(message) = self.read_frame().await? {
                return Ok(message);
            }
        }
    }

    /// Sends a (un)subscription for each of `names` and waits for as many
    /// confirmations, keeping messages that arrive in between.
    async fn change(&mut self, verb: &str, names: impl ToArgs) -> Result<(), Error> {
        let command: Cmd = cmd(verb).arg(names);
        let mut expected = command.args().len() - 1;
        self.wire.send(&command).await?;
        while expected > 0 {
            match self.read_frame().await? {
                Frame::Confirmation => expected -= 1,
                Frame::Message(message) => self.queued.push_back(message),
                Frame::Other => {}
            }
        }
        Ok(())
    }

    /// Reads and sorts one frame.
    async fn read_frame(&mut self) -> Result<Frame, Error> {
        let items = match self.wire.read_value().await? {
            Value::Error(error) => return Err(Error::Server(error)),
            value @ (Value::Array(_) | Value::Push(_)) => into_items(value, "a pub/sub frame")?,
            _ => return Ok(Frame::Other),
        };
        let mut items = items.into_iter();
        let kind = String::from_value(items.next().unwrap_or(Value::Nil))?;
        let mut text = || String::from_value(items.next().unwrap_or(Value::Nil));
        Ok(match kind.as_str() {
            "message" => {
                let channel = text()?;
                Frame::Message(Message { channel, pattern: None, payload: text()?.into_bytes() })
            }
            "pmessage" => {
                let pattern = text()?;
                let channel = text()?;
                Frame::Message(Message { channel, pattern: Some(pattern), payload: text()?.into_bytes() })
            }
            "subscribe" | "psubscribe" | "unsubscribe" | "punsubscribe" => Frame::Confirmation,
            _ => Frame::Other,
        })
    }
}
