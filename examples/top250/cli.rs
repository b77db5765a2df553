//! The crawler's command line: every flag, its default, and the parser.
//!
//! Hand-written rather than a derive crate so the example keeps to the
//! project's short dependency list; each flag is one arm of a `match`.

use std::path::PathBuf;
use std::time::Duration;

use crate::redis_flags::RedisFlags;

/// The help text, also shown for a bad argument.
pub const USAGE: &str = "\
usage: top250 [options]

what to crawl
  --mirror                  crawl the built-in offline mirror of the 2019 pages
  --mirror-latency-ms MS    the mirror's answer latency (default 100)
  --base-url URL            the site (default https://movie.douban.com)
  --proxy URL               send every request through this http:// proxy
  --user-agent TEXT         the User-Agent header (default: a desktop Chrome's)
  --ignore-robots           do not fetch or obey robots.txt (said on stderr)

how
  --mode async|sync         all pages at once (default) or one at a time
  --concurrency N           requests in flight at most (default 4; 250 with --mirror)
  --delay MS                pause after each request, with jitter of +-50% (default 0)
  --retries N               retries after a connect error, timeout, 429 or 5xx (default 3)
  --backoff-ms MS           first retry's backoff, doubled each time, jittered (default 500)
  --timeout SECS            give up on one attempt after this long (default 30)
  --autothrottle            space requests by the latency seen, as Scrapy's AutoThrottle
  --autothrottle-target N   requests in flight it aims for on average (default 1.0)
  --seed N                  seed the jitter, for a repeatable run

output
  --format text|csv|jsonl   the tutorial's lines (default), CSV, or JSON lines
  --output FILE             write records there instead of stdout
  --resume                  continue the JSON lines in --output: fetch only what is missing
  --clean                   readable values: entities unescaped, U+200E dropped,
                            spaces kept, every director and language as a list
  --as-completed            print movies as they arrive instead of in rank order
  --timeline FILE.svg       draw every request as a bar over time
  --compare                 with --timeline: crawl one page at a time first, then
                            all at once, and draw both runs on one time axis
  --quiet                   no progress line and no summary on stderr

redis (README: a shared crawl)
  --redis URL               also store every record there (redis://[user:pass@]host[:port][/db])
  --worker                  join the shared crawl in that Redis (needs --base-url)
  --seed-frontier           only enqueue the list pages of a shared crawl
  --status                  print the shared crawl's progress; once drained, export it in --format
  --lease SECS              take over a page a silent worker claimed this long ago (default 60)
  --ban-pause SECS          after a ban answer, pause every worker this long, then go on
                            (default 300; 0 stops them all, exit status 3)

robots.txt is read and obeyed unless --mirror or --ignore-robots. Ctrl-C
stops new requests, lets those in flight finish and writes what it has; a
second Ctrl-C exits at once.

exit status: 0 done, 1 some pages failed after retries, 2 bad arguments,
3 Douban refused the crawler (records fetched before that are kept),
130 interrupted by Ctrl-C (records fetched before that are kept)";

/// The site crawled when neither `--base-url` nor `--mirror` is given.
pub const DOUBAN: &str = "https://movie.douban.com";

/// Requests in flight by default: polite enough for the live site.
pub const POLITE_CONCURRENCY: usize = 4;

/// Requests in flight by default against the mirror: every movie page at
/// once, since it is our own server on loopback.
pub const MIRROR_CONCURRENCY: usize = 250;

/// One page at a time, or all at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// The tutorial's `requests` version: each page waits for the last.
    Sync,
    /// The tutorial's `asyncio` + `aiohttp` version: pages overlap.
    Async,
}

/// How records are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `name score director language`, as the tutorial prints.
    Text,
    /// One header row, then one row per movie.
    Csv,
    /// One JSON object per movie.
    Jsonl,
}

/// What the command line asks for.
#[derive(Debug)]
// Made once at startup and matched at once: boxing `Options` would buy nothing.
#[allow(clippy::large_enum_variant)]
pub enum Command {
    /// `--help` or `-h`: print [`USAGE`] and exit successfully, whatever
    /// follows it.
    Help,
    /// Crawl with these options.
    Run(Box<Options>),
}

/// Everything the command line sets.
#[derive(Clone, Debug)]
pub struct Options {
    /// The site's origin; `None` with `--mirror` until the mirror is up.
    pub base_url: Option<String>,
    /// Whether to start and crawl the built-in mirror.
    pub mirror: bool,
    /// The mirror's latency per answer.
    pub mirror_latency: Duration,
    /// An `http://` proxy for every request.
    pub proxy: Option<String>,
    /// Sync or async.
    pub mode: Mode,
    /// Requests in flight at most (async mode).
    pub concurrency: usize,
    /// The pause after each request, before the jitter.
    pub delay: Duration,
    /// Retries per page after a retryable failure.
    pub retries: u32,
    /// The first retry's backoff; each later one doubles it.
    pub backoff: Duration,
    /// The limit on one attempt, connect to last body byte.
    pub timeout: Duration,
    /// The jitter's seed, if the run should be repeatable.
    pub seed: Option<u64>,
    /// How records are written.
    pub format: Format,
    /// Where records go, stdout if `None`.
    pub output: Option<PathBuf>,
    /// Readable values instead of the tutorial's raw ones.
    pub clean: bool,
    /// Print in arrival order instead of rank order.
    pub as_completed: bool,
    /// Where to draw the timeline, if anywhere.
    pub timeline: Option<PathBuf>,
    /// No progress and no summary.
    pub quiet: bool,
    /// `--user-agent`: replaces the desktop browser's.
    pub user_agent: Option<String>,
    /// `--ignore-robots`: neither fetch nor obey robots.txt.
    pub ignore_robots: bool,
    /// `--resume`: keep the records already in `--output`, fetch the rest.
    pub resume: bool,
    /// `--autothrottle`: the requests in flight to aim for on average.
    pub autothrottle: Option<f64>,
    /// `--compare`: a sync run first, both on the timeline.
    pub compare: bool,
    /// `--redis` and the shared crawl's flags.
    pub redis: RedisFlags,
}

/// Parses the arguments after the program name. `Err` carries the message
/// to print above [`USAGE`] for a bad argument.
pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Command, String> {
    let mut options = Options {
        base_url: None,
        mirror: false,
        mirror_latency: Duration::from_millis(100),
        proxy: None,
        mode: Mode::Async,
        concurrency: 0,
        delay: Duration::ZERO,
        retries: 3,
        backoff: Duration::from_millis(500),
        timeout: Duration::from_secs(30),
        seed: None,
        format: Format::Text,
        output: None,
        clean: false,
        as_completed: false,
        timeline: None,
        quiet: false,
        user_agent: None,
        ignore_robots: false,
        resume: false,
        autothrottle: None,
        compare: false,
        redis: RedisFlags::default(),
    };
    let mut latency_given = false;
    let mut autothrottle_target = None;
    let mut args = args.into_iter();
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--mirror" => options.mirror = true,
            "--mirror-latency-ms" => {
                options.mirror_latency = millis(&flag, &value()?)?;
                latency_given = true;
            }
            "--base-url" => options.base_url = Some(base_url(&value()?)?),
            "--proxy" => options.proxy = Some(value()?),
            "--mode" => {
                options.mode = match value()?.as_str() {
                    "sync" => Mode::Sync,
                    "async" => Mode::Async,
                    other => return Err(format!("--mode takes sync or async, not {other:?}")),
                }
            }
            "--concurrency" => {
                options.concurrency = number(&flag, &value()?)?;
                if options.concurrency == 0 {
                    return Err("--concurrency must be at least 1".into());
                }
            }
            "--delay" => options.delay = millis(&flag, &value()?)?,
            "--retries" => options.retries = number(&flag, &value()?)?,
            "--backoff-ms" => options.backoff = millis(&flag, &value()?)?,
            "--timeout" => {
                options.timeout = Duration::from_secs(number(&flag, &value()?)?);
                if options.timeout.is_zero() {
                    return Err("--timeout must be at least 1 second".into());
                }
            }
            "--seed" => options.seed = Some(number(&flag, &value()?)?),
            "--format" => {
                options.format = match value()?.as_str() {
                    "text" => Format::Text,
                    "csv" => Format::Csv,
                    "jsonl" => Format::Jsonl,
                    other => return Err(format!("--format takes text, csv or jsonl, not {other:?}")),
                }
            }
            "--output" => options.output = Some(PathBuf::from(value()?)),
            "--clean" => options.clean = true,
            "--as-completed" => options.as_completed = true,
            "--timeline" => options.timeline = Some(PathBuf::from(value()?)),
            "--quiet" | "-q" => options.quiet = true,
            "--user-agent" => options.user_agent = Some(value()?),
            "--ignore-robots" => options.ignore_robots = true,
            "--resume" => options.resume = true,
            "--autothrottle" => options.autothrottle = Some(1.0),
            "--compare" => options.compare = true,
            "--autothrottle-target" => {
                let text = value()?;
                match text.parse::<f64>() {
                    Ok(target) if target >= 0.1 && target.is_finite() => autothrottle_target = Some(target),
                    _ => return Err(format!("--autothrottle-target takes a number of at least 0.1, not {text:?}")),
                }
            }
            "--help" | "-h" => return Ok(Command::Help),
            other if options.redis.take(other, &mut value)? => {}
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    if options.mirror && options.base_url.is_some() {
        return Err("--mirror and --base-url both say where to crawl; give one".into());
    }
    check_combinations(&options, latency_given, autothrottle_target)?;
    if let Some(target) = autothrottle_target {
        options.autothrottle = Some(target);
    }
    options.redis.check(options.mirror)?;
    if options.concurrency == 0 {
        options.concurrency = if options.mirror { MIRROR_CONCURRENCY } else { POLITE_CONCURRENCY };
    }
    if options.mode == Mode::Sync {
        options.concurrency = 1;
    }
    if !options.mirror && options.base_url.is_none() {
        options.base_url = Some(DOUBAN.to_owned());
    }
    Ok(Command::Run(Box::new(options)))
}

/// Flags that only make sense with another one.
fn check_combinations(options: &Options, latency_given: bool, autothrottle_target: Option<f64>) -> Result<(), String> {
    if latency_given && !options.mirror {
        return Err("--mirror-latency-ms sets the mirror's latency; add --mirror to crawl the mirror".into());
    }
    if autothrottle_target.is_some() && options.autothrottle.is_none() {
        return Err("--autothrottle-target needs --autothrottle".into());
    }
    if options.compare && (options.timeline.is_none() || options.mode == Mode::Sync) {
        return Err("--compare draws a sync and an async run: give --timeline FILE.svg, and no --mode sync".into());
    }
    if options.resume && (options.output.is_none() || options.format != Format::Jsonl) {
        return Err("--resume continues a JSON lines file: give --format jsonl --output FILE".into());
    }
    Ok(())
}

/// A `--base-url`: an http or https origin (a path is allowed; a query is
/// not, since the crawler appends its own), without its trailing slash.
fn base_url(text: &str) -> Result<String, String> {
    let url = corio::http::Url::parse(text).map_err(|error| format!("--base-url {text:?}: {error}"))?;
    if url.query().is_some() {
        return Err(format!("--base-url {text:?} has a query; give the site's address only"));
    }
    Ok(text.trim_end_matches('/').to_owned())
}

/// A whole number for `flag`.
fn number<T: std::str::FromStr>(flag: &str, text: &str) -> Result<T, String> {
    text.parse().map_err(|_| format!("{flag} takes a whole number, not {text:?}"))
}

/// Milliseconds for `flag`.
fn millis(flag: &str, text: &str) -> Result<Duration, String> {
    number(flag, text).map(Duration::from_millis)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_command(line: &str) -> Result<Command, String> {
        parse(line.split_whitespace().map(str::to_owned))
    }

    /// The options of a line that asks for a crawl.
    fn parse_str(line: &str) -> Result<Options, String> {
        match parse_command(line)? {
            Command::Run(options) => Ok(*options),
            Command::Help => panic!("{line:?} asks for help, not a crawl"),
        }
    }

    #[test]
    fn help_wins_over_the_arguments_after_it_but_not_over_a_bad_one_before() {
        for line in ["--help", "-h", "--mirror --help", "--help --mode fast"] {
            assert!(matches!(parse_command(line), Ok(Command::Help)), "{line}");
        }
        assert_eq!(parse_command("--mode fast --help").unwrap_err(), "--mode takes sync or async, not \"fast\"");
    }

    #[test]
    fn defaults_are_polite_for_the_live_site() {
        let options = parse_str("").unwrap();
        assert_eq!(options.base_url.as_deref(), Some(DOUBAN));
        assert_eq!((options.mode, options.concurrency, options.retries), (Mode::Async, POLITE_CONCURRENCY, 3));
        assert_eq!(options.format, Format::Text);
    }

    #[test]
    fn the_mirror_defaults_to_every_page_at_once_and_sync_to_one() {
        assert_eq!(parse_str("--mirror").unwrap().concurrency, MIRROR_CONCURRENCY);
        assert_eq!(parse_str("--mirror --mode sync --concurrency 9").unwrap().concurrency, 1);
        assert_eq!(parse_str("--base-url http://127.0.0.1:1/ --concurrency 9").unwrap().concurrency, 9);
    }

    #[test]
    fn every_flag_is_read() {
        let options = parse_str(
            "--base-url http://h/ --proxy http://p:1 --mode sync --delay 7 --retries 5 --backoff-ms 9 \
             --timeout 2 --seed 42 --format jsonl --output o.jsonl --clean --as-completed --timeline t.svg --quiet \
             --user-agent bot/1 --ignore-robots",
        )
        .unwrap();
        assert_eq!(options.user_agent.as_deref(), Some("bot/1"));
        assert!(options.ignore_robots);
        assert_eq!(options.base_url.as_deref(), Some("http://h"));
        assert_eq!(options.proxy.as_deref(), Some("http://p:1"));
        assert_eq!((options.delay, options.backoff), (Duration::from_millis(7), Duration::from_millis(9)));
        assert_eq!((options.retries, options.timeout, options.seed), (5, Duration::from_secs(2), Some(42)));
        assert_eq!(options.format, Format::Jsonl);
        assert_eq!(options.output, Some(PathBuf::from("o.jsonl")));
        assert!(options.clean && options.as_completed && options.quiet);
        assert_eq!(options.timeline, Some(PathBuf::from("t.svg")));
    }

    #[test]
    fn bad_arguments_say_what_is_wrong() {
        assert_eq!(parse_str("--mode fast").unwrap_err(), "--mode takes sync or async, not \"fast\"");
        assert_eq!(parse_str("--concurrency").unwrap_err(), "--concurrency needs a value");
        assert_eq!(parse_str("--concurrency 0").unwrap_err(), "--concurrency must be at least 1");
        assert_eq!(parse_str("--delay soon").unwrap_err(), "--delay takes a whole number, not \"soon\"");
        assert_eq!(parse_str("--frobnicate").unwrap_err(), "unknown argument \"--frobnicate\"");
        assert!(parse_str("--mirror --base-url http://h").is_err());
    }

    #[test]
    fn arguments_that_would_fail_at_crawl_time_are_refused_up_front() {
        assert_eq!(parse_str("--timeout 0").unwrap_err(), "--timeout must be at least 1 second");
        assert_eq!(
            parse_str("--mirror-latency-ms 5").unwrap_err(),
            "--mirror-latency-ms sets the mirror's latency; add --mirror to crawl the mirror"
        );
        assert!(
            parse_str("--base-url movie.douban.com")
                .unwrap_err()
                .starts_with("--base-url \"movie.douban.com\": URL has no scheme")
        );
        assert!(parse_str("--base-url ftp://h").unwrap_err().contains("unsupported URL scheme"));
        assert!(parse_str("--resume --output o.jsonl").unwrap_err().starts_with("--resume continues"));
        assert_eq!(parse_str("--autothrottle-target 2").unwrap_err(), "--autothrottle-target needs --autothrottle");
        assert!(parse_str("--compare").unwrap_err().starts_with("--compare draws a sync and an async run"));
        assert!(parse_str("--compare --timeline t.svg --mode sync").is_err());
        assert!(parse_str("--compare --timeline t.svg").unwrap().compare);
        let options =
            parse_str("--resume --format jsonl --output o.jsonl --autothrottle --autothrottle-target 2.5").unwrap();
        assert!(options.resume);
        assert_eq!(options.autothrottle, Some(2.5));
    }
}
