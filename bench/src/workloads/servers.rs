//! The servers the network workloads talk to, each started by the bench in
//! its own process on 127.0.0.1 on a free port, from files in a fresh temp
//! directory, and killed when dropped: nginx (HTTP and HTTPS, its
//! certificate from a test CA made at run time), redis-server, and the
//! Douban mirror (`examples/douban_mirror`, built in release). Also the
//! CPU placement of client and server, a process's CPU time from
//! `/proc/<pid>/stat`, and the `SKIP` line for a peer this machine lacks.
//!
//! Starting a server is setup: no workload's span includes it.

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use crate::measure::Span;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};

/// How long a server gets to start listening.
const STARTUP_LIMIT: Duration = Duration::from_secs(10);

/// The environment variable that turns a missing server program into a
/// failure instead of a SKIP line (CI sets it, as for the tests).
const REQUIRE_SERVERS: &str = "CORIO_REQUIRE_SERVERS";

/// The environment variable that says where client and server run (see
/// [`Placement`]).
pub const PLACEMENT_VAR: &str = "CORIO_BENCH_PLACEMENT";

/// The repository the bench sits in: its fixtures and examples.
pub fn repo_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Says that `runtime` cannot run `workload` on this machine, and why, in
/// the line `--all` reads, then ends the process successfully: a missing
/// peer is not a failed run.
pub fn skip(runtime: &str, workload: &str, reason: &str) -> ! {
    println!("SKIP runtime={runtime} workload={workload} reason={reason:?}");
    std::process::exit(0);
}

/// The server program `name` (at the first of `candidates` that exists,
/// or on PATH) that `runtime` needs for `workload`. When it is not
/// installed, a SKIP line ends the process, or, under
/// `CORIO_REQUIRE_SERVERS=1`, an error fails the run.
pub fn server_program(name: &str, candidates: &[&str], runtime: &str, workload: &str) -> Result<PathBuf, String> {
    if let Some(found) = find_program(name, candidates) {
        return Ok(found);
    }
    let why = format!("{name} not installed");
    if std::env::var(REQUIRE_SERVERS).as_deref() == Ok("1") {
        return Err(format!("{REQUIRE_SERVERS}=1, but {why}"));
    }
    skip(runtime, workload, &why)
}

// --- Placement ---------------------------------------------------------------

/// The values of `CORIO_BENCH_PLACEMENT`, as [`Placement::name`] spells them.
pub const PLACEMENTS: &[&str] = &["same", "split", "none"];

/// Where the client process and the server run, from `CORIO_BENCH_PLACEMENT`.
///
/// On two vCPUs a wake across cores costs far more than on one, so an HTTP
/// figure means little without its placement.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Placement {
    /// `same`: client and server both on CPU 0.
    Same,
    /// `split`: the client on CPU 0, the server on CPU 1.
    Split,
    /// `none` (the default): wherever the kernel puts them.
    Unpinned,
}

impl Placement {
    /// The placement `CORIO_BENCH_PLACEMENT` asks for (`none` when unset).
    pub fn from_env() -> Result<Placement, String> {
        match std::env::var(PLACEMENT_VAR).as_deref() {
            Err(_) | Ok("none") | Ok("") => Ok(Placement::Unpinned),
            Ok("same") => Ok(Placement::Same),
            Ok("split") => Ok(Placement::Split),
            Ok(other) => Err(format!("{PLACEMENT_VAR} is same, split or none, not {other:?}")),
        }
    }

    /// Its name, for the RESULT line.
    pub fn name(self) -> &'static str {
        match self {
            Placement::Same => "same",
            Placement::Split => "split",
            Placement::Unpinned => "none",
        }
    }

    /// Pins this process's calling thread (so every thread it starts
    /// after, which inherits the mask) and the single-threaded server
    /// `server_pid`. Call it before the client starts its threads.
    pub fn apply(self, server_pid: u32) -> Result<(), String> {
        let (client, server) = match self {
            Placement::Same => (0, 0),
            Placement::Split => (0, 1),
            Placement::Unpinned => return Ok(()),
        };
        pin(0, client)?;
        pin(server_pid as libc::pid_t, server)
    }
}

/// Restricts thread or process `pid` (0: the calling thread) to `cpu`.
fn pin(pid: libc::pid_t, cpu: usize) -> Result<(), String> {
    // SAFETY: a zeroed cpu_set_t is the empty set; CPU_SET writes inside it.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    unsafe { libc::CPU_SET(cpu, &mut set) };
    // SAFETY: `set` is a valid cpu_set_t of the size passed.
    let status = unsafe { libc::sched_setaffinity(pid, std::mem::size_of::<libc::cpu_set_t>(), &set) };
    if status != 0 {
        return Err(format!("cannot pin pid {pid} to CPU {cpu}: {}", std::io::Error::last_os_error()));
    }
    Ok(())
}

/// Process `pid`'s user+sys CPU seconds so far, from `/proc/<pid>/stat`
/// (clock ticks, usually 10 ms each).
pub fn process_cpu_secs(pid: u32) -> Result<f64, String> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).map_err(|e| format!("/proc/{pid}/stat: {e}"))?;
    // SAFETY: sysconf has no preconditions.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    Ok(cpu_ticks(&stat) as f64 / per_second)
}

/// utime + stime, in clock ticks, from a `/proc/<pid>/stat` line.
fn cpu_ticks(stat: &str) -> u64 {
    // The command name in parentheses may hold spaces; the fields counted
    // from 3 (state) start after its closing parenthesis.
    let after_name = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |index: usize| fields.get(index).and_then(|field| field.parse::<u64>().ok()).unwrap_or(0);
    // utime and stime are fields 14 and 15 of stat(5), 11 and 12 here.
    ticks(11) + ticks(12)
}

/// What a program run by [`run_measured`] did.
pub struct Measured {
    /// Its whole run: wall time from spawn to exit, `cpu` its own user+sys.
    pub span: Span,
    /// Its peak resident set, KiB.
    pub rss_kb: u64,
    /// Everything it wrote to stdout.
    pub stdout: String,
    /// Everything it wrote to stderr.
    pub stderr: String,
}

/// Runs `command` to its end, its stdout and stderr captured, and takes its
/// own CPU time and peak RSS from `wait4` (the bench's own figures would
/// miss them, and `RUSAGE_CHILDREN` mixes in every earlier child, such as
/// the cargo build that made it).
pub fn run_measured(command: &mut Command) -> Result<Measured, String> {
    let program = format!("{:?}", command.get_program());
    let wall = Instant::now();
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    // Both pipes are drained while it runs, so that neither fills and
    // stalls it.
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        thread::spawn(move || {
            let mut text = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut text);
            }
            String::from_utf8_lossy(&text).into_owned()
        })
    };
    let stdout = drain(child.stdout.take().map(|pipe| Box::new(pipe) as Box<dyn Read + Send>));
    let stderr = drain(child.stderr.take().map(|pipe| Box::new(pipe) as Box<dyn Read + Send>));
    let mut status = 0;
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: `status` and `usage` are valid and writable; the pid is our
    // unwaited child's (std's `Child` never waits on its own, and is not
    // asked to after this).
    let (waited, usage) = unsafe {
        let waited = libc::wait4(child.id() as libc::pid_t, &mut status, 0, usage.as_mut_ptr());
        (waited, usage.assume_init())
    };
    let secs = wall.elapsed().as_secs_f64();
    if waited < 0 {
        return Err(format!("waiting for {program}: {}", std::io::Error::last_os_error()));
    }
    let (stdout, stderr) = (stdout.join().unwrap_or_default(), stderr.join().unwrap_or_default());
    if !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) != 0 {
        return Err(format!("{program} failed (wait status {status}): {stderr}"));
    }
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    let cpu = seconds(usage.ru_utime) + seconds(usage.ru_stime);
    Ok(Measured { span: Span { secs, cpu }, rss_kb: usage.ru_maxrss as u64, stdout, stderr })
}

// --- Common parts ------------------------------------------------------------

/// A loopback port that was free a moment ago.
fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free port: {e}"))?;
    listener.local_addr().map(|address| address.port()).map_err(|e| e.to_string())
}

/// A new directory under the system temp dir, unique to this process and call.
fn temp_dir(what: &str) -> Result<PathBuf, String> {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let name = format!("corio-bench-{what}-{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::SeqCst));
    let dir = std::env::temp_dir().join(name);
    fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    Ok(dir)
}

/// Whether something accepts connections on loopback `port`.
fn listening(port: u16) -> bool {
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_ok()
}

/// The first of `candidates` that is a file, or `name` found on PATH.
fn find_program(name: &str, candidates: &[&str]) -> Option<PathBuf> {
    if let Some(found) = candidates.iter().map(PathBuf::from).find(|path| path.is_file()) {
        return Some(found);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(name)).find(|candidate| candidate.is_file())
}

/// A child process killed (and its temp directory removed) on drop.
struct Server {
    child: Child,
    dir: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = fs::remove_dir_all(&self.dir);
    }
}

// --- The test CA ---------------------------------------------------------------

/// A CA made for one run, and a server certificate it signed for
/// `127.0.0.1`, all PEM: the CA for the clients' root stores, the rest for
/// nginx. Nothing is checked in, so nothing expires.
pub struct TestCerts {
    /// The CA's certificate.
    pub ca_pem: String,
    /// The server's certificate.
    pub cert_pem: String,
    /// The server's private key (PKCS#8).
    pub key_pem: String,
}

impl TestCerts {
    /// A new CA and a certificate for 127.0.0.1 and localhost.
    pub fn new() -> Result<TestCerts, String> {
        let error = |e: rcgen::Error| format!("test certificate: {e}");
        let ca_key = KeyPair::generate().map_err(error)?;
        let mut ca_params = CertificateParams::new(Vec::new()).map_err(error)?;
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.distinguished_name.push(DnType::CommonName, "corio bench CA");
        let ca = ca_params.self_signed(&ca_key).map_err(error)?;
        let issuer = Issuer::new(ca_params, ca_key);

        let key = KeyPair::generate().map_err(error)?;
        let mut params = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()]).map_err(error)?;
        params.distinguished_name.push(DnType::CommonName, "127.0.0.1");
        let cert = params.signed_by(&key, &issuer).map_err(error)?;
        Ok(TestCerts { ca_pem: ca.pem(), cert_pem: cert.pem(), key_pem: key.serialize_pem() })
    }
}

// --- nginx -------------------------------------------------------------------

/// The movie page nginx serves: 霸王别姬's Douban page as saved in 2019,
/// 120,220 bytes once unzipped.
const PAGE_FIXTURE: &str = "tests/fixtures/douban/2019/subject/1291828.html.gz";

/// The `Accept-Encoding` every HTTP client sends. nginx's gzip is off, so
/// each client gets the same identity bytes and the server does the same
/// work for each.
pub const ACCEPT_ENCODING: &str = "gzip";

/// A running nginx, one process (`master_process off`, so that its pid
/// is its only worker's, to pin and to measure), serving the movie page as
/// `/movie.html` over HTTP and HTTPS.
pub struct Nginx {
    server: Server,
    http_port: u16,
    https_port: u16,
    /// The certificates nginx presents and the CA that signed them.
    pub certs: TestCerts,
    /// The page's length in bytes: what every response's body must be.
    pub page_len: u64,
}

impl Nginx {
    /// The nginx program, for `runtime` on `workload` (see [`server_program`]).
    pub fn program(runtime: &str, workload: &str) -> Result<PathBuf, String> {
        server_program("nginx", &["/usr/sbin/nginx"], runtime, workload)
    }

    /// Starts nginx from `binary`, or says why it did not start.
    pub fn start(binary: &Path) -> Result<Nginx, String> {
        let page = read_page()?;
        // A free port can be taken between our probe and nginx's bind;
        // then nginx exits, and we try again on new ports.
        for _ in 0..3 {
            let dir = temp_dir("nginx")?;
            let (http_port, https_port) = (free_port()?, free_port()?);
            let certs = TestCerts::new()?;
            write_nginx_files(&dir, http_port, https_port, &page, &certs)?;
            let stderr = fs::File::create(dir.join("stderr.log")).map_err(|e| e.to_string())?;
            let child = Command::new(binary)
                .arg("-p")
                .arg(&dir)
                .arg("-c")
                .arg(dir.join("nginx.conf"))
                .arg("-e")
                .arg(dir.join("error.log"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(stderr)
                .spawn()
                .map_err(|e| format!("cannot run {}: {e}", binary.display()))?;
            let mut nginx =
                Nginx { server: Server { child, dir }, http_port, https_port, certs, page_len: page.len() as u64 };
            match nginx.wait_until_listening() {
                Ok(()) => return Ok(nginx),
                Err(log) if log.contains("Address already in use") => continue,
                Err(log) => return Err(format!("nginx did not start: {log}")),
            }
        }
        Err("nginx could not bind free ports three times in a row".into())
    }

    /// Polls both ports until they accept; nginx's logs if it exits first
    /// or the startup limit passes.
    fn wait_until_listening(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + STARTUP_LIMIT;
        loop {
            if let Ok(Some(status)) = self.server.child.try_wait() {
                return Err(format!("nginx exited with {status}: {}", self.logs()));
            }
            if listening(self.http_port) && listening(self.https_port) {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!("nginx did not listen within {STARTUP_LIMIT:?}: {}", self.logs()));
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// nginx's error log and anything it wrote to stderr.
    fn logs(&self) -> String {
        let read = |name: &str| fs::read_to_string(self.server.dir.join(name)).unwrap_or_default();
        format!("{}{}", read("error.log"), read("stderr.log"))
    }

    /// Its one process.
    pub fn pid(&self) -> u32 {
        self.server.child.id()
    }

    /// The page's URL, over HTTPS if `tls`.
    pub fn page_url(&self, tls: bool) -> String {
        match tls {
            false => format!("http://127.0.0.1:{}/movie.html", self.http_port),
            true => format!("https://127.0.0.1:{}/movie.html", self.https_port),
        }
    }
}

/// The movie page, unzipped from the project's fixtures.
fn read_page() -> Result<Vec<u8>, String> {
    let path = repo_dir().join(PAGE_FIXTURE);
    let compressed = fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut page = Vec::new();
    flate2::read::GzDecoder::new(compressed.as_slice())
        .read_to_end(&mut page)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(page)
}

/// Writes nginx's config, web root and certificates into `dir`.
fn write_nginx_files(
    dir: &Path,
    http_port: u16,
    https_port: u16,
    page: &[u8],
    certs: &TestCerts,
) -> Result<(), String> {
    let write = |name: &str, contents: &[u8]| fs::write(dir.join(name), contents).map_err(|e| format!("{name}: {e}"));
    fs::create_dir_all(dir.join("www")).map_err(|e| e.to_string())?;
    write("www/movie.html", page)?;
    write("server.pem", certs.cert_pem.as_bytes())?;
    write("server.key", certs.key_pem.as_bytes())?;
    write("nginx.conf", nginx_config(dir, http_port, https_port).as_bytes())
}

/// One process, one server on both ports, no gzip (so every client gets the
/// same bytes whatever it accepts), no access log, and keep-alive
/// connections that last the whole run (nginx's default closes one after
/// 1,000 requests).
fn nginx_config(dir: &Path, http_port: u16, https_port: u16) -> String {
    let dir = dir.display();
    format!(
        r#"daemon off;
master_process off;
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    types {{ text/html html; }}
    default_type application/octet-stream;
    client_body_temp_path {dir}/client_body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    access_log off;
    gzip off;
    sendfile on;
    keepalive_timeout 60s;
    keepalive_requests 10000000;
    ssl_session_cache off;
    server {{
        listen 127.0.0.1:{http_port};
        listen 127.0.0.1:{https_port} ssl;
        ssl_certificate {dir}/server.pem;
        ssl_certificate_key {dir}/server.key;
        root {dir}/www;
    }}
}}
"#
    )
}

// --- redis-server --------------------------------------------------------------

/// A running redis-server with nothing saved to disk.
pub struct RedisServer {
    server: Server,
    /// Its port on 127.0.0.1.
    pub port: u16,
}

impl RedisServer {
    /// The redis-server program, for `runtime` on `workload` (see
    /// [`server_program`]).
    pub fn program(runtime: &str, workload: &str) -> Result<PathBuf, String> {
        server_program("redis-server", &["/usr/bin/redis-server"], runtime, workload)
    }

    /// Starts redis-server from `binary` (`--save '' --appendonly no`), or
    /// says why it did not start.
    pub fn start(binary: &Path) -> Result<RedisServer, String> {
        for _ in 0..3 {
            let dir = temp_dir("redis")?;
            let port = free_port()?;
            let child = Command::new(binary)
                .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
                .arg("--dir")
                .arg(&dir)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .map_err(|e| format!("cannot run {}: {e}", binary.display()))?;
            let mut redis = RedisServer { server: Server { child, dir }, port };
            if redis.wait_for_pong()? {
                return Ok(redis);
            }
        }
        Err("redis-server could not bind a free port three times in a row".into())
    }

    /// Waits until it answers PING; `false` if it exited (its port taken).
    fn wait_for_pong(&mut self) -> Result<bool, String> {
        let deadline = Instant::now() + STARTUP_LIMIT;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.server.child.try_wait() {
                return Ok(false);
            }
            if let Ok(mut probe) = TcpStream::connect(("127.0.0.1", self.port)) {
                let _ = probe.write_all(b"PING\r\n");
                let mut answer = [0u8; 1];
                if probe.read(&mut answer).is_ok_and(|n| n == 1) {
                    return Ok(true);
                }
            }
            thread::sleep(Duration::from_millis(20));
        }
        Err(format!("redis-server did not answer PING within {STARTUP_LIMIT:?}"))
    }

    /// Its process.
    pub fn pid(&self) -> u32 {
        self.server.child.id()
    }

    /// `redis://127.0.0.1:PORT/`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }
}

// --- The Douban mirror -----------------------------------------------------------

/// Builds one of the project's examples in release (quietly, as setup) and
/// returns its binary.
pub fn build_example(name: &str) -> Result<PathBuf, String> {
    let repo = repo_dir();
    let output = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["build", "--release", "--quiet", "--example", name, "--manifest-path"])
        .arg(repo.join("Cargo.toml"))
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run cargo to build example {name}: {e}"))?;
    if !output.status.success() {
        return Err(format!("building example {name} failed:\n{}", String::from_utf8_lossy(&output.stderr)));
    }
    let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| repo.join("target"));
    Ok(target.join("release/examples").join(name))
}

/// The mirror (`examples/douban_mirror`) in its own process.
pub struct Mirror {
    server: Server,
    /// `http://127.0.0.1:PORT`, as it printed.
    pub base_url: String,
}

impl Mirror {
    /// Builds and starts the mirror answering after `latency_ms`.
    pub fn start(latency_ms: u64) -> Result<Mirror, String> {
        let binary = build_example("douban_mirror")?;
        let dir = temp_dir("mirror")?;
        let mut child = Command::new(&binary)
            .args(["--port", "0", "--latency-ms", &latency_ms.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", binary.display()))?;
        let stdout = child.stdout.take().ok_or("no stdout from the mirror")?;
        let server = Server { child, dir };
        // "serving the 2019 Top 250 at http://127.0.0.1:PORT/top250 (...)"
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).map_err(|e| format!("reading the mirror's address: {e}"))?;
        let base_url = line
            .split_whitespace()
            .find_map(|word| word.strip_suffix("/top250"))
            .ok_or_else(|| format!("the mirror did not print its address: {line:?}"))?
            .to_owned();
        Ok(Mirror { server, base_url })
    }

    /// Its process.
    pub fn pid(&self) -> u32 {
        self.server.child.id()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_ticks_are_utime_plus_stime_even_when_the_name_has_spaces() {
        let stat = "4242 (nginx: worker) S 1 4242 4242 0 -1 4194560 300 0 0 0 17 5 0 0 20 0 1 0 100 1000 200";
        assert_eq!(cpu_ticks(stat), 22);
    }

    #[test]
    fn the_page_is_the_whole_movie_page() {
        let page = read_page().unwrap();
        assert_eq!(page.len(), 120_220);
        assert!(String::from_utf8_lossy(&page).trim_end().ends_with("</html>"));
    }
}
