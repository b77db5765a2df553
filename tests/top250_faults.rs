//! The Top 250 crawler (`examples/top250`) against a Douban that misbehaves.
//!
//! A server on 127.0.0.1 serves the real 2019 pages from the mirror's own
//! page store (`common::douban::site`), the pages
//! `tests/fixtures/douban/2019/expected.jsonl` was computed from, and a
//! script per test decides, request by request, to answer normally or with a
//! fault: a body cut short, an answer slower than `--timeout`, a 5xx or 429
//! (with or without `Retry-After`), or one of Douban's four ban answers. Each
//! test then checks what the crawler wrote (JSON lines, compared field by
//! field with `expected.jsonl`), its stderr summary, its exit status, and
//! which requests reached the server.
//!
//! Faults are decided by page and by attempt at that page, never by arrival
//! order across pages (which depends on scheduling), so the same faults are
//! injected on every run. The server logs every answer it chose, and the
//! tests compare the faults it injected with the retries the crawler reports.

mod common;

use std::borrow::Cow;
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use common::douban::site::{Page, Site, gunzip};
use common::douban::{assert_as_saved, expected, json_lines, rank_of, subject_of};
use common::examples::run_example;
use common::http::{Conn, Received, TestServer};
use regex::Regex;
use serde_json::Value;

/// Douban's 404 page, abridged.
const NOT_FOUND_PAGE: &str =
    "<html><head><title>页面不存在</title></head><body>呃... 你想访问的页面不存在。</body></html>";

/// Douban's block notice, served with status 200 instead of the page asked for.
const BAN_NOTICE: &str = "<html><head><title>禁止访问</title></head><body><div id=\"content\">\
    <p>检测到有异常请求从你的 IP 发出，请 <a href=\"https://www.douban.com/accounts/login\">登录</a> 使用豆瓣。</p>\
    </div></body></html>";

/// A page the crawler can ask for, as the fault scripts name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Target {
    /// `/top250?start=N&filter=`, by its `start`.
    List(usize),
    /// `/subject/ID/`, by the movie's rank.
    Movie(usize),
    /// `/robots.txt`, answered apart from the script (see
    /// [`FaultyDouban::with_robots`]) and not logged.
    Robots,
    /// Anything else.
    Other,
}

impl Target {
    /// The page a request target such as `/subject/1292052/` asks for.
    /// Which bytes answer it is the mirror's business ([`Site::page`]); this
    /// only names the page so a script can pick it out.
    fn of(path: &str) -> Target {
        if path == "/robots.txt" {
            return Target::Robots;
        }
        if let Some(query) = path.strip_prefix("/top250?") {
            let start = query.split('&').find_map(|pair| pair.strip_prefix("start="));
            return start.and_then(|start| start.parse().ok()).map_or(Target::Other, Target::List);
        }
        let subject = path.strip_prefix("/subject/").map(|rest| rest.trim_end_matches('/'));
        // A linear search of 250 lines per request costs nothing next to
        // the request itself, and needs no second table kept beside them.
        match subject.and_then(|subject| expected().iter().find(|line| subject_of(line) == subject)) {
            Some(line) => Target::Movie(rank_of(line)),
            None => Target::Other,
        }
    }
}

/// One request as a fault script sees it.
struct Ask {
    /// The page asked for.
    target: Target,
    /// 1 for the first request for this page, 2 for its first retry, ...
    attempt: usize,
    /// Which movie request this is in arrival order, from 1; 0 for others.
    movie_request: usize,
}

/// How the server answers one request.
#[derive(Clone, Debug)]
enum Answer {
    /// The saved page with 200, or Douban's 404 page for a movie without one.
    Page,
    /// [`Answer::Page`] after a pause; longer than `--timeout`, the
    /// crawler gives up first.
    Late(Duration),
    /// The page's head with its full Content-Length, half its body, then
    /// the connection closed.
    CutShort,
    /// A short answer of its own.
    Status {
        /// The status code.
        status: u16,
        /// The reason phrase.
        reason: &'static str,
        /// Extra header lines, each ending in CRLF.
        headers: String,
        /// The body.
        body: &'static str,
    },
}

impl Answer {
    /// A status line with an empty body and no extra headers.
    fn status(status: u16, reason: &'static str) -> Answer {
        Answer::Status { status, reason, headers: String::new(), body: "" }
    }

    /// This answer with one more header line.
    fn header(mut self, name: &str, value: &str) -> Answer {
        if let Answer::Status { headers, .. } = &mut self {
            headers.push_str(&format!("{name}: {value}\r\n"));
        }
        self
    }

    /// This answer with `body`.
    fn body(mut self, text: &'static str) -> Answer {
        if let Answer::Status { body, .. } = &mut self {
            *body = text;
        }
        self
    }

    /// Whether this is anything but the page served normally.
    fn is_fault(&self) -> bool {
        !matches!(self, Answer::Page)
    }
}

/// One answer the server chose, in the order it chose them.
#[derive(Clone, Debug)]
struct Served {
    /// When the request was read (before the script ran).
    at: Instant,
    /// The page asked for.
    target: Target,
    /// 1 for the first request for this page, 2 for its first retry, ...
    attempt: usize,
    /// What the script answered.
    answer: Answer,
    /// The request's User-Agent.
    agent: String,
}

/// The 2019 pages on 127.0.0.1, with faults where a script puts them.
///
/// It runs on [`TestServer`]: one std thread per connection, each serving
/// requests until the client closes (keep-alive), so a late answer holds up
/// only its own connection. Every request's answer is chosen and logged
/// under one lock, so attempts and arrival numbers never race. The pages
/// themselves come from the mirror's [`Site`], loaded once per server.
struct FaultyDouban {
    /// The server, for its address.
    server: TestServer,
    /// Every answer chosen so far.
    served: Arc<Mutex<Vec<Served>>>,
}

impl FaultyDouban {
    /// Starts the server; `script` picks the answer to each request. It
    /// has no robots.txt (a 404, which allows everything).
    fn start(script: impl Fn(&Ask) -> Answer + Send + Sync + 'static) -> FaultyDouban {
        FaultyDouban::with_robots(None, script)
    }

    /// [`FaultyDouban::start`], serving `robots` as `/robots.txt` if given.
    fn with_robots(
        robots: Option<&'static str>,
        script: impl Fn(&Ask) -> Answer + Send + Sync + 'static,
    ) -> FaultyDouban {
        let served: Arc<Mutex<Vec<Served>>> = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&served);
        // The list pages' links must name the server's own origin, which is
        // known only once it has bound its port; so the site is filled in
        // just after the start, before `start` returns and any crawler can
        // connect. (Loading it lazily in a handler would work too, but a
        // fixture error would then panic on a server thread, where the test
        // sees only a crawler that failed.)
        let site: Arc<OnceLock<Site>> = Arc::new(OnceLock::new());
        let pages = Arc::clone(&site);
        let server = TestServer::start(move |mut conn: Conn| {
            // Head and body go out as two writes; without this, Nagle's
            // algorithm could hold the body back until the head is acked.
            let _ = conn.stream.set_nodelay(true);
            let site = pages.get().expect("the site is loaded before the server is handed out");
            while let Some(request) = conn.read_request() {
                let path = request.request_line().split(' ').nth(1).unwrap_or_default();
                let target = Target::of(path);
                if target == Target::Robots {
                    let (status, reason, body) = match robots {
                        Some(text) => (200, "OK", text),
                        None => (404, "Not Found", NOT_FOUND_PAGE),
                    };
                    conn.send(response_head(status, reason, "", body.len()).as_bytes());
                    conn.send(body.as_bytes());
                    continue;
                }
                let answer = {
                    let mut served = log.lock().unwrap();
                    let at = Instant::now();
                    let attempt = 1 + served.iter().filter(|done| done.target == target).count();
                    let movie_request = match target {
                        Target::Movie(_) => {
                            1 + served.iter().filter(|done| matches!(done.target, Target::Movie(_))).count()
                        }
                        _ => 0,
                    };
                    let answer = script(&Ask { target, attempt, movie_request });
                    let agent = request.header("user-agent").unwrap_or_default().to_owned();
                    served.push(Served { at, target, attempt, answer: answer.clone(), agent });
                    answer
                };
                match answer {
                    Answer::Page => send_page(&mut conn, site, &request, path),
                    Answer::Late(pause) => {
                        thread::sleep(pause);
                        send_page(&mut conn, site, &request, path);
                    }
                    Answer::CutShort => {
                        let (head, body) = page(site, &request, path);
                        conn.send(head.as_bytes());
                        conn.send(&body[..body.len() / 2]);
                        // Dropping the connection closes it mid-body.
                        return;
                    }
                    Answer::Status { status, reason, headers, body } => {
                        conn.send(response_head(status, reason, &headers, body.len()).as_bytes());
                        conn.send(body.as_bytes());
                    }
                }
            }
        });
        let origin = server.url("");
        let loaded = Site::load_2019(&origin).unwrap_or_else(|error| panic!("load the 2019 pages: {error}"));
        assert!(site.set(loaded).is_ok(), "the site is loaded once");
        FaultyDouban { server, served }
    }

    /// `http://127.0.0.1:PORT`, the crawler's `--base-url`.
    fn base_url(&self) -> String {
        self.server.url("")
    }

    /// Every answer chosen so far.
    fn served(&self) -> Vec<Served> {
        self.served.lock().unwrap().clone()
    }

    /// The answers chosen for `target`, attempt by attempt.
    fn served_for(&self, target: Target) -> Vec<Served> {
        self.served().into_iter().filter(|done| done.target == target).collect()
    }

    /// Runs the crawler against this server, JSON lines on stdout, with
    /// `args` after the base URL and format.
    fn crawl(&self, args: &[&str]) -> Crawl {
        let base_url = self.base_url();
        let mut all = vec!["--base-url", &base_url, "--format", "jsonl", "--seed", "250"];
        all.extend_from_slice(args);
        let output = run_example("top250", &all);
        let records = json_lines(&String::from_utf8(output.stdout).expect("UTF-8 records"));
        Crawl { code: output.status.code(), records, stderr: String::from_utf8_lossy(&output.stderr).into_owned() }
    }
}

/// The page at `path` as head and body, as the mirror serves it: a list
/// page (links already pointing at this server), a movie page, or Douban's
/// 404 page. A movie page goes out gzip-compressed as stored when the
/// request accepts gzip, as movie.douban.com sends it; the crawler's client
/// does, so no page is copied per request.
fn page<'a>(site: &'a Site, request: &Received, path: &str) -> (String, Cow<'a, [u8]>) {
    let accepts_gzip = request
        .header("accept-encoding")
        .is_some_and(|codings| codings.split(',').any(|coding| coding.trim().starts_with("gzip")));
    let (status, reason, encoding, body) = match site.page(path) {
        Page::Plain(html) => (200, "OK", "", Cow::Borrowed(html)),
        Page::Gzipped(compressed) if accepts_gzip => {
            (200, "OK", "Content-Encoding: gzip\r\n", Cow::Borrowed(compressed))
        }
        Page::Gzipped(compressed) => (200, "OK", "", Cow::Owned(gunzip(compressed).expect("a saved page gunzips"))),
        Page::NotFound => (404, "Not Found", "", Cow::Borrowed(NOT_FOUND_PAGE.as_bytes())),
    };
    (response_head(status, reason, encoding, body.len()), body)
}

/// Sends the page at `path` whole (see [`page`]); the connection stays open.
fn send_page(conn: &mut Conn, site: &Site, request: &Received, path: &str) {
    let (head, body) = page(site, request, path);
    conn.send(head.as_bytes());
    conn.send(&body);
}

/// The head of an HTTP/1.1 answer with a `length`-byte HTML body; `headers`
/// are extra header lines, each ending in CRLF.
fn response_head(status: u16, reason: &str, headers: &str, length: usize) -> String {
    format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {length}\r\n{headers}\r\n"
    )
}

/// What one crawler run left behind.
struct Crawl {
    /// The exit status.
    code: Option<i32>,
    /// stdout's JSON lines, in the order written.
    records: Vec<Value>,
    /// Everything on stderr.
    stderr: String,
}

/// The numbers of the crawler's summary line.
#[derive(Debug, PartialEq, Eq)]
struct Summary {
    /// Movies whose four fields were found.
    movies: usize,
    /// Movies whose page was missing.
    missing: usize,
    /// Movies whose page failed.
    failed: usize,
    /// List pages that gave no movies.
    lists_failed: usize,
    /// Requests sent, retries included.
    requests: usize,
    /// Requests that were retries.
    retries: usize,
}

impl Crawl {
    /// The summary line, `top250: 249 movies, 1 missing, 0 failed, 0 list
    /// pages failed in 0.23 s; 260 requests, 3 retries`.
    fn summary(&self) -> Summary {
        let pattern = Regex::new(
            r"(?m)^top250: (\d+) movies, (\d+) missing, (\d+) failed, (\d+) list pages failed in \d+\.\d\d s; (\d+) requests, (\d+) retries$",
        )
        .unwrap();
        let numbers = pattern.captures(&self.stderr).unwrap_or_else(|| panic!("no summary in {}", self.stderr));
        let number = |group: usize| numbers[group].parse().unwrap();
        Summary {
            movies: number(1),
            missing: number(2),
            failed: number(3),
            lists_failed: number(4),
            requests: number(5),
            retries: number(6),
        }
    }

    /// The ranks written, in order.
    fn ranks(&self) -> Vec<usize> {
        self.records.iter().map(rank_of).collect()
    }

    /// The record for `rank`.
    fn record(&self, rank: usize) -> &Value {
        self.records.iter().find(|record| rank_of(record) == rank).unwrap_or_else(|| panic!("no record for {rank}"))
    }

    /// How many records the ban message says were kept.
    fn kept(&self) -> usize {
        let pattern = Regex::new(r"; the (\d+) records fetched before are kept\.").unwrap();
        let kept = pattern.captures(&self.stderr).unwrap_or_else(|| panic!("no ban message in {}", self.stderr));
        kept[1].parse().unwrap()
    }
}

/// Asserts that the crawl wrote exactly `ranks`, in that order, each as
/// saved.
fn assert_all_as_saved(crawl: &Crawl, ranks: impl IntoIterator<Item = usize>, base_url: &str) {
    assert_eq!(crawl.ranks(), ranks.into_iter().collect::<Vec<_>>(), "{}", crawl.stderr);
    for record in &crawl.records {
        assert_as_saved(record, base_url);
    }
}

/// Asserts that `rank`'s record is an `error` whose text is `error`.
fn assert_error(crawl: &Crawl, rank: usize, error: &str) {
    let record = crawl.record(rank);
    assert_eq!(record["status"], "error", "{record}");
    assert_eq!(record["error"], error, "{record}");
}

/// Every rank but `left_out`, in order.
fn ranks_except(left_out: &[usize]) -> impl Iterator<Item = usize> {
    (1..=250).filter(move |rank| !left_out.contains(rank))
}

#[test]
fn cut_short_bodies_late_answers_and_a_503_burst_are_retried_until_every_page_matches_the_saved_crawl() {
    let late = Duration::from_millis(2500);
    let douban = FaultyDouban::start(move |ask| match (ask.target, ask.attempt) {
        // A list page too is retried.
        (Target::List(50), 1) => Answer::CutShort,
        // The first 20 movies answer 503 at first, asking for no wait ...
        (Target::Movie(rank), 1) if rank <= 20 => Answer::status(503, "Service Unavailable").header("Retry-After", "0"),
        // ... and every fifth movie's body is cut short, after the 503 for
        // the four in the burst: those need two retries.
        (Target::Movie(rank), attempt) if rank % 5 == 0 && attempt == if rank <= 20 { 2 } else { 1 } => {
            Answer::CutShort
        }
        // Three answers come later than `--timeout 2` (not 1: a debug
        // crawler on a busy machine must not time out on a normal page).
        (Target::Movie(33 | 66 | 99), 1) => Answer::Late(late),
        _ => Answer::Page,
    });
    let crawl = douban.crawl(&["--concurrency", "16", "--retries", "3", "--backoff-ms", "1", "--timeout", "2"]);

    assert_eq!(crawl.code, Some(0), "{}", crawl.stderr);
    assert_all_as_saved(&crawl, 1..=250, &douban.base_url());
    let served = douban.served();
    let faults = served.iter().filter(|done| done.answer.is_fault()).count();
    // 1 list page + 20 in the burst + 50 fifth movies + 3 late ones.
    assert_eq!(faults, 74);
    assert_eq!(
        crawl.summary(),
        Summary { movies: 249, missing: 1, failed: 0, lists_failed: 0, requests: 260 + faults, retries: faults },
        "one retry per fault, and no request the server did not see"
    );
    assert_eq!(served.len(), 260 + faults);
    // Each page was asked for once more than it was faulted: no retry was
    // spent on a page that had answered.
    for done in served.iter().filter(|done| !done.answer.is_fault()) {
        let faulted = served.iter().filter(|other| other.target == done.target && other.answer.is_fault()).count();
        assert_eq!(done.attempt, faulted + 1, "{:?}", done.target);
    }
}

#[test]
fn retry_after_is_waited_for_in_seconds_or_until_a_date_and_a_wait_over_a_minute_fails_the_page() {
    let douban = FaultyDouban::start(|ask| match (ask.target, ask.attempt) {
        (Target::Movie(1), 1) => Answer::status(429, "Too Many Requests").header("Retry-After", "1"),
        (Target::Movie(2), 1) => {
            // The date has whole seconds, so this is a wait of 1 to 2 s.
            let when = corio::http::format_http_date(SystemTime::now() + Duration::from_secs(2));
            Answer::status(503, "Service Unavailable").header("Retry-After", &when)
        }
        (Target::Movie(3), _) => Answer::status(429, "Too Many Requests").header("Retry-After", "120"),
        (Target::Movie(4), _) => {
            let when = corio::http::format_http_date(SystemTime::now() + Duration::from_secs(3600));
            Answer::status(503, "Service Unavailable").header("Retry-After", &when)
        }
        _ => Answer::Page,
    });
    let crawl = douban.crawl(&["--concurrency", "16", "--retries", "3", "--backoff-ms", "1", "--quiet"]);

    assert_eq!(crawl.code, Some(1), "{}", crawl.stderr);
    // The retries came after the wait asked for; `--backoff-ms 1` alone
    // would have sent them within milliseconds.
    for rank in [1, 2] {
        let attempts = douban.served_for(Target::Movie(rank));
        assert_eq!(attempts.len(), 2, "rank {rank}: {attempts:?}");
        let waited = attempts[1].at - attempts[0].at;
        assert!(waited >= Duration::from_secs(1) && waited < Duration::from_secs(5), "rank {rank} waited {waited:?}");
        assert_as_saved(crawl.record(rank), &douban.base_url());
    }
    // A wait beyond a minute is not waited for, nor retried.
    assert_eq!(douban.served_for(Target::Movie(3)).len(), 1);
    assert_error(&crawl, 3, "429 Too Many Requests, and the server asked to wait 120 s");
    assert_eq!(douban.served_for(Target::Movie(4)).len(), 1);
    let error = crawl.record(4)["error"].as_str().unwrap_or_default();
    let wait: u64 = error
        .strip_prefix("503 Service Unavailable, and the server asked to wait ")
        .and_then(|rest| rest.strip_suffix(" s"))
        .and_then(|seconds| seconds.parse().ok())
        .unwrap_or_else(|| panic!("rank 4: {error:?}"));
    assert!((3590..=3600).contains(&wait), "{error}");
    // Every other page is as saved.
    assert_eq!(crawl.ranks(), (1..=250).collect::<Vec<_>>());
    for record in crawl.records.iter().filter(|record| ![3, 4].contains(&rank_of(record))) {
        assert_as_saved(record, &douban.base_url());
    }
}

#[test]
fn a_page_that_always_fails_is_an_error_record_after_exactly_the_retries_asked_for() {
    let douban = FaultyDouban::start(|ask| match ask.target {
        Target::Movie(10) => Answer::status(500, "Internal Server Error"),
        _ => Answer::Page,
    });
    let crawl = douban.crawl(&["--concurrency", "16", "--retries", "2", "--backoff-ms", "1"]);

    assert_eq!(crawl.code, Some(1), "{}", crawl.stderr);
    assert_eq!(douban.served_for(Target::Movie(10)).len(), 1 + 2);
    assert_error(&crawl, 10, "500 Internal Server Error (after 2 retries)");
    assert_eq!(
        crawl.summary(),
        Summary { movies: 248, missing: 1, failed: 1, lists_failed: 0, requests: 262, retries: 2 }
    );
    assert_eq!(crawl.ranks(), (1..=250).collect::<Vec<_>>());
    for record in crawl.records.iter().filter(|record| rank_of(record) != 10) {
        assert_as_saved(record, &douban.base_url());
    }
}

#[test]
fn a_list_page_that_fails_loses_only_its_25_movies() {
    let douban = FaultyDouban::start(|ask| match ask.target {
        Target::List(25) => Answer::status(500, "Internal Server Error"),
        _ => Answer::Page,
    });
    let crawl = douban.crawl(&["--concurrency", "16", "--retries", "1", "--backoff-ms", "1"]);

    assert_eq!(crawl.code, Some(1), "{}", crawl.stderr);
    assert_eq!(douban.served_for(Target::List(25)).len(), 2);
    assert!(
        crawl.stderr.lines().any(|line| line == "top250: list page 2: 500 Internal Server Error (after 1 retries)"),
        "{}",
        crawl.stderr
    );
    let lost: Vec<usize> = (26..=50).collect();
    assert_all_as_saved(&crawl, ranks_except(&lost), &douban.base_url());
    assert!(douban.served().iter().all(|done| !matches!(done.target, Target::Movie(26..=50))));
    assert_eq!(
        crawl.summary(),
        Summary { movies: 224, missing: 1, failed: 0, lists_failed: 1, requests: 236, retries: 1 }
    );
}

/// Movie pages served normally before the ban in the sync ban tests.
const SERVED_BEFORE_BAN: usize = 3;

/// Crawls in sync mode, answering `ban` to the movie request after the
/// first [`SERVED_BEFORE_BAN`], and checks that the crawl stopped right
/// there: the records before it are kept as saved, the refused page is an
/// error record, stderr says why it stopped (`reason` is the text between
/// the parentheses, `{url}` standing for the refused page's URL), no
/// request followed, and the exit status is 3.
fn assert_sync_crawl_stops_at(ban: Answer, reason: &str) {
    let douban =
        FaultyDouban::start(move |ask| if ask.movie_request > SERVED_BEFORE_BAN { ban.clone() } else { Answer::Page });
    let crawl = douban.crawl(&["--mode", "sync", "--retries", "3", "--backoff-ms", "1"]);

    assert_eq!(crawl.code, Some(3), "{}", crawl.stderr);
    let refused = SERVED_BEFORE_BAN + 1;
    let url = format!("{}/subject/{}/", douban.base_url(), subject_of(&expected()[refused - 1]));
    let reason = reason.replace("{url}", &url);
    assert_eq!(crawl.ranks(), (1..=refused).collect::<Vec<_>>());
    for record in &crawl.records[..SERVED_BEFORE_BAN] {
        assert_as_saved(record, &douban.base_url());
    }
    assert_error(&crawl, refused, &reason);
    // The summary, then the ban, and nothing else (no connect error from
    // following a redirect, no failed page) besides the closing stats.
    let lines: Vec<&str> = crawl.stderr.lines().filter(|line| !line.starts_with("top250: stats: ")).collect();
    assert_eq!(lines.len(), 2, "{}", crawl.stderr);
    assert_eq!(
        crawl.summary(),
        Summary {
            movies: SERVED_BEFORE_BAN,
            missing: 0,
            failed: 1,
            lists_failed: 0,
            requests: 10 + refused,
            retries: 0
        }
    );
    assert_eq!(
        lines[1],
        format!(
            "top250: stopped: Douban refused the crawler ({reason}); the {refused} records fetched before are kept. \
             Wait before trying again, with a lower --concurrency or a --delay."
        )
    );
    // The ban answer was the last request: not retried, nothing after it.
    let served = douban.served();
    assert_eq!(served.len(), 10 + refused);
    assert!(matches!(served.last(), Some(Served { target: Target::Movie(rank), .. }) if *rank == refused));
}

#[test]
fn a_403_stops_the_crawl_and_keeps_what_came_before() {
    assert_sync_crawl_stops_at(Answer::status(403, "Forbidden").body(BAN_NOTICE), "{url} answered 403 Forbidden");
}

#[test]
fn a_418_stops_the_crawl_and_keeps_what_came_before() {
    assert_sync_crawl_stops_at(Answer::status(418, "I'm a teapot"), "{url} answered 418 I'm a teapot");
}

#[test]
fn a_redirect_to_the_security_check_stops_the_crawl_without_following_it() {
    let location = "https://sec.douban.com/b?r=https%3A%2F%2Fmovie.douban.com%2F";
    assert_sync_crawl_stops_at(
        Answer::status(302, "Found").header("Location", location),
        &format!("{{url}} redirected to Douban's security check ({location})"),
    );
}

#[test]
fn the_abnormal_requests_page_stops_the_crawl_though_its_status_is_200() {
    assert_sync_crawl_stops_at(
        Answer::status(200, "OK").body(BAN_NOTICE),
        "{url} answered with Douban's \"abnormal requests from your IP\" page",
    );
}

#[test]
fn a_ban_on_a_list_page_stops_the_crawl_before_any_movie() {
    let douban = FaultyDouban::start(|ask| match ask.target {
        Target::List(25) => Answer::status(403, "Forbidden"),
        _ => Answer::Page,
    });
    let crawl = douban.crawl(&["--mode", "sync", "--backoff-ms", "1"]);

    assert_eq!(crawl.code, Some(3), "{}", crawl.stderr);
    // Only list pages 1 and 2 were asked for, and no movie was.
    let served: Vec<Target> = douban.served().iter().map(|done| done.target).collect();
    assert_eq!(served, [Target::List(0), Target::List(25)]);
    assert_eq!(crawl.records, Vec::<Value>::new());
    assert_eq!(crawl.kept(), 0);
}

#[test]
fn an_async_crawl_stops_at_a_ban_and_keeps_every_page_fetched_before_it() {
    // Every movie request after the first 30 to arrive is refused.
    const ALLOWED: usize = 30;
    const CONCURRENCY: usize = 8;
    let douban = FaultyDouban::start(|ask| match ask.movie_request {
        0..=ALLOWED => Answer::Page,
        _ => Answer::status(403, "Forbidden"),
    });
    let crawl = douban.crawl(&["--concurrency", &CONCURRENCY.to_string(), "--backoff-ms", "1"]);

    assert_eq!(crawl.code, Some(3), "{}", crawl.stderr);
    // Which answers the crawler had read when it read the first 403 depends
    // on scheduling; what follows from it does not. At that moment at most
    // CONCURRENCY requests were unfinished (one per slot, the 403 among
    // them), and no request starts after it. So the server saw the
    // ALLOWED pages plus at most CONCURRENCY more requests...
    let served = douban.served();
    let movie_requests = served.iter().filter(|done| matches!(done.target, Target::Movie(_))).count();
    assert!((ALLOWED + 1..=ALLOWED + CONCURRENCY).contains(&movie_requests), "{movie_requests} movie requests");
    // ... and every page that had finished before the ban must be kept.
    // The slack of CONCURRENCY is for the requests unfinished at the ban:
    // the refused ones, which become error records, not kept ones, and
    // pages whose answers were still arriving when the ban cancelled their
    // tasks. Those pages are lost: a cancelled page leaves no record, since
    // an error record would blame a page that Douban never refused.
    let (errors, kept): (Vec<&Value>, Vec<&Value>) =
        crawl.records.iter().partition(|record| record["status"] == "error");
    assert!(kept.len() + CONCURRENCY >= movie_requests, "kept {} of {movie_requests}", kept.len());
    for record in &kept {
        assert_as_saved(record, &douban.base_url());
        let answers = douban.served_for(Target::Movie(rank_of(record)));
        assert!(matches!(answers[..], [Served { answer: Answer::Page, .. }]), "rank {}", rank_of(record));
    }
    // The refused page that stopped the crawl is an error record, as in
    // sync mode; an error record is only ever for a page that was refused.
    assert!(!errors.is_empty(), "no error record for the refused page");
    for error in &errors {
        let url = format!("{}/subject/{}/", douban.base_url(), subject_of(error));
        assert_eq!(error["error"], format!("{url} answered 403 Forbidden"));
        let answers = douban.served_for(Target::Movie(rank_of(error)));
        assert!(matches!(answers[..], [Served { answer: Answer::Status { status: 403, .. }, .. }]), "{error}");
    }
    let ranks = crawl.ranks();
    assert!(ranks.windows(2).all(|pair| pair[0] < pair[1]), "not in rank order: {ranks:?}");
    assert_eq!(crawl.kept(), crawl.records.len());
}

#[test]
fn robots_txt_is_obeyed_for_the_crawlers_own_name_and_said_when_ignored() {
    // The `*` group would forbid every movie; the group for the name in
    // --user-agent forbids only rank 2's page.
    const ROBOTS: &str = "User-agent: *\nDisallow: /subject/\n\nUser-agent: mybot\nDisallow: /subject/1291546/\n";
    let douban = FaultyDouban::with_robots(Some(ROBOTS), |_| Answer::Page);
    let crawl = douban.crawl(&["--concurrency", "16", "--user-agent", "MyBot/2.0 (+https://example.com)"]);

    assert_eq!(crawl.code, Some(1), "a forbidden page is a failed one: {}", crawl.stderr);
    assert_error(&crawl, 2, "forbidden by robots.txt");
    assert!(douban.served().iter().all(|done| done.target != Target::Movie(2)), "rank 2 was never asked for");
    assert!(douban.served().iter().all(|done| done.agent == "MyBot/2.0 (+https://example.com)"));
    assert_eq!(
        crawl.summary(),
        Summary { movies: 248, missing: 1, failed: 1, lists_failed: 0, requests: 259, retries: 0 }
    );
    assert!(crawl.stderr.contains(&format!("top250: stats: robots.txt: {}/robots.txt read", douban.base_url())));

    // The browser's User-Agent names no product the file knows: `*` applies.
    let forbidden = FaultyDouban::with_robots(Some(ROBOTS), |_| Answer::Page).crawl(&["--concurrency", "16"]);
    assert_eq!(forbidden.records.iter().filter(|record| record["error"] == "forbidden by robots.txt").count(), 250);

    let ignoring = FaultyDouban::with_robots(Some(ROBOTS), |_| Answer::Page);
    let crawl = ignoring.crawl(&["--concurrency", "16", "--ignore-robots"]);
    assert_eq!(crawl.code, Some(0), "{}", crawl.stderr);
    assert_all_as_saved(&crawl, 1..=250, &ignoring.base_url());
    let notice =
        format!("top250: --ignore-robots: not reading robots.txt; make sure {} allows this crawl", ignoring.base_url());
    assert!(crawl.stderr.lines().any(|line| line == notice), "{}", crawl.stderr);
}

#[test]
fn a_robots_txt_that_forbids_the_list_counts_every_list_page_as_failed() {
    let douban = FaultyDouban::with_robots(Some("User-agent: *\nDisallow: /top250\n"), |_| Answer::Page);
    let crawl = douban.crawl(&[]);
    assert_eq!(crawl.code, Some(1), "{}", crawl.stderr);
    assert!(crawl.records.is_empty());
    assert!(douban.served().is_empty(), "only robots.txt was asked for");
    assert_eq!(
        crawl.summary(),
        Summary { movies: 0, missing: 0, failed: 0, lists_failed: 10, requests: 0, retries: 0 }
    );
    assert!(
        crawl.stderr.lines().any(|line| line == "top250: list page 1: forbidden by robots.txt"),
        "{}",
        crawl.stderr
    );
}
