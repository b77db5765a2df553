//! What goes into request bodies and comes out of response bodies, through
//! `Session` against a scripted server on 127.0.0.1: JSON both ways with
//! serde, and its errors.
//!
//! Every test runs on the real clock (`corio::run`): the sockets are real.

mod common;

use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

use corio::http::{DecodeError, Error, Session};
use serde::{Deserialize, Serialize};

use common::http::TestServer;

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
