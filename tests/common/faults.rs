//! A fault-injection HTTP server for the client's tests: a [`TestServer`]
//! on 127.0.0.1 that answers each request with the fault its path names
//! ([`Fault::path`]), so one server and one session can meet every kind of
//! hostile or broken peer in turn.
//!
//! Like `TestServer` it runs on plain threads, never on corio, so a client
//! bug cannot stall the server. No handler outlives its client for long:
//! the endless ones (stall, flood) end when the client closes its side.

use std::io::{ErrorKind, Read};
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::Duration;

use super::http::{Conn, TestServer};

/// An empty gzip member: the 10-byte header flate2 writes, the 2-byte
/// final empty deflate block, and the trailer (CRC-32 0, length 0). It
/// decodes to nothing, so a stream of them is all input and no output.
pub const EMPTY_GZIP_MEMBER: [u8; 20] = [
    0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff, // header: magic, deflate, no flags, mtime 0, OS unknown
    0x03, 0x00, // a final fixed-Huffman block holding only end-of-block
    0, 0, 0, 0, 0, 0, 0, 0, // CRC-32 and ISIZE of nothing
];

/// How the flood's body is framed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Framing {
    /// No length and no chunking: the body runs until the close.
    UntilClose,
    /// `Transfer-Encoding: chunked`, one chunk per batch of members.
    Chunked,
}

/// What the server does with one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Reads the request and resets the connection (RST, not FIN) before
    /// sending a byte.
    ResetBeforeHead,
    /// Sends a head announcing 1000 body bytes and 100 of them, then resets.
    ResetMidBody,
    /// Reads the request and sends nothing, until the client goes away.
    Stall,
    /// Sends a complete `200 OK` with a 20-byte body one byte at a time,
    /// this many milliseconds apart.
    Trickle(u64),
    /// Answers with a line that is not HTTP at all.
    Garbage,
    /// Sends a head announcing a 1000-byte body, then closes cleanly.
    HeadThenClose,
    /// A `200 OK` with `Content-Encoding: gzip`, then
    /// [`EMPTY_GZIP_MEMBER`]s without end, until the client goes away.
    GzipFlood(Framing),
    /// `503 Service Unavailable` with `Retry-After: 7` and a short body.
    Unavailable,
    /// `429 Too Many Requests` with `Retry-After: 30` and a short body.
    TooManyRequests,
}

/// The body the complete answers ([`Fault::Trickle`], 503, 429) carry.
pub const BODY: &str = "twenty bytes of body";

impl Fault {
    /// The request path that asks for this fault.
    pub fn path(self) -> String {
        match self {
            Fault::ResetBeforeHead => "/reset-before-head".into(),
            Fault::ResetMidBody => "/reset-mid-body".into(),
            Fault::Stall => "/stall".into(),
            Fault::Trickle(ms) => format!("/trickle/{ms}"),
            Fault::Garbage => "/garbage".into(),
            Fault::HeadThenClose => "/head-then-close".into(),
            Fault::GzipFlood(Framing::UntilClose) => "/gzip-flood".into(),
            Fault::GzipFlood(Framing::Chunked) => "/gzip-flood-chunked".into(),
            Fault::Unavailable => "/503".into(),
            Fault::TooManyRequests => "/429".into(),
        }
    }

    /// The fault a request path asks for.
    fn from_path(path: &str) -> Option<Fault> {
        let fault = match path {
            "/reset-before-head" => Fault::ResetBeforeHead,
            "/reset-mid-body" => Fault::ResetMidBody,
            "/stall" => Fault::Stall,
            "/garbage" => Fault::Garbage,
            "/head-then-close" => Fault::HeadThenClose,
            "/gzip-flood" => Fault::GzipFlood(Framing::UntilClose),
            "/gzip-flood-chunked" => Fault::GzipFlood(Framing::Chunked),
            "/503" => Fault::Unavailable,
            "/429" => Fault::TooManyRequests,
            _ => Fault::Trickle(path.strip_prefix("/trickle/")?.parse().ok()?),
        };
        Some(fault)
    }
}

/// A running fault server; see the module documentation.
pub struct FaultServer {
    /// The server underneath, for its address and the requests it read.
    pub server: TestServer,
    /// Flood bytes written so far, across all connections.
    flooded: Arc<AtomicU64>,
}

impl FaultServer {
    /// Starts a server that answers every request with the fault its path
    /// names (an unknown path gets `404 Not Found`).
    pub fn start() -> FaultServer {
        let flooded = Arc::new(AtomicU64::new(0));
        let counter = Arc::clone(&flooded);
        let server = TestServer::start(move |mut conn| {
            while let Some(request) = conn.read_request() {
                let path = request.request_line().split(' ').nth(1).unwrap_or("").to_owned();
                match Fault::from_path(&path) {
                    Some(fault) => {
                        if !serve(fault, &mut conn, &counter) {
                            return;
                        }
                    }
                    None => conn.send(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"),
                }
            }
        });
        FaultServer { server, flooded }
    }

    /// The URL that asks for `fault`.
    pub fn url(&self, fault: Fault) -> String {
        self.server.url(&fault.path())
    }

    /// Flood bytes written so far (what the client was made to read).
    pub fn flooded(&self) -> u64 {
        self.flooded.load(Ordering::SeqCst)
    }
}

/// Answers one request with `fault`; true if the connection may carry
/// another request.
fn serve(fault: Fault, conn: &mut Conn, flooded: &AtomicU64) -> bool {
    match fault {
        Fault::ResetBeforeHead => reset(&conn.stream),
        Fault::ResetMidBody => {
            conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
            conn.send(&[b'x'; 100]);
            // Let the bytes leave before the reset discards what is unsent.
            thread::sleep(Duration::from_millis(20));
            reset(&conn.stream);
        }
        Fault::Stall => wait_for_close(&mut conn.stream),
        Fault::Trickle(ms) => {
            let answer = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{BODY}", BODY.len());
            conn.send_trickle(answer.as_bytes(), 1, Duration::from_millis(ms));
            return true;
        }
        Fault::Garbage => conn.send(b"SSH-2.0-OpenSSH_9.6 this is not http\r\n\r\n"),
        Fault::HeadThenClose => conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"),
        Fault::GzipFlood(framing) => flood(conn, framing, flooded),
        Fault::Unavailable => {
            conn.send(&busy("503 Service Unavailable", "7"));
            return true;
        }
        Fault::TooManyRequests => {
            conn.send(&busy("429 Too Many Requests", "30"));
            return true;
        }
    }
    false
}

/// A complete refusal with `status` and `Retry-After: retry_after`.
fn busy(status: &str, retry_after: &str) -> Vec<u8> {
    format!("HTTP/1.1 {status}\r\nRetry-After: {retry_after}\r\nContent-Length: {}\r\n\r\n{BODY}", BODY.len())
        .into_bytes()
}

/// Makes the close of `stream` a reset: with a zero linger time the kernel
/// sends RST, not FIN, and drops anything unsent. The handler closes it by
/// returning (`serve` says false), which drops the connection.
fn reset(stream: &TcpStream) {
    let _ = rustix::net::sockopt::set_socket_linger(stream, Some(Duration::ZERO));
}

/// Reads and discards until the client closes its side (or resets).
fn wait_for_close(stream: &mut TcpStream) {
    let mut sink = [0u8; 1024];
    loop {
        match stream.read(&mut sink) {
            Ok(0) => return,
            Ok(_) => {}
            Err(error) if error.kind() == ErrorKind::Interrupted => {}
            Err(_) => return,
        }
    }
}

/// Sends a gzip head, then empty gzip members in batches until a write
/// fails (the client closed the connection).
fn flood(conn: &mut Conn, framing: Framing, flooded: &AtomicU64) {
    const MEMBERS_PER_BATCH: usize = 800;
    let batch: Vec<u8> = EMPTY_GZIP_MEMBER.repeat(MEMBERS_PER_BATCH);
    let (head, chunk): (&[u8], Vec<u8>) = match framing {
        Framing::UntilClose => (b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nConnection: close\r\n\r\n", batch),
        Framing::Chunked => (
            b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n",
            [format!("{:x}\r\n", batch.len()).as_bytes(), &batch, b"\r\n"].concat(),
        ),
    };
    conn.send(head);
    while std::io::Write::write_all(&mut conn.stream, &chunk).is_ok() {
        flooded.fetch_add(chunk.len() as u64, Ordering::SeqCst);
    }
}
