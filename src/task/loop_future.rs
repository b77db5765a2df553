//! [`LoopFuture`]: asyncio's `Future`, a result that some code sets and any
//! number of tasks await, bound to one loop.
//!
//! It is the task's done list without the task: a slot for the outcome and
//! a list of who to tell (awaiting tasks' wakers and done-callbacks, in
//! the order they asked). Completing it hands that list to the loop
//! (`LoopCore::schedule_done`, the same call that completes a task), so an
//! awaiter resumes, and each callback runs, in the next iteration, exactly
//! as asyncio schedules a future's callbacks with `call_soon`.
//!
//! The entries live here rather than in the engine because their callbacks
//! take the typed future (`&LoopFuture<T>`), which the engine never sees:
//! they become untyped `DoneWaiter`s only when the future completes. Each
//! awaiter has its own entry, found again by its key, since many tasks may
//! await one future.

use std::cell::RefCell;
use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::task::{Context, Poll, Waker};

use crate::error::{InvalidStateError, TaskError};
use crate::event_loop::LoopHandle;
use crate::runtime::context;
use crate::runtime::core::LoopCore;
use crate::runtime::raw_task::{Cancellable, DoneWaiter};
use crate::task::DoneCallbackId;

/// A result that some code sets and any number of tasks await: asyncio's
/// `asyncio.Future`, made by [`create_future`] or
/// [`LoopHandle::create_future`].
///
/// Clones share one future. It belongs to the loop that made it and to
/// that loop's thread (it is neither `Send` nor `Sync`).
///
/// - [`set_result`](LoopFuture::set_result) completes it once; a second
///   time (or after [`cancel`](LoopFuture::cancel)) is an
///   [`InvalidStateError`]. asyncio's `set_exception(e)` is
///   `set_result(Err(e))` on a `LoopFuture<Result<V, E>>`: Rust carries a
///   failure in the value.
/// - Awaiting it yields a clone of the result (`T: Clone`; wrap a value
///   that is not in an `Rc`), or [`TaskError::Cancelled`] once it was
///   cancelled. Any number of tasks may await one future, each getting its
///   own clone, and awaiting a future that is already done returns at once
///   without yielding. An awaiter resumes one iteration after the result is
///   set, as asyncio's done-callbacks do.
/// - `fut.await` (by value) ties the future to the await, as asyncio's
///   cancellation travels into what a task awaits: cancelling the awaiting
///   task cancels the future in the same step, and every other awaiter
///   then sees the cancellation; so does a [`wait_for`](crate::wait_for)
///   or [`timeout`](crate::timeout()) that gives up on it once it waits.
///   `(&fut).await` waits without that tie (asyncio's `shield`).
/// - [`add_done_callback`](LoopFuture::add_done_callback) queues a callback
///   on completion, in one list with the awaiters, in the order they were
///   added.
///
/// ```
/// use std::time::Duration;
/// # corio::run(async {
/// let fut = corio::create_future::<&str>();
/// let waiters: Vec<_> = (0..3).map(|_| corio::create_task(fut.clone())).collect();
/// let setter = fut.clone();
/// corio::get_running_loop().call_later(Duration::from_millis(5), move || {
///     setter.set_result("ready").unwrap();
/// });
/// for waiter in waiters {
///     assert_eq!(waiter.await.unwrap(), Ok("ready"));
/// }
/// assert_eq!(fut.result(), Some(Ok("ready")));
/// # });
/// ```
#[doc(alias = "Future")]
pub struct LoopFuture<T> {
    shared: Rc<Shared<T>>,
}

/// What the clones of one future share.
struct Shared<T> {
    /// The loop that completes it: where its done list goes.
    core: Weak<LoopCore>,
    /// Ourselves, so that `Cancellable::cancel` (which gets `&self`) can
    /// hand callbacks a `LoopFuture`.
    weak_self: Weak<Shared<T>>,
    /// The outcome and the done list. Each borrow ends before anything
    /// that may run foreign code (waking, dropping a callback, cloning `T`
    /// is the one exception: it happens under a shared borrow).
    state: RefCell<State<T>>,
}

/// A future's outcome and its done list.
struct State<T> {
    /// Pending until set or cancelled, then final.
    outcome: Outcome<T>,
    /// Who to tell on completion, in the order they asked; taken (and so
    /// empty for good) when the future completes.
    done: Vec<Entry<T>>,
}

/// The three states of asyncio's future.
enum Outcome<T> {
    /// Neither set nor cancelled.
    Pending,
    /// `set_result` ran.
    Done(T),
    /// `cancel` ran first.
    Cancelled,
}

/// One entry of a future's done list.
enum Entry<T> {
    /// A task awaiting the future, by the key its [`Awaiting`] holds.
    Awaiter { key: u64, waker: Waker },
    /// A done-callback.
    Callback { key: u64, f: DoneCallback<T> },
}

/// A done-callback as the future's list keeps it: it takes the future.
type DoneCallback<T> = Box<dyn FnOnce(&LoopFuture<T>)>;

impl<T> Entry<T> {
    /// The entry's key, unique within the loop.
    fn key(&self) -> u64 {
        match self {
            Entry::Awaiter { key, .. } | Entry::Callback { key, .. } => *key,
        }
    }
}

/// A new future on the running loop, asyncio's `loop.create_future()`.
///
/// # Panics
/// Outside a running loop.
pub fn create_future<T: 'static>() -> LoopFuture<T> {
    LoopFuture::new(&context::current())
}

impl<T: 'static> LoopFuture<T> {
    /// A pending future bound to `core`.
    pub(crate) fn new(core: &Rc<LoopCore>) -> Self {
        let shared = Rc::new_cyclic(|weak_self| Shared {
            core: Rc::downgrade(core),
            weak_self: weak_self.clone(),
            state: RefCell::new(State { outcome: Outcome::Pending, done: Vec::new() }),
        });
        LoopFuture { shared }
    }

    /// Completes the future with `value` (asyncio's `set_result`): every
    /// awaiter resumes, and every done-callback runs, in the next
    /// iteration, in the order they were added.
    ///
    /// # Errors
    /// [`InvalidStateError`], holding `value`, if the future is already
    /// done (set or cancelled).
    pub fn set_result(&self, value: T) -> Result<(), InvalidStateError<T>> {
        match self.shared.complete(Outcome::Done(value)) {
            Ok(()) => Ok(()),
            Err(Outcome::Done(value)) => Err(InvalidStateError(value)),
            Err(_) => unreachable!("complete hands back the outcome it was given"),
        }
    }

    /// Cancels the future (asyncio's `Future.cancel`): awaiters get
    /// [`TaskError::Cancelled`] and done-callbacks run, in the next
    /// iteration. Returns `false` if it was already done.
    pub fn cancel(&self) -> bool {
        self.shared.complete(Outcome::Cancelled).is_ok()
    }

    /// True once the future has a result or was cancelled.
    pub fn done(&self) -> bool {
        !matches!(self.shared.state.borrow().outcome, Outcome::Pending)
    }

    /// True if the future was cancelled.
    pub fn cancelled(&self) -> bool {
        matches!(self.shared.state.borrow().outcome, Outcome::Cancelled)
    }

    /// The outcome without waiting (asyncio's `Future.result()`): `None`
    /// while pending (asyncio raises `InvalidStateError`), a clone of the
    /// result, or [`TaskError::Cancelled`]. Unlike a task's, a future's
    /// result stays in place for every caller.
    pub fn result(&self) -> Option<Result<T, TaskError>>
    where
        T: Clone,
    {
        match &self.shared.state.borrow().outcome {
            Outcome::Pending => None,
            Outcome::Done(value) => Some(Ok(value.clone())),
            Outcome::Cancelled => Some(Err(TaskError::Cancelled)),
        }
    }

    /// Calls `f` with the future once it is done (asyncio's
    /// `add_done_callback`): queued on the loop when the future completes,
    /// or at once, like `call_soon`, if it already has.
    ///
    /// # Panics
    /// If the future's loop is closed.
    pub fn add_done_callback(&self, f: impl FnOnce(&LoopFuture<T>) + 'static) -> DoneCallbackId {
        let core = self.shared.core();
        let key = core.new_callback_key();
        if self.done() {
            let future = self.clone();
            core.call_soon(move || f(&future));
        } else {
            self.shared.state.borrow_mut().done.push(Entry::Callback { key, f: Box::new(f) });
        }
        DoneCallbackId(key)
    }

    /// Removes a done-callback that has not been queued yet; `false` if it
    /// is no longer there (see [`Task::remove_done_callback`](crate::Task::remove_done_callback)).
    pub fn remove_done_callback(&self, id: DoneCallbackId) -> bool {
        self.shared.remove(id.0)
    }

    /// The loop the future belongs to (asyncio's `Future.get_loop()`).
    pub fn get_loop(&self) -> LoopHandle {
        LoopHandle::new(self.shared.core.clone())
    }

    /// An await of this future; `tied` if dropping it early cancels the
    /// future.
    fn awaiting(&self, tied: bool) -> Awaiting<T> {
        Awaiting { future: self.clone(), key: None, tied }
    }
}

impl<T: 'static> Shared<T> {
    /// The future's loop.
    ///
    /// # Panics
    /// If it is closed and gone.
    fn core(&self) -> Rc<LoopCore> {
        self.core.upgrade().expect("event loop is closed")
    }

    /// Makes `outcome` final and hands the done list to the loop; gives
    /// `outcome` back if the future was already done.
    fn complete(&self, outcome: Outcome<T>) -> Result<(), Outcome<T>> {
        let done = {
            let mut state = self.state.borrow_mut();
            if !matches!(state.outcome, Outcome::Pending) {
                return Err(outcome);
            }
            state.outcome = outcome;
            std::mem::take(&mut state.done)
        };
        // With the loop gone nobody can be waiting; the list is just dropped.
        let (Some(core), Some(me)) = (self.core.upgrade(), self.weak_self.upgrade()) else { return Ok(()) };
        let future = LoopFuture { shared: me };
        core.schedule_done(done.into_iter().map(|entry| match entry {
            Entry::Awaiter { waker, .. } => DoneWaiter::Awaiter(waker),
            Entry::Callback { key, f } => {
                let future = future.clone();
                DoneWaiter::Callback { key, f: Box::new(move || f(&future)) }
            }
        }));
        Ok(())
    }

    /// Takes the entry `key` off the done list; `false` if it is not there.
    fn remove(&self, key: u64) -> bool {
        let removed = {
            let mut state = self.state.borrow_mut();
            let index = state.done.iter().position(|entry| entry.key() == key);
            index.map(|index| state.done.remove(index))
        };
        // Dropped after the borrow: a callback's captures may look at us.
        removed.is_some()
    }

    /// Leaves `waker` to be woken on completion under `key` (a fresh key
    /// the first time), updating the entry in place if it holds another
    /// waker. Returns the key.
    fn register(&self, key: Option<u64>, waker: &Waker) -> u64 {
        let mut state = self.state.borrow_mut();
        if let Some(key) = key
            && let Some(Entry::Awaiter { waker: stored, .. }) = state.done.iter_mut().find(|entry| entry.key() == key)
        {
            if stored.will_wake(waker) {
                return key;
            }
            let old = std::mem::replace(stored, waker.clone());
            drop(state);
            drop(old);
            return key;
        }
        drop(state);
        let key = self.core().new_callback_key();
        self.state.borrow_mut().done.push(Entry::Awaiter { key, waker: waker.clone() });
        key
    }
}

/// What a task blocked on this future is cancelled through (`waker::cancel`).
impl<T: 'static> Cancellable for Shared<T> {
    fn cancel(&self) -> bool {
        self.complete(Outcome::Cancelled).is_ok()
    }
}

impl<T> Clone for LoopFuture<T> {
    fn clone(&self) -> Self {
        LoopFuture { shared: self.shared.clone() }
    }
}

impl<T> fmt::Debug for LoopFuture<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.shared.state.borrow().outcome {
            Outcome::Pending => "pending",
            Outcome::Done(_) => "finished",
            Outcome::Cancelled => "cancelled",
        };
        f.debug_struct("LoopFuture").field("state", &state).finish()
    }
}

/// `fut.await`: the await owns a clone, and cancels the future if it is
/// dropped before the future is done.
impl<T: Clone + 'static> IntoFuture for LoopFuture<T> {
    type Output = Result<T, TaskError>;
    type IntoFuture = Awaiting<T>;

    fn into_future(self) -> Awaiting<T> {
        self.awaiting(true)
    }
}

/// `(&fut).await`: wait for the outcome without cancelling the future if
/// the await is dropped (asyncio's `shield`).
impl<T: Clone + 'static> IntoFuture for &LoopFuture<T> {
    type Output = Result<T, TaskError>;
    type IntoFuture = Awaiting<T>;

    fn into_future(self) -> Awaiting<T> {
        self.awaiting(false)
    }
}

/// One await of a [`LoopFuture`]: ready with a clone of the result, or
/// [`TaskError::Cancelled`].
#[must_use = "futures do nothing unless awaited"]
pub struct Awaiting<T: 'static> {
    /// The future awaited.
    future: LoopFuture<T>,
    /// This await's entry on the future's done list, once it has one.
    key: Option<u64>,
    /// Dropping the await before the future is done cancels the future
    /// (made by `fut.await`, not by `(&fut).await`).
    tied: bool,
}

impl<T: Clone + 'static> Future for Awaiting<T> {
    type Output = Result<T, TaskError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if let Some(outcome) = this.future.result() {
            // Completion took the entry off the list with the rest.
            this.key = None;
            return Poll::Ready(outcome);
        }
        let core = context::current();
        if this.key.is_none() {
            // A new awaiter: it must run on the future's loop, the only one
            // that will ever complete it (asyncio raises the same complaint).
            assert!(
                std::ptr::eq(Rc::as_ptr(&core), this.future.shared.core.as_ptr()),
                "awaited a LoopFuture on a loop other than the one it was created on"
            );
        }
        this.key = Some(this.future.shared.register(this.key, cx.waker()));
        if this.tied {
            // The awaiting task is now blocked on this future: cancelling
            // it cancels the future first, in the same step, as in asyncio.
            core.await_future(this.future.shared.clone());
        }
        // Woken through the done list when the future is set or cancelled.
        Poll::Pending
    }
}

impl<T: 'static> Drop for Awaiting<T> {
    fn drop(&mut self) {
        // Only an await that is waiting (polled, and pending) has an entry,
        // and only such an await passes its cancellation on: one dropped
        // before its first poll was never blocked on the future, as a
        // coroutine cancelled before its first step never awaited it.
        let Some(key) = self.key.take() else { return };
        self.future.shared.remove(key);
        if self.tied {
            self.future.cancel();
        }
    }
}

impl<T: 'static> fmt::Debug for Awaiting<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Awaiting").field("future", &self.future).field("tied", &self.tied).finish()
    }
}
