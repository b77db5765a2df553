//! HTTP proxies: which proxy (if any) a request goes through, and the
//! credentials it is sent with.
//!
//! In the path of a request this is decided before the pool is asked for a
//! connection, because the proxy is part of the pool key. A plain-http
//! request then goes to the proxy in absolute form (`GET http://host/path`);
//! an https request asks the proxy for a `CONNECT` tunnel and runs TLS to the
//! origin through it (see `connect.rs`).

use std::net::IpAddr;
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
/// `NO_PROXY`, in either case, the lowercase one first), read when a
/// session opts in with `trust_env`, as aiohttp's `trust_env=True`.
///
/// Under CGI (`REQUEST_METHOD` set) the uppercase `HTTP_PROXY` is ignored:
/// a CGI server turns a request's `Proxy:` header into `HTTP_PROXY`, so any
/// client could point this one at a proxy of its choosing ("httpoxy",
/// CVE-2016-5385). curl never reads the uppercase name, and Go's client
/// fails an http request rather than use an environment proxy under CGI;
/// here the lowercase `http_proxy`, which no header can set, is still
/// honoured.
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
    /// Reads the process environment.
    ///
    /// # Errors
    /// A proxy variable holding an unusable URL: better to say so than to
    /// silently connect directly.
    pub(crate) fn from_env() -> Result<EnvProxies, Error> {
        EnvProxies::from_vars(|name| std::env::var(name).ok())
    }

    /// Reads the settings through `var`, which looks a variable up by its
    /// exact name; the tests pass a table instead of the process
    /// environment, which every test thread shares.
    ///
    /// # Errors
    /// As [`from_env`](Self::from_env).
    pub(crate) fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<EnvProxies, Error> {
        let cgi = var("REQUEST_METHOD").is_some_and(|method| !method.is_empty());
        let read = |name: &str| {
            let upper = name.to_ascii_uppercase();
            let httpoxy = cgi && upper == "HTTP_PROXY";
            var(name).or_else(|| if httpoxy { None } else { var(&upper) })
        };
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

/// A `NO_PROXY` list: `*`, or host names, IP addresses and address ranges
/// in CIDR notation (`10.0.0.0/8`, `::1/128`), as curl and Go read it. A
/// name also covers its subdomains (`example.com` and `.example.com` both
/// match `www.example.com`); a range covers the IP literals in it (a name is
/// not resolved to see whether its address falls in one). A `:port` after an
/// entry is accepted and ignored: the entry covers every port.
#[derive(Clone, Debug, Default)]
pub(crate) struct NoProxy {
    /// `*`: nothing goes through the proxy.
    everything: bool,
    /// Lowercase entries without a leading dot or a port.
    hosts: Vec<String>,
    /// The `address/prefix` entries.
    ranges: Vec<IpRange>,
}

/// An address range in CIDR notation: the addresses whose first `prefix`
/// bits are those of `network`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct IpRange {
    /// Any address in the range (the bits past the prefix are ignored).
    network: IpAddr,
    /// Leading bits that must match: at most 32 for IPv4, 128 for IPv6.
    prefix: u8,
}

impl IpRange {
    /// Parses `10.0.0.0/8` or `::1/128` (brackets around IPv6 allowed);
    /// `None` for anything else, including a prefix too long for the family.
    fn parse(entry: &str) -> Option<IpRange> {
        let (address, prefix) = entry.split_once('/')?;
        let network: IpAddr = address.trim_matches(|c| c == '[' || c == ']').parse().ok()?;
        let prefix: u8 = prefix.parse().ok()?;
        let bits = if network.is_ipv4() { 32 } else { 128 };
        (prefix <= bits).then_some(IpRange { network, prefix })
    }

    /// True if `address` is in the range; an IPv4 address is never in an
    /// IPv6 range, nor the other way round.
    fn contains(&self, address: IpAddr) -> bool {
        // Both sides as 128-bit numbers, IPv4 in the low 32 bits, compared
        // under a mask of the prefix's leading bits of the family's width.
        let (network, address, width) = match (self.network, address) {
            (IpAddr::V4(network), IpAddr::V4(address)) => (u32::from(network).into(), u32::from(address).into(), 32),
            (IpAddr::V6(network), IpAddr::V6(address)) => (u128::from(network), u128::from(address), 128),
            _ => return false,
        };
        let host_bits = width - u32::from(self.prefix);
        let mask = u128::MAX.checked_shl(host_bits).unwrap_or(0);
        network & mask == address & mask
    }
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
            if let Some(range) = IpRange::parse(entry) {
                no_proxy.ranges.push(range);
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
        let in_range = || host.parse().is_ok_and(|address| self.ranges.iter().any(|range| range.contains(address)));
        self.everything
            || self.hosts.iter().any(|entry| {
                host == entry || host.strip_suffix(entry.as_str()).is_some_and(|prefix| prefix.ends_with('.'))
            })
            || in_range()
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

    #[test]
    fn no_proxy_address_ranges_cover_exactly_their_prefix() {
        let no_proxy = NoProxy::parse("10.0.0.0/8, 192.168.1.0/24, ::1/128, [fd00::]/8, 172.16.5.4/32, example.com");
        for (host, bypass) in [
            ("10.0.0.1", true),
            ("10.255.255.255", true),
            ("11.0.0.0", false),
            ("9.255.255.255", false),
            ("192.168.1.0", true),
            ("192.168.1.255", true),
            ("192.168.2.1", false),
            ("192.168.0.255", false),
            ("172.16.5.4", true),
            ("172.16.5.5", false),
            ("::1", true),
            ("::2", false),
            ("fd12:3456::1", true),
            ("fe80::1", false),
            // A range never covers the other family, nor a name.
            ("::ffff:10.0.0.1", false),
            ("10.example", false),
            ("www.example.com", true),
        ] {
            assert_eq!(no_proxy.matches(host), bypass, "{host}");
        }
        // Prefix 0 covers its whole family, and only it.
        let everything_v4 = NoProxy::parse("0.0.0.0/0");
        assert!(everything_v4.matches("203.0.113.9") && !everything_v4.matches("::1"));
        assert!(NoProxy::parse("::/0").matches("2001:db8::1"));
        // A prefix too long for its family is no range (and, as a name, matches nothing).
        for entry in ["10.0.0.0/33", "::1/129", "10.0.0.0/x"] {
            assert!(!NoProxy::parse(entry).matches("10.0.0.1"), "{entry}");
            assert!(!NoProxy::parse(entry).matches("::1"), "{entry}");
        }
    }

    /// The settings `from_vars` reads from `vars` alone.
    fn env_with(vars: &[(&str, &str)]) -> EnvProxies {
        let vars: Vec<(String, String)> = vars.iter().map(|&(n, v)| (n.to_owned(), v.to_owned())).collect();
        EnvProxies::from_vars(|name| vars.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone())).unwrap()
    }

    /// The proxy `env` picks for `url`, as a string.
    fn proxy_for(env: &EnvProxies, url: &str) -> Option<String> {
        env.for_url(&Url::parse(url).unwrap()).map(|proxy| proxy.url.to_string())
    }

    #[test]
    fn under_cgi_the_uppercase_http_proxy_is_ignored_and_the_lowercase_one_kept() {
        let (upper, lower, https) = ("http://upper:1/", "http://lower:2/", "http://secure:3/");
        // (variables, proxy for http, proxy for https)
        type Case<'a> = (&'a [(&'a str, &'a str)], Option<&'a str>, Option<&'a str>);
        let cases: &[Case] = &[
            (&[("HTTP_PROXY", upper)], Some(upper), None),
            (&[("HTTP_PROXY", upper), ("REQUEST_METHOD", "GET")], None, None),
            (&[("HTTP_PROXY", upper), ("REQUEST_METHOD", "")], Some(upper), None),
            (&[("http_proxy", lower), ("REQUEST_METHOD", "GET")], Some(lower), None),
            (&[("HTTP_PROXY", upper), ("http_proxy", lower), ("REQUEST_METHOD", "POST")], Some(lower), None),
            (&[("HTTP_PROXY", upper), ("http_proxy", lower)], Some(lower), None),
            // HTTPS_PROXY cannot be set by a request header: kept under CGI.
            (&[("HTTPS_PROXY", https), ("REQUEST_METHOD", "GET")], None, Some(https)),
        ];
        for (vars, http, secure) in cases {
            let env = env_with(vars);
            assert_eq!(proxy_for(&env, "http://origin.test/").as_deref(), *http, "{vars:?}");
            assert_eq!(proxy_for(&env, "https://origin.test/").as_deref(), *secure, "{vars:?}");
        }
    }

    #[test]
    fn no_proxy_from_the_environment_exempts_ranges_in_either_case() {
        let env = env_with(&[("HTTP_PROXY", "http://p:1/"), ("no_proxy", "10.0.0.0/8")]);
        assert_eq!(proxy_for(&env, "http://10.1.2.3/"), None);
        assert_eq!(proxy_for(&env, "http://11.1.2.3/").as_deref(), Some("http://p:1/"));
        let env = env_with(&[("HTTP_PROXY", "http://p:1/"), ("NO_PROXY", "[::1]/128")]);
        assert_eq!(proxy_for(&env, "http://[::1]:8080/"), None);
    }
}
