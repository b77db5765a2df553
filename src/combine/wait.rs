//! [`wait`]: wait for a set of tasks until the first completes, the first
//! fails, or all complete, optionally with a timeout; asyncio's
//! `asyncio.wait`.

use std::future::poll_fn;
use std::task::Poll;
use std::time::Duration;

use crate::task::Task;
use crate::time::timeout;

/// When [`wait`] returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReturnWhen {
    /// As soon as any task completes (or is cancelled, or panics).
    FirstCompleted,
    /// As soon as any task panics, or when all complete. A cancelled task
    /// does not count as a failure here, as in asyncio. (Rust tasks have no
    /// exceptions; a task's own `Err` output is an ordinary output, so only
    /// panics count.)
    FirstException,
    /// When every task has completed.
    AllCompleted,
}

/// asyncio's `asyncio.FIRST_COMPLETED`.
pub const FIRST_COMPLETED: ReturnWhen = ReturnWhen::FirstCompleted;
/// asyncio's `asyncio.FIRST_EXCEPTION`.
pub const FIRST_EXCEPTION: ReturnWhen = ReturnWhen::FirstException;
/// asyncio's `asyncio.ALL_COMPLETED`.
pub const ALL_COMPLETED: ReturnWhen = ReturnWhen::AllCompleted;

/// Waits on `tasks` until `return_when` holds or `timeout` passes, and
/// returns `(done, pending)`, each in the order the tasks were given. It
/// never fails on timeout: the tasks not done are simply in `pending`, still
/// running. Await a done task (or call [`Task::result`]) for its outcome.
///
/// ```
/// use std::time::Duration;
/// # corio::run(async {
/// let fast = corio::create_task(corio::sleep(Duration::from_millis(1)));
/// let slow = corio::create_task(corio::sleep(Duration::from_secs(60)));
/// let (done, pending) = corio::wait(vec![fast, slow], corio::FIRST_COMPLETED, None).await;
/// assert_eq!((done.len(), pending.len()), (1, 1));
/// # });
/// ```
pub async fn wait<T, I>(
    tasks: I,
    return_when: ReturnWhen,
    timeout_after: Option<Duration>,
) -> (Vec<Task<T>>, Vec<Task<T>>)
where
    I: IntoIterator<Item = Task<T>>,
{
    let mut waiting = Waiting(tasks.into_iter().collect());
    let tasks = &waiting.0;
    let condition = poll_fn(|cx| {
        let mut done = 0;
        let mut panicked = false;
        for task in tasks {
            // Every pending task holds our waker until it completes.
            if task.poll_done(cx).is_ready() {
                done += 1;
                panicked |= task.panicked();
            }
        }
        let satisfied = match return_when {
            ReturnWhen::FirstCompleted => done > 0,
            ReturnWhen::FirstException => panicked || done == tasks.len(),
            ReturnWhen::AllCompleted => done == tasks.len(),
        };
        if satisfied || tasks.is_empty() { Poll::Ready(()) } else { Poll::Pending }
    });
    match timeout_after {
        // A timeout is an answer here, not an error.
        Some(limit) => drop(timeout(limit, condition).await),
        None => condition.await,
    }
    std::mem::take(&mut waiting.0).into_iter().partition(|task| {
        task.clear_waiter();
        task.done()
    })
}

/// The tasks being waited on. However the wait ends (or is abandoned: the
/// waiting task cancelled, a timeout dropping the wait), the tasks keep
/// running, as in asyncio, and forget our waker so they do not wake us for
/// nothing when they complete.
struct Waiting<T>(Vec<Task<T>>);

impl<T> Drop for Waiting<T> {
    fn drop(&mut self) {
        for task in &self.0 {
            task.clear_waiter();
        }
    }
}
