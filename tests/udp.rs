//! UDP on the loop, over 127.0.0.1 only: datagrams with their senders, a
//! receiver parked until a datagram arrives, cutting a datagram to the
//! buffer (as `recvfrom(2)` and asyncio's `sock_recvfrom(sock, n)` do), a
//! burst received in order, connected sockets, and the refusal a closed
//! port reports.
//!
//! Each test body runs on its own thread under a time limit, so a lost
//! readiness wakeup fails the test instead of hanging the test binary.

mod common;

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::rc::Rc;
use std::time::Duration;

use common::within;
use corio::net::UdpSocket;
use corio::testing::EventLog;

/// A port-0 address on the loopback interface.
fn any_local_port() -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, 0))
}

#[test]
fn a_datagram_arrives_whole_with_its_senders_address() {
    within(Duration::from_secs(20), || {
        corio::run(async {
            let a = UdpSocket::bind(any_local_port()).unwrap();
            let b = UdpSocket::bind(any_local_port()).unwrap();
            assert_eq!(a.send_to(b"hello", b.local_addr().unwrap()).await.unwrap(), 5);
            let mut buf = [0u8; 64];
            let (n, from) = b.recv_from(&mut buf).await.unwrap();
            assert_eq!((&buf[..n], from), (&b"hello"[..], a.local_addr().unwrap()));
        });
    });
}

#[test]
fn a_receiver_waits_without_blocking_the_loop_until_a_datagram_arrives() {
    within(Duration::from_secs(20), || {
        let log = EventLog::new();
        corio::run({
            let log = log.clone();
            async move {
                let receiver = Rc::new(UdpSocket::bind(any_local_port()).unwrap());
                let addr = receiver.local_addr().unwrap();
                let task = corio::create_task({
                    let (receiver, log) = (receiver.clone(), log.clone());
                    async move {
                        log.push("receiver waits");
                        let mut buf = [0u8; 16];
                        let (n, _) = receiver.recv_from(&mut buf).await.unwrap();
                        log.push(format!("received {:?}", std::str::from_utf8(&buf[..n]).unwrap()));
                    }
                });
                // Several iterations pass with the receiver parked.
                for _ in 0..3 {
                    corio::sleep(Duration::ZERO).await;
                }
                log.push("sender sends");
                let sender = UdpSocket::bind(any_local_port()).unwrap();
                sender.send_to(b"ping", addr).await.unwrap();
                task.await.unwrap();
            }
        });
        let labels: Vec<_> = log.entries().into_iter().map(|entry| entry.label).collect();
        assert_eq!(labels, ["receiver waits", "sender sends", "received \"ping\""]);
    });
}

#[test]
fn a_datagram_longer_than_the_buffer_is_cut_and_its_rest_is_lost() {
    within(Duration::from_secs(20), || {
        corio::run(async {
            let a = UdpSocket::bind(any_local_port()).unwrap();
            let b = UdpSocket::bind(any_local_port()).unwrap();
            let to = b.local_addr().unwrap();
            a.send_to(b"0123456789", to).await.unwrap();
            a.send_to(b"next", to).await.unwrap();
            let mut small = [0u8; 4];
            let (n, _) = b.recv_from(&mut small).await.unwrap();
            assert_eq!(&small[..n], b"0123");
            let mut buf = [0u8; 64];
            let (n, _) = b.recv_from(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], b"next", "the cut datagram's rest was not kept");
        });
    });
}

#[test]
fn a_burst_of_datagrams_is_received_in_order() {
    within(Duration::from_secs(20), || {
        corio::run(async {
            let a = UdpSocket::bind(any_local_port()).unwrap();
            let b = UdpSocket::bind(any_local_port()).unwrap();
            let to = b.local_addr().unwrap();
            for i in 0..200u32 {
                a.send_to(&i.to_be_bytes(), to).await.unwrap();
            }
            let mut buf = [0u8; 4];
            for i in 0..200u32 {
                let (n, _) = b.recv_from(&mut buf).await.unwrap();
                assert_eq!((n, u32::from_be_bytes(buf)), (4, i));
            }
        });
    });
}

#[test]
fn a_connected_socket_sends_to_its_peer_and_hears_only_from_it() {
    within(Duration::from_secs(20), || {
        corio::run(async {
            let a = UdpSocket::bind(any_local_port()).unwrap();
            let b = UdpSocket::bind(any_local_port()).unwrap();
            let stranger = UdpSocket::bind(any_local_port()).unwrap();
            a.connect(b.local_addr().unwrap()).unwrap();
            assert_eq!(a.peer_addr().unwrap(), b.local_addr().unwrap());
            // The kernel drops what does not come from the connected peer.
            stranger.send_to(b"not for you", a.local_addr().unwrap()).await.unwrap();
            b.send_to(b"from b", a.local_addr().unwrap()).await.unwrap();
            let mut buf = [0u8; 32];
            let n = a.recv(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], b"from b");
            a.send(b"to b").await.unwrap();
            let (n, from) = b.recv_from(&mut buf).await.unwrap();
            assert_eq!((&buf[..n], from), (&b"to b"[..], a.local_addr().unwrap()));
        });
    });
}

#[test]
fn a_connected_socket_hears_that_nothing_listens_at_its_peer() {
    within(Duration::from_secs(20), || {
        corio::run(async {
            // A port that was just free: bound, read, released.
            let closed = std::net::UdpSocket::bind(any_local_port()).unwrap().local_addr().unwrap();
            let a = UdpSocket::bind(any_local_port()).unwrap();
            a.connect(closed).unwrap();
            a.send(b"anyone?").await.unwrap();
            // Loopback answers with an ICMP "port unreachable", which the
            // next receive on a connected socket reports.
            let mut buf = [0u8; 8];
            let error = a.recv(&mut buf).await.unwrap_err();
            assert_eq!(error.kind(), io::ErrorKind::ConnectionRefused);
        });
    });
}

#[test]
fn binding_outside_a_running_loop_is_an_error_not_a_panic() {
    let error = UdpSocket::bind(any_local_port()).unwrap_err();
    assert_eq!(error.to_string(), "no running event loop");
}
