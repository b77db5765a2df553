//! The hot paths stay lean: spawning a task costs one heap allocation, and
//! waking, polling and sleeping cost none once the loop's queues have grown.
//!
//! A counting global allocator measures it; each test warms the loop up
//! first so that the ready queue, the task slab and the timer wheel already
//! have their capacity.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use corio::EventLoop;

/// The system allocator, counting allocations made by this process.
struct Counting;

/// Allocations so far.
static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator unchanged.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Runs `body` on `lp` and returns how many allocations it made.
fn allocations_during(lp: &EventLoop, body: impl Fn() + 'static) -> usize {
    // The main future itself is a task: count it too, then subtract it.
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    lp.run_until_complete(async move {
        body();
        // Let every spawned task run to completion.
        for _ in 0..3 {
            corio::sleep(Duration::ZERO).await;
        }
    });
    ALLOCATIONS.load(Ordering::Relaxed) - before
}

// The tests share one global counter, so they run in one test function:
// parallel test threads would count each other's allocations.
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
    let sleep_all = || {
        for ms in 0..TASKS as u64 {
            corio::create_task(async move { corio::sleep(Duration::from_millis(ms % 50 + 1)).await });
        }
    };
    let sleeping = |lp: &EventLoop| {
        let before = ALLOCATIONS.load(Ordering::Relaxed);
        lp.run_until_complete(async move {
            sleep_all();
            corio::sleep(Duration::from_millis(100)).await;
        });
        ALLOCATIONS.load(Ordering::Relaxed) - before
    };
    sleeping(&lp);
    let main_task_and_its_sleep = sleeping(&lp) - TASKS;
    assert!(main_task_and_its_sleep <= 1, "timers allocated {main_task_and_its_sleep} times beyond the tasks");
}
