//! `Lock`, `Event`, `Semaphore` and `Queue` driven by real tasks on a
//! virtual-clock loop: waiters are served first come, first served (by the
//! time they started waiting, not the order they were spawned), a resource
//! released while someone waits is handed to that waiter so a newcomer
//! cannot barge in, and cancelling a waiting task passes its place (or a
//! grant it had not used yet) on without losing anything.
//!
//! Each test records what its tasks do in a log, stamped with virtual time,
//! and compares the whole log.

mod common;

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use common::{outcomes_of, virtual_loop};
use corio::sync::{Event, GetError, Lock, Queue, Semaphore};
use corio::testing::EventLog;
use corio::{Task, TaskError};

/// `n` milliseconds.
fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// The log as lines stamped with the loop's virtual time, right-aligned
/// ("` 10 ms: A got the lock`") so the expected logs below line up.
fn lines(log: &EventLog) -> Vec<String> {
    log.entries().iter().map(|entry| format!("{:>3} ms: {}", common::millis(entry), entry.label)).collect()
}

/// Awaits every task and asserts none failed.
async fn join_all<T>(tasks: Vec<Task<T>>) {
    for task in tasks {
        assert!(task.await.is_ok(), "a task did not complete");
    }
}

// ----- Lock ---------------------------------------------------------

#[test]
fn lock_is_granted_in_arrival_order_not_spawn_order() {
    let lp = virtual_loop();
    let log = EventLog::new();
    let lock = Rc::new(Lock::new(Vec::new()));
    lp.run_until_complete({
        let (log, lock) = (log.clone(), lock.clone());
        async move {
            let guard = lock.acquire().await;
            // Spawned D, C, B, A, but they arrive at the lock A, B, C, D.
            let mut tasks = Vec::new();
            for (name, arrives) in [("D", 4), ("C", 3), ("B", 2), ("A", 1)] {
                let (log, lock) = (log.clone(), lock.clone());
                tasks.push(corio::create_task(async move {
                    corio::sleep(ms(arrives)).await;
                    log.push(format!("{name} waits"));
                    let mut held = lock.acquire().await;
                    log.push(format!("{name} got the lock"));
                    held.push(name);
                    corio::sleep(ms(10)).await;
                }));
            }
            corio::sleep(ms(100)).await;
            log.push("main releases");
            drop(guard);
            join_all(tasks).await;
        }
    });
    assert_eq!(
        lines(&log),
        [
            "  1 ms: A waits",
            "  2 ms: B waits",
            "  3 ms: C waits",
            "  4 ms: D waits",
            "100 ms: main releases",
            "100 ms: A got the lock",
            "110 ms: B got the lock",
            "120 ms: C got the lock",
            "130 ms: D got the lock",
        ]
    );
    assert!(!lock.locked());
    let lock = Rc::try_unwrap(lock).expect("every task let go of the lock");
    assert_eq!(lock.into_inner(), ["A", "B", "C", "D"]);
}

#[test]
fn a_newcomer_during_the_hand_off_queues_behind_the_woken_waiter() {
    let lp = virtual_loop();
    let log = EventLog::new();
    let lock = Rc::new(Lock::new(()));
    lp.run_until_complete({
        let (log, lock) = (log.clone(), lock.clone());
        async move {
            let guard = lock.acquire().await;
            let waiter = corio::create_task({
                let (log, lock) = (log.clone(), lock.clone());
                async move {
                    let _held = lock.acquire().await;
                    log.push("waiter got the lock");
                    corio::sleep(ms(5)).await;
                    log.push("waiter releases");
                }
            });
            // Wakes at the same tick as main, just after it: it runs in the
            // iteration in which main released, before the waiter has run.
            let newcomer = corio::create_task({
                let (log, lock) = (log.clone(), lock.clone());
                async move {
                    corio::sleep(ms(10)).await;
                    let try_lock = if lock.try_acquire().is_some() { "took it" } else { "found it taken" };
                    log.push(format!("newcomer's try_lock {try_lock}"));
                    let _held = lock.acquire().await;
                    log.push("newcomer got the lock");
                }
            });
            corio::sleep(ms(10)).await;
            drop(guard);
            log.push("main released");
            waiter.await.unwrap();
            newcomer.await.unwrap();
        }
    });
    assert_eq!(
        lines(&log),
        [
            " 10 ms: main released",
            " 10 ms: newcomer's try_lock found it taken",
            " 10 ms: waiter got the lock",
            " 15 ms: waiter releases",
            " 15 ms: newcomer got the lock",
        ]
    );
    assert!(!lock.locked());
}

// ----- Event --------------------------------------------------------

#[test]
fn event_set_releases_every_waiter_in_waiting_order_in_the_next_iteration() {
    let lp = virtual_loop();
    let log = EventLog::new();
    let event = Rc::new(Event::new());
    let set_in = Rc::new(Cell::new(0));
    lp.run_until_complete({
        let (log, event, set_in) = (log.clone(), event.clone(), set_in.clone());
        async move {
            let mut tasks = Vec::new();
            // Spawned first, second, third; waiting second, third, first.
            for (name, arrives) in [("first", 30), ("second", 10), ("third", 20)] {
                let (log, event, set_in) = (log.clone(), event.clone(), set_in.clone());
                tasks.push(corio::create_task(async move {
                    corio::sleep(ms(arrives)).await;
                    event.wait().await;
                    let after = corio::get_running_loop().iteration() - set_in.get();
                    log.push(format!("{name} released {after} iteration(s) after set"));
                }));
            }
            corio::sleep(ms(50)).await;
            set_in.set(corio::get_running_loop().iteration());
            log.push("set");
            event.set();
            join_all(tasks).await;
        }
    });
    assert_eq!(
        lines(&log),
        [
            " 50 ms: set",
            " 50 ms: second released 1 iteration(s) after set",
            " 50 ms: third released 1 iteration(s) after set",
            " 50 ms: first released 1 iteration(s) after set",
        ]
    );
}

#[test]
fn waiting_on_a_set_event_returns_at_once_and_on_a_cleared_one_waits() {
    let lp = virtual_loop();
    lp.run_until_complete(async {
        let lp = corio::get_running_loop();
        let event = Event::new();
        event.set();
        let before = lp.iteration();
        event.wait().await;
        event.wait().await;
        assert_eq!(lp.iteration(), before, "waiting on a set event yielded to the loop");

        event.clear();
        assert_eq!(corio::timeout(ms(10), event.wait()).await, Err(corio::TimeoutError));
    });
    assert_eq!(lp.elapsed(), ms(10));
}

// ----- Semaphore ----------------------------------------------------

#[test]
fn semaphore_permits_are_granted_in_arrival_order_and_not_to_a_newcomer() {
    let lp = virtual_loop();
    let log = EventLog::new();
    let semaphore = Rc::new(Semaphore::new(1));
    lp.run_until_complete({
        let (log, semaphore) = (log.clone(), semaphore.clone());
        async move {
            let permit = semaphore.acquire().await;
            let mut tasks = Vec::new();
            for (name, arrives) in [("A", 20), ("B", 30), ("C", 10)] {
                let (log, semaphore) = (log.clone(), semaphore.clone());
                tasks.push(corio::create_task(async move {
                    corio::sleep(ms(arrives)).await;
                    let _permit = semaphore.acquire().await;
                    log.push(format!("{name} got a permit"));
                    corio::sleep(ms(10)).await;
                }));
            }
            corio::sleep(ms(100)).await;
            drop(permit);
            // The permit went straight to C; none is free for us.
            let free = semaphore.available_permits();
            let taken = semaphore.try_acquire().is_some();
            log.push(format!("after release: {free} free, try_acquire took one: {taken}"));
            join_all(tasks).await;
        }
    });
    assert_eq!(
        lines(&log),
        [
            "100 ms: after release: 0 free, try_acquire took one: false",
            "100 ms: C got a permit",
            "110 ms: A got a permit",
            "120 ms: B got a permit",
        ]
    );
    assert_eq!(semaphore.available_permits(), 1);
}

#[test]
fn owned_permits_move_into_spawned_tasks_and_return_when_those_tasks_end() {
    let lp = virtual_loop();
    let log = EventLog::new();
    let semaphore = Rc::new(Semaphore::new(2));
    lp.run_until_complete({
        let (log, semaphore) = (log.clone(), semaphore.clone());
        async move {
            let mut tasks = Vec::new();
            for job in 0..4u64 {
                let permit = semaphore.acquire_owned().await;
                log.push(format!("spawn job {job}"));
                let log = log.clone();
                tasks.push(corio::create_task(async move {
                    corio::sleep(ms(10 * (job + 1))).await;
                    log.push(format!("job {job} done"));
                    drop(permit);
                }));
            }
            join_all(tasks).await;
        }
    });
    assert_eq!(
        lines(&log),
        [
            "  0 ms: spawn job 0",
            "  0 ms: spawn job 1",
            " 10 ms: job 0 done",
            " 10 ms: spawn job 2",
            " 20 ms: job 1 done",
            " 20 ms: spawn job 3",
            " 40 ms: job 2 done",
            " 60 ms: job 3 done",
        ]
    );
    assert_eq!(semaphore.available_permits(), 2);
    assert_eq!(Rc::strong_count(&semaphore), 1, "a permit kept the semaphore alive");
}

#[test]
fn a_semaphore_of_two_runs_six_ten_millisecond_jobs_two_at_a_time_in_thirty_milliseconds() {
    let lp = virtual_loop();
    let semaphore = Rc::new(Semaphore::new(2));
    let running = Rc::new(Cell::new(0));
    let most_running = Rc::new(Cell::new(0));
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let (semaphore, running, most_running) = (semaphore.clone(), running.clone(), most_running.clone());
        tasks.push(lp.create_task(async move {
            let _permit = semaphore.acquire().await;
            running.set(running.get() + 1);
            most_running.set(most_running.get().max(running.get()));
            corio::sleep(ms(10)).await;
            running.set(running.get() - 1);
        }));
    }
    lp.run_until_complete(join_all(tasks));
    assert_eq!(most_running.get(), 2);
    assert_eq!(lp.elapsed(), ms(30));
    assert_eq!(semaphore.available_permits(), 2);
}

// ----- Queue --------------------------------------------------------

#[test]
fn queue_getters_are_served_in_arrival_order_and_claimed_items_are_not_free() {
    let lp = virtual_loop();
    let log = EventLog::new();
    let queue = Rc::new(Queue::unbounded());
    lp.run_until_complete({
        let (log, queue) = (log.clone(), queue.clone());
        async move {
            let mut tasks = Vec::new();
            for (name, arrives) in [("G0", 2), ("G1", 3), ("G2", 1)] {
                let (log, queue) = (log.clone(), queue.clone());
                tasks.push(corio::create_task(async move {
                    corio::sleep(ms(arrives)).await;
                    let item: &str = queue.get().await.unwrap();
                    log.push(format!("{name} got {item}"));
                }));
            }
            corio::sleep(ms(10)).await;
            for item in ["a", "b", "c"] {
                queue.put_nowait(item).unwrap();
            }
            // All three are promised to the waiting getters, not yet run.
            log.push(format!("qsize {}, get_nowait {:?}", queue.qsize(), queue.get_nowait()));
            join_all(tasks).await;
        }
    });
    assert_eq!(
        lines(&log),
        [" 10 ms: qsize 3, get_nowait Err(Empty)", " 10 ms: G2 got a", " 10 ms: G0 got b", " 10 ms: G1 got c",]
    );
    assert!(queue.empty());
}

#[test]
fn queue_putters_on_a_full_bounded_queue_are_served_in_arrival_order() {
    let lp = virtual_loop();
    let log = EventLog::new();
    let queue = Rc::new(Queue::new(1));
    let largest = Rc::new(Cell::new(0));
    lp.run_until_complete({
        let (log, queue, largest) = (log.clone(), queue.clone(), largest.clone());
        async move {
            queue.put_nowait("first").unwrap();
            let mut tasks = Vec::new();
            for (name, arrives) in [("P0", 2), ("P1", 3), ("P2", 1)] {
                let (log, queue, largest) = (log.clone(), queue.clone(), largest.clone());
                tasks.push(corio::create_task(async move {
                    corio::sleep(ms(arrives)).await;
                    queue.put(name).await.unwrap();
                    largest.set(largest.get().max(queue.qsize()));
                    log.push(format!("{name} put"));
                }));
            }
            corio::sleep(ms(10)).await;
            for _ in 0..4 {
                let item = queue.get().await.unwrap();
                log.push(format!("got {item}"));
                corio::sleep(ms(1)).await;
            }
            join_all(tasks).await;
        }
    });
    assert_eq!(
        lines(&log),
        [
            " 10 ms: got first",
            " 10 ms: P2 put",
            " 11 ms: got P2",
            " 11 ms: P0 put",
            " 12 ms: got P0",
            " 12 ms: P1 put",
            " 13 ms: got P1",
        ]
    );
    assert_eq!(largest.get(), 1, "the queue held more than maxsize items");
}

#[test]
fn a_producer_and_two_consumers_finish_every_item_before_join_returns() {
    let lp = virtual_loop();
    let log = EventLog::new();
    let queue = Rc::new(Queue::new(2));
    let largest = Rc::new(Cell::new(0));
    lp.run_until_complete({
        let (log, queue, largest) = (log.clone(), queue.clone(), largest.clone());
        async move {
            let mut consumers = Vec::new();
            for _ in 0..2 {
                let (log, queue) = (log.clone(), queue.clone());
                consumers.push(corio::create_task(async move {
                    loop {
                        let item: u32 = queue.get().await.unwrap();
                        corio::sleep(ms(5)).await;
                        log.push(format!("item {item} done"));
                        queue.task_done();
                    }
                }));
            }
            for item in 0..10 {
                queue.put(item).await.unwrap();
                largest.set(largest.get().max(queue.qsize()));
            }
            queue.join().await;
            log.push("join returned");
            // The consumers are parked in `get`; stop them.
            for consumer in consumers {
                consumer.cancel();
                assert_eq!(consumer.await, Err(TaskError::Cancelled));
            }
        }
    });
    let mut expected: Vec<String> =
        (0..10).map(|item| format!("{:>3} ms: item {item} done", 5 * (item / 2 + 1))).collect();
    expected.push(" 25 ms: join returned".to_owned());
    assert_eq!(lines(&log), expected);
    assert_eq!(largest.get(), 2, "the queue should fill up to, and never past, maxsize");
    assert!(queue.empty());
    assert_eq!(Rc::strong_count(&queue), 1);
}

#[test]
fn get_nowait_on_an_empty_queue_and_put_nowait_on_a_full_one_fail_without_waiting() {
    let lp = virtual_loop();
    lp.run_until_complete(async {
        let queue = Queue::new(2);
        assert_eq!(queue.get_nowait(), Err(GetError::Empty));
        assert_eq!(GetError::Empty.to_string(), "queue is empty; await get() to wait for an item");
        queue.put_nowait(1).unwrap();
        queue.put_nowait(2).unwrap();
        assert!(queue.full());
        let full = queue.put_nowait(3).unwrap_err();
        assert_eq!(full.to_string(), "queue is full; await put() to wait for a free slot");
        assert_eq!(full.into_inner(), 3);
        assert_eq!(queue.qsize(), 2);
        assert_eq!(queue.get_nowait(), Ok(1));
        assert_eq!(queue.get_nowait(), Ok(2));
        assert_eq!(queue.get_nowait(), Err(GetError::Empty));
        // A put on a full queue waits rather than overfilling it.
        queue.put_nowait(4).unwrap();
        queue.put_nowait(5).unwrap();
        assert!(matches!(corio::timeout(ms(7), queue.put(6)).await, Err(corio::TimeoutError)));
        assert_eq!(queue.qsize(), 2);
        assert_eq!((queue.get_nowait(), queue.get_nowait(), queue.get_nowait()), (Ok(4), Ok(5), Err(GetError::Empty)));
    });
    assert_eq!(lp.elapsed(), ms(7));
}

// ----- Cancellation -------------------------------------------------

#[test]
fn cancelling_a_task_queued_for_a_lock_lets_the_next_waiter_in() {
    let lp = virtual_loop();
    let log = EventLog::new();
    let lock = Rc::new(Lock::new(()));
    let outcomes = lp.run_until_complete({
        let (log, lock) = (log.clone(), lock.clone());
        async move {
            let guard = lock.acquire().await;
            let mut tasks = Vec::new();
            for name in ["A", "B", "C"] {
                let (log, lock) = (log.clone(), lock.clone());
                tasks.push(corio::create_task(async move {
                    let _held = lock.acquire().await;
                    log.push(format!("{name} got the lock"));
                    corio::sleep(ms(10)).await;
                }));
            }
            corio::sleep(ms(5)).await;
            assert!(tasks[1].cancel());
            corio::sleep(ms(5)).await;
            drop(guard);
            outcomes_of(tasks).await
        }
    });
    assert_eq!(outcomes, [Ok(()), Err(TaskError::Cancelled), Ok(())]);
    assert_eq!(lines(&log), [" 10 ms: A got the lock", " 20 ms: C got the lock"]);
    assert!(!lock.locked());
    assert_eq!(Rc::strong_count(&lock), 1, "a cancelled waiter's future was not dropped");
}

#[test]
fn cancelling_a_waiter_just_handed_the_lock_passes_the_lock_on() {
    let lp = virtual_loop();
    let log = EventLog::new();
    let lock = Rc::new(Lock::new(()));
    let outcomes = lp.run_until_complete({
        let (log, lock) = (log.clone(), lock.clone());
        async move {
            let guard = lock.acquire().await;
            let mut tasks = Vec::new();
            for name in ["A", "B"] {
                let (log, lock) = (log.clone(), lock.clone());
                tasks.push(corio::create_task(async move {
                    let _held = lock.acquire().await;
                    log.push(format!("{name} got the lock"));
                }));
            }
            corio::sleep(ms(10)).await;
            // The release hands the lock to A; A is cancelled before it runs.
            drop(guard);
            assert!(tasks[0].cancel());
            outcomes_of(tasks).await
        }
    });
    assert_eq!(outcomes, [Err(TaskError::Cancelled), Ok(())]);
    assert_eq!(lines(&log), [" 10 ms: B got the lock"]);
    assert!(!lock.locked());
    assert_eq!(Rc::strong_count(&lock), 1);
}

#[test]
fn cancelling_tasks_waiting_for_permits_loses_no_permit() {
    let lp = virtual_loop();
    let log = EventLog::new();
    let semaphore = Rc::new(Semaphore::new(1));
    let outcomes = lp.run_until_complete({
        let (log, semaphore) = (log.clone(), semaphore.clone());
        async move {
            let permit = semaphore.acquire().await;
            let mut tasks = Vec::new();
            for name in ["A", "B", "C", "D"] {
                let (log, semaphore) = (log.clone(), semaphore.clone());
                tasks.push(corio::create_task(async move {
                    let _permit = semaphore.acquire().await;
                    log.push(format!("{name} got a permit"));
                    corio::sleep(ms(10)).await;
                }));
            }
            corio::sleep(ms(10)).await;
            // B waits in line; A is handed the released permit but cancelled
            // before it can run.
            assert!(tasks[1].cancel());
            drop(permit);
            assert!(tasks[0].cancel());
            outcomes_of(tasks).await
        }
    });
    assert_eq!(outcomes, [Err(TaskError::Cancelled), Err(TaskError::Cancelled), Ok(()), Ok(())]);
    assert_eq!(lines(&log), [" 10 ms: C got a permit", " 20 ms: D got a permit"]);
    assert_eq!(semaphore.available_permits(), 1);
    assert_eq!(Rc::strong_count(&semaphore), 1);
}

#[test]
fn cancelling_tasks_waiting_in_get_loses_no_item() {
    let lp = virtual_loop();
    let log = EventLog::new();
    let queue = Rc::new(Queue::unbounded());
    let outcomes = lp.run_until_complete({
        let (log, queue) = (log.clone(), queue.clone());
        async move {
            let mut tasks = Vec::new();
            for name in ["A", "B", "C", "D"] {
                let (log, queue) = (log.clone(), queue.clone());
                tasks.push(corio::create_task(async move {
                    let item: &str = queue.get().await.unwrap();
                    log.push(format!("{name} got {item}"));
                }));
            }
            corio::sleep(ms(10)).await;
            // B leaves the line; A is promised "x" and cancelled before it runs.
            assert!(tasks[1].cancel());
            queue.put_nowait("x").unwrap();
            assert!(tasks[0].cancel());
            queue.put_nowait("y").unwrap();
            let outcomes = outcomes_of(tasks).await;
            queue.put_nowait("z").unwrap();
            outcomes
        }
    });
    assert_eq!(outcomes, [Err(TaskError::Cancelled), Err(TaskError::Cancelled), Ok(()), Ok(())]);
    assert_eq!(lines(&log), [" 10 ms: C got x", " 10 ms: D got y"]);
    // Nothing is left claimed for a cancelled getter: a new item is free.
    assert_eq!(queue.get_nowait(), Ok("z"));
    assert_eq!(Rc::strong_count(&queue), 1);
}

#[test]
fn cancelling_a_putter_waiting_on_a_full_queue_drops_its_item_and_frees_its_turn() {
    let lp = virtual_loop();
    let log = EventLog::new();
    let queue = Rc::new(Queue::new(1));
    let outcomes = lp.run_until_complete({
        let (log, queue) = (log.clone(), queue.clone());
        async move {
            queue.put_nowait("held").unwrap();
            let mut tasks = Vec::new();
            for name in ["A", "B"] {
                let (log, queue) = (log.clone(), queue.clone());
                tasks.push(corio::create_task(async move {
                    queue.put(name).await.unwrap();
                    log.push(format!("{name} put"));
                }));
            }
            corio::sleep(ms(10)).await;
            // The get reserves the freed slot for A, which is cancelled
            // before it runs: the slot must go to B.
            let first = queue.get_nowait();
            assert!(tasks[0].cancel());
            let outcomes = outcomes_of(tasks).await;
            log.push(format!("took {first:?}, then {:?}, then {:?}", queue.get_nowait(), queue.get_nowait()));
            outcomes
        }
    });
    assert_eq!(outcomes, [Err(TaskError::Cancelled), Ok(())]);
    assert_eq!(lines(&log), [" 10 ms: B put", " 10 ms: took Ok(\"held\"), then Ok(\"B\"), then Err(Empty)"]);
    assert_eq!(Rc::strong_count(&queue), 1);
}

#[test]
fn a_get_nowait_after_a_hand_off_takes_the_next_item_not_the_promised_one() {
    let queue = Rc::new(Queue::unbounded());
    let getter_queue = queue.clone();
    let (waited, newcomer) = virtual_loop().run_until_complete(async move {
        let getter = corio::create_task(async move { getter_queue.get().await.unwrap() });
        corio::sleep(Duration::ZERO).await;
        // "x" is promised to the waiting getter; "y" is free for anyone.
        queue.put_nowait("x").unwrap();
        queue.put_nowait("y").unwrap();
        let newcomer = queue.get_nowait().unwrap();
        (getter.await.unwrap(), newcomer)
    });
    assert_eq!((waited, newcomer), ("x", "y"), "the oldest getter gets the oldest item");
}
