//! The engine: everything that makes a task run, and nothing users hold.
//!
//! One loop iteration (`core/`) runs what the ready queue holds
//! (`ready.rs`), fed by the reactor (`reactor.rs`), the timer wheel
//! (`wheel.rs`, on the ticks of `clock.rs`), the inbox (`inbox.rs`: wakes
//! and callbacks from other threads) and the blocking pool (`blocking.rs`).
//! A task is one allocation (`raw_task.rs`), kept by the loop in
//! `task_slab.rs`, whose waker (`waker.rs`) puts it back on the queue; `context.rs` tells a waker which loop is running here,
//! and `budget.rs` bounds how much I/O one step of a task may do.
//! The loop reports to `report.rs` and `trace.rs`. The order to read these
//! files in is the crate tour at the top of `lib.rs`.

pub(crate) mod blocking;
pub(crate) mod budget;
pub(crate) mod clock;
pub(crate) mod context;
pub(crate) mod core;
pub(crate) mod inbox;
pub(crate) mod io_wait;
pub(crate) mod loop_thread;
#[allow(unsafe_code)]
pub(crate) mod raw_task;
pub(crate) mod reactor;
pub(crate) mod ready;
pub(crate) mod report;
pub(crate) mod task_slab;
pub(crate) mod trace;
#[allow(unsafe_code)]
pub(crate) mod waker;
pub(crate) mod wheel;
