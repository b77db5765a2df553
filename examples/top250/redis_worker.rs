//! The three Redis roles besides storing: a worker of the shared crawl
//! (`--worker`), seeding its frontier (`--seed-frontier`), and reading its
//! progress and exporting it (`--status`).
//!
//! A worker is a loop that takes one job at a time from the frontier
//! (`redis_frontier.rs`) while it has room under `--concurrency`, and runs
//! each as a task: take a shared request slot (`redis_slots.rs`), fetch the
//! page with the same [`Fetcher`] a plain crawl uses (retries, `--delay`,
//! ban answers), then either enqueue the movie pages a list page links to
//! or store the movie's record (`redis_store.rs`), and finally mark the
//! page done and acknowledge it. The loop ends when the frontier is
//! drained (every page enqueued is done, by anyone) or a ban is recorded.
//! A ban answer seen by any worker is written to `top250:ban`; every worker
//! checks that key before each page and stops, leaving the unfinished pages
//! in the stream for a later run.

use std::cell::RefCell;
use std::process::ExitCode;
use std::rc::Rc;
use std::time::{Duration, Instant};

use corio::redis::{ConnectOptions, Connection, SetOptions};
use corio::sync::Semaphore;

use crate::cli::Options;
use crate::crawl::{self, Status};
use crate::extract;
use crate::fetcher::{FetchError, Fetcher, Page};
use crate::output::Output;
use crate::redis_flags::Role;
use crate::redis_frontier::{self as frontier, Job, JobKind, Progress};
use crate::redis_slots::Slots;
use crate::redis_store;
use crate::timeline::PageKind;

/// How long one XREADGROUP waits for new entries before the worker looks
/// again for stale ones and for the end of the crawl.
const BLOCK: Duration = Duration::from_millis(500);

/// The limit on one Redis reply (a blocking read gets its block time on top).
const REPLY_TIMEOUT: Duration = Duration::from_secs(10);

/// What one worker did.
#[derive(Default)]
struct Tally {
    /// Pages it finished.
    pages: usize,
    /// Movie records it stored, by outcome.
    ok: usize,
    /// Missing (404) movie pages it recorded.
    missing: usize,
    /// Pages that failed after their retries.
    failed: usize,
    /// Why the crawl was refused, if it was.
    ban: Option<String>,
    /// The first Redis error a page task hit; the worker stops on it.
    redis_error: Option<String>,
}

/// Everything a page task needs.
struct Worker {
    /// For the frontier, the records and the slots.
    conn: Connection,
    /// The HTTP side, as in a plain crawl.
    fetcher: Rc<Fetcher>,
    /// The shared request slots.
    slots: Slots,
    /// Readable values instead of the tutorial's.
    clean: bool,
    /// What this worker did.
    tally: RefCell<Tally>,
}

/// Runs the role the flags ask for.
pub fn run(options: &Options) -> Result<ExitCode, String> {
    let url = options.redis.url.clone().ok_or("--redis URL is needed")?;
    let redis = ConnectOptions::from_url(&url).map_err(|error| error.to_string())?.reply_timeout(Some(REPLY_TIMEOUT));
    match options.redis.role {
        Role::Worker => work(options, redis),
        Role::Seed => {
            let base_url = options.base_url.clone().unwrap_or_default();
            let added = corio::run(async move { frontier::seed(&redis.connect().await?, &base_url).await })
                .map_err(|error| format!("cannot seed the frontier in {url}: {error}"))?;
            eprintln!("top250: enqueued {added} list pages ({} were there already)", crate::site::LIST_PAGES - added);
            Ok(ExitCode::SUCCESS)
        }
        Role::Status => status(options, redis),
        Role::Store => Err("a plain crawl with --redis is run by main, not here".into()),
    }
}

/// `--status`: one line of progress; once drained (or for a plain
/// `--redis` crawl, which has no frontier), the records in `--format`.
/// Exits 0 when drained, 1 while pages remain, 3 after a ban.
fn status(options: &Options, redis: ConnectOptions) -> Result<ExitCode, String> {
    let started = Instant::now();
    let (progress, records) = corio::run(async move {
        let conn = redis.connect().await?;
        let progress = Progress::read(&conn).await?;
        let records = if progress.finished() { Some(redis_store::load_all(&conn).await?) } else { None };
        Ok::<_, corio::redis::Error>((progress, records))
    })
    .map_err(|error| format!("cannot read the shared crawl: {error}"))?;
    let holders: Vec<String> = progress.holders.iter().map(|(name, count)| format!("{name} {count}")).collect();
    eprintln!(
        "top250: shared crawl: {} of {} pages done, {} handed out and not finished{}{}",
        progress.done,
        progress.enqueued,
        progress.pending,
        if holders.is_empty() { String::new() } else { format!(" ({})", holders.join(", ")) },
        progress.ban.as_ref().map(|why| format!("; stopped by a ban: {why}")).unwrap_or_default(),
    );
    let Some(records) = records else {
        return Ok(ExitCode::from(if progress.ban.is_some() { crate::EXIT_BANNED } else { crate::EXIT_FAILED }));
    };
    let mut output = Output::open(options).map_err(|error| format!("cannot open the output: {error}"))?;
    for (index, record) in records.into_iter().enumerate() {
        output.emit(index, record);
    }
    output.finish(started.elapsed()).map_err(|error| format!("cannot write the output: {error}"))?;
    Ok(ExitCode::SUCCESS)
}

/// `--worker`: crawls until the shared crawl is drained or banned.
fn work(options: &Options, redis: ConnectOptions) -> Result<ExitCode, String> {
    let base_url = options.base_url.clone().ok_or("a worker needs --base-url")?;
    let name = worker_name();
    let fetcher = Rc::new(Fetcher::new(options).map_err(|error| error.to_string())?);
    let (concurrency, lease, clean) = (options.concurrency, options.redis.lease, options.clean);
    let consumer = name.clone();
    let tally = corio::run(async move {
        let conn = redis.connect().await?;
        // XREADGROUP with BLOCK waits on the server, and would hold up every
        // command queued behind it on a shared connection: it gets its own.
        let blocking = redis.connect().await?;
        frontier::seed(&conn, &base_url).await?;
        let slots = Slots::new(conn.clone(), concurrency, lease, &consumer);
        let worker = Rc::new(Worker { conn, fetcher, slots, clean, tally: RefCell::new(Tally::default()) });
        let room = Rc::new(Semaphore::new(concurrency));
        loop {
            if worker.tally.borrow().redis_error.is_some() {
                break;
            }
            if let Some(why) = worker.conn.get::<Option<String>>(frontier::ban_key()).await? {
                worker.tally.borrow_mut().ban = Some(why);
                break;
            }
            let permit = room.acquire_owned().await;
            let job = frontier::next_jobs(&worker.conn, &blocking, &consumer, lease, 1, BLOCK).await?.pop();
            let Some(job) = job else {
                drop(permit);
                // Nothing new and nothing stale: done if every page
                // enqueued is finished, by anyone; otherwise other workers
                // hold the rest, and we look again (their pages come to us
                // after the lease if they die).
                if room.available_permits() == concurrency && frontier::drained(&worker.conn).await? {
                    break;
                }
                continue;
            };
            let worker = Rc::clone(&worker);
            corio::create_task(async move {
                if let Err(error) = worker.process(&job).await {
                    worker.tally.borrow_mut().redis_error.get_or_insert(error.to_string());
                }
                drop(permit);
            });
        }
        // Let the pages under way finish: all the room back means none is.
        let _all = all_permits(&room, concurrency).await;
        Ok::<_, corio::redis::Error>(worker.tally.take())
    })
    .map_err(|error| format!("redis: {error}"))?;
    if let Some(error) = &tally.redis_error {
        return Err(format!("redis: {error}"));
    }
    let end = match &tally.ban {
        Some(why) => format!("stopped: Douban refused the crawl ({why}); unfinished pages stay in the frontier"),
        None => "the shared crawl is drained".to_owned(),
    };
    if !options.quiet {
        eprintln!(
            "top250: worker {name}: {} pages, {} movies, {} missing, {} failed; {end}",
            tally.pages, tally.ok, tally.missing, tally.failed
        );
    }
    Ok(if tally.ban.is_some() {
        ExitCode::from(crate::EXIT_BANNED)
    } else if tally.failed > 0 {
        ExitCode::from(crate::EXIT_FAILED)
    } else {
        ExitCode::SUCCESS
    })
}

/// Waits until all `count` permits are free, holding them.
async fn all_permits(room: &Rc<Semaphore>, count: usize) -> Vec<corio::sync::OwnedSemaphorePermit> {
    let mut permits = Vec::with_capacity(count);
    for _ in 0..count {
        permits.push(room.acquire_owned().await);
    }
    permits
}

impl Worker {
    /// One page: slot, fetch, enqueue or store, done.
    async fn process(&self, job: &Job) -> Result<(), corio::redis::Error> {
        // A ban recorded by any worker stops this page before it asks.
        if self.conn.exists(frontier::ban_key()).await? > 0 {
            return Ok(());
        }
        let slot = self.slots.take().await?;
        let outcome = self.fetch(job).await;
        self.slots.give_back(slot).await?;
        match outcome? {
            Some(ban) => {
                // First ban wins; the page stays pending for a later run.
                let _: bool = self.conn.set_with(frontier::ban_key(), &ban, SetOptions::new().nx()).await?;
                self.tally.borrow_mut().ban.get_or_insert(ban);
            }
            None => {
                frontier::finish(&self.conn, job).await?;
                self.tally.borrow_mut().pages += 1;
            }
        }
        Ok(())
    }

    /// Fetches the page and does its work; `Some(reason)` for a ban.
    async fn fetch(&self, job: &Job) -> Result<Option<String>, corio::redis::Error> {
        match job.kind {
            JobKind::List { start } => {
                let label = format!("list start={start}");
                match self.fetcher.fetch(PageKind::List, &label, &job.url).await {
                    Ok(Page::Found(html)) => {
                        for (index, url) in extract::subject_links(&html).into_iter().enumerate() {
                            frontier::enqueue(&self.conn, &url, &JobKind::Movie { rank: start + index + 1 }).await?;
                        }
                    }
                    Ok(Page::Missing) => self.list_failed(&job.url, "missing (404)"),
                    Err(FetchError::Failed(why)) => self.list_failed(&job.url, &why),
                    Err(FetchError::Banned(why)) => return Ok(Some(why)),
                    Err(FetchError::Stopped) => return Ok(self.fetcher.ban()),
                }
            }
            JobKind::Movie { rank } => {
                let record = crawl::fetch_movie_page(Rc::clone(&self.fetcher), self.clean, rank, job.url.clone()).await;
                if let Some(ban) = self.fetcher.ban() {
                    return Ok(Some(ban));
                }
                let Some(record) = record else { return Ok(None) };
                redis_store::save(&self.conn, &record).await?;
                let mut tally = self.tally.borrow_mut();
                match record.status {
                    Status::Ok(_) => tally.ok += 1,
                    Status::Missing => tally.missing += 1,
                    Status::Error(_) => tally.failed += 1,
                }
            }
        }
        Ok(None)
    }

    /// A list page that could not be had: its movies are lost to this
    /// crawl, as in a plain one; say so.
    fn list_failed(&self, url: &str, why: &str) {
        eprintln!("top250: list page {url}: {why}");
        self.tally.borrow_mut().failed += 1;
    }
}

/// This worker's consumer name: host and process id, unique per process.
fn worker_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let host = host.trim();
    format!("{}-{}", if host.is_empty() { "worker" } else { host }, std::process::id())
}
