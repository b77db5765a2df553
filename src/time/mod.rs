//! Time: the hierarchical timer wheel (pure data), and the futures built on
//! it ([`sleep()`], [`timeout()`]).
//!
//! Read `wheel.rs` first: it never reads a clock, so its tests step it tick
//! by tick. `runtime/clock.rs` turns instants into its ticks.

pub(crate) mod sleep;
pub(crate) mod timeout;
pub(crate) mod wheel;

pub use sleep::{Sleep, sleep, sleep_until};
pub use timeout::{timeout, timeout_at, wait_for};
