//! Every limit on what a server controls, tested at exactly the limit (the
//! request succeeds) and one past it (the typed error), through `Session`
//! against a scripted loopback server: head size, header count, body size
//! after decoding (plain, chunked and gzip), the chunk size line (where
//! extensions live), the trailer section's bytes and fields, interim (1xx)
//! responses, redirects, and pooled connections (`limit`, `limit_per_host`).
//!
//! Where a limit is configurable it is tested at its default and at a value
//! set on the builder; where it is a constant (the chunk size line, the
//! trailers, the interim responses) the constant itself. Two limits live in
//! other files: the default of ten redirects is proved in
//! `tests/http_session.rs` (`the_default_limit_follows_ten_redirects_and_refuses_the_eleventh`),
//! and the idle-connection cap in `idle_connections_are_capped_at_the_session_limit`.

mod common;

use std::future::Future;
use std::io::Write;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use corio::http::{ChunkedError, Error, HeadError, ProtocolError, Response, Session};
use flate2::Compression;
use flate2::write::GzEncoder;

use common::http::TestServer;

/// Runs `test` on a fresh real-clock loop, failing if it takes over 15 s.
fn run<F, Fut>(test: F)
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = ()> + 'static,
{
    common::within(Duration::from_secs(15), move || corio::run(test()));
}

/// GETs `url` and reads the whole body; the first error on the way.
async fn get_body(session: &Session, url: &str) -> Result<Vec<u8>, Error> {
    session.get(url).await?.bytes().await
}

/// Reads the rest of `response`'s body with `chunk()`, keeping the
/// response (and so its trailers) for the caller.
async fn read_to_end(response: &mut Response) -> Result<Vec<u8>, Error> {
    let mut body = Vec::new();
    while let Some(piece) = response.chunk().await? {
        body.extend_from_slice(&piece);
    }
    Ok(body)
}

/// A 200 response head with `fields` and a Content-Length body.
fn with_length(fields: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 200 OK\r\n{fields}Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    out.extend_from_slice(body);
    out
}

/// A 200 response with `chunked` as its chunked body.
fn chunked_response(chunked: &[u8]) -> Vec<u8> {
    let mut out = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    out.extend_from_slice(chunked);
    out
}

/// `data` gzip-compressed.
fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

/// The protocol error's cause, or a panic naming what came instead.
fn protocol_error<T: std::fmt::Debug>(result: Result<T, Error>, case: &str) -> ProtocolError {
    match result {
        Err(Error::Protocol(cause)) => cause,
        other => panic!("{case}: expected a protocol error, got {other:?}"),
    }
}

// Head size and header count.

/// A 200 head of exactly `size` bytes (status line and blank line included),
/// padded with one `X-Pad` field, followed by the body `ok`.
fn head_of_size(size: usize) -> Vec<u8> {
    let start = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Pad: ";
    let end = "\r\n\r\n";
    let pad = "p".repeat(size - start.len() - end.len());
    let mut out = format!("{start}{pad}{end}").into_bytes();
    assert_eq!(out.len(), size);
    out.extend_from_slice(b"ok");
    out
}

#[test]
fn a_head_at_the_default_64_kib_limit_is_read_and_one_byte_more_is_refused() {
    run(|| async {
        let session = Session::new();
        let server = TestServer::always(head_of_size(64 * 1024));
        assert_eq!(get_body(&session, &server.url("/")).await.unwrap(), b"ok");
        let server = TestServer::always(head_of_size(64 * 1024 + 1));
        let cause = protocol_error(session.get(server.url("/")).await, "one byte over");
        assert_eq!(cause, ProtocolError::Head(HeadError::HeadTooLarge { limit: 64 * 1024 }));
        let mut huge = b"HTTP/1.1 200 OK\r\nX-Big: ".to_vec();
        huge.extend(std::iter::repeat_n(b'a', 200 * 1024));
        huge.extend_from_slice(b"\r\nContent-Length: 0\r\n\r\n");
        let server = TestServer::always(huge);
        let cause = protocol_error(session.get(server.url("/")).await, "200 KiB head");
        assert_eq!(cause, ProtocolError::Head(HeadError::HeadTooLarge { limit: 64 * 1024 }));
    });
}

#[test]
fn max_head_size_sets_an_inclusive_byte_limit() {
    run(|| async {
        let session = Session::builder().max_head_size(1000, 100).build().unwrap();
        let server = TestServer::always(head_of_size(1000));
        assert_eq!(get_body(&session, &server.url("/")).await.unwrap(), b"ok");
        let server = TestServer::always(head_of_size(1001));
        let cause = protocol_error(session.get(server.url("/")).await, "one byte over a custom limit");
        assert_eq!(cause, ProtocolError::Head(HeadError::HeadTooLarge { limit: 1000 }));
        assert!(cause.to_string().contains("larger than 1000 bytes"), "{cause}");
    });
}

/// A 200 head with `fields` header fields in all (Content-Length among them).
fn head_with_fields(fields: usize) -> Vec<u8> {
    let mut out = String::from("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n");
    for index in 1..fields {
        out.push_str(&format!("X-Field-{index}: {index}\r\n"));
    }
    out.push_str("\r\nok");
    out.into_bytes()
}

#[test]
fn header_field_count_is_limited_to_100_by_default_and_configurable() {
    run(|| async {
        let too_many = |limit| ProtocolError::Head(HeadError::TooManyHeaders { limit });
        // (max_headers set on the builder, or the default)
        for limit in [None, Some(101), Some(150)] {
            let session = match limit {
                Some(fields) => Session::builder().max_head_size(64 * 1024, fields).build().unwrap(),
                None => Session::new(),
            };
            let fields = limit.unwrap_or(100);
            let at = TestServer::always(head_with_fields(fields));
            assert_eq!(get_body(&session, &at.url("/")).await.unwrap(), b"ok", "{fields} fields");
            let past = TestServer::always(head_with_fields(fields + 1));
            let cause = protocol_error(session.get(past.url("/")).await, "one field too many");
            assert_eq!(cause, too_many(fields));
        }
    });
}

// Body size after decoding.

#[test]
fn a_plain_body_at_max_body_size_is_read_and_one_byte_more_is_too_large() {
    run(|| async {
        let session = Session::builder().max_body_size(100).build().unwrap();
        let x = |n| "x".repeat(n);
        // (what frames the body, the response with 100 bytes, with 101)
        let cases = [
            ("content-length", with_length("", x(100).as_bytes()), with_length("", x(101).as_bytes())),
            (
                "chunked",
                chunked_response(format!("64\r\n{}\r\n0\r\n\r\n", x(100)).as_bytes()),
                chunked_response(format!("64\r\n{}\r\n1\r\nx\r\n0\r\n\r\n", x(100)).as_bytes()),
            ),
            (
                "until close",
                format!("HTTP/1.1 200 OK\r\n\r\n{}", x(100)).into_bytes(),
                format!("HTTP/1.1 200 OK\r\n\r\n{}", x(101)).into_bytes(),
            ),
        ];
        for (framing, at, past) in cases {
            let server = TestServer::once_per_connection(at);
            assert_eq!(get_body(&session, &server.url("/")).await.unwrap().len(), 100, "{framing}");
            let server = TestServer::once_per_connection(past);
            let result = get_body(&session, &server.url("/")).await;
            assert!(matches!(result, Err(Error::BodyTooLarge { limit: 100 })), "{framing}: {result:?}");
        }
    });
}

#[test]
fn a_gzip_body_that_inflates_to_exactly_max_body_size_is_read_and_one_byte_more_is_too_large() {
    run(|| async {
        // Zeros compress well: the limit counts what comes out, not the wire.
        for limit in [100_usize, 1 << 20] {
            let session = Session::builder().max_body_size(limit as u64).build().unwrap();
            let at = TestServer::always(with_length("Content-Encoding: gzip\r\n", &gzip(&vec![0; limit])));
            assert_eq!(get_body(&session, &at.url("/")).await.unwrap().len(), limit, "limit {limit}");
            let past = TestServer::always(with_length("Content-Encoding: gzip\r\n", &gzip(&vec![0; limit + 1])));
            let result = get_body(&session, &past.url("/")).await.map(|body| body.len());
            assert!(matches!(result, Err(Error::BodyTooLarge { limit: l }) if l == limit as u64), "{result:?}");
        }
    });
}

// Chunked framing: the size line (extensions included) and the trailers.

/// A size line of exactly `length` bytes before its CRLF (`5;` and an
/// extension padded with `a`), then the chunk `hello` and the last chunk.
fn size_line_of(length: usize) -> Vec<u8> {
    let mut chunked = b"5;x=".to_vec();
    chunked.resize(length, b'a');
    chunked.extend_from_slice(b"\r\nhello\r\n0\r\n\r\n");
    chunked_response(&chunked)
}

#[test]
fn a_chunk_size_line_of_4096_bytes_with_extensions_is_read_and_4097_is_refused() {
    run(|| async {
        let session = Session::new();
        let server = TestServer::always(size_line_of(4096));
        assert_eq!(get_body(&session, &server.url("/")).await.unwrap(), b"hello");
        let server = TestServer::always(size_line_of(4097));
        let cause = protocol_error(get_body(&session, &server.url("/")).await, "4097-byte size line");
        assert_eq!(cause, ProtocolError::Chunked(ChunkedError::SizeLineTooLong));
    });
}

/// A chunked body `hi` whose trailer section (every trailer line and the
/// blank line that ends the section, CRLFs included) is `fields` fields and
/// exactly `bytes` bytes long.
fn trailer_section(fields: usize, bytes: usize) -> Vec<u8> {
    let mut section = String::new();
    for index in 0..fields {
        section.push_str(&format!("X-{index}: v\r\n"));
    }
    // Pad the last field's value so the section, with its final CRLF, is exact.
    let pad = bytes.checked_sub(section.len() + 2).expect("room for the fields");
    section.insert_str(section.len() - 2, &"v".repeat(pad));
    section.push_str("\r\n");
    assert_eq!(section.len(), bytes);
    chunked_response(format!("2\r\nhi\r\n0\r\n{section}").as_bytes())
}

#[test]
fn a_trailer_section_of_16_kib_and_100_fields_is_read_and_one_more_byte_or_field_is_refused() {
    run(|| async {
        let session = Session::new();
        let too_large = ProtocolError::Chunked(ChunkedError::TrailersTooLarge);
        // (fields, bytes, accepted)
        let cases = [(1, 16 * 1024, true), (1, 16 * 1024 + 1, false), (100, 2000, true), (101, 2000, false)];
        for (fields, bytes, accepted) in cases {
            let server = TestServer::always(trailer_section(fields, bytes));
            let case = format!("{fields} fields in {bytes} bytes");
            let mut response = session.get(server.url("/")).await.unwrap();
            let body = read_to_end(&mut response).await;
            match accepted {
                true => {
                    assert_eq!(body.unwrap(), b"hi", "{case}");
                    assert_eq!(response.trailers().len(), fields, "{case}");
                }
                false => assert_eq!(protocol_error(body, &case), too_large, "{case}"),
            }
        }
    });
}

// Interim responses.

/// A server that answers with `interim` 103 responses, then a 200.
fn interim_then_final(interim: usize) -> TestServer {
    TestServer::start(move |mut conn| {
        if conn.read_request().is_some() {
            conn.send(&b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>\r\n\r\n".repeat(interim));
            conn.send(&with_length("", b"final"));
        }
    })
}

#[test]
fn sixteen_interim_responses_are_skipped_and_a_seventeenth_is_refused() {
    run(|| async {
        let session = Session::new();
        let at = interim_then_final(16);
        assert_eq!(get_body(&session, &at.url("/")).await.unwrap(), b"final");
        let past = interim_then_final(17);
        let cause = protocol_error(session.get(past.url("/")).await, "17 interim responses");
        assert_eq!(cause, ProtocolError::TooManyInterimResponses { max: 16 });
    });
}

// Redirects.

/// A keep-alive server where `/N` redirects to `/N-1` and `/0` answers.
fn countdown() -> TestServer {
    TestServer::start(|mut conn| {
        while let Some(request) = conn.read_request() {
            let target = request.request_line().split(' ').nth(1).unwrap_or("").to_owned();
            match target.trim_start_matches('/').parse::<u32>() {
                Ok(0) | Err(_) => conn.send(&with_length("", b"bottom")),
                Ok(n) => conn.send(
                    format!("HTTP/1.1 302 Found\r\nLocation: /{}\r\nContent-Length: 0\r\n\r\n", n - 1).as_bytes(),
                ),
            }
        }
    })
}

#[test]
fn max_redirects_follows_exactly_that_many_and_refuses_one_more() {
    run(|| async {
        let server = countdown();
        let session = Session::builder().max_redirects(3).build().unwrap();
        let response = session.get(server.url("/3")).await.unwrap();
        assert_eq!(response.history().len(), 3);
        assert_eq!(response.text().await.unwrap(), "bottom");
        match session.get(server.url("/4")).await {
            Err(Error::TooManyRedirects { max: 3, url }) => assert_eq!(url.to_string(), server.url("/0")),
            other => panic!("expected TooManyRedirects, got {other:?}"),
        }
        // Four requests for /3..=/0, then /4..=/1: the fourth redirect is never followed.
        assert_eq!(server.received().len(), 8);
    });
}

// Pooled connections.

/// A keep-alive server that holds every request until the test lets one
/// answer go through `release` (one message, one answer, in any connection).
fn gated() -> (TestServer, mpsc::Sender<()>) {
    let (release, gate) = mpsc::channel::<()>();
    let gate = Arc::new(Mutex::new(gate));
    let server = TestServer::start(move |mut conn| {
        while conn.read_request().is_some() {
            if gate.lock().unwrap().recv().is_err() {
                return;
            }
            conn.send(&with_length("", b"done"));
        }
    });
    (server, release)
}

/// Waits on the loop (in 5 ms steps, up to 5 s) until `server` has read
/// `count` requests.
async fn until_received(server: &TestServer, count: usize) {
    for _ in 0..1000 {
        if server.received().len() >= count {
            return;
        }
        corio::sleep(Duration::from_millis(5)).await;
    }
    panic!("the server read {} requests, not {count}", server.received().len());
}

#[test]
fn at_the_pool_limit_every_request_runs_at_once_and_the_next_one_waits_for_a_slot() {
    run(|| async {
        for (name, builder) in
            [("limit", Session::builder().limit(2)), ("limit_per_host", Session::builder().limit_per_host(2))]
        {
            let session = builder.build().unwrap();
            let (server, release) = gated();
            let tasks: Vec<_> = (0..3)
                .map(|index| {
                    let (session, url) = (session.clone(), server.url(&format!("/{index}")));
                    corio::create_task(async move { session.get(url).await?.text().await })
                })
                .collect();
            // Two requests, the limit, reach the server together.
            until_received(&server, 2).await;
            assert_eq!(session.active_connections(), 2, "{name}");
            // The third waits for a slot, however long the two take.
            corio::sleep(Duration::from_millis(100)).await;
            assert_eq!((server.received().len(), server.connections()), (2, 2), "{name}: the third waits");
            assert!(tasks.iter().all(|task| !task.done()), "{name}");
            // One answer frees one slot: the third goes out, on the connection freed.
            release.send(()).unwrap();
            until_received(&server, 3).await;
            assert_eq!(session.active_connections(), 2, "{name}");
            release.send(()).unwrap();
            release.send(()).unwrap();
            for task in tasks {
                assert_eq!(task.await.unwrap().unwrap(), "done", "{name}");
            }
            assert_eq!(server.connections(), 2, "{name}: never more than the limit");
            assert_eq!((session.active_connections(), session.idle_connections()), (0, 2), "{name}");
        }
    });
}
