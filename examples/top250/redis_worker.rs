//! The three Redis roles besides storing: a worker of the shared crawl
//! (`--worker`), seeding its frontier (`--seed-frontier`), and reading its
//! progress and exporting it (`--status`).
//!
//! A worker is a loop that takes one job at a time from the frontier
//! (`redis_frontier.rs`) while it has room under `--concurrency`, and runs
//! each as a task: wait out a ban if one is in force (`redis_ban.rs`), take
//! a shared request slot (`redis_slots.rs`), fetch the page with the same
//! [`Fetcher`] a plain crawl uses (retries, `--delay`, ban answers), then
//! either enqueue the movie pages a list page links to or store the movie's
//! record (`redis_store.rs`), and finally mark the page done and
//! acknowledge it. A ban answer pauses every worker for `--ban-pause`, and
//! the refused page is fetched again after it; with `--ban-pause 0` it
//! stops them all instead. The loop ends when the frontier is drained
//! (every page enqueued is done, by anyone) or a ban stops the crawl.

use std::cell::{Cell, RefCell};
use std::process::ExitCode;
use std::rc::Rc;
use std::time::{Duration, Instant};

use corio::redis::{ConnectOptions, Connection};
use corio::sync::Semaphore;

use crate::cli::Options;
use crate::crawl::{self, Status};
use crate::extract;
use crate::fetcher::{FetchError, Fetcher, Page};
use crate::output::Output;
use crate::redis_ban::Ban;
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

/// How often a page waiting out a ban reads the key again (and keeps its
/// entry claimed), unless half the lease is shorter.
const BAN_CHECK_EVERY: Duration = Duration::from_secs(1);

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
    /// How many times a ban paused this worker.
    pauses: usize,
    /// Why a ban stopped the crawl, if one did.
    stopped: Option<String>,
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
    /// `--quiet`: nothing on stderr but errors.
    quiet: bool,
    /// This worker's consumer name in the group.
    consumer: String,
    /// `--ban-pause`: how long a ban answer pauses the crawl (zero stops it).
    ban_pause: Duration,
    /// How often a paused page reads the ban again.
    ban_check_every: Duration,
    /// Whether the last read of the ban found a pause, so that each pause
    /// is counted and announced once, however many pages wait it out.
    paused: Cell<bool>,
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
/// Exits 0 when drained, 1 while pages remain (paused or not), 3 after a
/// ban that stopped the crawl.
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
        progress.ban.as_ref().map(|ban| format!("; {}", ban.describe())).unwrap_or_default(),
    );
    let Some(records) = records else {
        let stopped = progress.ban.is_some_and(|ban| ban.resumes_in.is_none());
        return Ok(ExitCode::from(if stopped { crate::EXIT_BANNED } else { crate::EXIT_FAILED }));
    };
    let mut output = Output::open(options).map_err(|error| format!("cannot open the output: {error}"))?;
    for (index, record) in records.into_iter().enumerate() {
        output.emit(index, record);
    }
    output.finish(started.elapsed()).map_err(|error| format!("cannot write the output: {error}"))?;
    Ok(ExitCode::SUCCESS)
}

/// `--worker`: crawls until the shared crawl is drained or a ban stops it.
fn work(options: &Options, redis: ConnectOptions) -> Result<ExitCode, String> {
    let base_url = options.base_url.clone().ok_or("a worker needs --base-url")?;
    let name = worker_name();
    let fetcher = Rc::new(Fetcher::new(options).map_err(|error| error.to_string())?);
    let (concurrency, lease) = (options.concurrency, options.redis.lease);
    let consumer = name.clone();
    let (clean, quiet, ban_pause) = (options.clean, options.quiet, options.redis.ban_pause);
    let tally = corio::run(async move {
        let conn = redis.connect().await?;
        // XREADGROUP with BLOCK waits on the server, and would hold up every
        // command queued behind it on a shared connection: it gets its own.
        let blocking = redis.connect().await?;
        frontier::seed(&conn, &base_url).await?;
        let slots = Slots::new(conn.clone(), concurrency, lease, &consumer);
        let worker = Rc::new(Worker {
            conn,
            fetcher,
            slots,
            clean,
            quiet,
            consumer: consumer.clone(),
            ban_pause,
            ban_check_every: BAN_CHECK_EVERY.min(lease / 2),
            paused: Cell::new(false),
            tally: RefCell::new(Tally::default()),
        });
        let room = Rc::new(Semaphore::new(concurrency));
        loop {
            if worker.tally.borrow().redis_error.is_some() {
                break;
            }
            // No new page while a ban pauses the crawl; a stop ends it.
            if !worker.wait_out_ban(None).await? {
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
    let end = match &tally.stopped {
        Some(why) => format!("stopped: Douban refused the crawl ({why}); unfinished pages stay in the frontier"),
        None => "the shared crawl is drained".to_owned(),
    };
    let pauses = match tally.pauses {
        0 => String::new(),
        1 => ", paused once by a ban".to_owned(),
        n => format!(", paused {n} times by a ban"),
    };
    if !options.quiet {
        eprintln!(
            "top250: worker {name}: {} pages, {} movies, {} missing, {} failed{pauses}; {end}",
            tally.pages, tally.ok, tally.missing, tally.failed
        );
    }
    Ok(if tally.stopped.is_some() {
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

/// What became of one try at a page.
enum Fetched {
    /// Its work is done: its record stored, or its links enqueued (a page
    /// that failed after its retries is done too, as in a plain crawl).
    Done,
    /// Douban answered it with a ban; why.
    Refused(String),
    /// Another page's ban, in this worker, stopped it before it was
    /// answered.
    Stopped,
}

impl Worker {
    /// One page: wait out a ban, slot, fetch, enqueue or store, done. A page
    /// refused by a ban is fetched again once the pause is over; if a ban
    /// stops the crawl, it stays pending for a later run.
    async fn process(&self, job: &Job) -> Result<(), corio::redis::Error> {
        loop {
            if !self.wait_out_ban(Some(job)).await? {
                return Ok(());
            }
            let slot = self.slots.take().await?;
            // A ban may have come while this page waited for its slot: the
            // worker that saw it wrote it before giving its own slot back.
            if Ban::read(&self.conn).await?.is_some() {
                self.slots.give_back(slot).await?;
                continue;
            }
            let fetched = self.fetch(job).await;
            if let Ok(Fetched::Refused(why)) = &fetched {
                // Before the slot goes back, so whoever takes it sees this.
                Ban::record(&self.conn, why, self.ban_pause).await?;
            }
            self.slots.give_back(slot).await?;
            match fetched? {
                Fetched::Done => {
                    frontier::finish(&self.conn, job).await?;
                    self.tally.borrow_mut().pages += 1;
                    return Ok(());
                }
                // Again, once the ban is waited out at the top of the loop.
                Fetched::Refused(_) | Fetched::Stopped => {}
            }
        }
    }

    /// Waits while a ban pauses the crawl, keeping `job`'s stream entry
    /// claimed by this worker; `false` if a ban stops the crawl instead.
    async fn wait_out_ban(&self, job: Option<&Job>) -> Result<bool, corio::redis::Error> {
        loop {
            let Some(ban) = Ban::read(&self.conn).await? else {
                // No ban, or its pause is over: requests may start again.
                self.paused.set(false);
                self.fetcher.lift_ban();
                return Ok(true);
            };
            let Some(left) = ban.resumes_in else {
                self.tally.borrow_mut().stopped.get_or_insert(ban.why);
                return Ok(false);
            };
            if !self.paused.replace(true) {
                self.tally.borrow_mut().pauses += 1;
                if !self.quiet {
                    eprintln!("top250: worker {}: {}", self.consumer, ban.describe());
                }
            }
            if let Some(job) = job {
                frontier::keep(&self.conn, &self.consumer, job).await?;
            }
            corio::sleep(left.min(self.ban_check_every)).await;
        }
    }

    /// Fetches the page and does its work.
    async fn fetch(&self, job: &Job) -> Result<Fetched, corio::redis::Error> {
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
                    Err(FetchError::Banned(why)) => return Ok(Fetched::Refused(why)),
                    Err(FetchError::Stopped) => return Ok(Fetched::Stopped),
                }
            }
            JobKind::Movie { rank } => {
                let record = match crawl::fetch_movie_page(&self.fetcher, self.clean, rank, &job.url).await {
                    Ok(record) => record,
                    Err(FetchError::Banned(why)) => return Ok(Fetched::Refused(why)),
                    // Stopped: a page that failed is an error record, never an Err.
                    Err(_) => return Ok(Fetched::Stopped),
                };
                redis_store::save(&self.conn, &record).await?;
                let mut tally = self.tally.borrow_mut();
                match record.status {
                    Status::Ok(_) => tally.ok += 1,
                    Status::Missing => tally.missing += 1,
                    Status::Error(_) => tally.failed += 1,
                }
            }
        }
        Ok(Fetched::Done)
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
