//! What the loop shows and tells: the task being polled and the tasks
//! alive (asyncio's `current_task` and `all_tasks`), reports to the
//! exception handler, and the event trace.

use std::panic::{AssertUnwindSafe, catch_unwind};

use super::{ExceptionHandler, LoopCore};
use crate::runtime::raw_task::TaskRef;
use crate::runtime::report::{Report, default_handler};
use crate::runtime::trace::{TraceEvent, TraceKind, write_trace_jsonl};

impl LoopCore {
    /// The task being polled, if any.
    pub(crate) fn current_task(&self) -> Option<TaskRef> {
        let key = self.current_task.get()?;
        self.tasks.borrow().get(key).cloned()
    }

    /// Every task not yet complete, in slab order.
    pub(crate) fn all_tasks(&self) -> Vec<TaskRef> {
        self.tasks.borrow().iter().map(|(_, task)| task.clone()).collect()
    }

    /// True in debug mode.
    pub(crate) fn debug(&self) -> bool {
        self.slow_poll.is_some()
    }

    /// Iterations completed so far.
    pub(crate) fn iteration(&self) -> u64 {
        self.iteration.get()
    }

    /// Hands a report to the exception handler (or stderr).
    pub(crate) fn report(&self, report: Report) {
        let Some(handler) = self.handler.borrow().clone() else {
            default_handler(&report);
            return;
        };
        // A panicking handler must not unwind through the loop (asyncio logs
        // and carries on too); the report still reaches stderr.
        if catch_unwind(AssertUnwindSafe(|| handler(&report))).is_err() {
            default_handler(&report);
        }
    }

    /// Replaces the exception handler.
    pub(crate) fn set_exception_handler(&self, handler: Option<ExceptionHandler>) {
        *self.handler.borrow_mut() = handler;
    }

    /// Appends an event to the trace, if tracing (the closure builds the
    /// event only then, keeping the hot path free of allocation).
    pub(super) fn record(&self, kind: impl FnOnce() -> TraceKind) {
        if let Some(trace) = self.trace.borrow_mut().as_mut() {
            trace.push(TraceEvent { iteration: self.iteration.get(), time: self.clock.elapsed(), kind: kind() });
        }
    }

    /// Takes the events recorded so far.
    pub(crate) fn take_trace(&self) -> Vec<TraceEvent> {
        self.trace.borrow_mut().as_mut().map(std::mem::take).unwrap_or_default()
    }

    /// Writes the trace to `CORIO_TRACE`'s file, if set.
    pub(super) fn write_trace_file(&self) {
        let Some(path) = &self.trace_file else { return };
        let events = self.take_trace();
        let written =
            std::fs::File::create(path).and_then(|file| write_trace_jsonl(&events, std::io::BufWriter::new(file)));
        if let Err(error) = written {
            eprintln!("corio: could not write the trace to {}: {error}", path.display());
        }
    }
}
