//! The workloads, each in its own file with one function per runtime it
//! runs on, and the table `main` looks them up in.

mod crawl;
mod http;
mod pingpong;
mod redis;
mod servers;
mod spawn;
mod timers;
mod yield_now;

pub use http::PLACED_WORKLOADS;
pub use servers::{PLACEMENT_VAR, PLACEMENTS};

use crate::measure::{self, Span};

/// One workload: its name, its default size, and the runtimes it runs on.
pub struct Workload {
    /// The `--workload` name.
    pub name: &'static str,
    /// `n` when `--n` is not given.
    pub default_n: u64,
    /// `n` for the smoke run CI does of every workload.
    pub smoke_n: u64,
    /// The `--runtime` names it runs on; ours first.
    pub runtimes: &'static [&'static str],
    /// Runs it on one runtime with size `n`, checking its own answer.
    pub run: fn(runtime: &str, n: u64) -> Result<Outcome, String>,
}

/// Every workload, in the order `--all` runs them.
pub static ALL: &[Workload] = &[
    spawn::WORKLOAD,
    yield_now::WORKLOAD,
    timers::WORKLOAD,
    pingpong::WORKLOAD,
    http::HTTP1,
    http::HTTP50,
    http::HTTPS1,
    http::HTTPS50,
    crawl::WORKLOAD,
    redis::REDIS,
    redis::REDIS_PIPE,
];

/// The workload called `name`.
pub fn find(name: &str) -> Option<&'static Workload> {
    ALL.iter().find(|w| w.name == name)
}

/// What one run measured.
pub struct Outcome {
    /// The workload's own span.
    pub span: Span,
    /// Figures of its own (`bytes_per_task`, `beyond_floor`, ...), printed
    /// after the common ones.
    pub extra: Vec<(&'static str, String)>,
}

impl Outcome {
    /// An outcome with no figures beyond the span.
    pub fn new(span: Span) -> Outcome {
        Outcome { span, extra: Vec::new() }
    }

    /// Adds a figure of the workload's own.
    pub fn with(mut self, key: &'static str, value: impl ToString) -> Outcome {
        self.extra.push((key, value.to_string()));
        self
    }

    /// The line `--all` parses: `RESULT runtime=R workload=W n=N secs=S ...`.
    pub fn result_line(&self, runtime: &str, workload: &str, n: u64) -> String {
        let mut line = format!(
            "RESULT runtime={runtime} workload={workload} n={n} secs={:.6} cpu={:.6} rss_kb={}",
            self.span.secs,
            self.span.cpu,
            measure::peak_rss_kb()
        );
        for (key, value) in &self.extra {
            line.push_str(&format!(" {key}={value}"));
        }
        line
    }
}

/// Fails with a clear message unless `got` is what the workload expected.
pub fn check<T: PartialEq + std::fmt::Debug>(what: &str, got: T, expected: T) -> Result<(), String> {
    if got == expected { Ok(()) } else { Err(format!("wrong {what}: got {got:?}, expected {expected:?}")) }
}
