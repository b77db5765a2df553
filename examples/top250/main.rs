//! The Douban Movie Top 250 crawl from the Python coroutine tutorial, on
//! corio's runtime and HTTP client.
//!
//! ```text
//! cargo run --release --example top250 -- --mirror                 # offline, the real 2019 pages
//! cargo run --release --example top250 -- --mirror --mode sync     # the tutorial's `requests` version
//! cargo run --release --example top250 -- --help
//! ```
//!
//! It fetches the 10 list pages, then every movie page they link to, and
//! prints each movie's name, score, director and language as the tutorial's
//! four regexes find them, then the elapsed time. With `--mirror` it first
//! starts the offline mirror (see `examples/douban_mirror`) on a thread of
//! its own and crawls that; without it, it crawls movie.douban.com politely.
//!
//! Reading order: `cli.rs` (the flags), `crawl.rs` (the two phases, sync
//! and async), `fetcher.rs` (one page: slots, retries, bans), `retry.rs`,
//! `extract.rs` (the tutorial's regexes), `output.rs`, `progress.rs`,
//! `timeline.rs`; then what a Scrapy user expects: `robots.rs`,
//! `throttle.rs` (AutoThrottle), `interrupt.rs` (Ctrl-C), `resume.rs`,
//! `stats.rs` (the closing report).

mod cli;
mod crawl;
mod extract;
mod fetcher;
mod interrupt;
mod output;
mod progress;
mod redis_ban;
mod redis_flags;
mod redis_frontier;
mod redis_slots;
mod redis_store;
mod redis_worker;
mod resume;
mod retry;
mod robots;
mod stats;
mod throttle;
mod timeline;

// The mirror is shared with the `douban_mirror` example.
#[path = "../douban_mirror/server.rs"]
mod server;
#[path = "../douban_mirror/site.rs"]
mod site;

#[cfg(test)]
mod fixtures;

use std::process::ExitCode;
use std::rc::Rc;
use std::time::Duration;

use cli::{Command, DOUBAN, Mode, Options};
use crawl::{Plan, Summary};
use fetcher::Fetcher;
use interrupt::{EXIT_INTERRUPTED, Interrupt};
use output::Output;
use progress::Progress;
use robots::Robots;

/// Exit status when some pages failed after their retries.
const EXIT_FAILED: u8 = 1;
/// Exit status for bad arguments.
const EXIT_USAGE: u8 = 2;
/// Exit status when Douban refused the crawler.
const EXIT_BANNED: u8 = 3;

fn main() -> ExitCode {
    let options = match cli::parse(std::env::args().skip(1)) {
        Ok(Command::Run(options)) => *options,
        Ok(Command::Help) => {
            println!("{}", cli::USAGE);
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("top250: {message} (top250 --help lists the options)");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let outcome = match options.redis.role {
        redis_flags::Role::Store => run(&options),
        _ => redis_worker::run(&options).map_err(|message| (EXIT_FAILED, message)),
    };
    match outcome {
        Ok(code) => code,
        Err((code, message)) => {
            eprintln!("top250: {message}");
            ExitCode::from(code)
        }
    }
}

/// Checks what can be checked before crawling (the output can be written,
/// the proxy is a proxy), starts the mirror if asked, crawls, and writes
/// the output, the timeline and the summary. `Err` is an exit status and
/// the one line that explains it: a setup failure that stopped the crawl
/// before it began, or an output that could not be written.
fn run(options: &Options) -> Result<ExitCode, (u8, String)> {
    let setup = |error: String| (EXIT_USAGE, error);
    let resumed = match (&options.output, options.resume) {
        (Some(path), true) => resume::prepare(path)
            .map_err(|error| setup(format!("cannot resume from --output {}: {error}", path.display())))?,
        _ => resume::Resumed::default(),
    };
    let output = Output::open(options).map_err(|error| setup(format!("cannot write --output {error}")))?;
    let interrupt = Interrupt::install().map_err(|error| setup(format!("cannot catch Ctrl-C: {error}")))?;
    let base_url = match &options.base_url {
        Some(base_url) => base_url.clone(),
        None => {
            let config =
                server::MirrorConfig { address: [127, 0, 0, 1].into(), port: 0, latency: options.mirror_latency };
            let address =
                server::spawn(config).map_err(|error| (EXIT_FAILED, format!("cannot start the mirror: {error}")))?;
            format!("http://{address}")
        }
    };
    // Made once the mirror is up: the crawl's clock starts with its fetcher.
    let mut fetcher = Rc::new(Fetcher::new(options).map_err(|error| setup(error.to_string()))?);
    // The mirror is our own server standing in for Douban: no robots.txt
    // to ask, and records name Douban's URLs, not the mirror's port.
    let read_robots = !options.mirror && !options.ignore_robots;
    if options.ignore_robots {
        eprintln!("top250: --ignore-robots: not reading robots.txt; make sure {base_url} allows this crawl");
    }
    let record_origin = if options.mirror { DOUBAN.to_owned() } else { base_url.clone() };
    let plan = Plan {
        base_url: base_url.clone(),
        mode: options.mode,
        clean: options.clean,
        record_origin,
        robots: Robots::allow_all(),
        done: resumed.subjects,
    };
    let progress = Progress::for_stderr(options.quiet);

    // --compare: first the same crawl one page at a time, its records
    // thrown away, for the timeline's first panel.
    let mut panels = Vec::new();
    if options.compare {
        let sync = Options { mode: Mode::Sync, concurrency: 1, ..options.clone() };
        let sync_fetcher = Rc::new(Fetcher::new(&sync).map_err(|error| setup(error.to_string()))?);
        let plan = Plan { mode: Mode::Sync, ..plan.clone() };
        let crawled = crawl_once(
            Rc::clone(&sync_fetcher),
            plan,
            Output::discard(),
            progress,
            interrupt.clone(),
            read_robots,
            None,
        );
        let elapsed = sync_fetcher.stats.started.elapsed();
        progress.finish(&format!("{} (the sync run)", summary_line(&crawled.0, &sync_fetcher, elapsed)));
        panels.push(("sync", sync_fetcher.take_bars(), elapsed));
        if sync_fetcher.is_stopping() {
            return Ok(ExitCode::from(EXIT_INTERRUPTED));
        }
        // A fresh fetcher, so the async run's clock starts now.
        fetcher = Rc::new(Fetcher::new(options).map_err(|error| setup(error.to_string()))?);
    }

    let (summary, output, robots_said, stored) =
        crawl_once(Rc::clone(&fetcher), plan, output, progress, interrupt, read_robots, options.redis.url.clone());
    stored.map_err(|error| (EXIT_FAILED, format!("cannot store the records in redis: {error}")))?;
    let elapsed = fetcher.stats.started.elapsed();
    output.finish(elapsed).map_err(|error| (EXIT_FAILED, format!("cannot write the output: {error}")))?;

    if let Some(path) = &options.timeline {
        let mode = if options.mode == Mode::Sync { "sync" } else { "async" };
        panels.push((mode, fetcher.take_bars(), elapsed));
        std::fs::write(path, draw_timeline(&base_url, &mut panels))
            .map_err(|error| (EXIT_FAILED, format!("cannot write the timeline {}: {error}", path.display())))?;
    }
    progress.finish(&summary_line(&summary, &fetcher, elapsed));
    report(options, &summary, &fetcher, robots_said, progress);
    Ok(exit_code(&summary, fetcher.is_stopping()))
}

/// What follows the summary line on stderr: Scrapy's closing stats (not
/// with `--quiet`), then the problems (always): failed list pages, a ban,
/// an interruption.
fn report(options: &Options, summary: &Summary, fetcher: &Fetcher, robots_said: Option<String>, progress: Progress) {
    if progress != Progress::Silent {
        let stats = &fetcher.stats;
        for line in fetcher.tally.report(stats.requests.get(), stats.retries.get()) {
            eprintln!("top250: {line}");
        }
        if let Some(delay) = fetcher.throttle_delay() {
            eprintln!("top250: stats: autothrottle: {} ms between request starts at the end", delay.as_millis());
        }
        if let Some(said) = robots_said {
            eprintln!("top250: stats: robots.txt: {said}");
        }
        if let (true, Some(path)) = (summary.resumed > 0, &options.output) {
            eprintln!("top250: --resume: {} movies were already in {}", summary.resumed, path.display());
        }
    }
    // Problems are printed even with --quiet.
    for failure in &summary.list_failures {
        eprintln!("top250: {failure}");
    }
    if let Some(reason) = &summary.ban {
        let kept = summary.ok + summary.missing + summary.failed;
        eprintln!(
            "top250: stopped: Douban refused the crawler ({reason}); the {kept} records fetched before are kept. \
             Wait before trying again, with a lower --concurrency or a --delay."
        );
    } else if fetcher.is_stopping() {
        eprintln!(
            "top250: interrupted: {} movies not fetched; the records fetched before are kept{}",
            summary.interrupted,
            if options.output.is_some() { " (--resume continues)" } else { "" }
        );
    }
}

/// Fetches robots.txt if asked, then crawls with `fetcher` on a loop of its
/// own, with the progress line and a watch for Ctrl-C beside it; returns
/// the summary, the output (to finish) and what robots.txt said.
/// One crawl on a fresh loop: robots.txt first (if asked), then the pages,
/// each record written as it comes and, with `redis`, stored there at the
/// end. Returns the summary, the output, what robots.txt said and whether
/// the records were stored.
fn crawl_once(
    fetcher: Rc<Fetcher>,
    mut plan: Plan,
    mut output: Output,
    progress: Progress,
    interrupt: Interrupt,
    read_robots: bool,
    redis: Option<String>,
) -> (Summary, Output, Option<String>, Result<(), String>) {
    corio::run(async move {
        let robots_said = if read_robots {
            let (robots, said) = fetcher.robots(&plan.base_url).await;
            plan.robots = robots;
            Some(said)
        } else {
            None
        };
        let stats = Rc::clone(&fetcher);
        let redraw = corio::create_task(async move { progress.redraw(&stats.stats).await });
        let stopper = Rc::clone(&fetcher);
        let watch = corio::create_task(async move {
            interrupt.wait().await;
            stopper.stop();
        });
        let mut records = Vec::new();
        let summary = crawl::crawl(fetcher, &plan, |index, record| {
            if redis.is_some() {
                records.push(record.clone());
            }
            output.emit(index, record)
        })
        .await;
        redraw.cancel();
        watch.cancel();
        let stored = match redis {
            Some(url) => redis_store::save_all(&url, &records).await.map_err(|error| format!("{url}: {error}")),
            None => Ok(()),
        };
        (summary, output, robots_said, stored)
    })
}

/// The SVG of one crawl, or of a sync and an async one on one time axis
/// (`--compare`); `panels` are (mode, bars, duration).
fn draw_timeline(base_url: &str, panels: &mut [(&str, Vec<timeline::Bar>, Duration)]) -> String {
    for (_, bars, _) in panels.iter_mut() {
        bars.sort_by_key(|bar| bar.start);
    }
    let heading = |(mode, bars, elapsed): &(&str, Vec<timeline::Bar>, Duration)| {
        format!("{mode} crawl: {} requests in {:.2} s", bars.len(), elapsed.as_secs_f64())
    };
    if let [(mode, bars, elapsed)] = panels {
        let title = format!("{mode} crawl of {base_url}: {} requests in {:.2} s", bars.len(), elapsed.as_secs_f64());
        return timeline::render(&title, bars, *elapsed);
    }
    let runs: Vec<timeline::Run> =
        panels.iter().map(|panel| timeline::Run { name: heading(panel), bars: &panel.1, total: panel.2 }).collect();
    let title = format!("the same crawl of {base_url}, one page at a time and all at once, on one time axis");
    timeline::render_runs(&title, &runs)
}

/// The last word on stderr: counts, time, requests and retries.
fn summary_line(summary: &Summary, fetcher: &Fetcher, elapsed: Duration) -> String {
    let stats = &fetcher.stats;
    format!(
        "top250: {} movies, {} missing, {} failed, {} list pages failed in {:.2} s; {} requests, {} retries",
        summary.ok,
        summary.missing,
        summary.failed,
        summary.list_pages_failed(),
        elapsed.as_secs_f64(),
        stats.requests.get(),
        stats.retries.get()
    )
}

/// 3 for a ban, 130 for Ctrl-C, 1 for failed pages, 0 otherwise.
fn exit_code(summary: &Summary, interrupted: bool) -> ExitCode {
    if summary.ban.is_some() {
        ExitCode::from(EXIT_BANNED)
    } else if interrupted {
        ExitCode::from(EXIT_INTERRUPTED)
    } else if summary.failed > 0 || !summary.list_failures.is_empty() {
        ExitCode::from(EXIT_FAILED)
    } else {
        ExitCode::SUCCESS
    }
}
