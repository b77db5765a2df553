//! Blocking offload: [`to_thread`] runs a blocking function on a small pool
//! of helper threads and wakes the awaiting task with its result, so the
//! loop never stalls (asyncio's `to_thread` and `run_in_executor(None, f)`).
//!
//! The result travels back like any cross-thread wakeup: the worker stores it
//! in a slot shared with the [`ToThread`] future, then wakes the task's waker,
//! which queues the task through its loop's remote queue and eventfd.
//! DNS resolution ([`lookup_host`](crate::net::lookup_host)) goes through
//! here because `getaddrinfo` blocks.

use std::collections::VecDeque;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::Duration;

use crate::error::{TaskError, panic_message};
use crate::runtime::context;

/// How long an idle worker waits for a job before its thread exits.
const KEEP_ALIVE: Duration = Duration::from_secs(10);

/// A queued job: the user's function wrapped with result delivery.
type Job = Box<dyn FnOnce() + Send>;

/// The worker threads of one loop, started on demand.
pub(crate) struct BlockingPool {
    /// State shared with the workers.
    shared: Arc<PoolShared>,
    /// At most this many threads: asyncio's default, `min(32, cpus + 4)`.
    max_threads: usize,
}

/// What the workers and the loop share.
struct PoolShared {
    /// The job queue and thread counts.
    state: Mutex<PoolState>,
    /// Signalled when a job is queued or the pool shuts down.
    job_ready: Condvar,
    /// Jobs queued or running; the loop reads it to know whether results
    /// may still arrive (a virtual clock must not jump past them).
    in_flight: AtomicUsize,
}

/// The mutex-guarded part of [`PoolShared`].
#[derive(Default)]
struct PoolState {
    /// Jobs not yet picked up, oldest first.
    queue: VecDeque<Job>,
    /// Threads alive.
    threads: usize,
    /// Threads waiting for a job.
    idle: usize,
    /// The loop closed: workers exit once the queue is empty.
    shutdown: bool,
}

impl BlockingPool {
    /// A pool with no threads yet.
    pub(crate) fn new() -> Self {
        let cpus = thread::available_parallelism().map_or(1, |n| n.get());
        BlockingPool {
            shared: Arc::new(PoolShared {
                state: Mutex::new(PoolState::default()),
                job_ready: Condvar::new(),
                in_flight: AtomicUsize::new(0),
            }),
            max_threads: (cpus + 4).min(32),
        }
    }

    /// Jobs queued or running.
    pub(crate) fn in_flight(&self) -> usize {
        self.shared.in_flight.load(Ordering::Acquire)
    }

    /// Queues `job`, starting a thread if none is idle and the cap allows.
    fn submit(&self, job: Job) {
        self.shared.in_flight.fetch_add(1, Ordering::AcqRel);
        let mut state = self.shared.lock();
        state.queue.push_back(job);
        // Wake an idle worker if there is one. `idle` still counts workers
        // notified earlier that have not woken yet, so if the queue outgrows
        // it, start another thread as well: two jobs queued back to back
        // must never share one worker while the second waits (a first job
        // blocked on the second would deadlock).
        if state.idle > 0 {
            self.shared.job_ready.notify_one();
        }
        if state.queue.len() > state.idle && state.threads < self.max_threads {
            state.threads += 1;
            let shared = self.shared.clone();
            let spawned = thread::Builder::new().name("corio-blocking".into()).spawn(move || shared.work());
            if spawned.is_err() {
                // No thread could be started; an existing worker will get to
                // the job. With none at all the job waits, as it would in a
                // full pool.
                state.threads -= 1;
            }
        }
    }

    /// Tells the workers to exit once the queue is drained. Threads are not
    /// joined: a job stuck in a blocking call (a slow DNS lookup) must not
    /// hold up closing the loop.
    pub(crate) fn shutdown(&self) {
        self.shared.lock().shutdown = true;
        self.shared.job_ready.notify_all();
    }
}

impl PoolShared {
    /// Locks the state; jobs run outside the lock, so it is never poisoned
    /// by a panicking job.
    fn lock(&self) -> MutexGuard<'_, PoolState> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A worker thread's life: take jobs until idle for `KEEP_ALIVE` or shut down.
    fn work(&self) {
        let mut state = self.lock();
        loop {
            if let Some(job) = state.queue.pop_front() {
                drop(state);
                job();
                state = self.lock();
                continue;
            }
            if state.shutdown {
                break;
            }
            state.idle += 1;
            let (next, timeout) =
                self.job_ready.wait_timeout(state, KEEP_ALIVE).unwrap_or_else(|poisoned| poisoned.into_inner());
            state = next;
            state.idle -= 1;
            if timeout.timed_out() && state.queue.is_empty() {
                break;
            }
        }
        state.threads -= 1;
    }
}

/// Runs `f` on a helper thread; awaiting the returned future yields its
/// result, or [`TaskError::Panicked`] if it panicked. The loop keeps running
/// other tasks meanwhile. asyncio's `asyncio.to_thread(f)`.
///
/// Dropping the future does not stop `f` (a thread cannot be interrupted);
/// its result is then discarded.
///
/// # Panics
/// Outside a running loop.
///
/// ```
/// # corio::run(async {
/// let sum = corio::to_thread(|| (1..=100u32).sum::<u32>()).await;
/// assert_eq!(sum, Ok(5050));
/// # });
/// ```
pub fn to_thread<T, F>(f: F) -> ToThread<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let core = context::current();
    let slot = Arc::new(Mutex::new(Slot { outcome: None, waker: None }));
    let job_slot = slot.clone();
    let pool = core.blocking.shared.clone();
    core.blocking.submit(Box::new(move || {
        let outcome =
            catch_unwind(AssertUnwindSafe(f)).map_err(|payload| TaskError::Panicked(panic_message(&*payload)));
        let waker = {
            let mut slot = job_slot.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            slot.outcome = Some(outcome);
            slot.waker.take()
        };
        // Wake first, then count the job finished: a virtual clock jumps
        // only when no job is in flight and nothing is queued, so the result
        // must be queued (the wake) before the job stops counting. The other
        // order leaves a gap in which the loop sees neither and jumps.
        if let Some(waker) = waker {
            waker.wake();
        }
        pool.in_flight.fetch_sub(1, Ordering::AcqRel);
    }));
    ToThread { slot }
}

/// Where a worker leaves a job's result for the loop.
struct Slot<T> {
    /// The result, once the job ran.
    outcome: Option<Result<T, TaskError>>,
    /// The waker of the task awaiting the result.
    waker: Option<Waker>,
}

/// The future returned by [`to_thread`].
///
/// ```
/// # corio::run(async {
/// let future: corio::ToThread<u8> = corio::to_thread(|| 1);
/// assert_eq!(future.await, Ok(1));
/// # });
/// ```
pub struct ToThread<T> {
    /// Shared with the job.
    slot: Arc<Mutex<Slot<T>>>,
}

impl<T> Future for ToThread<T> {
    type Output = Result<T, TaskError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut slot = self.slot.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(outcome) = slot.outcome.take() {
            return Poll::Ready(outcome);
        }
        // The worker wakes this waker when it stores the result; the check
        // and the store happen under the same lock, so the result cannot
        // arrive unseen between them.
        match &slot.waker {
            Some(waker) if waker.will_wake(cx.waker()) => {}
            _ => slot.waker = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}
