//! The timer wheel: where every pending timer waits for its deadline.
//!
//! `TimerWheel` is pure data. It never reads a clock: time is a `u64` count of
//! ticks (the runtime uses 1 tick = 1 ms) passed in by the caller, so tests can
//! step it tick by tick and assert exactly what fires when.
//!
//! In the path of a wakeup it sits between a sleeping task and the loop:
//! 1. `Sleep` (`time/sleep.rs`), on its first poll, has `LoopCore` `insert` a
//!    `TimerAction::Wake` entry at its deadline tick (rounded up by
//!    `runtime/clock.rs`). It keeps the `TimerKey`, to `cancel` the entry if
//!    dropped or to `get_mut` it to swap in a newer waker.
//! 2. Phase 1 of `LoopCore::run_once` asks `next_expiration` how long the
//!    reactor may block (a virtual clock jumps straight to that tick instead).
//! 3. Phase 3 calls `advance` with the clock's current tick. Every due entry
//!    moves to the ready queue in (deadline, insertion) order, and running it
//!    wakes the task.
//!
//! It is a hierarchical timing wheel, like tokio's (`runtime/time/wheel`): six
//! levels of 64 slots, each level's slots 64 times wider than the level below.
//! A timer is filed by how far away its deadline is, so insert and cancel are
//! O(1). When time reaches a coarse slot, its timers *cascade* down into finer
//! slots, and a timer fires at its exact tick. Each slot is an intrusive
//! doubly-linked list threaded through a slab, and each level keeps a 64-bit
//! occupancy bitmap, so `advance` jumps from one non-empty slot to the next
//! instead of walking empty ticks.
//!
//! Equal deadlines fire in insertion order. All pending timers with the same
//! deadline are always on the same list, in insertion order: a later insert
//! can only land on a lower level than an earlier one once `elapsed` shares the
//! coarse digit with the deadline, and that happens only when the coarse slot
//! covering the deadline has been entered, and so already cascaded. A cascade
//! walks the slot from head to tail and appends each timer to the tail of its
//! new list, so it keeps their order too. Far timers (see `TimerWheel::file`)
//! likewise share one list until they all move into the wheel together.

use std::num::NonZeroU32;

use slab::Slab;

/// Bits of a tick count that one level consumes: 64 slots per level.
const LEVEL_BITS: usize = 6;
/// Number of slots in one level.
const SLOTS: usize = 1 << LEVEL_BITS;
/// Number of levels; together they span 64^6 = 2^36 ticks.
const LEVELS: usize = 6;
/// Mask that selects a slot index from a shifted tick count.
const SLOT_MASK: u64 = SLOTS as u64 - 1;

/// Width in ticks of one slot on `level`: 64^level.
fn slot_width(level: usize) -> u64 {
    1 << (LEVEL_BITS * level)
}

/// Ticks covered by one turn of `level` (all 64 slots): 64^(level + 1).
fn level_span(level: usize) -> u64 {
    slot_width(level + 1)
}

/// The slot of `level` that covers `tick`: its base-64 digit number `level`.
fn slot_for(tick: u64, level: usize) -> usize {
    ((tick >> (LEVEL_BITS * level)) & SLOT_MASK) as usize
}

/// The level for `deadline` while the wheel is at `elapsed`: the highest
/// base-64 digit in which they differ. `LEVELS` or more means out of range.
fn level_for(elapsed: u64, deadline: u64) -> usize {
    // OR-ing in the slot mask makes a difference in digit 0 count as level 0
    // and keeps the value non-zero, so `leading_zeros` is at most 57.
    let significant = (elapsed ^ deadline) | SLOT_MASK;
    let highest_bit = 63 - significant.leading_zeros() as usize;
    highest_bit / LEVEL_BITS
}

/// Identifies one inserted timer, for cancel. Carries a generation so a stale
/// key never cancels a newer timer that reused the storage.
///
/// Both halves are 32 bits, so the key is 8 bytes (every pending `sleep`
/// holds one). The generation wraps after 2^32 inserts, so a key is only
/// safe while its holder knows its timer may still be pending, and that is
/// how they are used: a `sleep` holds its key from its first poll to the poll
/// after its timer fires (one loop iteration later), and a `TimerHandle`
/// cancels through its key only while its callback has not run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TimerKey {
    /// Index of the timer's entry in the wheel's slab.
    index: u32,
    /// The entry's insertion number, as a generation.
    generation: u32,
}

/// Which list an entry is on. Bytes, not `usize`s: every pending timer
/// carries one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Home {
    /// The list of timers that were already due when they were filed.
    Due,
    /// Slot `slot` of level `level`.
    Slot {
        /// Level index, 0 (finest) to 5.
        level: u8,
        /// Slot index within the level, 0 to 63.
        slot: u8,
    },
}

impl Home {
    /// Slot `slot` of `level`.
    fn slot(level: usize, slot: usize) -> Home {
        // Both are below 64 (`LEVELS`, `SLOTS`).
        Home::Slot { level: level as u8, slot: slot as u8 }
    }
}

/// A list's pointer to a slab entry: the entry's index plus one, so that
/// `Option<Link>` is 4 bytes. Every pending timer carries two (`prev` and
/// `next`), and a million timers need nowhere near 2^32 indices.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Link(NonZeroU32);

impl Link {
    /// The link to entry `index`.
    fn to(index: usize) -> Link {
        let plus_one = u32::try_from(index + 1).ok().and_then(NonZeroU32::new);
        Link(plus_one.expect("fewer than 2^32 - 1 timers pending"))
    }

    /// The index of the entry linked to.
    fn index(self) -> usize {
        self.0.get() as usize - 1
    }
}

/// Head and tail of one intrusive doubly-linked list of slab entries.
#[derive(Clone, Copy, Debug, Default)]
struct List {
    /// First entry: the earliest filed, and the next to be fired or cascaded.
    head: Option<Link>,
    /// Last entry: where newly filed entries are appended.
    tail: Option<Link>,
}

/// One level of the wheel: 64 slots of equal width.
struct Level {
    /// Bit `s` is set exactly when `slots[s]` is non-empty.
    occupied: u64,
    /// One list per slot.
    slots: [List; SLOTS],
}

/// One pending timer, linked into the list of its `home`. Besides the value,
/// 8 bytes of deadline, 4 of generation and 11 of links and home.
struct Entry<T> {
    /// What `advance` hands to `fire` (the runtime stores a waker).
    value: T,
    /// The tick at which the timer is due.
    deadline: u64,
    /// Insertion number (wrapping): validates keys.
    generation: u32,
    /// The list this entry is on.
    home: Home,
    /// Previous entry on the same list.
    prev: Option<Link>,
    /// Next entry on the same list.
    next: Option<Link>,
}

/// A hierarchical timing wheel of timers carrying values of type `T`.
///
/// Ticks must stay below 2^64 - 2^36 (584 million years at 1 ms): the wheel
/// does not guard the very top of the `u64` range.
pub(crate) struct TimerWheel<T> {
    /// Storage for every pending timer; the lists link entries by index.
    entries: Slab<Entry<T>>,
    /// The six levels, finest first. At 1 tick = 1 ms:
    ///
    /// | level | slot width          | span (64 slots)      |
    /// |-------|---------------------|----------------------|
    /// | 0     | 1 ms                | 64 ms                |
    /// | 1     | 64 ms               | 4.1 s                |
    /// | 2     | 4.1 s               | 4.4 min              |
    /// | 3     | 4.4 min             | 4.7 h                |
    /// | 4     | 4.7 h               | 12.4 days            |
    /// | 5     | 12.4 days           | 2.18 years (2^36 ms) |
    ///
    /// Level `l` holds the timers whose deadline shares every base-64 digit
    /// above `l` with `elapsed` and is larger in digit `l`, so every occupied
    /// slot starts after `elapsed`. Level 5 also holds the far timers.
    levels: [Level; LEVELS],
    /// Timers whose deadline was already `<= elapsed` when they were filed.
    due: List,
    /// The tick the wheel has advanced to.
    elapsed: u64,
    /// The generation the next inserted timer gets.
    next_generation: u32,
}

impl<T> TimerWheel<T> {
    /// Creates an empty wheel at tick 0.
    pub(crate) fn new() -> Self {
        TimerWheel {
            entries: Slab::new(),
            levels: std::array::from_fn(|_| Level { occupied: 0, slots: [List::default(); SLOTS] }),
            due: List::default(),
            elapsed: 0,
            next_generation: 0,
        }
    }

    /// The tick the wheel has advanced to. Tests only: the loop asks `next_expiration` instead.
    #[cfg(test)]
    pub(crate) fn elapsed(&self) -> u64 {
        self.elapsed
    }

    /// Number of timers pending. Tests only: the loop asks `next_expiration` instead.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no timer is pending. Tests only: the loop asks `next_expiration` instead.
    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Adds a timer due at `deadline`, in O(1). A deadline `<= elapsed()` is
    /// already due and fires on the next `advance` call.
    pub(crate) fn insert(&mut self, deadline: u64, value: T) -> TimerKey {
        let generation = self.next_generation;
        self.next_generation = generation.wrapping_add(1);
        let index = self.entries.insert(Entry { value, deadline, generation, home: Home::Due, prev: None, next: None });
        self.file(index);
        // `file` linked the entry, so its index fits in 32 bits (`Link::to`).
        TimerKey { index: index as u32, generation }
    }

    /// Removes a timer in O(1). Returns its value if it was still pending;
    /// `None` if it already fired, was cancelled, or the key is stale.
    pub(crate) fn cancel(&mut self, key: TimerKey) -> Option<T> {
        // A generation mismatch means the timer is gone and its slab slot may
        // now hold a newer timer, which this key must not touch.
        let index = key.index as usize;
        if self.entries.get(index)?.generation != key.generation {
            return None;
        }
        self.unlink(index);
        Some(self.entries.remove(index).value)
    }

    /// The value of a pending timer, to update in place (the runtime swaps
    /// in a sleeping task's newest waker); `None` once fired or cancelled.
    pub(crate) fn get_mut(&mut self, key: TimerKey) -> Option<&mut T> {
        let entry = self.entries.get_mut(key.index as usize)?;
        (entry.generation == key.generation).then_some(&mut entry.value)
    }

    /// The earliest tick at which `advance` has work to do: `elapsed()` if a
    /// timer is already due, else the start of the next non-empty slot (for
    /// level 0 that is the exact deadline; for higher levels it is where the
    /// slot cascades). `None` when empty. Looks at six bitmaps, not at timers.
    pub(crate) fn next_expiration(&self) -> Option<u64> {
        // The loop asks every iteration, mostly of an empty wheel.
        if self.entries.is_empty() {
            return None;
        }
        if self.due.head.is_some() {
            return Some(self.elapsed);
        }
        self.next_slot().map(|(_, _, start)| start)
    }

    /// Moves the wheel to `now` and calls `fire` for every timer whose
    /// deadline is `<= now`, in order of (deadline, insertion). A `now` below
    /// `elapsed()` counts as `elapsed()`: time never goes back, but already
    /// due timers still fire. Afterwards `elapsed() == max(old elapsed, now)`.
    /// If `fire` panics, the wheel stays consistent: the timers not yet
    /// fired fire on the next call.
    pub(crate) fn advance(&mut self, now: u64, mut fire: impl FnMut(T)) {
        let now = now.max(self.elapsed);
        // Already-due timers go first: their deadlines are `<= elapsed`, and
        // every timer in a slot is due after `elapsed`.
        self.fire_due(&mut fire);
        // Jump from slot to slot using the bitmaps rather than walking ticks,
        // so a jump of years costs a few dozen steps, not billions.
        while let Some((level, slot, start)) = self.next_slot() {
            if start > now {
                break;
            }
            // Entering the slot's range means its timers are now closer than
            // its width: they fire now or move to a finer level.
            self.elapsed = start;
            self.cascade(level, slot, &mut fire);
        }
        self.elapsed = now;
    }

    /// Fires the due list in (deadline, insertion) order.
    fn fire_due(&mut self, fire: &mut impl FnMut(T)) {
        if self.due.head.is_none() {
            return;
        }
        // The list is in insertion order, but already-due deadlines may have
        // been inserted in any order, so sort them by deadline; the sort is
        // stable, so equal deadlines keep their insertion order. This is the
        // only sort in the wheel, and it only ever sees timers that were
        // late on arrival.
        let mut order = Vec::new();
        let mut cursor = self.due.head;
        while let Some(link) = cursor {
            let index = link.index();
            let entry = &self.entries[index];
            order.push((entry.deadline, index));
            cursor = entry.next;
        }
        order.sort_by_key(|&(deadline, _)| deadline);
        for (_, index) in order {
            self.unlink(index);
            fire(self.entries.remove(index).value);
        }
    }

    /// Empties the slot whose start `elapsed` has just reached: fires the
    /// timers due now and files the rest on finer levels.
    fn cascade(&mut self, level: usize, slot: usize, fire: &mut impl FnMut(T)) {
        // Head to tail, appending each timer to the tail of its new list, so
        // equal deadlines keep their insertion order (see the module docs).
        // Unlinking one entry at a time keeps the lists whole at every step.
        while let Some(link) = self.levels[level].slots[slot].head {
            let index = link.index();
            self.unlink(index);
            if self.entries[index].deadline <= self.elapsed {
                fire(self.entries.remove(index).value);
            } else {
                self.file(index);
            }
        }
    }

    /// Appends entry `index` to the list its deadline belongs on right now.
    fn file(&mut self, index: usize) {
        let deadline = self.entries[index].deadline;
        let home = if deadline <= self.elapsed {
            Home::Due
        } else {
            let level = level_for(self.elapsed, deadline);
            if level < LEVELS {
                Home::slot(level, slot_for(deadline, level))
            } else {
                // Far: the deadline lies beyond the top level's current turn.
                // Clamp it to the top level's last slot, re-filed when that
                // slot cascades. Once `elapsed` is inside the last slot, that
                // slot has already cascaded, so use slot 0 of the next turn.
                // Either way all far timers share one list, so they keep their
                // order and enter the wheel together, at the next turn's start,
                // before any insert could file their deadline on a lower level.
                let top = LEVELS - 1;
                let last = SLOTS - 1;
                let slot = if slot_for(self.elapsed, top) == last { 0 } else { last };
                Home::slot(top, slot)
            }
        };
        self.push_back(home, index);
    }

    /// The earliest non-empty slot as (level, slot, start tick), if any.
    fn next_slot(&self) -> Option<(usize, usize, u64)> {
        let mut earliest: Option<(usize, usize, u64)> = None;
        for (level, ring) in self.levels.iter().enumerate() {
            if ring.occupied == 0 {
                continue;
            }
            // Rotate so that bit 0 is the slot `elapsed` is in; the lowest set
            // bit is then the next slot this level reaches, wrapping around.
            let current = slot_for(self.elapsed, level);
            let offset = ring.occupied.rotate_right(current as u32).trailing_zeros();
            let slot = (current + offset as usize) % SLOTS;
            let start = self.slot_start(level, slot);
            // Two levels never share a start tick, so strict `<` loses nothing.
            if earliest.is_none_or(|(_, _, best)| start < best) {
                earliest = Some((level, slot, start));
            }
        }
        earliest
    }

    /// The tick at which `slot` of `level` will next be entered.
    fn slot_start(&self, level: usize, slot: usize) -> u64 {
        let span = level_span(level);
        let start = (self.elapsed & !(span - 1)) + slot as u64 * slot_width(level);
        // Only far timers in the top level's slot 0 sit behind `elapsed`: they
        // wait for the next turn. Lower levels never hold a slot behind it.
        if start < self.elapsed { start + span } else { start }
    }

    /// The list `home` names.
    fn list_mut(&mut self, home: Home) -> &mut List {
        match home {
            Home::Due => &mut self.due,
            Home::Slot { level, slot } => &mut self.levels[level as usize].slots[slot as usize],
        }
    }

    /// Appends entry `index` to the tail of `home` and marks the slot occupied.
    fn push_back(&mut self, home: Home, index: usize) {
        let tail = self.list_mut(home).tail;
        let entry = &mut self.entries[index];
        entry.home = home;
        entry.prev = tail;
        entry.next = None;
        let link = Some(Link::to(index));
        match tail {
            Some(tail) => self.entries[tail.index()].next = link,
            None => self.list_mut(home).head = link,
        }
        self.list_mut(home).tail = link;
        if let Home::Slot { level, slot } = home {
            self.levels[level as usize].occupied |= 1 << slot;
        }
    }

    /// Takes entry `index` off its list, clearing the slot's bit if it empties.
    fn unlink(&mut self, index: usize) {
        let Entry { home, prev, next, .. } = self.entries[index];
        match prev {
            Some(prev) => self.entries[prev.index()].next = next,
            None => self.list_mut(home).head = next,
        }
        match next {
            Some(next) => self.entries[next.index()].prev = prev,
            None => self.list_mut(home).tail = prev,
        }
        if let Home::Slot { level, slot } = home
            && self.list_mut(home).head.is_none()
        {
            self.levels[level as usize].occupied &= !(1 << slot);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// Advances `wheel` to `now` and returns what fired, in order.
    fn advance_to<T>(wheel: &mut TimerWheel<T>, now: u64) -> Vec<T> {
        let mut fired = Vec::new();
        wheel.advance(now, |value| fired.push(value));
        fired
    }

    /// Advances `wheel` to `now` and asserts that nothing fired.
    #[track_caller]
    fn assert_quiet<T: std::fmt::Debug>(wheel: &mut TimerWheel<T>, now: u64) {
        let fired = advance_to(wheel, now);
        assert!(fired.is_empty(), "{fired:?} fired at {now}");
    }

    /// One deadline in each level, and on both sides of each level boundary.
    const DEADLINES: [u64; 12] =
        [1, 63, 64, 65, 4095, 4096, 4097, 262_143, 262_144, 64u64.pow(4) + 1, 64u64.pow(5) + 3, (1 << 36) - 1];

    #[test]
    fn a_timer_on_each_level_fires_at_exactly_its_tick() {
        for deadline in DEADLINES {
            let mut wheel = TimerWheel::new();
            wheel.insert(deadline, deadline);
            if deadline <= 5000 {
                for tick in 0..deadline {
                    assert_quiet(&mut wheel, tick);
                }
            } else {
                assert_quiet(&mut wheel, deadline - 1);
            }
            assert_eq!(advance_to(&mut wheel, deadline), [deadline]);
            assert!(wheel.is_empty());
            assert_eq!(wheel.elapsed(), deadline);
        }
    }

    #[test]
    fn timers_on_every_level_fire_on_time_from_one_wheel() {
        let mut wheel = TimerWheel::new();
        for deadline in DEADLINES {
            wheel.insert(deadline, deadline);
        }
        for deadline in DEADLINES {
            // Stepping the last ticks one by one checks the cascaded timer
            // lands on level 0 at the right slot.
            for tick in deadline.saturating_sub(70)..deadline {
                assert_quiet(&mut wheel, tick);
            }
            assert_eq!(advance_to(&mut wheel, deadline), [deadline]);
        }
        assert!(wheel.is_empty());
    }

    #[test]
    fn a_timer_cascades_down_through_every_level() {
        // Digit 1 in every base-64 place: filed on level 5, then cascades to
        // level 4, 3, 2, 1 and 0, each at the start of its slot.
        let deadline: u64 = (0..6).map(slot_width).sum();
        let mut wheel = TimerWheel::new();
        wheel.insert(deadline, "t");
        let mut start = 0;
        for level in (0..6).rev() {
            start += slot_width(level);
            assert_eq!(wheel.next_expiration(), Some(start), "level {level}");
            assert_quiet(&mut wheel, start - 1);
            let fired = advance_to(&mut wheel, start);
            assert_eq!(fired, if level == 0 { vec!["t"] } else { vec![] });
        }
        assert_eq!(start, deadline);
    }

    #[test]
    fn far_range_deadlines_fire_exactly_on_time() {
        for deadline in [(1 << 36) + 12_345, 1 << 40] {
            let mut wheel = TimerWheel::new();
            wheel.insert(deadline, deadline);
            assert_quiet(&mut wheel, deadline - 1);
            assert_eq!(advance_to(&mut wheel, deadline), [deadline]);
            // Hopping along next_expiration never overshoots the deadline.
            let mut wheel = TimerWheel::new();
            wheel.insert(deadline, deadline);
            let mut hops = 0;
            loop {
                let next = wheel.next_expiration().unwrap();
                assert!(next <= deadline);
                let fired = advance_to(&mut wheel, next);
                hops += 1;
                if next == deadline {
                    assert_eq!(fired, [deadline]);
                    break;
                }
                assert!(fired.is_empty());
            }
            assert!(hops < 100, "{hops} hops");
        }
    }

    #[test]
    fn far_timers_filed_during_the_top_levels_last_slot_fire_on_time() {
        let mut wheel = TimerWheel::new();
        let elapsed = 63 << 30 | 5;
        advance_to(&mut wheel, elapsed);
        let turn = 1 << 36;
        let deadlines = [turn, turn + (63 << 30), elapsed + turn + 7];
        for deadline in deadlines {
            wheel.insert(deadline, deadline);
        }
        // They wait in the next turn's slot 0, which starts at 2^36.
        assert_eq!(wheel.next_expiration(), Some(turn));
        for deadline in deadlines {
            assert_quiet(&mut wheel, deadline - 1);
            assert_eq!(advance_to(&mut wheel, deadline), [deadline]);
        }
    }

    #[test]
    fn equal_deadlines_fire_in_insertion_order() {
        let mut wheel = TimerWheel::new();
        for (deadline, name) in [(300, "a"), (299, "x"), (300, "b"), (301, "y"), (300, "c")] {
            wheel.insert(deadline, name);
        }
        for tick in 0..299 {
            assert_quiet(&mut wheel, tick);
        }
        assert_eq!(advance_to(&mut wheel, 299), ["x"]);
        assert_eq!(advance_to(&mut wheel, 300), ["a", "b", "c"]);
        assert_eq!(advance_to(&mut wheel, 301), ["y"]);
    }

    #[test]
    fn equal_deadlines_filed_on_different_levels_fire_in_insertion_order() {
        let mut wheel = TimerWheel::new();
        wheel.insert(100, "A"); // level 1, from elapsed 0
        assert_quiet(&mut wheel, 90);
        wheel.insert(100, "B"); // level 0, from elapsed 90
        wheel.insert(100, "C");
        for tick in 91..100 {
            assert_quiet(&mut wheel, tick);
        }
        assert_eq!(advance_to(&mut wheel, 100), ["A", "B", "C"]);
    }

    #[test]
    fn equal_far_deadlines_fire_in_insertion_order() {
        let mut wheel = TimerWheel::new();
        let deadline = 1 << 36;
        wheel.insert(deadline, "A"); // far, from elapsed 0
        advance_to(&mut wheel, 1);
        wheel.insert(deadline, "B"); // far, 2^36 - 1 ticks away
        advance_to(&mut wheel, (63 << 30) + 1);
        wheel.insert(deadline, "C"); // far, filed in the next turn's slot 0
        advance_to(&mut wheel, deadline - 10);
        wheel.insert(deadline, "D"); // level 0
        assert_eq!(advance_to(&mut wheel, deadline), ["A", "B", "C", "D"]);
    }

    #[test]
    fn cancel_before_firing_returns_the_value_and_it_never_fires() {
        let mut wheel = TimerWheel::new();
        let a = wheel.insert(10, "a");
        wheel.insert(10, "b");
        let c = wheel.insert(5000, "c");
        assert_eq!(wheel.len(), 3);
        assert_eq!(wheel.cancel(a), Some("a"));
        assert_eq!(wheel.cancel(c), Some("c"));
        assert_eq!(wheel.cancel(c), None);
        assert_eq!(wheel.len(), 1);
        for tick in 0..=5000 {
            let fired = advance_to(&mut wheel, tick);
            assert_eq!(fired, if tick == 10 { vec!["b"] } else { vec![] });
        }
        assert!(wheel.is_empty());
        assert_eq!(wheel.next_expiration(), None);
    }

    #[test]
    fn cancel_after_firing_returns_none() {
        let mut wheel = TimerWheel::new();
        let key = wheel.insert(3, "a");
        assert_eq!(advance_to(&mut wheel, 3), ["a"]);
        assert_eq!(wheel.cancel(key), None);
    }

    #[test]
    fn a_stale_key_does_not_cancel_the_timer_that_reused_its_slot() {
        let mut wheel = TimerWheel::new();
        let old = wheel.insert(10, "old");
        assert_eq!(wheel.cancel(old), Some("old"));
        let new = wheel.insert(20, "new");
        assert_eq!(old.index, new.index);
        assert_ne!(old, new);
        assert_eq!(wheel.cancel(old), None);
        assert_eq!(advance_to(&mut wheel, 20), ["new"]);
    }

    #[test]
    fn get_mut_reaches_only_pending_timers() {
        let mut wheel = TimerWheel::new();
        let key = wheel.insert(10, "first");
        *wheel.get_mut(key).unwrap() = "updated";
        assert_eq!(advance_to(&mut wheel, 10), ["updated"]);
        assert_eq!(wheel.get_mut(key), None);
        // A newer timer in the same slab slot is out of the stale key's reach.
        let newer = wheel.insert(20, "newer");
        assert_eq!(newer.index, key.index);
        assert_eq!(wheel.get_mut(key), None);
    }

    #[test]
    fn a_panicking_fire_callback_leaves_the_rest_for_the_next_advance() {
        let mut wheel = TimerWheel::new();
        for (deadline, name) in [(5, "due"), (100, "panics"), (100, "b"), (150, "c")] {
            wheel.insert(deadline, name);
        }
        advance_to(&mut wheel, 10);
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            wheel.advance(200, |name| assert_ne!(name, "panics"));
        }));
        assert!(result.is_err());
        assert_eq!(wheel.elapsed(), 100);
        assert_eq!(advance_to(&mut wheel, 200), ["b", "c"]);
        assert!(wheel.is_empty());
    }

    #[test]
    fn already_due_inserts_fire_on_the_next_advance_in_deadline_order() {
        let mut wheel = TimerWheel::new();
        advance_to(&mut wheel, 100);
        for (deadline, name) in [(100, "x"), (40, "y"), (100, "z"), (0, "w")] {
            wheel.insert(deadline, name);
        }
        assert_eq!(wheel.next_expiration(), Some(100));
        assert_eq!(advance_to(&mut wheel, 100), ["w", "y", "x", "z"]);
        // Even an advance that tries to go back fires what is already due.
        wheel.insert(70, "v");
        assert_eq!(advance_to(&mut wheel, 50), ["v"]);
        assert_eq!(wheel.elapsed(), 100);
    }

    #[test]
    fn next_expiration_is_the_start_of_the_next_slot_on_each_level() {
        let mut wheel = TimerWheel::<()>::new();
        assert_eq!(wheel.next_expiration(), None);
        let cases = [
            (5, 5),
            (63, 63),
            (64, 64),
            (100, 64),
            (4095, 4032),
            (5000, 4096),
            (300_000, 262_144),
            (64u64.pow(4) + 1, 64u64.pow(4)),
            (64u64.pow(5) + 3, 64u64.pow(5)),
            ((1 << 36) - 1, 63 << 30),
            (1 << 40, 63 << 30),
        ];
        for (deadline, expected) in cases {
            let mut wheel = TimerWheel::new();
            wheel.insert(deadline, ());
            assert_eq!(wheel.next_expiration(), Some(expected), "{deadline}");
        }
        // From a later tick, and with several timers: the earliest wins.
        advance_to(&mut wheel, 1000);
        wheel.insert(1100, ()); // level 1, slot 17 starts at 1088
        assert_eq!(wheel.next_expiration(), Some(1088));
        wheel.insert(1010, ()); // level 0, exact
        assert_eq!(wheel.next_expiration(), Some(1010));
        wheel.insert(999, ()); // already due
        assert_eq!(wheel.next_expiration(), Some(1000));
    }

    #[test]
    fn advancing_backwards_is_a_noop() {
        let mut wheel = TimerWheel::new();
        wheel.insert(100, "t");
        assert_quiet(&mut wheel, 50);
        assert_quiet(&mut wheel, 10);
        assert_eq!(wheel.elapsed(), 50);
        assert_quiet(&mut wheel, 99);
        assert_eq!(advance_to(&mut wheel, 100), ["t"]);
    }

    #[test]
    fn a_huge_jump_fires_everything_in_deadline_order_without_walking_ticks() {
        // Walking 10^12 ticks one by one would not finish; jumping slot to
        // slot takes a few hundred steps.
        let mut wheel = TimerWheel::new();
        let deadlines = [999_999_999_999, 7, 1 << 36, 5000, 1_000_000_000_000, 1 << 30];
        for deadline in deadlines {
            wheel.insert(deadline, deadline);
        }
        wheel.insert(1_000_000_000_001, 0);
        let mut expected = deadlines.to_vec();
        expected.sort();
        assert_eq!(advance_to(&mut wheel, 1_000_000_000_000), expected);
        assert_eq!(wheel.elapsed(), 1_000_000_000_000);
        assert_eq!(wheel.next_expiration(), Some(1_000_000_000_001));
    }

    /// SplitMix64: a tiny seeded PRNG, so the random test is reproducible.
    struct Rng(u64);

    impl Rng {
        /// A uniformly random integer in `0..bound`.
        fn below(&mut self, bound: u64) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            (z ^ (z >> 31)) % bound
        }
    }

    #[test]
    fn matches_a_sorted_reference_model_under_random_operations() {
        let mut rng = Rng(0x5EED);
        let mut wheel = TimerWheel::new();
        // The model: pending timers as (deadline, id); ids count inserts, so
        // set order is exactly the (deadline, insertion) firing order.
        let mut model = BTreeSet::new();
        let mut issued: Vec<(TimerKey, u64)> = Vec::new();
        // Distances on every level's scale, and beyond the wheel's span.
        const SCALES: [u64; 8] = [1, 8, 64, 4096, 1 << 18, 1 << 30, 1 << 37, 1 << 41];
        for _ in 0..20_000 {
            let scale = SCALES[rng.below(SCALES.len() as u64) as usize];
            match rng.below(10) {
                0..=4 => {
                    let id = issued.len() as u64;
                    let deadline = if !issued.is_empty() && rng.below(4) == 0 {
                        // Reuse an earlier deadline, so equal deadlines are
                        // filed from different ticks, some already due.
                        issued[rng.below(id) as usize].1
                    } else {
                        (wheel.elapsed() + rng.below(scale)).saturating_sub(rng.below(3))
                    };
                    issued.push((wheel.insert(deadline, id), deadline));
                    model.insert((deadline, id));
                }
                5 | 6 if !issued.is_empty() => {
                    let id = rng.below(issued.len() as u64);
                    let (key, deadline) = issued[id as usize];
                    let expected = model.remove(&(deadline, id)).then_some(id);
                    assert_eq!(wheel.cancel(key), expected);
                }
                _ => {
                    let now = match rng.below(4) {
                        0 => wheel.next_expiration().unwrap_or(wheel.elapsed()),
                        1 => wheel.elapsed().saturating_sub(rng.below(10)),
                        _ => wheel.elapsed() + rng.below(scale),
                    };
                    let until = now.max(wheel.elapsed());
                    let later = model.split_off(&(until + 1, 0));
                    let expected: Vec<u64> = model.iter().map(|&(_, id)| id).collect();
                    model = later;
                    assert_eq!(advance_to(&mut wheel, now), expected);
                    assert_eq!(wheel.elapsed(), until);
                }
            }
            assert_eq!(wheel.len(), model.len());
            // next_expiration is never after the earliest deadline, so a
            // runtime that sleeps until it never wakes a timer late.
            let elapsed = wheel.elapsed();
            match model.first() {
                None => assert_eq!(wheel.next_expiration(), None),
                Some(&(earliest, _)) if earliest <= elapsed => {
                    assert_eq!(wheel.next_expiration(), Some(elapsed));
                }
                Some(&(earliest, _)) => {
                    let next = wheel.next_expiration().unwrap();
                    assert!(elapsed < next && next <= earliest, "{next} vs {earliest}");
                }
            }
        }
    }
}
