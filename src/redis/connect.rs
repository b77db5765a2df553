//! [`ConnectOptions`]: where the server is, how long to wait, and the
//! greeting every new connection opens with.
//!
//! The greeting, in order: `HELLO 3` (with `AUTH user pass` folded in when
//! the URL has credentials), which switches the connection to RESP3; if the
//! server does not know HELLO (Redis before 6) or refuses version 3, the
//! connection stays on RESP2 and sends `AUTH` on its own. Then `SELECT db`
//! if the URL names a database other than 0. Everything up to the last
//! reply of the greeting counts against the connect timeout.

use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::CertificateDer;

use crate::net::TcpStream;

use super::proto::parse::Limits;
use super::proto::url::{Protocol, ServerAddress};
use super::stream::Stream;
use super::wire::Wire;
use super::{Connection, Error, PubSub, ServerErrorKind, TimeoutKind, Value, cmd};

/// How to connect: parsed from a URL, then adjusted.
///
/// ```no_run
/// use std::time::Duration;
/// use corio::redis::ConnectOptions;
///
/// # corio::run(async {
/// let conn = ConnectOptions::from_url("redis://:secret@127.0.0.1:6379/1")?
///     .connect_timeout(Some(Duration::from_secs(2)))
///     .reply_timeout(Some(Duration::from_secs(5)))
///     .connect()
///     .await?;
/// # Ok::<(), corio::redis::Error>(())
/// # }).unwrap();
/// ```
#[derive(Clone, Debug)]
pub struct ConnectOptions {
    /// The server and the greeting's parameters.
    address: ServerAddress,
    /// The limit on connecting plus the greeting; `None` waits forever.
    connect_timeout: Option<Duration>,
    /// The limit on waiting for each reply; `None` waits forever.
    reply_timeout: Option<Duration>,
    /// What a reply may declare.
    limits: Limits,
    /// Certificates trusted for `rediss://` besides Mozilla's roots.
    extra_roots: Vec<CertificateDer<'static>>,
}

/// The connect timeout unless set otherwise.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

impl ConnectOptions {
    /// Options for the server at `url`, `redis://[user:pass@]host[:port][/db]`,
    /// with a 10 s connect timeout and no reply timeout (as redis-py).
    ///
    /// # Errors
    /// [`Error::Url`] for a URL that cannot be read.
    pub fn from_url(url: &str) -> Result<ConnectOptions, Error> {
        let address = ServerAddress::parse(url).map_err(Error::Url)?;
        Ok(ConnectOptions::new(address))
    }

    /// Options for `address`.
    pub fn new(address: ServerAddress) -> ConnectOptions {
        ConnectOptions {
            address,
            connect_timeout: Some(DEFAULT_CONNECT_TIMEOUT),
            reply_timeout: None,
            limits: Limits::default(),
            extra_roots: Vec::new(),
        }
    }

    /// The same options for another server (a cluster node): same
    /// credentials, protocol, timeouts and limits.
    pub(crate) fn for_node(&self, host: &str, port: u16) -> ConnectOptions {
        let mut options = self.clone();
        options.address.host = host.to_owned();
        options.address.port = port;
        options.address.db = 0;
        options
    }

    /// Sets the limit on connecting, greeting included.
    #[must_use]
    pub fn connect_timeout(mut self, limit: Option<Duration>) -> ConnectOptions {
        self.connect_timeout = limit;
        self
    }

    /// Sets the limit on waiting for each reply. A blocking command
    /// (`BLMOVE`, `XREADGROUP ... BLOCK`) gets its own block time on top.
    #[must_use]
    pub fn reply_timeout(mut self, limit: Option<Duration>) -> ConnectOptions {
        self.reply_timeout = limit;
        self
    }

    /// Sets what a reply may declare before the connection refuses it.
    #[must_use]
    pub fn limits(mut self, limits: Limits) -> ConnectOptions {
        self.limits = limits;
        self
    }

    /// Trusts the CA certificates in `pem` for `rediss://`, besides
    /// Mozilla's roots (webpki-roots): for a server with a private CA.
    ///
    /// # Errors
    /// [`Error::Tls`] if `pem` holds no certificate.
    pub fn add_root_certificates_pem(mut self, pem: &[u8]) -> Result<ConnectOptions, Error> {
        let certificates =
            crate::http::tls::parse_pem_certificates(pem).map_err(|error| Error::Tls(error.to_string()))?;
        self.extra_roots.extend(certificates);
        Ok(self)
    }

    /// The server these options connect to.
    pub fn address(&self) -> &ServerAddress {
        &self.address
    }

    /// The reply timeout.
    pub fn get_reply_timeout(&self) -> Option<Duration> {
        self.reply_timeout
    }

    /// Opens a multiplexed connection.
    ///
    /// # Errors
    /// [`Error::Connect`], [`Error::Timeout`], or the greeting's error
    /// ([`Error::Server`] with `WRONGPASS`, ...).
    pub async fn connect(&self) -> Result<Connection, Error> {
        let (wire, resp3) = self.open().await?;
        Ok(Connection::start(wire, resp3, self.reply_timeout))
    }

    /// Opens a connection for SUBSCRIBE and PSUBSCRIBE.
    ///
    /// # Errors
    /// As [`ConnectOptions::connect`].
    pub async fn pubsub(&self) -> Result<PubSub, Error> {
        let (wire, _) = self.open().await?;
        Ok(PubSub::new(wire))
    }

    /// Connects and greets within the connect timeout; returns the wire and
    /// whether it speaks RESP3.
    pub(crate) async fn open(&self) -> Result<(Wire, bool), Error> {
        match self.connect_timeout {
            Some(limit) => {
                crate::timeout(limit, self.open_now()).await.map_err(|_| Error::Timeout(TimeoutKind::Connect))?
            }
            None => self.open_now().await,
        }
    }

    /// Connects and greets, with no deadline.
    async fn open_now(&self) -> Result<(Wire, bool), Error> {
        let tcp = TcpStream::connect_host(&self.address.host, self.address.port).await.map_err(Error::Connect)?;
        // Commands are small and each waits for its reply: Nagle's delay
        // would only add latency.
        let _ = tcp.set_nodelay(true);
        let stream = if self.address.tls {
            // The HTTP client's TLS layer: rustls with webpki-roots, the
            // same verifier, the same handshake on the loop; only ALPN is
            // dropped (it names HTTP/1.1, which Redis is not).
            let mut config =
                (*crate::http::tls::client_config(&self.extra_roots).map_err(|e| Error::Tls(e.to_string()))?).clone();
            config.alpn_protocols.clear();
            Stream::tls(tcp, &self.address.host, Arc::new(config)).await.map_err(Error::Tls)?
        } else {
            Stream::plain(tcp)
        };
        let mut wire = Wire::new(stream, self.limits);
        let resp3 = greet(&mut wire, &self.address).await?;
        Ok((wire, resp3))
    }
}

/// HELLO 3 (or AUTH), then SELECT; returns whether RESP3 is on.
async fn greet(wire: &mut Wire, address: &ServerAddress) -> Result<bool, Error> {
    let user = address.username.as_deref().unwrap_or("default");
    let mut resp3 = false;
    if address.protocol != Protocol::Resp2 {
        let mut hello = cmd("HELLO").arg("3");
        if let Some(password) = &address.password {
            hello = hello.arg(["AUTH", user, password]);
        }
        match wire.call(&hello).await? {
            Value::Error(error) => {
                // Redis before 6 does not know HELLO ("ERR unknown
                // command"), and a server may refuse version 3
                // (NOPROTO): both mean RESP2. So does NOAUTH when we have
                // no password to offer: the connection opens on RESP2 and
                // its first command gets the NOAUTH, as in redis-py, which
                // leaves the caller free to send AUTH itself. A bad
                // password means a bad password, whatever the protocol.
                let falls_back = match error.kind() {
                    ServerErrorKind::Err | ServerErrorKind::NoProto => true,
                    ServerErrorKind::NoAuth => address.password.is_none(),
                    _ => false,
                } && address.protocol == Protocol::Auto;
                if !falls_back {
                    return Err(Error::Server(error));
                }
            }
            _ => resp3 = true,
        }
    }
    if !resp3 && let Some(password) = &address.password {
        let auth = match &address.username {
            Some(user) => cmd("AUTH").arg([user, password]),
            None => cmd("AUTH").arg(password),
        };
        if let Value::Error(error) = wire.call(&auth).await? {
            return Err(Error::Server(error));
        }
    }
    if address.db != 0
        && let Value::Error(error) = wire.call(&cmd("SELECT").arg(address.db)).await?
    {
        return Err(Error::Server(error));
    }
    Ok(resp3)
}
