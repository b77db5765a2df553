//! [`Response`]: what a request returns once the response head has arrived:
//! status, headers, the final URL, the redirects that led there, and the
//! body, still on the wire, to read whole or piece by piece.

use std::fmt;

use crate::http::body::BodyReader;
use crate::http::error::{DecodeError, Error};
use crate::http::proto::charset;
use crate::http::proto::head::ResponseHead;
use crate::http::proto::headers::Headers;
use crate::http::proto::status::StatusCode;
use crate::http::proto::url::Url;

/// Body bytes of a redirect response read (and thrown away) so that its
/// connection can be reused; a longer body closes the connection instead.
const DISCARD_LIMIT: usize = 64 * 1024;

/// An HTTP response (aiohttp's `ClientResponse`).
///
/// The body is read with [`bytes`](Self::bytes), [`text`](Self::text) or
/// [`chunk`](Self::chunk). Reading it to the end returns the connection to
/// the session's pool; dropping a response with its body unread closes the
/// connection instead.
///
/// ```no_run
/// # corio::run(async {
/// let session = corio::http::Session::new();
/// let response = session.get("https://movie.douban.com/top250").await?.raise_for_status()?;
/// println!("{} {:?}", response.status(), response.headers().get("content-type"));
/// let html = response.text().await?;
/// # Ok::<(), corio::http::Error>(())
/// # }).unwrap();
/// ```
pub struct Response {
    status: StatusCode,
    /// Empty if the server sent none.
    reason: String,
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    version: u8,
    /// The header fields in the order received.
    headers: Headers,
    /// The URL that gave this response (after redirects).
    url: Url,
    /// The redirect responses that led here, oldest first.
    history: Vec<Response>,
    /// Still on the wire until read; finished for a response in a history.
    body: BodyReader,
}

impl Response {
    /// A response whose body is read by `body`.
    pub(crate) fn new(head: ResponseHead, url: Url, body: BodyReader) -> Response {
        Response {
            status: StatusCode::from_head(head.status),
            reason: head.reason,
            version: head.version,
            headers: head.headers,
            url,
            history: Vec::new(),
            body,
        }
    }

    /// The status code, such as 200 or 404 (aiohttp's `status`). It
    /// compares with a number (`status() == 404`); `status().as_u16()` is
    /// the number itself, for a `match`.
    ///
    /// ```no_run
    /// # corio::run(async {
    /// let response = corio::http::Session::new().get("https://movie.douban.com/top250").await?;
    /// if response.status().is_redirection() {
    ///     println!("moved to {:?}", response.headers().get("location"));
    /// }
    /// match response.status().as_u16() {
    ///     200..=299 => println!("{} bytes", response.bytes().await?.len()),
    ///     403 | 418 => println!("banned"),
    ///     other => println!("{other} {}", response.reason()),
    /// }
    /// # Ok::<(), corio::http::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The reason phrase (`OK`, `Not Found`); may be empty.
    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// `"HTTP/1.1"` or `"HTTP/1.0"`.
    pub fn version(&self) -> &'static str {
        if self.version == 0 { "HTTP/1.0" } else { "HTTP/1.1" }
    }

    /// True for a status below 400 (aiohttp's `ok`).
    pub fn ok(&self) -> bool {
        self.status < 400
    }

    /// The header fields, in the order the server sent them.
    pub fn headers(&self) -> &Headers {
        &self.headers
    }

    /// The URL that gave this response: the request's, or the last
    /// redirect's target.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The redirect responses followed to get here, oldest first (empty
    /// without redirects). Their bodies have been discarded.
    pub fn history(&self) -> &[Response] {
        &self.history
    }

    /// The announced `Content-Length`, if any (the body's length on the wire,
    /// before decompression).
    pub fn content_length(&self) -> Option<u64> {
        // Framing already refused members that differ, so the first one
        // stands for all (`Content-Length: 5, 5` is 5).
        let first = self.headers.get("content-length")?.split(',').next()?;
        first.trim().parse().ok()
    }

    /// The chunked body's trailer fields; empty until the body has been read
    /// to its end, and for bodies that were not chunked.
    pub fn trailers(&self) -> &Headers {
        self.body.trailers()
    }

    /// Returns the response if its status is below 400, else
    /// [`Error::Status`] (aiohttp's `raise_for_status()`; reqwest calls it
    /// [`error_for_status`](Self::error_for_status)).
    ///
    /// # Errors
    /// [`Error::Status`] for 4xx and 5xx.
    #[doc(alias = "error_for_status")]
    pub fn raise_for_status(self) -> Result<Response, Error> {
        if self.ok() {
            Ok(self)
        } else {
            let status = self.status.as_u16();
            Err(Error::Status { status, reason: self.reason.clone(), url: Box::new(self.url.clone()) })
        }
    }

    /// The same as [`raise_for_status`](Self::raise_for_status), under
    /// reqwest's name.
    ///
    /// # Errors
    /// [`Error::Status`] for 4xx and 5xx.
    #[doc(alias = "raise_for_status")]
    pub fn error_for_status(self) -> Result<Response, Error> {
        self.raise_for_status()
    }

    /// The next piece of the (decompressed) body, or `None` at its end.
    ///
    /// # Errors
    /// A read [`Error::Timeout`], [`Error::Incomplete`] if the connection
    /// ends early, [`Error::Protocol`] for bad framing,
    /// [`Error::BodyTooLarge`], [`Error::Decode`].
    ///
    /// A piece is whatever arrived and decoded since the last call: a
    /// bounded amount (for a compressed body about 64 KiB at most, however
    /// well it compresses) that follows neither the server's writes nor its
    /// chunks. A chunked body's trailers are
    /// there once `chunk` has returned `None`.
    ///
    /// ```
    /// # use std::io::{Read, Write};
    /// # let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// # let url = format!("http://{}/", listener.local_addr().unwrap());
    /// # std::thread::spawn(move || {
    /// #     let (mut socket, _) = listener.accept().unwrap();
    /// #     let _ = socket.read(&mut [0; 4096]);
    /// #     let _ = socket.write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\nX-Sum: 42\r\n\r\n");
    /// # });
    /// corio::run(async move {
    ///     let mut response = corio::http::Session::new().get(&url).await?;
    ///     let mut body = Vec::new();
    ///     while let Some(piece) = response.chunk().await? {
    ///         body.extend_from_slice(&piece);
    ///     }
    ///     assert_eq!(body, b"hello world");
    ///     assert_eq!(response.trailers().get("x-sum"), Some("42"));
    ///     Ok::<(), corio::http::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub async fn chunk(&mut self) -> Result<Option<Vec<u8>>, Error> {
        let mut piece = Vec::new();
        match self.body.read_into(&mut piece).await? {
            0 => Ok(None),
            _ => Ok(Some(piece)),
        }
    }

    /// The whole (decompressed) body.
    ///
    /// # Errors
    /// As for [`chunk`](Self::chunk).
    pub async fn bytes(mut self) -> Result<Vec<u8>, Error> {
        // One growing buffer: each read appends to it, with no copy per
        // chunk. The announced length is a hint for its first size, capped
        // so a lying header cannot make us reserve gigabytes.
        let hint = self.content_length().map_or(0, |length| length.min(1 << 20) as usize);
        let mut body = Vec::with_capacity(hint);
        while self.body.read_into(&mut body).await? > 0 {}
        Ok(body)
    }

    /// The whole body as text, decoded as a browser would choose: a byte
    /// order mark, else the `Content-Type` charset, else (for HTML) a
    /// `<meta charset>` in the first 1024 bytes, else UTF-8. Every encoding
    /// of the WHATWG Encoding Standard is understood (GBK, gb18030, Big5,
    /// Shift_JIS, EUC-KR, windows-1252, ...), by any of its labels
    /// (`gb2312` is GBK, `latin1` windows-1252). Strict: a byte that is not
    /// valid in the encoding is an error; [`text_lossy`](Self::text_lossy)
    /// replaces it instead.
    ///
    /// # Errors
    /// As for [`chunk`](Self::chunk), and [`Error::Decode`] with
    /// [`DecodeError::Malformed`] for a byte not valid in the encoding, or
    /// [`DecodeError::UnsupportedCharset`] for a `charset` that names no
    /// encoding.
    ///
    /// ```
    /// # use std::io::{Read, Write};
    /// # let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// # let url = format!("http://{}/", listener.local_addr().unwrap());
    /// # std::thread::spawn(move || {
    /// #     let (mut socket, _) = listener.accept().unwrap();
    /// #     let _ = socket.read(&mut [0; 4096]);
    /// #     let _ = socket.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 26\r\n\r\n<meta charset=gbk>\xb6\xb9\xb0\xea\xb5\xe7\xd3\xb0");
    /// # });
    /// corio::run(async move {
    ///     // No charset in the header; the page's <meta> says GBK.
    ///     let response = corio::http::Session::new().get(&url).await?;
    ///     assert_eq!(response.text().await?, "<meta charset=gbk>豆瓣电影");
    ///     Ok::<(), corio::http::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub async fn text(mut self) -> Result<String, Error> {
        // `bytes` consumes the response, so keep the headers aside first.
        let headers = std::mem::take(&mut self.headers);
        let body = self.bytes().await?;
        let choice = charset::choose(headers.get("content-type"), &body);
        if let Some(label) = choice.unknown_label {
            return Err(Error::Decode(DecodeError::UnsupportedCharset(label.to_owned())));
        }
        let encoding = choice.encoding.name();
        charset::decode_strict(body, choice)
            .map_err(|malformed| Error::Decode(DecodeError::Malformed { charset: encoding, offset: malformed.offset }))
    }

    /// The whole body as text, chosen as [`text`](Self::text) chooses (a
    /// `charset` that names no encoding is passed over, as browsers do),
    /// with every malformed sequence replaced by U+FFFD. Python's
    /// `errors="replace"`; it fails only if reading the body does.
    ///
    /// # Errors
    /// As for [`chunk`](Self::chunk).
    #[doc(alias = "text_with_replacement")]
    pub async fn text_lossy(mut self) -> Result<String, Error> {
        let headers = std::mem::take(&mut self.headers);
        let body = self.bytes().await?;
        let choice = charset::choose(headers.get("content-type"), &body);
        Ok(charset::decode_lossy(body, choice))
    }

    /// The whole body, parsed as JSON into a `T` with serde (reqwest's
    /// `json::<T>()`, aiohttp's `await resp.json()`). Needs the `json`
    /// feature, on by default.
    ///
    /// The body is read as UTF-8 JSON (RFC 8259) whatever the
    /// `Content-Type` says; unlike aiohttp, a type other than
    /// `application/json` is not refused.
    ///
    /// # Errors
    /// As for [`chunk`](Self::chunk), and [`Error::Decode`] with
    /// [`DecodeError::Json`] when the body is not JSON, or not the JSON
    /// that `T` expects; it says where and why.
    ///
    /// ```
    /// # use std::io::{Read, Write};
    /// # let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// # let url = format!("http://{}/", listener.local_addr().unwrap());
    /// # std::thread::spawn(move || {
    /// #     let (mut socket, _) = listener.accept().unwrap();
    /// #     let _ = socket.read(&mut [0; 4096]);
    /// #     let _ = socket.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 14\r\n\r\n{\"rank\": \"one\"}");
    /// # });
    /// use corio::http::{DecodeError, Error};
    /// corio::run(async move {
    ///     let response = corio::http::Session::new().get(&url).await.unwrap();
    ///     let error = response.json::<std::collections::HashMap<String, u32>>().await.unwrap_err();
    ///     assert!(matches!(error, Error::Decode(DecodeError::Json { line: 1, .. })), "{error}");
    ///     assert!(error.to_string().contains("expected u32"), "{error}");
    /// });
    /// ```
    #[cfg(feature = "json")]
    pub async fn json<T: serde::de::DeserializeOwned>(self) -> Result<T, Error> {
        let body = self.bytes().await?;
        serde_json::from_slice(&body).map_err(|error| {
            Error::Decode(DecodeError::Json {
                line: error.line(),
                column: error.column(),
                // serde_json's message ends with its own " at line L column C".
                reason: error.to_string().rsplit_once(" at line ").map_or(error.to_string(), |(why, _)| why.to_owned()),
            })
        })
    }

    /// Drops the rest of the body; for a redirect kept in the history. A
    /// small rest is read so the connection can be reused; past
    /// [`DISCARD_LIMIT`] bytes it is not worth it, and dropping the body
    /// closes the connection instead. A timeout is the request's, so it is
    /// passed on; any other failure only costs the connection.
    pub(crate) async fn discard_body(&mut self) -> Result<(), Error> {
        let mut sink = Vec::new();
        let mut discarded = 0;
        while discarded <= DISCARD_LIMIT {
            match self.body.read_into(&mut sink).await {
                Ok(0) => break,
                Ok(read) => {
                    discarded += read;
                    sink.clear();
                }
                Err(error @ Error::Timeout { .. }) => return Err(error),
                Err(_) => break,
            }
        }
        self.body = BodyReader::finished();
        Ok(())
    }

    /// Records the redirects that led to this response.
    pub(crate) fn set_history(&mut self, history: Vec<Response>) {
        self.history = history;
    }
}

impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("url", &self.url.to_string())
            .field("headers", &self.headers)
            .finish_non_exhaustive()
    }
}
