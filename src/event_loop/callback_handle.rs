//! The handles of scheduled callbacks, asyncio's `Handle` and `TimerHandle`:
//! what [`LoopHandle::call_soon`], `call_later` and `call_at` return, to
//! cancel the callback before it runs.
//!
//! [`LoopHandle::call_soon`]: crate::LoopHandle::call_soon

use std::fmt;
use std::rc::{Rc, Weak};
use std::time::Instant;

use crate::runtime::core::LoopCore;
use crate::runtime::ready::CallbackCell;
use crate::runtime::wheel::TimerKey;

/// A callback scheduled with [`LoopHandle::call_soon`]; asyncio's `Handle`.
///
/// [`LoopHandle::call_soon`]: crate::LoopHandle::call_soon
///
/// ```
/// # corio::run(async {
/// let handle = corio::get_running_loop().call_soon(|| println!("never printed"));
/// handle.cancel();
/// assert!(handle.cancelled());
/// # });
/// ```
pub struct CallbackHandle {
    cell: Rc<CallbackCell>,
}

impl CallbackHandle {
    /// Wraps a queued callback.
    pub(crate) fn new(cell: Rc<CallbackCell>) -> Self {
        CallbackHandle { cell }
    }

    /// Cancels the callback if it has not run yet. Its queue slot is skipped.
    pub fn cancel(&self) {
        self.cell.cancel();
    }

    /// True once [`cancel`](CallbackHandle::cancel) was called, whether or
    /// not the callback had already run (asyncio's `Handle.cancelled()`); a
    /// callback that simply ran is not cancelled.
    pub fn cancelled(&self) -> bool {
        self.cell.cancelled()
    }
}

impl fmt::Debug for CallbackHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallbackHandle").field("pending", &self.cell.is_pending()).finish()
    }
}

/// A callback scheduled with [`LoopHandle::call_later`] or
/// [`LoopHandle::call_at`]; asyncio's `TimerHandle`.
///
/// [`LoopHandle::call_later`]: crate::LoopHandle::call_later
/// [`LoopHandle::call_at`]: crate::LoopHandle::call_at
///
/// ```
/// use std::time::Duration;
/// # corio::run(async {
/// let timer = corio::get_running_loop().call_later(Duration::from_secs(5), || {});
/// timer.cancel();
/// # });
/// ```
pub struct TimerHandle {
    /// The callback, shared with the wheel entry.
    cell: Rc<CallbackCell>,
    /// The wheel entry, removed on cancel so it does not linger until due.
    key: TimerKey,
    when: Instant,
    /// The loop whose wheel holds the entry.
    core: Weak<LoopCore>,
}

impl TimerHandle {
    /// Wraps a scheduled timer callback.
    pub(crate) fn new(cell: Rc<CallbackCell>, key: TimerKey, when: Instant, core: Weak<LoopCore>) -> Self {
        TimerHandle { cell, key, when, core }
    }

    /// Cancels the callback if it has not run yet, and removes its timer.
    pub fn cancel(&self) {
        // Only a timer whose callback has not run is still in the wheel;
        // once it ran, the key may be stale (see `TimerKey`), so it is not used.
        let pending = self.cell.is_pending();
        self.cell.cancel();
        if pending && let Some(core) = self.core.upgrade() {
            core.cancel_timer(self.key);
        }
    }

    /// True once [`cancel`](TimerHandle::cancel) was called, as for
    /// [`CallbackHandle::cancelled`].
    pub fn cancelled(&self) -> bool {
        self.cell.cancelled()
    }

    /// When the callback is due (asyncio's `TimerHandle.when()`).
    pub fn when(&self) -> Instant {
        self.when
    }
}

impl fmt::Debug for TimerHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TimerHandle").field("when", &self.when).field("pending", &self.cell.is_pending()).finish()
    }
}
