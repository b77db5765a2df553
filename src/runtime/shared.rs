//! The part of a loop other threads can reach: the cross-thread wake queue
//! and the `mio::Waker` that interrupts a loop blocked in `epoll_wait`.
//!
//! Every task header holds an `Arc<Shared>`, so a waker woken anywhere can
//! find its loop. On the loop's own thread, while the loop runs, a wake goes
//! straight onto the local ready queue (see [`Shared::schedule`]); from any
//! other thread, or while the loop is not running, it goes through the
//! mutex-guarded `remote` list, which the loop drains after each I/O poll.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::runtime::callback::Runnable;
use crate::runtime::context;
use crate::task::raw::TaskRef;

/// The thread-safe half of a loop.
pub(crate) struct Shared {
    /// Tasks woken off the loop's thread (or while it was not running), in
    /// wake order. A std `Mutex`, not a lock-free queue: cross-thread wakes
    /// are rare here (blocking-pool results, user threads) and an uncontended
    /// lock is two atomic operations.
    remote: Mutex<Vec<TaskRef>>,
    /// True while the loop is blocked (or about to block) in `mio::Poll::poll`;
    /// only then does a remote wake need to write to the eventfd.
    parked: AtomicBool,
    /// Wakes the loop's `mio::Poll` from another thread.
    waker: mio::Waker,
    /// The loop has closed: wakes are dropped instead of queued (a queued
    /// task would hold this `Shared` alive through its header forever).
    closed: AtomicBool,
}

impl Shared {
    /// Creates the shared half around the loop's `mio::Waker`.
    pub(crate) fn new(waker: mio::Waker) -> Arc<Self> {
        Arc::new(Shared {
            remote: Mutex::new(Vec::new()),
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
        let task = match context::push_if_current(self, Runnable::Task(task)) {
            Ok(()) => return,
            Err(Runnable::Task(task)) => task,
            Err(_) => unreachable!("push_if_current hands back what it was given"),
        };
        // Another thread, or the loop is not running: leave the task in the
        // remote list and make sure a blocked loop notices. The order of the
        // push and the `parked` read, with the loop's store of `parked`
        // before it checks the list (both under the same mutex), means
        // either the loop sees the task or we see `parked` and wake it.
        let mut remote = self.lock_remote();
        if self.closed.load(Ordering::Relaxed) {
            return;
        }
        remote.push(task);
        drop(remote);
        if self.parked.load(Ordering::SeqCst) {
            // An error here means the eventfd could not be written; the loop
            // would still see the task at its next timeout, so there is
            // nothing better to do than carry on.
            let _ = self.waker.wake();
        }
    }

    /// Marks the loop as about to block and reports whether remote wakes are
    /// already waiting (in which case it must not block).
    pub(crate) fn park(&self) -> bool {
        self.parked.store(true, Ordering::SeqCst);
        !self.lock_remote().is_empty()
    }

    /// Marks the loop as running again and takes the remote wakes.
    pub(crate) fn unpark(&self) -> Vec<TaskRef> {
        self.parked.store(false, Ordering::SeqCst);
        std::mem::take(&mut *self.lock_remote())
    }

    /// Refuses further remote wakes (the loop is closing) and returns those
    /// still queued, for the loop to drop. The flag is set under the lock, so
    /// no wake can slip in after the list is emptied.
    pub(crate) fn close(&self) -> Vec<TaskRef> {
        let mut remote = self.lock_remote();
        self.closed.store(true, Ordering::Relaxed);
        std::mem::take(&mut *remote)
    }

    /// Locks the remote list. The critical sections cannot panic, so a
    /// poisoned lock still guards a consistent list.
    fn lock_remote(&self) -> MutexGuard<'_, Vec<TaskRef>> {
        self.remote.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
