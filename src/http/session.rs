//! [`Session`]: aiohttp's `ClientSession`. It holds what requests share (a
//! connection pool, a cookie jar, the TLS configuration, default headers and
//! timeouts) and runs each request: redirects, one hop at a time; for each
//! hop a connection from the pool (or a new one), the exchange, and the
//! response with its body still on the wire.
//!
//! The path of a request, in the words of the code:
//! 1. [`RequestBuilder`] checks the method, headers and URL (`prepare`).
//! 2. `Session::execute` starts the total deadline and follows redirects.
//! 3. `Session::send_hop` renders the head, asks the [`Pool`] for a slot and
//!    an idle connection, or `connect::open`s one (DNS, TCP, proxy, TLS).
//! 4. `exchange` writes the request and reads the response head.
//! 5. A [`Response`] wraps the head and a `BodyReader`, which gives the
//!    connection back to the pool when the body has been read.

use std::cell::{OnceCell, RefCell};
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use rustls::ClientConfig;
use rustls::pki_types::CertificateDer;

use crate::http::body::{BodyReader, BodySettings};
use crate::http::connect;
use crate::http::connection::Connection;
use crate::http::cookie::{Cookie, CookieJar, CookieTarget};
use crate::http::deadline::{Deadline, within};
use crate::http::decode::{ContentDecoder, parse_content_encoding};
use crate::http::error::{Error, TimeoutKind};
use crate::http::exchange::exchange;
use crate::http::framing::BodyLength;
use crate::http::head::HeadLimits;
use crate::http::headers::{Headers, check_name, check_value};
use crate::http::pool::{Lease, Pool, PoolKey, PoolLimits};
use crate::http::proxy::{EnvProxies, Proxy};
use crate::http::request::{HeadParts, Prepared, RequestBuilder, RequestOptions, write_head};
use crate::http::response::Response;
use crate::http::tls;
use crate::http::url::{IntoUrl, Url, UrlError};

/// The `User-Agent` sent unless another is set: this crate and its version.
pub const DEFAULT_USER_AGENT: &str = concat!("corio/", env!("CARGO_PKG_VERSION"));

/// Bodies larger than this (after decompression) fail with
/// [`Error::BodyTooLarge`] unless the session sets another limit.
pub const DEFAULT_MAX_BODY_SIZE: u64 = 256 * 1024 * 1024;

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
    /// The settings it was built with.
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

/// A session's settings, set through [`SessionBuilder`].
#[derive(Clone)]
struct Config {
    /// Headers sent with every request unless the request sets the same name.
    headers: Headers,
    /// Timeouts (total, connect, read).
    total_timeout: Option<Duration>,
    /// See [`SessionBuilder::connect_timeout`].
    connect_timeout: Option<Duration>,
    /// See [`SessionBuilder::read_timeout`].
    read_timeout: Option<Duration>,
    /// Pool limits and idle timeout.
    pool: PoolLimits,
    /// The session-wide proxy URL.
    proxy: Option<String>,
    /// Read `HTTP_PROXY` and friends.
    trust_env: bool,
    /// Keep and send cookies.
    cookies: bool,
    /// Redirects followed at most.
    max_redirects: usize,
    /// Decoded body bytes allowed.
    max_body_size: u64,
    /// Response head limits.
    head_limits: HeadLimits,
    /// Root certificates trusted besides webpki-roots.
    extra_roots: Vec<CertificateDer<'static>>,
    /// Ask for and decode gzip/deflate.
    decompress: bool,
    /// The first error a builder method met.
    error: Option<String>,
}

/// Settings for a new [`Session`]; start with [`Session::builder`].
///
/// ```
/// use std::time::Duration;
/// let session = corio::http::Session::builder()
///     .user_agent("my-crawler/1.0")
///     .connect_timeout(Some(Duration::from_secs(5)))
///     .read_timeout(Some(Duration::from_secs(20)))
///     .limit_per_host(8)
///     .max_redirects(5)
///     .build()
///     .unwrap();
/// ```
#[must_use = "call build() to get the session"]
pub struct SessionBuilder {
    /// The settings so far.
    config: Config,
}

impl Default for Config {
    fn default() -> Config {
        let mut headers = Headers::new();
        headers.append("User-Agent", DEFAULT_USER_AGENT);
        headers.append("Accept", "*/*");
        Config {
            headers,
            // aiohttp's defaults: 5 minutes in all, no per-read limit; ours
            // adds a 30 s connect limit (aiohttp's sock_connect is 30 s too).
            total_timeout: Some(Duration::from_secs(300)),
            connect_timeout: Some(Duration::from_secs(30)),
            read_timeout: None,
            pool: PoolLimits { total: 100, per_host: 0, idle_timeout: Duration::from_secs(15) },
            proxy: None,
            trust_env: false,
            cookies: true,
            max_redirects: 10,
            max_body_size: DEFAULT_MAX_BODY_SIZE,
            head_limits: HeadLimits::default(),
            extra_roots: Vec::new(),
            decompress: true,
            error: None,
        }
    }
}

impl SessionBuilder {
    /// Sends `name: value` with every request (replacing a default of the
    /// same name, such as `User-Agent` or `Accept`).
    ///
    /// ```
    /// let session = corio::http::Session::builder().header("Accept", "text/html").build().unwrap();
    /// ```
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> SessionBuilder {
        let (name, value) = (name.into(), value.into());
        if let Err(error) = check_name(&name).and_then(|()| check_value(&name, &value)) {
            self.config.error.get_or_insert(error.to_string());
        }
        self.config.headers.insert(name, value);
        self
    }

    /// Sets the `User-Agent` (default [`DEFAULT_USER_AGENT`]).
    ///
    /// ```
    /// let session = corio::http::Session::builder().user_agent("Mozilla/5.0").build().unwrap();
    /// ```
    pub fn user_agent(self, user_agent: impl Into<String>) -> SessionBuilder {
        self.header("User-Agent", user_agent)
    }

    /// Limits each whole request, redirects and body included (default 300
    /// s; `None` for no limit).
    ///
    /// ```
    /// let session = corio::http::Session::builder().timeout(None).build().unwrap();
    /// ```
    pub fn timeout(mut self, total: Option<Duration>) -> SessionBuilder {
        self.config.total_timeout = total;
        self
    }

    /// Limits getting a connection: waiting for a pool slot, DNS, TCP, the
    /// proxy tunnel and TLS (default 30 s).
    ///
    /// ```
    /// let session = corio::http::Session::builder().connect_timeout(Some(std::time::Duration::from_secs(3))).build();
    /// ```
    pub fn connect_timeout(mut self, connect: Option<Duration>) -> SessionBuilder {
        self.config.connect_timeout = connect;
        self
    }

    /// Limits each wait for bytes from the server (default none).
    ///
    /// ```
    /// let session = corio::http::Session::builder().read_timeout(Some(std::time::Duration::from_secs(10))).build();
    /// ```
    pub fn read_timeout(mut self, read: Option<Duration>) -> SessionBuilder {
        self.config.read_timeout = read;
        self
    }

    /// Connections in use at once across all hosts (default 100; 0 for no
    /// limit). Requests beyond it wait, first come first served.
    ///
    /// ```
    /// let session = corio::http::Session::builder().limit(20).build().unwrap();
    /// ```
    pub fn limit(mut self, total: usize) -> SessionBuilder {
        self.config.pool.total = total;
        self
    }

    /// Connections in use at once per scheme, host and port (default 0: no
    /// limit beyond [`limit`](Self::limit)).
    ///
    /// ```
    /// let session = corio::http::Session::builder().limit_per_host(4).build().unwrap();
    /// ```
    pub fn limit_per_host(mut self, per_host: usize) -> SessionBuilder {
        self.config.pool.per_host = per_host;
        self
    }

    /// How long an idle keep-alive connection is kept for reuse (default 15 s).
    ///
    /// ```
    /// let session = corio::http::Session::builder().keepalive_timeout(std::time::Duration::from_secs(60)).build();
    /// ```
    pub fn keepalive_timeout(mut self, idle: Duration) -> SessionBuilder {
        self.config.pool.idle_timeout = idle;
        self
    }

    /// Sends every request through the HTTP proxy at `url` (credentials in
    /// the URL become `Proxy-Authorization`).
    ///
    /// ```
    /// let session = corio::http::Session::builder().proxy("http://127.0.0.1:3128").build().unwrap();
    /// ```
    pub fn proxy(mut self, url: impl Into<String>) -> SessionBuilder {
        self.config.proxy = Some(url.into());
        self
    }

    /// Uses `HTTP_PROXY`, `HTTPS_PROXY` and `NO_PROXY` from the environment
    /// when no proxy is set explicitly (aiohttp's `trust_env=True`; off by
    /// default).
    ///
    /// ```
    /// let session = corio::http::Session::builder().trust_env(true).build();
    /// ```
    pub fn trust_env(mut self, trust: bool) -> SessionBuilder {
        self.config.trust_env = trust;
        self
    }

    /// Keeps cookies servers set and sends them back (default on).
    ///
    /// ```
    /// let session = corio::http::Session::builder().cookies(false).build().unwrap();
    /// ```
    pub fn cookies(mut self, enabled: bool) -> SessionBuilder {
        self.config.cookies = enabled;
        self
    }

    /// Follows at most `max` redirects (default 10; 0 returns redirects as
    /// they are).
    ///
    /// ```
    /// let session = corio::http::Session::builder().max_redirects(0).build().unwrap();
    /// ```
    pub fn max_redirects(mut self, max: usize) -> SessionBuilder {
        self.config.max_redirects = max;
        self
    }

    /// Fails bodies larger than `bytes` after decompression (default
    /// [`DEFAULT_MAX_BODY_SIZE`]).
    ///
    /// ```
    /// let session = corio::http::Session::builder().max_body_size(10 << 20).build().unwrap();
    /// ```
    pub fn max_body_size(mut self, bytes: u64) -> SessionBuilder {
        self.config.max_body_size = bytes;
        self
    }

    /// Fails response heads larger than `bytes` (default 64 KiB) or with
    /// more than `fields` header fields (default 100).
    ///
    /// ```
    /// let session = corio::http::Session::builder().max_head_size(16 * 1024, 50).build().unwrap();
    /// ```
    pub fn max_head_size(mut self, bytes: usize, fields: usize) -> SessionBuilder {
        self.config.head_limits = HeadLimits { max_head_bytes: bytes, max_headers: fields };
        self
    }

    /// Trusts the CA certificates in `pem` besides the built-in roots (for
    /// a private CA, or a test server's).
    ///
    /// ```no_run
    /// let pem = std::fs::read("ca.pem").unwrap();
    /// let session = corio::http::Session::builder().add_root_certificate_pem(&pem).build().unwrap();
    /// ```
    pub fn add_root_certificate_pem(mut self, pem: &[u8]) -> SessionBuilder {
        match tls::parse_pem_certificates(pem) {
            Ok(certificates) => self.config.extra_roots.extend(certificates),
            Err(error) => {
                self.config.error.get_or_insert(error.to_string());
            }
        }
        self
    }

    /// Trusts one DER-encoded CA certificate besides the built-in roots.
    ///
    /// ```no_run
    /// let der = std::fs::read("ca.der").unwrap();
    /// let session = corio::http::Session::builder().add_root_certificate_der(der).build().unwrap();
    /// ```
    pub fn add_root_certificate_der(mut self, der: Vec<u8>) -> SessionBuilder {
        self.config.extra_roots.push(CertificateDer::from(der));
        self
    }

    /// Asks for gzip/deflate and decodes it transparently (default on).
    ///
    /// ```
    /// let session = corio::http::Session::builder().decompress(false).build().unwrap();
    /// ```
    pub fn decompress(mut self, enabled: bool) -> SessionBuilder {
        self.config.decompress = enabled;
        self
    }

    /// Builds the session.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for a bad default header, an unusable
    /// proxy URL or certificate; [`Error::Url`] for a malformed proxy URL.
    ///
    /// ```
    /// assert!(corio::http::Session::builder().header("Bad\nName", "x").build().is_err());
    /// ```
    pub fn build(mut self) -> Result<Session, Error> {
        if let Some(error) = self.config.error.take() {
            return Err(Error::InvalidRequest(error));
        }
        if self.config.decompress && !self.config.headers.contains("accept-encoding") {
            self.config.headers.append("Accept-Encoding", "gzip, deflate");
        }
        let proxy = self.config.proxy.as_deref().map(Proxy::parse).transpose()?;
        let env_proxies = if self.config.trust_env { Some(EnvProxies::from_env()?) } else { None };
        Ok(Session {
            inner: Rc::new(SessionInner {
                pool: Pool::new(self.config.pool),
                cookies: self.config.cookies.then(|| RefCell::new(CookieJar::new())),
                tls: OnceCell::new(),
                env_proxies,
                proxy,
                config: self.config,
            }),
        })
    }
}

impl Default for Session {
    fn default() -> Session {
        Session::new()
    }
}

impl Session {
    /// A session with the default settings.
    ///
    /// ```
    /// let session = corio::http::Session::new();
    /// ```
    pub fn new() -> Session {
        Session::builder().build().unwrap_or_else(|_| unreachable!("the default settings are valid"))
    }

    /// Starts a [`SessionBuilder`].
    ///
    /// ```
    /// let session = corio::http::Session::builder().limit(4).build().unwrap();
    /// ```
    pub fn builder() -> SessionBuilder {
        SessionBuilder { config: Config::default() }
    }

    /// A `GET` request; await it to send it.
    ///
    /// ```no_run
    /// # corio::run(async {
    /// let session = corio::http::Session::new();
    /// let response = session.get("http://example.com/").await?;
    /// # Ok::<(), corio::http::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn get(&self, url: impl IntoUrl) -> RequestBuilder {
        self.request("GET", url)
    }

    /// A `POST` request.
    ///
    /// ```no_run
    /// # corio::run(async {
    /// let session = corio::http::Session::new();
    /// let response = session.post("http://example.com/api").json(r#"{"a": 1}"#).await?;
    /// # Ok::<(), corio::http::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn post(&self, url: impl IntoUrl) -> RequestBuilder {
        self.request("POST", url)
    }

    /// A `HEAD` request (the response has no body).
    ///
    /// ```no_run
    /// # corio::run(async {
    /// let session = corio::http::Session::new();
    /// let size = session.head("http://example.com/big.iso").await?.content_length();
    /// # Ok::<(), corio::http::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn head(&self, url: impl IntoUrl) -> RequestBuilder {
        self.request("HEAD", url)
    }

    /// A `PUT` request.
    ///
    /// ```no_run
    /// # corio::run(async {
    /// let session = corio::http::Session::new();
    /// session.put("http://example.com/blob").body(b"data".to_vec()).await?;
    /// # Ok::<(), corio::http::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn put(&self, url: impl IntoUrl) -> RequestBuilder {
        self.request("PUT", url)
    }

    /// A `DELETE` request.
    ///
    /// ```no_run
    /// # corio::run(async {
    /// let session = corio::http::Session::new();
    /// session.delete("http://example.com/blob").await?;
    /// # Ok::<(), corio::http::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn delete(&self, url: impl IntoUrl) -> RequestBuilder {
        self.request("DELETE", url)
    }

    /// A request with any method (checked to be a valid token when sent).
    ///
    /// ```no_run
    /// # corio::run(async {
    /// let session = corio::http::Session::new();
    /// let response = session.request("OPTIONS", "http://example.com/").await?;
    /// # Ok::<(), corio::http::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn request(&self, method: &str, url: impl IntoUrl) -> RequestBuilder {
        RequestBuilder::new(self.clone(), method, url)
    }

    /// The cookies the session holds now.
    ///
    /// ```
    /// let session = corio::http::Session::new();
    /// assert!(session.cookies().is_empty());
    /// ```
    pub fn cookies(&self) -> Vec<Cookie> {
        self.inner.cookies.as_ref().map(|jar| jar.borrow().iter().cloned().collect()).unwrap_or_default()
    }

    /// Forgets every cookie.
    ///
    /// ```
    /// corio::http::Session::new().clear_cookies();
    /// ```
    pub fn clear_cookies(&self) {
        if let Some(jar) = &self.inner.cookies {
            jar.borrow_mut().clear();
        }
    }

    /// Keep-alive connections waiting for reuse right now.
    ///
    /// ```
    /// assert_eq!(corio::http::Session::new().idle_connections(), 0);
    /// ```
    pub fn idle_connections(&self) -> usize {
        self.inner.pool.idle_count()
    }

    /// Connections in use right now (requests whose body is still being read).
    ///
    /// ```
    /// assert_eq!(corio::http::Session::new().active_connections(), 0);
    /// ```
    pub fn active_connections(&self) -> usize {
        self.inner.pool.in_use()
    }

    /// Closes the idle connections (aiohttp's `session.close()`); requests
    /// still reading their bodies keep their connections until done.
    ///
    /// ```
    /// corio::http::Session::new().close();
    /// ```
    pub fn close(&self) {
        self.inner.pool.close_idle();
    }

    /// Sends a prepared request: the total deadline around the redirect loop.
    pub(crate) async fn execute(&self, request: Prepared) -> Result<Response, Error> {
        let options = &request.options;
        let total = Deadline::starting_now(
            TimeoutKind::Total,
            options.total_timeout.unwrap_or(self.inner.config.total_timeout),
        );
        within(total, self.follow_redirects(request, total)).await
    }

    /// Sends hop after hop until a response is not a redirect to follow.
    async fn follow_redirects(&self, request: Prepared, total: Option<Deadline>) -> Result<Response, Error> {
        let Prepared { mut method, mut url, mut headers, mut body, options } = request;
        let max_redirects = options.max_redirects.unwrap_or(self.inner.config.max_redirects);
        let mut history = Vec::new();
        loop {
            let proxy = self.proxy_for(&url, &options)?;
            let hop =
                Hop { method: &method, url: &url, headers: &headers, body: body.as_deref(), proxy: proxy.as_ref() };
            let mut response = self.send_hop(&hop, &options, total).await?;
            let Some(location) = redirect_location(&response, max_redirects) else {
                response.set_history(history);
                return Ok(response);
            };
            let next = url.join(&location).map_err(|error| Error::RedirectRefused {
                reason: match error {
                    UrlError::UnsupportedScheme(_) => "only http and https redirects are followed".to_owned(),
                    other => other.to_string(),
                },
                location: location.clone(),
            })?;
            if history.len() >= max_redirects {
                return Err(Error::TooManyRedirects { max: max_redirects, url: Box::new(next) });
            }
            // RFC 9110 15.4: 303 means "GET the other resource" (HEAD stays
            // HEAD); 301/302 turn POST into GET, as every browser does;
            // 307/308 repeat the request exactly.
            let status = response.status();
            if (status == 303 && method != "HEAD") || ((status == 301 || status == 302) && method == "POST") {
                method = "GET".to_owned();
                body = None;
                headers.remove("content-type");
            }
            // Credentials meant for one origin must not leak to another.
            if !url.origin_eq(&next) {
                headers.remove("authorization");
                headers.remove("cookie");
                headers.remove("proxy-authorization");
            }
            response.discard_body().await;
            history.push(response);
            url = next;
        }
    }

    /// One hop: render the head, get a connection, exchange, wrap the
    /// response. A reused connection the server had closed is replaced once
    /// for idempotent methods.
    async fn send_hop(
        &self,
        hop: &Hop<'_>,
        options: &RequestOptions,
        total: Option<Deadline>,
    ) -> Result<Response, Error> {
        let config = &self.inner.config;
        let key = Rc::new(PoolKey {
            https: hop.url.is_https(),
            host: hop.url.host_str().to_owned(),
            port: hop.url.port(),
            proxy: hop.proxy.map(Proxy::key),
        });
        let request = self.render(hop);
        let connect_timeout = options.connect_timeout.unwrap_or(config.connect_timeout);
        let read_timeout = options.read_timeout.unwrap_or(config.read_timeout);
        let read_deadline = || Deadline::earliest(total, Deadline::starting_now(TimeoutKind::Read, read_timeout));
        let mut fresh_only = false;
        loop {
            let connect_deadline =
                Deadline::earliest(total, Deadline::starting_now(TimeoutKind::Connect, connect_timeout));
            let (lease, mut connection, reused) =
                within(connect_deadline, self.connection_for(&key, hop, fresh_only)).await?;
            let is_head = hop.method == "HEAD";
            match exchange(&mut connection, &request, is_head, &config.head_limits, read_deadline).await {
                Ok((head, framing)) => {
                    self.store_cookies(hop.url, &head.headers);
                    let decoder = match framing.body {
                        BodyLength::Empty | BodyLength::Length(0) => None,
                        _ if !config.decompress => None,
                        _ => content_decoder(&head.headers)?,
                    };
                    let settings = BodySettings { limit: config.max_body_size, read_timeout, total };
                    let body = BodyReader::new(connection, lease, framing, decoder, settings);
                    return Ok(Response::new(head, hop.url.clone(), body));
                }
                Err(failure) if reused && failure.nothing_received && !fresh_only && is_idempotent(hop.method) => {
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
        hop: &Hop<'_>,
        fresh_only: bool,
    ) -> Result<(Lease, Connection, bool), Error> {
        let lease = self.inner.pool.acquire(key).await;
        if !fresh_only && let Some(connection) = self.inner.pool.take_idle(key, crate::get_running_loop().time()) {
            return Ok((lease, connection, true));
        }
        let tls = || self.tls_config();
        let connection = connect::open(hop.url, hop.proxy, tls, &self.inner.config.head_limits).await?;
        Ok((lease, connection, false))
    }

    /// The request head (and small body) as bytes, ready to write.
    fn render(&self, hop: &Hop<'_>) -> Vec<u8> {
        let cookie = self.cookie_header(hop.url);
        let mut extra: Vec<(&str, &str)> = Vec::new();
        if let Some(cookie) = &cookie {
            extra.push(("Cookie", cookie));
        }
        let absolute_form = hop.proxy.is_some() && !hop.url.is_https();
        if absolute_form && let Some(authorization) = hop.proxy.and_then(|proxy| proxy.authorization.as_deref()) {
            extra.push(("Proxy-Authorization", authorization));
        }
        // A body-carrying method sends Content-Length even when empty, so
        // the server does not wait for a body that never comes.
        let body_length =
            hop.body.map(<[u8]>::len).or_else(|| matches!(hop.method, "POST" | "PUT" | "PATCH").then_some(0));
        let parts = HeadParts {
            method: hop.method,
            url: hop.url,
            absolute_form,
            defaults: &self.inner.config.headers,
            headers: hop.headers,
            extra: &extra,
            body_length,
        };
        let mut request = Vec::with_capacity(512 + hop.body.map_or(0, <[u8]>::len));
        write_head(&parts, &mut request);
        // Head and body in one buffer: one write, one packet for small bodies.
        request.extend_from_slice(hop.body.unwrap_or_default());
        request
    }

    /// The proxy for this hop: the request's choice, else the session's,
    /// else the environment's (if trusted).
    fn proxy_for(&self, url: &Url, options: &RequestOptions) -> Result<Option<Proxy>, Error> {
        match &options.proxy {
            Some(Some(proxy)) => Proxy::parse(proxy).map(Some),
            Some(None) => Ok(None),
            None => Ok(self
                .inner
                .proxy
                .clone()
                .or_else(|| self.inner.env_proxies.as_ref().and_then(|env| env.for_url(url)).cloned())),
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
        for set_cookie in headers.get_all("set-cookie") {
            jar.store(&target, set_cookie, SystemTime::now());
        }
    }
}

/// One hop of a request: what is sent where.
struct Hop<'a> {
    /// The method.
    method: &'a str,
    /// The target.
    url: &'a Url,
    /// The request's own headers.
    headers: &'a Headers,
    /// The body, if any.
    body: Option<&'a [u8]>,
    /// The proxy, if any.
    proxy: Option<&'a Proxy>,
}

/// The `Location` to follow, if `response` is a redirect and following is on.
fn redirect_location(response: &Response, max_redirects: usize) -> Option<String> {
    let is_redirect = matches!(response.status(), 301 | 302 | 303 | 307 | 308);
    if !is_redirect || max_redirects == 0 {
        return None;
    }
    response.headers().get("location").map(str::to_owned)
}

/// The content decoder for a response's `Content-Encoding`, `None` for identity.
fn content_decoder(headers: &Headers) -> Result<Option<ContentDecoder>, Error> {
    let codings = parse_content_encoding(headers.get_all("content-encoding"))
        .map_err(|error| Error::Decode(error.to_string()))?;
    Ok((!codings.is_empty()).then(|| ContentDecoder::new(&codings)))
}

/// The cookie jar's view of a URL.
fn cookie_target(url: &Url) -> CookieTarget<'_> {
    CookieTarget { https: url.is_https(), host: url.host_str(), path: url.path() }
}

/// Methods that may be repeated safely (RFC 9110 9.2.2).
fn is_idempotent(method: &str) -> bool {
    matches!(method, "GET" | "HEAD" | "OPTIONS" | "TRACE" | "PUT" | "DELETE")
}
