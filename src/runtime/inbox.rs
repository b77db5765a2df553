//! A loop's inbox: the part of a loop other threads can reach, a
//! mutex-guarded list of arrivals and the `mio::Waker` that interrupts a
//! loop blocked in `epoll_wait`.
//!
//! Every task header holds an `Arc<Inbox>`, so a waker woken anywhere can
//! find its loop. On the loop's own thread, while the loop runs, a wake goes
//! straight onto the local ready queue (see [`Inbox::schedule`]); from any
//! other thread, or while the loop is not running, it goes into this list,
//! which the loop drains after each I/O poll. `call_soon_threadsafe`
//! (`event_loop/remote.rs`) posts callbacks to the same list.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::runtime::context;
use crate::runtime::raw_task::TaskRef;

/// Something handed to a loop from outside it.
pub(crate) enum Incoming {
    /// A task woken off the loop's thread.
    Task(TaskRef),
    /// A callback from `call_soon_threadsafe`.
    Callback(Box<dyn FnOnce() + Send>),
}

/// The thread-safe half of a loop.
pub(crate) struct Inbox {
    /// Wakes and callbacks from other threads (or from while the loop was
    /// not running), in arrival order. A std `Mutex`, not a lock-free
    /// queue: cross-thread traffic is rare here (blocking-pool results, user
    /// threads) and an uncontended lock is two atomic operations.
    arrivals: Mutex<Vec<Incoming>>,
    /// True while the loop is blocked (or about to block) in `mio::Poll::poll`;
    /// only then does an arrival need to write to the eventfd.
    parked: AtomicBool,
    /// Wakes the loop's `mio::Poll` from another thread.
    waker: mio::Waker,
    /// The loop has closed: arrivals are refused instead of queued (a queued
    /// task would hold this `Inbox` alive through its header forever).
    /// Written and read under the `arrivals` lock.
    closed: AtomicBool,
}

impl Inbox {
    /// Creates the inbox around the loop's `mio::Waker`.
    pub(crate) fn new(waker: mio::Waker) -> Arc<Self> {
        Arc::new(Inbox {
            arrivals: Mutex::new(Vec::new()),
            parked: AtomicBool::new(false),
            waker,
            closed: AtomicBool::new(false),
        })
    }

    /// Queues a woken task on its loop. The caller has already set the
    /// task's `SCHEDULED` bit, so this runs at most once per wakeup.
    pub(crate) fn schedule(self: &Arc<Self>, task: TaskRef) {
        // The common case: woken by another task or by the reactor on the
        // loop's own thread. Straight onto the ready queue, in FIFO order
        // with callbacks.
        let Err(task) = context::push_if_current(self, task) else { return };
        // Another thread, or the loop is not running. A wake after close is
        // dropped: nothing will ever run the task again.
        let _ = self.post(Incoming::Task(task));
    }

    /// Appends `entry` to the arrivals and makes sure a blocked loop
    /// notices. Hands the entry back if the loop has closed.
    pub(crate) fn post(&self, entry: Incoming) -> Result<(), Incoming> {
        let mut arrivals = self.lock_arrivals();
        if self.closed.load(Ordering::Relaxed) {
            return Err(entry);
        }
        arrivals.push(entry);
        drop(arrivals);
        // We pushed under the mutex and now read `parked`; the loop stores
        // `parked` (SeqCst) and then checks the list under the same mutex.
        // Whichever takes the mutex second sees the other's write: either
        // the loop finds the entry, or we find `parked` set and wake it.
        if self.parked.load(Ordering::SeqCst) {
            // An error here means the eventfd could not be written; the loop
            // would still see the entry at its next timeout, so there is
            // nothing better to do than carry on.
            let _ = self.waker.wake();
        }
        Ok(())
    }

    /// Marks the loop as about to block and reports whether arrivals are
    /// already waiting (in which case it must not block).
    pub(crate) fn park(&self) -> bool {
        self.parked.store(true, Ordering::SeqCst);
        !self.lock_arrivals().is_empty()
    }

    /// Marks the loop as running again and takes the arrivals.
    pub(crate) fn unpark(&self) -> Vec<Incoming> {
        self.parked.store(false, Ordering::SeqCst);
        std::mem::take(&mut *self.lock_arrivals())
    }

    /// Refuses further arrivals (the loop is closing) and returns those
    /// still queued, for the loop to drop. The flag is set under the lock, so
    /// nothing can slip in after the list is emptied.
    pub(crate) fn close(&self) -> Vec<Incoming> {
        let mut arrivals = self.lock_arrivals();
        self.closed.store(true, Ordering::Relaxed);
        std::mem::take(&mut *arrivals)
    }

    /// True once the loop has closed.
    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Relaxed)
    }

    /// Locks the arrivals. The critical sections cannot panic, so a
    /// poisoned lock still guards a consistent list.
    fn lock_arrivals(&self) -> MutexGuard<'_, Vec<Incoming>> {
        self.arrivals.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
