//! `crawl`: the tutorial's Douban Top 250 crawl of the offline mirror
//! (`examples/douban_mirror`, built in release and run in its own process,
//! every answer 100 ms late): the 10 list pages at once, then the 250 movie
//! pages they link to at once, each page's name, score, director and
//! language found as the tutorial's four regexes find them, on the page
//! with its whitespace removed.
//!
//! Each crawl prints or returns its 250 lines in rank order, and the bench
//! checks them against `tests/fixtures/douban/2019/expected.jsonl`: 249
//! movies with all four fields right, and the one page the mirror answers
//! 404 (rank 247) as `页面不存在`. `n` is the crawls' count of pages; it
//! cannot change.
//!
//! - `corio`: the real crawler, `examples/top250` built in release, as a
//!   program: `--base-url <mirror> --concurrency 250 --ignore-robots`
//!   (250 is its default against `--mirror`; with `--base-url` it is 4, a
//!   polite pace for the live site). `secs` is its wall time as a process,
//!   `cpu` its user+sys.
//! - `reqwest`: the same crawl on tokio current_thread and reqwest with
//!   gzip, every page at once, the fields found with a small hand-written
//!   scan on the loop's thread.
//! - `aiohttp`: the tutorial's asyncio + aiohttp program (`bench/crawl_aiohttp.py`),
//!   its connector's limit raised from aiohttp's default 100 to the same
//!   250, run with the interpreter in `CORIO_BENCH_PYTHON` (default
//!   `python3` with `PYENV_VERSION=3.13.0`); skipped when it cannot import
//!   aiohttp. Its wall time and CPU as a process.
//!
//! `floor` is two round trips at the mirror's latency (list pages, then
//! movie pages: 0.2 s); nothing else is counted in it, so connecting,
//! transfer, decompression and parsing are all in `over_floor` (`secs /
//! floor`). `server_cpu` is the mirror's user+sys over the span. For the
//! two crawls run as programs, `cpu` is the program's own (from `wait4`),
//! `child_rss_kb` its peak RSS (`rss_kb` stays the bench's), and `own_secs`
//! the elapsed time it printed itself, which leaves out its start (for
//! Python, the interpreter's and aiohttp's import).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;
use std::rc::Rc;
use std::time::Duration;

use super::servers::{Mirror, build_example, process_cpu_secs, repo_dir, run_measured, skip};
use super::{Outcome, Workload, check};
use crate::measure::{Span, Stopwatch};

pub const WORKLOAD: Workload =
    Workload { name: "crawl", default_n: PAGES, smoke_n: PAGES, runtimes: &["corio", "reqwest", "aiohttp"], run };

/// The mirror's answer latency.
const LATENCY_MS: u64 = 100;

/// Movie pages in the Top 250; one (rank 247) is gone from the mirror.
const PAGES: u64 = 250;

/// List pages, 25 movies each.
const LIST_PAGES: u64 = 10;

/// What the tutorial prints for a page that does not exist.
const MISSING: &str = "页面不存在";

/// The interpreter for the aiohttp program, when not `python3`.
const PYTHON_VAR: &str = "CORIO_BENCH_PYTHON";

fn run(runtime: &str, n: u64) -> Result<Outcome, String> {
    check("--n for the crawl (the Top 250 has 250 pages)", n, PAGES)?;
    let expected = expected_lines()?;
    // Build and find what each needs before the mirror starts.
    let program: Option<Command> = match runtime {
        "corio" => Some(Command::new(build_example("top250")?)),
        "aiohttp" => Some(python_with_aiohttp().unwrap_or_else(|why| skip(runtime, "crawl", &why))),
        _ => None,
    };
    let mirror = Mirror::start(LATENCY_MS)?;
    let server_before = process_cpu_secs(mirror.pid())?;
    let (span, child_rss_kb, lines): (Span, Option<u64>, Vec<String>) = match (runtime, program) {
        ("corio", Some(mut top250)) => {
            top250.args(["--base-url", &mirror.base_url, "--concurrency", &PAGES.to_string(), "--ignore-robots"]);
            let run = run_measured(&mut top250)?;
            check("top250's summary", movies_in_summary(&run.stderr), Some(PAGES - 1))?;
            (run.span, Some(run.rss_kb), run.stdout.lines().map(str::to_owned).collect())
        }
        ("aiohttp", Some(mut python)) => {
            python.arg(repo_dir().join("bench/crawl_aiohttp.py")).arg(&mirror.base_url);
            let run = run_measured(&mut python)?;
            (run.span, Some(run.rss_kb), run.stdout.lines().map(str::to_owned).collect::<Vec<_>>())
        }
        ("reqwest", None) => {
            let (span, lines) = on_reqwest(&mirror.base_url)?;
            (span, None, lines)
        }
        (other, _) => return Err(format!("no crawl for {other}")),
    };
    let server_cpu = process_cpu_secs(mirror.pid())? - server_before;
    // The programs end with "elapsed S s", the tutorial's last line.
    let records: Vec<&String> = lines.iter().filter(|line| !line.starts_with("elapsed ")).collect();
    check("lines", records.len(), expected.len())?;
    let right = records.iter().zip(&expected).filter(|(got, want)| got.as_str() == want.as_str()).count();
    let movies = expected.iter().filter(|line| *line != MISSING).count();
    check("lines that match expected.jsonl", right, expected.len())?;
    let floor = 2.0 * LATENCY_MS as f64 / 1000.0;
    let mut outcome = Outcome::new(span);
    if let Some(rss_kb) = child_rss_kb {
        outcome = outcome.with("child_rss_kb", rss_kb);
    }
    if let Some(own) = lines.iter().find_map(|line| line.strip_prefix("elapsed ")?.strip_suffix(" s")) {
        outcome = outcome.with("own_secs", own);
    }
    Ok(outcome
        .with("movies", movies)
        .with("floor", format!("{floor:.3}"))
        .with("over_floor", format!("{:.2}", span.secs / floor))
        .with("server_cpu", format!("{server_cpu:.2}")))
}

/// The 250 lines a right crawl prints, from the fixtures' expected.jsonl:
/// `name score director language`, or `页面不存在`.
fn expected_lines() -> Result<Vec<String>, String> {
    let path = repo_dir().join("tests/fixtures/douban/2019/expected.jsonl");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut by_rank = BTreeMap::new();
    for line in text.lines() {
        let record: serde_json::Value = serde_json::from_str(line).map_err(|e| format!("{}: {e}", path.display()))?;
        let field = |name: &str| record[name].as_str().unwrap_or_default().to_owned();
        let text = match record["found"].as_bool() {
            Some(true) => format!("{} {} {} {}", field("name"), field("score"), field("director"), field("language")),
            _ => MISSING.to_owned(),
        };
        by_rank.insert(record["rank"].as_u64().unwrap_or(0), text);
    }
    Ok(by_rank.into_values().collect())
}

/// `N` from top250's summary line `top250: N movies, 1 missing, ...`.
fn movies_in_summary(stderr: &str) -> Option<u64> {
    stderr.lines().find_map(|line| line.strip_prefix("top250: ")?.split_once(" movies, ")?.0.parse().ok())
}

/// The interpreter for the aiohttp program, if it can import aiohttp;
/// otherwise why not.
fn python_with_aiohttp() -> Result<Command, String> {
    let interpreter = std::env::var_os(PYTHON_VAR).map(PathBuf::from);
    let python = || {
        let mut command = Command::new(interpreter.clone().unwrap_or_else(|| "python3".into()));
        if interpreter.is_none() {
            command.env("PYENV_VERSION", "3.13.0");
        }
        command
    };
    let probe = python().args(["-c", "import aiohttp"]).output();
    match probe {
        Ok(output) if output.status.success() => Ok(python()),
        _ => Err(format!("python3 has no aiohttp (point {PYTHON_VAR} at one that has)")),
    }
}

/// The crawl on tokio current_thread + reqwest with gzip.
fn on_reqwest(base_url: &str) -> Result<(Span, Vec<String>), String> {
    let client =
        reqwest::Client::builder().gzip(true).timeout(Duration::from_secs(60)).build().map_err(|e| e.to_string())?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
    let base_url = Rc::new(base_url.to_owned());
    let local = tokio::task::LocalSet::new();
    local.block_on(&runtime, async move {
        let watch = Stopwatch::start();
        // The 10 list pages at once.
        let lists: Vec<_> = (0..LIST_PAGES)
            .map(|page| {
                let (client, url) = (client.clone(), format!("{base_url}/top250?start={}&filter=", page * 25));
                tokio::task::spawn_local(async move { fetch(&client, &url).await })
            })
            .collect();
        let mut links = Vec::new();
        for list in lists {
            let page = list.await.map_err(|e| e.to_string())??.ok_or("a list page is missing")?;
            links.extend(subject_links(&strip_whitespace(&page)));
        }
        // Then every movie page at once.
        let movies: Vec<_> = links
            .into_iter()
            .map(|url| {
                let client = client.clone();
                tokio::task::spawn_local(async move {
                    Ok::<_, String>(match fetch(&client, &url).await? {
                        Some(page) => movie_line(&strip_whitespace(&page)),
                        None => MISSING.to_owned(),
                    })
                })
            })
            .collect();
        let mut lines = Vec::new();
        for movie in movies {
            lines.push(movie.await.map_err(|e| e.to_string())??);
        }
        Ok((watch.stop(), lines))
    })
}

/// A page's text, or `None` for a 404.
async fn fetch(client: &reqwest::Client, url: &str) -> Result<Option<String>, String> {
    let response = client.get(url).send().await.map_err(|e| format!("{url}: {e}"))?;
    if response.status() == 404 {
        return Ok(None);
    }
    if response.status() != 200 {
        return Err(format!("{url}: status {}", response.status()));
    }
    response.text().await.map(Some).map_err(|e| format!("{url}: {e}"))
}

/// The page without its whitespace characters, as the tutorial's
/// `re.sub(r'\s', '', page)`.
fn strip_whitespace(page: &str) -> String {
    page.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Each `<divclass="item">`'s first link, on a stripped list page.
fn subject_links(page: &str) -> Vec<String> {
    let mut links = Vec::new();
    let mut rest = page;
    while let Some(at) = rest.find(r#"<divclass="item">"#) {
        let item = &rest[at..];
        let end = item.find("</div>").unwrap_or(item.len());
        if let Some(link) = between(&item[..end], r#"href=""#, "\"") {
            links.push(link.to_owned());
        }
        rest = &item[end..];
    }
    links
}

/// The text between the first `open` and the next `close` after it.
fn between<'p>(page: &'p str, open: &str, close: &str) -> Option<&'p str> {
    let start = page.find(open)? + open.len();
    let length = page[start..].find(close)?;
    Some(&page[start..start + length])
}

/// `name score director language` from a stripped movie page, or an
/// `error` line naming the first field it lacks.
fn movie_line(page: &str) -> String {
    let fields = [
        ("name", r#"name="title"value=""#, "\""),
        ("score", r#"property="v:average">"#, "<"),
        ("director", r#"rel="v:directedBy">"#, "<"),
        ("language", "语言:</span>", "<br/>"),
    ];
    let mut found = Vec::with_capacity(fields.len());
    for (name, open, close) in fields {
        match between(page, open, close) {
            Some(value) => found.push(value),
            None => return format!("error: no {name}"),
        }
    }
    found.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A saved page of the 2019 site, unzipped.
    fn fixture(name: &str) -> String {
        let path = repo_dir().join("tests/fixtures/douban/2019").join(name);
        let compressed = std::fs::read(&path).unwrap();
        let mut page = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(compressed.as_slice()), &mut page).unwrap();
        page
    }

    #[test]
    fn the_scan_finds_what_the_tutorials_regexes_find() {
        let expected = expected_lines().unwrap();
        let links = subject_links(&strip_whitespace(&fixture("top250/start=0.html.gz")));
        assert_eq!(links.len(), 25);
        assert!(links[0].ends_with("/subject/1292052/"), "{}", links[0]);
        assert_eq!(movie_line(&strip_whitespace(&fixture("subject/1292052.html.gz"))), expected[0]);
    }

    #[test]
    fn a_page_without_a_field_says_which() {
        assert_eq!(movie_line(r#"name="title"value="x"property="v:average">9<"#), "error: no director");
    }

    #[test]
    fn the_summary_gives_the_count_of_movies() {
        let stderr =
            "top250: --ignore-robots: not reading robots.txt\ntop250: 249 movies, 1 missing, 0 failed in 0.50 s\n";
        assert_eq!(movies_in_summary(stderr), Some(249));
        assert_eq!(movies_in_summary("top250: stopped\n"), None);
    }
}
