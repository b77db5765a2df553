//! What the crawl has done so far: the counters, the live line redrawn on
//! a terminal, and the one-line summary.

use std::cell::Cell;
use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// How often the live line is redrawn.
const REDRAW_EVERY: Duration = Duration::from_millis(100);

/// A count kept on the loop's thread: a `Cell`, not an atomic, because
/// every task that changes it runs on that one thread.
#[derive(Default)]
pub struct Counter(Cell<usize>);

impl Counter {
    /// Adds one.
    pub fn bump(&self) {
        self.add(1);
    }

    /// Adds `n`.
    pub fn add(&self, n: usize) {
        self.0.set(self.0.get() + n);
    }

    /// The count now.
    pub fn get(&self) -> usize {
        self.0.get()
    }

    /// Counts one for as long as the returned [`Hold`] lives: for what is
    /// under way rather than done, such as a request on the wire. The drop
    /// takes it off again, not a call after the await, so a request
    /// cancelled at its await point (a ban cancels every task) is not left
    /// counted.
    pub fn hold(&self) -> Hold<'_> {
        self.bump();
        Hold(self)
    }
}

/// One unit of a [`Counter`], taken off again when dropped.
pub struct Hold<'a>(&'a Counter);

impl Drop for Hold<'_> {
    fn drop(&mut self) {
        // `hold` added this unit, so the count is at least one.
        self.0.0.set(self.0.get() - 1);
    }
}

/// The crawl's counters, shared by every fetch on the loop's thread.
pub struct Stats {
    /// When the crawl started.
    pub started: Instant,
    /// Pages the crawl means to fetch (10, then 10 + the movies found).
    pub pages: Counter,
    /// Pages finished: fetched, missing, or failed.
    pub done: Counter,
    /// Pages given up on after retries.
    pub failed: Counter,
    /// Requests on the wire right now.
    pub in_flight: Counter,
    /// Requests sent, retries included.
    pub requests: Counter,
    /// Requests that were retries.
    pub retries: Counter,
}

impl Stats {
    /// Zero counters, the clock starting now.
    pub fn new() -> Stats {
        Stats {
            started: Instant::now(),
            pages: Counter::default(),
            done: Counter::default(),
            failed: Counter::default(),
            in_flight: Counter::default(),
            requests: Counter::default(),
            retries: Counter::default(),
        }
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
            // `\r` and "erase line" overwrite the previous drawing in place;
            // a line wider than the terminal would wrap, and `\r` would
            // then go back only to the start of its last row.
            let width = terminal_size::terminal_size_of(std::io::stderr()).map(|(width, _)| usize::from(width.0));
            let line = stats.line();
            eprint!("\r\x1b[K{}", width.map_or(line.clone(), |width| fit(&line, width)));
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

/// `line` within `width` columns, leaving the last one free (a character
/// there makes some terminals wrap): the trailing `, `-separated parts go
/// first, then characters. The line is ASCII, one column per character.
fn fit(line: &str, width: usize) -> String {
    let room = width.saturating_sub(1);
    let mut parts: Vec<&str> = line.split(", ").collect();
    while parts.len() > 1 && parts.join(", ").len() > room {
        parts.pop();
    }
    parts.join(", ").chars().take(room).collect()
}

#[cfg(test)]
mod tests {
    use std::rc::Rc;

    use super::*;

    #[test]
    fn the_live_line_drops_its_last_parts_then_characters_to_fit() {
        let line = "12/260 pages, 0 failed, 4 in flight, 0 retries, 3.1 pages/s";
        assert_eq!(fit(line, 80), line);
        assert_eq!(fit(line, line.len() + 1), line);
        assert_eq!(fit(line, line.len()), "12/260 pages, 0 failed, 4 in flight, 0 retries");
        assert_eq!(fit(line, 30), "12/260 pages, 0 failed");
        assert_eq!(fit(line, 8), "12/260 ");
        assert_eq!(fit(line, 0), "");
    }

    #[test]
    fn a_counter_counts_up_and_a_hold_counts_only_while_it_lives() {
        let counter = Counter::default();
        counter.bump();
        counter.add(9);
        assert_eq!(counter.get(), 10);
        let hold = counter.hold();
        assert_eq!(counter.get(), 11);
        drop(hold);
        assert_eq!(counter.get(), 10);
    }

    #[test]
    fn a_request_cancelled_at_its_await_is_no_longer_in_flight() {
        let in_flight = Rc::new(Counter::default());
        let counted = Rc::clone(&in_flight);
        corio::run(async move {
            let request = corio::create_task(async move {
                let _on_the_wire = counted.hold();
                corio::sleep(Duration::from_secs(3600)).await;
            });
            corio::sleep(Duration::ZERO).await;
            assert_eq!(in_flight.get(), 1, "the request is on the wire");
            request.cancel();
            corio::sleep(Duration::ZERO).await;
            assert_eq!(in_flight.get(), 0, "cancelling dropped the hold");
        });
    }
}
