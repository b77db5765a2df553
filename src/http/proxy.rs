//! HTTP proxies: which proxy (if any) a request goes through, and the
//! credentials it is sent with.
//!
//! In the path of a request this is decided before the pool is asked for a
//! connection, because the proxy is part of the pool key. A plain-http
//! request then goes to the proxy in absolute form (`GET http://host/path`);
//! an https request asks the proxy for a `CONNECT` tunnel and runs TLS to the
//! origin through it (see `connect.rs`).

use std::rc::Rc;

use crate::http::error::Error;
use crate::http::proto::auth;
use crate::http::proto::url::{Scheme, Url};

/// An HTTP proxy and the `Proxy-Authorization` value for it, if its URL
/// carried `user:password@`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Proxy {
    /// The proxy's URL (http only).
    pub(crate) url: Url,
    /// `Basic ...`, from the URL's user info.
    pub(crate) authorization: Option<String>,
    /// What tells this proxy's connections apart in the pool: the URL and
    /// the credentials (two users of one proxy must not share a tunnel).
    /// Shared, so a pool key costs no copy per request.
    pub(crate) key: Rc<str>,
}

impl Proxy {
    /// Parses a proxy URL such as `http://user:secret@10.0.0.1:3128`.
    ///
    /// # Errors
    /// An unparseable URL, or an `https://` proxy (TLS to the proxy itself
    /// is not supported).
    pub(crate) fn parse(url: &str) -> Result<Proxy, Error> {
        let url = Url::parse(url)?;
        if url.scheme() != Scheme::Http {
            return Err(Error::InvalidRequest(format!(
                "proxy {url} uses https; only http:// proxies are supported (https targets still tunnel through them)"
            )));
        }
        let authorization = url.has_credentials().then(|| auth::basic(url.username(), url.password()));
        let key = match &authorization {
            Some(authorization) => format!("{url} {authorization}"),
            None => url.to_string(),
        };
        Ok(Proxy { url, authorization, key: Rc::from(key) })
    }
}

/// The proxy settings found in the environment (`HTTP_PROXY`, `HTTPS_PROXY`,
/// `NO_PROXY`, in either case), read when a session opts in with
/// `trust_env`, as aiohttp's `trust_env=True`.
#[derive(Clone, Debug, Default)]
pub(crate) struct EnvProxies {
    /// For `http://` URLs.
    http: Option<Proxy>,
    /// For `https://` URLs.
    https: Option<Proxy>,
    /// Hosts that bypass the proxy.
    no_proxy: NoProxy,
}

impl EnvProxies {
    /// Reads the environment.
    ///
    /// # Errors
    /// A proxy variable holding an unusable URL: better to say so than to
    /// silently connect directly.
    pub(crate) fn from_env() -> Result<EnvProxies, Error> {
        let read = |name: &str| std::env::var(name).or_else(|_| std::env::var(name.to_ascii_uppercase())).ok();
        let proxy = |name: &str| -> Result<Option<Proxy>, Error> {
            match read(name).filter(|value| !value.trim().is_empty()) {
                Some(value) => Proxy::parse(value.trim()).map(Some).map_err(|error| {
                    Error::InvalidRequest(format!("environment variable {}: {error}", name.to_ascii_uppercase()))
                }),
                None => Ok(None),
            }
        };
        Ok(EnvProxies {
            http: proxy("http_proxy")?,
            https: proxy("https_proxy")?,
            no_proxy: NoProxy::parse(&read("no_proxy").unwrap_or_default()),
        })
    }

    /// The proxy for `url`, unless `NO_PROXY` exempts its host.
    pub(crate) fn for_url(&self, url: &Url) -> Option<&Proxy> {
        let proxy = match url.scheme() {
            Scheme::Http => self.http.as_ref(),
            Scheme::Https => self.https.as_ref(),
        }?;
        (!self.no_proxy.matches(url.host_str())).then_some(proxy)
    }
}

/// A `NO_PROXY` list: `*`, or host names and IP addresses, where a name also
/// covers its subdomains (`example.com` and `.example.com` both match
/// `www.example.com`).
#[derive(Clone, Debug, Default)]
pub(crate) struct NoProxy {
    /// `*`: nothing goes through the proxy.
    everything: bool,
    /// Lowercase entries without a leading dot or a port.
    hosts: Vec<String>,
}

impl NoProxy {
    /// Parses a comma-separated list.
    pub(crate) fn parse(list: &str) -> NoProxy {
        let mut no_proxy = NoProxy::default();
        for entry in list.split(',').map(str::trim).filter(|entry| !entry.is_empty()) {
            if entry == "*" {
                no_proxy.everything = true;
                continue;
            }
            let entry = entry.trim_start_matches('.').to_ascii_lowercase();
            // Drop a `:port` suffix (but not the colons of a bare IPv6 address).
            let host = match entry.rsplit_once(':') {
                Some((host, port)) if !host.contains(':') && port.bytes().all(|b| b.is_ascii_digit()) => host,
                _ => &entry,
            };
            no_proxy.hosts.push(host.trim_matches(|c| c == '[' || c == ']').to_owned());
        }
        no_proxy
    }

    /// True when `host` (lowercase, IPv6 without brackets) bypasses the proxy.
    pub(crate) fn matches(&self, host: &str) -> bool {
        self.everything
            || self.hosts.iter().any(|entry| {
                host == entry || host.strip_suffix(entry.as_str()).is_some_and(|prefix| prefix.ends_with('.'))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_url_credentials_become_a_basic_authorization() {
        let proxy = Proxy::parse("http://aladdin:open%20sesame@127.0.0.1:3128").unwrap();
        assert_eq!(proxy.authorization.as_deref(), Some("Basic YWxhZGRpbjpvcGVuIHNlc2FtZQ=="));
        assert_eq!(Proxy::parse("http://127.0.0.1:3128").unwrap().authorization, None);
    }

    #[test]
    fn https_proxies_are_refused_with_a_clear_error() {
        let error = Proxy::parse("https://proxy:443").unwrap_err().to_string();
        assert!(error.contains("only http:// proxies"), "{error}");
    }

    #[test]
    fn no_proxy_matches_hosts_subdomains_and_ips() {
        let no_proxy = NoProxy::parse(" example.com, .internal ,10.0.0.1, localhost:8080, [::1]");
        for (host, bypass) in [
            ("example.com", true),
            ("www.example.com", true),
            ("badexample.com", false),
            ("svc.internal", true),
            ("internal", true),
            ("10.0.0.1", true),
            ("10.0.0.10", false),
            ("localhost", true),
            ("::1", true),
            ("douban.com", false),
        ] {
            assert_eq!(no_proxy.matches(host), bypass, "{host}");
        }
        assert!(NoProxy::parse("*").matches("anything.example"));
        assert!(!NoProxy::parse("").matches("example.com"));
    }
}
