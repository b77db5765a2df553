//! The hot paths stay lean: spawning a task costs one heap allocation, and
//! waking, polling and sleeping cost none once the loop's queues have grown.
//!
//! A counting global allocator measures it; each test warms the loop up
//! first so that the ready queue, the task slab and the timer wheel already
//! have their capacity.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::time::Duration;

use corio::EventLoop;

/// The system allocator, counting the allocations made by each thread (only
/// the test's own thread is read: the harness's threads allocate too).
struct Counting;

thread_local! {
    /// Allocations made by this thread so far. A `const` thread-local with no
    /// destructor, so reading it never allocates.
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

/// Allocations made by the calling thread so far.
fn allocations() -> usize {
    ALLOCATIONS.with(Cell::get)
}

/// Counts one allocation on the calling thread (if its thread-local is
/// still alive: threads being torn down are not counted).
fn count() {
    let _ = ALLOCATIONS.try_with(|count| count.set(count.get() + 1));
}

// SAFETY: forwards to the system allocator unchanged.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        // SAFETY: same contract as ours.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Runs `body` on `lp` and returns how many allocations it made.
fn allocations_during(lp: &EventLoop, body: impl Fn() + 'static) -> usize {
    // The main future itself is a task: count it too, then subtract it.
    let before = allocations();
    lp.run_until_complete(async move {
        body();
        // Let every spawned task run to completion.
        for _ in 0..3 {
            corio::sleep(Duration::ZERO).await;
        }
    });
    allocations() - before
}

#[test]
fn spawning_costs_one_allocation_and_waking_none() {
    const TASKS: usize = 1000;
    let lp = EventLoop::builder().virtual_time(true).build();
    let spawn_all = || {
        for _ in 0..TASKS {
            corio::create_task(async {
                corio::sleep(Duration::ZERO).await;
            });
        }
    };
    // Warm-up: grow the slab and the ready queue to hold 1000 tasks.
    allocations_during(&lp, spawn_all);
    let baseline = allocations_during(&lp, || {});
    let with_tasks = allocations_during(&lp, spawn_all);
    assert_eq!(with_tasks - baseline, TASKS, "one allocation per spawned task, none per wake or poll");

    // Sleeping on the wheel allocates nothing once its slab has grown.
    let sleep_all = |tasks: usize| {
        move || {
            for ms in 0..tasks as u64 {
                corio::create_task(async move { corio::sleep(Duration::from_millis(ms % 50 + 1)).await });
            }
        }
    };
    let sleeping = |lp: &EventLoop, tasks: usize| {
        let spawn = sleep_all(tasks);
        let before = allocations();
        lp.run_until_complete(async move {
            spawn();
            corio::sleep(Duration::from_millis(100)).await;
        });
        allocations() - before
    };
    sleeping(&lp, TASKS);
    // The main task, its done-callback and its own sleep, with no others.
    let main_alone = sleeping(&lp, 0);
    let beyond_the_tasks = sleeping(&lp, TASKS) - TASKS - main_alone;
    assert_eq!(beyond_the_tasks, 0, "timers allocated {beyond_the_tasks} times beyond the tasks");
}
