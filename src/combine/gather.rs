//! [`gather`] and [`gather_all`] (and the [`gather!`](crate::gather!) /
//! [`gather_all!`](crate::gather_all!) macros for futures of different
//! types): run futures concurrently as tasks and collect their results in
//! argument order, asyncio's `asyncio.gather`.
//!
//! Each future becomes a task the moment `gather` is called, as in asyncio,
//! so they start running at the caller's next await even before the gather
//! itself is awaited.

use std::future::{Future, IntoFuture, poll_fn};
use std::task::{Context, Poll};

use crate::error::TaskError;
use crate::task::{Task, create_task};

/// Runs every future as a task and returns their outputs in argument order,
/// whatever order they finish in.
///
/// The first failure (a task that panicked or was cancelled), in completion
/// order, is returned at once, and the other tasks keep running, as in
/// asyncio; failures among them later are not reported as unretrieved. If
/// the gather itself is dropped (cancelled) before it finishes, the tasks
/// still running are cancelled too. For every outcome, failures included,
/// use [`gather_all`].
///
/// # Panics
/// Outside a running loop.
///
/// ```
/// use std::time::Duration;
/// # corio::run(async {
/// let slow_first = [30u64, 10, 20].map(|ms| async move {
///     corio::sleep(Duration::from_millis(ms)).await;
///     ms
/// });
/// assert_eq!(corio::gather(slow_first).await, Ok(vec![30, 10, 20]));
/// # });
/// ```
pub fn gather<I>(futures: I) -> impl Future<Output = Result<Vec<<I::Item as IntoFuture>::Output>, TaskError>>
where
    I: IntoIterator,
    I::Item: IntoFuture<IntoFuture: 'static>,
{
    let mut slots = spawn_slots(futures);
    async move {
        poll_fn(|cx| slots.poll_slots(cx, true)).await?;
        Ok(slots.finish().into_iter().map(Slot::into_output).collect())
    }
}

/// Like [`gather`], but waits for every task and returns every outcome, in
/// argument order: asyncio's `gather(..., return_exceptions=True)`.
///
/// # Panics
/// Outside a running loop.
///
/// ```
/// # corio::run(async {
/// let outcomes = corio::gather_all(vec![
///     Box::pin(async { 1 }) as std::pin::Pin<Box<dyn std::future::Future<Output = i32>>>,
///     Box::pin(async { panic!("no") }),
/// ])
/// .await;
/// assert_eq!(outcomes[0], Ok(1));
/// assert!(outcomes[1].as_ref().unwrap_err().is_panic());
/// # });
/// ```
pub fn gather_all<I>(futures: I) -> impl Future<Output = Vec<Result<<I::Item as IntoFuture>::Output, TaskError>>>
where
    I: IntoIterator,
    I::Item: IntoFuture<IntoFuture: 'static>,
{
    let mut slots = spawn_slots(futures);
    async move {
        // With `stop_on_failure` off this only resolves once every slot is in.
        let _ = poll_fn(|cx| slots.poll_slots(cx, false)).await;
        slots.finish().into_iter().map(Slot::into_outcome).collect()
    }
}

/// Spawns every future as a task, each in a slot of one gathering (asyncio's gather
/// schedules its children at call time, not when awaited).
fn spawn_slots<I>(futures: I) -> Gathering<Vec<Slot<<I::Item as IntoFuture>::Output>>>
where
    I: IntoIterator,
    I::Item: IntoFuture<IntoFuture: 'static>,
{
    Gathering::new(futures.into_iter().map(|future| Slot::new(create_task(future))).collect())
}

/// One gathered task and, once it is in, its outcome.
#[doc(hidden)]
pub struct Slot<T> {
    task: Task<T>,
    /// Its outcome, taken as soon as it completes.
    outcome: Option<Result<T, TaskError>>,
}

impl<T> Slot<T> {
    /// A slot waiting on `task`.
    pub fn new(task: Task<T>) -> Self {
        Slot { task, outcome: None }
    }

    /// Polls the task unless its outcome is already in. `Ready(Err)` is a
    /// failure, with the task's place in the loop's completion order, so
    /// that of two failures seen in one poll the earlier can be returned.
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Failure>> {
        if self.outcome.is_none() {
            match self.task.poll_outcome(cx) {
                // The task wakes us when it completes (its join waker).
                Poll::Pending => return Poll::Pending,
                Poll::Ready(outcome) => self.outcome = Some(outcome),
            }
        }
        match &self.outcome {
            Some(Err(error)) => {
                Poll::Ready(Err(Failure { order: self.task.completion_order().unwrap_or(0), error: error.clone() }))
            }
            _ => Poll::Ready(Ok(())),
        }
    }

    /// Lets the task run on without reporting its outcome (a sibling's
    /// failure was already returned).
    fn detach(self) {
        self.task.detach_quietly();
    }

    /// The output of a slot known to have succeeded.
    fn into_output(self) -> T {
        match self.outcome {
            Some(Ok(output)) => output,
            _ => unreachable!("gather only unpacks after every slot succeeded"),
        }
    }

    /// The outcome of a slot known to be in.
    fn into_outcome(self) -> Result<T, TaskError> {
        self.outcome.unwrap_or_else(|| unreachable!("gather_all only unpacks after every slot is in"))
    }
}

/// A failed slot's error and when it failed.
#[doc(hidden)]
pub struct Failure {
    /// The task's place in the loop's completion order.
    order: u64,
    error: TaskError,
}

/// Keeps the failure that happened first.
fn earliest(first: Option<Failure>, next: Failure) -> Option<Failure> {
    match first {
        Some(first) if first.order <= next.order => Some(first),
        _ => Some(next),
    }
}

/// A set of slots: a `Vec` of one type, or a tuple of several (the macros).
#[doc(hidden)]
pub trait Slots {
    /// Polls every slot still waiting. `Ready(Err)` as soon as one failed
    /// (if `stop_on_failure`), `Ready(Ok)` once all are in.
    fn poll_slots(&mut self, cx: &mut Context<'_>, stop_on_failure: bool) -> Poll<Result<(), TaskError>>;

    /// Cancels every task still running (the gather was dropped early).
    fn cancel_running(&self);

    /// Lets every task run on, unreported (the gather returned a failure).
    fn detach(self);
}

impl<T> Slots for Vec<Slot<T>> {
    fn poll_slots(&mut self, cx: &mut Context<'_>, stop_on_failure: bool) -> Poll<Result<(), TaskError>> {
        // A shortcut: every wake polls every slot (cheap for finished ones),
        // O(n) per completion. Per-slot wakers would make it O(1).
        let mut all_in = true;
        let mut failure = None;
        for slot in self.iter_mut() {
            match slot.poll(cx) {
                Poll::Ready(Err(next)) => failure = earliest(failure, next),
                Poll::Ready(Ok(())) => {}
                Poll::Pending => all_in = false,
            }
        }
        finish_poll(all_in, failure, stop_on_failure)
    }

    fn cancel_running(&self) {
        for slot in self {
            slot.task.cancel();
        }
    }

    fn detach(self) {
        self.into_iter().for_each(Slot::detach);
    }
}

/// The verdict of one pass over the slots.
fn finish_poll(all_in: bool, failure: Option<Failure>, stop_on_failure: bool) -> Poll<Result<(), TaskError>> {
    match failure {
        Some(failure) if stop_on_failure => Poll::Ready(Err(failure.error)),
        _ if all_in => Poll::Ready(Ok(())),
        // Pending: every unfinished task holds our waker (`Slot::poll`) and
        // wakes us when it completes.
        _ => Poll::Pending,
    }
}

/// Implements [`Slots`] for a tuple of slots.
macro_rules! tuple_slots {
    ($($slot:ident : $ty:ident),+) => {
        impl<$($ty),+> Slots for ($(Slot<$ty>,)+) {
            fn poll_slots(&mut self, cx: &mut Context<'_>, stop_on_failure: bool) -> Poll<Result<(), TaskError>> {
                let ($($slot,)+) = self;
                let mut all_in = true;
                let mut failure = None;
                $(
                    match $slot.poll(cx) {
                        Poll::Ready(Err(next)) => failure = earliest(failure, next),
                        Poll::Ready(Ok(())) => {}
                        Poll::Pending => all_in = false,
                    }
                )+
                finish_poll(all_in, failure, stop_on_failure)
            }

            fn cancel_running(&self) {
                let ($($slot,)+) = self;
                $($slot.task.cancel();)+
            }

            fn detach(self) {
                let ($($slot,)+) = self;
                $($slot.detach();)+
            }
        }

        impl<$($ty),+> Gathering<($(Slot<$ty>,)+)> {
            /// The outputs, after every slot succeeded.
            pub fn into_outputs(mut self) -> ($($ty,)+) {
                let ($($slot,)+) = self.finish();
                ($($slot.into_output(),)+)
            }

            /// The outcomes, after every slot is in.
            pub fn into_outcomes(mut self) -> ($(Result<$ty, TaskError>,)+) {
                let ($($slot,)+) = self.finish();
                ($($slot.into_outcome(),)+)
            }
        }
    };
}

tuple_slots!(a: A);
tuple_slots!(a: A, b: B);
tuple_slots!(a: A, b: B, c: C);
tuple_slots!(a: A, b: B, c: C, d: D);
tuple_slots!(a: A, b: B, c: C, d: D, e: E);
tuple_slots!(a: A, b: B, c: C, d: D, e: E, f: F);
tuple_slots!(a: A, b: B, c: C, d: D, e: E, f: F, g: G);
tuple_slots!(a: A, b: B, c: C, d: D, e: E, f: F, g: G, h: H);

/// A gather in progress: owns the slots until the gather finishes. If it is
/// dropped before that (the gather was cancelled), it cancels the tasks
/// still running, as asyncio cancels a gather's children.
#[doc(hidden)]
pub struct Gathering<S: Slots> {
    /// `None` once finished.
    slots: Option<S>,
}

impl<S: Slots> Gathering<S> {
    /// Guards `slots`.
    pub fn new(slots: S) -> Self {
        Gathering { slots: Some(slots) }
    }

    /// See [`Slots::poll_slots`].
    pub fn poll_slots(&mut self, cx: &mut Context<'_>, stop_on_failure: bool) -> Poll<Result<(), TaskError>> {
        let Some(slots) = self.slots.as_mut() else {
            unreachable!("a gather is not polled after it finished");
        };
        let poll = slots.poll_slots(cx, stop_on_failure);
        if let Poll::Ready(Err(_)) = poll
            && let Some(slots) = self.slots.take()
        {
            // Returning the first failure finishes the gather; the other
            // tasks keep running (it must not cancel them), and their
            // own failures count as retrieved, as in asyncio.
            slots.detach();
        }
        poll
    }

    /// Takes the slots out; dropping it no longer cancels anything.
    pub fn finish(&mut self) -> S {
        self.slots.take().unwrap_or_else(|| unreachable!("a gather finishes once"))
    }
}

impl<S: Slots> Drop for Gathering<S> {
    fn drop(&mut self) {
        if let Some(slots) = &self.slots {
            slots.cancel_running();
        }
    }
}

/// Runs futures of different types concurrently as tasks and returns their
/// outputs as a tuple, in argument order: `gather!(a, b, c)` is
/// `asyncio.gather(a, b, c)`. Up to eight futures. The result is
/// `Result<(A, B, ...), TaskError>`, with the same first-failure rule as
/// [`gather()`](crate::gather()).
///
/// ```
/// # corio::run(async {
/// let (n, s) = corio::gather!(async { 1 }, async { "one" }).await?;
/// assert_eq!((n, s), (1, "one"));
/// # Ok::<(), corio::TaskError>(())
/// # }).unwrap();
/// ```
#[macro_export]
macro_rules! gather {
    ($($future:expr),+ $(,)?) => {{
        let mut gathering =
            $crate::__private::Gathering::new(($($crate::__private::Slot::new($crate::create_task($future)),)+));
        async move {
            ::std::future::poll_fn(|cx| gathering.poll_slots(cx, true)).await?;
            ::std::result::Result::<_, $crate::TaskError>::Ok(gathering.into_outputs())
        }
    }};
}

/// [`gather!`](crate::gather!) returning every outcome, asyncio's
/// `gather(a, b, return_exceptions=True)`: a tuple of
/// `Result<_, TaskError>`, one per future, in argument order.
///
/// ```
/// # corio::run(async {
/// let (a, b) = corio::gather_all!(async { 1 }, async { panic!("two") }).await;
/// assert_eq!(a, Ok(1));
/// assert!(b.unwrap_err().is_panic());
/// # });
/// ```
#[macro_export]
macro_rules! gather_all {
    ($($future:expr),+ $(,)?) => {{
        let mut gathering =
            $crate::__private::Gathering::new(($($crate::__private::Slot::new($crate::create_task($future)),)+));
        async move {
            let _ = ::std::future::poll_fn(|cx| gathering.poll_slots(cx, false)).await;
            gathering.into_outcomes()
        }
    }};
}
