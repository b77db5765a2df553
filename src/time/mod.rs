//! Time as users await it: [`sleep()`] and the deadlines built on it
//! ([`timeout()`], [`timeout_at`], [`wait_for`], and the [`Timeout`] object).
//!
//! The timers themselves live in the engine: `runtime/wheel.rs` (the
//! hierarchical timer wheel, pure data) and `runtime/clock.rs` (instants to
//! the wheel's ticks).

pub(crate) mod sleep;
pub(crate) mod timeout;

pub use sleep::{Sleep, sleep, sleep_until};
pub use timeout::{Timeout, timeout, timeout_at, wait_for};
