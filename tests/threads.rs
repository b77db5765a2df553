//! Wakeups that cross threads, and `to_thread`: a task's waker woken on
//! another thread reaches a loop blocked in epoll; a burst of wakes from
//! many threads schedules the task once; wakes after the task finished (or
//! after the loop closed) are harmless; `to_thread` runs its closure on a
//! helper thread, returns its value or its panic, runs several jobs at once,
//! and keeps a virtual clock from jumping past a job still running.
//!
//! Each test body runs on its own thread under a time limit, so a lost
//! wakeup fails the test instead of hanging the test binary.

mod common;

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::{Duration, Instant};

use common::{virtual_loop, within};
use corio::testing::EventLog;
use corio::{EventLoop, TaskError, TraceKind};

/// A future that completes once `released` is set, leaving each poll's
/// waker in `waker` for someone else (on any thread) to wake, and counting
/// its polls.
struct Parked {
    /// Set by whoever releases the future.
    released: Arc<AtomicBool>,
    /// The waker from the latest poll.
    waker: Arc<Mutex<Option<Waker>>>,
    /// How many times the future was polled.
    polls: Rc<Cell<u32>>,
}

impl Future for Parked {
    type Output = u32;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
        self.polls.set(self.polls.get() + 1);
        // Store the waker before reading the flag, so a release in between
        // still finds this waker to wake.
        *self.waker.lock().unwrap() = Some(cx.waker().clone());
        if self.released.load(Ordering::SeqCst) {
            return Poll::Ready(self.polls.get());
        }
        // Woken by whoever sets `released` and then wakes the stored waker.
        Poll::Pending
    }
}

/// A future that, on its first poll, hands its waker to a new thread which
/// sleeps for `delay` and then wakes it.
struct WokenFromThread {
    /// How long the thread sleeps before waking us.
    delay: Duration,
    /// Set by the thread just before it wakes us.
    done: Arc<AtomicBool>,
    /// Whether the thread was started.
    started: bool,
}

impl Future for WokenFromThread {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.done.load(Ordering::SeqCst) {
            return Poll::Ready(());
        }
        if !self.started {
            self.started = true;
            let (waker, done, delay) = (cx.waker().clone(), self.done.clone(), self.delay);
            thread::spawn(move || {
                thread::sleep(delay);
                done.store(true, Ordering::SeqCst);
                waker.wake();
            });
        }
        // The thread wakes us after `delay`; until then the loop has nothing
        // to do and blocks in epoll.
        Poll::Pending
    }
}

/// How many of `events` `wanted` says concern task `task`.
fn count(events: &[corio::TraceEvent], task: u64, wanted: fn(&TraceKind, u64) -> bool) -> usize {
    events.iter().filter(|event| wanted(&event.kind, task)).count()
}

#[test]
#[cfg_attr(miri, ignore = "measures wall-clock time")]
fn a_waker_woken_on_another_thread_wakes_a_loop_blocked_in_epoll() {
    within(Duration::from_secs(10), || {
        let lp = EventLoop::builder().trace(true).build();
        let started = Instant::now();
        let task =
            lp.create_task(WokenFromThread { delay: Duration::from_millis(20), done: Arc::default(), started: false });
        let id = task.id();
        assert_eq!(lp.run_until_complete(task), Ok(()));
        let took = started.elapsed();
        assert!(took >= Duration::from_millis(20), "the task completed before it was woken ({took:?})");
        assert!(took < Duration::from_secs(5), "the wake took {took:?} to reach the loop");

        let trace = lp.take_trace();
        let remote_wakes = count(&trace, id, |kind, id| *kind == TraceKind::Wake { task: id, remote: true });
        assert_eq!(remote_wakes, 1, "the wake should arrive once, through the loop's remote queue");
    });
}

#[test]
fn a_burst_of_wakes_from_many_threads_schedules_the_task_once() {
    within(Duration::from_secs(20), || {
        let lp = EventLoop::builder().trace(true).build();
        let released = Arc::new(AtomicBool::new(false));
        let waker = Arc::new(Mutex::new(None));
        let polls = Rc::new(Cell::new(0));
        let parked = lp.create_task(Parked { released: released.clone(), waker: waker.clone(), polls: polls.clone() });
        let id = parked.id();

        let polls_seen = lp.run_until_complete(async move {
            // Let the parked task run its first poll and leave its waker.
            corio::sleep(Duration::ZERO).await;
            let waker = waker.lock().unwrap().clone().expect("the parked task was polled");
            released.store(true, Ordering::SeqCst);
            // Eight threads wake it 8000 times in all, while this task keeps
            // the loop's thread busy: every wake lands before the loop looks.
            let threads: Vec<_> = (0..8)
                .map(|_| {
                    let waker = waker.clone();
                    thread::spawn(move || {
                        for _ in 0..1000 {
                            waker.wake_by_ref();
                        }
                    })
                })
                .collect();
            for thread in threads {
                thread.join().unwrap();
            }
            parked.await
        });
        assert_eq!(polls_seen, Ok(2), "one poll to park, one for the whole burst");
        assert_eq!(polls.get(), 2);

        let trace = lp.take_trace();
        let remote_wakes = count(&trace, id, |kind, id| *kind == TraceKind::Wake { task: id, remote: true });
        let completions = count(&trace, id, |kind, id| matches!(kind, TraceKind::Complete { task, .. } if *task == id));
        assert_eq!((remote_wakes, completions), (1, 1));
    });
}

#[test]
fn wakes_from_other_threads_after_the_task_finished_are_harmless() {
    within(Duration::from_secs(20), || {
        let lp = EventLoop::builder().trace(true).build();
        let released = Arc::new(AtomicBool::new(true));
        let waker = Arc::new(Mutex::new(None));
        let polls = Rc::new(Cell::new(0));
        let finished = lp.create_task(Parked { released, waker: waker.clone(), polls: polls.clone() });
        let id = finished.id();
        assert_eq!(lp.run_until_complete(finished), Ok(1));
        let waker = waker.lock().unwrap().take().expect("the task was polled");
        // Forget the events of the task's own run.
        drop(lp.take_trace());

        // Wake the finished task from several threads, by reference and by
        // value, while the loop is not running...
        let wake_from_threads = |waker: &Waker| {
            let threads: Vec<_> = (0..4)
                .map(|_| {
                    let waker = waker.clone();
                    thread::spawn(move || {
                        for _ in 0..100 {
                            waker.wake_by_ref();
                        }
                        waker.wake();
                    })
                })
                .collect();
            for thread in threads {
                thread.join().unwrap();
            }
        };
        wake_from_threads(&waker);
        // ...and while it is.
        let still_works = lp.run_until_complete({
            let waker = waker.clone();
            async move {
                wake_from_threads(&waker);
                corio::sleep(Duration::from_millis(5)).await;
                corio::create_task(async { "still working" }).await
            }
        });
        assert_eq!(still_works, Ok("still working"));
        assert_eq!(polls.get(), 1, "a finished task was polled again");
        let trace = lp.take_trace();
        let polled = count(&trace, id, |kind, id| *kind == TraceKind::Poll { task: id });
        assert_eq!(polled, 0, "a finished task was polled again");

        // Even once the loop is closed, a wake (and the last drop of the
        // waker) from another thread does nothing.
        lp.close();
        drop(lp);
        thread::spawn(move || {
            waker.wake_by_ref();
            waker.wake();
        })
        .join()
        .expect("waking a task of a closed loop panicked");
    });
}

#[test]
fn to_thread_returns_the_closure_value_computed_on_another_thread() {
    within(Duration::from_secs(10), || {
        let loop_thread = thread::current().id();
        let (sum, job_thread) = corio::run(async {
            corio::to_thread(|| ((1..=100u32).sum::<u32>(), thread::current().id())).await.unwrap()
        });
        assert_eq!(sum, 5050);
        assert_ne!(job_thread, loop_thread);
    });
}

#[test]
fn a_panicking_to_thread_job_yields_a_panicked_error_and_the_loop_carries_on() {
    within(Duration::from_secs(10), || {
        let (failed, next) = corio::run(async {
            let failed = corio::to_thread(|| -> u8 { panic!("the job exploded") }).await;
            let next = corio::to_thread(|| 7u8).await;
            (failed, next)
        });
        assert_eq!(failed, Err(TaskError::Panicked("the job exploded".to_owned())));
        assert_eq!(next, Ok(7));
    });
}

#[test]
#[cfg_attr(miri, ignore = "measures wall-clock time")]
fn several_to_thread_jobs_run_at_the_same_time() {
    within(Duration::from_secs(20), || {
        let spans = corio::run(async {
            // Every job is handed to the pool when `to_thread` is called.
            let jobs: Vec<_> = (0..4)
                .map(|_| {
                    corio::to_thread(|| {
                        let start = Instant::now();
                        thread::sleep(Duration::from_millis(200));
                        (start, Instant::now())
                    })
                })
                .collect();
            let mut spans = Vec::new();
            for job in jobs {
                spans.push(job.await.unwrap());
            }
            spans
        });
        let last_start = spans.iter().map(|&(start, _)| start).max().unwrap();
        let first_end = spans.iter().map(|&(_, end)| end).min().unwrap();
        assert!(last_start < first_end, "the four jobs did not all run at once: {spans:?}");
    });
}

#[test]
fn jobs_queued_back_to_back_get_a_worker_each_even_with_one_idle() {
    within(Duration::from_secs(20), || {
        corio::run(async {
            // Leave exactly one idle worker in the pool.
            corio::to_thread(|| ()).await.unwrap();
            // The first job can only finish once the second has run, so both
            // must run at the same time: one idle worker is not enough.
            let (send, receive) = std::sync::mpsc::channel::<u32>();
            let first = corio::to_thread(move || receive.recv_timeout(Duration::from_secs(10)));
            let second = corio::to_thread(move || send.send(7));
            assert_eq!(second.await.unwrap(), Ok(()));
            assert_eq!(first.await.unwrap(), Ok(7), "the first job never saw the second one's message");
        });
    });
}

#[test]
fn a_virtual_clock_does_not_jump_past_a_running_to_thread_job() {
    within(Duration::from_secs(10), || {
        let lp = virtual_loop();
        let log = EventLog::new();
        let sleeper = lp.create_task({
            let log = log.clone();
            async move {
                corio::sleep(Duration::from_secs(3600)).await;
                let now = corio::get_running_loop().elapsed();
                log.push(format!("the hour-long sleep ended at {now:?}"));
            }
        });
        let job = lp.create_task({
            let log = log.clone();
            async move {
                corio::to_thread(|| thread::sleep(Duration::from_millis(50))).await.unwrap();
                let now = corio::get_running_loop().elapsed();
                log.push(format!("the 50 ms job ended at {now:?}"));
            }
        });
        lp.run_until_complete(async move {
            job.await.unwrap();
            sleeper.await.unwrap();
        });
        assert_eq!(log.labels(), ["the 50 ms job ended at 0ns", "the hour-long sleep ended at 3600s"]);
    });
}

#[test]
#[cfg_attr(miri, ignore = "2,000 rounds against a wall-clock limit: hours under Miri")]
fn a_virtual_clock_never_jumps_while_a_quick_to_thread_job_is_delivering_its_result() {
    // A job that returns at once leaves only a tiny window between the pool
    // counting it finished and its wake reaching the loop; repeat it until
    // the loop is likely to look into that window at least once.
    within(Duration::from_secs(60), || {
        let lp = virtual_loop();
        let jumped_at = lp.run_until_complete(async {
            let lp = corio::get_running_loop();
            for round in 0..2000u32 {
                let result = corio::timeout(Duration::from_secs(3600), corio::to_thread(move || round)).await;
                if result != Ok(Ok(round)) || lp.elapsed() != Duration::ZERO {
                    return Some((round, result, lp.elapsed()));
                }
            }
            None
        });
        assert_eq!(jumped_at, None, "(round, outcome, virtual time) when the clock jumped past a job");
    });
}

/// A waker that, when woken, first sleeps on the waking thread and then
/// wakes `inner`: what a preempted helper thread looks like to the loop.
struct SlowWaker {
    /// The task's own waker.
    inner: Waker,
    /// How long the waking thread dawdles before passing the wake on.
    delay: Duration,
}

impl std::task::Wake for SlowWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        thread::sleep(self.delay);
        self.inner.wake_by_ref();
    }
}

#[test]
fn a_virtual_clock_does_not_jump_while_a_finished_job_is_still_waking_its_task() {
    // The job itself is instant, but its wake takes 20 ms to reach the loop
    // (a helper thread preempted at the wrong moment does the same). Until
    // the wake arrives the result is still on its way, so the hour-long
    // timeout must not fire.
    within(Duration::from_secs(10), || {
        let lp = virtual_loop();
        let outcome = lp.run_until_complete(async {
            let mut job = std::pin::pin!(corio::to_thread(|| 42));
            let delayed_wake = std::future::poll_fn(|cx| {
                let slow =
                    Waker::from(Arc::new(SlowWaker { inner: cx.waker().clone(), delay: Duration::from_millis(20) }));
                job.as_mut().poll(&mut Context::from_waker(&slow))
            });
            corio::timeout(Duration::from_secs(3600), delayed_wake).await
        });
        assert_eq!(outcome, Ok(Ok(42)));
        assert_eq!(lp.elapsed(), Duration::ZERO, "the virtual clock jumped while the job's result was on its way");
    });
}

#[test]
#[cfg_attr(miri, ignore = "measures wall-clock time")]
fn call_soon_threadsafe_wakes_a_blocked_loop_and_runs_callbacks_in_order_on_its_thread() {
    within(Duration::from_secs(20), || {
        let lp = EventLoop::new();
        let remote = lp.remote_handle();
        let loop_thread = thread::current().id();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sender_seen = seen.clone();
        let sender = thread::spawn(move || {
            // Give the loop time to block in epoll with nothing to do.
            thread::sleep(Duration::from_millis(20));
            for n in 0..3 {
                let seen = sender_seen.clone();
                remote
                    .call_soon_threadsafe(move || seen.lock().unwrap().push((n, thread::current().id())))
                    .expect("the loop is open");
            }
            remote.call_soon_threadsafe(|| corio::get_running_loop().stop()).expect("the loop is open");
        });
        let started = Instant::now();
        lp.run_forever();
        sender.join().unwrap();
        assert!(started.elapsed() < Duration::from_secs(5), "the loop was not woken");
        assert_eq!(*seen.lock().unwrap(), [(0, loop_thread), (1, loop_thread), (2, loop_thread)]);
    });
}

#[test]
fn call_soon_threadsafe_on_a_closed_loop_is_refused() {
    let lp = EventLoop::new();
    let remote = lp.remote_handle();
    drop(lp);
    assert_eq!(remote.call_soon_threadsafe(|| {}), Err(corio::LoopClosed));
}
