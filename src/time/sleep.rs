//! [`sleep`]: a future that completes once its deadline has passed.
//!
//! In the life of a wakeup this is a timer's first step: the first poll
//! puts a wake entry for this task into the loop's timer wheel and returns
//! `Pending`. When the loop's timer phase finds the entry due it moves it to
//! the ready queue; running it wakes the task, which is polled in the next
//! iteration and sees its entry gone from the wheel.

use std::future::Future;
use std::pin::Pin;
use std::rc::Weak;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use crate::runtime::context;
use crate::runtime::core::LoopCore;
use crate::runtime::ready::TimerAction;
use crate::runtime::wheel::TimerKey;

/// Waits for `duration`, asyncio's `asyncio.sleep(delay)`.
///
/// The deadline is taken when the sleep is first polled (when an asyncio
/// coroutine would start running). `sleep(Duration::ZERO)` does not touch
/// the timer wheel: it yields exactly one loop iteration, letting every
/// other ready task run once, like `asyncio.sleep(0)`.
///
/// A timer never fires early, and at most one tick (1 ms) late plus the
/// loop's own latency. Sleeps due at the same tick resume in the order they
/// started (a promise stronger than asyncio's).
///
/// ```
/// use std::time::Duration;
/// # corio::run(async {
/// corio::sleep(Duration::from_millis(10)).await;
/// corio::sleep(Duration::ZERO).await; // just yield
/// # });
/// ```
pub fn sleep(duration: Duration) -> Sleep {
    Sleep { state: State::After(duration) }
}

/// Waits until loop time `deadline` ([`LoopHandle::time`] measures it).
///
/// [`LoopHandle::time`]: crate::LoopHandle::time
pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep { state: State::Until(deadline) }
}

/// The future returned by [`sleep`] and [`sleep_until`].
#[derive(Debug)]
pub struct Sleep {
    /// How far along the sleep is.
    state: State,
}

/// A [`Sleep`]'s progress. What the caller asked for is needed only until
/// the first poll turns it into a timer, so it shares the space: a million
/// sleeping tasks hold a million of these (24 bytes each).
#[derive(Debug)]
enum State {
    /// Not polled yet: no timer; it will wait this long from the first poll.
    After(Duration),
    /// Not polled yet: no timer; it will wait until this loop time.
    Until(Instant),
    /// A zero sleep that has yielded once.
    Yielded,
    /// Waiting on a wheel entry.
    Waiting {
        /// The entry, for refreshing its waker and for cancelling it.
        key: TimerKey,
        /// The loop whose wheel holds it.
        core: Weak<LoopCore>,
    },
    /// Finished.
    Done,
}

impl Sleep {
    /// The first poll of a sleep that is not a bare yield: puts a wake entry
    /// for this task into the wheel at `deadline`.
    fn start(&mut self, core: &LoopCore, deadline: Instant, cx: &mut Context<'_>) -> Poll<()> {
        let key = core.insert_timer(deadline, TimerAction::Wake(cx.waker().clone()));
        self.state = State::Waiting { key, core: core.weak() };
        // The loop wakes us when the entry falls due (`run_once` phase 3,
        // then the `Runnable::Wake` in phase 4).
        Poll::Pending
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        match &self.state {
            State::After(Duration::ZERO) => {
                // asyncio's `sleep(0)` is a bare yield: reschedule ourselves,
                // so we run again next iteration, after everything already
                // queued.
                self.state = State::Yielded;
                cx.waker().wake_by_ref();
                Poll::Pending
            }
            &State::After(duration) => {
                let core = context::current();
                let deadline = core.clock.deadline_after(duration);
                self.start(&core, deadline, cx)
            }
            &State::Until(deadline) => self.start(&context::current(), deadline, cx),
            State::Yielded | State::Done => {
                self.state = State::Done;
                Poll::Ready(())
            }
            State::Waiting { key, core } => {
                let still_pending = core.upgrade().is_some_and(|core| core.refresh_timer(*key, cx.waker()));
                if still_pending {
                    // Polled early (woken by something else sharing our
                    // task): the entry now holds this poll's waker, and the
                    // loop still wakes us when it falls due.
                    return Poll::Pending;
                }
                self.state = State::Done;
                Poll::Ready(())
            }
        }
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        // A sleep dropped before its deadline (cancelled, or lost a race in
        // `timeout`) takes its entry out of the wheel. If the loop is gone,
        // so is the wheel.
        if let State::Waiting { key, core } = &self.state
            && let Some(core) = core.upgrade()
        {
            core.cancel_timer(*key);
        }
    }
}
