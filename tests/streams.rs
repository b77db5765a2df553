//! asyncio's streams on corio, over 127.0.0.1: `readline` at the end of the
//! stream, `readuntil`'s limit, `readexactly` and `read(n)`, `drain` against
//! a peer that does not read, and a server's `wait_closed`.
//!
//! Each scenario is the twin of one in `tests/twins/streams.py`, run on
//! CPython 3.13 (`PYENV_VERSION=3.13.0 python3 tests/twins/streams.py`); the
//! expected logs below are that program's output, line for line. The logs
//! record results and their order, not loop iterations: asyncio's reader is
//! fed by a transport callback an iteration before the reading task runs,
//! corio's reader reads in the task itself (DESIGN.md, "Streams, datagrams
//! and pipes").
//!
//! Each test body runs on its own thread under a time limit, so a lost
//! wakeup fails the test instead of hanging the test binary.

mod common;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use common::within;
use corio::net::{Server, StreamError, StreamReader, StreamSocket, StreamWriter, open_connection, start_server};
use corio::sync::Event;

/// Python's `repr` of a bytes object, for the ASCII these tests send.
fn repr(bytes: &[u8]) -> String {
    let mut out = String::from("b'");
    for &byte in bytes {
        match byte {
            b'\n' => out.push_str("\\n"),
            b'\'' => out.push_str("\\'"),
            b'\\' => out.push_str("\\\\"),
            0x20..=0x7e => out.push(byte as char),
            _ => out.push_str(&format!("\\x{byte:02x}")),
        }
    }
    out.push('\'');
    out
}

/// Python's `str` of a bool.
fn py(flag: bool) -> &'static str {
    if flag { "True" } else { "False" }
}

/// How the twins log an error from `readuntil`/`readline`/`readexactly`.
fn describe(error: &StreamError) -> String {
    match error {
        StreamError::LimitOverrun { consumed, .. } => format!("overrun consumed={consumed} '{error}'"),
        StreamError::IncompleteRead { partial, expected } => {
            let expected = expected.map_or("None".to_owned(), |n| n.to_string());
            format!("incomplete partial={} expected={expected}", repr(partial))
        }
        other => format!("unexpected {other}"),
    }
}

/// A server that sends `payload` to each client, then closes; and its port.
async fn serve_bytes(payload: &'static [u8]) -> (Server, u16) {
    let server = start_server(
        move |_reader, writer: StreamWriter| async move {
            writer.write(payload).unwrap();
            writer.drain().await.unwrap();
            writer.close();
            writer.wait_closed().await.unwrap();
        },
        "127.0.0.1",
        0,
    )
    .await
    .unwrap();
    let port = server.sockets()[0].tcp().unwrap().port();
    (server, port)
}

/// Runs `scenario` on a fresh loop under a time limit and returns its log.
fn run_twin<F, Fut>(scenario: F) -> Vec<String>
where
    F: FnOnce(Rc<RefCell<Vec<String>>>) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + 'static,
{
    let (sender, receiver) = std::sync::mpsc::channel();
    within(Duration::from_secs(30), move || {
        let log = Rc::new(RefCell::new(Vec::new()));
        corio::run(scenario(log.clone()));
        sender.send(log.take()).unwrap();
    });
    receiver.recv().unwrap()
}

/// Lets bytes a peer has written reach this side's socket.
async fn settle() {
    corio::sleep(Duration::from_millis(50)).await;
}

#[test]
fn readline_returns_the_unterminated_rest_at_the_end_of_the_stream_then_nothing() {
    let log = run_twin(|log| async move {
        let (server, port) = serve_bytes(b"one\ntwo").await;
        let (mut reader, writer) = open_connection("127.0.0.1", port).await.unwrap();
        match writer.socket() {
            StreamSocket::Tcp(stream) => assert!(stream.nodelay().unwrap(), "TCP_NODELAY, as asyncio sets it"),
            other => panic!("{other:?}"),
        }
        for _ in 0..3 {
            let line = reader.readline().await.unwrap();
            log.borrow_mut().push(format!("readline {}", repr(&line)));
        }
        log.borrow_mut().push(format!("at_eof {}", py(reader.at_eof())));
        writer.close();
        server.close();
    });
    assert_eq!(log, ["readline b'one\\n'", "readline b'two'", "readline b''", "at_eof True"]);
}

#[test]
fn readuntil_reports_an_overrun_and_keeps_the_data_then_an_incomplete_read_at_the_end() {
    let log = run_twin(|log| async move {
        let (server, port) = serve_bytes(b"0123456789;abcdefghijkl").await;
        let (mut reader, writer) = open_connection("127.0.0.1", port).await.unwrap();
        reader.set_limit(8);
        settle().await;
        let push = |line: String| log.borrow_mut().push(line);
        push(describe(&reader.readuntil(b";").await.unwrap_err()));
        push(format!("readexactly {}", repr(&reader.readexactly(11).await.unwrap())));
        push(describe(&reader.readuntil(b";").await.unwrap_err()));
        push(describe(&reader.readuntil(b"!!").await.unwrap_err()));
        push(format!("read {}", repr(&reader.read(100).await.unwrap())));
        push(describe(&reader.readuntil(b";").await.unwrap_err()));
        writer.close();
        server.close();
    });
    assert_eq!(
        log,
        [
            "overrun consumed=10 'separator is found, but chunk is longer than limit'",
            "readexactly b'0123456789;'",
            "overrun consumed=12 'separator is not found, and chunk exceed the limit'",
            "overrun consumed=11 'separator is not found, and chunk exceed the limit'",
            "read b'abcdefghijkl'",
            "incomplete partial=b'' expected=None",
        ]
    );
}

#[test]
fn readline_drops_an_overlong_line_and_goes_on_with_the_next() {
    let log = run_twin(|log| async move {
        let (server, port) = serve_bytes(b"0123456789\nrest\nabcdefghijkl").await;
        let (mut reader, writer) = open_connection("127.0.0.1", port).await.unwrap();
        reader.set_limit(8);
        settle().await;
        for _ in 0..4 {
            let line = match reader.readline().await {
                Ok(line) => format!("readline {}", repr(&line)),
                Err(error @ StreamError::LimitOverrun { .. }) => format!("readline error '{error}'"),
                Err(other) => panic!("{other}"),
            };
            log.borrow_mut().push(line);
        }
        log.borrow_mut().push(format!("at_eof {}", py(reader.at_eof())));
        writer.close();
        server.close();
    });
    assert_eq!(
        log,
        [
            "readline error 'separator is found, but chunk is longer than limit'",
            "readline b'rest\\n'",
            "readline error 'separator is not found, and chunk exceed the limit'",
            "readline b''",
            "at_eof True",
        ]
    );
}

#[test]
fn readexactly_hands_back_the_partial_bytes_when_the_stream_ends_short() {
    let log = run_twin(|log| async move {
        let (server, port) = serve_bytes(b"abcdefgh").await;
        let (mut reader, writer) = open_connection("127.0.0.1", port).await.unwrap();
        settle().await;
        let push = |line: String| log.borrow_mut().push(line);
        push(format!("read {}", repr(&reader.read(2).await.unwrap())));
        push(format!("readexactly {}", repr(&reader.readexactly(3).await.unwrap())));
        push(format!("read0 {}", repr(&reader.read(0).await.unwrap())));
        push(describe(&reader.readexactly(5).await.unwrap_err()));
        push(format!("read {}", repr(&reader.read(100).await.unwrap())));
        push(format!("at_eof {}", py(reader.at_eof())));
        writer.close();
        server.close();
    });
    assert_eq!(
        log,
        [
            "read b'ab'",
            "readexactly b'cde'",
            "read0 b''",
            "incomplete partial=b'fgh' expected=5",
            "read b''",
            "at_eof True",
        ]
    );
}

#[test]
fn drain_waits_until_a_slow_peer_has_taken_the_buffer_down_to_the_low_water_mark() {
    const PAYLOAD: usize = 32 << 20;
    let log = run_twin(|log| async move {
        let go = Rc::new(Event::new());
        let received = Rc::new(RefCell::new(Vec::new()));
        let server = start_server(
            {
                let (go, received) = (go.clone(), received.clone());
                move |mut reader: StreamReader, writer: StreamWriter| {
                    let (go, received) = (go.clone(), received.clone());
                    async move {
                        go.wait().await;
                        let all = reader.read_to_end().await.unwrap();
                        received.borrow_mut().push(all.len());
                        writer.close();
                    }
                }
            },
            "127.0.0.1",
            0,
        )
        .await
        .unwrap();
        let port = server.sockets()[0].tcp().unwrap().port();
        let (mut reader, writer) = open_connection("127.0.0.1", port).await.unwrap();
        let writer = Rc::new(writer);
        writer.write(&vec![b'x'; PAYLOAD]).unwrap();
        let push = |line: String| log.borrow_mut().push(line);
        push(format!("buffered above high water {}", py(writer.get_write_buffer_size() > 65536)));
        let drain = corio::create_task({
            let writer = writer.clone();
            async move { writer.drain().await }
        });
        corio::sleep(Duration::from_millis(100)).await;
        push(format!("drain done before the peer reads {}", py(drain.done())));
        go.set();
        drain.await.unwrap().unwrap();
        push(format!("drained, buffered at most low water {}", py(writer.get_write_buffer_size() <= 16384)));
        writer.write_eof().unwrap();
        if let Err(StreamError::Closing) = writer.write(b"more") {
            push("write after write_eof refused".to_owned());
        }
        reader.read_to_end().await.unwrap();
        push(format!("peer received {}", received.borrow()[0]));
        writer.close();
        if let Err(error @ StreamError::ConnectionLost) = writer.drain().await {
            push(format!("drain after close: {error}"));
        }
        writer.wait_closed().await.unwrap();
        push("wait_closed returned".to_owned());
        server.close();
        server.wait_closed().await;
    });
    assert_eq!(
        log,
        [
            "buffered above high water True",
            "drain done before the peer reads False",
            "drained, buffered at most low water True",
            "write after write_eof refused",
            "peer received 33554432",
            "drain after close: connection lost",
            "wait_closed returned",
        ]
    );
}

#[test]
fn a_closed_server_refuses_new_connections_and_wait_closed_waits_for_the_open_ones() {
    let log = run_twin(|log| async move {
        let server = start_server(
            {
                let log = log.clone();
                move |mut reader: StreamReader, writer: StreamWriter| {
                    let log = log.clone();
                    async move {
                        let line = reader.readline().await.unwrap();
                        writer.write(&line.to_ascii_uppercase()).unwrap();
                        writer.drain().await.unwrap();
                        log.borrow_mut().push(format!("server handled {}", repr(&line)));
                        reader.read_to_end().await.unwrap();
                        writer.close();
                        log.borrow_mut().push("server closed its side".to_owned());
                    }
                }
            },
            "127.0.0.1",
            0,
        )
        .await
        .unwrap();
        let server = Rc::new(server);
        let port = server.sockets()[0].tcp().unwrap().port();
        let (mut reader, writer) = open_connection("127.0.0.1", port).await.unwrap();
        writer.write(b"hello\n").unwrap();
        let reply = reader.readline().await.unwrap();
        log.borrow_mut().push(format!("client got {}", repr(&reply)));
        server.close();
        log.borrow_mut().push(format!("is_serving {}", py(server.is_serving())));
        if let Err(error) = open_connection("127.0.0.1", port).await {
            assert_eq!(error.kind(), std::io::ErrorKind::ConnectionRefused);
            log.borrow_mut().push("new connection refused".to_owned());
        }
        let closed = corio::create_task({
            let server = server.clone();
            async move { server.wait_closed().await }
        });
        settle().await;
        log.borrow_mut().push(format!("wait_closed done while a client is connected {}", py(closed.done())));
        writer.close();
        closed.await.unwrap();
        log.borrow_mut().push("wait_closed returned".to_owned());
    });
    assert_eq!(
        log,
        [
            "server handled b'hello\\n'",
            "client got b'HELLO\\n'",
            "is_serving False",
            "new connection refused",
            "wait_closed done while a client is connected False",
            "server closed its side",
            "wait_closed returned",
        ]
    );
}

#[test]
fn a_timed_out_readline_keeps_its_bytes_for_the_next_call() {
    let log = run_twin(|log| async move {
        let go = Rc::new(Event::new());
        let server = start_server(
            {
                let go = go.clone();
                move |_reader, writer: StreamWriter| {
                    let go = go.clone();
                    async move {
                        writer.write(b"abc").unwrap();
                        writer.drain().await.unwrap();
                        go.wait().await;
                        writer.write(b"def\n").unwrap();
                        writer.drain().await.unwrap();
                        writer.close();
                    }
                }
            },
            "127.0.0.1",
            0,
        )
        .await
        .unwrap();
        let port = server.sockets()[0].tcp().unwrap().port();
        let (mut reader, writer) = open_connection("127.0.0.1", port).await.unwrap();
        if corio::wait_for(reader.readline(), Duration::from_millis(50)).await.is_err() {
            log.borrow_mut().push("readline timed out".to_owned());
        }
        go.set();
        let line = reader.readline().await.unwrap();
        log.borrow_mut().push(format!("readline {}", repr(&line)));
        writer.close();
        server.close();
    });
    assert_eq!(log, ["readline timed out", "readline b'abcdef\\n'"]);
}

#[test]
fn bytes_written_without_drain_still_go_out_before_the_close() {
    const PAYLOAD: usize = 16 << 20;
    let log = run_twin(|log| async move {
        let received = Rc::new(RefCell::new(None));
        let server = start_server(
            {
                let received = received.clone();
                move |mut reader: StreamReader, writer: StreamWriter| {
                    let received = received.clone();
                    async move {
                        let all = reader.read_to_end().await.unwrap();
                        *received.borrow_mut() = Some(all.len());
                        writer.close();
                    }
                }
            },
            "127.0.0.1",
            0,
        )
        .await
        .unwrap();
        let port = server.sockets()[0].tcp().unwrap().port();
        let (_reader, writer) = open_connection("127.0.0.1", port).await.unwrap();
        writer.write(&vec![b'y'; PAYLOAD]).unwrap();
        writer.close();
        log.borrow_mut().push(format!("closing, buffered {}", py(writer.get_write_buffer_size() > 0)));
        writer.wait_closed().await.unwrap();
        log.borrow_mut().push(format!("closed, buffered {}", writer.get_write_buffer_size()));
        server.close();
        server.wait_closed().await;
        log.borrow_mut().push(format!("peer received {}", received.borrow().unwrap()));
    });
    assert_eq!(log, ["closing, buffered True", "closed, buffered 0", "peer received 16777216"]);
}

#[test]
fn a_peer_that_goes_away_fails_drain_and_wait_closed() {
    let log = run_twin(|log| async move {
        // The callback drops both halves at once: the connection closes
        // with whatever the client sends still unread, so the client's
        // kernel hears a reset.
        let server = start_server(|_reader, _writer| async {}, "127.0.0.1", 0).await.unwrap();
        let port = server.sockets()[0].tcp().unwrap().port();
        let (_reader, writer) = open_connection("127.0.0.1", port).await.unwrap();
        settle().await;
        let mut outcome = "drain kept succeeding".to_owned();
        for _ in 0..100 {
            let sent = match writer.write(&vec![b'z'; 1 << 20]) {
                Ok(()) => writer.drain().await,
                Err(error) => Err(error),
            };
            if let Err(StreamError::Io(error)) = sent {
                use std::io::ErrorKind::{BrokenPipe, ConnectionReset};
                assert!(matches!(error.kind(), BrokenPipe | ConnectionReset), "{error}");
                outcome = "drain failed: connection reset or broken pipe".to_owned();
                break;
            }
        }
        log.borrow_mut().push(outcome);
        match writer.wait_closed().await {
            Ok(()) => log.borrow_mut().push("wait_closed returned".to_owned()),
            Err(StreamError::Io(_)) => log.borrow_mut().push("wait_closed failed too".to_owned()),
            Err(other) => panic!("{other}"),
        }
        server.close();
    });
    assert_eq!(log, ["drain failed: connection reset or broken pipe", "wait_closed failed too"]);
}

#[test]
fn the_default_limit_takes_a_64_kib_line_and_refuses_a_longer_one() {
    static PAYLOAD: std::sync::LazyLock<Vec<u8>> = std::sync::LazyLock::new(|| {
        let mut payload = vec![b'a'; 65536];
        payload.push(b'\n');
        payload.extend(std::iter::repeat_n(b'b', 70000));
        payload.push(b'\n');
        payload
    });
    let log = run_twin(|log| async move {
        let (server, port) = serve_bytes(&PAYLOAD).await;
        let (mut reader, writer) = open_connection("127.0.0.1", port).await.unwrap();
        assert_eq!(reader.limit(), corio::net::DEFAULT_LIMIT);
        settle().await;
        let first = reader.readline().await.unwrap();
        log.borrow_mut().push(format!("first line {}", first.len()));
        if let Err(error @ StreamError::LimitOverrun { .. }) = reader.readline().await {
            log.borrow_mut().push(format!("second line: {error}"));
        }
        let then = reader.readline().await.unwrap();
        log.borrow_mut().push(format!("then {}", repr(&then)));
        writer.close();
        server.close();
    });
    assert_eq!(
        log,
        ["first line 65537", "second line: separator is found, but chunk is longer than limit", "then b''"]
    );
}

#[test]
fn serve_forever_returns_when_the_server_is_closed_and_closes_it_when_cancelled() {
    within(Duration::from_secs(20), || {
        corio::run(async {
            let idle = |_reader, _writer| async {};
            // Closed by another task: serve_forever returns.
            let server = Rc::new(start_server(idle, "127.0.0.1", 0).await.unwrap());
            let serving = corio::create_task({
                let server = server.clone();
                async move { server.serve_forever().await }
            });
            settle().await;
            assert!(!serving.done());
            server.close();
            serving.await.unwrap();
            // Cancelled: the server closes, as asyncio's does.
            let server = Rc::new(start_server(idle, "127.0.0.1", 0).await.unwrap());
            let serving = corio::create_task({
                let server = server.clone();
                async move { server.serve_forever().await }
            });
            settle().await;
            assert!(server.is_serving());
            serving.cancel();
            assert!(serving.await.unwrap_err().is_cancelled());
            assert!(!server.is_serving());
            server.wait_closed().await;
        });
    });
}
