//! Phase 4's unit of work: running one ready-queue entry. For a task that
//! is one step: poll its future (or drop it, if cancellation was
//! requested), and when the future is done, complete the task: mark it,
//! take it out of the slab, and wake whoever awaits it, or drop its output
//! and report a panic nobody will retrieve.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::Ordering;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use super::LoopCore;
use crate::error::panic_message;
use crate::runtime::raw_task::{CANCEL_REQUESTED, CANCELLED, COMPLETE, JOIN_INTEREST, PANICKED, SCHEDULED, TaskRef};
use crate::runtime::ready::Runnable;
use crate::runtime::report::Report;
use crate::runtime::trace::TraceKind;
use crate::runtime::waker::waker_ref;

/// How a task's step ended, for `finish`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Outcome {
    /// The future returned.
    Returned,
    /// The future panicked.
    Panicked,
    /// The task was cancelled.
    Cancelled,
}

impl LoopCore {
    /// Runs one ready-queue entry.
    pub(super) fn run(&self, runnable: Runnable) {
        match runnable {
            Runnable::Task(task) => self.run_task(task),
            Runnable::Callback(cell) => {
                // A cancelled callback has nothing to take: its slot is skipped.
                let Some(f) = cell.take() else { return };
                self.record(|| TraceKind::Callback);
                if let Err(payload) = catch_unwind(AssertUnwindSafe(f)) {
                    self.report(Report::CallbackPanicked { message: panic_message(&*payload) });
                }
            }
            // The sleeping task is queued now and runs next iteration.
            Runnable::Wake(waker) => self.wake(waker),
        }
    }

    /// Polls one task, or cancels it if that was requested. Also the eager
    /// first step of a task that `spawn_eager` runs inside another task's
    /// poll, which is why the current task is put back afterwards rather
    /// than cleared.
    pub(super) fn run_task(&self, task: TaskRef) {
        // Clear SCHEDULED first, so a wake during this poll queues the task
        // again (for the next iteration) instead of being lost.
        let state = task.header().state.fetch_and(!SCHEDULED, Ordering::AcqRel);
        if state & COMPLETE != 0 {
            // A stale queue entry: the task completed after it was queued.
            return;
        }
        if state & CANCEL_REQUESTED != 0 {
            // Cancellation drops the future at this await point; a task
            // cancelled before its first poll never runs at all.
            self.cancel_now(&task);
            return;
        }

        // asyncio's `__step` starts by forgetting its `_fut_waiter`: what the
        // task waits on is whatever this poll registers again.
        let awaited = task.local_if_any(self.thread).map(|local| std::mem::take(&mut local.borrow_mut().awaiting));
        drop(awaited);
        self.record(|| TraceKind::Poll { task: task.header().id });
        self.budget.reset();
        let waker = waker_ref(&task);
        let mut cx = Context::from_waker(&waker);
        let outer = self.current_task.replace(Some(task.header().key()));
        let started = self.slow_poll.map(|_| Instant::now());
        let polled = task.poll(self.thread, &mut cx);
        self.current_task.set(outer);

        // Debug mode: the poll ran on real time whatever the loop's clock.
        if let (Some(threshold), Some(started)) = (self.slow_poll, started) {
            let elapsed = started.elapsed();
            if elapsed > threshold {
                self.report(Report::SlowPoll { task: task.name(self.thread), elapsed });
            }
        }
        match polled {
            Poll::Ready(true) => self.finish(&task, Outcome::Panicked),
            // Cancelled during its last step: asyncio's `__step` discards the
            // result and ends the task cancelled, and so do we.
            Poll::Ready(false) if task.header().state.load(Ordering::Acquire) & CANCEL_REQUESTED != 0 => {
                self.cancel_now(&task);
            }
            Poll::Ready(false) => self.finish(&task, Outcome::Returned),
            // Whatever the future waits on holds a clone of the waker and
            // will wake it; if it forgot to, the task sleeps forever (the
            // `Future` contract).
            Poll::Pending => {}
        }
    }

    /// Drops the task's future (reporting a panic in its `Drop`) and
    /// completes it cancelled.
    pub(super) fn cancel_now(&self, task: &TaskRef) {
        if let Some(message) = task.cancel(self.thread) {
            self.report(Report::DropPanicked { task: task.name(self.thread), message });
        }
        self.finish(task, Outcome::Cancelled);
    }

    /// Wakes `waker`, catching a panic in a foreign waker's `wake()` (ours
    /// cannot panic) so that it cannot unwind out of the loop and abandon
    /// every task: it is reported instead.
    pub(super) fn wake(&self, waker: Waker) {
        if let Err(payload) = catch_unwind(AssertUnwindSafe(|| waker.wake())) {
            self.report(Report::WakerPanicked { message: panic_message(&*payload) });
        }
    }

    /// Marks a task complete, removes it from the slab, tells its done list,
    /// and drops the output if no handle will take it (reporting a panic).
    pub(super) fn finish(&self, task: &TaskRef, outcome: Outcome) {
        let header = task.header();
        let bits = match outcome {
            Outcome::Returned => COMPLETE,
            Outcome::Panicked => COMPLETE | PANICKED,
            Outcome::Cancelled => COMPLETE | CANCELLED,
        };
        let state = header.state.fetch_or(bits, Ordering::AcqRel);
        let slab_ref = self.tasks.borrow_mut().try_remove(header.key());
        self.record(|| TraceKind::Complete {
            task: header.id,
            outcome: match outcome {
                Outcome::Returned => "ok",
                Outcome::Panicked => "panicked",
                Outcome::Cancelled => "cancelled",
            },
        });

        // Tell everyone on the done list, in the order they asked. The
        // borrow ends before any waker runs.
        let (done, awaited) = match task.local_if_any(self.thread) {
            Some(local) => {
                let mut local = local.borrow_mut();
                (std::mem::take(&mut local.done), std::mem::take(&mut local.awaiting))
            }
            None => (Vec::new(), Vec::new()),
        };
        drop(awaited);
        self.schedule_done(done);
        if state & JOIN_INTEREST == 0
            && let Some(message) = task.discard_output(self.thread, state)
        {
            // Nobody holds a `Task` handle to take the outcome: drop it now.
            self.report(Report::NeverRetrieved { task: task.name(self.thread), message });
        }
        drop(slab_ref);
    }
}
