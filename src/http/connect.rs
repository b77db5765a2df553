//! Opening a connection: resolve, dial each address in turn, optionally
//! tunnel through a proxy, then TLS.
//!
//! In the path of a request this runs when the pool had no idle connection
//! for the request's key. It runs under the connect timeout as a whole.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use rustls::ClientConfig;

use crate::http::connection::Connection;
use crate::http::error::Error;
use crate::http::exchange::read_head;
use crate::http::head::HeadLimits;
use crate::http::proxy::Proxy;
use crate::http::transport::Transport;
use crate::http::url::Url;
use crate::net::{TcpStream, lookup_host};

/// Opens a connection for requests to `target`'s origin, through `proxy`
/// if given; `tls` supplies the session's TLS configuration when needed.
///
/// # Errors
/// [`Error::Dns`], [`Error::Connect`], [`Error::Proxy`], [`Error::Tls`].
pub(crate) async fn open(
    target: &Url,
    proxy: Option<&Proxy>,
    tls: impl FnOnce() -> Result<Arc<ClientConfig>, Error>,
    limits: &HeadLimits,
) -> Result<Connection, Error> {
    let hop = proxy.map_or(target, |proxy| &proxy.url);
    let tcp = dial(hop.host_str(), hop.port()).await?;
    if !target.is_https() {
        // Plain http, directly or to a proxy that takes absolute-form requests.
        return Ok(Connection::new(Transport::Plain(tcp)));
    }
    let tcp = match proxy {
        Some(proxy) => tunnel(tcp, target, proxy, limits).await?,
        None => tcp,
    };
    Ok(Connection::new(Transport::handshake(tcp, target.host_str(), tls()?).await?))
}

/// Resolves `host` on the blocking pool (IP literals skip it) and connects
/// to each address in the resolver's order until one answers.
async fn dial(host: &str, port: u16) -> Result<TcpStream, Error> {
    let addresses = lookup_host(host, port).await.map_err(|source| Error::Dns { host: host.to_owned(), source })?;
    connect_first(host, port, addresses).await
}

/// Connects to the first of `addresses` that accepts, in order; the error
/// names `host` and carries the last address's failure.
async fn connect_first(host: &str, port: u16, addresses: Vec<SocketAddr>) -> Result<TcpStream, Error> {
    let mut last_error = io::Error::new(io::ErrorKind::NotFound, "the name resolved to no addresses");
    for address in addresses {
        match TcpStream::connect(address).await {
            Ok(tcp) => {
                // Requests are written whole; Nagle's algorithm would only
                // delay a small body waiting for an ACK of the head.
                tcp.set_nodelay(true).map_err(Error::Io)?;
                return Ok(tcp);
            }
            Err(error) => last_error = error,
        }
    }
    Err(Error::Connect { host: host.to_owned(), port, source: last_error })
}

/// Asks the proxy on `tcp` to open a tunnel to `target` (`CONNECT
/// host:port`), returning the socket once the proxy answered 2xx.
async fn tunnel(tcp: TcpStream, target: &Url, proxy: &Proxy, limits: &HeadLimits) -> Result<TcpStream, Error> {
    let authority = format!("{}:{}", target.host(), target.port());
    let mut request = format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n");
    if let Some(authorization) = &proxy.authorization {
        request.push_str("Proxy-Authorization: ");
        request.push_str(authorization);
        request.push_str("\r\n");
    }
    request.push_str("\r\n");
    let mut connection = Connection::new(Transport::Plain(tcp));
    connection.write_all(request.as_bytes()).await.map_err(Error::Io)?;
    let head = read_head(&mut connection, limits, None).await?;
    if !(200..300).contains(&head.status) {
        return Err(Error::Proxy { status: head.status, reason: head.reason });
    }
    // Nothing may follow a 2xx CONNECT answer until we speak TLS: bytes
    // here would be the proxy's, not the origin's.
    if !connection.buffered().is_empty() {
        return Err(Error::Protocol("the proxy sent data after accepting the CONNECT tunnel".into()));
    }
    match connection.into_transport() {
        Transport::Plain(tcp) => Ok(tcp),
        Transport::Tls(_) => unreachable!("the proxy hop is plain TCP"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An address on loopback where nothing listens.
    fn closed_address() -> SocketAddr {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    }

    #[test]
    fn each_address_is_tried_in_turn_until_one_accepts_with_nodelay_set() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let open = listener.local_addr().unwrap();
        let addresses = vec![closed_address(), closed_address(), open];
        let connected = crate::run(async move { connect_first("multi.test", open.port(), addresses).await });
        let connected = connected.unwrap();
        assert_eq!(connected.peer_addr().unwrap(), open);
        assert!(connected.nodelay().unwrap(), "requests are written whole: Nagle only delays them");
    }

    #[test]
    fn when_every_address_fails_the_error_names_the_host_and_the_last_failure() {
        let addresses = vec![closed_address(), closed_address()];
        let error = crate::run(async move { connect_first("multi.test", 1, addresses).await }).unwrap_err();
        assert!(matches!(&error, Error::Connect { host, .. } if host == "multi.test"), "{error:?}");
        assert!(error.to_string().contains("refused"), "{error}");
    }
}
