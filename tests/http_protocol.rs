//! The HTTP/1.1 wire rules of `corio::http`, seen through `Session` against a
//! scripted server that answers with exact bytes: response framing
//! (Content-Length, chunked, close-delimited) whole and split at every byte,
//! Content-Length / Transfer-Encoding conflicts, chunk-size edge cases and
//! trailers, early EOF, bodiless responses (HEAD, 204, 304) and connection
//! reuse, interim 1xx responses, transparent decompression and a bomb
//! against its limit, `text()` charsets, what the client puts on the wire,
//! streaming with `chunk()`, and the typed causes of protocol and decode
//! errors. Each limit at exactly its value and one past is in
//! `tests/http_limits.rs`.

mod common;

use std::future::Future;
use std::io::Write;
use std::thread;
use std::time::{Duration, Instant};

use corio::http::{Error, Response, Session};
use flate2::Compression;
use flate2::write::{DeflateEncoder, GzEncoder, ZlibEncoder};

use common::http::TestServer;

/// Runs `test` on a fresh real-clock loop, failing if it takes over 15 s.
fn run<F, Fut>(test: F)
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = ()> + 'static,
{
    common::within(Duration::from_secs(15), move || corio::run(test()));
}

/// Everything observable about a response, body read to the end.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    /// Status code.
    status: u16,
    /// Reason phrase.
    reason: String,
    /// Header fields in order.
    headers: Vec<(String, String)>,
    /// The (decoded) body.
    body: Vec<u8>,
    /// Trailer fields, read after the body.
    trailers: Vec<(String, String)>,
}

/// The fields of `headers` as owned pairs, in order.
fn pairs(headers: &corio::http::Headers) -> Vec<(String, String)> {
    headers.iter().map(|(name, value)| (name.to_owned(), value.to_owned())).collect()
}

/// Owned pairs from string literals.
fn owned(fields: &[(&str, &str)]) -> Vec<(String, String)> {
    fields.iter().map(|&(name, value)| (name.to_owned(), value.to_owned())).collect()
}

/// Reads `response` to its end with `chunk()` and records everything.
async fn outcome(mut response: Response) -> Result<Outcome, Error> {
    let (status, reason, headers) =
        (response.status().as_u16(), response.reason().to_owned(), pairs(response.headers()));
    let mut body = Vec::new();
    while let Some(piece) = response.chunk().await? {
        body.extend_from_slice(&piece);
    }
    Ok(Outcome { status, reason, headers, body, trailers: pairs(response.trailers()) })
}

/// GETs `url` and reads the whole body; the first error on the way.
async fn get_body(session: &Session, url: &str) -> Result<Vec<u8>, Error> {
    session.get(url).await?.bytes().await
}

/// A server whose connections answer their first request with
/// `responses[0]`, the second with `responses[1]`, ..., the last one
/// repeating; it keeps each connection open between requests.
fn sequence(responses: Vec<Vec<u8>>) -> TestServer {
    TestServer::start(move |mut conn| {
        let mut index = 0;
        while conn.read_request().is_some() {
            conn.send(&responses[index.min(responses.len() - 1)]);
            index += 1;
        }
    })
}

/// A server that answers `GET /split/K` with the first K bytes of
/// `response`, a 2 ms pause, then the rest; with `close`, it closes the
/// connection after each response.
fn split_server(response: Vec<u8>, close: bool) -> TestServer {
    TestServer::start(move |mut conn| {
        // Without this, Nagle's algorithm could hold the first part back and
        // send both parts in one segment, and the split would not happen.
        conn.stream.set_nodelay(true).unwrap();
        while let Some(request) = conn.read_request() {
            let path = request.request_line().split(' ').nth(1).unwrap_or("");
            let split: usize = path.strip_prefix("/split/").and_then(|k| k.parse().ok()).unwrap_or(response.len());
            conn.send(&response[..split]);
            thread::sleep(Duration::from_millis(2));
            conn.send(&response[split..]);
            if close {
                break;
            }
        }
    })
}

/// Fetches `response` from a split server once for every split point
/// (0 = all in the second part, len = all in the first, i.e. whole) and
/// checks that each gives `expected`. Keep-alive responses must also leave
/// the connection reusable every time.
fn assert_same_at_every_split(response: Vec<u8>, close: bool, expected: Outcome) {
    run(move || async move {
        let length = response.len();
        let server = split_server(response, close);
        let session = Session::new();
        for split in 0..=length {
            let got = match session.get(server.url(&format!("/split/{split}"))).await {
                Ok(response) => outcome(response).await,
                Err(error) => Err(error),
            };
            match got {
                Ok(got) => assert_eq!(got, expected, "split after byte {split}"),
                Err(error) => panic!("split after byte {split}: {error}"),
            }
        }
        let connections = if close { length + 1 } else { 1 };
        assert_eq!(server.connections(), connections);
    });
}

/// `data` gzip-compressed.
fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

/// `data` deflate-compressed with the zlib wrapper (RFC 1950).
fn zlib(data: &[u8]) -> Vec<u8> {
    let mut encoder = ZlibEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

/// `data` as a raw deflate stream (RFC 1951), as some servers send it.
fn raw_deflate(data: &[u8]) -> Vec<u8> {
    let mut encoder = DeflateEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

/// `data` in chunked framing, `piece` bytes per chunk, no trailers.
fn chunked(data: &[u8], piece: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for part in data.chunks(piece) {
        out.extend_from_slice(format!("{:x}\r\n", part.len()).as_bytes());
        out.extend_from_slice(part);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}

/// A 200 response head with `fields` and a Content-Length body.
fn with_length(fields: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 200 OK\r\n{fields}Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    out.extend_from_slice(body);
    out
}

/// Asserts `result` is `Error::Protocol` whose message contains `needle`.
fn assert_protocol<T: std::fmt::Debug>(result: Result<T, Error>, needle: &str, case: &str) {
    match result {
        Err(Error::Protocol(cause)) => {
            let message = cause.to_string();
            assert!(message.contains(needle), "{case}: message {message:?} lacks {needle:?}")
        }
        other => panic!("{case}: expected a protocol error, got {other:?}"),
    }
}

// Every byte boundary.

#[test]
fn content_length_body_split_at_every_byte_is_read_identically() {
    let response = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Multi: a\r\nX-Multi: b\r\n\
        Content-Length: 26\r\n\r\nabcdefghijklmnopqrstuvwxyz";
    let expected = Outcome {
        status: 200,
        reason: "OK".into(),
        headers: owned(&[("Content-Type", "text/plain"), ("X-Multi", "a"), ("X-Multi", "b"), ("Content-Length", "26")]),
        body: b"abcdefghijklmnopqrstuvwxyz".to_vec(),
        trailers: Vec::new(),
    };
    assert_same_at_every_split(response.to_vec(), false, expected);
}

#[test]
fn chunked_body_with_extensions_and_trailers_split_at_every_byte_is_decoded_identically() {
    let response = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\
        5;name=value\r\nhello\r\n1;q=\"a;b\"\r\n \r\nA;flag\r\n0123456789\r\n\
        0;end=1\r\nX-Checksum: abc123\r\nX-Count: 3\r\n\r\n";
    let expected = Outcome {
        status: 200,
        reason: "OK".into(),
        headers: owned(&[("Transfer-Encoding", "chunked")]),
        body: b"hello 0123456789".to_vec(),
        trailers: owned(&[("X-Checksum", "abc123"), ("X-Count", "3")]),
    };
    assert_same_at_every_split(response.to_vec(), false, expected);
}

#[test]
fn close_delimited_body_split_at_every_byte_is_read_identically() {
    let response = b"HTTP/1.1 200 Fine\r\nContent-Type: text/plain\r\n\r\nuntil the server\r\n\r\ncloses";
    let expected = Outcome {
        status: 200,
        reason: "Fine".into(),
        headers: owned(&[("Content-Type", "text/plain")]),
        body: b"until the server\r\n\r\ncloses".to_vec(),
        trailers: Vec::new(),
    };
    assert_same_at_every_split(response.to_vec(), true, expected);
}

#[test]
fn gzip_encoded_chunked_body_split_at_every_byte_is_decoded_identically() {
    let text = b"The quick brown fox jumps over the lazy dog. The quick brown fox jumps again.";
    let mut response = b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    response.extend_from_slice(&chunked(&gzip(text), 16));
    let expected = Outcome {
        status: 200,
        reason: "OK".into(),
        headers: owned(&[("Content-Encoding", "gzip"), ("Transfer-Encoding", "chunked")]),
        body: text.to_vec(),
        trailers: Vec::new(),
    };
    assert_same_at_every_split(response, false, expected);
}

// Content-Length and Transfer-Encoding together or malformed.

#[test]
fn chunked_wins_over_content_length_and_the_connection_is_not_reused() {
    run(|| async {
        let server = TestServer::always(
            &b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"[..],
        );
        let session = Session::new();
        assert_eq!(get_body(&session, &server.url("/")).await.unwrap(), b"hello");
        assert_eq!(get_body(&session, &server.url("/")).await.unwrap(), b"hello");
        let connections: Vec<usize> = server.received().iter().map(|request| request.connection).collect();
        assert_eq!(connections, [0, 1], "the second request must come on a new connection");
    });
}

#[test]
fn a_plain_keep_alive_response_does_reuse_the_connection() {
    // The counterpart of the test above: without the conflict, one connection serves both.
    run(|| async {
        let server = TestServer::always(with_length("", b"hello"));
        let session = Session::new();
        assert_eq!(get_body(&session, &server.url("/")).await.unwrap(), b"hello");
        assert_eq!(get_body(&session, &server.url("/")).await.unwrap(), b"hello");
        let connections: Vec<usize> = server.received().iter().map(|request| request.connection).collect();
        assert_eq!(connections, [0, 0]);
    });
}

#[test]
fn a_transfer_coding_before_chunked_is_a_protocol_error() {
    run(|| async {
        let server = TestServer::always(
            &b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"[..],
        );
        let result = Session::new().get(server.url("/")).await;
        assert_protocol(result, "transfer coding \"gzip\" before chunked", "gzip, chunked");
    });
}

#[test]
fn chunked_followed_by_another_transfer_coding_is_refused_saying_chunked_must_come_last() {
    run(|| async {
        let session = Session::new();
        for coding in ["chunked, gzip", "chunked\r\nTransfer-Encoding: gzip"] {
            let server = TestServer::once_per_connection(format!(
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: {coding}\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
            ));
            let result = session.get(server.url("/")).await;
            assert_protocol(result, "last transfer coding is \"gzip\", not chunked", coding);
        }
    });
}

#[test]
fn equal_duplicate_content_lengths_are_accepted() {
    run(|| async {
        let session = Session::new();
        for fields in ["Content-Length: 5\r\nContent-Length: 5\r\n", "Content-Length: 5, 5\r\n"] {
            let server = TestServer::always(format!("HTTP/1.1 200 OK\r\n{fields}\r\nhello"));
            assert_eq!(get_body(&session, &server.url("/")).await.unwrap(), b"hello", "{fields:?}");
        }
    });
}

#[test]
fn differing_or_malformed_content_lengths_are_protocol_errors() {
    run(|| async {
        let session = Session::new();
        let cases = [
            ("Content-Length: 5\r\nContent-Length: 6\r\n", "conflicting content-lengths 5 and 6"),
            ("Content-Length: 5, 6\r\n", "conflicting content-lengths 5 and 6"),
            ("Content-Length: +5\r\n", "invalid content-length \"+5\""),
            ("Content-Length: -1\r\n", "invalid content-length \"-1\""),
            ("Content-Length: 5x\r\n", "invalid content-length \"5x\""),
        ];
        for (fields, needle) in cases {
            let server = TestServer::always(format!("HTTP/1.1 200 OK\r\n{fields}\r\nhello!"));
            assert_protocol(session.get(server.url("/")).await, needle, fields);
        }
    });
}

// Chunk sizes, extensions and trailers.

#[test]
fn malformed_chunk_framing_is_a_protocol_error_with_a_readable_message() {
    let long_extension = format!("5;x={}\r\nhello\r\n0\r\n\r\n", "a".repeat(5000));
    let cases: Vec<(&str, String, &str)> = vec![
        ("no digits", "\r\nhello\r\n0\r\n\r\n".into(), "invalid chunk size line"),
        ("extension without a size", ";ext\r\nhello\r\n0\r\n\r\n".into(), "invalid chunk size line"),
        ("0x prefix", "0x10\r\n0123456789abcdef\r\n0\r\n\r\n".into(), "invalid chunk size line"),
        ("17 significant digits", "10000000000000000\r\nhello\r\n0\r\n\r\n".into(), "more than 16 significant"),
        ("overflowing size", "FFFFFFFFFFFFFFFFF\r\nhello\r\n0\r\n\r\n".into(), "more than 16 significant"),
        ("bare LF in an extension", "5;a=b\nhello\r\n0\r\n\r\n".into(), "bare LF"),
        ("bare LF after the size", "5\nhello\r\n0\r\n\r\n".into(), "bare LF"),
        ("5000-byte extension", long_extension, "longer than 4096 bytes"),
        ("no CRLF after the data", "5\r\nhelloX\r\n0\r\n\r\n".into(), "not followed by CRLF"),
        ("data longer than its size", "3\r\nhello\r\n0\r\n\r\n".into(), "not followed by CRLF"),
    ];
    run(move || async move {
        let session = Session::new();
        for (case, chunks, needle) in cases {
            let server = TestServer::always(format!("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n{chunks}"));
            let result = get_body(&session, &server.url("/")).await;
            assert_protocol(result, needle, case);
        }
    });
}

#[test]
fn chunk_sizes_with_any_number_of_leading_zeros_are_read() {
    run(|| async {
        let session = Session::new();
        for zeros in [16, 17, 100, 1000] {
            let padded = "0".repeat(zeros);
            let server = TestServer::always(format!(
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n{padded}5\r\nhello\r\n{padded}0\r\n\r\n"
            ));
            assert_eq!(get_body(&session, &server.url("/")).await.unwrap(), b"hello", "{zeros} zeros");
        }
    });
}

#[test]
fn valid_chunk_extensions_and_trailers_are_accepted_and_trailers_appear_after_the_body() {
    run(|| async {
        let server = TestServer::always(
            &b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Checksum\r\n\r\n\
               5 ;a=1 ; b = \"quoted;\\\"value\"\r\nhello\r\n000\r\nX-Checksum: sha256=abc\r\nX-Empty:\r\n\r\n"[..],
        );
        let mut response = Session::new().get(server.url("/")).await.unwrap();
        assert!(response.trailers().is_empty(), "trailers appear only once the body has ended");
        let mut body = Vec::new();
        while let Some(piece) = response.chunk().await.unwrap() {
            body.extend_from_slice(&piece);
        }
        assert_eq!(body, b"hello");
        assert_eq!(pairs(response.trailers()), owned(&[("X-Checksum", "sha256=abc"), ("X-Empty", "")]));
        assert_eq!(response.trailers().get("x-checksum"), Some("sha256=abc"));
    });
}

// The connection ending early.

#[test]
fn a_content_length_body_cut_short_is_incomplete_and_says_how_much_arrived() {
    run(|| async {
        let server = TestServer::once_per_connection(&b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabcd"[..]);
        match get_body(&Session::new(), &server.url("/")).await {
            Err(Error::Incomplete(message)) => assert!(message.contains("after 4 of 10 body bytes"), "{message}"),
            other => panic!("expected an incomplete body, got {other:?}"),
        }
    });
}

#[test]
fn a_chunked_body_cut_short_is_incomplete_wherever_it_stops() {
    run(|| async {
        let session = Session::new();
        let cuts = [
            "",
            "5",
            "5\r\n",
            "5\r\nhel",
            "5\r\nhello",
            "5\r\nhello\r\n",
            "5\r\nhello\r\n0\r\n",
            "5\r\nhello\r\n0\r\nX: y\r\n",
        ];
        for cut in cuts {
            let server =
                TestServer::once_per_connection(format!("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n{cut}"));
            match get_body(&session, &server.url("/")).await {
                Err(Error::Incomplete(message)) => assert!(message.contains("chunked"), "{cut:?}: {message}"),
                other => panic!("{cut:?}: expected an incomplete body, got {other:?}"),
            }
        }
    });
}

#[test]
fn a_read_error_is_not_followed_by_a_clean_end() {
    // After an error, reading on must not look like the end of a short body.
    run(|| async {
        let server = TestServer::once_per_connection(&b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabcd"[..]);
        let mut response = Session::new().get(server.url("/")).await.unwrap();
        let mut body = Vec::new();
        let error = loop {
            match response.chunk().await {
                Ok(Some(piece)) => body.extend_from_slice(&piece),
                Ok(None) => panic!("a short body ended cleanly after {} bytes", body.len()),
                Err(error) => break error,
            }
        };
        assert!(matches!(error, Error::Incomplete(_)), "{error:?}");
        assert!(response.chunk().await.is_err(), "a second read after the error must fail too");
    });
}

#[test]
fn a_close_before_or_during_the_head_is_incomplete() {
    run(|| async {
        let session = Session::new();
        let cases = [
            ("", "without sending a response"),
            ("HTTP/1.1 200 OK\r\nContent-Le", "in the middle of the response head"),
            ("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n", "in the middle of the response head"),
        ];
        for (sent, needle) in cases {
            let server = TestServer::once_per_connection(sent);
            match session.get(server.url("/")).await {
                Err(Error::Incomplete(message)) => assert!(message.contains(needle), "{sent:?}: {message}"),
                other => panic!("{sent:?}: expected an incomplete response, got {other:?}"),
            }
        }
    });
}

// Responses that never have a body.

#[test]
fn head_204_and_304_responses_have_empty_bodies_and_leave_the_connection_reusable() {
    run(|| async {
        let session = Session::new();
        let after = with_length("", b"next");
        let cases = [
            ("HEAD", "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"),
            ("HEAD", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"),
            ("GET", "HTTP/1.1 204 No Content\r\nContent-Length: 1000\r\n\r\n"),
            ("GET", "HTTP/1.1 304 Not Modified\r\nContent-Length: 1000\r\nETag: \"x\"\r\n\r\n"),
        ];
        for (method, first) in cases {
            let server = sequence(vec![first.as_bytes().to_vec(), after.clone()]);
            let response = session.request(method, server.url("/")).await.unwrap();
            assert_eq!(response.content_length(), response.headers().get("content-length").map(|_| 1000));
            assert_eq!(response.bytes().await.unwrap(), b"", "{first:?}");
            assert_eq!(get_body(&session, &server.url("/")).await.unwrap(), b"next", "{first:?}");
            let connections: Vec<usize> = server.received().iter().map(|request| request.connection).collect();
            assert_eq!(connections, [0, 0], "{first:?}: the next request must reuse the connection");
        }
    });
}

// Interim responses.

#[test]
fn interim_100_and_103_responses_are_skipped() {
    run(|| async {
        let session = Session::new();
        let cases = [
            "HTTP/1.1 100 Continue\r\n\r\n",
            "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload; as=style\r\nLink: </app.js>; rel=preload\r\n\r\n",
            "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\n\r\n\
             HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\nHTTP/1.1 103 Early Hints\r\n\r\n",
        ];
        for interim in cases {
            let server = TestServer::start(move |mut conn| {
                conn.stream.set_nodelay(true).unwrap();
                while conn.read_request().is_some() {
                    // The interim heads and the final one arrive in separate reads.
                    conn.send(interim.as_bytes());
                    thread::sleep(Duration::from_millis(5));
                    conn.send(b"HTTP/1.1 200 OK\r\nX-Final: yes\r\nContent-Length: 2\r\n\r\nok");
                }
            });
            let response = session.get(server.url("/")).await.unwrap();
            assert_eq!(response.status(), 200, "{interim:?}");
            assert_eq!(pairs(response.headers()), owned(&[("X-Final", "yes"), ("Content-Length", "2")]));
            assert_eq!(response.bytes().await.unwrap(), b"ok");
        }
    });
}

#[test]
fn a_101_response_is_final_with_an_empty_body() {
    run(|| async {
        let server = TestServer::always(
            &b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\x81\x05hello"[..],
        );
        let session = Session::new();
        let response = session.get(server.url("/")).await.unwrap();
        assert_eq!(response.status(), 101);
        assert_eq!(response.headers().get("upgrade"), Some("websocket"));
        assert_eq!(response.bytes().await.unwrap(), b"");
        assert_eq!(session.idle_connections(), 0, "a switched connection is not HTTP any more");
    });
}

// Head limits (size and field count) are tested at and one past the limit
// in tests/http_limits.rs.

#[test]
fn a_status_outside_100_to_599_is_a_malformed_head() {
    run(|| async {
        let session = Session::new();
        for status in ["099", "000", "600", "999"] {
            let server = TestServer::always(format!("HTTP/1.1 {status} Odd\r\nContent-Length: 0\r\n\r\n"));
            assert_protocol(
                session.get(server.url("/")).await,
                &format!("status code {status} is not between"),
                status,
            );
        }
        let server = TestServer::always(&b"HTTP/1.1 599 Edge\r\nContent-Length: 0\r\n\r\n"[..]);
        assert_eq!(session.get(server.url("/")).await.unwrap().status(), 599);
    });
}

#[test]
fn a_peer_that_does_not_speak_http_fails_fast() {
    run(|| async {
        let server = TestServer::start(|mut conn| {
            // An SSH server sends its banner and then waits for the client's.
            conn.send(b"SSH-2.0-OpenSSH_9.2\r\n");
            thread::sleep(Duration::from_secs(5));
        });
        let started = Instant::now();
        let result = Session::new().get(server.url("/")).await;
        assert_protocol(result, "does not start with HTTP/", "ssh banner");
        assert!(started.elapsed() < Duration::from_secs(2), "took {:?}", started.elapsed());
    });
}

// Content codings.

/// The text the compression tests send.
const TEXT: &[u8] = b"<html><body>The Shawshank Redemption, The Godfather, The Dark Knight...</body></html>";

#[test]
fn gzip_and_deflate_bodies_are_decoded_transparently() {
    run(|| async {
        let session = Session::new();
        let cases = [("gzip", gzip(TEXT)), ("deflate", zlib(TEXT)), ("deflate", raw_deflate(TEXT))];
        for (coding, encoded) in cases {
            let server = TestServer::always(with_length(&format!("Content-Encoding: {coding}\r\n"), &encoded));
            let response = session.get(server.url("/")).await.unwrap();
            assert_eq!(response.content_length(), Some(encoded.len() as u64), "on-the-wire length");
            assert_eq!(response.bytes().await.unwrap(), TEXT, "{coding}");
            assert_eq!(server.received()[0].header("accept-encoding"), Some("gzip, deflate, br, zstd"));
        }
    });
}

#[test]
fn decompress_false_returns_raw_bytes_and_does_not_ask_for_compression() {
    run(|| async {
        let encoded = gzip(TEXT);
        let server = TestServer::always(with_length("Content-Encoding: gzip\r\n", &encoded));
        let session = Session::builder().decompress(false).build().unwrap();
        assert_eq!(get_body(&session, &server.url("/")).await.unwrap(), encoded);
        assert_eq!(server.received()[0].header("accept-encoding"), None);
    });
}

#[test]
fn a_gzip_bomb_stops_at_the_body_size_limit() {
    run(|| async {
        let bomb = gzip(&vec![0; 10 << 20]);
        assert!(bomb.len() < 64 * 1024, "the bomb is small on the wire: {}", bomb.len());
        let server = TestServer::always(with_length("Content-Encoding: gzip\r\n", &bomb));
        let session = Session::builder().max_body_size(1 << 20).build().unwrap();
        match get_body(&session, &server.url("/")).await {
            Err(Error::BodyTooLarge { limit }) => assert_eq!(limit, 1 << 20),
            other => panic!("expected BodyTooLarge, got {:?}", other.map(|body| body.len())),
        }
    });
}

#[test]
fn corrupt_compressed_bodies_are_decode_errors() {
    run(|| async {
        let session = Session::new();
        let mut bad_crc = gzip(TEXT);
        let crc_at = bad_crc.len() - 8;
        bad_crc[crc_at] ^= 0xff;
        let mut truncated = gzip(TEXT);
        truncated.truncate(truncated.len() - 4);
        let cases = [
            ("gzip", b"this is not gzip at all".to_vec()),
            ("gzip", bad_crc),
            ("gzip", truncated),
            ("deflate", b"\xff\xff\xff\xff not deflate".to_vec()),
        ];
        for (coding, body) in cases {
            let server = TestServer::always(with_length(&format!("Content-Encoding: {coding}\r\n"), &body));
            match get_body(&session, &server.url("/")).await {
                Err(Error::Decode(cause)) => {
                    let message = cause.to_string();
                    assert!(!message.is_empty())
                }
                other => panic!("{coding} {body:?}: expected a decode error, got {other:?}"),
            }
        }
    });
}

// text().

#[test]
fn text_uses_the_content_type_charset_and_defaults_to_utf_8() {
    run(|| async {
        let session = Session::new();
        let latin1 = TestServer::always(with_length("Content-Type: text/plain; charset=ISO-8859-1\r\n", b"caf\xe9"));
        assert_eq!(session.get(latin1.url("/")).await.unwrap().text().await.unwrap(), "café");
        let quoted = TestServer::always(with_length("Content-Type: text/html;charset=\"latin1\"\r\n", b"\xfc"));
        assert_eq!(session.get(quoted.url("/")).await.unwrap().text().await.unwrap(), "ü");
        let utf8 = TestServer::always(with_length("Content-Type: text/html\r\n", "豆瓣电影".as_bytes()));
        assert_eq!(session.get(utf8.url("/")).await.unwrap().text().await.unwrap(), "豆瓣电影");
        let none = TestServer::always(with_length("", "肖申克".as_bytes()));
        assert_eq!(session.get(none.url("/")).await.unwrap().text().await.unwrap(), "肖申克");
        // US-ASCII is read as windows-1252, as browsers (the WHATWG labels) do.
        let ascii = TestServer::always(with_length("Content-Type: text/plain; charset=us-ascii\r\n", b"caf\xe9"));
        assert_eq!(session.get(ascii.url("/")).await.unwrap().text().await.unwrap(), "café");
    });
}

#[test]
fn text_of_invalid_utf_8_is_a_decode_error() {
    run(|| async {
        let server = TestServer::always(with_length("Content-Type: text/plain; charset=utf-8\r\n", b"ok\xff\xfe"));
        match Session::new().get(server.url("/")).await.unwrap().text().await {
            Err(Error::Decode(cause)) => {
                let message = cause.to_string();
                assert!(message.contains("UTF-8"), "{message}")
            }
            other => panic!("expected a decode error, got {other:?}"),
        }
    });
}

// What the client sends.

#[test]
fn host_is_the_first_header_and_user_agent_defaults_to_corio() {
    run(|| async {
        let server = TestServer::always(with_length("", b""));
        Session::new().get(server.url("/")).await.unwrap();
        let request = &server.received()[0];
        assert_eq!(request.request_line(), "GET / HTTP/1.1");
        assert_eq!(request.header_lines()[0], format!("Host: {}", server.addr));
        assert_eq!(request.header("user-agent"), Some(concat!("corio/", env!("CARGO_PKG_VERSION"))));
        assert_eq!(corio::http::DEFAULT_USER_AGENT, concat!("corio/", env!("CARGO_PKG_VERSION")));
        assert_eq!(request.header("content-length"), None, "a GET without a body has no Content-Length");
    });
}

#[test]
fn user_agent_can_be_overridden_per_session_and_per_request() {
    run(|| async {
        let server = TestServer::always(with_length("", b""));
        let session = Session::builder().user_agent("crawler/1.0").build().unwrap();
        session.get(server.url("/")).await.unwrap();
        session.get(server.url("/")).header("User-Agent", "request/2.0").await.unwrap();
        let received = server.received();
        let agents = |index: usize| -> Vec<String> {
            let lines = received[index].header_lines();
            lines
                .iter()
                .filter(|line| line.to_ascii_lowercase().starts_with("user-agent:"))
                .map(|l| l.to_string())
                .collect()
        };
        assert_eq!(agents(0), ["User-Agent: crawler/1.0"]);
        assert_eq!(agents(1), ["User-Agent: request/2.0"]);
    });
}

#[test]
fn bodies_carry_their_content_length_and_content_type() {
    run(|| async {
        let server = TestServer::always(with_length("", b""));
        let session = Session::new();
        session.put(server.url("/blob")).body(&b"\x00\x01binary"[..]).await.unwrap();
        session.post(server.url("/form")).form(&[("q", "肖申克 救赎"), ("a&b", "c=d")]).await.unwrap();
        session.post(server.url("/api")).json_text(r#"{"rank": 1, "title": "霸王别姬"}"#).await.unwrap();
        session.post(server.url("/empty")).await.unwrap();
        let received = server.received();

        assert_eq!(received[0].request_line(), "PUT /blob HTTP/1.1");
        assert_eq!(received[0].header("content-length"), Some("8"));
        assert_eq!(received[0].body, b"\x00\x01binary");

        let form = "q=%E8%82%96%E7%94%B3%E5%85%8B+%E6%95%91%E8%B5%8E&a%26b=c%3Dd";
        assert_eq!(received[1].header("content-type"), Some("application/x-www-form-urlencoded"));
        assert_eq!(received[1].header("content-length"), Some(form.len().to_string().as_str()));
        assert_eq!(String::from_utf8_lossy(&received[1].body), form);

        let json = r#"{"rank": 1, "title": "霸王别姬"}"#;
        assert_eq!(received[2].header("content-type"), Some("application/json"));
        assert_eq!(received[2].header("content-length"), Some(json.len().to_string().as_str()));
        assert_eq!(received[2].body, json.as_bytes());

        assert_eq!(received[3].request_line(), "POST /empty HTTP/1.1");
        assert_eq!(received[3].header("content-length"), Some("0"));
        let last_header = *received[3].header_lines().last().unwrap();
        assert_eq!(last_header, "Content-Length: 0");
    });
}

#[test]
fn the_fragment_is_never_sent_and_the_target_is_percent_encoded() {
    run(|| async {
        let server = TestServer::always(with_length("", b""));
        let session = Session::new();
        session.get(server.url("/page?x=1#section-2")).await.unwrap();
        session.get(server.url("/a b/豆瓣?q=a b&r=é#frag ment")).await.unwrap();
        session.get(server.url("/top250")).query(&[("start", "25"), ("title", "肖申克 救赎")]).await.unwrap();
        let lines: Vec<String> = server.received().iter().map(|request| request.request_line().to_owned()).collect();
        assert_eq!(
            lines,
            [
                "GET /page?x=1 HTTP/1.1",
                "GET /a%20b/%E8%B1%86%E7%93%A3?q=a%20b&r=%C3%A9 HTTP/1.1",
                "GET /top250?start=25&title=%E8%82%96%E7%94%B3%E5%85%8B+%E6%95%91%E8%B5%8E HTTP/1.1",
            ]
        );
    });
}

#[test]
fn cr_lf_or_nul_in_a_method_header_or_url_is_refused_before_connecting() {
    run(|| async {
        let server = TestServer::always(with_length("", b"ok"));
        let session = Session::new();
        let url = server.url("/");
        for bad in ["\r", "\n", "\0"] {
            let method = format!("GET{bad}X");
            let result = session.request(&method, url.as_str()).await;
            assert!(matches!(result, Err(Error::InvalidRequest(_))), "method {method:?}: {result:?}");
            let name = format!("X-Name{bad}Injected");
            let result = session.get(url.as_str()).header(name.as_str(), "v").await;
            assert!(matches!(result, Err(Error::InvalidRequest(_))), "header name {name:?}: {result:?}");
            let value = format!("v{bad}Set-Cookie: a=1");
            let result = session.get(url.as_str()).header("X-Value", value.as_str()).await;
            assert!(matches!(result, Err(Error::InvalidRequest(_))), "header value {value:?}: {result:?}");
            let target = server.url(&format!("/a{bad}b"));
            let result = session.get(target.as_str()).await;
            assert!(matches!(result, Err(Error::Url(_))), "url {target:?}: {result:?}");
            let built = Session::builder().header("X-Default", value.as_str()).build();
            assert!(matches!(built, Err(Error::InvalidRequest(_))), "session header {value:?}");
        }
        for (name, value) in [("Content-Length", "5"), ("content-length", "0"), ("Transfer-Encoding", "chunked")] {
            let result = session.post(url.as_str()).header(name, value).body("hello").await;
            match result {
                Err(Error::InvalidRequest(message)) => assert!(message.contains(name), "{message}"),
                other => panic!("{name}: expected an invalid request, got {other:?}"),
            }
        }
        // Give a stray connection time to be accepted before counting.
        corio::sleep(Duration::from_millis(50)).await;
        assert_eq!(server.connections(), 0);
        // The server does count connections: a valid request makes one.
        assert_eq!(get_body(&session, &url).await.unwrap(), b"ok");
        assert_eq!(server.connections(), 1);
        assert_eq!(server.received().len(), 1);
    });
}

// Streaming.

#[test]
fn chunk_yields_pieces_that_concatenate_to_the_body_and_then_none() {
    run(|| async {
        let body: Vec<u8> = (0..4000u32).map(|index| (index % 251) as u8).collect();
        let mut response = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
        response.extend_from_slice(&chunked(&body, 500));
        let server = TestServer::start(move |mut conn| {
            conn.stream.set_nodelay(true).unwrap();
            while conn.read_request().is_some() {
                conn.send_trickle(&response, 700, Duration::from_millis(2));
            }
        });
        let session = Session::new();
        let mut streamed = session.get(server.url("/")).await.unwrap();
        let mut pieces = Vec::new();
        while let Some(piece) = streamed.chunk().await.unwrap() {
            assert!(!piece.is_empty(), "a piece is never empty; the end is None");
            pieces.push(piece);
        }
        assert!(pieces.len() > 1, "a trickled body arrives in several pieces");
        assert_eq!(pieces.concat(), body);
        assert_eq!(streamed.chunk().await.unwrap(), None, "the end stays the end");
        assert_eq!(session.idle_connections(), 1, "a body read to its end frees the connection");
        assert_eq!(get_body(&session, &server.url("/")).await.unwrap(), body);
        assert_eq!(server.connections(), 1);
    });
}

// Regressions from the review of the client.

#[test]
fn one_read_of_a_bomb_returns_a_bounded_piece_even_through_stacked_codings() {
    run(|| async {
        // 64 MiB of zeros, gzipped twice: a few hundred bytes on the wire.
        let body = gzip(&gzip(&vec![0u8; 64 << 20]));
        let server = TestServer::always(with_length("Content-Encoding: gzip, gzip\r\n", &body));
        let session = Session::builder().max_body_size(1 << 30).build().unwrap();
        let mut response = session.get(server.url("/")).await.unwrap();
        let mut total = 0;
        let mut largest = 0;
        while let Some(piece) = response.chunk().await.unwrap() {
            largest = largest.max(piece.len());
            total += piece.len();
        }
        assert_eq!(total, 64 << 20);
        assert!(largest <= 2 << 20, "one chunk() returned {largest} bytes");
    });
}

#[test]
fn an_unsupported_content_encoding_fails_the_body_read_not_the_request() {
    run(|| async {
        let server = TestServer::always(with_length("Content-Encoding: compress\r\n", b"xx"));
        let response = Session::new().get(server.url("/")).await.unwrap();
        let head = (response.status().as_u16(), response.headers().get("content-encoding"));
        assert_eq!(head, (200, Some("compress")));
        let error = response.bytes().await.unwrap_err();
        assert!(matches!(&error, Error::Decode(cause) if cause.to_string().contains("compress")), "{error:?}");
    });
}

#[test]
fn a_transfer_coding_other_than_chunked_is_refused_not_passed_on_encoded() {
    run(|| async {
        let mut response = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n".to_vec();
        response.extend(gzip(b"hello"));
        let server = TestServer::once_per_connection(response);
        assert_protocol(Session::new().get(server.url("/")).await, "gzip", "Transfer-Encoding: gzip");
    });
}

#[test]
fn an_endless_stream_of_interim_responses_is_a_protocol_error() {
    run(|| async {
        let server = TestServer::start(|mut conn| {
            if conn.read_request().is_some() {
                for _ in 0..1000 {
                    conn.send(b"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n");
                }
                conn.send(&with_length("", b"end"));
            }
        });
        assert_protocol(Session::new().get(server.url("/")).await, "interim", "1000 interim responses");
    });
}

// Typed causes: what a caller can match on, and the source() chain.

/// The chain of `source()`s below `error`, outermost first.
fn sources(error: &Error) -> Vec<&(dyn std::error::Error + 'static)> {
    let mut chain = Vec::new();
    let mut next = std::error::Error::source(error);
    while let Some(cause) = next {
        chain.push(cause);
        next = cause.source();
    }
    chain
}

#[test]
fn protocol_errors_carry_the_parsers_typed_cause_and_source_leads_to_it() {
    use corio::http::{ChunkedError, FramingError, HeadError, ProtocolError};
    run(|| async {
        let session = Session::new();

        let conflicting =
            TestServer::always(&b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello"[..]);
        let error = session.get(conflicting.url("/")).await.unwrap_err();
        let Error::Protocol(ProtocolError::Framing(FramingError::ConflictingContentLength { first: 5, other: 6 })) =
            &error
        else {
            panic!("expected conflicting lengths, got {error:?}")
        };
        let chain = sources(&error);
        assert_eq!(chain.len(), 2, "{error:?}");
        assert!(chain[0].downcast_ref::<ProtocolError>().is_some());
        assert!(chain[1].downcast_ref::<FramingError>().is_some());
        assert_eq!(error.to_string(), format!("HTTP protocol error: {}", chain[1]));

        let malformed = TestServer::always(&b"HTTP/1.1 2x0 OK\r\n\r\n"[..]);
        let error = session.get(malformed.url("/")).await.unwrap_err();
        assert!(matches!(&error, Error::Protocol(ProtocolError::Head(HeadError::Malformed { .. }))), "{error:?}");
        assert!(sources(&error)[1].downcast_ref::<HeadError>().is_some());

        // A chunked error surfaces while reading the body, not the head.
        let bad_chunk = TestServer::always(&b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"[..]);
        let error = get_body(&session, &bad_chunk.url("/")).await.unwrap_err();
        let expected = ChunkedError::InvalidSizeLine { expected: "a hex digit", found: b'z' };
        assert!(matches!(&error, Error::Protocol(ProtocolError::Chunked(cause)) if *cause == expected), "{error:?}");
        assert_eq!(sources(&error)[1].downcast_ref::<ChunkedError>(), Some(&expected));
    });
}

#[test]
fn violations_found_by_the_client_itself_are_typed_and_end_the_chain() {
    use corio::http::ProtocolError;
    run(|| async {
        let interim = TestServer::start(|mut conn| {
            if conn.read_request().is_some() {
                conn.send(&b"HTTP/1.1 103 Early Hints\r\n\r\n".repeat(20));
            }
        });
        let error = Session::new().get(interim.url("/")).await.unwrap_err();
        assert!(matches!(&error, Error::Protocol(ProtocolError::TooManyInterimResponses { max: 16 })), "{error:?}");
        assert_eq!(sources(&error).len(), 1, "the ProtocolError is the end of the chain");

        // A proxy that accepts the tunnel and talks before the TLS handshake.
        let proxy = TestServer::once_per_connection(&b"HTTP/1.1 200 Connection established\r\n\r\nextra"[..]);
        let session = Session::builder().proxy(format!("http://{}", proxy.addr)).build().unwrap();
        let error = session.get("https://secure.test/").await.unwrap_err();
        assert!(matches!(&error, Error::Protocol(ProtocolError::DataAfterConnect)), "{error:?}");
        assert_eq!(error.to_string(), "HTTP protocol error: the proxy sent data after accepting the CONNECT tunnel");
    });
}

#[test]
fn decode_errors_carry_the_content_decoders_cause_or_the_charset_problem() {
    use corio::http::{ContentDecodeError, DecodeError};
    run(|| async {
        let session = Session::new();

        let compress = TestServer::always(with_length("Content-Encoding: compress\r\n", b"xx"));
        let error = get_body(&session, &compress.url("/")).await.unwrap_err();
        let unsupported = ContentDecodeError::UnsupportedEncoding("compress".into());
        assert!(matches!(&error, Error::Decode(DecodeError::Content(cause)) if *cause == unsupported), "{error:?}");
        let chain = sources(&error);
        assert_eq!(chain.len(), 2, "{error:?}");
        assert_eq!(chain[1].downcast_ref::<ContentDecodeError>(), Some(&unsupported));

        let not_gzip = TestServer::always(with_length("Content-Encoding: gzip\r\n", b"not gzip"));
        let error = get_body(&session, &not_gzip.url("/")).await.unwrap_err();
        assert!(matches!(&error, Error::Decode(DecodeError::Content(ContentDecodeError::Corrupt(_)))), "{error:?}");

        let utf8 = TestServer::always(with_length("Content-Type: text/plain\r\n", b"ok\xff"));
        let error = session.get(utf8.url("/")).await.unwrap().text().await.unwrap_err();
        let malformed = DecodeError::Malformed { charset: "UTF-8", offset: 2 };
        assert!(matches!(&error, Error::Decode(cause) if *cause == malformed), "{error:?}");
        assert_eq!(sources(&error).len(), 1, "the decode error has no cause of its own");

        let klingon = TestServer::always(with_length("Content-Type: text/html; charset=x-klingon\r\n", b"x"));
        let error = session.get(klingon.url("/")).await.unwrap().text().await.unwrap_err();
        assert!(
            matches!(&error, Error::Decode(DecodeError::UnsupportedCharset(name)) if name == "x-klingon"),
            "{error:?}"
        );
        assert_eq!(
            error.to_string(),
            "could not decode the response body: charset \"x-klingon\" is not an encoding this client knows; \
             read the body with text_lossy() or bytes() instead"
        );
    });
}
