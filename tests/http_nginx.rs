//! Interop with a real nginx, over HTTP and HTTPS (a throwaway CA): a
//! static page with Content-Length, GET and HEAD, keep-alive reuse (seen in
//! nginx's access log), a gzip body sent chunked, a 301, a 404, and the
//! `fetch` example run as a program against it.
//!
//! Each test starts its own nginx in the foreground (`daemon off;
//! master_process off;`) from a config in a fresh temp directory, on free
//! loopback ports, and kills it when done. The file runs its tests through
//! `common::servers` (`harness = false`): without nginx each shows in the
//! summary as ignored, with what to install, unless `CORIO_REQUIRE_SERVERS=1`
//! (set in CI), which makes a missing nginx a failure.

mod common;

use std::fs;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use corio::http::{Error, Session};

use common::servers::NGINX;
use common::tls::TestCa;

/// The static page nginx serves as `/index.html`.
const INDEX_HTML: &str = "<!doctype html>\n<title>corio</title>\n<p>Hello from nginx</p>\n";

/// How long nginx gets to start listening.
const STARTUP_LIMIT: Duration = Duration::from_secs(10);

/// A running nginx and everything it reads, in a temp directory.
struct Nginx {
    /// The nginx process, killed on drop.
    child: Child,
    /// The temp directory: config, pid, logs, temp paths, web root, certificates.
    dir: PathBuf,
    /// The plain HTTP port.
    http_port: u16,
    /// The HTTPS port.
    https_port: u16,
    /// The CA that issued nginx's certificate (for "localhost").
    ca: TestCa,
    /// The gzip-able text file served as `/big.txt`.
    big_text: String,
}

impl Nginx {
    /// Starts nginx (the tests run only where it is installed).
    fn start() -> Nginx {
        let binary = NGINX.path();
        // A free port can be taken by someone else between our probe and
        // nginx's bind; then nginx exits, and we try again on new ports.
        for _ in 0..3 {
            match Nginx::try_start(&binary) {
                Ok(nginx) => return nginx,
                Err(log) if log.contains("Address already in use") => continue,
                Err(log) => panic!("nginx did not start; its error log:\n{log}"),
            }
        }
        panic!("nginx could not bind free ports three times in a row");
    }

    /// One attempt: write the files, run nginx, wait until both ports accept.
    /// On failure, returns nginx's error log.
    fn try_start(binary: &Path) -> Result<Nginx, String> {
        let dir = unique_temp_dir();
        let (http_port, https_port) = (free_port(), free_port());
        let ca = TestCa::new("corio nginx test CA");
        let certificate = ca.issue(&["localhost", "127.0.0.1"]);
        let big_text: String =
            (0..3000).map(|line| format!("{line:05} the quick brown fox jumps over the lazy dog\n")).collect();
        fs::create_dir_all(dir.join("www")).unwrap();
        fs::write(dir.join("www/index.html"), INDEX_HTML).unwrap();
        fs::write(dir.join("www/big.txt"), &big_text).unwrap();
        fs::write(dir.join("server.pem"), &certificate.cert_pem).unwrap();
        fs::write(dir.join("server.key"), &certificate.key_pem).unwrap();
        fs::write(dir.join("ca.pem"), &ca.pem).unwrap();
        fs::write(dir.join("nginx.conf"), config(&dir, http_port, https_port)).unwrap();
        let stderr = fs::File::create(dir.join("stderr.log")).unwrap();
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
            .map_err(|error| format!("cannot run {}: {error}", binary.display()))?;
        let mut nginx = Nginx { child, dir, http_port, https_port, ca, big_text };
        nginx.wait_until_listening()?;
        Ok(nginx)
    }

    /// Polls both ports until they accept, failing if nginx exits or the
    /// startup limit passes.
    fn wait_until_listening(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + STARTUP_LIMIT;
        let ports = [self.http_port, self.https_port];
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("nginx exited with {status}\n{}", self.logs()));
            }
            let listening = |port: u16| {
                let addr = SocketAddr::from(([127, 0, 0, 1], port));
                TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok()
            };
            if ports.into_iter().all(listening) {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!("nginx did not listen within {STARTUP_LIMIT:?}\n{}", self.logs()));
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// nginx's error log and anything it wrote to stderr.
    fn logs(&self) -> String {
        let read = |name: &str| fs::read_to_string(self.dir.join(name)).unwrap_or_default();
        format!("{}{}", read("error.log"), read("stderr.log"))
    }

    /// `http://127.0.0.1:PORT{path}`.
    fn http(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.http_port)
    }

    /// `https://localhost:PORT{path}`.
    fn https(&self, path: &str) -> String {
        format!("https://localhost:{}{path}", self.https_port)
    }

    /// A session that trusts nginx's CA.
    fn session(&self) -> Session {
        Session::builder()
            .add_root_certificate_pem(self.ca.pem.as_bytes())
            .timeout(Some(Duration::from_secs(10)))
            .build()
            .unwrap()
    }

    /// The access log's lines (`$connection $request_method $uri $status`),
    /// once there are at least `count` (nginx writes a line just after it
    /// sent the response, so the client can be a moment ahead).
    fn access_log(&self, count: usize) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let log = fs::read_to_string(self.dir.join("access.log")).unwrap_or_default();
            let lines: Vec<String> = log.lines().map(str::to_owned).collect();
            if lines.len() >= count || Instant::now() > deadline {
                return lines;
            }
            thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if thread::panicking() {
            eprintln!("nginx's logs:\n{}", self.logs());
        }
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// The nginx configuration: one server on both ports, everything under `dir`.
fn config(dir: &Path, http_port: u16, https_port: u16) -> String {
    let dir = dir.display();
    format!(
        r#"daemon off;
master_process off;
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log info;
events {{ worker_connections 64; }}
http {{
    types {{ text/html html; text/plain txt; }}
    default_type application/octet-stream;
    client_body_temp_path {dir}/client_body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    log_format corio '$connection $request_method $uri $status';
    access_log {dir}/access.log corio;
    keepalive_timeout 60s;
    server {{
        listen 127.0.0.1:{http_port};
        listen 127.0.0.1:{https_port} ssl;
        server_name localhost;
        ssl_certificate {dir}/server.pem;
        ssl_certificate_key {dir}/server.key;
        root {dir}/www;
        location = /big.txt {{
            gzip on;
            gzip_types text/plain;
            gzip_min_length 0;
        }}
        location = /moved {{
            return 301 /index.html;
        }}
    }}
}}
"#
    )
}

/// A loopback port that was free a moment ago.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A new directory name under the system temp dir, unique to this process
/// and call.
fn unique_temp_dir() -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    let name = format!("corio-nginx-{}-{}-{nanos}", std::process::id(), NEXT.fetch_add(1, Ordering::SeqCst));
    std::env::temp_dir().join(name)
}

/// The connection number of each access-log line.
fn connections(lines: &[String]) -> Vec<&str> {
    lines.iter().map(|line| line.split(' ').next().unwrap_or("")).collect()
}

// --- The client against nginx -------------------------------------------------

/// GETs the static page twice and checks both answers and that nginx saw
/// one connection carry both requests.
fn static_page_twice_on_one_connection(nginx: &Nginx, url: String) {
    let session = nginx.session();
    let bodies = corio::run(async move {
        let mut bodies = Vec::new();
        for _ in 0..2 {
            let response = session.get(url.as_str()).await.unwrap();
            assert_eq!(response.status(), 200);
            assert_eq!(response.content_length(), Some(INDEX_HTML.len() as u64));
            assert_eq!(response.headers().get("content-type"), Some("text/html"));
            assert!(response.headers().get("server").is_some_and(|server| server.starts_with("nginx")));
            bodies.push(response.text().await.unwrap());
        }
        assert_eq!(session.idle_connections(), 1);
        bodies
    });
    assert_eq!(bodies, [INDEX_HTML, INDEX_HTML]);
    let log = nginx.access_log(2);
    assert_eq!(log.len(), 2, "{log:?}");
    let connections = connections(&log);
    assert_eq!(connections[0], connections[1], "both requests should share a keep-alive connection: {log:?}");
}

fn static_page_over_http_has_content_length_and_reuses_the_connection() {
    common::within(Duration::from_secs(20), || {
        let nginx = Nginx::start();
        static_page_twice_on_one_connection(&nginx, nginx.http("/index.html"));
    });
}

fn static_page_over_https_has_content_length_and_reuses_the_connection() {
    common::within(Duration::from_secs(20), || {
        let nginx = Nginx::start();
        static_page_twice_on_one_connection(&nginx, nginx.https("/index.html"));
    });
}

fn head_gets_the_length_without_a_body_and_keeps_the_connection() {
    common::within(Duration::from_secs(20), || {
        let nginx = Nginx::start();
        let session = nginx.session();
        let url = nginx.https("/index.html");
        let body_after_head = corio::run(async move {
            let head = session.head(url.as_str()).await.unwrap();
            assert_eq!(head.status(), 200);
            assert_eq!(head.content_length(), Some(INDEX_HTML.len() as u64));
            assert_eq!(head.bytes().await.unwrap(), b"");
            session.get(url.as_str()).await.unwrap().text().await.unwrap()
        });
        assert_eq!(body_after_head, INDEX_HTML);
        let log = nginx.access_log(2);
        assert_eq!(log.len(), 2, "{log:?}");
        assert!(log[0].contains("HEAD /index.html 200") && log[1].contains("GET /index.html 200"), "{log:?}");
        assert_eq!(connections(&log)[0], connections(&log)[1], "{log:?}");
    });
}

fn gzip_body_arrives_chunked_and_decodes_to_the_file() {
    common::within(Duration::from_secs(20), || {
        let nginx = Nginx::start();
        let raw_session =
            Session::builder().add_root_certificate_pem(nginx.ca.pem.as_bytes()).decompress(false).build().unwrap();
        let session = nginx.session();
        for url in [nginx.http("/big.txt"), nginx.https("/big.txt")] {
            let raw_session = raw_session.clone();
            let session = session.clone();
            let (raw, decoded) = corio::run(async move {
                // Without decompression the client does not ask for gzip; ask by hand.
                let raw = raw_session.get(url.as_str()).header("Accept-Encoding", "gzip").await.unwrap();
                assert_eq!(raw.status(), 200);
                assert_eq!(raw.headers().get("content-encoding"), Some("gzip"));
                assert_eq!(raw.headers().get("transfer-encoding"), Some("chunked"));
                assert_eq!(raw.content_length(), None);
                let raw = raw.bytes().await.unwrap();
                let decoded = session.get(url.as_str()).await.unwrap().text().await.unwrap();
                (raw, decoded)
            });
            assert_eq!(raw[..2], [0x1f, 0x8b], "a gzip member starts with its magic bytes");
            assert!(raw.len() < nginx.big_text.len() / 4, "repetitive text should compress well");
            assert!(decoded == nginx.big_text, "the decoded body differs from the file");
        }
    });
}

fn redirect_is_followed_by_default_and_returned_with_max_redirects_zero() {
    common::within(Duration::from_secs(20), || {
        let nginx = Nginx::start();
        let session = nginx.session();
        let url = nginx.http("/moved");
        let expected_final = nginx.http("/index.html");
        corio::run(async move {
            let followed = session.get(url.as_str()).await.unwrap();
            assert_eq!(followed.status(), 200);
            assert_eq!(followed.url().to_string(), expected_final);
            assert_eq!(followed.history().len(), 1);
            assert_eq!(followed.history()[0].status(), 301);
            assert_eq!(followed.text().await.unwrap(), INDEX_HTML);

            let not_followed = session.get(url.as_str()).max_redirects(0).await.unwrap();
            assert_eq!(not_followed.status(), 301);
            assert!(not_followed.headers().get("location").is_some_and(|location| location.ends_with("/index.html")));
        });
    });
}

fn missing_file_is_a_404_that_raise_for_status_turns_into_an_error() {
    common::within(Duration::from_secs(20), || {
        let nginx = Nginx::start();
        let session = nginx.session();
        let url = nginx.https("/missing.html");
        corio::run(async move {
            let response = session.get(url.as_str()).await.unwrap();
            assert_eq!(response.status(), 404);
            assert_eq!(response.reason(), "Not Found");
            let error = response.raise_for_status().unwrap_err();
            assert!(matches!(error, Error::Status { status: 404, .. }), "{error:?}");
            // The 404 page's body was left unread; the next request still works.
            let page = session.get(url.replace("missing", "index").as_str()).await.unwrap();
            assert_eq!(page.text().await.unwrap(), INDEX_HTML);
        });
    });
}

// --- The fetch example against nginx ------------------------------------------

/// Runs the fetch example with `args` and returns its output.
fn run_fetch(args: &[&str]) -> Output {
    common::examples::run_example("fetch", args)
}

/// Checks a successful `fetch -i` of the static page.
fn assert_fetched_index(output: &Output) {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "fetch failed: {stderr}");
    let (head, body) = stdout.split_once("\r\n\r\n").expect("a head, a blank line, a body");
    let mut lines = head.lines();
    assert_eq!(lines.next(), Some("HTTP/1.1 200 OK"));
    let headers: Vec<&str> = lines.collect();
    assert!(headers.iter().any(|line| line.starts_with("Server: nginx")), "{headers:?}");
    assert!(headers.contains(&format!("Content-Length: {}", INDEX_HTML.len()).as_str()), "{headers:?}");
    assert_eq!(body, INDEX_HTML);
}

fn fetch_example_prints_head_and_body_over_http_and_https() {
    common::within(Duration::from_secs(60), || {
        let nginx = Nginx::start();
        assert_fetched_index(&run_fetch(&["-i", &nginx.http("/index.html")]));
        let cacert = nginx.dir.join("ca.pem");
        assert_fetched_index(&run_fetch(&["--cacert", cacert.to_str().unwrap(), "-i", &nginx.https("/index.html")]));
    });
}

fn fetch_example_follows_redirects_only_with_l() {
    common::within(Duration::from_secs(60), || {
        let nginx = Nginx::start();
        let moved = nginx.http("/moved");
        let not_followed = run_fetch(&["-i", &moved]);
        assert!(not_followed.status.success());
        assert!(String::from_utf8_lossy(&not_followed.stdout).starts_with("HTTP/1.1 301 Moved Permanently\r\n"));
        let followed = run_fetch(&["-L", &moved]);
        assert!(followed.status.success());
        assert_eq!(followed.stdout, INDEX_HTML.as_bytes());
    });
}

fn fetch_example_fails_with_the_error_message_on_an_untrusted_certificate() {
    common::within(Duration::from_secs(60), || {
        let nginx = Nginx::start();
        let output = run_fetch(&[&nginx.https("/index.html")]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(60), "curl's status for an untrusted certificate");
        assert!(output.stdout.is_empty());
        assert!(stderr.starts_with("fetch: (60) TLS error with localhost:"), "{stderr}");
        assert!(stderr.contains("unknown authority"), "{stderr}");
    });
}

fn main() -> ExitCode {
    common::servers::run_tests(
        &NGINX,
        common::servers::trials![
            static_page_over_http_has_content_length_and_reuses_the_connection,
            static_page_over_https_has_content_length_and_reuses_the_connection,
            head_gets_the_length_without_a_body_and_keeps_the_connection,
            gzip_body_arrives_chunked_and_decodes_to_the_file,
            redirect_is_followed_by_default_and_returned_with_max_redirects_zero,
            missing_file_is_a_404_that_raise_for_status_turns_into_an_error,
            fetch_example_prints_head_and_body_over_http_and_https,
            fetch_example_follows_redirects_only_with_l,
            fetch_example_fails_with_the_error_message_on_an_untrusted_certificate,
        ],
    )
}
