//! `Queue::shutdown` and the LIFO and priority queues against asyncio's,
//! iteration for iteration: after a shutdown puts fail, gets drain what is
//! left and then fail, everyone waiting is woken, an immediate shutdown
//! drops the items and lets `join` return; `Queue::lifo` and
//! `Queue::priority` hand out the newest and the smallest item, to getters
//! and putters served first come, first served; a cancelled getter or
//! putter passes on what it was woken for.
//!
//! Each test is the twin of the Python 3.13 program in its comment (run
//! with `PYENV_VERSION=3.13.0 python3`, harness in `tests/common/twin.rs`);
//! the expected log is what CPython printed, line for line, except where a
//! comment says why corio differs.

mod common;

use std::rc::Rc;

use common::by_iteration;
use common::twin::{CancelNote, settle, yields};
use corio::sync::{GetError, Queue};
use corio::testing::EventLog;

/// Gets until the queue says it is shut down, marking each item done.
async fn drain(name: &'static str, queue: Rc<Queue<&'static str>>, log: EventLog) {
    loop {
        match queue.get().await {
            Ok(item) => {
                log.push(format!("{name} got {item}"));
                queue.task_done();
            }
            Err(_) => {
                log.push(format!("{name}'s get: shut down"));
                return;
            }
        }
    }
}

/// Gets one item, or says the queue is shut down.
async fn get_one(name: &'static str, queue: Rc<Queue<u32>>, log: EventLog) {
    match queue.get().await {
        Ok(item) => log.push(format!("{name} got {item}")),
        Err(_) => log.push(format!("{name}'s get: shut down")),
    }
}

/// Waits for every item put in `queue` to be marked done.
async fn join<T>(queue: Rc<Queue<T>>, log: EventLog) {
    queue.join().await;
    log.push("join returned");
}

// ```python
// from harness import *
//
// async def main():
//     # 1. Shut down with items left: puts are refused, gets drain, then fail.
//     q = asyncio.Queue(2)
//     q.put_nowait("a")
//     q.put_nowait("b")
//
//     async def putter(name):
//         try:
//             await q.put(name)
//             say(f"{name} put")
//         except asyncio.QueueShutDown:
//             say(f"{name}'s put refused")
//
//     async def getter(name):
//         while True:
//             try:
//                 item = await q.get()
//             except asyncio.QueueShutDown:
//                 say(f"{name}'s get: shut down")
//                 return
//             say(f"{name} got {item}")
//             q.task_done()
//
//     async def joiner():
//         await q.join()
//         say("join returned")
//
//     p, j = asyncio.create_task(putter("P")), asyncio.create_task(joiner())
//     await asyncio.sleep(0)
//     q.shutdown()
//     say(f"main shut down, qsize {q.qsize()}")
//     try:
//         q.put_nowait("x")
//     except asyncio.QueueShutDown:
//         say("put_nowait refused")
//     g, h = asyncio.create_task(getter("G")), asyncio.create_task(getter("H"))
//     await settle(p, g, h, j)
//
//     # 2. Immediate: the items go, getters woken for them fail.
//     q = asyncio.Queue()
//
//     async def one_get(name):
//         try:
//             say(f"{name} got {await q.get()}")
//         except asyncio.QueueShutDown:
//             say(f"{name}'s get: shut down")
//
//     g, h = asyncio.create_task(one_get("G")), asyncio.create_task(one_get("H"))
//     await asyncio.sleep(0)
//     for item in [1, 2, 3]:
//         q.put_nowait(item)
//     say(f"main put 3 and shuts down at once")
//     q.shutdown(immediate=True)
//     say(f"qsize {q.qsize()}")
//     try:
//         q.get_nowait()
//     except asyncio.QueueShutDown:
//         say("get_nowait: shut down")
//     await settle(g, h)
//
//     # 3. Immediate shutdown marks the dropped items done, not the taken ones.
//     q = asyncio.Queue()
//     for item in [1, 2, 3]:
//         q.put_nowait(item)
//     j = asyncio.create_task(joiner())
//     await asyncio.sleep(0)
//     taken = q.get_nowait()
//     q.shutdown(immediate=True)
//     say(f"main took {taken} and shut down at once")
//     await asyncio.sleep(0)
//     await asyncio.sleep(0)
//     say(f"main marks {taken} done")
//     q.task_done()
//     await settle(j)
//     say("done")
//
// run(main)
// ```
#[test]
fn shutdown_refuses_puts_drains_gets_and_wakes_every_waiter_as_in_asyncio() {
    let lp = common::virtual_loop();
    let log = EventLog::new();
    lp.run_until_complete({
        let log = log.clone();
        async move {
            // 1. Shut down with items left.
            let queue = Rc::new(Queue::new(2));
            queue.put_nowait("a").unwrap();
            queue.put_nowait("b").unwrap();
            let p = corio::create_task({
                let (queue, log) = (queue.clone(), log.clone());
                async move {
                    match queue.put("P").await {
                        Ok(()) => log.push("P put"),
                        Err(_) => log.push("P's put refused"),
                    }
                }
            });
            let j = corio::create_task(join(queue.clone(), log.clone()));
            yields(1).await;
            queue.shutdown(false);
            log.push(format!("main shut down, qsize {}", queue.qsize()));
            if queue.put_nowait("x").is_err() {
                log.push("put_nowait refused");
            }
            let g = corio::create_task(drain("G", queue.clone(), log.clone()));
            let h = corio::create_task(drain("H", queue.clone(), log.clone()));
            settle(vec![p, g, h, j]).await;

            // 2. Immediate: the items go, getters woken for them fail.
            let queue = Rc::new(Queue::unbounded());
            let g = corio::create_task(get_one("G", queue.clone(), log.clone()));
            let h = corio::create_task(get_one("H", queue.clone(), log.clone()));
            yields(1).await;
            for item in [1, 2, 3] {
                queue.put_nowait(item).unwrap();
            }
            log.push("main put 3 and shuts down at once");
            queue.shutdown(true);
            log.push(format!("qsize {}", queue.qsize()));
            if queue.get_nowait() == Err(GetError::ShutDown) {
                log.push("get_nowait: shut down");
            }
            settle(vec![g, h]).await;

            // 3. Immediate shutdown marks the dropped items done, not the taken ones.
            let queue = Rc::new(Queue::unbounded());
            for item in [1, 2, 3] {
                queue.put_nowait(item).unwrap();
            }
            let j = corio::create_task(join(queue.clone(), log.clone()));
            yields(1).await;
            let taken = queue.get_nowait().unwrap();
            queue.shutdown(true);
            log.push(format!("main took {taken} and shut down at once"));
            yields(2).await;
            log.push(format!("main marks {taken} done"));
            queue.task_done();
            settle(vec![j]).await;
            log.push("done");
        }
    });
    assert_eq!(
        by_iteration(&log),
        [
            "1: main shut down, qsize 2",
            "1: put_nowait refused",
            "2: P's put refused",
            "2: G got a",
            "2: G got b",
            "2: G's get: shut down",
            "2: H's get: shut down",
            "3: join returned",
            "5: main put 3 and shuts down at once",
            "5: qsize 0",
            "5: get_nowait: shut down",
            "6: G's get: shut down",
            "6: H's get: shut down",
            "8: main took 1 and shut down at once",
            "10: main marks 1 done",
            "11: join returned",
            "12: done",
        ]
    );
}

// ```python
// from harness import *
//
// async def main():
//     for kind in (asyncio.Queue, asyncio.LifoQueue, asyncio.PriorityQueue):
//         q = kind()
//         for item in [3, 1, 2]:
//             q.put_nowait(item)
//         say(f"{kind.__name__}: {[q.get_nowait() for _ in range(3)]}")
//
//     # Waiting getters on a priority queue each take the smallest item left
//     # when they run.
//     q = asyncio.PriorityQueue()
//
//     async def getter(name):
//         say(f"{name} got {await q.get()}")
//
//     a, b = asyncio.create_task(getter("A")), asyncio.create_task(getter("B"))
//     await asyncio.sleep(0)
//     for item in [5, 1, 3]:
//         q.put_nowait(item)
//     say(f"main put 5, 1, 3 and took {q.get_nowait()}")
//     await settle(a, b)
//
//     # Waiting putters on a full LIFO queue go in first come, first served.
//     q = asyncio.LifoQueue(2)
//     q.put_nowait("a")
//     q.put_nowait("b")
//
//     async def putter(item):
//         await q.put(item)
//         say(f"{item} put")
//
//     c, d = asyncio.create_task(putter("c")), asyncio.create_task(putter("d"))
//     await asyncio.sleep(0)
//     say(f"main took {q.get_nowait()}")
//     await asyncio.sleep(0)
//     say(f"main took {q.get_nowait()}")
//     await settle(c, d)
//     say(f"left {' '.join(q.get_nowait() for _ in range(q.qsize()))}")
//
// run(main)
// ```
#[test]
fn lifo_and_priority_queues_hand_out_the_newest_and_the_smallest_as_in_asyncio() {
    let lp = common::virtual_loop();
    let log = EventLog::new();
    lp.run_until_complete({
        let log = log.clone();
        async move {
            let fifo = Queue::unbounded();
            let lifo = Queue::lifo(0);
            let priority = Queue::priority(0);
            for item in [3, 1, 2] {
                fifo.put_nowait(item).unwrap();
                lifo.put_nowait(item).unwrap();
                priority.put_nowait(item).unwrap();
            }
            let fifo: Vec<_> = (0..3).map(|_| fifo.get_nowait().unwrap()).collect();
            let lifo: Vec<_> = (0..3).map(|_| lifo.get_nowait().unwrap()).collect();
            let priority: Vec<_> = (0..3).map(|_| priority.get_nowait().unwrap()).collect();
            log.push(format!("Queue: {fifo:?}"));
            log.push(format!("LifoQueue: {lifo:?}"));
            log.push(format!("PriorityQueue: {priority:?}"));

            // Waiting getters on a priority queue each take the smallest
            // item left when they run.
            let queue = Rc::new(Queue::priority(0));
            let getters: Vec<_> = ["A", "B"]
                .into_iter()
                .map(|name| {
                    let (queue, log) = (queue.clone(), log.clone());
                    corio::create_task(async move {
                        let item: u32 = queue.get().await.unwrap();
                        log.push(format!("{name} got {item}"));
                    })
                })
                .collect();
            yields(1).await;
            for item in [5, 1, 3] {
                queue.put_nowait(item).unwrap();
            }
            log.push(format!("main put 5, 1, 3 and took {}", queue.get_nowait().unwrap()));
            settle(getters).await;

            // Waiting putters on a full LIFO queue go in first come, first served.
            let queue = Rc::new(Queue::lifo(2));
            queue.put_nowait("a").unwrap();
            queue.put_nowait("b").unwrap();
            let putters: Vec<_> = ["c", "d"]
                .into_iter()
                .map(|item| {
                    let (queue, log) = (queue.clone(), log.clone());
                    corio::create_task(async move {
                        queue.put(item).await.unwrap();
                        log.push(format!("{item} put"));
                    })
                })
                .collect();
            yields(1).await;
            log.push(format!("main took {}", queue.get_nowait().unwrap()));
            yields(1).await;
            log.push(format!("main took {}", queue.get_nowait().unwrap()));
            settle(putters).await;
            let left: Vec<_> = (0..queue.qsize()).map(|_| queue.get_nowait().unwrap()).collect();
            log.push(format!("left {}", left.join(" ")));
        }
    });
    assert_eq!(
        by_iteration(&log),
        [
            "0: Queue: [3, 1, 2]",
            "0: LifoQueue: [2, 1, 3]",
            "0: PriorityQueue: [1, 2, 3]",
            "1: main put 5, 1, 3 and took 1",
            "2: A got 3",
            "2: B got 5",
            "4: main took b",
            "5: c put",
            "5: main took c",
            "6: d put",
            "7: left d a",
        ]
    );
}

// ```python
// from harness import *
//
// async def main():
//     # Getters: B leaves the line; A is woken for "x" and cancelled before
//     # it runs, so its wake-up passes to the next getter.
//     q = asyncio.Queue()
//
//     async def getter(name):
//         try:
//             say(f"{name} got {await q.get()}")
//         except asyncio.CancelledError:
//             say(f"{name} cancelled")
//             raise
//
//     a, b, c, d = (asyncio.create_task(getter(name)) for name in "ABCD")
//     await asyncio.sleep(0)
//     b.cancel()
//     q.put_nowait("x")
//     a.cancel()
//     q.put_nowait("y")
//     say("main cancelled B, put x, cancelled A, put y")
//     await settle(a, b, c, d)
//
//     # Putters: A is woken for the freed slot and cancelled before it runs,
//     # so the slot passes to B; A's item is never put.
//     q = asyncio.Queue(1)
//     q.put_nowait("held")
//
//     async def putter(name):
//         try:
//             await q.put(name)
//             say(f"{name} put")
//         except asyncio.CancelledError:
//             say(f"{name} cancelled")
//             raise
//
//     a, b = asyncio.create_task(putter("A")), asyncio.create_task(putter("B"))
//     await asyncio.sleep(0)
//     say(f"main took {q.get_nowait()} and cancels A")
//     a.cancel()
//     await settle(a, b)
//     say(f"left {q.get_nowait()}, qsize {q.qsize()}")
//
// run(main)
// ```
//
// As in asyncio, a getter whose task was asked to cancel is passed over
// when an item arrives (asyncio sees its waiter future already cancelled;
// corio sees the task's cancel request through its waker), so "x" goes
// straight to C.
#[test]
fn a_cancelled_getter_or_putter_passes_its_wake_up_on() {
    let lp = common::virtual_loop();
    let log = EventLog::new();
    lp.run_until_complete({
        let log = log.clone();
        async move {
            let queue = Rc::new(Queue::unbounded());
            let getters: Vec<_> = ["A", "B", "C", "D"]
                .into_iter()
                .map(|name| {
                    let (queue, log) = (queue.clone(), log.clone());
                    corio::create_task(async move {
                        let note = CancelNote::new(&log, name);
                        let item: &str = queue.get().await.unwrap();
                        note.finish();
                        log.push(format!("{name} got {item}"));
                    })
                })
                .collect();
            yields(1).await;
            getters[1].cancel();
            queue.put_nowait("x").unwrap();
            getters[0].cancel();
            queue.put_nowait("y").unwrap();
            log.push("main cancelled B, put x, cancelled A, put y");
            settle(getters).await;

            let queue = Rc::new(Queue::new(1));
            queue.put_nowait("held").unwrap();
            let putters: Vec<_> = ["A", "B"]
                .into_iter()
                .map(|name| {
                    let (queue, log) = (queue.clone(), log.clone());
                    corio::create_task(async move {
                        let note = CancelNote::new(&log, name);
                        queue.put(name).await.unwrap();
                        note.finish();
                        log.push(format!("{name} put"));
                    })
                })
                .collect();
            yields(1).await;
            log.push(format!("main took {} and cancels A", queue.get_nowait().unwrap()));
            putters[0].cancel();
            settle(putters).await;
            log.push(format!("left {}, qsize {}", queue.get_nowait().unwrap(), queue.qsize()));
        }
    });
    assert_eq!(
        by_iteration(&log),
        [
            "1: main cancelled B, put x, cancelled A, put y",
            "2: B cancelled",
            "2: A cancelled",
            "2: C got x",
            "3: D got y",
            "4: main took held and cancels A",
            "5: A cancelled",
            "6: B put",
            "6: left B, qsize 0",
        ]
    );
}
