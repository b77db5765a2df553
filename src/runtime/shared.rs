//! The part of a loop other threads can reach: the cross-thread queue and
//! the `mio::Waker` that interrupts a loop blocked in `epoll_wait`.
//!
//! Every task header holds an `Arc<Shared>`, so a waker woken anywhere can
//! find its loop. On the loop's own thread, while the loop runs, a wake goes
//! straight onto the local ready queue (see [`Shared::schedule`]); from any
//! other thread, or while the loop is not running, it goes through the
//! mutex-guarded `remote` list, which the loop drains after each I/O poll.
//! [`RemoteHandle::call_soon_threadsafe`] uses the same list for callbacks.

use std::error::Error;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::runtime::context;
use crate::runtime::raw_task::TaskRef;

/// Something handed to a loop from outside it.
pub(crate) enum Remote {
    /// A task woken off the loop's thread.
    Task(TaskRef),
    /// A callback from `call_soon_threadsafe`.
    Callback(Box<dyn FnOnce() + Send>),
}

/// The thread-safe half of a loop.
pub(crate) struct Shared {
    /// Wakes and callbacks from other threads (or from while the loop was
    /// not running), in arrival order. A std `Mutex`, not a lock-free
    /// queue: cross-thread traffic is rare here (blocking-pool results, user
    /// threads) and an uncontended lock is two atomic operations.
    remote: Mutex<Vec<Remote>>,
    /// True while the loop is blocked (or about to block) in `mio::Poll::poll`;
    /// only then does a remote entry need to write to the eventfd.
    parked: AtomicBool,
    /// Wakes the loop's `mio::Poll` from another thread.
    waker: mio::Waker,
    /// The loop has closed: entries are refused instead of queued (a queued
    /// task would hold this `Shared` alive through its header forever).
    /// Written and read under the `remote` lock.
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
        let Err(task) = context::push_if_current(self, task) else { return };
        // Another thread, or the loop is not running. A wake after close is
        // dropped: nothing will ever run the task again.
        let _ = self.push_remote(Remote::Task(task));
    }

    /// Appends `entry` to the remote list and makes sure a blocked loop
    /// notices. Hands the entry back if the loop has closed.
    fn push_remote(&self, entry: Remote) -> Result<(), Remote> {
        let mut remote = self.lock_remote();
        if self.closed.load(Ordering::Relaxed) {
            return Err(entry);
        }
        remote.push(entry);
        drop(remote);
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

    /// Marks the loop as about to block and reports whether remote entries
    /// are already waiting (in which case it must not block).
    pub(crate) fn park(&self) -> bool {
        self.parked.store(true, Ordering::SeqCst);
        !self.lock_remote().is_empty()
    }

    /// Marks the loop as running again and takes the remote entries.
    pub(crate) fn unpark(&self) -> Vec<Remote> {
        self.parked.store(false, Ordering::SeqCst);
        std::mem::take(&mut *self.lock_remote())
    }

    /// Refuses further remote entries (the loop is closing) and returns those
    /// still queued, for the loop to drop. The flag is set under the lock, so
    /// nothing can slip in after the list is emptied.
    pub(crate) fn close(&self) -> Vec<Remote> {
        let mut remote = self.lock_remote();
        self.closed.store(true, Ordering::Relaxed);
        std::mem::take(&mut *remote)
    }

    /// Locks the remote list. The critical sections cannot panic, so a
    /// poisoned lock still guards a consistent list.
    fn lock_remote(&self) -> MutexGuard<'_, Vec<Remote>> {
        self.remote.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A handle to a loop that other threads can hold: `Send + Sync`, cheap to
/// clone. Get one from [`LoopHandle::remote_handle`] on the loop's thread.
///
/// [`LoopHandle::remote_handle`]: crate::LoopHandle::remote_handle
///
/// ```
/// let lp = corio::EventLoop::new();
/// let remote = lp.remote_handle();
/// std::thread::spawn(move || {
///     remote.call_soon_threadsafe(|| corio::get_running_loop().stop()).unwrap();
/// });
/// lp.run_forever(); // returns once the other thread's callback ran
/// ```
#[derive(Clone)]
pub struct RemoteHandle {
    /// The loop's thread-safe half.
    shared: Arc<Shared>,
}

impl RemoteHandle {
    /// Wraps a loop's shared half.
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        RemoteHandle { shared }
    }

    /// Schedules `f` to run on the loop's thread, asyncio's
    /// `loop.call_soon_threadsafe`: it joins the ready queue in the loop's
    /// next iteration (waking the loop if it is blocked), after everything
    /// already queued.
    ///
    /// # Errors
    /// [`LoopClosed`] (with `f` dropped) if the loop has closed.
    ///
    /// ```
    /// use std::sync::mpsc;
    /// let lp = corio::EventLoop::new();
    /// let remote = lp.remote_handle();
    /// let (sent, received) = mpsc::channel();
    /// let answer = std::thread::spawn(move || {
    ///     remote.call_soon_threadsafe(move || sent.send(std::thread::current().id()).unwrap())
    /// });
    /// lp.run_until_complete(corio::sleep(std::time::Duration::from_millis(50)));
    /// answer.join().unwrap().unwrap();
    /// assert_eq!(received.recv().unwrap(), std::thread::current().id());
    /// ```
    pub fn call_soon_threadsafe(&self, f: impl FnOnce() + Send + 'static) -> Result<(), LoopClosed> {
        self.shared.push_remote(Remote::Callback(Box::new(f))).map_err(|_| LoopClosed)
    }
}

impl fmt::Debug for RemoteHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteHandle").field("closed", &self.shared.closed.load(Ordering::Relaxed)).finish()
    }
}

/// [`RemoteHandle::call_soon_threadsafe`] was called after the loop closed.
///
/// ```
/// let lp = corio::EventLoop::new();
/// let remote = lp.remote_handle();
/// lp.close();
/// assert_eq!(remote.call_soon_threadsafe(|| {}), Err(corio::LoopClosed));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoopClosed;

impl fmt::Display for LoopClosed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("event loop is closed")
    }
}

impl Error for LoopClosed {}
