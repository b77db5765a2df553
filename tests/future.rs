//! `LoopFuture`, asyncio's `Future`: set once, awaited by many, cancelled
//! through its awaiters, with done-callbacks in one list with them.
//!
//! The first tests are twins of the scenarios in `tests/asyncio/future.py`,
//! whose output (CPython 3.13) is the expected log, line for line. Where
//! the Python coroutine catches `CancelledError` to log it, the Rust task
//! logs from a guard dropped with its future: cancellation is a drop here
//! (DESIGN.md).

mod common;

use std::cell::Cell;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::{DropGuard, by_iteration, virtual_loop};
use corio::testing::EventLog;
use corio::{LoopFuture, TaskError};

/// A task that awaits `fut` (by value, so cancelling the task cancels the
/// future) and logs what it got; if the task is cancelled while it waits,
/// its drop guard logs that instead.
async fn waiter(name: &'static str, fut: LoopFuture<i32>, log: EventLog) -> Result<i32, TaskError> {
    let finished = Rc::new(Cell::new(false));
    let _guard = {
        let (finished, log) = (finished.clone(), log.clone());
        DropGuard(move || {
            if !finished.get() {
                log.push(format!("{name} cancelled"));
            }
        })
    };
    log.push(format!("{name} awaits"));
    let outcome = fut.await;
    finished.set(true);
    match &outcome {
        Ok(value) => log.push(format!("{name} got {value}")),
        Err(_) => log.push(format!("{name} cancelled")),
    }
    outcome
}

#[test]
fn several_awaiters_and_callbacks() {
    let log = EventLog::new();
    let lp = virtual_loop();
    let l = log.clone();
    lp.run_until_complete(async move {
        let fut = corio::create_future::<i32>();
        let a = corio::create_task(waiter("A", fut.clone(), l.clone()));
        let callback_log = l.clone();
        fut.add_done_callback(move |f| callback_log.push(format!("callback sees {}", f.result().unwrap().unwrap())));
        let b = corio::create_task(waiter("B", fut.clone(), l.clone()));
        corio::sleep(Duration::ZERO).await;
        corio::sleep(Duration::ZERO).await;
        l.push("set_result");
        fut.set_result(7).unwrap();
        l.push(format!("done {} result {}", fut.done(), fut.result().unwrap().unwrap()));
        if let Err(refused) = fut.set_result(8) {
            assert_eq!(refused.into_inner(), 8);
            l.push("set again: InvalidStateError");
        }
        let iteration = corio::get_running_loop().iteration();
        let value = (&fut).await.unwrap();
        assert_eq!(corio::get_running_loop().iteration(), iteration);
        l.push(format!("main got {value} without yielding"));
        a.await.unwrap().unwrap();
        b.await.unwrap().unwrap();
        l.push("main after awaiters");
        let late_log = l.clone();
        fut.add_done_callback(move |_| late_log.push("late callback"));
        corio::sleep(Duration::ZERO).await;
        l.push("main after one yield");
    });
    assert_eq!(
        by_iteration(&log),
        [
            "1: A awaits",
            "1: B awaits",
            "2: set_result",
            "2: done true result 7",
            "2: set again: InvalidStateError",
            "2: main got 7 without yielding",
            "3: callback sees 7",
            "3: A got 7",
            "3: B got 7",
            "4: main after awaiters",
            "5: late callback",
            "5: main after one yield",
        ]
    );
}

#[test]
fn cancel_reaches_every_awaiter() {
    let log = EventLog::new();
    let lp = virtual_loop();
    let l = log.clone();
    lp.run_until_complete(async move {
        let fut = corio::create_future::<i32>();
        let a = corio::create_task(waiter("A", fut.clone(), l.clone()));
        let b = corio::create_task(waiter("B", fut.clone(), l.clone()));
        let callback_log = l.clone();
        fut.add_done_callback(move |f| callback_log.push(format!("callback cancelled {}", f.cancelled())));
        corio::sleep(Duration::ZERO).await;
        l.push(format!("cancel {}", fut.cancel()));
        l.push(format!("cancel again {}", fut.cancel()));
        corio::sleep(Duration::ZERO).await;
        l.push(format!("A done {} B done {}", a.done(), b.done()));
        // The waiters saw the cancellation as their await's error.
        assert_eq!(a.await, Ok(Err(TaskError::Cancelled)));
        assert_eq!(b.await, Ok(Err(TaskError::Cancelled)));
        assert_eq!(fut.result(), Some(Err(TaskError::Cancelled)));
        assert!(fut.set_result(1).is_err(), "a cancelled future cannot be set");
    });
    assert_eq!(
        by_iteration(&log),
        [
            "1: A awaits",
            "1: B awaits",
            "1: cancel true",
            "1: cancel again false",
            "2: callback cancelled true",
            "2: A cancelled",
            "2: B cancelled",
            "2: A done true B done true",
        ]
    );
}

#[test]
fn cancelling_an_awaiting_task_cancels_the_future() {
    let log = EventLog::new();
    let lp = virtual_loop();
    let l = log.clone();
    lp.run_until_complete(async move {
        let fut = corio::create_future::<i32>();
        let a = corio::create_task(waiter("A", fut.clone(), l.clone()));
        let b = corio::create_task(waiter("B", fut.clone(), l.clone()));
        let callback_log = l.clone();
        fut.add_done_callback(move |f| callback_log.push(format!("callback cancelled {}", f.cancelled())));
        corio::sleep(Duration::ZERO).await;
        l.push("cancel A");
        a.cancel();
        l.push(format!("future cancelled {}", fut.cancelled()));
        corio::sleep(Duration::ZERO).await;
        l.push(format!("A done {} B done {}", a.done(), b.done()));
        corio::sleep(Duration::ZERO).await;
        l.push(format!("A done {} B done {}", a.done(), b.done()));
        assert!(a.cancelled());
        assert_eq!(b.await, Ok(Err(TaskError::Cancelled)));
    });
    assert_eq!(
        by_iteration(&log),
        [
            "1: A awaits",
            "1: B awaits",
            "1: cancel A",
            "1: future cancelled true",
            "2: callback cancelled true",
            "2: A cancelled",
            "2: B cancelled",
            "2: A done true B done true",
            "3: A done true B done true",
        ]
    );
}

#[test]
fn remove_done_callback() {
    let log = EventLog::new();
    let lp = virtual_loop();
    let l = log.clone();
    lp.run_until_complete(async move {
        let fut = corio::create_future::<()>();
        let removed_log = l.clone();
        let id = fut.add_done_callback(move |_| removed_log.push("removed callback ran"));
        let kept_log = l.clone();
        fut.add_done_callback(move |_| kept_log.push("kept callback ran"));
        l.push(format!("removed {}", fut.remove_done_callback(id)));
        assert!(!fut.remove_done_callback(id), "only once");
        fut.set_result(()).unwrap();
        corio::sleep(Duration::ZERO).await;
        l.push("main");
    });
    assert_eq!(by_iteration(&log), ["0: removed true", "1: kept callback ran", "1: main"]);
}

#[test]
fn a_shielded_await_that_times_out_leaves_the_future_pending() {
    let lp = virtual_loop();
    lp.run_until_complete(async {
        let fut = corio::create_future::<u8>();
        assert!(corio::wait_for(&fut, Duration::from_millis(5)).await.is_err());
        assert!(!fut.done(), "(&fut).await does not cancel the future");
        assert!(corio::wait_for(fut.clone(), Duration::from_millis(5)).await.is_err());
        assert!(fut.cancelled(), "fut.await does, as asyncio's wait_for cancels the future");
    });
}

#[test]
fn a_result_set_from_a_callback_reaches_awaiters_on_later_iterations_too() {
    let lp = virtual_loop();
    let fut = lp.create_future::<String>();
    let setter = fut.clone();
    lp.call_later(Duration::from_millis(3), move || setter.set_result("late".into()).unwrap());
    let first = lp.create_task(fut.clone());
    assert_eq!(lp.run_until_complete(first), Ok(Ok("late".to_string())));
    // Awaited again after it was done, on a later run: the same value.
    let again = fut.clone();
    assert_eq!(lp.run_until_complete(async move { again.await }), Ok("late".to_string()));
    assert_eq!(format!("{fut:?}"), "LoopFuture { state: \"finished\" }");
}

#[test]
fn a_set_exception_is_a_set_result_of_an_err() {
    let lp = virtual_loop();
    let outcome = lp.run_until_complete(async {
        let fut = corio::create_future::<Result<u8, String>>();
        fut.set_result(Err("refused".into())).unwrap();
        fut.await
    });
    assert_eq!(outcome, Ok(Err("refused".to_string())));
}

#[test]
#[should_panic(expected = "on a loop other than the one it was created on")]
fn awaiting_a_future_on_another_loop_panics() {
    let first = virtual_loop();
    let fut = first.create_future::<u8>();
    let second = virtual_loop();
    let _ = second.run_until_complete(async move { (&fut).await });
}

// ----- run_coroutine_threadsafe ---------------------------------------
//
// What another thread sees of the `ConcurrentFuture`, as
// `tests/asyncio/threadsafe.py` shows for asyncio's
// `concurrent.futures.Future` (no iteration numbers: two threads).

#[test]
#[cfg_attr(miri, ignore = "waits on wall-clock time")]
fn another_thread_blocks_on_a_coroutine_run_on_the_loop() {
    common::within(Duration::from_secs(20), || {
        let lp = corio::EventLoop::new();
        let remote = lp.remote_handle();
        let started = Arc::new(AtomicBool::new(false));
        let cancelled = Arc::new(AtomicBool::new(false));
        let (started_flag, cancelled_flag) = (started.clone(), cancelled.clone());
        let other = std::thread::spawn(move || {
            let mut seen = Vec::new();
            let f = corio::run_coroutine_threadsafe(|| async { 42 }, &remote).unwrap();
            seen.push(format!("result {:?} done {}", f.result(Some(Duration::from_secs(10))), f.done()));

            let f = corio::run_coroutine_threadsafe(|| async { panic!("boom") }, &remote).unwrap();
            seen.push(format!("raised {:?}", f.result(Some(Duration::from_secs(10)))));

            let forever = move || async move {
                started_flag.store(true, Ordering::SeqCst);
                let _guard = DropGuard(move || cancelled_flag.store(true, Ordering::SeqCst));
                corio::sleep(Duration::from_secs(3600)).await;
            };
            let f = corio::run_coroutine_threadsafe(forever, &remote).unwrap();
            seen.push(format!("timed out {:?}, done {}", f.result(Some(Duration::from_millis(50))), f.done()));
            while !started.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(1));
            }
            seen.push(format!("cancel {} cancelled {} done {}", f.cancel(), f.cancelled(), f.done()));
            seen.push(format!("result {:?}", f.result(None)));
            let deadline = std::time::Instant::now() + Duration::from_secs(10);
            while !cancelled.load(Ordering::SeqCst) && std::time::Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(1));
            }
            seen.push(format!("task cancelled on its loop {}", cancelled.load(Ordering::SeqCst)));
            seen.push(format!("cancel again {}", f.cancel()));
            remote.call_soon_threadsafe(|| corio::get_running_loop().stop()).unwrap();
            (seen, remote)
        });
        lp.run_forever();
        let (seen, remote) = other.join().unwrap();
        assert_eq!(
            seen,
            [
                "result Ok(Ok(42)) done true",
                "raised Ok(Err(Panicked(\"boom\")))",
                "timed out Err(TimeoutError), done false",
                "cancel true cancelled true done true",
                "result Ok(Err(Cancelled))",
                "task cancelled on its loop true",
                "cancel again true",
            ]
        );
        lp.close();
        assert!(corio::run_coroutine_threadsafe(|| async {}, &remote).is_err(), "the loop is closed");
    });
}

#[test]
#[cfg_attr(miri, ignore = "waits on wall-clock time")]
fn a_finished_concurrent_future_cannot_be_cancelled() {
    common::within(Duration::from_secs(20), || {
        let lp = corio::EventLoop::new();
        let remote = lp.remote_handle();
        let f = corio::run_coroutine_threadsafe(|| async { "done" }, &remote).unwrap();
        let waiter = f.clone();
        let other = std::thread::spawn(move || waiter.result(Some(Duration::from_secs(10))));
        // The task runs in the iteration that takes the posted callback, its
        // outcome arrives in the next one.
        while !f.done() {
            lp.run_until_complete(corio::sleep(Duration::from_millis(1)));
        }
        assert_eq!(other.join().unwrap(), Ok(Ok("done")));
        assert!(!f.cancel());
        assert!(!f.cancelled());
        assert_eq!(format!("{f:?}"), "ConcurrentFuture { state: \"finished\" }");
    });
}

#[test]
fn a_task_cancelled_before_it_awaits_leaves_the_future_alone() {
    let lp = virtual_loop();
    lp.run_until_complete(async {
        let fut = corio::create_future::<u8>();
        let waiter = corio::create_task(fut.clone());
        waiter.cancel();
        corio::sleep(Duration::ZERO).await;
        assert!(waiter.cancelled());
        assert!(!fut.done(), "the waiter never got to await it, as a coroutine cancelled before its first step");
    });
}
