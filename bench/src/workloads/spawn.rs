//! `spawn`: `n` tasks each return their index; the main task awaits every
//! handle in order and checks the sum. Also reports the resident bytes per
//! task while all of them are spawned and none has run.

use super::{Outcome, Workload, check};
use crate::measure::{Stopwatch, rss_now_bytes};

pub const WORKLOAD: Workload = Workload {
    name: "spawn",
    default_n: 1_000_000,
    smoke_n: 1_000,
    runtimes: &["corio", "tokio", "smol", "futures"],
    run,
};

fn run(runtime: &str, n: u64) -> Result<Outcome, String> {
    let (outcome, sum) = match runtime {
        "corio" => corio::run(async move {
            let (watch, before) = (Stopwatch::start(), rss_now_bytes());
            let tasks: Vec<_> = (0..n).map(|i| corio::create_task(async move { i })).collect();
            let held = rss_now_bytes().saturating_sub(before);
            let mut sum = 0;
            for task in tasks {
                sum += task.await.map_err(|e| e.to_string())?;
            }
            Ok::<_, String>((finish(watch, held, n), sum))
        })?,
        "tokio" => {
            let rt = tokio::runtime::Builder::new_current_thread().build().map_err(|e| e.to_string())?;
            tokio::task::LocalSet::new().block_on(&rt, async move {
                let (watch, before) = (Stopwatch::start(), rss_now_bytes());
                let tasks: Vec<_> = (0..n).map(|i| tokio::task::spawn_local(async move { i })).collect();
                let held = rss_now_bytes().saturating_sub(before);
                let mut sum = 0;
                for task in tasks {
                    sum += task.await.map_err(|e| e.to_string())?;
                }
                Ok::<_, String>((finish(watch, held, n), sum))
            })?
        }
        "smol" => {
            let ex = smol::LocalExecutor::new();
            smol::block_on(ex.run(async {
                let (watch, before) = (Stopwatch::start(), rss_now_bytes());
                let tasks: Vec<_> = (0..n).map(|i| ex.spawn(async move { i })).collect();
                let held = rss_now_bytes().saturating_sub(before);
                let mut sum = 0;
                for task in tasks {
                    sum += task.await;
                }
                (finish(watch, held, n), sum)
            }))
        }
        "futures" => {
            use futures::task::LocalSpawnExt;
            let mut pool = futures::executor::LocalPool::new();
            let spawner = pool.spawner();
            pool.run_until(async move {
                let (watch, before) = (Stopwatch::start(), rss_now_bytes());
                let tasks = (0..n)
                    .map(|i| spawner.spawn_local_with_handle(async move { i }))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| e.to_string())?;
                let held = rss_now_bytes().saturating_sub(before);
                let mut sum = 0;
                for task in tasks {
                    sum += task.await;
                }
                Ok::<_, String>((finish(watch, held, n), sum))
            })?
        }
        other => return Err(format!("no spawn for {other}")),
    };
    check("sum of indices", sum, n * n.saturating_sub(1) / 2)?;
    Ok(outcome)
}

/// The outcome, with the bytes each spawned task held.
fn finish(watch: Stopwatch, held: u64, n: u64) -> Outcome {
    Outcome::new(watch.stop()).with("bytes_per_task", held / n.max(1))
}
