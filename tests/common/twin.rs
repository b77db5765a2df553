//! Helpers for the Rust twins of asyncio programs: the tests that run a
//! Python 3.13 program's scenario on corio and compare the two event logs
//! line by line.
//!
//! The Python side logs through a loop that counts its `_run_once` calls,
//! so each line reads `iteration: label` as [`super::by_iteration`] prints
//! corio's; the programs live beside their twins as comments, with the
//! output CPython 3.13 printed.
//!
//! The harness every program imports (`from harness import *`), saved as
//! `harness.py` beside them:
//!
//! ```python
//! import asyncio
//!
//! class Loop(asyncio.SelectorEventLoop):
//!     iteration = 0
//!     def _run_once(self):
//!         super()._run_once()
//!         self.iteration += 1
//!
//! LOG = []
//! def say(label):
//!     LOG.append(f"{asyncio.get_running_loop().iteration}: {label}")
//!
//! def run(main):
//!     asyncio.run(main(), loop_factory=Loop)
//!     print("\n".join(LOG))
//!
//! async def settle(*tasks):
//!     """Awaits each task in turn, whether it finishes or is cancelled."""
//!     for task in tasks:
//!         try:
//!             await task
//!         except asyncio.CancelledError:
//!             pass
//! ```

use std::time::Duration;

use corio::Task;
use corio::testing::EventLog;

/// Gives up `n` loop iterations: `for _ in range(n): await asyncio.sleep(0)`.
pub async fn yields(n: usize) {
    for _ in 0..n {
        corio::sleep(Duration::ZERO).await;
    }
}

/// Awaits each task in turn, whether it finished or was cancelled: the
/// harness's `settle`.
pub async fn settle<T>(tasks: Vec<Task<T>>) {
    for task in tasks {
        let _ = task.await;
    }
}

/// Logs "`name` cancelled" (or runs any note) if dropped before
/// [`finish`](CancelNote::finish): where asyncio throws `CancelledError`
/// into a coroutine, corio drops the future, so the drop is where the
/// Python program's `except CancelledError` line is written.
///
/// Declare it before the future it watches is awaited: locals drop in
/// reverse order, so that future is gone (and has cleaned up) by the time
/// the note is written, as the Python `except` runs after the awaited
/// call's `finally`.
pub struct CancelNote {
    /// What to do on cancellation; `None` once finished.
    note: Option<Box<dyn FnOnce()>>,
}

impl CancelNote {
    /// Arms a note saying that the task called `name` was cancelled.
    pub fn new(log: &EventLog, name: &str) -> CancelNote {
        let (log, label) = (log.clone(), format!("{name} cancelled"));
        CancelNote::with(move || log.push(label))
    }

    /// Arms `note`, to run if the task is cancelled.
    pub fn with(note: impl FnOnce() + 'static) -> CancelNote {
        CancelNote { note: Some(Box::new(note)) }
    }

    /// Disarms the note: the task got past the point it could be cancelled at.
    pub fn finish(mut self) {
        self.note = None;
    }
}

impl Drop for CancelNote {
    fn drop(&mut self) {
        if let Some(note) = self.note.take() {
            note();
        }
    }
}
