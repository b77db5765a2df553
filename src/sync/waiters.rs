//! The FIFO line of parked tasks that every primitive in `sync` is built on.
//!
//! A task that cannot proceed (the lock is held, no permit is left, the queue
//! is empty or full, the event is not set) joins a [`WaiterList`] through a
//! [`Waiter`] future and returns `Poll::Pending`. Whoever frees the resource
//! calls [`WaiterList::grant_front`]: that marks the oldest waiter *granted*,
//! takes it out of the line, and hands back its `Waker` for the caller to wake.
//! When the task runs again, its `Waiter` sees the grant and completes. This
//! is the hand-off: the resource belongs to the granted waiter from the moment
//! it is granted, so nobody arriving in between can take it.
//!
//! In the path of a wakeup this file sits between the primitive and the
//! executor: the primitive decides *who* is next, this list remembers *how to
//! wake them*, and the executor (through the `Waker`) decides *when* they run.
//!
//! Storage is a slab of nodes threaded into a doubly linked list by slab key.
//! The alternative, a `VecDeque` of wakers with tombstones for cancelled
//! entries, is simpler to write but makes a cancelled waiter cost a scan or
//! leave garbage behind until it reaches the front; with links, joining,
//! granting and leaving are all O(1), and a granted node simply stays in the
//! slab, unlinked, until its future looks at it.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use slab::Slab;

use crate::runtime::waker::cancel_requested;

/// Identifies one waiter's node in a [`WaiterList`].
///
/// Only the [`Waiter`] that created a node ever removes it, so a key never
/// outlives its node and the slab cannot hand the same key to someone else
/// while it is still held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct WaiterKey(usize);

/// Where one waiter stands.
#[derive(Debug)]
enum Node {
    /// In line, not yet granted.
    Queued {
        /// The waker from the most recent poll; the one [`WaiterList::grant_front`] wakes.
        waker: Waker,
        /// The waiter ahead of this one, or `None` at the head.
        prev: Option<usize>,
        /// The waiter behind this one, or `None` at the tail.
        next: Option<usize>,
    },
    /// Out of line: the resource is this waiter's, and its future has not
    /// yet been polled to see that.
    Granted,
}

/// A FIFO line of waiters, each of which is either queued or granted.
///
/// Its hot methods are `#[inline]`: the primitives that call them are
/// generic (`Queue<T>`), so they are compiled in the user's crate, where a
/// plain function of this crate is a call that cannot be inlined.
#[derive(Debug, Default)]
pub(crate) struct WaiterList {
    /// Every waiter whose future is still alive, queued or granted.
    nodes: Slab<Node>,
    /// The oldest queued waiter: the next to be granted.
    head: Option<usize>,
    /// The newest queued waiter: where the next one joins.
    tail: Option<usize>,
}

impl WaiterList {
    /// Creates an empty line.
    pub(crate) fn new() -> WaiterList {
        WaiterList::default()
    }

    /// Returns `true` if nobody is queued. Granted waiters that have not run
    /// yet do not count: they are no longer waiting, they own the resource.
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.head.is_none()
    }

    /// Returns `true` if nobody is queued and no grant is waiting to be
    /// picked up: every waiter that was granted has run (or was dropped).
    /// asyncio's `Semaphore` keeps a granted waiter in its line until it
    /// runs, and refuses newcomers until then; this is that test.
    pub(crate) fn is_idle(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Adds a waiter at the back of the line and returns its key.
    #[inline]
    pub(crate) fn push_back(&mut self, waker: Waker) -> WaiterKey {
        let key = self.nodes.insert(Node::Queued { waker, prev: self.tail, next: None });
        match self.tail {
            Some(tail) => self.set_next(tail, Some(key)),
            None => self.head = Some(key),
        }
        self.tail = Some(key);
        WaiterKey(key)
    }

    /// Grants the oldest queued waiter and returns its waker, or `None` if
    /// nobody is queued.
    ///
    /// The caller must finish its own bookkeeping (count the resource as
    /// handed over) and only then wake the returned waker, after releasing
    /// any `RefCell` borrow: a waker is foreign code and may do anything,
    /// including poll the task that touches this primitive again.
    #[must_use = "a granted waiter that is never woken hangs forever"]
    pub(crate) fn grant_front(&mut self) -> Option<Waker> {
        let key = self.head?;
        self.unlink(key);
        // The node stays in the slab, now marked granted, until its future
        // sees it (and completes) or is dropped (and passes the grant on).
        let Node::Queued { waker, .. } = std::mem::replace(&mut self.nodes[key], Node::Granted) else {
            unreachable!("the head of the line is always queued");
        };
        Some(waker)
    }

    /// [`grant_front`](Self::grant_front), passing over waiters whose task
    /// has been asked to cancel (they stay in line until their future is
    /// dropped, in the next iteration, and are never granted): asyncio's
    /// queue and semaphore skip a waiter future that is already cancelled.
    #[must_use = "a granted waiter that is never woken hangs forever"]
    #[inline]
    pub(crate) fn grant_front_live(&mut self) -> Option<Waker> {
        let mut at = self.head;
        while let Some(key) = at {
            let Node::Queued { waker, next, .. } = &self.nodes[key] else {
                unreachable!("only queued waiters are linked");
            };
            if !cancel_requested(waker) {
                self.unlink(key);
                let Node::Queued { waker, .. } = std::mem::replace(&mut self.nodes[key], Node::Granted) else {
                    unreachable!("checked just above");
                };
                return Some(waker);
            }
            at = *next;
        }
        None
    }

    /// Grants every queued waiter, oldest first, and returns their wakers in
    /// that order. The caller wakes them after releasing its borrow.
    #[must_use = "granted waiters that are never woken hang forever"]
    pub(crate) fn grant_all(&mut self) -> Vec<Waker> {
        let mut wakers = Vec::new();
        while let Some(waker) = self.grant_front() {
            wakers.push(waker);
        }
        wakers
    }

    /// Returns `true` if the waiter has been granted.
    #[inline]
    pub(crate) fn is_granted(&self, key: WaiterKey) -> bool {
        matches!(self.nodes[key.0], Node::Granted)
    }

    /// Replaces a queued waiter's waker with the one from its latest poll.
    ///
    /// A task may be polled with a different waker than last time (it moved
    /// to another executor, or is polled inside a `select`); the `Future`
    /// contract says only the latest one must be woken.
    ///
    /// Returns the replaced waker, for the caller to drop once it has
    /// released its borrow of the list (dropping a waker runs its code).
    #[must_use = "drop the old waker after releasing the list's borrow"]
    pub(crate) fn set_waker(&mut self, key: WaiterKey, new: &Waker) -> Option<Waker> {
        if let Node::Queued { waker, .. } = &mut self.nodes[key.0] {
            // `will_wake` avoids a clone (an atomic increment for most
            // wakers) on the common path, where the waker has not changed.
            if !waker.will_wake(new) {
                return Some(std::mem::replace(waker, new.clone()));
            }
        }
        None
    }

    /// Removes a waiter, queued or granted, and returns `true` if it had been
    /// granted: the caller then owns whatever was granted and must pass it on.
    #[inline]
    pub(crate) fn remove(&mut self, key: WaiterKey) -> bool {
        match self.nodes[key.0] {
            Node::Queued { .. } => {
                self.unlink(key.0);
                self.nodes.remove(key.0);
                false
            }
            Node::Granted => {
                self.nodes.remove(key.0);
                true
            }
        }
    }

    /// Takes a queued node out of the line by joining its neighbours to each
    /// other. The node itself is left in the slab for the caller.
    #[inline]
    fn unlink(&mut self, key: usize) {
        let Node::Queued { prev, next, .. } = self.nodes[key] else {
            unreachable!("only queued waiters are linked");
        };
        match prev {
            Some(prev) => self.set_next(prev, next),
            None => self.head = next,
        }
        match next {
            Some(next) => self.set_prev(next, prev),
            None => self.tail = prev,
        }
    }

    /// Points a queued node's `next` link at `to`.
    #[inline]
    fn set_next(&mut self, key: usize, to: Option<usize>) {
        if let Node::Queued { next, .. } = &mut self.nodes[key] {
            *next = to;
        }
    }

    /// Points a queued node's `prev` link at `to`.
    #[inline]
    fn set_prev(&mut self, key: usize, to: Option<usize>) {
        if let Node::Queued { prev, .. } = &mut self.nodes[key] {
            *prev = to;
        }
    }
}

/// Where a [`Waiter`] future is in its life.
#[derive(Debug)]
enum Stage {
    /// Not polled yet, so not in the line.
    Fresh,
    /// In the line (queued or already granted) under this key.
    Registered(WaiterKey),
    /// Saw its grant and returned `Ready`; its node is gone.
    Done,
}

/// A future that waits for its turn in a [`WaiterList`]: it joins the line
/// on first poll and completes once it has been granted.
///
/// Each primitive first tries its fast path (take the resource if it is free
/// and nobody is queued) and awaits a `Waiter` only if that fails. Both
/// happen in one poll, so nothing can change in between on this single
/// thread.
///
/// Dropping a `Waiter` is how a cancelled task leaves the line. If it had
/// already been granted, the grant would be lost, so the drop calls
/// `pass_on`, which gives the resource to the next waiter or back to the
/// primitive.
pub(crate) struct Waiter<'a, F: Fn()> {
    /// The line this waiter stands in.
    list: &'a RefCell<WaiterList>,
    /// Where this waiter is in its life.
    stage: Stage,
    /// Releases a grant that this waiter received but never used.
    pass_on: F,
}

// `Waiter` never pins anything it holds: `pass_on` is only ever called
// through `&self`, so moving the future after a poll is harmless.
impl<F: Fn()> Unpin for Waiter<'_, F> {}

impl<'a, F: Fn()> Waiter<'a, F> {
    /// Creates a waiter for `list`; it joins the line when first polled.
    /// `pass_on` runs if the waiter is dropped after being granted.
    pub(crate) fn new(list: &'a RefCell<WaiterList>, pass_on: F) -> Waiter<'a, F> {
        Waiter { list, stage: Stage::Fresh, pass_on }
    }
}

impl<F: Fn()> Future for Waiter<'_, F> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let mut list = this.list.borrow_mut();
        match this.stage {
            Stage::Fresh => {
                this.stage = Stage::Registered(list.push_back(cx.waker().clone()));
                // Pending: whoever frees the resource calls `grant_front`
                // (or `grant_all`) and wakes the waker we just stored.
                Poll::Pending
            }
            Stage::Registered(key) if list.is_granted(key) => {
                // The resource is ours; our node has done its job.
                list.remove(key);
                this.stage = Stage::Done;
                Poll::Ready(())
            }
            Stage::Registered(key) => {
                // Polled without a grant: a spurious wakeup, or our task was
                // woken for another reason. Keep our place in line, and keep
                // the newest waker, because that is the one that must be woken.
                let replaced = list.set_waker(key, cx.waker());
                drop(list);
                drop(replaced);
                // Pending: the grant will wake this waker when we reach the
                // head of the line and the resource is freed.
                Poll::Pending
            }
            Stage::Done => panic!("`Waiter` polled after completion"),
        }
    }
}

impl<F: Fn()> Drop for Waiter<'_, F> {
    fn drop(&mut self) {
        if let Stage::Registered(key) = self.stage {
            // Release the borrow before `pass_on`, which borrows the list again.
            let was_granted = self.list.borrow_mut().remove(key);
            if was_granted {
                (self.pass_on)();
            }
        }
    }
}

/// A waker for tests that records, in one shared log, the id of every waker
/// woken, in order, and [`poll_with`](wake_log::poll_with) to poll a future
/// once with one. Tests in every `sync` file use them to assert who was
/// woken and when.
#[cfg(test)]
pub(crate) mod wake_log {
    use std::future::Future;
    use std::pin::Pin;
    use std::sync::{Arc, Mutex};
    use std::task::{Context, Poll, Wake, Waker};

    /// Polls `fut` once with `waker`.
    pub(crate) fn poll_with<F: Future>(fut: Pin<&mut F>, waker: &Waker) -> Poll<F::Output> {
        fut.poll(&mut Context::from_waker(waker))
    }

    /// The shared log of wakes, as waker ids in the order they were woken.
    #[derive(Clone, Default)]
    pub(crate) struct WakeLog {
        /// Waker ids, one entry per wake.
        entries: Arc<Mutex<Vec<usize>>>,
    }

    /// One recording waker.
    struct Recorder {
        /// The id this waker writes into the log.
        id: usize,
        log: WakeLog,
    }

    impl Wake for Recorder {
        fn wake(self: Arc<Self>) {
            self.wake_by_ref();
        }

        fn wake_by_ref(self: &Arc<Self>) {
            self.log.entries.lock().unwrap().push(self.id);
        }
    }

    impl WakeLog {
        /// Creates an empty log.
        pub(crate) fn new() -> WakeLog {
            WakeLog::default()
        }

        /// Returns a waker that records `id` in this log when woken.
        pub(crate) fn waker(&self, id: usize) -> Waker {
            Waker::from(Arc::new(Recorder { id, log: self.clone() }))
        }

        /// Returns the wakes recorded since the last call, and forgets them.
        pub(crate) fn take(&self) -> Vec<usize> {
            std::mem::take(&mut *self.entries.lock().unwrap())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::wake_log::{WakeLog, poll_with};
    use super::*;
    use std::cell::Cell;
    use std::pin::pin;

    #[test]
    fn grant_front_serves_waiters_in_arrival_order() {
        let log = WakeLog::new();
        let mut list = WaiterList::new();
        let keys: Vec<_> = (1..=3).map(|id| list.push_back(log.waker(id))).collect();

        for expected in 1..=3 {
            list.grant_front().unwrap().wake();
            assert_eq!(log.take(), [expected]);
        }
        assert!(list.grant_front().is_none());
        assert!(keys.iter().all(|&key| list.is_granted(key)));
    }

    #[test]
    fn removing_a_queued_waiter_from_the_middle_keeps_the_rest_in_order() {
        let log = WakeLog::new();
        let mut list = WaiterList::new();
        let _first = list.push_back(log.waker(1));
        let middle = list.push_back(log.waker(2));
        let _last = list.push_back(log.waker(3));

        assert!(!list.remove(middle), "a queued waiter was not granted");
        for waker in list.grant_all() {
            waker.wake();
        }
        assert_eq!(log.take(), [1, 3]);
        assert!(list.is_empty());
    }

    #[test]
    fn removing_head_and_tail_leaves_a_consistent_line() {
        let log = WakeLog::new();
        let mut list = WaiterList::new();
        let head = list.push_back(log.waker(1));
        let _middle = list.push_back(log.waker(2));
        let tail = list.push_back(log.waker(3));
        list.remove(head);
        list.remove(tail);
        // A waiter joining now must land behind the only one left.
        let _late = list.push_back(log.waker(4));

        for waker in list.grant_all() {
            waker.wake();
        }
        assert_eq!(log.take(), [2, 4]);
    }

    #[test]
    fn removing_a_granted_waiter_reports_the_grant() {
        let log = WakeLog::new();
        let mut list = WaiterList::new();
        let key = list.push_back(log.waker(1));
        let _ = list.grant_front();
        assert!(list.remove(key));
    }

    #[test]
    fn waiter_completes_only_after_its_grant_and_wakes_its_latest_waker() {
        let log = WakeLog::new();
        let list = RefCell::new(WaiterList::new());
        let mut waiter = pin!(Waiter::new(&list, || {}));

        assert!(poll_with(waiter.as_mut(), &log.waker(1)).is_pending());
        // Polled again, with a new waker and no grant: still waiting.
        assert!(poll_with(waiter.as_mut(), &log.waker(2)).is_pending());

        let waker = list.borrow_mut().grant_front().unwrap();
        waker.wake();
        assert_eq!(log.take(), [2], "only the latest waker is woken");
        assert!(poll_with(waiter.as_mut(), &log.waker(2)).is_ready());
        assert!(list.borrow().nodes.is_empty(), "the node was freed");
    }

    #[test]
    fn dropping_a_granted_waiter_calls_pass_on_exactly_once() {
        let log = WakeLog::new();
        let list = RefCell::new(WaiterList::new());
        let passed = Cell::new(0);
        {
            let mut waiter = pin!(Waiter::new(&list, || passed.set(passed.get() + 1)));
            assert!(poll_with(waiter.as_mut(), &log.waker(1)).is_pending());
            let _ = list.borrow_mut().grant_front();
        }
        assert_eq!(passed.get(), 1);
        assert!(list.borrow().nodes.is_empty());
    }

    #[test]
    fn dropping_a_queued_or_completed_waiter_does_not_call_pass_on() {
        let log = WakeLog::new();
        let list = RefCell::new(WaiterList::new());
        let passed = Cell::new(0);
        {
            let mut queued = pin!(Waiter::new(&list, || passed.set(passed.get() + 1)));
            assert!(poll_with(queued.as_mut(), &log.waker(1)).is_pending());
        }
        {
            let mut done = pin!(Waiter::new(&list, || passed.set(passed.get() + 1)));
            assert!(poll_with(done.as_mut(), &log.waker(2)).is_pending());
            let _ = list.borrow_mut().grant_front();
            assert!(poll_with(done.as_mut(), &log.waker(2)).is_ready());
        }
        assert_eq!(passed.get(), 0);
        assert!(list.borrow().is_empty());
    }
}
