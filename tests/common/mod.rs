//! Shared helpers for the integration tests: two ways to print the entries of
//! a `corio::testing::EventLog`, a guard that reports when a future is dropped, the
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

use corio::testing::{Entry, EventLog};
use corio::{EventLoop, LoopHandle, Report, Task, TaskError};

pub mod douban;
pub mod examples;
pub mod faults;
pub mod http;
pub mod redis;
pub mod servers;
pub mod tls;
pub mod twin;

/// An event log's entries as "`label` at `N`ms" lines, `N` the loop time
/// in whole milliseconds when the entry was pushed.
pub fn at_ms(log: &EventLog) -> Vec<String> {
    log.entries().into_iter().map(|entry| format!("{} at {}ms", entry.label, millis(&entry))).collect()
}

/// An event log's entries as "`N`: `label`" lines, `N` the loop iteration
/// the entry was pushed in.
pub fn by_iteration(log: &EventLog) -> Vec<String> {
    log.entries().into_iter().map(|entry| format!("{}: {}", iteration(&entry), entry.label)).collect()
}

/// The loop iteration an entry was pushed in (every entry of these tests is
/// pushed from inside a running loop).
pub fn iteration(entry: &Entry) -> u64 {
    entry.iteration.expect("the entry was pushed outside a running loop")
}

/// The loop time, in whole milliseconds, an entry was pushed at.
pub fn millis(entry: &Entry) -> u128 {
    entry.time.expect("the entry was pushed outside a running loop").as_millis()
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
