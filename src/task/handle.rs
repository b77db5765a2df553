//! The public task handles: [`Task`], which is awaited for the task's
//! outcome, and [`TaskHandle`], the untyped view that [`current_task`] and
//! [`all_tasks`] return.
//!
//! Awaiting a `Task` is the last step in the life of a wakeup seen from the
//! other side: when the task completes, the loop wakes the waker the awaiting
//! task left here, and that task is polled in the next loop iteration.
//!
//! [`current_task`]: crate::current_task
//! [`all_tasks`]: crate::all_tasks

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use crate::error::TaskError;
use crate::runtime::context;
use crate::runtime::core::LoopCore;
use crate::runtime::loop_thread::LoopThread;
use crate::runtime::raw_task::{DoneWaiter, JoinRef, TaskRef};
use crate::runtime::report::{Report, default_handler};
use crate::runtime::waker::cancel;

/// A spawned task: await it for its outcome, or cancel it.
///
/// Returned by [`create_task`](crate::create_task) (and its asyncio spelling
/// [`ensure_future`](crate::ensure_future)). Awaiting yields
/// `Ok(output)`, or a [`TaskError`] if the task was cancelled or panicked.
///
/// Two ways to await, as in asyncio:
/// - `task.await` hands the task to the await ([`Join`]): if that await is
///   abandoned before the task completes (the awaiting task is cancelled,
///   or [`wait_for`] / [`timeout`] gives up on it), the task is cancelled
///   too, as asyncio's cancellation propagates into the task being awaited;
/// - `(&mut task).await` waits without that tie: a timeout on it leaves the
///   task running and the handle usable (asyncio's `shield`).
///
/// Dropping the handle does **not** cancel the task (as in asyncio, where
/// the loop keeps running a task nobody refers to); the task's output is then
/// dropped when it completes, and a panic nobody retrieved is reported.
///
/// A task lives on its loop's thread, and so does its handle: `Task` is
/// neither `Send` nor `Sync` (its output may hold an `Rc`). To hand work to
/// another thread use [`to_thread`](crate::to_thread); to reach the loop
/// from one, [`RemoteHandle`](crate::RemoteHandle).
///
/// [`wait_for`]: crate::wait_for
/// [`timeout`]: crate::timeout()
///
/// ```
/// # corio::run(async {
/// let task = corio::create_task(async { 6 * 7 });
/// assert!(!task.done());
/// assert_eq!(task.await, Ok(42));
/// # });
/// ```
///
/// ```compile_fail
/// fn send_elsewhere(task: corio::Task<u8>) {
///     std::thread::spawn(move || drop(task)); // error: `Task` is not `Send`
/// }
/// ```
pub struct Task<T> {
    /// The task, with its join interest held on our behalf. Nothing else:
    /// the handle is one pointer (a million tasks keep a million handles),
    /// and the loop it reports an unretrieved panic to is found from the
    /// task's header when it needs to (`context::loop_of`).
    join: JoinRef<T>,
    /// Proof that we are on the task's loop thread, where `T` is produced
    /// and read; it also makes the handle `!Send` and `!Sync`.
    thread: LoopThread,
}

impl<T> Task<T> {
    /// Wraps a freshly spawned task, on its loop's thread.
    pub(crate) fn new(join: JoinRef<T>, thread: LoopThread) -> Self {
        Task { join, thread }
    }

    /// The untyped reference to the task.
    fn raw(&self) -> &TaskRef {
        self.join.task()
    }

    /// Requests cancellation, as asyncio's `Task.cancel()`: the task's
    /// future is dropped the next time the loop would run it (before its
    /// first poll if it has not started), and awaiting it yields
    /// [`TaskError::Cancelled`]. Returns `false` if the task had already
    /// completed.
    ///
    /// ```
    /// # corio::run(async {
    /// let task = corio::create_task(corio::sleep(std::time::Duration::from_secs(60)));
    /// assert!(task.cancel());
    /// assert!(task.await.unwrap_err().is_cancelled());
    /// # });
    /// ```
    pub fn cancel(&self) -> bool {
        self.handle_ref().cancel()
    }

    /// True once the task has completed, cancelled or panicked.
    pub fn done(&self) -> bool {
        self.handle_ref().done()
    }

    /// True if the task completed by being cancelled.
    pub fn cancelled(&self) -> bool {
        self.handle_ref().cancelled()
    }

    /// The task's name: `Task-<id>` unless one was set (asyncio's
    /// `Task.get_name()`).
    #[doc(alias = "name")]
    pub fn get_name(&self) -> String {
        self.handle_ref().name()
    }

    /// Renames the task (shown in reports and debug warnings; the trace keeps
    /// the name the task had when it was spawned).
    pub fn set_name(&self, name: impl Into<String>) {
        self.handle_ref().set_name(name)
    }

    /// The task's number: tasks are numbered from 1 in the order they are
    /// made, across every loop of this thread, as asyncio numbers them
    /// across the loops of a process (`Task-4` on a second loop).
    pub fn id(&self) -> u64 {
        self.raw().header().id
    }

    /// Calls `f` with the task once it is done, asyncio's
    /// `Task.add_done_callback`: `f` is queued on the loop when the task
    /// completes (or at once, like `call_soon`, if it already has), so it
    /// runs in the next iteration, after what is already queued. Callbacks
    /// run in the order they were added, together with the task awaiting
    /// this one, and a panicking callback is reported like any other.
    ///
    /// # Panics
    /// Outside the task's running loop.
    ///
    /// ```
    /// # corio::run(async {
    /// let task = corio::create_task(async { 1 });
    /// task.add_done_callback(|task| println!("{} is done", task.get_name()));
    /// task.await.unwrap();
    /// # });
    /// ```
    pub fn add_done_callback(&self, f: impl FnOnce(&TaskHandle) + 'static) -> DoneCallbackId {
        self.handle_ref().add_done_callback(f)
    }

    /// Removes a done-callback that has not been queued yet (asyncio's
    /// `remove_done_callback`, which counts the removals; here the id names
    /// one callback, so the answer is whether it was removed).
    pub fn remove_done_callback(&self, id: DoneCallbackId) -> bool {
        self.handle_ref().remove_done_callback(id)
    }

    /// An untyped handle to the same task (for lists of tasks of mixed
    /// output types).
    pub fn handle(&self) -> TaskHandle {
        TaskHandle::new(self.raw().clone(), self.thread)
    }

    /// Takes the outcome without waiting: `None` if the task is still
    /// running or the outcome was already taken (asyncio's `Task.result()`).
    ///
    /// ```
    /// # corio::run(async {
    /// let mut task = corio::create_task(async { "ok" });
    /// assert_eq!(task.result(), None);
    /// corio::sleep(std::time::Duration::ZERO).await;
    /// assert_eq!(task.result(), Some(Ok("ok")));
    /// # });
    /// ```
    pub fn result(&mut self) -> Option<Result<T, TaskError>> {
        if !self.done() {
            return None;
        }
        self.join.take_output(self.thread)
    }

    /// Ready once the task is complete; otherwise leaves `cx`'s waker to be
    /// woken on completion. Unlike awaiting, the outcome stays in place.
    ///
    /// # Panics
    /// If the task belongs to a loop other than the one running (it could
    /// never complete here; asyncio raises the same complaint).
    pub(crate) fn poll_done(&self, cx: &mut Context<'_>) -> Poll<()> {
        if self.done() {
            return Poll::Ready(());
        }
        self.register_waiter(cx.waker());
        // Woken by `LoopCore::finish` when the task completes.
        Poll::Pending
    }

    /// Leaves `waker` to be woken when the task completes: the awaiter's
    /// entry on the task's done list, added at the back the first time and
    /// updated in place after that. The old waker is dropped, and the new one
    /// cloned, with no borrow of the task's local data alive: both may run a
    /// foreign waker's code, which could look at this task again.
    fn register_waiter(&self, waker: &Waker) {
        // Each borrow of `Local` ends within its statement.
        let local = self.raw().local(self.thread);
        let stored = local.borrow().done.iter().position(|waiter| matches!(waiter, DoneWaiter::Awaiter(_)));
        if let Some(index) = stored
            && matches!(&local.borrow().done[index], DoneWaiter::Awaiter(old) if old.will_wake(waker))
        {
            return;
        }
        // A new awaiter: check, once per registration rather than on every
        // poll, that it runs on this task's loop.
        if let Some(running) = context::try_current() {
            assert!(
                Arc::ptr_eq(&running.inbox, &self.raw().header().inbox),
                "awaited {} on a loop other than the one it was created on",
                self.get_name()
            );
        }
        let new = DoneWaiter::Awaiter(waker.clone());
        let old = match stored {
            Some(index) => Some(std::mem::replace(&mut local.borrow_mut().done[index], new)),
            None => {
                local.borrow_mut().done.push(new);
                None
            }
        };
        drop(old);
    }

    /// Polls for the outcome, taking it once the task is complete: the body
    /// of both ways to await.
    pub(crate) fn poll_outcome(&mut self, cx: &mut Context<'_>) -> Poll<Result<T, TaskError>> {
        if self.poll_done(cx).is_pending() {
            // The loop wakes us when this task completes (`LoopCore::finish`),
            // so the awaiting task runs again in the next iteration, as in
            // asyncio.
            return Poll::Pending;
        }
        match self.result() {
            Some(outcome) => Poll::Ready(outcome),
            None => panic!("`Task` awaited after its outcome was already taken (by an await or `result()`)"),
        }
    }

    /// A borrowed untyped view, for sharing the method bodies.
    fn handle_ref(&self) -> TaskHandleRef<'_> {
        TaskHandleRef(self.raw(), self.thread)
    }
}

impl<T> IntoFuture for Task<T> {
    type Output = Result<T, TaskError>;
    type IntoFuture = Join<T>;

    /// `task.await`: the await owns the task from here on.
    fn into_future(self) -> Join<T> {
        Join { task: self }
    }
}

/// `(&mut task).await`: wait for the outcome without tying the task's fate
/// to this await.
impl<T> Future for &mut Task<T> {
    type Output = Result<T, TaskError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.get_mut().poll_outcome(cx)
    }
}

/// What `task.await` awaits: the task's outcome, with the task cancelled if
/// the await is abandoned before it completes (the awaiting task was
/// cancelled, or a timeout dropped the await), as asyncio's cancellation
/// propagates into the task being awaited.
///
/// ```
/// use std::time::Duration;
/// # corio::run(async {
/// let slow = corio::create_task(corio::sleep(Duration::from_secs(60)));
/// let handle = slow.handle();
/// // `wait_for` gives up on the await, and so the task is cancelled.
/// assert!(corio::wait_for(slow, Duration::from_millis(1)).await.is_err());
/// corio::sleep(Duration::ZERO).await;
/// assert!(handle.cancelled());
/// # });
/// ```
pub struct Join<T> {
    task: Task<T>,
}

impl<T> Future for Join<T> {
    type Output = Result<T, TaskError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let task = &mut self.get_mut().task;
        let poll = task.poll_outcome(cx);
        if poll.is_pending()
            && let Some(core) = context::try_current()
        {
            // The awaiting task is now blocked on this one: cancelling it
            // cancels this one first, in the same step, as in asyncio.
            core.await_task(task.raw());
        }
        poll
    }
}

impl<T> Drop for Join<T> {
    fn drop(&mut self) {
        if !self.task.done() {
            self.task.cancel();
        }
    }
}

impl<T> fmt::Debug for Join<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.task.handle_ref().fmt_debug("Join", f)
    }
}

impl<T> Drop for Task<T> {
    fn drop(&mut self) {
        // Give up our claim on the output. If the task already completed, the
        // output is ours to drop, here on the loop's thread; a panic nobody
        // looked at is reported, as asyncio reports "exception was never
        // retrieved". If it is still running, the loop drops the output when
        // it completes instead.
        let Some(message) = self.join.release(self.thread) else { return };
        let report = Report::NeverRetrieved { task: self.get_name(), message };
        match context::loop_of(&self.raw().header().inbox) {
            Some(core) => core.report(report),
            None => default_handler(&report),
        }
    }
}

impl<T> fmt::Debug for Task<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.handle_ref().fmt_debug("Task", f)
    }
}

/// An untyped handle to a task: inspect, rename or cancel it, but not await
/// it. What [`current_task`](crate::current_task) and
/// [`all_tasks`](crate::all_tasks) return.
///
/// ```
/// # corio::run(async {
/// let me = corio::current_task().expect("inside a task");
/// assert!(!me.done());
/// println!("running as {}", me.get_name());
/// # });
/// ```
#[derive(Clone)]
pub struct TaskHandle {
    /// The task (without join interest).
    raw: TaskRef,
    /// Proof that we are on the task's loop thread, where its name lives;
    /// it also makes the handle `!Send` and `!Sync`.
    thread: LoopThread,
}

impl TaskHandle {
    /// Wraps a reference to a task of a loop running on this thread.
    pub(crate) fn new(raw: TaskRef, thread: LoopThread) -> Self {
        TaskHandle { raw, thread }
    }

    /// A borrowed view, for sharing the method bodies with [`Task`].
    fn handle_ref(&self) -> TaskHandleRef<'_> {
        TaskHandleRef(&self.raw, self.thread)
    }

    /// See [`Task::cancel`].
    pub fn cancel(&self) -> bool {
        self.handle_ref().cancel()
    }

    /// See [`Task::done`].
    pub fn done(&self) -> bool {
        self.handle_ref().done()
    }

    /// See [`Task::cancelled`].
    pub fn cancelled(&self) -> bool {
        self.handle_ref().cancelled()
    }

    /// See [`Task::get_name`].
    #[doc(alias = "name")]
    pub fn get_name(&self) -> String {
        self.handle_ref().name()
    }

    /// See [`Task::set_name`].
    pub fn set_name(&self, name: impl Into<String>) {
        self.handle_ref().set_name(name)
    }

    /// See [`Task::id`].
    pub fn id(&self) -> u64 {
        self.raw.header().id
    }

    /// See [`Task::add_done_callback`].
    pub fn add_done_callback(&self, f: impl FnOnce(&TaskHandle) + 'static) -> DoneCallbackId {
        self.handle_ref().add_done_callback(f)
    }

    /// See [`Task::remove_done_callback`].
    pub fn remove_done_callback(&self, id: DoneCallbackId) -> bool {
        self.handle_ref().remove_done_callback(id)
    }

    /// Lets go of the task's outcome for a combinator that already reported
    /// another failure: a later panic is not reported as never retrieved.
    pub(crate) fn detach_quietly(&self) {
        self.raw.detach();
    }

    /// True if the task completed by panicking.
    pub(crate) fn panicked(&self) -> bool {
        self.raw.has_panicked()
    }

    /// Records that the task being polled is blocked on this one, so that
    /// cancelling it cancels this one first (asyncio's `_fut_waiter`).
    pub(crate) fn block_current_task(&self) {
        if let Some(core) = context::try_current() {
            core.await_task(&self.raw);
        }
    }
}

/// Names one done-callback, for [`Task::remove_done_callback`] and
/// [`LoopFuture::remove_done_callback`](crate::LoopFuture::remove_done_callback).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DoneCallbackId(pub(crate) u64);

impl PartialEq for TaskHandle {
    fn eq(&self, other: &Self) -> bool {
        self.raw.ptr_eq(&other.raw)
    }
}

impl Eq for TaskHandle {}

impl fmt::Debug for TaskHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.handle_ref().fmt_debug("TaskHandle", f)
    }
}

/// The method bodies shared by [`Task`] and [`TaskHandle`].
struct TaskHandleRef<'a>(&'a TaskRef, LoopThread);

impl TaskHandleRef<'_> {
    /// Cancels the task, and first what it is blocked on (`waker::cancel`).
    fn cancel(&self) -> bool {
        cancel(self.0, self.1)
    }

    /// True once the task's outcome is final.
    fn done(&self) -> bool {
        self.0.is_complete()
    }

    /// True if it ended by cancellation.
    fn cancelled(&self) -> bool {
        self.0.is_cancelled()
    }

    /// The set name or `Task-<id>`.
    fn name(&self) -> String {
        self.0.name(self.1)
    }

    /// Adds `f` to the task's done list on the running loop.
    fn add_done_callback(&self, f: impl FnOnce(&TaskHandle) + 'static) -> DoneCallbackId {
        let core = self.running_core();
        let handle = TaskHandle::new(self.0.clone(), self.1);
        DoneCallbackId(core.add_done_callback(self.0, Box::new(move || f(&handle))))
    }

    /// Takes a done-callback off the task's list. Works without a running
    /// loop too (a wait dropped while its loop closes cleans up this way).
    fn remove_done_callback(&self, id: DoneCallbackId) -> bool {
        self.0.remove_done_callback(self.1, id.0)
    }

    /// The running loop, which must be the task's own.
    fn running_core(&self) -> Rc<LoopCore> {
        let core = context::current();
        assert!(
            Arc::ptr_eq(&core.inbox, &self.0.header().inbox),
            "{} belongs to another event loop than the one running",
            self.name()
        );
        core
    }

    /// Stores a new name.
    fn set_name(&self, name: impl Into<String>) {
        self.0.local(self.1).borrow_mut().name = Some(name.into());
    }

    /// `Task { id, name, done }`.
    fn fmt_debug(&self, kind: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct(kind)
            .field("id", &self.0.header().id)
            .field("name", &self.name())
            .field("done", &self.done())
            .field("cancelled", &self.cancelled())
            .finish()
    }
}
