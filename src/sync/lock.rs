//! `Lock<T>`: asyncio's `asyncio.Lock`, shaped like a Rust `Mutex` that
//! guards a value and is released by dropping its guard.
//!
//! A task that finds the lock held parks in the lock's [`WaiterList`] and is
//! woken when the holder's [`LockGuard`] is dropped: the drop hands the lock
//! straight to the oldest waiter instead of unlocking it, so the lock stays
//! locked across the hand-over and nobody can barge in.

use std::cell::{Cell, RefCell, RefMut};
use std::fmt;
use std::ops::{Deref, DerefMut};

use super::waiters::{Waiter, WaiterList};

/// A mutual-exclusion lock for tasks on one thread, guarding a `T`.
///
/// `acquire().await` waits its turn (first come, first served) and returns a
/// [`LockGuard`] that derefs to the value; dropping the guard releases the
/// lock to the next waiter. Holding a guard across an `.await` is the point:
/// that is what a `RefCell` cannot do.
///
/// # Examples
///
/// ```
/// use std::rc::Rc;
/// use corio::sync::Lock;
///
/// corio::run(async {
///     let log = Rc::new(Lock::new(Vec::new()));
///     let mut tasks = Vec::new();
///     for id in 0..3 {
///         let log = Rc::clone(&log);
///         tasks.push(corio::create_task(async move {
///             let mut entries = log.acquire().await;
///             entries.push(id);
///             // Other tasks run during the sleep but cannot touch `entries`.
///             corio::sleep(std::time::Duration::ZERO).await;
///             entries.push(id);
///         }));
///     }
///     for task in tasks {
///         task.await.unwrap();
///     }
///     assert_eq!(*log.acquire().await, [0, 0, 1, 1, 2, 2]);
/// });
/// ```
pub struct Lock<T = ()> {
    /// Whether some task owns the lock: a live guard, or a waiter that has
    /// been granted the lock and not yet run. Stays `true` across a hand-off.
    locked: Cell<bool>,
    /// Tasks waiting for the lock, oldest first.
    waiters: RefCell<WaiterList>,
    /// The guarded value. `locked` already ensures one guard at a time; the
    /// `RefCell` checks it again at run time, which is the price of writing
    /// this without `unsafe`.
    value: RefCell<T>,
}

/// Proof of holding a [`Lock`]: derefs to the guarded value, and releases
/// the lock (to the next waiter, if any) when dropped.
///
/// # Examples
///
/// ```
/// use corio::sync::Lock;
///
/// corio::run(async {
///     let counter = Lock::new(0);
///     {
///         let mut guard = counter.acquire().await;
///         *guard += 1;
///     } // The guard is dropped here, which releases the lock.
///     assert!(!counter.locked());
/// });
/// ```
pub struct LockGuard<'a, T> {
    // Field order matters: Rust drops fields top to bottom, so the borrow of
    // the value ends before `_release` hands the lock to the next task.
    value: RefMut<'a, T>,
    /// Releases the lock when dropped.
    _release: Release<'a, T>,
}

/// Releases its lock on drop; the part of a [`LockGuard`] with a destructor.
struct Release<'a, T> {
    lock: &'a Lock<T>,
}

impl<T> Lock<T> {
    /// Creates an unlocked lock guarding `value`.
    pub fn new(value: T) -> Lock<T> {
        Lock { locked: Cell::new(false), waiters: RefCell::new(WaiterList::new()), value: RefCell::new(value) }
    }

    /// Waits until the lock is this task's, then returns a guard (asyncio's
    /// `async with lock`; the lock is released when the guard drops).
    ///
    /// Waiters are served in the order they called `acquire`. Dropping the
    /// returned future before it completes (cancelling it) gives up its
    /// place, and if the lock had already been handed to it, hands the lock
    /// on to the next waiter.
    #[doc(alias = "lock")]
    pub async fn acquire(&self) -> LockGuard<'_, T> {
        if self.locked.get() {
            // Held: join the line. When this returns, the releasing guard has
            // already handed the lock to us and left `locked` set.
            Waiter::new(&self.waiters, || self.release()).await;
        } else {
            // Free, and by the hand-off rule free means nobody is waiting
            // (a release with waiters never clears `locked`).
            debug_assert!(self.waiters.borrow().is_empty());
            self.locked.set(true);
        }
        self.guard()
    }

    /// Takes the lock if it is free and nobody is waiting, without waiting
    /// (asyncio has no name for this; it is [`acquire`](Lock::acquire)'s
    /// `try_` form).
    ///
    /// Returns `None` while the lock is held, including while it has been
    /// handed to a waiter that has not run yet.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::sync::Lock;
    ///
    /// let lock = Lock::new(1);
    /// let guard = lock.try_acquire().unwrap();
    /// assert!(lock.try_acquire().is_none());
    /// drop(guard);
    /// assert!(lock.try_acquire().is_some());
    /// ```
    #[doc(alias = "try_lock")]
    pub fn try_acquire(&self) -> Option<LockGuard<'_, T>> {
        if self.locked.get() || !self.waiters.borrow().is_empty() {
            return None;
        }
        self.locked.set(true);
        Some(self.guard())
    }

    /// Returns `true` if some task holds the lock or has been handed it
    /// (asyncio's `Lock.locked()`).
    #[doc(alias = "is_locked")]
    pub fn locked(&self) -> bool {
        self.locked.get()
    }

    /// Consumes the lock and returns the value. Taking `self` by value
    /// proves no guard or waiter is left.
    pub fn into_inner(self) -> T {
        self.value.into_inner()
    }

    /// Builds a guard for a lock that this task now owns.
    fn guard(&self) -> LockGuard<'_, T> {
        LockGuard { value: self.value.borrow_mut(), _release: Release { lock: self } }
    }

    /// Gives the lock to the oldest waiter, or unlocks it if nobody waits.
    /// Runs when a guard drops, and when a waiter that was handed the lock
    /// is dropped before it could use it.
    fn release(&self) {
        let next = self.waiters.borrow_mut().grant_front();
        match next {
            // Hand-off: `locked` stays `true`; the lock is the waiter's now.
            // We wake it only after the borrow above has ended.
            Some(waker) => waker.wake(),
            None => self.locked.set(false),
        }
    }
}

impl<T: Default> Default for Lock<T> {
    /// Creates an unlocked lock guarding `T::default()`.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::sync::Lock;
    ///
    /// let lock: Lock<u32> = Lock::default();
    /// assert_eq!(lock.into_inner(), 0);
    /// ```
    fn default() -> Lock<T> {
        Lock::new(T::default())
    }
}

impl<T: fmt::Debug> fmt::Debug for Lock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = f.debug_struct("Lock");
        // Show the value only if we can without disturbing a holder.
        match self.value.try_borrow() {
            Ok(value) if !self.locked.get() => out.field("value", &*value),
            _ => out.field("value", &format_args!("<locked>")),
        };
        out.finish()
    }
}

impl<'a, T> LockGuard<'a, T> {
    /// Returns the lock this guard holds, so a
    /// [`Condition`](super::Condition) can release it and take it again.
    /// An associated function, not a method, so that it cannot shadow a
    /// method of `T` reached through `Deref`.
    pub(crate) fn lock(this: &LockGuard<'a, T>) -> &'a Lock<T> {
        this._release.lock
    }
}

impl<T> Deref for LockGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T> DerefMut for LockGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.value
    }
}

impl<T: fmt::Debug> fmt::Debug for LockGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.value, f)
    }
}

impl<T> Drop for Release<'_, T> {
    fn drop(&mut self) {
        self.lock.release();
    }
}

#[cfg(test)]
mod tests {
    use super::super::waiters::wake_log::{WakeLog, poll_with};
    use super::*;
    use std::pin::pin;
    use std::task::Poll;

    #[test]
    fn lock_on_a_free_lock_is_ready_at_once() {
        let log = WakeLog::new();
        let lock = Lock::new(1);
        {
            let Poll::Ready(mut guard) = poll_with(pin!(lock.acquire()), &log.waker(1)) else {
                panic!("a free lock must not make us wait");
            };
            *guard += 1;
            assert!(lock.locked());
        }
        assert!(!lock.locked());
        assert_eq!(lock.into_inner(), 2);
        assert!(log.take().is_empty());
    }

    #[test]
    fn waiters_are_granted_the_lock_in_arrival_order() {
        let log = WakeLog::new();
        let lock = Lock::new(Vec::new());
        let holder = lock.try_acquire().unwrap();
        let mut a = pin!(lock.acquire());
        let mut b = pin!(lock.acquire());
        let mut c = pin!(lock.acquire());
        assert!(poll_with(a.as_mut(), &log.waker(1)).is_pending());
        assert!(poll_with(b.as_mut(), &log.waker(2)).is_pending());
        assert!(poll_with(c.as_mut(), &log.waker(3)).is_pending());
        assert!(log.take().is_empty());

        drop(holder);
        assert_eq!(log.take(), [1]);
        let Poll::Ready(mut guard) = poll_with(a, &log.waker(1)) else {
            panic!("the first waiter was granted the lock");
        };
        guard.push('a');
        // The others are still parked: a release wakes one waiter, not all.
        assert!(poll_with(c.as_mut(), &log.waker(3)).is_pending());
        drop(guard);
        assert_eq!(log.take(), [2]);
        let Poll::Ready(mut guard) = poll_with(b, &log.waker(2)) else {
            panic!("the second waiter was granted the lock");
        };
        guard.push('b');
        drop(guard);
        assert_eq!(log.take(), [3]);
        let Poll::Ready(guard) = poll_with(c, &log.waker(3)) else {
            panic!("the third waiter was granted the lock");
        };
        assert_eq!(*guard, ['a', 'b']);
    }

    #[test]
    fn release_hands_the_lock_to_the_waiter_so_try_lock_cannot_barge() {
        let log = WakeLog::new();
        let lock = Lock::new(());
        let holder = lock.try_acquire().unwrap();
        let mut waiter = pin!(lock.acquire());
        assert!(poll_with(waiter.as_mut(), &log.waker(1)).is_pending());

        drop(holder);
        // The waiter has been woken but has not run; the lock is already its.
        assert_eq!(log.take(), [1]);
        assert!(lock.locked());
        assert!(lock.try_acquire().is_none());
        // A newcomer calling `acquire()` must queue behind it, too.
        let mut newcomer = pin!(lock.acquire());
        assert!(poll_with(newcomer.as_mut(), &log.waker(2)).is_pending());

        assert!(poll_with(waiter, &log.waker(1)).is_ready());
    }

    #[test]
    fn try_lock_fails_while_anyone_is_waiting() {
        let log = WakeLog::new();
        let lock = Lock::new(());
        let holder = lock.try_acquire().unwrap();
        let mut waiter = pin!(lock.acquire());
        assert!(poll_with(waiter.as_mut(), &log.waker(1)).is_pending());
        assert!(lock.try_acquire().is_none());
        drop(holder);
    }

    #[test]
    fn a_cancelled_queued_waiter_is_skipped() {
        let log = WakeLog::new();
        let lock = Lock::new(());
        let holder = lock.try_acquire().unwrap();
        let mut first = Box::pin(lock.acquire());
        let mut second = pin!(lock.acquire());
        assert!(poll_with(first.as_mut(), &log.waker(1)).is_pending());
        assert!(poll_with(second.as_mut(), &log.waker(2)).is_pending());

        drop(first);
        drop(holder);
        assert_eq!(log.take(), [2]);
        assert!(poll_with(second, &log.waker(2)).is_ready());
    }

    #[test]
    fn a_granted_waiter_dropped_before_running_passes_the_lock_on() {
        let log = WakeLog::new();
        let lock = Lock::new(());
        let holder = lock.try_acquire().unwrap();
        let mut first = Box::pin(lock.acquire());
        let mut second = pin!(lock.acquire());
        assert!(poll_with(first.as_mut(), &log.waker(1)).is_pending());
        assert!(poll_with(second.as_mut(), &log.waker(2)).is_pending());

        drop(holder);
        assert_eq!(log.take(), [1]);
        drop(first);
        assert_eq!(log.take(), [2], "the grant moved on to the next waiter");
        let Poll::Ready(guard) = poll_with(second, &log.waker(2)) else {
            panic!("the second waiter now owns the lock");
        };
        drop(guard);
        assert!(!lock.locked());
    }

    #[test]
    fn a_granted_waiter_dropped_with_nobody_behind_it_unlocks() {
        let log = WakeLog::new();
        let lock = Lock::new(());
        let holder = lock.try_acquire().unwrap();
        let mut waiter = Box::pin(lock.acquire());
        assert!(poll_with(waiter.as_mut(), &log.waker(1)).is_pending());
        drop(holder);
        assert!(lock.locked());
        drop(waiter);
        assert!(!lock.locked());
        assert!(lock.try_acquire().is_some());
    }

    #[test]
    fn the_waker_from_the_latest_poll_is_the_one_woken() {
        let log = WakeLog::new();
        let lock = Lock::new(());
        let holder = lock.try_acquire().unwrap();
        let mut waiter = pin!(lock.acquire());
        assert!(poll_with(waiter.as_mut(), &log.waker(1)).is_pending());
        // A spurious poll with a new waker keeps the waiter in line.
        assert!(poll_with(waiter.as_mut(), &log.waker(2)).is_pending());
        drop(holder);
        assert_eq!(log.take(), [2]);
        assert!(poll_with(waiter, &log.waker(2)).is_ready());
    }
}
