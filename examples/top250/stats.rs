//! The numbers Scrapy prints when a crawl closes: requests, bytes, answers
//! by status, retries, and how long the answers took (the latency to the
//! response head, Scrapy's `download_latency`), as percentiles.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::time::Duration;

use crate::progress::Counter;

/// What every answer added up to, kept on the loop's thread.
#[derive(Default)]
pub struct Tally {
    /// Answers by status code.
    statuses: RefCell<BTreeMap<u16, usize>>,
    /// Body bytes read, after decompression.
    pub bytes: Counter,
    /// Each answer's time from sending to its head, in arrival order.
    latencies: RefCell<Vec<Duration>>,
}

impl Tally {
    /// Counts one answer with `status` whose head took `latency`.
    pub fn answer(&self, status: u16, latency: Duration) {
        *self.statuses.borrow_mut().entry(status).or_default() += 1;
        self.latencies.borrow_mut().push(latency);
    }

    /// The lines of the closing report, after the summary: `requests` and
    /// `retries` come from the progress counters.
    pub fn report(&self, requests: usize, retries: usize) -> Vec<String> {
        let statuses: Vec<String> =
            self.statuses.borrow().iter().map(|(status, count)| format!("{status}: {count}")).collect();
        let statuses = if statuses.is_empty() { "none".to_owned() } else { statuses.join(", ") };
        let mut latencies = self.latencies.borrow().clone();
        latencies.sort();
        let latency = if latencies.is_empty() {
            "no answers".to_owned()
        } else {
            let at = |q| millis(percentile(&latencies, q));
            format!("p50 {}, p90 {}, p99 {}, max {}", at(0.5), at(0.9), at(0.99), at(1.0))
        };
        vec![
            format!("stats: {requests} requests, {retries} retries, {} received", size(self.bytes.get() as u64)),
            format!("stats: answers by status: {statuses}"),
            format!("stats: latency to the response head: {latency}"),
        ]
    }
}

/// The `q` quantile (0 to 1) of sorted, non-empty `values`, by the
/// nearest-rank method: the smallest value with at least `q` of them at or
/// below it.
fn percentile(sorted: &[Duration], q: f64) -> Duration {
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Milliseconds, to the unit for anything over 10 ms.
fn millis(duration: Duration) -> String {
    let ms = duration.as_secs_f64() * 1000.0;
    if ms >= 10.0 { format!("{ms:.0} ms") } else { format!("{ms:.1} ms") }
}

/// Bytes in B, kB or MB (powers of 1000, as Scrapy's logs are read).
fn size(bytes: u64) -> String {
    match bytes {
        0..1_000 => format!("{bytes} B"),
        1_000..1_000_000 => format!("{:.1} kB", bytes as f64 / 1e3),
        _ => format!("{:.1} MB", bytes as f64 / 1e6),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let values: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&values, 0.5), Duration::from_millis(50));
        assert_eq!(percentile(&values, 0.9), Duration::from_millis(90));
        assert_eq!(percentile(&values, 0.99), Duration::from_millis(99));
        assert_eq!(percentile(&values, 1.0), Duration::from_millis(100));
        assert_eq!(percentile(&values[..1], 0.5), Duration::from_millis(1));
    }

    #[test]
    fn the_report_counts_statuses_and_sizes() {
        let tally = Tally::default();
        for ms in [100, 102, 250] {
            tally.answer(200, Duration::from_millis(ms));
        }
        tally.answer(404, Duration::from_micros(1500));
        tally.bytes.add(28_123_456);
        assert_eq!(
            tally.report(5, 1),
            [
                "stats: 5 requests, 1 retries, 28.1 MB received",
                "stats: answers by status: 200: 3, 404: 1",
                "stats: latency to the response head: p50 100 ms, p90 250 ms, p99 250 ms, max 250 ms",
            ]
        );
        assert_eq!(Tally::default().report(0, 0)[2], "stats: latency to the response head: no answers");
    }
}
