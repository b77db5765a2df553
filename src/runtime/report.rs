//! Reports: what the loop tells you about failures nobody else will see,
//! asyncio's "exception handler".
//!
//! A panic in a task that nobody awaits, a task destroyed while pending, a
//! poll that hogged the loop (in debug mode), a panicking callback: none of
//! these can be returned to a caller, so the loop hands them to its
//! exception handler, which by default prints them to stderr.

use std::fmt;
use std::time::Duration;

/// Something the loop noticed that no caller can be told about.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let lp = corio::EventLoop::new();
/// let sink = seen.clone();
/// lp.set_exception_handler(move |report| sink.lock().unwrap().push(report.to_string()));
/// drop(lp.create_task(async { panic!("boom") }));
/// lp.run_until_complete(corio::sleep(std::time::Duration::ZERO));
/// assert_eq!(seen.lock().unwrap().len(), 1);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Report {
    /// A task panicked and its [`Task`](crate::Task) handle was dropped
    /// without looking at the outcome ("Task exception was never retrieved").
    NeverRetrieved {
        /// The task's name.
        task: String,
        /// The panic message.
        message: String,
    },
    /// The loop was closed while the task was still pending, so its future
    /// was dropped without finishing ("Task was destroyed but it is pending!").
    DestroyedPending {
        /// The task's name.
        task: String,
    },
    /// Debug mode: one poll of a task took longer than the slow-poll
    /// threshold, blocking every other task for that long.
    SlowPoll {
        /// The task's name.
        task: String,
        /// How long the poll took.
        elapsed: Duration,
    },
    /// A callback given to `call_soon`, `call_later` or `call_at` (or a
    /// done-callback) panicked; the loop caught it and went on.
    CallbackPanicked {
        /// The panic message.
        message: String,
    },
    /// A waker's `wake()` panicked when the loop called it (a timer fell
    /// due, a socket became ready, an awaited task completed): a foreign
    /// waker's bug. The loop caught it and went on; whoever that waker
    /// stood for was not woken.
    WakerPanicked {
        /// The panic message.
        message: String,
    },
    /// Dropping a task's future while cancelling it panicked. The task ends
    /// cancelled all the same.
    DropPanicked {
        /// The task's name.
        task: String,
        /// The panic message.
        message: String,
    },
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Report::NeverRetrieved { task, message } => {
                write!(f, "task exception was never retrieved: {task} panicked: {message}")
            }
            Report::DestroyedPending { task } => write!(f, "task was destroyed but it is pending: {task}"),
            Report::SlowPoll { task, elapsed } => {
                write!(f, "executing {task} took {:.3} seconds", elapsed.as_secs_f64())
            }
            Report::CallbackPanicked { message } => write!(f, "exception in callback: {message}"),
            Report::WakerPanicked { message } => write!(f, "a waker panicked when woken: {message}"),
            Report::DropPanicked { task, message } => {
                write!(f, "dropping the future of cancelled {task} panicked: {message}")
            }
        }
    }
}

/// The handler used when none is set: one line on stderr. `eprintln!`
/// panics if stderr is gone (a broken pipe); that panic is caught, because
/// a report must never unwind through the loop's bookkeeping. (`eprintln!`
/// rather than a raw write to `io::stderr()` so test harnesses capture it.)
pub(crate) fn default_handler(report: &Report) {
    let _ = std::panic::catch_unwind(|| eprintln!("corio: {report}"));
}
