//! The tables `--all` prints: one per workload, one row per runtime, in
//! Markdown so that README can hold them as printed.
//!
//! Every figure is the median over the pair's runs (a median, not a mean,
//! so one run disturbed by the rest of the machine moves nothing). The
//! ratio beside a figure is peer / corio, taken within each repeat (the
//! two runs were made moments apart, under the same load) and then the
//! median over the repeats: above 1 means the peer took longer (or held
//! more, or did more of whatever the figure counts) than corio.

use crate::runner::{Figures, Pair, Run};

/// Prints the command and the machine, then a table per workload.
pub fn print(pairs: &[Pair]) {
    let args: Vec<String> = std::env::args().skip(1).collect();
    println!("command: corio-bench {}  ", args.join(" "));
    println!("{}\n", machine());
    let mut rest = pairs;
    while let Some(first) = rest.first() {
        let same = rest
            .iter()
            .take_while(|p| p.workload.name == first.workload.name && p.placement == first.placement)
            .count();
        print_table(&rest[..same]);
        rest = &rest[same..];
    }
}

/// One workload's table; `pairs` are its runtimes, ours first.
fn print_table(pairs: &[Pair]) {
    let workload = match pairs[0].placement {
        Some(placement) => format!("{}, placement {placement}", pairs[0].workload.name),
        None => pairs[0].workload.name.to_string(),
    };
    let runs = pairs.iter().map(|p| p.runs.len()).max().unwrap_or(0);
    let ours = pairs.iter().find(|p| p.runtime == "corio");
    // The workload's own figures, in the order its RESULT lines name them.
    let mut keys: Vec<&str> = Vec::new();
    for figures in pairs.iter().flat_map(measured) {
        for (key, _) in &figures.extra {
            if !keys.contains(&key.as_str()) {
                keys.push(key);
            }
        }
    }

    println!(
        "### {workload} (n={}; medians of {runs} run(s); x = peer / corio: above 1, the peer's figure is the larger)\n",
        pairs[0].n
    );
    let mut header = vec!["runtime", "secs", "min-max", "x corio", "cpu secs", "peak RSS MiB"];
    header.extend(&keys);
    println!("| {} |", header.join(" | "));
    println!("|{}", "---|".repeat(header.len()));

    for pair in pairs {
        let failed = pair.runs.iter().filter(|r| matches!(r, Run::Failed(_))).count();
        let secs: Vec<f64> = measured(pair).map(|f| f.secs).collect();
        let mut row = vec![pair.runtime.to_string()];
        if secs.is_empty() {
            row.push(match pair.runs.iter().find_map(skip_reason) {
                Some(reason) if failed == 0 => format!("skipped: {reason}"),
                _ => format!("FAILED {failed} of {}", pair.runs.len()),
            });
            row.resize(header.len(), "-".to_string());
            println!("| {} |", row.join(" | "));
            continue;
        }
        let note = if failed > 0 { format!(" ({failed} failed)") } else { String::new() };
        let (low, high) = min_max(&secs);
        row.push(format!("{}{note}", figure(median(&secs))));
        row.push(format!("{}-{}", figure(low), figure(high)));
        row.push(ratio(paired_ratio(pair, ours, |f| Some(f.secs))));
        // On a busy machine CPU seconds are the steadier figure: waiting
        // for a core shows in wall time only.
        let cpu = median_of(pair, |f| Some(f.cpu)).unwrap_or(f64::NAN);
        row.push(format!("{} ({})", figure(cpu), ratio(paired_ratio(pair, ours, |f| Some(f.cpu)))));
        row.push(format!("{:.1}", median_of(pair, |f| Some(f.rss_kb)).unwrap_or(f64::NAN) / 1024.0));
        for key in &keys {
            let get = |f: &Figures| extra(f, key).and_then(|v| v.parse().ok());
            row.push(match median_of(pair, get) {
                Some(value) => format!("{} ({})", figure(value), ratio(paired_ratio(pair, ours, get))),
                // Not a number (a placement, a mode): as the last run gave it.
                None => measured(pair).filter_map(|f| extra(f, key)).last().unwrap_or("-").to_string(),
            });
        }
        println!("| {} |", row.join(" | "));
    }
    println!();
}

/// The figures of a pair's measured runs.
fn measured(pair: &Pair) -> impl Iterator<Item = &Figures> {
    pair.runs.iter().filter_map(|run| match run {
        Run::Measured(figures) => Some(figures),
        _ => None,
    })
}

/// Why a run was skipped, if it was.
fn skip_reason(run: &Run) -> Option<&str> {
    match run {
        Run::Skipped(reason) => Some(reason),
        _ => None,
    }
}

/// A workload figure, as the run printed it.
fn extra<'a>(figures: &'a Figures, key: &str) -> Option<&'a str> {
    figures.extra.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

/// The median of one figure over a pair's measured runs that have it.
fn median_of(pair: &Pair, get: impl Fn(&Figures) -> Option<f64>) -> Option<f64> {
    let values: Vec<f64> = measured(pair).filter_map(get).collect();
    (!values.is_empty()).then(|| median(&values))
}

/// The middle value (the mean of the middle two for an even count).
fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    if sorted.len() % 2 == 1 { sorted[mid] } else { (sorted[mid - 1] + sorted[mid]) / 2.0 }
}

fn min_max(values: &[f64]) -> (f64, f64) {
    values.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| (lo.min(v), hi.max(v)))
}

/// The median over the repeats of `pair`'s figure over `ours`'s in the
/// same repeat; `None` when no repeat measured both (or ours was zero).
/// A pair's runs are one per repeat, in repeat order, so index `i` of each
/// pair's runs is the same repeat.
fn paired_ratio(pair: &Pair, ours: Option<&Pair>, get: impl Fn(&Figures) -> Option<f64>) -> Option<f64> {
    let ratios: Vec<f64> = pair
        .runs
        .iter()
        .zip(&ours?.runs)
        .filter_map(|runs| match runs {
            (Run::Measured(peer), Run::Measured(ours)) => Some((get(peer)?, get(ours)?)),
            _ => None,
        })
        .filter(|&(_, ours)| ours != 0.0)
        .map(|(peer, ours)| peer / ours)
        .collect();
    (!ratios.is_empty()).then(|| median(&ratios))
}

/// A ratio with two decimals, or `-` when there is none.
fn ratio(value: Option<f64>) -> String {
    value.map_or("-".to_string(), |r| format!("{r:.2}"))
}

/// A figure with as many decimals as its size deserves; none for a count.
fn figure(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        return format!("{value:.0}");
    }
    match value.abs() {
        v if v >= 100.0 => format!("{value:.0}"),
        v if v >= 1.0 => format!("{value:.3}"),
        _ => format!("{value:.4}"),
    }
}

/// The machine the table was measured on: CPU model and count, kernel, and
/// the load average when the tables were printed (a busy machine shows).
fn machine() -> String {
    let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
    let cpuinfo = read("/proc/cpuinfo");
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name").and_then(|v| v.split_once(':')).map(|(_, v)| v.trim()))
        .unwrap_or("unknown CPU");
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let kernel = read("/proc/sys/kernel/osrelease");
    let loadavg = read("/proc/loadavg");
    let load: Vec<&str> = loadavg.split_whitespace().take(3).collect();
    format!("machine: {model}, {cpus} CPUs, Linux {}; load average {}", kernel.trim(), load.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_takes_the_middle_or_the_mean_of_the_middle_two() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
        assert_eq!(median(&[7.0]), 7.0);
    }

    #[test]
    fn the_ratio_pairs_runs_of_the_same_repeat() {
        let pair = |runtime, secs: &[f64]| Pair {
            workload: &crate::workloads::ALL[0],
            runtime,
            placement: None,
            n: 1,
            runs: secs
                .iter()
                .map(|&secs| Run::Measured(Figures { secs, cpu: 0.0, rss_kb: 0.0, extra: Vec::new() }))
                .collect(),
        };
        // The machine slowed down in the second repeat: both runs show it,
        // and the ratios stay 2, 2, 3.
        let ours = pair("corio", &[1.0, 4.0, 1.0]);
        let peer = pair("tokio", &[2.0, 8.0, 3.0]);
        assert_eq!(paired_ratio(&peer, Some(&ours), |f| Some(f.secs)), Some(2.0));
        assert_eq!(paired_ratio(&peer, None, |f| Some(f.secs)), None);
        assert_eq!(ratio(Some(1.234)), "1.23");
    }

    #[test]
    fn figures_get_decimals_by_size_and_counts_none() {
        assert_eq!(figure(50.0), "50");
        assert_eq!(figure(123.4), "123");
        assert_eq!(figure(1.23456), "1.235");
        assert_eq!(figure(0.0123456), "0.0123");
    }
}
