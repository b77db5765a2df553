//! The httpoxy defence, seen through `Session::builder().trust_env(true)` in
//! a process of its own: under CGI (`REQUEST_METHOD` set) the uppercase
//! `HTTP_PROXY`, which a CGI server fills from a request's `Proxy:` header,
//! is ignored, while the lowercase `http_proxy` is still honoured.
//!
//! This file holds one test on purpose: it changes the process
//! environment, which every thread of a test binary shares, so no other
//! test may run beside it. The rules themselves, variable by variable, are
//! unit-tested in `src/http/proxy.rs` through a lookup function that takes
//! no environment at all.

mod common;

use std::time::Duration;

use common::http::TestServer;
use corio::http::Session;

/// `200 OK` with `body`.
fn ok(body: &str) -> Vec<u8> {
    format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{body}", body.len()).into_bytes()
}

/// Sets or removes one environment variable.
fn set_env(name: &str, value: Option<&str>) {
    // SAFETY: this is the only test in this binary (see the file's doc), so
    // nothing else in the process reads the environment meanwhile: the
    // servers' threads only accept and answer, and the requests go to
    // loopback IP addresses, so no DNS lookup reads it either.
    unsafe {
        match value {
            Some(value) => std::env::set_var(name, value),
            None => std::env::remove_var(name),
        }
    }
}

#[test]
fn under_cgi_http_proxy_from_a_request_header_is_ignored_and_lowercase_http_proxy_is_not() {
    let proxy = TestServer::always(ok("via proxy"));
    let origin = TestServer::always(ok("direct"));
    let proxy_url = format!("http://{}", proxy.addr);
    for name in ["http_proxy", "https_proxy", "no_proxy", "HTTPS_PROXY", "NO_PROXY"] {
        set_env(name, None);
    }
    // What a CGI server sets for a request that carried `Proxy: <url>`.
    set_env("REQUEST_METHOD", Some("GET"));
    set_env("HTTP_PROXY", Some(&proxy_url));
    let urls = (origin.url("/cgi"), origin.url("/configured"), origin.url("/plain"));
    common::within(Duration::from_secs(10), move || {
        let (cgi_url, configured_url, plain_url) = urls;
        let cgi = Session::builder().trust_env(true).build().unwrap();
        set_env("http_proxy", Some(&proxy_url));
        let configured = Session::builder().trust_env(true).build().unwrap();
        set_env("REQUEST_METHOD", None);
        set_env("http_proxy", None);
        let not_cgi = Session::builder().trust_env(true).build().unwrap();
        corio::run(async move {
            assert_eq!(cgi.get(cgi_url).await.unwrap().text().await.unwrap(), "direct");
            assert_eq!(configured.get(configured_url).await.unwrap().text().await.unwrap(), "via proxy");
            assert_eq!(not_cgi.get(plain_url).await.unwrap().text().await.unwrap(), "via proxy");
        })
    });
    let proxied: Vec<String> = proxy.received().iter().map(|request| request.request_line().to_owned()).collect();
    assert_eq!(
        proxied,
        [format!("GET {} HTTP/1.1", origin.url("/configured")), format!("GET {} HTTP/1.1", origin.url("/plain"))]
    );
    assert_eq!(origin.received().len(), 1, "only the CGI request went direct");
}
