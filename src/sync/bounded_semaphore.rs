//! `BoundedSemaphore`: asyncio's `asyncio.BoundedSemaphore`, a
//! [`Semaphore`] whose bare release is refused when it would give back a
//! permit nobody took.
//!
//! Here a permit returns itself when its [`SemaphorePermit`] drops, so the
//! only way to release too often is the bare release: asyncio's
//! `release()` without an `acquire()` to pair with. On a bounded semaphore
//! that pairing is checked: [`BoundedSemaphore::release`] gives back one
//! permit that was taken and [`forget`](SemaphorePermit::forget)-ten, and
//! is an error when there is none.

use std::error::Error;
use std::fmt;
use std::rc::Rc;

use super::semaphore::{OwnedSemaphorePermit, Semaphore, SemaphorePermit};

/// A semaphore that never holds more permits than it started with.
///
/// Waiting, fairness and hand-off are the [`Semaphore`]'s: this type wraps
/// one and leaves out its unchecked `add_permits`.
///
/// # Examples
///
/// asyncio's `await sem.acquire()` ... `sem.release()`, split across two
/// places in the code, is a forgotten permit and a release:
///
/// ```
/// use corio::sync::{BoundedSemaphore, TooManyReleases};
///
/// corio::run(async {
///     let connections = BoundedSemaphore::new(1);
///     connections.acquire().await.forget(); // opened; closed elsewhere
///     assert!(connections.locked());
///     assert_eq!(connections.release(), Ok(())); // closed
///     assert_eq!(connections.release(), Err(TooManyReleases)); // a bug
///     assert_eq!(connections.available_permits(), 1);
/// });
/// ```
#[derive(Debug)]
pub struct BoundedSemaphore {
    /// The semaphore that does the work; in an `Rc` so that
    /// [`acquire_owned`](BoundedSemaphore::acquire_owned) can hand out
    /// permits that hold it.
    semaphore: Rc<Semaphore>,
}

/// The error from [`BoundedSemaphore::release`] when no forgotten permit is
/// left to give back: the release has no `acquire` to pair with, so it
/// would raise the semaphore above its bound (asyncio raises `ValueError`).
///
/// # Examples
///
/// ```
/// use corio::sync::BoundedSemaphore;
///
/// let error = BoundedSemaphore::new(2).release().unwrap_err();
/// assert_eq!(
///     error.to_string(),
///     "bounded semaphore released too many times: no forgotten permit is left to give back"
/// );
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooManyReleases;

impl BoundedSemaphore {
    /// Creates a bounded semaphore holding `permits` free permits, which is
    /// also its bound.
    pub fn new(permits: usize) -> BoundedSemaphore {
        BoundedSemaphore { semaphore: Rc::new(Semaphore::new(permits)) }
    }

    /// Waits for a permit and returns it, as [`Semaphore::acquire`] does.
    pub async fn acquire(&self) -> SemaphorePermit<'_> {
        self.semaphore.acquire().await
    }

    /// Waits for a permit that can move into a `'static` task, as
    /// [`Semaphore::acquire_owned`] does.
    pub async fn acquire_owned(&self) -> OwnedSemaphorePermit {
        self.semaphore.acquire_owned().await
    }

    /// Takes a permit if one can be taken without waiting.
    pub fn try_acquire(&self) -> Option<SemaphorePermit<'_>> {
        self.semaphore.try_acquire()
    }

    /// Returns `true` if a permit cannot be taken without waiting, as
    /// [`Semaphore::locked`] does.
    #[doc(alias = "is_locked")]
    pub fn locked(&self) -> bool {
        self.semaphore.locked()
    }

    /// Returns the number of permits free to take now.
    pub fn available_permits(&self) -> usize {
        self.semaphore.available_permits()
    }

    /// Gives back one permit that was taken and forgotten: to the oldest
    /// waiter if someone waits, otherwise to the free count (asyncio's
    /// `release()`).
    ///
    /// # Errors
    ///
    /// Returns [`TooManyReleases`], and changes nothing, if no forgotten
    /// permit is left to give back.
    ///
    /// asyncio checks the free count instead (`_value >= bound`), so a
    /// release too many while another task holds a permit is accepted there
    /// and that task's own release raises later. Here every permit that
    /// drops returns itself and cannot fail, so the check is made where the
    /// extra release is.
    pub fn release(&self) -> Result<(), TooManyReleases> {
        if self.semaphore.forgotten() == 0 {
            return Err(TooManyReleases);
        }
        // `add_permits` counts the forgotten permit as given back.
        self.semaphore.add_permits(1);
        Ok(())
    }
}

impl fmt::Display for TooManyReleases {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("bounded semaphore released too many times: no forgotten permit is left to give back")
    }
}

impl Error for TooManyReleases {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::Future;
    use std::pin::pin;
    use std::task::{Context, Poll, Waker};

    #[test]
    fn release_pairs_with_forgotten_permits_only() {
        let semaphore = BoundedSemaphore::new(2);
        assert_eq!(semaphore.release(), Err(TooManyReleases));
        let held = semaphore.try_acquire().unwrap();
        assert_eq!(semaphore.release(), Err(TooManyReleases), "a held permit returns itself");
        semaphore.try_acquire().unwrap().forget();
        assert_eq!(semaphore.available_permits(), 0);
        assert_eq!(semaphore.release(), Ok(()));
        assert_eq!(semaphore.release(), Err(TooManyReleases));
        drop(held);
        assert_eq!(semaphore.available_permits(), 2);
    }

    #[test]
    fn a_forgotten_owned_permit_can_be_released_once() {
        let semaphore = BoundedSemaphore::new(1);
        let mut acquire = pin!(semaphore.acquire_owned());
        let Poll::Ready(permit) = acquire.as_mut().poll(&mut Context::from_waker(Waker::noop())) else {
            panic!("a permit was free");
        };
        permit.forget();
        assert_eq!(semaphore.release(), Ok(()));
        assert_eq!(semaphore.release(), Err(TooManyReleases));
    }
}
