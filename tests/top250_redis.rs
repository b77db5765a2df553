//! The Top 250 crawler with Redis: `--redis URL` stores every record as a
//! hash plus a sorted set by rank (a re-run overwrites); `--worker` joins a
//! shared crawl through a Redis Stream consumer group, and three worker
//! processes, one of them SIGKILLed mid-crawl, leave Redis holding all 249
//! records exactly once and rank 247 marked missing; a ban answer seen by
//! one worker pauses them all until it expires, after which both finish
//! (or, with `--ban-pause 0`, stops them all); `--status` reports and
//! exports.
//!
//! Where the machine allows it (root, `ip`, network namespaces), a last
//! test runs two workers in network namespaces of their own, joined to
//! the root one by veth pairs on a bridge with private 10.231.N.0/24
//! addresses, so they reach Redis and the mirror over a network, as on
//! separate machines; elsewhere it shows as ignored with the reason.
//!
//! Each test starts its own redis-server (`tests/common/redis.rs`) and the
//! standalone mirror. The file runs its tests through `common::servers`
//! (`harness = false`): without redis-server each shows in the summary as
//! ignored, with what to install, unless `CORIO_REQUIRE_SERVERS=1` (set in
//! CI), which makes it a failure.

mod common;

use std::collections::BTreeMap;
use std::process::{Child, Command, ExitCode, Output, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use corio::redis::{Connection, FromValue, Value, cmd};

use common::douban::site::{Page, Site};
use common::douban::{MISSING_RANK, assert_as_saved, json_lines, rank_of, start_mirror};
use common::examples::{example_binary, run_example};
use common::http::{Conn, TestServer};
use common::redis::RedisServer;
use common::servers::REDIS;

/// The limit on a shared crawl in these tests.
const CRAWL_LIMIT: Duration = Duration::from_secs(180);

/// Runs one command on the server at `url` and converts the reply.
fn query<T: FromValue + 'static>(url: &str, command: corio::redis::Cmd) -> T {
    try_query(url, command).unwrap_or_else(|error| panic!("{error}"))
}

/// [`query`], or the error.
fn try_query<T: FromValue + 'static>(url: &str, command: corio::redis::Cmd) -> Result<T, corio::redis::Error> {
    let url = url.to_owned();
    corio::run(async move { Connection::open(&url).await?.query::<T>(&command).await })
}

/// A child process killed when dropped, so a failing test leaves no
/// mirror or worker behind (holding the test's output pipe open).
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts a worker process.
fn spawn_worker(redis: &str, base_url: &str, flags: &[&str]) -> Child {
    Command::new(example_binary("top250"))
        .args(["--redis", redis, "--worker", "--base-url", base_url, "--quiet"])
        .args(flags)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start a top250 worker")
}

/// Waits for a worker to exit, within the crawl limit; its status and stderr.
fn finish(worker: &mut Child, started: Instant) -> Output {
    let status = loop {
        if let Some(status) = worker.try_wait().unwrap() {
            break status;
        }
        assert!(started.elapsed() < CRAWL_LIMIT, "a worker did not finish within {CRAWL_LIMIT:?}");
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = Vec::new();
    if let Some(mut pipe) = worker.stderr.take() {
        std::io::Read::read_to_end(&mut pipe, &mut stderr).unwrap();
    }
    Output { status, stdout: Vec::new(), stderr }
}

/// `top250 --status --format jsonl`, parsed; asserts it exited 0.
fn export(redis: &str) -> Vec<serde_json::Value> {
    let output = run_example("top250", &["--redis", redis, "--status", "--format", "jsonl"]);
    assert!(output.status.success(), "--status failed: {}", String::from_utf8_lossy(&output.stderr));
    json_lines(&String::from_utf8(output.stdout).unwrap())
}

/// Asserts Redis holds the 2019 Top 250 once: 250 hashes, 250 ranks, each
/// record as saved (rank 247 `missing`), and the export in rank order.
fn assert_top250_once(redis: &str, origin: &str) {
    let keys: Vec<String> = query(redis, cmd("KEYS").arg("top250:movie:*"));
    assert_eq!(keys.len(), 250, "one hash per movie");
    assert_eq!(query::<usize>(redis, cmd("ZCARD").arg("top250:ranks")), 250);
    let records = export(redis);
    assert_eq!(records.iter().map(rank_of).collect::<Vec<_>>(), (1..=250).collect::<Vec<_>>());
    for record in &records {
        assert_as_saved(record, origin);
    }
    assert_eq!(records.iter().filter(|record| record["status"] == "ok").count(), 249);
    assert_eq!(records[MISSING_RANK - 1]["status"], "missing");
}

fn redis_stores_each_movie_as_a_hash_and_a_rerun_overwrites() {
    let server = RedisServer::start();
    let redis = server.url("/");
    let (mirror, origin) = start_mirror();
    let _mirror = Killed(mirror);
    let crawl = || {
        let output = run_example(
            "top250",
            &["--base-url", &origin, "--concurrency", "50", "--redis", &redis, "--quiet", "--format", "jsonl"],
        );
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    };
    crawl();
    assert_top250_once(&redis, &origin);
    let first: BTreeMap<String, String> = query(&redis, cmd("HGETALL").arg("top250:movie:1292052"));
    assert_eq!((first["rank"].as_str(), first["score"].as_str(), first["status"].as_str()), ("1", "9.7", "ok"));
    // A re-run replaces each hash whole: a field left from before is gone.
    query::<usize>(&redis, cmd("HSET").arg("top250:movie:1292052").arg(["stale", "x"]));
    crawl();
    assert_top250_once(&redis, &origin);
    assert_eq!(query::<Option<String>>(&redis, cmd("HGET").arg("top250:movie:1292052").arg("stale")), None);
}

fn three_workers_one_killed_mid_crawl_leave_every_record_exactly_once() {
    let server = RedisServer::start();
    let redis = server.url("/");
    let (mirror, origin) = start_mirror();
    let _mirror = Killed(mirror);
    // Slow enough (a 40 ms pause after each request, 4 requests at a time
    // across the whole crawl) that the victim is mid-crawl when killed.
    let flags = ["--concurrency", "4", "--delay", "40", "--lease", "1"];
    let started = Instant::now();
    let mut victim = Killed(spawn_worker(&redis, &origin, &flags));
    let others = [Killed(spawn_worker(&redis, &origin, &flags)), Killed(spawn_worker(&redis, &origin, &flags))];
    let victim_name = format!(
        "{}-{}",
        std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default().trim(),
        victim.0.id()
    );
    // Kill it once the crawl is well under way and it holds pages.
    let held_when_killed = loop {
        assert!(started.elapsed() < CRAWL_LIMIT, "the crawl never got under way");
        let done: usize = query(&redis, cmd("SCARD").arg("top250:done"));
        let held = victim_pending(&redis, &victim_name);
        if done >= 40 && held > 0 {
            victim.0.kill().unwrap();
            victim.0.wait().unwrap();
            break held;
        }
        assert!(done < 250, "the crawl ended before the victim could be killed holding pages");
        std::thread::sleep(Duration::from_millis(5));
    };
    assert!(held_when_killed > 0);
    for mut worker in others {
        let output = finish(&mut worker.0, started);
        assert!(output.status.success(), "a surviving worker failed: {}", String::from_utf8_lossy(&output.stderr));
    }
    assert_top250_once(&redis, &origin);
    // Every page was enqueued once and finished; nothing is left pending,
    // so the victim's pages were taken over and acknowledged.
    assert_eq!(query::<usize>(&redis, cmd("XLEN").arg("top250:frontier")), 260);
    assert_eq!(query::<usize>(&redis, cmd("SCARD").arg("top250:enqueued")), 260);
    assert_eq!(query::<usize>(&redis, cmd("SCARD").arg("top250:done")), 260);
    assert_eq!(victim_pending(&redis, &victim_name), 0);
    let summary: Value = query(&redis, cmd("XPENDING").arg(["top250:frontier", "crawlers"]));
    assert_eq!(
        i64::from_value(match summary {
            Value::Array(items) => items.into_iter().next().unwrap(),
            other => other,
        })
        .unwrap(),
        0
    );
}

/// How many entries the consumer `name` holds pending.
fn victim_pending(redis: &str, name: &str) -> u64 {
    // Before the first worker creates the group, nobody holds anything.
    let Ok(Value::Array(items)) = try_query(redis, cmd("XPENDING").arg(["top250:frontier", "crawlers"])) else {
        return 0;
    };
    let Some(consumers) = items.into_iter().nth(3) else { return 0 };
    let consumers: Vec<(String, u64)> = FromValue::from_value(consumers).unwrap_or_default();
    consumers.into_iter().find(|(consumer, _)| consumer == name).map_or(0, |(_, count)| count)
}

fn status_reports_an_unfinished_crawl_and_exports_nothing() {
    let server = RedisServer::start();
    let redis = server.url("/");
    let seed = run_example("top250", &["--redis", &redis, "--seed-frontier", "--base-url", "http://127.0.0.1:9"]);
    assert!(seed.status.success(), "{}", String::from_utf8_lossy(&seed.stderr));
    assert_eq!(String::from_utf8_lossy(&seed.stderr), "top250: enqueued 10 list pages (0 were there already)\n");
    let again = run_example("top250", &["--redis", &redis, "--seed-frontier", "--base-url", "http://127.0.0.1:9"]);
    assert_eq!(String::from_utf8_lossy(&again.stderr), "top250: enqueued 0 list pages (10 were there already)\n");
    let status = run_example("top250", &["--redis", &redis, "--status"]);
    assert_eq!(status.status.code(), Some(1), "pages remain");
    assert_eq!(String::from_utf8_lossy(&status.stdout), "");
    assert_eq!(
        String::from_utf8_lossy(&status.stderr),
        "top250: shared crawl: 0 of 10 pages done, 0 handed out and not finished\n"
    );
}

/// One request the refusing Douban read.
struct Asked {
    /// When it was read, before it was answered.
    at: Instant,
    /// Its User-Agent: which worker sent it.
    agent: String,
    /// The page asked for.
    path: String,
    /// Whether it got the 403.
    refused: bool,
}

/// The 2019 pages on 127.0.0.1, but with one 403 Forbidden: to the first
/// request from the worker whose User-Agent is `victim` once every one of
/// `agents` has sent `after` requests. Every request is logged.
fn douban_refusing_once(
    victim: &'static str,
    agents: [&'static str; 2],
    after: usize,
) -> (TestServer, Arc<Mutex<Vec<Asked>>>) {
    let asked: Arc<Mutex<Vec<Asked>>> = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&asked);
    // The list pages' links name the server's own origin, known once it is
    // bound; the site is loaded before any worker can connect.
    let site: Arc<OnceLock<Site>> = Arc::new(OnceLock::new());
    let pages = Arc::clone(&site);
    let server = TestServer::start(move |mut conn: Conn| {
        let _ = conn.stream.set_nodelay(true);
        let site = pages.get().expect("the site is loaded before the server is handed out");
        while let Some(request) = conn.read_request() {
            let path = request.request_line().split(' ').nth(1).unwrap_or_default().to_owned();
            let agent = request.header("user-agent").unwrap_or_default().to_owned();
            let refused = {
                let mut asked = log.lock().unwrap();
                let sent = |who: &str| asked.iter().filter(|request| request.agent == who).count();
                let refused = agent == victim
                    && agents.iter().all(|&who| sent(who) >= after)
                    && !asked.iter().any(|request| request.refused);
                asked.push(Asked { at: Instant::now(), agent, path: path.clone(), refused });
                refused
            };
            let (status, body): (&str, &[u8]) = match site.page(&path) {
                _ if refused => ("403 Forbidden", b""),
                Page::Plain(html) => ("200 OK", html),
                Page::Gzipped(compressed) => ("200 OK", compressed),
                Page::NotFound => ("404 Not Found", b"not found"),
            };
            // Movie pages go out compressed as stored: the crawler's client
            // accepts gzip, as Douban's visitors do.
            let encoding = if matches!(site.page(&path), Page::Gzipped(_)) && !refused {
                "Content-Encoding: gzip\r\n"
            } else {
                ""
            };
            let head = format!(
                "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\n{encoding}Content-Length: {}\r\n\r\n",
                body.len()
            );
            conn.send(head.as_bytes());
            conn.send(body);
        }
    });
    let loaded = Site::load_2019(&server.url("")).unwrap_or_else(|error| panic!("load the 2019 pages: {error}"));
    assert!(site.set(loaded).is_ok(), "the site is loaded once");
    (server, asked)
}

fn a_ban_seen_by_one_worker_pauses_every_worker_until_it_expires_and_both_finish() {
    /// The pause asked for.
    const PAUSE: Duration = Duration::from_secs(3);
    /// Requests already past their ban check when the ban was written may
    /// still arrive this long after the 403.
    const GRACE: Duration = Duration::from_millis(500);
    let server = RedisServer::start();
    let redis = server.url("/");
    let (douban, asked) = douban_refusing_once("top250-a", ["top250-a", "top250-b"], 20);
    let origin = douban.url("");
    // A lease shorter than the pause: the paused pages must keep their
    // entries, or the lease would hand them to the other worker after it.
    let flags = |agent| ["--concurrency", "4", "--lease", "2", "--ban-pause", "3", "--user-agent", agent];
    let started = Instant::now();
    let mut a = Killed(spawn_worker(&redis, &origin, &flags("top250-a")));
    let mut b = Killed(spawn_worker(&redis, &origin, &flags("top250-b")));
    // While the pause lasts, --status says so and exits 1: pages remain.
    while try_query::<Option<String>>(&redis, cmd("GET").arg("top250:ban")).unwrap().is_none() {
        assert!(started.elapsed() < CRAWL_LIMIT, "no ban was recorded");
        std::thread::sleep(Duration::from_millis(5));
    }
    let status = run_example("top250", &["--redis", &redis, "--status"]);
    let said = String::from_utf8_lossy(&status.stderr);
    assert_eq!(status.status.code(), Some(1), "{said}");
    assert!(said.contains("; paused by a ban for ") && said.contains("answered 403 Forbidden"), "{said}");
    for worker in [&mut a, &mut b] {
        let output = finish(&mut worker.0, started);
        assert!(output.status.success(), "a worker failed: {}", String::from_utf8_lossy(&output.stderr));
    }
    assert_top250_once(&redis, &origin);
    assert_eq!(query::<Option<String>>(&redis, cmd("GET").arg("top250:ban")), None, "the pause expired");
    let asked = asked.lock().unwrap();
    let ban = asked.iter().find(|request| request.refused).expect("worker A was refused once");
    // Nobody asked anything while the pause lasted, worker B included.
    let paused = ban.at + GRACE..ban.at + PAUSE;
    let during: Vec<String> = asked
        .iter()
        .filter(|request| paused.contains(&request.at))
        .map(|request| format!("{} {} at {:?}", request.agent, request.path, request.at - ban.at))
        .collect();
    assert!(during.is_empty(), "requests during the pause: {during:?}");
    for agent in ["top250-a", "top250-b"] {
        assert!(asked.iter().any(|request| request.agent == agent && request.at < ban.at), "{agent} crawled before");
        assert!(asked.iter().any(|request| request.agent == agent && request.at >= paused.end), "{agent} resumed");
    }
    // Each page was asked for once, the refused one twice (again after the
    // pause): no page was handed to another worker for nothing.
    let mut times: BTreeMap<&str, usize> = BTreeMap::new();
    for request in asked.iter() {
        *times.entry(&request.path).or_default() += 1;
    }
    assert_eq!(times.len(), 260);
    for (path, count) in times {
        assert_eq!(count, if path == ban.path { 2 } else { 1 }, "{path} was asked for {count} times");
    }
}

fn a_ban_with_no_pause_stops_every_worker() {
    let server = RedisServer::start();
    let redis = server.url("/");
    let douban = TestServer::always("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n");
    let origin = douban.url("");
    let started = Instant::now();
    let stop = ["--concurrency", "1", "--ban-pause", "0"];
    let first = finish(&mut Killed(spawn_worker(&redis, &origin, &stop)).0, started);
    assert_eq!(first.status.code(), Some(3), "{}", String::from_utf8_lossy(&first.stderr));
    let ban: String = query(&redis, cmd("GET").arg("top250:ban"));
    assert!(ban.contains("403"), "{ban}");
    assert_eq!(query::<i64>(&redis, cmd("PTTL").arg("top250:ban")), -1, "a stop does not expire");
    let requests = douban.received().len();
    // A second worker, even one that would pause, sees the stop before it
    // asks anything.
    let second = finish(&mut Killed(spawn_worker(&redis, &origin, &[])).0, started);
    assert_eq!(second.status.code(), Some(3));
    assert_eq!(douban.received().len(), requests, "the second worker sent no request");
    // The refused page was not marked done: it waits in the frontier.
    assert_eq!(query::<usize>(&redis, cmd("SCARD").arg("top250:done")), 0);
    let status = run_example("top250", &["--redis", &redis, "--status"]);
    assert_eq!(status.status.code(), Some(3));
    let said = String::from_utf8_lossy(&status.stderr);
    assert!(said.contains("; stopped by a ban: ") && said.contains("answered 403 Forbidden"), "{said}");
}

/// Network namespaces, a bridge and veth pairs made for one test, all
/// removed when dropped, even if the test fails half way through.
struct Network {
    /// The namespaces made so far.
    namespaces: Vec<String>,
    /// The links made in the root namespace so far (the bridge last).
    links: Vec<String>,
    /// The subnet's first three octets, `10.231.N`.
    prefix: String,
}

impl Network {
    /// A bridge at `PREFIX.1/24` and one namespace per name, each reaching
    /// it by a veth pair at `PREFIX.2`, `.3`, ... with nothing else (no
    /// default route: nothing can leave the machine). `Err` with the reason
    /// when the machine does not allow it.
    fn new(names: &[&str]) -> Result<Network, String> {
        let uid = std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|status| status.lines().find_map(|line| line.strip_prefix("Uid:").map(str::to_owned)))
            .and_then(|ids| ids.split_whitespace().nth(1).map(str::to_owned));
        if uid.as_deref() != Some("0") {
            return Err("network namespaces need root".into());
        }
        if Command::new("ip").arg("-V").output().is_err() {
            return Err("no `ip` command: apt-get install iproute2".into());
        }
        let id = std::process::id();
        let mut network = Network { namespaces: Vec::new(), links: Vec::new(), prefix: format!("10.231.{}", id % 250) };
        let first = format!("corio-{id}-{}", names[0]);
        ip(&["netns", "add", &first]).map_err(|why| format!("cannot create a network namespace: {why}"))?;
        network.namespaces.push(first);
        let bridge = format!("cb{id}");
        ip(&["link", "add", &bridge, "type", "bridge"]).map_err(|why| format!("cannot create a bridge: {why}"))?;
        network.links.push(bridge.clone());
        network.run(&["addr", "add", &format!("{}.1/24", network.prefix), "dev", &bridge]);
        network.run(&["link", "set", &bridge, "up"]);
        for (index, name) in names.iter().enumerate() {
            let namespace = format!("corio-{id}-{name}");
            if index > 0 {
                network.run(&["netns", "add", &namespace]);
                network.namespaces.push(namespace.clone());
            }
            let outside = format!("cv{id}{index}");
            network.run(&["link", "add", &outside, "type", "veth", "peer", "name", "eth0", "netns", &namespace]);
            network.links.insert(0, outside.clone());
            network.run(&["link", "set", &outside, "master", &bridge, "up"]);
            let address = format!("{}.{}/24", network.prefix, index + 2);
            network.run(&["-n", &namespace, "addr", "add", &address, "dev", "eth0"]);
            network.run(&["-n", &namespace, "link", "set", "eth0", "up"]);
            network.run(&["-n", &namespace, "link", "set", "lo", "up"]);
        }
        Ok(network)
    }

    /// Runs `ip args`, failing the test if it fails.
    fn run(&self, args: &[&str]) {
        if let Err(why) = ip(args) {
            panic!("ip {}: {why}", args.join(" "));
        }
    }

    /// The root namespace's address on the bridge.
    fn host(&self) -> String {
        format!("{}.1", self.prefix)
    }

    /// A command run inside the namespace made for `name`.
    fn command(&self, name: &str, program: &std::path::Path) -> Command {
        let namespace = format!("corio-{}-{name}", std::process::id());
        assert!(self.namespaces.contains(&namespace), "no namespace for {name}");
        let mut command = Command::new("ip");
        command.args(["netns", "exec", &namespace]).arg(program);
        command
    }
}

impl Drop for Network {
    fn drop(&mut self) {
        // A namespace takes its veth ends with it, and their peers go too;
        // the links are deleted after in case one outlived its namespace.
        for namespace in &self.namespaces {
            let _ = ip(&["netns", "del", namespace]);
        }
        for link in &self.links {
            let _ = ip(&["link", "del", link]);
        }
    }
}

/// Runs `ip args`; its stderr if it fails.
fn ip(args: &[&str]) -> Result<(), String> {
    let output = Command::new("ip").args(args).output().map_err(|error| error.to_string())?;
    if output.status.success() { Ok(()) } else { Err(String::from_utf8_lossy(&output.stderr).trim().to_owned()) }
}

fn two_workers_in_their_own_network_namespaces_crawl_over_a_network() -> Result<(), String> {
    let network = Network::new(&["a", "b"])?;
    let host = network.host();
    // Redis answers on loopback (for the test's own checks) and on the
    // bridge (for the workers); the mirror only on the bridge.
    let server = RedisServer::start_with(&["--bind", "127.0.0.1", &host, "--protected-mode", "no"]);
    let mut mirror = Command::new(example_binary("douban_mirror"))
        .args(["--bind", &host, "--port", "0", "--latency-ms", "0"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("start douban_mirror");
    let mut banner = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(mirror.stdout.take().unwrap()), &mut banner).unwrap();
    let _mirror = Killed(mirror);
    let origin = banner.split_whitespace().find(|word| word.starts_with("http://")).expect("the banner names the URL");
    let origin = origin.trim_end_matches("/top250").to_owned();
    assert!(origin.starts_with(&format!("http://{host}:")), "{origin}");
    let redis = format!("redis://{host}:{}/", server.port);
    let started = Instant::now();
    let workers: Vec<Killed> = ["a", "b"]
        .into_iter()
        .map(|name| {
            let mut command = network.command(name, &example_binary("top250"));
            command.args(["--redis", &redis, "--worker", "--base-url", &origin, "--quiet", "--concurrency", "8"]);
            Killed(
                command
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
                    .expect("ip netns exec"),
            )
        })
        .collect();
    // Both are connected from their own addresses on the bridge.
    let local = server.url("/");
    let clients = loop {
        let list: String = query(&local, cmd("CLIENT").arg("LIST"));
        let peers: std::collections::BTreeSet<String> = list
            .split_whitespace()
            .filter_map(|field| field.strip_prefix("addr="))
            .filter_map(|addr| addr.rsplit_once(':').map(|(ip, _)| ip.to_owned()))
            .filter(|ip| ip.starts_with(&network.prefix))
            .collect();
        if peers.len() == 2 || started.elapsed() > CRAWL_LIMIT {
            break peers;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let expected: std::collections::BTreeSet<String> =
        [2, 3].iter().map(|last| format!("{}.{last}", network.prefix)).collect();
    assert_eq!(clients, expected, "each worker reaches Redis from its own namespace's address");
    for mut worker in workers {
        let output = finish(&mut worker.0, started);
        assert!(output.status.success(), "a worker failed: {}", String::from_utf8_lossy(&output.stderr));
    }
    assert_top250_once(&local, &origin);
    assert_eq!(query::<usize>(&local, cmd("SCARD").arg("top250:done")), 260);
    Ok(())
}

fn main() -> ExitCode {
    common::servers::run_tests_with(
        &REDIS,
        common::servers::trials![
            redis_stores_each_movie_as_a_hash_and_a_rerun_overwrites,
            three_workers_one_killed_mid_crawl_leave_every_record_exactly_once,
            status_reports_an_unfinished_crawl_and_exports_nothing,
            a_ban_seen_by_one_worker_pauses_every_worker_until_it_expires_and_both_finish,
            a_ban_with_no_pause_stops_every_worker,
        ],
        vec![(
            "two_workers_in_their_own_network_namespaces_crawl_over_a_network",
            two_workers_in_their_own_network_namespaces_crawl_over_a_network,
        )],
    )
}
