//! The ready queue and what it holds: task steps, callbacks and timer wakes.
//!
//! Tasks and callbacks share one FIFO, as in asyncio, where a task step is
//! itself a callback: `call_soon(f)` and a task woken at the same moment run
//! in the order they were queued. Timers hold the same entries until they
//! fall due (`wheel.rs`); the handles users keep for callbacks are in
//! `event_loop/callback_handle.rs`.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;
use std::task::Waker;

use crate::runtime::raw_task::TaskRef;

/// One entry of the ready queue (the timer wheel holds the
/// [`TimerAction`]s it will move here when they fall due).
pub(crate) enum Runnable {
    /// Poll this task once.
    Task(TaskRef),
    /// Run this callback (unless it was cancelled).
    Callback(Rc<CallbackCell>),
    /// Wake this waker: a `sleep` timer that fell due. Running the wake is a
    /// step of its own, so the sleeping task resumes one iteration after its
    /// timer fired, exactly as asyncio's `sleep` future does.
    Wake(Waker),
}

/// What a timer holds until it falls due: the [`Runnable`] it becomes then,
/// less the `Task` case (no timer polls a task itself; a sleeping task's
/// timer wakes its waker). Two pointer-sized cases fit in 16 bytes where
/// `Runnable`'s three take 24, and every pending timer holds one.
pub(crate) enum TimerAction {
    /// Becomes [`Runnable::Wake`]: a `sleep`'s timer.
    Wake(Waker),
    /// Becomes [`Runnable::Callback`]: a `call_later` timer.
    Callback(Rc<CallbackCell>),
}

impl From<TimerAction> for Runnable {
    fn from(action: TimerAction) -> Runnable {
        match action {
            TimerAction::Wake(waker) => Runnable::Wake(waker),
            TimerAction::Callback(cell) => Runnable::Callback(cell),
        }
    }
}

/// A callback waiting in the ready queue or the timer wheel.
pub(crate) struct CallbackCell {
    /// The function; taken when it runs or when it is cancelled.
    f: Cell<Option<Box<dyn FnOnce()>>>,
    /// `cancel` was called (before or after the callback ran), which is
    /// what asyncio's `Handle.cancelled()` reports.
    cancelled: Cell<bool>,
}

impl CallbackCell {
    /// Wraps `f`.
    pub(crate) fn new(f: impl FnOnce() + 'static) -> Rc<Self> {
        CallbackCell::from_box(Box::new(f))
    }

    /// Wraps a callback already boxed (a task's done-callback).
    pub(crate) fn from_box(f: Box<dyn FnOnce()>) -> Rc<Self> {
        Rc::new(CallbackCell { f: Cell::new(Some(f)), cancelled: Cell::new(false) })
    }

    /// Takes the function out to run it; `None` if cancelled or already run.
    pub(crate) fn take(&self) -> Option<Box<dyn FnOnce()>> {
        self.f.take()
    }

    /// Cancels the callback: it will not run if it has not yet. The
    /// function is dropped here (the caller holds no borrow of the loop).
    pub(crate) fn cancel(&self) {
        self.cancelled.set(true);
        drop(self.f.take());
    }

    /// True once [`CallbackCell::cancel`] was called.
    pub(crate) fn cancelled(&self) -> bool {
        self.cancelled.get()
    }

    /// Whether the callback is still waiting to run.
    pub(crate) fn is_pending(&self) -> bool {
        let f = self.f.take();
        let pending = f.is_some();
        self.f.set(f);
        pending
    }
}

/// The room for entries the ready queue always keeps once it has grown
/// that far (96 KiB); room beyond it is given back as the queue drains.
const KEEP_CAPACITY: usize = 4096;

/// The loop's FIFO of entries ready to run. Phase 4 of an iteration runs
/// exactly the entries present when it began (`LoopCore::run_ready`).
#[derive(Default)]
pub(crate) struct ReadyQueue {
    /// Oldest first. A `RefCell` because entries are pushed while others
    /// run; every borrow ends within the method that takes it.
    entries: RefCell<VecDeque<Runnable>>,
}

impl ReadyQueue {
    /// Appends `entry` behind everything already queued.
    pub(crate) fn push(&self, entry: Runnable) {
        self.entries.borrow_mut().push_back(entry);
    }

    /// Takes the oldest entry.
    pub(crate) fn pop(&self) -> Option<Runnable> {
        let mut entries = self.entries.borrow_mut();
        let entry = entries.pop_front();
        // A burst (a million tasks spawned at once) grows the queue to hold
        // all of it; as it drains, give that memory back instead of keeping
        // it for the loop's whole life: once the queue is an eighth full,
        // shrink it to twice what it holds (the gap between the two keeps a
        // queue that hovers there from reallocating back and forth). Up to
        // the bound the capacity stays, so a steady loop never allocates
        // here.
        let len = entries.len();
        if entries.capacity() > KEEP_CAPACITY && len <= entries.capacity() / 8 {
            entries.shrink_to(KEEP_CAPACITY.max(2 * len));
        }
        entry
    }

    /// How many entries are queued.
    pub(crate) fn len(&self) -> usize {
        self.entries.borrow().len()
    }

    /// True if nothing is queued.
    pub(crate) fn is_empty(&self) -> bool {
        self.entries.borrow().is_empty()
    }

    /// Takes every entry out, for the loop to drop when it closes (outside
    /// the borrow: dropped callbacks and futures may look at the loop).
    pub(crate) fn take_all(&self) -> VecDeque<Runnable> {
        std::mem::take(&mut *self.entries.borrow_mut())
    }
}
