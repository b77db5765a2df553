//! The loop's clock: real (`Instant::now`) or virtual (time moves only when
//! the loop jumps it to the next timer), and the conversion between instants
//! and the timer wheel's ticks.
//!
//! The wheel never reads a clock (`wheel.rs`); this file is the only
//! place that turns time into tick numbers, so the rounding rules live here:
//! a deadline rounds *up* to a tick (a timer never fires early) and "now"
//! rounds *down* (a tick is due only once it has fully begun).

use std::cell::Cell;
use std::time::{Duration, Instant};

// One wheel tick is one millisecond, the resolution of `epoll_wait`'s
// timeout, so waiting for a tick never waits less than the tick. The
// conversions below are therefore written in milliseconds.

/// The last tick a timer can be set for: about 146 million years at 1 ms,
/// so "never" in practice. Later deadlines (`sleep(Duration::MAX)`) are
/// clamped to it, which keeps tick arithmetic from overflowing and stays
/// inside the wheel's limit of `2^64 - 2^36` ticks.
const MAX_TICK: u64 = 1 << 62;

/// The loop's source of time.
pub(crate) struct Clock {
    /// Tick zero: when the loop was created.
    epoch: Instant,
    /// `Some` on a virtual clock: the time since `epoch`, moved only by
    /// [`Clock::advance_to_tick`].
    virtual_elapsed: Option<Cell<Duration>>,
}

impl Clock {
    /// A clock that follows real time (or virtual time if `virtual_time`).
    pub(crate) fn new(virtual_time: bool) -> Self {
        Clock { epoch: Instant::now(), virtual_elapsed: virtual_time.then(|| Cell::new(Duration::ZERO)) }
    }

    /// True on a virtual clock.
    pub(crate) fn is_virtual(&self) -> bool {
        self.virtual_elapsed.is_some()
    }

    /// The current time (asyncio's `loop.time()`).
    pub(crate) fn now(&self) -> Instant {
        self.epoch + self.elapsed()
    }

    /// Time since the loop was created.
    pub(crate) fn elapsed(&self) -> Duration {
        match &self.virtual_elapsed {
            Some(elapsed) => elapsed.get(),
            None => self.epoch.elapsed(),
        }
    }

    /// The last tick that has fully begun: `floor(elapsed / TICK)`.
    pub(crate) fn now_tick(&self) -> u64 {
        duration_to_ticks(self.elapsed())
    }

    /// The first tick at or after `deadline`: `ceil((deadline - epoch) / TICK)`,
    /// at most [`MAX_TICK`]. Firing at this tick is never early.
    pub(crate) fn deadline_tick(&self, deadline: Instant) -> u64 {
        let since_epoch = deadline.saturating_duration_since(self.epoch);
        let ticks = duration_to_ticks(since_epoch);
        if ticks >= MAX_TICK {
            MAX_TICK
        } else if ticks_to_duration(ticks) < since_epoch {
            ticks + 1
        } else {
            ticks
        }
    }

    /// The instant `delay` from now, or one past every reachable tick if that
    /// overflows `Instant` (`sleep(Duration::MAX)` means "forever").
    pub(crate) fn deadline_after(&self, delay: Duration) -> Instant {
        let now = self.now();
        now.checked_add(delay).or_else(|| self.epoch.checked_add(ticks_to_duration(MAX_TICK))).unwrap_or(now)
    }

    /// How long from now until `tick` begins (zero if it has).
    pub(crate) fn until_tick(&self, tick: u64) -> Duration {
        ticks_to_duration(tick).saturating_sub(self.elapsed())
    }

    /// Virtual clocks only: jumps forward to the start of `tick` (never back).
    pub(crate) fn advance_to_tick(&self, tick: u64) {
        if let Some(elapsed) = &self.virtual_elapsed {
            elapsed.set(elapsed.get().max(ticks_to_duration(tick)));
        }
    }
}

/// Whole ticks (milliseconds) in `duration`, rounded down.
fn duration_to_ticks(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// The duration of `ticks` ticks (milliseconds).
fn ticks_to_duration(ticks: u64) -> Duration {
    Duration::from_millis(ticks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlines_round_up_and_now_rounds_down() {
        let clock = Clock::new(true);
        let start = clock.now();
        assert_eq!(clock.deadline_tick(start), 0);
        assert_eq!(clock.deadline_tick(start + Duration::from_micros(1)), 1);
        assert_eq!(clock.deadline_tick(start + Duration::from_millis(5)), 5);
        assert_eq!(clock.deadline_tick(start + Duration::from_micros(5_001)), 6);
        clock.advance_to_tick(7);
        assert_eq!(clock.now_tick(), 7);
        assert_eq!(clock.elapsed(), Duration::from_millis(7));
    }

    #[test]
    fn far_deadlines_clamp_instead_of_overflowing() {
        let clock = Clock::new(true);
        let forever = clock.deadline_after(Duration::MAX);
        assert_eq!(clock.deadline_tick(forever), MAX_TICK);
        let very_far = clock.now() + Duration::from_secs(1 << 62);
        assert_eq!(clock.deadline_tick(very_far), MAX_TICK);
        assert_eq!(clock.deadline_tick(clock.deadline_after(Duration::from_millis(3))), 3);
    }

    #[test]
    fn virtual_time_never_goes_back() {
        let clock = Clock::new(true);
        clock.advance_to_tick(10);
        clock.advance_to_tick(3);
        assert_eq!(clock.now_tick(), 10);
    }
}
