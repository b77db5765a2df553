//! What goes into request bodies and comes out of response bodies, through
//! `Session` against a scripted server on 127.0.0.1: JSON both ways with
//! serde, and its errors; charsets in `text()` and `text_lossy()`; brotli
//! and zstd response bodies; multipart forms; request bodies streamed from
//! a file or an async source.
//!
//! Every test runs on the real clock (`corio::run`): the sockets are real.

mod common;

use std::future::Future;
use std::time::Duration;

use common::http::TestServer;
use corio::http::{DecodeError, Error, Session, StatusCode};

/// Runs `test` on a fresh real-clock loop, failing if it takes over 15 s.
fn run<F, Fut>(test: F)
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = ()> + 'static,
{
    common::within(Duration::from_secs(15), move || corio::run(test()));
}

/// `200 OK` with the extra header lines `fields` (each ending in CRLF) and
/// a Content-Length body.
fn with_length(fields: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 200 OK\r\n{fields}Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    out.extend_from_slice(body);
    out
}

// JSON, with the default `json` feature.

#[cfg(feature = "json")]
mod json {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Serialize};

    use super::*;

    /// A movie as the crawler's JSON lines write it.
    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Movie {
        rank: u32,
        title: String,
        languages: Vec<String>,
    }

    fn farewell() -> Movie {
        Movie { rank: 2, title: "霸王别姬".into(), languages: vec!["汉语普通话".into()] }
    }

    #[test]
    fn json_serialises_a_value_with_its_content_type_and_length() {
        run(|| async {
            let server = TestServer::always(with_length("", b""));
            Session::new().post(server.url("/movies")).json(&farewell()).await.unwrap();
            let received = &server.received()[0];
            let expected = r#"{"rank":2,"title":"霸王别姬","languages":["汉语普通话"]}"#;
            assert_eq!(received.header("content-type"), Some("application/json"));
            assert_eq!(received.header("content-length"), Some(expected.len().to_string().as_str()));
            assert_eq!(String::from_utf8_lossy(&received.body), expected);
        });
    }

    #[test]
    fn json_keeps_a_content_type_set_by_hand_and_json_text_sends_text_as_given() {
        run(|| async {
            let server = TestServer::always(with_length("", b""));
            let session = Session::new();
            let typed = session.post(server.url("/")).header("Content-Type", "application/vnd.movie+json");
            typed.json(&farewell()).await.unwrap();
            session.post(server.url("/")).json_text(r#"{"rank": 1}"#).await.unwrap();
            let received = server.received();
            assert_eq!(received[0].header("content-type"), Some("application/vnd.movie+json"));
            assert_eq!(received[1].header("content-type"), Some("application/json"));
            assert_eq!(received[1].body, br#"{"rank": 1}"#);
        });
    }

    #[test]
    fn a_value_json_cannot_hold_fails_before_anything_is_sent() {
        run(|| async {
            let server = TestServer::always(with_length("", b""));
            // JSON object keys are strings; serde_json refuses a map keyed by pairs.
            let bad = BTreeMap::from([((1, 2), "pair")]);
            let error = Session::new().post(server.url("/")).json(&bad).await.unwrap_err();
            assert!(matches!(&error, Error::InvalidRequest(why) if why.contains("serialised as JSON")), "{error}");
            assert_eq!(server.connections(), 0);
        });
    }

    #[test]
    fn response_json_decodes_into_the_type_asked_for() {
        run(|| async {
            let body = r#"{"rank": 2, "title": "霸王别姬", "languages": ["汉语普通话"]}"#;
            let server = TestServer::always(with_length("Content-Type: application/json\r\n", body.as_bytes()));
            let movie: Movie = Session::new().get(server.url("/")).await.unwrap().json().await.unwrap();
            assert_eq!(movie, farewell());
        });
    }

    #[test]
    fn a_body_that_is_not_the_json_expected_is_a_decode_error_saying_where() {
        run(|| async {
            let session = Session::new();
            // Not JSON at all: serde stops at the first character.
            let html = TestServer::always(with_length("", b"<html>"));
            let error = session.get(html.url("/")).await.unwrap().json::<Movie>().await.unwrap_err();
            match &error {
                Error::Decode(DecodeError::Json { line: 1, column: 1, reason }) => {
                    assert!(reason.contains("expected value"), "{reason}")
                }
                other => panic!("expected a JSON decode error, got {other:?}"),
            }
            assert_eq!(
                error.to_string(),
                "could not decode the response body: the body is not the JSON expected, at line 1 column 1: \
                 expected value; read it with text() to see it"
            );
            // JSON, but a field is missing.
            let partial = TestServer::always(with_length("", b"{\n\"rank\": 2}"));
            let error = session.get(partial.url("/")).await.unwrap().json::<Movie>().await.unwrap_err();
            assert!(matches!(&error, Error::Decode(DecodeError::Json { line: 2, .. })), "{error:?}");
            assert!(error.to_string().contains("missing field `title`"), "{error}");
        });
    }
}

// Charsets: text() and text_lossy().

/// `text` encoded in the WHATWG encoding labelled `label`, with encoding_rs.
fn encoded(label: &str, text: &str) -> Vec<u8> {
    let encoding = encoding_rs::Encoding::for_label(label.as_bytes()).unwrap();
    let (bytes, _, unmappable) = encoding.encode(text);
    assert!(!unmappable, "{text:?} has characters {label} cannot hold");
    bytes.into_owned()
}

/// The text of a response whose head carries `fields` and whose body is `body`.
async fn text_of(fields: &str, body: &[u8]) -> Result<String, Error> {
    let server = TestServer::always(with_length(fields, body));
    Session::new().get(server.url("/")).await?.text().await
}

#[test]
fn a_gbk_page_decodes_from_the_header_charset_or_its_meta() {
    run(|| async {
        let title = "<title>豆瓣电影 Top 250</title><p>肖申克的救赎 / The Shawshank Redemption</p>";
        let page = encoded("gbk", title);
        assert!(String::from_utf8(page.clone()).is_err(), "the page must not happen to be UTF-8");
        // Declared in Content-Type (gb2312 is a label of GBK).
        assert_eq!(text_of("Content-Type: text/html; charset=GBK\r\n", &page).await.unwrap(), title);
        assert_eq!(text_of("Content-Type: text/html; charset=\"gb2312\"\r\n", &page).await.unwrap(), title);
        // Declared only in the page, both ways HTML allows.
        for meta in
            ["<meta charset=\"gbk\">", "<META HTTP-EQUIV=\"Content-Type\" CONTENT=\"text/html; charset=gb2312\">"]
        {
            let html = [format!("<!DOCTYPE html><html><head>{meta}").into_bytes(), page.clone()].concat();
            let text = text_of("Content-Type: text/html\r\n", &html).await.unwrap();
            assert!(text.ends_with(title), "{meta}: {text}");
            assert_eq!(text_of("", &html).await.unwrap(), text, "{meta}, no Content-Type at all");
        }
    });
}

#[test]
fn the_header_charset_wins_over_meta_and_a_bom_wins_over_both() {
    run(|| async {
        let words = "肖申克的救贖";
        let big5 = [b"<meta charset=gbk>".to_vec(), encoded("big5", words)].concat();
        let text = text_of("Content-Type: text/html; charset=big5\r\n", &big5).await.unwrap();
        assert_eq!(text, format!("<meta charset=gbk>{words}"));
        let bom = [b"\xef\xbb\xbf<meta charset=gbk>".as_slice(), words.as_bytes()].concat();
        let text = text_of("Content-Type: text/html; charset=big5\r\n", &bom).await.unwrap();
        assert_eq!(text, format!("<meta charset=gbk>{words}"), "the BOM is not part of the text");
        let utf16 = [b"\xff\xfe".to_vec(), words.encode_utf16().flat_map(u16::to_le_bytes).collect()].concat();
        assert_eq!(text_of("Content-Type: text/plain\r\n", &utf16).await.unwrap(), words);
    });
}

#[test]
fn other_whatwg_encodings_decode_too() {
    run(|| async {
        // (label, text): one per family of the Encoding Standard.
        let cases = [
            ("gb18030", "霸王别姬 €"),
            ("big5", "霸王別姬"),
            ("shift_jis", "千と千尋の神隠し"),
            ("euc-jp", "となりのトトロ"),
            ("euc-kr", "기생충"),
            ("koi8-r", "Сталкер"),
            ("windows-1251", "Иван Грозный"),
            ("iso-8859-7", "Ζορμπάς"),
            ("windows-1252", "Amélie — “Le fabuleux destin”"),
        ];
        for (label, text) in cases {
            let fields = format!("Content-Type: text/plain; charset={label}\r\n");
            assert_eq!(text_of(&fields, &encoded(label, text)).await.unwrap(), text, "{label}");
        }
    });
}

#[test]
fn malformed_text_is_an_error_in_text_and_replaced_in_text_lossy() {
    run(|| async {
        let mut page = encoded("gbk", "豆瓣");
        let offset = page.len();
        page.extend_from_slice(b"\xff!");
        let fields = "Content-Type: text/html; charset=gbk\r\n";
        let error = text_of(fields, &page).await.unwrap_err();
        assert!(
            matches!(&error, Error::Decode(DecodeError::Malformed { charset: "GBK", offset: at }) if *at == offset)
        );
        assert_eq!(
            error.to_string(),
            "could not decode the response body: the body is not valid GBK (first bad byte at offset 4); \
             read it with text_lossy() or bytes() instead"
        );
        let server = TestServer::always(with_length(fields, &page));
        let lossy = Session::new().get(server.url("/")).await.unwrap().text_lossy().await.unwrap();
        assert_eq!(lossy, "豆瓣\u{fffd}!");
    });
}

#[test]
fn text_lossy_passes_over_an_unknown_charset_as_browsers_do() {
    run(|| async {
        let page = [b"<meta charset=gbk>".to_vec(), encoded("gbk", "豆瓣")].concat();
        let fields = "Content-Type: text/html; charset=x-klingon\r\n";
        let error = text_of(fields, &page).await.unwrap_err();
        assert!(matches!(&error, Error::Decode(DecodeError::UnsupportedCharset(name)) if name == "x-klingon"));
        let server = TestServer::always(with_length(fields, &page));
        let lossy = Session::new().get(server.url("/")).await.unwrap().text_lossy().await.unwrap();
        assert_eq!(lossy, "<meta charset=gbk>豆瓣", "the <meta> decides once the header's label is unknown");
    });
}

// Brotli and zstd response bodies.

/// `data` brotli-compressed.
fn brotli(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams { quality: 5, ..Default::default() };
    brotli::BrotliCompress(&mut &data[..], &mut out, &params).unwrap();
    out
}

/// `data` zstd-compressed.
fn zstd(data: &[u8]) -> Vec<u8> {
    ruzstd::encoding::compress_to_vec(data, ruzstd::encoding::CompressionLevel::Fastest)
}

/// `body` in chunked framing, `piece` bytes per chunk.
fn chunked(body: &[u8], piece: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for part in body.chunks(piece) {
        out.extend_from_slice(format!("{:x}\r\n", part.len()).as_bytes());
        out.extend_from_slice(part);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}

#[test]
fn brotli_and_zstd_bodies_are_asked_for_and_decoded() {
    run(|| async {
        let page = "<li><span class=\"title\">肖申克的救赎</span></li>\n".repeat(2000);
        let session = Session::new();
        for (coding, encoded) in [("br", brotli(page.as_bytes())), ("zstd", zstd(page.as_bytes()))] {
            assert!(encoded.len() < page.len() / 10, "{coding}: {} bytes", encoded.len());
            let fields = format!("Content-Type: text/html; charset=utf-8\r\nContent-Encoding: {coding}\r\n");
            let server = TestServer::always(with_length(&fields, &encoded));
            assert_eq!(session.get(server.url("/")).await.unwrap().text().await.unwrap(), page, "{coding}");
            let accepted = server.received()[0].header("accept-encoding").map(str::to_owned);
            assert_eq!(accepted.as_deref(), Some("gzip, deflate, br, zstd"));
            // The same through chunked framing, in chunks smaller than a block.
            let head = format!("HTTP/1.1 200 OK\r\nContent-Encoding: {coding}\r\nTransfer-Encoding: chunked\r\n\r\n");
            let server = TestServer::always([head.into_bytes(), chunked(&encoded, 100)].concat());
            assert_eq!(session.get(server.url("/")).await.unwrap().bytes().await.unwrap(), page.as_bytes());
        }
    });
}

#[test]
fn a_cut_short_or_corrupt_brotli_or_zstd_body_is_a_decode_error() {
    use corio::http::ContentDecodeError;
    run(|| async {
        let session = Session::new();
        let text = b"the quick brown fox jumps over the lazy dog".repeat(50);
        for (coding, encoded) in [("br", brotli(&text)), ("zstd", zstd(&text))] {
            let fields = format!("Content-Encoding: {coding}\r\n");
            let cut = TestServer::always(with_length(&fields, &encoded[..encoded.len() - 2]));
            let error = session.get(cut.url("/")).await.unwrap().bytes().await.unwrap_err();
            let truncated = matches!(&error, Error::Decode(DecodeError::Content(ContentDecodeError::Truncated)));
            assert!(truncated, "{coding}: {error:?}");
            let garbage = TestServer::always(with_length(&fields, b"<html>not compressed</html>"));
            let error = session.get(garbage.url("/")).await.unwrap().bytes().await.unwrap_err();
            let corrupt = matches!(&error, Error::Decode(DecodeError::Content(ContentDecodeError::Corrupt(_))));
            assert!(corrupt, "{coding}: {error:?}");
        }
    });
}

// multipart/form-data.

#[test]
fn a_multipart_form_goes_out_with_its_boundary_and_parts_in_order() {
    use corio::http::FormData;
    run(|| async {
        let server = TestServer::always(with_length("", b""));
        let jpeg = b"\xff\xd8\xff\xe0 not really a jpeg \x00\x01".to_vec();
        let form = FormData::new().text("rank", "1").text("title", "肖申克的救赎").file(
            "poster",
            "p480747492.jpg",
            "image/jpeg",
            jpeg.clone(),
        );
        let boundary = form.boundary().to_owned();
        // A Content-Type set by hand could not name the boundary: it is replaced.
        let request = Session::new().post(server.url("/upload")).header("Content-Type", "text/plain");
        request.multipart(form).await.unwrap();
        let received = &server.received()[0];
        let expected_type = format!("multipart/form-data; boundary={boundary}");
        assert_eq!(received.header("content-type"), Some(expected_type.as_str()));
        assert_eq!(received.header("content-length"), Some(received.body.len().to_string().as_str()));
        // Split the body at the boundary lines, as a server would.
        let delimiter = format!("--{boundary}");
        let text = received.body.iter().map(|&b| char::from(b)).collect::<String>();
        let parts: Vec<&str> = text.split(delimiter.as_str()).collect();
        assert_eq!(parts.len(), 5, "preamble, three parts, the closing --");
        assert_eq!((parts[0], parts[4]), ("", "--\r\n"));
        let (head, value) = parts[3].split_once("\r\n\r\n").unwrap();
        assert_eq!(
            head,
            "\r\nContent-Disposition: form-data; name=\"poster\"; filename=\"p480747492.jpg\"\r\nContent-Type: image/jpeg"
        );
        let bytes: Vec<u8> = value.strip_suffix("\r\n").unwrap().chars().map(|c| c as u8).collect();
        assert_eq!(bytes, jpeg);
        let title =
            [b"\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\n".as_slice(), "肖申克的救赎".as_bytes()];
        assert!(received.body.windows(title.concat().len()).any(|window| window == title.concat()));
    });
}

// Streamed request bodies.

/// A server that keeps each request's raw bytes (head and a chunked body
/// up to its last chunk) and answers every one with `answer`.
fn raw_recorder(answer: impl Into<Vec<u8>>) -> (TestServer, std::sync::Arc<std::sync::Mutex<Vec<Vec<u8>>>>) {
    use std::io::Read;
    let answer = answer.into();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let kept = std::sync::Arc::clone(&seen);
    let server = TestServer::start(move |mut conn| {
        let mut request = Vec::new();
        let mut byte = [0u8; 1];
        while !request.ends_with(b"0\r\n\r\n") {
            match conn.stream.read(&mut byte) {
                Ok(1) => request.push(byte[0]),
                _ => break,
            }
        }
        kept.lock().unwrap().push(request);
        conn.send(&answer);
    });
    (server, seen)
}

/// A stream giving `chunks` in turn, each after a loop iteration's pause.
fn stream_of(chunks: Vec<&'static [u8]>) -> corio::http::BodyStream {
    let mut chunks = chunks.into_iter();
    corio::http::BodyStream::new(move || {
        let next = chunks.next();
        async move {
            corio::sleep(Duration::ZERO).await;
            next.map(|chunk| Ok(chunk.to_vec()))
        }
    })
}

#[test]
fn a_stream_of_unknown_length_is_sent_chunked_as_it_comes() {
    run(|| async {
        let (server, seen) = raw_recorder(b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n");
        let body = stream_of(vec![b"rank 1\n", b"", b"rank 2, a longer line\n"]);
        let response = Session::new().post(server.url("/log")).body_stream(body).await.unwrap();
        assert_eq!(response.status(), 201);
        let request = String::from_utf8(seen.lock().unwrap()[0].clone()).unwrap();
        let (head, body) = request.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("POST /log HTTP/1.1\r\n"), "{head}");
        assert!(head.ends_with("\r\nTransfer-Encoding: chunked"), "{head}");
        assert!(!head.to_ascii_lowercase().contains("content-length"), "{head}");
        // The empty chunk was skipped: it would have ended the body.
        assert_eq!(body, "7\r\nrank 1\n\r\n16\r\nrank 2, a longer line\n\r\n0\r\n\r\n");
    });
}

#[test]
fn a_file_is_streamed_with_its_length() {
    run(|| async {
        let path = std::env::temp_dir().join(format!("corio-body-{}.bin", std::process::id()));
        // Larger than one 64 KiB read, so it goes in several pieces.
        let contents: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &contents).unwrap();
        let file = std::fs::File::open(&path).unwrap();
        let server = TestServer::always(with_length("", b""));
        let body = corio::http::BodyStream::from_file(file).unwrap();
        Session::new().put(server.url("/upload")).body_stream(body).await.unwrap();
        let _ = std::fs::remove_file(&path);
        let received = &server.received()[0];
        assert_eq!(received.header("content-length"), Some("200000"));
        assert_eq!(received.header("transfer-encoding"), None);
        assert!(received.body == contents, "the file arrived changed");
    });
}

#[test]
fn a_stream_that_breaks_its_length_or_fails_abandons_the_request() {
    run(|| async {
        let server = TestServer::always(with_length("", b""));
        let session = Session::new();
        let short = stream_of(vec![b"abc"]).with_length(5);
        let error = session.post(server.url("/")).body_stream(short).await.unwrap_err();
        assert_eq!(error.to_string(), "invalid request: the body stream announced 5 bytes but gave 3");
        let long = stream_of(vec![b"abc", b"def"]).with_length(4);
        let error = session.post(server.url("/")).body_stream(long).await.unwrap_err();
        assert_eq!(error.to_string(), "invalid request: the body stream announced 4 bytes but gave at least 6");

        let mut calls = 0;
        let failing = corio::http::BodyStream::new(move || {
            calls += 1;
            let call = calls;
            async move {
                match call {
                    1 => Some(Ok(b"first".to_vec())),
                    _ => Some(Err(std::io::Error::other("disk on fire"))),
                }
            }
        });
        let error = session.post(server.url("/")).body_stream(failing).await.unwrap_err();
        assert!(matches!(&error, Error::RequestBody(cause) if cause.to_string() == "disk on fire"), "{error:?}");
        assert_eq!(error.to_string(), "could not read the request body to send: disk on fire");
    });
}

#[test]
fn a_redirect_that_would_resend_a_stream_is_returned_not_followed() {
    run(|| async {
        // 307 repeats the body, which is gone: the 307 comes back.
        let (server, seen) =
            raw_recorder(b"HTTP/1.1 307 Temporary Redirect\r\nLocation: /again\r\nContent-Length: 0\r\n\r\n");
        let response = Session::new().post(server.url("/")).body_stream(stream_of(vec![b"once"])).await.unwrap();
        assert_eq!(
            (response.status(), response.headers().get("location")),
            (StatusCode::TEMPORARY_REDIRECT, Some("/again"))
        );
        assert_eq!(seen.lock().unwrap().len(), 1);
        // 303 drops the body and GETs the target: that is followed.
        let target = TestServer::always(with_length("", b"landed"));
        let moved = format!("HTTP/1.1 303 See Other\r\nLocation: {}\r\nContent-Length: 0\r\n\r\n", target.url("/done"));
        let (server, _) = raw_recorder(moved);
        let response = Session::new().post(server.url("/")).body_stream(stream_of(vec![b"once"])).await.unwrap();
        assert_eq!(response.text().await.unwrap(), "landed");
        assert_eq!(target.received()[0].request_line(), "GET /done HTTP/1.1");
    });
}
