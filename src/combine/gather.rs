//! [`gather`] and [`gather_all`] (and the [`gather!`](crate::gather!) /
//! [`gather_all!`](crate::gather_all!) macros for children of different
//! types): run futures and tasks concurrently and collect their results in
//! argument order, asyncio's `asyncio.gather`.
//!
//! Each future becomes a task the moment `gather` is called, and a
//! [`Task`] is used as it is ([`IntoTask`]), as in asyncio, so the children
//! run from the caller's next await even before the gather is awaited.
//!
//! The gather hears of each child through a done-callback, as asyncio's
//! does: the callback runs in the iteration after the child's last step and
//! decides the outcome (every child in, or this child's failure), and the
//! task awaiting the gather resumes in the iteration after that. While it
//! waits, that task is blocked on the unfinished children, so cancelling it
//! cancels them in the same step.

use std::cell::{Cell, RefCell};
use std::future::{Future, poll_fn};
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use crate::error::TaskError;
use crate::task::{IntoTask, Task, TaskHandle};

/// Runs every child concurrently and returns their outputs in argument
/// order, whatever order they finish in.
///
/// The first failure (a child that panicked or was cancelled), in the order
/// the loop completes them, is returned at once and the other children keep
/// running, as in asyncio; their own failures later are not reported as
/// unretrieved. If the gather itself is dropped (its task cancelled) before
/// it has an outcome, every unfinished child is cancelled. For every
/// outcome, failures included, use [`gather_all`].
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
pub fn gather<I>(children: I) -> impl Future<Output = Result<Vec<<I::Item as IntoTask>::Output>, TaskError>>
where
    I: IntoIterator<Item: IntoTask>,
{
    let mut gathering = Gathering::new(children.into_iter().map(IntoTask::into_task).collect::<Vec<_>>(), true);
    async move {
        poll_fn(|cx| gathering.poll_verdict(cx)).await?;
        Ok(gathering.finish().into_iter().map(|mut child| output(child.result())).collect())
    }
}

/// Like [`gather`], but waits for every child and returns every outcome, in
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
pub fn gather_all<I>(children: I) -> impl Future<Output = Vec<Result<<I::Item as IntoTask>::Output, TaskError>>>
where
    I: IntoIterator<Item: IntoTask>,
{
    let mut gathering = Gathering::new(children.into_iter().map(IntoTask::into_task).collect::<Vec<_>>(), false);
    async move {
        // Without stopping on failure the verdict is always "every child in".
        let _ = poll_fn(|cx| gathering.poll_verdict(cx)).await;
        gathering.finish().into_iter().map(|mut child| outcome(child.result())).collect()
    }
}

/// The output of a child known to have succeeded.
fn output<T>(result: Option<Result<T, TaskError>>) -> T {
    match result {
        Some(Ok(output)) => output,
        _ => unreachable!("gather unpacks only after every child succeeded"),
    }
}

/// The outcome of a child known to be done.
fn outcome<T>(result: Option<Result<T, TaskError>>) -> Result<T, TaskError> {
    result.unwrap_or_else(|| unreachable!("gather_all unpacks only after every child is done"))
}

/// A gather's children: a `Vec` of one type, or a tuple of several (the
/// macros).
#[doc(hidden)]
pub trait Children {
    /// Untyped handles to the children, in argument order.
    fn handles(&self) -> Vec<TaskHandle>;

    /// The error of the child at `index`, which has failed.
    fn take_error(&mut self, index: usize) -> TaskError;
}

impl<T> Children for Vec<Task<T>> {
    fn handles(&self) -> Vec<TaskHandle> {
        self.iter().map(Task::handle).collect()
    }

    fn take_error(&mut self, index: usize) -> TaskError {
        error(self[index].result())
    }
}

/// The error of a child known to have failed.
fn error<T>(result: Option<Result<T, TaskError>>) -> TaskError {
    match result {
        Some(Err(error)) => error,
        _ => unreachable!("only a failed child's outcome decides a gather's failure"),
    }
}

/// Implements [`Children`] for a tuple of tasks.
macro_rules! tuple_children {
    ($($child:ident : $ty:ident),+) => {
        impl<$($ty),+> Children for ($(Task<$ty>,)+) {
            fn handles(&self) -> Vec<TaskHandle> {
                let ($($child,)+) = self;
                vec![$($child.handle(),)+]
            }

            fn take_error(&mut self, index: usize) -> TaskError {
                let ($($child,)+) = self;
                let mut position = 0;
                $(
                    if position == index {
                        return error($child.result());
                    }
                    position += 1;
                )+
                unreachable!("child {index} of {position}")
            }
        }

        impl<$($ty),+> Gathering<($(Task<$ty>,)+)> {
            /// The outputs, after every child succeeded.
            pub fn into_outputs(mut self) -> ($($ty,)+) {
                let ($(mut $child,)+) = self.finish();
                ($(output($child.result()),)+)
            }

            /// The outcomes, after every child is done.
            pub fn into_outcomes(mut self) -> ($(Result<$ty, TaskError>,)+) {
                let ($(mut $child,)+) = self.finish();
                ($(outcome($child.result()),)+)
            }
        }
    };
}

tuple_children!(a: A);
tuple_children!(a: A, b: B);
tuple_children!(a: A, b: B, c: C);
tuple_children!(a: A, b: B, c: C, d: D);
tuple_children!(a: A, b: B, c: C, d: D, e: E);
tuple_children!(a: A, b: B, c: C, d: D, e: E, f: F);
tuple_children!(a: A, b: B, c: C, d: D, e: E, f: F, g: G);
tuple_children!(a: A, b: B, c: C, d: D, e: E, f: F, g: G, h: H);

/// How a gather ends, decided by a child's done-callback.
#[derive(Clone, Copy, Debug)]
enum Verdict {
    /// Every child is done (and, when stopping on failure, succeeded).
    AllIn,
    /// The child at this index failed first: its error is the gather's.
    Failed(usize),
}

/// What the children's done-callbacks share with the gather.
struct Progress {
    /// Children whose done-callback has not run yet.
    remaining: Cell<usize>,
    /// Set once, by the callback that decides.
    verdict: Cell<Option<Verdict>>,
    /// The task awaiting the gather, woken when the verdict is in.
    waker: RefCell<Option<Waker>>,
    /// `gather` (a failure decides) rather than `gather_all`.
    stop_on_failure: bool,
}

impl Progress {
    /// asyncio's `_done_callback`: counts the child in and, if that decides
    /// the gather, wakes its awaiter (which runs in the next iteration).
    fn child_done(&self, index: usize, child: &TaskHandle) {
        if self.verdict.get().is_some() {
            // Already decided; a failure here was detached with the others.
            return;
        }
        self.remaining.set(self.remaining.get() - 1);
        let failed = child.cancelled() || child.panicked();
        let verdict = match () {
            _ if failed && self.stop_on_failure => Verdict::Failed(index),
            _ if self.remaining.get() == 0 => Verdict::AllIn,
            _ => return,
        };
        self.verdict.set(Some(verdict));
        // Take the waker out before waking: the wake may run foreign code.
        let waker = self.waker.borrow_mut().take();
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// A gather in progress: owns the children until it has an outcome. If it
/// is dropped before that (its task was cancelled), it cancels the children
/// still running, as cancelling asyncio's gather cancels its children.
#[doc(hidden)]
pub struct Gathering<S: Children> {
    /// `None` once the outcome was taken.
    children: Option<S>,
    /// The same children, untyped.
    handles: Vec<TaskHandle>,
    /// Shared with the done-callbacks.
    progress: Rc<Progress>,
}

impl<S: Children> Gathering<S> {
    /// Starts gathering `children`: one done-callback on each.
    ///
    /// # Panics
    /// Outside a running loop.
    pub fn new(children: S, stop_on_failure: bool) -> Self {
        let handles = children.handles();
        // With no children there is nothing to wait for (asyncio returns a
        // future that is already done).
        let verdict = handles.is_empty().then_some(Verdict::AllIn);
        let progress = Rc::new(Progress {
            remaining: Cell::new(handles.len()),
            verdict: Cell::new(verdict),
            waker: RefCell::new(None),
            stop_on_failure,
        });
        for (index, handle) in handles.iter().enumerate() {
            let progress = progress.clone();
            handle.add_done_callback(move |child| progress.child_done(index, child));
        }
        Gathering { children: Some(children), handles, progress }
    }

    /// `Ready(Ok)` once every child is in, `Ready(Err)` with the failure
    /// that decided, else `Pending`.
    pub fn poll_verdict(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), TaskError>> {
        match self.progress.verdict.get() {
            None => {
                *self.progress.waker.borrow_mut() = Some(cx.waker().clone());
                for handle in self.handles.iter().filter(|handle| !handle.done()) {
                    handle.block_current_task();
                }
                // Pending: the deciding child's done-callback wakes us.
                Poll::Pending
            }
            Some(Verdict::AllIn) => Poll::Ready(Ok(())),
            Some(Verdict::Failed(index)) => {
                let mut children = self.finish();
                let error = children.take_error(index);
                // The others run on; their outcomes count as retrieved, as
                // asyncio's gather marks them (dropping `children` discards
                // their outputs when they complete).
                self.handles.iter().for_each(TaskHandle::detach_quietly);
                Poll::Ready(Err(error))
            }
        }
    }

    /// Takes the children out; dropping the gathering no longer cancels.
    pub fn finish(&mut self) -> S {
        self.children.take().unwrap_or_else(|| unreachable!("a gather's outcome is taken once"))
    }
}

impl<S: Children> Drop for Gathering<S> {
    fn drop(&mut self) {
        if self.children.is_none() {
            return;
        }
        if self.progress.verdict.get().is_none() {
            for handle in &self.handles {
                handle.cancel();
            }
        }
        // Nobody will look at these outcomes now.
        self.handles.iter().for_each(TaskHandle::detach_quietly);
    }
}

/// Runs futures (or tasks) of different types concurrently and returns
/// their outputs as a tuple, in argument order: `gather!(a, b, c)` is
/// `asyncio.gather(a, b, c)`. Up to eight children. The result is
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
    ($($child:expr),+ $(,)?) => {{
        let mut gathering =
            $crate::__private::Gathering::new(($($crate::IntoTask::into_task($child),)+), true);
        async move {
            ::std::future::poll_fn(|cx| gathering.poll_verdict(cx)).await?;
            ::std::result::Result::<_, $crate::TaskError>::Ok(gathering.into_outputs())
        }
    }};
}

/// [`gather!`](crate::gather!) returning every outcome, asyncio's
/// `gather(a, b, return_exceptions=True)`: a tuple of
/// `Result<_, TaskError>`, one per child, in argument order.
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
    ($($child:expr),+ $(,)?) => {{
        let mut gathering =
            $crate::__private::Gathering::new(($($crate::IntoTask::into_task($child),)+), false);
        async move {
            let _ = ::std::future::poll_fn(|cx| gathering.poll_verdict(cx)).await;
            gathering.into_outcomes()
        }
    }};
}
