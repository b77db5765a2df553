//! `--autothrottle`: Scrapy's AutoThrottle, which spaces requests by the
//! latency it sees so that, on average, about `target` requests are in
//! flight: slow answers slow the crawl down, fast ones speed it up.
//!
//! Scrapy's rule, per answer with latency `L`: the delay between request
//! starts moves halfway towards `L / target`, never below the `--delay`
//! floor nor above 60 s, and an error answer (not 2xx or 404) may raise
//! the delay but never lower it. The first requests are spaced by the
//! start delay (Scrapy's default, 5 s, is for unknown sites; this is 1 s).
//! A request waiting at the gate re-reads the delay each time it wakes, so
//! an answer that shortens the delay speeds up the requests already
//! waiting, as in Scrapy, where the downloader checks its slot's delay
//! each time it looks at its queue. The arithmetic is pure;
//! [`Throttle::gate`] does the waiting.

use std::cell::Cell;
use std::time::{Duration, Instant};

/// The delay before the first answer arrives.
const START_DELAY: Duration = Duration::from_secs(1);

/// The longest delay the throttle sets.
const MAX_DELAY: Duration = Duration::from_secs(60);

/// Spacing between request starts, adapted to the latency.
pub struct Throttle {
    /// Requests in flight to aim for.
    target: f64,
    /// The lowest delay (`--delay`).
    floor: Duration,
    /// The delay now.
    delay: Cell<Duration>,
    /// When the last request started.
    last_start: Cell<Option<Instant>>,
}

impl Throttle {
    /// A throttle aiming at `target` requests in flight, never spacing
    /// requests closer than `floor`.
    pub fn new(target: f64, floor: Duration) -> Throttle {
        Throttle { target, floor, delay: Cell::new(START_DELAY.max(floor)), last_start: Cell::new(None) }
    }

    /// The delay between request starts now.
    pub fn delay(&self) -> Duration {
        self.delay.get()
    }

    /// Takes an answer into account: `latency` to its head, and whether it
    /// was a normal answer (2xx or 404).
    pub fn observe(&self, latency: Duration, normal: bool) {
        let towards = latency.div_f64(self.target);
        let new = (self.delay.get() + towards) / 2;
        let new = new.clamp(self.floor, MAX_DELAY);
        // An error answer comes fast and says nothing good about the server.
        if normal || new > self.delay.get() {
            self.delay.set(new);
        }
    }

    /// Starts a request at `now` if the delay since the last start has
    /// passed; otherwise says when it will have, by the delay as it is now.
    pub fn try_start(&self, now: Instant) -> Result<(), Instant> {
        match self.last_start.get() {
            Some(last) if now < last + self.delay.get() => Err(last + self.delay.get()),
            _ => {
                self.last_start.set(Some(now));
                Ok(())
            }
        }
    }

    /// Waits until a request may start, and starts it. Several waiters wake
    /// at the same moment; the first to run starts, the others see the
    /// new start and sleep again.
    pub async fn gate(&self) {
        loop {
            let now = Instant::now();
            match self.try_start(now) {
                Ok(()) => return,
                Err(at) => corio::sleep(at - now).await,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_delay_moves_halfway_to_latency_over_target() {
        let throttle = Throttle::new(2.0, Duration::ZERO);
        assert_eq!(throttle.delay(), START_DELAY);
        // 1 s towards 200 ms / 2 = 100 ms: 550 ms, then 325 ms, ...
        throttle.observe(Duration::from_millis(200), true);
        assert_eq!(throttle.delay(), Duration::from_millis(550));
        throttle.observe(Duration::from_millis(200), true);
        assert_eq!(throttle.delay(), Duration::from_millis(325));
        for _ in 0..30 {
            throttle.observe(Duration::from_millis(200), true);
        }
        assert!(throttle.delay().abs_diff(Duration::from_millis(100)) < Duration::from_millis(1));
    }

    #[test]
    fn errors_never_lower_the_delay_and_the_bounds_hold() {
        let throttle = Throttle::new(1.0, Duration::from_millis(300));
        throttle.observe(Duration::from_millis(1), false);
        assert_eq!(throttle.delay(), START_DELAY, "a fast error does not speed the crawl up");
        throttle.observe(Duration::from_secs(5), false);
        assert_eq!(throttle.delay(), Duration::from_secs(3), "a slow one slows it down");
        for _ in 0..20 {
            throttle.observe(Duration::from_millis(1), true);
        }
        assert_eq!(throttle.delay(), Duration::from_millis(300), "never below --delay");
        for _ in 0..20 {
            throttle.observe(Duration::from_secs(600), true);
        }
        assert_eq!(throttle.delay(), MAX_DELAY);
    }

    #[test]
    fn starts_are_one_delay_apart_by_the_delay_at_the_time_of_asking() {
        let throttle = Throttle::new(1.0, Duration::ZERO);
        let now = Instant::now();
        assert_eq!(throttle.try_start(now), Ok(()));
        assert_eq!(throttle.try_start(now), Err(now + START_DELAY));
        // An answer that shortens the delay moves the waiting request up.
        throttle.observe(Duration::ZERO, true);
        assert_eq!(throttle.try_start(now), Err(now + START_DELAY / 2));
        assert_eq!(throttle.try_start(now + START_DELAY / 2), Ok(()));
        assert_eq!(throttle.try_start(now + START_DELAY / 2), Err(now + START_DELAY));
    }
}
