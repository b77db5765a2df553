//! The cooperative budget: how many ready I/O operations one task step may
//! complete before it must give the others a turn.
//!
//! Readiness is edge-triggered and an operation is always tried before the
//! task parks (`reactor.rs`), so a task whose socket always has data never
//! sees `WouldBlock` and would never return `Pending`: one busy connection
//! would starve every other task and the timers. The budget (tokio calls it
//! the same) bounds that: each step of a task starts with [`BUDGET`] units,
//! every I/O operation that completes spends one, and an operation tried
//! with none left is not tried at all. It returns `Pending` after waking its
//! own task, which is queued behind everything already ready, exactly as a
//! `sleep(0)` would be.
//!
//! Work that is not I/O can go on as long: decoding a body already in
//! memory never touches the socket. [`consume`] lets such work pay too
//! (tokio's `consume_budget`).
//!
//! A step that stays within the budget is untouched by it, so the budget
//! changes no order of events in any program whose tasks do fewer than
//! [`BUDGET`] operations per step.

use std::cell::Cell;
use std::future::poll_fn;
use std::task::Poll;

use crate::runtime::context;

/// Operations per step. 128, as tokio's: a step of 128 reads of 16 KiB
/// moves 2 MiB, far more than any ordinary await needs, while one step stays
/// well under a millisecond, so a ticker on the same loop keeps its rhythm.
pub(crate) const BUDGET: u32 = 128;

/// The budget of the step being run.
pub(crate) struct Budget {
    /// Units left in this step.
    left: Cell<u32>,
}

impl Budget {
    /// A full budget.
    pub(crate) fn new() -> Budget {
        Budget { left: Cell::new(BUDGET) }
    }

    /// Refills the budget for a new step.
    pub(crate) fn reset(&self) {
        self.left.set(BUDGET);
    }

    /// True if an operation may be tried now.
    pub(crate) fn has_room(&self) -> bool {
        self.left.get() > 0
    }

    /// Spends one unit for an operation that completed.
    pub(crate) fn spend(&self) {
        self.spend_units(1);
    }

    /// Spends `units` for work that cost as much as that many operations.
    pub(crate) fn spend_units(&self, units: u32) {
        self.left.set(self.left.get().saturating_sub(units));
    }
}

/// Spends `units` of the running step's budget for work that did no I/O
/// but cost as much (one unit is about one 16 KiB read's worth). If the
/// step has none left, first gives the other tasks a turn as an exhausted
/// I/O operation does: wakes its own task and returns `Pending`, so the
/// task runs again after everything already ready. Outside a loop it does
/// nothing.
pub(crate) async fn consume(units: u32) {
    poll_fn(|cx| {
        let Some(core) = context::try_current() else { return Poll::Ready(()) };
        if !core.budget.has_room() {
            // Queued behind the others; the next step has a full budget.
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        core.budget.spend_units(units);
        Poll::Ready(())
    })
    .await
}
