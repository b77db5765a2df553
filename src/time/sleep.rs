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
use crate::runtime::ready::Runnable;
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
    Sleep { wait: Wait::Duration(duration), state: State::Unpolled }
}

/// Waits until loop time `deadline` ([`LoopHandle::time`] measures it).
///
/// [`LoopHandle::time`]: crate::LoopHandle::time
pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep { wait: Wait::Until(deadline), state: State::Unpolled }
}

/// The future returned by [`sleep`] and [`sleep_until`].
#[derive(Debug)]
pub struct Sleep {
    /// What the caller asked for.
    wait: Wait,
    /// How far along the sleep is.
    state: State,
}

/// The two ways to say when a sleep ends.
#[derive(Clone, Copy, Debug)]
enum Wait {
    /// This long after the first poll.
    Duration(Duration),
    /// At this loop time.
    Until(Instant),
}

/// A [`Sleep`]'s progress.
#[derive(Debug)]
enum State {
    /// Not polled yet: no deadline, no timer.
    Unpolled,
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

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        match &self.state {
            State::Unpolled => {
                if let Wait::Duration(Duration::ZERO) = self.wait {
                    // asyncio's `sleep(0)` is a bare yield: reschedule
                    // ourselves, so we run again next iteration, after
                    // everything already queued.
                    self.state = State::Yielded;
                    cx.waker().wake_by_ref();
                    return Poll::Pending;
                }
                let core = context::current();
                let deadline = match self.wait {
                    Wait::Duration(duration) => core.clock.deadline_after(duration),
                    Wait::Until(deadline) => deadline,
                };
                let key = core.insert_timer(deadline, Runnable::Wake(cx.waker().clone()));
                self.state = State::Waiting { key, core: core.weak() };
                // The loop wakes us when the entry falls due (`run_once`
                // phase 3, then the `Runnable::Wake` in phase 4).
                Poll::Pending
            }
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
