//! `Barrier`: asyncio's `asyncio.Barrier` (3.11), a meeting point where a
//! fixed number of tasks wait for each other and then all go on at once.
//!
//! asyncio builds it on a `Condition` and a four-state machine, and so does
//! this file, with the condition written out: a [`WaiterList`] that every
//! state change wakes in full (`notify_all`), and whose waiters re-check
//! the state when they run. The states:
//!
//! - *filling*: tasks arrive and wait; the one that makes the count reach
//!   `parties` switches to *draining* and returns at once.
//! - *draining*: the woken tasks return one by one; newcomers wait until the
//!   last one has left, which switches back to *filling*.
//! - *resetting*: [`Barrier::reset`] was called while tasks waited; they
//!   fail with [`BrokenBarrierError`] and the last to leave switches to
//!   *filling*.
//! - *broken*: [`Barrier::abort`] was called; every wait fails, now and
//!   later, until a `reset`.
//!
//! asyncio's barrier takes the condition's lock around every step, but no
//! step awaits while holding it, so the lock is never contended and never
//! makes a task wait; here, on one thread, it is left out.

use std::cell::{Cell, RefCell};
use std::error::Error;
use std::fmt;

use super::waiters::{Waiter, WaiterList};

/// A barrier for `parties` tasks, reusable round after round.
///
/// # Examples
///
/// ```
/// use std::rc::Rc;
/// use corio::sync::Barrier;
///
/// corio::run(async {
///     let barrier = Rc::new(Barrier::new(3));
///     let mut tasks = Vec::new();
///     for _ in 0..3 {
///         let barrier = Rc::clone(&barrier);
///         tasks.push(corio::create_task(async move {
///             // Each gets its place in arrival order: 0, 1, 2.
///             barrier.wait().await.unwrap()
///         }));
///     }
///     let mut places = Vec::new();
///     for task in tasks {
///         places.push(task.await.unwrap());
///     }
///     assert_eq!(places, [0, 1, 2]);
/// });
/// ```
pub struct Barrier {
    /// How many tasks must wait before all of them go on.
    parties: usize,
    /// Which phase the barrier is in; see the module documentation.
    state: Cell<State>,
    /// Tasks inside [`wait`](Barrier::wait) past the entry check: waiting
    /// to be released while filling, or on their way out while draining or
    /// resetting.
    count: Cell<usize>,
    /// asyncio's condition: every task waiting for the state to change,
    /// oldest first, whether to be released or to be let in.
    waiters: RefCell<WaiterList>,
}

/// The phases of a [`Barrier`]; see the module documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Filling,
    Draining,
    Resetting,
    Broken,
}

/// The error from [`Barrier::wait`] when the barrier was aborted, or reset
/// while the task waited (asyncio's `BrokenBarrierError`).
///
/// # Examples
///
/// ```
/// use corio::sync::{Barrier, BrokenBarrierError};
///
/// corio::run(async {
///     let barrier = Barrier::new(2);
///     barrier.abort();
///     assert_eq!(barrier.wait().await, Err(BrokenBarrierError));
///     assert_eq!(BrokenBarrierError.to_string(), "barrier aborted or reset while waiting");
/// });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BrokenBarrierError;

/// Leaves the barrier when dropped: asyncio's `finally` around the part of
/// `wait` that counts, so a task that returns, fails or is cancelled (its
/// future dropped) is no longer counted.
struct Leave<'a> {
    barrier: &'a Barrier,
}

/// Wakes the next waiter when dropped: armed while a task waits for the
/// state to change, so it fires only if that wait is cancelled.
struct NotifyIfCancelled<'a> {
    barrier: &'a Barrier,
}

impl Barrier {
    /// Creates a barrier that lets tasks through `parties` at a time.
    ///
    /// # Panics
    ///
    /// Panics if `parties` is 0, as asyncio raises `ValueError`: nobody
    /// could ever be the one to fill it.
    pub fn new(parties: usize) -> Barrier {
        assert!(parties > 0, "a barrier needs at least one party");
        Barrier {
            parties,
            state: Cell::new(State::Filling),
            count: Cell::new(0),
            waiters: RefCell::new(WaiterList::new()),
        }
    }

    /// Waits until `parties` tasks are waiting, then returns this task's
    /// place among them: 0 for the first to arrive, `parties - 1` for the
    /// last, which returns at once and lets the others go.
    ///
    /// A task that arrives while the previous round is still leaving waits
    /// for it to finish first. The others are released in the order they
    /// started waiting, in the next iteration.
    ///
    /// Dropping the returned future (cancelling the task) takes it out of
    /// the count, so the barrier waits for another in its place.
    ///
    /// # Errors
    ///
    /// Returns [`BrokenBarrierError`] if the barrier is broken (aborted),
    /// or is aborted or reset while this task waits.
    pub async fn wait(&self) -> Result<usize, BrokenBarrierError> {
        // Let the previous round leave first (asyncio's `_block`).
        while matches!(self.state.get(), State::Draining | State::Resetting) {
            self.wait_for_change().await;
        }
        if self.state.get() == State::Broken {
            return Err(BrokenBarrierError);
        }
        let index = self.count.get();
        self.count.set(index + 1);
        // From here, every way out leaves the barrier.
        let _leave = Leave { barrier: self };
        if index + 1 == self.parties {
            // We fill the barrier: release everyone and go on at once.
            self.state.set(State::Draining);
            self.notify_all();
        } else {
            while self.state.get() == State::Filling {
                self.wait_for_change().await;
            }
            if matches!(self.state.get(), State::Broken | State::Resetting) {
                return Err(BrokenBarrierError);
            }
        }
        Ok(index)
    }

    /// Puts the barrier back to empty: tasks waiting in it fail with
    /// [`BrokenBarrierError`], and once they have left, it fills afresh. A
    /// broken barrier becomes usable again.
    ///
    /// asyncio's `reset()` is a coroutine only to take the condition's
    /// lock, which it never waits for; here it is a plain method.
    pub fn reset(&self) {
        if self.count.get() > 0 {
            // The waiters fail as they leave; the last one out sets filling.
            self.state.set(State::Resetting);
        } else {
            self.state.set(State::Filling);
        }
        self.notify_all();
    }

    /// Breaks the barrier: tasks waiting in it and every later
    /// [`wait`](Barrier::wait) fail with [`BrokenBarrierError`], until a
    /// [`reset`](Barrier::reset). A plain method for the reason `reset` is.
    pub fn abort(&self) {
        self.state.set(State::Broken);
        self.notify_all();
    }

    /// Returns the number of tasks needed to pass the barrier.
    pub fn parties(&self) -> usize {
        self.parties
    }

    /// Returns the number of tasks waiting to be released in the current
    /// round: 0 while a round is leaving, resetting or broken.
    pub fn n_waiting(&self) -> usize {
        if self.state.get() == State::Filling { self.count.get() } else { 0 }
    }

    /// Returns `true` if the barrier was aborted and not reset since.
    #[doc(alias = "is_broken")]
    pub fn broken(&self) -> bool {
        self.state.get() == State::Broken
    }

    /// Waits until the state changes, or may have: one `Condition.wait` of
    /// asyncio's barrier.
    ///
    /// asyncio's `Condition.wait` cannot tell whether it was cancelled
    /// before or after being notified, so a cancelled waiter always wakes
    /// the next one, which finds nothing changed and waits again, now at
    /// the back of the line. That changes the order in which a round is
    /// released, so we do the same. (Our own [`Condition`](super::Condition)
    /// knows and does not.)
    async fn wait_for_change(&self) {
        let notify = NotifyIfCancelled { barrier: self };
        // Nothing to pass on when dropped after being woken: every wake-up
        // here is a broadcast, and `notify` wakes the next waiter anyway.
        // Pending until a state change calls `notify_all`, or a cancelled
        // waiter's `notify` reaches us.
        Waiter::new(&self.waiters, || {}).await;
        // Not cancelled; `notify` holds only a reference, so forgetting it
        // leaks nothing.
        std::mem::forget(notify);
    }

    /// Wakes the oldest waiter, if any.
    fn notify_one(&self) {
        let next = self.waiters.borrow_mut().grant_front();
        if let Some(waker) = next {
            waker.wake();
        }
    }

    /// Wakes every waiter, oldest first.
    fn notify_all(&self) {
        let wakers = self.waiters.borrow_mut().grant_all();
        for waker in wakers {
            waker.wake();
        }
    }
}

impl Drop for Leave<'_> {
    fn drop(&mut self) {
        let barrier = self.barrier;
        let count = barrier.count.get() - 1;
        barrier.count.set(count);
        // The last to leave a round ends it, and lets in those waiting to
        // enter (asyncio's `_exit`).
        if count == 0 {
            if matches!(barrier.state.get(), State::Draining | State::Resetting) {
                barrier.state.set(State::Filling);
            }
            barrier.notify_all();
        }
    }
}

impl Drop for NotifyIfCancelled<'_> {
    fn drop(&mut self) {
        // Our own waiter was dropped first (it was created after us), so
        // this wakes someone else.
        self.barrier.notify_one();
    }
}

impl fmt::Debug for Barrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Barrier")
            .field("parties", &self.parties)
            .field("state", &self.state.get())
            .field("n_waiting", &self.n_waiting())
            .finish()
    }
}

impl fmt::Display for BrokenBarrierError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("barrier aborted or reset while waiting")
    }
}

impl Error for BrokenBarrierError {}

#[cfg(test)]
mod tests {
    use super::super::waiters::wake_log::{WakeLog, poll_with};
    use super::*;
    use std::pin::pin;
    use std::task::Poll;

    #[test]
    fn the_last_party_returns_at_once_and_wakes_the_others_in_arrival_order() {
        let log = WakeLog::new();
        let barrier = Barrier::new(3);
        let mut first = pin!(barrier.wait());
        let mut second = pin!(barrier.wait());
        assert!(poll_with(first.as_mut(), &log.waker(1)).is_pending());
        assert!(poll_with(second.as_mut(), &log.waker(2)).is_pending());
        assert_eq!(barrier.n_waiting(), 2);

        assert_eq!(poll_with(pin!(barrier.wait()), &log.waker(3)), Poll::Ready(Ok(2)));
        assert_eq!(log.take(), [1, 2]);
        assert_eq!(barrier.n_waiting(), 0, "draining");
        assert_eq!(poll_with(first, &log.waker(1)), Poll::Ready(Ok(0)));
        assert_eq!(poll_with(second, &log.waker(2)), Poll::Ready(Ok(1)));
        assert_eq!(barrier.state.get(), State::Filling, "the last to leave ended the round");
    }

    #[test]
    fn a_cancelled_party_leaves_the_count_and_wakes_the_next_waiter() {
        let log = WakeLog::new();
        let barrier = Barrier::new(3);
        let mut first = pin!(barrier.wait());
        let mut cancelled = Box::pin(barrier.wait());
        let mut third = pin!(barrier.wait());
        assert!(poll_with(first.as_mut(), &log.waker(1)).is_pending());
        assert!(poll_with(cancelled.as_mut(), &log.waker(2)).is_pending());
        assert_eq!(barrier.n_waiting(), 2);
        drop(cancelled);
        assert_eq!(barrier.n_waiting(), 1);
        assert_eq!(log.take(), [1], "asyncio's spurious wake-up, not our own");
        // A third arrives; then the woken one runs, finds nothing changed
        // and waits again, now behind the third.
        assert!(poll_with(third.as_mut(), &log.waker(3)).is_pending());
        assert!(poll_with(first.as_mut(), &log.waker(1)).is_pending());
        assert_eq!(poll_with(pin!(barrier.wait()), &log.waker(4)), Poll::Ready(Ok(2)));
        assert_eq!(log.take(), [3, 1]);
    }

    #[test]
    fn a_cancelled_party_at_the_front_wakes_the_one_behind_it_not_itself() {
        let log = WakeLog::new();
        let barrier = Barrier::new(3);
        let mut cancelled = Box::pin(barrier.wait());
        let mut behind = pin!(barrier.wait());
        assert!(poll_with(cancelled.as_mut(), &log.waker(1)).is_pending());
        assert!(poll_with(behind.as_mut(), &log.waker(2)).is_pending());
        drop(cancelled);
        assert_eq!(log.take(), [2]);
    }

    #[test]
    fn reset_fails_the_waiters_and_abort_fails_everyone_until_a_reset() {
        let log = WakeLog::new();
        let barrier = Barrier::new(2);
        let mut waiting = pin!(barrier.wait());
        assert!(poll_with(waiting.as_mut(), &log.waker(1)).is_pending());
        barrier.reset();
        assert_eq!(poll_with(waiting, &log.waker(1)), Poll::Ready(Err(BrokenBarrierError)));
        assert_eq!(barrier.state.get(), State::Filling);

        barrier.abort();
        assert!(barrier.broken());
        assert_eq!(poll_with(pin!(barrier.wait()), &log.waker(2)), Poll::Ready(Err(BrokenBarrierError)));
        barrier.reset();
        assert!(!barrier.broken());
        assert!(poll_with(pin!(barrier.wait()), &log.waker(3)).is_pending());
    }

    #[test]
    #[should_panic(expected = "a barrier needs at least one party")]
    fn a_barrier_for_nobody_is_refused() {
        Barrier::new(0);
    }
}
