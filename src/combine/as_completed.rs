//! [`as_completed`]: outcomes in the order the tasks complete, asyncio's
//! `asyncio.as_completed`.
//!
//! As in asyncio 3.13, each child's done-callback puts it on a queue of
//! completed children, and `next()` takes from that queue: at once if a
//! child is already there, otherwise waiting for the next callback (which
//! runs in the iteration after the child's last step), resuming one
//! iteration after it.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::poll_fn;
use std::rc::Rc;
use std::task::{Poll, Waker};

use crate::error::TaskError;
use crate::task::{DoneCallbackId, IntoTask, Task};

/// Runs every future as a task (a [`Task`] is used as it is) and yields
/// their outcomes in completion order: children that complete in the same
/// loop iteration come out in the order they completed.
///
/// Dropping the stream leaves the children still running, as asyncio's
/// does. Keep [`Task::handle`]s first to cancel them.
///
/// # Panics
/// Outside a running loop.
///
/// ```
/// use std::time::Duration;
/// # corio::run(async {
/// let mut completed = corio::as_completed([30u64, 10, 20].map(|ms| async move {
///     corio::sleep(Duration::from_millis(ms)).await;
///     ms
/// }));
/// let mut order = Vec::new();
/// while let Some(outcome) = completed.next().await {
///     order.push(outcome.unwrap());
/// }
/// assert_eq!(order, [10, 20, 30]);
/// # });
/// ```
pub fn as_completed<I>(children: I) -> AsCompleted<<I::Item as IntoTask>::Output>
where
    I: IntoIterator<Item: IntoTask>,
{
    let completed = Rc::new(Completed { queue: RefCell::new(VecDeque::new()), waker: RefCell::new(None) });
    let mut children: Vec<Option<Task<_>>> = children.into_iter().map(|child| Some(child.into_task())).collect();
    let mut callbacks = Vec::with_capacity(children.len());
    for (index, child) in children.iter_mut().enumerate() {
        let Some(task) = child else { continue };
        let completed = completed.clone();
        callbacks.push(task.add_done_callback(move |_| completed.push(index)));
    }
    let left = children.len();
    AsCompleted { children, callbacks, completed, left }
}

/// The stream of outcomes returned by [`as_completed`].
pub struct AsCompleted<T> {
    /// The children, by argument position; `None` once yielded.
    children: Vec<Option<Task<T>>>,
    /// Their done-callbacks, by the same position.
    callbacks: Vec<DoneCallbackId>,
    /// Shared with the done-callbacks.
    completed: Rc<Completed>,
    /// How many outcomes are still to come.
    left: usize,
}

/// The queue the children's done-callbacks fill.
struct Completed {
    /// Positions of children done but not yet yielded, in completion order.
    queue: RefCell<VecDeque<usize>>,
    /// The task waiting in `next()`.
    waker: RefCell<Option<Waker>>,
}

impl Completed {
    /// asyncio's `_handle_completion`: queue the child, wake the waiter.
    fn push(&self, index: usize) {
        self.queue.borrow_mut().push_back(index);
        let waker = self.waker.borrow_mut().take();
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl<T> AsCompleted<T> {
    /// The next outcome to arrive, or `None` once all were yielded.
    pub async fn next(&mut self) -> Option<Result<T, TaskError>> {
        if self.left == 0 {
            return None;
        }
        let index = poll_fn(|cx| {
            if let Some(index) = self.completed.queue.borrow_mut().pop_front() {
                return Poll::Ready(index);
            }
            // The next child's done-callback wakes us.
            *self.completed.waker.borrow_mut() = Some(cx.waker().clone());
            Poll::Pending
        })
        .await;
        self.left -= 1;
        let mut task = self.children[index].take()?;
        task.result()
    }

    /// How many outcomes are still to come.
    pub fn len(&self) -> usize {
        self.left
    }

    /// True once every outcome was yielded.
    pub fn is_empty(&self) -> bool {
        self.left == 0
    }
}

impl<T> Drop for AsCompleted<T> {
    fn drop(&mut self) {
        // The children keep running; their callbacks need not tell us.
        for (child, id) in self.children.iter().zip(&self.callbacks) {
            if let Some(task) = child {
                task.remove_done_callback(*id);
            }
        }
    }
}
