//! A loop's inbox: the part of a loop other threads can reach, a
//! mutex-guarded list of arrivals, one atomic word that says whether any
//! arrived and whether the loop sleeps, and the `mio::Waker` that
//! interrupts a loop blocked in `epoll_wait`.
//!
//! Every task header holds an `Arc<Inbox>`, so a waker woken anywhere can
//! find its loop. On the loop's own thread, while the loop runs, a wake goes
//! straight onto the local ready queue (see [`Inbox::schedule`]); from any
//! other thread, or while the loop is not running, it goes into this list,
//! which the loop drains after each I/O poll. `call_soon_threadsafe`
//! (`event_loop/remote.rs`) posts callbacks to the same list.
//!
//! The loop looks at the list every iteration, so that look must be cheap:
//! it reads [`Inbox::state`] and takes the lock only if something arrived.
//! The same word carries the park handshake, so that an arrival and a loop
//! going to sleep can never miss each other (see [`Inbox::post`]).

use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
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

/// [`Inbox::state`] bit: the loop is blocked, or about to block, in
/// `mio::Poll::poll`, so an arrival must write to the eventfd to wake it.
/// Set by [`Inbox::park`], cleared by [`Inbox::unpark`]; only the loop writes it.
const PARKED: u8 = 1;

/// [`Inbox::state`] bit: something was posted since the loop last took the
/// arrivals. Set by [`Inbox::post`] (under the lock, after the push),
/// cleared by [`Inbox::unpark`] just before it takes the list.
const NOTIFIED: u8 = 2;

/// The thread-safe half of a loop.
pub(crate) struct Inbox {
    /// Wakes and callbacks from other threads (or from while the loop was
    /// not running), in arrival order. A std `Mutex`, not a lock-free
    /// queue: cross-thread traffic is rare here (blocking-pool results, user
    /// threads) and an uncontended lock is two atomic operations.
    arrivals: Mutex<Vec<Incoming>>,
    /// [`PARKED`] and [`NOTIFIED`]. One word, changed only by
    /// read-modify-write operations, which all threads see in one order:
    /// that single order is the whole park handshake.
    state: AtomicU8,
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
            state: AtomicU8::new(0),
            waker,
            closed: AtomicBool::new(false),
        })
    }

    /// Queues a woken task on its loop (the one whose inbox its header
    /// holds), taking over the reference it is handed. The caller has
    /// already set the task's `SCHEDULED` bit, so this runs at most once per
    /// wakeup.
    pub(crate) fn schedule(task: TaskRef) {
        // The common case: woken by another task or by the reactor on the
        // loop's own thread. Straight onto the ready queue, in FIFO order
        // with callbacks.
        let Err(task) = context::push_if_current(task) else { return };
        // Another thread, or the loop is not running. Hold the inbox through
        // a clone of our own: once posted, the task may run and be dropped
        // by its loop before `post` returns, header and all. A wake after
        // close is dropped: nothing will ever run the task again.
        let inbox = Arc::clone(&task.header().inbox);
        let _ = inbox.post(Incoming::Task(task));
    }

    /// Appends `entry` to the arrivals and makes sure a blocked loop
    /// notices. Hands the entry back if the loop has closed.
    pub(crate) fn post(&self, entry: Incoming) -> Result<(), Incoming> {
        let mut arrivals = self.lock_arrivals();
        if self.closed.load(Ordering::Relaxed) {
            return Err(entry);
        }
        arrivals.push(entry);
        let previous = self.state.fetch_or(NOTIFIED, Ordering::AcqRel);
        drop(arrivals);
        // The loop parks with one `fetch_or(PARKED)` on the same word, so
        // our `fetch_or` comes either before it (the loop then sees NOTIFIED
        // and does not block) or after it (we see PARKED and write to the
        // eventfd). If NOTIFIED was already set while it was parked, an
        // earlier arrival has written already, or the loop saw that arrival
        // when it parked; one write is enough to end one wait.
        if previous & (PARKED | NOTIFIED) == PARKED {
            // An error here means the eventfd could not be written; the loop
            // would still see the entry at its next timeout, so there is
            // nothing better to do than carry on.
            let _ = self.waker.wake();
        }
        Ok(())
    }

    /// Marks the loop as about to block and reports whether arrivals are
    /// already waiting (in which case it must not block). Only a poll that
    /// may block parks: a zero-timeout poll needs no eventfd write.
    pub(crate) fn park(&self) -> bool {
        self.state.fetch_or(PARKED, Ordering::AcqRel) & NOTIFIED != 0
    }

    /// Marks the loop as running again and hands each arrival to `each`, in
    /// arrival order. The loop calls it every iteration; when nothing
    /// arrived and it did not park, that is one atomic load: no lock, no list.
    #[inline]
    pub(crate) fn unpark(&self, each: impl FnMut(Incoming)) {
        // A post racing with this load is the same as one that comes just
        // after the drain: it is taken next iteration, and `park` (a
        // read-modify-write, so it sees the latest value) keeps the loop
        // from sleeping on it.
        if self.state.load(Ordering::Relaxed) == 0 {
            return;
        }
        // Clear NOTIFIED before taking the list, never after: a post between
        // the two is then either taken now or announced again for next time.
        if self.state.swap(0, Ordering::AcqRel) & NOTIFIED == 0 {
            return;
        }
        // `each` runs loop code: call it after the lock is released.
        let arrivals = std::mem::take(&mut *self.lock_arrivals());
        arrivals.into_iter().for_each(each);
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

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;
    use crate::runtime::reactor::Reactor;

    /// How many arrivals `unpark` hands over.
    fn taken(inbox: &Inbox) -> usize {
        let mut count = 0;
        inbox.unpark(|_| count += 1);
        count
    }

    /// An arrival for tests: a callback that does nothing.
    fn nothing() -> Incoming {
        Incoming::Callback(Box::new(|| {}))
    }

    #[test]
    fn an_arrival_before_the_park_keeps_the_loop_from_blocking() {
        let (_reactor, waker) = Reactor::new().expect("a selector");
        let inbox = Inbox::new(waker);
        assert!(!inbox.park(), "nothing has arrived");
        assert_eq!(taken(&inbox), 0);
        assert!(inbox.post(nothing()).is_ok());
        assert!(inbox.park(), "the loop must not block on an arrival it has not taken");
        assert_eq!(taken(&inbox), 1);
        assert!(!inbox.park(), "taken arrivals are not announced again");
        assert_eq!(taken(&inbox), 0);
    }

    #[test]
    fn arrivals_are_taken_without_a_park_too() {
        let (_reactor, waker) = Reactor::new().expect("a selector");
        let inbox = Inbox::new(waker);
        assert!(inbox.post(nothing()).is_ok());
        assert!(inbox.post(nothing()).is_ok());
        assert_eq!(taken(&inbox), 2);
        assert_eq!(taken(&inbox), 0);
    }

    #[test]
    fn an_arrival_while_parked_ends_the_wait() {
        let (reactor, waker) = Reactor::new().expect("a selector");
        let inbox = Inbox::new(waker);
        assert!(!inbox.park());
        assert!(inbox.post(nothing()).is_ok());
        // The post saw PARKED and wrote to the eventfd, so this wait ends at
        // once instead of after its timeout.
        let started = Instant::now();
        reactor.turn(Some(Duration::from_secs(5)), |_| {}, drop).expect("a poll");
        assert!(started.elapsed() < Duration::from_secs(2), "the eventfd was not written");
        assert_eq!(taken(&inbox), 1);
    }
}
