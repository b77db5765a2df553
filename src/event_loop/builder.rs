//! [`Builder`]: how an [`EventLoop`] is set up (virtual time, tracing,
//! debug mode, eager tasks), read from the environment by default like asyncio's
//! `PYTHONASYNCIODEBUG`.

use std::path::PathBuf;
use std::time::Duration;

use super::run::EventLoop;
use crate::runtime::core::{Config, LoopCore};

/// Debug mode's default slow-poll threshold, asyncio's
/// `slow_callback_duration`.
const DEFAULT_SLOW_POLL: Duration = Duration::from_millis(100);

/// Sets up an [`EventLoop`]: virtual time, tracing, debug mode.
///
/// ```
/// let lp = corio::EventLoop::builder().virtual_time(true).trace(true).build();
/// let start = lp.time();
/// lp.run_until_complete(corio::sleep(std::time::Duration::from_secs(3600)));
/// assert_eq!(lp.time() - start, std::time::Duration::from_secs(3600));
/// ```
#[derive(Clone, Debug)]
pub struct Builder {
    /// Time jumps to the next timer when nothing is ready.
    virtual_time: bool,
    /// Record a trace of loop events.
    trace: bool,
    /// Write the trace as JSON lines to this file on close.
    trace_file: Option<PathBuf>,
    /// Debug mode; `None` means "from `CORIO_DEBUG`".
    debug: Option<bool>,
    /// Debug mode's slow-poll threshold.
    slow_poll: Duration,
    /// Start every task eagerly.
    eager_tasks: bool,
}

impl Default for Builder {
    fn default() -> Self {
        Builder {
            virtual_time: false,
            trace: false,
            trace_file: std::env::var_os("CORIO_TRACE").filter(|path| !path.is_empty()).map(PathBuf::from),
            debug: None,
            slow_poll: DEFAULT_SLOW_POLL,
            eager_tasks: false,
        }
    }
}

impl Builder {
    /// Virtual time: when nothing is ready, the clock jumps to the next timer
    /// instead of waiting, so an hour of sleeps runs in microseconds and every
    /// run is exactly reproducible.
    ///
    /// The loop still polls I/O (without blocking) before each jump, so
    /// sockets whose both ends live on this loop work as usual. But a peer
    /// outside the loop (another thread or process) is not waited for while
    /// a timer is pending: a `timeout` around such a read expires at once.
    /// The loop waits in real time only when no timer is pending, or while
    /// `to_thread` jobs are running (their results arrive in real time),
    /// including jobs whose result nobody awaits any more.
    pub fn virtual_time(mut self, on: bool) -> Self {
        self.virtual_time = on;
        self
    }

    /// Records a trace of loop events, read with
    /// [`LoopHandle::take_trace`](crate::LoopHandle::take_trace).
    /// Also on when `CORIO_TRACE=<file>` is set, which writes the trace to
    /// that file as JSON lines when the loop closes.
    pub fn trace(mut self, on: bool) -> Self {
        self.trace = on;
        self
    }

    /// Debug mode (default: on if the `CORIO_DEBUG` environment variable is
    /// set to anything but `0`, like `PYTHONASYNCIODEBUG`): every poll that
    /// takes longer than the slow-poll threshold is reported with the
    /// task's name.
    pub fn debug(mut self, on: bool) -> Self {
        self.debug = Some(on);
        self
    }

    /// Debug mode's threshold (default 100 ms), asyncio's
    /// `loop.slow_callback_duration`.
    pub fn slow_callback_duration(mut self, threshold: Duration) -> Self {
        self.slow_poll = threshold;
        self
    }

    /// Starts every task eagerly, as asyncio 3.12's
    /// `loop.set_task_factory(asyncio.eager_task_factory)`: each
    /// `create_task` on this loop behaves as
    /// [`create_eager_task`](crate::create_eager_task) (see there). Off by
    /// default, as in asyncio.
    pub fn eager_task_factory(mut self, on: bool) -> Self {
        self.eager_tasks = on;
        self
    }

    /// Creates the loop.
    ///
    /// # Panics
    /// If the OS refuses an epoll instance or an eventfd (out of file
    /// descriptors); use [`Builder::try_build`] to get that as an error.
    pub fn build(self) -> EventLoop {
        match self.try_build() {
            Ok(event_loop) => event_loop,
            Err(error) => panic!("could not create an event loop: {error}"),
        }
    }

    /// Creates the loop, or says why the OS would not let us.
    pub fn try_build(self) -> std::io::Result<EventLoop> {
        let debug =
            self.debug.unwrap_or_else(|| std::env::var_os("CORIO_DEBUG").is_some_and(|v| !v.is_empty() && v != "0"));
        let core = LoopCore::new(Config {
            virtual_time: self.virtual_time,
            trace: self.trace,
            trace_file: self.trace_file,
            slow_poll: debug.then_some(self.slow_poll),
            eager_tasks: self.eager_tasks,
        })?;
        Ok(EventLoop::from_core(core))
    }
}
