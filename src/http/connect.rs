//! Opening a connection: resolve (the session's own answers first, then the
//! system resolver), dial each address in turn, optionally tunnel through a
//! proxy, then TLS.
//!
//! In the path of a request this runs when the pool had no idle connection
//! for the request's key. It runs under the connect timeout as a whole.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use rustls::ClientConfig;

use crate::http::connection::Connection;
use crate::http::error::{Error, ProtocolError};
use crate::http::exchange::read_head;
use crate::http::proto::head::HeadLimits;
use crate::http::proto::url::Url;
use crate::http::proxy::Proxy;
use crate::http::transport::Transport;
use crate::net::{TcpStream, lookup_host};

/// Names the session resolves itself (`SessionBuilder::resolve`): a host
/// name as URLs spell it (lowercase, Punycode) to the addresses to try, in
/// order. An empty list means the name has none.
pub(crate) type ResolveOverrides = HashMap<String, Vec<IpAddr>>;

/// Opens a connection for requests to `target`'s origin, through `proxy`
/// if given; `tls` supplies the session's TLS configuration when needed,
/// `overrides` the names the session resolves itself.
///
/// # Errors
/// [`Error::Dns`], [`Error::Connect`], [`Error::Proxy`], [`Error::Tls`].
pub(crate) async fn open(
    target: &Url,
    proxy: Option<&Proxy>,
    tls: impl FnOnce() -> Result<Arc<ClientConfig>, Error>,
    limits: &HeadLimits,
    overrides: &ResolveOverrides,
) -> Result<Connection, Error> {
    let hop = proxy.map_or(target, |proxy| &proxy.url);
    let tcp = dial(hop.host_str(), hop.port(), overrides).await?;
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

/// Resolves `host`: from `overrides` if it is there, else on the blocking
/// pool (IP literals skip it); then connects to each address in order until
/// one answers.
async fn dial(host: &str, port: u16, overrides: &ResolveOverrides) -> Result<TcpStream, Error> {
    let dns_error = |source| Error::Dns { host: host.to_owned(), source };
    let addresses = match overrides.get(host) {
        Some(ips) if ips.is_empty() => {
            let why = "the session resolves this name to no addresses";
            return Err(dns_error(io::Error::new(io::ErrorKind::NotFound, why)));
        }
        Some(ips) => ips.iter().map(|&ip| SocketAddr::new(ip, port)).collect(),
        None => lookup_host(host, port).await.map_err(dns_error)?,
    };
    if addresses.is_empty() {
        // A name without addresses is a resolution failure, not a refused
        // connection: say so, as getaddrinfo's EAI_NODATA does.
        return Err(dns_error(io::Error::new(io::ErrorKind::NotFound, "the name has no addresses")));
    }
    let tcp = TcpStream::connect_any(addresses).await.map_err(|source| Error::Connect {
        host: host.to_owned(),
        port,
        source,
    })?;
    // Requests are written whole; Nagle's algorithm would only delay a
    // small body waiting for an ACK of the head.
    tcp.set_nodelay(true).map_err(Error::Io)?;
    Ok(tcp)
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
        return Err(Error::Protocol(ProtocolError::DataAfterConnect));
    }
    match connection.into_transport() {
        Transport::Plain(tcp) => Ok(tcp),
        Transport::Tls(_) => unreachable!("the proxy hop is plain TCP"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dialling_sets_nodelay() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let tcp = crate::run(async move { dial("127.0.0.1", port, &ResolveOverrides::new()).await }).unwrap();
        assert!(tcp.nodelay().unwrap(), "requests are written whole: Nagle only delays them");
    }

    #[test]
    fn a_failed_dial_names_the_host_and_port() {
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
        let error =
            crate::run(async move { dial("127.0.0.1", closed.port(), &ResolveOverrides::new()).await }).unwrap_err();
        assert!(matches!(&error, Error::Connect { host, port, .. } if host == "127.0.0.1" && *port == closed.port()));
        assert!(error.to_string().contains("refused"), "{error}");
    }
}
