//! Signals on the loop: asyncio's `add_signal_handler` and
//! `remove_signal_handler`, tested by raising signals in this process.
//!
//! The twins of `tests/twins/signals.py` (run on CPython 3.13 with
//! `PYENV_VERSION=3.13.0 python3 tests/twins/signals.py`) compare the
//! delivery order, repeated and replaced handlers, and the refusals line
//! for line. The default action coming back after removal is checked in a
//! child process, since for most signals that action ends the process.
//!
//! Signal handlers are process-wide, and the tests of this file run in one
//! process on several threads, so each test holds [`SERIAL`] while it
//! handles signals.

mod common;

use std::cell::RefCell;
use std::os::unix::process::ExitStatusExt;
use std::process::Command;
use std::rc::Rc;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use common::{by_iteration, within};
use corio::signal::{SIGKILL, SIGSTOP, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH};
use corio::testing::EventLog;
use corio::{EventLoop, SignalError};
use signal_hook::low_level::raise;

/// Serialises the tests that install handlers or raise signals.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Lets the loop run `n` iterations.
async fn iterations(n: usize) {
    for _ in 0..n {
        corio::sleep(Duration::ZERO).await;
    }
}

#[test]
fn a_signal_raised_in_a_task_runs_its_callback_two_iterations_later_as_in_asyncio() {
    let _serial = serial();
    within(Duration::from_secs(20), || {
        let log = EventLog::new();
        let lp = EventLoop::new();
        let handler_log = log.clone();
        lp.add_signal_handler(SIGUSR1, move || handler_log.push("handler")).unwrap();
        lp.run_until_complete({
            let log = log.clone();
            async move {
                log.push("raise");
                raise(SIGUSR1).unwrap();
                log.push("raised");
                for step in 1..5 {
                    corio::sleep(Duration::ZERO).await;
                    log.push(format!("step {step}"));
                }
            }
        });
        assert!(lp.remove_signal_handler(SIGUSR1));
        // asyncio's log, and the iterations corio ran each line in.
        assert_eq!(
            by_iteration(&log),
            ["0: raise", "0: raised", "1: step 1", "2: step 2", "2: handler", "3: step 3", "4: step 4"]
        );
    });
}

#[test]
fn each_delivery_calls_the_handler_and_adding_again_replaces_it() {
    let _serial = serial();
    within(Duration::from_secs(20), || {
        let log = Rc::new(RefCell::new(Vec::new()));
        corio::run({
            let log = log.clone();
            async move {
                let lp = corio::get_running_loop();
                let first = log.clone();
                lp.add_signal_handler(SIGUSR2, move || first.borrow_mut().push("first handler".to_owned())).unwrap();
                raise(SIGUSR2).unwrap();
                raise(SIGUSR2).unwrap();
                iterations(3).await;
                let second = log.clone();
                lp.add_signal_handler(SIGUSR2, move || second.borrow_mut().push("second handler".to_owned())).unwrap();
                raise(SIGUSR2).unwrap();
                iterations(3).await;
                let removed = lp.remove_signal_handler(SIGUSR2);
                log.borrow_mut().push(format!("remove {}", if removed { "True" } else { "False" }));
                let again = lp.remove_signal_handler(SIGUSR2);
                log.borrow_mut().push(format!("remove again {}", if again { "True" } else { "False" }));
            }
        });
        assert_eq!(
            *log.borrow(),
            ["first handler", "first handler", "second handler", "remove True", "remove again False"]
        );
    });
}

#[test]
fn signals_that_cannot_be_caught_and_numbers_that_are_no_signals_are_refused() {
    let lp = EventLoop::new();
    let mut log = Vec::new();
    for signum in [SIGKILL, SIGSTOP, 0, 100_000] {
        match lp.add_signal_handler(signum, || {}) {
            Err(SignalError::Uncatchable(n)) => log.push(format!("add {n}: RuntimeError")),
            Err(SignalError::Invalid(n)) => log.push(format!("add {n}: ValueError")),
            other => panic!("signal {signum}: {other:?}"),
        }
    }
    let removed = lp.remove_signal_handler(SIGKILL);
    log.push(format!("remove SIGKILL {}", if removed { "True" } else { "False" }));
    assert_eq!(
        log,
        [
            "add 9: RuntimeError",
            "add 19: RuntimeError",
            "add 0: ValueError",
            "add 100000: ValueError",
            "remove SIGKILL False"
        ]
    );
    assert_eq!(SignalError::Uncatchable(9).to_string(), "signal 9 cannot be caught on the loop");
}

#[test]
fn a_signal_that_arrives_before_the_loop_runs_is_delivered_once_it_does() {
    let _serial = serial();
    within(Duration::from_secs(20), || {
        let lp = EventLoop::new();
        let count = Rc::new(RefCell::new(0));
        let counter = count.clone();
        lp.add_signal_handler(SIGUSR1, move || *counter.borrow_mut() += 1).unwrap();
        raise(SIGUSR1).unwrap();
        assert_eq!(*count.borrow(), 0, "nothing runs outside the loop");
        lp.run_until_complete(iterations(3));
        assert_eq!(*count.borrow(), 1);
        assert!(lp.remove_signal_handler(SIGUSR1));
    });
}

#[test]
fn a_handler_is_no_task_and_a_removed_one_is_not_called() {
    let _serial = serial();
    within(Duration::from_secs(20), || {
        let count = Rc::new(RefCell::new(0));
        corio::run({
            let count = count.clone();
            async move {
                let lp = corio::get_running_loop();
                let counter = count.clone();
                // SIGWINCH's default action is to ignore it, so raising it
                // after the removal is harmless.
                lp.add_signal_handler(SIGWINCH, move || *counter.borrow_mut() += 1).unwrap();
                assert_eq!(corio::all_tasks().len(), 1, "only the main task: a handler spawns no task");
                raise(SIGWINCH).unwrap();
                iterations(3).await;
                assert!(lp.remove_signal_handler(SIGWINCH));
                raise(SIGWINCH).unwrap();
                iterations(3).await;
            }
        });
        assert_eq!(*count.borrow(), 1);
    });
}

/// Runs this test binary again as a child process that plays `scenario`
/// (see [`child_process_entry_point_not_a_test`]) and returns the signal
/// that ended it, if one did.
fn child_killed_by(scenario: &str) -> Option<i32> {
    let status = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_process_entry_point_not_a_test", "--test-threads=1", "--quiet"])
        .env("CORIO_SIGNAL_CHILD", scenario)
        .output()
        .unwrap()
        .status;
    assert!(status.signal().is_some() || status.success(), "the child failed: {status:?}");
    status.signal()
}

/// Not a test: the body of the child process of the tests below, chosen by
/// `CORIO_SIGNAL_CHILD`. Run without it (as `cargo test` does), it does
/// nothing. In each scenario the child raises `SIGTERM`; it survives only
/// if a loop still handles the signal.
#[test]
fn child_process_entry_point_not_a_test() {
    let Ok(scenario) = std::env::var("CORIO_SIGNAL_CHILD") else { return };
    let lp = EventLoop::new();
    lp.add_signal_handler(SIGTERM, || {}).unwrap();
    match scenario.as_str() {
        "handled" => {}
        "removed" => assert!(lp.remove_signal_handler(SIGTERM)),
        "closed" => lp.close(),
        other => panic!("unknown scenario {other}"),
    }
    raise(SIGTERM).unwrap();
    if !lp.is_closed() {
        lp.run_until_complete(iterations(3));
    }
}

#[test]
fn a_handled_sigterm_does_not_end_the_process() {
    assert_eq!(child_killed_by("handled"), None);
}

#[test]
fn removing_the_handler_gives_the_signal_its_default_action_back() {
    assert_eq!(child_killed_by("removed"), Some(SIGTERM));
}

#[test]
fn closing_the_loop_removes_its_handlers() {
    assert_eq!(child_killed_by("closed"), Some(SIGTERM));
}
