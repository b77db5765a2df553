//! Phase 1 of a loop iteration: how long may the reactor block?
//!
//! asyncio's `_run_once` starts by computing a timeout for the selector:
//! zero if callbacks are ready, otherwise until the earliest timer, or
//! forever. corio adds two cases for its virtual clock. The decision is a
//! pure function of four facts, so it is tested as a table below and
//! `LoopCore::run_once` only gathers the facts and acts on the answer.

use std::time::Duration;

/// On a virtual clock, how long one real wait for blocking-pool results lasts.
pub(crate) const VIRTUAL_BLOCKING_POLL: Duration = Duration::from_millis(1);

/// What phase 1 looks at.
#[derive(Clone, Copy, Debug)]
pub(crate) struct LoopFacts {
    /// The ready queue is not empty, or a stop was requested.
    pub(crate) work_queued: bool,
    /// The wheel's next expiration, as a tick.
    pub(crate) next_timer: Option<u64>,
    /// Blocking-pool jobs are queued or running: results may still arrive.
    pub(crate) blocking_in_flight: bool,
    /// The loop runs on a virtual clock.
    pub(crate) virtual_clock: bool,
}

/// How phase 2 waits for I/O, and whether phase 3 may jump a virtual clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum IoWait {
    /// Poll without blocking: there is work to run.
    NoWait,
    /// Virtual clock, nothing to do but timers: poll without blocking, and
    /// if that brings nothing, jump the clock to the next timer.
    JumpToTimer,
    /// Block until the timer due at this tick (real clock).
    UntilTick(u64),
    /// Virtual clock with blocking jobs in flight: it cannot jump past
    /// results that arrive in real time, so it waits for them in short real
    /// steps.
    BlockingPoll,
    /// Nothing is scheduled: block until a socket is ready or another thread
    /// wakes the loop.
    Forever,
}

/// Decides phase 1 from the loop's facts.
pub(crate) fn io_wait(facts: LoopFacts) -> IoWait {
    if facts.work_queued {
        return IoWait::NoWait;
    }
    match (facts.virtual_clock, facts.next_timer) {
        // A virtual clock never waits in real time for a timer, except that
        // while blocking-pool jobs run it must not jump either.
        (true, _) if facts.blocking_in_flight => IoWait::BlockingPoll,
        (true, Some(_)) => IoWait::JumpToTimer,
        (false, Some(tick)) => IoWait::UntilTick(tick),
        (_, None) => IoWait::Forever,
    }
}

impl IoWait {
    /// The timeout for `epoll_wait`, given how long until a tick begins
    /// (asked only for [`IoWait::UntilTick`], so a real clock is read only
    /// when the loop is about to sleep).
    pub(crate) fn timeout(self, until_tick: impl FnOnce(u64) -> Duration) -> Option<Duration> {
        match self {
            IoWait::NoWait | IoWait::JumpToTimer => Some(Duration::ZERO),
            IoWait::UntilTick(tick) => Some(until_tick(tick)),
            IoWait::BlockingPoll => Some(VIRTUAL_BLOCKING_POLL),
            IoWait::Forever => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_combination_of_the_four_facts() {
        use IoWait::*;
        // (work queued, next timer, blocking jobs in flight, virtual clock) => wait
        let table = [
            ((true, None, false, false), NoWait),
            ((true, Some(5), false, false), NoWait),
            ((true, Some(5), true, false), NoWait),
            ((true, None, false, true), NoWait),
            ((true, Some(5), true, true), NoWait),
            ((false, None, false, false), Forever),
            ((false, None, true, false), Forever),
            ((false, Some(5), false, false), UntilTick(5)),
            ((false, Some(5), true, false), UntilTick(5)),
            ((false, None, false, true), Forever),
            ((false, Some(5), false, true), JumpToTimer),
            ((false, None, true, true), BlockingPoll),
            ((false, Some(5), true, true), BlockingPoll),
        ];
        for ((work_queued, next_timer, blocking_in_flight, virtual_clock), expected) in table {
            let facts = LoopFacts { work_queued, next_timer, blocking_in_flight, virtual_clock };
            assert_eq!(io_wait(facts), expected, "{facts:?}");
        }
    }

    #[test]
    fn only_a_timer_wait_asks_the_clock() {
        let never = |_| -> Duration { panic!("the clock was read") };
        assert_eq!(IoWait::NoWait.timeout(never), Some(Duration::ZERO));
        assert_eq!(IoWait::JumpToTimer.timeout(never), Some(Duration::ZERO));
        assert_eq!(IoWait::BlockingPoll.timeout(never), Some(VIRTUAL_BLOCKING_POLL));
        assert_eq!(IoWait::Forever.timeout(never), None);
        assert_eq!(
            IoWait::UntilTick(9).timeout(|tick| Duration::from_millis(tick - 2)),
            Some(Duration::from_millis(7))
        );
    }
}
