//! The loop's task slab: every task not yet complete, by key.
//!
//! The slab owns one reference to each task, which keeps a task alive while
//! only wakers point at it; a task's key (in its header) finds it again when
//! it completes, when it is the current task, and for `all_tasks`. It sits
//! beside the ready queue in `LoopCore` and is touched on spawn and on
//! completion, never on a wake.
//!
//! It is the `slab` crate's idea with a smaller slot: a million spawned
//! tasks hold a million slots, and `slab`'s are 16 bytes (the `TaskRef` or
//! the next free key, plus which of the two it is). Here a slot is an
//! `Option<TaskRef>`, 8 bytes, and the free keys are kept apart, 4 bytes
//! each and only for slots that are free. As in `slab`, the key freed last
//! is reused first, and iteration goes by key.

use crate::runtime::raw_task::TaskRef;

/// Live tasks by key.
#[derive(Default)]
pub(crate) struct TaskSlab {
    /// Slot `key` holds the task with that key, or `None` while free.
    slots: Vec<Option<TaskRef>>,
    /// The keys of the free slots, the most recently freed last.
    free: Vec<u32>,
}

/// A free slot, reserved so that the task made for it can carry its key.
pub(crate) struct VacantEntry<'a> {
    /// The slab the slot is in.
    slab: &'a mut TaskSlab,
    /// The slot's key.
    key: usize,
}

impl TaskSlab {
    /// An empty slab.
    pub(crate) fn new() -> TaskSlab {
        TaskSlab::default()
    }

    /// The slot the next task will take: the most recently freed one, or a
    /// new one at the end.
    pub(crate) fn vacant_entry(&mut self) -> VacantEntry<'_> {
        let key = match self.free.last() {
            Some(&key) => key as usize,
            None => self.slots.len(),
        };
        VacantEntry { slab: self, key }
    }

    /// The task with `key`, if it is live.
    pub(crate) fn get(&self, key: usize) -> Option<&TaskRef> {
        self.slots.get(key)?.as_ref()
    }

    /// Takes the task with `key` out; `None` if that slot is free.
    pub(crate) fn try_remove(&mut self, key: usize) -> Option<TaskRef> {
        let task = self.slots.get_mut(key)?.take()?;
        // The key was handed out by `vacant_entry`, so it fits (see `insert`).
        self.free.push(key as u32);
        Some(task)
    }

    /// Every live task with its key, by key.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (usize, &TaskRef)> {
        self.slots.iter().enumerate().filter_map(|(key, slot)| Some((key, slot.as_ref()?)))
    }

    /// Takes every task out, by key, leaving the slab empty.
    pub(crate) fn drain(&mut self) -> impl Iterator<Item = TaskRef> + '_ {
        self.free.clear();
        self.slots.drain(..).flatten()
    }
}

impl VacantEntry<'_> {
    /// The key the task will have.
    pub(crate) fn key(&self) -> usize {
        self.key
    }

    /// Puts `task` in the slot.
    ///
    /// # Panics
    /// With 2^32 tasks alive: keys are 32 bits in the task header too.
    pub(crate) fn insert(self, task: TaskRef) {
        assert!(self.key <= u32::MAX as usize, "fewer than 2^32 tasks alive");
        if self.key == self.slab.slots.len() {
            self.slab.slots.push(Some(task));
        } else {
            self.slab.free.pop();
            self.slab.slots[self.key] = Some(task);
        }
    }
}
