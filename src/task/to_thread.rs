//! [`to_thread`]: run a blocking function on the loop's helper threads and
//! await its result, so the loop never stalls (asyncio's `to_thread` and
//! `run_in_executor(None, f)`).
//!
//! The result travels back like any cross-thread wakeup: the worker stores it
//! in a slot shared with the [`ToThread`] future, then wakes the task's waker,
//! which queues the task through its loop's inbox and eventfd. The threads
//! are the engine's `runtime/blocking.rs`.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use crate::error::{TaskError, panic_message};
use crate::runtime::context;

/// Runs `f` on a helper thread; awaiting the returned future yields its
/// result, or [`TaskError::Panicked`] if it panicked. The loop keeps running
/// other tasks meanwhile. asyncio's `asyncio.to_thread(f)`.
///
/// Dropping the future does not stop `f` (a thread cannot be interrupted);
/// its result is then discarded.
///
/// # Panics
/// Outside a running loop.
///
/// ```
/// # corio::run(async {
/// let sum = corio::to_thread(|| (1..=100u32).sum::<u32>()).await;
/// assert_eq!(sum, Ok(5050));
/// # });
/// ```
pub fn to_thread<T, F>(f: F) -> ToThread<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let core = context::current();
    let slot = Arc::new(Mutex::new(Slot { outcome: None, waker: None }));
    let job_slot = slot.clone();
    core.blocking.submit(Box::new(move || {
        let outcome =
            catch_unwind(AssertUnwindSafe(f)).map_err(|payload| TaskError::Panicked(panic_message(&*payload)));
        let waker = {
            let mut slot = job_slot.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            slot.outcome = Some(outcome);
            slot.waker.take()
        };
        // The pool counts the job finished only after this returns, so the
        // wake is queued before a virtual clock may jump (`BlockingPool::work`).
        if let Some(waker) = waker {
            waker.wake();
        }
    }));
    ToThread { slot }
}

/// Where a worker leaves a job's result for the loop.
struct Slot<T> {
    /// The result, once the job ran.
    outcome: Option<Result<T, TaskError>>,
    /// The waker of the task awaiting the result.
    waker: Option<Waker>,
}

/// The future returned by [`to_thread`].
pub struct ToThread<T> {
    /// Shared with the job.
    slot: Arc<Mutex<Slot<T>>>,
}

impl<T> Future for ToThread<T> {
    type Output = Result<T, TaskError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut slot = self.slot.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(outcome) = slot.outcome.take() {
            return Poll::Ready(outcome);
        }
        // The worker wakes this waker when it stores the result; the check
        // and the store happen under the same lock, so the result cannot
        // arrive unseen between them.
        match &slot.waker {
            Some(waker) if waker.will_wake(cx.waker()) => {}
            _ => slot.waker = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}
