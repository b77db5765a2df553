//! [`LoopHandle`]: asyncio's loop methods (`create_task`, `call_soon`,
//! `call_later`, `call_at`, `time`, `stop`, ...) on a handle that does not
//! own the loop, so tasks can keep one without keeping their loop alive in a
//! cycle. [`EventLoop`](crate::EventLoop) dereferences to one.

use std::future::IntoFuture;
use std::rc::{Rc, Weak};
use std::time::{Duration, Instant};

use super::callback_handle::{CallbackHandle, TimerHandle};
use super::remote::RemoteHandle;
use crate::runtime::context;
use crate::runtime::core::LoopCore;
use crate::runtime::report::Report;
use crate::runtime::trace::TraceEvent;
use crate::task::{LoopFuture, Task, spawn_eager_on, spawn_on};
use crate::task::{ToThread, to_thread};

/// A non-owning handle to an event loop: what [`get_running_loop`](crate::get_running_loop) returns.
/// Cheap to clone; its methods panic with "event loop is closed" once the
/// loop is gone.
///
/// ```
/// # corio::run(async {
/// let lp = corio::get_running_loop();
/// let task = lp.create_task(async { 5 });
/// assert_eq!(task.await, Ok(5));
/// # });
/// ```
#[derive(Clone, Debug)]
pub struct LoopHandle {
    /// The loop; weak so tasks holding a handle do not keep it alive.
    pub(super) core: Weak<LoopCore>,
}

impl LoopHandle {
    /// A handle to the loop `core` points at.
    pub(crate) fn new(core: Weak<LoopCore>) -> Self {
        LoopHandle { core }
    }

    /// The loop, or a panic if it is gone.
    pub(super) fn core(&self) -> Rc<LoopCore> {
        self.core.upgrade().expect("event loop is closed")
    }

    /// Spawns `future` as a task queued behind everything already ready
    /// (asyncio's `loop.create_task`). The task starts running when the
    /// current task next yields.
    ///
    /// # Panics
    /// If the loop is closed.
    ///
    /// ```
    /// let lp = corio::EventLoop::new();
    /// let task = lp.create_task(async { 3 });
    /// assert_eq!(lp.run_until_complete(task), Ok(3));
    /// ```
    pub fn create_task<F>(&self, future: F) -> Task<F::Output>
    where
        F: IntoFuture<IntoFuture: 'static>,
    {
        spawn_on(&self.core(), future.into_future(), None)
    }

    /// [`create_task`](LoopHandle::create_task) with a name (asyncio's
    /// `create_task(coro, name=...)`).
    pub fn create_named_task<F>(&self, name: impl Into<String>, future: F) -> Task<F::Output>
    where
        F: IntoFuture<IntoFuture: 'static>,
    {
        spawn_on(&self.core(), future.into_future(), Some(name.into()))
    }

    /// Spawns `future` as an eager task on this loop: see
    /// [`create_eager_task`](crate::create_eager_task).
    ///
    /// # Panics
    /// If the loop is closed.
    pub fn create_eager_task<F>(&self, future: F) -> Task<F::Output>
    where
        F: IntoFuture<IntoFuture: 'static>,
    {
        spawn_eager_on(&self.core(), future.into_future(), None)
    }

    /// A new future bound to this loop, asyncio's `loop.create_future()`;
    /// see [`LoopFuture`].
    ///
    /// # Panics
    /// If the loop is closed.
    pub fn create_future<T: 'static>(&self) -> LoopFuture<T> {
        LoopFuture::new(&self.core())
    }

    /// Queues `f` to run in the next iteration, in FIFO order with woken
    /// tasks (asyncio's `call_soon`).
    ///
    /// # Panics
    /// If the loop is closed.
    ///
    /// ```
    /// let lp = corio::EventLoop::new();
    /// lp.call_soon(|| println!("called soon"));
    /// lp.run_until_complete(corio::sleep(std::time::Duration::ZERO));
    /// ```
    pub fn call_soon(&self, f: impl FnOnce() + 'static) -> CallbackHandle {
        CallbackHandle::new(self.core().call_soon(f))
    }

    /// Runs `f` once `delay` has passed (asyncio's `call_later`). Callbacks
    /// due at the same tick run in the order they were scheduled.
    ///
    /// # Panics
    /// If the loop is closed.
    ///
    /// ```
    /// use std::time::Duration;
    /// let lp = corio::EventLoop::builder().virtual_time(true).build();
    /// lp.call_later(Duration::from_secs(1), || println!("a second later"));
    /// lp.run_until_complete(corio::sleep(Duration::from_secs(2)));
    /// ```
    pub fn call_later(&self, delay: Duration, f: impl FnOnce() + 'static) -> TimerHandle {
        let when = self.core().clock.deadline_after(delay);
        self.call_at(when, f)
    }

    /// Runs `f` at loop time `when` (asyncio's `call_at`).
    ///
    /// # Panics
    /// If the loop is closed.
    pub fn call_at(&self, when: Instant, f: impl FnOnce() + 'static) -> TimerHandle {
        let (cell, key) = self.core().call_at(when, f);
        TimerHandle::new(cell, key, when, self.core.clone())
    }

    /// The loop's current time (asyncio's `loop.time()`): the real clock, or
    /// the virtual one.
    pub fn time(&self) -> Instant {
        self.core().clock.now()
    }

    /// Loop time elapsed since the loop was created.
    ///
    /// ```
    /// let lp = corio::EventLoop::builder().virtual_time(true).build();
    /// lp.run_until_complete(corio::sleep(std::time::Duration::from_secs(5)));
    /// assert_eq!(lp.elapsed(), std::time::Duration::from_secs(5));
    /// ```
    pub fn elapsed(&self) -> Duration {
        self.core().clock.elapsed()
    }

    /// Asks the loop to stop after the current iteration (asyncio's
    /// `loop.stop()`); see
    /// [`EventLoop::run_forever`](crate::EventLoop::run_forever).
    ///
    /// ```
    /// let lp = corio::EventLoop::new();
    /// let handle = lp.handle();
    /// lp.call_soon(move || handle.stop());
    /// lp.run_forever();
    /// ```
    pub fn stop(&self) {
        self.core().stop();
    }

    /// True while the loop runs on this thread.
    ///
    /// ```
    /// let lp = corio::EventLoop::new();
    /// assert!(!lp.is_running());
    /// let handle = lp.handle();
    /// assert!(lp.run_until_complete(async move { handle.is_running() }));
    /// ```
    pub fn is_running(&self) -> bool {
        match (self.core.upgrade(), context::try_current()) {
            (Some(core), Some(running)) => Rc::ptr_eq(&core, &running),
            _ => false,
        }
    }

    /// True once the loop was closed (or dropped).
    pub fn is_closed(&self) -> bool {
        self.core.upgrade().is_none_or(|core| core.is_closed())
    }

    /// How many iterations the loop has completed: the clock that scheduling
    /// tests read.
    ///
    /// ```
    /// let lp = corio::EventLoop::new();
    /// lp.run_until_complete(async {});
    /// // One iteration runs the future, one its done-callback, which stops
    /// // the loop (as asyncio's run_until_complete does).
    /// assert_eq!(lp.iteration(), 2);
    /// ```
    pub fn iteration(&self) -> u64 {
        self.core().iteration()
    }

    /// True in debug mode.
    pub fn get_debug(&self) -> bool {
        self.core().debug()
    }

    /// Runs `f` on the loop's blocking pool (asyncio's
    /// `loop.run_in_executor(None, f)`); see [`to_thread`].
    ///
    /// # Panics
    /// If this loop is not the one running on this thread.
    pub fn run_in_executor<T, F>(&self, f: F) -> ToThread<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        assert!(self.is_running(), "run_in_executor must be called on the running loop");
        to_thread(f)
    }

    /// A handle other threads can use to reach this loop
    /// ([`RemoteHandle::call_soon_threadsafe`]).
    pub fn remote_handle(&self) -> RemoteHandle {
        RemoteHandle::new(self.core().inbox.clone())
    }

    /// Sets the function that receives [`Report`]s (asyncio's
    /// `loop.set_exception_handler`); by default they go to stderr.
    pub fn set_exception_handler(&self, handler: impl Fn(&Report) + 'static) {
        self.core().set_exception_handler(Some(Rc::new(handler)));
    }

    /// Takes the trace events recorded so far (empty unless tracing is on).
    pub fn take_trace(&self) -> Vec<TraceEvent> {
        self.core().take_trace()
    }
}
