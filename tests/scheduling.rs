//! Scheduling order as asyncio defines it, checked by comparing whole event
//! logs: which loop iteration each step runs in, and in what order.
//!
//! The rules under test (DESIGN.md, "The run loop"): new tasks and
//! `call_soon` callbacks join the back of one FIFO; each iteration runs only
//! what was queued when it began; `sleep(0)` yields exactly one iteration;
//! a task resumed by a timer or by another task's completion runs one
//! iteration after the event, as in asyncio.

mod common;

use std::time::Duration;

use common::virtual_loop;
use corio::testing::EventLog;
use corio::{EventLoop, TraceKind};

/// The log as `(iteration, label)` pairs, so that the expected logs below
/// read as tables.
fn pairs(log: &EventLog) -> Vec<(u64, String)> {
    log.entries().into_iter().map(|entry| (common::iteration(&entry), entry.label)).collect()
}

/// Builds the expected log from `(iteration, label)` pairs.
fn expect(entries: &[(u64, &str)]) -> Vec<(u64, String)> {
    entries.iter().map(|(iteration, label)| (*iteration, label.to_string())).collect()
}

#[test]
fn created_tasks_run_in_creation_order_after_the_creator_yields() {
    let log = EventLog::new();
    let lp = virtual_loop();
    let main_log = log.clone();
    lp.run_until_complete(async move {
        main_log.push("main start");
        for name in ["A", "B", "C"] {
            let log = main_log.clone();
            corio::create_task(async move {
                log.push(format!("{name} step 1"));
                corio::sleep(Duration::ZERO).await;
                log.push(format!("{name} step 2"));
            });
        }
        main_log.push("main spawned");
        corio::sleep(Duration::ZERO).await;
        // The creator's wake-up was queued behind the three first steps.
        main_log.push("main resumed");
        corio::sleep(Duration::ZERO).await;
    });
    assert_eq!(
        pairs(&log),
        expect(&[
            (0, "main start"),
            (0, "main spawned"),
            (1, "A step 1"),
            (1, "B step 1"),
            (1, "C step 1"),
            (1, "main resumed"),
            (2, "A step 2"),
            (2, "B step 2"),
            (2, "C step 2"),
        ])
    );
}

#[test]
fn callbacks_and_tasks_share_one_fifo() {
    let log = EventLog::new();
    let lp = virtual_loop();
    let main_log = log.clone();
    lp.run_until_complete(async move {
        let handle = corio::get_running_loop();
        let (first, task_log, second) = (main_log.clone(), main_log.clone(), main_log.clone());
        handle.call_soon(move || first.push("callback 1"));
        corio::create_task(async move { task_log.push("task") });
        handle.call_soon(move || second.push("callback 2"));
        corio::sleep(Duration::ZERO).await;
        main_log.push("main");
    });
    assert_eq!(pairs(&log), expect(&[(1, "callback 1"), (1, "task"), (1, "callback 2"), (1, "main")]));
}

#[test]
fn sleep_zero_gives_up_exactly_one_iteration() {
    let log = EventLog::new();
    let lp = virtual_loop();
    let main_log = log.clone();
    lp.run_until_complete(async move {
        for round in 0..3 {
            main_log.push(format!("round {round}"));
            corio::sleep(Duration::ZERO).await;
        }
    });
    assert_eq!(pairs(&log), expect(&[(0, "round 0"), (1, "round 1"), (2, "round 2")]));
    // One more iteration for the final step that completes the task, and one
    // for its done-callback, which stops the loop (asyncio's
    // run_until_complete).
    assert_eq!(lp.iteration(), 5);
    assert_eq!(lp.elapsed(), Duration::ZERO, "sleep(0) must not touch the clock");
}

#[test]
fn work_queued_during_an_iteration_waits_for_the_next() {
    let log = EventLog::new();
    let lp = virtual_loop();
    let main_log = log.clone();
    lp.run_until_complete(async move {
        let handle = corio::get_running_loop();
        let outer = main_log.clone();
        let inner_handle = handle.clone();
        handle.call_soon(move || {
            outer.push("outer callback");
            let inner = outer.clone();
            // Queued while iteration 1 runs: it must wait for iteration 2.
            inner_handle.call_soon(move || inner.push("inner callback"));
        });
        corio::sleep(Duration::ZERO).await;
        main_log.push("main after one yield");
        corio::sleep(Duration::ZERO).await;
    });
    assert_eq!(pairs(&log), expect(&[(1, "outer callback"), (1, "main after one yield"), (2, "inner callback")]));
}

#[test]
fn a_task_resumed_by_a_timer_runs_one_iteration_after_the_timer_fires() {
    let lp = EventLoop::builder().virtual_time(true).trace(true).build();
    lp.run_until_complete(corio::sleep(Duration::from_millis(10)));
    let events = lp.take_trace();
    let fired = events.iter().find(|event| event.kind == TraceKind::TimerFired).expect("the timer fired");
    let resumed = events.iter().rfind(|event| event.kind == TraceKind::Poll { task: 1 }).expect("polled again");
    assert_eq!(fired.time, Duration::from_millis(10));
    assert_eq!(resumed.iteration, fired.iteration + 1, "asyncio resumes a sleeper one iteration after its timer");
    assert_eq!(lp.elapsed(), Duration::from_millis(10));
}

#[test]
fn a_task_awaiting_another_resumes_one_iteration_after_it_completes() {
    let log = EventLog::new();
    let lp = virtual_loop();
    let main_log = log.clone();
    lp.run_until_complete(async move {
        let child_log = main_log.clone();
        let child = corio::create_task(async move {
            corio::sleep(Duration::ZERO).await;
            child_log.push("child returns");
        });
        child.await.expect("the child completes");
        main_log.push("parent resumes");
    });
    assert_eq!(pairs(&log), expect(&[(2, "child returns"), (3, "parent resumes")]));
}

#[test]
fn the_trace_of_a_small_program_is_exactly_as_specified() {
    let lp = EventLoop::builder().virtual_time(true).trace(true).build();
    let output = lp.run_until_complete(async {
        let child = corio::create_task(async {
            corio::sleep(Duration::from_millis(5)).await;
            7
        });
        child.await
    });
    assert_eq!(output, Ok(7));
    let events: Vec<(u64, u128, TraceKind)> =
        lp.take_trace().into_iter().map(|event| (event.iteration, event.time.as_millis(), event.kind)).collect();
    assert_eq!(
        events,
        vec![
            (0, 0, TraceKind::Spawn { task: 1, name: "Task-1".into() }),
            // Iteration 0: the main task runs, spawns the child, awaits it.
            (0, 0, TraceKind::Poll { task: 1 }),
            (0, 0, TraceKind::Spawn { task: 2, name: "Task-2".into() }),
            // Iteration 1: the child's first step starts its sleep.
            (1, 0, TraceKind::Poll { task: 2 }),
            // Iteration 2: nothing is ready, so virtual time jumps to the
            // timer; its wake runs as a step of its own and queues the child.
            (2, 5, TraceKind::TimerFired),
            (2, 5, TraceKind::Wake { task: 2, remote: false }),
            // Iteration 3: the child completes and wakes its awaiter.
            (3, 5, TraceKind::Poll { task: 2 }),
            (3, 5, TraceKind::Complete { task: 2, outcome: "ok" }),
            (3, 5, TraceKind::Wake { task: 1, remote: false }),
            // Iteration 4: the main task completes.
            (4, 5, TraceKind::Poll { task: 1 }),
            (4, 5, TraceKind::Complete { task: 1, outcome: "ok" }),
            // Iteration 5: its done-callback stops the loop.
            (5, 5, TraceKind::Callback),
        ]
    );
}

#[test]
#[cfg_attr(miri, ignore = "Miri has no sockets")]
fn io_readiness_runs_the_waiting_task_in_the_same_iteration() {
    let lp = EventLoop::builder().trace(true).build();
    lp.run_until_complete(async {
        let listener = corio::net::TcpListener::bind("127.0.0.1:0".parse().expect("literal")).expect("bind");
        let addr = listener.local_addr().expect("local addr");
        let reader = corio::create_named_task("reader", async move {
            let (stream, _) = listener.accept().await.expect("accept");
            let mut buf = [0u8; 16];
            stream.read(&mut buf).await.expect("read")
        });
        let client = corio::net::TcpStream::connect(addr).await.expect("connect");
        // Let the reader park on its empty socket before anything arrives.
        for _ in 0..3 {
            corio::sleep(Duration::ZERO).await;
        }
        client.write_all(b"ping").await.expect("write");
        assert_eq!(reader.await, Ok(4));
    });
    let events = lp.take_trace();
    let reader_id = 2;
    let last_poll = events.iter().rfind(|event| event.kind == TraceKind::Poll { task: reader_id }).expect("polled");
    let readiness = events
        .iter()
        .rfind(|event| matches!(event.kind, TraceKind::IoReady { readable: true, .. }))
        .expect("the reactor reported the read");
    assert_eq!(last_poll.iteration, readiness.iteration, "I/O wakes run in the iteration that polled them");
    // The trace reads in causal order: readiness, then the wake it caused.
    let position = |wanted: &corio::TraceEvent| events.iter().position(|event| event == wanted).expect("present");
    let wake = events
        .iter()
        .rfind(|event| event.kind == TraceKind::Wake { task: reader_id, remote: false })
        .expect("the reader was woken");
    assert!(position(readiness) < position(wake), "readiness is recorded before the wake it causes");
}

#[test]
fn stop_finishes_the_current_iteration_and_leaves_the_rest_queued() {
    let log = EventLog::new();
    let lp = virtual_loop();
    let handle = lp.handle();
    let (first, later) = (log.clone(), log.clone());
    lp.call_soon(move || {
        first.push("first");
        handle.call_soon(move || later.push("queued during the stopping iteration"));
        handle.stop();
    });
    lp.run_forever();
    assert_eq!(log.labels(), ["first"]);
    // The next run picks up where the last one stopped.
    lp.run_until_complete(corio::sleep(Duration::ZERO));
    assert_eq!(log.labels(), ["first", "queued during the stopping iteration"]);
}

#[test]
fn run_until_complete_leaves_other_tasks_for_the_next_run() {
    let log = EventLog::new();
    let lp = virtual_loop();
    let background_log = log.clone();
    let background = lp.create_task(async move {
        corio::sleep(Duration::from_millis(50)).await;
        background_log.push("background done");
    });
    lp.run_until_complete(corio::sleep(Duration::from_millis(10)));
    assert!(!background.done());
    assert_eq!(lp.elapsed(), Duration::from_millis(10));
    lp.run_until_complete(background).expect("the background task completes");
    assert_eq!(lp.elapsed(), Duration::from_millis(50));
    assert_eq!(log.len(), 1);
}
