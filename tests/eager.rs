//! Eager tasks (asyncio 3.12's `eager_start=True` and
//! `eager_task_factory`): the first step runs inside `create_eager_task`,
//! as the current task; a task that finishes there is done at once.
//!
//! Each test is the twin of a scenario in `tests/asyncio/eager.py`, whose
//! output (CPython 3.13) is the expected log, line for line. Task numbers
//! are relative to the main task's, as there: the Python file runs every
//! scenario in one process, whose task count runs on from scenario to
//! scenario (corio's runs on across the loops of one thread).

mod common;

use std::time::Duration;

use common::{by_iteration, virtual_loop};
use corio::testing::EventLog;
use corio::{EventLoop, TaskHandle};

/// A task's number relative to `main`'s, as the Python program prints it.
fn num(task: &TaskHandle, main: u64) -> String {
    format!("+{}", task.id() - main)
}

/// The running task's relative number.
fn me(main: u64) -> String {
    num(&corio::current_task().expect("inside a task"), main)
}

/// Every live task's relative number, sorted.
fn names(main: u64) -> String {
    let mut names: Vec<String> = corio::all_tasks().iter().map(|task| num(task, main)).collect();
    names.sort();
    format!("{names:?}").replace('"', "'")
}

/// The main task's number.
fn main_id() -> u64 {
    corio::current_task().expect("inside a task").id()
}

#[test]
fn a_task_that_finishes_eagerly_is_done_at_once() {
    let log = EventLog::new();
    let lp = virtual_loop();
    let l = log.clone();
    lp.run_until_complete(async move {
        let main = main_id();
        let grandchild = move |l: EventLog| async move { l.push(format!("grandchild runs as {}", me(main))) };
        l.push(format!("main is {}", me(main)));
        let child_log = l.clone();
        let task = corio::create_eager_task(async move {
            child_log.push(format!("child runs as {}, tasks {}", me(main), names(main)));
            corio::create_task(grandchild(child_log.clone()));
            5
        });
        l.push(format!(
            "created {}: done {}, current {}, tasks {}",
            num(&task.handle(), main),
            task.done(),
            me(main),
            names(main)
        ));
        let callback_log = l.clone();
        task.add_done_callback(move |_| callback_log.push("done-callback"));
        let later = corio::create_task(grandchild(l.clone()));
        l.push(format!("next task is {}", num(&later.handle(), main)));
        let iteration = corio::get_running_loop().iteration();
        let value = task.await.unwrap();
        assert_eq!(corio::get_running_loop().iteration(), iteration);
        l.push(format!("awaited {value} without yielding"));
        corio::sleep(Duration::ZERO).await;
        l.push("main after one yield");
    });
    assert_eq!(
        by_iteration(&log),
        [
            "0: main is +0",
            "0: child runs as +1, tasks ['+0', '+1']",
            "0: created +1: done true, current +0, tasks ['+0', '+2']",
            "0: next task is +3",
            "0: awaited 5 without yielding",
            "1: grandchild runs as +2",
            "1: done-callback",
            "1: grandchild runs as +3",
            "1: main after one yield",
        ]
    );
}

#[test]
fn a_task_that_suspends_resumes_like_any_other() {
    let log = EventLog::new();
    let lp = virtual_loop();
    let l = log.clone();
    lp.run_until_complete(async move {
        let plain_log = l.clone();
        let _plain = corio::create_task(async move { plain_log.push("plain step 1") });
        let child_log = l.clone();
        let task = corio::create_eager_task(async move {
            child_log.push("child step 1");
            corio::sleep(Duration::ZERO).await;
            child_log.push("child step 2");
            corio::sleep(Duration::ZERO).await;
            child_log.push("child step 3");
        });
        l.push(format!("created: done {}", task.done()));
        task.await.unwrap();
        l.push("main after child");
    });
    assert_eq!(
        by_iteration(&log),
        [
            "0: child step 1",
            "0: created: done false",
            "1: plain step 1",
            "1: child step 2",
            "2: child step 3",
            "3: main after child",
        ]
    );
}

#[test]
fn nested_eager_tasks_run_depth_first() {
    let log = EventLog::new();
    let lp = virtual_loop();
    let l = log.clone();
    lp.run_until_complete(async move {
        let main = main_id();
        let outer_log = l.clone();
        let outer = corio::create_eager_task(async move {
            outer_log.push(format!("outer runs as {}", me(main)));
            let inner_log = outer_log.clone();
            let inner = corio::create_eager_task(async move {
                inner_log.push(format!("inner runs as {}", me(main)));
                corio::sleep(Duration::ZERO).await;
                inner_log.push(format!("inner resumes as {}", me(main)));
            });
            outer_log.push(format!("outer back as {}", me(main)));
            inner.await.unwrap();
            outer_log.push("outer after inner");
        });
        l.push(format!("main back as {}", me(main)));
        outer.await.unwrap();
    });
    assert_eq!(
        by_iteration(&log),
        [
            "0: outer runs as +1",
            "0: inner runs as +2",
            "0: outer back as +1",
            "0: main back as +0",
            "1: inner resumes as +2",
            "2: outer after inner",
        ]
    );
}

#[test]
fn the_eager_task_factory_starts_every_task_eagerly() {
    let log = EventLog::new();
    let lp = EventLoop::builder().virtual_time(true).eager_task_factory(true).build();
    let l = log.clone();
    lp.run_until_complete(async move {
        let child = |n: u32, l: EventLog| async move {
            l.push(format!("child {n} runs"));
            corio::sleep(Duration::ZERO).await;
            l.push(format!("child {n} resumes"));
        };
        let a = corio::create_task(child(1, l.clone()));
        l.push("created 1");
        let b = corio::create_task(child(2, l.clone()));
        l.push("created 2");
        a.await.unwrap();
        b.await.unwrap();
        l.push("main after children");
    });
    assert_eq!(
        by_iteration(&log),
        [
            "0: child 1 runs",
            "0: created 1",
            "0: child 2 runs",
            "0: created 2",
            "1: child 1 resumes",
            "1: child 2 resumes",
            "2: main after children",
        ]
    );
}

#[test]
fn an_eager_task_that_panics_in_its_first_step_is_done_with_the_panic() {
    let lp = virtual_loop();
    let reports = common::collect_reports(&lp);
    let outcome = lp.run_until_complete(async {
        let task = corio::create_eager_task(async {
            if corio::current_task().is_some() {
                panic!("boom in the eager step");
            }
        });
        assert!(task.done());
        task.await
    });
    assert_eq!(outcome, Err(corio::TaskError::Panicked("boom in the eager step".into())));
    assert!(reports.borrow().is_empty(), "the panic was retrieved by the await");
}

#[test]
fn outside_a_running_iteration_an_eager_task_is_queued() {
    let lp = virtual_loop();
    let task = lp.create_eager_task(async { corio::get_running_loop().iteration() });
    assert!(!task.done(), "nothing of the loop is running, so the task waits for its turn");
    assert_eq!(lp.run_until_complete(task), Ok(0));
}

#[test]
fn the_eager_trace_shows_no_queueing() {
    let lp = EventLoop::builder().virtual_time(true).trace(true).build();
    lp.run_until_complete(async {
        corio::create_eager_task(async {}).await.unwrap();
    });
    let kinds: Vec<String> =
        lp.take_trace().into_iter().map(|event| format!("{}: {:?}", event.iteration, event.kind)).collect();
    assert_eq!(
        kinds,
        [
            "0: Spawn { task: 1, name: \"Task-1\" }",
            "0: Poll { task: 1 }",
            "0: Spawn { task: 2, name: \"Task-2\" }",
            "0: Poll { task: 2 }",
            "0: Complete { task: 2, outcome: \"ok\" }",
            "0: Complete { task: 1, outcome: \"ok\" }",
            "1: Callback",
        ]
    );
}

#[test]
fn an_eager_task_made_by_a_callback_leaves_no_current_task_behind() {
    let log = EventLog::new();
    let lp = virtual_loop();
    let l = log.clone();
    lp.call_soon(move || {
        let child_log = l.clone();
        let _child = corio::create_eager_task(async move {
            child_log.push(format!("child is current {}", corio::current_task().is_some()));
            corio::sleep(Duration::ZERO).await;
            child_log.push("child resumes");
        });
        let current = corio::current_task().map(|task| task.get_name());
        l.push(format!("callback sees current {}", current.as_deref().unwrap_or("None")));
    });
    lp.run_until_complete(async {
        corio::sleep(Duration::ZERO).await;
        corio::sleep(Duration::ZERO).await;
    });
    assert_eq!(by_iteration(&log), ["0: child is current true", "0: callback sees current None", "1: child resumes"]);
}
