//! asyncio's order, iteration for iteration: each test here is the Rust twin
//! of a Python program in `tests/asyncio/`, and compares its whole event
//! log with the log that program printed on CPython 3.13 (the `.expected`
//! file beside it). `bash tests/asyncio/check` runs the Python side again
//! and diffs it against the same files, so both halves stay tied to one
//! record. Lines are "`iteration`: `label`", iterations counted as
//! [`corio::LoopHandle::iteration`] counts them.

mod common;

use std::time::Duration;

use common::{DropGuard, virtual_loop};
use corio::testing::EventLog;
use corio::{EventLoop, TaskError, TimeoutError};

/// The log as the Python programs print it: one "`iteration`: `label`" line
/// per entry.
fn printed(log: &EventLog) -> String {
    log.entries()
        .iter()
        .map(|entry| format!("{}: {}\n", entry.iteration.expect("logged inside the loop"), entry.label))
        .collect()
}

/// `True` or `False`, as Python prints a bool.
fn python_bool(value: bool) -> &'static str {
    if value { "True" } else { "False" }
}

/// Yields `steps` times, as `for _ in range(steps): await asyncio.sleep(0)`.
async fn yield_times(steps: usize) {
    for _ in 0..steps {
        corio::sleep(Duration::ZERO).await;
    }
}

#[test]
fn gather_fails_fast_on_a_failing_task_and_leaves_the_siblings_running() {
    let log = EventLog::new();
    let main_log = log.clone();
    virtual_loop().run_until_complete(async move {
        let child = |name: &'static str, steps, fail| {
            let log = main_log.clone();
            corio::create_task(async move {
                yield_times(steps).await;
                if fail {
                    log.push(format!("{name} fails"));
                    panic!("{name}");
                }
                log.push(format!("{name} returns"));
                name
            })
        };
        let (a, b, c) = (child("a", 1, false), child("b", 2, true), child("c", 4, false));
        let names = [&a, &b, &c].map(|task| task.get_name()).join(", ");
        let c_handle = c.handle();
        match corio::gather!(a, b, c).await {
            Err(TaskError::Panicked(message)) => main_log.push(format!("gather failed: {message}")),
            other => main_log.push(format!("gather returned {other:?}")),
        }
        main_log.push(format!("c done: {}", python_bool(c_handle.done())));
        let callback_log = main_log.clone();
        c_handle.add_done_callback(move |_| callback_log.push("c done-callback"));
        main_log.push(format!("names: {names}"));
    });
    assert_eq!(printed(&log), include_str!("asyncio/gather_fails_fast.expected"));
}

/// A task body that sleeps for an hour and logs "`name` cancelled" when it
/// is dropped, as the Python child's `finally` clause does.
fn sleeper(log: &EventLog, name: &'static str) -> corio::Task<()> {
    let log = log.clone();
    corio::create_task(async move {
        let _guard = DropGuard(move || log.push(format!("{name} cancelled")));
        corio::sleep(Duration::from_secs(3600)).await;
    })
}

#[test]
fn cancelling_the_awaiter_of_a_gather_cancels_the_children_in_the_same_step() {
    let log = EventLog::new();
    let main_log = log.clone();
    virtual_loop().run_until_complete(async move {
        let (a, b) = (sleeper(&main_log, "a"), sleeper(&main_log, "b"));
        let (a_handle, b_handle) = (a.handle(), b.handle());
        let awaiter_log = main_log.clone();
        let t = corio::create_task(async move {
            let _guard = DropGuard(move || awaiter_log.push("awaiter cancelled"));
            let _ = corio::gather!(a, b).await;
        });
        corio::sleep(Duration::ZERO).await;
        main_log.push("cancel awaiter");
        t.cancel();
        if t.await == Err(TaskError::Cancelled) {
            main_log.push("awaiter task done");
        }
        let cancelled = [a_handle, b_handle].map(|task| python_bool(task.cancelled()));
        main_log.push(format!("a cancelled: {}, b cancelled: {}", cancelled[0], cancelled[1]));

        let (c, d) = (sleeper(&main_log, "c"), sleeper(&main_log, "d"));
        let (c_handle, d_handle) = (c.handle(), d.handle());
        let gathering = corio::gather!(c, d);
        corio::sleep(Duration::ZERO).await;
        main_log.push("cancel c");
        c_handle.cancel();
        if gathering.await == Err(TaskError::Cancelled) {
            main_log.push("gather raised CancelledError");
        }
        d_handle.cancel();
        corio::sleep(Duration::ZERO).await;
    });
    assert_eq!(printed(&log), include_str!("asyncio/gather_cancellation.expected"));
}

#[test]
fn a_direct_await_resumes_one_iteration_after_the_child_and_the_combinators_two() {
    let log = EventLog::new();
    let main_log = log.clone();
    virtual_loop().run_until_complete(async move {
        let child = |name: &'static str| {
            let log = main_log.clone();
            corio::create_task(async move {
                corio::sleep(Duration::ZERO).await;
                log.push(format!("{name} last step"));
                name
            })
        };
        child("await").await.expect("returns");
        main_log.push("await resumed");
        corio::gather!(child("gather")).await.expect("returns");
        main_log.push("gather resumed");
        corio::wait(vec![child("wait")], corio::ALL_COMPLETED, None).await;
        main_log.push("wait resumed");
        let mut completed = corio::as_completed([child("as_completed")]);
        while completed.next().await.is_some() {}
        main_log.push("as_completed resumed");
        corio::shield(child("shield")).await.expect("returns");
        main_log.push("shield resumed");
        corio::wait_for(child("wait_for"), Duration::from_secs(10)).await.expect("in time").expect("returns");
        main_log.push("wait_for resumed");
    });
    assert_eq!(printed(&log), include_str!("asyncio/resume_latency.expected"));
}

#[test]
fn zero_and_same_deadline_timeouts_end_as_in_asyncio() {
    let log = EventLog::new();
    let main_log = log.clone();
    virtual_loop().run_until_complete(async move {
        let body_log = main_log.clone();
        let outcome = corio::timeout(Duration::ZERO, async move {
            body_log.push("timeout(0) body starts");
            corio::sleep(Duration::ZERO).await;
            body_log.push("timeout(0) body resumed");
        })
        .await;
        if outcome == Err(TimeoutError) {
            main_log.push("timeout(0) raised");
        }
        let body_log = main_log.clone();
        let outcome =
            corio::timeout(Duration::ZERO, async move { body_log.push("timeout(0) body without a suspension") }).await;
        main_log.push(if outcome.is_ok() { "timeout(0) passed" } else { "timeout(0) raised" });

        let child = |name: &'static str, ms| {
            let log = main_log.clone();
            corio::create_task(async move {
                let guard_log = log.clone();
                let guard = DropGuard(move || guard_log.push(format!("{name} cancelled")));
                corio::sleep(Duration::from_millis(ms)).await;
                std::mem::forget(guard);
                log.push(format!("{name} returns"));
                name
            })
        };
        for (name, child_ms, timeout_ms) in [("same", 50, 50), ("late", 1000, 10)] {
            let task = child(name, child_ms);
            let handle = task.handle();
            if name == "same" {
                corio::sleep(Duration::ZERO).await;
            }
            let label = if name == "same" { "same deadline" } else { "late" };
            match corio::wait_for(task, Duration::from_millis(timeout_ms)).await {
                Ok(_) => main_log.push(format!("{label}: ok")),
                Err(TimeoutError) => main_log.push(format!(
                    "{label}: TimeoutError, done {}, cancelled {}",
                    python_bool(handle.done()),
                    python_bool(handle.cancelled())
                )),
            }
        }
    });
    assert_eq!(printed(&log), include_str!("asyncio/timeout_rules.expected"));
}

thread_local! {
    /// The log a `call_soon_threadsafe` callback writes to.
    static LOOP_THREAD_LOG: std::cell::Cell<Option<EventLog>> = const { std::cell::Cell::new(None) };
}

#[test]
fn run_until_complete_runs_what_the_last_step_queued_and_task_numbers_continue() {
    let log = EventLog::new();
    let mut printed_lines = String::new();
    let main = |log: EventLog| async move {
        let lp = corio::get_running_loop();
        log.push(format!("main is {}", corio::current_task().expect("a task").get_name()));
        drop(corio::create_task(async {}));
        let (first, second, third) = (log.clone(), log.clone(), log.clone());
        let again = lp.clone();
        lp.call_soon(move || {
            first.push("queued by the last step");
            let later = first.clone();
            again.call_soon(move || later.push("queued one later"));
        });
        // A `Send` callback cannot carry the (`!Send`) log; it finds it in
        // the loop thread's local instead.
        LOOP_THREAD_LOG.set(Some(second));
        lp.remote_handle()
            .call_soon_threadsafe(|| {
                if let Some(log) = LOOP_THREAD_LOG.take() {
                    log.push("threadsafe, queued second");
                }
            })
            .expect("the loop is open");
        lp.call_soon(move || third.push("call_soon, queued third"));
    };
    let first = EventLoop::new();
    first.run_until_complete(main(log.clone()));
    printed_lines += &printed(&log);
    printed_lines += &format!("{}: first run returned\n", first.iteration());
    let second_log = EventLog::new();
    let second = EventLoop::new();
    second.run_until_complete(main(second_log.clone()));
    printed_lines += &printed(&second_log);
    printed_lines += &format!("{}: second run returned\n", second.iteration());
    assert_eq!(printed_lines, include_str!("asyncio/run_until_complete.expected"));
}

#[test]
fn a_handle_is_cancelled_once_cancel_was_called_and_not_merely_because_it_ran() {
    let log = EventLog::new();
    let main_log = log.clone();
    virtual_loop().run_until_complete(async move {
        let lp = corio::get_running_loop();
        let (ran_log, stopped_log, timer_log) = (main_log.clone(), main_log.clone(), main_log.clone());
        let ran = lp.call_soon(move || ran_log.push("ran"));
        let stopped = lp.call_soon(move || stopped_log.push("never runs"));
        stopped.cancel();
        let timer = lp.call_later(Duration::from_millis(1), move || timer_log.push("timer ran"));
        corio::sleep(Duration::from_millis(10)).await;
        main_log.push(format!(
            "ran: {}, stopped: {}, timer: {}",
            python_bool(ran.cancelled()),
            python_bool(stopped.cancelled()),
            python_bool(timer.cancelled())
        ));
        ran.cancel();
        timer.cancel();
        main_log.push(format!(
            "after cancel: ran {}, timer {}",
            python_bool(ran.cancelled()),
            python_bool(timer.cancelled())
        ));
    });
    assert_eq!(printed(&log), include_str!("asyncio/callback_handles.expected"));
}

#[test]
fn wait_first_exception_retrieves_the_panic_that_released_it() {
    let log = EventLog::new();
    let main_log = log.clone();
    virtual_loop().run_until_complete(async move {
        let report_log = main_log.clone();
        corio::get_running_loop().set_exception_handler(move |report| {
            if let corio::Report::NeverRetrieved { task, .. } = report {
                report_log.push(format!("report: Task exception was never retrieved ({task})"));
            }
        });
        for (name, return_when) in
            [("FIRST_EXCEPTION", corio::FIRST_EXCEPTION), ("FIRST_COMPLETED", corio::FIRST_COMPLETED)]
        {
            let failing = corio::create_task(async {
                corio::sleep(Duration::ZERO).await;
                panic!("boom");
            });
            let sleeping = corio::create_task(async { corio::sleep(Duration::from_secs(3600)).await });
            let (done, pending) = corio::wait(vec![failing, sleeping], return_when, None).await;
            main_log.push(format!("{name}: {} done, {} pending", done.len(), pending.len()));
            for task in &pending {
                task.cancel();
            }
            drop((done, pending));
        }
    });
    assert_eq!(printed(&log), include_str!("asyncio/wait_retrieves.expected"));
}

#[test]
fn a_timeout_object_reports_its_deadline_and_can_be_moved_from_inside() {
    let log = EventLog::new();
    let main_log = log.clone();
    virtual_loop().run_until_complete(async move {
        let lp = corio::get_running_loop();
        let start = lp.time();
        let cm = corio::Timeout::after(Duration::from_millis(10));
        let outcome = cm
            .run(async {
                let when = cm.when().expect("a deadline");
                main_log.push(format!("deadline in {} ms", (when - start).as_millis()));
                cm.reschedule(Some(lp.time() + Duration::from_millis(50)));
                corio::sleep(Duration::from_millis(20)).await;
                main_log.push(format!("still inside past the first deadline, expired: {}", python_bool(cm.expired())));
                cm.reschedule(Some(lp.time() - Duration::from_millis(1)));
                main_log.push("rescheduled into the past");
                corio::sleep(Duration::ZERO).await;
                main_log.push("never printed");
            })
            .await;
        if outcome == Err(TimeoutError) {
            main_log.push(format!("TimeoutError, expired: {}", python_bool(cm.expired())));
        }
        let cm = corio::Timeout::at(None);
        let _ = cm
            .run(async {
                main_log.push(format!("no deadline: when {}", cm.when().map_or("None".into(), |w| format!("{w:?}"))));
                corio::sleep(Duration::ZERO).await;
            })
            .await;
    });
    assert_eq!(printed(&log), include_str!("asyncio/timeout_object.expected"));
}
