//! Tasks as users hold them: the [`Task`] handle, the free functions that
//! spawn and find tasks on the running loop, eager tasks, task groups, the
//! [`LoopFuture`] a task can await without a task behind it, and the
//! [`ConcurrentFuture`] another thread blocks on.
//!
//! The task itself (one allocation, its state bits, its waker) is engine
//! code in `runtime/raw_task.rs` and `runtime/waker.rs`; read those first.

mod eager;
mod group;
pub(crate) mod handle;
mod loop_future;
pub(crate) mod spawn;
mod threadsafe;
mod to_thread;

pub use eager::create_eager_task;
pub use group::{TaskGroup, TaskGroupScope, task_group};
pub use handle::{DoneCallbackId, Join, Task, TaskHandle};
pub use loop_future::{Awaiting, LoopFuture, create_future};
pub use spawn::{IntoTask, all_tasks, create_named_task, create_task, current_task, ensure_future};
pub(crate) use spawn::{spawn_eager_on, spawn_on};
pub use threadsafe::{ConcurrentFuture, run_coroutine_threadsafe};
pub use to_thread::{ToThread, to_thread};
