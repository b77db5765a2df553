//! Parsing one `Set-Cookie` header value (RFC 6265 section 5.2) into the
//! name, value and attributes the cookie jar decides on.
//!
//! Where it sits in the path of a request: after a response's headers are
//! parsed, the session hands each `Set-Cookie` value to the jar's
//! `CookieJar::store` (`cookie.rs`), which parses it here into a
//! [`SetCookie`] before deciding whether and where to keep the cookie.
//! Parsing knows only the header: it does not know the request host or
//! path, so the Domain and Path attributes come out as written, and
//! `cookie.rs` checks them against the request and fills in the defaults.
//!
//! Like the jar, the parser never reads a clock: `now` is passed in and
//! anchors `Max-Age`. Limits, named as such: a cookie whose name and value
//! exceed [`MAX_NAME_VALUE_BYTES`] is refused, an attribute value longer
//! than [`MAX_ATTRIBUTE_VALUE_BYTES`] is ignored, and lifetimes are capped
//! at [`MAX_LIFETIME`] (RFC 6265bis). `SameSite` and other unknown
//! attributes are ignored: there are no cross-site requests in a client
//! without a browser.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::cookie::CookieError;
use super::date::parse_cookie_date;
use super::headers::trim_ows;

/// Longest accepted name plus value, in bytes; a longer cookie is rejected.
pub(crate) const MAX_NAME_VALUE_BYTES: usize = 4096;

/// Longest attribute value, in bytes; a longer attribute is ignored.
pub(crate) const MAX_ATTRIBUTE_VALUE_BYTES: usize = 1024;

/// Longest lifetime `Expires` or `Max-Age` may give (400 days, RFC 6265bis).
pub(crate) const MAX_LIFETIME: Duration = Duration::from_secs(400 * 24 * 60 * 60);

/// A `Set-Cookie` value parsed per RFC 6265 section 5.2, borrowing from it.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct SetCookie<'s> {
    /// The non-empty cookie name.
    pub(crate) name: &'s str,
    /// The value, quotes kept.
    pub(crate) value: &'s str,
    /// The last non-empty Domain attribute, leading dot removed, lowercase.
    pub(crate) domain: Option<String>,
    /// The last Path attribute if it begins with `/`.
    pub(crate) path: Option<&'s str>,
    /// Max-Age if present, else Expires, capped at [`MAX_LIFETIME`] from now.
    pub(crate) expires: Option<SystemTime>,
    /// The Secure attribute was present.
    pub(crate) secure: bool,
    /// The HttpOnly attribute was present.
    pub(crate) http_only: bool,
}

impl<'s> SetCookie<'s> {
    /// Parses `line`; `now` anchors Max-Age.
    pub(crate) fn parse(line: &'s str, now: SystemTime) -> Result<Self, CookieError> {
        // Step 1: the name-value pair ends at the first `;`.
        let (pair, attributes) = line.split_once(';').unwrap_or((line, ""));
        let (name, value) = pair.split_once('=').ok_or(CookieError::MissingName)?;
        let (name, value) = (trim_ows(name), trim_ows(value));
        if name.is_empty() {
            return Err(CookieError::MissingName);
        }
        // Control characters would let a value forge header lines when we
        // send it back; RFC 6265bis rejects them outright.
        if name.bytes().chain(value.bytes()).any(|byte| byte.is_ascii_control() && byte != b'\t') {
            return Err(CookieError::ControlCharacter);
        }
        if name.len() + value.len() > MAX_NAME_VALUE_BYTES {
            return Err(CookieError::TooLarge);
        }
        let mut cookie =
            SetCookie { name, value, domain: None, path: None, expires: None, secure: false, http_only: false };
        // Max-Age wins over Expires whatever their order, so keep both.
        let (mut expires, mut max_age) = (None, None);

        // Step 6 and section 5.2.1-6: the last of each attribute wins.
        for attribute in attributes.split(';') {
            let (key, value) = attribute.split_once('=').unwrap_or((attribute, ""));
            let (key, value) = (trim_ows(key), trim_ows(value));
            if value.len() > MAX_ATTRIBUTE_VALUE_BYTES {
                continue;
            }
            if key.eq_ignore_ascii_case("expires") {
                expires = parse_cookie_date(value).or(expires);
            } else if key.eq_ignore_ascii_case("max-age") {
                max_age = max_age_expiry(value, now).or(max_age);
            } else if key.eq_ignore_ascii_case("domain") && !value.is_empty() {
                cookie.domain = Some(value.strip_prefix('.').unwrap_or(value).to_ascii_lowercase());
            } else if key.eq_ignore_ascii_case("path") {
                // A relative or empty Path means "use the default path".
                cookie.path = value.starts_with('/').then_some(value);
            } else if key.eq_ignore_ascii_case("secure") {
                cookie.secure = true;
            } else if key.eq_ignore_ascii_case("httponly") {
                cookie.http_only = true;
            }
        }
        let cap = now.checked_add(MAX_LIFETIME);
        cookie.expires = max_age.or(expires).map(|expiry| cap.map_or(expiry, |cap| expiry.min(cap)));
        Ok(cookie)
    }
}

/// Section 5.2.2: Max-Age is an optional `-` and digits; zero or less means
/// "already expired", which the epoch stands for. `None` ignores the attribute.
fn max_age_expiry(value: &str, now: SystemTime) -> Option<SystemTime> {
    let (negative, digits) = value.strip_prefix('-').map_or((false, value), |digits| (true, digits));
    if digits.is_empty() || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    if negative || digits.bytes().all(|byte| byte == b'0') {
        return Some(UNIX_EPOCH);
    }
    // Only overflow can fail to parse here; any huge value hits the cap.
    let seconds = digits.parse::<u64>().unwrap_or(u64::MAX).min(MAX_LIFETIME.as_secs());
    now.checked_add(Duration::from_secs(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fixed "now" for tests: 2021-06-09 10:18:14 UTC.
    fn now() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_623_233_894)
    }

    #[test]
    fn set_cookie_attributes_parse_into_their_values() {
        let in_an_hour = Some(now() + Duration::from_secs(3600));
        let on_date = Some(UNIX_EPOCH + Duration::from_secs(1_623_320_294)); // 2021-06-10 10:18:14
        let capped = Some(now() + MAX_LIFETIME);
        // (header, name, value, domain, path, expires, secure, http_only)
        #[rustfmt::skip]
        let table = [
            ("a=1", "a", "1", None, None, None, false, false),
            ("  a = 1  ; ", "a", "1", None, None, None, false, false),
            ("a=", "a", "", None, None, None, false, false),
            ("a=\"quoted value\"", "a", "\"quoted value\"", None, None, None, false, false),
            ("a=b=c", "a", "b=c", None, None, None, false, false),
            ("a=1; Path=/", "a", "1", None, Some("/"), None, false, false),
            ("a=1; path=/x/y/", "a", "1", None, Some("/x/y/"), None, false, false),
            ("a=1; Path=relative", "a", "1", None, None, None, false, false),
            ("a=1; Path=/x; Path=", "a", "1", None, None, None, false, false),
            ("a=1; Domain=example.com", "a", "1", Some("example.com"), None, None, false, false),
            ("a=1; domain=.EXAMPLE.com", "a", "1", Some("example.com"), None, None, false, false),
            ("a=1; Domain=www.example.com", "a", "1", Some("www.example.com"), None, None, false, false),
            ("a=1; Domain=example.com; Domain=", "a", "1", Some("example.com"), None, None, false, false),
            ("a=1; Domain=.", "a", "1", Some(""), None, None, false, false),
            ("a=1; Secure; HttpOnly", "a", "1", None, None, None, true, true),
            ("a=1; SECURE; httponly=yes", "a", "1", None, None, None, true, true),
            ("a=1; Max-Age=3600", "a", "1", None, None, in_an_hour, false, false),
            ("a=1; Expires=Thu, 10 Jun 2021 10:18:14 GMT", "a", "1", None, None, on_date, false, false),
            ("a=1; Max-Age=3600; Expires=Thu, 10 Jun 2021 10:18:14 GMT", "a", "1", None, None, in_an_hour, false, false),
            ("a=1; Expires=Thu, 10 Jun 2021 10:18:14 GMT; Max-Age=3600", "a", "1", None, None, in_an_hour, false, false),
            ("a=1; Expires=not a date", "a", "1", None, None, None, false, false),
            ("a=1; Max-Age=+5; Max-Age=1e3; Max-Age=", "a", "1", None, None, None, false, false),
            ("a=1; Max-Age=99999999999999999999999", "a", "1", None, None, capped, false, false),
            ("a=1; Expires=Fri, 31 Dec 9999 23:59:59 GMT", "a", "1", None, None, capped, false, false),
            ("a=1; SameSite=Strict; Priority=High; Partitioned", "a", "1", None, None, None, false, false),
        ];
        for (line, name, value, domain, path, expires, secure, http_only) in table {
            let domain = domain.map(str::to_owned);
            let expected = SetCookie { name, value, domain, path, expires, secure, http_only };
            assert_eq!(SetCookie::parse(line, now()), Ok(expected), "{line:?}");
        }
    }

    #[test]
    fn malformed_set_cookie_headers_are_refused_with_a_reason() {
        let long_value = format!("a={}", "x".repeat(MAX_NAME_VALUE_BYTES));
        let table = [
            ("", CookieError::MissingName),
            ("novalue", CookieError::MissingName),
            ("=1", CookieError::MissingName),
            (" =1; Path=/", CookieError::MissingName),
            ("; a=1", CookieError::MissingName),
            ("a=1\r\nX-Injected: yes", CookieError::ControlCharacter),
            ("a\0=1", CookieError::ControlCharacter),
            (long_value.as_str(), CookieError::TooLarge),
        ];
        for (line, expected) in table {
            assert_eq!(SetCookie::parse(line, now()), Err(expected), "{line:?}");
        }
        // The size limit is inclusive.
        let just_fits = format!("a={}", "x".repeat(MAX_NAME_VALUE_BYTES - 1));
        assert!(SetCookie::parse(&just_fits, now()).is_ok());
    }
}
