//! `pingpong`: two tasks hand a counter back and forth `n` times, each
//! through its runtime's own bounded channel of capacity 1 (one channel
//! each way). Whoever receives the counter adds one and sends it back;
//! both stop once it reaches `n`, and the main task checks that both saw
//! `n`. Every hand-off parks one task and wakes the other, so what it times
//! is one loop iteration with a wake in it.

use std::rc::Rc;

use super::{Outcome, Workload, check};
use crate::measure::Stopwatch;

pub const WORKLOAD: Workload = Workload {
    name: "pingpong",
    default_n: 1_000_000,
    smoke_n: 10_000,
    runtimes: &["corio", "tokio", "smol", "futures"],
    run,
};

fn run(runtime: &str, n: u64) -> Result<Outcome, String> {
    let (outcome, ends) = match runtime {
        "corio" => corio(n)?,
        "tokio" => tokio(n)?,
        "smol" => smol(n)?,
        "futures" => futures(n)?,
        other => return Err(format!("no pingpong for {other}")),
    };
    check("counters at the end", ends, (n, n))?;
    Ok(outcome)
}

/// `corio::sync::Queue::new(1)`, `put` and `get`.
fn corio(n: u64) -> Result<(Outcome, (u64, u64)), String> {
    use corio::sync::Queue;

    async fn player(first: bool, inbox: Rc<Queue<u64>>, outbox: Rc<Queue<u64>>, n: u64) -> Result<u64, String> {
        let mut counter = 0;
        if first && n > 0 {
            counter = 1;
            outbox.put(counter).await.map_err(|e| e.to_string())?;
        }
        while counter < n {
            counter = inbox.get().await.map_err(|e| e.to_string())?;
            if counter < n {
                counter += 1;
                outbox.put(counter).await.map_err(|e| e.to_string())?;
            }
        }
        Ok(counter)
    }

    corio::run(async move {
        let watch = Stopwatch::start();
        let (ab, ba) = (Rc::new(Queue::new(1)), Rc::new(Queue::new(1)));
        let ping = corio::create_task(player(true, ba.clone(), ab.clone(), n));
        let pong = corio::create_task(player(false, ab, ba, n));
        let ends = (ping.await.map_err(|e| e.to_string())??, pong.await.map_err(|e| e.to_string())??);
        Ok((Outcome::new(watch.stop()), ends))
    })
}

/// `tokio::sync::mpsc::channel(1)` on a current-thread runtime with a
/// `LocalSet`.
fn tokio(n: u64) -> Result<(Outcome, (u64, u64)), String> {
    use tokio::sync::mpsc::{Receiver, Sender, channel};

    async fn player(first: bool, mut inbox: Receiver<u64>, outbox: Sender<u64>, n: u64) -> Result<u64, String> {
        let mut counter = 0;
        if first && n > 0 {
            counter = 1;
            outbox.send(counter).await.map_err(|e| e.to_string())?;
        }
        while counter < n {
            counter = inbox.recv().await.ok_or("the other player hung up")?;
            if counter < n {
                counter += 1;
                outbox.send(counter).await.map_err(|e| e.to_string())?;
            }
        }
        Ok(counter)
    }

    let rt = tokio::runtime::Builder::new_current_thread().build().map_err(|e| e.to_string())?;
    tokio::task::LocalSet::new().block_on(&rt, async move {
        let watch = Stopwatch::start();
        let ((ab_tx, ab_rx), (ba_tx, ba_rx)) = (channel(1), channel(1));
        let ping = tokio::task::spawn_local(player(true, ba_rx, ab_tx, n));
        let pong = tokio::task::spawn_local(player(false, ab_rx, ba_tx, n));
        let ends = (ping.await.map_err(|e| e.to_string())??, pong.await.map_err(|e| e.to_string())??);
        Ok((Outcome::new(watch.stop()), ends))
    })
}

/// `smol::channel::bounded(1)` (async-channel) on a `LocalExecutor`.
fn smol(n: u64) -> Result<(Outcome, (u64, u64)), String> {
    use smol::channel::{Receiver, Sender, bounded};

    async fn player(first: bool, inbox: Receiver<u64>, outbox: Sender<u64>, n: u64) -> Result<u64, String> {
        let mut counter = 0;
        if first && n > 0 {
            counter = 1;
            outbox.send(counter).await.map_err(|e| e.to_string())?;
        }
        while counter < n {
            counter = inbox.recv().await.map_err(|e| e.to_string())?;
            if counter < n {
                counter += 1;
                outbox.send(counter).await.map_err(|e| e.to_string())?;
            }
        }
        Ok(counter)
    }

    let ex = smol::LocalExecutor::new();
    smol::block_on(ex.run(async {
        let watch = Stopwatch::start();
        let ((ab_tx, ab_rx), (ba_tx, ba_rx)) = (bounded(1), bounded(1));
        let ping = ex.spawn(player(true, ba_rx, ab_tx, n));
        let pong = ex.spawn(player(false, ab_rx, ba_tx, n));
        let ends = (ping.await?, pong.await?);
        Ok((Outcome::new(watch.stop()), ends))
    }))
}

/// `futures::channel::mpsc::channel(0)` on a `LocalPool`: a buffer of 0
/// plus the one slot each sender is guaranteed is a capacity of 1.
fn futures(n: u64) -> Result<(Outcome, (u64, u64)), String> {
    use futures::channel::mpsc::{Receiver, Sender, channel};
    use futures::task::LocalSpawnExt;
    use futures::{SinkExt, StreamExt};

    async fn player(first: bool, mut inbox: Receiver<u64>, mut outbox: Sender<u64>, n: u64) -> Result<u64, String> {
        let mut counter = 0;
        if first && n > 0 {
            counter = 1;
            outbox.send(counter).await.map_err(|e| e.to_string())?;
        }
        while counter < n {
            counter = inbox.next().await.ok_or("the other player hung up")?;
            if counter < n {
                counter += 1;
                outbox.send(counter).await.map_err(|e| e.to_string())?;
            }
        }
        Ok(counter)
    }

    let mut pool = futures::executor::LocalPool::new();
    let spawner = pool.spawner();
    pool.run_until(async move {
        let watch = Stopwatch::start();
        let ((ab_tx, ab_rx), (ba_tx, ba_rx)) = (channel(0), channel(0));
        let ping = spawner.spawn_local_with_handle(player(true, ba_rx, ab_tx, n)).map_err(|e| e.to_string())?;
        let pong = spawner.spawn_local_with_handle(player(false, ab_rx, ba_tx, n)).map_err(|e| e.to_string())?;
        let ends = (ping.await?, pong.await?);
        Ok((Outcome::new(watch.stop()), ends))
    })
}
