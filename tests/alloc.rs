//! The hot paths stay lean: spawning a task costs one heap allocation, and
//! waking, polling and sleeping cost none once the loop's queues have grown;
//! a request queued for a connection allocates no buffer, and a large
//! request body is held once, not copied behind its head.
//!
//! A spawned task holds at most 128 bytes and a sleeping one at most 160,
//! counting everything the program holds for it: the task, its handle, its
//! slots in the loop's slab and queues, and its timer.
//!
//! A counting global allocator measures it. The tests of allocation counts
//! warm the loop up first so that the ready queue, the task slab and the
//! timer wheel already have their capacity; the tests of bytes per task do
//! not, so that the loop's growth is counted too.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::{Read, Write};
use std::time::Duration;

use corio::EventLoop;

/// The system allocator, counting the allocations made by each thread (only
/// the test's own thread is read: the harness's threads allocate too).
struct Counting;

// What one thread has allocated. `const` thread-locals with no
// destructor, so reading them never allocates.
thread_local! {
    /// Allocations made by this thread so far (a `realloc` counts as one).
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
    /// Allocations of [`LARGE`] bytes or more made by this thread so far.
    static LARGE_ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
    /// Bytes this thread holds now: allocated minus freed (frees of memory
    /// another thread allocated would make it drift, which the tests here
    /// avoid).
    static LIVE_BYTES: Cell<isize> = const { Cell::new(0) };
    /// The most `LIVE_BYTES` has been since `reset_peak`.
    static PEAK_BYTES: Cell<isize> = const { Cell::new(0) };
    /// Bytes this thread holds now as the allocator holds them: each block
    /// rounded up as glibc's `malloc` rounds it ([`held`]).
    static HELD_BYTES: Cell<isize> = const { Cell::new(0) };
}

/// What glibc's `malloc` on a 64-bit machine holds for a request of `size`
/// bytes: the request plus an 8-byte header, rounded up to 16 bytes, 32 at
/// least; a block from 128 KiB up is its own mapping, in whole pages.
fn held(size: usize) -> isize {
    let held =
        if size >= 128 * 1024 { (size + 16).next_multiple_of(4096) } else { (size + 8).next_multiple_of(16).max(32) };
    held as isize
}

/// Bytes the calling thread holds now, as the allocator holds them.
fn held_bytes() -> isize {
    HELD_BYTES.with(Cell::get)
}

/// The size from which an allocation counts as large: a head buffer
/// starts at 512 bytes, a read buffer at 16 KiB.
const LARGE: usize = 512;

/// Allocations made by the calling thread so far.
fn allocations() -> usize {
    ALLOCATIONS.with(Cell::get)
}

/// Allocations of [`LARGE`] bytes or more made by the calling thread so far.
fn large_allocations() -> usize {
    LARGE_ALLOCATIONS.with(Cell::get)
}

/// Bytes the calling thread holds now.
fn live_bytes() -> isize {
    LIVE_BYTES.with(Cell::get)
}

/// The most the calling thread has held since the last `reset_peak`.
fn peak_bytes() -> isize {
    PEAK_BYTES.with(Cell::get)
}

/// Starts a new peak from what the calling thread holds now.
fn reset_peak() {
    PEAK_BYTES.with(|peak| peak.set(live_bytes()));
}

/// Counts one allocation of `size` bytes (`freed` of them given back, for
/// a `realloc`) on the calling thread, if its thread-locals are still
/// alive: threads being torn down are not counted.
fn count(size: usize, freed: usize) {
    let _ = ALLOCATIONS.try_with(|count| count.set(count.get() + 1));
    if size >= LARGE {
        let _ = LARGE_ALLOCATIONS.try_with(|count| count.set(count.get() + 1));
    }
    let _ = LIVE_BYTES.try_with(|live| {
        live.set(live.get() + size as isize - freed as isize);
        let _ = PEAK_BYTES.try_with(|peak| peak.set(peak.get().max(live.get())));
    });
    let freed = if freed == 0 { 0 } else { held(freed) };
    let _ = HELD_BYTES.try_with(|bytes| bytes.set(bytes.get() + held(size) - freed));
}

/// Counts `size` bytes freed on the calling thread.
fn count_free(size: usize) {
    let _ = LIVE_BYTES.try_with(|live| live.set(live.get() - size as isize));
    let _ = HELD_BYTES.try_with(|bytes| bytes.set(bytes.get() - held(size)));
}

// SAFETY: forwards to the system allocator unchanged.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size(), 0);
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        count_free(layout.size());
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size, layout.size());
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

/// Tasks spawned by the tests of bytes per task. With the main task that is
/// 2^16, so the task slab, the ready queue and the timer wheel, which grow
/// by doubling, end up exactly full: their slots count at their own size,
/// without the slack a doubling leaves.
const TASKS_TO_WEIGH: usize = (1 << 16) - 1;

#[test]
#[cfg_attr(miri, ignore = "65,535 tasks take Miri too long; the other tests run the same code")]
fn a_spawned_task_holds_at_most_128_bytes() {
    let per_task = corio::run(async {
        let before = held_bytes();
        // As the `spawn` benchmark does: the handles kept, no task run yet.
        let tasks: Vec<_> = (0..TASKS_TO_WEIGH as u64).map(|i| corio::create_task(async move { i })).collect();
        let per_task = (held_bytes() - before) / TASKS_TO_WEIGH as isize;
        let mut sum = 0;
        for task in tasks {
            sum += task.await.unwrap();
        }
        assert_eq!(sum, (TASKS_TO_WEIGH * (TASKS_TO_WEIGH - 1) / 2) as u64);
        per_task
    });
    eprintln!("a spawned task, its handle and its slots in the loop: {per_task} bytes");
    assert!(per_task <= 128, "a spawned task holds {per_task} bytes");
}

#[test]
#[cfg_attr(miri, ignore = "65,535 tasks take Miri too long; the other tests run the same code")]
fn a_sleeping_task_holds_at_most_160_bytes() {
    let lp = EventLoop::builder().virtual_time(true).build();
    let per_task = lp.run_until_complete(async {
        let before = held_bytes();
        let tasks: Vec<_> = (0..TASKS_TO_WEIGH as u64)
            .map(|i| {
                corio::create_task(async move {
                    corio::sleep(Duration::from_millis(i % 1000 + 1)).await;
                    i
                })
            })
            .collect();
        // One iteration: every task runs to its sleep, and the ready queue
        // that held them all drains.
        corio::sleep(Duration::ZERO).await;
        let per_task = (held_bytes() - before) / TASKS_TO_WEIGH as isize;
        let mut sum = 0;
        for task in tasks {
            sum += task.await.unwrap();
        }
        assert_eq!(sum, (TASKS_TO_WEIGH * (TASKS_TO_WEIGH - 1) / 2) as u64);
        per_task
    });
    eprintln!("a sleeping task, its handle, its slots in the loop and its timer: {per_task} bytes");
    assert!(per_task <= 160, "a sleeping task holds {per_task} bytes");
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

#[test]
fn a_hundred_thousand_queued_requests_allocate_no_buffers_until_they_get_a_connection() {
    const QUEUED: usize = 100_000;
    // A server that never accepts: the kernel completes the one connection
    // the session may open, takes its request, and nobody ever answers.
    // Every other request waits for that connection's slot.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let (large, count, per_request) = corio::run(async move {
        let session = corio::http::Session::builder().limit(1).build().unwrap();
        // `send` checks and boxes the request when it is called, and
        // spawning allocates the task: both before the count starts.
        let tasks: Vec<_> = (0..=QUEUED).map(|_| corio::create_task(session.get(&url).send())).collect();
        let (before, large_before, count_before) = (live_bytes(), large_allocations(), allocations());
        // One turn: each request runs to its wait, the first on the
        // server's answer, the others on the pool's slot.
        corio::sleep(Duration::ZERO).await;
        let per_request = (live_bytes() - before) / QUEUED as isize;
        let count = (allocations() - count_before) / QUEUED;
        let large = large_allocations() - large_before;
        assert_eq!(session.active_connections(), 1);
        assert!(tasks.iter().all(|task| !task.done()));
        (large, count, per_request)
    });
    eprintln!(
        "{QUEUED} queued requests, when first polled: {large} allocations of {LARGE} bytes or more in all; \
         {count} allocations, {per_request} bytes, each"
    );
    // The first request's head and the loop's own growth (the ready queue
    // for 100,000 tasks) are a few large allocations; a buffer per request
    // would be 100,000 of them.
    assert!(large < 100, "{large} allocations of {LARGE} bytes or more while {QUEUED} requests queued");
    // What a queued request does hold: its pool key (an Rc and the host's
    // name, 135 bytes) and the timer of its total timeout, which runs while
    // it waits (the expiry state, the callback and the wheel's entry, 650
    // bytes).
    assert!(per_request <= 1024, "a queued request allocated {per_request} bytes when first polled");
}

#[test]
fn a_fifty_megabyte_request_body_is_held_once() {
    const BODY: usize = 50 * 1024 * 1024;
    // The server reads the request to its end and answers 204.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/upload", listener.local_addr().unwrap());
    let server = std::thread::spawn(move || {
        let (mut socket, _) = listener.accept().unwrap();
        let mut received = 0;
        let mut chunk = vec![0; 64 * 1024];
        // Head and body: the head is well under a chunk.
        while received < BODY {
            received += socket.read(&mut chunk).unwrap();
        }
        socket.write_all(b"HTTP/1.1 204 No Content\r\n\r\n").unwrap();
        received
    });
    let (status, peak) = corio::run(async move {
        let body = vec![7u8; BODY];
        let request = corio::http::Session::new().post(&url).body(body);
        reset_peak();
        let before = live_bytes();
        let status = request.send().await.unwrap().status().as_u16();
        (status, peak_bytes() - before)
    });
    let received = server.join().unwrap();
    eprintln!("a {BODY}-byte body: {peak} bytes held beyond it at the peak");
    assert_eq!(status, 204);
    assert!(received > BODY, "the head and the body reached the server");
    // The head, the read buffer and the loop's own: nothing like a copy.
    assert!(peak < 1024 * 1024, "{peak} bytes held beyond the body while sending it");
}
