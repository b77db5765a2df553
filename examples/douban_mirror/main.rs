//! An offline mirror of Douban's Movie Top 250, as it was in 2019.
//!
//! ```text
//! cargo run --example douban_mirror -- [--bind 127.0.0.1] [--port 8250] [--latency-ms 100]
//! ```
//!
//! Serves, on 127.0.0.1 (or the address `--bind` names, for crawlers on
//! other machines), the 10 real list pages (`/top250?start=N&filter=`,
//! their movie links rewritten to the mirror) and the 249 real movie pages
//! (`/subject/ID/`) saved from movie.douban.com, answering 404 for the one
//! the crawl is missing (rank 247) and for anything else. Every answer waits
//! `--latency-ms` first, so a crawler feels a site's round trip. Point any
//! crawler at it, the tutorial's Python programs included:
//!
//! ```text
//! cargo run --example top250 -- --base-url http://127.0.0.1:8250
//! ```
//!
//! `top250 --mirror` starts this same server inside the crawler.

mod server;
mod site;

use std::process::ExitCode;
use std::time::Duration;

use server::MirrorConfig;

/// What the command line can say.
const USAGE: &str = "usage: douban_mirror [--bind ADDR (default 127.0.0.1)] [--port PORT (default 8250, 0 picks one)] \
                     [--latency-ms MS (default 100)]";

fn main() -> ExitCode {
    let config = match parse_args(std::env::args().skip(1)) {
        Ok(config) => config,
        Err(message) => {
            eprintln!("douban_mirror: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match server::spawn(config) {
        Ok(address) => {
            println!(
                "serving the 2019 Top 250 at http://{address}/top250 ({} ms latency); Ctrl-C stops",
                config.latency.as_millis()
            );
            // The mirror runs on its own thread and loop; this one only waits.
            loop {
                std::thread::park();
            }
        }
        Err(error) => {
            eprintln!("douban_mirror: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Reads `--bind`, `--port` and `--latency-ms`.
fn parse_args(mut args: impl Iterator<Item = String>) -> Result<MirrorConfig, String> {
    let mut config = MirrorConfig { address: [127, 0, 0, 1].into(), port: 8250, latency: Duration::from_millis(100) };
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--bind" => config.address = value()?.parse().map_err(|_| "--bind takes an IP address")?,
            "--port" => config.port = value()?.parse().map_err(|_| "--port takes a number from 0 to 65535")?,
            "--latency-ms" => {
                config.latency = Duration::from_millis(value()?.parse().map_err(|_| "--latency-ms takes milliseconds")?)
            }
            "-h" | "--help" => return Err("serves the saved Top 250 pages on 127.0.0.1".into()),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(config)
}
