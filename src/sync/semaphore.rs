//! `Semaphore`: asyncio's `asyncio.Semaphore`, a count of permits that tasks
//! take and give back, used to bound how many do something at once.
//!
//! A task that finds no permit parks in the semaphore's [`WaiterList`]. When
//! a permit is returned (a [`SemaphorePermit`] drops, or
//! [`Semaphore::add_permits`] runs) and someone is waiting, the permit goes
//! straight to the oldest waiter and never passes through the free count, so
//! a task arriving in between finds none.
//!
//! As in asyncio 3.13, a newcomer also waits while a waiter that was granted
//! a permit has not run yet, even if another permit is free by then
//! ([`Semaphore::locked`] says so); when the granted waiter runs, it lets in
//! as many of those behind it as there are free permits.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::rc::Rc;

use super::waiters::{Waiter, WaiterList};

/// A pool of permits handed out first come, first served.
///
/// # Examples
///
/// ```
/// use std::rc::Rc;
/// use std::time::Duration;
/// use corio::sync::Semaphore;
///
/// corio::run(async {
///     // At most two downloads at a time.
///     let limit = Rc::new(Semaphore::new(2));
///     let mut tasks = Vec::new();
///     for page in 0..5 {
///         let limit = Rc::clone(&limit);
///         tasks.push(corio::create_task(async move {
///             let _permit = limit.acquire().await;
///             corio::sleep(Duration::from_millis(10)).await; // "download"
///             page
///         }));
///     }
///     for task in tasks {
///         task.await.unwrap();
///     }
///     assert_eq!(limit.available_permits(), 2);
/// });
/// ```
pub struct Semaphore {
    /// Permits free to take now. A returned permit goes to the oldest
    /// queued waiter instead of into this count, so it is nonzero while
    /// someone is queued only until a granted waiter runs and lets them in.
    permits: Cell<usize>,
    /// Tasks waiting for a permit, oldest first, and granted waiters that
    /// have not run yet.
    waiters: RefCell<WaiterList>,
    /// Permits taken and then forgotten, which a bare release
    /// ([`add_permits`](Semaphore::add_permits)) may give back: what
    /// [`BoundedSemaphore`](super::BoundedSemaphore) checks a release against.
    forgotten: Cell<usize>,
}

/// One permit from a [`Semaphore`], returned to it when dropped.
#[derive(Debug)]
pub struct SemaphorePermit<'a> {
    /// The semaphore this permit goes back to.
    semaphore: &'a Semaphore,
}

/// One permit from a semaphore held in an `Rc`, so it can move into a
/// `'static` task; returned to the semaphore when dropped.
///
/// # Examples
///
/// ```
/// use std::rc::Rc;
/// use corio::sync::Semaphore;
///
/// corio::run(async {
///     let limit = Rc::new(Semaphore::new(1));
///     let permit = limit.acquire_owned().await;
///     let worker = corio::create_task(async move {
///         let _permit = permit; // Held until this task ends.
///     });
///     worker.await.unwrap();
///     assert_eq!(limit.available_permits(), 1);
/// });
/// ```
#[derive(Debug)]
pub struct OwnedSemaphorePermit {
    /// The semaphore this permit goes back to; `None` once forgotten.
    semaphore: Option<Rc<Semaphore>>,
}

impl Semaphore {
    /// Creates a semaphore holding `permits` free permits.
    pub fn new(permits: usize) -> Semaphore {
        Semaphore { permits: Cell::new(permits), waiters: RefCell::new(WaiterList::new()), forgotten: Cell::new(0) }
    }

    /// Waits for a permit and returns it.
    ///
    /// Waiters are served in the order they called `acquire`. Dropping the
    /// returned future before it completes gives up its place, and if a
    /// permit had already been handed to it, passes the permit on.
    pub async fn acquire(&self) -> SemaphorePermit<'_> {
        if !self.take_free_permit() {
            // None free, or others are ahead of us: join the line. When this
            // returns, a releasing permit has already been handed to us.
            Waiter::new(&self.waiters, || self.release()).await;
            // Permits freed while we were granted but had not run went to
            // nobody (asyncio's FIFO rule kept newcomers queued behind us);
            // let in as many of them as there are free permits.
            self.grant_while_free();
        }
        SemaphorePermit { semaphore: self }
    }

    /// Waits for a permit that holds an `Rc` of the semaphore instead of a
    /// borrow, so it can be moved into a task made with `corio::create_task`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    /// use std::time::Duration;
    /// use corio::sync::Semaphore;
    ///
    /// corio::run(async {
    ///     // A crawler: the loop stops spawning while two fetches are running.
    ///     let limit = Rc::new(Semaphore::new(2));
    ///     let mut fetches = Vec::new();
    ///     for url in ["/a", "/b", "/c"] {
    ///         let permit = limit.acquire_owned().await;
    ///         fetches.push(corio::create_task(async move {
    ///             corio::sleep(Duration::from_millis(10)).await; // "fetch"
    ///             drop(permit);
    ///             url.len()
    ///         }));
    ///     }
    ///     for fetch in fetches {
    ///         fetch.await.unwrap();
    ///     }
    /// });
    /// ```
    pub async fn acquire_owned(self: &Rc<Self>) -> OwnedSemaphorePermit {
        // Borrow a permit, then trade it for an owned one. No `.await` lies
        // between the two, so a cancellation cannot lose the permit. Not
        // `forget()`: the permit is not forgotten, it moves into the new one.
        std::mem::forget(self.acquire().await);
        OwnedSemaphorePermit { semaphore: Some(Rc::clone(self)) }
    }

    /// Takes a permit without waiting, if [`locked`](Semaphore::locked)
    /// says one can be taken: one is free and nobody is in line.
    pub fn try_acquire(&self) -> Option<SemaphorePermit<'_>> {
        if self.take_free_permit() { Some(SemaphorePermit { semaphore: self }) } else { None }
    }

    /// Returns the number of permits free to take now. Permits handed to a
    /// waiter that has not run yet are not free, and while such a waiter
    /// exists a free permit can be taken only by those queued behind it
    /// (see [`locked`](Semaphore::locked)).
    pub fn available_permits(&self) -> usize {
        self.permits.get()
    }

    /// Returns `true` if a permit cannot be taken without waiting
    /// (asyncio's `Semaphore.locked()`): none is free, or others are in
    /// line, counting a waiter that was granted a permit and has not run
    /// yet, as asyncio 3.13 does.
    ///
    /// ```
    /// use corio::sync::Semaphore;
    ///
    /// let semaphore = Semaphore::new(1);
    /// let permit = semaphore.try_acquire();
    /// assert!(semaphore.locked());
    /// drop(permit);
    /// assert!(!semaphore.locked());
    /// ```
    #[doc(alias = "is_locked")]
    pub fn locked(&self) -> bool {
        self.permits.get() == 0 || !self.waiters.borrow().is_idle()
    }

    /// Adds `n` permits: the oldest waiters get one each first, and the
    /// rest become free. `add_permits(1)` is asyncio's bare `release()` (a
    /// release without an `acquire()`); dropping a permit is the paired one.
    #[doc(alias = "release")]
    pub fn add_permits(&self, n: usize) {
        self.permits.set(self.permits.get() + n);
        self.grant_while_free();
        // A bare release gives back a forgotten permit, if there is one.
        self.forgotten.set(self.forgotten.get().saturating_sub(n));
    }

    /// Takes a free permit if [`locked`](Semaphore::locked) says one can be
    /// taken without waiting.
    fn take_free_permit(&self) -> bool {
        if self.locked() {
            return false;
        }
        self.permits.set(self.permits.get() - 1);
        true
    }

    /// Returns one permit: to the oldest waiter if there is one (hand-off),
    /// otherwise to the free count. Runs when a permit drops, and when a
    /// waiter that was handed a permit is dropped before it could use it.
    fn release(&self) {
        self.permits.set(self.permits.get() + 1);
        self.grant_while_free();
    }

    /// Hands free permits to the oldest queued waiters, one each, until
    /// either runs out (asyncio's `_wake_up_next` in a loop).
    fn grant_while_free(&self) {
        let mut wakers = Vec::new();
        {
            let mut waiters = self.waiters.borrow_mut();
            while self.permits.get() > 0 {
                let Some(waker) = waiters.grant_front_live() else { break };
                self.permits.set(self.permits.get() - 1);
                wakers.push(waker);
            }
        }
        // Bookkeeping is done and the borrow has ended: now wake, oldest first.
        for waker in wakers {
            waker.wake();
        }
    }

    /// Returns the number of permits taken and then forgotten that no bare
    /// release has given back yet.
    pub(crate) fn forgotten(&self) -> usize {
        self.forgotten.get()
    }
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Semaphore")
            .field("permits", &self.permits.get())
            .field("waiting", &!self.waiters.borrow().is_empty())
            .finish()
    }
}

impl SemaphorePermit<'_> {
    /// Consumes the permit without returning it, so the semaphore has one
    /// permit fewer for good.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::sync::Semaphore;
    ///
    /// let semaphore = Semaphore::new(2);
    /// semaphore.try_acquire().unwrap().forget();
    /// assert_eq!(semaphore.available_permits(), 1);
    /// ```
    pub fn forget(self) {
        let semaphore = self.semaphore;
        semaphore.forgotten.set(semaphore.forgotten.get() + 1);
        // The permit holds only a borrow, so skipping its destructor leaks
        // nothing but the permit itself, which is what we want.
        std::mem::forget(self);
    }
}

impl Drop for SemaphorePermit<'_> {
    fn drop(&mut self) {
        self.semaphore.release();
    }
}

impl OwnedSemaphorePermit {
    /// Consumes the permit without returning it, so the semaphore has one
    /// permit fewer for good.
    pub fn forget(mut self) {
        // Drop our `Rc` now (unlike `mem::forget`, which would leak it) and
        // leave `None`, which tells `drop` there is nothing to return.
        if let Some(semaphore) = self.semaphore.take() {
            semaphore.forgotten.set(semaphore.forgotten.get() + 1);
        }
    }
}

impl Drop for OwnedSemaphorePermit {
    fn drop(&mut self) {
        if let Some(semaphore) = self.semaphore.take() {
            semaphore.release();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::waiters::wake_log::{WakeLog, poll_with};
    use super::*;
    use std::pin::pin;
    use std::task::Poll;

    #[test]
    fn acquire_takes_free_permits_without_waiting() {
        let log = WakeLog::new();
        let semaphore = Semaphore::new(2);
        let Poll::Ready(first) = poll_with(pin!(semaphore.acquire()), &log.waker(1)) else {
            panic!("a permit was free");
        };
        let Poll::Ready(second) = poll_with(pin!(semaphore.acquire()), &log.waker(2)) else {
            panic!("a permit was free");
        };
        assert_eq!(semaphore.available_permits(), 0);
        assert!(poll_with(pin!(semaphore.acquire()), &log.waker(3)).is_pending());
        drop((first, second));
        assert_eq!(semaphore.available_permits(), 2);
        assert!(log.take().is_empty());
    }

    #[test]
    fn waiters_are_granted_permits_in_arrival_order() {
        let log = WakeLog::new();
        let semaphore = Semaphore::new(1);
        let held = semaphore.try_acquire().unwrap();
        let mut waiters: Vec<_> = (0..3).map(|_| Box::pin(semaphore.acquire())).collect();
        for (id, waiter) in waiters.iter_mut().enumerate() {
            assert!(poll_with(waiter.as_mut(), &log.waker(id)).is_pending());
        }

        drop(held);
        assert_eq!(log.take(), [0]);
        let Poll::Ready(permit) = poll_with(waiters[0].as_mut(), &log.waker(0)) else {
            panic!("waiter 0 was granted a permit");
        };
        drop(permit);
        assert_eq!(log.take(), [1]);
        let Poll::Ready(permit) = poll_with(waiters[1].as_mut(), &log.waker(1)) else {
            panic!("waiter 1 was granted a permit");
        };
        drop(permit);
        assert_eq!(log.take(), [2]);
        assert!(poll_with(waiters[2].as_mut(), &log.waker(2)).is_ready());
        assert_eq!(semaphore.available_permits(), 1);
    }

    #[test]
    fn a_released_permit_goes_to_the_waiter_so_try_acquire_cannot_barge() {
        let log = WakeLog::new();
        let semaphore = Semaphore::new(1);
        let held = semaphore.try_acquire().unwrap();
        let mut waiter = pin!(semaphore.acquire());
        assert!(poll_with(waiter.as_mut(), &log.waker(1)).is_pending());

        drop(held);
        assert_eq!(log.take(), [1]);
        assert_eq!(semaphore.available_permits(), 0);
        assert!(semaphore.try_acquire().is_none());
        assert!(poll_with(waiter, &log.waker(1)).is_ready());
    }

    #[test]
    fn a_newcomer_queues_while_a_granted_waiter_has_not_run_and_is_let_in_when_it_does() {
        let log = WakeLog::new();
        let semaphore = Semaphore::new(0);
        let mut granted = pin!(semaphore.acquire());
        assert!(poll_with(granted.as_mut(), &log.waker(1)).is_pending());
        semaphore.add_permits(2);
        assert_eq!(log.take(), [1]);
        assert_eq!(semaphore.available_permits(), 1);
        assert!(semaphore.locked(), "the granted waiter is still in line");
        assert!(semaphore.try_acquire().is_none());
        let mut newcomer = pin!(semaphore.acquire());
        assert!(poll_with(newcomer.as_mut(), &log.waker(2)).is_pending());

        let Poll::Ready(_permit) = poll_with(granted, &log.waker(1)) else {
            panic!("the waiter was granted a permit");
        };
        assert_eq!(log.take(), [2], "the granted waiter let the newcomer in");
        assert_eq!(semaphore.available_permits(), 0);
        assert!(poll_with(newcomer, &log.waker(2)).is_ready());
    }

    #[test]
    fn add_permits_serves_waiters_first_then_adds_the_rest() {
        let log = WakeLog::new();
        let semaphore = Semaphore::new(0);
        let mut a = pin!(semaphore.acquire());
        let mut b = pin!(semaphore.acquire());
        assert!(poll_with(a.as_mut(), &log.waker(1)).is_pending());
        assert!(poll_with(b.as_mut(), &log.waker(2)).is_pending());

        semaphore.add_permits(3);
        assert_eq!(log.take(), [1, 2]);
        assert_eq!(semaphore.available_permits(), 1);
        assert!(poll_with(a, &log.waker(1)).is_ready());
        assert!(poll_with(b, &log.waker(2)).is_ready());
    }

    #[test]
    fn add_permits_with_more_waiters_than_permits_wakes_only_the_oldest() {
        let log = WakeLog::new();
        let semaphore = Semaphore::new(0);
        let mut waiters: Vec<_> = (0..3).map(|_| Box::pin(semaphore.acquire())).collect();
        for (id, waiter) in waiters.iter_mut().enumerate() {
            assert!(poll_with(waiter.as_mut(), &log.waker(id)).is_pending());
        }
        semaphore.add_permits(2);
        assert_eq!(log.take(), [0, 1]);
        assert_eq!(semaphore.available_permits(), 0);
        assert!(poll_with(waiters[2].as_mut(), &log.waker(2)).is_pending());
    }

    #[test]
    fn a_cancelled_queued_waiter_is_skipped() {
        let log = WakeLog::new();
        let semaphore = Semaphore::new(0);
        let mut gone = Box::pin(semaphore.acquire());
        let mut stays = pin!(semaphore.acquire());
        assert!(poll_with(gone.as_mut(), &log.waker(1)).is_pending());
        assert!(poll_with(stays.as_mut(), &log.waker(2)).is_pending());
        drop(gone);
        semaphore.add_permits(1);
        assert_eq!(log.take(), [2]);
        assert!(poll_with(stays, &log.waker(2)).is_ready());
    }

    #[test]
    fn a_granted_waiter_dropped_before_running_passes_the_permit_on() {
        let log = WakeLog::new();
        let semaphore = Semaphore::new(0);
        let mut first = Box::pin(semaphore.acquire());
        let mut second = pin!(semaphore.acquire());
        assert!(poll_with(first.as_mut(), &log.waker(1)).is_pending());
        assert!(poll_with(second.as_mut(), &log.waker(2)).is_pending());

        semaphore.add_permits(1);
        assert_eq!(log.take(), [1]);
        drop(first);
        assert_eq!(log.take(), [2]);
        assert!(poll_with(second, &log.waker(2)).is_ready());
    }

    #[test]
    fn a_granted_waiter_dropped_with_nobody_behind_it_returns_the_permit() {
        let log = WakeLog::new();
        let semaphore = Semaphore::new(0);
        let mut waiter = Box::pin(semaphore.acquire());
        assert!(poll_with(waiter.as_mut(), &log.waker(1)).is_pending());
        semaphore.add_permits(1);
        assert_eq!(semaphore.available_permits(), 0);
        drop(waiter);
        assert_eq!(semaphore.available_permits(), 1);
    }

    #[test]
    fn a_forgotten_permit_is_never_returned() {
        let semaphore = Semaphore::new(2);
        semaphore.try_acquire().unwrap().forget();
        assert_eq!(semaphore.available_permits(), 1);
    }

    #[test]
    fn an_owned_permit_holds_the_semaphore_and_returns_its_permit_on_drop() {
        let log = WakeLog::new();
        let semaphore = Rc::new(Semaphore::new(1));
        let Poll::Ready(permit) = poll_with(pin!(semaphore.acquire_owned()), &log.waker(1)) else {
            panic!("a permit was free");
        };
        assert_eq!(semaphore.available_permits(), 0);
        assert_eq!(Rc::strong_count(&semaphore), 2);

        let mut waiter = pin!(semaphore.acquire_owned());
        assert!(poll_with(waiter.as_mut(), &log.waker(2)).is_pending());
        drop(permit);
        assert_eq!(log.take(), [2], "the owned permit was handed on");
        let Poll::Ready(permit) = poll_with(waiter, &log.waker(2)) else {
            panic!("the waiter was granted the permit");
        };
        permit.forget();
        assert_eq!(semaphore.available_permits(), 0);
        assert_eq!(Rc::strong_count(&semaphore), 1, "forget drops the Rc");
    }

    #[test]
    fn the_waker_from_the_latest_poll_is_the_one_woken() {
        let log = WakeLog::new();
        let semaphore = Semaphore::new(0);
        let mut waiter = pin!(semaphore.acquire());
        assert!(poll_with(waiter.as_mut(), &log.waker(1)).is_pending());
        assert!(poll_with(waiter.as_mut(), &log.waker(2)).is_pending());
        semaphore.add_permits(1);
        assert_eq!(log.take(), [2]);
    }
}
