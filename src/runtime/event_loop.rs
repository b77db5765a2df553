//! The public face of a loop: [`run`], [`EventLoop`] (set up by
//! [`Builder`]), and [`LoopHandle`], what
//! [`get_running_loop`] returns.
//!
//! An `EventLoop` owns its core; dropping it closes the loop. A `LoopHandle`
//! only points at the core (weakly), so tasks can keep one without keeping
//! their own loop alive in a cycle. Both offer asyncio's loop methods:
//! `create_task`, `call_soon`, `call_later`, `call_at`, `time`, `stop`, ...
//! (`EventLoop` dereferences to its `LoopHandle`, so they are written once.)

use std::future::IntoFuture;
use std::ops::Deref;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::rc::{Rc, Weak};
use std::time::{Duration, Instant};

use crate::blocking::{ToThread, to_thread};
use crate::error::TaskError;
use crate::runtime::builder::Builder;
use crate::runtime::callback::{CallbackHandle, TimerHandle};
use crate::runtime::context;
use crate::runtime::core::LoopCore;
use crate::runtime::report::Report;
use crate::runtime::shared::RemoteHandle;
use crate::runtime::trace::TraceEvent;
use crate::task::Task;

/// Runs `future` to completion on a fresh event loop and returns its output,
/// like `asyncio.run(main())`: then cancels every task still pending, lets
/// them unwind, and closes the loop.
///
/// # Panics
/// If `future` panics (the panic is propagated after the cleanup), if it is
/// cancelled, or if called while a loop is already running on this thread.
///
/// ```
/// use std::time::Duration;
/// let answer = corio::run(async {
///     corio::sleep(Duration::from_millis(1)).await;
///     42
/// });
/// assert_eq!(answer, 42);
/// ```
#[track_caller]
pub fn run<F>(future: F) -> F::Output
where
    F: IntoFuture<IntoFuture: 'static>,
{
    assert!(
        context::try_current().is_none(),
        "corio::run cannot be called while a loop is running on this thread; await the future instead"
    );
    EventLoop::new().run_and_close(future)
}

/// The running loop, asyncio's `asyncio.get_running_loop()`.
///
/// # Panics
/// Outside a running loop ("no running event loop").
///
/// ```
/// # corio::run(async {
/// let lp = corio::get_running_loop();
/// lp.call_soon(|| println!("soon"));
/// # });
/// ```
pub fn get_running_loop() -> LoopHandle {
    LoopHandle { core: Rc::downgrade(&context::current()) }
}

/// An event loop you drive yourself, as in asyncio's explicit style:
/// `EventLoop::new()`, `run_until_complete`, `close`.
///
/// Dropping it closes it: tasks still pending are dropped and reported
/// ("task was destroyed but it is pending").
///
/// ```
/// let lp = corio::EventLoop::new();
/// let task = lp.create_task(async { "hello" });
/// assert_eq!(lp.run_until_complete(task), Ok("hello"));
/// lp.close();
/// ```
pub struct EventLoop {
    /// The loop itself (the one strong owner besides a running `run_*` call).
    core: Rc<LoopCore>,
    /// A handle to it, for `Deref`.
    handle: LoopHandle,
}

impl EventLoop {
    /// A loop on the real clock (debug mode and tracing from the
    /// environment); see [`EventLoop::builder`] for the options.
    ///
    /// ```
    /// let lp = corio::EventLoop::new();
    /// # drop(lp);
    /// ```
    #[allow(clippy::new_without_default)]
    pub fn new() -> EventLoop {
        Builder::default().build()
    }

    /// Options for a new loop.
    ///
    /// ```
    /// let lp = corio::EventLoop::builder().virtual_time(true).build();
    /// # drop(lp);
    /// ```
    pub fn builder() -> Builder {
        Builder::default()
    }

    /// Runs the loop until `future` completes, and returns its output (asyncio's
    /// `loop.run_until_complete`). The future runs as a task, so
    /// [`current_task`](crate::current_task) works inside it; other tasks
    /// run alongside it and are left as they are when it completes.
    ///
    /// # Panics
    /// If the future panics (the panic is propagated), if it is cancelled,
    /// if [`LoopHandle::stop`] is called before it completes, if the loop is
    /// closed, or if another loop is running on this thread.
    ///
    /// ```
    /// let lp = corio::EventLoop::new();
    /// assert_eq!(lp.run_until_complete(async { 1 + 1 }), 2);
    /// ```
    #[track_caller]
    pub fn run_until_complete<F>(&self, future: F) -> F::Output
    where
        F: IntoFuture<IntoFuture: 'static>,
    {
        let _running = context::enter(&self.core);
        let mut task = self.core.spawn(future.into_future(), None);
        while !task.done() {
            self.core.run_once();
            if self.core.take_stop() && !task.done() {
                panic!("event loop stopped before the future completed");
            }
        }
        match task.result() {
            Some(Ok(output)) => output,
            // The panic hook already printed where it happened; carry the
            // message on without printing it twice.
            Some(Err(TaskError::Panicked(message))) => resume_unwind(Box::new(message)),
            Some(Err(TaskError::Cancelled)) => panic!("the future given to run_until_complete was cancelled"),
            None => unreachable!("the task is done and its output was not taken"),
        }
    }

    /// Runs the loop until [`LoopHandle::stop`] is called (asyncio's
    /// `loop.run_forever`). The iteration in which `stop` was called is
    /// completed first.
    ///
    /// # Panics
    /// If the loop is closed or another loop is running on this thread.
    ///
    /// ```
    /// let lp = corio::EventLoop::new();
    /// let handle = lp.handle();
    /// lp.call_soon(move || handle.stop());
    /// lp.run_forever();
    /// ```
    #[track_caller]
    pub fn run_forever(&self) {
        assert!(!self.core.is_closed(), "event loop is closed");
        let _running = context::enter(&self.core);
        loop {
            self.core.run_once();
            if self.core.take_stop() {
                break;
            }
        }
    }

    /// Closes the loop (asyncio's `loop.close()`): pending tasks are dropped
    /// and reported, queued callbacks and timers discarded, blocking-pool
    /// threads told to exit. Idempotent; dropping the loop does the same.
    ///
    /// # Panics
    /// If called while the loop is running (from one of its own tasks).
    ///
    /// ```
    /// let lp = corio::EventLoop::new();
    /// lp.close();
    /// assert!(lp.is_closed());
    /// ```
    pub fn close(&self) {
        assert!(!self.is_running(), "cannot close a running event loop");
        self.core.close();
    }

    /// A handle to this loop that does not own it.
    ///
    /// ```
    /// let lp = corio::EventLoop::new();
    /// let handle = lp.handle();
    /// assert!(!handle.is_closed());
    /// ```
    pub fn handle(&self) -> LoopHandle {
        self.handle.clone()
    }

    /// Wraps a freshly built core.
    pub(crate) fn from_core(core: Rc<LoopCore>) -> EventLoop {
        let handle = LoopHandle { core: Rc::downgrade(&core) };
        EventLoop { core, handle }
    }

    /// What [`run`] does: run `future`, then cancel what is left (also if
    /// `future` panicked), let the cancelled tasks unwind, and close.
    fn run_and_close<F>(self, future: F) -> F::Output
    where
        F: IntoFuture<IntoFuture: 'static>,
    {
        let outcome = catch_unwind(AssertUnwindSafe(|| self.run_until_complete(future)));
        self.cancel_all_tasks();
        self.close();
        match outcome {
            Ok(output) => output,
            Err(payload) => resume_unwind(payload),
        }
    }

    /// asyncio.run's `_cancel_all_tasks`: cancel every pending task and run
    /// the loop until each has been dropped. Cancelling takes effect at the
    /// task's next step, so this is usually a single iteration.
    fn cancel_all_tasks(&self) {
        let _running = context::enter(&self.core);
        loop {
            let pending = self.core.all_tasks();
            if pending.is_empty() {
                break;
            }
            for task in pending {
                task.cancel();
            }
            self.core.run_once();
        }
    }
}

impl Deref for EventLoop {
    type Target = LoopHandle;

    /// Deref lets `lp.create_task(...)`, `lp.call_soon(...)` and the rest be
    /// written once, on `LoopHandle`, yet read like asyncio's loop methods.
    fn deref(&self) -> &LoopHandle {
        &self.handle
    }
}

/// A non-owning handle to an event loop: what [`get_running_loop`] returns.
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
    core: Weak<LoopCore>,
}

impl LoopHandle {
    /// The loop, or a panic if it is gone.
    fn core(&self) -> Rc<LoopCore> {
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
        self.core().spawn(future.into_future(), None)
    }

    /// [`create_task`](LoopHandle::create_task) with a name (asyncio's
    /// `create_task(coro, name=...)`).
    ///
    /// ```
    /// let lp = corio::EventLoop::new();
    /// let task = lp.create_named_task("answer", async { 42 });
    /// assert_eq!(task.name(), "answer");
    /// ```
    pub fn create_named_task<F>(&self, name: impl Into<String>, future: F) -> Task<F::Output>
    where
        F: IntoFuture<IntoFuture: 'static>,
    {
        self.core().spawn(future.into_future(), Some(name.into()))
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
        self.core().call_soon(f)
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
        let core = self.core();
        let when = core.clock.deadline_after(delay);
        core.call_at(when, f)
    }

    /// Runs `f` at loop time `when` (asyncio's `call_at`).
    ///
    /// # Panics
    /// If the loop is closed.
    ///
    /// ```
    /// use std::time::Duration;
    /// let lp = corio::EventLoop::builder().virtual_time(true).build();
    /// let when = lp.time() + Duration::from_millis(5);
    /// lp.call_at(when, || println!("at the time given"));
    /// lp.run_until_complete(corio::sleep(Duration::from_millis(10)));
    /// ```
    pub fn call_at(&self, when: Instant, f: impl FnOnce() + 'static) -> TimerHandle {
        self.core().call_at(when, f)
    }

    /// The loop's current time (asyncio's `loop.time()`): the real clock, or
    /// the virtual one.
    ///
    /// ```
    /// let lp = corio::EventLoop::new();
    /// let now = lp.time();
    /// assert!(lp.time() >= now);
    /// ```
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
    /// `loop.stop()`); see [`EventLoop::run_forever`].
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
    ///
    /// ```
    /// let lp = corio::EventLoop::new();
    /// let handle = lp.handle();
    /// drop(lp);
    /// assert!(handle.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.core.upgrade().is_none_or(|core| core.is_closed())
    }

    /// How many iterations the loop has completed: the clock that scheduling
    /// tests read.
    ///
    /// ```
    /// let lp = corio::EventLoop::new();
    /// lp.run_until_complete(async {});
    /// assert_eq!(lp.iteration(), 1);
    /// ```
    pub fn iteration(&self) -> u64 {
        self.core().iteration()
    }

    /// True in debug mode.
    ///
    /// ```
    /// let lp = corio::EventLoop::builder().debug(false).build();
    /// assert!(!lp.get_debug());
    /// ```
    pub fn get_debug(&self) -> bool {
        self.core().debug()
    }

    /// Runs `f` on the loop's blocking pool (asyncio's
    /// `loop.run_in_executor(None, f)`); see [`to_thread`].
    ///
    /// # Panics
    /// If this loop is not the one running on this thread.
    ///
    /// ```
    /// # corio::run(async {
    /// let lp = corio::get_running_loop();
    /// assert_eq!(lp.run_in_executor(|| 2 + 2).await, Ok(4));
    /// # });
    /// ```
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
    ///
    /// ```
    /// let lp = corio::EventLoop::new();
    /// let remote = lp.remote_handle();
    /// std::thread::spawn(move || remote.call_soon_threadsafe(|| println!("hi from afar")));
    /// # lp.run_until_complete(corio::sleep(std::time::Duration::from_millis(10)));
    /// ```
    pub fn remote_handle(&self) -> RemoteHandle {
        RemoteHandle::new(self.core().shared.clone())
    }

    /// Sets the function that receives [`Report`]s (asyncio's
    /// `loop.set_exception_handler`); by default they go to stderr.
    ///
    /// ```
    /// let lp = corio::EventLoop::new();
    /// lp.set_exception_handler(|report| eprintln!("loop says: {report}"));
    /// ```
    pub fn set_exception_handler(&self, handler: impl Fn(&Report) + 'static) {
        self.core().set_exception_handler(Some(Rc::new(handler)));
    }

    /// Takes the trace events recorded so far (empty unless tracing is on).
    ///
    /// ```
    /// let lp = corio::EventLoop::builder().trace(true).build();
    /// lp.run_until_complete(async {});
    /// assert!(!lp.take_trace().is_empty());
    /// ```
    pub fn take_trace(&self) -> Vec<TraceEvent> {
        self.core().take_trace()
    }
}
