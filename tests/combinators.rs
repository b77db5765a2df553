//! The combinators over tasks, checked on a virtual clock: `gather` and
//! `gather_all` (and their macros) keep argument order and run their futures
//! concurrently, `wait` partitions tasks into done and pending at exactly the
//! right moment, `as_completed` yields in completion order, and `timeout` /
//! `wait_for` give up at exactly the deadline, dropping the future they
//! raced (but never a task that a `Task` handle merely points at).
//!
//! Every test records what happened, stamped with the loop's virtual time, and
//! compares the whole record with the sequence asyncio's semantics predict.

mod common;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use common::{DropGuard, at_ms, outcomes_of, virtual_loop};
use corio::testing::EventLog;
use corio::{ALL_COMPLETED, FIRST_COMPLETED, FIRST_EXCEPTION, Task, TaskError, TimeoutError};

/// A guard that stamps "`label` dropped" into `log` when dropped: moved into
/// a future, it shows the moment the future is destroyed.
fn stamp_when_dropped(log: &EventLog, label: &'static str) -> DropGuard<impl FnMut() + use<>> {
    let log = log.clone();
    DropGuard(move || log.push(format!("{label} dropped")))
}

/// How a [`child`] ends once its sleep is over.
#[derive(Clone, Copy)]
enum Ending {
    /// Logs "`name` finished" and returns its sleep in milliseconds.
    Return,
    /// Panics with "`name` failed".
    Panic,
    /// Cancels itself and stops at its next await.
    CancelSelf,
}

/// A task body: sleeps `ms` milliseconds of loop time, then ends as told.
async fn child(log: EventLog, name: &'static str, ms: u64, ending: Ending) -> u64 {
    corio::sleep(Duration::from_millis(ms)).await;
    match ending {
        Ending::Return => {
            log.push(format!("{name} finished"));
            ms
        }
        Ending::Panic => panic!("{name} failed"),
        Ending::CancelSelf => {
            corio::current_task().expect("a child runs as a task").cancel();
            corio::sleep(Duration::ZERO).await;
            unreachable!("a cancelled task stops at its next await")
        }
    }
}

/// The names of `tasks`, in order: how a `wait` partition is compared.
fn names<T>(tasks: &[Task<T>]) -> Vec<String> {
    tasks.iter().map(Task::get_name).collect()
}

// ----- gather ------------------------------------------------------------

#[test]
fn gather_returns_results_in_argument_order_while_children_finish_in_time_order() {
    let lp = virtual_loop();
    let log = EventLog::new();
    let children = [("a", 30), ("b", 10), ("c", 20)].map(|(name, ms)| child(log.clone(), name, ms, Ending::Return));

    let results = lp.run_until_complete(async move { corio::gather(children).await });

    assert_eq!(results, Ok(vec![30, 10, 20]));
    assert_eq!(at_ms(&log), ["b finished at 10ms", "c finished at 20ms", "a finished at 30ms"]);
    // Concurrent, not one after another: the longest sleep, not the sum.
    assert_eq!(lp.elapsed(), Duration::from_millis(30));
}

#[test]
fn gather_returns_the_first_panic_at_once_and_leaves_the_siblings_running() {
    let lp = virtual_loop();
    let log = EventLog::new();
    let main_log = log.clone();

    let outcome = lp.run_until_complete(async move {
        let children = [
            child(main_log.clone(), "doomed", 10, Ending::Panic),
            child(main_log.clone(), "sibling", 30, Ending::Return),
        ];
        let outcome = corio::gather(children).await;
        main_log.push("gather returned");
        // Give the sibling time to finish on its own.
        corio::sleep(Duration::from_millis(40)).await;
        outcome
    });

    assert_eq!(outcome, Err(TaskError::Panicked("doomed failed".into())));
    assert_eq!(at_ms(&log), ["gather returned at 10ms", "sibling finished at 30ms"]);
}

/// Sleeps until `deadline`, first yielding one iteration if `late`, and
/// records the iteration it finished in.
async fn arrive(
    finished: Rc<RefCell<Vec<(u64, &'static str)>>>,
    name: &'static str,
    deadline: std::time::Instant,
    late: bool,
) -> &'static str {
    if late {
        // Starting the sleep one iteration later puts this timer behind the
        // others due at the same tick, so this task finishes after them.
        corio::sleep(Duration::ZERO).await;
    }
    corio::sleep_until(deadline).await;
    finished.borrow_mut().push((corio::get_running_loop().iteration(), name));
    name
}

/// Like [`arrive`] under the name `message` (so the iteration it fails in is
/// recorded), then panics with `message`.
async fn fail_at(
    failed: Rc<RefCell<Vec<(u64, &'static str)>>>,
    deadline: std::time::Instant,
    late: bool,
    message: &'static str,
) -> u64 {
    arrive(failed, message, deadline, late).await;
    panic!("{message}")
}

#[test]
fn gather_returns_the_failure_that_happened_first_when_two_fail_in_one_iteration() {
    // asyncio's gather takes the first exception its done-callbacks see,
    // which is completion order, and gather's docs promise the same.
    let lp = virtual_loop();
    let failed = Rc::new(RefCell::new(Vec::new()));
    let recorder = failed.clone();

    let outcome = lp.run_until_complete(async move {
        let deadline = corio::get_running_loop().time() + Duration::from_millis(10);
        corio::gather([
            fail_at(recorder.clone(), deadline, true, "first argument, failed second"),
            fail_at(recorder.clone(), deadline, false, "second argument, failed first"),
        ])
        .await
    });

    let failed = failed.borrow().clone();
    let iteration = failed[0].0;
    assert_eq!(failed, [(iteration, "second argument, failed first"), (iteration, "first argument, failed second")]);
    assert_eq!(outcome, Err(TaskError::Panicked("second argument, failed first".into())));
}

#[test]
fn gather_returns_cancelled_when_a_child_is_cancelled() {
    let lp = virtual_loop();
    let log = EventLog::new();
    let children =
        [child(log.clone(), "quitter", 10, Ending::CancelSelf), child(log.clone(), "worker", 20, Ending::Return)];

    let outcome = lp.run_until_complete(async move { corio::gather(children).await });

    assert_eq!(outcome, Err(TaskError::Cancelled));
    assert_eq!(lp.elapsed(), Duration::from_millis(10));
}

#[test]
fn gather_all_waits_for_every_child_and_returns_every_outcome_in_argument_order() {
    let lp = virtual_loop();
    let log = EventLog::new();
    let children = [
        child(log.clone(), "slow", 40, Ending::Return),
        child(log.clone(), "doomed", 10, Ending::Panic),
        child(log.clone(), "quitter", 20, Ending::CancelSelf),
        child(log.clone(), "quick", 5, Ending::Return),
    ];

    let outcomes = lp.run_until_complete(async move { corio::gather_all(children).await });

    assert_eq!(outcomes, [Ok(40), Err(TaskError::Panicked("doomed failed".into())), Err(TaskError::Cancelled), Ok(5)]);
    assert_eq!(at_ms(&log), ["quick finished at 5ms", "slow finished at 40ms"]);
    assert_eq!(lp.elapsed(), Duration::from_millis(40));
}

/// A future of another output type that panics, for the macros.
async fn explode() -> String {
    corio::sleep(Duration::from_millis(5)).await;
    panic!("exploded")
}

#[test]
fn gather_macro_returns_a_tuple_of_mixed_types_in_argument_order() {
    let lp = virtual_loop();
    let log = EventLog::new();

    let outcome = lp.run_until_complete(async move {
        corio::gather!(
            child(log.clone(), "number", 20, Ending::Return),
            async {
                corio::sleep(Duration::from_millis(10)).await;
                "text"
            },
            async { vec![1u8, 2] },
        )
        .await
    });

    assert_eq!(outcome, Ok((20, "text", vec![1, 2])));
    assert_eq!(lp.elapsed(), Duration::from_millis(20));
}

#[test]
fn gather_macro_returns_the_first_panic() {
    let lp = virtual_loop();
    let log = EventLog::new();

    let outcome = lp.run_until_complete(async move {
        corio::gather!(child(log.clone(), "late", 20, Ending::Return), explode()).await
    });

    assert_eq!(outcome, Err(TaskError::Panicked("exploded".into())));
    assert_eq!(lp.elapsed(), Duration::from_millis(5));
}

#[test]
fn gather_all_macro_returns_every_outcome_of_mixed_types() {
    let lp = virtual_loop();
    let log = EventLog::new();

    let (number, failure, text) = lp.run_until_complete(async move {
        corio::gather_all!(child(log.clone(), "number", 20, Ending::Return), explode(), async { 'x' }).await
    });

    assert_eq!(number, Ok(20));
    assert_eq!(failure, Err(TaskError::Panicked("exploded".into())));
    assert_eq!(text, Ok('x'));
    assert_eq!(lp.elapsed(), Duration::from_millis(20));
}

#[test]
fn dropping_an_unfinished_gather_cancels_its_running_children() {
    let lp = virtual_loop();
    let log = EventLog::new();
    let main_log = log.clone();

    lp.run_until_complete(async move {
        let children = ["first", "second"].map(|label| {
            let guard = stamp_when_dropped(&main_log, label);
            let log = main_log.clone();
            async move {
                let _guard = guard;
                corio::sleep(Duration::from_millis(100)).await;
                log.push(format!("{label} finished"));
            }
        });
        // The expiring timeout cancels the children the gather waits on,
        // and returns once they are gone, as asyncio's does.
        let outcome = corio::timeout(Duration::from_millis(10), corio::gather(children)).await;
        main_log.push(format!("timeout returned {outcome:?}"));
    });

    assert_eq!(
        at_ms(&log),
        ["first dropped at 10ms", "second dropped at 10ms", "timeout returned Err(TimeoutError) at 10ms"]
    );
}

#[test]
fn dropping_a_gather_before_awaiting_it_cancels_children_that_never_started() {
    let lp = virtual_loop();
    let log = EventLog::new();
    let main_log = log.clone();

    lp.run_until_complete(async move {
        let children = ["first", "second"].map(|label| {
            let guard = stamp_when_dropped(&main_log, label);
            let log = main_log.clone();
            async move {
                let _guard = guard;
                log.push(format!("{label} started"));
            }
        });
        drop(corio::gather(children));
        corio::sleep(Duration::from_millis(1)).await;
    });

    assert_eq!(at_ms(&log), ["first dropped at 0ms", "second dropped at 0ms"]);
}

// ----- wait --------------------------------------------------------------

/// Spawns named children on the running loop, one per `(name, ms, ending)`.
fn spawn_children(log: &EventLog, specs: &[(&'static str, u64, Ending)]) -> Vec<Task<u64>> {
    specs
        .iter()
        .map(|&(name, ms, ending)| corio::create_named_task(name, child(log.clone(), name, ms, ending)))
        .collect()
}

#[test]
fn wait_first_completed_returns_when_one_task_is_done_and_leaves_the_rest_running() {
    let lp = virtual_loop();
    let log = EventLog::new();
    let main_log = log.clone();

    let (done, pending, results) = lp.run_until_complete(async move {
        let tasks = spawn_children(
            &main_log,
            &[("t30", 30, Ending::Return), ("t10", 10, Ending::Return), ("t20", 20, Ending::Return)],
        );
        let (done, pending) = corio::wait(tasks, FIRST_COMPLETED, None).await;
        main_log.push("wait returned");
        (names(&done), names(&pending), outcomes_of(pending).await)
    });

    assert_eq!(done, ["t10"]);
    assert_eq!(pending, ["t30", "t20"]);
    assert_eq!(results, [Ok(30), Ok(20)]);
    assert_eq!(
        at_ms(&log),
        ["t10 finished at 10ms", "wait returned at 10ms", "t20 finished at 20ms", "t30 finished at 30ms"]
    );
}

#[test]
fn wait_first_completed_counts_a_cancelled_task_as_completed() {
    let lp = virtual_loop();
    let log = EventLog::new();
    let main_log = log.clone();

    let (done, pending) = lp.run_until_complete(async move {
        let tasks =
            spawn_children(&main_log, &[("worker", 20, Ending::Return), ("sleeper", 3_600_000, Ending::Return)]);
        let sleeper = tasks[1].handle();
        corio::get_running_loop().call_later(Duration::from_millis(5), move || {
            sleeper.cancel();
        });
        let (done, pending) = corio::wait(tasks, FIRST_COMPLETED, None).await;
        main_log.push("wait returned");
        (names(&done), names(&pending))
    });

    assert_eq!((done, pending), (vec!["sleeper".to_owned()], vec!["worker".to_owned()]));
    assert_eq!(at_ms(&log), ["wait returned at 5ms"]);
}

#[test]
fn wait_first_exception_returns_as_soon_as_a_task_panics() {
    let lp = virtual_loop();
    let log = EventLog::new();
    let main_log = log.clone();

    let (done, pending, outcomes) = lp.run_until_complete(async move {
        let tasks = spawn_children(
            &main_log,
            &[("ok10", 10, Ending::Return), ("boom20", 20, Ending::Panic), ("ok30", 30, Ending::Return)],
        );
        let (done, pending) = corio::wait(tasks, FIRST_EXCEPTION, None).await;
        main_log.push("wait returned");
        (names(&done), names(&pending), outcomes_of(done).await)
    });

    assert_eq!(done, ["ok10", "boom20"]);
    assert_eq!(pending, ["ok30"]);
    assert_eq!(outcomes, [Ok(10), Err(TaskError::Panicked("boom20 failed".into()))]);
    assert_eq!(at_ms(&log), ["ok10 finished at 10ms", "wait returned at 20ms"]);
}

#[test]
fn wait_first_exception_does_not_count_a_cancelled_task_as_an_exception() {
    let lp = virtual_loop();
    let log = EventLog::new();
    let main_log = log.clone();

    let (done, pending, cancelled) = lp.run_until_complete(async move {
        let tasks = spawn_children(
            &main_log,
            &[("ok10", 10, Ending::Return), ("victim", 3_600_000, Ending::Return), ("ok30", 30, Ending::Return)],
        );
        let victim = tasks[1].handle();
        corio::get_running_loop().call_later(Duration::from_millis(15), move || {
            victim.cancel();
        });
        let (done, pending) = corio::wait(tasks, FIRST_EXCEPTION, None).await;
        main_log.push("wait returned");
        (names(&done), names(&pending), done[1].cancelled())
    });

    assert_eq!(done, ["ok10", "victim", "ok30"]);
    assert!(pending.is_empty());
    assert!(cancelled);
    assert_eq!(at_ms(&log), ["ok10 finished at 10ms", "ok30 finished at 30ms", "wait returned at 30ms"]);
}

#[test]
fn wait_all_completed_returns_every_task_done_in_argument_order() {
    let lp = virtual_loop();
    let log = EventLog::new();
    let main_log = log.clone();

    let (done, pending) = lp.run_until_complete(async move {
        let tasks = spawn_children(
            &main_log,
            &[("t20", 20, Ending::Return), ("boom5", 5, Ending::Panic), ("t10", 10, Ending::Return)],
        );
        let (done, pending) = corio::wait(tasks, ALL_COMPLETED, None).await;
        main_log.push("wait returned");
        assert!(done.iter().all(Task::done));
        (names(&done), names(&pending))
    });

    assert_eq!(done, ["t20", "boom5", "t10"]);
    assert!(pending.is_empty());
    assert_eq!(at_ms(&log), ["t10 finished at 10ms", "t20 finished at 20ms", "wait returned at 20ms"]);
}

#[test]
fn wait_with_a_timeout_returns_at_exactly_the_timeout_and_leaves_pending_tasks_running() {
    let lp = virtual_loop();
    let log = EventLog::new();
    let main_log = log.clone();

    let (done, pending, late_results) = lp.run_until_complete(async move {
        let tasks = spawn_children(
            &main_log,
            &[("t10", 10, Ending::Return), ("t50", 50, Ending::Return), ("t30", 30, Ending::Return)],
        );
        let (done, pending) = corio::wait(tasks, ALL_COMPLETED, Some(Duration::from_millis(20))).await;
        main_log.push("wait returned");
        assert!(pending.iter().all(|task| !task.done()));
        (names(&done), names(&pending), outcomes_of(pending).await)
    });

    assert_eq!(done, ["t10"]);
    assert_eq!(pending, ["t50", "t30"]);
    assert_eq!(late_results, [Ok(50), Ok(30)]);
    assert_eq!(
        at_ms(&log),
        ["t10 finished at 10ms", "wait returned at 20ms", "t30 finished at 30ms", "t50 finished at 50ms"]
    );
}

#[test]
fn wait_with_a_timeout_that_expires_before_any_completion_returns_nothing_done() {
    let lp = virtual_loop();
    let log = EventLog::new();
    let main_log = log.clone();

    let (done, pending) = lp.run_until_complete(async move {
        let tasks = spawn_children(&main_log, &[("t10", 10, Ending::Return), ("t20", 20, Ending::Return)]);
        let (done, pending) = corio::wait(tasks, FIRST_COMPLETED, Some(Duration::from_millis(5))).await;
        main_log.push("wait returned");
        (names(&done), names(&pending))
    });

    assert!(done.is_empty());
    assert_eq!(pending, ["t10", "t20"]);
    assert_eq!(at_ms(&log), ["wait returned at 5ms"]);
}

#[test]
fn wait_with_a_timeout_returns_early_when_its_condition_holds() {
    let lp = virtual_loop();
    let log = EventLog::new();
    let main_log = log.clone();

    let (done, pending) = lp.run_until_complete(async move {
        let tasks = spawn_children(&main_log, &[("t10", 10, Ending::Return), ("t20", 20, Ending::Return)]);
        let (done, pending) = corio::wait(tasks, ALL_COMPLETED, Some(Duration::from_secs(3600))).await;
        main_log.push("wait returned");
        (names(&done), names(&pending))
    });

    assert_eq!(done, ["t10", "t20"]);
    assert!(pending.is_empty());
    assert_eq!(at_ms(&log), ["t10 finished at 10ms", "t20 finished at 20ms", "wait returned at 20ms"]);
}

#[test]
fn wait_on_no_tasks_returns_at_once_whatever_the_condition() {
    let lp = virtual_loop();

    let iterations = lp.run_until_complete(async {
        let lp = corio::get_running_loop();
        let before = lp.iteration();
        for return_when in [FIRST_COMPLETED, FIRST_EXCEPTION, ALL_COMPLETED] {
            let (done, pending) = corio::wait(Vec::<Task<()>>::new(), return_when, None).await;
            assert!(done.is_empty() && pending.is_empty());
            let (done, pending) = corio::wait(Vec::<Task<()>>::new(), return_when, Some(Duration::from_secs(1))).await;
            assert!(done.is_empty() && pending.is_empty());
        }
        lp.iteration() - before
    });

    assert_eq!(iterations, 0, "an empty wait must not yield to the loop");
    assert_eq!(lp.elapsed(), Duration::ZERO);
}

// ----- as_completed ------------------------------------------------------

#[test]
fn as_completed_yields_outcomes_in_completion_order() {
    let lp = virtual_loop();
    let log = EventLog::new();
    let main_log = log.clone();

    let order = lp.run_until_complete(async move {
        let children = [
            child(main_log.clone(), "t30", 30, Ending::Return),
            child(main_log.clone(), "boom10", 10, Ending::Panic),
            child(main_log.clone(), "t20", 20, Ending::Return),
        ];
        let mut completed = corio::as_completed(children);
        assert_eq!(completed.len(), 3);
        let mut order = Vec::new();
        while let Some(outcome) = completed.next().await {
            main_log.push(format!("yielded {outcome:?}"));
            order.push(outcome);
        }
        assert!(completed.is_empty());
        order
    });

    assert_eq!(order, [Err(TaskError::Panicked("boom10 failed".into())), Ok(20), Ok(30)]);
    assert_eq!(
        at_ms(&log),
        [
            r#"yielded Err(Panicked("boom10 failed")) at 10ms"#,
            "t20 finished at 20ms",
            "yielded Ok(20) at 20ms",
            "t30 finished at 30ms",
            "yielded Ok(30) at 30ms",
        ]
    );
}

#[test]
fn as_completed_from_tasks_takes_running_tasks_as_they_are() {
    let lp = virtual_loop();
    let log = EventLog::new();
    let main_log = log.clone();

    let (order, tasks_alive) = lp.run_until_complete(async move {
        let tasks = spawn_children(
            &main_log,
            &[("t30", 30, Ending::Return), ("t10", 10, Ending::Return), ("t20", 20, Ending::Return)],
        );
        let slowest = tasks[0].handle();
        let mut completed = corio::as_completed(tasks);
        // No wrapping task: only the three children exist.
        let tasks_alive = corio::all_tasks().len();
        let mut order = vec![completed.next().await];
        slowest.cancel();
        while let Some(outcome) = completed.next().await {
            order.push(Some(outcome));
        }
        (order, tasks_alive)
    });

    assert_eq!(tasks_alive, 4, "the three children and the main task");
    assert_eq!(order, [Some(Ok(10)), Some(Err(TaskError::Cancelled)), Some(Ok(20))]);
    assert_eq!(at_ms(&log), ["t10 finished at 10ms", "t20 finished at 20ms"]);
}

#[test]
fn as_completed_yields_tasks_finishing_in_one_iteration_in_the_order_they_finished() {
    let lp = virtual_loop();
    let finished = Rc::new(RefCell::new(Vec::new()));
    let recorder = finished.clone();

    let order = lp.run_until_complete(async move {
        let deadline = corio::get_running_loop().time() + Duration::from_millis(10);
        let mut completed = corio::as_completed([
            arrive(recorder.clone(), "x", deadline, true),
            arrive(recorder.clone(), "y", deadline, false),
            arrive(recorder.clone(), "z", deadline, false),
        ]);
        let mut order = Vec::new();
        while let Some(outcome) = completed.next().await {
            order.push(outcome.expect("arrive does not fail"));
        }
        order
    });

    let finished = finished.borrow().clone();
    let iteration = finished[0].0;
    assert_eq!(finished, [(iteration, "y"), (iteration, "z"), (iteration, "x")]);
    assert_eq!(order, ["y", "z", "x"]);
}

#[test]
fn as_completed_of_nothing_is_empty_at_once() {
    let lp = virtual_loop();

    let first = lp.run_until_complete(async {
        let mut completed = corio::as_completed(Vec::<std::future::Ready<u8>>::new());
        assert!(completed.is_empty());
        completed.next().await
    });

    assert_eq!(first, None);
}

// ----- timeout and wait_for -------------------------------------------------

#[test]
fn timeout_returns_the_output_when_the_future_finishes_in_time() {
    let lp = virtual_loop();
    let log = EventLog::new();

    let outcome = lp
        .run_until_complete(corio::timeout(Duration::from_millis(20), child(log.clone(), "quick", 10, Ending::Return)));

    assert_eq!(outcome, Ok(10));
    assert_eq!(at_ms(&log), ["quick finished at 10ms"]);
    assert_eq!(lp.elapsed(), Duration::from_millis(10));
}

#[test]
fn timeout_wins_when_the_inner_sleep_ends_at_the_same_deadline() {
    let lp = virtual_loop();
    let log = EventLog::new();

    let outcome = lp.run_until_complete(corio::timeout(
        Duration::from_millis(10),
        child(log.clone(), "just in time", 10, Ending::Return),
    ));

    // asyncio too: the timeout's timer was set first, so it fires first, and
    // the task resumes to find itself timed out (tests/asyncio/timeout_same_deadline.py).
    assert_eq!(outcome, Err(TimeoutError));
    assert!(log.is_empty(), "the inner future never resumed");
    assert_eq!(lp.elapsed(), Duration::from_millis(10));
}

#[test]
fn timeout_fails_at_exactly_the_deadline_and_drops_the_future_then() {
    let lp = virtual_loop();
    let log = EventLog::new();
    let main_log = log.clone();

    let outcome = lp.run_until_complete(async move {
        let guard = stamp_when_dropped(&main_log, "slow future");
        let inner_log = main_log.clone();
        let slow = async move {
            let _guard = guard;
            corio::sleep(Duration::from_millis(50)).await;
            inner_log.push("slow future finished");
        };
        let outcome = corio::timeout(Duration::from_millis(10), slow).await;
        main_log.push("timeout returned");
        corio::sleep(Duration::from_millis(100)).await;
        outcome
    });

    assert_eq!(outcome, Err(TimeoutError));
    assert_eq!(at_ms(&log), ["slow future dropped at 10ms", "timeout returned at 10ms"]);
}

#[test]
fn wait_for_fails_at_exactly_the_deadline_and_drops_the_future_then() {
    let lp = virtual_loop();
    let log = EventLog::new();
    let main_log = log.clone();

    let outcomes = lp.run_until_complete(async move {
        let guard = stamp_when_dropped(&main_log, "slow future");
        let slow = async move {
            let _guard = guard;
            corio::sleep(Duration::from_millis(50)).await;
        };
        let late = corio::wait_for(slow, Duration::from_millis(10)).await;
        main_log.push("wait_for returned");
        let in_time = corio::wait_for(async { 5 }, Duration::from_millis(10)).await;
        (late, in_time)
    });

    assert_eq!(outcomes, (Err(TimeoutError), Ok(5)));
    assert_eq!(at_ms(&log), ["slow future dropped at 10ms", "wait_for returned at 10ms"]);
}

#[test]
fn a_task_awaited_by_reference_through_timeout_keeps_running_and_can_then_be_cancelled() {
    let lp = virtual_loop();
    let log = EventLog::new();
    let main_log = log.clone();

    let outcome = lp.run_until_complete(async move {
        let guard = stamp_when_dropped(&main_log, "task");
        let task_log = main_log.clone();
        let mut task = corio::create_task(async move {
            let _guard = guard;
            corio::sleep(Duration::from_millis(50)).await;
            task_log.push("task finished");
        });
        let timed_out = corio::timeout(Duration::from_millis(10), &mut task).await;
        main_log.push(format!("timeout returned {timed_out:?}"));
        corio::sleep(Duration::from_millis(10)).await;
        assert!(!task.done(), "a timed-out Task handle must not cancel its task");
        assert!(task.cancel());
        task.await
    });

    assert_eq!(outcome, Err(TaskError::Cancelled));
    assert_eq!(at_ms(&log), ["timeout returned Err(TimeoutError) at 10ms", "task dropped at 20ms"]);
}

#[test]
fn a_task_given_to_wait_for_by_value_is_cancelled_at_the_timeout() {
    let lp = virtual_loop();
    let log = EventLog::new();
    let main_log = log.clone();

    lp.run_until_complete(async move {
        let task_log = main_log.clone();
        let task = corio::create_task(async move {
            let _guard = stamp_when_dropped(&task_log, "task");
            child(task_log, "task", 50, Ending::Return).await
        });
        let handle = task.handle();
        let outcome = corio::wait_for(task, Duration::from_millis(10)).await;
        main_log.push(format!("wait_for returned {outcome:?}"));
        corio::sleep(Duration::from_millis(100)).await;
        assert!(handle.cancelled(), "asyncio's wait_for cancels the task it gives up on");
    });

    // As in asyncio, the expiring timeout cancels the task it waits on and
    // returns once that task is done (and cancelled).
    assert_eq!(at_ms(&log), ["task dropped at 10ms", "wait_for returned Err(TimeoutError) at 10ms"]);
}

#[test]
fn cancelling_a_task_cancels_the_task_it_awaits() {
    let lp = virtual_loop();
    let log = EventLog::new();
    let main_log = log.clone();

    lp.run_until_complete(async move {
        let inner_log = main_log.clone();
        let outer_log = main_log.clone();
        let outer = corio::create_task(async move {
            let inner = corio::create_task(async move {
                let _guard = stamp_when_dropped(&inner_log, "inner");
                child(inner_log, "inner", 50, Ending::Return).await
            });
            let _guard = stamp_when_dropped(&outer_log, "outer");
            inner.await
        });
        corio::sleep(Duration::from_millis(10)).await;
        outer.cancel();
        corio::sleep(Duration::from_millis(100)).await;
    });

    // As in asyncio, the cancellation travels inward first: the inner task
    // is cancelled in the next iteration, and the outer one when that wakes
    // it, an iteration later.
    assert_eq!(at_ms(&log), ["inner dropped at 10ms", "outer dropped at 10ms"]);
}

#[test]
fn an_abandoned_wait_leaves_its_tasks_running() {
    let lp = virtual_loop();
    let log = EventLog::new();
    let main_log = log.clone();

    lp.run_until_complete(async move {
        let task = corio::create_task(child(main_log.clone(), "task", 50, Ending::Return));
        let waiting = corio::wait(vec![task], corio::ALL_COMPLETED, None);
        let outcome = corio::timeout(Duration::from_millis(10), waiting).await;
        main_log.push(format!("gave up waiting: {}", outcome.is_err()));
        corio::sleep(Duration::from_millis(100)).await;
    });

    assert_eq!(at_ms(&log), ["gave up waiting: true at 10ms", "task finished at 50ms"]);
}
