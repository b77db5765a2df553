//! `Event`: asyncio's `asyncio.Event`, a flag that tasks can wait on.
//!
//! A task that waits on a clear event parks in the event's [`WaiterList`];
//! [`Event::set`] grants every parked task at once and wakes them in the
//! order they started waiting. A granted waiter completes when it next runs,
//! whatever the flag says by then.

use std::cell::{Cell, RefCell};
use std::fmt;

use super::waiters::{Waiter, WaiterList};

/// A flag that starts clear; [`set`](Event::set) wakes everyone waiting for
/// it, and [`wait`](Event::wait) on a set event returns at once.
///
/// # Examples
///
/// ```
/// use std::rc::Rc;
/// use corio::sync::Event;
///
/// corio::run(async {
///     let ready = Rc::new(Event::new());
///     let waiter = corio::create_task({
///         let ready = Rc::clone(&ready);
///         async move {
///             ready.wait().await;
///             "went"
///         }
///     });
///     corio::sleep(std::time::Duration::ZERO).await;
///     ready.set();
///     assert_eq!(waiter.await.unwrap(), "went");
/// });
/// ```
#[derive(Default)]
pub struct Event {
    set: Cell<bool>,
    /// Tasks waiting for the event to be set, oldest first.
    waiters: RefCell<WaiterList>,
}

impl Event {
    /// Creates a clear event.
    pub fn new() -> Event {
        Event::default()
    }

    /// Returns `true` if the event is set.
    pub fn is_set(&self) -> bool {
        self.set.get()
    }

    /// Sets the event and wakes every waiting task, oldest first.
    ///
    /// Each of those tasks will return from [`wait`](Event::wait) even if
    /// the event is cleared again before it runs. Setting an event that is
    /// already set does nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::sync::Event;
    ///
    /// corio::run(async {
    ///     let event = Event::new();
    ///     event.set();
    ///     event.wait().await; // Returns at once.
    /// });
    /// ```
    pub fn set(&self) {
        self.set.set(true);
        let wakers = self.waiters.borrow_mut().grant_all();
        // Wake only now that the borrow has ended; `grant_all` returned the
        // wakers oldest first, so tasks are scheduled in the order they came.
        for waker in wakers {
            waker.wake();
        }
    }

    /// Clears the event, so that later calls to [`wait`](Event::wait) wait.
    pub fn clear(&self) {
        self.set.set(false);
    }

    /// Waits until the event is set; returns at once if it already is.
    ///
    /// Dropping the returned future before it completes removes the task
    /// from the waiters.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    /// use corio::sync::Event;
    ///
    /// corio::run(async {
    ///     let done = Rc::new(Event::new());
    ///     let setter = corio::create_task({
    ///         let done = Rc::clone(&done);
    ///         async move { done.set() }
    ///     });
    ///     done.wait().await;
    ///     assert!(done.is_set());
    ///     setter.await.unwrap();
    /// });
    /// ```
    pub async fn wait(&self) {
        if self.set.get() {
            return;
        }
        // A broadcast has nothing to pass on: a waiter dropped after `set`
        // granted it takes nothing away from the others.
        Waiter::new(&self.waiters, || {}).await;
    }
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Event")
            .field("set", &self.set.get())
            .field("waiting", &!self.waiters.borrow().is_empty())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::super::waiters::wake_log::{WakeLog, poll_with};
    use super::*;
    use std::pin::pin;

    #[test]
    fn wait_on_a_set_event_is_ready_at_once() {
        let log = WakeLog::new();
        let event = Event::new();
        event.set();
        assert!(poll_with(pin!(event.wait()), &log.waker(1)).is_ready());
        assert!(log.take().is_empty());
    }

    #[test]
    fn set_wakes_every_waiter_in_the_order_they_started_waiting() {
        let log = WakeLog::new();
        let event = Event::new();
        let mut waiters: Vec<_> = (0..4).map(|_| Box::pin(event.wait())).collect();
        // Register out of creation order: arrival is the first poll.
        for id in [2, 0, 3, 1] {
            assert!(poll_with(waiters[id].as_mut(), &log.waker(id)).is_pending());
        }
        assert!(log.take().is_empty());

        event.set();
        assert_eq!(log.take(), [2, 0, 3, 1]);
        for (id, waiter) in waiters.iter_mut().enumerate() {
            assert!(poll_with(waiter.as_mut(), &log.waker(id)).is_ready());
        }
    }

    #[test]
    fn a_woken_waiter_returns_even_if_the_event_was_cleared_before_it_ran() {
        let log = WakeLog::new();
        let event = Event::new();
        let mut waiter = pin!(event.wait());
        assert!(poll_with(waiter.as_mut(), &log.waker(1)).is_pending());
        event.set();
        event.clear();
        assert!(poll_with(waiter, &log.waker(1)).is_ready());
        // Someone arriving after the clear waits.
        assert!(poll_with(pin!(event.wait()), &log.waker(2)).is_pending());
    }

    #[test]
    fn setting_twice_wakes_each_waiter_once() {
        let log = WakeLog::new();
        let event = Event::new();
        let mut waiter = pin!(event.wait());
        assert!(poll_with(waiter.as_mut(), &log.waker(1)).is_pending());
        event.set();
        event.clear();
        event.set();
        assert_eq!(log.take(), [1]);
        assert!(poll_with(waiter, &log.waker(1)).is_ready());
    }

    #[test]
    fn a_cancelled_waiter_is_not_woken() {
        let log = WakeLog::new();
        let event = Event::new();
        let mut gone = Box::pin(event.wait());
        let mut stays = pin!(event.wait());
        assert!(poll_with(gone.as_mut(), &log.waker(1)).is_pending());
        assert!(poll_with(stays.as_mut(), &log.waker(2)).is_pending());
        drop(gone);
        event.set();
        assert_eq!(log.take(), [2]);
        assert!(poll_with(stays, &log.waker(2)).is_ready());
    }

    #[test]
    fn the_waker_from_the_latest_poll_is_the_one_woken() {
        let log = WakeLog::new();
        let event = Event::new();
        let mut waiter = pin!(event.wait());
        assert!(poll_with(waiter.as_mut(), &log.waker(1)).is_pending());
        assert!(poll_with(waiter.as_mut(), &log.waker(2)).is_pending());
        event.set();
        assert_eq!(log.take(), [2]);
    }
}
