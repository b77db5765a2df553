//! `corio::redis` against a scripted fake server, for what a real one
//! never does: replies trickling in a byte at a time, RESP3's rarer types
//! (pushes, attributes, big numbers, verbatim strings), bulk strings at and
//! past the limit, nesting past the depth limit, a server that closes in
//! the middle of a reply, one that never greets, one that sends a reply
//! nobody asked for, and an old server without HELLO.
//!
//! Each fake is a std thread on a free loopback port that reads commands
//! (`common::redis::read_command`) and writes the bytes the test scripted.

mod common;

use std::io::{BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use corio::redis::{ConnectOptions, Connection, Error, Limits, TimeoutKind, Value, cmd};

use common::redis::read_command;
use common::within;

/// The limit on any one test here.
const LIMIT: Duration = Duration::from_secs(30);

/// The answer to `HELLO 3` of a RESP3 server (a one-entry map will do).
const HELLO_OK: &[u8] = b"%1\r\n+server\r\n+fake\r\n";

/// Starts a fake server that runs `script` on its first connection;
/// returns its URL and a receiver for every command it read.
fn fake(
    script: impl FnOnce(&mut dyn FnMut() -> Option<Vec<String>>, &mut TcpStream) + Send + 'static,
) -> (String, mpsc::Receiver<Vec<String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("redis://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let (seen, commands) = mpsc::channel();
    thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        stream.set_nodelay(true).unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut next = || {
            let command = read_command(&mut reader)?;
            let _ = seen.send(command.clone());
            Some(command)
        };
        script(&mut next, &mut stream);
    });
    (url, commands)
}

/// Runs the future `test` makes on a fresh loop, within the time limit.
fn run<F: std::future::Future<Output = ()> + 'static>(test: impl FnOnce() -> F + Send + 'static) {
    within(LIMIT, move || corio::run(test()));
}

#[test]
fn a_reply_written_one_byte_at_a_time_arrives_whole() {
    let reply: &[u8] = b"*3\r\n$5\r\nhello\r\n*2\r\n:-7\r\n$-1\r\n%1\r\n+k\r\n,2.5\r\n";
    let (url, commands) = fake(move |next, stream| {
        next();
        stream.write_all(HELLO_OK).unwrap();
        next();
        for byte in reply {
            stream.write_all(&[*byte]).unwrap();
            thread::sleep(Duration::from_millis(1));
        }
        next();
    });
    run(move || async move {
        let conn = Connection::open(&url).await.unwrap();
        assert!(conn.is_resp3());
        let value: Value = conn.query(&cmd("WHATEVER")).await.unwrap();
        assert_eq!(
            value,
            Value::Array(vec![
                Value::Bulk(b"hello".to_vec()),
                Value::Array(vec![Value::Int(-7), Value::Nil]),
                Value::Map(vec![(Value::Simple("k".into()), Value::Double(2.5))]),
            ])
        );
    });
    assert_eq!(commands.recv().unwrap(), ["HELLO", "3"]);
    assert_eq!(commands.recv().unwrap(), ["WHATEVER"]);
}

#[test]
fn resp3_pushes_are_set_aside_and_attributes_dropped() {
    let (url, _) = fake(|next, stream| {
        next();
        stream.write_all(HELLO_OK).unwrap();
        let replies: [&[u8]; 5] = [
            // A push before the reply answers no command.
            b">2\r\n+invalidate\r\n*1\r\n$3\r\nkey\r\n~2\r\n:1\r\n_\r\n",
            b"|1\r\n+ttl\r\n:9\r\n#t\r\n",
            b",-inf\r\n",
            b"(123456789012345678901234567890\r\n",
            b"=9\r\ntxt:hello\r\n",
        ];
        for reply in replies {
            next();
            stream.write_all(reply).unwrap();
        }
        next();
    });
    run(move || async move {
        let conn = Connection::open(&url).await.unwrap();
        let query = |name: &'static str| {
            let conn = conn.clone();
            async move { conn.query::<Value>(&cmd(name)).await.unwrap() }
        };
        assert_eq!(query("A").await, Value::Set(vec![Value::Int(1), Value::Nil]));
        assert_eq!(query("B").await, Value::Boolean(true));
        assert_eq!(query("C").await, Value::Double(f64::NEG_INFINITY));
        assert_eq!(query("D").await, Value::BigNumber("123456789012345678901234567890".into()));
        assert_eq!(query("E").await, Value::Verbatim { format: "txt".into(), text: b"hello".to_vec() });
    });
}

/// A server that answers `HELLO` and then one command with `reply`.
fn replying(reply: &'static [u8]) -> String {
    let (url, _) = fake(move |next, stream| {
        next();
        stream.write_all(HELLO_OK).unwrap();
        next();
        stream.write_all(reply).unwrap();
        // Keep the connection open until the client hangs up.
        while next().is_some() {}
    });
    url
}

#[test]
fn bulk_strings_at_the_limit_pass_and_past_it_lose_the_connection_for_every_caller() {
    let limits = Limits { max_bulk_len: 16, ..Limits::default() };
    let at = replying(b"$16\r\n0123456789abcdef\r\n");
    // Past it: only the header is sent; the client refuses it at once
    // rather than wait for (and buffer) a body.
    let past = replying(b"$17\r\n");
    run(move || async move {
        let conn = ConnectOptions::from_url(&at).unwrap().limits(limits).connect().await.unwrap();
        assert_eq!(conn.query::<String>(&cmd("GET")).await.unwrap(), "0123456789abcdef");

        let conn = ConnectOptions::from_url(&past).unwrap().limits(limits).connect().await.unwrap();
        let callers: Vec<_> = (0..3)
            .map(|_| {
                let conn = conn.clone();
                corio::create_task(async move { conn.query::<Value>(&cmd("GET")).await })
            })
            .collect();
        for caller in callers {
            let error = caller.await.unwrap().unwrap_err();
            assert_eq!(
                error.to_string(),
                "redis connection lost: redis protocol error: a bulk string of 17 bytes, over the limit of 16"
            );
        }
    });
}

#[test]
fn nesting_past_the_depth_limit_loses_the_connection() {
    let url = replying(b"*1\r\n*1\r\n*1\r\n:1\r\n");
    run(move || async move {
        let limits = Limits { max_depth: 2, ..Limits::default() };
        let conn = ConnectOptions::from_url(&url).unwrap().limits(limits).connect().await.unwrap();
        let error = conn.query::<Value>(&cmd("GET")).await.unwrap_err();
        assert_eq!(error.to_string(), "redis connection lost: redis protocol error: aggregates nested deeper than 2");
        assert!(error.is_connection_error());
    });
}

#[test]
fn the_server_closing_mid_reply_fails_every_waiting_caller() {
    let (url, _) = fake(|next, stream| {
        next();
        stream.write_all(HELLO_OK).unwrap();
        for _ in 0..3 {
            next();
        }
        stream.write_all(b"$10\r\nabc").unwrap();
        // Dropping the stream closes the connection.
    });
    run(move || async move {
        let conn = Connection::open(&url).await.unwrap();
        let callers: Vec<_> = (0..3)
            .map(|i| {
                let conn = conn.clone();
                corio::create_task(async move { conn.get::<String>(format!("k{i}")).await })
            })
            .collect();
        for caller in callers {
            let error = corio::timeout(Duration::from_secs(5), caller).await.expect("not hung").unwrap().unwrap_err();
            assert_eq!(
                error.to_string(),
                "redis connection lost: the server closed the connection in the middle of a reply"
            );
        }
        assert!(matches!(conn.ping().await.unwrap_err(), Error::ConnectionLost(_)));
    });
}

#[test]
fn a_server_that_never_greets_times_out_the_connect() {
    let (url, _) = fake(|next, _stream| {
        next();
        thread::sleep(Duration::from_secs(3));
    });
    run(move || async move {
        let started = std::time::Instant::now();
        let error = ConnectOptions::from_url(&url)
            .unwrap()
            .connect_timeout(Some(Duration::from_millis(200)))
            .connect()
            .await
            .unwrap_err();
        assert!(matches!(error, Error::Timeout(TimeoutKind::Connect)), "{error:?}");
        assert_eq!(error.to_string(), "timed out connecting to redis");
        assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
    });
}

#[test]
fn an_old_server_without_hello_gets_auth_and_select_on_resp2() {
    let (url, commands) = fake(|next, stream| {
        next();
        stream.write_all(b"-ERR unknown command 'HELLO'\r\n").unwrap();
        next();
        stream.write_all(b"+OK\r\n").unwrap();
        next();
        stream.write_all(b"+OK\r\n").unwrap();
        next();
        stream.write_all(b"+PONG\r\n").unwrap();
        next();
    });
    run(move || async move {
        let conn =
            Connection::open(&format!("{}/5", url.replace("redis://", "redis://crawler:p%40ss@"))).await.unwrap();
        assert!(!conn.is_resp3());
        assert_eq!(conn.ping().await.unwrap(), "PONG");
    });
    let seen: Vec<Vec<String>> = commands.iter().take(4).collect();
    assert_eq!(
        seen,
        [
            vec!["HELLO", "3", "AUTH", "crawler", "p@ss"],
            vec!["AUTH", "crawler", "p@ss"],
            vec!["SELECT", "5"],
            vec!["PING"],
        ]
    );
}

#[test]
fn a_reply_nobody_asked_for_loses_the_connection() {
    let (url, _) = fake(|next, stream| {
        next();
        // The greeting's answer and a stray reply in one write.
        stream.write_all(b"+OK\r\n+SURPRISE\r\n").unwrap();
        while next().is_some() {}
    });
    run(move || async move {
        let conn = Connection::open(&url).await.unwrap();
        // Let the reader task see the stray reply before we ask anything.
        corio::sleep(Duration::from_millis(50)).await;
        let error = conn.ping().await.unwrap_err();
        assert_eq!(error.to_string(), "redis connection lost: the server sent a reply nobody asked for: SURPRISE");
    });
}
