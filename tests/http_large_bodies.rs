//! Bodies of every size around the read sizes' steps arrive whole, in
//! order, on one keep-alive connection, plain and over TLS, whatever the
//! reads grow and shrink through on the way: growing pages (16 KiB reads
//! doubling to 256 KiB), then small ones after large (the reads shrinking
//! back), with `Content-Length` and chunked framing, written by the
//! server in pieces of many sizes.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

use corio::http::Session;
use rustls::{ServerConnection, StreamOwned};

use common::http::{TestServer, read_head};
use common::tls::TestCa;

/// The body sizes asked for, in order: the edges of each read size, a
/// movie page, a few MB, then small and odd ones after the large.
const SIZES: [usize; 20] = [
    0, 1, 100, 16_383, 16_384, 16_385, 32_768, 65_537, 120_000, 131_072, 262_143, 262_144, 262_145, 524_289, 3_000_000,
    120_000, 10, 1, 16_385, 120_000,
];

/// The `index`th byte of a body of `size` bytes.
fn byte(size: usize, index: usize) -> u8 {
    ((index * 7 + size) % 251) as u8
}

/// The response to `GET /{framing}/{size}`: `length` or `chunked`.
fn response(head: &str) -> Vec<u8> {
    let path = head.split(' ').nth(1).unwrap_or_default();
    let mut parts = path.trim_start_matches('/').split('/');
    let framing = parts.next().unwrap_or_default();
    let size: usize = parts.next().and_then(|size| size.parse().ok()).unwrap_or(0);
    let body: Vec<u8> = (0..size).map(|index| byte(size, index)).collect();
    if framing == "chunked" {
        let mut out = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
        // Chunks of varied sizes, some larger than any read.
        let mut rest = &body[..];
        let mut piece = 1000;
        while !rest.is_empty() {
            let take = piece.min(rest.len());
            out.extend_from_slice(format!("{take:x}\r\n").as_bytes());
            out.extend_from_slice(&rest[..take]);
            out.extend_from_slice(b"\r\n");
            rest = &rest[take..];
            piece = piece * 3 % 300_007 + 1;
        }
        out.extend_from_slice(b"0\r\n\r\n");
        out
    } else {
        let mut out = format!("HTTP/1.1 200 OK\r\nContent-Length: {size}\r\n\r\n").into_bytes();
        out.extend_from_slice(&body);
        out
    }
}

/// Answers requests until the client closes, each written in pieces of
/// sizes that change from one write to the next.
fn serve(stream: &mut (impl Read + Write)) {
    let mut piece = 4096;
    while let Some(head) = read_head(stream) {
        for part in response(&head).chunks(piece) {
            if stream.write_all(part).and_then(|()| stream.flush()).is_err() {
                return;
            }
            piece = piece * 5 % 200_003 + 1;
        }
    }
}

/// GETs every size with both framings from `origin` on `session`, checking
/// each body byte by byte.
fn fetch_all(session: Session, origin: String) {
    corio::run(async move {
        for framing in ["length", "chunked"] {
            for size in SIZES {
                let body = session.get(format!("{origin}/{framing}/{size}")).await.unwrap().bytes().await.unwrap();
                assert_eq!(body.len(), size, "{framing} body of {size} bytes");
                let wrong = body.iter().enumerate().position(|(index, &got)| got != byte(size, index));
                assert_eq!(wrong, None, "{framing} body of {size} bytes differs at that byte");
            }
        }
    });
}

#[test]
fn bodies_of_every_size_arrive_whole_over_plain_tcp() {
    common::within(Duration::from_secs(60), || {
        let server = TestServer::start(|mut conn| serve(&mut conn.stream));
        fetch_all(Session::new(), format!("http://{}", server.addr));
        assert_eq!(server.connections(), 1, "one keep-alive connection for all of them");
    });
}

#[test]
fn bodies_of_every_size_arrive_whole_over_tls() {
    common::within(Duration::from_secs(60), || {
        let ca = TestCa::new("corio test CA");
        let config = Arc::new(ca.issue(&["localhost"]).server_config());
        let server = TestServer::start(move |conn| {
            let session = ServerConnection::new(Arc::clone(&config)).expect("server session");
            let mut stream: StreamOwned<ServerConnection, TcpStream> = StreamOwned::new(session, conn.stream);
            serve(&mut stream);
        });
        let session = Session::builder().add_root_certificate_pem(ca.pem.as_bytes()).build().unwrap();
        fetch_all(session, format!("https://localhost:{}", server.addr.port()));
        assert_eq!(server.connections(), 1, "one keep-alive connection for all of them");
    });
}
