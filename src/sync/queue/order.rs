//! The order a [`Queue`](super::Queue) hands its items out in: first in,
//! first out ([`Fifo`]), last in, first out ([`Lifo`]), or smallest first
//! ([`Priority`]).
//!
//! asyncio's `LifoQueue` and `PriorityQueue` are subclasses of `Queue` that
//! override four hooks (`_init`, `_put`, `_get`, `_qsize`); here the queue
//! is generic over its item store, and [`Order`] is those hooks. Everything
//! else (waiting, hand-off, `join`, shutdown) is the queue's and the same
//! for all three.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::fmt;

/// Where a queue keeps its items and which one it hands out next.
///
/// Sealed: the three stores in this module are all there is, as in asyncio.
pub trait Order<T>: Default + sealed::Sealed {
    /// Adds an item.
    fn push(&mut self, item: T);

    /// Removes the next item to hand out, or returns `None` if there is none
    /// beyond the first `promised`.
    ///
    /// `promised` items are owed to getters that were woken for them and
    /// have not run yet. In a FIFO those are exactly the oldest ones, so
    /// they are skipped; in the other orders a promise is a count, not a
    /// place, and whoever takes an item gets the next in order (the woken
    /// getters take theirs from what is left, as asyncio's do).
    fn pop(&mut self, promised: usize) -> Option<T>;

    /// Returns the number of items held.
    fn len(&self) -> usize;

    /// Returns `true` if no item is held.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The item store of a [`Queue`](super::Queue): oldest first.
pub struct Fifo<T>(VecDeque<T>);

/// The item store of a [`LifoQueue`](super::LifoQueue): newest first, a
/// stack.
pub struct Lifo<T>(Vec<T>);

/// The item store of a [`PriorityQueue`](super::PriorityQueue): smallest
/// first, as Python's `heapq` (and so asyncio's `PriorityQueue`) orders
/// them. Items that compare equal come out in no particular order; put
/// `(priority, sequence number, item)` tuples in to make it FIFO among
/// equals, as Python's documentation suggests.
pub struct Priority<T: Ord>(BinaryHeap<Reverse<T>>);

impl<T> Order<T> for Fifo<T> {
    fn push(&mut self, item: T) {
        self.0.push_back(item);
    }

    fn pop(&mut self, promised: usize) -> Option<T> {
        // A woken getter takes the front item: the common case, and
        // cheaper than a general `remove`.
        if promised == 0 { self.0.pop_front() } else { self.0.remove(promised) }
    }

    fn len(&self) -> usize {
        self.0.len()
    }
}

impl<T> Order<T> for Lifo<T> {
    fn push(&mut self, item: T) {
        self.0.push(item);
    }

    fn pop(&mut self, promised: usize) -> Option<T> {
        if self.0.len() > promised { self.0.pop() } else { None }
    }

    fn len(&self) -> usize {
        self.0.len()
    }
}

impl<T: Ord> Order<T> for Priority<T> {
    fn push(&mut self, item: T) {
        // `BinaryHeap` is a max-heap; `Reverse` makes it hand out the smallest.
        self.0.push(Reverse(item));
    }

    fn pop(&mut self, promised: usize) -> Option<T> {
        if self.0.len() > promised { self.0.pop().map(|Reverse(item)| item) } else { None }
    }

    fn len(&self) -> usize {
        self.0.len()
    }
}

// Written by hand, not derived, so that a store is `Default` whatever `T`
// is (`derive` would ask for `T: Default`).
impl<T> Default for Fifo<T> {
    fn default() -> Fifo<T> {
        Fifo(VecDeque::new())
    }
}

impl<T> Default for Lifo<T> {
    fn default() -> Lifo<T> {
        Lifo(Vec::new())
    }
}

impl<T: Ord> Default for Priority<T> {
    fn default() -> Priority<T> {
        Priority(BinaryHeap::new())
    }
}

impl<T> fmt::Debug for Fifo<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Fifo")
    }
}

impl<T> fmt::Debug for Lifo<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Lifo")
    }
}

impl<T: Ord> fmt::Debug for Priority<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Priority")
    }
}

mod sealed {
    /// Keeps [`Order`](super::Order) to the stores of this module.
    pub trait Sealed {}

    impl<T> Sealed for super::Fifo<T> {}
    impl<T> Sealed for super::Lifo<T> {}
    impl<T: Ord> Sealed for super::Priority<T> {}
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pushes `items`, then pops everything, skipping `promised` each time.
    fn drain<O: Order<u32>>(items: &[u32], promised: usize) -> Vec<u32> {
        let mut store = O::default();
        for &item in items {
            store.push(item);
        }
        std::iter::from_fn(|| store.pop(promised)).collect()
    }

    #[test]
    fn each_order_hands_items_out_as_asyncio_does() {
        assert_eq!(drain::<Fifo<u32>>(&[3, 1, 2], 0), [3, 1, 2]);
        assert_eq!(drain::<Lifo<u32>>(&[3, 1, 2], 0), [2, 1, 3]);
        assert_eq!(drain::<Priority<u32>>(&[3, 1, 2], 0), [1, 2, 3]);
    }

    #[test]
    fn promised_items_are_left_for_those_they_were_promised_to() {
        // A FIFO skips the promised front items; the others keep `promised`
        // items back, whichever they are.
        assert_eq!(drain::<Fifo<u32>>(&[3, 1, 2], 1), [1, 2]);
        assert_eq!(drain::<Lifo<u32>>(&[3, 1, 2], 1), [2, 1]);
        assert_eq!(drain::<Priority<u32>>(&[3, 1, 2], 1), [1, 2]);
    }
}
