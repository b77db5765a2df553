//! `task_group`, asyncio 3.11's `TaskGroup`: the group waits for every
//! child, the first failure cancels the other children and the body, and
//! the error lists every failure.
//!
//! Each test is the twin of a scenario in `tests/asyncio/task_group.py`,
//! whose output (CPython 3.13) is the expected log, line for line, except
//! where a comment says how corio differs and why. Where the Python
//! coroutine catches `CancelledError` to log it, the Rust future logs from
//! a guard dropped with it: cancellation is a drop here (DESIGN.md).

mod common;

use std::cell::{Cell, RefCell};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;
use std::time::Duration;

use common::{DropGuard, by_iteration, virtual_loop};
use corio::testing::EventLog;
use corio::{TaskError, TaskGroupError};

/// Logs "`name` cancelled" if dropped before `finish` was called: what the
/// Python scenarios log in their `except CancelledError`.
struct Cancelled {
    finished: Rc<Cell<bool>>,
    _guard: DropGuard<Box<dyn FnMut()>>,
}

impl Cancelled {
    fn new(name: &'static str, log: &EventLog) -> Cancelled {
        let finished = Rc::new(Cell::new(false));
        let (seen, log) = (finished.clone(), log.clone());
        let guard: Box<dyn FnMut()> = Box::new(move || {
            if !seen.get() {
                log.push(format!("{name} cancelled"));
            }
        });
        Cancelled { finished, _guard: DropGuard(guard) }
    }

    fn finish(&self) {
        self.finished.set(true);
    }
}

/// The Python scenarios' `child`: starts, yields `steps` times, then fails
/// (panics) or ends.
async fn child(name: &'static str, steps: usize, fail: bool, log: EventLog) -> &'static str {
    let cancelled = Cancelled::new(name, &log);
    log.push(format!("{name} starts"));
    for _ in 0..steps {
        corio::sleep(Duration::ZERO).await;
    }
    cancelled.finish();
    if fail {
        log.push(format!("{name} fails"));
        panic!("{name} failed");
    }
    log.push(format!("{name} ends"));
    name
}

/// The panic messages of a group's failures, as the Python scenarios print
/// the exceptions of the `ExceptionGroup`.
fn report(error: &TaskGroupError) -> String {
    let messages: Vec<&str> = error
        .exceptions()
        .iter()
        .map(|failure| match failure.error() {
            TaskError::Panicked(message) => message.as_str(),
            TaskError::Cancelled => "cancelled",
        })
        .collect();
    messages.join(", ")
}

/// Runs `main` on a fresh virtual loop and returns its log as
/// "iteration: label" lines.
fn run<F: Future<Output = ()> + 'static>(main: impl FnOnce(EventLog) -> F) -> Vec<String> {
    let log = EventLog::new();
    virtual_loop().run_until_complete(main(log.clone()));
    by_iteration(&log)
}

#[test]
fn the_group_waits_for_every_child() {
    let log = run(|l| async move {
        let body_log = l.clone();
        let (mut a, mut b) = corio::task_group(|tg| async move {
            let a = tg.create_task(child("A", 1, false, body_log.clone()));
            let b = tg.create_task(child("B", 3, false, body_log.clone()));
            body_log.push("body ends");
            (a, b)
        })
        .await
        .unwrap();
        l.push(format!("group done: {} {}", a.result().unwrap().unwrap(), b.result().unwrap().unwrap()));
    });
    assert_eq!(log, ["0: body ends", "1: A starts", "1: B starts", "2: A ends", "4: B ends", "6: group done: A B"]);
}

#[test]
fn the_body_can_outlast_its_children() {
    let log = run(|l| async move {
        let body_log = l.clone();
        corio::task_group(|tg| async move {
            tg.create_task(child("A", 0, false, body_log.clone()));
            for _ in 0..3 {
                corio::sleep(Duration::ZERO).await;
            }
            body_log.push("body ends");
        })
        .await
        .unwrap();
        l.push("group done");
    });
    assert_eq!(log, ["1: A starts", "1: A ends", "3: body ends", "3: group done"]);
}

#[test]
fn the_first_failure_cancels_the_siblings_and_the_body() {
    let log = run(|l| async move {
        let body_log = l.clone();
        let outcome = corio::task_group(|tg| async move {
            tg.create_task(child("A", 1, true, body_log.clone()));
            tg.create_task(child("B", 5, false, body_log.clone()));
            let cancelled = Cancelled::new("body", &body_log);
            for _ in 0..5 {
                corio::sleep(Duration::ZERO).await;
            }
            cancelled.finish();
            body_log.push("body ends");
        })
        .await;
        l.push(format!("group failed: {}", report(&outcome.unwrap_err())));
    });
    assert_eq!(
        log,
        [
            "1: A starts",
            "1: B starts",
            "2: A fails",
            "3: B cancelled",
            "3: body cancelled",
            "5: group failed: A failed",
        ]
    );
}

#[test]
fn failures_in_one_iteration_are_all_collected() {
    let log = run(|l| async move {
        let body_log = l.clone();
        let outcome = corio::task_group(|tg| async move {
            tg.create_task(child("A", 1, true, body_log.clone()));
            tg.create_task(child("B", 1, true, body_log.clone()));
            tg.create_task(child("C", 3, false, body_log.clone()));
            body_log.push("body ends");
        })
        .await;
        let error = outcome.unwrap_err();
        let names: Vec<&str> = error.exceptions().iter().map(|failure| failure.task_name()).collect();
        assert_eq!(names, ["Task-2", "Task-3"]);
        l.push(format!("group failed: {}", report(&error)));
    });
    assert_eq!(
        log,
        [
            "0: body ends",
            "1: A starts",
            "1: B starts",
            "1: C starts",
            "2: A fails",
            "2: B fails",
            "3: C cancelled",
            "5: group failed: A failed, B failed",
        ]
    );
}

#[test]
fn a_failure_after_the_body_cancels_the_siblings() {
    let log = run(|l| async move {
        let body_log = l.clone();
        let outcome = corio::task_group(|tg| async move {
            tg.create_task(child("A", 2, true, body_log.clone()));
            tg.create_task(child("B", 5, false, body_log.clone()));
            body_log.push("body ends");
        })
        .await;
        l.push(format!("group failed: {}", report(&outcome.unwrap_err())));
    });
    assert_eq!(
        log,
        ["0: body ends", "1: A starts", "1: B starts", "3: A fails", "4: B cancelled", "6: group failed: A failed"]
    );
}

#[test]
fn cancelling_the_awaiting_task_cancels_the_children() {
    let log = run(|l| async move {
        let parent_log = l.clone();
        let parent = corio::create_task(async move {
            let cancelled = Cancelled::new("parent", &parent_log);
            let body_log = parent_log.clone();
            let _ = corio::task_group(|tg| async move {
                tg.create_task(child("A", 5, false, body_log.clone()));
                tg.create_task(child("B", 5, false, body_log.clone()));
                let cancelled = Cancelled::new("body", &body_log);
                corio::sleep(Duration::from_secs(1)).await;
                cancelled.finish();
            })
            .await;
            cancelled.finish();
        });
        corio::sleep(Duration::ZERO).await;
        corio::sleep(Duration::ZERO).await;
        l.push("cancel parent");
        parent.cancel();
        if parent.await == Err(TaskError::Cancelled) {
            l.push("main sees parent cancelled");
        }
    });
    // asyncio runs the same until iteration 4; its parent then waits in
    // `__aexit__` for the cancelled children (their done-callbacks run in
    // 5) and ends cancelled in 6, its awaiter resuming in 7. Here the
    // parent's future is dropped in 3, the group with it: the children are
    // cancelled then and finish in 4, after the parent is gone.
    assert_eq!(
        log,
        [
            "2: A starts",
            "2: B starts",
            "2: cancel parent",
            "3: body cancelled",
            "3: parent cancelled",
            "4: A cancelled",
            "4: B cancelled",
            "4: main sees parent cancelled",
        ]
    );
}

#[test]
fn a_body_that_fails_cancels_the_children() {
    let log = run(|l| async move {
        let body_log = l.clone();
        let outcome = corio::task_group(|tg| async move {
            tg.create_task(child("A", 5, false, body_log.clone()));
            corio::sleep(Duration::ZERO).await;
            body_log.push("body fails");
            panic!("body failed");
        })
        .await;
        let error = outcome.unwrap_err();
        assert_eq!(error.exceptions()[0].task_name(), "Task-1", "the body's failure is named after its task");
        l.push(format!("group failed: {}", report(&error)));
    });
    assert_eq!(log, ["1: A starts", "1: body fails", "2: A cancelled", "4: group failed: body failed"]);
}

#[test]
fn a_body_awaiting_a_child_is_cancelled_through_it() {
    let log = run(|l| async move {
        let body_log = l.clone();
        let outcome = corio::task_group(|tg| async move {
            let a = tg.create_task(child("A", 5, false, body_log.clone()));
            tg.create_task(child("B", 1, true, body_log.clone()));
            let cancelled = Cancelled::new("body", &body_log);
            let _ = a.await;
            cancelled.finish();
            body_log.push("body ends");
        })
        .await;
        l.push(format!("group failed: {}", report(&outcome.unwrap_err())));
    });
    // The failure's callback (3) cancels A, and the body through A, as
    // asyncio's `parent_task.cancel()` goes through the task it awaits: the
    // body resumes when A has finished, not at once.
    assert_eq!(
        log,
        [
            "1: A starts",
            "1: B starts",
            "2: B fails",
            "4: A cancelled",
            "5: body cancelled",
            "5: group failed: B failed"
        ]
    );
}

#[test]
fn a_body_awaiting_a_future_cancels_the_future() {
    let log = run(|l| async move {
        let body_log = l.clone();
        let fut = corio::create_future::<()>();
        let seen = fut.clone();
        let outcome = corio::task_group(|tg| async move {
            tg.create_task(child("B", 1, true, body_log.clone()));
            let finished = Rc::new(Cell::new(false));
            let _guard = {
                let (finished, log) = (finished.clone(), body_log.clone());
                DropGuard(move || {
                    if !finished.get() {
                        log.push(format!("body cancelled, future cancelled {}", seen.cancelled()));
                    }
                })
            };
            let _ = fut.await;
            finished.set(true);
            body_log.push("body ends");
        })
        .await;
        l.push(format!("group failed: {}", report(&outcome.unwrap_err())));
    });
    assert_eq!(
        log,
        ["1: B starts", "2: B fails", "4: body cancelled, future cancelled true", "4: group failed: B failed"]
    );
}

#[test]
fn a_child_that_finishes_eagerly_is_accounted_for_at_once() {
    let lp = corio::EventLoop::builder().virtual_time(true).eager_task_factory(true).build();
    let log = EventLog::new();
    let l = log.clone();
    lp.run_until_complete(async move {
        let body_log = l.clone();
        let outcome = corio::task_group(|tg| async move {
            tg.create_task(child("A", 0, true, body_log.clone()));
            body_log.push("body goes on");
            let cancelled = Cancelled::new("body", &body_log);
            corio::sleep(Duration::ZERO).await;
            cancelled.finish();
        })
        .await;
        l.push(format!("group failed: {}", report(&outcome.unwrap_err())));
    });
    assert_eq!(
        by_iteration(&log),
        ["0: A starts", "0: A fails", "0: body goes on", "1: body cancelled", "1: group failed: A failed"]
    );
}

#[test]
fn a_childs_panic_is_the_groups_to_report_not_the_loops() {
    let lp = virtual_loop();
    let reports = common::collect_reports(&lp);
    let outcome = lp.run_until_complete(corio::task_group(|tg| async move {
        tg.create_named_task("worker", async { panic!("worker broke") });
    }));
    let error = outcome.unwrap_err();
    assert_eq!(error.to_string(), "unhandled errors in a task group: worker: task panicked: worker broke");
    assert!(reports.borrow().is_empty(), "no never-retrieved report: {:?}", reports.borrow());
}

/// What `create_task` on `tg` panics with, if it does.
fn refusal(tg: &corio::TaskGroup) -> Option<String> {
    let refused = catch_unwind(AssertUnwindSafe(|| tg.create_task(async {})));
    refused.err().and_then(|payload| payload.downcast_ref::<&str>().map(|message| message.to_string()))
}

#[test]
fn a_group_that_is_shutting_down_or_finished_takes_no_new_tasks() {
    virtual_loop().run_until_complete(async {
        let kept: Rc<RefCell<Option<corio::TaskGroup>>> = Rc::new(RefCell::new(None));
        let seen = kept.clone();
        // Runs in iteration 3: the failure's done-callback ran in 2, the
        // cancelled sibling is dropped in 3 and accounted for in 4.
        let probe = corio::create_task(async move {
            for _ in 0..3 {
                corio::sleep(Duration::ZERO).await;
            }
            refusal(seen.borrow().as_ref().unwrap())
        });
        let keep = kept.clone();
        let _ = corio::task_group(|tg| async move {
            *keep.borrow_mut() = Some(tg.clone());
            tg.create_task(async { panic!("first") });
            tg.create_task(corio::sleep(Duration::from_secs(1)));
            corio::sleep(Duration::from_secs(1)).await;
        })
        .await;
        assert_eq!(
            probe.await.unwrap().as_deref(),
            Some("the task group is shutting down after a failure: it takes no new tasks")
        );
        let tg = kept.borrow_mut().take().unwrap();
        assert_eq!(refusal(&tg).as_deref(), Some("the task group is finished: it takes no new tasks"));
    });
}
