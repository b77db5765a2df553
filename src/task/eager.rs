//! Eager tasks, asyncio 3.12's `eager_start=True`: [`create_eager_task`]
//! runs the new task's first step at once, inside the call, instead of
//! queueing it. A task that finishes in that step is done when the call
//! returns and never touches the ready queue, which saves an iteration and
//! an allocation's worth of queueing for the many tasks that complete
//! without waiting (a cache hit, a lock that was free).
//!
//! The engine's half is `LoopCore::spawn_eager`; the loop-wide switch is
//! [`Builder::eager_task_factory`](crate::Builder::eager_task_factory).

use std::future::IntoFuture;

use super::Task;
use super::spawn::spawn_eager_on;
use crate::runtime::context;

/// Spawns `future` as an eager task on the running loop (asyncio's
/// `Task(coro, eager_start=True)`): its first step runs now, inside this
/// call, with [`current_task`](crate::current_task) naming the new task,
/// and the caller carries on once that step returns `Pending` or the
/// future completes. A task that completes there is done on return (its
/// done-callbacks, added later, are queued at once) and was never queued;
/// one that suspends resumes when woken, like any task. Either way it took
/// its number when it was created, before its step ran, so tasks it spawns
/// in that step are numbered after it.
///
/// Called outside a task or callback of the loop (between iterations), the
/// task is queued as [`create_task`](crate::create_task) queues it, as
/// asyncio starts eager tasks eagerly only while the loop runs.
///
/// # Panics
/// Outside a running loop.
///
/// ```
/// # corio::run(async {
/// let log = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
/// let inner = log.clone();
/// let task = corio::create_eager_task(async move {
///     inner.borrow_mut().push("child runs");
///     42
/// });
/// log.borrow_mut().push("create_eager_task returned");
/// assert!(task.done(), "finished in its eager step");
/// assert_eq!(*log.borrow(), ["child runs", "create_eager_task returned"]);
/// assert_eq!(task.await, Ok(42));
/// # });
/// ```
pub fn create_eager_task<F>(future: F) -> Task<F::Output>
where
    F: IntoFuture<IntoFuture: 'static>,
{
    spawn_eager_on(&context::current(), future.into_future(), None)
}
