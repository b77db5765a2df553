//! `Queue<T>`: asyncio's `asyncio.Queue`, a channel between tasks on one
//! thread, bounded or not, with `task_done`/`join` to wait for the
//! consumers to finish and `shutdown` to close it; and its two variants,
//! [`LifoQueue`] and [`PriorityQueue`], which differ only in the order
//! items come out (`order.rs`).
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
//!
//! A shutdown (asyncio 3.13's `Queue.shutdown`) voids every promise: puts
//! fail from then on, gets take whatever is left in the queue's order,
//! whoever asks first, then fail; everyone waiting is woken to find out.

mod error;
mod order;

use std::cell::{Cell, RefCell};
use std::fmt;
use std::marker::PhantomData;

use super::waiters::{Waiter, WaiterList};

pub use error::{GetError, PutError};
pub use order::{Fifo, Lifo, Order, Priority};

/// A last-in, first-out queue: asyncio's `LifoQueue`. Made by
/// [`Queue::lifo`]; everything else is [`Queue`]'s.
///
/// ```
/// use corio::sync::{LifoQueue, Queue};
///
/// let stack: LifoQueue<u32> = Queue::lifo(0);
/// for item in [3, 1, 2] {
///     stack.put_nowait(item).unwrap();
/// }
/// let out: Vec<_> = (0..3).map(|_| stack.get_nowait().unwrap()).collect();
/// assert_eq!(out, [2, 1, 3]);
/// ```
pub type LifoQueue<T> = Queue<T, Lifo<T>>;

/// A queue that hands out its smallest item first: asyncio's
/// `PriorityQueue`. Made by [`Queue::priority`]; everything else is
/// [`Queue`]'s.
///
/// ```
/// use corio::sync::{PriorityQueue, Queue};
///
/// let jobs: PriorityQueue<(u8, &str)> = Queue::priority(0);
/// jobs.put_nowait((2, "later")).unwrap();
/// jobs.put_nowait((1, "urgent")).unwrap();
/// assert_eq!(jobs.get_nowait(), Ok((1, "urgent")));
/// ```
pub type PriorityQueue<T> = Queue<T, Priority<T>>;

/// A queue of `T` shared between tasks: first in, first out unless made
/// with [`Queue::lifo`] or [`Queue::priority`].
///
/// `O` is the store that keeps the items and decides which comes out next
/// ([`Fifo`], [`Lifo`] or [`Priority`]); the constructors choose it, so it
/// needs naming only in a type, and [`LifoQueue`] and [`PriorityQueue`]
/// name it for you.
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
///                 let job: u32 = jobs.get().await.unwrap();
///                 total += job;
///                 jobs.task_done();
///                 if job == 0 {
///                     return total;
///                 }
///             }
///         }
///     });
///     for job in [3, 2, 1, 0] {
///         jobs.put(job).await.unwrap(); // Waits while two jobs are queued.
///     }
///     jobs.join().await; // Every job has been marked done.
///     assert_eq!(worker.await.unwrap(), 6);
/// });
/// ```
pub struct Queue<T, O = Fifo<T>> {
    /// The queued items, including claimed ones, in the store that knows
    /// their order.
    items: RefCell<O>,
    /// The most items the queue holds, or 0 for no limit (asyncio's rule).
    maxsize: usize,
    /// How many of `items` are promised to granted getters that have not
    /// run yet (in a FIFO, the front ones). Never more than `items.len()`.
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
    /// Set once by [`shutdown`](Queue::shutdown), never cleared.
    shut_down: Cell<bool>,
    /// The queue owns `T`s, though only through `O`.
    _items: PhantomData<T>,
}

impl<T> Queue<T> {
    /// Creates a first-in, first-out queue that holds at most `maxsize`
    /// items; 0 means no limit, as in asyncio.
    pub fn new(maxsize: usize) -> Queue<T> {
        Queue::with_order(maxsize)
    }

    /// Creates a first-in, first-out queue with no limit on its size; `put`
    /// never waits.
    pub fn unbounded() -> Queue<T> {
        Queue::new(0)
    }

    /// Creates a last-in, first-out queue that holds at most `maxsize`
    /// items, 0 for no limit: asyncio's `LifoQueue(maxsize)`.
    #[doc(alias = "LifoQueue")]
    pub fn lifo(maxsize: usize) -> LifoQueue<T> {
        Queue::with_order(maxsize)
    }
}

impl<T: Ord> Queue<T> {
    /// Creates a queue that hands out its smallest item first and holds at
    /// most `maxsize` items, 0 for no limit: asyncio's
    /// `PriorityQueue(maxsize)`. See [`Priority`] for items that compare
    /// equal.
    #[doc(alias = "PriorityQueue")]
    pub fn priority(maxsize: usize) -> PriorityQueue<T> {
        Queue::with_order(maxsize)
    }
}

impl<T, O: Order<T>> Queue<T, O> {
    /// Creates an empty queue of any order. Private: the public
    /// constructors name the order, so a plain `Queue::new` needs no type
    /// annotation.
    fn with_order(maxsize: usize) -> Queue<T, O> {
        Queue {
            items: RefCell::new(O::default()),
            maxsize,
            claimed: Cell::new(0),
            reserved: Cell::new(0),
            unfinished: Cell::new(0),
            getters: RefCell::new(WaiterList::new()),
            putters: RefCell::new(WaiterList::new()),
            joiners: RefCell::new(WaiterList::new()),
            shut_down: Cell::new(false),
            _items: PhantomData,
        }
    }

    /// Puts `item` in the queue, waiting while the queue is full.
    ///
    /// Putters are served in the order they called `put`. Dropping the
    /// returned future before it completes drops `item` with it; if a slot
    /// had already been reserved for it, the slot passes to the next putter.
    ///
    /// # Errors
    ///
    /// Returns [`PutError::ShutDown`], holding `item`, if the queue is shut
    /// down, before or while this put waits.
    #[doc(alias = "send")]
    pub async fn put(&self, item: T) -> Result<(), PutError<T>> {
        let item = match self.put_nowait(item) {
            Err(PutError::Full(item)) => item,
            done => return done,
        };
        // Full: join the line, still holding `item`. When this returns, a
        // getter has reserved a slot for us, or the queue was shut down.
        Waiter::new(&self.putters, || self.unreserve()).await;
        if self.shut_down.get() {
            // The shutdown voided any reservation we had.
            return Err(PutError::ShutDown(item));
        }
        self.reserved.set(self.reserved.get() - 1);
        self.push(item);
        Ok(())
    }

    /// Puts `item` in the queue if there is a free slot that no waiting
    /// putter is owed.
    ///
    /// # Errors
    ///
    /// Returns [`PutError::ShutDown`] if the queue is shut down, else
    /// [`PutError::Full`] if it is full or its free slots are reserved for
    /// putters that are already waiting; either holds `item`.
    #[doc(alias("try_put", "try_send"))]
    pub fn put_nowait(&self, item: T) -> Result<(), PutError<T>> {
        if self.shut_down.get() {
            return Err(PutError::ShutDown(item));
        }
        // Putters only queue when no slot is free, and a slot freed while
        // they wait is reserved for one of them; so a free slot here means
        // nobody is in line ahead of us.
        if !self.has_free_slot() {
            return Err(PutError::Full(item));
        }
        self.push(item);
        Ok(())
    }

    /// Takes the next item (the oldest, the newest or the smallest, by the
    /// queue's order), waiting while there is none.
    ///
    /// Getters are served in the order they called `get`. Dropping the
    /// returned future before it completes gives up its place; if an item
    /// had already been claimed for it, the claim passes to the next getter,
    /// or the item stays in the queue for anyone.
    ///
    /// # Errors
    ///
    /// Returns [`GetError::ShutDown`] once the queue is shut down and no
    /// item is left; until then, a shut-down queue still hands out its
    /// items.
    #[doc(alias = "recv")]
    pub async fn get(&self) -> Result<T, GetError> {
        match self.get_nowait() {
            Err(GetError::Empty) => {}
            done => return done,
        }
        // Nothing unclaimed: join the line. When this returns, a putter has
        // claimed an item for us, or the queue was shut down.
        Waiter::new(&self.getters, || self.unclaim()).await;
        if self.shut_down.get() {
            // The shutdown voided any claim we had: take what is left, if
            // anything, as asyncio's woken getter does.
            return self.get_nowait();
        }
        self.claimed.set(self.claimed.get() - 1);
        Ok(self.take(0))
    }

    /// Takes the next item if there is one that no waiting getter is owed.
    ///
    /// # Errors
    ///
    /// Returns [`GetError::Empty`] if the queue is empty, or if every item
    /// in it is claimed for a getter that was waiting: between a put and
    /// the moment the getter it woke runs, the item counts in
    /// [`qsize`](Queue::qsize) but is not free to take. Returns
    /// [`GetError::ShutDown`] instead if the queue is shut down.
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
    pub fn get_nowait(&self) -> Result<T, GetError> {
        // Getters only queue when every item is claimed; so an unclaimed
        // item here means nobody is in line ahead of us.
        let claimed = self.claimed.get();
        if self.items.borrow().len() == claimed {
            return Err(if self.shut_down.get() { GetError::ShutDown } else { GetError::Empty });
        }
        // `claimed` items are owed to woken getters that have not run yet;
        // ours is the next one after them.
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
    ///             queue.get().await.unwrap();
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

    /// Shuts the queue down: every later put fails, and gets fail once the
    /// queue is empty; everyone waiting in `put` or `get` is woken to find
    /// out (asyncio 3.13's `Queue.shutdown(immediate)`).
    ///
    /// With `immediate`, the items still in the queue are dropped and each
    /// counts as done for [`join`](Queue::join), so waiting getters fail at
    /// once and `join` returns unless items already taken are still
    /// unfinished. Without it, gets drain the queue first.
    ///
    /// Shutting down voids the promises made to woken tasks that have not
    /// run yet: a putter whose slot was reserved fails like the rest, and
    /// a getter an item was claimed for takes whatever is left when it
    /// runs, like any other get, as in asyncio. Shutting down twice does
    /// nothing more, except that an immediate second call drops what is
    /// left.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    /// use corio::sync::{GetError, Queue};
    ///
    /// corio::run(async {
    ///     let jobs = Rc::new(Queue::unbounded());
    ///     let worker = corio::create_task({
    ///         let jobs = Rc::clone(&jobs);
    ///         async move {
    ///             let mut done = Vec::new();
    ///             // Drains what was put, then stops.
    ///             while let Ok(job) = jobs.get().await {
    ///                 done.push(job);
    ///             }
    ///             done
    ///         }
    ///     });
    ///     jobs.put(1).await.unwrap();
    ///     jobs.put(2).await.unwrap();
    ///     jobs.shutdown(false);
    ///     assert!(jobs.put(3).await.is_err());
    ///     assert_eq!(worker.await.unwrap(), [1, 2]);
    ///     assert_eq!(jobs.get().await, Err(GetError::ShutDown));
    /// });
    /// ```
    pub fn shutdown(&self, immediate: bool) {
        self.shut_down.set(true);
        // Every promise is void: from now on puts fail and gets take what
        // is there, whoever asks first.
        self.claimed.set(0);
        self.reserved.set(0);
        let dropped = if immediate { std::mem::take(&mut *self.items.borrow_mut()) } else { O::default() };
        let mut joiners = Vec::new();
        if !dropped.is_empty() {
            // Each dropped item counts as done, as asyncio's `shutdown`
            // calls `task_done` for it (never below zero).
            let unfinished = self.unfinished.get().saturating_sub(dropped.len());
            self.unfinished.set(unfinished);
            if unfinished == 0 {
                joiners = self.joiners.borrow_mut().grant_all();
            }
        }
        let getters = self.getters.borrow_mut().grant_all();
        let putters = self.putters.borrow_mut().grant_all();
        // Every borrow has ended: the items' destructors and the wakers are
        // foreign code and may touch this queue. Wake in asyncio's order:
        // joiners, getters, putters.
        drop(dropped);
        for waker in joiners.into_iter().chain(getters).chain(putters) {
            waker.wake();
        }
    }

    /// Returns `true` if a put may take a slot now: the queue is unbounded,
    /// or it has a slot that is neither filled nor reserved.
    fn has_free_slot(&self) -> bool {
        self.maxsize == 0 || self.items.borrow().len() + self.reserved.get() < self.maxsize
    }

    /// Adds an item into a slot the caller owns, and claims it for the
    /// oldest waiting getter, if any.
    fn push(&self, item: T) {
        self.items.borrow_mut().push(item);
        self.unfinished.set(self.unfinished.get() + 1);
        self.offer_item();
    }

    /// Removes the next item after `promised` ones owed to others (0 for a
    /// getter taking the item claimed for it; the claimed count for a
    /// newcomer), and reserves the slot it leaves for the oldest waiting
    /// putter, if any.
    fn take(&self, promised: usize) -> T {
        let item = self.items.borrow_mut().pop(promised);
        let item = item.expect("the caller owns an item, so the queue holds one past `promised`");
        self.offer_slot();
        item
    }

    /// Claims one unclaimed item for the oldest getter and wakes it, if any
    /// getter waits.
    fn offer_item(&self) {
        let next = self.getters.borrow_mut().grant_front_live();
        if let Some(waker) = next {
            // Count the claim before waking, so the getter finds it.
            self.claimed.set(self.claimed.get() + 1);
            waker.wake();
        }
    }

    /// Reserves one free slot for the oldest putter and wakes it, if any
    /// putter waits.
    fn offer_slot(&self) {
        let next = self.putters.borrow_mut().grant_front_live();
        if let Some(waker) = next {
            self.reserved.set(self.reserved.get() + 1);
            waker.wake();
        }
    }

    /// Gives back the claim of a getter that was dropped before it ran: the
    /// item goes to the next getter, or stays in the queue for anyone.
    /// After a shutdown there are no claims to give back.
    fn unclaim(&self) {
        if self.shut_down.get() {
            return;
        }
        self.claimed.set(self.claimed.get() - 1);
        self.offer_item();
    }

    /// Gives back the slot of a putter that was dropped before it ran: the
    /// slot goes to the next putter, or becomes free. After a shutdown
    /// there are no reservations to give back.
    fn unreserve(&self) {
        if self.shut_down.get() {
            return;
        }
        self.reserved.set(self.reserved.get() - 1);
        self.offer_slot();
    }
}

impl<T, O: Order<T> + fmt::Debug> fmt::Debug for Queue<T, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Queue")
            .field("order", &*self.items.borrow())
            .field("qsize", &self.qsize())
            .field("maxsize", &self.maxsize)
            .field("unfinished", &self.unfinished.get())
            .field("shut_down", &self.shut_down.get())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests;
