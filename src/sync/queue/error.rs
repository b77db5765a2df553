//! Why a [`Queue`](super::Queue) refused a put or a get: asyncio's
//! `QueueFull`, `QueueEmpty` and `QueueShutDown`, as two error values, one
//! for each direction.

use std::error::Error;
use std::fmt;

/// Why a put did not put its item; the item comes back either way.
///
/// [`put`](super::Queue::put) waits for a free slot, so it only ever fails
/// with [`ShutDown`](PutError::ShutDown);
/// [`put_nowait`](super::Queue::put_nowait) fails with either.
///
/// # Examples
///
/// ```
/// use corio::sync::{PutError, Queue};
///
/// let queue = Queue::new(1);
/// queue.put_nowait("first").unwrap();
/// let error = queue.put_nowait("second").unwrap_err();
/// assert_eq!(error.to_string(), "queue is full; await put() to wait for a free slot");
/// assert!(matches!(error, PutError::Full("second")));
/// queue.shutdown(false);
/// assert_eq!(queue.put_nowait("third").unwrap_err().into_inner(), "third");
/// ```
#[doc(alias("QueueFull", "QueueShutDown"))]
pub enum PutError<T> {
    /// The queue holds `maxsize` items, or its free slots are owed to
    /// putters already waiting (asyncio's `QueueFull`).
    Full(T),
    /// The queue was shut down: it takes no more items
    /// (asyncio's `QueueShutDown`).
    ShutDown(T),
}

/// Why a get returned no item.
///
/// [`get`](super::Queue::get) waits for an item, so it only ever fails with
/// [`ShutDown`](GetError::ShutDown); [`get_nowait`](super::Queue::get_nowait)
/// fails with either.
///
/// # Examples
///
/// ```
/// use corio::sync::{GetError, Queue};
///
/// let queue: Queue<u8> = Queue::unbounded();
/// assert_eq!(queue.get_nowait(), Err(GetError::Empty));
/// queue.shutdown(false);
/// assert_eq!(queue.get_nowait(), Err(GetError::ShutDown));
/// ```
#[doc(alias("QueueEmpty", "QueueShutDown"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GetError {
    /// No item is there to take, or every item is owed to a getter that
    /// was already waiting (asyncio's `QueueEmpty`).
    Empty,
    /// The queue was shut down and no item is left
    /// (asyncio's `QueueShutDown`).
    ShutDown,
}

impl<T> PutError<T> {
    /// Returns the item that was not put.
    pub fn into_inner(self) -> T {
        match self {
            PutError::Full(item) | PutError::ShutDown(item) => item,
        }
    }
}

// Written by hand, not derived, so `PutError<T>` is `Debug` (and so an
// `Error`) whatever `T` is.
impl<T> fmt::Debug for PutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PutError::Full(_) => f.debug_tuple("Full").finish_non_exhaustive(),
            PutError::ShutDown(_) => f.debug_tuple("ShutDown").finish_non_exhaustive(),
        }
    }
}

impl<T> fmt::Display for PutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PutError::Full(_) => "queue is full; await put() to wait for a free slot",
            PutError::ShutDown(_) => "queue is shut down; it takes no more items",
        })
    }
}

impl<T> Error for PutError<T> {}

impl fmt::Display for GetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            GetError::Empty => "queue is empty; await get() to wait for an item",
            GetError::ShutDown => "queue is shut down and empty; no more items will come",
        })
    }
}

impl Error for GetError {}
