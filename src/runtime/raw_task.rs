//! The task allocation: one heap block per spawned task, shared by the loop,
//! the ready queue, the [`Task`](crate::Task) handle and every waker.
//!
//! This is where a wakeup starts: a [`Waker`] is a pointer to the
//! [`Header`] at the front of this block, and waking it sets
//! [`SCHEDULED`] and pushes a [`TaskRef`] onto the loop's ready queue
//! (`runtime/waker.rs`, then `runtime/core/`).
//!
//! The block holds three things, laid out in this order:
//! - the [`Header`]: atomics and the route back to the loop. It is the only
//!   part any thread other than the loop's may touch, which is what makes
//!   `Waker: Send + Sync` sound;
//! - [`Local`]: the task's name and who is told when it completes (the
//!   waker of whoever awaits it, and done-callbacks). Most tasks never need
//!   any of it (nobody names them, at most one task awaits them at a time),
//!   so it is a second, lazily made allocation, and the block holds only a
//!   pointer to it: a task nobody awaits or names is one allocation;
//! - the stage: the future while it runs, then its output until the handle
//!   takes it.
//!
//! The last two may hold `!Send` values. So the rule is: **they are
//! touched only on the loop's thread.** That rule is a value, not a
//! comment: every method that opens them takes a [`LoopThread`], a proof
//! only the loop's own `!Send` owners can produce. Inside that thread a
//! reentrancy mistake (opening the stage from inside the task's own poll)
//! panics rather than being undefined behaviour: `Local` sits in a
//! `RefCell`, and the stage is opened through [`OpenStage`], the same borrow
//! flag by hand. (The stage is a bare union whose tag and flag live in one
//! header byte that would otherwise be padding: a `RefCell<enum>` costs 16
//! bytes more per task, which is a fifth of a small task.) This file and
//! `waker.rs` are the only ones allowed `unsafe` code.
//!
//! Because the future may be `!Send`, it must also be *dropped* on the loop's
//! thread even though the last reference to the block may be a waker dropped
//! elsewhere. The rule that guarantees it, stated once here and relied on by
//! [`TaskRef`]'s drop: the stage holds a value only while the loop's task slab
//! holds the task (it is running) or while its `Task` handle is alive (its
//! output waits to be taken). Both live on the loop's thread, and whichever of
//! them lets go last empties the stage first.

use std::cell::{OnceCell, RefCell, UnsafeCell};
use std::future::Future;
use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::ptr::NonNull;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU32, Ordering, fence};
use std::task::{Context, Poll, Waker};

use crate::error::{TaskError, panic_message};
use crate::runtime::inbox::Inbox;
use crate::runtime::loop_thread::LoopThread;

/// The task is in the ready queue (or about to be pushed there); further
/// wakes are no-ops until the loop pops it and clears the bit.
pub(crate) const SCHEDULED: u32 = 1 << 0;
/// The future has been dropped and the task's outcome is final; wakes are
/// no-ops from now on.
pub(crate) const COMPLETE: u32 = 1 << 1;
/// Someone called `cancel()`; the loop drops the future the next time it pops
/// the task instead of polling it.
pub(crate) const CANCEL_REQUESTED: u32 = 1 << 2;
/// The task completed by cancellation (set together with [`COMPLETE`]).
pub(crate) const CANCELLED: u32 = 1 << 3;
/// A [`Task`](crate::Task) handle is alive and will take the output; without
/// it the loop drops the output as soon as the task completes.
pub(crate) const JOIN_INTEREST: u32 = 1 << 4;
/// The task completed by panicking (set together with [`COMPLETE`]).
pub(crate) const PANICKED: u32 = 1 << 5;
/// The outcome was handed off to a combinator that already reported a
/// failure (a `gather` sibling): a later panic is not reported as
/// "never retrieved", as asyncio's gather marks such exceptions retrieved.
pub(crate) const DETACHED: u32 = 1 << 6;

/// The part of the task allocation any thread may read.
pub(crate) struct Header {
    /// The bits above; changed with atomic read-modify-write operations
    /// because wakers on other threads set [`SCHEDULED`] concurrently.
    pub(crate) state: AtomicU32,
    /// How many [`TaskRef`]s and [`Waker`]s point at this block; the last one
    /// to go frees it. 32 bits, as are `state` and `key`, so that the three
    /// and the stage byte share two words; taking a reference aborts before
    /// it could overflow, as `Arc`'s count does.
    refs: AtomicU32,
    /// The functions that know the concrete future type.
    vtable: &'static Vtable,
    /// The inbox of the loop that owns the task: where its wakes go.
    pub(crate) inbox: Arc<Inbox>,
    /// The task's number, unique on its thread and counted across its loops
    /// as asyncio counts them (names default to `Task-<id>`).
    pub(crate) id: u64,
    /// The task's key in its loop's task slab (read it with
    /// [`Header::key`]). 32 bits: four billion live tasks would need far more
    /// memory than their blocks' hundreds of gigabytes.
    key: u32,
    /// Which value the stage holds ([`RUNNING`], [`FINISHED`] or
    /// [`CONSUMED`]), and [`IN_USE`] while it is open. Loop thread only: an
    /// atomic just so that the header stays plain `Sync` data, read and
    /// written `Relaxed` (no other thread looks at it).
    stage: AtomicU8,
}

impl Header {
    /// The task's key in its loop's task slab.
    pub(crate) fn key(&self) -> usize {
        self.key as usize
    }

    /// Counts one more reference to the block. Relaxed is enough: the
    /// caller already holds one, so the block cannot be freed concurrently
    /// (the same argument as `Arc`'s).
    fn add_ref(&self) {
        let before = self.refs.fetch_add(1, Ordering::Relaxed);
        // Only a leak of billions of wakers could get here; wrapping would
        // free the block under its users, so stop the process instead.
        if before > i32::MAX as u32 {
            std::process::abort();
        }
    }
}

/// Task data for the loop's thread alone, while the task lives, made the
/// first time something is stored in it ([`TaskRef::local`]). (The final
/// `dealloc` may drop it on another thread. That is fine because of the
/// rule on [`Local::done`], which holds for [`Local::awaiting`] too: by then
/// it holds only a `String`, which is `Send`.)
#[derive(Default)]
pub(crate) struct Local {
    /// The task's name, as in asyncio's `Task.get_name()`.
    pub(crate) name: Option<String>,
    /// Who is told when the task completes, in the order they asked, as
    /// asyncio keeps one list of done-callbacks (awaiting a task adds one).
    /// Entries are added only while the task is incomplete and all taken
    /// when it completes (`LoopCore::finish`), which every task does on its
    /// loop's thread before its block can be freed (the loop's `close`
    /// completes the stragglers): so the list is empty whenever the block
    /// may be dropped elsewhere, and `dealloc` checks it.
    pub(crate) done: Vec<DoneWaiter>,
    /// What this task's current step is blocked on, asyncio's
    /// `Task._fut_waiter`: put here by the futures that await tasks or
    /// loop futures (`Join`, `gather`, a `LoopFuture`'s await) when they
    /// return `Pending`, emptied when the task steps again or completes.
    /// Cancelling this task cancels them first, in the same step, as
    /// asyncio's `Task.cancel` cancels what it awaits (`waker::cancel`).
    pub(crate) awaiting: Vec<Awaited>,
}

/// One entry of a task's [`Local::awaiting`] list.
#[derive(Clone)]
pub(crate) enum Awaited {
    /// Another task.
    Task(TaskRef),
    /// A loop future (or anything else with a done list that holds the
    /// awaiting task's waker).
    Other(Rc<dyn Cancellable>),
}

/// Something other than a task that a task can be blocked on, and that
/// cancelling the task cancels first (a `LoopFuture`).
pub(crate) trait Cancellable {
    /// Cancels it, as asyncio's `Future.cancel`: `true` if it was still
    /// pending, in which case completing it woke (or queued) everyone
    /// awaiting it, the cancelled task among them.
    fn cancel(&self) -> bool;
}

/// One entry of a task's done list ([`Local::done`]).
pub(crate) enum DoneWaiter {
    /// The waker of the task awaiting this one through its
    /// [`Task`](crate::Task) handle; at most one such entry, replaced in
    /// place when the awaiter polls with another waker.
    Awaiter(Waker),
    /// A done-callback (asyncio's `add_done_callback`), queued on the ready
    /// queue when the task completes; `key` lets it be removed before that.
    Callback {
        /// Unique within the loop (`LoopCore::add_done_callback` hands them out).
        key: u64,
        /// The callback.
        f: Box<dyn FnOnce()>,
    },
}

/// What the task holds: first its future, then its outcome, then nothing.
/// Which one is live is the header's `stage` byte, the union's tag.
union Stage<F: Future> {
    /// While [`RUNNING`]: the future. Pinned: it never moves out of the
    /// block, and is dropped in place.
    future: ManuallyDrop<F>,
    /// While [`FINISHED`]: the outcome, waiting for the handle to take it.
    outcome: ManuallyDrop<Result<F::Output, TaskError>>,
}

/// The stage holds the future, not yet complete.
const RUNNING: u8 = 0;
/// The stage holds the outcome.
const FINISHED: u8 = 1;
/// The stage holds nothing: the outcome was taken or dropped.
const CONSUMED: u8 = 2;
/// Set beside the tag while the stage is open ([`OpenStage`]).
const IN_USE: u8 = 1 << 7;

/// The type-specific operations, one static table per future type. Each
/// takes a pointer to the header of a live `TaskBlock<F>` of its own `F`.
struct Vtable {
    /// Polls the future once; `Ready(panicked)` once the stage holds the outcome.
    poll: unsafe fn(NonNull<Header>, &mut Context<'_>) -> Poll<bool>,
    /// Drops the future and records [`TaskError::Cancelled`] as the outcome;
    /// returns the message of a panic in the future's `Drop`.
    cancel: unsafe fn(NonNull<Header>) -> Option<String>,
    /// Moves the outcome into `*mut Option<Result<F::Output, TaskError>>`.
    take_output: unsafe fn(NonNull<Header>, *mut ()),
    /// Drops the outcome, returning its error (if it was one) for reporting.
    drop_output: unsafe fn(NonNull<Header>) -> Option<TaskError>,
    /// Frees the block.
    dealloc: unsafe fn(NonNull<Header>),
}

/// The front of every task block, whatever the future type: `#[repr(C)]` so
/// that `Local` sits at the same offset for every `F`, and so that a pointer
/// to the header is also a pointer to the prefix and to the whole block.
#[repr(C)]
struct Prefix {
    /// Shared with other threads.
    header: Header,
    /// Loop thread only (opened with a [`LoopThread`]); empty until the
    /// task is first named, awaited or given a done-callback, and kept
    /// from then on (its lists keep their capacity, as they did inline).
    local: OnceCell<Box<RefCell<Local>>>,
}

/// The whole task block for future type `F`.
#[repr(C)]
struct TaskBlock<F: Future> {
    /// Header and local data, at offset zero.
    prefix: Prefix,
    /// Loop thread only (opened with a [`LoopThread`], through
    /// [`OpenStage`]); the header's `stage` byte says what it holds.
    stage: UnsafeCell<Stage<F>>,
}

/// A counted reference to a task block. The runtime's internal handle: the
/// task slab, the ready queue and the public handles each hold one.
pub(crate) struct TaskRef {
    /// Points at the `Header` (and so at the whole `TaskBlock<F>`).
    ptr: NonNull<Header>,
}

// SAFETY: through a `TaskRef` other threads only reach the `Header`, whose
// fields are atomics or `Send + Sync` themselves. The `!Send` parts (the
// future, its output, `Local`) are reached only through methods that take a
// `LoopThread`, which cannot exist on another thread.
unsafe impl Send for TaskRef {}
// SAFETY: as above; `&TaskRef` gives no more access than `TaskRef`.
unsafe impl Sync for TaskRef {}

impl TaskRef {
    /// Rebuilds a reference from a pointer whose count was already taken
    /// (the waker's `clone` and `drop` work in raw pointers).
    ///
    /// # Safety
    /// `ptr` must be a task header pointer (with provenance over the whole
    /// block) whose reference count includes this new `TaskRef`.
    pub(crate) unsafe fn from_raw(ptr: *const Header) -> Self {
        // SAFETY: the caller promises a live, counted, so non-null, pointer.
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
        let header = unsafe { &*ptr };
        header.add_ref();
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

    /// The state bits, as last written by any thread.
    fn state(&self) -> u32 {
        self.header().state.load(Ordering::Acquire)
    }

    /// True once the outcome is final ([`COMPLETE`]).
    pub(crate) fn is_complete(&self) -> bool {
        self.state() & COMPLETE != 0
    }

    /// True if the task completed by cancellation ([`CANCELLED`]).
    pub(crate) fn is_cancelled(&self) -> bool {
        self.state() & CANCELLED != 0
    }

    /// True if the task completed by panicking ([`PANICKED`]).
    pub(crate) fn has_panicked(&self) -> bool {
        self.state() & PANICKED != 0
    }

    /// Marks the outcome as handed off ([`DETACHED`]): a panic is no longer
    /// reported as never retrieved.
    pub(crate) fn detach(&self) {
        self.header().state.fetch_or(DETACHED, Ordering::AcqRel);
    }

    /// The task's loop-thread data, made empty now if it was not yet: for
    /// storing into it. Keep each borrow short and never hold one across
    /// anything that may run foreign code (waking or dropping a waker):
    /// that code could look at this task again, and the `RefCell` would
    /// panic.
    pub(crate) fn local(&self, on: LoopThread) -> &RefCell<Local> {
        self.local_cell(on).get_or_init(|| Box::new(RefCell::new(Local::default())))
    }

    /// The task's loop-thread data if anything was ever stored in it: for
    /// reading and taking, which need not make it (`None` reads as empty).
    pub(crate) fn local_if_any(&self, on: LoopThread) -> Option<&RefCell<Local>> {
        self.local_cell(on).get().map(|local| &**local)
    }

    /// The block's lazily made local part.
    fn local_cell(&self, _on: LoopThread) -> &OnceCell<Box<RefCell<Local>>> {
        // SAFETY: the block is alive while we hold a reference, and `Prefix`
        // is at offset zero of it (`repr(C)`). The `OnceCell` and the
        // `RefCell` are `!Sync`; the `LoopThread` proves we are on the one
        // thread that touches them.
        let prefix = unsafe { self.ptr.cast::<Prefix>().as_ref() };
        &prefix.local
    }

    /// The task's name: the one set, or `Task-<id>` as in asyncio.
    pub(crate) fn name(&self, on: LoopThread) -> String {
        match self.local_if_any(on).and_then(|local| local.borrow().name.clone()) {
            Some(name) => name,
            None => format!("Task-{}", self.header().id),
        }
    }

    /// Takes a done-callback off the done list before it is queued; `false`
    /// if it is no longer there (already queued, or removed).
    pub(crate) fn remove_done_callback(&self, on: LoopThread, key: u64) -> bool {
        let Some(local) = self.local_if_any(on) else { return false };
        let mut local = local.borrow_mut();
        let Some(index) =
            local.done.iter().position(|waiter| matches!(waiter, DoneWaiter::Callback { key: k, .. } if *k == key))
        else {
            return false;
        };
        let removed = local.done.remove(index);
        // The callback's captures are dropped after the borrow: their
        // destructors may look at this task again.
        drop(local);
        drop(removed);
        true
    }

    /// Polls the task's future once (catching panics). `Ready` means the
    /// outcome is now stored; its value is `true` if the future panicked.
    /// A task already complete is not polled again (`Ready(false)`).
    pub(crate) fn poll(&self, _on: LoopThread, cx: &mut Context<'_>) -> Poll<bool> {
        // SAFETY: the vtable is this block's own, and `_on` proves we are on
        // the loop's thread, the only one that opens the stage.
        unsafe { (self.header().vtable.poll)(self.ptr, cx) }
    }

    /// Drops the future now and records [`TaskError::Cancelled`]. Also
    /// turns an output the future has just returned into `Cancelled` (a
    /// task cancelled during its last step ends cancelled, as in asyncio);
    /// a panic stays a panic. Returns the message of a panic raised while
    /// dropping the future (the task ends cancelled all the same), for the
    /// caller to report.
    pub(crate) fn cancel(&self, _on: LoopThread) -> Option<String> {
        // SAFETY: as in `poll`.
        unsafe { (self.header().vtable.cancel)(self.ptr) }
    }

    /// Drops the outcome (if still there) because nobody will take it, and
    /// returns the message of a panic nobody retrieved, for the caller to
    /// report: `None` if the outcome was no panic, or was handed off to a
    /// combinator (`DETACHED` in `state`, the bits read when the last claim
    /// on the output went away).
    pub(crate) fn discard_output(&self, _on: LoopThread, state: u32) -> Option<String> {
        // SAFETY: as in `poll`.
        let error = unsafe { (self.header().vtable.drop_output)(self.ptr) };
        match error {
            Some(TaskError::Panicked(message)) if state & DETACHED == 0 => Some(message),
            _ => None,
        }
    }
}

impl Clone for TaskRef {
    fn clone(&self) -> Self {
        self.header().add_ref();
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
        // SAFETY: no references remain, and the vtable is the block's own.
        unsafe { (self.header().vtable.dealloc)(self.ptr) }
    }
}

/// A [`TaskRef`] that knows the task's output type: what a `Task<T>` holds,
/// and the only way to take the output. It is made only by [`JoinRef::new`],
/// where `T` is the future's own output type, which is what makes
/// [`JoinRef::take_output`] safe.
pub(crate) struct JoinRef<T> {
    task: TaskRef,
    /// The output type, without owning one.
    _output: PhantomData<fn() -> T>,
}

impl<T> JoinRef<T> {
    /// Allocates a task block holding `future`, with one reference (the
    /// returned one) and the given initial state bits.
    pub(crate) fn new<F>(future: F, inbox: Arc<Inbox>, id: u64, key: usize, state: u32) -> Self
    where
        F: Future<Output = T> + 'static,
    {
        let block = Box::new(TaskBlock {
            prefix: Prefix {
                header: Header {
                    state: AtomicU32::new(state),
                    refs: AtomicU32::new(1),
                    vtable: vtable::<F>(),
                    inbox,
                    id,
                    key: u32::try_from(key).expect("fewer than 2^32 tasks alive"),
                    stage: AtomicU8::new(RUNNING),
                },
                local: OnceCell::new(),
            },
            stage: UnsafeCell::new(Stage { future: ManuallyDrop::new(future) }),
        });
        // This is the one heap allocation of a spawned task (its `Local`
        // is a second one, made only if it is named or awaited).
        let ptr = NonNull::from(Box::leak(block)).cast::<Header>();
        JoinRef { task: TaskRef { ptr }, _output: PhantomData }
    }

    /// The untyped reference.
    pub(crate) fn task(&self) -> &TaskRef {
        &self.task
    }

    /// Moves the outcome out, if it is there: `None` while the task runs or
    /// once the outcome was taken.
    pub(crate) fn take_output(&self, _on: LoopThread) -> Option<Result<T, TaskError>> {
        let mut outcome: Option<Result<T, TaskError>> = None;
        let out = (&mut outcome as *mut Option<Result<T, TaskError>>).cast::<()>();
        // SAFETY: `T` is the future's output type (see the type's docs), so
        // `out` points where the vtable writes; `_on` as in `TaskRef::poll`.
        unsafe { (self.task.header().vtable.take_output)(self.task.ptr, out) };
        outcome
    }

    /// Gives up the claim on the output: the `Task` handle is going away. If
    /// the task has already completed, its outcome is dropped here, on the
    /// loop's thread; otherwise the loop drops it on completion. Returns the
    /// message of a panic nobody retrieved, for the caller to report.
    pub(crate) fn release(&self, on: LoopThread) -> Option<String> {
        let state = self.task.header().state.fetch_and(!JOIN_INTEREST, Ordering::AcqRel);
        if state & COMPLETE == 0 {
            return None;
        }
        self.task.discard_output(on, state)
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

/// A task's stage, opened for one vtable call: the borrow a
/// `RefCell<Stage>` would give, by hand. While it lives the header's stage
/// byte carries [`IN_USE`], and opening the stage again panics.
struct OpenStage<'a, F: Future> {
    /// The header's stage byte: the tag, and the flag.
    tag: &'a AtomicU8,
    /// The union the tag describes.
    stage: &'a UnsafeCell<Stage<F>>,
    /// What the stage holds now; written back to the tag on close.
    holds: u8,
}

impl<'a, F: Future> OpenStage<'a, F> {
    /// Opens the stage of the block `ptr` points at.
    ///
    /// # Safety
    /// `ptr` must be the header of a live `TaskBlock<F>`, and the caller on
    /// the loop's thread (the only one that opens the stage).
    unsafe fn open(ptr: NonNull<Header>) -> Self {
        // SAFETY: see the function's contract.
        let block = unsafe { ptr.cast::<TaskBlock<F>>().as_ref() };
        let tag = &block.prefix.header.stage;
        let holds = tag.load(Ordering::Relaxed);
        assert!(holds & IN_USE == 0, "a task's stage was opened from inside its own use");
        tag.store(holds | IN_USE, Ordering::Relaxed);
        OpenStage { tag, stage: &block.stage, holds }
    }

    /// The union, to read.
    fn union(&self) -> &Stage<F> {
        // SAFETY: the stage is open (its flag is set), so no other reference
        // to the union exists on this, the only thread that opens it.
        unsafe { &*self.stage.get() }
    }

    /// The union, to change.
    fn union_mut(&mut self) -> &mut Stage<F> {
        // SAFETY: as in `union`, and `&mut self` makes this the only one.
        unsafe { &mut *self.stage.get() }
    }

    /// The future, pinned, if the stage holds it.
    fn future(&mut self) -> Option<Pin<&mut F>> {
        if self.holds != RUNNING {
            return None;
        }
        // SAFETY: the tag says the union holds the future.
        let future: &mut F = unsafe { &mut self.union_mut().future };
        // SAFETY: the future lives inside the heap block, which does not move
        // until it is freed, and it is only ever dropped in place (`empty`),
        // so it stays pinned.
        Some(unsafe { Pin::new_unchecked(future) })
    }

    /// The outcome, if the stage holds it.
    fn outcome(&self) -> Option<&Result<F::Output, TaskError>> {
        if self.holds != FINISHED {
            return None;
        }
        // SAFETY: the tag says the union holds the outcome.
        Some(unsafe { &self.union().outcome })
    }

    /// Drops what the stage holds, in place (a running future is pinned and
    /// must not be moved out to be dropped). A panic in that drop is caught
    /// and its message returned: the stage is empty all the same.
    fn empty(&mut self) -> Option<String> {
        let held = std::mem::replace(&mut self.holds, CONSUMED);
        let union = self.union_mut();
        catch_unwind(AssertUnwindSafe(|| match held {
            RUNNING => {
                // SAFETY: the tag said the union held the future.
                let future = unsafe { &mut union.future };
                // SAFETY: it is now marked empty, so nothing reads or drops
                // it again.
                unsafe { ManuallyDrop::drop(future) }
            }
            FINISHED => {
                // SAFETY: the tag said the union held the outcome.
                let outcome = unsafe { &mut union.outcome };
                // SAFETY: as for the future.
                unsafe { ManuallyDrop::drop(outcome) }
            }
            _ => {}
        }))
        .err()
        .map(|payload| panic_message(&*payload))
    }

    /// Replaces what the stage holds with `outcome`, dropping the old value
    /// as [`OpenStage::empty`] does (and returning its panic's message).
    fn finish(&mut self, outcome: Result<F::Output, TaskError>) -> Option<String> {
        let dropped = self.empty();
        // The union is empty now; writing a field drops nothing.
        self.union_mut().outcome = ManuallyDrop::new(outcome);
        self.holds = FINISHED;
        dropped
    }

    /// Moves the outcome out, if the stage holds it, leaving it empty.
    fn take_outcome(&mut self) -> Option<Result<F::Output, TaskError>> {
        if self.holds != FINISHED {
            return None;
        }
        self.holds = CONSUMED;
        // SAFETY: the tag said the union held the outcome.
        let outcome = unsafe { &mut self.union_mut().outcome };
        // SAFETY: it is now marked empty, so the value is read out exactly
        // once.
        Some(unsafe { ManuallyDrop::take(outcome) })
    }
}

impl<F: Future> Drop for OpenStage<'_, F> {
    fn drop(&mut self) {
        // Closing: the tag says what the stage holds now, and it may be
        // opened again.
        self.tag.store(self.holds, Ordering::Relaxed);
    }
}

/// `Vtable::poll` for `F`.
///
/// # Safety
/// As [`OpenStage::open`].
unsafe fn poll<F: Future>(ptr: NonNull<Header>, cx: &mut Context<'_>) -> Poll<bool> {
    // SAFETY: forwarded contract.
    let mut stage = unsafe { OpenStage::<F>::open(ptr) };
    let Some(future) = stage.future() else {
        return Poll::Ready(false);
    };
    // A panic must not unwind through the loop: catch it and make it the
    // task's outcome, which whoever awaits the task receives as an error.
    let outcome = match catch_unwind(AssertUnwindSafe(|| future.poll(cx))) {
        Ok(Poll::Pending) => return Poll::Pending,
        Ok(Poll::Ready(output)) => Ok(output),
        Err(payload) => Err(TaskError::Panicked(panic_message(&*payload))),
    };
    let panicked = outcome.is_err();
    // The future has returned; a panic while dropping what is left of it
    // cannot change the outcome any more.
    let _ = stage.finish(outcome);
    Poll::Ready(panicked)
}

/// `Vtable::cancel` for `F`.
///
/// # Safety
/// As [`OpenStage::open`].
unsafe fn cancel<F: Future>(ptr: NonNull<Header>) -> Option<String> {
    // SAFETY: forwarded contract.
    let mut stage = unsafe { OpenStage::<F>::open(ptr) };
    if stage.holds == RUNNING || matches!(stage.outcome(), Some(Ok(_))) {
        return stage.finish(Err(TaskError::Cancelled));
    }
    None
}

/// `Vtable::take_output` for `F`.
///
/// # Safety
/// As [`OpenStage::open`], and `out` must point to an
/// `Option<Result<F::Output, TaskError>>`.
unsafe fn take_output<F: Future>(ptr: NonNull<Header>, out: *mut ()) {
    // SAFETY: forwarded contract.
    let mut stage = unsafe { OpenStage::<F>::open(ptr) };
    if let Some(outcome) = stage.take_outcome() {
        // SAFETY: the caller passes an `Option<Result<F::Output, TaskError>>`.
        unsafe { *out.cast::<Option<Result<F::Output, TaskError>>>() = Some(outcome) };
    }
}

/// `Vtable::drop_output` for `F`.
///
/// # Safety
/// As [`OpenStage::open`].
unsafe fn drop_output<F: Future>(ptr: NonNull<Header>) -> Option<TaskError> {
    // SAFETY: forwarded contract.
    let mut stage = unsafe { OpenStage::<F>::open(ptr) };
    let error = match stage.outcome() {
        Some(Err(error)) => Some(error.clone()),
        _ => None,
    };
    // The output is dropped here, on the loop's thread; nobody wanted it,
    // so a panic in its destructor has nobody to go to either.
    let _ = stage.empty();
    error
}

/// `Vtable::dealloc` for `F`.
///
/// # Safety
/// `ptr` must be the header of a `TaskBlock<F>` that no reference points at
/// any more.
unsafe fn dealloc<F: Future>(ptr: NonNull<Header>) {
    // SAFETY: the block came from `Box<TaskBlock<F>>` in `JoinRef::new` and
    // no reference remains, so nothing else reads it.
    let mut block = unsafe { Box::from_raw(ptr.cast::<TaskBlock<F>>().as_ptr()) };
    // By the rule in the module docs the stage is empty by now, and by
    // the rule on `Local::done` both lists are empty, so dropping the
    // block runs no code of `F` and no callback's destructor. If a bug ever
    // broke either rule, this may be the wrong thread for that code: leak
    // the block rather than run it here.
    let lists_empty = block.prefix.local.get_mut().is_none_or(|local| {
        let local = local.get_mut();
        local.done.is_empty() && local.awaiting.is_empty()
    });
    if *block.prefix.header.stage.get_mut() != CONSUMED || !lists_empty {
        std::mem::forget(block);
        return;
    }
    drop(block);
}
