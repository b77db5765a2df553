//! `yield`: 1,000 tasks share `n` yields (each does `n / 1,000`, the first
//! `n % 1,000` one more), each through its runtime's own way of giving up
//! the thread for one turn; the main task awaits them all and checks that
//! the yields add up to `n`. What it times is the scheduler's round trip:
//! wake, requeue, poll.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use super::{Outcome, Workload, check};
use crate::measure::Stopwatch;

pub const WORKLOAD: Workload = Workload {
    name: "yield",
    default_n: 10_000_000,
    smoke_n: 10_000,
    runtimes: &["corio", "tokio", "smol", "futures"],
    run,
};

/// How many tasks share the yields.
const TASKS: u64 = 1_000;

fn run(runtime: &str, n: u64) -> Result<Outcome, String> {
    let (outcome, total) = match runtime {
        "corio" => corio(n)?,
        "tokio" => tokio(n)?,
        "smol" => smol(n),
        "futures" => futures(n)?,
        other => return Err(format!("no yield for {other}")),
    };
    check("total of yields", total, n)?;
    Ok(outcome)
}

/// How many yields task `i` of [`TASKS`] does, so that they add up to `n`.
fn share(i: u64, n: u64) -> u64 {
    n / TASKS + u64::from(i < n % TASKS)
}

/// `corio::sleep(Duration::ZERO)` is asyncio's `sleep(0)`: it yields one
/// loop iteration without touching the timer wheel.
fn corio(n: u64) -> Result<(Outcome, u64), String> {
    corio::run(async move {
        let watch = Stopwatch::start();
        let tasks: Vec<_> = (0..TASKS)
            .map(|i| {
                corio::create_task(async move {
                    let mut done = 0;
                    for _ in 0..share(i, n) {
                        corio::sleep(Duration::ZERO).await;
                        done += 1;
                    }
                    done
                })
            })
            .collect();
        let mut total = 0;
        for task in tasks {
            total += task.await.map_err(|e| e.to_string())?;
        }
        Ok((Outcome::new(watch.stop()), total))
    })
}

/// `tokio::task::yield_now` on a current-thread runtime with a `LocalSet`.
fn tokio(n: u64) -> Result<(Outcome, u64), String> {
    let rt = tokio::runtime::Builder::new_current_thread().build().map_err(|e| e.to_string())?;
    tokio::task::LocalSet::new().block_on(&rt, async move {
        let watch = Stopwatch::start();
        let tasks: Vec<_> = (0..TASKS)
            .map(|i| {
                tokio::task::spawn_local(async move {
                    let mut done = 0;
                    for _ in 0..share(i, n) {
                        tokio::task::yield_now().await;
                        done += 1;
                    }
                    done
                })
            })
            .collect();
        let mut total = 0;
        for task in tasks {
            total += task.await.map_err(|e| e.to_string())?;
        }
        Ok((Outcome::new(watch.stop()), total))
    })
}

/// `smol::future::yield_now` on a `LocalExecutor` driven by async-io's
/// `block_on`.
fn smol(n: u64) -> (Outcome, u64) {
    let ex = smol::LocalExecutor::new();
    smol::block_on(ex.run(async {
        let watch = Stopwatch::start();
        let tasks: Vec<_> = (0..TASKS)
            .map(|i| {
                ex.spawn(async move {
                    let mut done = 0;
                    for _ in 0..share(i, n) {
                        smol::future::yield_now().await;
                        done += 1;
                    }
                    done
                })
            })
            .collect();
        let mut total = 0;
        for task in tasks {
            total += task.await;
        }
        (Outcome::new(watch.stop()), total)
    }))
}

/// futures has no yield of its own: [`YieldNow`] is the usual one, on a
/// `LocalPool`.
fn futures(n: u64) -> Result<(Outcome, u64), String> {
    use futures::task::LocalSpawnExt;
    let mut pool = futures::executor::LocalPool::new();
    let spawner = pool.spawner();
    pool.run_until(async move {
        let watch = Stopwatch::start();
        let tasks = (0..TASKS)
            .map(|i| {
                spawner.spawn_local_with_handle(async move {
                    let mut done = 0;
                    for _ in 0..share(i, n) {
                        YieldNow { yielded: false }.await;
                        done += 1;
                    }
                    done
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| e.to_string())?;
        let mut total = 0;
        for task in tasks {
            total += task.await;
        }
        Ok((Outcome::new(watch.stop()), total))
    })
}

/// A future that is pending once: it wakes its own task and returns
/// `Pending`, so the executor queues the task behind every other ready one,
/// then completes on the next poll.
struct YieldNow {
    yielded: bool,
}

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        // We wake ourselves: the pool requeues this task at the back.
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shares_add_up_to_n() {
        for n in [0, 1, 999, 1_000, 10_001, 10_000_000] {
            assert_eq!((0..TASKS).map(|i| share(i, n)).sum::<u64>(), n);
        }
    }
}
