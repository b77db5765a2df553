//! The hand-written `RawWakerVTable`: how a [`Waker`] becomes "put this task
//! back on its loop's ready queue".
//!
//! A waker's data pointer is the task's [`Header`]; each live waker owns one
//! count of the task's reference count, exactly like a [`TaskRef`]. Waking
//! is the second step in the life of a wakeup (DESIGN.md): set
//! [`SCHEDULED`], and if it was not already set and the task is not
//! complete, hand a `TaskRef` to [`Inbox::schedule`], which picks the local
//! queue or the cross-thread one.

use std::mem::ManuallyDrop;
use std::sync::atomic::Ordering;
use std::task::{RawWaker, RawWakerVTable, Waker};

use super::inbox::Inbox;
use super::loop_thread::LoopThread;
use super::raw_task::{Awaited, CANCEL_REQUESTED, COMPLETE, Header, SCHEDULED, TaskRef};

/// The four functions every task waker shares.
static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, wake, wake_by_ref, drop_waker);

/// A waker borrowing the executor's reference to `task` for one poll: no
/// reference count is taken unless the future clones it.
pub(crate) fn waker_ref(task: &TaskRef) -> ManuallyDrop<Waker> {
    let data = task.as_ptr().cast::<()>();
    // SAFETY: the vtable's contract is upheld by the functions below; the
    // `ManuallyDrop` keeps this borrowed waker from releasing a count it
    // never took, and it cannot outlive `task` in the executor's frame.
    ManuallyDrop::new(unsafe { Waker::from_raw(RawWaker::new(data, &VTABLE)) })
}

/// Marks the task scheduled and queues a new reference to it, unless it
/// already is scheduled or is done.
///
/// Waking twice schedules once, and waking a finished or cancelled task is
/// a no-op: both are the single `fetch_or` in [`mark_scheduled`].
pub(crate) fn schedule(task: &TaskRef) {
    if mark_scheduled(task) {
        Inbox::schedule(task.clone());
    }
}

/// Sets `SCHEDULED`; true if the caller must queue the task (it was
/// neither scheduled already nor complete).
fn mark_scheduled(task: &TaskRef) -> bool {
    let previous = task.header().state.fetch_or(SCHEDULED, Ordering::AcqRel);
    previous & (SCHEDULED | COMPLETE) == 0
}

/// Cancels a task as asyncio's `Task.cancel` does: first whatever it is
/// blocked on (the tasks and loop futures in its `awaiting` list,
/// recursively), in this same step; if any of those took the cancellation,
/// the task is left to be
/// woken when they finish (and is dropped then, at its next step), which
/// is the order asyncio's cancellation travels in. Otherwise the task is
/// queued now, so the loop sees the flag in its next iteration even if
/// nothing else would wake it (it then drops the future instead of polling
/// it). Returns `false` if it had already
/// completed.
pub(crate) fn cancel(task: &TaskRef, on: LoopThread) -> bool {
    let state = task.header().state.fetch_or(CANCEL_REQUESTED, Ordering::AcqRel);
    if state & COMPLETE != 0 {
        return false;
    }
    // Copy the list out: cancelling a child may reach this task again.
    let awaited: Vec<Awaited> = task.local_if_any(on).map(|local| local.borrow().awaiting.clone()).unwrap_or_default();
    if !cancel_awaited(&awaited, on) {
        schedule(task);
    }
    true
}

/// Cancels each of `awaited`, what some task's step is blocked on, as
/// [`cancel`] does before it touches the task itself. Returns `true` if any
/// of them took the cancellation: it then wakes whoever awaits it when it
/// finishes. (A task group uses this to stop its body the way asyncio
/// cancels the group's parent task, without cancelling the task.)
pub(crate) fn cancel_awaited(awaited: &[Awaited], on: LoopThread) -> bool {
    let mut passed_on = false;
    for child in awaited {
        passed_on |= match child {
            Awaited::Task(child) => cancel(child, on),
            Awaited::Other(future) => future.cancel(),
        };
    }
    passed_on
}

/// True if `waker` is a corio task's and that task has been asked to
/// cancel: it will be dropped at its next step, so handing it a resource now
/// would only make it pass the resource on an iteration later. asyncio's
/// queue and semaphore see the same thing as a waiter future already
/// cancelled, and skip it. A foreign waker is never considered cancelled.
pub(crate) fn cancel_requested(waker: &Waker) -> bool {
    if !std::ptr::eq(waker.vtable(), &VTABLE) {
        return false;
    }
    // SAFETY: a waker with our vtable holds (or borrows, for the duration of
    // the poll it was handed to) a reference to a live task block, whose
    // header is at its data pointer; the header is safe to read from any
    // thread (atomics only).
    let header = unsafe { &*waker.data().cast::<Header>() };
    header.state.load(Ordering::Acquire) & (CANCEL_REQUESTED | COMPLETE) == CANCEL_REQUESTED
}

/// `RawWakerVTable::clone`: one more reference.
unsafe fn clone(data: *const ()) -> RawWaker {
    // SAFETY: `data` is the header of a live task (the waker being cloned
    // holds, or borrows, a reference). The new count belongs to the new waker.
    std::mem::forget(unsafe { TaskRef::clone_raw(data.cast::<Header>()) });
    RawWaker::new(data, &VTABLE)
}

/// `RawWakerVTable::wake`: schedule, handing this waker's reference to the
/// ready queue.
unsafe fn wake(data: *const ()) {
    // SAFETY: an owned waker holds one reference, which we now own. It
    // becomes the ready queue's, saving a count up and a count down per
    // wake; if the task needs no queueing, it is released here.
    let task = unsafe { TaskRef::from_raw(data.cast::<Header>()) };
    if mark_scheduled(&task) {
        Inbox::schedule(task);
    }
}

/// `RawWakerVTable::wake_by_ref`: schedule, keeping this waker's reference.
unsafe fn wake_by_ref(data: *const ()) {
    // SAFETY: the waker holds (or borrows) a reference for the duration of
    // this call; `ManuallyDrop` borrows it without releasing it.
    let task = ManuallyDrop::new(unsafe { TaskRef::from_raw(data.cast::<Header>()) });
    schedule(&task);
}

/// `RawWakerVTable::drop`: release this waker's reference.
unsafe fn drop_waker(data: *const ()) {
    // SAFETY: an owned waker holds one reference, released here.
    drop(unsafe { TaskRef::from_raw(data.cast::<Header>()) });
}
