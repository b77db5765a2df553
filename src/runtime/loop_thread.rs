//! [`LoopThread`]: the rule "a task's loop-thread state is touched only on
//! its loop's thread", as a value.
//!
//! A task block (`raw_task.rs`) keeps its name, its awaiter's waker and its
//! future or output in `RefCell`s, which must never be reached from two
//! threads. Every method that opens them takes a `LoopThread`, and only code
//! that is provably on the right thread can hold one.

use std::marker::PhantomData;

/// Proof that the holder runs on the thread that owns a loop and its tasks:
/// the key to a task's [`Local`](super::raw_task::Local) data and stage.
///
/// It is `Copy` but `!Send` and `!Sync`, so no copy ever leaves the thread
/// it was made on. It is made in one place, [`LoopThread::of_new_loop`],
/// called by `LoopCore::new` on the thread the (`!Send`) loop will live on;
/// the core hands copies to the `Task` and `TaskHandle`s it creates, which
/// are `!Send` for the same reason. Every task reached with it belongs to a
/// loop of this thread: the loop's slab and ready queue hold only its own
/// tasks (a wake for another loop goes to that loop's inbox, never to this
/// queue), and a handle only its own task.
#[derive(Clone, Copy)]
pub(crate) struct LoopThread {
    /// A raw pointer is neither `Send` nor `Sync`; neither is the proof.
    _not_send: PhantomData<*const ()>,
}

impl LoopThread {
    /// The proof for a loop being created on this thread. Only the engine
    /// can call this, and only `LoopCore::new` does.
    pub(super) fn of_new_loop() -> LoopThread {
        LoopThread { _not_send: PhantomData }
    }
}
