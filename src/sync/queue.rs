//! `Queue<T>`: asyncio's `asyncio.Queue`, a FIFO channel between tasks on
//! one thread, bounded or not, with `task_done`/`join` to wait for the
//! consumers to finish.
//!
//! It runs two lines of waiters built on [`WaiterList`]: getters, who wait
//! for an item, and putters, who wait for a free slot. Hand-off works by
//! promising: a put with getters waiting *claims* its item for the oldest
//! getter, and a get with putters waiting *reserves* the freed slot for the
//! oldest putter. A claimed item or reserved slot is invisible to everyone
//! else, so a task arriving before the woken one runs cannot take it. The
//! putter keeps its item in its own future until it runs, so cancelling a
//! put drops the item with it: an item is either wholly in the queue or not
//! at all.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::error::Error;
use std::fmt;

use super::waiters::{Waiter, WaiterList};

/// A first-in, first-out queue of `T` shared between tasks.
///
/// # Examples
///
/// ```
/// use std::rc::Rc;
/// use corio::sync::Queue;
///
/// corio::run(async {
///     let jobs = Rc::new(Queue::new(2));
///     let worker = corio::create_task({
///         let jobs = Rc::clone(&jobs);
///         async move {
///             let mut total = 0;
///             loop {
///                 let job: u32 = jobs.get().await;
///                 total += job;
///                 jobs.task_done();
///                 if job == 0 {
///                     return total;
///                 }
///             }
///         }
///     });
///     for job in [3, 2, 1, 0] {
///         jobs.put(job).await; // Waits while two jobs are queued.
///     }
///     jobs.join().await; // Every job has been marked done.
///     assert_eq!(worker.await.unwrap(), 6);
/// });
/// ```
pub struct Queue<T> {
    /// The queued items, oldest first, including claimed ones.
    items: RefCell<VecDeque<T>>,
    /// The most items the queue holds, or 0 for no limit (asyncio's rule).
    maxsize: usize,
    /// How many of the front `items` are promised to granted getters that
    /// have not run yet. Never more than `items.len()`.
    claimed: Cell<usize>,
    /// How many free slots are promised to granted putters that have not
    /// run yet. `items.len() + reserved` never exceeds a nonzero `maxsize`.
    reserved: Cell<usize>,
    /// Items put but not yet marked done with `task_done`.
    unfinished: Cell<usize>,
    /// Tasks waiting in `get` for an item, oldest first.
    getters: RefCell<WaiterList>,
    /// Tasks waiting in `put` for a free slot, oldest first.
    putters: RefCell<WaiterList>,
    /// Tasks waiting in `join` for `unfinished` to reach 0.
    joiners: RefCell<WaiterList>,
}

/// The error from [`Queue::put_nowait`] on a full queue; it gives the item
/// back.
///
/// # Examples
///
/// ```
/// use corio::sync::Queue;
///
/// let queue = Queue::new(1);
/// queue.put_nowait("first").unwrap();
/// let error = queue.put_nowait("second").unwrap_err();
/// assert_eq!(error.to_string(), "queue is full; await put() to wait for a free slot");
/// assert_eq!(error.into_inner(), "second");
/// ```
pub struct QueueFull<T>(
    /// The item that did not fit.
    T,
);

/// The error from [`Queue::get_nowait`] when there is no item to take.
///
/// # Examples
///
/// ```
/// use corio::sync::{Queue, QueueEmpty};
///
/// let queue: Queue<u8> = Queue::unbounded();
/// assert_eq!(queue.get_nowait(), Err(QueueEmpty));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueEmpty;

impl<T> Queue<T> {
    /// Creates a queue that holds at most `maxsize` items; 0 means no limit,
    /// as in asyncio.
    pub fn new(maxsize: usize) -> Queue<T> {
        Queue {
            items: RefCell::new(VecDeque::new()),
            maxsize,
            claimed: Cell::new(0),
            reserved: Cell::new(0),
            unfinished: Cell::new(0),
            getters: RefCell::new(WaiterList::new()),
            putters: RefCell::new(WaiterList::new()),
            joiners: RefCell::new(WaiterList::new()),
        }
    }

    /// Creates a queue with no limit on its size; `put` never waits.
    pub fn unbounded() -> Queue<T> {
        Queue::new(0)
    }

    /// Puts `item` at the back of the queue, waiting while the queue is full.
    ///
    /// Putters are served in the order they called `put`. Dropping the
    /// returned future before it completes drops `item` with it; if a slot
    /// had already been reserved for it, the slot passes to the next putter.
    #[doc(alias = "send")]
    pub async fn put(&self, item: T) {
        let item = match self.put_nowait(item) {
            Ok(()) => return,
            Err(QueueFull(item)) => item,
        };
        // Full: join the line, still holding `item`. When this returns, a
        // getter has reserved a slot for us.
        Waiter::new(&self.putters, || self.unreserve()).await;
        self.reserved.set(self.reserved.get() - 1);
        self.push(item);
    }

    /// Puts `item` at the back of the queue if there is a free slot that no
    /// waiting putter is owed.
    ///
    /// # Errors
    ///
    /// Returns [`QueueFull`], holding `item`, if the queue is full or its
    /// free slots are reserved for putters that are already waiting.
    #[doc(alias("try_put", "try_send"))]
    pub fn put_nowait(&self, item: T) -> Result<(), QueueFull<T>> {
        // Putters only queue when no slot is free, and a slot freed while
        // they wait is reserved for one of them; so a free slot here means
        // nobody is in line ahead of us.
        if !self.has_free_slot() {
            return Err(QueueFull(item));
        }
        self.push(item);
        Ok(())
    }

    /// Takes the item at the front of the queue, waiting while it is empty.
    ///
    /// Getters are served in the order they called `get`. Dropping the
    /// returned future before it completes gives up its place; if an item
    /// had already been claimed for it, the claim passes to the next getter,
    /// or the item stays in the queue for anyone.
    #[doc(alias = "recv")]
    pub async fn get(&self) -> T {
        if let Ok(item) = self.get_nowait() {
            return item;
        }
        // Nothing unclaimed: join the line. When this returns, a putter has
        // claimed the front item for us.
        Waiter::new(&self.getters, || self.unclaim()).await;
        self.claimed.set(self.claimed.get() - 1);
        self.take(0)
    }

    /// Takes the item at the front of the queue if there is one that no
    /// waiting getter is owed.
    ///
    /// # Errors
    ///
    /// Returns [`QueueEmpty`] if the queue is empty, or if every item in it
    /// is claimed for a getter that was waiting: between a put and the
    /// moment the getter it woke runs, the item counts in
    /// [`qsize`](Queue::qsize) but is not free to take.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::sync::Queue;
    ///
    /// let queue = Queue::unbounded();
    /// queue.put_nowait(7).unwrap();
    /// assert_eq!(queue.get_nowait(), Ok(7));
    /// assert!(queue.get_nowait().is_err());
    /// ```
    #[doc(alias("try_get", "try_recv"))]
    pub fn get_nowait(&self) -> Result<T, QueueEmpty> {
        // Getters only queue when every item is claimed; so an unclaimed
        // item here means nobody is in line ahead of us.
        let claimed = self.claimed.get();
        if self.items.borrow().len() == claimed {
            return Err(QueueEmpty);
        }
        // The first `claimed` items are owed to woken getters that have not
        // run yet; ours is the first one after them.
        Ok(self.take(claimed))
    }

    /// Returns the number of items in the queue, including any promised to
    /// getters that have not run yet.
    #[doc(alias = "len")]
    pub fn qsize(&self) -> usize {
        self.items.borrow().len()
    }

    /// Returns the most items the queue holds, or 0 if it has no limit.
    #[doc(alias = "capacity")]
    pub fn maxsize(&self) -> usize {
        self.maxsize
    }

    /// Returns `true` if the queue holds no items.
    #[doc(alias = "is_empty")]
    pub fn empty(&self) -> bool {
        self.items.borrow().is_empty()
    }

    /// Returns `true` if the queue holds `maxsize` items; never for an
    /// unbounded queue.
    #[doc(alias = "is_full")]
    pub fn full(&self) -> bool {
        self.maxsize != 0 && self.items.borrow().len() >= self.maxsize
    }

    /// Marks one item taken from the queue as processed. When every item
    /// ever put has been marked, tasks waiting in [`join`](Queue::join) wake.
    ///
    /// # Panics
    ///
    /// Panics if called more times than items were put, as asyncio raises
    /// `ValueError`: a second `task_done` for one item is a bug that would
    /// otherwise let `join` return while work is still running.
    pub fn task_done(&self) {
        let unfinished = self.unfinished.get();
        assert!(unfinished > 0, "task_done() called more times than items were put in the queue");
        self.unfinished.set(unfinished - 1);
        if unfinished == 1 {
            let wakers = self.joiners.borrow_mut().grant_all();
            for waker in wakers {
                waker.wake();
            }
        }
    }

    /// Waits until every item put in the queue has been marked with
    /// [`task_done`](Queue::task_done); returns at once if none is pending.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    /// use corio::sync::Queue;
    ///
    /// corio::run(async {
    ///     let queue = Rc::new(Queue::unbounded());
    ///     queue.put_nowait(1).unwrap();
    ///     let consumer = corio::create_task({
    ///         let queue = Rc::clone(&queue);
    ///         async move {
    ///             queue.get().await;
    ///             queue.task_done();
    ///         }
    ///     });
    ///     queue.join().await;
    ///     consumer.await.unwrap();
    /// });
    /// ```
    pub async fn join(&self) {
        if self.unfinished.get() == 0 {
            return;
        }
        // Like an event: everyone is woken at once, so there is nothing to
        // pass on if a woken joiner is dropped.
        Waiter::new(&self.joiners, || {}).await;
    }

    /// Returns `true` if a put may take a slot now: the queue is unbounded,
    /// or it has a slot that is neither filled nor reserved.
    fn has_free_slot(&self) -> bool {
        self.maxsize == 0 || self.items.borrow().len() + self.reserved.get() < self.maxsize
    }

    /// Appends an item into a slot the caller owns, and claims it for the
    /// oldest waiting getter, if any.
    fn push(&self, item: T) {
        self.items.borrow_mut().push_back(item);
        self.unfinished.set(self.unfinished.get() + 1);
        self.offer_item();
    }

    /// Removes the item at `index`, which the caller owns (the front one,
    /// claimed for it, or the first unclaimed one), and reserves the slot it
    /// leaves for the oldest waiting putter, if any.
    fn take(&self, index: usize) -> T {
        let item = self.items.borrow_mut().remove(index);
        let item = item.expect("the caller owns an item, so the queue is not empty");
        self.offer_slot();
        item
    }

    /// Claims one unclaimed item for the oldest getter and wakes it, if any
    /// getter waits.
    fn offer_item(&self) {
        let next = self.getters.borrow_mut().grant_front();
        if let Some(waker) = next {
            // Count the claim before waking, so the getter finds it.
            self.claimed.set(self.claimed.get() + 1);
            waker.wake();
        }
    }

    /// Reserves one free slot for the oldest putter and wakes it, if any
    /// putter waits.
    fn offer_slot(&self) {
        let next = self.putters.borrow_mut().grant_front();
        if let Some(waker) = next {
            self.reserved.set(self.reserved.get() + 1);
            waker.wake();
        }
    }

    /// Gives back the claim of a getter that was dropped before it ran: the
    /// item goes to the next getter, or stays in the queue for anyone.
    fn unclaim(&self) {
        self.claimed.set(self.claimed.get() - 1);
        self.offer_item();
    }

    /// Gives back the slot of a putter that was dropped before it ran: the
    /// slot goes to the next putter, or becomes free.
    fn unreserve(&self) {
        self.reserved.set(self.reserved.get() - 1);
        self.offer_slot();
    }
}

impl<T> fmt::Debug for Queue<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Queue")
            .field("qsize", &self.qsize())
            .field("maxsize", &self.maxsize)
            .field("unfinished", &self.unfinished.get())
            .finish_non_exhaustive()
    }
}

impl<T> QueueFull<T> {
    /// Returns the item that did not fit.
    pub fn into_inner(self) -> T {
        self.0
    }
}

// Written by hand, not derived, so `QueueFull<T>` is `Debug` (and so an
// `Error`) whatever `T` is.
impl<T> fmt::Debug for QueueFull<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("QueueFull").finish_non_exhaustive()
    }
}

impl<T> fmt::Display for QueueFull<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("queue is full; await put() to wait for a free slot")
    }
}

impl<T> Error for QueueFull<T> {}

impl fmt::Display for QueueEmpty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("queue is empty; await get() to wait for an item")
    }
}

impl Error for QueueEmpty {}

#[cfg(test)]
mod tests {
    use super::super::waiters::wake_log::WakeLog;
    use super::*;
    use std::future::Future;
    use std::pin::{Pin, pin};
    use std::rc::Rc;
    use std::task::{Context, Poll, Waker};

    /// Polls `fut` once with `waker`.
    fn poll_with<F: Future>(fut: Pin<&mut F>, waker: &Waker) -> Poll<F::Output> {
        fut.poll(&mut Context::from_waker(waker))
    }

    #[test]
    fn items_come_out_in_the_order_they_went_in() {
        let queue = Queue::unbounded();
        for item in 1..=3 {
            queue.put_nowait(item).unwrap();
        }
        assert_eq!(queue.qsize(), 3);
        let out: Vec<_> = (0..3).map(|_| queue.get_nowait().unwrap()).collect();
        assert_eq!(out, [1, 2, 3]);
        assert!(queue.empty());
    }

    #[test]
    fn maxsize_zero_means_unbounded() {
        let queue = Queue::new(0);
        for item in 0..1000 {
            queue.put_nowait(item).unwrap();
        }
        assert!(!queue.full());
        assert_eq!(queue.qsize(), 1000);
        let log = WakeLog::new();
        assert!(poll_with(pin!(queue.put(1000)), &log.waker(1)).is_ready());
    }

    #[test]
    fn put_nowait_on_a_full_queue_gives_the_item_back() {
        let queue = Queue::new(2);
        queue.put_nowait("a").unwrap();
        assert!(!queue.full());
        queue.put_nowait("b").unwrap();
        assert!(queue.full());
        let error = queue.put_nowait("c").unwrap_err();
        assert_eq!(error.to_string(), "queue is full; await put() to wait for a free slot");
        assert_eq!(format!("{error:?}"), "QueueFull(..)");
        assert_eq!(error.into_inner(), "c");
        assert_eq!(queue.qsize(), 2);
    }

    #[test]
    fn get_nowait_on_an_empty_queue_is_an_error() {
        let queue: Queue<u8> = Queue::new(1);
        let error = queue.get_nowait().unwrap_err();
        assert_eq!(error, QueueEmpty);
        assert_eq!(error.to_string(), "queue is empty; await get() to wait for an item");
    }

    #[test]
    fn getters_are_served_in_arrival_order() {
        let log = WakeLog::new();
        let queue = Queue::unbounded();
        let mut getters: Vec<_> = (0..3).map(|_| Box::pin(queue.get())).collect();
        for (id, getter) in getters.iter_mut().enumerate() {
            assert!(poll_with(getter.as_mut(), &log.waker(id)).is_pending());
        }

        queue.put_nowait('a').unwrap();
        assert_eq!(log.take(), [0]);
        queue.put_nowait('b').unwrap();
        queue.put_nowait('c').unwrap();
        assert_eq!(log.take(), [1, 2]);

        let mut got = Vec::new();
        for (id, getter) in getters.iter_mut().enumerate() {
            let Poll::Ready(item) = poll_with(getter.as_mut(), &log.waker(id)) else {
                panic!("getter {id} was granted an item");
            };
            got.push(item);
        }
        assert_eq!(got, ['a', 'b', 'c']);
        assert!(queue.empty());
    }

    #[test]
    fn an_item_claimed_for_a_woken_getter_cannot_be_taken_by_get_nowait() {
        let log = WakeLog::new();
        let queue = Queue::unbounded();
        let mut getter = pin!(queue.get());
        assert!(poll_with(getter.as_mut(), &log.waker(1)).is_pending());

        queue.put_nowait(5).unwrap();
        assert_eq!(log.take(), [1]);
        assert_eq!(queue.qsize(), 1);
        assert_eq!(queue.get_nowait(), Err(QueueEmpty));
        // A newcomer's `get` must queue behind the woken getter, too.
        assert!(poll_with(pin!(queue.get()), &log.waker(2)).is_pending());
        assert_eq!(poll_with(getter, &log.waker(1)), Poll::Ready(5));
    }

    #[test]
    fn putters_wait_while_full_and_are_let_in_in_arrival_order() {
        let log = WakeLog::new();
        let queue = Queue::new(1);
        queue.put_nowait(0).unwrap();
        let mut putters: Vec<_> = (1..=3).map(|item| Box::pin(queue.put(item))).collect();
        for (id, putter) in putters.iter_mut().enumerate() {
            assert!(poll_with(putter.as_mut(), &log.waker(id)).is_pending());
        }
        assert_eq!(queue.qsize(), 1);

        let mut out = Vec::new();
        for (id, putter) in putters.iter_mut().enumerate() {
            out.push(queue.get_nowait().unwrap());
            assert_eq!(log.take(), [id], "the get let exactly the next putter in");
            assert!(poll_with(putter.as_mut(), &log.waker(id)).is_ready());
        }
        out.push(queue.get_nowait().unwrap());
        assert_eq!(out, [0, 1, 2, 3]);
    }

    #[test]
    fn a_slot_reserved_for_a_woken_putter_cannot_be_taken_by_put_nowait() {
        let log = WakeLog::new();
        let queue = Queue::new(1);
        queue.put_nowait("old").unwrap();
        let mut putter = pin!(queue.put("waited"));
        assert!(poll_with(putter.as_mut(), &log.waker(1)).is_pending());

        assert_eq!(queue.get_nowait(), Ok("old"));
        assert_eq!(log.take(), [1]);
        assert!(!queue.full(), "the slot is empty, but it is reserved");
        assert_eq!(queue.put_nowait("barger").unwrap_err().into_inner(), "barger");
        assert!(poll_with(putter, &log.waker(1)).is_ready());
        assert_eq!(queue.get_nowait(), Ok("waited"));
    }

    #[test]
    fn a_cancelled_queued_getter_is_skipped() {
        let log = WakeLog::new();
        let queue = Queue::unbounded();
        let mut gone = Box::pin(queue.get());
        let mut stays = pin!(queue.get());
        assert!(poll_with(gone.as_mut(), &log.waker(1)).is_pending());
        assert!(poll_with(stays.as_mut(), &log.waker(2)).is_pending());
        drop(gone);
        queue.put_nowait('x').unwrap();
        assert_eq!(log.take(), [2]);
        assert_eq!(poll_with(stays, &log.waker(2)), Poll::Ready('x'));
    }

    #[test]
    fn a_woken_getter_dropped_before_running_passes_its_item_on() {
        let log = WakeLog::new();
        let queue = Queue::unbounded();
        let mut first = Box::pin(queue.get());
        let mut second = pin!(queue.get());
        assert!(poll_with(first.as_mut(), &log.waker(1)).is_pending());
        assert!(poll_with(second.as_mut(), &log.waker(2)).is_pending());

        queue.put_nowait('x').unwrap();
        assert_eq!(log.take(), [1]);
        drop(first);
        assert_eq!(log.take(), [2]);
        assert_eq!(poll_with(second, &log.waker(2)), Poll::Ready('x'));
    }

    #[test]
    fn a_woken_getter_dropped_with_nobody_behind_it_leaves_the_item_queued() {
        let log = WakeLog::new();
        let queue = Queue::unbounded();
        let mut getter = Box::pin(queue.get());
        assert!(poll_with(getter.as_mut(), &log.waker(1)).is_pending());
        queue.put_nowait('x').unwrap();
        assert_eq!(queue.get_nowait(), Err(QueueEmpty));
        drop(getter);
        assert_eq!(queue.get_nowait(), Ok('x'));
    }

    #[test]
    fn a_cancelled_queued_putter_drops_its_item_and_is_skipped() {
        let log = WakeLog::new();
        let queue = Queue::new(1);
        queue.put_nowait(Rc::new("first")).unwrap();
        let cancelled_item = Rc::new("cancelled");
        let mut gone = Box::pin(queue.put(Rc::clone(&cancelled_item)));
        let mut stays = pin!(queue.put(Rc::new("stays")));
        assert!(poll_with(gone.as_mut(), &log.waker(1)).is_pending());
        assert!(poll_with(stays.as_mut(), &log.waker(2)).is_pending());

        drop(gone);
        assert_eq!(Rc::strong_count(&cancelled_item), 1, "the item was dropped");
        assert_eq!(*queue.get_nowait().unwrap(), "first");
        assert_eq!(log.take(), [2]);
        assert!(poll_with(stays, &log.waker(2)).is_ready());
        assert_eq!(*queue.get_nowait().unwrap(), "stays");
        assert_eq!(queue.get_nowait(), Err(QueueEmpty));
    }

    #[test]
    fn a_woken_putter_dropped_before_running_passes_its_slot_on_and_its_item_is_not_queued() {
        let log = WakeLog::new();
        let queue = Queue::new(1);
        queue.put_nowait("first").unwrap();
        let mut gone = Box::pin(queue.put("cancelled"));
        let mut stays = pin!(queue.put("stays"));
        assert!(poll_with(gone.as_mut(), &log.waker(1)).is_pending());
        assert!(poll_with(stays.as_mut(), &log.waker(2)).is_pending());

        assert_eq!(queue.get_nowait(), Ok("first"));
        assert_eq!(log.take(), [1]);
        drop(gone);
        assert_eq!(log.take(), [2], "the reserved slot moved to the next putter");
        assert!(poll_with(stays, &log.waker(2)).is_ready());
        assert_eq!(queue.get_nowait(), Ok("stays"));
        assert_eq!(queue.get_nowait(), Err(QueueEmpty));
    }

    #[test]
    fn a_woken_putter_dropped_with_nobody_behind_it_frees_its_slot() {
        let log = WakeLog::new();
        let queue = Queue::new(1);
        queue.put_nowait(1).unwrap();
        let mut putter = Box::pin(queue.put(2));
        assert!(poll_with(putter.as_mut(), &log.waker(1)).is_pending());
        assert_eq!(queue.get_nowait(), Ok(1));
        assert!(queue.put_nowait(3).is_err(), "the slot is reserved");
        drop(putter);
        assert!(queue.put_nowait(3).is_ok());
    }

    #[test]
    fn a_put_into_a_slot_freed_by_a_getter_wakes_a_waiting_getter() {
        // Both lines at once: a full queue of size 1 with a putter waiting,
        // drained by a getter, then a second getter arrives empty-handed.
        let log = WakeLog::new();
        let queue = Queue::new(1);
        queue.put_nowait('a').unwrap();
        let mut putter = pin!(queue.put('b'));
        assert!(poll_with(putter.as_mut(), &log.waker(1)).is_pending());
        assert_eq!(queue.get_nowait(), Ok('a'));
        let mut getter = pin!(queue.get());
        assert!(poll_with(getter.as_mut(), &log.waker(2)).is_pending());
        assert_eq!(log.take(), [1]);

        assert!(poll_with(putter, &log.waker(1)).is_ready());
        assert_eq!(log.take(), [2]);
        assert_eq!(poll_with(getter, &log.waker(2)), Poll::Ready('b'));
    }

    #[test]
    fn the_waker_from_the_latest_poll_is_the_one_woken() {
        let log = WakeLog::new();
        let queue = Queue::unbounded();
        let mut getter = pin!(queue.get());
        assert!(poll_with(getter.as_mut(), &log.waker(1)).is_pending());
        assert!(poll_with(getter.as_mut(), &log.waker(2)).is_pending());
        queue.put_nowait(()).unwrap();
        assert_eq!(log.take(), [2]);
    }

    #[test]
    fn join_waits_until_every_item_is_marked_done() {
        let log = WakeLog::new();
        let queue = Queue::unbounded();
        assert!(poll_with(pin!(queue.join()), &log.waker(0)).is_ready());

        queue.put_nowait(1).unwrap();
        queue.put_nowait(2).unwrap();
        let mut first = pin!(queue.join());
        let mut second = pin!(queue.join());
        assert!(poll_with(first.as_mut(), &log.waker(1)).is_pending());
        assert!(poll_with(second.as_mut(), &log.waker(2)).is_pending());

        queue.get_nowait().unwrap();
        queue.get_nowait().unwrap();
        queue.task_done();
        assert!(log.take().is_empty(), "one item is still unfinished");
        assert!(poll_with(first.as_mut(), &log.waker(1)).is_pending());
        queue.task_done();
        assert_eq!(log.take(), [1, 2]);
        // A put after the wake does not take the wake back.
        queue.put_nowait(3).unwrap();
        assert!(poll_with(first, &log.waker(1)).is_ready());
        assert!(poll_with(second, &log.waker(2)).is_ready());
        assert!(poll_with(pin!(queue.join()), &log.waker(3)).is_pending());
    }

    #[test]
    fn items_handed_to_a_waiting_putter_count_for_join() {
        let log = WakeLog::new();
        let queue = Queue::new(1);
        queue.put_nowait(1).unwrap();
        let mut putter = pin!(queue.put(2));
        assert!(poll_with(putter.as_mut(), &log.waker(1)).is_pending());
        queue.get_nowait().unwrap();
        queue.task_done();
        // The putter's item is not in yet, so nothing is unfinished.
        assert!(poll_with(pin!(queue.join()), &log.waker(2)).is_ready());
        assert!(poll_with(putter, &log.waker(1)).is_ready());
        assert!(poll_with(pin!(queue.join()), &log.waker(3)).is_pending());
    }

    #[test]
    #[should_panic(expected = "task_done() called more times than items were put in the queue")]
    fn task_done_called_more_times_than_items_were_put_panics() {
        let queue = Queue::unbounded();
        queue.put_nowait(1).unwrap();
        queue.get_nowait().unwrap();
        queue.task_done();
        queue.task_done();
    }
}
