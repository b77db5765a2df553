//! [`RequestBuilder`]: one request being described (headers, body, per-request
//! overrides) and, when it is sent, the exact bytes of its head.
//!
//! In the path of a request this is the beginning: `session.get(url)` makes
//! a builder, awaiting it hands it to the session, and `write_head` renders
//! the head once per hop (a redirect changes the URL and maybe the method).
//! Everything a server or proxy could misread is refused here, before a
//! byte is written.

use std::future::{Future, IntoFuture};
use std::io::Write as _;
use std::pin::Pin;
use std::time::Duration;

use crate::http::body_stream::BodyStream;
use crate::http::error::Error;
use crate::http::proto::auth;
use crate::http::proto::headers::{Headers, check_name, check_value, is_token_byte};
use crate::http::proto::multipart::FormData;
use crate::http::proto::percent::form_encode;
use crate::http::proto::redirect::Hop;
use crate::http::proto::url::{IntoUrl, Url};
use crate::http::proxy::Proxy;
use crate::http::response::Response;
use crate::http::session::Session;

/// A request being built: awaiting it (or calling [`send`](Self::send))
/// sends it.
///
/// ```no_run
/// # corio::run(async {
/// let session = corio::http::Session::new();
/// let response = session
///     .post("http://127.0.0.1:8080/login")
///     .header("X-Requested-With", "corio")
///     .form(&[("user", "ann"), ("password", "s3cret & more")])
///     .await?;
/// println!("{}", response.status());
/// # Ok::<(), corio::http::Error>(())
/// # }).unwrap();
/// ```
#[must_use = "a request does nothing until it is awaited"]
pub struct RequestBuilder {
    /// The session that sends it.
    session: Session,
    /// The method, checked when sent.
    method: String,
    /// The target, or the error parsing it gave (reported when sent).
    url: Result<Url, Error>,
    /// Headers given for this request; they replace session defaults of the
    /// same name.
    headers: Headers,
    body: Option<Vec<u8>>,
    /// A body produced while it is sent, instead of `body`.
    stream: Option<BodyStream>,
    /// Overrides of the session's settings.
    pub(crate) options: RequestOptions,
    /// The first error a builder method met (an unusable proxy URL, say).
    error: Option<Error>,
}

/// Per-request overrides of the session's settings; by default each one
/// defers to the session.
#[derive(Clone, Debug, Default)]
pub(crate) struct RequestOptions {
    /// Whole-request timeout, redirects and body included.
    pub(crate) total_timeout: TimeoutSetting,
    /// Limit on getting a connection.
    pub(crate) connect_timeout: TimeoutSetting,
    /// Limit on each wait for bytes.
    pub(crate) read_timeout: TimeoutSetting,
    pub(crate) proxy: ProxySetting,
    /// Redirects to follow at most (0 = do not follow); `None` defers to
    /// the session.
    pub(crate) max_redirects: Option<usize>,
}

/// One of a request's three timeouts, as the request set it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum TimeoutSetting {
    /// Not set on the request: the session's timeout of the same kind.
    #[default]
    SessionDefault,
    /// No limit for this request, whatever the session's setting.
    Unlimited,
    /// This limit for this request.
    After(Duration),
}

impl TimeoutSetting {
    /// What a builder method's `Option<Duration>` asks for: `None` is no
    /// limit (not "the session's").
    fn from_option(limit: Option<Duration>) -> TimeoutSetting {
        limit.map_or(TimeoutSetting::Unlimited, TimeoutSetting::After)
    }

    /// The limit in force, given the session's (`None`: no limit).
    pub(crate) fn or_session(self, session: Option<Duration>) -> Option<Duration> {
        match self {
            TimeoutSetting::SessionDefault => session,
            TimeoutSetting::Unlimited => None,
            TimeoutSetting::After(limit) => Some(limit),
        }
    }
}

/// How a request reaches its origin, as the request set it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) enum ProxySetting {
    /// Not set on the request: the session's proxy, else the environment's
    /// (with `trust_env`), else direct.
    #[default]
    SessionDefault,
    /// Straight to the origin, whatever the session's setting (`no_proxy`).
    Direct,
    /// Through this proxy (`proxy(url)`).
    Through(Proxy),
}

/// What the session needs to send a request: the checked parts of a
/// [`RequestBuilder`].
pub(crate) struct Prepared {
    /// The first hop: method, URL, headers and body, all checked.
    pub(crate) hop: Hop,
    /// Overrides of the session's settings.
    pub(crate) options: RequestOptions,
    /// The body to stream on the first hop, if the request has one.
    pub(crate) stream: Option<BodyStream>,
}

impl RequestBuilder {
    /// A request for `session` with `method` and `url`.
    pub(crate) fn new(session: Session, method: &str, url: impl IntoUrl) -> RequestBuilder {
        RequestBuilder {
            session,
            method: method.to_owned(),
            url: url.into_url().map_err(Error::from),
            headers: Headers::new(),
            body: None,
            stream: None,
            options: RequestOptions::default(),
            error: None,
        }
    }

    /// Adds a header (several with one name are all sent). A header of the
    /// same name in the session's defaults is replaced.
    pub fn header(mut self, name: impl AsRef<str>, value: impl AsRef<str>) -> RequestBuilder {
        self.headers.append(name, value);
        self
    }

    /// Sends `Authorization: Basic` with `user` and `password` (reqwest's
    /// `basic_auth`, aiohttp's `auth=BasicAuth(...)`), replacing
    /// credentials from the URL or the session. Like every
    /// `Authorization`, it is not sent on after a redirect to another
    /// origin.
    ///
    /// ```
    /// # use std::io::{Read, Write};
    /// # let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// # let url = format!("http://{}/private", listener.local_addr().unwrap());
    /// # let (seen, received) = std::sync::mpsc::channel();
    /// # std::thread::spawn(move || {
    /// #     let (mut socket, _) = listener.accept().unwrap();
    /// #     let mut buffer = vec![0; 4096];
    /// #     let n = socket.read(&mut buffer).unwrap_or(0);
    /// #     let _ = seen.send(String::from_utf8_lossy(&buffer[..n]).into_owned());
    /// #     let _ = socket.write_all(b"HTTP/1.1 204 No Content\r\n\r\n");
    /// # });
    /// corio::run(async move {
    ///     corio::http::Session::new().get(&url).basic_auth("Aladdin", Some("open sesame")).await?;
    ///     Ok::<(), corio::http::Error>(())
    /// })
    /// .unwrap();
    /// let request = received.recv().unwrap();
    /// assert!(request.contains("\r\nAuthorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==\r\n"), "{request}");
    /// ```
    pub fn basic_auth(mut self, user: &str, password: Option<&str>) -> RequestBuilder {
        self.headers.insert("Authorization", auth::basic(user, password));
        self
    }

    /// Sends `Authorization: Bearer token`, replacing credentials from the
    /// URL or the session; not sent on after a redirect to another origin.
    pub fn bearer_auth(mut self, token: &str) -> RequestBuilder {
        self.headers.insert("Authorization", auth::bearer(token));
        self
    }

    /// Sends `body` as is, with its length as `Content-Length`.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> RequestBuilder {
        self.body = Some(body.into());
        self.stream = None;
        self
    }

    /// Sends `stream` as the body, chunk by chunk as it produces them:
    /// with `Content-Length` if it knows its length (a file's does), else
    /// with `Transfer-Encoding: chunked`. [`BodyStream`] says more,
    /// including what a redirect does with it.
    pub fn body_stream(mut self, stream: BodyStream) -> RequestBuilder {
        self.stream = Some(stream);
        self.body = None;
        self
    }

    /// Sends `fields` as an `application/x-www-form-urlencoded` body
    /// (aiohttp's `data={...}`).
    pub fn form<K: AsRef<str>, V: AsRef<str>>(mut self, fields: &[(K, V)]) -> RequestBuilder {
        let mut body = String::new();
        for (index, (name, value)) in fields.iter().enumerate() {
            if index > 0 {
                body.push('&');
            }
            form_encode(&mut body, name.as_ref());
            body.push('=');
            form_encode(&mut body, value.as_ref());
        }
        self.set_default_header("Content-Type", "application/x-www-form-urlencoded");
        self.body(body)
    }

    /// Serialises `value` with serde and sends it as `application/json`
    /// (aiohttp's `json=`, reqwest's `.json(&value)`). Needs the `json`
    /// feature, on by default.
    ///
    /// A value serde cannot write as JSON (a map with non-string keys, say)
    /// makes sending fail with [`Error::InvalidRequest`] before anything is
    /// written to the network.
    ///
    /// ```
    /// # use std::io::{Read, Write};
    /// # let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// # let url = format!("http://{}/movies", listener.local_addr().unwrap());
    /// # let (seen, received) = std::sync::mpsc::channel();
    /// # std::thread::spawn(move || {
    /// #     let (mut socket, _) = listener.accept().unwrap();
    /// #     let mut buffer = vec![0; 4096];
    /// #     let n = socket.read(&mut buffer).unwrap_or(0);
    /// #     let _ = seen.send(String::from_utf8_lossy(&buffer[..n]).into_owned());
    /// #     let _ = socket.write_all(b"HTTP/1.1 201 Created\r\nContent-Length: 9\r\n\r\n{\"id\": 7}");
    /// # });
    /// use std::collections::BTreeMap;
    /// corio::run(async move {
    ///     let movie = BTreeMap::from([("rank", "1"), ("title", "肖申克的救赎")]);
    ///     let response = corio::http::Session::new().post(&url).json(&movie).await?;
    ///     let created: BTreeMap<String, u32> = response.json().await?;
    ///     assert_eq!(created["id"], 7);
    ///     Ok::<(), corio::http::Error>(())
    /// })
    /// .unwrap();
    /// let request = received.recv().unwrap();
    /// assert!(request.contains("\r\nContent-Type: application/json\r\n"));
    /// assert!(request.ends_with(r#"{"rank":"1","title":"肖申克的救赎"}"#), "{request}");
    /// ```
    #[cfg(feature = "json")]
    pub fn json<T: serde::Serialize + ?Sized>(mut self, value: &T) -> RequestBuilder {
        match serde_json::to_vec(value) {
            Ok(json) => {
                self.set_default_header("Content-Type", "application/json");
                self.body(json)
            }
            Err(error) => {
                let why = format!("the value could not be serialised as JSON: {error}");
                self.error.get_or_insert(Error::InvalidRequest(why));
                self
            }
        }
    }

    /// Sends `json`, JSON text serialised already, as `application/json`
    /// (the form without serde; it is sent as given, unchecked).
    pub fn json_text(mut self, json: impl Into<String>) -> RequestBuilder {
        self.set_default_header("Content-Type", "application/json");
        self.body(json.into())
    }

    /// Sends `form` as a `multipart/form-data` body, its `Content-Type`
    /// carrying the boundary (replacing one set by hand, which could not
    /// know it); aiohttp's `data=FormData(...)`. [`FormData`] shows what
    /// goes on the wire.
    pub fn multipart(mut self, form: FormData) -> RequestBuilder {
        let (content_type, body) = form.into_body();
        self.headers.insert("Content-Type", content_type);
        self.body(body)
    }

    /// Appends `name=value` pairs to the URL's query (aiohttp's `params=`).
    pub fn query<K: AsRef<str>, V: AsRef<str>>(mut self, pairs: &[(K, V)]) -> RequestBuilder {
        if let Ok(url) = &mut self.url {
            for (name, value) in pairs {
                url.append_query_pair(name.as_ref(), value.as_ref());
            }
        }
        self
    }

    /// Limits the whole request, redirects and body included; `None` for no
    /// limit. Overrides the session's total timeout.
    pub fn timeout(mut self, total: Option<Duration>) -> RequestBuilder {
        self.options.total_timeout = TimeoutSetting::from_option(total);
        self
    }

    /// Limits getting a connection for this request.
    pub fn connect_timeout(mut self, connect: Option<Duration>) -> RequestBuilder {
        self.options.connect_timeout = TimeoutSetting::from_option(connect);
        self
    }

    /// Limits each wait for bytes from the server.
    pub fn read_timeout(mut self, read: Option<Duration>) -> RequestBuilder {
        self.options.read_timeout = TimeoutSetting::from_option(read);
        self
    }

    /// Sends this request through the HTTP proxy at `url` (the tutorial's
    /// `session.get(url, proxy="http://...")`); credentials in the URL are
    /// sent as `Proxy-Authorization: Basic`, unless a `Proxy-Authorization`
    /// header was set by hand: that one is sent instead, never both (as
    /// curl's explicit header wins).
    pub fn proxy(mut self, url: &str) -> RequestBuilder {
        match Proxy::parse(url) {
            Ok(proxy) => self.options.proxy = ProxySetting::Through(proxy),
            Err(error) => {
                self.error.get_or_insert(error);
            }
        }
        self
    }

    /// Connects directly, ignoring the session's proxy settings.
    pub fn no_proxy(mut self) -> RequestBuilder {
        self.options.proxy = ProxySetting::Direct;
        self
    }

    /// Follows at most `max` redirects (0: return the redirect itself).
    pub fn max_redirects(mut self, max: usize) -> RequestBuilder {
        self.options.max_redirects = Some(max);
        self
    }

    /// Sends the request and waits for the response head; the body is read
    /// later from the [`Response`]. Same as awaiting the builder.
    ///
    /// # Errors
    /// Every [`Error`] but [`Error::Status`] and [`Error::Decode`].
    ///
    /// What goes on the wire, seen by a server that answers 204:
    ///
    /// ```
    /// # use std::io::{Read, Write};
    /// # let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// # let url = format!("http://{}/search", listener.local_addr().unwrap());
    /// # let (seen, received) = std::sync::mpsc::channel();
    /// # std::thread::spawn(move || {
    /// #     let (mut socket, _) = listener.accept().unwrap();
    /// #     let mut buffer = vec![0; 4096];
    /// #     let n = socket.read(&mut buffer).unwrap_or(0);
    /// #     let _ = seen.send(String::from_utf8_lossy(&buffer[..n]).into_owned());
    /// #     let _ = socket.write_all(b"HTTP/1.1 204 No Content\r\n\r\n");
    /// # });
    /// corio::run(async move {
    ///     let session = corio::http::Session::new();
    ///     let request = session.post(&url).query(&[("page", "1")]).form(&[("q", "肖申克 救赎")]);
    ///     let response = request.send().await?;
    ///     assert_eq!(response.status(), 204);
    ///     Ok::<(), corio::http::Error>(())
    /// })
    /// .unwrap();
    /// let request = received.recv().unwrap();
    /// assert!(request.starts_with("POST /search?page=1 HTTP/1.1\r\n"));
    /// assert!(request.contains("\r\nContent-Type: application/x-www-form-urlencoded\r\n"));
    /// // Head and body go out in one write; the form is UTF-8, percent-encoded.
    /// assert!(request.ends_with("\r\n\r\nq=%E8%82%96%E7%94%B3%E5%85%8B+%E6%95%91%E8%B5%8E"), "{request}");
    /// ```
    pub fn send(self) -> impl Future<Output = Result<Response, Error>> {
        // Checked here, before the future exists, and boxed: a future keeps
        // what it was made from for as long as it runs, so the builder
        // (an `async fn send(self)` would keep all of it) is gone, and the
        // checked request is passed down the layers as one pointer.
        let session = self.session.clone();
        let request = self.prepare().map(Box::new);
        async move { session.execute(request?).await }
    }

    /// Checks everything that can be checked before connecting.
    fn prepare(self) -> Result<Prepared, Error> {
        if let Some(error) = self.error {
            return Err(error);
        }
        let url = self.url?;
        // Credentials in the URL (`http://user:pw@host/`) are Basic auth,
        // unless the request set its own `Authorization`.
        let mut headers = self.headers;
        if url.has_credentials() && !headers.contains("authorization") {
            headers.append("Authorization", auth::basic(url.username(), url.password()));
        }
        if self.method.is_empty() || !self.method.bytes().all(is_token_byte) {
            return Err(Error::InvalidRequest(format!(
                "method {:?} is not a valid HTTP token (letters, digits and !#$%&'*+-.^_`|~ only)",
                self.method
            )));
        }
        for (name, value) in headers.iter() {
            check_name(name).map_err(|error| Error::InvalidRequest(error.to_string()))?;
            check_value(name, value).map_err(|error| Error::InvalidRequest(error.to_string()))?;
            if name.eq_ignore_ascii_case("transfer-encoding") || name.eq_ignore_ascii_case("content-length") {
                return Err(Error::InvalidRequest(format!(
                    "the {name} header is set by the client from the body; do not set it yourself"
                )));
            }
        }
        let hop = Hop { method: self.method, url, headers, body: self.body, left_origin: false };
        Ok(Prepared { hop, options: self.options, stream: self.stream })
    }

    /// Sets a header only if the request does not have it yet.
    fn set_default_header(&mut self, name: &str, value: &str) {
        if !self.headers.contains(name) {
            self.headers.append(name, value);
        }
    }
}

impl IntoFuture for RequestBuilder {
    type Output = Result<Response, Error>;
    type IntoFuture = Pin<Box<dyn Future<Output = Result<Response, Error>>>>;

    /// `session.get(url).await`, as aiohttp's `await session.get(url)`.
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// The parts of a head that change from hop to hop.
pub(crate) struct HeadParts<'a> {
    pub(crate) method: &'a str,
    pub(crate) url: &'a Url,
    /// True when the request goes to a proxy in absolute form.
    pub(crate) absolute_form: bool,
    /// The session's default headers; those the request also sets are skipped.
    pub(crate) defaults: &'a Headers,
    /// The request's own headers.
    pub(crate) headers: &'a Headers,
    /// Names (lowercase) left out of both `defaults` and `headers`: fields
    /// replaced by a computed one, or meant for an origin a redirect left.
    pub(crate) omit: &'a [&'a str],
    /// Extra computed headers (`Cookie`, `Proxy-Authorization`, ...).
    pub(crate) extra: &'a [(&'a str, &'a str)],
    /// Sent as `Content-Length`; `None` sends none (a GET without a body,
    /// or a chunked one).
    pub(crate) body_length: Option<u64>,
    /// Sends `Transfer-Encoding: chunked`: a streamed body of unknown length.
    pub(crate) chunked: bool,
}

/// Renders a request head: request line, `Host` first, the headers, the
/// computed ones, `Content-Length`, the blank line.
pub(crate) fn write_head(parts: &HeadParts<'_>, out: &mut Vec<u8>) {
    out.extend_from_slice(parts.method.as_bytes());
    out.push(b' ');
    if parts.absolute_form {
        // A proxy needs the whole URL to know where to go (RFC 9112 3.2.2).
        out.extend_from_slice(parts.url.as_str().as_bytes());
    } else {
        out.extend_from_slice(parts.url.path_and_query().as_bytes());
    }
    out.extend_from_slice(b" HTTP/1.1\r\nHost: ");
    let kept = |(name, _): &(&str, &str)| !parts.omit.iter().any(|omitted| name.eq_ignore_ascii_case(omitted));
    let host = parts
        .headers
        .iter()
        .chain(parts.defaults.iter())
        .filter(kept)
        .find(|(name, _)| name.eq_ignore_ascii_case("host"));
    match host {
        Some((_, host)) => out.extend_from_slice(host.as_bytes()),
        None => out.extend_from_slice(parts.url.authority().as_bytes()),
    }
    out.extend_from_slice(b"\r\n");
    // Defaults first, minus the ones the request overrides; written straight
    // into the output, so merging costs no allocation.
    let defaults = parts.defaults.iter().filter(|(name, _)| !parts.headers.contains(name));
    let fields =
        defaults.chain(parts.headers.iter()).filter(kept).filter(|(name, _)| !name.eq_ignore_ascii_case("host"));
    for (name, value) in fields.chain(parts.extra.iter().copied()) {
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    if let Some(length) = parts.body_length {
        // `write!` into the vector formats the number without a String.
        let _ = write!(out, "Content-Length: {length}\r\n");
    }
    if parts.chunked {
        out.extend_from_slice(b"Transfer-Encoding: chunked\r\n");
    }
    out.extend_from_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn head_puts_host_first_and_content_length_last() {
        let url = Url::parse("http://example.com:8080/a b?q=1#frag").unwrap();
        let mut headers = Headers::new();
        headers.append("User-Agent", "ua");
        headers.append("Host", "override");
        let mut out = Vec::new();
        let parts = HeadParts {
            method: "POST",
            url: &url,
            absolute_form: false,
            defaults: &Headers::new(),
            headers: &headers,
            omit: &[],
            extra: &[("Cookie", "a=1")],
            body_length: Some(3),
            chunked: false,
        };
        write_head(&parts, &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "POST /a%20b?q=1 HTTP/1.1\r\nHost: override\r\nUser-Agent: ua\r\nCookie: a=1\r\nContent-Length: 3\r\n\r\n"
        );
    }

    #[test]
    fn a_request_timeout_overrides_the_session_only_when_set() {
        let (second, minute) = (Duration::from_secs(1), Duration::from_secs(60));
        let cases = [
            (None, Some(minute), Some(minute)),
            (None, None, None),
            (Some(None), Some(minute), None),
            (Some(Some(second)), Some(minute), Some(second)),
            (Some(Some(second)), None, Some(second)),
        ];
        for (request, session, expected) in cases {
            let setting = request.map_or(TimeoutSetting::SessionDefault, TimeoutSetting::from_option);
            assert_eq!(setting.or_session(session), expected, "request {request:?}, session {session:?}");
        }
    }

    #[test]
    fn absolute_form_carries_the_whole_url_without_fragment() {
        let url = Url::parse("http://example.com/p?q#f").unwrap();
        let headers = Headers::new();
        let mut out = Vec::new();
        let parts = HeadParts {
            method: "GET",
            url: &url,
            absolute_form: true,
            defaults: &headers,
            headers: &headers,
            omit: &[],
            extra: &[],
            body_length: None,
            chunked: false,
        };
        write_head(&parts, &mut out);
        assert_eq!(String::from_utf8(out).unwrap(), "GET http://example.com/p?q HTTP/1.1\r\nHost: example.com\r\n\r\n");
    }
}
