//! Name resolution off the loop: `getaddrinfo` blocks, so it runs on the
//! blocking pool; IP literals never leave the loop.

use std::io;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};

use crate::task::to_thread;

/// Resolves `host` (a name, an IPv4 literal, or an IPv6 literal with or
/// without brackets) and `port` to socket addresses, in the resolver's order.
///
/// # Errors
/// The resolver's error (unknown host, no network), or an error saying the
/// lookup thread panicked.
///
/// ```
/// # corio::run(async {
/// let addrs = corio::net::lookup_host("127.0.0.1", 80).await?;
/// assert_eq!(addrs, vec!["127.0.0.1:80".parse().unwrap()]);
/// # Ok::<(), std::io::Error>(())
/// # }).unwrap();
/// ```
pub async fn lookup_host(host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
    let literal = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    if let Ok(ip) = literal.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    let host = host.to_owned();
    match to_thread(move || (host.as_str(), port).to_socket_addrs().map(Iterator::collect)).await {
        Ok(resolved) => resolved,
        Err(error) => Err(io::Error::other(format!("the DNS lookup thread failed: {error}"))),
    }
}
