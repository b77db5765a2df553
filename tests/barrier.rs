//! `Barrier` against asyncio's, iteration for iteration: the task that
//! fills the barrier returns at once and the others follow in the order
//! they came, a task arriving while a round leaves waits for the next one,
//! a cancelled task leaves the count, and `abort` and `reset` fail those
//! waiting.
//!
//! Each test is the twin of the Python 3.13 program in its comment (run
//! with `PYENV_VERSION=3.13.0 python3`, harness in `tests/common/twin.rs`);
//! the expected log is what CPython printed, line for line.

mod common;

use std::rc::Rc;

use common::by_iteration;
use common::twin::{CancelNote, settle, yields};
use corio::sync::Barrier;
use corio::testing::EventLog;

/// A flag as Python prints it.
fn python_bool(flag: bool) -> &'static str {
    if flag { "True" } else { "False" }
}

/// Waits at `barrier` `rounds` times after `arrives` iterations, logging
/// each wait and its outcome (or, through a [`CancelNote`], its
/// cancellation).
async fn party(name: &'static str, arrives: usize, rounds: usize, barrier: Rc<Barrier>, log: EventLog) {
    yields(arrives).await;
    for _ in 0..rounds {
        log.push(format!("{name} waits, n_waiting {}", barrier.n_waiting()));
        let note = CancelNote::with({
            let (barrier, log) = (barrier.clone(), log.clone());
            move || log.push(format!("{name} cancelled, n_waiting {}", barrier.n_waiting()))
        });
        let outcome = barrier.wait().await;
        note.finish();
        match outcome {
            Ok(index) => log.push(format!("{name} passed with index {index}")),
            Err(_) => log.push(format!("{name}: broken barrier")),
        }
    }
}

// ```python
// from harness import *
//
// async def main():
//     barrier = asyncio.Barrier(3)
//
//     async def party(name, arrives, rounds=1):
//         for _ in range(arrives):
//             await asyncio.sleep(0)
//         for _ in range(rounds):
//             say(f"{name} waits, n_waiting {barrier.n_waiting}")
//             index = await barrier.wait()
//             say(f"{name} passed with index {index}")
//
//     # Spawned A, B, C, D; arriving B, D, A: the third to arrive lets all
//     # three through; C arrives while they are passing and waits for the
//     # next round, with A and B again.
//     tasks = [
//         asyncio.create_task(party("A", 3, rounds=2)),
//         asyncio.create_task(party("B", 1, rounds=2)),
//         asyncio.create_task(party("C", 4)),
//         asyncio.create_task(party("D", 2)),
//     ]
//     await settle(*tasks)
//     say(f"done, n_waiting {barrier.n_waiting}, broken {barrier.broken}")
//
// run(main)
// ```
#[test]
fn the_filling_party_goes_on_at_once_and_the_rest_follow_in_arrival_order_as_in_asyncio() {
    let lp = common::virtual_loop();
    let log = EventLog::new();
    let barrier = Rc::new(Barrier::new(3));
    lp.run_until_complete({
        let (log, barrier) = (log.clone(), barrier.clone());
        async move {
            let spawn =
                |name, arrives, rounds| corio::create_task(party(name, arrives, rounds, barrier.clone(), log.clone()));
            // Spawned A, B, C, D; arriving B, D, A: the third to arrive lets
            // all three through; C arrives while they are passing and waits
            // for the next round, with A and B again.
            let tasks = vec![spawn("A", 3, 2), spawn("B", 1, 2), spawn("C", 4, 1), spawn("D", 2, 1)];
            settle(tasks).await;
            log.push(format!("done, n_waiting {}, broken {}", barrier.n_waiting(), python_bool(barrier.broken())));
        }
    });
    assert_eq!(
        by_iteration(&log),
        [
            "2: B waits, n_waiting 0",
            "3: D waits, n_waiting 1",
            "4: A waits, n_waiting 2",
            "4: A passed with index 2",
            "4: A waits, n_waiting 0",
            "5: B passed with index 0",
            "5: B waits, n_waiting 0",
            "5: D passed with index 1",
            "5: C waits, n_waiting 0",
            "6: B passed with index 2",
            "7: C passed with index 0",
            "7: A passed with index 1",
            "8: done, n_waiting 0, broken False",
        ]
    );
    assert_eq!(barrier.parties(), 3);
}

// ```python
// from harness import *
//
// async def main():
//     barrier = asyncio.Barrier(4)
//
//     async def party(name):
//         say(f"{name} waits, n_waiting {barrier.n_waiting}")
//         try:
//             index = await barrier.wait()
//         except asyncio.BrokenBarrierError:
//             say(f"{name}: broken barrier")
//             return
//         except asyncio.CancelledError:
//             say(f"{name} cancelled, n_waiting {barrier.n_waiting}")
//             raise
//         say(f"{name} passed with index {index}")
//
//     # A cancelled party leaves: the barrier still needs four.
//     a, b, x = (asyncio.create_task(party(name)) for name in "ABX")
//     await asyncio.sleep(0)
//     say(f"main cancels X, n_waiting {barrier.n_waiting}")
//     x.cancel()
//     await asyncio.sleep(0)
//     await asyncio.sleep(0)
//     say(f"n_waiting {barrier.n_waiting}")
//     c, d = asyncio.create_task(party("C")), asyncio.create_task(party("D"))
//     await settle(a, b, x, c, d)
//
//     # abort breaks the barrier for those waiting and those to come.
//     f, g = asyncio.create_task(party("F")), asyncio.create_task(party("G"))
//     await asyncio.sleep(0)
//     say("main aborts")
//     await barrier.abort()
//     say(f"broken {barrier.broken}, n_waiting {barrier.n_waiting}")
//     h = asyncio.create_task(party("H"))
//     await settle(f, g, h)
//
//     # reset fails those waiting and makes the barrier usable again.
//     barrier = asyncio.Barrier(2)
//     i = asyncio.create_task(party("I"))
//     await asyncio.sleep(0)
//     say("main resets")
//     await barrier.reset()
//     say(f"broken {barrier.broken}, n_waiting {barrier.n_waiting}")
//     j = asyncio.create_task(party("J"))
//     await asyncio.sleep(0)
//     say(f"main waits, n_waiting {barrier.n_waiting}")
//     index = await barrier.wait()
//     say(f"main passed with index {index}")
//     await settle(i, j)
//     say("done")
//
// run(main)
// ```
#[test]
fn cancel_abort_and_reset_leave_the_barrier_as_in_asyncio() {
    let lp = common::virtual_loop();
    let log = EventLog::new();
    lp.run_until_complete({
        let log = log.clone();
        async move {
            let barrier = Rc::new(Barrier::new(4));
            let spawn =
                |name, barrier: &Rc<Barrier>| corio::create_task(party(name, 0, 1, barrier.clone(), log.clone()));

            // A cancelled party leaves: the barrier still needs four.
            let (a, b, x) = (spawn("A", &barrier), spawn("B", &barrier), spawn("X", &barrier));
            yields(1).await;
            log.push(format!("main cancels X, n_waiting {}", barrier.n_waiting()));
            x.cancel();
            yields(2).await;
            log.push(format!("n_waiting {}", barrier.n_waiting()));
            let (c, d) = (spawn("C", &barrier), spawn("D", &barrier));
            settle(vec![a, b, x, c, d]).await;

            // abort breaks the barrier for those waiting and those to come.
            let (f, g) = (spawn("F", &barrier), spawn("G", &barrier));
            yields(1).await;
            log.push("main aborts");
            barrier.abort();
            log.push(format!("broken {}, n_waiting {}", python_bool(barrier.broken()), barrier.n_waiting()));
            let h = spawn("H", &barrier);
            settle(vec![f, g, h]).await;

            // reset fails those waiting and makes the barrier usable again.
            let barrier = Rc::new(Barrier::new(2));
            let i = spawn("I", &barrier);
            yields(1).await;
            log.push("main resets");
            barrier.reset();
            log.push(format!("broken {}, n_waiting {}", python_bool(barrier.broken()), barrier.n_waiting()));
            let j = spawn("J", &barrier);
            yields(1).await;
            log.push(format!("main waits, n_waiting {}", barrier.n_waiting()));
            let index = barrier.wait().await.unwrap();
            log.push(format!("main passed with index {index}"));
            settle(vec![i, j]).await;
            log.push("done");
        }
    });
    assert_eq!(
        by_iteration(&log),
        [
            "1: A waits, n_waiting 0",
            "1: B waits, n_waiting 1",
            "1: X waits, n_waiting 2",
            "1: main cancels X, n_waiting 3",
            "2: X cancelled, n_waiting 2",
            "3: n_waiting 2",
            "4: C waits, n_waiting 2",
            "4: D waits, n_waiting 3",
            "4: D passed with index 3",
            // B before A: X's cancellation woke A, which found nothing
            // changed and queued again behind B, as in asyncio.
            "5: B passed with index 1",
            "5: A passed with index 0",
            "5: C passed with index 2",
            "7: F waits, n_waiting 0",
            "7: G waits, n_waiting 1",
            "7: main aborts",
            "7: broken True, n_waiting 0",
            "8: F: broken barrier",
            "8: G: broken barrier",
            "8: H waits, n_waiting 0",
            "8: H: broken barrier",
            "10: I waits, n_waiting 0",
            "10: main resets",
            "10: broken False, n_waiting 0",
            "11: I: broken barrier",
            "11: J waits, n_waiting 0",
            "11: main waits, n_waiting 1",
            "11: main passed with index 1",
            "12: J passed with index 0",
            "13: done",
        ]
    );
}
