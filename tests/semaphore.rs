//! `Semaphore::locked` and `BoundedSemaphore` against asyncio's, iteration
//! for iteration: a newcomer waits behind a waiter that was granted a
//! permit and has not run yet, even when another permit is free; a
//! cancelled waiter leaves the line and passes a permit it was handed on;
//! and a bounded semaphore refuses a release that has no acquire to pair
//! with.
//!
//! Each test is the twin of the Python 3.13 program in its comment (run with
//! `PYENV_VERSION=3.13.0 python3`, harness in `tests/common/twin.rs`); the
//! expected log is what CPython printed, line for line, except where a
//! comment says why corio differs.

mod common;

use std::rc::Rc;

use common::by_iteration;
use common::twin::{CancelNote, settle, yields};
use corio::sync::{BoundedSemaphore, Semaphore};
use corio::testing::EventLog;

/// "yes" or "no", as the Python program prints a flag.
fn yes_no(flag: bool) -> &'static str {
    if flag { "yes" } else { "no" }
}

// ```python
// from harness import *
//
// def yn(flag):
//     return "yes" if flag else "no"
//
// async def main():
//     sem = asyncio.Semaphore(2)
//     await sem.acquire()
//     await sem.acquire()
//
//     async def worker(name):
//         say(f"{name} waits, locked: {yn(sem.locked())}")
//         async with sem:
//             say(f"{name} got a permit")
//             await asyncio.sleep(0)
//         say(f"{name} released")
//
//     w = asyncio.create_task(worker("W"))
//     await asyncio.sleep(0)
//     sem.release()  # handed to W, which has not run yet
//     sem.release()  # free, but W is still in line
//     say(f"main released two, locked: {yn(sem.locked())}")
//     await sem.acquire()
//     say(f"main got a permit again, locked: {yn(sem.locked())}")
//     sem.release()
//     await settle(w)
//
//     bounded = asyncio.BoundedSemaphore(1)
//     try:
//         bounded.release()
//     except ValueError as error:
//         say(f"release past the bound: {error}")
//     await bounded.acquire()
//     b = asyncio.create_task(worker_on(bounded, "B"))
//     await asyncio.sleep(0)
//     bounded.release()  # pairs with main's acquire: handed to B
//     say("main released its permit")
//     try:
//         bounded.release()  # one too many, but B holds the only permit
//         say("a second release is accepted")
//     except ValueError as error:
//         say(f"second release: {error}")
//     await settle(b)
//     say("done")
//
// async def worker_on(sem, name):
//     try:
//         async with sem:
//             say(f"{name} got a permit")
//     except ValueError as error:
//         say(f"{name}'s release: {error}")
//
// run(main)
// ```
//
// CPython prints, from the bounded semaphore on:
//
//     4: release past the bound: BoundedSemaphore released too many times
//     5: main released its permit
//     5: a second release is accepted
//     6: B got a permit
//     6: B's release: BoundedSemaphore released too many times
//     7: done
//
// asyncio compares the free count with the bound, so the extra release is
// accepted while B holds the only permit, and B's own release raises. A
// corio permit returns itself when dropped and cannot fail, so the check is
// made at the extra release instead, and B's release is fine.
#[test]
fn a_newcomer_waits_behind_a_granted_waiter_and_a_bounded_semaphore_refuses_an_extra_release() {
    let lp = common::virtual_loop();
    let log = EventLog::new();
    lp.run_until_complete({
        let log = log.clone();
        async move {
            let semaphore = Rc::new(Semaphore::new(2));
            semaphore.acquire().await.forget();
            semaphore.acquire().await.forget();
            let w = corio::create_task({
                let (semaphore, log) = (semaphore.clone(), log.clone());
                async move {
                    log.push(format!("W waits, locked: {}", yes_no(semaphore.locked())));
                    {
                        let _permit = semaphore.acquire().await;
                        log.push("W got a permit");
                        yields(1).await;
                    }
                    log.push("W released");
                }
            });
            yields(1).await;
            semaphore.add_permits(1); // handed to W, which has not run yet
            semaphore.add_permits(1); // free, but W is still in line
            log.push(format!("main released two, locked: {}", yes_no(semaphore.locked())));
            let permit = semaphore.acquire().await;
            log.push(format!("main got a permit again, locked: {}", yes_no(semaphore.locked())));
            drop(permit);
            settle(vec![w]).await;

            let bounded = Rc::new(BoundedSemaphore::new(1));
            if let Err(error) = bounded.release() {
                log.push(format!("release past the bound: {error}"));
            }
            bounded.acquire().await.forget();
            let b = corio::create_task({
                let (bounded, log) = (bounded.clone(), log.clone());
                async move {
                    let _permit = bounded.acquire().await;
                    log.push("B got a permit");
                }
            });
            yields(1).await;
            bounded.release().expect("pairs with main's acquire");
            log.push("main released its permit");
            match bounded.release() {
                Ok(()) => log.push("a second release is accepted"),
                Err(error) => log.push(format!("second release: {error}")),
            }
            settle(vec![b]).await;
            assert_eq!(bounded.available_permits(), 1);
            log.push("done");
        }
    });
    let refused = "bounded semaphore released too many times: no forgotten permit is left to give back";
    assert_eq!(
        by_iteration(&log),
        [
            "1: W waits, locked: yes".to_owned(),
            "1: main released two, locked: yes".to_owned(),
            "2: W got a permit".to_owned(),
            "3: main got a permit again, locked: yes".to_owned(),
            "3: W released".to_owned(),
            format!("4: release past the bound: {refused}"),
            "5: main released its permit".to_owned(),
            // Here asyncio accepts the release and B's raises (see above).
            format!("5: second release: {refused}"),
            "6: B got a permit".to_owned(),
            "7: done".to_owned(),
        ]
    );
}

// ```python
// from harness import *
//
// async def main():
//     sem = asyncio.Semaphore(1)
//     await sem.acquire()
//
//     async def worker(name):
//         say(f"{name} waits")
//         try:
//             async with sem:
//                 say(f"{name} got a permit")
//                 await asyncio.sleep(0)
//         except asyncio.CancelledError:
//             say(f"{name} cancelled")
//             raise
//
//     a, b, c = (asyncio.create_task(worker(name)) for name in "ABC")
//     await asyncio.sleep(0)
//     say("main cancels B, releases, and cancels A")
//     b.cancel()
//     sem.release()  # handed to A, which is cancelled before it runs
//     a.cancel()
//     say(f"locked: {'yes' if sem.locked() else 'no'}")
//     await settle(a, b, c)
//     say(f"done, locked: {'yes' if sem.locked() else 'no'}")
//
// run(main)
// ```
#[test]
fn a_cancelled_waiter_leaves_the_line_and_passes_a_granted_permit_on_as_in_asyncio() {
    let lp = common::virtual_loop();
    let log = EventLog::new();
    lp.run_until_complete({
        let log = log.clone();
        async move {
            let semaphore = Rc::new(Semaphore::new(1));
            semaphore.acquire().await.forget();
            let workers: Vec<_> = ["A", "B", "C"]
                .into_iter()
                .map(|name| {
                    let (semaphore, log) = (semaphore.clone(), log.clone());
                    corio::create_task(async move {
                        log.push(format!("{name} waits"));
                        let note = CancelNote::new(&log, name);
                        let _permit = semaphore.acquire().await;
                        note.finish();
                        log.push(format!("{name} got a permit"));
                        yields(1).await;
                    })
                })
                .collect();
            yields(1).await;
            log.push("main cancels B, releases, and cancels A");
            workers[1].cancel();
            semaphore.add_permits(1); // handed to A, which is cancelled before it runs
            workers[0].cancel();
            log.push(format!("locked: {}", yes_no(semaphore.locked())));
            settle(workers).await;
            log.push(format!("done, locked: {}", yes_no(semaphore.locked())));
        }
    });
    assert_eq!(
        by_iteration(&log),
        [
            "1: A waits",
            "1: B waits",
            "1: C waits",
            "1: main cancels B, releases, and cancels A",
            "1: locked: yes",
            "2: B cancelled",
            "2: A cancelled",
            "3: C got a permit",
            "5: done, locked: no",
        ]
    );
}
