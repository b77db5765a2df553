//! The mirror's HTTP/1.1 server: a corio loop on its own thread that answers
//! every request for a [`Site`] page after a fixed latency.
//!
//! Each connection is one task: read a request head (httparse does the
//! parsing), look the target up, sleep for the latency (the "network" a real
//! site sits behind), write the answer, and go round again while the client
//! keeps the connection alive. Sleeping inside the connection's task means a
//! thousand connections wait their 100 ms at the same time, which is what a
//! real site's round trip looks like to a crawler.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::rc::Rc;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use corio::http::Headers;
use corio::net::{TcpListener, TcpStream};

use crate::site::{Page, Site, gunzip};

/// The largest request head the mirror reads before answering 431.
const MAX_HEAD: usize = 16 * 1024;

/// Connections that may wait to be accepted. A crawl opens its 250 movie
/// pages' connections at once, and a kernel queue full at `bind`'s 128
/// drops the rest of the burst's SYNs: each of those clients waits a second
/// before it tries again (a 0.36 s crawl took 1.3 s). 1024 holds four such
/// bursts; the kernel caps it at `net.core.somaxconn` (4096 by default).
const BACKLOG: u32 = 1024;

/// How the mirror behaves.
#[derive(Clone, Copy, Debug)]
pub struct MirrorConfig {
    /// The address to listen on: 127.0.0.1 unless the mirror must be
    /// reachable from other machines (`--bind`).
    pub address: IpAddr,
    /// The port to listen on; 0 picks a free one.
    pub port: u16,
    /// How long every answer waits before it is sent.
    pub latency: Duration,
}

/// Starts the mirror on a thread of its own, with its own event loop, and
/// returns the address it listens on once it is ready. The thread serves
/// until the process exits.
///
/// # Errors
/// The port cannot be bound, or the saved pages cannot be read.
pub fn spawn(config: MirrorConfig) -> io::Result<SocketAddr> {
    let (ready, address) = mpsc::channel();
    thread::Builder::new().name("douban-mirror".into()).spawn(move || {
        corio::run(async move {
            // Bind and load on the mirror's own loop: a listener belongs to
            // the loop that registered it.
            match bind(config) {
                Ok((listener, site)) => {
                    let _ = ready.send(listener.local_addr());
                    serve(listener, site, config.latency).await;
                }
                Err(error) => {
                    let _ = ready.send(Err(error));
                }
            }
        })
    })?;
    address.recv().map_err(|_| io::Error::other("the mirror thread stopped before it was ready"))?
}

/// Binds `address:port` and loads the pages with their links rewritten
/// to the bound address. Must run on a corio loop.
///
/// # Errors
/// The bind error, or a page that cannot be read.
pub fn bind(config: MirrorConfig) -> io::Result<(TcpListener, Rc<Site>)> {
    let listener = TcpListener::bind_with_backlog(SocketAddr::new(config.address, config.port), BACKLOG)?;
    let site = Site::load_2019(&format!("http://{}", listener.local_addr()?))?;
    Ok((listener, Rc::new(site)))
}

/// Accepts connections for ever, one task each. An accept error (such as
/// running out of file descriptors) is reported and the loop goes on after
/// a pause, as a server must.
pub async fn serve(listener: TcpListener, site: Rc<Site>, latency: Duration) {
    loop {
        match listener.accept().await {
            Ok((stream, _peer)) => {
                let site = Rc::clone(&site);
                corio::create_task(async move {
                    // A client that hangs up mid-request is its own business.
                    let _ = serve_connection(stream, &site, latency).await;
                });
            }
            Err(error) => {
                eprintln!("douban mirror: accept failed: {error}");
                corio::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// One parsed request: what the answer depends on.
struct Request {
    /// `GET` or `HEAD` are served; anything else gets 405.
    method: String,
    /// The request target, such as `/subject/1292052/`.
    target: String,
    /// Whether the client accepts a gzip body.
    accepts_gzip: bool,
    /// Whether the connection should close after this answer.
    close: bool,
}

/// Serves requests on one connection until the client closes it or asks
/// for `Connection: close`.
async fn serve_connection(stream: TcpStream, site: &Site, latency: Duration) -> io::Result<()> {
    let _ = stream.set_nodelay(true);
    let mut buffer = Vec::with_capacity(4096);
    loop {
        let request = match read_request(&stream, &mut buffer).await? {
            Some(Ok(request)) => request,
            Some(Err(status)) => {
                stream.write_all(&answer(status, None, false, true)).await?;
                return Ok(());
            }
            None => return Ok(()),
        };
        corio::sleep(latency).await;
        let response = respond(site, &request)?;
        stream.write_all(&response).await?;
        if request.close {
            return Ok(());
        }
    }
}

/// Reads until `buffer` holds a whole request head, parses it and removes
/// it from the buffer. `None` when the client
/// closed the connection between requests; `Some(Err(status))` for a
/// request the mirror refuses.
async fn read_request(stream: &TcpStream, buffer: &mut Vec<u8>) -> io::Result<Option<Result<Request, u16>>> {
    loop {
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut parsed = httparse::Request::new(&mut headers);
        match parsed.parse(buffer) {
            // The mirror only serves pages: a request with a body is refused
            // rather than skipped, which keeps this loop free of body framing.
            Ok(httparse::Status::Complete(head_length)) => {
                let request = request_from(&parsed);
                buffer.drain(..head_length);
                return Ok(Some(request));
            }
            Ok(httparse::Status::Partial) if buffer.len() < MAX_HEAD => {}
            Ok(httparse::Status::Partial) => return Ok(Some(Err(431))),
            Err(_) => return Ok(Some(Err(400))),
        }
        let mut chunk = [0u8; 4096];
        let read = stream.read(&mut chunk).await?;
        if read == 0 {
            return Ok(None);
        }
        buffer.extend_from_slice(&chunk[..read]);
    }
}

/// The parts of a parsed head the answer depends on, or the status that
/// refuses it. The mirror only serves pages: a request with a body is
/// refused rather than skipped, which keeps this loop free of body framing.
fn request_from(parsed: &httparse::Request<'_, '_>) -> Result<Request, u16> {
    let headers: Headers =
        parsed.headers.iter().map(|header| (header.name, String::from_utf8_lossy(header.value))).collect();
    if headers.contains("transfer-encoding") || headers.get("content-length").is_some_and(|length| length.trim() != "0")
    {
        return Err(400);
    }
    let http_1_0 = parsed.version == Some(0);
    Ok(Request {
        method: parsed.method.unwrap_or_default().to_owned(),
        target: parsed.path.unwrap_or_default().to_owned(),
        accepts_gzip: headers.has_token("accept-encoding", "gzip"),
        close: headers.has_token("connection", "close") || (http_1_0 && !headers.has_token("connection", "keep-alive")),
    })
}

/// The full answer to one request, head and body.
fn respond(site: &Site, request: &Request) -> io::Result<Vec<u8>> {
    if request.method != "GET" && request.method != "HEAD" {
        return Ok(answer(405, None, false, request.close));
    }
    let head_only = request.method == "HEAD";
    let body = match site.page(&request.target) {
        Page::NotFound => return Ok(answer(404, Some(NOT_FOUND_PAGE.as_bytes()), head_only, request.close)),
        Page::Plain(html) => Body::Plain(html),
        Page::Gzipped(compressed) if request.accepts_gzip => Body::Gzipped(compressed),
        Page::Gzipped(compressed) => Body::Owned(gunzip(compressed)?),
    };
    let mut response = head(200, body.bytes().len(), body.is_gzip(), request.close);
    if !head_only {
        response.extend_from_slice(body.bytes());
    }
    Ok(response)
}

/// A 200 answer's body as it will go on the wire.
enum Body<'a> {
    /// Stored uncompressed.
    Plain(&'a [u8]),
    /// Stored gzip-compressed and sent so.
    Gzipped(&'a [u8]),
    /// Decompressed for a client that does not take gzip.
    Owned(Vec<u8>),
}

impl Body<'_> {
    fn bytes(&self) -> &[u8] {
        match self {
            Body::Plain(bytes) | Body::Gzipped(bytes) => bytes,
            Body::Owned(bytes) => bytes,
        }
    }

    fn is_gzip(&self) -> bool {
        matches!(self, Body::Gzipped(_))
    }
}

/// Douban's 404 page, abridged.
const NOT_FOUND_PAGE: &str = "<!DOCTYPE html>\n<html lang=\"zh-cmn-Hans\">\n<head><meta charset=\"UTF-8\">\
    <title>页面不存在</title></head>\n<body><div id=\"content\"><h1>呃... 你想访问的页面不存在。</h1>\
    </div></body>\n</html>\n";

/// An answer with an optional HTML body that is never compressed.
fn answer(status: u16, body: Option<&[u8]>, head_only: bool, close: bool) -> Vec<u8> {
    let body = body.unwrap_or_default();
    let mut response = head(status, body.len(), false, close);
    if !head_only {
        response.extend_from_slice(body);
    }
    response
}

/// A response head, Douban's headers abridged.
fn head(status: u16, length: usize, gzip: bool, close: bool) -> Vec<u8> {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        431 => "Request Header Fields Too Large",
        _ => "",
    };
    let encoding = if gzip { "Content-Encoding: gzip\r\nVary: Accept-Encoding\r\n" } else { "" };
    let connection = if close { "close" } else { "keep-alive" };
    format!(
        "HTTP/1.1 {status} {reason}\r\nServer: douban-mirror\r\nContent-Type: text/html; charset=utf-8\r\n\
         {encoding}Content-Length: {length}\r\nConnection: {connection}\r\n\r\n"
    )
    .into_bytes()
}
