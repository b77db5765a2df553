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
//! | `proto/url.rs`, `host.rs`, `percent.rs`, `punycode.rs` | what a request is addressed to | [`Url`] |
//! | `request.rs` | describing a request; rendering its head | [`RequestBuilder`] |
//! | `settings.rs` | a session's settings and defaults | [`SessionBuilder`] |
//! | `session.rs` | shared state; the redirect loop; one hop | [`Session`] |
//! | `proto/redirect.rs` | which redirects to follow, and how the next request differs | `next_hop` |
//! | `proxy.rs` | which proxy, with which credentials | `Proxy` |
//! | `pool.rs` | in-use limits, FIFO waiting, idle reuse | `Pool` |
//! | `connect.rs`, `tls.rs`, `transport.rs` | DNS, TCP, CONNECT, TLS | `Transport` |
//! | `connection.rs` | the receive buffer parsers read from | `Connection` |
//! | `exchange.rs`, `proto/head.rs`, `proto/framing.rs` | writing, reading the head, body framing | `ResponseHead` |
//! | `body.rs` | moving body bytes off the connection, under the deadlines | `BodyReader` |
//! | `proto/body_decoder.rs`, `chunked.rs`, `decode.rs`, `gzip.rs` | unframing, decompressing, limiting | `BodyDecoder` |
//! | `response.rs` | what the caller gets | [`Response`] |
//! | `proto/set_cookie.rs`, `cookie.rs`, `date.rs` | parsing `Set-Cookie`; the cookie jar | [`Cookie`] |
//! | `deadline.rs`, `error.rs` | timeouts; the one error type | [`Error`] |
//!
//! The files under `proto/` (URLs, headers, the head, framing, chunked,
//! content decoding, cookies, dates, redirects) are the sans-IO protocol:
//! they take bytes or strings and return values, import nothing of the
//! runtime or the network, and are table-tested beside their code. The rest
//! is the client around them.

mod body;
mod connect;
mod connection;
mod deadline;
mod error;
mod exchange;
mod pool;
mod proto;
mod proxy;
mod request;
mod response;
mod session;
mod settings;
mod tls;
mod transport;

pub use error::{DecodeError, Error, ProtocolError, TimeoutKind, TlsErrorKind};
pub use proto::chunked::ChunkedError;
pub use proto::cookie::Cookie;
pub use proto::date::{format_http_date, parse_http_date};
pub use proto::decode::ContentDecodeError;
pub use proto::framing::FramingError;
pub use proto::head::HeadError;
pub use proto::headers::Headers;
pub use proto::host::Host;
pub use proto::url::{IntoUrl, Scheme, Url, UrlError};
pub use request::RequestBuilder;
pub use response::Response;
pub use session::Session;
pub use settings::{DEFAULT_MAX_BODY_SIZE, DEFAULT_USER_AGENT, SessionBuilder};
