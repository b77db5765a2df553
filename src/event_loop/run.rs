//! The public face of a loop: [`run`], [`EventLoop`] (set up by
//! [`Builder`]), and [`get_running_loop`], which returns a [`LoopHandle`].
//!
//! An `EventLoop` owns its core; dropping it closes the loop. A `LoopHandle`
//! only points at the core (weakly), so tasks can keep one without keeping
//! their own loop alive in a cycle. Both offer asyncio's loop methods:
//! `create_task`, `call_soon`, `call_later`, `call_at`, `time`, `stop`, ...
//! (`EventLoop` dereferences to its `LoopHandle`, so they are written once.)

use std::ops::Deref;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::rc::Rc;

use super::builder::Builder;
use super::loop_handle::LoopHandle;
use crate::runtime::context;
use crate::runtime::core::LoopCore;
use crate::runtime::waker::cancel;
use crate::task::IntoTask;

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
///
/// # Why the future must be `'static`
///
/// `future` runs as a task, as `asyncio.run` wraps `main()` in one (so
/// [`current_task`](crate::current_task) works inside it and it can be
/// cancelled like any other), and the loop stores its tasks type-erased in
/// one slab: a task may not borrow from the stack frame that called `run`.
/// So a future that borrows a local is refused, even though `run` returns
/// only once it is done (a shortcut: a `block_on` that polls the future in
/// place could allow the borrow):
///
/// ```compile_fail,E0597
/// async fn fetch(session: &corio::http::Session, url: &str) -> Result<String, corio::http::Error> {
///     session.get(url).await?.text().await
/// }
/// let session = corio::http::Session::new();
/// let url = String::from("http://127.0.0.1:8080/");
/// // error[E0597]: `session` does not live long enough (borrowed for 'static)
/// let page = corio::run(fetch(&session, &url));
/// ```
///
/// Write instead an `async move` block that owns what it uses and does the
/// borrowing inside, where it lives as long as the task; hand values back
/// through the output if the caller needs them afterwards, and share them
/// between tasks with `Rc` (or a cheap clone: a `Session` clone shares its
/// pool):
///
/// ```
/// # async fn fetch(session: &corio::http::Session, url: &str) -> Result<String, corio::http::Error> {
/// #     session.get(url).await?.text().await
/// # }
/// let session = corio::http::Session::new();
/// let url = String::from("http://127.0.0.1:1/");
/// let (page, session) = corio::run(async move {
///     let page = fetch(&session, &url).await;
///     (page, session)
/// });
/// assert!(page.is_err()); // nothing listens on port 1
/// # drop(session);
/// ```
#[track_caller]
pub fn run<F: IntoTask>(future: F) -> F::Awaited {
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
pub fn get_running_loop() -> LoopHandle {
    LoopHandle::new(Rc::downgrade(&context::current()))
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
    #[allow(clippy::new_without_default)]
    pub fn new() -> EventLoop {
        Builder::default().build()
    }

    /// Options for a new loop.
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
    #[track_caller]
    pub fn run_until_complete<F: IntoTask>(&self, future: F) -> F::Awaited {
        assert!(!self.core.is_closed(), "event loop is closed");
        let _running = context::enter(&self.core);
        let mut task = future.into_task();
        // asyncio's `run_until_complete`: a done-callback on the task stops
        // the loop, so the iteration after the task's last step still runs
        // (whatever that step queued runs before we return), then the loop
        // stops as `stop()` says.
        let core = self.core.weak();
        let stopper = task.add_done_callback(move |_| {
            if let Some(core) = core.upgrade() {
                core.stop();
            }
        });
        loop {
            self.core.run_once();
            if self.core.take_stop() {
                break;
            }
        }
        if !task.done() {
            task.remove_done_callback(stopper);
            panic!("event loop stopped before the future completed");
        }
        match task.result() {
            Some(outcome) => F::awaited(outcome),
            None => panic!("the task given to run_until_complete was awaited elsewhere"),
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
    pub fn close(&self) {
        assert!(!self.is_running(), "cannot close a running event loop");
        super::signals::remove_all_signal_handlers(&self.core);
        self.core.close();
    }

    /// A handle to this loop that does not own it.
    pub fn handle(&self) -> LoopHandle {
        self.handle.clone()
    }

    /// Wraps a freshly built core.
    pub(crate) fn from_core(core: Rc<LoopCore>) -> EventLoop {
        let handle = LoopHandle::new(Rc::downgrade(&core));
        EventLoop { core, handle }
    }

    /// What [`run`] does: run `future`, then cancel what is left (also if
    /// `future` panicked), let the cancelled tasks unwind, and close.
    fn run_and_close<F: IntoTask>(self, future: F) -> F::Awaited {
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
            for task in &pending {
                cancel(task, self.core.thread());
            }
            self.core.run_once();
        }
    }
}

impl Drop for EventLoop {
    fn drop(&mut self) {
        // The core closes itself when dropped; its signal handlers live
        // outside it (`signals.rs`) and go here.
        super::signals::remove_all_signal_handlers(&self.core);
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
