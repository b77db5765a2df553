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
    match run(&options) {
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
    let mut output = Output::open(options).map_err(|error| setup(format!("cannot write --output {error}")))?;
    let fetcher = Rc::new(Fetcher::new(options).map_err(|error| setup(error.to_string()))?);
    let interrupt = Interrupt::install().map_err(|error| setup(format!("cannot catch Ctrl-C: {error}")))?;
    let base_url = match &options.base_url {
        Some(base_url) => base_url.clone(),
        None => {
            let config = server::MirrorConfig { port: 0, latency: options.mirror_latency };
            let address =
                server::spawn(config).map_err(|error| (EXIT_FAILED, format!("cannot start the mirror: {error}")))?;
            format!("http://{address}")
        }
    };
    // The mirror is our own server standing in for Douban: no robots.txt
    // to ask, and records name Douban's URLs, not the mirror's port.
    let read_robots = !options.mirror && !options.ignore_robots;
    if options.ignore_robots {
        eprintln!("top250: --ignore-robots: not reading robots.txt; make sure {base_url} allows this crawl");
    }
    let record_origin = if options.mirror { DOUBAN.to_owned() } else { base_url.clone() };
    let mut plan = Plan {
        base_url: base_url.clone(),
        mode: options.mode,
        clean: options.clean,
        record_origin,
        robots: Robots::allow_all(),
        done: resumed.subjects,
    };
    let progress = Progress::for_stderr(options.quiet);

    let crawler = Rc::clone(&fetcher);
    let (summary, output, robots_said) = corio::run(async move {
        let robots_said = if read_robots {
            let (robots, said) = crawler.robots(&plan.base_url).await;
            plan.robots = robots;
            Some(said)
        } else {
            None
        };
        let stats = Rc::clone(&crawler);
        let redraw = corio::create_task(async move { progress.redraw(&stats.stats).await });
        let stopper = Rc::clone(&crawler);
        let watch = corio::create_task(async move {
            interrupt.wait().await;
            stopper.stop();
        });
        let summary = crawl::crawl(crawler, &plan, |index, record| output.emit(index, record)).await;
        redraw.cancel();
        watch.cancel();
        (summary, output, robots_said)
    });
    let elapsed = fetcher.stats.started.elapsed();
    output.finish(elapsed).map_err(|error| (EXIT_FAILED, format!("cannot write the output: {error}")))?;

    if let Some(path) = &options.timeline {
        let mut bars = fetcher.take_bars();
        bars.sort_by_key(|bar| bar.start);
        let mode = if options.mode == Mode::Sync { "sync" } else { "async" };
        let title = format!("{mode} crawl of {base_url}: {} requests in {:.2} s", bars.len(), elapsed.as_secs_f64());
        std::fs::write(path, timeline::render(&title, &bars, elapsed))
            .map_err(|error| (EXIT_FAILED, format!("cannot write the timeline {}: {error}", path.display())))?;
    }
    progress.finish(&summary_line(&summary, &fetcher, elapsed));
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
    Ok(exit_code(&summary, fetcher.is_stopping()))
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
