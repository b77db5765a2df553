//! The task allocation: one heap block per spawned task, shared by the loop,
//! the ready queue, the [`Task`](crate::Task) handle and every waker.
//!
//! This is where a wakeup starts: a [`Waker`] is a pointer to the
//! [`Header`] at the front of this block, and waking it sets
//! [`SCHEDULED`] and pushes a [`TaskRef`] onto the loop's ready queue
//! (`runtime/waker.rs`, then `runtime/core.rs`).
//!
//! The block holds three things, laid out in this order:
//! - the [`Header`]: atomics and the route back to the loop. It is the only
//!   part any thread other than the loop's may touch, which is what makes
//!   `Waker: Send + Sync` sound;
//! - [`Local`]: the task's name and the waker of whoever awaits it, touched
//!   only on the loop's thread;
//! - the stage: the future while it runs, then its output until the handle
//!   takes it, touched only on the loop's thread.
//!
//! Because the future may be `!Send`, it must also be *dropped* on the loop's
//! thread even though the last reference to the block may be a waker dropped
//! elsewhere. The rule that guarantees it, stated once here and relied on by
//! [`TaskRef`]'s drop: the stage holds a value only while the loop's task slab
//! holds the task (it is running) or while its `Task` handle is alive (its
//! output waits to be taken). Both live on the loop's thread, and whichever of
//! them lets go last empties the stage first.

use std::cell::UnsafeCell;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::ptr::{self, NonNull};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering, fence};
use std::task::{Context, Poll, Waker};

use crate::error::{TaskError, panic_message};
use crate::runtime::inbox::Inbox;

/// The task is in the ready queue (or about to be pushed there); further
/// wakes are no-ops until the loop pops it and clears the bit.
pub(crate) const SCHEDULED: usize = 1 << 0;
/// The future has been dropped and the task's outcome is final; wakes are
/// no-ops from now on.
pub(crate) const COMPLETE: usize = 1 << 1;
/// Someone called `cancel()`; the loop drops the future the next time it pops
/// the task instead of polling it.
pub(crate) const CANCEL_REQUESTED: usize = 1 << 2;
/// The task completed by cancellation (set together with [`COMPLETE`]).
pub(crate) const CANCELLED: usize = 1 << 3;
/// A [`Task`](crate::Task) handle is alive and will take the output; without
/// it the loop drops the output as soon as the task completes.
pub(crate) const JOIN_INTEREST: usize = 1 << 4;
/// The task completed by panicking (set together with [`COMPLETE`]).
pub(crate) const PANICKED: usize = 1 << 5;
/// The outcome was handed off to a combinator that already reported a
/// failure (a `gather` sibling): a later panic is not reported as
/// "never retrieved", as asyncio's gather marks such exceptions retrieved.
pub(crate) const DETACHED: usize = 1 << 6;

/// The part of the task allocation any thread may read.
pub(crate) struct Header {
    /// The bits above; changed with atomic read-modify-write operations
    /// because wakers on other threads set [`SCHEDULED`] concurrently.
    pub(crate) state: AtomicUsize,
    /// How many [`TaskRef`]s and [`Waker`]s point at this block; the last one
    /// to go frees it.
    refs: AtomicUsize,
    /// The functions that know the concrete future type.
    vtable: &'static Vtable,
    /// The inbox of the loop that owns the task: where its wakes go.
    pub(crate) inbox: Arc<Inbox>,
    /// The task's number, unique within its loop (names default to `Task-<id>`).
    pub(crate) id: u64,
    /// The task's key in its loop's task slab.
    pub(crate) key: usize,
}

/// Task data that only the loop's thread touches while the task lives. (The
/// final `dealloc` may drop it on another thread, which is fine: it holds
/// only a `String`, a `Waker` and a number, all `Send`.)
pub(crate) struct Local {
    /// The task's name, as in asyncio's `Task.get_name()`.
    pub(crate) name: Option<String>,
    /// The waker of the task awaiting this one's [`Task`](crate::Task)
    /// handle, woken when this task completes.
    pub(crate) join_waker: Option<Waker>,
    /// The loop's completion counter when this task completed (0 before):
    /// the order `as_completed` yields tasks in.
    pub(crate) completed_seq: u64,
}

/// What the task holds: first its future, then its outcome.
enum Stage<F: Future> {
    /// The future, not yet complete. Pinned: it never moves out of the block.
    Running(F),
    /// The outcome, waiting for the handle to take it.
    Finished(Result<F::Output, TaskError>),
    /// Nothing: the outcome was taken or dropped.
    Consumed,
}

/// The type-specific operations, one static table per future type.
struct Vtable {
    /// Polls the future once; `Ready(panicked)` once the stage holds the outcome.
    poll: unsafe fn(NonNull<Header>, &mut Context<'_>) -> Poll<bool>,
    /// Drops the future and records [`TaskError::Cancelled`] as the outcome.
    cancel: unsafe fn(NonNull<Header>),
    /// Moves the outcome into `*mut Option<Result<F::Output, TaskError>>`.
    take_output: unsafe fn(NonNull<Header>, *mut ()),
    /// Drops the outcome, returning its error (if it was one) for reporting.
    drop_output: unsafe fn(NonNull<Header>) -> Option<TaskError>,
    /// Frees the block.
    dealloc: unsafe fn(NonNull<Header>),
}

/// The front of every task block, whatever the future type: `#[repr(C)]` so
/// that `Local` sits at the same offset for every `F`, and so that a pointer
/// to the header is also a pointer to the prefix and to the whole cell.
#[repr(C)]
struct Prefix {
    /// Shared with other threads.
    header: Header,
    /// Loop-thread only; see the module docs.
    local: UnsafeCell<Local>,
}

/// The whole task block for future type `F`.
#[repr(C)]
struct Cell<F: Future> {
    /// Header and local data, at offset zero.
    prefix: Prefix,
    /// Loop-thread only; see the module docs.
    stage: UnsafeCell<Stage<F>>,
}

/// A counted reference to a task block. The runtime's internal handle: the
/// task slab, the ready queue and the public handles each hold one.
pub(crate) struct TaskRef {
    /// Points at the `Header` (and so at the whole `Cell<F>`).
    ptr: NonNull<Header>,
}

// SAFETY: through a `TaskRef` other threads only reach the `Header`, whose
// fields are atomics or `Send + Sync` themselves. The `!Send` parts (the
// future, its output, `Local`) are reached only through the `unsafe fn`s
// below, whose contract is "on the loop's thread".
unsafe impl Send for TaskRef {}
// SAFETY: as above; `&TaskRef` gives no more access than `TaskRef`.
unsafe impl Sync for TaskRef {}

impl TaskRef {
    /// Allocates a task block holding `future`, with one reference (the
    /// returned one) and the given initial state bits.
    pub(crate) fn new<F>(future: F, inbox: Arc<Inbox>, id: u64, key: usize, state: usize) -> Self
    where
        F: Future + 'static,
    {
        let cell = Box::new(Cell {
            prefix: Prefix {
                header: Header {
                    state: AtomicUsize::new(state),
                    refs: AtomicUsize::new(1),
                    vtable: vtable::<F>(),
                    inbox,
                    id,
                    key,
                },
                local: UnsafeCell::new(Local { name: None, join_waker: None, completed_seq: 0 }),
            },
            stage: UnsafeCell::new(Stage::Running(future)),
        });
        // This is the one heap allocation of a spawned task.
        let ptr = NonNull::from(Box::leak(cell)).cast::<Header>();
        TaskRef { ptr }
    }

    /// Rebuilds a reference from a pointer whose count was already taken
    /// (the waker's `clone` and `drop` work in raw pointers).
    ///
    /// # Safety
    /// `ptr` must be a task header pointer (with provenance over the whole
    /// block) whose reference count includes this new `TaskRef`.
    pub(crate) unsafe fn from_raw(ptr: *const Header) -> Self {
        // SAFETY: the caller promises a live, counted header pointer.
        TaskRef { ptr: unsafe { NonNull::new_unchecked(ptr.cast_mut()) } }
    }

    /// Takes one more reference to the task at `ptr`.
    ///
    /// # Safety
    /// `ptr` must point at the header of a live task block (its provenance
    /// covering the whole block, as `as_ptr` gives), with at least one
    /// reference held by the caller for the duration of the call.
    pub(crate) unsafe fn clone_raw(ptr: *const Header) -> Self {
        // SAFETY: the caller holds a reference, so the header is alive.
        unsafe { &*ptr }.refs.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the count now includes the returned reference.
        unsafe { TaskRef::from_raw(ptr) }
    }

    /// The block's address, carrying provenance over the whole block (wakers
    /// must use this, not a pointer made from `&Header`).
    pub(crate) fn as_ptr(&self) -> *const Header {
        self.ptr.as_ptr()
    }

    /// The header, readable from any thread.
    pub(crate) fn header(&self) -> &Header {
        // SAFETY: we hold a reference, so the block is alive.
        unsafe { self.ptr.as_ref() }
    }

    /// True if both refer to the same task.
    pub(crate) fn ptr_eq(&self, other: &TaskRef) -> bool {
        self.ptr == other.ptr
    }

    /// The task's loop-thread data.
    ///
    /// # Safety
    /// Call only on the loop's thread, and do not hold the reference across
    /// anything that may call back into this task (polling, waking wakers).
    #[allow(clippy::mut_from_ref)]
    pub(crate) unsafe fn local(&self) -> &mut Local {
        // SAFETY: `Prefix` is at offset zero of the block (`repr(C)`); the
        // caller guarantees loop-thread, non-reentrant access.
        unsafe { &mut *(*self.ptr.cast::<Prefix>().as_ptr()).local.get() }
    }

    /// The task's name: the one set, or `Task-<id>` as in asyncio.
    ///
    /// # Safety
    /// Call only on the loop's thread.
    pub(crate) unsafe fn name(&self) -> String {
        // SAFETY: forwarded contract; the borrow ends within this call.
        match unsafe { &self.local().name } {
            Some(name) => name.clone(),
            None => format!("Task-{}", self.header().id),
        }
    }

    /// Polls the task's future once (catching panics). `Ready` means the
    /// outcome is now stored; its value is `true` if the future panicked.
    ///
    /// # Safety
    /// Call only on the loop's thread, and never while the task is complete.
    pub(crate) unsafe fn poll(&self, cx: &mut Context<'_>) -> Poll<bool> {
        // SAFETY: forwarded contract.
        unsafe { (self.header().vtable.poll)(self.ptr, cx) }
    }

    /// Drops the future now and records [`TaskError::Cancelled`]. Also
    /// turns an output the future has just returned into `Cancelled` (a
    /// task cancelled during its last step ends cancelled, as in asyncio);
    /// a panic stays a panic.
    ///
    /// # Safety
    /// Call only on the loop's thread.
    pub(crate) unsafe fn cancel(&self) {
        // SAFETY: forwarded contract.
        unsafe { (self.header().vtable.cancel)(self.ptr) }
    }

    /// Moves the outcome (if still there) into `*out`.
    ///
    /// # Safety
    /// Call only on the loop's thread; `out` must point to an
    /// `Option<Result<T, TaskError>>` whose `T` is this task's output type.
    pub(crate) unsafe fn take_output(&self, out: *mut ()) {
        // SAFETY: forwarded contract.
        unsafe { (self.header().vtable.take_output)(self.ptr, out) }
    }

    /// Drops the outcome (if still there), returning its error, if any.
    ///
    /// # Safety
    /// Call only on the loop's thread.
    pub(crate) unsafe fn drop_output(&self) -> Option<TaskError> {
        // SAFETY: forwarded contract.
        unsafe { (self.header().vtable.drop_output)(self.ptr) }
    }
}

impl Clone for TaskRef {
    fn clone(&self) -> Self {
        // Relaxed is enough to add a reference: we already hold one, so the
        // block cannot be freed concurrently (the same argument as `Arc`).
        self.header().refs.fetch_add(1, Ordering::Relaxed);
        TaskRef { ptr: self.ptr }
    }
}

impl Drop for TaskRef {
    fn drop(&mut self) {
        // Release publishes our uses of the block to whoever frees it.
        if self.header().refs.fetch_sub(1, Ordering::Release) != 1 {
            return;
        }
        // The last reference: synchronise with every other release, then
        // free. By the rule in the module docs the stage is already empty,
        // so no `!Send` value is dropped here even if this is not the loop's
        // thread.
        fence(Ordering::Acquire);
        // SAFETY: no references remain.
        unsafe { (self.header().vtable.dealloc)(self.ptr) }
    }
}

/// The vtable for future type `F`, promoted to a `'static`.
fn vtable<F: Future + 'static>() -> &'static Vtable {
    &Vtable {
        poll: poll::<F>,
        cancel: cancel::<F>,
        take_output: take_output::<F>,
        drop_output: drop_output::<F>,
        dealloc: dealloc::<F>,
    }
}

/// The stage of the block `ptr` points at.
///
/// # Safety
/// `ptr` must be a live `Cell<F>`; the caller is on the loop's thread.
unsafe fn stage<'a, F: Future>(ptr: NonNull<Header>) -> &'a mut Stage<F> {
    // SAFETY: see the function's contract.
    unsafe { &mut *ptr.cast::<Cell<F>>().as_ref().stage.get() }
}

/// Replaces the stage in place, dropping the old value where it lies (a
/// running future is pinned and must not be moved out to be dropped). A panic
/// in that drop is caught: the task's outcome is already decided.
///
/// # Safety
/// `stage` must be valid; loop thread only.
unsafe fn replace_stage<F: Future>(stage: *mut Stage<F>, new: Stage<F>) {
    // SAFETY: `stage` is valid; whether or not the drop unwinds, the value is
    // considered dropped and is overwritten without being read again.
    let _ = catch_unwind(AssertUnwindSafe(|| unsafe { ptr::drop_in_place(stage) }));
    // SAFETY: the old value is gone; write the new one without dropping.
    unsafe { ptr::write(stage, new) };
}

/// `Vtable::poll` for `F`.
unsafe fn poll<F: Future>(ptr: NonNull<Header>, cx: &mut Context<'_>) -> Poll<bool> {
    // SAFETY: the executor calls this on the loop thread for a live task.
    let stage = unsafe { stage::<F>(ptr) };
    let Stage::Running(future) = stage else {
        return Poll::Ready(false);
    };
    // SAFETY: the future lives inside the heap block, which does not move
    // until it is freed, and it is dropped in place (`replace_stage`).
    let future = unsafe { Pin::new_unchecked(future) };
    // A panic must not unwind through the loop: catch it and make it the
    // task's outcome, which whoever awaits the task receives as an error.
    let outcome = match catch_unwind(AssertUnwindSafe(|| future.poll(cx))) {
        Ok(Poll::Pending) => return Poll::Pending,
        Ok(Poll::Ready(output)) => Ok(output),
        Err(payload) => Err(TaskError::Panicked(panic_message(&*payload))),
    };
    let panicked = outcome.is_err();
    // SAFETY: loop thread; the stage pointer is valid.
    unsafe { replace_stage::<F>(stage, Stage::Finished(outcome)) };
    Poll::Ready(panicked)
}

/// `Vtable::cancel` for `F`.
unsafe fn cancel<F: Future>(ptr: NonNull<Header>) {
    // SAFETY: loop thread, live task.
    let stage = unsafe { stage::<F>(ptr) };
    if matches!(stage, Stage::Running(_) | Stage::Finished(Ok(_))) {
        // SAFETY: as above.
        unsafe { replace_stage::<F>(stage, Stage::Finished(Err(TaskError::Cancelled))) };
    }
}

/// `Vtable::take_output` for `F`.
unsafe fn take_output<F: Future>(ptr: NonNull<Header>, out: *mut ()) {
    // SAFETY: loop thread, live task.
    let stage = unsafe { stage::<F>(ptr) };
    if let Stage::Finished(_) = stage {
        let Stage::Finished(outcome) = std::mem::replace(stage, Stage::Consumed) else {
            unreachable!("checked just above");
        };
        // SAFETY: the caller passes an `Option<Result<F::Output, TaskError>>`.
        unsafe { *out.cast::<Option<Result<F::Output, TaskError>>>() = Some(outcome) };
    }
}

/// `Vtable::drop_output` for `F`.
unsafe fn drop_output<F: Future>(ptr: NonNull<Header>) -> Option<TaskError> {
    // SAFETY: loop thread, live task.
    let stage = unsafe { stage::<F>(ptr) };
    let error = match stage {
        Stage::Finished(Err(error)) => Some(error.clone()),
        _ => None,
    };
    // SAFETY: as above. The output is dropped here, on the loop's thread.
    unsafe { replace_stage::<F>(stage, Stage::Consumed) };
    error
}

/// `Vtable::dealloc` for `F`.
unsafe fn dealloc<F: Future>(ptr: NonNull<Header>) {
    // SAFETY: the block came from `Box<Cell<F>>` in `TaskRef::new` and no
    // reference remains, so nothing else reads it.
    let mut cell = unsafe { Box::from_raw(ptr.cast::<Cell<F>>().as_ptr()) };
    // By the rule in the module docs the stage is `Consumed` by now, so
    // dropping the block runs no code of `F`. If a bug ever broke that rule,
    // this may be the wrong thread for `F`'s destructor: leak the block
    // rather than run it here.
    if !matches!(cell.stage.get_mut(), Stage::Consumed) {
        std::mem::forget(cell);
        return;
    }
    drop(cell);
}
