//! [`Deadline`]: the session's three timeouts (connect, read, total) as loop
//! instants, and [`within`], which runs one step of a request against the
//! earliest of them.
//!
//! Time is the loop's clock, so a session on a virtual-time loop times out
//! in virtual time, and tests of timeouts take no wall-clock time.

use std::future::Future;
use std::pin::pin;
use std::time::{Duration, Instant};

use crate::http::error::{Error, TimeoutKind};
use crate::time::Timeout;

/// A moment after which a step fails with a [`TimeoutKind`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct Deadline {
    /// The loop instant at which it expires.
    at: Instant,
    /// Which timeout it stands for.
    kind: TimeoutKind,
    /// The configured length, for the error message.
    after: Duration,
}

impl Deadline {
    /// A deadline `after` from now on the running loop's clock; `None` for
    /// no limit, or for one too far away to represent.
    pub(crate) fn starting_now(kind: TimeoutKind, after: Option<Duration>) -> Option<Deadline> {
        let after = after?;
        let at = crate::get_running_loop().time().checked_add(after)?;
        Some(Deadline { at, kind, after })
    }

    /// Whichever of two optional deadlines comes first.
    pub(crate) fn earliest(a: Option<Deadline>, b: Option<Deadline>) -> Option<Deadline> {
        match (a, b) {
            (Some(a), Some(b)) => Some(if b.at < a.at { b } else { a }),
            (a, b) => a.or(b),
        }
    }

    /// The error for this deadline passing.
    fn error(&self) -> Error {
        Error::Timeout { kind: self.kind, after: self.after }
    }
}

/// Fails with the deadline's timeout error if it has passed already: for
/// work that goes on without waiting, such as decoding buffered bytes,
/// where no timer could interrupt it.
pub(crate) fn check(deadline: Option<Deadline>) -> Result<(), Error> {
    match deadline {
        Some(deadline) if crate::get_running_loop().time() >= deadline.at => Err(deadline.error()),
        _ => Ok(()),
    }
}

/// Runs `future`, failing with the deadline's timeout error if it passes
/// first (the future is then dropped, which closes whatever it was using).
///
/// `future` is stored twice in this function's state (as the argument and
/// pinned), so a large one, such as a whole request's, is pinned by the
/// caller and passed as `Pin<&mut _>`, which is itself a future: then only
/// the pointer is stored twice.
pub(crate) async fn within<T>(
    deadline: Option<Deadline>,
    future: impl Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    let future = pin!(future);
    let Some(deadline) = deadline else { return future.await };
    // Already past: `timeout_at` would still poll the future once (as
    // asyncio's does), and for a request that step could start new work,
    // such as the next redirect hop, after its deadline.
    check(Some(deadline))?;
    Timeout::at(Some(deadline.at)).run_pinned(future).await.unwrap_or_else(|_| Err(deadline.error()))
}
