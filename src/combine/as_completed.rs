//! [`as_completed`]: outcomes in the order the tasks complete, asyncio's
//! `asyncio.as_completed`.

use std::future::{IntoFuture, poll_fn};
use std::task::Poll;

use crate::error::TaskError;
use crate::task::{Task, create_task};

/// Runs every future as a task and yields their outcomes in completion
/// order (tasks that complete in the same loop iteration come out in the
/// order they completed).
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
pub fn as_completed<I>(futures: I) -> AsCompleted<<I::Item as IntoFuture>::Output>
where
    I: IntoIterator,
    I::Item: IntoFuture<IntoFuture: 'static>,
{
    AsCompleted { tasks: futures.into_iter().map(create_task).collect() }
}

/// The stream of outcomes returned by [`as_completed`].
pub struct AsCompleted<T> {
    /// The tasks whose outcome has not been yielded yet.
    tasks: Vec<Task<T>>,
}

impl<T> Drop for AsCompleted<T> {
    fn drop(&mut self) {
        // The tasks keep running (as with asyncio's as_completed); they may
        // still hold our waker from an abandoned `next()`, which would wake
        // us for nothing.
        for task in &self.tasks {
            task.clear_waiter();
        }
    }
}

impl<T> AsCompleted<T> {
    /// Yields the outcomes of tasks already running, in completion order,
    /// taking them as they are: [`as_completed`] wraps every future it is
    /// given in a task of its own, which for a [`Task`] would add a task and
    /// a second layer of `Result`. Keep [`Task::handle`]s first to cancel
    /// the ones still running.
    ///
    /// ```
    /// use std::time::Duration;
    /// # corio::run(async {
    /// let tasks: Vec<_> = [20u64, 10].map(|ms| corio::create_task(async move {
    ///     corio::sleep(Duration::from_millis(ms)).await;
    ///     ms
    /// })).into();
    /// let slowest = tasks[0].handle();
    /// let mut completed = corio::AsCompleted::from_tasks(tasks);
    /// assert_eq!(completed.next().await, Some(Ok(10)));
    /// slowest.cancel();
    /// assert!(completed.next().await.unwrap().unwrap_err().is_cancelled());
    /// # });
    /// ```
    pub fn from_tasks(tasks: impl IntoIterator<Item = Task<T>>) -> AsCompleted<T> {
        AsCompleted { tasks: tasks.into_iter().collect() }
    }

    /// The next outcome to arrive, or `None` once all were yielded.
    pub async fn next(&mut self) -> Option<Result<T, TaskError>> {
        if self.tasks.is_empty() {
            return None;
        }
        let index = poll_fn(|cx| {
            // Of the tasks done, the one that completed first.
            let mut first: Option<(u64, usize)> = None;
            for (index, task) in self.tasks.iter().enumerate() {
                // Pending tasks hold our waker until they complete.
                if task.poll_done(cx).is_ready() {
                    let order = task.completion_order().unwrap_or(u64::MAX);
                    if first.is_none_or(|(best, _)| order < best) {
                        first = Some((order, index));
                    }
                }
            }
            match first {
                Some((_, index)) => Poll::Ready(index),
                None => Poll::Pending,
            }
        })
        .await;
        let mut task = self.tasks.swap_remove(index);
        for other in &self.tasks {
            other.clear_waiter();
        }
        task.result()
    }

    /// How many outcomes are still to come.
    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    /// True once every outcome was yielded.
    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }
}
