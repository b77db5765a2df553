//! The crawl itself, as the tutorial does it: the 10 list pages, then every
//! movie page they link to, one at a time (`--mode sync`) or all at once
//! (`--mode async`), through the same [`Fetcher`].
//!
//! Both modes run the same jobs through [`run_jobs`]; the only difference
//! is whether a job starts before the previous one finished. That is the
//! tutorial's whole point, and keeping everything else equal is what makes
//! the two timings comparable.

use std::collections::HashSet;
use std::future::Future;
use std::ops::ControlFlow;
use std::rc::Rc;

use corio::Task;

use crate::cli::Mode;
use crate::extract::{self, Movie};
use crate::fetcher::{FetchError, Fetcher, Page};
use crate::robots::Robots;
use crate::site::{LIST_PAGES, PAGE_SIZE};
use crate::timeline::PageKind;

/// One movie of the Top 250 and what became of its page.
#[derive(Clone, Debug)]
pub struct Record {
    /// Its place in the list, from 1.
    pub rank: usize,
    /// Douban's subject id, e.g. `1292052`.
    pub subject: String,
    /// The movie page's URL.
    pub url: String,
    /// The fields, or why there are none.
    pub status: Status,
}

/// What became of a movie page.
#[derive(Clone, Debug)]
pub enum Status {
    /// The page was fetched and the four fields found.
    Ok(Movie),
    /// The site answered 404: the tutorial's `页面不存在`.
    Missing,
    /// The page could not be had (after retries) or did not parse.
    Error(String),
}

/// The error of a page robots.txt forbids.
pub const FORBIDDEN_BY_ROBOTS: &str = "forbidden by robots.txt";

/// How the crawl went, for the summary and the exit status.
#[derive(Debug, Default)]
pub struct Summary {
    /// List pages that failed, with why.
    pub list_failures: Vec<String>,
    /// Movies whose four fields were found.
    pub ok: usize,
    /// Movies whose page was missing.
    pub missing: usize,
    /// Movies whose page failed.
    pub failed: usize,
    /// Why Douban refused the crawler, if it did.
    pub ban: Option<String>,
    /// Movies left out because `--resume` found them already done.
    pub resumed: usize,
    /// Movies not fetched because Ctrl-C stopped the crawl first.
    pub interrupted: usize,
}

impl Summary {
    /// List pages that gave no movies (each costs up to 25).
    pub fn list_pages_failed(&self) -> usize {
        self.list_failures.len()
    }
}

/// What the crawl needs from the options.
#[derive(Clone)]
pub struct Plan {
    /// The site's origin, without a trailing slash.
    pub base_url: String,
    /// One page at a time, or all at once.
    pub mode: Mode,
    /// Readable values instead of the tutorial's.
    pub clean: bool,
    /// The origin the records' URLs name: `base_url`, or for the mirror
    /// the site it stands in for, so that records do not depend on the
    /// mirror's random port.
    pub record_origin: String,
    /// What robots.txt allows.
    pub robots: Robots,
    /// Subjects already in the output (`--resume`): not fetched again.
    pub done: HashSet<String>,
}

/// Crawls the Top 250, handing each record to `emit` as it is ready, with
/// its index among the movies found (rank order is index order).
pub async fn crawl(fetcher: Rc<Fetcher>, plan: &Plan, mut emit: impl FnMut(usize, Record)) -> Summary {
    let mut summary = Summary::default();
    let mut subjects = list_movies(&fetcher, plan, &mut summary).await;
    let listed = subjects.len();
    subjects.retain(|(_, url)| !plan.done.contains(&subject_id(url)));
    summary.resumed = listed - subjects.len();
    if !fetcher.is_banned() {
        fetcher.stats.pages.add(subjects.len());
        let jobs = subjects.into_iter().map(|(rank, url)| fetch_movie(Rc::clone(&fetcher), plan, rank, url));
        run_jobs(plan.mode, jobs.collect(), |index, record| {
            // `None`: a page the ban or Ctrl-C stopped before it was answered.
            let Some(record) = record else {
                summary.interrupted += usize::from(fetcher.is_stopping() && !fetcher.is_banned());
                return stop_if_banned(&fetcher);
            };
            match &record.status {
                Status::Ok(_) => summary.ok += 1,
                Status::Missing => summary.missing += 1,
                Status::Error(_) => summary.failed += 1,
            }
            emit(index, record);
            stop_if_banned(&fetcher)
        })
        .await;
    }
    summary.ban = fetcher.ban();
    summary
}

/// Fetches the 10 list pages and returns every movie's rank and URL, in
/// rank order. A list page that fails costs its 25 movies, not the crawl.
async fn list_movies(fetcher: &Rc<Fetcher>, plan: &Plan, summary: &mut Summary) -> Vec<(usize, String)> {
    fetcher.stats.pages.add(LIST_PAGES);
    let jobs = (0..LIST_PAGES).map(|page| {
        let fetcher = Rc::clone(fetcher);
        let start = page * PAGE_SIZE;
        let path = format!("/top250?start={start}&filter=");
        let url = format!("{}{path}", plan.base_url);
        let allowed = plan.robots.allows(&path);
        async move {
            if !allowed {
                return Err(FetchError::Failed(FORBIDDEN_BY_ROBOTS.to_owned()));
            }
            fetcher.fetch(PageKind::List, &format!("list start={start}"), &url).await
        }
    });
    let mut pages: Vec<Option<String>> = vec![None; LIST_PAGES];
    run_jobs(plan.mode, jobs.collect(), |page, result| {
        match result {
            Ok(Page::Found(html)) => pages[page] = Some(html),
            Ok(Page::Missing) => summary.list_failures.push(format!("list page {} is missing (404)", page + 1)),
            Err(FetchError::Failed(why) | FetchError::Banned(why)) => {
                summary.list_failures.push(format!("list page {}: {why}", page + 1));
            }
            Err(FetchError::Stopped) => {}
        }
        stop_if_banned(fetcher)
    })
    .await;
    let mut movies = Vec::with_capacity(LIST_PAGES * PAGE_SIZE);
    for (page, html) in pages.iter().enumerate() {
        let Some(html) = html else { continue };
        let links = extract::subject_links(html);
        if links.is_empty() {
            summary
                .list_failures
                .push(format!("list page {} has no movie links the tutorial's pattern finds", page + 1));
        }
        movies.extend(links.into_iter().enumerate().map(|(i, url)| (page * PAGE_SIZE + i + 1, url)));
    }
    movies
}

/// Fetches and reads one movie page, unless robots.txt forbids it; `None`
/// if a ban or Ctrl-C stopped the crawl before the page was answered.
fn fetch_movie(
    fetcher: Rc<Fetcher>,
    plan: &Plan,
    rank: usize,
    url: String,
) -> impl Future<Output = Option<Record>> + 'static {
    let (clean, allowed) = (plan.clean, plan.robots.allows(path_of(&url, &plan.base_url)));
    let shown = format!("{}{}", plan.record_origin, url.strip_prefix(&plan.base_url).unwrap_or(&url));
    async move {
        let subject = subject_id(&url);
        if !allowed {
            fetcher.stats.failed.bump();
            return Some(Record { rank, subject, url: shown, status: Status::Error(FORBIDDEN_BY_ROBOTS.to_owned()) });
        }
        let status = read_movie(&fetcher, clean, &format!("rank {rank} subject {subject}"), &url).await?;
        Some(Record { rank, subject, url: shown, status })
    }
}

/// Fetches and reads one movie page for a worker of the shared crawl
/// (robots.txt is the seeding worker's business). A page that failed after
/// its retries is an error record, as in a plain crawl; the error is a ban
/// answer to this page (`Banned`) or another page's ban that stopped it
/// before it was answered (`Stopped`), never `Failed`.
pub async fn fetch_movie_page(fetcher: &Fetcher, clean: bool, rank: usize, url: &str) -> Result<Record, FetchError> {
    let subject = subject_id(url);
    let label = format!("rank {rank} subject {subject}");
    let status = match fetcher.fetch(PageKind::Movie, &label, url).await {
        Ok(page) => movie_status(fetcher, clean, &label, page),
        Err(FetchError::Failed(why)) => Status::Error(why),
        Err(refused) => return Err(refused),
    };
    Ok(Record { rank, subject, url: url.to_owned(), status })
}

/// A link's path on the site (`/subject/1292052/`), for robots.txt.
fn path_of<'a>(url: &'a str, base_url: &str) -> &'a str {
    url.strip_prefix(base_url).unwrap_or_else(|| url.find("/subject/").map_or(url, |at| &url[at..]))
}

/// Fetches one movie page and reads its four fields; `None` if a ban or
/// Ctrl-C stopped the crawl before the page was answered.
async fn read_movie(fetcher: &Fetcher, clean: bool, label: &str, url: &str) -> Option<Status> {
    match fetcher.fetch(PageKind::Movie, label, url).await {
        Ok(page) => Some(movie_status(fetcher, clean, label, page)),
        Err(FetchError::Failed(why) | FetchError::Banned(why)) => Some(Status::Error(why)),
        Err(FetchError::Stopped) => None,
    }
}

/// A movie page's record status: its four fields, or why it has none.
fn movie_status(fetcher: &Fetcher, clean: bool, label: &str, page: Page) -> Status {
    match page {
        Page::Found(html) => {
            let fields = if clean { extract::clean_movie(&html) } else { extract::movie(&html) };
            fetcher.parsed(label);
            fields.map(Status::Ok).unwrap_or_else(|missing| {
                // A page that came back but does not parse is a failure too.
                fetcher.stats.failed.bump();
                Status::Error(missing.to_string())
            })
        }
        Page::Missing => Status::Missing,
    }
}

/// The subject id in a movie URL such as `.../subject/1292052/`.
pub fn subject_id(url: &str) -> String {
    url.trim_end_matches('/').rsplit('/').next().unwrap_or_default().to_owned()
}

/// Stops the jobs once Douban has refused the crawler.
fn stop_if_banned(fetcher: &Fetcher) -> ControlFlow<()> {
    if fetcher.is_banned() { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
}

/// Runs `jobs` and hands each result to `done` with the job's index: in
/// order, each job starting when the last has finished (`Sync`), or all as
/// tasks at once and in completion order (`Async`). When `done` breaks,
/// the jobs still running are cancelled, and those that had already
/// finished are still handed to `done`.
async fn run_jobs<T: 'static>(
    mode: Mode,
    jobs: Vec<impl Future<Output = T> + 'static>,
    mut done: impl FnMut(usize, T) -> ControlFlow<()>,
) {
    match mode {
        Mode::Sync => {
            for (index, job) in jobs.into_iter().enumerate() {
                if done(index, job.await).is_break() {
                    return;
                }
            }
        }
        Mode::Async => {
            let tasks: Vec<Task<(usize, T)>> = jobs
                .into_iter()
                .enumerate()
                .map(|(index, job)| corio::create_task(async move { (index, job.await) }))
                .collect();
            let handles: Vec<_> = tasks.iter().map(Task::handle).collect();
            let mut completed = corio::as_completed(tasks);
            while let Some(outcome) = completed.next().await {
                // A job never panics, and is cancelled only below, after
                // which this loop has ended.
                let Ok((index, result)) = outcome else { continue };
                if done(index, result).is_break() {
                    for handle in &handles {
                        handle.cancel();
                    }
                    // Tasks that finished before the cancel still have their
                    // results queued here: they are pages already fetched,
                    // and must not be lost. The cancelled ones come out as
                    // errors and are skipped.
                    while let Some(outcome) = completed.next().await {
                        if let Ok((index, result)) = outcome {
                            let _ = done(index, result);
                        }
                    }
                    return;
                }
            }
        }
    }
}
