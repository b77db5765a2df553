//! Streams and consumer groups: the commands a work queue is built from.
//!
//! XADD appends an entry; a consumer group hands each entry to one
//! consumer (XREADGROUP), remembers it as *pending* for that consumer until
//! it is acknowledged (XACK), and lets another consumer claim entries left
//! pending too long (XAUTOCLAIM) — so a consumer that dies loses nothing.

use std::time::Duration;

use crate::redis::from_value::{into_items, into_pairs};
use crate::redis::{Connection, Error, FromValue, ServerErrorKind, ToArgs, Value, cmd};

/// One stream entry: its id and its fields, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamEntry {
    /// The id, such as `1700000000000-0`.
    pub id: String,
    /// Field names and values, in the order XADD gave them.
    pub fields: Vec<(String, String)>,
}

impl StreamEntry {
    /// The value of field `name`, if present.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|(field, _)| field == name).map(|(_, value)| value.as_str())
    }
}

impl FromValue for StreamEntry {
    /// `[id, [field, value, ...]]`; an entry deleted while pending comes
    /// with nil fields, read as none.
    fn from_value(value: Value) -> Result<StreamEntry, Error> {
        let (id, fields): (String, Value) = FromValue::from_value(value)?;
        let fields = into_pairs(fields)?
            .into_iter()
            .map(|(name, value)| Ok((String::from_value(name)?, String::from_value(value)?)))
            .collect::<Result<_, Error>>()?;
        Ok(StreamEntry { id, fields })
    }
}

/// What XAUTOCLAIM returns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AutoClaim {
    /// Where the next scan should start; `0-0` when the scan is complete.
    pub next: String,
    /// The entries now pending for the claiming consumer.
    pub claimed: Vec<StreamEntry>,
    /// Ids that were pending but deleted from the stream (Redis 7).
    pub deleted: Vec<String>,
}

/// What XPENDING's summary form returns.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PendingSummary {
    /// Entries delivered and not yet acknowledged.
    pub count: u64,
    /// The lowest and highest pending ids, if any.
    pub range: Option<(String, String)>,
    /// Each consumer with pending entries, and how many.
    pub consumers: Vec<(String, u64)>,
}

impl Connection {
    /// `XADD stream * field value ...`: the new entry's id.
    ///
    /// # Errors
    /// As [`Connection::query`]; `WRONGTYPE` if the key holds no stream.
    pub async fn xadd(&self, stream: impl ToArgs, fields: impl ToArgs) -> Result<String, Error> {
        self.query(&cmd("XADD").arg(stream).arg("*").arg(fields)).await
    }

    /// `XLEN stream`.
    ///
    /// # Errors
    /// As [`Connection::xadd`].
    pub async fn xlen(&self, stream: impl ToArgs) -> Result<usize, Error> {
        self.query(&cmd("XLEN").arg(stream)).await
    }

    /// `XGROUP CREATE stream group id MKSTREAM`: creates the group (and
    /// the stream if needed), delivering entries after `id` (`$`: only new
    /// ones, `0`: all). Returns `false` if the group already existed.
    ///
    /// # Errors
    /// As [`Connection::xadd`].
    pub async fn xgroup_create(&self, stream: impl ToArgs, group: &str, id: &str) -> Result<bool, Error> {
        match self.query::<()>(&cmd("XGROUP").arg("CREATE").arg(stream).arg(group).arg(id).arg("MKSTREAM")).await {
            Ok(()) => Ok(true),
            Err(error) if error.kind() == Some(ServerErrorKind::BusyGroup) => Ok(false),
            Err(error) => Err(error),
        }
    }

    /// `XREADGROUP GROUP group consumer COUNT count [BLOCK ms] STREAMS
    /// stream >`: up to `count` entries never delivered to anyone, now
    /// pending for `consumer`. With `block`, waits that long (zero:
    /// forever) for one; empty if none came.
    ///
    /// # Errors
    /// As [`Connection::xadd`]; `NOGROUP` if the group does not exist.
    pub async fn xreadgroup(
        &self,
        group: &str,
        consumer: &str,
        stream: &str,
        count: usize,
        block: Option<Duration>,
    ) -> Result<Vec<StreamEntry>, Error> {
        let mut command = cmd("XREADGROUP").arg(["GROUP", group, consumer]).arg("COUNT").arg(count);
        if let Some(block) = block {
            command = command.arg("BLOCK").arg(block.as_millis().to_string());
        }
        let command = command.arg(["STREAMS", stream, ">"]);
        let reply: Value = match block {
            Some(block) => self.query_blocking(&command, block).await?,
            None => self.query(&command).await?,
        };
        // One stream asked for: RESP2 sends `[[name, entries]]`, RESP3
        // `{name: entries}`, and nil when nothing came.
        // into_pairs reads both, and nil as no pairs.
        let Some((_, entries)) = into_pairs(reply)?.into_iter().next() else { return Ok(Vec::new()) };
        FromValue::from_value(entries)
    }

    /// `XACK stream group id...`: how many were pending and now are not.
    ///
    /// # Errors
    /// As [`Connection::xadd`].
    pub async fn xack(&self, stream: impl ToArgs, group: &str, ids: impl ToArgs) -> Result<usize, Error> {
        self.query(&cmd("XACK").arg(stream).arg(group).arg(ids)).await
    }

    /// `XAUTOCLAIM stream group consumer min-idle start COUNT count`: takes
    /// over up to `count` entries pending (for anyone) for at least
    /// `min_idle`, scanning from id `start` (`0-0` for the beginning).
    ///
    /// # Errors
    /// As [`Connection::xadd`].
    pub async fn xautoclaim(
        &self,
        stream: impl ToArgs,
        group: &str,
        consumer: &str,
        min_idle: Duration,
        start: &str,
        count: usize,
    ) -> Result<AutoClaim, Error> {
        let command = cmd("XAUTOCLAIM")
            .arg(stream)
            .arg([group, consumer])
            .arg(min_idle.as_millis().to_string())
            .arg(start)
            .arg("COUNT")
            .arg(count);
        let mut items = into_items(self.query(&command).await?, "XAUTOCLAIM's reply")?.into_iter();
        let next = String::from_value(items.next().unwrap_or(Value::Nil))?;
        // An entry deleted from the stream while pending comes back as
        // nil (Redis 6.2) or is listed in the third element (Redis 7).
        let claimed = into_items(items.next().unwrap_or(Value::Nil), "claimed entries")?
            .into_iter()
            .filter(|entry| !matches!(entry, Value::Nil))
            .map(StreamEntry::from_value)
            .collect::<Result<_, _>>()?;
        let deleted = Vec::from_value(items.next().unwrap_or(Value::Nil))?;
        Ok(AutoClaim { next, claimed, deleted })
    }

    /// `XPENDING stream group`: the summary of what is delivered and not
    /// acknowledged.
    ///
    /// # Errors
    /// As [`Connection::xadd`]; `NOGROUP` if the group does not exist.
    pub async fn xpending(&self, stream: impl ToArgs, group: &str) -> Result<PendingSummary, Error> {
        let (count, lowest, highest, consumers): (u64, Option<String>, Option<String>, Value) =
            self.query(&cmd("XPENDING").arg(stream).arg(group)).await?;
        let consumers = into_pairs(consumers)?
            .into_iter()
            .map(|(name, count)| Ok((String::from_value(name)?, u64::from_value(count)?)))
            .collect::<Result<_, Error>>()?;
        Ok(PendingSummary { count, range: lowest.zip(highest), consumers })
    }
}
