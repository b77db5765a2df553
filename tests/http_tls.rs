//! https against local rustls servers with a throwaway CA: a trusted
//! certificate works (and the connection is reused, ALPN offers http/1.1,
//! SNI names the host, an IP address gets no SNI); each kind of bad
//! certificate gives its own [`TlsErrorKind`] and message; a close without
//! `close_notify` only fails a close-delimited body; https goes through a
//! CONNECT proxy; and a server that never answers the handshake hits the
//! connect timeout.

mod common;

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use corio::http::{Error, Session, TimeoutKind, TlsErrorKind};
use rustls::{ServerConfig, ServerConnection, StreamOwned};

use common::http::{TestServer, read_head};
use common::tls::{TestCa, TestCert, leaf_params};

/// A TLS stream as the server sees it.
type ServerStream = StreamOwned<ServerConnection, TcpStream>;

/// What the server learned from one client's handshake.
#[derive(Clone, Debug)]
struct Hello {
    /// The SNI the client sent, if any.
    sni: Option<String>,
    /// The ALPN protocol the server chose from the client's offer.
    alpn: Option<Vec<u8>>,
}

/// A TLS server: a [`TestServer`] whose connections are wrapped in rustls.
struct TlsServer {
    /// The TCP side: address and accepted connections.
    tcp: TestServer,
    /// One entry per completed handshake, in order.
    hellos: Arc<Mutex<Vec<Hello>>>,
}

impl TlsServer {
    /// Serves `config` and, after each successful handshake, runs `handler`
    /// on the TLS stream. Failed handshakes just end the connection.
    fn start(config: ServerConfig, handler: impl Fn(&mut ServerStream) + Send + Sync + 'static) -> TlsServer {
        let config = Arc::new(config);
        let hellos = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&hellos);
        let tcp = TestServer::start(move |conn| {
            let session = ServerConnection::new(Arc::clone(&config)).expect("server session");
            let mut stream = StreamOwned::new(session, conn.stream);
            while stream.conn.is_handshaking() {
                if stream.conn.complete_io(&mut stream.sock).is_err() {
                    return;
                }
            }
            let hello = Hello {
                sni: stream.conn.server_name().map(str::to_owned),
                alpn: stream.conn.alpn_protocol().map(<[u8]>::to_vec),
            };
            seen.lock().unwrap().push(hello);
            handler(&mut stream);
        });
        TlsServer { tcp, hellos }
    }

    /// A server that answers every request with a `Content-Length` body.
    fn answering(config: ServerConfig, body: &'static str) -> TlsServer {
        TlsServer::start(config, move |stream| {
            while read_head(stream).is_some() {
                let response = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{body}", body.len());
                if stream.write_all(response.as_bytes()).and_then(|()| stream.flush()).is_err() {
                    return;
                }
            }
        })
    }

    /// `https://{host}:PORT{path}`.
    fn url(&self, host: &str, path: &str) -> String {
        format!("https://{host}:{}{path}", self.tcp.addr.port())
    }

    /// Every handshake that completed so far.
    fn hellos(&self) -> Vec<Hello> {
        self.hellos.lock().unwrap().clone()
    }
}

/// Ends the TCP connection gracefully (FIN, then wait for the client to
/// close), so the client sees an orderly end and never a reset.
fn finish_tcp(stream: &mut ServerStream) {
    let _ = stream.flush();
    let _ = stream.sock.shutdown(Shutdown::Write);
    let _ = stream.sock.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = io::copy(&mut stream.sock, &mut io::sink());
}

/// A server config with ALPN on: the server prefers h2, so choosing
/// http/1.1 shows the client offered http/1.1 and not h2.
fn alpn_config(certificate: &TestCert) -> ServerConfig {
    let mut config = certificate.server_config();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    config
}

/// A session trusting `ca` with short timeouts.
fn session_trusting(ca: &TestCa) -> Session {
    Session::builder()
        .add_root_certificate_pem(ca.pem.as_bytes())
        .timeout(Some(Duration::from_secs(5)))
        .build()
        .unwrap()
}

/// The error a GET of `url` gives.
fn get_error(session: Session, url: String) -> Error {
    corio::run(async move {
        match session.get(url.as_str()).await {
            Ok(response) => panic!("expected an error, got status {}", response.status()),
            Err(error) => error,
        }
    })
}

// --- A trusted certificate ------------------------------------------------

#[test]
fn ca_issued_certificate_is_trusted_and_the_connection_is_reused_with_alpn_and_sni() {
    common::within(Duration::from_secs(10), || {
        let ca = TestCa::new("corio test CA");
        let server = TlsServer::answering(alpn_config(&ca.issue(&["localhost"])), "hello");
        let session = session_trusting(&ca);
        let url = server.url("localhost", "/");
        let bodies = corio::run(async move {
            let first = session.get(url.as_str()).await.unwrap();
            assert_eq!(first.status(), 200);
            let first = first.text().await.unwrap();
            let second = session.get(url.as_str()).await.unwrap().text().await.unwrap();
            (first, second)
        });
        assert_eq!(bodies, ("hello".to_owned(), "hello".to_owned()));
        assert_eq!(server.tcp.connections(), 1, "the second request should reuse the TLS connection");
        let hellos = server.hellos();
        assert_eq!(hellos.len(), 1);
        assert_eq!(hellos[0].alpn.as_deref(), Some(&b"http/1.1"[..]));
        assert_eq!(hellos[0].sni.as_deref(), Some("localhost"));
    });
}

#[test]
fn a_request_body_larger_than_the_tls_write_buffer_is_sent_whole() {
    common::within(Duration::from_secs(10), || {
        // rustls takes at most 64 KiB of plaintext at a time; a 1 MiB body
        // must still arrive complete (the server answers with its length).
        let ca = TestCa::new("corio test CA");
        let server = TlsServer::start(ca.issue(&["localhost"]).server_config(), |stream| {
            let Some(head) = read_head(stream) else { return };
            let length: usize = head
                .lines()
                .find_map(|line| line.strip_prefix("Content-Length: "))
                .and_then(|value| value.trim().parse().ok())
                .unwrap_or(0);
            let mut body = vec![0u8; length];
            if stream.read_exact(&mut body).is_err() {
                return;
            }
            let sum: u64 = body.iter().map(|&byte| u64::from(byte)).sum();
            let answer = format!("{length} {sum}");
            let response = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{answer}", answer.len());
            let _ = stream.write_all(response.as_bytes());
            finish_tcp(stream);
        });
        let session = session_trusting(&ca);
        let url = server.url("localhost", "/upload");
        let body: Vec<u8> = (0..1 << 20).map(|index: u32| (index % 251) as u8).collect();
        let expected = format!("{} {}", body.len(), body.iter().map(|&byte| u64::from(byte)).sum::<u64>());
        let answer = corio::run(async move { session.post(url.as_str()).body(body).await?.text().await });
        assert_eq!(answer.unwrap(), expected);
    });
}

#[test]
fn an_early_413_over_tls_is_returned_while_the_body_is_still_being_sent() {
    common::within(Duration::from_secs(10), || {
        // The server refuses the 8 MiB body after its head and closes with
        // the body unread, which resets the connection: the client must
        // have read the answer while the TLS socket was full of body.
        // With no pause the reset comes right behind the answer, before the
        // client reads: the answer waits in its receive buffer, and neither
        // the records rustls still wants to send nor the failed writes may
        // keep the client from reading it.
        for pause in [Duration::ZERO, Duration::from_millis(50)] {
            early_413_over_tls(pause);
        }
    });
}

/// One request of [`an_early_413_over_tls_is_returned_while_the_body_is_still_being_sent`]:
/// the server resets `pause` after answering.
fn early_413_over_tls(pause: Duration) {
    let ca = TestCa::new("corio test CA");
    let server = TlsServer::start(ca.issue(&["localhost"]).server_config(), move |stream| {
        if read_head(stream).is_none() {
            return;
        }
        // Nagle's algorithm could hold the answer back until the close,
        // which discards what is still unsent: out it goes at once.
        let _ = stream.sock.set_nodelay(true);
        let refusal = "HTTP/1.1 413 Payload Too Large\r\nContent-Length: 9\r\nConnection: close\r\n\r\ntoo large";
        let _ = stream.write_all(refusal.as_bytes()).and_then(|()| stream.flush());
        thread::sleep(pause);
    });
    let session = session_trusting(&ca);
    let url = server.url("localhost", "/upload");
    let answer = corio::run(async move {
        let response = session.post(url.as_str()).body(vec![b'x'; 8 << 20]).await?;
        Ok::<_, Error>((response.status().as_u16(), response.text().await?))
    });
    assert_eq!(answer.unwrap(), (413, "too large".to_owned()), "reset {pause:?} after the answer");
}

#[test]
fn ip_address_url_is_checked_against_the_ip_san_and_sends_no_sni() {
    common::within(Duration::from_secs(10), || {
        let ca = TestCa::new("corio test CA");
        let server = TlsServer::answering(ca.issue(&["127.0.0.1"]).server_config(), "by address");
        let session = session_trusting(&ca);
        let url = server.url("127.0.0.1", "/");
        let body = corio::run(async move { session.get(url.as_str()).await.unwrap().text().await.unwrap() });
        assert_eq!(body, "by address");
        let hellos = server.hellos();
        assert_eq!(hellos.len(), 1);
        assert_eq!(hellos[0].sni, None, "an IP address must not be sent as SNI");
    });
}

// --- Bad certificates -------------------------------------------------------

/// The error of a GET of `https://localhost:PORT/` from a server presenting
/// `certificate`, by a session trusting `trusted`.
fn certificate_error(certificate: &TestCert, trusted: &TestCa) -> Error {
    let server = TlsServer::answering(certificate.server_config(), "must not be read");
    let error = get_error(session_trusting(trusted), server.url("localhost", "/"));
    assert!(server.hellos().is_empty(), "the handshake should not have completed");
    error
}

/// The kind of a TLS error, failing on any other error.
fn tls_kind(error: &Error) -> TlsErrorKind {
    match error {
        Error::Tls { kind, host, .. } => {
            assert_eq!(host, "localhost");
            *kind
        }
        other => panic!("expected a TLS error, got {other:?}"),
    }
}

#[test]
fn each_certificate_problem_has_its_own_kind_and_message() {
    common::within(Duration::from_secs(15), || {
        let ca = TestCa::new("corio test CA");
        let mut expired = leaf_params(&["localhost"]);
        expired.not_before = rcgen::date_time_ymd(2000, 1, 1);
        expired.not_after = rcgen::date_time_ymd(2001, 1, 1);
        let cases = [
            (ca.issue(&["other.example"]), TlsErrorKind::WrongHost, "not valid for this host name"),
            (ca.issue_with(expired), TlsErrorKind::Expired, "expired"),
            (TestCert::self_signed(&["localhost"]), TlsErrorKind::SelfSigned, "self-signed"),
            (TestCa::new("someone else's CA").issue(&["localhost"]), TlsErrorKind::UnknownIssuer, "unknown authority"),
        ];
        let mut messages = Vec::new();
        for (certificate, kind, phrase) in &cases {
            let error = certificate_error(certificate, &ca);
            assert_eq!(tls_kind(&error), *kind, "{error}");
            let message = error.to_string();
            assert!(message.contains("localhost"), "{message}");
            assert!(message.contains(phrase), "{kind:?}: {message:?} should say {phrase:?}");
            messages.push(message);
        }
        for (index, message) in messages.iter().enumerate() {
            assert!(!messages[..index].contains(message), "messages must differ: {messages:#?}");
        }
    });
}

// --- close_notify -----------------------------------------------------------

/// A server that answers one request with `response` and then ends the
/// connection, with or without `close_notify`.
fn closing_server(ca: &TestCa, response: &'static str, close_notify: bool) -> TlsServer {
    TlsServer::start(ca.issue(&["localhost"]).server_config(), move |stream| {
        if read_head(stream).is_some() {
            let _ = stream.write_all(response.as_bytes());
            if close_notify {
                stream.conn.send_close_notify();
            }
            finish_tcp(stream);
        }
    })
}

/// GETs from a [`closing_server`] and returns the body or the error.
fn fetch_from_closing_server(response: &'static str, close_notify: bool) -> Result<String, Error> {
    let ca = TestCa::new("corio test CA");
    let server = closing_server(&ca, response, close_notify);
    let session = session_trusting(&ca);
    let url = server.url("localhost", "/");
    corio::run(async move { session.get(url.as_str()).await?.text().await })
}

#[test]
fn length_delimited_body_survives_a_close_without_close_notify() {
    common::within(Duration::from_secs(10), || {
        let body = fetch_from_closing_server("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nwhole", false);
        assert_eq!(body.unwrap(), "whole");
    });
}

#[test]
fn close_delimited_body_without_close_notify_is_incomplete() {
    common::within(Duration::from_secs(10), || {
        let error = fetch_from_closing_server("HTTP/1.1 200 OK\r\n\r\nmaybe truncated", false).unwrap_err();
        assert!(matches!(error, Error::Incomplete(_)), "{error:?}");
        assert!(error.to_string().contains("close_notify"), "{error}");
    });
}

#[test]
fn close_delimited_body_ended_by_close_notify_is_complete() {
    common::within(Duration::from_secs(10), || {
        let body = fetch_from_closing_server("HTTP/1.1 200 OK\r\n\r\nall of it", true);
        assert_eq!(body.unwrap(), "all of it");
    });
}

// --- Through a proxy --------------------------------------------------------

#[test]
fn https_goes_through_a_connect_tunnel() {
    common::within(Duration::from_secs(10), || {
        let ca = TestCa::new("corio test CA");
        let origin = TlsServer::answering(ca.issue(&["localhost"]).server_config(), "tunnelled");
        let origin_addr = origin.tcp.addr;
        let proxy = TestServer::start(move |mut conn| {
            if conn.read_request().is_none() {
                return;
            }
            conn.send(b"HTTP/1.1 200 Connection established\r\n\r\n");
            let Ok(upstream) = TcpStream::connect(origin_addr) else { return };
            pipe(conn.stream, upstream);
        });
        let session = Session::builder()
            .add_root_certificate_pem(ca.pem.as_bytes())
            .proxy(format!("http://{}", proxy.addr))
            .timeout(Some(Duration::from_secs(5)))
            .build()
            .unwrap();
        let url = origin.url("localhost", "/");
        let body = corio::run(async move { session.get(url.as_str()).await.unwrap().text().await.unwrap() });
        assert_eq!(body, "tunnelled");
        let port = origin_addr.port();
        let connects = proxy.received();
        assert_eq!(connects.len(), 1);
        assert_eq!(connects[0].request_line(), format!("CONNECT localhost:{port} HTTP/1.1"));
        assert_eq!(origin.hellos()[0].sni.as_deref(), Some("localhost"), "SNI is the origin's, not the proxy's");
    });
}

/// Copies bytes both ways between `a` and `b` until both directions end.
fn pipe(a: TcpStream, b: TcpStream) {
    let (mut a_reader, mut b_writer) = (a.try_clone().unwrap(), b.try_clone().unwrap());
    let forward = thread::spawn(move || {
        let _ = io::copy(&mut a_reader, &mut b_writer);
        let _ = b_writer.shutdown(Shutdown::Write);
    });
    let (mut b_reader, mut a_writer) = (b, a);
    let _ = io::copy(&mut b_reader, &mut a_writer);
    let _ = a_writer.shutdown(Shutdown::Write);
    let _ = forward.join();
}

// --- Timeouts ---------------------------------------------------------------

#[test]
fn silent_server_during_the_handshake_hits_the_connect_timeout() {
    common::within(Duration::from_secs(10), || {
        // Accepts TCP, reads the ClientHello and answers nothing, until the
        // client gives up and closes.
        let silent = TestServer::start(|mut conn| {
            let _ = io::copy(&mut conn.stream, &mut io::sink());
        });
        let session = Session::builder().connect_timeout(Some(Duration::from_millis(300))).build().unwrap();
        let url = format!("https://localhost:{}/", silent.addr.port());
        let started = Instant::now();
        let error = get_error(session, url);
        let waited = started.elapsed();
        assert!(
            matches!(error, Error::Timeout { kind: TimeoutKind::Connect, after } if after == Duration::from_millis(300)),
            "{error:?}"
        );
        assert!(waited >= Duration::from_millis(250) && waited < Duration::from_secs(3), "waited {waited:?}");
        assert_eq!(silent.connections(), 1, "TCP connected; the handshake is what timed out");
    });
}
