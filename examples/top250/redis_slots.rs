//! Request slots shared by every worker: `--concurrency` for the whole
//! shared crawl, not per process.
//!
//! A slot is a key `top250:slot:N` (N below the limit) set with NX to a
//! token unique to one request, expiring after the lease. A request takes
//! the first free slot (one Lua script tries them all, so taking one is one
//! round trip) and gives it back when its page and its `--delay` are done;
//! if no slot is free it waits a little and tries again. A worker that dies
//! holding slots loses them only for the lease: the keys expire.

use std::cell::Cell;
use std::time::Duration;

use corio::redis::{Connection, Error, Value, cmd};

use crate::redis_store::PREFIX;

/// How long to wait before trying again when every slot is taken.
const RETRY_EVERY: Duration = Duration::from_millis(10);

/// Tries slots 0..limit; returns the one taken, or -1.
const TAKE: &str = "\
for i = 0, tonumber(ARGV[1]) - 1 do
  if redis.call('SET', KEYS[1] .. i, ARGV[2], 'NX', 'PX', ARGV[3]) then return i end
end
return -1";

/// Deletes the slot only if it still holds our token (it may have expired
/// and been taken by another request since).
const GIVE_BACK: &str = "\
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0";

/// One worker's view of the shared slots.
pub struct Slots {
    /// Where the slots are.
    conn: Connection,
    /// How many slots the crawl has.
    limit: usize,
    /// How long a slot outlives a dead holder.
    lease: Duration,
    /// This worker's name, the start of every token.
    owner: String,
    /// Makes each token unique.
    next_token: Cell<u64>,
}

/// A slot taken; give it back with [`Slot::give_back`].
pub struct Slot {
    /// Its key.
    key: String,
    /// The token it holds.
    token: String,
}

impl Slots {
    /// `limit` slots (at least 1) for the worker `owner`.
    pub fn new(conn: Connection, limit: usize, lease: Duration, owner: &str) -> Slots {
        Slots { conn, limit: limit.max(1), lease, owner: owner.to_owned(), next_token: Cell::new(0) }
    }

    /// Takes a free slot, waiting until one is.
    ///
    /// # Errors
    /// The Redis error.
    pub async fn take(&self) -> Result<Slot, Error> {
        let token = format!("{}#{}", self.owner, self.next_token.get());
        self.next_token.set(self.next_token.get() + 1);
        let prefix = format!("{PREFIX}slot:");
        let command = cmd("EVAL")
            .arg(TAKE)
            .arg(1)
            .arg(&prefix)
            .arg(self.limit)
            .arg(&token)
            .arg(self.lease.as_millis().to_string());
        loop {
            let taken: i64 = self.conn.query(&command).await?;
            if taken >= 0 {
                return Ok(Slot { key: format!("{prefix}{taken}"), token });
            }
            corio::sleep(RETRY_EVERY).await;
        }
    }

    /// Gives a slot back.
    ///
    /// # Errors
    /// The Redis error (the slot then expires with its lease).
    pub async fn give_back(&self, slot: Slot) -> Result<(), Error> {
        let _: Value = self.conn.query(&cmd("EVAL").arg(GIVE_BACK).arg(1).arg(&slot.key).arg(&slot.token)).await?;
        Ok(())
    }
}
