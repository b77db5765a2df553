//! [`task_group`]: asyncio 3.11's `TaskGroup`, structured concurrency. The
//! body spawns children with [`TaskGroup::create_task`]; the group's future
//! completes only once the body and every child are done, so no child
//! outlives it, and the first failure cancels the rest.
//!
//! It is built on the tasks' done-callbacks, as asyncio's is: each child's
//! callback (queued the iteration after the child completes) takes it off
//! the group's list, records a failure, and on the first one cancels the
//! other children and asks for the body to be dropped (interrupting what
//! the body awaits, as asyncio cancels the parent task); the last one wakes
//! the task awaiting the group. The wakes therefore come exactly when
//! asyncio's `_on_task_done` and `_on_completed_fut` deliver them.
//!
//! asyncio's `async with TaskGroup() as tg:` becomes a closure that gets
//! the group, because cancelling the body is dropping it: the group must
//! own the body's future to drop it and still go on waiting for the
//! children afterwards. (A `TaskGroup::new()` beside the body could only
//! cancel the whole awaiting task, and then nothing would be left to wait.)

use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::{Future, IntoFuture};
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::pin::{Pin, pin};
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use crate::error::{TaskError, TaskFailure, TaskGroupError, panic_message};
use crate::runtime::context;
use crate::runtime::raw_task::Awaited;
use crate::runtime::waker::cancel_awaited;
use crate::task::{Task, TaskHandle, current_task, spawn_on};

/// Runs `body` with a new [`TaskGroup`] and waits for the body and every
/// task it added to the group (asyncio's `async with asyncio.TaskGroup()
/// as tg:`). Its output is the body's, or a [`TaskGroupError`] listing
/// every failure.
///
/// - The first child that fails (panics) cancels every other child still
///   running and the body (which is dropped at its current await, its
///   cleanup running in `Drop`); the group then waits for the cancelled
///   children to finish. A cancelled child is no failure.
/// - A panic in the body cancels the children too, and is listed last.
/// - Cancelling the task that awaits the group (or dropping the group's
///   future) drops the body and cancels every child; they finish at their
///   next step, an iteration after the group is gone. (asyncio waits for
///   them before the `CancelledError` goes on; a dropped future cannot
///   wait, DESIGN.md's "Where this differs from asyncio".)
///
/// Each child's outcome is the group's to retrieve, so a child's panic is
/// never reported as "never retrieved"; the `Task` that
/// [`TaskGroup::create_task`] returns can still be awaited for it.
///
/// ```
/// use std::time::Duration;
/// # corio::run(async {
/// let total = corio::task_group(|tg| async move {
///     let a = tg.create_task(async { corio::sleep(Duration::from_millis(2)).await; 2 });
///     let b = tg.create_task(async { 3 });
///     a.await.unwrap() + b.await.unwrap()
/// })
/// .await;
/// assert_eq!(total, Ok(5));
///
/// // The first failure cancels the sibling (and the body).
/// let outcome = corio::task_group(|tg| async move {
///     let slow = tg.create_task(corio::sleep(Duration::from_secs(60)));
///     tg.create_task(async { panic!("boom") });
///     let _ = slow.await;
///     unreachable!("the body is dropped when the child fails");
/// })
/// .await;
/// assert_eq!(outcome.unwrap_err().exceptions().len(), 1);
/// # });
/// ```
#[doc(alias = "TaskGroup")]
pub fn task_group<B, F>(body: B) -> TaskGroupScope<F>
where
    B: FnOnce(TaskGroup) -> F,
    F: Future,
{
    let group = TaskGroup { state: Rc::new(GroupState::default()) };
    let body = Box::pin(body(group.clone()));
    TaskGroupScope { group, body: Some(body), output: None, body_failure: None }
}

/// The handle a [`task_group`]'s body gets: add children with
/// [`create_task`](TaskGroup::create_task). Clones share one group.
#[derive(Clone)]
pub struct TaskGroup {
    state: Rc<GroupState>,
}

/// What a group's handles, its children's done-callbacks and its future
/// share.
#[derive(Default)]
struct GroupState {
    /// The children not yet seen done (by their done-callback), in the
    /// order they were created.
    children: RefCell<Vec<TaskHandle>>,
    /// Failures so far, in the order the done-callbacks saw them.
    failures: RefCell<Vec<TaskFailure>>,
    /// The first failure happened: the children were cancelled
    /// (asyncio's `_aborting`).
    aborting: Cell<bool>,
    /// The body has finished or was dropped (asyncio's `_exiting`).
    exiting: Cell<bool>,
    /// A child's failure asks for the body to be dropped (asyncio cancels
    /// the parent task for that); the group's next poll does it.
    cancel_body: Cell<bool>,
    /// The group's future returned or was dropped: it takes no new children.
    finished: Cell<bool>,
    /// The waker of the task awaiting the group, from its last poll.
    waker: RefCell<Option<Waker>>,
    /// What the body is blocked on: the entries its last poll added to the
    /// awaiting task's `awaiting` list (empty while the body runs).
    body_awaits: RefCell<Vec<Awaited>>,
}

impl TaskGroup {
    /// Spawns `future` as a child of the group (asyncio's
    /// `TaskGroup.create_task`), on the running loop, as
    /// [`create_task`](crate::create_task) does (eagerly if the loop's
    /// task factory is eager; a child that finishes in that first step is
    /// accounted for at once).
    ///
    /// # Panics
    /// If the group is shutting down after a failure or has finished (as
    /// asyncio raises `RuntimeError`), or outside a running loop.
    pub fn create_task<F>(&self, future: F) -> Task<F::Output>
    where
        F: IntoFuture<IntoFuture: 'static>,
    {
        self.spawn(future.into_future(), None)
    }

    /// [`create_task`](TaskGroup::create_task) with a name, which the
    /// group's error shows if the child fails.
    ///
    /// # Panics
    /// As [`create_task`](TaskGroup::create_task).
    pub fn create_named_task<F>(&self, name: impl Into<String>, future: F) -> Task<F::Output>
    where
        F: IntoFuture<IntoFuture: 'static>,
    {
        self.spawn(future.into_future(), Some(name.into()))
    }

    /// Spawns a child and puts it on the group's list, with the
    /// done-callback that accounts for it.
    fn spawn<F: Future + 'static>(&self, future: F, name: Option<String>) -> Task<F::Output> {
        let state = &self.state;
        assert!(!state.finished.get(), "the task group is finished: it takes no new tasks");
        assert!(!state.aborting.get(), "the task group is shutting down after a failure: it takes no new tasks");
        let panic = Rc::new(RefCell::new(None));
        let task = spawn_on(&context::current(), catching_panics(future, panic.clone()), name);
        let handle = task.handle();
        // The group retrieves the child's outcome: a panic goes into its
        // error, not to the loop's "never retrieved" report.
        handle.detach_quietly();
        if task.done() {
            // Finished in an eager first step: asyncio's TaskGroup calls its
            // done-callback at once rather than scheduling it.
            state.on_task_done(&handle, &panic);
        } else {
            state.children.borrow_mut().push(handle.clone());
            let state = state.clone();
            handle.add_done_callback(move |child| state.on_task_done(child, &panic));
        }
        task
    }
}

impl GroupState {
    /// A child is done (asyncio's `_on_task_done`): take it off the list,
    /// wake the awaiting task if it waits for the last child, and on a
    /// first failure cancel the other children and the body.
    fn on_task_done(&self, child: &TaskHandle, panic: &RefCell<Option<String>>) {
        self.children.borrow_mut().retain(|other| other != child);
        if self.exiting.get() && self.children.borrow().is_empty() {
            self.wake();
        }
        if !child.panicked() {
            // Returned or cancelled: nothing to record.
            return;
        }
        let message = panic.borrow_mut().take().unwrap_or_else(|| "a panic outside the child's poll".to_owned());
        self.failures.borrow_mut().push(TaskFailure::new(child.get_name(), TaskError::Panicked(message)));
        if self.finished.get() || self.aborting.get() {
            return;
        }
        self.abort();
        if !self.exiting.get() {
            self.cancel_body.set(true);
            self.interrupt_body();
        }
    }

    /// Gets the awaiting task to poll the group again, to drop the body, as
    /// asyncio's `parent_task.cancel()` gets the parent to resume: through
    /// what the body is blocked on, if anything there takes the
    /// cancellation (a task, a loop future: it wakes the task when it
    /// finishes, in asyncio's iteration), else directly.
    fn interrupt_body(&self) {
        let awaited = std::mem::take(&mut *self.body_awaits.borrow_mut());
        if !cancel_awaited(&awaited, context::current().thread()) {
            self.wake();
        }
    }

    /// Cancels every child still running (asyncio's `_abort`), in the
    /// order they were created (asyncio's set of tasks has no order).
    fn abort(&self) {
        self.aborting.set(true);
        let children = self.children.borrow().clone();
        for child in children {
            child.cancel();
        }
    }

    /// Wakes the task awaiting the group; it runs in the next iteration.
    fn wake(&self) {
        let waker = self.waker.borrow_mut().take();
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// A child's future, recording the message of a panic for the group
/// before letting the panic go on to the task, which ends panicked as
/// usual. (The task keeps its outcome typed; the group, which sees only a
/// [`TaskHandle`], learns the message here.)
async fn catching_panics<F: Future>(future: F, panic: Rc<RefCell<Option<String>>>) -> F::Output {
    let mut future = pin!(future);
    std::future::poll_fn(move |cx| match catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(cx))) {
        Ok(poll) => poll,
        Err(payload) => {
            *panic.borrow_mut() = Some(panic_message(&*payload));
            // The panic hook has already reported where it happened.
            resume_unwind(payload)
        }
    })
    .await
}

/// The future of a [`task_group`]: the body, then the wait for the
/// children.
#[must_use = "a task group runs nothing unless it is awaited"]
pub struct TaskGroupScope<F: Future> {
    /// The group the body and the children's callbacks share.
    group: TaskGroup,
    /// The body, until it returns, panics or is dropped because a child
    /// failed. Boxed to stay pinned while the group moves it out to drop.
    body: Option<Pin<Box<F>>>,
    /// What the body returned, until the children are done.
    output: Option<F::Output>,
    /// The body's panic, listed after the children's failures.
    body_failure: Option<TaskFailure>,
}

/// The body is boxed, and the output is only ever moved, never pinned: so
/// the scope itself may move.
impl<F: Future> Unpin for TaskGroupScope<F> {}

impl<F: Future> Future for TaskGroupScope<F> {
    type Output = Result<F::Output, TaskGroupError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let state = this.group.state.clone();
        assert!(!state.finished.get(), "a task group's future was polled after it completed");
        let old = state.waker.borrow_mut().replace(cx.waker().clone());
        drop(old);

        if let Some(body) = &mut this.body {
            if state.cancel_body.get() {
                // A child failed: the body is dropped at its await point
                // (its `Drop` is its cleanup), as asyncio cancels it.
                this.body = None;
            } else {
                // While the body runs it is blocked on nothing; when it
                // returns `Pending`, on what its poll registered.
                drop(std::mem::take(&mut *state.body_awaits.borrow_mut()));
                let core = context::current();
                let mark = core.awaiting_mark();
                let polled = catch_unwind(AssertUnwindSafe(|| body.as_mut().poll(cx)));
                match polled {
                    // Woken by whatever the body awaits, or by a child's
                    // failure asking for the body to be dropped.
                    Ok(Poll::Pending) => {
                        *state.body_awaits.borrow_mut() = core.awaited_since(mark);
                        return Poll::Pending;
                    }
                    Ok(Poll::Ready(output)) => this.output = Some(output),
                    Err(payload) => {
                        let task = current_task().map_or_else(|| "task group body".to_owned(), |task| task.get_name());
                        this.body_failure = Some(TaskFailure::new(task, TaskError::Panicked(panic_message(&*payload))));
                        if !state.aborting.get() {
                            state.abort();
                        }
                    }
                }
                this.body = None;
            }
            state.exiting.set(true);
        }

        if !state.children.borrow().is_empty() {
            // The last child's done-callback wakes us (asyncio's
            // `_on_completed_fut`), one iteration after it completed.
            return Poll::Pending;
        }
        state.finished.set(true);
        let old = state.waker.borrow_mut().take();
        drop(old);
        let mut failures = std::mem::take(&mut *state.failures.borrow_mut());
        failures.extend(this.body_failure.take());
        match this.output.take() {
            Some(output) if failures.is_empty() => Poll::Ready(Ok(output)),
            // The body only stops without output through a failure.
            _ => Poll::Ready(Err(TaskGroupError::new(failures))),
        }
    }
}

impl<F: Future> Drop for TaskGroupScope<F> {
    fn drop(&mut self) {
        let state = &self.group.state;
        if state.finished.replace(true) {
            return;
        }
        // Abandoned before it finished (the awaiting task was cancelled):
        // the body goes first, as asyncio's body sees the CancelledError
        // before `__aexit__` cancels the children.
        self.body = None;
        state.abort();
        let old = state.waker.borrow_mut().take();
        drop(old);
    }
}

impl fmt::Debug for TaskGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = &self.state;
        f.debug_struct("TaskGroup")
            .field("children", &state.children.borrow().len())
            .field("failures", &state.failures.borrow().len())
            .field("aborting", &state.aborting.get())
            .finish()
    }
}

impl<F: Future> fmt::Debug for TaskGroupScope<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskGroupScope")
            .field("group", &self.group)
            .field("body_running", &self.body.is_some())
            .finish()
    }
}
