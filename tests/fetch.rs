//! The `fetch` example, run as a program against loopback servers, as a
//! curl user would run it: the options, what goes to stdout and stderr,
//! and curl's exit statuses.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::time::Duration;

use common::http::TestServer;
use common::tls::TestCa;

/// Runs fetch with `args` (from the package's folder).
fn fetch(args: &[&str]) -> Output {
    common::examples::run_example("fetch", args)
}

/// Runs fetch with `args` from `dir`.
fn fetch_in(dir: &PathBuf, args: &[&str]) -> Output {
    Command::new(common::examples::example_binary("fetch"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("run fetch")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// An HTTP/1.1 response with `status` (code and reason), extra header
/// lines and a body with its Content-Length.
fn response(status: &str, headers: &[&str], body: &[u8]) -> Vec<u8> {
    let mut head = format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\n", body.len());
    for header in headers {
        head.push_str(header);
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    [head.into_bytes(), body.to_vec()].concat()
}

/// A server that answers each request by its path: `/old` redirects to
/// `/new`, `/new` and `/page` are pages, anything else is a 404.
fn site() -> TestServer {
    TestServer::start(|mut conn| {
        while let Some(request) = conn.read_request() {
            let target = request.request_line().split(' ').nth(1).unwrap_or("");
            let path = target.split('?').next().unwrap_or("").to_owned();
            let answer = match path.as_str() {
                "/old" => response("302 Found", &["Location: /new"], b"moved"),
                "/new" | "/page" | "/files/report.txt" => response("200 OK", &["Content-Type: text/plain"], b"hello\n"),
                _ => response("404 Not Found", &["Content-Type: text/plain"], b"no such page\n"),
            };
            conn.send(&answer);
        }
    })
}

/// A fresh empty directory for files fetch writes.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("corio-fetch-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn help_goes_to_stdout_with_exit_0_and_version_names_the_tool() {
    let help = fetch(&["--help"]);
    assert_eq!(help.status.code(), Some(0));
    assert!(stdout(&help).starts_with("usage: fetch [options] URL\n"), "{}", stdout(&help));
    assert!(stdout(&help).contains("--write-out"));
    assert!(help.stderr.is_empty());

    let version = fetch(&["--version"]);
    assert_eq!(version.status.code(), Some(0));
    assert!(stdout(&version).starts_with("fetch (corio "), "{}", stdout(&version));
}

#[test]
fn a_mistyped_option_exits_2_with_a_suggestion_and_nothing_on_stdout() {
    let output = fetch(&["--locaton", "http://127.0.0.1:1/"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
    assert_eq!(stderr(&output), "fetch: unknown option --locaton; did you mean --location?\n");
}

#[test]
fn combined_il_prints_every_hops_head_then_the_body() {
    let server = site();
    let output = fetch(&["-iL", &server.url("/old")]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        "HTTP/1.1 302 Found\r\nContent-Length: 5\r\nLocation: /new\r\n\r\n\
         HTTP/1.1 200 OK\r\nContent-Length: 6\r\nContent-Type: text/plain\r\n\r\n\
         hello\n"
    );
}

#[test]
fn head_only_sends_head_and_prints_the_head() {
    let server = site();
    let output = fetch(&["-I", &server.url("/page")]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(stdout(&output), "HTTP/1.1 200 OK\r\nContent-Length: 6\r\nContent-Type: text/plain\r\n\r\n");
    assert_eq!(server.received()[0].request_line(), "HEAD /page HTTP/1.1");
}

#[test]
fn verbose_puts_both_heads_on_stderr_and_only_the_body_on_stdout() {
    let server = site();
    let output = fetch(&["-v", "-A", "tester/1.0", &server.url("/page?q=1")]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(stdout(&output), "hello\n");
    let expected = format!(
        "> GET /page?q=1 HTTP/1.1\n> Host: {}\n> User-Agent: tester/1.0\n> Accept: */*\n>\n\
         < HTTP/1.1 200 OK\n< Content-Length: 6\n< Content-Type: text/plain\n<\n",
        server.addr
    );
    assert_eq!(stderr(&output), expected);
    assert_eq!(server.received()[0].header("user-agent"), Some("tester/1.0"));
}

#[test]
fn fail_on_404_exits_22_without_the_body_and_silent_hides_the_message() {
    let server = site();
    let output = fetch(&["-f", &server.url("/missing")]);
    assert_eq!(output.status.code(), Some(22));
    assert!(output.stdout.is_empty());
    assert_eq!(stderr(&output), "fetch: (22) the requested URL returned error: 404 Not Found\n");

    let silent = fetch(&["-sf", &server.url("/missing")]);
    assert_eq!(silent.status.code(), Some(22));
    assert!(silent.stdout.is_empty() && silent.stderr.is_empty(), "{}", stderr(&silent));

    // Without -f a 404 is a transfer like any other.
    let plain = fetch(&[&server.url("/missing")]);
    assert_eq!(plain.status.code(), Some(0));
    assert_eq!(stdout(&plain), "no such page\n");
}

#[test]
fn output_to_a_file_and_to_the_remote_name() {
    let server = site();
    let dir = temp_dir("output");
    let named = dir.join("named.txt");
    let output = fetch(&["-s", "-o", named.to_str().unwrap(), &server.url("/page")]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(output.stdout.is_empty());
    assert_eq!(std::fs::read_to_string(&named).unwrap(), "hello\n");

    let remote = fetch_in(&dir, &["-O", &server.url("/files/report.txt")]);
    assert_eq!(remote.status.code(), Some(0), "{}", stderr(&remote));
    assert_eq!(std::fs::read_to_string(dir.join("report.txt")).unwrap(), "hello\n");

    let no_name = fetch_in(&dir, &["-O", &server.url("/")]);
    assert_eq!(no_name.status.code(), Some(2));
    assert!(stderr(&no_name).contains("has no file name to save as"), "{}", stderr(&no_name));
}

#[test]
fn user_and_url_credentials_are_sent_as_basic_auth() {
    let server = site();
    let output = fetch(&["-u", "alice:secret", &server.url("/page")]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let in_url = fetch(&[&format!("http://bob:p%40ss@{}/page", server.addr)]);
    assert_eq!(in_url.status.code(), Some(0), "{}", stderr(&in_url));
    let received = server.received();
    assert_eq!(received[0].header("authorization"), Some("Basic YWxpY2U6c2VjcmV0"));
    // bob:p@ss, the password percent-decoded first.
    assert_eq!(received[1].header("authorization"), Some("Basic Ym9iOnBAc3M="));
    assert_eq!(received[1].request_line(), "GET /page HTTP/1.1");
}

#[test]
fn u_replaces_url_credentials_and_an_authorization_header_replaces_both() {
    let server = site();
    let in_url = format!("http://bob:pw@{}/page", server.addr);
    for args in
        [vec!["-u", "alice:secret", &in_url], vec!["-u", "alice:secret", "-H", "Authorization: Bearer t0k", &in_url]]
    {
        let output = fetch(&args);
        assert_eq!(output.status.code(), Some(0), "{args:?}: {}", stderr(&output));
    }
    let sent: Vec<Vec<String>> = server
        .received()
        .iter()
        .map(|request| {
            let lines = request.header_lines().into_iter();
            lines.filter(|line| line.to_ascii_lowercase().starts_with("authorization:")).map(str::to_owned).collect()
        })
        .collect();
    assert_eq!(sent, [["Authorization: Basic YWxpY2U6c2VjcmV0"], ["Authorization: Bearer t0k"]]);
}

#[test]
fn verbose_names_the_basic_auth_user_but_never_prints_the_password() {
    let server = site();
    for args in [
        vec!["-v", "-u", "alice:secret", &server.url("/page")],
        vec!["-v", &format!("http://alice:secret@{}/page", server.addr)],
    ] {
        let output = fetch(&args);
        assert_eq!(output.status.code(), Some(0), "{args:?}: {}", stderr(&output));
        let shown = stderr(&output);
        assert!(shown.starts_with("* Server auth using Basic with user 'alice'\n> GET /page HTTP/1.1\n"), "{shown}");
        assert!(!shown.contains("secret") && !shown.contains("YWxpY2U6c2VjcmV0"), "{shown}");
    }
    let received = server.received();
    assert!(received.iter().all(|request| request.header("authorization") == Some("Basic YWxpY2U6c2VjcmV0")));
}

#[test]
fn write_out_prints_the_code_after_the_body_even_for_an_error() {
    let server = site();
    let output = fetch(&["-L", "-w", "%{http_code} %{num_redirects} %{size_download}\\n", &server.url("/old")]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(stdout(&output), "hello\n200 1 6\n");

    let refused = fetch(&["-s", "-w", "%{http_code}", &format!("http://127.0.0.1:{}/", closed_port())]);
    assert_eq!(refused.status.code(), Some(7));
    assert_eq!(stdout(&refused), "000");
}

#[test]
fn data_from_a_file_is_posted_as_a_form_with_newlines_stripped_unless_binary() {
    let server = site();
    let dir = temp_dir("data");
    let file = dir.join("form.txt");
    std::fs::write(&file, "a=1\nb=2\r\n").unwrap();
    let at_file = format!("@{}", file.display());
    assert_eq!(fetch(&["-d", &at_file, &server.url("/page")]).status.code(), Some(0));
    assert_eq!(fetch(&["--data-binary", &at_file, &server.url("/page")]).status.code(), Some(0));
    assert_eq!(fetch(&["-d", "x=1", "-d", "y=2", &server.url("/page")]).status.code(), Some(0));
    let received = server.received();
    assert_eq!(received[0].request_line(), "POST /page HTTP/1.1");
    assert_eq!(received[0].header("content-type"), Some("application/x-www-form-urlencoded"));
    assert_eq!(received[0].body, b"a=1b=2");
    assert_eq!(received[1].body, b"a=1\nb=2\r\n");
    assert_eq!(received[2].body, b"x=1&y=2");

    let missing = fetch(&["-d", "@/nonexistent/form.txt", &server.url("/page")]);
    assert_eq!(missing.status.code(), Some(26));
    assert!(stderr(&missing).starts_with("fetch: (26) cannot read /nonexistent/form.txt:"), "{}", stderr(&missing));
}

#[test]
fn compressed_asks_for_gzip_and_decodes_it_and_plain_asks_for_nothing() {
    // The server compresses only for a client that asks.
    let server = TestServer::start(|mut conn| {
        while let Some(request) = conn.read_request() {
            let answer = if request.header("accept-encoding").is_some_and(|value| value.contains("gzip")) {
                response("200 OK", &["Content-Encoding: gzip"], &gzip(b"squeezed\n"))
            } else {
                response("200 OK", &[], b"plain\n")
            };
            conn.send(&answer);
        }
    });
    let compressed = fetch(&["--compressed", &server.url("/")]);
    assert_eq!(compressed.status.code(), Some(0), "{}", stderr(&compressed));
    assert_eq!(stdout(&compressed), "squeezed\n");
    let plain = fetch(&[&server.url("/")]);
    assert_eq!(stdout(&plain), "plain\n");
    assert_eq!(server.received()[1].header("accept-encoding"), None);
}

/// `data` gzipped.
fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

#[test]
fn a_url_without_a_scheme_is_fetched_over_http() {
    let server = site();
    let output = fetch(&[&format!("{}/page", server.addr)]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(stdout(&output), "hello\n");
}

/// A loopback port nothing listens on (bound a moment ago, then closed).
fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[test]
fn refused_connection_exits_7_and_timeout_exits_28() {
    let refused = fetch(&[&format!("http://127.0.0.1:{}/", closed_port())]);
    assert_eq!(refused.status.code(), Some(7));
    assert!(stderr(&refused).starts_with("fetch: (7) "), "{}", stderr(&refused));

    // A server that reads the request and never answers.
    let silent = TestServer::start(|mut conn| {
        let _ = conn.read_request();
        std::thread::sleep(Duration::from_secs(10));
    });
    let timed_out = fetch(&["-m", "0.3", &silent.url("/")]);
    assert_eq!(timed_out.status.code(), Some(28), "{}", stderr(&timed_out));
    assert!(stderr(&timed_out).starts_with("fetch: (28) "), "{}", stderr(&timed_out));
}

#[test]
fn untrusted_certificate_exits_60_and_a_failed_handshake_35() {
    // A TLS server whose CA the client does not trust.
    let ca = TestCa::new("corio fetch test CA");
    let config = Arc::new(ca.issue(&["localhost", "127.0.0.1"]).server_config());
    let tls = TestServer::start(move |conn| {
        let mut session = rustls::ServerConnection::new(Arc::clone(&config)).unwrap();
        let mut stream = conn.stream;
        while session.is_handshaking() {
            if session.complete_io(&mut stream).is_err() {
                return;
            }
        }
    });
    let untrusted = fetch(&[&format!("https://localhost:{}/", tls.addr.port())]);
    assert_eq!(untrusted.status.code(), Some(60), "{}", stderr(&untrusted));
    assert!(stderr(&untrusted).starts_with("fetch: (60) TLS error"), "{}", stderr(&untrusted));

    // A plain HTTP server that answers whatever it gets with a 400 and
    // closes: the TLS client reads no handshake at all.
    let plain = TestServer::start(|mut conn| conn.send(&response("400 Bad Request", &[], b"")));
    let garbled = fetch(&[&format!("https://127.0.0.1:{}/", plain.addr.port())]);
    assert_eq!(garbled.status.code(), Some(35), "{}", stderr(&garbled));
}

#[test]
fn insecure_is_not_offered_and_says_what_to_do_instead() {
    let output = fetch(&["-k", "https://127.0.0.1:1/"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("--cacert"), "{}", stderr(&output));
}

#[test]
#[cfg_attr(miri, ignore)]
fn a_closed_stdout_ends_quietly_without_a_panic() {
    // Eight megabytes, far more than a pipe holds.
    let body = vec![b'x'; 8 << 20];
    let server = TestServer::always(response("200 OK", &[], &body));
    let mut child = Command::new(common::examples::example_binary("fetch"))
        .arg(server.url("/"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read a little, then close the pipe, as `| head -c 10` does.
    let mut pipe = child.stdout.take().unwrap();
    let mut start = [0u8; 10];
    pipe.read_exact(&mut start).unwrap();
    drop(pipe);
    let output = child.wait_with_output().unwrap();
    assert_eq!(&start, b"xxxxxxxxxx");
    assert_eq!(stderr(&output), "", "nothing to say when the reader is gone");
    assert_eq!(output.status.code(), Some(23));
}

#[test]
fn credentials_do_not_follow_a_redirect_to_another_origin() {
    let other = site();
    let location = format!("Location: {}", other.url("/page"));
    let redirecting = TestServer::always(response("302 Found", &[&location], b""));
    let output = fetch(&["-L", "-u", "alice:secret", &redirecting.url("/")]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(stdout(&output), "hello\n");
    assert_eq!(redirecting.received()[0].header("authorization"), Some("Basic YWxpY2U6c2VjcmV0"));
    assert_eq!(other.received()[0].header("authorization"), None, "the other origin never sees the password");
}
