//! What the crawl has done so far: the counters, the live line redrawn on
//! a terminal, and the one-line summary.

use std::cell::Cell;
use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// How often the live line is redrawn.
const REDRAW_EVERY: Duration = Duration::from_millis(100);

/// The crawl's counters, shared by every fetch on the loop's thread.
pub struct Stats {
    /// When the crawl started.
    pub started: Instant,
    /// Pages the crawl means to fetch (10, then 10 + the movies found).
    pub pages: Cell<usize>,
    /// Pages finished: fetched, missing, or failed.
    pub done: Cell<usize>,
    /// Pages given up on after retries.
    pub failed: Cell<usize>,
    /// Requests on the wire right now.
    pub in_flight: Cell<usize>,
    /// Requests sent, retries included.
    pub requests: Cell<usize>,
    /// Requests that were retries.
    pub retries: Cell<usize>,
}

impl Stats {
    /// Zero counters, the clock starting now.
    pub fn new() -> Stats {
        Stats {
            started: Instant::now(),
            pages: Cell::new(0),
            done: Cell::new(0),
            failed: Cell::new(0),
            in_flight: Cell::new(0),
            requests: Cell::new(0),
            retries: Cell::new(0),
        }
    }

    /// Adds one to a counter.
    pub fn bump(counter: &Cell<usize>) {
        counter.set(counter.get() + 1);
    }

    /// The live line: pages done, failed, in flight, and the rate.
    pub fn line(&self) -> String {
        let elapsed = self.started.elapsed().as_secs_f64();
        let rate = if elapsed > 0.0 { self.done.get() as f64 / elapsed } else { 0.0 };
        format!(
            "{}/{} pages, {} failed, {} in flight, {} retries, {rate:.1} pages/s",
            self.done.get(),
            self.pages.get(),
            self.failed.get(),
            self.in_flight.get(),
            self.retries.get()
        )
    }
}

/// Where progress goes: a redrawn line on a terminal, nothing until the
/// summary otherwise, nothing at all with `--quiet`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// `--quiet`.
    Silent,
    /// stderr is a file or a pipe: only the summary.
    Summary,
    /// stderr is a terminal: the live line too.
    Live,
}

impl Progress {
    /// Chooses by `--quiet` and by whether stderr is a terminal.
    pub fn for_stderr(quiet: bool) -> Progress {
        match (quiet, std::io::stderr().is_terminal()) {
            (true, _) => Progress::Silent,
            (false, false) => Progress::Summary,
            (false, true) => Progress::Live,
        }
    }

    /// Redraws the live line until the task running it is cancelled.
    pub async fn redraw(self, stats: &Stats) {
        if self != Progress::Live {
            return;
        }
        loop {
            // `\r` and "erase line" overwrite the previous drawing in place.
            eprint!("\r\x1b[K{}", stats.line());
            let _ = std::io::stderr().flush();
            corio::sleep(REDRAW_EVERY).await;
        }
    }

    /// Prints the last word, replacing the live line if there is one.
    pub fn finish(self, summary: &str) {
        match self {
            Progress::Silent => {}
            Progress::Summary => eprintln!("{summary}"),
            Progress::Live => eprintln!("\r\x1b[K{summary}"),
        }
    }
}
