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
use std::fmt;
use std::future::{Future, IntoFuture, poll_fn};
use std::pin::{Pin, pin};
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
    // Pinned here, in the one frame that holds it: see `Timeout::run_pinned`.
    let future = pin!(future.into_future());
    Timeout::after(duration).run_pinned(future).await
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
    let future = pin!(future.into_future());
    Timeout::at(Some(deadline)).run_pinned(future).await
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

/// A deadline that can be read and moved while the future it guards runs:
/// asyncio's `asyncio.Timeout`, what `async with asyncio.timeout(d) as cm`
/// binds. [`Timeout::run`] is the `async with` block; [`when`](Self::when),
/// [`reschedule`](Self::reschedule) and [`expired`](Self::expired) are
/// asyncio's methods. [`timeout`] and [`timeout_at`] are this with a fixed
/// deadline.
///
/// ```
/// use std::time::Duration;
/// # corio::run(async {
/// let lp = corio::get_running_loop();
/// let cm = corio::Timeout::after(Duration::from_millis(10));
/// let outcome = cm
///     .run(async {
///         // More time is needed: move the deadline while inside the block.
///         cm.reschedule(Some(lp.time() + Duration::from_millis(50)));
///         corio::sleep(Duration::from_millis(20)).await;
///         "done"
///     })
///     .await;
/// assert_eq!(outcome, Ok("done"));
/// assert!(!cm.expired());
/// # });
/// ```
pub struct Timeout {
    state: Rc<Expiry>,
}

impl Timeout {
    /// A timeout `delay` from now on the running loop's clock (asyncio's
    /// `asyncio.timeout(delay)`).
    ///
    /// # Panics
    /// Outside a running loop.
    pub fn after(delay: Duration) -> Timeout {
        Timeout::at(Some(context::current().clock.deadline_after(delay)))
    }

    /// A timeout at loop time `when`, or none at all for `None` (asyncio's
    /// `asyncio.timeout_at(when)` and `timeout(None)`).
    ///
    /// # Panics
    /// Outside a running loop.
    pub fn at(when: Option<Instant>) -> Timeout {
        let state = Expiry {
            deadline: Cell::new(when),
            scheduled: RefCell::new(None),
            running: Cell::new(false),
            expired: Cell::new(false),
            waker: RefCell::new(None),
            awaited: RefCell::default(),
            thread: context::current().thread(),
        };
        Timeout { state: Rc::new(state) }
    }

    /// The deadline, or `None` if there is none (asyncio's `when()`).
    pub fn when(&self) -> Option<Instant> {
        self.state.deadline.get()
    }

    /// Moves the deadline (`None`: no deadline), asyncio's `reschedule`.
    /// Inside [`run`](Self::run) it takes effect at once: a deadline already
    /// past expires the timeout in the next iteration. Once expired, it
    /// stays expired.
    ///
    /// # Panics
    /// Outside a running loop, while `run` is under way.
    pub fn reschedule(&self, when: Option<Instant>) {
        self.state.deadline.set(when);
        if self.state.running.get() && !self.state.expired.get() {
            Expiry::arm(&self.state);
        }
    }

    /// True once the deadline has won (asyncio's `expired()`).
    pub fn expired(&self) -> bool {
        self.state.expired.get()
    }

    /// Runs `future` under this deadline: `Ok(output)` if it completes
    /// first, `Err(TimeoutError)` with the future dropped if the deadline
    /// expires it (the block of `async with timeout`). A timeout runs one
    /// future; running it again after it expired fails at once.
    ///
    /// # Panics
    /// Outside a running loop.
    pub async fn run<F: IntoFuture>(&self, future: F) -> Result<F::Output, TimeoutError> {
        let future = pin!(future.into_future());
        self.run_pinned(future).await
    }

    /// [`run`](Self::run) on a future pinned by the caller.
    ///
    /// This is what keeps a guarded future from being stored twice. An
    /// `async fn` keeps each argument in its state for as long as it runs,
    /// and pinning the argument moves it into a second slot of that state;
    /// every `async fn` layer that takes the future by value adds one more
    /// copy (a request future went through four, and weighed 47 KB). Here
    /// the future is pinned once, by whoever owns it, and only the pointer
    /// is passed down.
    pub(crate) async fn run_pinned<F: Future>(&self, mut future: Pin<&mut F>) -> Result<F::Output, TimeoutError> {
        let expiry = &self.state;
        expiry.running.set(true);
        let _disarm = Disarm(expiry);
        if !expiry.expired.get() {
            Expiry::arm(expiry);
        }
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
}

impl fmt::Debug for Timeout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timeout").field("when", &self.when()).field("expired", &self.expired()).finish()
    }
}

/// What the expiry callback shares with the guarded future.
struct Expiry {
    /// The deadline; `None` for none.
    deadline: Cell<Option<Instant>>,
    /// The expiry callback on the loop, while `run` is under way.
    scheduled: RefCell<Option<Scheduled>>,
    /// `run` is under way: a reschedule re-arms.
    running: Cell<bool>,
    /// The deadline has won.
    expired: Cell<bool>,
    /// The task running the guarded future.
    waker: RefCell<Option<Waker>>,
    /// What the inner future was blocked on at its last poll.
    awaited: RefCell<Vec<Awaited>>,
    /// The loop's thread, where the expiry callback runs.
    thread: LoopThread,
}

impl Expiry {
    /// asyncio's `Timeout.reschedule`: replaces the expiry callback. A
    /// deadline already past expires in the next iteration (`call_soon`), a
    /// later one when its timer falls due (`call_at`); none, never.
    fn arm(this: &Rc<Expiry>) {
        let lp = get_running_loop();
        let fire = {
            let expiry = Rc::clone(this);
            move || expiry.fire()
        };
        let scheduled = this.deadline.get().map(|deadline| {
            if deadline <= lp.time() {
                Scheduled::Soon(lp.call_soon(fire))
            } else {
                Scheduled::At(lp.call_at(deadline, fire))
            }
        });
        // The old callback is cancelled (dropped) after the borrow ends.
        let old = this.scheduled.replace(scheduled);
        drop(old);
    }

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

/// Ends a `run`: takes the expiry callback off the loop, however the run
/// ends (completed, expired, or dropped with its task).
struct Disarm<'a>(&'a Rc<Expiry>);

impl Drop for Disarm<'_> {
    fn drop(&mut self) {
        self.0.running.set(false);
        let scheduled = self.0.scheduled.borrow_mut().take();
        drop(scheduled);
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
