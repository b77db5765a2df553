//! Responses that arrive when the client does not expect them, tested
//! against scripted servers on 127.0.0.1: an early final answer (413 while
//! a body of several megabytes is still being sent) is returned, not lost to
//! the reset that follows, and its connection is not reused; an interim
//! `100 Continue` during the body does not stop it; bytes after a bodiless
//! response (HEAD, 204, 304) are never read as the next request's answer.
//!
//! Every test runs on the real clock (`corio::run`): the sockets are real,
//! and what matters is how the kernel's buffers fill and drain.

mod common;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::thread;
use std::time::Duration;

use common::http::{Conn, TestServer, read_head};
use corio::http::{BodyStream, Session};

/// How long any one test may take before it counts as hung.
const LIMIT: Duration = Duration::from_secs(20);

/// A request body far larger than the kernel's socket buffers on both
/// sides together, so writing it blocks until the server reads.
const LARGE: usize = 8 * 1024 * 1024;

/// The early answer the servers below give.
const TOO_LARGE: &[u8] = b"HTTP/1.1 413 Payload Too Large\r\nContent-Length: 9\r\nConnection: close\r\n\r\ntoo large";

/// Runs `test` on a real-clock loop of its own, failing if it hangs.
fn run<F: Future<Output = ()> + 'static>(test: impl FnOnce() -> F + Send + 'static) {
    common::within(LIMIT, move || corio::run(test()));
}

/// Reads and throws away what the client sends until it closes or resets;
/// returns how many bytes that was.
fn drain(stream: &mut TcpStream) -> usize {
    let mut total = 0;
    let mut buffer = vec![0u8; 64 * 1024];
    while let Ok(n @ 1..) = stream.read(&mut buffer) {
        total += n;
    }
    total
}

/// How a server that answers early ends the connection.
#[derive(Clone, Copy, Debug)]
enum Ending {
    /// `close()` with the client's body unread in its receive buffer: the
    /// kernel answers with a reset (RFC 2525 2.17), as a server that
    /// refuses a body and closes at once does.
    CloseUnread,
    /// The same, closing right after the answer: the reset follows it at
    /// once, before the client has read it (it waits in the client's
    /// receive buffer, which Linux keeps through a reset).
    ResetAtOnce,
    /// Sends its answer, shuts down its sending side and keeps reading
    /// until the client closes (nginx's "lingering close").
    LingerAndDrain,
    /// Keeps the connection open and reads the whole body it refused,
    /// leaving it to the client to stop.
    KeepReading,
}

/// A server that answers the first request on each connection with a 413
/// as soon as it has read the head, then ends as `ending` says. The
/// second request on a connection would be answered 200 `again`.
fn early_answer(ending: Ending) -> TestServer {
    TestServer::start(move |conn: Conn| {
        let mut stream = conn.stream;
        let Some(head) = read_head(&mut stream) else { return };
        if !head.starts_with("POST") {
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nagain");
            return;
        }
        // Nagle's algorithm could hold the answer back until the close,
        // which discards what is still unsent: out it goes at once.
        let _ = stream.set_nodelay(true);
        let _ = stream.write_all(TOO_LARGE);
        match ending {
            Ending::CloseUnread => {
                // Wait until some body is in the receive buffer, so that
                // closing really resets.
                thread::sleep(Duration::from_millis(50));
                drop(stream);
            }
            Ending::ResetAtOnce => drop(stream),
            Ending::LingerAndDrain => {
                let _ = stream.shutdown(Shutdown::Write);
                drain(&mut stream);
            }
            Ending::KeepReading => {
                drain(&mut stream);
            }
        }
    })
}

#[test]
fn an_early_413_while_a_large_body_is_sent_is_returned_however_the_server_ends() {
    for ending in [Ending::CloseUnread, Ending::ResetAtOnce, Ending::LingerAndDrain, Ending::KeepReading] {
        run(move || async move {
            let server = early_answer(ending);
            let session = Session::new();
            let response = session.post(server.url("/upload")).body(vec![b'x'; LARGE]).await;
            let response = response.unwrap_or_else(|error| panic!("{ending:?}: the answer was lost: {error:?}"));
            assert_eq!(response.status(), 413, "{ending:?}");
            assert_eq!(response.text().await.unwrap(), "too large", "{ending:?}");
            // The body was cut short, so the connection cannot carry
            // another request: the next one gets a new connection.
            assert_eq!(session.idle_connections(), 0, "{ending:?}");
            let again = session.get(server.url("/again")).await.unwrap();
            assert_eq!(again.text().await.unwrap(), "again", "{ending:?}");
            assert_eq!(server.connections(), 2, "{ending:?}");
        });
    }
}

#[test]
fn an_early_413_while_a_streamed_body_is_sent_is_returned() {
    run(|| async {
        let server = early_answer(Ending::CloseUnread);
        // 64 chunks of 256 KiB, with a loop iteration between them.
        let mut left = 64;
        let stream = BodyStream::new(move || {
            left -= 1;
            let chunk = (left >= 0).then(|| Ok(vec![b'y'; 256 * 1024]));
            async move {
                corio::sleep(Duration::ZERO).await;
                chunk
            }
        });
        let response = Session::new().post(server.url("/upload")).body_stream(stream).await.unwrap();
        assert_eq!(response.status(), 413);
        assert_eq!(response.text().await.unwrap(), "too large");
    });
}

#[test]
fn a_100_continue_while_the_body_is_sent_does_not_stop_it() {
    run(|| async {
        let server = TestServer::start(|conn: Conn| {
            let mut stream = conn.stream;
            let Some(head) = read_head(&mut stream) else { return };
            let length: usize = head
                .lines()
                .find_map(|line| line.strip_prefix("Content-Length: "))
                .and_then(|value| value.trim().parse().ok())
                .unwrap_or(0);
            // An interim answer, then the whole body read before the final one.
            let _ = stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n");
            let mut body = vec![0u8; length];
            if stream.read_exact(&mut body).is_err() {
                return;
            }
            let all_x = body.iter().all(|&byte| byte == b'x');
            let text = format!("got {length} bytes, all x: {all_x}");
            let _ =
                stream.write_all(format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{text}", text.len()).as_bytes());
            // Keep the connection open until the client is done with it.
            drain(&mut stream);
        });
        let session = Session::new();
        let response = session.post(server.url("/upload")).body(vec![b'x'; LARGE]).await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.text().await.unwrap(), format!("got {LARGE} bytes, all x: true"));
        // Nothing was cut short: the connection is kept for reuse.
        assert_eq!(session.idle_connections(), 1);
    });
}

/// A keep-alive server whose answer to the first request (`first`) is
/// followed by `stray` bytes: in the same write with no `pause`, else in
/// one of their own after it. Every later request, on any connection, gets
/// a 200 `real N` (N its connection's index).
fn with_stray_bytes(first: &'static [u8], stray: &'static [u8], pause: Duration) -> TestServer {
    TestServer::start(move |mut conn: Conn| {
        let mut answered = 0;
        while conn.read_request().is_some() {
            if conn.index == 0 && answered == 0 {
                if pause.is_zero() {
                    conn.send(&[first, stray].concat());
                } else {
                    conn.send(first);
                    thread::sleep(pause);
                    conn.send(stray);
                }
            } else {
                let body = format!("real {}", conn.index);
                conn.send(format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{body}", body.len()).as_bytes());
            }
            answered += 1;
        }
    })
}

/// What a server could try to slip in as the next request's answer.
const STRAY: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nstray";

#[test]
fn bytes_after_a_bodiless_answer_are_never_the_next_requests_response() {
    let cases: [(&str, &[u8]); 3] = [
        ("HEAD", b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"),
        ("GET", b"HTTP/1.1 204 No Content\r\n\r\n"),
        ("GET", b"HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n"),
    ];
    // Stray bytes in the same packet as the head, and in one of their own
    // that arrives while the connection is idle.
    for pause in [Duration::ZERO, Duration::from_millis(50)] {
        for (method, first) in cases {
            run(move || async move {
                let server = with_stray_bytes(first, STRAY, pause);
                let session = Session::new();
                let response = session.request(method, server.url("/first")).await.unwrap();
                // Stray bytes that came with the head never make the
                // connection idle (where it would take a pool slot, and
                // could push out a good connection).
                let idle = if pause.is_zero() { 0 } else { 1 };
                assert_eq!(session.idle_connections(), idle, "{method} {pause:?}");
                assert_eq!(response.text().await.unwrap(), "");
                corio::sleep(pause * 2).await;
                let second = session.get(server.url("/second")).await.unwrap();
                let case = format!("{method} answered {:?}, stray after {pause:?}", String::from_utf8_lossy(first));
                assert_eq!(second.text().await.unwrap(), "real 1", "{case}");
                assert_eq!(server.connections(), 2, "{case}");
            });
        }
    }
}

#[test]
fn an_idle_connection_is_checked_even_when_the_task_has_spent_its_io_budget() {
    run(|| async {
        let server = with_stray_bytes(b"HTTP/1.1 204 No Content\r\n\r\n", STRAY, Duration::from_millis(20));
        let session = Session::new();
        session.get(server.url("/first")).await.unwrap();
        // The stray bytes arrive while the connection is idle.
        corio::sleep(Duration::from_millis(100)).await;
        // Spend the step's whole I/O budget on datagrams that go out at
        // once. A look at the idle socket through the budgeted read would
        // be skipped then, and the connection would seem clean. The first
        // round counts how many sends one step allows (until a send has to
        // yield to the next iteration); the second spends that many in the
        // step that follows, the yielded send included.
        let socket = corio::net::UdpSocket::bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let sink = std::net::UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
        let lp = corio::get_running_loop();
        let step = lp.iteration();
        let mut per_step = 0;
        while socket.send_to(b".", sink).await.is_ok() && lp.iteration() == step {
            per_step += 1;
        }
        assert!(per_step > 1, "the sends yielded at once");
        for _ in 1..per_step {
            socket.send_to(b".", sink).await.unwrap();
        }
        assert_eq!(lp.iteration(), step + 1, "the second round fits in one step");
        let second = session.get(server.url("/second")).await.unwrap();
        assert_eq!(second.text().await.unwrap(), "real 1");
        assert_eq!(server.connections(), 2);
    });
}
