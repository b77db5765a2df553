//! [`timeout`], [`timeout_at`] and [`wait_for`]: race a future against a
//! deadline and drop it, cancelling its work, if the deadline wins.
//!
//! The deadline is asyncio's `Timeout`: a callback on the loop (`call_at`,
//! or `call_soon` for a deadline already past) that expires the timeout.
//! Expiring does what asyncio's `task.cancel()` does to the awaited work:
//! the tasks the inner future is blocked on are cancelled in that step, and
//! the timeout returns once they have finished (so a task awaited by value
//! is done and cancelled by then); with no task to cancel it wakes its own
//! task at once. From the moment it has expired, the timeout answers
//! `Err(TimeoutError)` without polling the inner future again.

use std::cell::{Cell, RefCell};
use std::future::{IntoFuture, poll_fn};
use std::pin::pin;
use std::rc::Rc;
use std::task::{Poll, Waker};
use std::time::{Duration, Instant};

use crate::error::TimeoutError;
use crate::event_loop::{CallbackHandle, TimerHandle, get_running_loop};
use crate::runtime::context;
use crate::runtime::loop_thread::LoopThread;
use crate::runtime::raw_task::Awaited;
use crate::runtime::waker::cancel_awaited;

/// Runs `future` for at most `duration`: `Ok(output)` if it completes in
/// time, otherwise `Err(TimeoutError)` with the future dropped at its
/// current await point (asyncio's `asyncio.timeout` block).
///
/// The future is always polled once, so a body that does not suspend
/// completes even under `timeout(Duration::ZERO)`; any suspension under a
/// deadline already passed ends in `TimeoutError` at the next iteration, as
/// in asyncio.
///
/// A [`Task`](crate::Task) awaited by value is cancelled on timeout, and is
/// done by the time the error returns, as asyncio's `wait_for` leaves it;
/// pass `&mut task` (or a [`shield`](crate::shield())) to give up waiting
/// but leave the task running.
///
/// # Panics
/// Outside a running loop.
///
/// ```
/// use std::time::Duration;
/// # corio::run(async {
/// let quick = corio::timeout(Duration::from_secs(1), async { 7 }).await;
/// assert_eq!(quick, Ok(7));
/// let slow = corio::timeout(Duration::from_millis(5), corio::sleep(Duration::from_secs(9))).await;
/// assert!(slow.is_err());
/// # });
/// ```
pub async fn timeout<F: IntoFuture>(duration: Duration, future: F) -> Result<F::Output, TimeoutError> {
    let deadline = context::current().clock.deadline_after(duration);
    race(deadline, future).await
}

/// [`timeout`] with an absolute deadline on the loop's clock (asyncio's
/// `asyncio.timeout_at(when)`): useful when several steps share one
/// deadline.
///
/// # Panics
/// Outside a running loop.
///
/// ```
/// use std::time::Duration;
/// # corio::run(async {
/// let deadline = corio::get_running_loop().time() + Duration::from_millis(5);
/// let first = corio::timeout_at(deadline, async { 1 }).await;
/// let second = corio::timeout_at(deadline, corio::sleep(Duration::from_secs(9))).await;
/// assert_eq!((first, second), (Ok(1), Err(corio::TimeoutError)));
/// # });
/// ```
pub async fn timeout_at<F: IntoFuture>(deadline: Instant, future: F) -> Result<F::Output, TimeoutError> {
    race(deadline, future).await
}

/// asyncio's `wait_for(aw, timeout)`: [`timeout`] with asyncio's argument
/// order. With a zero timeout the future is never polled (asyncio never
/// starts the coroutine) and the error comes back at once; a task awaited
/// by value is then cancelled and finishes in the next iteration. (asyncio
/// wraps the coroutine in a task, cancels it and waits three iterations for
/// that; corio has no task to wait for.)
///
/// # Panics
/// Outside a running loop.
pub async fn wait_for<F: IntoFuture>(future: F, duration: Duration) -> Result<F::Output, TimeoutError> {
    if duration.is_zero() {
        drop(future);
        return Err(TimeoutError);
    }
    timeout(duration, future).await
}

/// Polls `future` until it completes or the deadline expires it.
async fn race<F: IntoFuture>(deadline: Instant, future: F) -> Result<F::Output, TimeoutError> {
    let lp = get_running_loop();
    let expiry = Rc::new(Expiry {
        expired: Cell::new(false),
        waker: RefCell::new(None),
        awaited: RefCell::default(),
        thread: context::current().thread(),
    });
    let fire = {
        let expiry = expiry.clone();
        move || expiry.fire()
    };
    // asyncio's `Timeout.reschedule`: a deadline already past expires in the
    // next iteration, a later one when its timer falls due.
    let _timer = if deadline <= lp.time() {
        Scheduled::Soon(lp.call_soon(fire))
    } else {
        Scheduled::At(lp.call_at(deadline, fire))
    };
    let mut future = pin!(future.into_future());
    poll_fn(|cx| {
        if expiry.expired.get() {
            return Poll::Ready(Err(TimeoutError));
        }
        let core = context::current();
        let before = core.awaiting_mark();
        if let Poll::Ready(output) = future.as_mut().poll(cx) {
            return Poll::Ready(Ok(output));
        }
        // What the inner future is blocked on now is what expiring cancels.
        *expiry.awaited.borrow_mut() = core.awaited_since(before);
        // Woken by the expiry callback, or by whatever the future waits on.
        *expiry.waker.borrow_mut() = Some(cx.waker().clone());
        Poll::Pending
    })
    .await
}

/// What the expiry callback shares with the racing future.
struct Expiry {
    /// The deadline has won.
    expired: Cell<bool>,
    /// The task running the race.
    waker: RefCell<Option<Waker>>,
    /// What the inner future was blocked on at its last poll.
    awaited: RefCell<Vec<Awaited>>,
    /// The loop's thread, where the expiry callback runs.
    thread: LoopThread,
}

impl Expiry {
    /// asyncio's `Timeout._on_timeout`: expire, and cancel the work the
    /// inner future waits on. If some task took the cancellation, its
    /// completion wakes us; otherwise we wake ourselves.
    fn fire(&self) {
        self.expired.set(true);
        let awaited = std::mem::take(&mut *self.awaited.borrow_mut());
        if !cancel_awaited(&awaited, self.thread) {
            let waker = self.waker.borrow_mut().take();
            if let Some(waker) = waker {
                waker.wake();
            }
        }
    }
}

/// The expiry callback, cancelled when the race ends first.
enum Scheduled {
    /// Queued with `call_soon`.
    Soon(CallbackHandle),
    /// On the timer wheel.
    At(TimerHandle),
}

impl Drop for Scheduled {
    fn drop(&mut self) {
        match self {
            Scheduled::Soon(handle) => handle.cancel(),
            Scheduled::At(handle) => handle.cancel(),
        }
    }
}
