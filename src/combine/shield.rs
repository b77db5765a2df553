//! [`shield`]: await a task (or any future, run as one) without letting a
//! cancellation of the awaiter reach it; asyncio's `asyncio.shield`.
//!
//! As in asyncio, the shield is a separate outcome fed by a done-callback on
//! the inner task, so the awaiter resumes in the iteration after that
//! callback (two after the inner task's last step); dropping the shield (its
//! task cancelled, or a timeout giving up) leaves the inner task running.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use crate::error::TaskError;
use crate::task::{DoneCallbackId, IntoTask, Task};

/// Protects `inner` from the cancellation of whoever awaits the shield:
/// awaiting yields the inner task's outcome, but cancelling the awaiting
/// task (or a [`timeout`](crate::timeout()) around the shield) only drops
/// the shield; the inner task runs on, and its outcome counts as retrieved.
/// A future is first made a task, as asyncio's `ensure_future` does.
///
/// # Panics
/// Outside a running loop.
///
/// ```
/// use std::time::Duration;
/// # corio::run(async {
/// let save = corio::create_task(corio::sleep(Duration::from_millis(50)));
/// let handle = save.handle();
/// let gave_up = corio::timeout(Duration::from_millis(10), corio::shield(save)).await;
/// assert!(gave_up.is_err());
/// assert!(!handle.cancelled(), "the shielded task runs on");
/// # });
/// ```
pub fn shield<F: IntoTask>(inner: F) -> Shield<F::Output> {
    let task = inner.into_task();
    let done = Rc::new(Done { done: Cell::new(task.done()), waker: RefCell::new(None) });
    // asyncio returns an inner task that is already done as it is: awaiting
    // it then does not suspend at all. Otherwise the callback feeds us.
    let callback = (!task.done()).then(|| {
        let done = done.clone();
        task.add_done_callback(move |_| done.set())
    });
    Shield { task: Some(task), done, callback }
}

/// The future returned by [`shield`].
pub struct Shield<T> {
    /// The inner task; `None` once its outcome was taken.
    task: Option<Task<T>>,
    /// Set by the inner task's done-callback.
    done: Rc<Done>,
    /// That callback, removed if the shield is dropped first.
    callback: Option<DoneCallbackId>,
}

/// The shield's own outcome flag and its awaiter.
struct Done {
    done: Cell<bool>,
    waker: RefCell<Option<Waker>>,
}

impl Done {
    /// asyncio's `_inner_done_callback`: the shield is done; wake its awaiter.
    fn set(&self) {
        self.done.set(true);
        let waker = self.waker.borrow_mut().take();
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl<T> Future for Shield<T> {
    type Output = Result<T, TaskError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if !this.done.done.get() {
            // The inner task's done-callback wakes us.
            *this.done.waker.borrow_mut() = Some(cx.waker().clone());
            return Poll::Pending;
        }
        let mut task = this.task.take().expect("a shield is not polled after it completed");
        Poll::Ready(task.result().expect("the shielded task is done and its outcome untaken"))
    }
}

impl<T> Drop for Shield<T> {
    fn drop(&mut self) {
        let Some(task) = &self.task else { return };
        if let Some(id) = self.callback {
            task.remove_done_callback(id);
        }
        // asyncio's `_outer_done_callback`: nobody will look at the inner
        // outcome now, so it counts as retrieved.
        task.handle().detach_quietly();
    }
}
