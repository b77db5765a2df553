//! Shared helpers for the integration tests: an event log the tests and their
//! tasks write to, a guard that reports when a future is dropped, the
//! virtual-clock loop most tests run on, a collector for the loop's reports,
//! a way to await a batch of tasks, and a time limit that turns a hang into a
//! failure.
//!
//! Each test file includes this module with `mod common;`.

// Every test file is its own crate and uses only some of these helpers; the
// rest would otherwise be reported as dead code in that crate.
#![allow(dead_code)]

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use corio::{EventLoop, LoopHandle, Report, Task, TaskError};

pub mod douban;
pub mod examples;
pub mod http;
pub mod tls;

/// What happened, in order, shared between a test, its tasks, its callbacks
/// and its exception handler.
#[derive(Clone, Default)]
pub struct Log(Rc<RefCell<Vec<String>>>);

impl Log {
    /// Appends `event` as it is.
    pub fn push(&self, event: &str) {
        self.0.borrow_mut().push(event.to_owned());
    }

    /// Appends `event` stamped with the running loop's (virtual) time, as
    /// "`event` at `N`ms".
    pub fn stamp(&self, event: &str) {
        let now = corio::get_running_loop().elapsed();
        self.0.borrow_mut().push(format!("{event} at {}ms", now.as_millis()));
    }

    /// Appends `event` prefixed with the running loop's iteration, as
    /// "`N`: `event`".
    pub fn record(&self, event: &str) {
        let iteration = corio::get_running_loop().iteration();
        self.0.borrow_mut().push(format!("{iteration}: {event}"));
    }

    /// Everything recorded so far.
    pub fn entries(&self) -> Vec<String> {
        self.0.borrow().clone()
    }
}

/// Runs a closure when dropped: moved into a future, it shows the moment the
/// future is destroyed (completed or cancelled), even if it was never polled.
pub struct DropGuard<F: FnMut()>(pub F);

impl<F: FnMut()> Drop for DropGuard<F> {
    fn drop(&mut self) {
        (self.0)();
    }
}

/// A loop whose clock jumps from timer to timer, so times are exact.
pub fn virtual_loop() -> EventLoop {
    EventLoop::builder().virtual_time(true).build()
}

/// Collects every report the loop hands to its exception handler.
pub fn collect_reports(lp: &LoopHandle) -> Rc<RefCell<Vec<Report>>> {
    let reports = Rc::new(RefCell::new(Vec::new()));
    let sink = reports.clone();
    lp.set_exception_handler(move |report| sink.borrow_mut().push(report.clone()));
    reports
}

/// Awaits each of `tasks` in turn and returns their outcomes, in order.
pub async fn outcomes_of<T>(tasks: Vec<Task<T>>) -> Vec<Result<T, TaskError>> {
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await);
    }
    outcomes
}

/// Runs `test` on a fresh thread and fails if it does not finish within
/// `limit` (the stuck thread is left behind; the test binary still exits).
pub fn within(limit: Duration, test: impl FnOnce() + Send + 'static) {
    let (done, finished) = mpsc::channel();
    let runner = thread::spawn(move || {
        test();
        let _ = done.send(());
    });
    match finished.recv_timeout(limit) {
        Ok(()) => runner.join().unwrap(),
        // The sender was dropped without sending: the test panicked.
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            if let Err(panic) = runner.join() {
                std::panic::resume_unwind(panic);
            }
        }
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("the test did not finish within {limit:?}"),
    }
}
