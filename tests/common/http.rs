//! A scripted HTTP server for the client's tests: it runs on plain threads
//! (not on corio, so a client bug cannot hang the server), accepts on
//! 127.0.0.1, and answers with exactly the bytes a test gives it. It also
//! records every request it read, so tests can check what the client sent.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// One request as the server read it.
#[derive(Clone, Debug)]
pub struct Received {
    /// The request line and header lines, without the final blank line.
    pub head: String,
    /// The body, read by its Content-Length.
    pub body: Vec<u8>,
    /// Which accepted connection it came on (0, 1, ...).
    pub connection: usize,
}

impl Received {
    /// The request line: `GET /path HTTP/1.1`.
    pub fn request_line(&self) -> &str {
        self.head.lines().next().unwrap_or("")
    }

    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|line| {
            let (field, value) = line.split_once(':')?;
            field.trim().eq_ignore_ascii_case(name).then(|| value.trim())
        })
    }

    /// The header lines in order, as `Name: value`.
    pub fn header_lines(&self) -> Vec<&str> {
        self.head.lines().skip(1).collect()
    }
}

/// A running test server; it stops accepting when dropped... eventually:
/// its threads are detached and end with the test process.
pub struct TestServer {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Requests read so far, in order.
    received: Arc<Mutex<Vec<Received>>>,
    /// Connections accepted so far.
    accepted: Arc<AtomicUsize>,
}

/// What a handler gets for one accepted connection.
pub struct Conn {
    /// The socket.
    pub stream: TcpStream,
    /// Its index among accepted connections.
    pub index: usize,
    /// Where requests are recorded.
    received: Arc<Mutex<Vec<Received>>>,
}

impl Conn {
    /// Reads one request (head and Content-Length body); `None` if the
    /// client closed the connection first.
    pub fn read_request(&mut self) -> Option<Received> {
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            match self.stream.read(&mut byte) {
                Ok(1) => head.push(byte[0]),
                _ => return None,
            }
        }
        let head = String::from_utf8_lossy(&head[..head.len() - 4]).into_owned();
        let mut request = Received { head, body: Vec::new(), connection: self.index };
        let length = request.header("content-length").and_then(|value| value.parse().ok()).unwrap_or(0);
        request.body = vec![0; length];
        self.stream.read_exact(&mut request.body).ok()?;
        self.received.lock().unwrap().push(request.clone());
        Some(request)
    }

    /// Writes `bytes` (ignoring errors: the client may have gone).
    pub fn send(&mut self, bytes: &[u8]) {
        let _ = self.stream.write_all(bytes);
        let _ = self.stream.flush();
    }

    /// Writes `bytes` one small piece at a time with a pause between, so
    /// the client sees the response split at many boundaries.
    pub fn send_trickle(&mut self, bytes: &[u8], piece: usize, pause: Duration) {
        for part in bytes.chunks(piece.max(1)) {
            self.send(part);
            thread::sleep(pause);
        }
    }
}

impl TestServer {
    /// Starts a server that runs `handler` for each accepted connection on
    /// a thread of its own.
    pub fn start(handler: impl Fn(Conn) + Send + Sync + 'static) -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let addr = listener.local_addr().expect("local address");
        let received = Arc::new(Mutex::new(Vec::new()));
        let accepted = Arc::new(AtomicUsize::new(0));
        let handler = Arc::new(handler);
        let (server_received, server_accepted) = (Arc::clone(&received), Arc::clone(&accepted));
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let index = server_accepted.fetch_add(1, Ordering::SeqCst);
                let conn = Conn { stream, index, received: Arc::clone(&server_received) };
                let handler = Arc::clone(&handler);
                thread::spawn(move || handler(conn));
            }
        });
        TestServer { addr, received, accepted }
    }

    /// A server that answers every request on every connection with the
    /// same `response` bytes, keeping connections open between requests.
    pub fn always(response: impl Into<Vec<u8>>) -> TestServer {
        let response = response.into();
        TestServer::start(move |mut conn| {
            while conn.read_request().is_some() {
                conn.send(&response);
            }
        })
    }

    /// A server that answers the first request on each connection with
    /// `response` and then closes the connection.
    pub fn once_per_connection(response: impl Into<Vec<u8>>) -> TestServer {
        let response = response.into();
        TestServer::start(move |mut conn| {
            if conn.read_request().is_some() {
                conn.send(&response);
            }
        })
    }

    /// `http://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Every request read so far.
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

/// Reads a request head (up to and including its blank line) byte by byte,
/// so nothing of a body after it is taken; `None` if the stream ends or
/// fails first. For servers a test writes by hand (over TLS, say).
pub fn read_head(stream: &mut impl Read) -> Option<String> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return None,
        }
    }
    Some(String::from_utf8_lossy(&head).into_owned())
}
