//! The Top 250 crawl in one short file: the tutorial's asyncio + aiohttp
//! program on corio, to read before the full tool in `examples/top250/`.
//!
//! ```text
//! cargo run --example douban_mirror -- --port 8250 &     # the saved 2019 site on 127.0.0.1
//! cargo run --release --example top250_small -- http://127.0.0.1:8250
//! kill %1                                                 # stops the mirror
//! ```
//!
//! It fetches the 10 list pages at once, then the 250 movie pages they link
//! to, at most [`IN_FLIGHT`] at a time, and prints one line per movie in rank
//! order: `name score director language` as the tutorial's four regexes find
//! them, or `页面不存在` for a page the site no longer has. The elapsed time
//! comes last. These are the lines `top250` prints in its text format;
//! `top250` adds what a crawl of the live site needs (retries, ban
//! detection, a polite pace, other formats, a timeline).
//!
//! A movie page that cannot be fetched or read prints `error URL: why` in
//! its place, and a list page that cannot be fetched is reported on stderr
//! (it costs its 25 movies, not the crawl); either makes the exit status 1.
//! Without its one argument, the site's base URL, it exits with 2.

use std::process::ExitCode;
use std::rc::Rc;
use std::sync::LazyLock;
use std::time::Instant;

use corio::http::{Error, Session};
use corio::sync::Semaphore;
use regex::Regex;

/// Requests in flight at most. The tutorial sent every request at once; a
/// real site wants a bound (`top250` sends Douban 4 at a time). This one is
/// below the session's own limit of 100 connections, so the semaphore is
/// what bounds the crawl: at the mirror's 100 ms a round trip, the 250
/// movie pages take five round trips (`top250 --mirror`, 250 at once, one).
const IN_FLIGHT: usize = 50;

// The tutorial's patterns. They run on a page with every whitespace
// character removed, which is why `<div class="item">` reads
// `<divclass="item">`. On a list page, each movie is an item whose first
// link is the movie's page:
static LIST_ITEM: LazyLock<Regex> = LazyLock::new(|| pattern(r#"<divclass="item">.*?</div>"#));
static LINK: LazyLock<Regex> = LazyLock::new(|| pattern(r#"href="(.*?)""#));
// On a movie page, the four fields the line prints: the title, the score,
// the first director, and the language line as it is.
static NAME: LazyLock<Regex> = LazyLock::new(|| pattern(r#"name="title"value="(.*?)""#));
static SCORE: LazyLock<Regex> = LazyLock::new(|| pattern(r#"property="v:average">(.*?)<"#));
static DIRECTOR: LazyLock<Regex> = LazyLock::new(|| pattern(r#"rel="v:directedBy">(.*?)<"#));
static LANGUAGE: LazyLock<Regex> = LazyLock::new(|| pattern(r#"语言:</span>(.*?)<br/>"#));

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (Some(base_url), None) = (args.next(), args.next()) else {
        eprintln!("usage: top250_small BASE_URL    (the mirror's is http://127.0.0.1:8250)");
        return ExitCode::from(2);
    };
    let started = Instant::now();
    let all_fetched = corio::run(crawl(base_url.trim_end_matches('/').to_owned()));
    println!("elapsed {:.2} s", started.elapsed().as_secs_f64());
    if all_fetched { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

/// Crawls the list pages, then the movie pages, and prints each movie's
/// line in rank order; `false` if some page could not be had.
async fn crawl(base_url: String) -> bool {
    // One session for every request, so that connections are kept alive and
    // reused, and one semaphore that every request takes a slot from.
    let session = Session::new();
    let slots = Rc::new(Semaphore::new(IN_FLIGHT));
    let get = |url: String| fetch(session.clone(), Rc::clone(&slots), url);
    let mut all_fetched = true;

    // `gather` makes each future a task, so they all run at once, and gives
    // their results back in the order asked for, as asyncio.gather does. It
    // fails only if a task panics or is cancelled, which none here does.
    let list_urls = (0..10).map(|page| format!("{base_url}/top250?start={}&filter=", page * 25));
    let list_pages = corio::gather(list_urls.map(&get)).await.expect("no task panics");
    let mut movie_urls = Vec::new();
    for (page, html) in list_pages.into_iter().enumerate() {
        all_fetched &= html.is_ok();
        match html {
            Ok(html) => movie_urls.extend(movie_links(&html)),
            Err(error) => eprintln!("top250_small: list page {}: {error}", page + 1),
        }
    }

    // Each movie's task reads its page as soon as it arrives, while other
    // requests are still on the wire. A page that failed prints why instead.
    let movies = movie_urls.into_iter().map(|url| {
        let page = get(url.clone());
        async move { movie_line(&url, page.await) }
    });
    for line in corio::gather(movies).await.expect("no task panics") {
        all_fetched &= line.is_ok();
        let (Ok(text) | Err(text)) = line;
        println!("{text}");
    }
    all_fetched
}

/// One page's HTML, once a slot is free. The slot is given back when
/// `_slot` is dropped at the end of the function (`let _ = ...` would give
/// it back at once).
async fn fetch(session: Session, slots: Rc<Semaphore>, url: String) -> Result<String, Error> {
    let _slot = slots.acquire().await;
    session.get(&url).await?.raise_for_status()?.text().await
}

/// The movie URLs on a list page, in rank order.
fn movie_links(list_page: &str) -> Vec<String> {
    let page = strip_whitespace(list_page);
    LIST_ITEM.find_iter(&page).filter_map(|item| LINK.captures(item.as_str())).map(|link| link[1].to_owned()).collect()
}

/// The tutorial's line for one movie page: `Ok` with its four fields or
/// `页面不存在` (a 404), `Err` with what went wrong.
fn movie_line(url: &str, page: Result<String, Error>) -> Result<String, String> {
    let page = match page {
        Ok(html) => strip_whitespace(&html),
        Err(Error::Status { status: 404, .. }) => return Ok("页面不存在".to_owned()),
        Err(error) => return Err(format!("error {url}: {error}")),
    };
    let field = |pattern: &Regex| Some(pattern.captures(&page)?.get(1)?.as_str());
    match [&NAME, &SCORE, &DIRECTOR, &LANGUAGE].map(|pattern| field(pattern)) {
        [Some(name), Some(score), Some(director), Some(language)] => {
            Ok(format!("{name} {score} {director} {language}"))
        }
        _ => Err(format!("error {url}: the page lacks a field where the tutorial's patterns look")),
    }
}

/// The page without the characters Python's `re.sub(r'\s', '', page)`
/// removes: Unicode White_Space and the ASCII separators U+001C..U+001F.
fn strip_whitespace(page: &str) -> String {
    page.chars().filter(|&c| !c.is_whitespace() && !('\u{1c}'..='\u{1f}').contains(&c)).collect()
}

/// Compiles one of the patterns above; they are constants, so a typo is a
/// bug the first run finds, not something the network can cause.
fn pattern(source: &str) -> Regex {
    Regex::new(source).unwrap_or_else(|error| panic!("pattern {source:?} does not compile: {error}"))
}
