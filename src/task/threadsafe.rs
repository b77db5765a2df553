//! [`run_coroutine_threadsafe`]: hand a future (as the function that makes
//! it) to a loop running on another thread, and get back a [`ConcurrentFuture`] this thread can block on or
//! poll, asyncio's `run_coroutine_threadsafe` and the
//! `concurrent.futures.Future` it returns.
//!
//! The function travels through the loop's inbox ([`RemoteHandle`]) as a
//! callback that spawns its future as a task there; the task's done-callback puts
//! the outcome into a mutex-guarded slot and wakes the threads blocked on
//! it (a `Condvar`). Cancelling from this side marks the slot cancelled at
//! once and posts the task's cancellation to the loop, as asyncio's
//! `_chain_future` does.

use std::fmt;
use std::future::Future;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::error::{TaskError, TimeoutError};
use crate::event_loop::{LoopClosed, RemoteHandle};
use crate::task::{all_tasks, create_task};

/// Runs the future that `make` builds as a task on the loop `remote`
/// points at, from any thread (asyncio's
/// `asyncio.run_coroutine_threadsafe(coro, loop)`).
///
/// asyncio sends the coroutine object itself; here the thread sends a
/// function that makes the future on the loop's thread, because corio's
/// futures (a `sleep`, a lock's guard, anything holding an `Rc`) are not
/// `Send`, and a future that uses the loop's primitives across an await
/// could not cross. Only `make` and the output cross threads. The task is
/// created when the loop runs the posted callback (its next iteration);
/// the returned [`ConcurrentFuture`] gets the outcome in the iteration
/// after the task completes, from a done-callback, as asyncio's does.
///
/// # Errors
/// [`LoopClosed`] (with `make` dropped) if the loop has closed.
///
/// ```
/// use std::time::Duration;
/// let lp = corio::EventLoop::new();
/// let remote = lp.remote_handle();
/// let worker = std::thread::spawn(move || {
///     let answer = corio::run_coroutine_threadsafe(
///         || async {
///             corio::sleep(Duration::from_millis(5)).await;
///             6 * 7
///         },
///         &remote,
///     )
///     .unwrap();
///     let value = answer.result(Some(Duration::from_secs(10)));
///     remote.call_soon_threadsafe(|| corio::get_running_loop().stop()).unwrap();
///     value
/// });
/// lp.run_forever();
/// assert_eq!(worker.join().unwrap(), Ok(Ok(42)));
/// ```
pub fn run_coroutine_threadsafe<M, F>(make: M, remote: &RemoteHandle) -> Result<ConcurrentFuture<F::Output>, LoopClosed>
where
    M: FnOnce() -> F + Send + 'static,
    F: Future + 'static,
    F::Output: Send + 'static,
{
    let shared = Arc::new(Shared { state: Mutex::new(State::default()), changed: Condvar::new() });
    let on_loop = shared.clone();
    remote.call_soon_threadsafe(move || {
        let task = create_task(make());
        let cancel_now = {
            let mut state = on_loop.lock();
            state.task = Some(task.id());
            state.cancelled
        };
        if cancel_now {
            // Cancelled from the other side before the task existed: it is
            // cancelled before its first step, and never runs.
            task.cancel();
        }
        let handle = task.handle();
        let mut task = task;
        handle.add_done_callback(move |_| {
            if let Some(outcome) = task.result() {
                on_loop.complete(outcome);
            }
        });
    })?;
    Ok(ConcurrentFuture { shared, remote: remote.clone() })
}

/// The outcome of a future handed to a loop on another thread by
/// [`run_coroutine_threadsafe`]: asyncio's `concurrent.futures.Future`.
/// `Send + Sync` (for `T: Send`) and cheap to clone: any thread can block
/// on it ([`result`](ConcurrentFuture::result)), poll it
/// ([`done`](ConcurrentFuture::done)) or cancel it. Dropping it leaves the
/// task running.
pub struct ConcurrentFuture<T> {
    shared: Arc<Shared<T>>,
    /// The task's loop, to post its cancellation to.
    remote: RemoteHandle,
}

/// What the loop's task and the waiting threads share.
struct Shared<T> {
    state: Mutex<State<T>>,
    /// Notified when the outcome arrives (or the future is cancelled).
    changed: Condvar,
}

/// The slot behind the mutex.
struct State<T> {
    /// The task's outcome, or `Cancelled` once cancelled from this side.
    outcome: Option<Result<T, TaskError>>,
    /// `cancel` was called before the outcome arrived.
    cancelled: bool,
    /// The task's number on its loop, once the loop has spawned it.
    task: Option<u64>,
}

impl<T> Default for State<T> {
    fn default() -> Self {
        State { outcome: None, cancelled: false, task: None }
    }
}

impl<T> Shared<T> {
    /// The slot. A panic while the lock was held (there is no user code
    /// under it) cannot leave it half-written, so poisoning is ignored.
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Stores the task's outcome, unless the future was cancelled first.
    fn complete(&self, outcome: Result<T, TaskError>) {
        let mut state = self.lock();
        if state.outcome.is_none() {
            state.outcome = Some(outcome);
        }
        drop(state);
        self.changed.notify_all();
    }
}

impl<T> ConcurrentFuture<T> {
    /// Blocks until the outcome is there, for at most `timeout` (`None`:
    /// no limit), and returns a clone of it: the task's output, or
    /// [`TaskError::Cancelled`] / [`TaskError::Panicked`] (asyncio's
    /// `CancelledError` and the coroutine's exception). Can be called
    /// again, from any thread.
    ///
    /// Never call it on the loop's own thread with a timeout of `None`:
    /// the loop would wait for itself.
    ///
    /// # Errors
    /// [`TimeoutError`] if `timeout` passed first; the task goes on.
    pub fn result(&self, timeout: Option<Duration>) -> Result<Result<T, TaskError>, TimeoutError>
    where
        T: Clone,
    {
        let deadline = timeout.map(|timeout| Instant::now() + timeout);
        let mut state = self.shared.lock();
        loop {
            if let Some(outcome) = &state.outcome {
                return Ok(outcome.clone());
            }
            state = match deadline {
                None => self.shared.changed.wait(state).unwrap_or_else(|poisoned| poisoned.into_inner()),
                Some(deadline) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return Err(TimeoutError);
                    }
                    let (state, _) =
                        self.shared.changed.wait_timeout(state, left).unwrap_or_else(|poisoned| poisoned.into_inner());
                    state
                }
            };
        }
    }

    /// True once the outcome is there (or the future was cancelled).
    pub fn done(&self) -> bool {
        self.shared.lock().outcome.is_some()
    }

    /// True if [`cancel`](ConcurrentFuture::cancel) won, or the task was
    /// cancelled on its loop.
    pub fn cancelled(&self) -> bool {
        matches!(self.shared.lock().outcome, Some(Err(TaskError::Cancelled)))
    }

    /// Cancels the future: it is done and cancelled at once, and the task
    /// is cancelled on its loop in the loop's next iteration (before its
    /// first step if it has not started). Returns `false` if the task had
    /// already finished, `true` if the future is cancelled (also when it
    /// already was, as `concurrent.futures` answers).
    pub fn cancel(&self) -> bool {
        let task = {
            let mut state = self.shared.lock();
            if let Some(outcome) = &state.outcome {
                // A cancelled future stays cancelled; a finished one cannot be.
                return matches!(outcome, Err(TaskError::Cancelled));
            }
            state.cancelled = true;
            state.outcome = Some(Err(TaskError::Cancelled));
            state.task
        };
        self.shared.changed.notify_all();
        // Not spawned yet: the spawning callback sees `cancelled` and
        // cancels the task itself.
        if let Some(id) = task {
            // A closed loop has no task left to cancel.
            let _ = self.remote.call_soon_threadsafe(move || {
                if let Some(task) = all_tasks().into_iter().find(|task| task.id() == id) {
                    task.cancel();
                }
            });
        }
        true
    }
}

impl<T> Clone for ConcurrentFuture<T> {
    fn clone(&self) -> Self {
        ConcurrentFuture { shared: self.shared.clone(), remote: self.remote.clone() }
    }
}

impl<T> fmt::Debug for ConcurrentFuture<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.shared.lock();
        let status = match &state.outcome {
            None => "pending",
            Some(Err(TaskError::Cancelled)) => "cancelled",
            Some(_) => "finished",
        };
        f.debug_struct("ConcurrentFuture").field("state", &status).finish()
    }
}
