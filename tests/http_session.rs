//! The session-level rules of `corio::http`, tested against scripted servers
//! on 127.0.0.1: the keep-alive pool (reuse, limits, FIFO waiting, idle
//! timeout), the one retry of a request on a stale kept-alive connection,
//! redirects (method rewriting, relative locations, history, limits, refused
//! schemes, credentials across origins), the cookie jar, the three timeouts,
//! proxies (absolute form, CONNECT tunnels, the environment), and the errors
//! for unreachable servers and failed statuses.
//!
//! Every test runs on the real clock (`corio::run`): the sockets are real,
//! and a virtual clock would jump straight to the session's pending timers.

mod common;

use std::ffi::OsString;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use common::http::{Received, TestServer};
use corio::http::{Error, Session, StatusCode, TimeoutKind};

/// How long any one test may take before it counts as hung.
const LIMIT: Duration = Duration::from_secs(10);

/// Runs `test` on a real-clock loop of its own, failing if it hangs.
fn run<F: Future<Output = ()> + 'static>(test: impl FnOnce() -> F + Send + 'static) {
    common::within(LIMIT, move || corio::run(test()));
}

/// A complete HTTP/1.1 response with `status` ("200 OK"), extra header lines
/// and a Content-Length body.
fn reply(status: &str, headers: &[&str], body: &str) -> Vec<u8> {
    let mut head = format!("HTTP/1.1 {status}\r\n");
    for header in headers {
        head.push_str(header);
        head.push_str("\r\n");
    }
    format!("{head}Content-Length: {}\r\n\r\n{body}", body.len()).into_bytes()
}

/// `200 OK` with `body`.
fn ok(body: &str) -> Vec<u8> {
    reply("200 OK", &[], body)
}

/// A redirect with `status` to `location`, with an empty body.
fn redirect(status: u16, location: &str) -> Vec<u8> {
    reply(&format!("{status} Redirect"), &[&format!("Location: {location}")], "")
}

/// The request target of a received request (`/path?query`).
fn target(request: &Received) -> &str {
    request.request_line().split(' ').nth(1).unwrap_or("")
}

/// A keep-alive server that answers each request with `route(request)`.
fn routed(route: impl Fn(&Received) -> Vec<u8> + Send + Sync + 'static) -> TestServer {
    TestServer::start(move |mut conn| {
        while let Some(request) = conn.read_request() {
            let response = route(&request);
            conn.send(&response);
        }
    })
}

/// A server that answers each request after holding it for `delay`.
fn slow(delay: Duration, body: &'static str) -> TestServer {
    TestServer::start(move |mut conn| {
        while conn.read_request().is_some() {
            thread::sleep(delay);
            conn.send(&ok(body));
        }
    })
}

/// The request targets a server received, in order.
fn targets(server: &TestServer) -> Vec<String> {
    server.received().iter().map(|request| target(request).to_owned()).collect()
}

// ---------------------------------------------------------------------------
// The keep-alive pool
// ---------------------------------------------------------------------------

#[test]
fn two_sequential_requests_reuse_one_keep_alive_connection() {
    run(|| async {
        let server = TestServer::always(ok("hi"));
        let session = Session::new();
        assert_eq!(session.get(server.url("/1")).await.unwrap().text().await.unwrap(), "hi");
        assert_eq!(session.idle_connections(), 1);
        assert_eq!(session.get(server.url("/2")).await.unwrap().text().await.unwrap(), "hi");
        assert_eq!(server.connections(), 1);
        assert_eq!(session.idle_connections(), 1);
        assert_eq!(session.active_connections(), 0);
        let on: Vec<usize> = server.received().iter().map(|request| request.connection).collect();
        assert_eq!(on, [0, 0]);
    });
}

#[test]
fn a_response_dropped_half_read_closes_its_connection_instead_of_returning_it() {
    run(|| async {
        // /partial announces 10 bytes and sends 5; the rest never comes.
        let server = TestServer::start(|mut conn| {
            while let Some(request) = conn.read_request() {
                if target(&request) == "/partial" {
                    conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n12345");
                } else {
                    conn.send(&ok("full"));
                }
            }
        });
        let session = Session::new();
        let mut response = session.get(server.url("/partial")).await.unwrap();
        assert_eq!(response.chunk().await.unwrap().as_deref(), Some(&b"12345"[..]));
        assert_eq!(session.active_connections(), 1);
        drop(response);
        assert_eq!(session.active_connections(), 0);
        assert_eq!(session.idle_connections(), 0);

        assert_eq!(session.get(server.url("/full")).await.unwrap().text().await.unwrap(), "full");
        assert_eq!(server.connections(), 2);
        assert_eq!(server.received()[1].connection, 1);
    });
}

#[test]
fn connection_close_responses_are_not_reused() {
    run(|| async {
        // The server itself would keep the socket open: only the header says close.
        let server = TestServer::always(reply("200 OK", &["Connection: close"], "bye"));
        let session = Session::new();
        for _ in 0..2 {
            assert_eq!(session.get(server.url("/")).await.unwrap().text().await.unwrap(), "bye");
            assert_eq!(session.idle_connections(), 0);
        }
        assert_eq!(server.connections(), 2);
    });
}

#[test]
fn http_1_0_responses_are_reused_only_with_keep_alive() {
    run(|| async {
        let plain = TestServer::always(b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nhi".to_vec());
        let keep_alive =
            TestServer::always(b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nhi".to_vec());
        let session = Session::new();
        for _ in 0..2 {
            assert_eq!(session.get(plain.url("/")).await.unwrap().text().await.unwrap(), "hi");
            assert_eq!(session.get(keep_alive.url("/")).await.unwrap().text().await.unwrap(), "hi");
        }
        assert_eq!(plain.connections(), 2);
        assert_eq!(keep_alive.connections(), 1);
    });
}

#[test]
fn limit_caps_connections_in_use_and_every_queued_request_still_succeeds() {
    run(|| async {
        let (current, peak) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let server = TestServer::start({
            let (current, peak) = (Arc::clone(&current), Arc::clone(&peak));
            move |mut conn| {
                while conn.read_request().is_some() {
                    let now = current.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(now, Ordering::SeqCst);
                    thread::sleep(Duration::from_millis(100));
                    current.fetch_sub(1, Ordering::SeqCst);
                    conn.send(&ok("done"));
                }
            }
        });
        let session = Session::builder().limit(2).build().unwrap();
        let started = Instant::now();
        let tasks: Vec<_> = (0..5)
            .map(|index| {
                let (session, url) = (session.clone(), server.url(&format!("/{index}")));
                corio::create_task(async move { session.get(url).await?.text().await })
            })
            .collect();
        // gather takes the tasks as they are: one layer of Result, the request's.
        let outcomes = corio::gather(tasks).await.unwrap();
        let bodies: Vec<String> = outcomes.into_iter().map(|body| body.unwrap()).collect();
        assert_eq!(bodies, ["done"; 5]);
        assert_eq!(peak.load(Ordering::SeqCst), 2, "two at a time, never more");
        assert_eq!(server.connections(), 2, "the queued requests reuse the two connections");
        assert_eq!(server.received().len(), 5);
        // Five 100 ms answers two at a time take three rounds.
        assert!(started.elapsed() >= Duration::from_millis(250), "{:?}", started.elapsed());
    });
}

#[test]
fn limit_per_host_queues_one_host_without_blocking_another() {
    run(|| async {
        let busy = slow(Duration::from_millis(400), "busy");
        let other = TestServer::always(ok("other"));
        let session = Session::builder().limit_per_host(1).build().unwrap();
        let first = corio::create_task({
            let (session, url) = (session.clone(), busy.url("/1"));
            async move { session.get(url).await?.text().await }
        });
        let second = corio::create_task({
            let (session, url) = (session.clone(), busy.url("/2"));
            async move { session.get(url).await?.text().await }
        });
        // Let both start: the first holds the busy host's only slot, the second waits.
        corio::sleep(Duration::from_millis(50)).await;
        assert_eq!(session.active_connections(), 1);

        let started = Instant::now();
        assert_eq!(session.get(other.url("/")).await.unwrap().text().await.unwrap(), "other");
        assert!(started.elapsed() < Duration::from_millis(300), "{:?}", started.elapsed());
        assert_eq!(targets(&busy), ["/1"], "the second busy request is still queued");

        assert_eq!(first.await.unwrap().unwrap(), "busy");
        assert_eq!(second.await.unwrap().unwrap(), "busy");
        assert_eq!(targets(&busy), ["/1", "/2"]);
        assert_eq!(busy.connections(), 1);
    });
}

#[test]
fn requests_waiting_for_a_slot_are_served_in_the_order_they_started() {
    run(|| async {
        let server = slow(Duration::from_millis(60), "ok");
        let session = Session::builder().limit(1).build().unwrap();
        let mut tasks = Vec::new();
        for index in 0..5 {
            let (session, url) = (session.clone(), server.url(&format!("/{index}")));
            tasks.push(corio::create_task(async move { session.get(url).await?.text().await }));
            // Let this one reach the pool (and queue) before the next starts.
            corio::sleep(Duration::from_millis(5)).await;
        }
        for task in tasks {
            assert_eq!(task.await.unwrap().unwrap(), "ok");
        }
        assert_eq!(targets(&server), ["/0", "/1", "/2", "/3", "/4"]);
    });
}

#[test]
fn an_idle_connection_older_than_the_keepalive_timeout_is_not_reused() {
    run(|| async {
        let short = TestServer::always(ok("x"));
        let long = TestServer::always(ok("x"));
        let short_session = Session::builder().keepalive_timeout(Duration::from_millis(100)).build().unwrap();
        let long_session = Session::builder().keepalive_timeout(Duration::from_secs(5)).build().unwrap();
        for (session, server) in [(&short_session, &short), (&long_session, &long)] {
            session.get(server.url("/1")).await.unwrap().bytes().await.unwrap();
        }
        corio::sleep(Duration::from_millis(300)).await;
        for (session, server) in [(&short_session, &short), (&long_session, &long)] {
            session.get(server.url("/2")).await.unwrap().bytes().await.unwrap();
        }
        assert_eq!(short.connections(), 2, "idled 300 ms with a 100 ms keep-alive timeout");
        assert_eq!(long.connections(), 1, "idled 300 ms with a 5 s keep-alive timeout");
    });
}

// ---------------------------------------------------------------------------
// Retrying on a stale kept-alive connection
// ---------------------------------------------------------------------------

/// A server whose first connection answers one request, keeps the socket
/// open, then reads the second request and closes without answering; later
/// connections answer "fresh" if `later_answer`, else behave the same way
/// from their first request.
fn closes_after_first_answer(later_answer: bool) -> TestServer {
    TestServer::start(move |mut conn| {
        if conn.index == 0 {
            if conn.read_request().is_some() {
                conn.send(&ok("first"));
            }
            let _ = conn.read_request();
        } else if later_answer {
            while conn.read_request().is_some() {
                conn.send(&ok("fresh"));
            }
        } else {
            let _ = conn.read_request();
        }
        // The socket closes here, with nothing sent for the last request.
    })
}

#[test]
fn a_get_on_a_connection_the_server_closed_is_retried_once_on_a_fresh_one() {
    run(|| async {
        let server = closes_after_first_answer(true);
        let session = Session::new();
        assert_eq!(session.get(server.url("/1")).await.unwrap().text().await.unwrap(), "first");
        assert_eq!(session.get(server.url("/2")).await.unwrap().text().await.unwrap(), "fresh");
        assert_eq!(server.connections(), 2);
        let seen: Vec<(String, usize)> =
            server.received().iter().map(|request| (target(request).to_owned(), request.connection)).collect();
        assert_eq!(seen, [("/1".to_owned(), 0), ("/2".to_owned(), 0), ("/2".to_owned(), 1)]);
    });
}

#[test]
fn a_post_on_a_connection_the_server_closed_is_not_retried() {
    run(|| async {
        let server = closes_after_first_answer(true);
        let session = Session::new();
        session.get(server.url("/1")).await.unwrap().bytes().await.unwrap();
        let error = session.post(server.url("/2")).body("once only").await.unwrap_err();
        assert!(matches!(error, Error::Incomplete(_)), "{error:?}");
        assert_eq!(server.connections(), 1);
        assert_eq!(targets(&server), ["/1", "/2"]);
    });
}

#[test]
fn a_retry_that_fails_too_returns_the_error_without_retrying_again() {
    run(|| async {
        let server = closes_after_first_answer(false);
        let session = Session::new();
        session.get(server.url("/1")).await.unwrap().bytes().await.unwrap();
        let error = session.get(server.url("/2")).await.unwrap_err();
        assert!(matches!(error, Error::Incomplete(_)), "{error:?}");
        corio::sleep(Duration::from_millis(50)).await;
        assert_eq!(server.connections(), 2, "one retry, then the error");
        assert_eq!(targets(&server), ["/1", "/2", "/2"]);
    });
}

// ---------------------------------------------------------------------------
// Redirects
// ---------------------------------------------------------------------------

/// A server that redirects `/from` to `/to` with `status` and answers
/// everything else with "landed".
fn redirects_from_to(status: u16) -> TestServer {
    routed(move |request| if target(request) == "/from" { redirect(status, "/to") } else { ok("landed") })
}

#[test]
fn post_redirected_by_301_or_302_is_resent_as_get_without_a_body() {
    run(|| async {
        for status in [301, 302] {
            let server = redirects_from_to(status);
            let response = Session::new().post(server.url("/from")).form(&[("a", "1")]).await.unwrap();
            assert_eq!(response.status(), 200);
            let received = server.received();
            assert_eq!(received[0].request_line(), "POST /from HTTP/1.1");
            assert_eq!(received[0].body, b"a=1");
            assert_eq!(received[1].request_line(), "GET /to HTTP/1.1", "after {status}");
            assert!(received[1].body.is_empty());
            assert_eq!(received[1].header("content-length"), None, "after {status}");
            assert_eq!(received[1].header("content-type"), None, "after {status}");
        }
    });
}

#[test]
fn see_other_303_turns_put_into_get_and_keeps_head_as_head() {
    run(|| async {
        let server = redirects_from_to(303);
        let session = Session::new();
        assert_eq!(session.put(server.url("/from")).body("blob").await.unwrap().status(), 200);
        assert_eq!(session.head(server.url("/from")).await.unwrap().status(), 200);
        let lines: Vec<String> = server.received().iter().map(|r| r.request_line().to_owned()).collect();
        assert_eq!(lines, ["PUT /from HTTP/1.1", "GET /to HTTP/1.1", "HEAD /from HTTP/1.1", "HEAD /to HTTP/1.1"]);
        assert!(server.received()[1].body.is_empty());
    });
}

#[test]
fn redirects_307_and_308_repeat_the_method_and_body() {
    run(|| async {
        for status in [307, 308] {
            let server = redirects_from_to(status);
            let response = Session::new().post(server.url("/from")).json_text(r#"{"k":1}"#).await.unwrap();
            assert_eq!(response.text().await.unwrap(), "landed");
            let received = server.received();
            assert_eq!(received[1].request_line(), "POST /to HTTP/1.1", "after {status}");
            assert_eq!(received[1].body, br#"{"k":1}"#);
            assert_eq!(received[1].header("content-type"), Some("application/json"));
        }
    });
}

#[test]
fn a_relative_location_is_resolved_against_the_request_url() {
    run(|| async {
        let server =
            routed(|request| if target(request) == "/a/b/c" { redirect(302, "../b?x=1") } else { ok("resolved") });
        let response = Session::new().get(server.url("/a/b/c")).await.unwrap();
        assert_eq!(response.url().to_string(), server.url("/a/b?x=1"));
        assert_eq!(response.text().await.unwrap(), "resolved");
        assert_eq!(targets(&server), ["/a/b/c", "/a/b?x=1"]);
    });
}

#[test]
fn the_final_url_and_the_history_of_redirects_are_reported() {
    run(|| async {
        let server = routed(|request| match target(request) {
            "/1" => redirect(301, "/2"),
            "/2" => redirect(302, "/3"),
            _ => ok("end"),
        });
        let response = Session::new().get(server.url("/1")).await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.url().to_string(), server.url("/3"));
        let history: Vec<(u16, String)> =
            response.history().iter().map(|hop| (hop.status().as_u16(), hop.url().to_string())).collect();
        assert_eq!(history, [(301, server.url("/1")), (302, server.url("/2"))]);
    });
}

/// A server where `/N` redirects to `/N-1` and `/0` answers "bottom".
fn countdown() -> TestServer {
    routed(|request| match target(request).trim_start_matches('/').parse::<u32>() {
        Ok(0) | Err(_) => ok("bottom"),
        Ok(n) => redirect(302, &format!("/{}", n - 1)),
    })
}

#[test]
fn more_redirects_than_max_redirects_fail_with_too_many_redirects() {
    run(|| async {
        let server = countdown();
        let session = Session::builder().max_redirects(2).build().unwrap();
        match session.get(server.url("/5")).await {
            Err(Error::TooManyRedirects { max, url }) => {
                assert_eq!(max, 2);
                assert_eq!(url.to_string(), server.url("/2"));
            }
            other => panic!("expected TooManyRedirects, got {other:?}"),
        }
        assert_eq!(targets(&server), ["/5", "/4", "/3"]);
    });
}

#[test]
fn the_default_limit_follows_ten_redirects_and_refuses_the_eleventh() {
    run(|| async {
        let ten = countdown();
        let response = Session::new().get(ten.url("/10")).await.unwrap();
        assert_eq!(response.history().len(), 10);
        assert_eq!(response.text().await.unwrap(), "bottom");

        let eleven = countdown();
        let error = Session::new().get(eleven.url("/11")).await.unwrap_err();
        assert!(matches!(error, Error::TooManyRedirects { max: 10, .. }), "{error:?}");
        assert_eq!(eleven.received().len(), 11);
    });
}

#[test]
fn max_redirects_zero_returns_the_redirect_itself() {
    run(|| async {
        let server = redirects_from_to(302);
        let session = Session::builder().max_redirects(0).build().unwrap();
        let response = session.get(server.url("/from")).await.unwrap();
        assert_eq!(response.status(), 302);
        assert_eq!(response.headers().get("location"), Some("/to"));
        assert!(response.history().is_empty());
        assert_eq!(targets(&server), ["/from"]);
    });
}

#[test]
fn redirects_to_schemes_other_than_http_and_https_are_refused() {
    run(|| async {
        for location in ["ftp://example.com/file", "javascript:alert(1)"] {
            let server = routed(move |_| redirect(302, location));
            match Session::new().get(server.url("/")).await {
                Err(Error::RedirectRefused { location: refused, .. }) => assert_eq!(refused, location),
                other => panic!("expected RedirectRefused for {location}, got {other:?}"),
            }
            assert_eq!(server.received().len(), 1);
        }
    });
}

#[test]
fn two_different_locations_are_refused_and_two_identical_ones_followed() {
    use corio::http::ProtocolError;
    run(|| async {
        let server = routed(|request| match target(request) {
            "/split" => reply("302 Found", &["Location: /a", "Location: /b"], ""),
            "/same" => reply("302 Found", &["Location: /a", "location: /a"], ""),
            _ => ok("landed"),
        });
        let session = Session::new();
        let error = session.get(server.url("/split")).await.unwrap_err();
        match &error {
            Error::Protocol(ProtocolError::ConflictingLocation { first, other }) => {
                assert_eq!((first.as_str(), other.as_str()), ("/a", "/b"));
            }
            other => panic!("expected ConflictingLocation, got {other:?}"),
        }
        assert_eq!(
            error.to_string(),
            "HTTP protocol error: redirect has conflicting location headers \"/a\" and \"/b\"; \
             refusing to guess which to follow"
        );
        assert_eq!(targets(&server), ["/split"], "neither location was followed");

        assert_eq!(session.get(server.url("/same")).await.unwrap().text().await.unwrap(), "landed");
        assert_eq!(targets(&server), ["/split", "/same", "/a"]);

        // With redirects off the response is the caller's, both fields in it.
        let unfollowed = Session::builder().max_redirects(0).build().unwrap();
        let response = unfollowed.get(server.url("/split")).await.unwrap();
        assert_eq!(response.headers().get_all("location").collect::<Vec<_>>(), ["/a", "/b"]);
    });
}

#[test]
fn credentials_are_dropped_on_a_redirect_to_another_origin_and_kept_on_the_same_one() {
    run(|| async {
        let elsewhere = TestServer::always(ok("elsewhere"));
        let other_origin = elsewhere.url("/end");
        let server = routed(move |request| match target(request) {
            "/same" => redirect(302, "/end"),
            "/cross" => redirect(302, &other_origin),
            _ => ok("here"),
        });
        let session = Session::new();
        for path in ["/same", "/cross"] {
            session
                .get(server.url(path))
                .header("Authorization", "Bearer secret")
                .header("Cookie", "session=1")
                .header("Proxy-Authorization", "Basic cHJveHk=")
                .header("X-Trace", "kept")
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap();
        }
        let same = &server.received()[1];
        assert_eq!(target(same), "/end");
        assert_eq!(same.header("authorization"), Some("Bearer secret"));
        assert_eq!(same.header("cookie"), Some("session=1"));
        assert_eq!(same.header("proxy-authorization"), Some("Basic cHJveHk="));

        let cross = &elsewhere.received()[0];
        assert_eq!(cross.header("authorization"), None);
        assert_eq!(cross.header("cookie"), None);
        assert_eq!(cross.header("proxy-authorization"), None);
        assert_eq!(cross.header("x-trace"), Some("kept"));
    });
}

// ---------------------------------------------------------------------------
// Cookies
// ---------------------------------------------------------------------------

#[test]
fn a_set_cookie_is_sent_back_on_the_redirect_hop_and_later_requests() {
    run(|| async {
        let server = routed(|request| match target(request) {
            "/login" => reply("302 Found", &["Location: /home", "Set-Cookie: sid=abc; HttpOnly"], ""),
            _ => ok("page"),
        });
        let session = Session::new();
        session.get(server.url("/login")).await.unwrap().bytes().await.unwrap();
        session.get(server.url("/later")).await.unwrap().bytes().await.unwrap();
        let cookies: Vec<Option<String>> =
            server.received().iter().map(|request| request.header("cookie").map(str::to_owned)).collect();
        assert_eq!(cookies, [None, Some("sid=abc".to_owned()), Some("sid=abc".to_owned())]);

        let stored = session.cookies();
        assert_eq!(stored.len(), 1);
        let cookie = &stored[0];
        assert_eq!((cookie.name(), cookie.value(), cookie.domain(), cookie.path()), ("sid", "abc", "127.0.0.1", "/"));
        assert!(cookie.http_only() && cookie.host_only() && !cookie.secure());
    });
}

#[test]
fn a_cookie_with_a_path_is_only_sent_to_paths_under_it() {
    run(|| async {
        let server = routed(|request| match target(request) {
            "/a/set" => reply("200 OK", &["Set-Cookie: p=1; Path=/a"], ""),
            _ => ok(""),
        });
        let session = Session::new();
        for path in ["/a/set", "/a", "/a/x/y", "/b", "/abc", "/"] {
            session.get(server.url(path)).await.unwrap().bytes().await.unwrap();
        }
        let sent: Vec<(String, Option<String>)> = server
            .received()
            .iter()
            .map(|request| (target(request).to_owned(), request.header("cookie").map(str::to_owned)))
            .collect();
        let with = |path: &str| (path.to_owned(), Some("p=1".to_owned()));
        let without = |path: &str| (path.to_owned(), None);
        assert_eq!(sent, [without("/a/set"), with("/a"), with("/a/x/y"), without("/b"), without("/abc"), without("/")]);
    });
}

#[test]
fn a_cookie_set_again_with_max_age_zero_is_deleted() {
    run(|| async {
        let server = routed(|request| match target(request) {
            "/set" => reply("200 OK", &["Set-Cookie: k=v"], ""),
            "/delete" => reply("200 OK", &["Set-Cookie: k=gone; Max-Age=0"], ""),
            _ => ok(""),
        });
        let session = Session::new();
        for path in ["/set", "/check", "/delete", "/after"] {
            session.get(server.url(path)).await.unwrap().bytes().await.unwrap();
        }
        let received = server.received();
        assert_eq!(received[1].header("cookie"), Some("k=v"));
        assert_eq!(received[3].header("cookie"), None);
        assert!(session.cookies().is_empty());
    });
}

#[test]
fn secure_cookies_are_not_sent_over_plain_http() {
    run(|| async {
        let server = routed(|request| match target(request) {
            "/set" => reply("200 OK", &["Set-Cookie: s=1; Secure", "Set-Cookie: p=2"], ""),
            _ => ok(""),
        });
        let session = Session::new();
        for path in ["/set", "/check"] {
            session.get(server.url(path)).await.unwrap().bytes().await.unwrap();
        }
        assert_eq!(server.received()[1].header("cookie"), Some("p=2"));
    });
}

#[test]
fn a_session_with_cookies_off_neither_keeps_nor_sends_them() {
    run(|| async {
        let server = routed(|request| match target(request) {
            "/set" => reply("200 OK", &["Set-Cookie: k=v"], ""),
            _ => ok(""),
        });
        let session = Session::builder().cookies(false).build().unwrap();
        for path in ["/set", "/check"] {
            session.get(server.url(path)).await.unwrap().bytes().await.unwrap();
        }
        assert_eq!(server.received()[1].header("cookie"), None);
        assert!(session.cookies().is_empty());
    });
}

// ---------------------------------------------------------------------------
// Timeouts
// ---------------------------------------------------------------------------

/// Asserts `elapsed` is within `[low, high]`.
fn assert_between(elapsed: Duration, low: Duration, high: Duration) {
    assert!(elapsed >= low && elapsed <= high, "took {elapsed:?}, expected {low:?}..{high:?}");
}

#[test]
fn the_read_timeout_fires_when_the_server_never_answers() {
    run(|| async {
        // Reads the request, then waits for the client to hang up.
        let server = TestServer::start(|mut conn| {
            let _ = conn.read_request();
            let _ = conn.read_request();
        });
        let session = Session::builder().read_timeout(Some(Duration::from_millis(150))).build().unwrap();
        let started = Instant::now();
        let error = session.get(server.url("/")).await.unwrap_err();
        assert!(
            matches!(error, Error::Timeout { kind: TimeoutKind::Read, after } if after == Duration::from_millis(150)),
            "{error:?}"
        );
        assert!(error.is_timeout());
        assert_between(started.elapsed(), Duration::from_millis(140), Duration::from_millis(2000));
    });
}

#[test]
fn a_read_timeout_on_a_reused_connection_is_not_retried() {
    run(|| async {
        // Answers the first request, then goes silent on the same
        // connection: a timeout there is not a stale connection.
        let server = TestServer::start(|mut conn| {
            if conn.read_request().is_some() {
                conn.send(&ok("first"));
            }
            let _ = conn.read_request();
            let _ = conn.read_request();
        });
        let session = Session::builder().read_timeout(Some(Duration::from_millis(150))).build().unwrap();
        assert_eq!(session.get(server.url("/1")).await.unwrap().text().await.unwrap(), "first");
        let started = Instant::now();
        let error = session.get(server.url("/2")).await.unwrap_err();
        assert!(matches!(error, Error::Timeout { kind: TimeoutKind::Read, .. }), "{error:?}");
        assert_between(started.elapsed(), Duration::from_millis(140), Duration::from_millis(2000));
        assert_eq!(server.connections(), 1, "a second connection means the timeout was retried");
    });
}

#[test]
fn a_head_trickling_in_forever_hits_the_total_timeout_not_the_read_timeout() {
    run(|| async {
        // One byte of an endless header every 50 ms: each read is quick, the
        // head never ends.
        let server = TestServer::start(|mut conn| {
            let _ = conn.read_request();
            conn.send(b"HTTP/1.1 200 OK\r\nX-Slow: ");
            while std::io::Write::write_all(&mut conn.stream, b"a").is_ok() {
                thread::sleep(Duration::from_millis(50));
            }
        });
        let session = Session::builder()
            .read_timeout(Some(Duration::from_secs(1)))
            .timeout(Some(Duration::from_millis(400)))
            .build()
            .unwrap();
        let started = Instant::now();
        let error = session.get(server.url("/")).await.unwrap_err();
        assert!(matches!(error, Error::Timeout { kind: TimeoutKind::Total, .. }), "{error:?}");
        assert_between(started.elapsed(), Duration::from_millis(380), Duration::from_millis(1500));
    });
}

#[test]
fn waiting_for_a_pool_slot_counts_against_the_connect_timeout() {
    run(|| async {
        let server = TestServer::always(ok("hello"));
        let session = Session::builder().limit(1).connect_timeout(Some(Duration::from_millis(200))).build().unwrap();
        // Its body unread, this response keeps the only slot.
        let holder = session.get(server.url("/hold")).await.unwrap();
        let started = Instant::now();
        let error = session.get(server.url("/wait")).await.unwrap_err();
        assert!(matches!(error, Error::Timeout { kind: TimeoutKind::Connect, .. }), "{error:?}");
        assert_between(started.elapsed(), Duration::from_millis(180), Duration::from_millis(1500));
        assert_eq!(targets(&server), ["/hold"]);

        drop(holder);
        assert_eq!(session.get(server.url("/after")).await.unwrap().text().await.unwrap(), "hello");
    });
}

#[test]
fn a_per_request_timeout_overrides_the_sessions() {
    run(|| async {
        let server = slow(Duration::from_millis(300), "late");
        let impatient = Session::builder().timeout(Some(Duration::from_millis(100))).build().unwrap();
        let error = impatient.get(server.url("/")).await.unwrap_err();
        assert!(matches!(error, Error::Timeout { kind: TimeoutKind::Total, .. }), "{error:?}");
        let response = impatient.get(server.url("/")).timeout(Some(Duration::from_secs(3))).await.unwrap();
        assert_eq!(response.text().await.unwrap(), "late");

        let patient = Session::builder().timeout(Some(Duration::from_secs(5))).build().unwrap();
        let started = Instant::now();
        let error = patient.get(server.url("/")).timeout(Some(Duration::from_millis(150))).await.unwrap_err();
        assert!(
            matches!(error, Error::Timeout { kind: TimeoutKind::Total, after } if after == Duration::from_millis(150)),
            "{error:?}"
        );
        assert_between(started.elapsed(), Duration::from_millis(140), Duration::from_millis(1500));
    });
}

// ---------------------------------------------------------------------------
// Proxies
// ---------------------------------------------------------------------------

/// `Basic base64("user:pa ss")`.
const PROXY_CREDENTIALS: &str = "Basic dXNlcjpwYSBzcw==";

#[test]
fn a_plain_http_request_through_a_proxy_uses_absolute_form_and_proxy_credentials() {
    run(|| async {
        let proxy = TestServer::always(ok("via proxy"));
        let proxy_url = format!("http://user:pa%20ss@{}", proxy.addr);
        let response = Session::new().get("http://origin.test/path?q=1").proxy(&proxy_url).await.unwrap();
        assert_eq!(response.text().await.unwrap(), "via proxy");
        let seen = &proxy.received()[0];
        assert_eq!(seen.request_line(), "GET http://origin.test/path?q=1 HTTP/1.1");
        assert_eq!(seen.header("host"), Some("origin.test"));
        assert_eq!(seen.header("proxy-authorization"), Some(PROXY_CREDENTIALS));
    });
}

#[test]
fn a_hand_set_proxy_authorization_wins_over_the_proxy_urls_credentials_and_is_sent_once() {
    run(|| async {
        let proxy = TestServer::always(ok("via proxy"));
        let proxy_url = format!("http://user:pa%20ss@{}", proxy.addr);
        let request = Session::new().get("http://origin.test/own").proxy(&proxy_url);
        request.header("Proxy-Authorization", "Bearer own").await.unwrap().bytes().await.unwrap();
        let by_default =
            Session::builder().header("Proxy-Authorization", "Bearer session").proxy(&proxy_url).build().unwrap();
        by_default.get("http://origin.test/default").await.unwrap().bytes().await.unwrap();

        let received = proxy.received();
        let sent = |index: usize| -> Vec<&str> {
            let lines = received[index].header_lines().into_iter();
            lines.filter(|line| line.to_ascii_lowercase().starts_with("proxy-authorization:")).collect()
        };
        assert_eq!(sent(0), ["Proxy-Authorization: Bearer own"]);
        assert_eq!(sent(1), ["Proxy-Authorization: Bearer session"]);
    });
}

#[test]
fn a_session_wide_proxy_carries_every_request_unless_the_request_opts_out() {
    run(|| async {
        let proxy = TestServer::always(ok("via proxy"));
        let origin = TestServer::always(ok("direct"));
        let session = Session::builder().proxy(format!("http://{}", proxy.addr)).build().unwrap();
        assert_eq!(session.get(origin.url("/p")).await.unwrap().text().await.unwrap(), "via proxy");
        assert_eq!(session.get(origin.url("/d")).no_proxy().await.unwrap().text().await.unwrap(), "direct");
        let proxied: Vec<String> = proxy.received().iter().map(|r| r.request_line().to_owned()).collect();
        assert_eq!(proxied, [format!("GET {} HTTP/1.1", origin.url("/p"))]);
        assert_eq!(proxy.received()[0].header("proxy-authorization"), None);
        assert_eq!(targets(&origin), ["/d"]);
    });
}

#[test]
fn an_https_request_through_a_proxy_asks_for_a_connect_tunnel_and_reports_refusals() {
    run(|| async {
        // The first connection is refused with 407, the second with 503.
        let proxy = TestServer::start(|mut conn| {
            if conn.read_request().is_some() {
                conn.send(&match conn.index {
                    0 => reply("407 Proxy Authentication Required", &["Proxy-Authenticate: Basic realm=\"p\""], ""),
                    _ => reply("503 Service Unavailable", &[], ""),
                });
            }
        });
        let proxy_url = format!("http://user:pa%20ss@{}", proxy.addr);
        let session = Session::new();

        let error = session.get("https://secure.test/page").proxy(&proxy_url).await.unwrap_err();
        assert!(matches!(error, Error::Proxy { status: 407, .. }), "{error:?}");
        assert!(error.to_string().contains("authentication"), "{error}");
        let connect = &proxy.received()[0];
        assert_eq!(connect.request_line(), "CONNECT secure.test:443 HTTP/1.1");
        assert_eq!(connect.header("host"), Some("secure.test:443"));
        assert_eq!(connect.header("proxy-authorization"), Some(PROXY_CREDENTIALS));

        let error = session.get("https://secure.test/page").proxy(&proxy_url).await.unwrap_err();
        assert!(matches!(error, Error::Proxy { status: 503, .. }), "{error:?}");
        assert_eq!(error.status(), Some(503));
    });
}

/// The proxy variables, saved when created and put back when dropped (even
/// if the test panics).
struct SavedProxyEnv(Vec<(&'static str, Option<OsString>)>);

/// Every variable `trust_env` reads, in both cases.
const PROXY_VARS: [&str; 6] = ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy"];

impl SavedProxyEnv {
    /// Saves the proxy variables and clears them.
    fn clear() -> SavedProxyEnv {
        let saved = PROXY_VARS.iter().map(|name| (*name, std::env::var_os(name))).collect();
        for name in PROXY_VARS {
            set_env(name, None);
        }
        SavedProxyEnv(saved)
    }
}

impl Drop for SavedProxyEnv {
    fn drop(&mut self) {
        for (name, value) in &self.0 {
            set_env(name, value.as_deref());
        }
    }
}

/// Sets or removes one environment variable.
fn set_env(name: &str, value: Option<&std::ffi::OsStr>) {
    // SAFETY: only `trust_env_reads_http_proxy_and_no_proxy_only_when_asked`
    // changes the environment, and no other test in this binary reads these
    // variables (no other session here trusts the environment). The only
    // other environment readers in this process are std's own (DNS lookups
    // through `to_socket_addrs`), which take std's environment lock, as
    // `set_var` and `remove_var` do.
    unsafe {
        match value {
            Some(value) => std::env::set_var(name, value),
            None => std::env::remove_var(name),
        }
    }
}

#[test]
fn trust_env_reads_http_proxy_and_no_proxy_only_when_asked() {
    run(|| async {
        let proxy = TestServer::always(ok("via proxy"));
        let origin = TestServer::always(ok("direct"));
        let proxy_url = format!("http://{}", proxy.addr);

        // Sessions read the environment when built; build them all while
        // the variables are set, then put the environment back at once.
        let (trusting, ignoring, bypassing) = {
            let _restore = SavedProxyEnv::clear();
            set_env("HTTP_PROXY", Some(proxy_url.as_ref()));
            let trusting = Session::builder().trust_env(true).build().unwrap();
            let ignoring = Session::builder().trust_env(false).build().unwrap();
            set_env("NO_PROXY", Some("localhost, 127.0.0.1".as_ref()));
            let bypassing = Session::builder().trust_env(true).build().unwrap();
            (trusting, ignoring, bypassing)
        };

        assert_eq!(trusting.get(origin.url("/trusting")).await.unwrap().text().await.unwrap(), "via proxy");
        assert_eq!(ignoring.get(origin.url("/ignoring")).await.unwrap().text().await.unwrap(), "direct");
        assert_eq!(bypassing.get(origin.url("/bypassing")).await.unwrap().text().await.unwrap(), "direct");
        assert_eq!(proxy.received()[0].request_line(), format!("GET {} HTTP/1.1", origin.url("/trusting")));
        assert_eq!(proxy.received().len(), 1);
        assert_eq!(targets(&origin), ["/ignoring", "/bypassing"]);
    });
}

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

#[test]
fn a_refused_connection_is_a_connect_error() {
    run(|| async {
        // A port that was just free: nothing listens on it now.
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let error = Session::new().get(format!("http://127.0.0.1:{port}/")).await.unwrap_err();
        assert!(matches!(&error, Error::Connect { port: p, .. } if *p == port), "{error:?}");
        assert!(error.is_connect());
        assert!(!error.is_timeout());
    });
}

#[test]
fn a_name_resolved_to_no_addresses_is_a_dns_error_and_no_lookup_is_made() {
    run(|| async {
        // The session answers for the name itself, so the DNS error path
        // is tested without a query leaving the machine (`.test` is
        // reserved, RFC 6761; the system resolver is never asked).
        let session = Session::builder().resolve_to_addrs("Nowhere.TEST", &[]).build().unwrap();
        let started = Instant::now();
        let error = session.get("http://nowhere.test/").await.unwrap_err();
        assert!(matches!(&error, Error::Dns { host, .. } if host == "nowhere.test"), "{error:?}");
        assert!(error.is_connect());
        assert_eq!(
            error.to_string(),
            "could not resolve host \"nowhere.test\": the session resolves this name to no addresses"
        );
        assert!(started.elapsed() < Duration::from_secs(1), "no lookup, no wait: {:?}", started.elapsed());
    });
}

#[test]
fn a_resolved_name_reaches_its_address_with_the_name_in_the_host_header() {
    run(|| async {
        let server = TestServer::always(ok("resolved"));
        let port = server.addr.port();
        // 127.0.0.2 refuses (the server listens on 127.0.0.1 only), so the
        // second address is the one that answers: they are tried in order.
        let addresses = ["127.0.0.2".parse().unwrap(), "127.0.0.1".parse().unwrap()];
        let session = Session::builder().resolve_to_addrs("api.test", &addresses).build().unwrap();
        let response = session.get(format!("http://api.test:{port}/v1")).await.unwrap();
        assert_eq!(response.text().await.unwrap(), "resolved");
        assert_eq!(server.received()[0].header("host"), Some(format!("api.test:{port}").as_str()));
    });
}

#[test]
fn a_resolved_name_works_for_a_proxy_too() {
    run(|| async {
        let proxy = TestServer::always(ok("via proxy"));
        let session = Session::builder()
            .resolve("proxy.test", "127.0.0.1".parse().unwrap())
            .resolve_to_addrs("origin.test", &[])
            .proxy(format!("http://proxy.test:{}", proxy.addr.port()))
            .build()
            .unwrap();
        // The origin's name is never resolved: the proxy is asked for it.
        let response = session.get("http://origin.test/page").await.unwrap();
        assert_eq!(response.text().await.unwrap(), "via proxy");
        assert_eq!(proxy.received()[0].request_line(), "GET http://origin.test/page HTTP/1.1");
    });
}

#[test]
fn resolving_by_hand_takes_host_names_only() {
    for host in ["api.test:80", "http://api.test", "127.0.0.1", "[::1]", "bad host"] {
        let error = Session::builder().resolve(host, "127.0.0.1".parse().unwrap()).build().err();
        assert!(matches!(error, Some(Error::InvalidRequest(_))), "{host}: {error:?}");
    }
}

#[test]
fn raise_for_status_turns_a_404_into_a_status_error_and_passes_a_200() {
    run(|| async {
        let server = routed(|request| match target(request) {
            "/missing" => reply("404 Not Found", &[], "nope"),
            _ => ok("here"),
        });
        let session = Session::new();
        match session.get(server.url("/missing")).await.unwrap().raise_for_status() {
            Err(Error::Status { status, reason, url }) => {
                assert_eq!((status, reason.as_str()), (404, "Not Found"));
                assert_eq!(url.to_string(), server.url("/missing"));
            }
            other => panic!("expected a status error, got {other:?}"),
        }
        let page = session.get(server.url("/present")).await.unwrap().raise_for_status().unwrap();
        assert_eq!(page.text().await.unwrap(), "here");
    });
}

#[test]
fn the_status_says_its_class_and_error_for_status_is_raise_for_status() {
    run(|| async {
        let server = routed(|request| match target(request) {
            "/teapot" => reply("418 Short And Stout", &[], ""),
            "/down" => reply("503 Service Unavailable", &[], ""),
            "/moved" => reply("301 Moved Permanently", &[], ""),
            _ => reply("204 No Content", &[], ""),
        });
        let session = Session::builder().max_redirects(0).build().unwrap();
        let status = |path| {
            let request = session.get(server.url(path));
            async move { request.await.unwrap().status() }
        };
        let classes = |status: StatusCode| {
            [status.is_informational(), status.is_success(), status.is_redirection()]
                .into_iter()
                .chain([status.is_client_error(), status.is_server_error()])
                .collect::<Vec<_>>()
        };
        let no_content = status("/").await;
        assert_eq!((no_content, no_content.as_u16()), (StatusCode::NO_CONTENT, 204));
        assert_eq!(classes(no_content), [false, true, false, false, false]);
        assert_eq!(classes(status("/moved").await), [false, false, true, false, false]);
        let teapot = status("/teapot").await;
        assert_eq!(classes(teapot), [false, false, false, true, false]);
        // The registry's phrase, whatever the server wrote.
        assert_eq!(teapot.canonical_reason(), Some("I'm a Teapot"));
        assert_eq!(classes(status("/down").await), [false, false, false, false, true]);

        let error = session.get(server.url("/down")).await.unwrap().error_for_status().unwrap_err();
        assert!(matches!(error, Error::Status { status: 503, .. }), "{error:?}");
        let teapot = session.get(server.url("/teapot")).await.unwrap();
        assert_eq!(teapot.reason(), "Short And Stout");
        assert_eq!(
            teapot.raise_for_status().unwrap_err().to_string(),
            format!("HTTP status 418 Short And Stout from {}", server.url("/teapot"))
        );
        assert!(session.get(server.url("/")).await.unwrap().error_for_status().is_ok());
    });
}

// ---------------------------------------------------------------------------
// Regressions from the review of the client
// ---------------------------------------------------------------------------

#[test]
fn session_default_credentials_and_a_hand_set_host_stay_behind_on_a_cross_origin_redirect() {
    run(|| async {
        let other = TestServer::always(ok("other"));
        let origin = TestServer::always(redirect(302, &other.url("/landing")));
        let session = Session::builder()
            .header("Authorization", "Bearer SESSION-SECRET")
            .header("Cookie", "session=SECRET")
            .build()
            .unwrap();
        let response = session.get(origin.url("/")).header("Host", "origin.example").await.unwrap();
        assert_eq!(response.text().await.unwrap(), "other");
        let at_origin = &origin.received()[0];
        assert_eq!(at_origin.header("authorization"), Some("Bearer SESSION-SECRET"));
        assert_eq!(at_origin.header("host"), Some("origin.example"));
        let elsewhere = &other.received()[0];
        assert_eq!(elsewhere.header("authorization"), None, "{:?}", elsewhere.head);
        assert_eq!(elsewhere.header("cookie"), None, "{:?}", elsewhere.head);
        assert_eq!(elsewhere.header("host"), Some(other.addr.to_string().as_str()));
    });
}

#[test]
fn a_redirect_body_that_never_ends_cannot_outlast_the_total_timeout() {
    run(|| async {
        let next = TestServer::always(ok("next"));
        let location = next.url("/");
        let origin = TestServer::start(move |mut conn| {
            if conn.read_request().is_some() {
                let head = format!("HTTP/1.1 302 Found\r\nLocation: {location}\r\nTransfer-Encoding: chunked\r\n\r\n");
                conn.send(head.as_bytes());
                for _ in 0..500 {
                    conn.send(b"1\r\nx\r\n");
                    thread::sleep(Duration::from_millis(10));
                }
            }
        });
        let started = Instant::now();
        let result = Session::new().get(origin.url("/")).timeout(Some(Duration::from_millis(500))).await;
        assert!(matches!(result, Err(Error::Timeout { kind: TimeoutKind::Total, .. })), "{result:?}");
        assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
        assert!(next.received().is_empty(), "the redirect was followed after the deadline");
    });
}

#[test]
fn a_large_redirect_body_is_abandoned_not_read_to_its_end() {
    run(|| async {
        let next = TestServer::always(ok("next"));
        let location = next.url("/");
        // 32 MiB of body: far more than socket buffers hold, so the server's
        // write only finishes if the client reads it all.
        let finished_writing = Arc::new(AtomicUsize::new(0));
        let finished = Arc::clone(&finished_writing);
        let origin = TestServer::start(move |mut conn| {
            if conn.read_request().is_some() {
                let body = vec![b'a'; 32 << 20];
                let head =
                    format!("HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: {}\r\n\r\n", body.len());
                let written = std::io::Write::write_all(&mut conn.stream, head.as_bytes())
                    .and_then(|()| std::io::Write::write_all(&mut conn.stream, &body));
                finished.store(if written.is_ok() { 1 } else { 2 }, Ordering::SeqCst);
            }
        });
        let response = Session::new().get(origin.url("/")).await.unwrap();
        assert_eq!(response.text().await.unwrap(), "next");
        let deadline = Instant::now() + Duration::from_secs(5);
        while finished_writing.load(Ordering::SeqCst) == 0 && Instant::now() < deadline {
            corio::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(finished_writing.load(Ordering::SeqCst), 2, "the client read the whole redirect body");
    });
}

#[test]
fn idle_connections_to_hosts_not_visited_again_expire_on_the_next_use_of_the_pool() {
    run(|| async {
        let servers: Vec<TestServer> = (0..20).map(|_| TestServer::always(ok("x"))).collect();
        // Long enough that the twenty requests finish well inside it, even
        // on a loaded machine.
        let session = Session::builder().keepalive_timeout(Duration::from_secs(1)).build().unwrap();
        for server in &servers {
            session.get(server.url("/")).await.unwrap().bytes().await.unwrap();
        }
        assert_eq!(session.idle_connections(), 20);
        corio::sleep(Duration::from_millis(1100)).await;
        let fresh = TestServer::always(ok("fresh"));
        session.get(fresh.url("/")).await.unwrap().bytes().await.unwrap();
        assert_eq!(session.idle_connections(), 1, "only the connection just used stays idle");
    });
}

#[test]
fn idle_connections_are_capped_at_the_session_limit() {
    run(|| async {
        let servers: Vec<TestServer> = (0..5).map(|_| TestServer::always(ok("x"))).collect();
        let session = Session::builder().limit(3).build().unwrap();
        for server in &servers {
            session.get(server.url("/")).await.unwrap().bytes().await.unwrap();
        }
        assert_eq!(session.idle_connections(), 3);
        // The newest three are kept: the last server's connection is reused.
        session.get(servers[4].url("/again")).await.unwrap().bytes().await.unwrap();
        assert_eq!(servers[4].connections(), 1);
    });
}

#[test]
fn a_hand_set_cookie_and_the_jars_cookies_go_in_one_field() {
    run(|| async {
        let server = TestServer::always(reply("200 OK", &["Set-Cookie: jar=1"], ""));
        let session = Session::new();
        session.get(server.url("/")).await.unwrap();
        session.get(server.url("/")).header("Cookie", "own=2").await.unwrap();
        let second = &server.received()[1];
        let cookies: Vec<&str> =
            second.header_lines().into_iter().filter(|line| line.to_ascii_lowercase().starts_with("cookie:")).collect();
        assert_eq!(cookies, ["Cookie: own=2; jar=1"]);
    });
}

#[test]
fn pool_slots_survive_cancellation_at_every_await() {
    run(|| async {
        let slow = slow(Duration::from_millis(300), "slow");
        let session = Session::builder().limit(1).build().unwrap();
        // 1. Cancelled while waiting for the head.
        assert!(corio::timeout(Duration::from_millis(50), session.get(slow.url("/a"))).await.is_err());
        assert_eq!(session.active_connections(), 0);
        // 2. A holds the only slot; B is cancelled while queued.
        let holder = session.clone();
        let url = slow.url("/b");
        let a = corio::create_task(async move { holder.get(url).await.unwrap() });
        corio::sleep(Duration::from_millis(10)).await;
        assert_eq!(session.active_connections(), 1);
        assert!(corio::timeout(Duration::from_millis(20), session.get(slow.url("/c"))).await.is_err());
        let response_a = a.await.unwrap();
        assert_eq!(session.active_connections(), 1, "A's body is not read yet");
        // 3. C is granted the slot when A's response drops, then cancelled
        //    before it runs: the slot must come back.
        let queued = session.clone();
        let url = slow.url("/d");
        let c = corio::create_task(async move { queued.get(url).await.map(|response| response.status()) });
        corio::sleep(Duration::from_millis(10)).await;
        drop(response_a);
        c.cancel();
        corio::sleep(Duration::from_millis(10)).await;
        assert_eq!(session.active_connections(), 0);
        // 4. A body dropped half-way frees its slot.
        let response = session.get(slow.url("/e")).await.unwrap();
        drop(response);
        assert_eq!(session.active_connections(), 0);
        assert!(corio::timeout(Duration::from_secs(2), session.get(slow.url("/f"))).await.is_ok());
    });
}

#[test]
fn an_unusable_per_request_proxy_fails_the_request_before_connecting() {
    run(|| async {
        let server = TestServer::always(ok("direct"));
        let session = Session::new();
        let https_proxy = session.get(server.url("/")).proxy("https://127.0.0.1:3128").await.unwrap_err();
        assert!(https_proxy.to_string().contains("only http:// proxies"), "{https_proxy}");
        let garbage = session.get(server.url("/")).proxy("not a url").await.unwrap_err();
        assert!(matches!(garbage, Error::Url(_)), "{garbage:?}");
        assert_eq!(server.connections(), 0);
    });
}
