//! [`wait`]: wait for a set of tasks until the first completes, the first
//! fails, or all complete, optionally with a timeout; asyncio's
//! `asyncio.wait`.
//!
//! As in asyncio, the wait hears of each task through a done-callback
//! (which runs in the iteration after the task's last step) and the waiting
//! task resumes in the iteration after the callback that satisfied it; a
//! timeout is a timer callback that releases the wait the same way.

use std::cell::{Cell, RefCell};
use std::future::poll_fn;
use std::rc::Rc;
use std::task::{Poll, Waker};
use std::time::Duration;

use crate::event_loop::get_running_loop;
use crate::task::{DoneCallbackId, Task, TaskHandle};

/// When [`wait`] returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReturnWhen {
    /// As soon as any task completes (or is cancelled, or panics).
    FirstCompleted,
    /// As soon as any task panics, or when all complete. A cancelled task
    /// does not count as a failure here, as in asyncio. (Rust tasks have no
    /// exceptions; a task's own `Err` output is an ordinary output, so only
    /// panics count.) The panic that releases the wait counts as retrieved,
    /// as asyncio's `wait` retrieves the exception it looks at.
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
/// running, and abandoning the wait (cancelling its task) leaves them
/// running too. Await a done task (or call [`Task::result`]) for its
/// outcome. An empty set returns at once (asyncio raises `ValueError`).
///
/// # Panics
/// Outside a running loop.
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
pub async fn wait<T, I>(tasks: I, return_when: ReturnWhen, timeout: Option<Duration>) -> (Vec<Task<T>>, Vec<Task<T>>)
where
    I: IntoIterator<Item = Task<T>>,
{
    let tasks: Vec<Task<T>> = tasks.into_iter().collect();
    if tasks.is_empty() {
        return (Vec::new(), Vec::new());
    }
    let waiter =
        Rc::new(Waiter { counter: Cell::new(tasks.len()), released: Cell::new(false), waker: RefCell::new(None) });
    let callbacks = tasks
        .iter()
        .map(|task| {
            let waiter = waiter.clone();
            let id = task.add_done_callback(move |task| waiter.on_completion(task, return_when));
            (task.handle(), id)
        })
        .collect();
    let timer = timeout.map(|after| {
        let waiter = waiter.clone();
        get_running_loop().call_later(after, move || waiter.release())
    });
    let cleanup = Cleanup { callbacks, timer };
    poll_fn(|cx| {
        if waiter.released.get() {
            return Poll::Ready(());
        }
        // A done-callback (or the timer) wakes us when the wait is satisfied.
        *waiter.waker.borrow_mut() = Some(cx.waker().clone());
        Poll::Pending
    })
    .await;
    drop(cleanup);
    tasks.into_iter().partition(Task::done)
}

/// What the done-callbacks and the timer share with the waiting task.
struct Waiter {
    /// Tasks whose done-callback has not run yet.
    counter: Cell<usize>,
    /// The wait is over.
    released: Cell<bool>,
    /// The waiting task.
    waker: RefCell<Option<Waker>>,
}

impl Waiter {
    /// asyncio's `_on_completion`: one more task is done; release the wait
    /// if that satisfies `return_when`.
    fn on_completion(&self, task: &TaskHandle, return_when: ReturnWhen) {
        self.counter.set(self.counter.get() - 1);
        let satisfied = self.counter.get() == 0
            || return_when == ReturnWhen::FirstCompleted
            || (return_when == ReturnWhen::FirstException && retrieve_panic(task));
        if satisfied {
            self.release();
        }
    }

    /// Ends the wait: the waiting task runs in the next iteration.
    fn release(&self) {
        if self.released.replace(true) {
            return;
        }
        let waker = self.waker.borrow_mut().take();
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// True if `task` panicked, marking the panic retrieved (asyncio's
/// `f.exception()` in `_on_completion`).
fn retrieve_panic(task: &TaskHandle) -> bool {
    let panicked = task.panicked();
    if panicked {
        task.detach_quietly();
    }
    panicked
}

/// However the wait ends (or is abandoned: the waiting task cancelled), the
/// done-callbacks come off the tasks and the timer off the wheel, as in
/// asyncio's `finally` clause; the tasks keep running.
struct Cleanup {
    callbacks: Vec<(TaskHandle, DoneCallbackId)>,
    timer: Option<crate::TimerHandle>,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        if let Some(timer) = &self.timer {
            timer.cancel();
        }
        for (task, id) in &self.callbacks {
            // A callback already queued (its task completed) simply finds
            // the wait released.
            task.remove_done_callback(*id);
        }
    }
}
