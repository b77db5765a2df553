//! Tasks: the unit the executor schedules.
//!
//! Read `raw.rs` first (the one allocation per task and the rule that keeps a
//! `!Send` future on its loop's thread), then `waker.rs` (how waking becomes
//! queueing), then `handle.rs` (what users hold).

pub(crate) mod handle;
pub(crate) mod raw;
pub(crate) mod spawn;
pub(crate) mod waker;

pub use handle::{Join, Task, TaskHandle};
pub use spawn::{all_tasks, create_named_task, create_task, current_task, ensure_future};
