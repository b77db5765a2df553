//! `http1`, `http50`, `https1`, `https50`: `n` keep-alive GETs of a
//! 120,220-byte Douban movie page from nginx, over 1 or 50 connections,
//! over plain HTTP or TLS.
//!
//! nginx runs as one process (`master_process off`, `worker_processes 1`)
//! on 127.0.0.1, started by the bench before the span, gzip off: every
//! client sends `Accept-Encoding: gzip` and gets the same identity bytes.
//! Over TLS, nginx presents a certificate from a CA made at run time,
//! which each client adds to its roots; each connection's handshake is
//! inside the span. The requests are shared out as they go: each
//! connection's requester takes the next one when its last is done.
//!
//! - `corio`: one `corio::http::Session`, one task per connection (1 or 50).
//! - `reqwest`: tokio current_thread, one `reqwest::Client`, one task per
//!   connection; HTTP/1.1 only (the bench builds reqwest without http2).
//! - `ureq`: blocking, one thread per connection (50 threads for 50), each
//!   with its own `ureq::Agent` holding its one keep-alive connection. No
//!   timeout: with one, ureq resolves every request's address on a thread
//!   of its own, even `127.0.0.1` (corio and reqwest keep a 60 s one).
//!
//! Each checks every status is 200 and the bodies' total is `n` pages.
//! Besides `secs` and `cpu` (the client's user+sys), the RESULT line has
//! `rps` (requests per second), `server_cpu` (nginx's user+sys seconds
//! over the same span, from `/proc/<pid>/stat`, 10 ms ticks) and
//! `placement`.
//!
//! Placement: `CORIO_BENCH_PLACEMENT=same` pins the client (every thread)
//! and nginx to CPU 0; `split` pins the client to CPU 0 and nginx to CPU
//! 1; `none` (or unset) pins neither.
//!
//! ```text
//! CORIO_BENCH_PLACEMENT=split cargo run --release --manifest-path bench/Cargo.toml -- --runtime corio --workload http50
//! ```

use std::cell::Cell;
use std::io::Read;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::servers::{ACCEPT_ENCODING, Nginx, Placement, process_cpu_secs};
use super::{Outcome, Workload, check};
use crate::measure::{Span, Stopwatch};

/// The peers every HTTP workload runs on.
const RUNTIMES: &[&str] = &["corio", "reqwest", "ureq"];

pub const HTTP1: Workload =
    Workload { name: "http1", default_n: 20_000, smoke_n: 200, runtimes: RUNTIMES, run: |r, n| run(r, n, "http1") };
pub const HTTP50: Workload =
    Workload { name: "http50", default_n: 20_000, smoke_n: 200, runtimes: RUNTIMES, run: |r, n| run(r, n, "http50") };
pub const HTTPS1: Workload =
    Workload { name: "https1", default_n: 20_000, smoke_n: 200, runtimes: RUNTIMES, run: |r, n| run(r, n, "https1") };
pub const HTTPS50: Workload =
    Workload { name: "https50", default_n: 20_000, smoke_n: 200, runtimes: RUNTIMES, run: |r, n| run(r, n, "https50") };

/// The workloads `--all` runs once in each of [`PLACEMENTS`](super::PLACEMENTS).
pub const PLACED_WORKLOADS: &[&str] = &[HTTP1.name, HTTP50.name, HTTPS1.name, HTTPS50.name];

/// What one client run needs to know.
struct Target {
    /// The page's URL.
    url: String,
    /// Connections, each with its own requester.
    connections: u64,
    /// The CA to trust, PEM, for HTTPS.
    ca_pem: Option<String>,
}

fn run(runtime: &str, n: u64, workload: &str) -> Result<Outcome, String> {
    let tls = workload.starts_with("https");
    let connections = if workload.ends_with("50") { 50 } else { 1 };
    let placement = Placement::from_env()?;
    let nginx = Nginx::start(&Nginx::program(runtime, workload)?)?;
    placement.apply(nginx.pid())?;
    let target = Target { url: nginx.page_url(tls), connections, ca_pem: tls.then(|| nginx.certs.ca_pem.clone()) };

    let server_before = process_cpu_secs(nginx.pid())?;
    let (span, bytes) = match runtime {
        "corio" => on_corio(&target, n)?,
        "reqwest" => on_reqwest(&target, n)?,
        "ureq" => on_ureq(&target, n)?,
        other => return Err(format!("no {workload} for {other}")),
    };
    let server_cpu = process_cpu_secs(nginx.pid())? - server_before;
    check("body bytes", bytes, n * nginx.page_len)?;
    Ok(Outcome::new(span)
        .with("rps", format!("{:.0}", n as f64 / span.secs))
        .with("server_cpu", format!("{server_cpu:.2}"))
        .with("connections", connections)
        .with("placement", placement.name()))
}

/// A non-200 answer, as an error.
fn bad_status(status: u16) -> String {
    format!("nginx answered {status}, not 200")
}

/// corio: one session, one task per connection.
fn on_corio(target: &Target, n: u64) -> Result<(Span, u64), String> {
    let mut builder = corio::http::Session::builder()
        .header("Accept-Encoding", ACCEPT_ENCODING)
        .limit(target.connections as usize)
        .timeout(Some(Duration::from_secs(60)));
    if let Some(pem) = &target.ca_pem {
        builder = builder.add_root_certificate_pem(pem.as_bytes());
    }
    let session = builder.build().map_err(|e| e.to_string())?;
    let (url, connections) = (target.url.clone(), target.connections);
    corio::run(async move {
        let left = Rc::new(Cell::new(n));
        let watch = Stopwatch::start();
        let requesters: Vec<_> = (0..connections)
            .map(|_| {
                let (session, url, left) = (session.clone(), url.clone(), Rc::clone(&left));
                corio::create_task(async move {
                    let mut bytes = 0u64;
                    while left.get() > 0 {
                        left.set(left.get() - 1);
                        let response = session.get(url.as_str()).await.map_err(|e| e.to_string())?;
                        if response.status() != 200 {
                            return Err(bad_status(response.status().as_u16()));
                        }
                        bytes += response.bytes().await.map_err(|e| e.to_string())?.len() as u64;
                    }
                    Ok::<u64, String>(bytes)
                })
            })
            .collect();
        let mut bytes = 0;
        for requester in requesters {
            bytes += requester.await.map_err(|e| e.to_string())??;
        }
        Ok((watch.stop(), bytes))
    })
}

/// reqwest on tokio current_thread: one client, one task per connection.
fn on_reqwest(target: &Target, n: u64) -> Result<(Span, u64), String> {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::ACCEPT_ENCODING, reqwest::header::HeaderValue::from_static(ACCEPT_ENCODING));
    let mut builder = reqwest::Client::builder().default_headers(headers).timeout(Duration::from_secs(60));
    if let Some(pem) = &target.ca_pem {
        builder =
            builder.add_root_certificate(reqwest::Certificate::from_pem(pem.as_bytes()).map_err(|e| e.to_string())?);
    }
    let client = builder.build().map_err(|e| e.to_string())?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
    let (url, connections) = (target.url.clone(), target.connections);
    runtime.block_on(async move {
        let left = Arc::new(AtomicU64::new(n));
        let watch = Stopwatch::start();
        let requesters: Vec<_> = (0..connections)
            .map(|_| {
                let (client, url, left) = (client.clone(), url.clone(), Arc::clone(&left));
                tokio::spawn(async move {
                    let mut bytes = 0u64;
                    while take_one(&left) {
                        let response = client.get(url.as_str()).send().await.map_err(|e| e.to_string())?;
                        if response.status() != 200 {
                            return Err(bad_status(response.status().as_u16()));
                        }
                        bytes += response.bytes().await.map_err(|e| e.to_string())?.len() as u64;
                    }
                    Ok::<u64, String>(bytes)
                })
            })
            .collect();
        let mut bytes = 0;
        for requester in requesters {
            bytes += requester.await.map_err(|e| e.to_string())??;
        }
        Ok((watch.stop(), bytes))
    })
}

/// ureq: one thread and one agent (so one connection) per connection.
fn on_ureq(target: &Target, n: u64) -> Result<(Span, u64), String> {
    let tls = match &target.ca_pem {
        Some(pem) => {
            let ca = ureq::tls::Certificate::from_pem(pem.as_bytes()).map_err(|e| e.to_string())?;
            ureq::tls::TlsConfig::builder().root_certs(ureq::tls::RootCerts::new_with_certs(&[ca])).build()
        }
        None => ureq::tls::TlsConfig::default(),
    };
    let left = Arc::new(AtomicU64::new(n));
    // Every thread is started, and has its agent, before the span opens.
    let start = Arc::new(std::sync::Barrier::new(target.connections as usize + 1));
    let requesters: Vec<_> = (0..target.connections)
        .map(|_| {
            let agent: ureq::Agent =
                ureq::Agent::config_builder().tls_config(tls.clone()).http_status_as_error(false).build().into();
            let (url, left, start) = (target.url.clone(), Arc::clone(&left), Arc::clone(&start));
            std::thread::spawn(move || {
                start.wait();
                let mut bytes = 0u64;
                let mut body = Vec::new();
                while take_one(&left) {
                    let mut response =
                        agent.get(&url).header("Accept-Encoding", ACCEPT_ENCODING).call().map_err(|e| e.to_string())?;
                    if response.status() != 200 {
                        return Err(bad_status(response.status().as_u16()));
                    }
                    body.clear();
                    response.body_mut().as_reader().read_to_end(&mut body).map_err(|e| e.to_string())?;
                    bytes += body.len() as u64;
                }
                Ok::<u64, String>(bytes)
            })
        })
        .collect();
    let watch = Stopwatch::start();
    start.wait();
    let mut bytes = 0;
    for requester in requesters {
        bytes += requester.join().map_err(|_| "a ureq thread panicked".to_owned())??;
    }
    Ok((watch.stop(), bytes))
}

/// Takes one request from the shared count; `false` when none is left.
fn take_one(left: &AtomicU64) -> bool {
    left.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| left.checked_sub(1)).is_ok()
}
