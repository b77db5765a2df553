//! Credentials, through `Session` against scripted servers on 127.0.0.1:
//! `user:password@` in the URL sent as Basic auth, `basic_auth` and
//! `bearer_auth` on requests and sessions, which of them wins, and that
//! none of them follows a redirect to another origin.
//!
//! Every test runs on the real clock (`corio::run`): the sockets are real.

mod common;

use std::time::Duration;

use common::http::{Received, TestServer};
use corio::http::{Error, Session};

/// Runs `test` on a fresh real-clock loop, failing if it takes over 10 s.
fn run<F: Future<Output = ()> + 'static>(test: impl FnOnce() -> F + Send + 'static) {
    common::within(Duration::from_secs(10), move || corio::run(test()));
}

/// `204 No Content`, nothing else.
const NO_CONTENT: &[u8] = b"HTTP/1.1 204 No Content\r\n\r\n";

/// The `Authorization` fields of each request the server received.
fn authorizations(server: &TestServer) -> Vec<Option<String>> {
    let field = |request: &Received| request.header("authorization").map(str::to_owned);
    server.received().iter().map(field).collect()
}

/// A server whose every answer is a 302 to `location`.
fn redirecting_to(location: String) -> TestServer {
    let answer = format!("HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\n\r\n");
    TestServer::always(answer.into_bytes())
}

/// `server`'s URL for `path` with `userinfo@` after the scheme.
fn with_userinfo(server: &TestServer, userinfo: &str, path: &str) -> String {
    server.url(path).replacen("http://", &format!("http://{userinfo}@"), 1)
}

#[test]
fn credentials_in_the_url_are_sent_as_basic_auth_percent_decoded() {
    run(|| async {
        let server = TestServer::always(NO_CONTENT);
        let session = Session::new();
        // "s3cret @ home" with its space and '@' percent-encoded.
        session.get(with_userinfo(&server, "ann:s3cret%20%40%20home", "/a")).await.unwrap();
        session.get(with_userinfo(&server, "ann", "/b")).await.unwrap();
        session.get(with_userinfo(&server, "%E8%82%96%E7%94%B3%E5%85%8B:%E5%AF%86%E7%A0%81", "/c")).await.unwrap();
        session.get(server.url("/d")).await.unwrap();
        let received = server.received();
        assert_eq!(
            authorizations(&server),
            [
                Some("Basic YW5uOnMzY3JldCBAIGhvbWU=".into()), // ann:s3cret @ home
                Some("Basic YW5uOg==".into()),                 // ann: (no password)
                Some("Basic 6IKW55Sz5YWLOuWvhueggQ==".into()), // 肖申克:密码, in UTF-8
                None,
            ]
        );
        // The user info is never part of the request line or Host.
        assert_eq!(received[0].request_line(), "GET /a HTTP/1.1");
        assert!(!received[0].head.contains("ann"), "{}", received[0].head);
    });
}

#[test]
fn basic_auth_and_bearer_auth_set_the_exact_header_and_replace_the_urls() {
    run(|| async {
        let server = TestServer::always(NO_CONTENT);
        let session = Session::new();
        session.get(server.url("/")).basic_auth("ann", Some("pw")).await.unwrap();
        session.get(server.url("/")).basic_auth("ann", None).await.unwrap();
        session.get(server.url("/")).bearer_auth("t0k.en").await.unwrap();
        session.get(with_userinfo(&server, "url:creds", "/")).bearer_auth("mine").await.unwrap();
        session.get(with_userinfo(&server, "url:creds", "/")).header("Authorization", "Digest x").await.unwrap();
        assert_eq!(
            authorizations(&server),
            [
                Some("Basic YW5uOnB3".into()),
                Some("Basic YW5uOg==".into()),
                Some("Bearer t0k.en".into()),
                Some("Bearer mine".into()),
                Some("Digest x".into()),
            ]
        );
        // One field each time, never the URL's beside the request's.
        assert!(server.received().iter().all(|request| request.head.matches("Authorization:").count() == 1));
    });
}

#[test]
fn session_credentials_go_with_every_request_unless_the_request_has_its_own() {
    run(|| async {
        let server = TestServer::always(NO_CONTENT);
        let basic = Session::builder().basic_auth("bob", Some("hunter2")).build().unwrap();
        basic.get(server.url("/")).await.unwrap();
        basic.get(server.url("/")).bearer_auth("request").await.unwrap();
        basic.get(with_userinfo(&server, "ann:pw", "/")).await.unwrap();
        let bearer = Session::builder().bearer_auth("session").build().unwrap();
        bearer.get(server.url("/")).await.unwrap();
        assert_eq!(
            authorizations(&server),
            [
                Some("Basic Ym9iOmh1bnRlcjI=".into()),
                Some("Bearer request".into()),
                Some("Basic YW5uOnB3".into()),
                Some("Bearer session".into()),
            ]
        );
    });
}

#[test]
fn a_token_with_a_line_break_is_refused_before_sending() {
    run(|| async {
        let server = TestServer::always(NO_CONTENT);
        let error = Session::new().get(server.url("/")).bearer_auth("a\r\nX-Evil: 1").await.unwrap_err();
        assert!(matches!(error, Error::InvalidRequest(_)), "{error:?}");
        assert!(Session::builder().bearer_auth("a\nb").build().is_err());
        assert_eq!(server.connections(), 0);
    });
}

#[test]
fn url_credentials_follow_a_redirect_on_the_same_origin_only() {
    run(|| async {
        // Same origin: the 302 comes from the server the credentials were for.
        let same = common::http::TestServer::start(|mut conn| {
            while let Some(request) = conn.read_request() {
                let answer: &[u8] = if request.request_line().starts_with("GET /from ") {
                    b"HTTP/1.1 302 Found\r\nLocation: /to\r\nContent-Length: 0\r\n\r\n"
                } else {
                    NO_CONTENT
                };
                conn.send(answer);
            }
        });
        Session::new().get(with_userinfo(&same, "ann:pw", "/from")).await.unwrap();
        assert_eq!(authorizations(&same), [Some("Basic YW5uOnB3".into()), Some("Basic YW5uOnB3".into())]);

        // Another origin (another port): the next hop carries none.
        let elsewhere = TestServer::always(NO_CONTENT);
        let start = redirecting_to(elsewhere.url("/landing"));
        let response = Session::new().get(with_userinfo(&start, "ann:pw", "/")).await.unwrap();
        assert_eq!((response.status().as_u16(), response.history().len()), (204, 1));
        assert_eq!(authorizations(&start), [Some("Basic YW5uOnB3".into())]);
        assert_eq!(authorizations(&elsewhere), [None]);
    });
}

#[test]
fn no_credentials_of_any_kind_cross_to_another_origin() {
    run(|| async {
        let elsewhere = TestServer::always(NO_CONTENT);
        let start = redirecting_to(elsewhere.url("/landing"));
        let session = Session::builder().bearer_auth("session").build().unwrap();
        session.get(start.url("/")).await.unwrap();
        session.get(start.url("/")).basic_auth("ann", Some("pw")).await.unwrap();
        Session::new().get(start.url("/")).bearer_auth("request").await.unwrap();
        assert_eq!(
            authorizations(&start),
            [Some("Bearer session".into()), Some("Basic YW5uOnB3".into()), Some("Bearer request".into())]
        );
        assert_eq!(authorizations(&elsewhere), [None, None, None]);
    });
}
