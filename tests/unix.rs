//! Unix-domain stream sockets on the loop, each test in its own temporary
//! directory: an echo over `UnixListener`/`UnixStream` with a half-close,
//! socket pairs, connect errors, and asyncio's `start_unix_server` /
//! `open_unix_connection`, including 3.13's handling of the socket file
//! (a stale one is replaced, the server removes its own on close, any other
//! file is left alone and makes the bind fail). The file rules were checked
//! against CPython 3.13 with the program in `tests/twins/unix.py`.
//!
//! Each test body runs on its own thread under a time limit, so a lost
//! readiness wakeup fails the test instead of hanging the test binary.

mod common;

use std::io;
use std::net::Shutdown;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::Duration;

use common::within;
use corio::net::{ListenAddr, StreamReader, StreamWriter, UnixListener, UnixStream};

/// A fresh directory for one test's sockets, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(test: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("corio-unix-{}-{test}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A server callback that answers one line with it in upper case.
async fn shout(mut reader: StreamReader, writer: StreamWriter) {
    if let Ok(line) = reader.readline().await {
        let _ = writer.write(&line.to_ascii_uppercase());
        let _ = writer.drain().await;
    }
    writer.close();
}

/// Sends `line` to the server at `path` and returns its answer.
async fn ask(path: &Path, line: &[u8]) -> Vec<u8> {
    let (mut reader, writer) = corio::net::open_unix_connection(path).await.unwrap();
    writer.write(line).unwrap();
    let answer = reader.readline().await.unwrap();
    writer.close();
    answer
}

#[test]
fn an_echo_over_a_unix_socket_sees_the_half_close_and_reads_to_the_end() {
    let dir = TempDir::new("echo");
    let path = dir.join("echo.sock");
    within(Duration::from_secs(20), move || {
        corio::run(async move {
            let listener = UnixListener::bind(&path).unwrap();
            let server = corio::create_task(async move {
                let (stream, _) = listener.accept().await.unwrap();
                let mut buf = vec![0u8; 4096];
                let mut echoed = 0;
                loop {
                    let n = stream.read(&mut buf).await.unwrap();
                    if n == 0 {
                        return echoed;
                    }
                    stream.write_all(&buf[..n]).await.unwrap();
                    echoed += n;
                }
            });
            // One task writes while another reads: an echo of more than the
            // socket buffers hold needs both at once.
            let client = Rc::new(UnixStream::connect(&path).await.unwrap());
            let message = vec![7u8; 1 << 20];
            let writer = corio::create_task({
                let (client, message) = (client.clone(), message.clone());
                async move {
                    client.write_all(&message).await.unwrap();
                    client.shutdown(Shutdown::Write).unwrap();
                }
            });
            let mut reply = Vec::new();
            let mut buf = vec![0u8; 8192];
            loop {
                match client.read(&mut buf).await.unwrap() {
                    0 => break,
                    n => reply.extend_from_slice(&buf[..n]),
                }
            }
            writer.await.unwrap();
            assert_eq!(reply, message);
            assert_eq!(server.await.unwrap(), 1 << 20);
        });
    });
}

#[test]
fn a_socket_pair_is_connected_both_ways() {
    within(Duration::from_secs(20), || {
        corio::run(async {
            let (a, b) = UnixStream::pair().unwrap();
            a.write_all(b"ping").await.unwrap();
            let mut buf = [0u8; 8];
            let n = b.read(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], b"ping");
            b.write_all(b"pong").await.unwrap();
            let n = a.read(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], b"pong");
            drop(b);
            assert_eq!(a.read(&mut buf).await.unwrap(), 0, "the peer's close reads as the end of the stream");
        });
    });
}

#[test]
fn connecting_to_a_missing_path_or_to_a_socket_nobody_listens_on_fails() {
    let dir = TempDir::new("refused");
    let (missing, dead) = (dir.join("missing.sock"), dir.join("dead.sock"));
    within(Duration::from_secs(20), move || {
        corio::run(async move {
            let error = UnixStream::connect(&missing).await.unwrap_err();
            assert_eq!(error.kind(), io::ErrorKind::NotFound);
            drop(std::os::unix::net::UnixListener::bind(&dead).unwrap());
            let error = UnixStream::connect(&dead).await.unwrap_err();
            assert_eq!(error.kind(), io::ErrorKind::ConnectionRefused);
        });
    });
}

#[test]
fn a_unix_server_answers_each_client_and_reports_its_path() {
    let dir = TempDir::new("server");
    let path = dir.join("server.sock");
    within(Duration::from_secs(20), move || {
        corio::run(async move {
            let server = corio::net::start_unix_server(shout, &path).await.unwrap();
            assert_eq!(server.sockets(), [ListenAddr::Unix(path.clone())]);
            let (one, two) = (path.clone(), path.clone());
            let answers = corio::gather(vec![
                Box::pin(async move { ask(&one, b"one\n").await }) as std::pin::Pin<Box<dyn Future<Output = Vec<u8>>>>,
                Box::pin(async move { ask(&two, b"two\n").await }),
            ])
            .await
            .unwrap();
            assert_eq!(answers, [b"ONE\n".to_vec(), b"TWO\n".to_vec()]);
            server.close();
            server.wait_closed().await;
        });
    });
}

#[test]
fn a_unix_server_replaces_a_stale_socket_file_and_removes_its_own_on_close() {
    let dir = TempDir::new("cleanup");
    let path = dir.join("server.sock");
    drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
    assert!(path.exists(), "the stale socket file is there");
    within(Duration::from_secs(20), move || {
        corio::run(async move {
            let server = corio::net::start_unix_server(shout, &path).await.unwrap();
            assert_eq!(ask(&path, b"hi\n").await, b"HI\n");
            server.close();
            assert!(!path.exists(), "close removed the socket file");
            server.wait_closed().await;
        });
    });
}

#[test]
fn a_unix_server_does_not_replace_a_file_that_is_not_a_socket() {
    let dir = TempDir::new("regular");
    let path = dir.join("not-a-socket");
    std::fs::write(&path, b"keep me").unwrap();
    within(Duration::from_secs(20), move || {
        corio::run(async move {
            let error = corio::net::start_unix_server(shout, &path).await.unwrap_err();
            assert_eq!(error.kind(), io::ErrorKind::AddrInUse);
            assert_eq!(std::fs::read(&path).unwrap(), b"keep me");
        });
    });
}

#[test]
fn a_listener_bound_directly_leaves_its_file_and_a_second_bind_is_refused() {
    let dir = TempDir::new("plain");
    let path = dir.join("plain.sock");
    within(Duration::from_secs(20), move || {
        corio::run(async move {
            let listener = UnixListener::bind(&path).unwrap();
            let error = UnixListener::bind(&path).unwrap_err();
            assert_eq!(error.kind(), io::ErrorKind::AddrInUse);
            drop(listener);
            assert!(path.exists(), "UnixListener, like std's, does not remove its file");
        });
    });
}
