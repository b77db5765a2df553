//! A real `redis-server` for the tests, started on a free loopback port
//! with persistence off, and killed when dropped.
//!
//! The program's path comes from [`REDIS`](super::servers::REDIS): a test
//! file that starts a server runs its tests through
//! [`servers::run_tests`](super::servers::run_tests), which reports each as
//! ignored (or failed, with `CORIO_REQUIRE_SERVERS=1`) where redis-server
//! is not installed, so a test here only runs where it is.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::servers::REDIS;

/// How long a server gets to start answering PING.
const STARTUP_LIMIT: Duration = Duration::from_secs(10);

/// A running redis-server.
pub struct RedisServer {
    /// The process, killed on drop.
    child: Child,
    /// Its working directory (no dump is written; a temp dir all the same).
    dir: PathBuf,
    /// The loopback port it listens on.
    pub port: u16,
}

impl RedisServer {
    /// Starts a plain server.
    ///
    /// # Panics
    /// If redis-server is not installed, or does not start.
    pub fn start() -> RedisServer {
        RedisServer::start_with(&[])
    }

    /// Starts a server with extra `--directive value` arguments.
    ///
    /// # Panics
    /// As [`start`](RedisServer::start).
    pub fn start_with(extra: &[&str]) -> RedisServer {
        let binary = REDIS.path();
        // A free port may be taken between our probe and redis's bind; try
        // a few times on new ports.
        for _ in 0..3 {
            if let Some(server) = RedisServer::try_start(&binary, extra) {
                return server;
            }
        }
        panic!("redis-server did not start three times in a row");
    }

    /// One attempt on a fresh port.
    fn try_start(binary: &Path, extra: &[&str]) -> Option<RedisServer> {
        let dir = unique_temp_dir();
        std::fs::create_dir_all(&dir).unwrap();
        let port = free_port();
        let child = Command::new(binary)
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(&dir)
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("run redis-server");
        let mut server = RedisServer { child, dir, port };
        let started = Instant::now();
        while started.elapsed() < STARTUP_LIMIT {
            if let Ok(Some(_)) = server.child.try_wait() {
                return None;
            }
            // Any answer to PING (PONG, or NOAUTH with a password) means it
            // is up.
            if let Ok(mut probe) = TcpStream::connect(("127.0.0.1", port)) {
                let _ = probe.write_all(b"PING\r\n");
                let mut answer = [0u8; 1];
                if probe.read(&mut answer).is_ok_and(|n| n == 1) {
                    return Some(server);
                }
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = server.child.kill();
        panic!("redis-server did not answer PING within {STARTUP_LIMIT:?}");
    }

    /// `redis://127.0.0.1:PORT` plus `rest` (a path, a query).
    pub fn url(&self, rest: &str) -> String {
        format!("redis://127.0.0.1:{}{rest}", self.port)
    }

    /// Runs `redis-cli` against the server (for checks that should not
    /// depend on the client under test); its stdout.
    pub fn cli(&self, args: &[&str]) -> String {
        let output =
            Command::new("redis-cli").args(["-p", &self.port.to_string()]).args(args).output().expect("run redis-cli");
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Kills the server with SIGKILL and waits for it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A new directory name under the system temp dir.
fn unique_temp_dir() -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    let name = format!("corio-redis-{}-{}-{nanos}", std::process::id(), NEXT.fetch_add(1, Ordering::SeqCst));
    std::env::temp_dir().join(name)
}

/// Reads one command (an array of bulk strings) as a client sends it, for
/// fake servers; `None` when the client hung up.
pub fn read_command(reader: &mut BufReader<TcpStream>) -> Option<Vec<String>> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let count: usize = line.trim_end().strip_prefix('*')?.parse().ok()?;
    let mut args = Vec::with_capacity(count);
    for _ in 0..count {
        line.clear();
        reader.read_line(&mut line).ok()?;
        let length: usize = line.trim_end().strip_prefix('$')?.parse().ok()?;
        let mut bytes = vec![0u8; length + 2];
        reader.read_exact(&mut bytes).ok()?;
        bytes.truncate(length);
        args.push(String::from_utf8_lossy(&bytes).into_owned());
    }
    Some(args)
}

/// Three redis-servers in cluster mode, each a master of a third of the
/// slots, on free loopback ports.
pub struct RedisCluster {
    /// The nodes, killed on drop.
    pub nodes: Vec<RedisServer>,
}

impl RedisCluster {
    /// Starts the nodes, joins them with `redis-cli --cluster create`, and
    /// waits until every node says `cluster_state:ok`.
    ///
    /// # Panics
    /// As [`RedisServer::start`], or if the cluster does not come up.
    pub fn start() -> RedisCluster {
        let mut nodes = Vec::new();
        for _ in 0..3 {
            nodes.push(RedisServer::start_with(&[
                "--cluster-enabled",
                "yes",
                "--cluster-config-file",
                "nodes.conf",
                "--cluster-node-timeout",
                "5000",
            ]));
        }
        let addresses: Vec<String> = nodes.iter().map(|node| format!("127.0.0.1:{}", node.port)).collect();
        let created = Command::new("redis-cli")
            .arg("--cluster")
            .arg("create")
            .args(&addresses)
            .args(["--cluster-replicas", "0", "--cluster-yes"])
            .output()
            .expect("run redis-cli --cluster create");
        assert!(created.status.success(), "cluster create failed: {}", String::from_utf8_lossy(&created.stdout));
        let cluster = RedisCluster { nodes };
        let started = Instant::now();
        while !cluster.nodes.iter().all(|node| node.cli(&["CLUSTER", "INFO"]).contains("cluster_state:ok")) {
            assert!(started.elapsed() < STARTUP_LIMIT, "the cluster did not come up within {STARTUP_LIMIT:?}");
            std::thread::sleep(Duration::from_millis(50));
        }
        cluster
    }

    /// The node listening on `host:port`'s port.
    pub fn node(&self, address: &str) -> &RedisServer {
        let port: u16 = address.rsplit(':').next().and_then(|port| port.parse().ok()).expect("host:port");
        self.nodes.iter().find(|node| node.port == port).expect("a node of this cluster")
    }
}
