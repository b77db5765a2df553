//! `corio::http`: a non-blocking HTTP/1.1 client on the runtime, the aiohttp
//! of this world.
//!
//! ```no_run
//! # corio::run(async {
//! let session = corio::http::Session::new();
//! let response = session.get("https://movie.douban.com/top250").await?;
//! println!("{} {}", response.status(), response.url());
//! let html = response.text().await?;
//! # Ok::<(), corio::http::Error>(())
//! # }).unwrap();
//! ```
//!
//! # A tour of the source, in the order a request passes through it
//!
//! | file | concept | key type |
//! |---|---|---|
//! | `url.rs`, `host.rs`, `percent.rs`, `punycode.rs` | what a request is addressed to | [`Url`] |
//! | `request.rs` | describing a request; rendering its head | [`RequestBuilder`] |
//! | `settings.rs` | a session's settings and defaults | [`SessionBuilder`] |
//! | `session.rs` | shared state; the redirect loop; one hop | [`Session`] |
//! | `redirect.rs` | which redirects to follow, and how the next request differs | `next_hop` |
//! | `proxy.rs` | which proxy, with which credentials | `Proxy` |
//! | `pool.rs` | in-use limits, FIFO waiting, idle reuse | `Pool` |
//! | `connect.rs`, `tls.rs`, `transport.rs` | DNS, TCP, CONNECT, TLS | `Transport` |
//! | `connection.rs` | the receive buffer parsers read from | `Connection` |
//! | `exchange.rs`, `head.rs`, `framing.rs` | writing, reading the head, body framing | `ResponseHead` |
//! | `body.rs`, `chunked.rs`, `decode.rs`, `gzip.rs` | unframing, decompressing, limiting | `BodyReader` |
//! | `response.rs` | what the caller gets | [`Response`] |
//! | `set_cookie.rs`, `cookie.rs`, `date.rs` | parsing `Set-Cookie`; the cookie jar | [`Cookie`] |
//! | `deadline.rs`, `error.rs` | timeouts; the one error type | [`Error`] |
//!
//! The parsers (`url`, `head`, `framing`, `chunked`, `decode`, `gzip`,
//! `set_cookie`, `cookie`, `date`) are sans-IO: they take bytes or strings
//! and return values, and are table-tested beside their code.

mod body;
mod chunked;
mod connect;
mod connection;
mod cookie;
mod date;
mod deadline;
mod decode;
mod error;
mod exchange;
mod framing;
mod gzip;
mod head;
mod headers;
mod host;
mod percent;
mod pool;
mod proxy;
mod punycode;
mod redirect;
mod request;
mod response;
mod session;
mod set_cookie;
mod settings;
mod tls;
mod transport;
mod url;

pub use cookie::Cookie;
pub use date::{format_http_date, parse_http_date};
pub use error::{Error, TimeoutKind, TlsErrorKind};
pub use headers::Headers;
pub use host::Host;
pub use request::RequestBuilder;
pub use response::Response;
pub use session::Session;
pub use settings::{DEFAULT_MAX_BODY_SIZE, DEFAULT_USER_AGENT, SessionBuilder};
pub use url::{IntoUrl, Scheme, Url, UrlError};
