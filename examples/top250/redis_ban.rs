//! A ban shared by every worker of a shared crawl: when Douban refuses one
//! worker, all of them pause, then go on by themselves; or, with
//! `--ban-pause 0`, all of them stop.
//!
//! The ban is one key, `top250:ban`, holding why Douban refused the crawl.
//! The worker that gets a ban answer writes it, before it gives back its
//! request slot, so any request that takes a slot after that sees it:
//!
//! - **A pause** (`--ban-pause SECS`, the default): the key is set NX (the
//!   first ban wins) with the pause as its expiry. Every worker reads it
//!   before each page and again once it holds a slot; while it exists, its
//!   pages wait, reading it again every second (or half a lease, if that is
//!   shorter), and keep their stream entries claimed so the lease does not
//!   hand them to another worker when the pause ends. When Redis expires
//!   the key, every worker goes on, the refused page first. If Douban still
//!   refuses, the first answer sets a new pause: a ban that lasts costs
//!   each pause at most `--concurrency` requests.
//! - **A stop** (`--ban-pause 0`, or a key set by hand without expiry): the
//!   key has no expiry, and replaces a pause (a stop outranks one). Every
//!   worker exits with status 3, leaving its pages pending in the frontier;
//!   the operator deletes the key and starts workers again.
//!
//! The key decides, not each worker's flag: a worker started with
//! `--ban-pause 0` waits out a pause another worker wrote, and one with a
//! pause obeys a stop.

use std::time::Duration;

use corio::redis::{Connection, Error, Pipeline, SetOptions, cmd};

use crate::redis_store::PREFIX;

/// The key.
pub fn ban_key() -> String {
    format!("{PREFIX}ban")
}

/// A ban in force.
pub struct Ban {
    /// Why Douban refused the crawl, as the worker that saw it wrote it.
    pub why: String,
    /// How long until the pause ends; `None` for a stop.
    pub resumes_in: Option<Duration>,
}

impl Ban {
    /// Reads the ban, if there is one: the value and its time to live in
    /// one MULTI, so a key expiring between the two is never half read.
    ///
    /// # Errors
    /// The Redis error.
    pub async fn read(conn: &Connection) -> Result<Option<Ban>, Error> {
        let (why, ttl): (Option<String>, i64) = Pipeline::new()
            .atomic()
            .command(cmd("GET").arg(ban_key()))
            .command(cmd("PTTL").arg(ban_key()))
            .query(conn)
            .await?;
        // PTTL: the milliseconds left, or -1 for a key without expiry.
        Ok(why.map(|why| Ban { why, resumes_in: u64::try_from(ttl).ok().map(Duration::from_millis) }))
    }

    /// Records a ban answer: a pause of `pause` unless one is in force, or
    /// a stop if `pause` is zero.
    ///
    /// # Errors
    /// The Redis error.
    pub async fn record(conn: &Connection, why: &str, pause: Duration) -> Result<(), Error> {
        let options = if pause.is_zero() { SetOptions::new() } else { SetOptions::new().nx().px(pause) };
        let _: bool = conn.set_with(ban_key(), why, options).await?;
        Ok(())
    }

    /// How this ban reads in `--status` and a worker's last line.
    pub fn describe(&self) -> String {
        match self.resumes_in {
            Some(left) => format!("paused by a ban for {:.1} s more: {}", left.as_secs_f64(), self.why),
            None => format!("stopped by a ban: {}", self.why),
        }
    }
}
