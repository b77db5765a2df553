//! [`Session`]: aiohttp's `ClientSession`. It holds what requests share (a
//! connection pool, a cookie jar, the TLS configuration, default headers and
//! timeouts) and runs each request: redirects, one hop at a time; for each
//! hop a connection from the pool (or a new one), the exchange, and the
//! response with its body still on the wire.
//!
//! The path of a request, in the words of the code:
//! 1. [`RequestBuilder`] checks the method, headers and URL (`prepare`).
//! 2. `Session::execute` starts the total deadline and follows redirects
//!    (the rules are in `proto/redirect.rs`; the settings in `settings.rs`).
//! 3. `Session::send_hop` renders the head, asks the [`Pool`] for a slot and
//!    an idle connection, or `connect::open`s one (DNS, TCP, proxy, TLS).
//! 4. `exchange` writes the request and reads the response head.
//! 5. A [`Response`] wraps the head and a `BodyReader`, which gives the
//!    connection back to the pool when the body has been read.

use std::cell::{OnceCell, RefCell};
use std::pin::pin;
use std::rc::Rc;
use std::sync::Arc;
use std::time::SystemTime;

use rustls::ClientConfig;

use crate::http::body::{BodyReader, BodySettings};
use crate::http::body_stream::BodyStream;
use crate::http::connect;
use crate::http::connection::Connection;
use crate::http::deadline::{Deadline, within};
use crate::http::error::{Error, TimeoutKind};
use crate::http::exchange::exchange;
use crate::http::pool::{Lease, Pool, PoolKey};
use crate::http::proto::cookie::{Cookie, CookieJar, CookieTarget};
use crate::http::proto::decode::parse_content_encoding;
use crate::http::proto::framing::BodyLength;
use crate::http::proto::headers::Headers;
use crate::http::proto::redirect::{self, Hop, ORIGIN_BOUND_HEADERS};
use crate::http::proto::url::{IntoUrl, Url};
use crate::http::proxy::{EnvProxies, Proxy};
use crate::http::request::{HeadParts, Prepared, ProxySetting, RequestBuilder, RequestOptions, write_head};
use crate::http::response::Response;
use crate::http::settings::{Config, SessionBuilder};
use crate::http::tls;

/// A client session: a pool of keep-alive connections, a cookie jar, and
/// defaults for every request made through it. Cloning is cheap and shares
/// all of that.
///
/// ```no_run
/// # corio::run(async {
/// let session = corio::http::Session::builder()
///     .header("Accept-Language", "zh-CN,zh;q=0.9")
///     .timeout(Some(std::time::Duration::from_secs(30)))
///     .limit(10)
///     .build()?;
/// let html = session.get("https://movie.douban.com/top250?start=0&filter=").await?.text().await?;
/// # Ok::<(), corio::http::Error>(())
/// # }).unwrap();
/// ```
#[derive(Clone)]
pub struct Session {
    /// Everything the clones share.
    inner: Rc<SessionInner>,
}

/// The shared part of a [`Session`].
struct SessionInner {
    config: Config,
    /// Keep-alive connections and the in-use limits.
    pool: Rc<Pool>,
    /// Cookies servers set, if cookies are on.
    cookies: Option<RefCell<CookieJar>>,
    /// The rustls configuration, built on the first https request (reading
    /// the root store costs a little, and plain-http users never need it).
    tls: OnceCell<Arc<ClientConfig>>,
    /// Proxies from the environment, when `trust_env` is on.
    env_proxies: Option<EnvProxies>,
    /// The session-wide proxy, parsed.
    proxy: Option<Proxy>,
}

impl Default for Session {
    fn default() -> Session {
        Session::new()
    }
}

impl Session {
    /// A session with checked settings (the end of [`SessionBuilder::build`]).
    pub(crate) fn with_config(config: Config) -> Result<Session, Error> {
        let proxy = config.proxy.as_deref().map(Proxy::parse).transpose()?;
        let env_proxies = if config.trust_env { Some(EnvProxies::from_env()?) } else { None };
        Ok(Session {
            inner: Rc::new(SessionInner {
                pool: Pool::new(config.pool),
                cookies: config.cookies.then(|| RefCell::new(CookieJar::new())),
                tls: OnceCell::new(),
                env_proxies,
                proxy,
                config,
            }),
        })
    }

    /// A session with the default settings.
    pub fn new() -> Session {
        Session::builder().build().unwrap_or_else(|_| unreachable!("the default settings are valid"))
    }

    /// Starts a [`SessionBuilder`].
    pub fn builder() -> SessionBuilder {
        SessionBuilder { config: Config::default() }
    }

    /// A `GET` request; await it to send it.
    ///
    /// ```
    /// # use std::io::{Read, Write};
    /// # let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// # let url = format!("http://{}/top250", listener.local_addr().unwrap());
    /// # std::thread::spawn(move || {
    /// #     let (mut socket, _) = listener.accept().unwrap();
    /// #     let _ = socket.read(&mut [0; 4096]);
    /// #     let head = "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: 12\r\n\r\n";
    /// #     let _ = socket.write_all(format!("{head}<h1>hi</h1>\n").as_bytes());
    /// # });
    /// corio::run(async move {
    ///     let session = corio::http::Session::new();
    ///     // Awaiting the builder sends the request and waits for the head;
    ///     // the body stays on the wire until it is read.
    ///     let response = session.get(&url).await?;
    ///     assert_eq!(response.status(), 200);
    ///     assert_eq!(response.headers().get("content-type"), Some("text/html; charset=utf-8"));
    ///     assert_eq!(response.text().await?, "<h1>hi</h1>\n");
    ///     Ok::<(), corio::http::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn get(&self, url: impl IntoUrl) -> RequestBuilder {
        self.request("GET", url)
    }

    /// A `POST` request.
    pub fn post(&self, url: impl IntoUrl) -> RequestBuilder {
        self.request("POST", url)
    }

    /// A `HEAD` request (the response has no body).
    pub fn head(&self, url: impl IntoUrl) -> RequestBuilder {
        self.request("HEAD", url)
    }

    /// A `PUT` request.
    pub fn put(&self, url: impl IntoUrl) -> RequestBuilder {
        self.request("PUT", url)
    }

    /// A `DELETE` request.
    pub fn delete(&self, url: impl IntoUrl) -> RequestBuilder {
        self.request("DELETE", url)
    }

    /// A request with any method (checked to be a valid token when sent).
    pub fn request(&self, method: &str, url: impl IntoUrl) -> RequestBuilder {
        RequestBuilder::new(self.clone(), method, url)
    }

    /// The cookies the session holds now.
    pub fn cookies(&self) -> Vec<Cookie> {
        self.inner.cookies.as_ref().map(|jar| jar.borrow().iter().cloned().collect()).unwrap_or_default()
    }

    /// Forgets every cookie.
    pub fn clear_cookies(&self) {
        if let Some(jar) = &self.inner.cookies {
            jar.borrow_mut().clear();
        }
    }

    /// Keep-alive connections waiting for reuse right now.
    pub fn idle_connections(&self) -> usize {
        self.inner.pool.idle_count()
    }

    /// Connections in use right now (requests whose body is still being read).
    pub fn active_connections(&self) -> usize {
        self.inner.pool.in_use()
    }

    /// Closes the idle connections (aiohttp's `session.close()`); requests
    /// still reading their bodies keep their connections until done.
    pub fn close(&self) {
        self.inner.pool.close_idle();
    }

    /// Sends a prepared request: the total deadline around the redirect loop.
    pub(crate) async fn execute(&self, request: Box<Prepared>) -> Result<Response, Error> {
        let options = &request.options;
        let total = Deadline::starting_now(
            TimeoutKind::Total,
            options.total_timeout.or_session(self.inner.config.total_timeout),
        );
        // Pinned here, so that `within` holds a pointer, not a second copy.
        within(total, pin!(self.follow_redirects(request, total))).await
    }

    /// Sends hop after hop until a response is not a redirect to follow.
    async fn follow_redirects(&self, request: Box<Prepared>, total: Option<Deadline>) -> Result<Response, Error> {
        let Prepared { mut hop, options, mut stream } = *request;
        let streamed = stream.is_some();
        let max_redirects = options.max_redirects.unwrap_or(self.inner.config.max_redirects);
        let mut history = Vec::new();
        loop {
            let proxy = self.proxy_for(&hop.url, &options);
            let mut response = self.send_hop(&hop, proxy, &options, total, stream.take()).await?;
            let status = response.status().as_u16();
            // Two different Locations fail the request; the response (and
            // its connection, unread) is dropped with the error.
            let location = redirect::location_to_follow(status, response.headers(), max_redirects)?;
            // A streamed body was sent once and is gone: a redirect that
            // would repeat it is the caller's to handle, as in reqwest.
            let Some(location) = location.filter(|_| !(streamed && redirect::keeps_body(status, &hop.method))) else {
                response.set_history(history);
                return Ok(response);
            };
            let next = redirect::resolve(&hop.url, location)?;
            if history.len() >= max_redirects {
                return Err(Error::TooManyRedirects { max: max_redirects, url: Box::new(next) });
            }
            hop = redirect::next_hop(status, hop, next);
            response.discard_body().await?;
            history.push(response);
        }
    }

    /// One hop: render the head, get a connection, exchange, wrap the
    /// response. A reused connection the server had closed is replaced once
    /// for idempotent methods.
    async fn send_hop(
        &self,
        hop: &Hop,
        proxy: Option<&Proxy>,
        options: &RequestOptions,
        total: Option<Deadline>,
        mut stream: Option<BodyStream>,
    ) -> Result<Response, Error> {
        let config = &self.inner.config;
        let key = Rc::new(PoolKey {
            https: hop.url.is_https(),
            host: hop.url.host_str().to_owned(),
            port: hop.url.port(),
            proxy: proxy.map(|proxy| Rc::clone(&proxy.key)),
        });
        let streamed_length = stream.as_ref().map(BodyStream::length);
        // Rendered once a connection is in hand: a request queued for one
        // holds no head buffer, and its Cookie header has the cookies that
        // arrived meanwhile. A retry sends the same bytes.
        let mut head = None;
        let connect_timeout = options.connect_timeout.or_session(config.connect_timeout);
        let read_timeout = options.read_timeout.or_session(config.read_timeout);
        let read_deadline = || Deadline::earliest(total, Deadline::starting_now(TimeoutKind::Read, read_timeout));
        let mut fresh_only = false;
        loop {
            let connect_deadline =
                Deadline::earliest(total, Deadline::starting_now(TimeoutKind::Connect, connect_timeout));
            let (lease, mut connection, reused) =
                within(connect_deadline, pin!(self.connection_for(&key, &hop.url, proxy, fresh_only))).await?;
            let head = head.get_or_insert_with(|| self.render(hop, proxy, streamed_length));
            let is_head = hop.method == "HEAD";
            let (request, body) = (head.as_slice(), separate_body(hop));
            let streamed = stream.as_mut();
            let limits = &config.head_limits;
            match exchange(&mut connection, request, body, streamed, is_head, limits, read_deadline).await {
                Ok((head, framing)) => {
                    self.store_cookies(&hop.url, &head.headers);
                    // An unsupported Content-Encoding fails the body read,
                    // not the request: status and headers are still useful.
                    let codings = match framing.body {
                        BodyLength::Empty | BodyLength::Length(0) => Ok(Vec::new()),
                        _ if !config.decompress => Ok(Vec::new()),
                        _ => parse_content_encoding(head.headers.get_all("content-encoding")),
                    };
                    let settings = BodySettings { limits: config.decode_limits(), read_timeout, total };
                    let body = BodyReader::new(connection, lease, framing, codings, settings);
                    return Ok(Response::new(head, hop.url.clone(), body));
                }
                // A streamed body may be partly sent already: never resend.
                Err(failure)
                    if reused
                        && failure.nothing_received
                        && !fresh_only
                        && streamed_length.is_none()
                        && is_idempotent(&hop.method) =>
                {
                    // The server closed the idle connection just as we
                    // reused it; the request never reached it. Try once
                    // more on a new connection (the old one drops here).
                    fresh_only = true;
                }
                Err(failure) => return Err(failure.error),
            }
        }
    }

    /// A pool slot and a connection for `key`: an idle one if any (unless
    /// `fresh_only`), else a new one. The bool says whether it was reused.
    async fn connection_for(
        &self,
        key: &Rc<PoolKey>,
        url: &Url,
        proxy: Option<&Proxy>,
        fresh_only: bool,
    ) -> Result<(Lease, Connection, bool), Error> {
        let lease = self.inner.pool.acquire(key).await;
        if !fresh_only && let Some(connection) = self.inner.pool.take_idle(key, crate::get_running_loop().time()) {
            return Ok((lease, connection, true));
        }
        let tls = || self.tls_config();
        let config = &self.inner.config;
        // Boxed: DNS, TCP, a proxy tunnel and the TLS handshake make a large
        // future, needed only while a new connection opens. Unboxed, every
        // request would carry its space, queued or reusing a connection.
        let connection = Box::pin(connect::open(url, proxy, tls, &config.head_limits, &config.resolve)).await?;
        Ok((lease, connection, false))
    }

    /// The request head as bytes, ready to write, with the body after it
    /// when the body is small (see [`separate_body`]). `streamed` is
    /// `Some(length)` when a [`BodyStream`] follows the head.
    fn render(&self, hop: &Hop, proxy: Option<&Proxy>, streamed: Option<Option<u64>>) -> Vec<u8> {
        let defaults = &self.inner.config.headers;
        let mut cookie = self.cookie_header(&hop.url);
        // RFC 6265 allows one Cookie field: a cookie set by hand goes first,
        // then the jar's, in one field that replaces the hand-set one.
        let own_cookie = hop.headers.get("cookie").or_else(|| defaults.get("cookie")).filter(|_| !hop.left_origin);
        let merged = match (&mut cookie, own_cookie) {
            (Some(jar), Some(own)) => {
                *jar = format!("{own}; {jar}");
                true
            }
            _ => false,
        };
        // After a redirect to another origin, the session's own credentials
        // stay behind too (the request's were removed by `next_hop`).
        let omit: &[&str] = match (hop.left_origin, merged) {
            (true, _) => &ORIGIN_BOUND_HEADERS,
            (false, true) => &["cookie"],
            (false, false) => &[],
        };
        // At most two computed fields; a fixed array keeps this off the heap.
        let mut extra = [("", ""); 2];
        let mut count = 0;
        if let Some(cookie) = &cookie {
            extra[count] = ("Cookie", cookie);
            count += 1;
        }
        let absolute_form = proxy.is_some() && !hop.url.is_https();
        // One Proxy-Authorization only: a hand-set one (on the request, or
        // the session's while still on the first origin) wins over the
        // proxy URL's credentials, as curl's explicit header does.
        let hand_set = hop.headers.contains("proxy-authorization")
            || (!hop.left_origin && defaults.contains("proxy-authorization"));
        let from_url = proxy.and_then(|proxy| proxy.authorization.as_deref()).filter(|_| !hand_set);
        if absolute_form && let Some(authorization) = from_url {
            extra[count] = ("Proxy-Authorization", authorization);
            count += 1;
        }
        let body = hop.body.as_deref();
        // A body-carrying method sends Content-Length even when empty, so
        // the server does not wait for a body that never comes.
        let (body_length, chunked) = match streamed {
            Some(Some(length)) => (Some(length), false),
            Some(None) => (None, true),
            None => {
                let length = body.map(|body| body.len() as u64);
                (length.or_else(|| matches!(hop.method.as_str(), "POST" | "PUT" | "PATCH").then_some(0)), false)
            }
        };
        let parts = HeadParts {
            method: &hop.method,
            url: &hop.url,
            absolute_form,
            defaults,
            headers: &hop.headers,
            omit,
            extra: &extra[..count],
            body_length,
            chunked,
        };
        let inline = body.filter(|_| separate_body(hop).is_empty()).unwrap_or_default();
        let mut request = Vec::with_capacity(512 + inline.len());
        write_head(&parts, &mut request);
        // Head and small body in one buffer: one write, one packet.
        request.extend_from_slice(inline);
        request
    }

    /// The proxy for this hop: the request's choice, else the session's,
    /// else the environment's (if trusted).
    fn proxy_for<'a>(&'a self, url: &Url, options: &'a RequestOptions) -> Option<&'a Proxy> {
        match &options.proxy {
            ProxySetting::Through(proxy) => Some(proxy),
            ProxySetting::Direct => None,
            ProxySetting::SessionDefault => {
                self.inner.proxy.as_ref().or_else(|| self.inner.env_proxies.as_ref().and_then(|env| env.for_url(url)))
            }
        }
    }

    /// The TLS configuration, built on first use.
    fn tls_config(&self) -> Result<Arc<ClientConfig>, Error> {
        if let Some(config) = self.inner.tls.get() {
            return Ok(Arc::clone(config));
        }
        let config = tls::client_config(&self.inner.config.extra_roots)?;
        Ok(Arc::clone(self.inner.tls.get_or_init(|| config)))
    }

    /// The `Cookie` header for a request to `url`, from the jar.
    fn cookie_header(&self, url: &Url) -> Option<String> {
        let jar = self.inner.cookies.as_ref()?.borrow();
        jar.header_value(&cookie_target(url), SystemTime::now())
    }

    /// Keeps the cookies a response set.
    fn store_cookies(&self, url: &Url, headers: &Headers) {
        let Some(jar) = &self.inner.cookies else { return };
        let mut jar = jar.borrow_mut();
        let target = cookie_target(url);
        let now = SystemTime::now();
        for set_cookie in headers.get_all("set-cookie") {
            jar.store(&target, set_cookie, now);
        }
    }
}

/// Bodies up to this size go out in one buffer with the head; a larger one
/// is written on its own, from where it is. 16 KiB is one TLS record, and
/// past it the extra write costs nothing next to the copy it saves.
const INLINE_BODY: usize = 16 * 1024;

/// The part of `hop`'s body written after its head, from the hop itself:
/// all of a body larger than [`INLINE_BODY`], else nothing (the head buffer
/// carries it). Copying a 50 MB body behind its head would hold it twice.
fn separate_body(hop: &Hop) -> &[u8] {
    match hop.body.as_deref() {
        Some(body) if body.len() > INLINE_BODY => body,
        _ => &[],
    }
}

/// The cookie jar's view of a URL.
fn cookie_target(url: &Url) -> CookieTarget<'_> {
    CookieTarget { https: url.is_https(), host: url.host_str(), path: url.path() }
}

/// Methods that may be repeated safely (RFC 9110 9.2.2).
fn is_idempotent(method: &str) -> bool {
    matches!(method, "GET" | "HEAD" | "OPTIONS" | "TRACE" | "PUT" | "DELETE")
}
