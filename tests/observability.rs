//! What the loop lets you see: `current_task` and `all_tasks`, task names
//! and ids, the iteration counter and virtual clock, the event trace (its
//! exact sequence for a small program, its JSON form and the JSON-lines
//! writer), and debug mode's slow-poll report.
//!
//! The trace tests write out the events `run_once` must produce, phase by
//! phase, and compare the whole sequence; the slow-poll tests are the only
//! ones that use the real clock, with generous bounds.

mod common;

use std::cell::RefCell;
use std::io;
use std::rc::Rc;
use std::time::Duration;

use common::{collect_reports, virtual_loop};
use corio::{EventLoop, Report, TaskError, TraceEvent, TraceKind};

/// The names of the running loop's unfinished tasks, sorted (`all_tasks`
/// promises no order).
fn pending_names() -> Vec<String> {
    let mut names: Vec<String> = corio::all_tasks().iter().map(corio::TaskHandle::get_name).collect();
    names.sort();
    names
}

// ----- current_task, all_tasks, names --------------------------------------

#[test]
fn current_task_inside_a_task_is_that_task() {
    let lp = virtual_loop();

    lp.run_until_complete(async {
        let spawned = Rc::new(RefCell::new(None));
        let expected = spawned.clone();
        let task = corio::create_named_task("worker", async move {
            let me = corio::current_task().expect("inside a task");
            let expected = expected.borrow().clone().expect("the spawner stored the handle before yielding");
            (me == expected, me.id(), me.get_name())
        });
        *spawned.borrow_mut() = Some(task.handle());
        let id = task.id();
        assert_eq!(task.await, Ok((true, id, "worker".to_owned())));
    });
}

#[test]
fn the_future_given_to_run_until_complete_runs_as_the_first_task() {
    let lp = virtual_loop();

    let me = lp.run_until_complete(async {
        let me = corio::current_task().expect("the main future runs as a task");
        (me.id(), me.get_name(), me.done())
    });

    assert_eq!(me, (1, "Task-1".to_owned(), false));
}

#[test]
fn current_task_is_none_in_a_callback_and_outside_a_loop() {
    let lp = virtual_loop();
    let seen = Rc::new(RefCell::new(Vec::new()));
    let soon = seen.clone();
    let later = seen.clone();
    lp.call_soon(move || soon.borrow_mut().push(corio::current_task().map(|task| task.get_name())));
    lp.call_later(Duration::from_millis(5), move || {
        later.borrow_mut().push(corio::current_task().map(|task| task.get_name()))
    });

    lp.run_until_complete(corio::sleep(Duration::from_millis(10)));

    assert_eq!(*seen.borrow(), [None, None]);
    assert!(corio::current_task().is_none());
    assert!(corio::all_tasks().is_empty());
}

#[test]
fn all_tasks_lists_the_unfinished_tasks_and_not_the_finished_ones() {
    let lp = virtual_loop();

    let (at_start, later, includes_me) = lp.run_until_complete(async {
        let short = corio::create_named_task("short", corio::sleep(Duration::from_millis(10)));
        let _long = corio::create_named_task("long", corio::sleep(Duration::from_millis(30)));
        let at_start = pending_names();
        corio::sleep(Duration::from_millis(20)).await;
        assert!(short.done(), "a finished task whose handle is still held");
        let me = corio::current_task().expect("inside a task");
        (at_start, pending_names(), corio::all_tasks().contains(&me))
    });

    assert_eq!(at_start, ["Task-1", "long", "short"]);
    assert_eq!(later, ["Task-1", "long"]);
    assert!(includes_me);
    // The explicit loop leaves "long" pending between runs.
    assert_eq!(lp.run_until_complete(async { pending_names() }), ["Task-4", "long"]);
}

#[test]
fn task_names_default_to_task_and_the_id_and_can_be_set() {
    let lp = virtual_loop();

    let names = lp.run_until_complete(async {
        let unnamed = corio::create_task(async { corio::current_task().expect("inside a task").get_name() });
        let named =
            corio::create_named_task("named", async { corio::current_task().expect("inside a task").get_name() });
        let via_loop = corio::get_running_loop().create_named_task("via loop", async {});
        let (unnamed_id, named_id, via_loop_id) = (unnamed.id(), named.id(), via_loop.id());
        let default_name = unnamed.get_name();
        unnamed.set_name("renamed");
        let handle_name = unnamed.handle().get_name();
        (
            (unnamed_id, named_id, via_loop_id),
            default_name,
            handle_name,
            via_loop.get_name(),
            unnamed.await,
            named.await,
        )
    });

    assert_eq!(
        names,
        (
            (2, 3, 4),
            "Task-2".to_owned(),
            "renamed".to_owned(),
            "via loop".to_owned(),
            Ok("renamed".to_owned()),
            Ok("named".to_owned()),
        )
    );
}

// ----- iteration and elapsed ----------------------------------------------

#[test]
fn a_zero_sleep_yields_one_iteration_and_a_timer_wake_takes_two() {
    let lp = virtual_loop();

    let seen = lp.run_until_complete(async {
        let lp = corio::get_running_loop();
        let mut seen = vec![(lp.iteration(), lp.elapsed())];
        corio::sleep(Duration::ZERO).await;
        seen.push((lp.iteration(), lp.elapsed()));
        corio::sleep(Duration::ZERO).await;
        seen.push((lp.iteration(), lp.elapsed()));
        // The timer fires (and wakes us) in one iteration; we run in the next.
        corio::sleep(Duration::from_millis(10)).await;
        seen.push((lp.iteration(), lp.elapsed()));
        seen
    });

    let ms = Duration::from_millis;
    assert_eq!(seen, [(0, ms(0)), (1, ms(0)), (2, ms(0)), (4, ms(10))]);
    // One more iteration runs the done-callback that stops the loop.
    assert_eq!(lp.iteration(), 6);
    assert_eq!(lp.elapsed(), ms(10));
}

// ----- the trace -----------------------------------------------------------

/// A trace event at `iteration` and `ms` milliseconds of loop time.
fn event(iteration: u64, ms: u64, kind: TraceKind) -> TraceEvent {
    TraceEvent { iteration, time: Duration::from_millis(ms), kind }
}

#[test]
fn the_trace_of_a_small_program_follows_the_loop_phases_exactly() {
    let lp = EventLoop::builder().virtual_time(true).trace(true).build();
    let task = lp.create_task(async {
        corio::sleep(Duration::from_millis(10)).await;
        7
    });
    lp.call_soon(|| {});
    lp.call_later(Duration::from_millis(5), || {});

    let output = lp.run_until_complete(task);

    assert_eq!(output, Ok(7));
    assert_eq!(
        lp.take_trace(),
        [
            // Before the loop runs: the task is queued for its first step.
            // run_until_complete takes the task as it is (asyncio's
            // ensure_future), so there is no second task.
            event(0, 0, TraceKind::Spawn { task: 1, name: "Task-1".into() }),
            // Iteration 0 runs the ready queue in FIFO order: the task starts
            // its sleep, then the callback runs.
            event(0, 0, TraceKind::Poll { task: 1 }),
            event(0, 0, TraceKind::Callback),
            // Nothing is ready: the clock jumps to the first timer, the
            // call_later callback, which runs in the iteration it fell due.
            event(1, 5, TraceKind::TimerFired),
            event(1, 5, TraceKind::Callback),
            // The sleep's timer fires and its wake entry runs, queueing the task...
            event(2, 10, TraceKind::TimerFired),
            event(2, 10, TraceKind::Wake { task: 1, remote: false }),
            // ...which runs in the next iteration and completes...
            event(3, 10, TraceKind::Poll { task: 1 }),
            event(3, 10, TraceKind::Complete { task: 1, outcome: "ok" }),
            // ...and its done-callback stops the loop in the one after, as
            // asyncio's run_until_complete does.
            event(4, 10, TraceKind::Callback),
        ]
    );
    assert_eq!(lp.iteration(), 5);
    assert!(lp.take_trace().is_empty(), "take_trace takes the events");
}

#[test]
fn the_trace_records_panicked_and_cancelled_outcomes() {
    let lp = EventLoop::builder().virtual_time(true).trace(true).build();
    let doomed = lp.create_task(async { panic!("boom") });
    let sleeper = lp.create_named_task("sleeper", corio::sleep(Duration::from_secs(3600)));
    assert!(sleeper.cancel());

    let outcomes = lp.run_until_complete(async move { (doomed.await, sleeper.await) });

    assert_eq!(outcomes, (Err::<(), _>(TaskError::Panicked("boom".into())), Err(TaskError::Cancelled)));
    assert_eq!(
        lp.take_trace(),
        [
            event(0, 0, TraceKind::Spawn { task: 1, name: "Task-1".into() }),
            event(0, 0, TraceKind::Spawn { task: 2, name: "sleeper".into() }),
            event(0, 0, TraceKind::Spawn { task: 3, name: "Task-3".into() }),
            event(0, 0, TraceKind::Poll { task: 1 }),
            event(0, 0, TraceKind::Complete { task: 1, outcome: "panicked" }),
            // Cancelled before its first step: dropped without a poll.
            event(0, 0, TraceKind::Complete { task: 2, outcome: "cancelled" }),
            // Both are done by the time the main task first runs: no waiting.
            event(0, 0, TraceKind::Poll { task: 3 }),
            event(0, 0, TraceKind::Complete { task: 3, outcome: "ok" }),
            // The main task's done-callback stops the loop.
            event(1, 0, TraceKind::Callback),
        ]
    );
}

#[test]
fn to_json_writes_each_kind_of_event_as_one_json_object() {
    let at = |kind| TraceEvent { iteration: 3, time: Duration::from_micros(1500), kind };
    let cases = [
        (TraceKind::Spawn { task: 1, name: "Task-1".into() }, r#""event":"spawn","task":1,"name":"Task-1""#),
        (TraceKind::Poll { task: 2 }, r#""event":"poll","task":2"#),
        (TraceKind::Wake { task: 2, remote: true }, r#""event":"wake","task":2,"remote":true"#),
        (TraceKind::Wake { task: 2, remote: false }, r#""event":"wake","task":2,"remote":false"#),
        (TraceKind::Complete { task: 2, outcome: "panicked" }, r#""event":"complete","task":2,"outcome":"panicked""#),
        (TraceKind::TimerFired, r#""event":"timer_fired""#),
        (TraceKind::Callback, r#""event":"callback""#),
        (
            TraceKind::IoReady { token: 4, readable: true, writable: false },
            r#""event":"io_ready","token":4,"readable":true,"writable":false"#,
        ),
    ];

    for (kind, fields) in cases {
        assert_eq!(at(kind).to_json(), format!(r#"{{"iteration":3,"time_us":1500,{fields}}}"#));
    }
}

#[test]
fn to_json_escapes_quotes_backslashes_and_control_characters_in_names() {
    let spawn = TraceEvent {
        iteration: 0,
        time: Duration::ZERO,
        kind: TraceKind::Spawn { task: 9, name: "say \"hi\"\\\tthen\nstop – ok".into() },
    };

    assert_eq!(
        spawn.to_json(),
        r#"{"iteration":0,"time_us":0,"event":"spawn","task":9,"name":"say \"hi\"\\\u0009then\u000astop – ok"}"#
    );
}

#[test]
fn write_trace_jsonl_writes_one_line_per_event() {
    let lp = EventLoop::builder().virtual_time(true).trace(true).build();
    lp.run_until_complete(corio::sleep(Duration::from_millis(3)));
    let events = lp.take_trace();
    assert_eq!(events.len(), 7, "spawn, poll, timer_fired, wake, poll, complete, callback: {events:?}");

    let mut out = Vec::new();
    corio::write_trace_jsonl(&events, &mut out).expect("writing to a Vec cannot fail");

    let text = String::from_utf8(out).expect("the trace is UTF-8");
    let lines: Vec<&str> = text.lines().collect();
    let expected: Vec<String> = events.iter().map(TraceEvent::to_json).collect();
    assert_eq!(lines, expected);
    assert!(text.ends_with("}\n"));
}

/// A writer that always fails.
struct Broken;

impl io::Write for Broken {
    fn write(&mut self, _: &[u8]) -> io::Result<usize> {
        Err(io::Error::other("disk on fire"))
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn write_trace_jsonl_passes_on_write_errors() {
    let events = [event(0, 0, TraceKind::Callback)];

    let error = corio::write_trace_jsonl(&events, Broken).expect_err("the writer fails");

    assert_eq!(error.to_string(), "disk on fire");
}

// ----- reports and debug mode ------------------------------------------------

#[test]
#[cfg_attr(miri, ignore = "measures wall-clock time")]
fn debug_mode_reports_a_slow_poll_naming_the_task() {
    let lp = EventLoop::builder().debug(true).build();
    let reports = collect_reports(&lp);
    let task = lp.create_named_task("sluggish", async { std::thread::sleep(Duration::from_millis(150)) });

    assert_eq!(lp.run_until_complete(task), Ok(()));

    let reports = reports.borrow();
    let [Report::SlowPoll { task, elapsed }] = reports.as_slice() else {
        panic!("expected exactly one slow-poll report, got {reports:?}");
    };
    assert_eq!(task, "sluggish");
    assert!(*elapsed >= Duration::from_millis(150) && *elapsed < Duration::from_secs(30), "{elapsed:?}");
}

#[test]
#[cfg_attr(miri, ignore = "measures wall-clock time")]
fn slow_polls_are_measured_in_real_time_even_on_a_virtual_clock() {
    let lp =
        EventLoop::builder().virtual_time(true).debug(true).slow_callback_duration(Duration::from_millis(10)).build();
    let reports = collect_reports(&lp);
    let task = lp.create_task(async { std::thread::sleep(Duration::from_millis(30)) });
    task.set_name("renamed before running");

    lp.run_until_complete(task).expect("the task returns");

    let reports = reports.borrow();
    let [Report::SlowPoll { task, elapsed }] = reports.as_slice() else {
        panic!("expected exactly one slow-poll report, got {reports:?}");
    };
    assert_eq!(task, "renamed before running");
    assert!(*elapsed >= Duration::from_millis(30), "{elapsed:?}");
    assert_eq!(lp.elapsed(), Duration::ZERO, "virtual time does not move for real time spent polling");
}

#[test]
#[cfg_attr(miri, ignore = "measures wall-clock time")]
fn without_debug_mode_a_slow_poll_is_not_reported() {
    let lp = EventLoop::builder().debug(false).slow_callback_duration(Duration::from_millis(1)).build();
    let reports = collect_reports(&lp);
    let task = lp.create_task(async { std::thread::sleep(Duration::from_millis(20)) });

    lp.run_until_complete(task).expect("the task returns");

    assert!(!lp.get_debug());
    assert_eq!(*reports.borrow(), Vec::<Report>::new());
}

#[test]
fn debug_mode_is_off_by_default_unless_corio_debug_is_set() {
    // The default comes from the environment, like PYTHONASYNCIODEBUG; this
    // test only reads it.
    let from_env = std::env::var_os("CORIO_DEBUG").is_some_and(|value| !value.is_empty() && value != "0");

    assert_eq!(EventLoop::new().get_debug(), from_env);
    assert_eq!(EventLoop::builder().build().get_debug(), from_env);
    assert!(EventLoop::builder().debug(true).build().get_debug());
    assert!(!EventLoop::builder().debug(false).build().get_debug());
}

#[test]
fn reports_display_as_one_lowercase_line() {
    let cases = [
        (
            Report::NeverRetrieved { task: "worker".into(), message: "boom".into() },
            "task exception was never retrieved: worker panicked: boom",
        ),
        (Report::DestroyedPending { task: "worker".into() }, "task was destroyed but it is pending: worker"),
        (
            Report::SlowPoll { task: "worker".into(), elapsed: Duration::from_millis(150) },
            "executing worker took 0.150 seconds",
        ),
        (Report::CallbackPanicked { message: "boom".into() }, "exception in callback: boom"),
    ];

    for (report, line) in cases {
        assert_eq!(report.to_string(), line);
    }
}
