//! The free functions that reach the running loop's tasks: [`create_task`],
//! [`ensure_future`], [`current_task`] and [`all_tasks`].

use std::future::{Future, IntoFuture};

use super::{Task, TaskHandle};
use crate::runtime::context;
use crate::runtime::core::LoopCore;

/// Spawns `future` on `core` and wraps it in the handle users hold: the one
/// place a [`Task`] is made.
pub(crate) fn spawn_on<F>(core: &LoopCore, future: F, name: Option<String>) -> Task<F::Output>
where
    F: Future + 'static,
{
    Task::new(core.spawn(future, name), core.weak(), core.thread())
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

/// asyncio's older spelling of [`create_task`]: wraps a future in a task
/// scheduled on the running loop. (A [`Task`] is already a future; passing
/// one wraps it in a second task, which costs one extra loop iteration.)
///
/// # Panics
/// Outside a running loop.
pub fn ensure_future<F>(future: F) -> Task<F::Output>
where
    F: IntoFuture<IntoFuture: 'static>,
{
    create_task(future)
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
