//! The runtime's error values: what awaiting a task, a future, a task group
//! or a deadline can yield.
//!
//! A task in this runtime ends in one of three ways: its future returns, it is
//! cancelled, or it panics. The last two are not the task's own output, so the
//! [`Task`](crate::Task) handle reports them as a [`TaskError`] beside it.
//! Timeouts are a separate, smaller type because they can only come from
//! [`timeout`](crate::timeout()) and [`wait_for`](crate::wait_for).

use std::error::Error;
use std::fmt;

/// Why a task ended without producing its output.
///
/// ```
/// # corio::run(async {
/// let task = corio::create_task(async { 7 });
/// task.cancel();
/// assert_eq!(task.await, Err(corio::TaskError::Cancelled));
/// # });
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TaskError {
    /// The task was cancelled: its future was dropped at its next await point
    /// (or before its first poll), so it never produced an output.
    Cancelled,
    /// The task's future panicked while being polled. The payload is the
    /// panic message (or a placeholder if the payload was not a string). The
    /// loop caught the panic and kept running.
    Panicked(String),
}

impl TaskError {
    /// True for [`TaskError::Cancelled`].
    pub fn is_cancelled(&self) -> bool {
        matches!(self, TaskError::Cancelled)
    }

    /// True for [`TaskError::Panicked`].
    pub fn is_panic(&self) -> bool {
        matches!(self, TaskError::Panicked(_))
    }
}

impl fmt::Display for TaskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TaskError::Cancelled => f.write_str("task was cancelled"),
            TaskError::Panicked(message) => write!(f, "task panicked: {message}"),
        }
    }
}

impl Error for TaskError {}

/// The deadline of [`timeout`](crate::timeout()) or [`wait_for`](crate::wait_for)
/// passed before the future completed; the future has been dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimeoutError;

impl fmt::Display for TimeoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("deadline elapsed before the future completed")
    }
}

impl Error for TimeoutError {}

/// Turns a panic payload into the message carried by [`TaskError::Panicked`].
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(message) = payload.downcast_ref::<&str>() {
        (*message).to_owned()
    } else if let Some(message) = payload.downcast_ref::<String>() {
        message.clone()
    } else {
        "a non-string panic payload".to_owned()
    }
}

/// [`LoopFuture::set_result`](crate::LoopFuture::set_result) was called on a
/// future that is already done (it has a result or was cancelled): asyncio's
/// `InvalidStateError`. The value that was refused comes back with it.
///
/// ```
/// # corio::run(async {
/// let fut = corio::create_future();
/// fut.set_result(1).unwrap();
/// let refused = fut.set_result(2).unwrap_err();
/// assert_eq!(refused.into_inner(), 2);
/// # });
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct InvalidStateError<T>(pub(crate) T);

impl<T> InvalidStateError<T> {
    /// The value that was not set.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> fmt::Debug for InvalidStateError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("InvalidStateError(..)")
    }
}

impl<T> fmt::Display for InvalidStateError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the future is already done: its result was set or it was cancelled")
    }
}

impl<T> Error for InvalidStateError<T> {}

/// Why a [`task_group`](crate::task_group) failed: every failure of its
/// children, and of its body, asyncio's `ExceptionGroup('unhandled errors in
/// a TaskGroup', ...)`.
///
/// A failure is a panic ([`TaskError::Panicked`]): a child that returns an
/// `Err` has returned a value, and a child that was cancelled has not
/// failed (as in asyncio, where cancellation is no error of the group's).
/// The children's failures come first, in the order their tasks completed;
/// a panic of the body comes last, named after the task running the group.
///
/// ```
/// # corio::run(async {
/// let outcome = corio::task_group(|tg| async move {
///     tg.create_named_task("fetch", async { panic!("no route to host") });
/// })
/// .await;
/// let error = outcome.unwrap_err();
/// assert_eq!(error.exceptions()[0].task_name(), "fetch");
/// assert_eq!(error.to_string(), "unhandled errors in a task group: fetch: task panicked: no route to host");
/// # });
/// ```
#[doc(alias = "ExceptionGroup")]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskGroupError {
    /// Never empty.
    failures: Vec<TaskFailure>,
}

impl TaskGroupError {
    /// Wraps the failures, of which there is at least one.
    pub(crate) fn new(failures: Vec<TaskFailure>) -> Self {
        TaskGroupError { failures }
    }

    /// Every failure, in order (asyncio's `ExceptionGroup.exceptions`).
    pub fn exceptions(&self) -> &[TaskFailure] {
        &self.failures
    }

    /// The failures, owned.
    pub fn into_exceptions(self) -> Vec<TaskFailure> {
        self.failures
    }
}

impl fmt::Display for TaskGroupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("unhandled errors in a task group: ")?;
        for (i, failure) in self.failures.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{failure}")?;
        }
        Ok(())
    }
}

impl Error for TaskGroupError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.failures.first().map(|failure| &failure.error as &(dyn Error + 'static))
    }
}

/// One entry of a [`TaskGroupError`]: which task failed, and how.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskFailure {
    /// The task's name when it failed.
    task: String,
    /// Its error.
    error: TaskError,
}

impl TaskFailure {
    /// Records that `task` failed with `error`.
    pub(crate) fn new(task: String, error: TaskError) -> Self {
        TaskFailure { task, error }
    }

    /// The name of the task that failed ([`Task::get_name`](crate::Task::get_name)).
    pub fn task_name(&self) -> &str {
        &self.task
    }

    /// How it failed.
    pub fn error(&self) -> &TaskError {
        &self.error
    }
}

impl fmt::Display for TaskFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.task, self.error)
    }
}
