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
//! `key=value` figures after those. Every workload checks its own answer
//! (sums, counts, bytes) and fails rather than report a fast wrong one.

mod measure;
mod workloads;

use std::process::ExitCode;

use workloads::Workload;

/// What the command line asked for.
enum Command {
    /// Run one workload on one runtime, in this process.
    One { runtime: String, workload: &'static Workload, n: Option<u64> },
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
    let mut list = false;
    while let Some(arg) = parser.next().map_err(|e| e.to_string())? {
        match arg {
            Long("runtime") => runtime = Some(value_of(&mut parser)?),
            Long("workload") => workload = Some(value_of(&mut parser)?),
            Long("n") => {
                let text = value_of(&mut parser)?;
                n = Some(text.parse::<u64>().map_err(|_| format!("--n wants a whole number, not {text:?}"))?);
            }
            Long("list") => list = true,
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
    let (Some(runtime), Some(workload)) = (runtime, workload) else {
        return Err(format!("--runtime and --workload are both needed\n{USAGE}"));
    };
    let workload =
        workloads::find(&workload).ok_or_else(|| format!("no workload {workload:?}; `--list` shows them"))?;
    Ok(Command::One { runtime, workload, n })
}

/// The next argument's value, as UTF-8.
fn value_of(parser: &mut lexopt::Parser) -> Result<String, String> {
    let value = parser.value().map_err(|e| e.to_string())?;
    value.into_string().map_err(|raw| format!("not UTF-8: {raw:?}"))
}

const USAGE: &str = "usage: corio-bench --runtime R --workload W [--n N]
       corio-bench --list";
