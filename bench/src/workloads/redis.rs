//! `redis` and `redis-pipe`: 50 tasks send `n` commands, half SET and half
//! GET, to a redis-server the bench starts on 127.0.0.1 (`--save ''
//! --appendonly no`), and check that every GET returns what its SET wrote.
//!
//! Pair `i` is `SET k{i} v{i}` then `GET k{i}`; the tasks take the next
//! pair (`redis`) or the next batch of 50 pairs (`redis-pipe`: one
//! pipeline of 100 commands, the 50 SETs then the 50 GETs) when their last
//! is answered.
//!
//! - `corio`: one `corio::redis::Connection` shared by the 50 tasks (it is
//!   multiplexed: one socket, a reader and a writer task), no reply timeout
//!   (its default).
//! - `redis-rs`: the redis crate on tokio current_thread, one
//!   `MultiplexedConnection` cloned into the 50 tasks, the same one socket;
//!   its response timeout (500 ms by default) off, as corio's.
//! - `redis-benchmark`: `redis-benchmark -t set,get -n n/2 -c 50 [-P 100]
//!   -q --csv` (50 connections), its own SET and GET rates combined into
//!   the time for `n` commands: what the server can answer, the ceiling.
//!   It checks nothing; its `cpu` is its process's (from `wait4`), and
//!   `child_rss_kb` its peak RSS. Unpipelined, its 50 connections each
//!   wait for every answer, while the two clients' one connection carries
//!   the commands of all 50 tasks in each write: a ceiling for `redis-pipe`
//!   more than for `redis`.
//!
//! Besides `secs` and `cpu`, the RESULT line has `ops` (commands per
//! second), `server_cpu` (redis-server's user+sys over the span) and
//! `mismatches` (always 0: a mismatch fails the run).
//!
//! ```text
//! cargo run --release --manifest-path bench/Cargo.toml -- --runtime redis-rs --workload redis-pipe
//! ```

use std::cell::Cell;
use std::path::Path;
use std::process::Command;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::servers::{RedisServer, process_cpu_secs, run_measured, server_program};
use super::{Outcome, Workload, check};
use crate::measure::{Span, Stopwatch};

/// The clients that run both workloads.
const RUNTIMES: &[&str] = &["corio", "redis-rs", "redis-benchmark"];

/// Tasks (and redis-benchmark's connections).
const TASKS: u64 = 50;

/// Pairs per pipeline in `redis-pipe`: 100 commands.
const PIPE_PAIRS: u64 = 50;

pub const REDIS: Workload =
    Workload { name: "redis", default_n: 200_000, smoke_n: 2_000, runtimes: RUNTIMES, run: |r, n| run(r, n, 1) };
pub const REDIS_PIPE: Workload = Workload {
    name: "redis-pipe",
    default_n: 200_000,
    smoke_n: 2_000,
    runtimes: RUNTIMES,
    run: |r, n| run(r, n, PIPE_PAIRS),
};

fn run(runtime: &str, n: u64, batch: u64) -> Result<Outcome, String> {
    let workload = if batch == 1 { "redis" } else { "redis-pipe" };
    // Both programs are looked for before the server starts: a SKIP ends
    // the process at once, and would leave a started server running.
    let server_binary = RedisServer::program(runtime, workload)?;
    let benchmark = match runtime {
        "redis-benchmark" => Some(server_program("redis-benchmark", &["/usr/bin/redis-benchmark"], runtime, workload)?),
        _ => None,
    };
    let server = RedisServer::start(&server_binary)?;
    let pairs = n / 2;
    let server_before = process_cpu_secs(server.pid())?;
    let mut child_rss_kb = None;
    let (span, matched) = match runtime {
        "corio" => on_corio(&server.url(), pairs, batch)?,
        "redis-rs" => on_redis_rs(&server.url(), pairs, batch)?,
        "redis-benchmark" => {
            let binary = benchmark.ok_or("redis-benchmark was not looked for")?;
            let (span, rss_kb) = on_redis_benchmark(&binary, &server, pairs, batch)?;
            child_rss_kb = Some(rss_kb);
            (span, pairs)
        }
        other => return Err(format!("no {workload} for {other}")),
    };
    let server_cpu = process_cpu_secs(server.pid())? - server_before;
    check("GETs that returned their SET's value", matched, pairs)?;
    let outcome = match child_rss_kb {
        Some(rss_kb) => Outcome::new(span).with("child_rss_kb", rss_kb),
        None => Outcome::new(span),
    };
    Ok(outcome
        .with("ops", format!("{:.0}", (2 * pairs) as f64 / span.secs))
        .with("server_cpu", format!("{server_cpu:.2}"))
        .with("mismatches", pairs - matched))
}

/// Pair `i`'s key.
fn key(i: u64) -> String {
    format!("k{i}")
}

/// Pair `i`'s value.
fn value(i: u64) -> String {
    format!("v{i}")
}

/// How many of `got` (the GETs of pairs `first..`) hold their pair's value.
fn matching(first: u64, got: &[Option<Vec<u8>>]) -> u64 {
    let right = |(i, reply): (u64, &Option<Vec<u8>>)| reply.as_deref() == Some(value(i).as_bytes());
    (first..).zip(got).filter(|&pair| right(pair)).count() as u64
}

/// corio: one multiplexed connection, 50 tasks.
fn on_corio(url: &str, pairs: u64, batch: u64) -> Result<(Span, u64), String> {
    let url = url.to_owned();
    corio::run(async move {
        let conn = corio::redis::Connection::open(&url).await.map_err(|e| e.to_string())?;
        let next = Rc::new(Cell::new(0u64));
        let watch = Stopwatch::start();
        let tasks: Vec<_> = (0..TASKS)
            .map(|_| {
                let (conn, next) = (conn.clone(), Rc::clone(&next));
                corio::create_task(async move {
                    let mut matched = 0;
                    loop {
                        let first = next.get();
                        let count = batch.min(pairs - first.min(pairs));
                        if count == 0 {
                            return Ok::<u64, String>(matched);
                        }
                        next.set(first + count);
                        let got = if batch == 1 {
                            conn.set(key(first), value(first)).await.map_err(|e| e.to_string())?;
                            vec![conn.get(key(first)).await.map_err(|e| e.to_string())?]
                        } else {
                            let mut pipeline = corio::redis::Pipeline::new();
                            for i in first..first + count {
                                pipeline.push(corio::redis::cmd("SET").arg(key(i)).arg(value(i)));
                                pipeline = pipeline.ignore();
                            }
                            for i in first..first + count {
                                pipeline.push(corio::redis::cmd("GET").arg(key(i)));
                            }
                            pipeline.query::<Vec<Option<Vec<u8>>>>(&conn).await.map_err(|e| e.to_string())?
                        };
                        matched += matching(first, &got);
                    }
                })
            })
            .collect();
        let mut matched = 0;
        for task in tasks {
            matched += task.await.map_err(|e| e.to_string())??;
        }
        Ok((watch.stop(), matched))
    })
}

/// redis-rs on tokio current_thread: one multiplexed connection, 50 tasks.
fn on_redis_rs(url: &str, pairs: u64, batch: u64) -> Result<(Span, u64), String> {
    let client = redis::Client::open(url).map_err(|e| e.to_string())?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
    runtime.block_on(async move {
        let config = redis::AsyncConnectionConfig::new().set_response_timeout(None);
        let conn = client.get_multiplexed_async_connection_with_config(&config).await.map_err(|e| e.to_string())?;
        let next = Arc::new(AtomicU64::new(0));
        let watch = Stopwatch::start();
        let tasks: Vec<_> = (0..TASKS)
            .map(|_| {
                let (mut conn, next) = (conn.clone(), Arc::clone(&next));
                tokio::spawn(async move {
                    let mut matched = 0;
                    loop {
                        let first = next.fetch_add(batch, Ordering::Relaxed).min(pairs);
                        let count = batch.min(pairs - first);
                        if count == 0 {
                            return Ok::<u64, String>(matched);
                        }
                        let got: Vec<Option<Vec<u8>>> = if batch == 1 {
                            let () = redis::cmd("SET")
                                .arg(key(first))
                                .arg(value(first))
                                .query_async(&mut conn)
                                .await
                                .map_err(|e| e.to_string())?;
                            vec![
                                redis::cmd("GET")
                                    .arg(key(first))
                                    .query_async(&mut conn)
                                    .await
                                    .map_err(|e| e.to_string())?,
                            ]
                        } else {
                            let mut pipeline = redis::pipe();
                            for i in first..first + count {
                                pipeline.cmd("SET").arg(key(i)).arg(value(i)).ignore();
                            }
                            for i in first..first + count {
                                pipeline.cmd("GET").arg(key(i));
                            }
                            pipeline.query_async(&mut conn).await.map_err(|e| e.to_string())?
                        };
                        matched += matching(first, &got);
                    }
                })
            })
            .collect();
        let mut matched = 0;
        for task in tasks {
            matched += task.await.map_err(|e| e.to_string())??;
        }
        Ok((watch.stop(), matched))
    })
}

/// redis-benchmark: its SET and GET rates, turned into the seconds `pairs`
/// of each would take; the span's CPU is its process's.
fn on_redis_benchmark(binary: &Path, server: &RedisServer, pairs: u64, batch: u64) -> Result<(Span, u64), String> {
    let mut command = Command::new(binary);
    command.args(["-h", "127.0.0.1", "-p", &server.port.to_string(), "-t", "set,get", "-q", "--csv"]);
    let pipeline = if batch == 1 { 1 } else { 2 * batch };
    command.args(["-n", &pairs.to_string(), "-c", &TASKS.to_string(), "-P", &pipeline.to_string()]);
    let run = run_measured(&mut command)?;
    let csv = run.stdout;
    let rate = |test: &str| rate_in_csv(&csv, test).ok_or_else(|| format!("no {test} rate in {csv:?}"));
    let secs = pairs as f64 / rate("SET")? + pairs as f64 / rate("GET")?;
    Ok((Span { secs, cpu: run.span.cpu }, run.rss_kb))
}

/// The requests per second `redis-benchmark --csv` gives `test`, from its
/// row `"SET","123456.79",...` (after a header row).
fn rate_in_csv(csv: &str, test: &str) -> Option<f64> {
    csv.lines()
        .find_map(|line| line.strip_prefix(&format!("\"{test}\",")))
        .and_then(|rest| rest.split(',').next())
        .and_then(|field| field.trim_matches('"').parse::<f64>().ok())
        .filter(|rate| *rate > 0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_come_from_their_own_rows() {
        let csv =
            "\"test\",\"rps\",\"avg_latency_ms\"\n\"SET\",\"20429.01\",\"1.723\"\n\"GET\",\"18957.35\",\"2.017\"\n";
        assert_eq!(rate_in_csv(csv, "SET"), Some(20429.01));
        assert_eq!(rate_in_csv(csv, "GET"), Some(18957.35));
        assert_eq!(rate_in_csv(csv, "INCR"), None);
        assert_eq!(rate_in_csv("\"SET\",\"0.00\"", "SET"), None);
    }

    #[test]
    fn only_the_value_of_its_own_pair_matches() {
        let got = [Some(b"v7".to_vec()), None, Some(b"v7".to_vec())];
        assert_eq!(matching(7, &got), 1);
    }
}
