//! corio side by side with its peers: one workload on one runtime per
//! process, so that no run inherits another's heap, threads or warm caches.
//!
//! ```text
//! cargo run --release --manifest-path bench/Cargo.toml -- --runtime corio --workload spawn [--n 1000000]
//! RESULT runtime=corio workload=spawn n=1000000 secs=0.123456 cpu=0.120000 rss_kb=190000
//! ```
//!
//! `secs` is the workload's own time (setup such as starting a server is
//! outside it), `cpu` the process's user+sys seconds over the same span, and
//! `rss_kb` the process's peak resident set. A workload may add its own
//! `key=value` figures after those (values without spaces; numbers get a
//! median and a ratio in the tables). Every workload checks its own answer
//! (sums, counts, bytes) and fails rather than report a fast wrong one: it
//! prints its error to stderr and exits nonzero.
//!
//! A workload that cannot run here because its peer is missing (no
//! aiohttp for python3, no redis-benchmark) prints instead of the RESULT
//! line
//!
//! ```text
//! SKIP runtime=aiohttp workload=crawl reason=python3 has no aiohttp module
//! ```
//!
//! and exits 0: a missing peer is not a failed run. The reason runs to the
//! end of the line, as free text or in double quotes.
//!
//! `--all` runs every workload on every runtime it has, each run in its own
//! child process, interleaved and repeated, and prints a Markdown table per
//! workload (see `runner.rs` and `summary.rs`):
//!
//! ```text
//! cargo run --release --manifest-path bench/Cargo.toml -- --all [--repeats 5] [--only spawn,yield] [--runtimes corio,tokio] [--n N] [--smoke] [--timeout 300]
//! ```
//!
//! `--smoke` runs each pair once at the workload's small `smoke_n`, for CI.
//! A child that fails, prints neither a RESULT nor a SKIP line, or runs
//! past `--timeout` seconds (then it is killed) is reported and makes
//! `--all` exit nonzero once every run is done.

mod measure;
mod runner;
mod summary;
mod workloads;

use std::process::ExitCode;
use std::time::Duration;

use workloads::Workload;

/// What the command line asked for.
enum Command {
    /// Run one workload on one runtime, in this process.
    One { runtime: String, workload: &'static Workload, n: Option<u64> },
    /// Run every chosen pair in child processes and print the tables.
    All(runner::Options),
    /// List the workloads and the runtimes each runs on.
    List,
}

fn main() -> ExitCode {
    match parse_args().and_then(execute) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("corio-bench: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Carries out one command.
fn execute(command: Command) -> Result<(), String> {
    match command {
        Command::List => {
            for workload in workloads::ALL {
                println!("{:<10} n={:<9} {}", workload.name, workload.default_n, workload.runtimes.join(" "));
            }
            Ok(())
        }
        Command::All(options) => {
            let pairs = runner::run_all(&options)?;
            summary::print(&pairs);
            // Every run is done and shown before the failures fail the command.
            let failed = runner::failures(&pairs);
            if failed.is_empty() {
                return Ok(());
            }
            Err(format!("{} run(s) failed:\n  {}", failed.len(), failed.join("\n  ")))
        }
        Command::One { runtime, workload, n } => {
            if !workload.runtimes.contains(&runtime.as_str()) {
                return Err(format!(
                    "workload {} does not run on {runtime}; it runs on: {}",
                    workload.name,
                    workload.runtimes.join(", ")
                ));
            }
            let n = n.unwrap_or(workload.default_n);
            let outcome = (workload.run)(&runtime, n).map_err(|e| format!("{} on {runtime}: {e}", workload.name))?;
            println!("{}", outcome.result_line(&runtime, workload.name, n));
            Ok(())
        }
    }
}

/// Reads the command line.
fn parse_args() -> Result<Command, String> {
    use lexopt::prelude::*;

    let mut parser = lexopt::Parser::from_env();
    let (mut runtime, mut workload, mut n) = (None, None, None);
    let (mut list, mut all, mut smoke) = (false, false, false);
    let (mut repeats, mut only, mut runtimes, mut timeout) = (5, None, None, 300);
    while let Some(arg) = parser.next().map_err(|e| e.to_string())? {
        match arg {
            Long("runtime") => runtime = Some(value_of(&mut parser)?),
            Long("workload") => workload = Some(value_of(&mut parser)?),
            Long("n") => n = Some(number(&value_of(&mut parser)?, "--n")?),
            Long("list") => list = true,
            Long("all") => all = true,
            Long("repeats") => repeats = number(&value_of(&mut parser)?, "--repeats")?,
            Long("only") => only = Some(names(&value_of(&mut parser)?)),
            Long("runtimes") => runtimes = Some(names(&value_of(&mut parser)?)),
            Long("smoke") => smoke = true,
            Long("timeout") => timeout = number(&value_of(&mut parser)?, "--timeout")?,
            Long("help") | Short('h') => {
                println!("{}", USAGE);
                std::process::exit(0);
            }
            other => return Err(format!("{}\n{USAGE}", other.unexpected())),
        }
    }
    if list {
        return Ok(Command::List);
    }
    if all {
        if runtime.is_some() || workload.is_some() {
            return Err(format!("--all runs every pair: use --only and --runtimes to choose\n{USAGE}"));
        }
        let repeats = usize::try_from(repeats).map_err(|_| "--repeats is too large".to_string())?;
        let limit = Duration::from_secs(timeout);
        return Ok(Command::All(runner::Options { repeats, only, runtimes, smoke, n, limit }));
    }
    let (Some(runtime), Some(workload)) = (runtime, workload) else {
        return Err(format!("--runtime and --workload are both needed\n{USAGE}"));
    };
    let workload =
        workloads::find(&workload).ok_or_else(|| format!("no workload {workload:?}; `--list` shows them"))?;
    Ok(Command::One { runtime, workload, n })
}

/// A whole number given to `flag`.
fn number(text: &str, flag: &str) -> Result<u64, String> {
    text.parse().map_err(|_| format!("{flag} wants a whole number, not {text:?}"))
}

/// A comma-separated list of names.
fn names(text: &str) -> Vec<String> {
    text.split(',').map(str::trim).filter(|name| !name.is_empty()).map(String::from).collect()
}

/// The next argument's value, as UTF-8.
fn value_of(parser: &mut lexopt::Parser) -> Result<String, String> {
    let value = parser.value().map_err(|e| e.to_string())?;
    value.into_string().map_err(|raw| format!("not UTF-8: {raw:?}"))
}

const USAGE: &str = "usage: corio-bench --runtime R --workload W [--n N]
       corio-bench --all [--repeats K] [--only W1,W2] [--runtimes R1,R2] [--n N] [--smoke] [--timeout SECS]
       corio-bench --list";
