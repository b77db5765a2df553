//! The hand-written `RawWakerVTable`: how a [`Waker`] becomes "put this task
//! back on its loop's ready queue".
//!
//! A waker's data pointer is the task's [`Header`]; each live waker owns one
//! count of the task's reference count, exactly like a [`TaskRef`]. Waking
//! is the second step in the life of a wakeup (DESIGN.md): set
//! [`SCHEDULED`], and if it was not already set and the task is not
//! complete, hand a `TaskRef` to [`Shared::schedule`], which picks the local
//! queue or the cross-thread one.
//!
//! [`Shared::schedule`]: crate::runtime::shared::Shared::schedule

use std::mem::ManuallyDrop;
use std::sync::atomic::Ordering;
use std::task::{RawWaker, RawWakerVTable, Waker};

use super::raw::{COMPLETE, Header, SCHEDULED, TaskRef};

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

/// Marks the task scheduled and queues it, unless it already is or is done.
///
/// Waking twice schedules once, and waking a finished or cancelled task is
/// a no-op: both are the single `fetch_or` below.
pub(crate) fn schedule(header: &Header, task: impl FnOnce() -> TaskRef) {
    let previous = header.state.fetch_or(SCHEDULED, Ordering::AcqRel);
    if previous & (SCHEDULED | COMPLETE) != 0 {
        return;
    }
    header.shared.schedule(task());
}

/// `RawWakerVTable::clone`: one more reference.
unsafe fn clone(data: *const ()) -> RawWaker {
    // SAFETY: `data` is the header of a live task (the waker being cloned
    // holds, or borrows, a reference). The new count belongs to the new waker.
    std::mem::forget(unsafe { TaskRef::clone_raw(data.cast::<Header>()) });
    RawWaker::new(data, &VTABLE)
}

/// `RawWakerVTable::wake`: schedule, then release this waker's reference by
/// handing it to the queue (or dropping it if no push was needed).
unsafe fn wake(data: *const ()) {
    // SAFETY: an owned waker holds one reference, which we now own.
    let task = unsafe { TaskRef::from_raw(data.cast::<Header>()) };
    let header: *const Header = task.header();
    // SAFETY: `task` keeps the header alive for this call (it is moved into
    // the queue or dropped only after `schedule` has read the header).
    schedule(unsafe { &*header }, || task);
}

/// `RawWakerVTable::wake_by_ref`: schedule, keeping this waker's reference.
unsafe fn wake_by_ref(data: *const ()) {
    // SAFETY: the waker holds or borrows a reference, so the task is alive.
    let header = unsafe { &*data.cast::<Header>() };
    // SAFETY: as above; the clone is the reference the queue will own.
    schedule(header, || unsafe { TaskRef::clone_raw(data.cast::<Header>()) });
}

/// `RawWakerVTable::drop`: release this waker's reference.
unsafe fn drop_waker(data: *const ()) {
    // SAFETY: an owned waker holds one reference, released here.
    drop(unsafe { TaskRef::from_raw(data.cast::<Header>()) });
}
