//! When to try a page again, and how long to wait first: exponential
//! backoff with jitter, and the server's own `Retry-After`.
//!
//! Pure arithmetic on durations and a seeded generator, so tests can check
//! every wait exactly; [`crate::fetcher`] does the waiting.

use std::cell::Cell;
use std::time::{Duration, SystemTime};

/// The longest wait the crawler accepts, from backoff or from the server.
/// A `Retry-After` beyond it means "not today": the page fails instead.
pub const MAX_WAIT: Duration = Duration::from_secs(60);

/// Retries and their spacing.
#[derive(Clone, Copy, Debug)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub retries: u32,
    /// The first backoff; retry `n` waits about `backoff * 2^n`.
    pub backoff: Duration,
}

impl RetryPolicy {
    /// The wait before retry `retry` (0 for the first): `backoff * 2^retry`
    /// capped at [`MAX_WAIT`], then scaled by a factor in [0.5, 1.5) so that
    /// pages that failed together do not all come back together.
    pub fn backoff(&self, retry: u32, jitter: &Jitter) -> Duration {
        let doubled = self.backoff.saturating_mul(1u32.checked_shl(retry).unwrap_or(u32::MAX));
        jitter.spread(doubled.min(MAX_WAIT))
    }
}

/// A small seeded random generator (xorshift64*) for jitter. Jitter needs
/// to be different between requests, not unpredictable, so this is enough
/// and keeps a crate out of the example.
pub struct Jitter {
    /// The generator's state; never zero.
    state: Cell<u64>,
}

impl Jitter {
    /// A generator seeded with `seed` (any value, zero included).
    pub fn new(seed: u64) -> Jitter {
        // splitmix64's finaliser turns any seed, zero too, into a good state.
        let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        Jitter { state: Cell::new((z ^ (z >> 31)) | 1) }
    }

    /// A generator seeded from the clock and the process id.
    pub fn from_entropy() -> Jitter {
        let nanos = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |since| since.as_nanos());
        Jitter::new(nanos as u64 ^ u64::from(std::process::id()).rotate_left(32))
    }

    /// The next number in [0, 1).
    pub fn next_unit(&self) -> f64 {
        let mut x = self.state.get();
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.state.set(x);
        // The top 53 bits make an exact double in [0, 1).
        (x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
    }

    /// `base` scaled by a random factor in [0.5, 1.5).
    pub fn spread(&self, base: Duration) -> Duration {
        base.mul_f64(0.5 + self.next_unit())
    }
}

/// Reads a `Retry-After` value: seconds, or an HTTP date (measured from
/// `now`). `None` if it is neither; a date in the past means "now".
pub fn retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = corio::http::parse_http_date(value)?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_within_the_jitter_band_and_stops_at_the_cap() {
        let policy = RetryPolicy { retries: 10, backoff: Duration::from_millis(100) };
        let jitter = Jitter::new(7);
        for retry in 0..12 {
            let base = Duration::from_millis(100).saturating_mul(1 << retry).min(MAX_WAIT);
            let wait = policy.backoff(retry, &jitter);
            assert!(wait >= base / 2 && wait < base * 3 / 2, "retry {retry}: {wait:?} around {base:?}");
        }
        assert!(policy.backoff(40, &jitter) < MAX_WAIT * 3 / 2, "a huge retry count does not overflow");
    }

    #[test]
    fn jitter_is_repeatable_per_seed_and_varies_between_draws() {
        let (a, b) = (Jitter::new(42), Jitter::new(42));
        let draws: Vec<f64> = (0..100).map(|_| a.next_unit()).collect();
        assert_eq!(draws, (0..100).map(|_| b.next_unit()).collect::<Vec<_>>());
        assert!(draws.iter().all(|x| (0.0..1.0).contains(x)));
        let mean = draws.iter().sum::<f64>() / 100.0;
        assert!((0.35..0.65).contains(&mean), "mean {mean}");
        assert_ne!(Jitter::new(0).next_unit(), Jitter::new(1).next_unit());
    }

    #[test]
    fn retry_after_takes_seconds_or_a_date() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777);
        assert_eq!(retry_after(" 120 ", now), Some(Duration::from_secs(120)));
        assert_eq!(retry_after("Sun, 06 Nov 1994 08:49:47 GMT", now), Some(Duration::from_secs(10)));
        assert_eq!(retry_after("Sun, 06 Nov 1994 08:49:00 GMT", now), Some(Duration::ZERO));
        assert_eq!(retry_after("soon", now), None);
        assert_eq!(retry_after("-1", now), None);
    }
}
