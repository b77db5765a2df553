//! Cancellation, as asyncio defines it: `Task::cancel` drops the task's
//! future at its next step (before its first poll if it never started),
//! awaiting it then yields `TaskError::Cancelled`, dropping a `Task` handle
//! cancels nothing, `corio::run` cancels whatever is left when its main
//! future returns, and closing an explicit loop destroys (and reports) the
//! tasks still pending.
//!
//! Drop guards moved into task futures show exactly when each future is
//! destroyed; events are stamped with the loop iteration they happened in.

mod common;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use common::{DropGuard, at_ms, by_iteration, collect_reports, virtual_loop};
use corio::testing::EventLog;
use corio::{EventLoop, Report, TaskError};

#[test]
fn a_task_cancelled_before_its_first_poll_never_runs() {
    let lp = virtual_loop();
    let log = EventLog::new();
    let main_log = log.clone();

    let (outcome, done, cancelled) = lp.run_until_complete(async move {
        let drop_log = main_log.clone();
        let guard = DropGuard(move || drop_log.push("future dropped"));
        let body_log = main_log.clone();
        let mut task = corio::create_task(async move {
            let _guard = guard;
            body_log.push("body ran");
        });
        assert!(task.cancel());
        let outcome = (&mut task).await;
        (outcome, task.done(), task.cancelled())
    });

    assert_eq!(outcome, Err(TaskError::Cancelled));
    assert!(done && cancelled);
    assert_eq!(log.labels(), ["future dropped"]);
}

#[test]
fn cancelling_a_task_blocked_in_sleep_drops_its_future_at_the_next_iteration() {
    let lp = virtual_loop();
    let log = EventLog::new();
    let main_log = log.clone();

    let outcome = lp.run_until_complete(async move {
        let drop_log = main_log.clone();
        let body_log = main_log.clone();
        let mut task = corio::create_task(async move {
            let _guard = DropGuard(move || drop_log.push("sleeper dropped"));
            body_log.push("sleeper started");
            corio::sleep(Duration::from_millis(100)).await;
            body_log.push("sleeper woke");
        });
        corio::sleep(Duration::from_millis(10)).await;
        main_log.push("cancel requested");
        assert!(task.cancel());
        assert!(!task.done(), "cancel only requests; the future is dropped at the task's next step");
        let outcome = (&mut task).await;
        main_log.push("awaiter resumed");
        assert!(task.cancelled());
        outcome
    });

    assert_eq!(outcome, Err(TaskError::Cancelled));
    assert_eq!(
        by_iteration(&log),
        ["1: sleeper started", "3: cancel requested", "4: sleeper dropped", "5: awaiter resumed"]
    );
    // The 100 ms sleep went with the future: time never moved past 10 ms.
    assert_eq!(lp.elapsed(), Duration::from_millis(10));
    lp.run_until_complete(corio::sleep(Duration::ZERO));
    assert_eq!(lp.elapsed(), Duration::from_millis(10));
}

#[test]
fn cancel_returns_false_once_a_task_has_finished() {
    let lp = virtual_loop();

    let (outcomes, after) = lp.run_until_complete(async {
        let mut finished = corio::create_task(async { 1 });
        let mut cancelled = corio::create_task(corio::sleep(Duration::from_secs(1)));
        assert!(cancelled.cancel());
        let outcomes = ((&mut finished).await, (&mut cancelled).await);
        let after = (finished.cancel(), finished.cancelled(), cancelled.cancel(), cancelled.cancelled());
        (outcomes, after)
    });

    assert_eq!(outcomes, (Ok(1), Err(TaskError::Cancelled)));
    assert_eq!(after, (false, false, false, true));
}

#[test]
fn dropping_a_task_handle_does_not_cancel_the_task() {
    let lp = virtual_loop();
    let log = EventLog::new();
    let main_log = log.clone();

    lp.run_until_complete(async move {
        let body_log = main_log.clone();
        drop(corio::create_task(async move {
            corio::sleep(Duration::from_millis(10)).await;
            body_log.push("orphan finished");
        }));
        corio::sleep(Duration::from_millis(20)).await;
        main_log.push("main finished");
    });

    assert_eq!(by_iteration(&log), ["3: orphan finished", "5: main finished"]);
}

#[test]
fn a_task_can_cancel_itself_and_stops_at_its_next_await() {
    let lp = virtual_loop();
    let log = EventLog::new();
    let main_log = log.clone();

    let outcome = lp.run_until_complete(async move {
        let body_log = main_log.clone();
        let task = corio::create_task(async move {
            body_log.push("before cancel");
            assert!(corio::current_task().expect("inside a task").cancel());
            body_log.push("after cancel, before await");
            corio::sleep(Duration::ZERO).await;
            body_log.push("after await");
        });
        task.await
    });

    assert_eq!(outcome, Err(TaskError::Cancelled));
    assert_eq!(by_iteration(&log), ["1: before cancel", "1: after cancel, before await"]);
}

#[test]
fn a_task_that_cancels_itself_and_returns_without_awaiting_ends_cancelled() {
    // asyncio's Task.__step: "Task is cancelled right before coro stops", and
    // `cancel` returned true, which promises that awaiting yields Cancelled.
    let lp = virtual_loop();

    let (outcome, done, cancelled) = lp.run_until_complete(async {
        let mut task = corio::create_task(async { corio::current_task().expect("inside a task").cancel() });
        let outcome = (&mut task).await;
        (outcome, task.done(), task.cancelled())
    });

    assert_eq!(outcome, Err(TaskError::Cancelled), "Ok(true) means the task returned after cancel() said true");
    assert!(done && cancelled);
}

#[test]
fn cancelling_a_task_that_awaits_a_gather_cancels_the_gathered_children() {
    let lp = virtual_loop();
    let log = EventLog::new();
    let main_log = log.clone();

    let outcome = lp.run_until_complete(async move {
        let children = ["left", "right"].map(|label| {
            let drop_log = main_log.clone();
            let body_log = main_log.clone();
            async move {
                let _guard = DropGuard(move || drop_log.push(format!("{label} dropped")));
                corio::sleep(Duration::from_secs(1)).await;
                body_log.push(format!("{label} finished"));
            }
        });
        let parent = corio::create_task(corio::gather(children));
        corio::sleep(Duration::from_millis(10)).await;
        main_log.push("cancel parent");
        parent.cancel();
        parent.await
    });

    assert_eq!(outcome, Err(TaskError::Cancelled));
    // As in asyncio, cancelling the parent cancels the children it is blocked
    // on in the same step, so they are dropped in the very next iteration.
    assert_eq!(by_iteration(&log), ["3: cancel parent", "4: left dropped", "4: right dropped"]);
}

#[test]
fn run_until_complete_leaves_other_tasks_running() {
    let lp = virtual_loop();
    let task = lp.create_task(corio::sleep(Duration::from_millis(20)));

    lp.run_until_complete(corio::sleep(Duration::from_millis(10)));
    assert!(!task.done() && !task.cancelled());

    assert_eq!(lp.run_until_complete(task), Ok(()));
    assert_eq!(lp.elapsed(), Duration::from_millis(20));
}

#[test]
fn cancelling_a_task_while_its_loop_is_not_running_takes_effect_on_the_next_run() {
    let lp = virtual_loop();
    let log = EventLog::new();
    let task = spawn_sleeper(&lp, &log, "sleeper");
    lp.run_until_complete(corio::sleep(Duration::from_millis(10)));

    assert!(task.cancel());
    assert_eq!(log.labels(), Vec::<String>::new(), "nothing is dropped until the loop runs");

    assert_eq!(lp.run_until_complete(task), Err(TaskError::Cancelled));
    assert_eq!(log.labels(), ["sleeper dropped"]);
    assert_eq!(lp.elapsed(), Duration::from_millis(10));
}

#[test]
fn run_cancels_the_tasks_still_pending_when_the_main_future_returns() {
    let log = EventLog::new();
    let main_log = log.clone();
    let reports = Rc::new(RefCell::new(Vec::new()));
    let sink = reports.clone();

    let answer = corio::run(async move {
        corio::get_running_loop().set_exception_handler(move |report| sink.borrow_mut().push(report.clone()));
        for label in ["started", "unstarted"] {
            let drop_log = main_log.clone();
            let guard = DropGuard(move || drop_log.push(format!("{label} dropped")));
            let body_log = main_log.clone();
            drop(corio::create_task(async move {
                let _guard = guard;
                body_log.push(format!("{label} running"));
                corio::sleep(Duration::from_secs(3600)).await;
                body_log.push(format!("{label} finished"));
            }));
            if label == "started" {
                // Let the first task reach its sleep. The second starts in
                // the iteration after main's last step, the one
                // run_until_complete still runs (as asyncio's does).
                corio::sleep(Duration::ZERO).await;
            }
        }
        42
    });

    assert_eq!(answer, 42);
    let mut entries = log.labels();
    // Which of the two is dropped first is not specified.
    entries[2..].sort();
    assert_eq!(entries, ["started running", "unstarted running", "started dropped", "unstarted dropped"]);
    assert_eq!(*reports.borrow(), Vec::<Report>::new(), "run cancels pending tasks; none is destroyed pending");
}

/// Spawns, on `lp`, a task named `name` that sleeps for an hour, with a
/// guard that logs "`name` dropped".
fn spawn_sleeper(lp: &EventLoop, log: &EventLog, name: &'static str) -> corio::Task<()> {
    let drop_log = log.clone();
    let guard = DropGuard(move || drop_log.push(format!("{name} dropped")));
    lp.create_named_task(name, async move {
        let _guard = guard;
        corio::sleep(Duration::from_secs(3600)).await;
    })
}

#[test]
fn closing_an_event_loop_reports_and_drops_each_pending_task() {
    let lp = virtual_loop();
    let log = EventLog::new();
    let reports = collect_reports(&lp);
    let mut sleeping = spawn_sleeper(&lp, &log, "sleeping");
    lp.run_until_complete(corio::sleep(Duration::from_millis(10)));
    let mut unstarted = spawn_sleeper(&lp, &log, "unstarted");

    lp.close();

    let mut reports = reports.borrow().clone();
    reports.sort_by_key(|report| report.to_string());
    assert_eq!(
        reports,
        [Report::DestroyedPending { task: "sleeping".into() }, Report::DestroyedPending { task: "unstarted".into() }]
    );
    let mut entries = log.labels();
    entries.sort();
    assert_eq!(entries, ["sleeping dropped", "unstarted dropped"]);
    assert!(sleeping.done() && sleeping.cancelled() && unstarted.cancelled());
    assert_eq!(sleeping.result(), Some(Err(TaskError::Cancelled)));
    assert_eq!(unstarted.result(), Some(Err(TaskError::Cancelled)));
    assert!(lp.is_closed());
}

#[test]
fn dropping_an_event_loop_closes_it_and_reports_each_pending_task() {
    let lp = virtual_loop();
    let log = EventLog::new();
    let reports = collect_reports(&lp);
    let handle = lp.handle();
    let task = spawn_sleeper(&lp, &log, "abandoned");

    drop(lp);

    assert_eq!(*reports.borrow(), [Report::DestroyedPending { task: "abandoned".into() }]);
    assert_eq!(log.labels(), ["abandoned dropped"]);
    assert!(task.cancelled());
    assert!(handle.is_closed());
}

#[test]
fn closing_a_loop_with_no_pending_tasks_reports_nothing() {
    let lp = virtual_loop();
    let reports = collect_reports(&lp);
    let task = lp.create_task(corio::sleep(Duration::from_millis(5)));
    assert_eq!(lp.run_until_complete(task), Ok(()));

    lp.close();

    assert_eq!(*reports.borrow(), Vec::<Report>::new());
}

#[test]
fn a_task_timed_out_through_a_mut_reference_survives_its_handle_being_dropped_later() {
    let log = EventLog::new();
    let task_log = log.clone();
    let lp = virtual_loop();
    lp.run_until_complete(async move {
        let mut task = corio::create_task(async move {
            corio::sleep(Duration::from_millis(50)).await;
            task_log.push("task finished");
        });
        assert!(corio::timeout(Duration::from_millis(10), &mut task).await.is_err());
        // Fire and forget from here on: dropping the handle must not cancel.
        drop(task);
        corio::sleep(Duration::from_millis(100)).await;
    });
    assert_eq!(at_ms(&log), ["task finished at 50ms"]);
}

#[test]
fn callbacks_cannot_be_scheduled_on_a_closed_loop() {
    let lp = EventLoop::new();
    let handle = lp.handle();
    lp.close();
    for schedule in [
        Box::new(|| drop(handle.call_soon(|| {}))) as Box<dyn Fn()>,
        Box::new(|| drop(handle.call_later(Duration::from_millis(1), || {}))),
        Box::new(|| drop(handle.call_at(handle.time(), || {}))),
    ] {
        let refused = std::panic::catch_unwind(std::panic::AssertUnwindSafe(schedule));
        assert!(refused.is_err(), "asyncio raises 'Event loop is closed'; so do we");
    }
}
