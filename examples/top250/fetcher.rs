//! Fetching one page politely: a slot among `--concurrency`, retries with
//! backoff, the pause of `--delay`, and Douban's ban answers recognised.
//!
//! Every attempt is drawn on the timeline and counted in [`Stats`]. A page
//! ends in one of four ways: its HTML, "missing" (404), failed after its
//! retries, or banned, which also stops every page that has not started.

use std::cell::{Cell, RefCell};
use std::time::{Duration, SystemTime};

use corio::http::{self, Response, Session, Url};
use corio::sync::{Event, Semaphore};

use crate::cli::Options;
use crate::extract;
use crate::progress::Stats;
use crate::retry::{Jitter, MAX_WAIT, RetryPolicy, retry_after};
use crate::robots::Robots;
use crate::stats::Tally;
use crate::throttle::Throttle;
use crate::timeline::{Bar, Outcome, PageKind, Wait};

/// The User-Agent unless `--user-agent` gives another: a desktop Chrome's,
/// as the tutorial's crawler sent.
const BROWSER: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) \
                       Chrome/120.0.0.0 Safari/537.36";

/// The name robots.txt groups are matched against, unless `--user-agent`
/// names another product.
const ROBOT_NAME: &str = "top250";

/// Redirects followed by hand (the session follows none, so that a
/// redirect to Douban's security check is seen before it is followed).
const MAX_REDIRECTS: usize = 5;

/// The host Douban sends a blocked crawler to.
const SECURITY_HOST: &str = "sec.douban.com";

/// A page as it came back.
pub enum Page {
    /// 2xx: the HTML.
    Found(String),
    /// 404: the page does not exist.
    Missing,
}

/// Why a page has no content.
#[derive(Clone, Debug)]
pub enum FetchError {
    /// Gave up after the retries; the text says why.
    Failed(String),
    /// Douban refused this request; nothing more should be fetched.
    Banned(String),
    /// Another page's ban, or Ctrl-C, stopped the crawl before this page
    /// got an answer.
    Stopped,
}

/// How one attempt ended, before the retry decision.
enum Attempt {
    /// A page, found or missing.
    Done(Page),
    /// Worth trying again, after `wait` if the server named one.
    Retry { why: String, wait: Option<std::time::Duration> },
    /// Not worth trying again.
    Fail(String),
    /// A ban answer.
    Ban(String),
}

/// The crawler's HTTP side: one session, shared by every page.
pub struct Fetcher {
    /// The connection pool and its defaults (headers, timeout, proxy).
    session: Session,
    /// One permit per request in flight.
    slots: Semaphore,
    /// Retries and backoff.
    policy: RetryPolicy,
    /// The pause after each request, before jitter.
    delay: std::time::Duration,
    /// Randomness for backoff and delay.
    jitter: Jitter,
    /// The counters the progress line shows.
    pub stats: Stats,
    /// Every finished attempt, for the timeline.
    bars: RefCell<Vec<Bar>>,
    /// Set by the first ban answer.
    banned: RefCell<Option<String>>,
    /// Statuses, bytes and latencies, for the closing report.
    pub tally: Tally,
    /// `--autothrottle`: spacing by latency.
    throttle: Option<Throttle>,
    /// Set by [`Fetcher::stop`] (Ctrl-C): no new request starts.
    stopping: Cell<bool>,
    /// Set with `stopping`, to cut short the sleeps between attempts.
    stopped: Event,
    /// The robot name robots.txt groups are matched against.
    robot_name: String,
}

impl Fetcher {
    /// A fetcher with a browser-like session built from the options.
    ///
    /// # Errors
    /// A bad `--proxy` URL.
    pub fn new(options: &Options) -> Result<Fetcher, http::Error> {
        let user_agent = options.user_agent.as_deref().unwrap_or(BROWSER);
        let mut session = Session::builder()
            .user_agent(user_agent)
            .header("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
            .header("Accept-Language", "zh-CN,zh;q=0.9,en;q=0.8")
            .timeout(Some(options.timeout))
            .limit(options.concurrency)
            .max_redirects(0);
        if let Some(proxy) = &options.proxy {
            session = session.proxy(proxy.clone());
        }
        Ok(Fetcher {
            session: session.build()?,
            slots: Semaphore::new(options.concurrency),
            policy: RetryPolicy { retries: options.retries, backoff: options.backoff },
            delay: options.delay,
            jitter: options.seed.map_or_else(Jitter::from_entropy, Jitter::new),
            stats: Stats::new(),
            bars: RefCell::new(Vec::new()),
            banned: RefCell::new(None),
            tally: Tally::default(),
            throttle: options.autothrottle.map(|target| Throttle::new(target, options.delay)),
            stopping: Cell::new(false),
            stopped: Event::new(),
            // A product token is the User-Agent's first word, before any `/`.
            robot_name: match &options.user_agent {
                Some(agent) => agent.split(['/', ' ']).next().unwrap_or(ROBOT_NAME).to_owned(),
                None => ROBOT_NAME.to_owned(),
            },
        })
    }

    /// Stops the crawl gently (Ctrl-C): requests on the wire finish, none
    /// starts after this, and waits between attempts end now.
    pub fn stop(&self) {
        self.stopping.set(true);
        self.stopped.set();
    }

    /// `--autothrottle`'s delay between request starts now.
    pub fn throttle_delay(&self) -> Option<Duration> {
        self.throttle.as_ref().map(Throttle::delay)
    }

    /// Whether [`Fetcher::stop`] was called.
    pub fn is_stopping(&self) -> bool {
        self.stopping.get()
    }

    /// Sleeps for `wait`, or less if the crawl is stopped meanwhile.
    async fn pause(&self, wait: Duration) {
        let _ = corio::timeout(wait, self.stopped.wait()).await;
    }

    /// The site's robots.txt rules for this crawler, and a phrase saying
    /// where they came from. Fetched once, before any page, and not counted
    /// among the page requests. A 4xx means no rules; a 5xx or a network
    /// failure means the site is off limits (RFC 9309 section 2.3.1).
    pub async fn robots(&self, base_url: &str) -> (Robots, String) {
        let url = format!("{base_url}/robots.txt");
        let response = match self.session.get(url.as_str()).send().await {
            Ok(response) => response,
            Err(error) => return (Robots::disallow_all(), format!("{url} could not be fetched ({error})")),
        };
        let status = response.status().as_u16();
        match status {
            200..=299 => match response.text().await {
                Ok(text) => (Robots::parse(&text, &self.robot_name), format!("{url} read")),
                Err(error) => (Robots::disallow_all(), format!("{url} could not be read ({error})")),
            },
            400..=499 => (Robots::allow_all(), format!("{url} answered {status}: no rules")),
            _ => (Robots::disallow_all(), format!("{url} answered {status}")),
        }
    }

    /// Why Douban refused the crawler, once it has.
    pub fn ban(&self) -> Option<String> {
        self.banned.borrow().clone()
    }

    /// Forgets the ban, so requests may start again: what a worker of a
    /// shared crawl does once the pause a ban set is over.
    pub fn lift_ban(&self) {
        self.banned.take();
    }

    /// Whether Douban has refused the crawler (checked before every request).
    pub fn is_banned(&self) -> bool {
        self.banned.borrow().is_some()
    }

    /// Every attempt, in the order they finished; the fetcher keeps none.
    pub fn take_bars(&self) -> Vec<Bar> {
        self.bars.take()
    }

    /// Fetches one page: waits for a slot, tries up to `1 + retries`
    /// times, then holds the slot for the jittered `--delay` (not after a
    /// ban answer: no request follows it to space out, and a shared crawl's
    /// workers should hear of the ban at once).
    pub async fn fetch(&self, kind: PageKind, label: &str, url: &str) -> Result<Page, FetchError> {
        let _slot = self.slots.acquire().await;
        let result = self.fetch_with_retries(kind, label, url).await;
        match result {
            Err(FetchError::Stopped) => return result,
            Err(FetchError::Banned(_)) => {
                self.stats.done.bump();
                return result;
            }
            Err(FetchError::Failed(_)) => self.stats.failed.bump(),
            Ok(_) => {}
        }
        self.stats.done.bump();
        if !self.delay.is_zero() && self.throttle.is_none() {
            self.pause(self.jitter.spread(self.delay)).await;
        }
        result
    }

    async fn fetch_with_retries(&self, kind: PageKind, label: &str, url: &str) -> Result<Page, FetchError> {
        let mut retry = 0;
        loop {
            // A ban seen by another page, or Ctrl-C, stops this one before
            // it asks.
            if let Some(throttle) = &self.throttle {
                throttle.gate().await;
            }
            if self.is_banned() || self.is_stopping() {
                return Err(FetchError::Stopped);
            }
            let started = self.stats.started.elapsed();
            self.stats.requests.bump();
            let (attempt, head) = {
                let _on_the_wire = self.stats.in_flight.hold();
                self.attempt(url).await
            };
            let bar = |outcome| Bar {
                kind,
                label: label.to_owned(),
                start: started,
                end: self.stats.started.elapsed(),
                head,
                parsed: None,
                wait: None,
                outcome,
            };
            match attempt {
                Attempt::Done(page) => {
                    let outcome = if matches!(page, Page::Missing) { Outcome::Missing } else { Outcome::Ok };
                    self.bars.borrow_mut().push(bar(outcome));
                    return Ok(page);
                }
                Attempt::Ban(reason) => {
                    self.bars.borrow_mut().push(bar(Outcome::Banned(reason.clone())));
                    self.banned.borrow_mut().get_or_insert(reason.clone());
                    return Err(FetchError::Banned(reason));
                }
                Attempt::Retry { why, wait } if retry < self.policy.retries => {
                    let retry_after = wait.is_some();
                    let wait = wait.unwrap_or_else(|| self.policy.backoff(retry, &self.jitter));
                    let waited = Wait { duration: wait, retry_after };
                    self.bars.borrow_mut().push(Bar { wait: Some(waited), ..bar(Outcome::Retried(why)) });
                    retry += 1;
                    self.stats.retries.bump();
                    self.pause(wait).await;
                }
                Attempt::Retry { why, .. } | Attempt::Fail(why) => {
                    let why = if retry > 0 { format!("{why} (after {retry} retries)") } else { why };
                    self.bars.borrow_mut().push(bar(Outcome::Failed(why.clone())));
                    return Err(FetchError::Failed(why));
                }
            }
        }
    }

    /// One request, following redirects by hand, and its body; with when
    /// the last response head was taken, for the timeline.
    async fn attempt(&self, url: &str) -> (Attempt, Option<Duration>) {
        let mut url = match Url::parse(url) {
            Ok(url) => url,
            Err(error) => return (Attempt::Fail(format!("bad url {url:?}: {error}")), None),
        };
        let mut head = None;
        for _ in 0..=MAX_REDIRECTS {
            let sent = std::time::Instant::now();
            let response = match self.session.get(url.clone()).send().await {
                Ok(response) => response,
                Err(error) => return (failure(error), head),
            };
            let latency = sent.elapsed();
            head = Some(self.stats.started.elapsed());
            let status = response.status().as_u16();
            self.tally.answer(status, latency);
            if let Some(throttle) = &self.throttle {
                throttle.observe(latency, matches!(status, 200..=299 | 404));
            }
            match status {
                301 | 302 | 303 | 307 | 308 => match redirect_target(&url, &response) {
                    Ok(next) if next.host_str() == SECURITY_HOST => {
                        return (Attempt::Ban(format!("{url} redirected to Douban's security check ({next})")), head);
                    }
                    Ok(next) => {
                        // Read the short redirect body so the connection
                        // goes back to the pool for the next hop.
                        let _ = response.bytes().await;
                        url = next;
                    }
                    Err(why) => return (Attempt::Fail(why), head),
                },
                _ => return (self.read_page(&url, response).await, head),
            }
        }
        (Attempt::Fail(format!("more than {MAX_REDIRECTS} redirects from {url}")), head)
    }

    /// Notes on the timeline that the page fetched as `label` has just been
    /// read (its fields extracted), after its last attempt.
    pub fn parsed(&self, label: &str) {
        let now = self.stats.started.elapsed();
        if let Some(bar) = self.bars.borrow_mut().iter_mut().rev().find(|bar| bar.label == label) {
            bar.parsed = Some(now);
        }
    }

    /// Sorts a non-redirect answer into page, retry, failure or ban.
    async fn read_page(&self, url: &Url, response: Response) -> Attempt {
        let status = response.status().as_u16();
        let wait = response.headers().get("retry-after").and_then(|value| retry_after(value, SystemTime::now()));
        match status {
            403 | 418 => return Attempt::Ban(format!("{url} answered {status} {}", response.reason())),
            404 => {
                // Read the short 404 page so the connection can be reused.
                let _ = response.bytes().await;
                return Attempt::Done(Page::Missing);
            }
            429 | 500..=599 => {
                let why = format!("{status} {}", response.reason());
                return match wait {
                    Some(wait) if wait > MAX_WAIT => {
                        Attempt::Fail(format!("{why}, and the server asked to wait {} s", wait.as_secs()))
                    }
                    _ => Attempt::Retry { why, wait },
                };
            }
            200..=299 => {}
            _ => return Attempt::Fail(format!("unexpected answer {status} {}", response.reason())),
        }
        match response.text().await {
            Ok(html) if extract::is_ban_notice(&html) => {
                Attempt::Ban(format!("{url} answered with Douban's \"abnormal requests from your IP\" page"))
            }
            Ok(html) => {
                self.tally.bytes.add(html.len());
                Attempt::Done(Page::Found(html))
            }
            Err(error) => failure(error),
        }
    }
}

/// Whether a client error is worth another try: the network's hiccups are
/// (refused or reset connections, timeouts, a body cut short), a bad URL or
/// certificate is not.
fn failure(error: http::Error) -> Attempt {
    let retryable =
        error.is_connect() || error.is_timeout() || matches!(error, http::Error::Io(_) | http::Error::Incomplete(_));
    if retryable { Attempt::Retry { why: error.to_string(), wait: None } } else { Attempt::Fail(error.to_string()) }
}

/// The absolute URL a redirect points at.
fn redirect_target(from: &Url, response: &Response) -> Result<Url, String> {
    let location = response.headers().get("location").ok_or_else(|| format!("{from}: a redirect without Location"))?;
    from.join(location).map_err(|error| format!("{from}: bad redirect to {location:?}: {error}"))
}
