//! The loop as users drive it: [`run()`], the [`EventLoop`] you own (set up
//! by a [`Builder`]), the [`LoopHandle`] any task can get from
//! [`get_running_loop`], the [`RemoteHandle`] other threads may hold, the
//! handles of scheduled callbacks, and signal handlers (`signals.rs`).
//!
//! Everything here is a thin, asyncio-shaped face over the engine's
//! `runtime/core/`, where one iteration of the loop actually runs.

mod builder;
mod callback_handle;
mod loop_handle;
mod remote;
mod run;
mod signal_registration;
mod signals;

pub use builder::Builder;
pub use callback_handle::{CallbackHandle, TimerHandle};
pub use loop_handle::LoopHandle;
pub use remote::{LoopClosed, RemoteHandle};
pub use run::{EventLoop, get_running_loop, run};
pub use signals::SignalError;
