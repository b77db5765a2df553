//! `timers`: `n` tasks each sleep a pseudo-random 0 to 1,000 ms (the same
//! [`Durations`] sequence on every runtime) on their runtime's own timer;
//! the main task awaits them all. Each task checks on the monotonic clock
//! that it did not wake before its time, and the main task checks that all
//! `n` woke and none early.
//!
//! Besides `secs` it reports `beyond_floor`, the seconds past the longest
//! sleep (the part the runtime is responsible for: spawning, arming and
//! firing the timers), and `bytes_per_task`, the resident bytes each task
//! holds while all of them sleep (its task, its handle and its timer).

use std::cell::Cell;
use std::time::{Duration, Instant};

use super::{Outcome, Workload, check};
use crate::measure::{Span, Stopwatch, rss_now_bytes};

pub const WORKLOAD: Workload =
    Workload { name: "timers", default_n: 1_000_000, smoke_n: 1_000, runtimes: &["corio", "tokio", "smol"], run };

/// The longest sleep, in milliseconds.
const MAX_MS: u64 = 1_000;

/// How often the main task looks whether every task has started sleeping.
const POLL: Duration = Duration::from_millis(1);

fn run(runtime: &str, n: u64) -> Result<Outcome, String> {
    let (measured, woke) = match runtime {
        "corio" => corio(n)?,
        "tokio" => tokio(n)?,
        "smol" => smol(n),
        other => return Err(format!("no timers for {other}")),
    };
    check("wakes", woke.on_time + woke.early, n)?;
    check("early wakes", woke.early, 0)?;
    let longest = Durations::new().take(n as usize).max().unwrap_or_default();
    Ok(Outcome::new(measured.span)
        .with("beyond_floor", format!("{:.6}", measured.span.secs - longest.as_secs_f64()))
        .with("bytes_per_task", measured.held / n.max(1)))
}

/// What the main task measured.
struct Measured {
    /// The whole run: spawning, sleeping, awaiting.
    span: Span,
    /// Resident bytes gained by the time every task was asleep.
    held: u64,
}

/// How many tasks woke on time and how many before their time.
#[derive(Default)]
struct Woke {
    on_time: u64,
    early: u64,
}

impl Woke {
    fn count(&mut self, on_time: bool) {
        if on_time { self.on_time += 1 } else { self.early += 1 }
    }
}

thread_local! {
    /// How many tasks have started sleeping. A thread-local rather than an
    /// `Rc` in every task, so that a sleeping task holds no more than its
    /// deadline and its runtime's sleep.
    static ASLEEP: Cell<u64> = const { Cell::new(0) };
}

/// `corio::sleep`, on the loop's timer wheel.
fn corio(n: u64) -> Result<(Measured, Woke), String> {
    corio::run(async move {
        let (watch, before) = (Stopwatch::start(), rss_now_bytes());
        let tasks: Vec<_> = Durations::new()
            .take(n as usize)
            .map(|duration| {
                corio::create_task(async move {
                    let deadline = Instant::now() + duration;
                    ASLEEP.set(ASLEEP.get() + 1);
                    corio::sleep(duration).await;
                    Instant::now() >= deadline
                })
            })
            .collect();
        while ASLEEP.get() < n {
            corio::sleep(POLL).await;
        }
        let held = rss_now_bytes().saturating_sub(before);
        let mut woke = Woke::default();
        for task in tasks {
            woke.count(task.await.map_err(|e| e.to_string())?);
        }
        Ok((Measured { span: watch.stop(), held }, woke))
    })
}

/// `tokio::time::sleep` on a current-thread runtime with a `LocalSet`.
fn tokio(n: u64) -> Result<(Measured, Woke), String> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().map_err(|e| e.to_string())?;
    tokio::task::LocalSet::new().block_on(&rt, async move {
        let (watch, before) = (Stopwatch::start(), rss_now_bytes());
        let tasks: Vec<_> = Durations::new()
            .take(n as usize)
            .map(|duration| {
                tokio::task::spawn_local(async move {
                    let deadline = Instant::now() + duration;
                    ASLEEP.set(ASLEEP.get() + 1);
                    tokio::time::sleep(duration).await;
                    Instant::now() >= deadline
                })
            })
            .collect();
        while ASLEEP.get() < n {
            tokio::time::sleep(POLL).await;
        }
        let held = rss_now_bytes().saturating_sub(before);
        let mut woke = Woke::default();
        for task in tasks {
            woke.count(task.await.map_err(|e| e.to_string())?);
        }
        Ok((Measured { span: watch.stop(), held }, woke))
    })
}

/// `smol::Timer::after` (async-io's timers) on a `LocalExecutor`.
fn smol(n: u64) -> (Measured, Woke) {
    let ex = smol::LocalExecutor::new();
    smol::block_on(ex.run(async {
        let (watch, before) = (Stopwatch::start(), rss_now_bytes());
        let tasks: Vec<_> = Durations::new()
            .take(n as usize)
            .map(|duration| {
                ex.spawn(async move {
                    let deadline = Instant::now() + duration;
                    ASLEEP.set(ASLEEP.get() + 1);
                    smol::Timer::after(duration).await;
                    Instant::now() >= deadline
                })
            })
            .collect();
        while ASLEEP.get() < n {
            smol::Timer::after(POLL).await;
        }
        let held = rss_now_bytes().saturating_sub(before);
        let mut woke = Woke::default();
        for task in tasks {
            woke.count(task.await);
        }
        (Measured { span: watch.stop(), held }, woke)
    }))
}

/// The sleeps, 0 to [`MAX_MS`] ms each, from [`splitmix64`] with a fixed
/// seed: the same sequence on every runtime and every run, with no `rand`
/// crate.
struct Durations {
    state: u64,
}

impl Durations {
    fn new() -> Durations {
        Durations { state: 0x5EED }
    }
}

impl Iterator for Durations {
    type Item = Duration;

    fn next(&mut self) -> Option<Duration> {
        Some(Duration::from_millis(splitmix64(&mut self.state) % (MAX_MS + 1)))
    }
}

/// splitmix64 (Steele, Lea and Flood; java.util.SplittableRandom's mixer):
/// advances `state` and returns the next pseudo-random number.
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix64_gives_the_reference_sequence() {
        // The first outputs from seed 0 of the C reference implementation.
        let mut state = 0;
        assert_eq!(splitmix64(&mut state), 0xE220_A839_7B1D_CDAF);
        assert_eq!(splitmix64(&mut state), 0x6E78_9E6A_A1B9_65F4);
    }

    #[test]
    fn the_sleeps_span_the_whole_range() {
        let sleeps: Vec<_> = Durations::new().take(100_000).collect();
        assert_eq!(sleeps.iter().max(), Some(&Duration::from_millis(MAX_MS)));
        assert_eq!(sleeps.iter().min(), Some(&Duration::ZERO));
    }
}
