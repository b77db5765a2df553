//! `Condition`: asyncio's `asyncio.Condition`, a line of tasks waiting to be
//! told that something guarded by a [`Lock`](super::Lock) has changed.
//!
//! A task holding the lock calls [`Condition::wait`]: that releases the lock,
//! parks the task in the condition's [`WaiterList`], and once another task
//! has called [`notify`](Condition::notify), takes the lock again before
//! returning. So a woken task goes to the back of the *lock's* line, behind
//! anyone already waiting for the lock, exactly as asyncio's `wait` does
//! with its `await self.acquire()`.
//!
//! Like [`Event::set`](super::Event::set), a notification grants waiters in
//! the order they started waiting; unlike an event, it grants only the `n`
//! oldest, and a notification that finds nobody waiting is lost.

use std::cell::RefCell;
use std::fmt;

use super::lock::LockGuard;
use super::waiters::{Waiter, WaiterList};

/// A condition variable for tasks on one thread, used with a [`Lock`](super::Lock).
///
/// asyncio's `Condition(lock)` owns its lock and takes `async with cond`;
/// here the condition and the lock are separate values, as `std`'s
/// `Condvar` and `Mutex` are: hold the lock's guard, and hand it to
/// [`wait`](Condition::wait), which gives it back once notified. One lock may
/// serve several conditions (a queue's "not empty" and "not full").
///
/// # Examples
///
/// ```
/// use std::rc::Rc;
/// use corio::sync::{Condition, Lock};
///
/// corio::run(async {
///     let jobs = Rc::new((Lock::new(Vec::new()), Condition::new()));
///     let worker = corio::create_task({
///         let jobs = Rc::clone(&jobs);
///         async move {
///             let (lock, ready) = &*jobs;
///             let guard = lock.acquire().await;
///             // Releases the lock while waiting; holds it again on return.
///             let mut queued = ready.wait_for(guard, |queued| !queued.is_empty()).await;
///             queued.pop()
///         }
///     });
///     let (lock, ready) = &*jobs;
///     lock.acquire().await.push("job");
///     ready.notify(1);
///     assert_eq!(worker.await.unwrap(), Some("job"));
/// });
/// ```
#[derive(Default)]
pub struct Condition {
    /// Tasks waiting to be notified, oldest first. A notified task leaves
    /// this line before it takes the lock again.
    waiters: RefCell<WaiterList>,
}

/// Passes a notification on if dropped: armed while a notified
/// [`Condition::wait`] waits for its lock, so that cancelling it there does
/// not swallow the notification (asyncio's `wait` notifies another task when
/// it is cancelled after being woken, for the same reason).
struct PassOn<'a> {
    /// The condition whose next waiter gets the notification.
    condition: &'a Condition,
}

impl Condition {
    /// Creates a condition with nobody waiting.
    pub fn new() -> Condition {
        Condition::default()
    }

    /// Releases the lock `guard` holds, waits until notified, then takes the
    /// lock again and returns the new guard.
    ///
    /// Waiters are notified in the order they called `wait`. A notified
    /// waiter queues for the lock behind everyone already waiting for it,
    /// so it returns only once the notifier (and they) have released it.
    ///
    /// Dropping the returned future (cancelling the wait) leaves the line;
    /// if the task had already been notified, the notification passes to
    /// the next waiter, so it is never lost. The guard was given up at the
    /// first poll and is not returned, so the lock stays released.
    ///
    /// As with asyncio's and every condition variable, a return means
    /// "look again", not "the state is what you want":
    /// [`wait_for`](Condition::wait_for) does the looking.
    pub async fn wait<'a, T>(&self, guard: LockGuard<'a, T>) -> LockGuard<'a, T> {
        let lock = LockGuard::lock(&guard);
        drop(guard);
        // If we are dropped after a notification granted us but before we
        // ran, pass it to the next waiter instead.
        Waiter::new(&self.waiters, || self.notify(1)).await;
        // Notified. From here until we hold the lock, a cancellation would
        // swallow the notification, so `pass_on` hands it on if dropped.
        let pass_on = PassOn { condition: self };
        let guard = lock.acquire().await;
        // Disarm: we hold the lock, the notification is used. `PassOn` owns
        // nothing but a reference, so forgetting it leaks nothing.
        std::mem::forget(pass_on);
        guard
    }

    /// Waits until `predicate` returns `true` for the guarded value, and
    /// returns the guard; returns at once if it already does.
    ///
    /// The predicate is called with the lock held: once at the start and
    /// once after every wake-up, as asyncio's `wait_for` calls it.
    pub async fn wait_for<'a, T, P>(&self, mut guard: LockGuard<'a, T>, mut predicate: P) -> LockGuard<'a, T>
    where
        P: FnMut(&mut T) -> bool,
    {
        while !predicate(&mut guard) {
            guard = self.wait(guard).await;
        }
        guard
    }

    /// Wakes the `n` oldest waiting tasks, or all of them if fewer wait.
    ///
    /// asyncio's `notify(n=1)`. asyncio raises `RuntimeError` unless the
    /// caller holds the lock; here any task may notify, as with `std`'s
    /// `Condvar`: on one thread there is no race for the lock to prevent.
    /// Hold the lock anyway when the change it announces is made under it.
    #[doc(alias = "notify_one")]
    pub fn notify(&self, n: usize) {
        let mut wakers = Vec::new();
        {
            let mut waiters = self.waiters.borrow_mut();
            while wakers.len() < n {
                match waiters.grant_front() {
                    Some(waker) => wakers.push(waker),
                    None => break,
                }
            }
        }
        // The borrow has ended; wake oldest first, so they run in that order.
        for waker in wakers {
            waker.wake();
        }
    }

    /// Wakes every waiting task, oldest first.
    pub fn notify_all(&self) {
        let wakers = self.waiters.borrow_mut().grant_all();
        for waker in wakers {
            waker.wake();
        }
    }
}

impl Drop for PassOn<'_> {
    fn drop(&mut self) {
        self.condition.notify(1);
    }
}

impl fmt::Debug for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Condition").field("waiting", &!self.waiters.borrow().is_empty()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::super::Lock;
    use super::super::waiters::wake_log::{WakeLog, poll_with};
    use super::*;
    use std::pin::pin;
    use std::task::Poll;

    #[test]
    fn wait_releases_the_lock_and_takes_it_again_after_notify() {
        let log = WakeLog::new();
        let lock = Lock::new(0);
        let condition = Condition::new();
        let mut waiter = pin!(condition.wait(lock.try_acquire().unwrap()));
        assert!(poll_with(waiter.as_mut(), &log.waker(1)).is_pending());
        assert!(!lock.locked(), "wait released the lock");

        let mut notifier = lock.try_acquire().unwrap();
        *notifier = 7;
        condition.notify(1);
        assert_eq!(log.take(), [1]);
        // Woken, but the notifier still holds the lock: the waiter queues for it.
        assert!(poll_with(waiter.as_mut(), &log.waker(1)).is_pending());
        drop(notifier);
        assert_eq!(log.take(), [1]);
        let Poll::Ready(guard) = poll_with(waiter, &log.waker(1)) else {
            panic!("the lock was handed to the notified waiter");
        };
        assert_eq!(*guard, 7);
    }

    #[test]
    fn notify_wakes_the_n_oldest_and_notify_all_the_rest() {
        let log = WakeLog::new();
        let lock = Lock::new(());
        let condition = Condition::new();
        let mut waiters = Vec::new();
        for id in 0..4 {
            // Each first poll releases the lock the next one takes.
            let mut waiter = Box::pin(condition.wait(lock.try_acquire().unwrap()));
            assert!(poll_with(waiter.as_mut(), &log.waker(id)).is_pending());
            waiters.push(waiter);
        }
        condition.notify(0);
        assert!(log.take().is_empty());
        condition.notify(2);
        assert_eq!(log.take(), [0, 1]);
        condition.notify_all();
        assert_eq!(log.take(), [2, 3]);
        condition.notify(1);
        assert!(log.take().is_empty(), "a notification with nobody waiting is lost");
    }

    #[test]
    fn a_notified_waiter_dropped_before_running_passes_the_notification_on() {
        let log = WakeLog::new();
        let lock = Lock::new(());
        let condition = Condition::new();
        let mut first = Box::pin(condition.wait(lock.try_acquire().unwrap()));
        assert!(poll_with(first.as_mut(), &log.waker(1)).is_pending());
        let mut second = pin!(condition.wait(lock.try_acquire().unwrap()));
        assert!(poll_with(second.as_mut(), &log.waker(2)).is_pending());

        condition.notify(1);
        assert_eq!(log.take(), [1]);
        drop(first);
        assert_eq!(log.take(), [2]);
        assert!(poll_with(second, &log.waker(2)).is_ready());
    }

    #[test]
    fn a_notified_waiter_dropped_while_waiting_for_the_lock_passes_the_notification_on() {
        let log = WakeLog::new();
        let lock = Lock::new(());
        let condition = Condition::new();
        let mut first = Box::pin(condition.wait(lock.try_acquire().unwrap()));
        assert!(poll_with(first.as_mut(), &log.waker(1)).is_pending());
        let mut second = pin!(condition.wait(lock.try_acquire().unwrap()));
        assert!(poll_with(second.as_mut(), &log.waker(2)).is_pending());

        let held = lock.try_acquire().unwrap();
        condition.notify(1);
        // The first waiter runs, finds the lock held, and queues for it.
        assert!(poll_with(first.as_mut(), &log.waker(1)).is_pending());
        assert_eq!(log.take(), [1]);
        drop(first);
        assert_eq!(log.take(), [2], "the notification moved to the second waiter");
        drop(held);
        assert!(poll_with(second, &log.waker(2)).is_ready());
        assert!(!lock.locked());
    }

    #[test]
    fn a_queued_waiter_dropped_before_any_notify_takes_nothing_with_it() {
        let log = WakeLog::new();
        let lock = Lock::new(());
        let condition = Condition::new();
        let mut gone = Box::pin(condition.wait(lock.try_acquire().unwrap()));
        assert!(poll_with(gone.as_mut(), &log.waker(1)).is_pending());
        let mut stays = pin!(condition.wait(lock.try_acquire().unwrap()));
        assert!(poll_with(stays.as_mut(), &log.waker(2)).is_pending());
        drop(gone);
        assert!(log.take().is_empty(), "no spurious wake-up");
        condition.notify(1);
        assert_eq!(log.take(), [2]);
        assert!(poll_with(stays, &log.waker(2)).is_ready());
    }
}
