//! Tools for testing your own code's scheduling order against corio.
//!
//! corio's order is specified (it follows asyncio's `_run_once`, see
//! DESIGN.md), so a test can run a loop on a virtual clock, have its tasks
//! and callbacks write to an [`EventLog`], and compare the whole log with
//! `assert_eq!`: which loop iteration each step ran in, at what loop time,
//! in what order. The crate's own scheduling tests are written this way.

use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;
use std::time::Duration;

use crate::runtime::context;

/// A shared, ordered record of what happened: each entry a label stamped
/// with the running loop's iteration and time.
///
/// Clones share one log, so hand a clone to every task, callback and
/// exception handler that should write to it. Like the loop it is for one
/// thread (`!Send`).
///
/// ```
/// use std::time::Duration;
/// use corio::testing::EventLog;
///
/// let lp = corio::EventLoop::builder().virtual_time(true).build();
/// let log = EventLog::new();
/// let task_log = log.clone();
/// lp.run_until_complete(async move {
///     let child = corio::create_task(async move {
///         task_log.push("child starts");
///         corio::sleep(Duration::from_millis(10)).await;
///         task_log.push("child wakes");
///     });
///     let _ = child.await;
/// });
/// let stamps: Vec<_> = log.entries().iter().map(|e| (e.iteration, e.time, e.label.clone())).collect();
/// assert_eq!(
///     stamps,
///     [
///         (Some(1), Some(Duration::ZERO), "child starts".to_string()),
///         // The timer fires in iteration 2, and the task runs one
///         // iteration later, as in asyncio.
///         (Some(3), Some(Duration::from_millis(10)), "child wakes".to_string()),
///     ]
/// );
/// ```
#[derive(Clone, Default)]
pub struct EventLog {
    /// The entries, oldest first.
    entries: Rc<RefCell<Vec<Entry>>>,
}

/// One line of an [`EventLog`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The iteration of the loop running on this thread when the entry was
    /// pushed (what [`LoopHandle::iteration`](crate::LoopHandle::iteration)
    /// said); `None` if no loop was running (a destructor or an exception
    /// handler running while a loop closes, or code between two runs).
    pub iteration: Option<u64>,
    /// That loop's time since it was created
    /// ([`LoopHandle::elapsed`](crate::LoopHandle::elapsed)); `None` with
    /// no loop running.
    pub time: Option<Duration>,
    /// What happened, in the caller's words.
    pub label: String,
}

impl EventLog {
    /// An empty log.
    pub fn new() -> EventLog {
        EventLog::default()
    }

    /// Appends `label`, stamped with the running loop's iteration and time.
    pub fn push(&self, label: impl Into<String>) {
        let running = context::try_current();
        let entry = Entry {
            iteration: running.as_ref().map(|core| core.iteration()),
            time: running.as_ref().map(|core| core.clock.elapsed()),
            label: label.into(),
        };
        self.entries.borrow_mut().push(entry);
    }

    /// Every entry so far, oldest first.
    pub fn entries(&self) -> Vec<Entry> {
        self.entries.borrow().clone()
    }

    /// The labels alone, oldest first: for tests that check order and not
    /// timing.
    pub fn labels(&self) -> Vec<String> {
        self.entries.borrow().iter().map(|entry| entry.label.clone()).collect()
    }

    /// How many entries there are.
    pub fn len(&self) -> usize {
        self.entries.borrow().len()
    }

    /// True if nothing was pushed yet.
    pub fn is_empty(&self) -> bool {
        self.entries.borrow().is_empty()
    }
}

/// One entry per line: iteration, loop time in milliseconds, label (`-`
/// where no loop was running), for printing a log while writing a test.
///
/// ```
/// let log = corio::testing::EventLog::new();
/// corio::EventLoop::builder().virtual_time(true).build().run_until_complete({
///     let log = log.clone();
///     async move { log.push("hello") }
/// });
/// log.push("after the run");
/// assert_eq!(log.to_string(), "   0      0.000 ms  hello\n   -          - ms  after the run\n");
/// ```
impl fmt::Display for EventLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for entry in self.entries.borrow().iter() {
            match entry.iteration {
                Some(iteration) => write!(f, "{iteration:>4} ")?,
                None => write!(f, "{:>4} ", "-")?,
            }
            match entry.time {
                Some(time) => write!(f, "{:>10.3} ms  ", time.as_secs_f64() * 1000.0)?,
                None => write!(f, "{:>10} ms  ", "-")?,
            }
            writeln!(f, "{}", entry.label)?;
        }
        Ok(())
    }
}

impl fmt::Debug for EventLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.entries.borrow().iter()).finish()
    }
}
