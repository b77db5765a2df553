//! The shared crawl's frontier: a Redis Stream read through a consumer
//! group, with a set so each URL is enqueued once.
//!
//! ```text
//! top250:frontier   stream   {url, kind list|movie, start or rank}, one entry per page
//! top250:crawlers   the consumer group every worker reads the stream through
//! top250:enqueued   set      every URL ever put on the stream
//! top250:done       set      every URL whose page is finished (stored, or its links enqueued)
//! top250:ban        string   why Douban refused a worker; every worker pauses while it exists (redis_ban.rs)
//! top250:slot:N     string   request slot N, held by one request, with the lease as its expiry
//! ```
//!
//! A page's life: [`enqueue`] adds its URL to the set and the stream in one
//! Lua script, so a URL found twice (or by two workers at once) is queued
//! once, and a worker killed between the two steps cannot leave it half
//! done. XREADGROUP hands the entry to one worker and keeps it *pending*
//! there; the worker fetches the page, stores the record or enqueues the
//! links, adds the URL to `done`, and XACKs. A worker that dies holding
//! entries leaves them pending; once they are idle past the lease, the next
//! worker to look takes them over with XAUTOCLAIM and does the page again,
//! which overwrites the same record. The crawl is drained when every URL
//! enqueued is done.

use std::time::Duration;

use corio::redis::{Connection, Error, StreamEntry, Value, cmd};

use crate::redis_ban::Ban;
use crate::redis_store::PREFIX;
use crate::site::{LIST_PAGES, PAGE_SIZE};

/// The consumer group's name.
pub const GROUP: &str = "crawlers";

/// The stream.
pub fn frontier_key() -> String {
    format!("{PREFIX}frontier")
}

/// The set of URLs ever enqueued.
pub fn enqueued_key() -> String {
    format!("{PREFIX}enqueued")
}

/// The set of URLs finished.
pub fn done_key() -> String {
    format!("{PREFIX}done")
}

/// Adds the URL to the set and, if it was new, the entry to the stream,
/// atomically (a Lua script runs with nothing in between). The entry holds
/// `url`, `kind`, and `index_name` = `index`.
const ENQUEUE: &str = "\
if redis.call('SADD', KEYS[1], ARGV[1]) == 1 then
  return redis.call('XADD', KEYS[2], '*', 'url', ARGV[1], 'kind', ARGV[2], ARGV[3], ARGV[4])
end
return false";

/// One page of the shared crawl, as read from the stream.
pub struct Job {
    /// The stream entry's id, for XACK.
    pub id: String,
    /// The page.
    pub url: String,
    /// A list page (with its `start`) or a movie page (with its rank).
    pub kind: JobKind,
}

/// Which page a job is.
pub enum JobKind {
    /// A list page, `start` its first rank minus one.
    List { start: usize },
    /// A movie page, of this rank.
    Movie { rank: usize },
}

impl Job {
    /// Reads a stream entry; `None` for one this crawler did not write.
    pub fn from_entry(entry: &StreamEntry) -> Option<Job> {
        let number = |name| entry.get(name)?.parse().ok();
        let kind = match entry.get("kind")? {
            "list" => JobKind::List { start: number("start")? },
            "movie" => JobKind::Movie { rank: number("rank")? },
            _ => return None,
        };
        Some(Job { id: entry.id.clone(), url: entry.get("url")?.to_owned(), kind })
    }
}

/// Enqueues a page unless its URL was enqueued before; whether it was new.
///
/// # Errors
/// The Redis error.
pub async fn enqueue(conn: &Connection, url: &str, kind: &JobKind) -> Result<bool, Error> {
    let (kind, index_name, index) = match kind {
        JobKind::List { start } => ("list", "start", start),
        JobKind::Movie { rank } => ("movie", "rank", rank),
    };
    let command =
        cmd("EVAL").arg(ENQUEUE).arg(2).arg([enqueued_key(), frontier_key()]).arg([url, kind, index_name]).arg(*index);
    let added: Value = conn.query(&command).await?;
    Ok(!matches!(added, Value::Nil | Value::Boolean(false)))
}

/// Creates the group (if needed) and enqueues the 10 list pages (those not
/// enqueued before): what the first worker, or `--seed-frontier`, does.
/// Every worker may call it; only the first call adds anything.
///
/// # Errors
/// The Redis error.
pub async fn seed(conn: &Connection, base_url: &str) -> Result<usize, Error> {
    conn.xgroup_create(frontier_key(), GROUP, "0").await?;
    let mut added = 0;
    for page in 0..LIST_PAGES {
        let start = page * PAGE_SIZE;
        let url = format!("{base_url}/top250?start={start}&filter=");
        if enqueue(conn, &url, &JobKind::List { start }).await? {
            added += 1;
        }
    }
    Ok(added)
}

/// Up to `count` jobs for `consumer`: first entries another worker left
/// idle past `lease` (taken over), else new ones, waiting up to `block`.
///
/// # Errors
/// The Redis error.
pub async fn next_jobs(
    conn: &Connection,
    blocking: &Connection,
    consumer: &str,
    lease: Duration,
    count: usize,
    block: Duration,
) -> Result<Vec<Job>, Error> {
    let claimed = conn.xautoclaim(frontier_key(), GROUP, consumer, lease, "0-0", count).await?.claimed;
    let entries = if claimed.is_empty() {
        blocking.xreadgroup(GROUP, consumer, &frontier_key(), count, Some(block)).await?
    } else {
        claimed
    };
    Ok(entries.iter().filter_map(Job::from_entry).collect())
}

/// Claims a job again for the worker that holds it, which resets the
/// entry's idle time: a page waiting out a ban keeps its entry this way, so
/// that when the pause ends no other worker takes it over (XAUTOCLAIM)
/// only to fetch it a second time. JUSTID leaves the delivery count alone.
///
/// # Errors
/// The Redis error.
pub async fn keep(conn: &Connection, consumer: &str, job: &Job) -> Result<(), Error> {
    let command = cmd("XCLAIM").arg([frontier_key().as_str(), GROUP, consumer, "0", &job.id, "JUSTID"]);
    let _: Value = conn.query(&command).await?;
    Ok(())
}

/// Marks a job's page finished and acknowledges its entry, in one MULTI.
///
/// # Errors
/// The Redis error.
pub async fn finish(conn: &Connection, job: &Job) -> Result<(), Error> {
    corio::redis::Pipeline::new()
        .atomic()
        .command(cmd("SADD").arg(done_key()).arg(&job.url))
        .command(cmd("XACK").arg(frontier_key()).arg(GROUP).arg(&job.id))
        .query::<()>(conn)
        .await
}

/// How far the shared crawl is.
pub struct Progress {
    /// URLs ever enqueued.
    pub enqueued: usize,
    /// URLs finished.
    pub done: usize,
    /// Entries handed to a worker and not acknowledged.
    pub pending: u64,
    /// Workers holding pending entries, with how many.
    pub holders: Vec<(String, u64)>,
    /// The ban in force, if any.
    pub ban: Option<Ban>,
}

impl Progress {
    /// Reads it.
    ///
    /// # Errors
    /// The Redis error.
    pub async fn read(conn: &Connection) -> Result<Progress, Error> {
        let enqueued = conn.scard(enqueued_key()).await?;
        let done = conn.scard(done_key()).await?;
        let (pending, holders) = match conn.xpending(frontier_key(), GROUP).await {
            Ok(summary) => (summary.count, summary.consumers),
            // No group yet: nothing was ever seeded.
            Err(error) if error.kind() == Some(corio::redis::ServerErrorKind::NoGroup) => (0, Vec::new()),
            Err(error) => return Err(error),
        };
        let ban = Ban::read(conn).await?;
        Ok(Progress { enqueued, done, pending, holders, ban })
    }

    /// Whether no page enqueued is unfinished: the shared crawl is
    /// drained, or there never was one (a plain `--redis` crawl's records).
    pub fn finished(&self) -> bool {
        self.done >= self.enqueued
    }
}

/// Whether the crawl is drained, read cheaply (two SCARDs).
///
/// # Errors
/// The Redis error.
pub async fn drained(conn: &Connection) -> Result<bool, Error> {
    let enqueued = conn.scard(enqueued_key()).await?;
    Ok(enqueued > 0 && conn.scard(done_key()).await? >= enqueued)
}
