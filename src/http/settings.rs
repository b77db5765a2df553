//! [`SessionBuilder`]: a session's settings and their defaults (aiohttp's
//! `ClientSession(...)` and `TCPConnector(...)` arguments in one place).
//!
//! Nothing here does I/O. The builder collects settings, remembers the first
//! invalid one, and `build` hands the checked [`Config`] to
//! [`Session::with_config`], which sets up the shared state.

use std::net::IpAddr;
use std::time::Duration;

use rustls::pki_types::CertificateDer;

use crate::http::connect::ResolveOverrides;
use crate::http::error::Error;
use crate::http::pool::PoolLimits;
use crate::http::proto::auth;
use crate::http::proto::decode::DecodeLimits;
use crate::http::proto::head::HeadLimits;
use crate::http::proto::headers::{Headers, check_name, check_value};
use crate::http::proto::host::Host;
use crate::http::proto::url::Url;
use crate::http::session::Session;
use crate::http::tls;

/// The `User-Agent` sent unless another is set: this crate and its version.
pub const DEFAULT_USER_AGENT: &str = concat!("corio/", env!("CARGO_PKG_VERSION"));

/// Bodies larger than this (after decompression) fail with
/// [`Error::BodyTooLarge`] unless the session sets another limit.
pub const DEFAULT_MAX_BODY_SIZE: u64 = 256 * 1024 * 1024;

/// A gzip body with more members than this fails with
/// [`Error::TooManyGzipMembers`] unless the session sets another limit.
/// Almost every gzip body is one member; a few servers append one per
/// flush. Each member resets the inflater, real work for as little as 20
/// bytes of input, so a flood of them is bounded here as well as by the
/// input ratio.
pub const DEFAULT_MAX_GZIP_MEMBERS: u64 = 1024;

/// A compressed body that takes more input bytes than this per decoded byte
/// (after [`DEFAULT_INPUT_SLACK`]) fails with [`Error::TooMuchInput`]. Honest
/// streams stay under about 20 even when they flush, or start a new gzip
/// member, after every byte.
pub const DEFAULT_MAX_INPUT_RATIO: u64 = 32;

/// The compressed bytes a body may carry before the input ratio applies:
/// room for headers, tables and metadata before the first output.
pub const DEFAULT_INPUT_SLACK: u64 = 64 * 1024;

/// A session's settings: written only by [`SessionBuilder`]'s methods, each
/// of which documents its field; read by the session for every request.
#[derive(Clone)]
pub(crate) struct Config {
    /// Sent with every request unless the request sets the same name.
    pub(crate) headers: Headers,
    /// `None` for no limit, here and in the other two timeouts.
    pub(crate) total_timeout: Option<Duration>,
    pub(crate) connect_timeout: Option<Duration>,
    pub(crate) read_timeout: Option<Duration>,
    pub(crate) pool: PoolLimits,
    /// Parsed (and checked) when the session is built.
    pub(crate) proxy: Option<String>,
    /// Names resolved without asking the system resolver.
    pub(crate) resolve: ResolveOverrides,
    /// Read `HTTP_PROXY`, `HTTPS_PROXY` and `NO_PROXY` when the session is built.
    pub(crate) trust_env: bool,
    pub(crate) cookies: bool,
    /// 0 returns redirects as they are.
    pub(crate) max_redirects: usize,
    /// In decoded bytes, counted as the body is read.
    pub(crate) max_body_size: u64,
    pub(crate) max_gzip_members: u64,
    /// Input bytes per decoded byte, and the slack before the ratio applies.
    pub(crate) max_input_ratio: (u64, u64),
    pub(crate) head_limits: HeadLimits,
    /// Trusted besides webpki-roots.
    pub(crate) extra_roots: Vec<CertificateDer<'static>>,
    /// Ask for and decode gzip, deflate, br and zstd.
    pub(crate) decompress: bool,
    /// The first error a builder method met, reported by `build`.
    pub(crate) error: Option<String>,
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
    pub(crate) config: Config,
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
            resolve: ResolveOverrides::new(),
            trust_env: false,
            cookies: true,
            max_redirects: 10,
            max_body_size: DEFAULT_MAX_BODY_SIZE,
            max_gzip_members: DEFAULT_MAX_GZIP_MEMBERS,
            max_input_ratio: (DEFAULT_MAX_INPUT_RATIO, DEFAULT_INPUT_SLACK),
            head_limits: HeadLimits::default(),
            extra_roots: Vec::new(),
            decompress: true,
            error: None,
        }
    }
}

impl Config {
    /// The limits a response body is read under.
    pub(crate) fn decode_limits(&self) -> DecodeLimits {
        let (input_ratio, input_slack) = self.max_input_ratio;
        DecodeLimits { max_size: self.max_body_size, max_gzip_members: self.max_gzip_members, input_ratio, input_slack }
    }
}

impl SessionBuilder {
    /// Sends `name: value` with every request (replacing a default of the
    /// same name, such as `User-Agent` or `Accept`).
    pub fn header(mut self, name: impl AsRef<str>, value: impl AsRef<str>) -> SessionBuilder {
        let (name, value) = (name.as_ref(), value.as_ref());
        if let Err(error) = check_name(name).and_then(|()| check_value(name, value)) {
            self.config.error.get_or_insert(error.to_string());
        }
        self.config.headers.insert(name, value);
        self
    }

    /// Sends `Authorization: Basic` with `user` and `password` with every
    /// request (aiohttp's `ClientSession(auth=BasicAuth(...))`). A
    /// request's own credentials (its `basic_auth`, `bearer_auth`, or
    /// `user:pw@` in its URL) replace these; after a redirect to another
    /// origin none are sent.
    pub fn basic_auth(self, user: &str, password: Option<&str>) -> SessionBuilder {
        self.header("Authorization", auth::basic(user, password))
    }

    /// Sends `Authorization: Bearer token` with every request, on the same
    /// terms as [`basic_auth`](Self::basic_auth).
    pub fn bearer_auth(self, token: &str) -> SessionBuilder {
        self.header("Authorization", auth::bearer(token))
    }

    /// Sets the `User-Agent` (default [`DEFAULT_USER_AGENT`]).
    pub fn user_agent(self, user_agent: impl AsRef<str>) -> SessionBuilder {
        self.header("User-Agent", user_agent)
    }

    /// Limits each whole request, redirects and body included (default 300
    /// s; `None` for no limit).
    pub fn timeout(mut self, total: Option<Duration>) -> SessionBuilder {
        self.config.total_timeout = total;
        self
    }

    /// Limits getting a connection: waiting for a pool slot, DNS, TCP, the
    /// proxy tunnel and TLS (default 30 s).
    pub fn connect_timeout(mut self, connect: Option<Duration>) -> SessionBuilder {
        self.config.connect_timeout = connect;
        self
    }

    /// Limits each wait for bytes from the server (default none): the gap
    /// between reads, not the whole response, which
    /// [`timeout`](Self::timeout) bounds. Each timeout fails with
    /// [`Error::Timeout`] saying which one expired.
    ///
    /// ```
    /// use std::time::Duration;
    /// use corio::http::{Error, Session, TimeoutKind};
    /// // A server that accepts connections and never answers.
    /// let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let url = format!("http://{}/", silent.local_addr().unwrap());
    /// corio::run(async move {
    ///     let session = Session::builder().read_timeout(Some(Duration::from_millis(50))).build().unwrap();
    ///     let error = session.get(url).await.unwrap_err();
    ///     // The connection was made; the wait for the answer expired.
    ///     assert!(matches!(error, Error::Timeout { kind: TimeoutKind::Read, .. }), "{error}");
    /// });
    /// ```
    pub fn read_timeout(mut self, read: Option<Duration>) -> SessionBuilder {
        self.config.read_timeout = read;
        self
    }

    /// Connections in use at once across all hosts (default 100; 0 for no
    /// limit). Requests beyond it wait, first come first served.
    pub fn limit(mut self, total: usize) -> SessionBuilder {
        self.config.pool.total = total;
        self
    }

    /// Connections in use at once per scheme, host and port (default 0: no
    /// limit beyond [`limit`](Self::limit)).
    pub fn limit_per_host(mut self, per_host: usize) -> SessionBuilder {
        self.config.pool.per_host = per_host;
        self
    }

    /// How long an idle keep-alive connection is kept for reuse (default 15 s).
    pub fn keepalive_timeout(mut self, idle: Duration) -> SessionBuilder {
        self.config.pool.idle_timeout = idle;
        self
    }

    /// Sends every request through the HTTP proxy at `url` (credentials in
    /// the URL become `Proxy-Authorization`, unless one is set by hand).
    pub fn proxy(mut self, url: impl Into<String>) -> SessionBuilder {
        self.config.proxy = Some(url.into());
        self
    }

    /// Connects to `address` for `host` instead of asking the system
    /// resolver (curl's `--resolve`, reqwest's `resolve`), for every
    /// connection the session makes to that name, as an origin or as a
    /// proxy. The port is still the URL's; the `Host` header, TLS's server
    /// name and certificate check, and cookies still use the name. A later
    /// call for the same name replaces an earlier one; names are compared
    /// as URLs spell them (case-insensitively, Unicode as Punycode).
    ///
    /// ```
    /// # use std::io::{Read, Write};
    /// # let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// # let port = listener.local_addr().unwrap().port();
    /// # let (seen, received) = std::sync::mpsc::channel();
    /// # std::thread::spawn(move || {
    /// #     let (mut socket, _) = listener.accept().unwrap();
    /// #     let mut buffer = vec![0; 4096];
    /// #     let n = socket.read(&mut buffer).unwrap_or(0);
    /// #     let _ = seen.send(String::from_utf8_lossy(&buffer[..n]).into_owned());
    /// #     let _ = socket.write_all(b"HTTP/1.1 204 No Content\r\n\r\n");
    /// # });
    /// use std::net::Ipv4Addr;
    /// // `movie.douban.test` is reserved (RFC 6761): no resolver knows it.
    /// let session = corio::http::Session::builder().resolve("movie.douban.test", Ipv4Addr::LOCALHOST.into()).build()?;
    /// corio::run(async move {
    ///     let response = session.get(format!("http://movie.douban.test:{port}/top250")).await?;
    ///     assert_eq!(response.status(), 204);
    ///     Ok::<(), corio::http::Error>(())
    /// })?;
    /// assert!(received.recv().unwrap().contains(&format!("\r\nHost: movie.douban.test:{port}\r\n")));
    /// # Ok::<(), corio::http::Error>(())
    /// ```
    pub fn resolve(self, host: &str, address: IpAddr) -> SessionBuilder {
        self.resolve_to_addrs(host, &[address])
    }

    /// Like [`resolve`](Self::resolve) with several addresses, tried in
    /// order until one accepts the connection. An empty list says the name
    /// has no addresses: requests to it fail at once with [`Error::Dns`],
    /// and no lookup is made (a name blocked, or a test of the DNS error
    /// that stays on the machine).
    ///
    /// ```
    /// use corio::http::{Error, Session};
    /// let session = Session::builder().resolve_to_addrs("ads.example", &[]).build().unwrap();
    /// let error = corio::run(async move { session.get("http://ads.example/banner").await.unwrap_err() });
    /// assert!(matches!(&error, Error::Dns { host, .. } if host == "ads.example"), "{error}");
    /// ```
    pub fn resolve_to_addrs(mut self, host: &str, addresses: &[IpAddr]) -> SessionBuilder {
        match override_key(host) {
            Ok(name) => {
                self.config.resolve.insert(name, addresses.to_vec());
            }
            Err(why) => {
                self.config.error.get_or_insert(format!("cannot resolve {host:?} by hand: {why}"));
            }
        }
        self
    }

    /// Uses `HTTP_PROXY`, `HTTPS_PROXY` and `NO_PROXY` from the environment
    /// when no proxy is set explicitly (aiohttp's `trust_env=True`; off by
    /// default). Either case counts, the lowercase name first; `NO_PROXY`
    /// takes host names (covering their subdomains), IP addresses, CIDR
    /// ranges (`10.0.0.0/8`, `::1/128`) and `*`. Under CGI (`REQUEST_METHOD`
    /// set) the uppercase `HTTP_PROXY` is ignored, since a CGI server sets it
    /// from a request's `Proxy:` header (httpoxy); `http_proxy` is honoured.
    pub fn trust_env(mut self, trust: bool) -> SessionBuilder {
        self.config.trust_env = trust;
        self
    }

    /// Keeps cookies servers set and sends them back (default on).
    pub fn cookies(mut self, enabled: bool) -> SessionBuilder {
        self.config.cookies = enabled;
        self
    }

    /// Follows at most `max` redirects (default 10; 0 returns redirects as
    /// they are). A redirect to another origin (scheme, host or port) leaves
    /// `Authorization`, `Cookie`, `Proxy-Authorization` and a hand-set `Host`
    /// behind, the request's and the session's defaults alike, for the rest
    /// of the chain; other headers follow.
    ///
    /// ```
    /// # use std::io::{Read, Write};
    /// # // One request on a new loopback port, answered with `answer`;
    /// # // returns the server's URL and what the request said.
    /// # fn serve(answer: Vec<u8>) -> (String, std::sync::mpsc::Receiver<String>) {
    /// #     let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// #     let url = format!("http://{}", listener.local_addr().unwrap());
    /// #     let (seen, request) = std::sync::mpsc::channel();
    /// #     std::thread::spawn(move || {
    /// #         let (mut socket, _) = listener.accept().unwrap();
    /// #         let mut buffer = vec![0; 8192];
    /// #         let n = socket.read(&mut buffer).unwrap_or(0);
    /// #         let _ = seen.send(String::from_utf8_lossy(&buffer[..n]).into_owned());
    /// #         let _ = socket.write_all(&answer);
    /// #     });
    /// #     (url, request)
    /// # }
    /// let ok = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".to_vec();
    /// let (elsewhere, seen_there) = serve(ok);
    /// let moved = format!("HTTP/1.1 302 Found\r\nLocation: {elsewhere}/landing\r\nContent-Length: 0\r\n\r\n");
    /// let (start, _) = serve(moved.into_bytes());
    /// corio::run(async move {
    ///     let session = corio::http::Session::builder().max_redirects(5).build().unwrap();
    ///     let request = session.get(start).header("Authorization", "Bearer secret").header("X-Trace", "7");
    ///     let response = request.await.unwrap();
    ///     assert_eq!((response.status().as_u16(), response.history().len()), (200, 1));
    /// });
    /// // Another port is another origin: the credentials stayed behind.
    /// let request = seen_there.recv().unwrap().to_ascii_lowercase();
    /// assert!(request.starts_with("get /landing http/1.1"));
    /// assert!(request.contains("x-trace: 7") && !request.contains("authorization"));
    /// ```
    pub fn max_redirects(mut self, max: usize) -> SessionBuilder {
        self.config.max_redirects = max;
        self
    }

    /// Fails bodies larger than `bytes` after decompression (default
    /// [`DEFAULT_MAX_BODY_SIZE`]). The limit counts decoded bytes as the
    /// body is read, whatever Content-Length announced, so a small gzip body
    /// that inflates past it (a "decompression bomb") fails the read with
    /// [`Error::BodyTooLarge`] after at most the limit plus one 32 KiB step
    /// has been inflated; the status and headers arrive first.
    ///
    /// ```
    /// # use std::io::{Read, Write};
    /// # // One request on a new loopback port, answered with `answer`;
    /// # // returns the server's URL and what the request said.
    /// # fn serve(answer: Vec<u8>) -> (String, std::sync::mpsc::Receiver<String>) {
    /// #     let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// #     let url = format!("http://{}", listener.local_addr().unwrap());
    /// #     let (seen, request) = std::sync::mpsc::channel();
    /// #     std::thread::spawn(move || {
    /// #         let (mut socket, _) = listener.accept().unwrap();
    /// #         let mut buffer = vec![0; 8192];
    /// #         let n = socket.read(&mut buffer).unwrap_or(0);
    /// #         let _ = seen.send(String::from_utf8_lossy(&buffer[..n]).into_owned());
    /// #         let _ = socket.write_all(&answer);
    /// #     });
    /// #     (url, request)
    /// # }
    /// use flate2::{Compression, write::GzEncoder};
    /// // One MiB of zeros is about a kilobyte of gzip on the wire.
    /// let mut gzip = GzEncoder::new(Vec::new(), Compression::default());
    /// gzip.write_all(&[0; 1 << 20]).unwrap();
    /// let body = gzip.finish().unwrap();
    /// let answer = format!("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: {}\r\n\r\n", body.len());
    /// let (url, _) = serve([answer.into_bytes(), body].concat());
    /// corio::run(async move {
    ///     let session = corio::http::Session::builder().max_body_size(64 * 1024).build().unwrap();
    ///     let response = session.get(url).await.unwrap();
    ///     assert!(response.content_length().unwrap() < 64 * 1024);
    ///     let error = response.bytes().await.unwrap_err();
    ///     assert!(matches!(error, corio::http::Error::BodyTooLarge { limit: 65536 }), "{error}");
    /// });
    /// ```
    pub fn max_body_size(mut self, bytes: u64) -> SessionBuilder {
        self.config.max_body_size = bytes;
        self
    }

    /// Fails gzip bodies of more than `members` concatenated members
    /// (default [`DEFAULT_MAX_GZIP_MEMBERS`]) with
    /// [`Error::TooManyGzipMembers`]; `u64::MAX` for no limit. The limit
    /// applies to each gzip coding of a body.
    pub fn max_gzip_members(mut self, members: u64) -> SessionBuilder {
        self.config.max_gzip_members = members;
        self
    }

    /// Fails compressed bodies that carry more than `ratio` input bytes per
    /// decoded byte, once past the first `slack` input bytes (defaults
    /// [`DEFAULT_MAX_INPUT_RATIO`] and [`DEFAULT_INPUT_SLACK`]), with
    /// [`Error::TooMuchInput`]. This is the other side of
    /// [`max_body_size`](Self::max_body_size): input that decodes to
    /// nothing, such as an endless run of empty gzip members or deflate
    /// blocks, never reaches the size limit, and would otherwise keep the
    /// body reading until the total timeout. Each content coding of a body
    /// is held to it on its own; zstd output still held in the decoder's
    /// window (8 MiB at most) counts as decoded. `u64::MAX` for either
    /// turns the rule off.
    pub fn max_input_ratio(mut self, ratio: u64, slack: u64) -> SessionBuilder {
        self.config.max_input_ratio = (ratio, slack);
        self
    }

    /// Fails response heads larger than `bytes` (default 64 KiB) or with
    /// more than `fields` header fields (default 100).
    pub fn max_head_size(mut self, bytes: usize, fields: usize) -> SessionBuilder {
        self.config.head_limits = HeadLimits { max_head_bytes: bytes, max_headers: fields };
        self
    }

    /// Trusts the CA certificates in `pem` besides the built-in roots (for
    /// a private CA, or a test server's).
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
    pub fn add_root_certificate_der(mut self, der: Vec<u8>) -> SessionBuilder {
        self.config.extra_roots.push(CertificateDer::from(der));
        self
    }

    /// Asks for gzip, deflate, brotli and zstd (`Accept-Encoding: gzip,
    /// deflate, br, zstd`) and decodes them transparently (default on).
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
            self.config.headers.append("Accept-Encoding", "gzip, deflate, br, zstd");
        }
        Session::with_config(self.config)
    }
}

/// `host` as URLs spell it (the key `connect` looks names up by), if it is
/// a host name: an IP literal needs no resolving, and a port or path has no
/// place in a name.
fn override_key(host: &str) -> Result<String, String> {
    if host.contains([':', '/', '?', '#', '@', '[', ']']) {
        return Err("give a host name alone, without scheme, port or path".into());
    }
    let url = Url::parse(&format!("http://{host}/")).map_err(|error| error.to_string())?;
    match url.host() {
        Host::Domain(name) => Ok(name.clone()),
        Host::Ipv4(_) | Host::Ipv6(_) => Err("it is an IP address already".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_limits_default_to_the_documented_constants() {
        // `proto/decode.rs`'s tests write these numbers out; keep them equal.
        let limits = Config::default().decode_limits();
        let expected = DecodeLimits {
            max_size: DEFAULT_MAX_BODY_SIZE,
            max_gzip_members: DEFAULT_MAX_GZIP_MEMBERS,
            input_ratio: DEFAULT_MAX_INPUT_RATIO,
            input_slack: DEFAULT_INPUT_SLACK,
        };
        assert_eq!(limits, expected);
        assert_eq!((expected.max_gzip_members, expected.input_ratio, expected.input_slack), (1024, 32, 64 * 1024));
    }
}
