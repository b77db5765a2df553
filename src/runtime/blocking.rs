//! The blocking pool: a few helper threads per loop, started on demand,
//! that run jobs the loop must not wait for (asyncio's default executor).
//!
//! The pool knows nothing of tasks or results: a job is a boxed closure, and
//! the pool only runs it and counts it. [`to_thread`](crate::to_thread)
//! (`task/to_thread.rs`) builds the closure that stores a result and wakes
//! the awaiting task, which reaches its loop like any cross-thread wakeup
//! (the inbox and its eventfd). DNS resolution goes through here too,
//! because `getaddrinfo` blocks.

use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;
use std::time::Duration;

/// How long an idle worker waits for a job before its thread exits.
const KEEP_ALIVE: Duration = Duration::from_secs(10);

/// A queued job: for `to_thread`, the user's function wrapped with result
/// delivery.
pub(crate) type Job = Box<dyn FnOnce() + Send>;

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
    /// The job counts as in flight from now until it has returned, so
    /// whatever it wakes on its way out is queued before it stops counting.
    pub(crate) fn submit(&self, job: Job) {
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
                // A job that panics must not take the worker with it, nor
                // stay counted forever (a virtual clock would wait for it).
                let _ = catch_unwind(AssertUnwindSafe(job));
                // Count the job finished only now, after everything it did:
                // `to_thread`'s job wakes its task before returning, and a
                // virtual clock jumps only when no job is in flight and
                // nothing is queued. Counting first would leave a gap in
                // which the loop sees neither and jumps past the result.
                self.in_flight.fetch_sub(1, Ordering::AcqRel);
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
