//! Synchronization between tasks on one thread, the Rust shape of asyncio's
//! primitives: [`Lock`], [`Event`], [`Condition`], [`Semaphore`] and
//! [`BoundedSemaphore`], [`Barrier`], and [`Queue`] with its LIFO and
//! priority orders.
//!
//! Each one is a little state (a flag, a count, a buffer) plus one or more
//! FIFO lines of parked tasks, all built on the same `WaiterList` in
//! `waiters.rs`: read that file first, then `lock.rs`, `event.rs` and
//! `semaphore.rs`; `condition.rs` builds on the lock, `bounded_semaphore.rs`
//! on the semaphore, `barrier.rs` on the waiter list alone, and
//! `queue/` keeps its orders in `order.rs`. A task that cannot go on joins
//! a line and returns `Poll::Pending`; whoever frees the resource *grants*
//! the oldest waiter and wakes it through its `Waker`. The primitives use
//! nothing of the runtime but `std::task`, so they work with any executor's
//! wakers.
//!
//! # Rules they all follow
//!
//! - **First come, first served.** Waiters are granted in the order they
//!   started waiting (their first poll), and an [`Event`],
//!   [`Condition::notify_all`] or a [`Barrier`] wakes everyone in that
//!   order too.
//! - **Hand-off.** Releasing a lock, a permit, a queue slot or an item while
//!   someone waits gives it to the oldest waiter there and then; it never
//!   becomes free in between. So a task that calls `acquire` or
//!   `try_acquire` (on a lock or a semaphore), `put_nowait` or `get_nowait`
//!   after the release but before the woken task runs cannot barge in and
//!   take it.
//! - **Cancellation is dropping.** Dropping a waiting future takes it out of
//!   line. If it had already been granted and not yet run, the grant goes
//!   to the next waiter (or back to the pool), so nothing is lost; a
//!   notified [`Condition::wait`] passes its notification on the same way.
//!
//! # Why `!Sync`
//!
//! Like asyncio's, these primitives serve tasks on a single thread, so no
//! two of their methods ever run at once and no lock is needed to guard
//! their state: plain `Cell`s and `RefCell`s do, with no atomics. That makes
//! them `!Sync` on purpose. Share one between tasks with an `Rc`, or borrow
//! it from a task that outlives the borrowers.
//!
//! # How they differ from asyncio
//!
//! Each difference is pinned by a test that runs the asyncio program (in
//! its comment) and compares the logs; `tests/condition.rs`,
//! `tests/semaphore.rs`, `tests/barrier.rs` and `tests/queue.rs` hold them.
//!
//! - `Lock` guards a value, like Rust's `Mutex`, and is released by
//!   dropping its [`LockGuard`], not by `release()`; releasing a lock you do
//!   not hold cannot be written, so asyncio's `RuntimeError` has no
//!   counterpart. Permits work the same way through [`SemaphorePermit`];
//!   [`Semaphore::add_permits`] is asyncio's bare `release()`.
//! - Between a lock's release and the moment the waiter it was handed to
//!   runs, [`Lock::locked`] says `true`; asyncio's says `False` (its lock is
//!   free then, though a newcomer still queues behind the woken waiter).
//! - A [`Condition`] is separate from its lock, as `std`'s `Condvar` is
//!   from its `Mutex`: `wait` takes the guard and gives it back. `notify`
//!   does not check that the caller holds the lock (asyncio raises
//!   `RuntimeError`). A waiter cancelled before it was notified wakes
//!   nobody; asyncio's wakes another waiter spuriously, since it cannot
//!   tell.
//! - [`BoundedSemaphore::release`] refuses the release that goes past the
//!   bound, where asyncio refuses the next release that finds the free
//!   count full: a permit returns itself when dropped and cannot fail.
//! - `Barrier::reset` and `abort` are plain methods, not coroutines: asyncio
//!   awaits only an uncontended lock in them.
//! - asyncio's `Queue` wakes a getter or putter and lets it try again, so a
//!   task arriving in between can take the item or slot, and the woken one
//!   goes to the back of the line. Here the item or slot is promised to the
//!   woken task. The price: between a put and the moment its getter runs,
//!   [`Queue::qsize`] counts the item but [`Queue::get_nowait`] cannot take
//!   it; likewise for a slot freed for a waiting putter and
//!   [`Queue::put_nowait`]. A shutdown voids the promises, so from then on
//!   the queue behaves as asyncio's.
//! - `put`, `put_nowait`, `get` and `get_nowait` return a [`PutError`]
//!   (which hands the item back) or a [`GetError`] instead of raising
//!   `QueueFull`, `QueueEmpty` or `QueueShutDown`; `task_done` panics
//!   where asyncio raises `ValueError`. `LifoQueue` and `PriorityQueue`
//!   are [`Queue::lifo`] and [`Queue::priority`].

mod barrier;
mod bounded_semaphore;
mod condition;
mod event;
mod lock;
mod queue;
mod semaphore;
mod waiters;

pub use barrier::{Barrier, BrokenBarrierError};
pub use bounded_semaphore::{BoundedSemaphore, TooManyReleases};
pub use condition::Condition;
pub use event::Event;
pub use lock::{Lock, LockGuard};
pub use queue::{Fifo, GetError, Lifo, LifoQueue, Order, Priority, PriorityQueue, PutError, Queue};
pub use semaphore::{OwnedSemaphorePermit, Semaphore, SemaphorePermit};
