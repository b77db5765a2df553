//! The free functions that reach the running loop's tasks: [`create_task`],
//! [`ensure_future`], [`current_task`] and [`all_tasks`].

use std::future::{Future, IntoFuture};
use std::panic::resume_unwind;

use crate::error::TaskError;

use super::{Task, TaskHandle};
use crate::runtime::context;
use crate::runtime::core::LoopCore;

/// Spawns `future` on `core` (eagerly if the loop starts every task so)
/// and wraps it in the handle users hold: the one place a [`Task`] is made.
pub(crate) fn spawn_on<F>(core: &LoopCore, future: F, name: Option<String>) -> Task<F::Output>
where
    F: Future + 'static,
{
    let join = if core.eager_tasks() { core.spawn_eager(future, name) } else { core.spawn(future, name) };
    Task::new(join, core.thread())
}

/// Spawns `future` on `core` as an eager task, whatever the loop's default.
pub(crate) fn spawn_eager_on<F>(core: &LoopCore, future: F, name: Option<String>) -> Task<F::Output>
where
    F: Future + 'static,
{
    Task::new(core.spawn_eager(future, name), core.thread())
}

/// Spawns `future` as a task on the running loop, asyncio's
/// `asyncio.create_task`. The task is queued behind everything already
/// ready, so it starts when the caller next yields; await the returned
/// [`Task`] for its outcome. Dropping the `Task` does not cancel it.
///
/// # Panics
/// Outside a running loop.
///
/// ```
/// # corio::run(async {
/// let task = corio::create_task(async { "done" });
/// assert_eq!(task.await, Ok("done"));
/// # });
/// ```
pub fn create_task<F>(future: F) -> Task<F::Output>
where
    F: IntoFuture<IntoFuture: 'static>,
{
    spawn_on(&context::current(), future.into_future(), None)
}

/// [`create_task`] with a name, asyncio's `create_task(coro, name=...)`.
///
/// # Panics
/// Outside a running loop.
pub fn create_named_task<F>(name: impl Into<String>, future: F) -> Task<F::Output>
where
    F: IntoFuture<IntoFuture: 'static>,
{
    spawn_on(&context::current(), future.into_future(), Some(name.into()))
}

/// asyncio's `ensure_future`: a future becomes a new task on the running
/// loop; a [`Task`] is returned as it is (no second task wraps it).
///
/// # Panics
/// Outside a running loop.
///
/// ```
/// # corio::run(async {
/// let task = corio::create_task(async { 1 });
/// let id = task.id();
/// assert_eq!(corio::ensure_future(task).id(), id);
/// # });
/// ```
pub fn ensure_future<F: IntoTask>(future: F) -> Task<F::Output> {
    future.into_task()
}

/// What can become a task: any future, spawned as a new one, or a [`Task`],
/// used as it is. This is asyncio's `ensure_future` rule, and what
/// [`gather`](crate::gather()), [`as_completed`](crate::as_completed()),
/// [`ensure_future`] and [`EventLoop::run_until_complete`] accept, so that
/// handing them a task adds no task of their own (names and counts match
/// asyncio's).
///
/// [`EventLoop::run_until_complete`]: crate::EventLoop::run_until_complete
pub trait IntoTask: sealed::Sealed {
    /// The task's output.
    type Output;

    /// What [`EventLoop::run_until_complete`] returns for it: a future's
    /// output (its panic propagated), or a task's `Result`, as awaiting
    /// each would give.
    ///
    /// [`EventLoop::run_until_complete`]: crate::EventLoop::run_until_complete
    type Awaited;

    /// The task: spawned on the running loop, or `self`.
    ///
    /// # Panics
    /// Spawning outside a running loop.
    fn into_task(self) -> Task<Self::Output>;

    /// Turns the task's outcome into [`IntoTask::Awaited`].
    #[doc(hidden)]
    fn awaited(outcome: Result<Self::Output, TaskError>) -> Self::Awaited;
}

impl<F: Future + 'static> IntoTask for F {
    type Output = F::Output;
    type Awaited = F::Output;

    fn into_task(self) -> Task<F::Output> {
        create_task(self)
    }

    fn awaited(outcome: Result<F::Output, TaskError>) -> F::Output {
        match outcome {
            Ok(output) => output,
            // The panic hook already printed where it happened; carry the
            // message on without printing it twice.
            Err(TaskError::Panicked(message)) => resume_unwind(Box::new(message)),
            Err(TaskError::Cancelled) => panic!("the future given to run_until_complete was cancelled"),
        }
    }
}

impl<T> IntoTask for Task<T> {
    type Output = T;
    type Awaited = Result<T, TaskError>;

    fn into_task(self) -> Task<T> {
        self
    }

    fn awaited(outcome: Result<T, TaskError>) -> Result<T, TaskError> {
        outcome
    }
}

/// Keeps [`IntoTask`] to the two implementations above.
mod sealed {
    pub trait Sealed {}
    impl<F: std::future::Future + 'static> Sealed for F {}
    impl<T> Sealed for super::Task<T> {}
}

/// The task being run right now, asyncio's `asyncio.current_task()`; `None`
/// outside a running loop or inside a plain callback.
pub fn current_task() -> Option<TaskHandle> {
    let core = context::try_current()?;
    core.current_task().map(|task| TaskHandle::new(task, core.thread()))
}

/// Every task of the running loop not yet complete, asyncio's
/// `asyncio.all_tasks()`; empty outside a running loop.
///
/// ```
/// # corio::run(async {
/// let _worker = corio::create_task(corio::sleep(std::time::Duration::from_secs(1)));
/// assert_eq!(corio::all_tasks().len(), 2);
/// # });
/// ```
pub fn all_tasks() -> Vec<TaskHandle> {
    let Some(core) = context::try_current() else { return Vec::new() };
    core.all_tasks().into_iter().map(|task| TaskHandle::new(task, core.thread())).collect()
}
