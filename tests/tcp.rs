//! TCP on the loop, over 127.0.0.1 only: an echo server and its clients on
//! one loop (half-close and EOF, many clients at once, a payload far larger
//! than the socket buffers), the addresses both ends report, connection
//! errors, name resolution for `connect_host` and `lookup_host`, binding
//! outside a running loop, and the listen backlog a burst of connects needs.
//!
//! Each test body runs on its own thread under a time limit, so a lost
//! readiness wakeup fails the test instead of hanging the test binary.

mod common;

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr};
use std::rc::Rc;
use std::time::Duration;

use common::{virtual_loop, within};
use corio::EventLoop;
use corio::net::{TcpListener, TcpStream, lookup_host};
use corio::testing::EventLog;

/// A port-0 address on the loopback interface.
fn any_local_port() -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, 0))
}

/// Echoes everything read from `stream` back to it until the peer shuts
/// down its write half; returns how many bytes were echoed. Dropping the
/// stream on return closes the connection.
async fn echo(stream: TcpStream) -> io::Result<usize> {
    let mut buf = vec![0u8; 16 * 1024];
    let mut total = 0;
    loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Ok(total);
        }
        stream.write_all(&buf[..n]).await?;
        total += n;
    }
}

/// Accepts `clients` connections on `listener`, echoing each in its own
/// task, and returns the byte count of each connection in accept order.
async fn serve(listener: TcpListener, clients: usize) -> io::Result<Vec<usize>> {
    let mut connections = Vec::new();
    for _ in 0..clients {
        let (stream, _peer) = listener.accept().await?;
        connections.push(corio::create_task(echo(stream)));
    }
    let mut echoed = Vec::new();
    for connection in connections {
        echoed.push(connection.await.expect("an echo task failed")?);
    }
    Ok(echoed)
}

/// Sends `message`, half-closes, and reads the echo until the server closes.
async fn send_and_read_back(addr: SocketAddr, message: Vec<u8>) -> io::Result<Vec<u8>> {
    let stream = TcpStream::connect(addr).await?;
    stream.write_all(&message).await?;
    stream.shutdown(Shutdown::Write)?;
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply).await?;
    Ok(reply)
}

#[test]
fn an_echo_server_sees_eof_after_the_client_half_closes_and_the_client_then_reads_to_the_end() {
    within(Duration::from_secs(20), || {
        let log = EventLog::new();
        corio::run({
            let log = log.clone();
            async move {
                let listener = TcpListener::bind(any_local_port()).unwrap();
                let addr = listener.local_addr().unwrap();
                let server = corio::create_task({
                    let log = log.clone();
                    async move {
                        let (stream, _) = listener.accept().await.unwrap();
                        // Gather everything first: the echo goes back only
                        // after the client's FIN.
                        let mut received = Vec::new();
                        stream.read_to_end(&mut received).await.unwrap();
                        log.push(format!("server read {:?} then EOF", String::from_utf8_lossy(&received)));
                        stream.write_all(&received).await.unwrap();
                        // A read after EOF keeps returning 0.
                        let mut more = [0u8; 16];
                        let again = stream.read(&mut more).await.unwrap();
                        log.push(format!("server read {again} bytes again, closes"));
                    }
                });
                let stream = TcpStream::connect(addr).await.unwrap();
                stream.write_all(b"hello, corio").await.unwrap();
                stream.shutdown(Shutdown::Write).unwrap();
                log.push("client half-closed");
                let mut reply = Vec::new();
                let n = stream.read_to_end(&mut reply).await.unwrap();
                log.push(format!("client read {n} bytes to EOF: {:?}", String::from_utf8_lossy(&reply)));
                server.await.unwrap();
            }
        });
        assert_eq!(
            log.labels(),
            [
                "client half-closed",
                "server read \"hello, corio\" then EOF",
                "server read 0 bytes again, closes",
                "client read 12 bytes to EOF: \"hello, corio\"",
            ]
        );
    });
}

#[test]
fn fifty_concurrent_clients_are_each_echoed_their_own_message() {
    within(Duration::from_secs(30), || {
        let (replies, echoed) = corio::run(async {
            let listener = TcpListener::bind(any_local_port()).unwrap();
            let addr = listener.local_addr().unwrap();
            let server = corio::create_task(serve(listener, 50));
            let clients: Vec<_> = (0..50)
                .map(|client| {
                    let message = format!("client {client} says {}", "hi ".repeat(client)).into_bytes();
                    corio::create_task(send_and_read_back(addr, message))
                })
                .collect();
            let mut replies = Vec::new();
            for client in clients {
                replies.push(String::from_utf8(client.await.unwrap().unwrap()).unwrap());
            }
            (replies, server.await.unwrap().unwrap())
        });
        let expected: Vec<String> =
            (0..50).map(|client| format!("client {client} says {}", "hi ".repeat(client))).collect();
        assert_eq!(replies, expected);
        let mut echoed_sorted = echoed.clone();
        echoed_sorted.sort_unstable();
        let mut expected_sizes: Vec<usize> = expected.iter().map(String::len).collect();
        expected_sizes.sort_unstable();
        assert_eq!(echoed_sorted, expected_sizes, "the server echoed a different number of bytes");
    });
}

#[test]
fn a_four_mebibyte_payload_round_trips_through_partial_writes_and_reads() {
    within(Duration::from_secs(60), || {
        const LEN: usize = 4 << 20;
        let payload: Vec<u8> = (0..LEN).map(|i| (i % 251) as u8).collect();
        let expected = payload.clone();
        let (reply, echoed) = corio::run(async move {
            let listener = TcpListener::bind(any_local_port()).unwrap();
            let addr = listener.local_addr().unwrap();
            let server = corio::create_task(serve(listener, 1));
            let stream = Rc::new(TcpStream::connect(addr).await.unwrap());
            // Write and read at once: the payload is far larger than both
            // sockets' buffers, so writing it all before reading would stall
            // the echo (and each side hits WouldBlock many times).
            let writer = corio::create_task({
                let stream = stream.clone();
                async move {
                    stream.write_all(&payload).await.unwrap();
                    stream.shutdown(Shutdown::Write).unwrap();
                }
            });
            let mut reply = Vec::with_capacity(LEN);
            stream.read_to_end(&mut reply).await.unwrap();
            writer.await.unwrap();
            (reply, server.await.unwrap().unwrap())
        });
        assert_eq!(echoed, [LEN]);
        assert_eq!(reply.len(), LEN);
        assert!(reply == expected, "the echoed payload differs from what was sent");
    });
}

#[test]
fn both_ends_agree_on_local_and_peer_addresses() {
    within(Duration::from_secs(20), || {
        corio::run(async {
            let listener = TcpListener::bind(any_local_port()).unwrap();
            let listening = listener.local_addr().unwrap();
            assert_eq!(listening.ip(), Ipv4Addr::LOCALHOST);
            assert_ne!(listening.port(), 0, "binding port 0 should pick a free port");

            let client = corio::create_task(TcpStream::connect(listening));
            let (server_side, peer) = listener.accept().await.unwrap();
            let client = client.await.unwrap().unwrap();

            assert_eq!(client.peer_addr().unwrap(), listening);
            assert_eq!(server_side.local_addr().unwrap(), listening);
            assert_eq!(client.local_addr().unwrap(), peer);
            assert_eq!(server_side.peer_addr().unwrap(), peer);
            assert_ne!(peer.port(), listening.port());
        });
    });
}

#[test]
fn connecting_to_a_closed_port_is_refused() {
    within(Duration::from_secs(20), || {
        // Find a port nobody listens on: bind one, note it, let it go.
        let closed = std::net::TcpListener::bind(any_local_port()).unwrap().local_addr().unwrap();
        let (by_addr, by_host) = corio::run(async move {
            let by_addr = TcpStream::connect(closed).await.map(drop);
            let by_host = TcpStream::connect_host("127.0.0.1", closed.port()).await.map(drop);
            (by_addr, by_host)
        });
        assert_eq!(by_addr.map_err(|error| error.kind()), Err(io::ErrorKind::ConnectionRefused));
        assert_eq!(by_host.map_err(|error| error.kind()), Err(io::ErrorKind::ConnectionRefused));
    });
}

#[test]
fn connect_host_reaches_a_local_server_by_name_and_by_literal() {
    within(Duration::from_secs(30), || {
        let peers = corio::run(async {
            let listener = TcpListener::bind(any_local_port()).unwrap();
            let port = listener.local_addr().unwrap().port();
            let mut peers = Vec::new();
            // "localhost" goes through the resolver on the blocking pool; it
            // may offer ::1 first, which is refused, then 127.0.0.1.
            for host in ["localhost", "127.0.0.1"] {
                let client = corio::create_task(async move {
                    let stream = TcpStream::connect_host(host, port).await.unwrap();
                    stream.local_addr().unwrap()
                });
                let (_server_side, peer) = listener.accept().await.unwrap();
                assert_eq!(client.await.unwrap(), peer);
                peers.push(peer.ip());
            }
            peers
        });
        assert_eq!(peers, [Ipv4Addr::LOCALHOST, Ipv4Addr::LOCALHOST]);
    });
}

#[test]
fn lookup_host_returns_ip_literals_without_leaving_the_loop() {
    let lp = virtual_loop();
    let cases: [(&str, SocketAddr); 4] = [
        ("127.0.0.1", SocketAddr::from((Ipv4Addr::LOCALHOST, 8080))),
        ("10.1.2.3", SocketAddr::from((Ipv4Addr::new(10, 1, 2, 3), 8080))),
        ("[::1]", SocketAddr::from((Ipv6Addr::LOCALHOST, 8080))),
        ("[fe80::1:2]", SocketAddr::from((Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 1, 2), 8080))),
    ];
    for (host, expected) in cases {
        let before = lp.iteration();
        let resolved = lp.run_until_complete(lookup_host(host, 8080)).unwrap();
        assert_eq!(resolved, [expected], "lookup_host({host:?})");
        // A trip through the blocking pool would take more than the two
        // iterations run_until_complete needs: one runs the lookup's task,
        // one its done-callback, which stops the loop.
        assert_eq!(lp.iteration() - before, 2, "lookup_host({host:?}) waited for something");
    }
    // An IPv6 literal without brackets is accepted too.
    assert_eq!(lp.run_until_complete(lookup_host("::1", 53)).unwrap(), [SocketAddr::from((Ipv6Addr::LOCALHOST, 53))]);
}

#[test]
fn binding_a_listener_outside_a_running_loop_is_an_error_not_a_panic() {
    let error = TcpListener::bind(any_local_port()).unwrap_err();
    assert!(error.to_string().contains("no running event loop"), "unexpected error: {error}");
    // A loop that exists but is not running does not count either.
    let lp = EventLoop::new();
    let error = TcpListener::bind(any_local_port()).unwrap_err();
    assert!(error.to_string().contains("no running event loop"), "unexpected error: {error}");
    drop(lp);
}

/// Opens `attempts` connections to `addr` at once and returns how many
/// are established after `wait`. Nobody accepts them: they only fit in the
/// listener's backlog, and a SYN the kernel drops for want of room is sent
/// again only after a second.
async fn connected_after(addr: SocketAddr, attempts: usize, wait: Duration) -> usize {
    let connects: Vec<_> = (0..attempts).map(|_| corio::create_task(TcpStream::connect(addr))).collect();
    corio::sleep(wait).await;
    connects.iter().filter(|connect| connect.done()).count()
}

#[test]
fn a_listener_bound_with_a_larger_backlog_holds_a_burst_of_unaccepted_connections() {
    const BURST: usize = 300;
    // Half of the one-second SYN retry: an attempt established by then got
    // in at its first SYN.
    let wait = Duration::from_millis(500);
    let (default, larger) = corio::run(async move {
        let default = TcpListener::bind(any_local_port()).unwrap();
        let larger = TcpListener::bind_with_backlog(any_local_port(), 1024).unwrap();
        let default = connected_after(default.local_addr().unwrap(), BURST, wait).await;
        let larger = connected_after(larger.local_addr().unwrap(), BURST, wait).await;
        (default, larger)
    });
    // `bind`'s backlog of 128 (Linux lets one more in) leaves the rest of
    // the burst waiting for their retry; 1024 takes all of it (unless
    // net.core.somaxconn is below the burst: 4096 by default).
    assert!(default < BURST, "{default} of {BURST} connected to a backlog of 128");
    assert_eq!(larger, BURST, "of {BURST}, connected to a backlog of 1024");
}

#[test]
fn connect_any_tries_each_address_in_turn_and_reports_the_last_failure() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let open = listener.local_addr().unwrap();
    let closed = || std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let (first, second) = (closed(), closed());
    let (connected, failed, empty) = corio::run(async move {
        let connected = TcpStream::connect_any([first, second, open]).await.map(|tcp| tcp.peer_addr().unwrap());
        let failed = TcpStream::connect_any([first, second]).await.map(|_| ());
        let empty = TcpStream::connect_any([]).await.map(|_| ());
        (connected, failed, empty)
    });
    assert_eq!(connected.unwrap(), open);
    assert_eq!(failed.unwrap_err().kind(), std::io::ErrorKind::ConnectionRefused);
    assert_eq!(empty.unwrap_err().kind(), std::io::ErrorKind::NotFound);
}

#[test]
fn a_socket_that_always_has_data_does_not_starve_the_other_tasks() {
    within(Duration::from_secs(20), || {
        const BYTES: usize = 10_000;
        let lp = EventLoop::new();
        let ticks = lp.run_until_complete(async {
            let peer = std::net::TcpListener::bind(any_local_port()).expect("bind");
            let stream = TcpStream::connect(peer.local_addr().expect("address")).await.expect("connect");
            // Everything the reader will read is in its socket buffer before
            // it starts, so none of its one-byte reads ever sees WouldBlock.
            let (mut sender, _) = peer.accept().expect("accept");
            std::io::Write::write_all(&mut sender, &[7; BYTES]).expect("fill the buffer");
            // Loopback delivers as the write returns; the pause is only a margin.
            corio::sleep(Duration::from_millis(50)).await;

            let ticks = Rc::new(std::cell::Cell::new(0u32));
            let ticker_ticks = ticks.clone();
            let ticker = corio::create_task(async move {
                loop {
                    ticker_ticks.set(ticker_ticks.get() + 1);
                    corio::sleep(Duration::ZERO).await;
                }
            });
            let reader = corio::create_task(async move {
                let mut byte = [0u8; 1];
                for _ in 0..BYTES {
                    stream.read(&mut byte).await.expect("read");
                }
            });
            reader.await.expect("the reader finishes");
            ticker.cancel();
            ticks.get()
        });
        // 128 operations per step: the reader yields every 128 reads, and
        // the ticker runs once each time (without the budget: once, in all).
        let steps = BYTES.div_ceil(128) as u32;
        assert!(ticks >= steps, "the ticker ran {ticks} times while the reader took {steps} steps");
    });
}
