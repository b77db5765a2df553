//! Which loop is running on this thread: asyncio's "running loop".
//!
//! While [`EventLoop::run_until_complete`](crate::EventLoop::run_until_complete)
//! runs, the loop's core sits in a thread-local. That is how the free
//! functions ([`create_task`](crate::create_task), [`sleep`](crate::sleep()),
//! [`get_running_loop`](crate::get_running_loop), ...) find their loop
//! without being passed one, and how a waker woken on the loop's thread
//! pushes straight onto the local ready queue.

use std::cell::RefCell;
use std::rc::{Rc, Weak};
use std::sync::Arc;

use crate::runtime::core::LoopCore;
use crate::runtime::inbox::Inbox;
use crate::runtime::raw_task::TaskRef;

thread_local! {
    /// The loop running on this thread, if any.
    static CURRENT: RefCell<Option<Rc<LoopCore>>> = const { RefCell::new(None) };
    /// Every loop made on this thread, running or not (dead ones are pruned
    /// as new ones come). A task handle carries only its task, whose header
    /// names its loop's inbox; this is how a handle dropped while its loop
    /// is not running still finds the loop to report to (`loop_of`), without
    /// a pointer to the loop in each of a million handles.
    static LOOPS: RefCell<Vec<Weak<LoopCore>>> = const { RefCell::new(Vec::new()) };
}

/// Records a loop just made on this thread, for [`loop_of`].
pub(crate) fn register(core: &Rc<LoopCore>) {
    LOOPS.with_borrow_mut(|loops| {
        loops.retain(|other| other.strong_count() > 0);
        loops.push(Rc::downgrade(core));
    });
}

/// The loop of this thread whose inbox is `inbox`, running or not; `None`
/// once it is gone (or from another thread, which has no such loop).
pub(crate) fn loop_of(inbox: &Arc<Inbox>) -> Option<Rc<LoopCore>> {
    // The loops upgraded and passed over are dropped inside the borrow,
    // which is fine: each has another owner, so none is freed here.
    let find = |loops: &RefCell<Vec<Weak<LoopCore>>>| {
        loops.borrow().iter().filter_map(Weak::upgrade).find(|core| Arc::ptr_eq(&core.inbox, inbox))
    };
    LOOPS.try_with(find).ok().flatten()
}

/// Marks `core` as this thread's running loop until the guard drops (also
/// when a panic unwinds through `run_until_complete`).
pub(crate) struct Enter {
    /// Keeps the guard from being built outside [`enter`].
    _private: (),
}

/// Makes `core` the running loop.
///
/// # Panics
/// If a loop is already running on this thread, like asyncio's
/// "Cannot run the event loop while another loop is running".
#[track_caller]
pub(crate) fn enter(core: &Rc<LoopCore>) -> Enter {
    CURRENT.with_borrow_mut(|current| {
        assert!(current.is_none(), "cannot run the event loop while another loop is running");
        *current = Some(core.clone());
    });
    Enter { _private: () }
}

impl Drop for Enter {
    fn drop(&mut self) {
        // Take the core out first and drop it after the borrow ends, in case
        // dropping it runs code that looks at the running loop.
        let previous = CURRENT.with_borrow_mut(Option::take);
        drop(previous);
    }
}

/// The running loop's core.
///
/// # Panics
/// Outside a running loop, with asyncio's message "no running event loop".
pub(crate) fn current() -> Rc<LoopCore> {
    try_current().expect("no running event loop: call this from inside corio::run or run_until_complete")
}

/// The running loop's core, if any.
pub(crate) fn try_current() -> Option<Rc<LoopCore>> {
    CURRENT.try_with(|current| current.borrow().clone()).ok().flatten()
}

/// Queues a woken `task` on the ready queue if its loop (the owner of the
/// inbox its header holds) is the one running on this thread; otherwise
/// hands it back.
pub(crate) fn push_if_current(task: TaskRef) -> Result<(), TaskRef> {
    // The task sits in a slot the closure may take it from, so that it is
    // handed back intact if the thread-local is already gone (a wake during
    // thread teardown) and no `Rc` of the core needs cloning per wake.
    let mut slot = Some(task);
    let _ = CURRENT.try_with(|current| {
        if let Some(core) = &*current.borrow()
            && let Some(task) = slot.take_if(|task| owns(core, &task.header().inbox))
        {
            core.push_woken(task);
        }
    });
    match slot {
        None => Ok(()),
        Some(task) => Err(task),
    }
}

/// True if `inbox` is `core`'s: the loop a task with that inbox belongs to.
fn owns(core: &LoopCore, inbox: &Arc<Inbox>) -> bool {
    Arc::ptr_eq(&core.inbox, inbox)
}
