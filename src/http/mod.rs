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
//! # Two halves
//!
//! `proto/` is HTTP/1.1 as data, sans-IO: URLs, headers, the response head,
//! body framing, chunked and content decoding, cookies, dates and the
//! redirect rules take bytes or strings and return values, import nothing
//! of the runtime or the network, and are table-tested beside their code.
//! The files here are the client around it, in the order a request passes
//! through them: the [`RequestBuilder`], the [`Session`] and its settings
//! and deadlines, the proxy choice, the pool, connecting (DNS, TCP, proxy
//! tunnels, TLS), the exchange on one connection, the body reader and the
//! [`Response`]; the one [`Error`] type names the step that failed. The
//! [crate tour](crate) lists the files.

mod body;
mod body_stream;
mod connect;
mod connection;
mod deadline;
mod error;
mod exchange;
mod pool;
// Crate-visible for the hidden `corio::fuzzing` entry points (feature `fuzzing`).
pub(crate) mod proto;
mod proxy;
mod read_buffer;
mod request;
mod response;
mod session;
mod settings;
pub(crate) mod tls;
pub(crate) mod transport;

pub use body_stream::BodyStream;
pub use error::{DecodeError, Error, ProtocolError, TimeoutKind, TlsErrorKind};
pub use proto::chunked::ChunkedError;
pub use proto::cookie::Cookie;
pub use proto::date::{format_http_date, parse_http_date};
pub use proto::decode::ContentDecodeError;
pub use proto::framing::FramingError;
pub use proto::head::HeadError;
pub use proto::headers::Headers;
pub use proto::host::Host;
pub use proto::multipart::FormData;
pub use proto::status::StatusCode;
pub use proto::url::{IntoUrl, Scheme, Url, UrlError};
pub use request::RequestBuilder;
pub use response::Response;
pub use session::Session;
pub use settings::{
    DEFAULT_INPUT_SLACK, DEFAULT_MAX_BODY_SIZE, DEFAULT_MAX_GZIP_MEMBERS, DEFAULT_MAX_INPUT_RATIO, DEFAULT_USER_AGENT,
    SessionBuilder,
};
