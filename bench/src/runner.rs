//! `--all`: runs every chosen (workload, runtime) pair several times, each
//! run in a child process of its own (this same binary with `--runtime`,
//! `--workload` and `--n`), and collects what each child's RESULT or SKIP
//! line says. [`crate::summary`] turns the runs into tables.
//!
//! The runs are interleaved: each repeat goes once round every pair, and
//! the next repeat starts one pair further along. On a machine whose load
//! drifts (other builds, thermal limits) every pair then sees the same
//! drift, and a ratio taken between two pairs compares runs made minutes,
//! not a whole session, apart.

use std::process::{Command, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use crate::workloads::{self, Workload};

/// What `--all` was asked to run.
pub struct Options {
    /// How many times each pair runs; the smoke run makes it 1.
    pub repeats: usize,
    /// Only these workloads (`--only`), or all of them.
    pub only: Option<Vec<String>>,
    /// Only these runtimes (`--runtimes`), or all of them.
    pub runtimes: Option<Vec<String>>,
    /// Each workload's `smoke_n` and one repeat: a quick check that every
    /// pair still runs and answers right, for CI.
    pub smoke: bool,
    /// One `n` for every workload (`--n`) instead of each one's default.
    pub n: Option<u64>,
    /// How long one run may take before it is killed (`--timeout`).
    pub limit: Duration,
}

/// One workload on one runtime, and what its runs gave.
pub struct Pair {
    pub workload: &'static Workload,
    pub runtime: &'static str,
    /// Where client and server run (`same`, `split`, `none`), for the
    /// workloads that take a placement; the child gets it in
    /// `CORIO_BENCH_PLACEMENT`.
    pub placement: Option<&'static str>,
    /// The size every run of this pair is given.
    pub n: u64,
    /// One entry per run, in the order they ran.
    pub runs: Vec<Run>,
}

impl Pair {
    /// The workload's name, with its placement if it has one
    /// (`http50 split`).
    pub fn label(&self) -> String {
        match self.placement {
            Some(placement) => format!("{} {placement}", self.workload.name),
            None => self.workload.name.to_string(),
        }
    }
}

/// What one child process gave.
pub enum Run {
    /// It printed a RESULT line.
    Measured(Figures),
    /// It printed a SKIP line: its peer is missing here.
    Skipped(String),
    /// It failed, or printed neither line: why, with its stderr's last lines.
    Failed(String),
}

/// A RESULT line's figures.
pub struct Figures {
    /// Wall seconds of the workload's own span.
    pub secs: f64,
    /// User+sys CPU seconds over that span.
    pub cpu: f64,
    /// The child's peak resident set, KiB.
    pub rss_kb: f64,
    /// The workload's own `key=value` figures, in the order printed.
    pub extra: Vec<(String, String)>,
}

/// Runs every chosen pair `repeats` times, interleaved, printing a line of
/// progress to stderr per run. Fails only if the options name no pair or
/// this binary cannot be found; failed runs are recorded in the pairs.
pub fn run_all(options: &Options) -> Result<Vec<Pair>, String> {
    let mut pairs = choose(options)?;
    let exe = std::env::current_exe().map_err(|e| format!("cannot find this program to run it again: {e}"))?;
    let repeats = if options.smoke { 1 } else { options.repeats.max(1) };
    for repeat in 0..repeats {
        let count = pairs.len();
        for k in 0..count {
            // Rotate the order by one pair per repeat, so that no pair
            // always runs right after the same neighbour.
            let pair = &mut pairs[(k + repeat) % count];
            let run = run_child(&exe, pair, options.limit);
            eprintln!("[{}/{repeats}] {} on {}: {}", repeat + 1, pair.label(), pair.runtime, describe(&run));
            pair.runs.push(run);
        }
    }
    Ok(pairs)
}

/// Every failed run, as `workload on runtime: why`.
pub fn failures(pairs: &[Pair]) -> Vec<String> {
    pairs
        .iter()
        .flat_map(|pair| {
            pair.runs.iter().filter_map(move |run| match run {
                Run::Failed(why) => Some(format!("{} on {}: {why}", pair.label(), pair.runtime)),
                _ => None,
            })
        })
        .collect()
}

/// The pairs the options choose, in the workload table's order and each
/// workload's runtime order (ours first).
fn choose(options: &Options) -> Result<Vec<Pair>, String> {
    let known_runtimes: Vec<&str> = workloads::ALL.iter().flat_map(|w| w.runtimes.iter().copied()).collect();
    for name in options.only.iter().flatten() {
        if workloads::find(name).is_none() {
            return Err(format!("--only: no workload {name:?}; `--list` shows them"));
        }
    }
    for name in options.runtimes.iter().flatten() {
        if !known_runtimes.contains(&name.as_str()) {
            return Err(format!("--runtimes: no runtime {name:?}; `--list` shows them"));
        }
    }
    let chosen = |list: &Option<Vec<String>>, name: &str| list.as_ref().is_none_or(|l| l.iter().any(|x| x == name));
    let mut pairs = Vec::new();
    for workload in workloads::ALL.iter().filter(|w| chosen(&options.only, w.name)) {
        let n = options.n.unwrap_or(if options.smoke { workload.smoke_n } else { workload.default_n });
        // The HTTP workloads run once in each placement, every other
        // workload once, wherever the kernel puts it.
        let placements: Vec<Option<&'static str>> = if workloads::PLACED_WORKLOADS.contains(&workload.name) {
            workloads::PLACEMENTS.iter().copied().map(Some).collect()
        } else {
            vec![None]
        };
        for placement in placements {
            for &runtime in workload.runtimes.iter().filter(|r| chosen(&options.runtimes, r)) {
                pairs.push(Pair { workload, runtime, placement, n, runs: Vec::new() });
            }
        }
    }
    if pairs.is_empty() {
        return Err("--only and --runtimes leave no workload to run".to_string());
    }
    Ok(pairs)
}

/// Runs one child for `pair` and reads what it printed. A child still
/// running after `limit` is killed and counts as failed, so that one hung
/// run (a server that never answers) cannot hang the whole session.
fn run_child(exe: &std::path::Path, pair: &Pair, limit: Duration) -> Run {
    let mut command = Command::new(exe);
    if let Some(placement) = pair.placement {
        command.env(workloads::PLACEMENT_VAR, placement);
    }
    let child = command
        .args(["--runtime", pair.runtime, "--workload", pair.workload.name, "--n", &pair.n.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let child = match child {
        Ok(child) => child,
        Err(e) => return Run::Failed(format!("could not start: {e}")),
    };
    // A watchdog thread, not a polling loop: it sleeps until told that the
    // child is done or until the limit, and costs the measured child nothing.
    let (done, finished) = mpsc::channel::<()>();
    let pid = child.id() as libc::pid_t;
    let watchdog = std::thread::spawn(move || {
        let late = finished.recv_timeout(limit) == Err(RecvTimeoutError::Timeout);
        if late {
            // SAFETY: kill has no memory preconditions. The pid is our
            // child's and, as a rule, not yet reaped. (A shortcut: the child
            // may have exited and been reaped in the instant between the
            // limit and our being told; Linux hands pids out in sequence, so
            // none is reused within that instant.)
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
        late
    });
    let output = child.wait_with_output();
    // The watchdog may already have gone; then nobody is listening.
    let _ = done.send(());
    let killed = watchdog.join().unwrap_or(false);
    let output = match output {
        Ok(output) => output,
        Err(e) => return Run::Failed(format!("could not read its output: {e}")),
    };
    if killed {
        return Run::Failed(format!("still running after {} s, killed", limit.as_secs()));
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let tail = || {
        let lines: Vec<&str> = stderr.lines().collect();
        lines[lines.len().saturating_sub(5)..].join("\n    ")
    };
    if !output.status.success() {
        return Run::Failed(format!("{}: {}", output.status, tail()));
    }
    // The last RESULT or SKIP line counts; a workload may print other lines.
    match stdout.lines().rev().find_map(parse_line) {
        Some(Ok(run)) => run,
        Some(Err(e)) => Run::Failed(e),
        None => Run::Failed(format!("printed no RESULT or SKIP line: {}", tail())),
    }
}

/// Reads a `RESULT ...` or `SKIP ...` line; `None` for any other line.
fn parse_line(line: &str) -> Option<Result<Run, String>> {
    if let Some(rest) = line.strip_prefix("SKIP ") {
        // The reason is free text to the end of the line, perhaps quoted.
        let reason = rest.split_once("reason=").map_or("no reason given", |(_, reason)| reason.trim());
        let reason = reason.strip_prefix('"').and_then(|r| r.strip_suffix('"')).unwrap_or(reason);
        return Some(Ok(Run::Skipped(reason.to_string())));
    }
    let rest = line.strip_prefix("RESULT ")?;
    Some(parse_figures(rest).map(Run::Measured))
}

/// The `key=value` fields of a RESULT line, after `RESULT `.
fn parse_figures(fields: &str) -> Result<Figures, String> {
    let mut figures = Figures { secs: f64::NAN, cpu: f64::NAN, rss_kb: f64::NAN, extra: Vec::new() };
    for field in fields.split_whitespace() {
        let (key, value) = field.split_once('=').ok_or_else(|| format!("RESULT field {field:?} is not key=value"))?;
        let number = || value.parse::<f64>().map_err(|_| format!("RESULT {key}={value:?} is not a number"));
        match key {
            "runtime" | "workload" | "n" => {}
            "secs" => figures.secs = number()?,
            "cpu" => figures.cpu = number()?,
            "rss_kb" => figures.rss_kb = number()?,
            _ => figures.extra.push((key.to_string(), value.to_string())),
        }
    }
    if figures.secs.is_nan() {
        return Err("RESULT line has no secs".to_string());
    }
    Ok(figures)
}

/// One run, in a few words, for the progress line.
fn describe(run: &Run) -> String {
    match run {
        Run::Measured(figures) => format!("{:.4} s", figures.secs),
        Run::Skipped(reason) => format!("skipped ({reason})"),
        Run::Failed(why) => format!("FAILED {why}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_result_line_gives_its_figures_and_keeps_the_extra_ones_in_order() {
        let line = "RESULT runtime=tokio workload=timers n=10 secs=1.5 cpu=0.25 rss_kb=2048 beyond_floor=0.5 bytes_per_task=300";
        let Some(Ok(Run::Measured(figures))) = parse_line(line) else { panic!("not measured") };
        assert_eq!((figures.secs, figures.cpu, figures.rss_kb), (1.5, 0.25, 2048.0));
        let extra: Vec<_> = figures.extra.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(extra, [("beyond_floor", "0.5"), ("bytes_per_task", "300")]);
    }

    #[test]
    fn a_skip_line_keeps_its_whole_reason() {
        for line in [
            "SKIP runtime=aiohttp workload=crawl reason=python3 has no aiohttp",
            r#"SKIP runtime=aiohttp workload=crawl reason="python3 has no aiohttp""#,
        ] {
            let Some(Ok(Run::Skipped(reason))) = parse_line(line) else { panic!("not skipped: {line}") };
            assert_eq!(reason, "python3 has no aiohttp");
        }
    }

    #[test]
    fn other_lines_are_not_results_and_broken_results_are_errors() {
        assert!(parse_line("listening on 127.0.0.1:8080").is_none());
        assert!(matches!(parse_line("RESULT runtime=corio secs=fast"), Some(Err(_))));
        assert!(matches!(parse_line("RESULT runtime=corio n=3"), Some(Err(_))));
    }
}
