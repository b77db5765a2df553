//! The event loop: its engine (`core.rs`), its public face
//! (`event_loop.rs`), and the pieces they stand on.
//!
//! Read in this order: `core.rs` (one iteration, phase by phase),
//! `shared.rs` and `context.rs` (how a wake finds its loop), `callback.rs`
//! (what the ready queue holds), `clock.rs`, `event_loop.rs`,
//! `loop_handle.rs` and `builder.rs`, then
//! `report.rs` and `trace.rs` (what the loop tells you).

pub(crate) mod blocking;
pub(crate) mod builder;
pub(crate) mod callback;
pub(crate) mod clock;
pub(crate) mod context;
pub(crate) mod core;
pub(crate) mod event_loop;
pub(crate) mod loop_handle;
pub(crate) mod raw_task;
pub(crate) mod reactor;
pub(crate) mod report;
pub(crate) mod shared;
pub(crate) mod trace;
pub(crate) mod waker;
pub(crate) mod wheel;
