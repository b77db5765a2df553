//! `Condition` against asyncio's, iteration for iteration: who is woken
//! first, that a woken waiter takes the lock again behind those already
//! waiting for it, and that a cancelled waiter passes its notification on.
//!
//! Each test is the twin of the Python 3.13 program in its comment (run
//! with `PYENV_VERSION=3.13.0 python3`, harness in `tests/common/twin.rs`);
//! the expected log is what CPython printed, line for line, except where a
//! comment says why corio differs.

mod common;

use std::rc::Rc;

use common::by_iteration;
use common::twin::{CancelNote, settle, yields};
use corio::sync::{Condition, Lock};
use corio::testing::EventLog;

/// A lock and a condition on it, shared by the tasks of one test.
type Shared = Rc<(Lock<()>, Condition)>;

/// Takes the lock, waits on the condition, and logs when woken (or, through
/// a [`CancelNote`], when cancelled while waiting).
async fn waiter(name: &'static str, shared: Shared, log: EventLog) {
    let (lock, condition) = &*shared;
    let guard = lock.acquire().await;
    log.push(format!("{name} waits"));
    let note = CancelNote::new(&log, name);
    let _guard = condition.wait(guard).await;
    note.finish();
    log.push(format!("{name} woke"));
}

// ```python
// from harness import *
//
// async def main():
//     lock = asyncio.Lock()
//     cond = asyncio.Condition(lock)
//
//     async def waiter(name, yields):
//         for _ in range(yields):
//             await asyncio.sleep(0)
//         async with cond:
//             say(f"{name} waits")
//             await cond.wait()
//             say(f"{name} woke, lock held: {'yes' if lock.locked() else 'no'}")
//
//     tasks = [asyncio.create_task(waiter(name, yields)) for name, yields in [("A", 2), ("B", 0), ("C", 1)]]
//     # A latecomer that wants the lock itself, not the condition.
//     async def latecomer():
//         for _ in range(4):
//             await asyncio.sleep(0)
//         say("latecomer waits for the lock")
//         async with lock:
//             say("latecomer got the lock")
//     tasks.append(asyncio.create_task(latecomer()))
//     for _ in range(3):
//         await asyncio.sleep(0)
//     async with cond:
//         say("main notifies 2")
//         cond.notify(2)
//         await asyncio.sleep(0)
//         await asyncio.sleep(0)
//         say("main releases")
//     await asyncio.sleep(0)
//     async with cond:
//         say("main notifies all")
//         cond.notify_all()
//     for task in tasks:
//         await task
//     say("done")
//
// run(main)
// ```
#[test]
fn notify_wakes_the_oldest_waiters_who_then_queue_for_the_lock_as_in_asyncio() {
    let lp = common::virtual_loop();
    let log = EventLog::new();
    let shared: Shared = Rc::new((Lock::new(()), Condition::new()));
    lp.run_until_complete({
        let log = log.clone();
        async move {
            let mut tasks = Vec::new();
            // Spawned A, B, C; waiting B, C, A.
            for (name, wait_after) in [("A", 2), ("B", 0), ("C", 1)] {
                let (shared, log) = (shared.clone(), log.clone());
                tasks.push(corio::create_task(async move {
                    yields(wait_after).await;
                    let (lock, condition) = &*shared;
                    let guard = lock.acquire().await;
                    log.push(format!("{name} waits"));
                    let _guard = condition.wait(guard).await;
                    let held = if lock.locked() { "yes" } else { "no" };
                    log.push(format!("{name} woke, lock held: {held}"));
                }));
            }
            tasks.push(corio::create_task({
                let (shared, log) = (shared.clone(), log.clone());
                async move {
                    yields(4).await;
                    log.push("latecomer waits for the lock");
                    let _guard = shared.0.acquire().await;
                    log.push("latecomer got the lock");
                }
            }));
            yields(3).await;
            let (lock, condition) = &*shared;
            {
                let _guard = lock.acquire().await;
                log.push("main notifies 2");
                condition.notify(2);
                yields(2).await;
                log.push("main releases");
            }
            yields(1).await;
            {
                let _guard = lock.acquire().await;
                log.push("main notifies all");
                condition.notify_all();
            }
            settle(tasks).await;
            log.push("done");
        }
    });
    assert_eq!(
        by_iteration(&log),
        [
            "1: B waits",
            "2: C waits",
            "3: A waits",
            "3: main notifies 2",
            "5: latecomer waits for the lock",
            "5: main releases",
            "6: B woke, lock held: yes",
            "7: C woke, lock held: yes",
            "8: latecomer got the lock",
            "9: main notifies all",
            "10: A woke, lock held: yes",
            "11: done",
        ]
    );
}

// ```python
// from harness import *
//
// async def main():
//     lock = asyncio.Lock()
//     cond = asyncio.Condition(lock)
//
//     async def waiter(name):
//         async with cond:
//             say(f"{name} waits")
//             try:
//                 await cond.wait()
//             except asyncio.CancelledError:
//                 say(f"{name} cancelled")
//                 raise
//             say(f"{name} woke")
//
//     # 1. Notified, then cancelled before it runs: B gets the notification.
//     a, b = asyncio.create_task(waiter("A")), asyncio.create_task(waiter("B"))
//     await asyncio.sleep(0)
//     async with cond:
//         say("main notifies 1 and cancels A")
//         cond.notify(1)
//         a.cancel()
//     await settle(a, b)
//
//     # 2. Notified, then cancelled while waiting for the lock: D gets it.
//     c, d = asyncio.create_task(waiter("C")), asyncio.create_task(waiter("D"))
//     await asyncio.sleep(0)
//     async with cond:
//         say("main notifies 1")
//         cond.notify(1)
//         await asyncio.sleep(0)
//         say("main cancels C and releases")
//         c.cancel()
//     await settle(c, d)
//
//     # 3. Cancelled while queued, never notified.
//     e, f = asyncio.create_task(waiter("E")), asyncio.create_task(waiter("F"))
//     await asyncio.sleep(0)
//     say("main cancels E")
//     e.cancel()
//     for _ in range(3):
//         await asyncio.sleep(0)
//     async with cond:
//         say("main notifies 1")
//         cond.notify(1)
//     await settle(e, f)
//     say("done")
//
// run(main)
// ```
//
// CPython prints the same log up to E's cancellation, then:
//
//     9: E cancelled
//     10: F woke
//     11: main notifies 1
//     11: done
//
// asyncio's `wait` cannot tell whether it was cancelled before or after
// being notified, so a cancelled waiter always notifies another one: F
// wakes spuriously at 10, and main's notify finds nobody. corio knows
// (the waiter's node says whether it was granted), so only a notified
// waiter passes its notification on; F sleeps until main's notify.
#[test]
fn a_cancelled_waiter_passes_on_a_notification_it_received_and_only_then() {
    let lp = common::virtual_loop();
    let log = EventLog::new();
    let shared: Shared = Rc::new((Lock::new(()), Condition::new()));
    lp.run_until_complete({
        let (log, shared) = (log.clone(), shared.clone());
        async move {
            let spawn = |name| corio::create_task(waiter(name, shared.clone(), log.clone()));
            let (lock, condition) = &*shared;

            let (a, b) = (spawn("A"), spawn("B"));
            yields(1).await;
            {
                let _guard = lock.acquire().await;
                log.push("main notifies 1 and cancels A");
                condition.notify(1);
                a.cancel();
            }
            settle(vec![a, b]).await;

            let (c, d) = (spawn("C"), spawn("D"));
            yields(1).await;
            {
                let _guard = lock.acquire().await;
                log.push("main notifies 1");
                condition.notify(1);
                yields(1).await;
                log.push("main cancels C and releases");
                c.cancel();
            }
            settle(vec![c, d]).await;

            let (e, f) = (spawn("E"), spawn("F"));
            yields(1).await;
            log.push("main cancels E");
            e.cancel();
            yields(3).await;
            {
                let _guard = lock.acquire().await;
                log.push("main notifies 1");
                condition.notify(1);
            }
            settle(vec![e, f]).await;
            log.push("done");
        }
    });
    assert_eq!(
        by_iteration(&log),
        [
            "1: A waits",
            "1: B waits",
            "1: main notifies 1 and cancels A",
            "2: A cancelled",
            "3: B woke",
            "4: C waits",
            "4: D waits",
            "4: main notifies 1",
            "5: main cancels C and releases",
            "6: C cancelled",
            "7: D woke",
            "8: E waits",
            "8: F waits",
            "8: main cancels E",
            "9: E cancelled",
            // Here asyncio wakes F spuriously (see above).
            "11: main notifies 1",
            "12: F woke",
            "13: done",
        ]
    );
    assert!(!shared.0.locked());
}

// ```python
// from harness import *
//
// async def main():
//     cond = asyncio.Condition()
//     stock = 0
//
//     async def consumer(name, wants):
//         nonlocal stock
//         checks = 0
//         def enough():
//             nonlocal checks
//             checks += 1
//             return stock >= wants
//         async with cond:
//             await cond.wait_for(enough)
//             stock -= wants
//             say(f"{name} took {wants} after {checks} checks, {stock} left")
//
//     tasks = [asyncio.create_task(consumer("X", 2)), asyncio.create_task(consumer("Y", 1))]
//     for _ in range(3):
//         await asyncio.sleep(0)
//         async with cond:
//             stock += 1
//             say(f"main adds one, stock {stock}")
//             cond.notify_all()
//     await settle(*tasks)
//     say("done")
//
// run(main)
// ```
#[test]
fn wait_for_checks_the_predicate_after_every_wake_up_as_in_asyncio() {
    let lp = common::virtual_loop();
    let log = EventLog::new();
    let shared = Rc::new((Lock::new(0u32), Condition::new()));
    lp.run_until_complete({
        let log = log.clone();
        async move {
            let mut tasks = Vec::new();
            for (name, wants) in [("X", 2), ("Y", 1)] {
                let (shared, log) = (shared.clone(), log.clone());
                tasks.push(corio::create_task(async move {
                    let (lock, condition) = &*shared;
                    let mut checks = 0;
                    let guard = lock.acquire().await;
                    let mut stock = condition
                        .wait_for(guard, |stock| {
                            checks += 1;
                            *stock >= wants
                        })
                        .await;
                    *stock -= wants;
                    log.push(format!("{name} took {wants} after {checks} checks, {} left", *stock));
                }));
            }
            let (lock, condition) = &*shared;
            for _ in 0..3 {
                yields(1).await;
                let mut stock = lock.acquire().await;
                *stock += 1;
                log.push(format!("main adds one, stock {}", *stock));
                condition.notify_all();
            }
            settle(tasks).await;
            log.push("done");
        }
    });
    assert_eq!(
        by_iteration(&log),
        [
            "1: main adds one, stock 1",
            "2: Y took 1 after 2 checks, 0 left",
            "2: main adds one, stock 1",
            "3: main adds one, stock 2",
            "4: X took 2 after 4 checks, 0 left",
            "5: done",
        ]
    );
}
