//! The session's cookie jar (RFC 6265): which cookies to keep, and the
//! `Cookie` header of the next request.
//!
//! In the path of a request the jar is consulted twice. Before a request is
//! written, [`CookieJar::header_value`] picks the cookies whose domain, path
//! and Secure flag match the target URL. After a response's headers are
//! parsed, [`CookieJar::store`] is called once per `Set-Cookie` header: it
//! parses the value with `set_cookie.rs`, checks its Domain against the
//! request host, fills in the default path, and stores, replaces or deletes
//! a cookie. Like the timer wheel the jar never reads a clock: every call
//! takes `now`, so tests step time exactly.
//!
//! Shortcuts and limits, named as such:
//! - No public-suffix list is used. Only single-label domains (`Domain=com`)
//!   are refused, so a server at `a.co.uk` can still set a cookie for all of
//!   `co.uk`; the crawler talks to sites it chose, which bounds the harm.
//! - Limits follow RFC 6265 section 6.1's minimums:
//!   [`MAX_NAME_VALUE_BYTES`] per cookie (checked by the parser),
//!   [`MAX_COOKIES_PER_DOMAIN`] per cookie domain (the exact domain string,
//!   not the registrable domain) and [`MAX_COOKIES`] in all. Over a limit
//!   the oldest-created cookie goes, not the least recently used one: the
//!   jar keeps no access times.
//! - From RFC 6265bis: a Secure cookie is only accepted over https, a plain
//!   http response cannot overwrite a Secure cookie, and the `__Secure-` and
//!   `__Host-` name prefixes are enforced. Lifetimes are capped at
//!   [`MAX_LIFETIME`] and `SameSite` is ignored, both by the parser.
//!
//! [`MAX_NAME_VALUE_BYTES`]: super::set_cookie::MAX_NAME_VALUE_BYTES
//! [`MAX_LIFETIME`]: super::set_cookie::MAX_LIFETIME

use std::error::Error;
use std::fmt;
use std::net::IpAddr;
use std::time::SystemTime;

use super::set_cookie::SetCookie;

/// Most cookies kept for one cookie domain; the oldest is evicted beyond it.
pub(crate) const MAX_COOKIES_PER_DOMAIN: usize = 50;

/// Most cookies kept in the jar; the oldest is evicted beyond it.
pub(crate) const MAX_COOKIES: usize = 3000;

/// Why a `Set-Cookie` header was not stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CookieError {
    /// The header has no `name=value` before its first `;`, or the name is empty.
    MissingName,
    /// The name or value contains a control character (such as CR or LF).
    ControlCharacter,
    /// The name and value together are longer than
    /// [`MAX_NAME_VALUE_BYTES`](super::set_cookie::MAX_NAME_VALUE_BYTES).
    TooLarge,
    /// The `Domain` attribute is neither the request host nor a parent of it
    /// (for an IP-address host it must be the address itself).
    DomainMismatch,
    /// The `Domain` attribute is a single label such as `com`.
    PublicSuffix,
    /// The cookie is `Secure` but the response came over plain http.
    SecureOverHttp,
    /// A plain http response tried to overwrite or shadow a `Secure` cookie.
    ShadowsSecure,
    /// A `__Secure-` or `__Host-` cookie lacks the attributes its prefix demands.
    PrefixViolation,
}

impl fmt::Display for CookieError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CookieError::MissingName => "set-cookie has no cookie name; expected `name=value`",
            CookieError::ControlCharacter => "cookie name or value contains a control character",
            CookieError::TooLarge => "cookie name and value exceed 4096 bytes",
            CookieError::DomainMismatch => "cookie domain attribute does not match the request host",
            CookieError::PublicSuffix => "cookie domain attribute is a top-level domain",
            CookieError::SecureOverHttp => "secure cookie was sent over plain http; use https",
            CookieError::ShadowsSecure => "plain http response may not overwrite a secure cookie",
            CookieError::PrefixViolation => "cookie name prefix `__Secure-` or `__Host-` requirements not met",
        })
    }
}

impl Error for CookieError {}

/// Where a request goes, as the jar needs to see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CookieTarget<'a> {
    /// True for `https` URLs: Secure cookies are only sent and accepted then.
    pub(crate) https: bool,
    /// The host, lowercase, an IPv6 address without brackets.
    pub(crate) host: &'a str,
    /// The request path without the query, beginning with `/`.
    pub(crate) path: &'a str,
}

/// One stored cookie: what a server set and the jar will send back. A
/// session's cookies are read with
/// [`Session::cookies`](crate::http::Session::cookies).
///
/// ```no_run
/// # corio::run(async {
/// let session = corio::http::Session::new();
/// session.get("https://movie.douban.com/top250").await?;
/// for cookie in session.cookies() {
///     // Without a Domain attribute a cookie goes back to its exact host only.
///     let scope = if cookie.host_only() { "only" } else { "and its subdomains" };
///     println!("{}={} for {} {scope}, path {}", cookie.name(), cookie.value(), cookie.domain(), cookie.path());
/// }
/// # Ok::<(), corio::http::Error>(())
/// # }).unwrap();
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cookie {
    /// The cookie name, never empty.
    name: String,
    /// The value, double quotes kept if the server sent them.
    value: String,
    /// Lowercase domain: the request host if host-only, else the Domain attribute.
    domain: String,
    /// The path the cookie applies to and below, beginning with `/`.
    path: String,
    /// When the cookie stops being sent; `None` for a session cookie.
    expires: Option<SystemTime>,
    /// Only sent over https.
    secure: bool,
    /// Not exposed to scripts (kept for inspection; this client has none).
    http_only: bool,
    /// Sent only to exactly `domain`, not its subdomains.
    host_only: bool,
    /// Creation order in the jar: a counter, so ties cannot happen.
    created: u64,
}

impl Cookie {
    /// The cookie name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The value, exactly as sent (surrounding double quotes included).
    pub fn value(&self) -> &str {
        &self.value
    }

    /// The lowercase domain the cookie belongs to.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The path prefix the cookie is sent for, beginning with `/`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// When the cookie expires, or `None` for a cookie that lasts the session.
    pub fn expires(&self) -> Option<SystemTime> {
        self.expires
    }

    /// True if the cookie is only sent over https.
    pub fn secure(&self) -> bool {
        self.secure
    }

    /// True if the server marked the cookie `HttpOnly`.
    pub fn http_only(&self) -> bool {
        self.http_only
    }

    /// True if the cookie is sent only to its exact host (no `Domain` attribute).
    pub fn host_only(&self) -> bool {
        self.host_only
    }

    /// True once `now` has reached the expiry time.
    fn is_expired(&self, now: SystemTime) -> bool {
        self.expires.is_some_and(|expires| expires <= now)
    }

    /// RFC 6265 section 5.4 step 1: should this cookie go with a request to `target`?
    fn matches(&self, target: &CookieTarget<'_>, now: SystemTime) -> bool {
        let host_matches =
            if self.host_only { target.host == self.domain } else { domain_match(target.host, &self.domain) };
        host_matches && path_match(target.path, &self.path) && (target.https || !self.secure) && !self.is_expired(now)
    }
}

/// The cookies of one session, as a browser would keep them.
#[derive(Clone, Debug, Default)]
pub(crate) struct CookieJar {
    /// Every stored cookie, in creation order (replacement keeps the slot).
    cookies: Vec<Cookie>,
    /// The creation stamp the next new cookie gets.
    next_created: u64,
}

impl CookieJar {
    /// An empty jar.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Stores one `Set-Cookie` header value received from `target`, returning
    /// true if the jar changed (a cookie added, replaced or deleted). Invalid
    /// or refused cookies are ignored, as RFC 6265 asks; [`Self::try_store`]
    /// says why.
    pub(crate) fn store(&mut self, target: &CookieTarget<'_>, set_cookie: &str, now: SystemTime) -> bool {
        self.try_store(target, set_cookie, now).unwrap_or(false)
    }

    /// [`Self::store`] with the reason for a refusal. `Ok(false)` means the
    /// cookie was valid but changed nothing: it was already expired and no
    /// stored cookie had its name, domain and path.
    pub(crate) fn try_store(
        &mut self,
        target: &CookieTarget<'_>,
        set_cookie: &str,
        now: SystemTime,
    ) -> Result<bool, CookieError> {
        let parsed = SetCookie::parse(set_cookie, now)?;
        let (domain, host_only) = cookie_domain(target.host, parsed.domain.as_deref())?;
        let path = parsed.path.unwrap_or_else(|| default_path(target.path));
        let is_secure_origin = target.https;

        // Expired cookies are dropped here rather than on a timer: the jar
        // has no clock, and an expired Secure cookie should not block the
        // check below nor count against the limits further down.
        self.remove_expired(now);

        // RFC 6265bis 5.7 steps: only a secure origin may set or shadow a
        // Secure cookie. Without the second rule a man in the middle on
        // plain http could replace a session cookie the site guards.
        if parsed.secure && !is_secure_origin {
            return Err(CookieError::SecureOverHttp);
        }
        if !parsed.secure && !is_secure_origin {
            let shadows = |old: &Cookie| {
                old.secure
                    && old.name == parsed.name
                    && (domain_match(domain, &old.domain) || domain_match(&old.domain, domain))
                    && path_match(path, &old.path)
            };
            if self.cookies.iter().any(shadows) {
                return Err(CookieError::ShadowsSecure);
            }
        }
        // Name prefixes let a site know how a cookie was set: `__Secure-`
        // came over https, `__Host-` also from this exact host for all paths.
        let name = parsed.name;
        let has_prefix = |prefix: &str| name.get(..prefix.len()).is_some_and(|head| head.eq_ignore_ascii_case(prefix));
        if (has_prefix("__Secure-") && !parsed.secure)
            || (has_prefix("__Host-") && !(parsed.secure && host_only && path == "/"))
        {
            return Err(CookieError::PrefixViolation);
        }

        let existing = self.cookies.iter().position(|old| old.name == name && old.domain == domain && old.path == path);

        // An expiry in the past is how a server deletes a cookie.
        if parsed.expires.is_some_and(|expires| expires <= now) {
            return Ok(existing.map(|index| self.cookies.remove(index)).is_some());
        }
        let mut cookie = Cookie {
            name: name.to_owned(),
            value: parsed.value.to_owned(),
            domain: domain.to_owned(),
            path: path.to_owned(),
            expires: parsed.expires,
            secure: parsed.secure,
            http_only: parsed.http_only,
            host_only,
            created: self.next_created,
        };
        // RFC 6265 5.3 step 11: a replacement keeps the old creation time,
        // so updating a cookie does not change where it is sent in order.
        if let Some(index) = existing {
            cookie.created = self.cookies[index].created;
            self.cookies[index] = cookie;
            return Ok(true);
        }
        self.next_created += 1;
        self.cookies.push(cookie);
        self.evict_over_limits();
        Ok(true)
    }

    /// The value of the `Cookie` request header for `target`, such as
    /// `a=1; b=2`, or `None` if no cookie matches. Longer paths come first,
    /// then earlier-created cookies (RFC 6265 section 5.4 step 2).
    pub(crate) fn header_value(&self, target: &CookieTarget<'_>, now: SystemTime) -> Option<String> {
        let mut matching: Vec<&Cookie> = self.cookies.iter().filter(|cookie| cookie.matches(target, now)).collect();
        if matching.is_empty() {
            return None;
        }
        matching.sort_unstable_by(|a, b| b.path.len().cmp(&a.path.len()).then(a.created.cmp(&b.created)));
        let mut header = String::new();
        for (index, cookie) in matching.iter().enumerate() {
            if index > 0 {
                header.push_str("; ");
            }
            header.push_str(&cookie.name);
            header.push('=');
            header.push_str(&cookie.value);
        }
        Some(header)
    }

    /// How many cookies are stored (expired ones included until removed).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.cookies.len()
    }

    /// True if no cookie is stored.
    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.cookies.is_empty()
    }

    /// Forgets every cookie.
    pub(crate) fn clear(&mut self) {
        self.cookies.clear();
    }

    /// The stored cookies in creation order (expired ones included until
    /// [`Self::remove_expired`] or the next store drops them).
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Cookie> {
        self.cookies.iter()
    }

    /// Drops every cookie whose expiry time is at or before `now`.
    pub(crate) fn remove_expired(&mut self, now: SystemTime) {
        self.cookies.retain(|cookie| !cookie.is_expired(now));
    }

    /// Evicts the oldest cookie of the newest one's domain, then the oldest
    /// overall, while a limit is exceeded. Called after each insertion, so
    /// at most one of each goes and the new cookie (the newest) never does.
    fn evict_over_limits(&mut self) {
        let Some(domain) = self.cookies.last().map(|newest| newest.domain.clone()) else { return };
        if self.cookies.iter().filter(|cookie| cookie.domain == domain).count() > MAX_COOKIES_PER_DOMAIN {
            self.remove_oldest(|cookie| cookie.domain == domain);
        }
        if self.cookies.len() > MAX_COOKIES {
            self.remove_oldest(|_| true);
        }
    }

    /// Removes the earliest-created cookie that satisfies `which`.
    fn remove_oldest(&mut self, which: impl Fn(&Cookie) -> bool) {
        // The vector is in creation order, so the first match is the oldest.
        if let Some(index) = self.cookies.iter().position(which) {
            self.cookies.remove(index);
        }
    }
}

/// Section 5.3 steps 4-6: the domain a cookie belongs to and whether it is
/// host-only, or why its Domain attribute is refused.
fn cookie_domain<'a>(host: &'a str, attribute: Option<&'a str>) -> Result<(&'a str, bool), CookieError> {
    match attribute {
        // No Domain (or `Domain=.`): the cookie stays with this exact host.
        None | Some("") => Ok((host, true)),
        // `Domain=localhost` from localhost is a single label, but it names
        // the host itself, so it is kept as a host-only cookie.
        Some(domain) if domain == host && !domain.contains('.') => Ok((host, true)),
        // Without a public-suffix list, refuse only what is surely one.
        Some(domain) if !domain.contains('.') && !is_ip_address(host) => Err(CookieError::PublicSuffix),
        Some(domain) if domain_match(host, domain) => Ok((domain, false)),
        Some(_) => Err(CookieError::DomainMismatch),
    }
}

/// Section 5.1.3: `host` is `domain` or a subdomain of it. Subdomain
/// matching never applies to IP addresses (`1.2.3.4` is not "in" `3.4`).
fn domain_match(host: &str, domain: &str) -> bool {
    if host == domain {
        return true;
    }
    host.strip_suffix(domain).is_some_and(|head| head.ends_with('.')) && !is_ip_address(host)
}

/// True for an IPv4 or (bracketless) IPv6 literal.
fn is_ip_address(host: &str) -> bool {
    host.parse::<IpAddr>().is_ok()
}

/// Section 5.1.4: the request path is the cookie path or lies below it.
fn path_match(request_path: &str, cookie_path: &str) -> bool {
    match request_path.strip_prefix(cookie_path) {
        Some(rest) => rest.is_empty() || cookie_path.ends_with('/') || rest.starts_with('/'),
        None => false,
    }
}

/// Section 5.1.4: the directory of the request path (`/a/b` gives `/a`,
/// `/a` and anything odd give `/`).
fn default_path(request_path: &str) -> &str {
    match request_path.rfind('/') {
        Some(slash) if slash > 0 && request_path.starts_with('/') => &request_path[..slash],
        _ => "/",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    /// A fixed "now" for tests: 2021-06-09 10:18:14 UTC.
    fn now() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_623_233_894)
    }

    /// A target on `host` at `path`.
    fn at<'a>(https: bool, host: &'a str, path: &'a str) -> CookieTarget<'a> {
        CookieTarget { https, host, path }
    }

    /// The default target: https://www.example.com/docs/page.
    const WWW: CookieTarget<'static> = CookieTarget { https: true, host: "www.example.com", path: "/docs/page" };

    /// A jar holding the given Set-Cookie lines, each stored from `target` at `now()`.
    fn jar_with(target: &CookieTarget<'_>, lines: &[&str]) -> CookieJar {
        let mut jar = CookieJar::new();
        for line in lines {
            assert!(jar.store(target, line, now()), "{line:?} was not stored");
        }
        jar
    }

    #[test]
    fn invalid_set_cookie_headers_are_refused_with_a_reason() {
        // Malformed headers are tested in `set_cookie.rs`; the first row
        // checks that the parser's refusal reaches the caller.
        let table = [
            (WWW, "novalue", CookieError::MissingName),
            (WWW, "a=1; Domain=other.com", CookieError::DomainMismatch),
            (WWW, "a=1; Domain=ww.example.com", CookieError::DomainMismatch),
            (WWW, "a=1; Domain=sub.www.example.com", CookieError::DomainMismatch),
            (WWW, "a=1; Domain=com", CookieError::PublicSuffix),
            (WWW, "a=1; Domain=.com", CookieError::PublicSuffix),
            (at(true, "192.168.0.1", "/"), "a=1; Domain=168.0.1", CookieError::DomainMismatch),
            (at(true, "192.168.0.1", "/"), "a=1; Domain=example.com", CookieError::DomainMismatch),
            (at(true, "::1", "/"), "a=1; Domain=1", CookieError::DomainMismatch),
            (at(false, "www.example.com", "/"), "a=1; Secure", CookieError::SecureOverHttp),
            (WWW, "__Secure-a=1", CookieError::PrefixViolation),
            (WWW, "__Host-a=1; Secure", CookieError::PrefixViolation),
            (WWW, "__host-a=1; Secure; Path=/; Domain=example.com", CookieError::PrefixViolation),
        ];
        for (target, line, expected) in table {
            let mut jar = CookieJar::new();
            assert_eq!(jar.try_store(&target, line, now()), Err(expected), "{line:?}");
            assert!(!jar.store(&target, line, now()));
            assert!(jar.is_empty());
        }
    }

    #[test]
    fn ip_and_single_label_hosts_accept_only_their_own_domain() {
        let table = [
            (at(true, "192.168.0.1", "/"), "a=1; Domain=192.168.0.1", "192.168.0.1", false),
            (at(true, "::1", "/"), "a=1; Domain=::1", "::1", true),
            (at(true, "localhost", "/"), "a=1; Domain=localhost", "localhost", true),
            (at(true, "localhost", "/"), "a=1", "localhost", true),
            (at(true, "example.com", "/x"), "__Secure-a=1; Secure; Domain=example.com", "example.com", false),
            (at(true, "example.com", "/x"), "__Host-a=1; Secure; Path=/", "example.com", true),
        ];
        for (target, line, domain, host_only) in table {
            let jar = jar_with(&target, &[line]);
            let cookie = jar.iter().next().unwrap();
            assert_eq!((cookie.domain(), cookie.host_only()), (domain, host_only), "{line:?}");
            let sent = line.split(';').next();
            assert_eq!(jar.header_value(&target, now()).as_deref(), sent, "{line:?}");
        }
    }

    #[test]
    fn domain_match_is_suffix_at_a_dot_and_never_for_ip_addresses() {
        let table = [
            ("example.com", "example.com", true),
            ("www.example.com", "example.com", true),
            ("a.b.example.com", "example.com", true),
            ("wwwexample.com", "example.com", false),
            ("example.com", "www.example.com", false),
            ("example.com.evil", "example.com", false),
            ("1.2.3.4", "1.2.3.4", true),
            ("1.2.3.4", "2.3.4", false),
            ("::1", "::1", true),
        ];
        for (host, domain, expected) in table {
            assert_eq!(domain_match(host, domain), expected, "{host} vs {domain}");
        }
    }

    #[test]
    fn path_match_and_default_path_follow_section_5_1_4() {
        let table = [
            ("/", "/", true),
            ("/docs", "/", true),
            ("/docs", "/docs", true),
            ("/docs/", "/docs", true),
            ("/docs/web", "/docs", true),
            ("/docs/web", "/docs/", true),
            ("/docsets", "/docs", false),
            ("/doc", "/docs", false),
            ("/docs", "/docs/", false),
            ("/Docs", "/docs", false),
        ];
        for (request_path, cookie_path, expected) in table {
            assert_eq!(path_match(request_path, cookie_path), expected, "{request_path} vs {cookie_path}");
        }
        let defaults =
            [("", "/"), ("/", "/"), ("/a", "/"), ("/a/", "/a"), ("/a/b", "/a"), ("/a/b/c", "/a/b"), ("a/b", "/")];
        for (request_path, expected) in defaults {
            assert_eq!(default_path(request_path), expected, "{request_path:?}");
        }
    }

    #[test]
    fn stored_cookies_resolve_their_path_and_host_only_flag() {
        // (Set-Cookie, stored path, host-only), all stored from WWW (/docs/page).
        let table = [
            ("a=1", "/docs", true),
            ("a=1; Path=relative", "/docs", true),
            ("a=1; Path=/x", "/x", true),
            ("a=1; Domain=www.example.com", "/docs", false),
            ("a=1; Domain=.example.com; Path=/", "/", false),
        ];
        for (line, path, host_only) in table {
            let jar = jar_with(&WWW, &[line]);
            let cookie = jar.iter().next().unwrap();
            assert_eq!((cookie.path(), cookie.host_only()), (path, host_only), "{line}");
        }
    }

    #[test]
    fn cookies_are_sent_only_where_domain_path_scheme_and_time_match() {
        let jar = jar_with(
            &WWW,
            &[
                "host=1; Path=/",
                "parent=2; Domain=example.com; Path=/",
                "docs=3; Path=/docs",
                "secure=4; Secure; Path=/",
                "brief=5; Max-Age=60; Path=/",
            ],
        );
        let later = now() + Duration::from_secs(60);
        let table = [
            (at(true, "www.example.com", "/"), now(), Some("host=1; parent=2; secure=4; brief=5")),
            (at(true, "www.example.com", "/docs/x"), now(), Some("docs=3; host=1; parent=2; secure=4; brief=5")),
            (at(true, "www.example.com", "/docsets"), now(), Some("host=1; parent=2; secure=4; brief=5")),
            (at(false, "www.example.com", "/"), now(), Some("host=1; parent=2; brief=5")),
            (at(true, "www.example.com", "/"), later, Some("host=1; parent=2; secure=4")),
            (at(true, "example.com", "/docs"), now(), Some("parent=2")),
            (at(true, "api.example.com", "/"), now(), Some("parent=2")),
            (at(true, "a.www.example.com", "/"), now(), Some("parent=2")),
            (at(true, "example.org", "/"), now(), None),
        ];
        for (target, when, expected) in table {
            assert_eq!(jar.header_value(&target, when).as_deref(), expected, "{target:?}");
        }
    }

    #[test]
    fn header_orders_longer_paths_first_then_older_cookies() {
        let jar = jar_with(
            &WWW,
            &["b=1; Path=/", "a=2; Path=/docs/page", "c=3; Path=/docs", "d=4; Path=/", "e=5; Path=/docs"],
        );
        assert_eq!(jar.header_value(&WWW, now()).as_deref(), Some("a=2; c=3; e=5; b=1; d=4"));
    }

    #[test]
    fn same_name_domain_and_path_replaces_and_keeps_creation_order() {
        let mut jar = jar_with(&WWW, &["a=1; Path=/", "b=2; Path=/", "a=3; Path=/; HttpOnly"]);
        assert_eq!(jar.len(), 2);
        assert_eq!(jar.header_value(&WWW, now()).as_deref(), Some("a=3; b=2"));
        assert!(jar.iter().next().is_some_and(Cookie::http_only));
        // A different path or domain is a different cookie.
        assert!(jar.store(&WWW, "a=4; Path=/docs", now()));
        assert!(jar.store(&WWW, "a=5; Path=/; Domain=example.com", now()));
        assert_eq!(jar.len(), 4);
        assert_eq!(jar.header_value(&WWW, now()).as_deref(), Some("a=4; a=3; b=2; a=5"));
    }

    #[test]
    fn expired_set_cookie_deletes_the_matching_cookie() {
        let table = [
            "a=; Max-Age=0",
            "a=; Max-Age=-1",
            "a=; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
            "a=; Expires=Wed, 09 Jun 2021 10:18:14 GMT",
            "a=; Expires=Thu, 01 Jan 1999 00:00:00 GMT",
            "a=; Max-Age=0; Expires=Fri, 31 Dec 9999 23:59:59 GMT",
        ];
        for line in table {
            let mut jar = jar_with(&WWW, &["a=1", "b=2"]);
            assert_eq!(jar.try_store(&WWW, line, now()), Ok(true), "{line:?}");
            assert_eq!(jar.header_value(&WWW, now()).as_deref(), Some("b=2"), "{line:?}");
            // Deleting again finds nothing: valid, but nothing changed.
            assert_eq!(jar.try_store(&WWW, line, now()), Ok(false), "{line:?}");
        }
        // A deletion must name the same path (here the default, /docs).
        let mut jar = jar_with(&WWW, &["a=1; Path=/"]);
        assert!(!jar.store(&WWW, "a=; Max-Age=0", now()));
        assert_eq!(jar.len(), 1);
    }

    #[test]
    fn expired_cookies_are_not_sent_and_are_dropped_lazily() {
        let mut jar = jar_with(&WWW, &["short=1; Max-Age=10", "long=2; Max-Age=100", "session=3"]);
        let later = now() + Duration::from_secs(10);
        assert_eq!(jar.header_value(&WWW, later).as_deref(), Some("long=2; session=3"));
        assert_eq!(jar.len(), 3);
        jar.remove_expired(later);
        assert_eq!(jar.len(), 2);
        // Storing also drops whatever has expired by then.
        assert!(jar.store(&WWW, "new=4", now() + Duration::from_secs(100)));
        let names: Vec<&str> = jar.iter().map(Cookie::name).collect();
        assert_eq!(names, ["session", "new"]);
        jar.clear();
        assert!(jar.is_empty());
    }

    #[test]
    fn plain_http_cannot_set_or_shadow_secure_cookies() {
        let http = at(false, "www.example.com", "/docs/page");
        let mut jar = jar_with(&WWW, &["id=secret; Secure; Domain=example.com; Path=/"]);
        let table = [
            ("id=evil; Path=/", Err(CookieError::ShadowsSecure)),
            ("id=evil; Path=/docs", Err(CookieError::ShadowsSecure)),
            ("id=evil; Domain=example.com; Path=/", Err(CookieError::ShadowsSecure)),
            ("id=; Domain=example.com; Path=/; Max-Age=0", Err(CookieError::ShadowsSecure)),
            ("id=evil; Secure; Path=/", Err(CookieError::SecureOverHttp)),
            ("other=ok; Path=/", Ok(true)),
        ];
        for (line, expected) in table {
            assert_eq!(jar.try_store(&http, line, now()), expected, "{line:?}");
        }
        // An unrelated host, or https, may still set the name.
        assert!(jar.store(&at(false, "example.org", "/"), "id=mine; Path=/", now()));
        assert!(jar.store(&WWW, "id=new; Path=/", now()));
        assert_eq!(jar.header_value(&WWW, now()).as_deref(), Some("id=secret; other=ok; id=new"));
        assert_eq!(jar.header_value(&http, now()).as_deref(), Some("other=ok; id=new"));
    }

    #[test]
    fn limits_evict_the_oldest_cookie_of_the_domain_then_of_the_jar() {
        let mut jar = CookieJar::new();
        for index in 0..=MAX_COOKIES_PER_DOMAIN {
            assert!(jar.store(&WWW, &format!("c{index}=x"), now()));
        }
        assert_eq!(jar.len(), MAX_COOKIES_PER_DOMAIN);
        assert_eq!(jar.iter().next().map(Cookie::name), Some("c1"));
        // A replacement is not an insertion: nothing is evicted.
        assert!(jar.store(&WWW, "c1=y", now()));
        assert_eq!(jar.iter().next().map(Cookie::value), Some("y"));

        // Fill the jar across many hosts; the next one evicts the very oldest.
        let mut jar = CookieJar::new();
        for index in 0..MAX_COOKIES {
            let host = format!("h{}.example", index / MAX_COOKIES_PER_DOMAIN);
            assert!(jar.store(&at(true, &host, "/"), &format!("c{index}=x"), now()));
        }
        assert_eq!(jar.len(), MAX_COOKIES);
        assert!(jar.store(&at(true, "new.example", "/"), "fresh=x", now()));
        assert_eq!(jar.len(), MAX_COOKIES);
        assert_eq!(jar.iter().next().map(Cookie::name), Some("c1"));
        assert_eq!(jar.iter().last().map(Cookie::name), Some("fresh"));
    }

    #[test]
    fn errors_display_lowercase_messages() {
        let all = [
            CookieError::MissingName,
            CookieError::ControlCharacter,
            CookieError::TooLarge,
            CookieError::DomainMismatch,
            CookieError::PublicSuffix,
            CookieError::SecureOverHttp,
            CookieError::ShadowsSecure,
            CookieError::PrefixViolation,
        ];
        for error in all {
            let message = error.to_string();
            assert!(message.starts_with(|c: char| c.is_ascii_lowercase() || c == '`'), "{message}");
        }
    }
}
