//! The URL of a request: parsed once, checked, normalized, then only read.
//!
//! Every request starts here. [`Url::parse`] turns the user's string into a
//! [`Url`] whose parts the rest of the client reads without re-parsing: the
//! connector asks for [`Url::host_str`] and [`Url::port`] (DNS and TLS SNI),
//! the request writer asks for [`Url::path_and_query`] (the request line) and
//! [`Url::authority`] (the `Host` header), and the redirect logic calls
//! [`Url::join`] on a `Location` header and [`Url::origin_eq`] to decide
//! whether credentials may follow it.
//!
//! Only `http` and `https` exist here, so the parser is the "special scheme"
//! subset of the WHATWG URL standard, with RFC 3986 reference resolution:
//!
//! - Any ASCII control character (including CR, LF, NUL and tab) anywhere in
//!   the input is an error, so no header can be smuggled into a request line.
//!   Leading and trailing spaces are trimmed.
//! - A backslash counts as `/` before the query, as browsers do, so
//!   `http://a.example\@b.example/` goes to `a.example` here and in a browser.
//! - The path and query are percent-encoded (spaces, quotes, `<`, `>`,
//!   non-ASCII as UTF-8, a `%` not followed by two hex digits); an existing
//!   `%XX` stays. Dot segments (also `%2e`) are removed.
//! - The fragment is dropped: it is never sent to a server.
//! - The host and port are checked in `host.rs`: IP literals, lowercase
//!   names mapped by UTS #46 (`ＥＸＡＭＰＬＥ.com` is `example.com`), `xn--`
//!   Punycode for labels that are not ASCII.
//! - The user name and password are kept percent-decoded beside the URL but
//!   left out of its `Display` and redacted in its `Debug`, so logging a URL
//!   never prints a secret; a request sends them as `Authorization: Basic`.

use std::fmt::{self, Write as _};
use std::str::FromStr;

use super::host::{Host, parse_host_and_port};
use super::percent::{form_encode, is_query_escaped, percent_decode, percent_encode, write_path};

/// The protocol of a URL; only the two the client can speak.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// Plain-text HTTP, port 80 by default.
    Http,
    /// HTTP over TLS, port 443 by default.
    Https,
}

impl Scheme {
    /// The scheme's name, lowercase, without the `:`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }

    /// The port used when the URL names none: 80 or 443.
    pub fn default_port(self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }

    /// The scheme called `name`, in any case, if it is one we speak.
    fn from_name(name: &str) -> Option<Scheme> {
        if name.eq_ignore_ascii_case("http") {
            Some(Scheme::Http)
        } else if name.eq_ignore_ascii_case("https") {
            Some(Scheme::Https)
        } else {
            None
        }
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a string is not a URL this client can request.
///
/// ```
/// use corio::http::{Url, UrlError};
/// let err = Url::parse("ftp://example.com/").unwrap_err();
/// assert_eq!(err, UrlError::UnsupportedScheme("ftp".into()));
/// assert_eq!(err.to_string(), r#"unsupported URL scheme "ftp" (only http and https are supported)"#);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UrlError {
    /// The input holds an ASCII control character (0x00-0x1F or 0x7F, such
    /// as CR, LF, NUL or tab) at byte `position` of the string as given.
    ControlCharacter {
        /// Byte offset of the first control character in the input.
        position: usize,
        /// The control character's byte value.
        byte: u8,
    },
    /// The input does not start with `scheme:` (for example `example.com/x`
    /// or `localhost:8080`).
    MissingScheme,
    /// The scheme is not `http` or `https`; holds the scheme, lowercased.
    /// Also returned by [`Url::join`] for a `Location` such as `ftp://...`.
    UnsupportedScheme(String),
    /// There is no host: nothing between `//` and the path, or no `//` at all.
    MissingHost,
    /// The host is not a valid DNS name or IP literal.
    InvalidHost {
        /// The host as written in the input.
        host: String,
        /// What is wrong with it, as a phrase that follows the host.
        reason: &'static str,
    },
    /// The port is not a decimal number from 1 to 65535; holds it as written.
    InvalidPort(String),
    /// The user name or password does not decode to UTF-8 text.
    InvalidUserinfo,
}

impl fmt::Display for UrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UrlError::ControlCharacter { position, byte } => write!(
                f,
                "URL contains control character 0x{byte:02x} at byte {position} (percent-encode it as %{byte:02X})"
            ),
            UrlError::MissingScheme => {
                f.write_str(r#"URL has no scheme (write it in full, like "http://example.com/")"#)
            }
            UrlError::UnsupportedScheme(scheme) => {
                write!(f, r#"unsupported URL scheme "{scheme}" (only http and https are supported)"#)
            }
            UrlError::MissingHost => f.write_str(r#"URL has no host (expected "http://host/...")"#),
            UrlError::InvalidHost { host, reason } => write!(f, r#"invalid host "{host}" in URL: {reason}"#),
            UrlError::InvalidPort(port) => {
                write!(f, r#"invalid port "{port}" in URL (expected a number from 1 to 65535)"#)
            }
            UrlError::InvalidUserinfo => {
                f.write_str("user name or password in URL is not UTF-8 after percent-decoding")
            }
        }
    }
}

impl std::error::Error for UrlError {}

/// An absolute `http` or `https` URL, parsed, checked and normalized.
///
/// It holds its normalized text (without user info or fragment) plus the
/// offsets of its parts, so every accessor is a slice and costs nothing.
///
/// ```
/// use corio::http::Url;
/// let url = Url::parse("HTTP://user:pw@Example.COM:80/a/./b c?q=1#top")?;
/// assert_eq!(url.to_string(), "http://example.com/a/b%20c?q=1");
/// assert_eq!(url.host_str(), "example.com");
/// assert_eq!(url.port(), 80);
/// assert_eq!(url.path_and_query(), "/a/b%20c?q=1");
/// assert_eq!(url.password(), Some("pw"));
/// // DNS and TLS get the bare host; the Host header gets brackets and a
/// // port that is not the scheme's default.
/// let v6 = Url::parse("http://[::1]:8080/")?;
/// assert_eq!((v6.host_str(), v6.authority()), ("::1", "[::1]:8080"));
/// # Ok::<(), corio::http::UrlError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Url {
    /// `scheme://authority/path?query`, normalized; never user info or fragment.
    serialization: String,
    /// The scheme, also the start of `serialization`.
    scheme: Scheme,
    host: Host,
    /// The effective port: explicit, or the scheme's default.
    port: u16,
    /// Where the host starts in `serialization` (after `[` for IPv6).
    host_start: usize,
    /// Where the host ends in `serialization` (before `]` for IPv6).
    host_end: usize,
    /// Where the path (always starting with `/`) starts in `serialization`.
    path_start: usize,
    /// Where the `?` is in `serialization`, if there is a query.
    query_start: Option<usize>,
    /// The percent-decoded user name; empty if none.
    username: String,
    /// The percent-decoded password, if a `:` followed the user name.
    password: Option<String>,
}

impl Url {
    /// Parses an absolute `http` or `https` URL.
    ///
    /// ```
    /// let url = corio::http::Url::parse("https://bücher.example/ä?x y")?;
    /// assert_eq!(url.as_str(), "https://xn--bcher-kva.example/%C3%A4?x%20y");
    /// // Host names are mapped as browsers map them (UTS #46): full-width
    /// // letters and the ideographic full stop are ASCII's.
    /// assert_eq!(corio::http::Url::parse("http://ＥＸＡＭＰＬＥ。com/")?.host_str(), "example.com");
    /// # Ok::<(), corio::http::UrlError>(())
    /// ```
    pub fn parse(input: &str) -> Result<Url, UrlError> {
        check_controls(input)?;
        let input = input.trim_matches(' ');
        let (name, rest) = split_scheme(input).ok_or(UrlError::MissingScheme)?;
        let Some(scheme) = Scheme::from_name(name) else {
            // `localhost:8080/x` reads as scheme "localhost"; a digit after
            // the colon means the user wrote host:port and forgot the scheme.
            if rest.starts_with(|c: char| c.is_ascii_digit()) {
                return Err(UrlError::MissingScheme);
            }
            return Err(UrlError::UnsupportedScheme(name.to_ascii_lowercase()));
        };
        let after_slashes = strip_slashes(rest).ok_or(UrlError::MissingHost)?;
        Url::from_authority(scheme, after_slashes)
    }

    /// Resolves `reference` against this URL as RFC 3986 section 5 says: the
    /// way a browser follows a `Location` header.
    ///
    /// An absolute URL replaces this one, `//host/p` keeps only the scheme,
    /// `/p` keeps scheme and authority, and a relative path is merged with
    /// this path's directory. The query is kept only for an empty reference or
    /// a fragment-only one. User info is kept only when the authority is.
    /// A reference with another scheme (`ftp:`, `mailto:`) is an
    /// [`UrlError::UnsupportedScheme`].
    ///
    /// ```
    /// let base = corio::http::Url::parse("http://a/b/c/d;p?q")?;
    /// assert_eq!(base.join("../g?y")?.as_str(), "http://a/b/g?y");
    /// assert_eq!(base.join("//other/x")?.as_str(), "http://other/x");
    /// # Ok::<(), corio::http::UrlError>(())
    /// ```
    pub fn join(&self, reference: &str) -> Result<Url, UrlError> {
        check_controls(reference)?;
        let reference = reference.trim_matches(' ');
        if let Some((name, rest)) = split_scheme(reference) {
            let scheme =
                Scheme::from_name(name).ok_or_else(|| UrlError::UnsupportedScheme(name.to_ascii_lowercase()))?;
            return match strip_slashes(rest) {
                Some(after_slashes) => Url::from_authority(scheme, after_slashes),
                // `http:g` against an http base: RFC 3986 section 5.4.2 allows
                // reading it as relative, and browsers do.
                None if scheme == self.scheme => self.resolve_relative(rest),
                None => Err(UrlError::MissingHost),
            };
        }
        match strip_slashes(reference) {
            Some(after_slashes) => Url::from_authority(self.scheme, after_slashes),
            None => self.resolve_relative(reference),
        }
    }

    /// The normalized URL as text; the same as `Display`.
    pub fn as_str(&self) -> &str {
        &self.serialization
    }

    /// The scheme; there are only the two the client speaks.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// True if the scheme is `https`, so the connection needs TLS.
    pub fn is_https(&self) -> bool {
        self.scheme == Scheme::Https
    }

    /// The host as checked by the parser: a lowercase name (non-ASCII labels
    /// in Punycode) or an IP literal.
    pub fn host(&self) -> &Host {
        &self.host
    }

    /// The host as DNS and TLS SNI want it: IPv6 without brackets.
    pub fn host_str(&self) -> &str {
        &self.serialization[self.host_start..self.host_end]
    }

    /// The port to connect to: the explicit one or the scheme's default.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The value of the `Host` header: the host (IPv6 in brackets), then
    /// `:port` only if the port is not the scheme's default.
    pub fn authority(&self) -> &str {
        &self.serialization[self.scheme.as_str().len() + "://".len()..self.path_start]
    }

    /// The percent-encoded path; never empty, always starts with `/`.
    pub fn path(&self) -> &str {
        &self.serialization[self.path_start..self.query_start.unwrap_or(self.serialization.len())]
    }

    /// The percent-encoded query without its `?`; `Some("")` for a bare `?`.
    pub fn query(&self) -> Option<&str> {
        self.query_start.map(|start| &self.serialization[start + 1..])
    }

    /// Appends one `name=value` pair to the query, form-encoding both (what
    /// a request's `.query(...)` adds). The query is the end of the
    /// serialization, and form encoding only writes characters a query may
    /// hold, so nothing else needs to change.
    pub(crate) fn append_query_pair(&mut self, name: &str, value: &str) {
        if self.query_start.is_some() {
            self.serialization.push('&');
        } else {
            self.query_start = Some(self.serialization.len());
            self.serialization.push('?');
        }
        form_encode(&mut self.serialization, name);
        self.serialization.push('=');
        form_encode(&mut self.serialization, value);
    }

    /// The request target of the request line (origin form): path and query.
    pub fn path_and_query(&self) -> &str {
        &self.serialization[self.path_start..]
    }

    /// The percent-decoded user name; empty if the URL has none.
    pub fn username(&self) -> &str {
        &self.username
    }

    /// The percent-decoded password, if the URL has one.
    pub fn password(&self) -> Option<&str> {
        self.password.as_deref()
    }

    /// True if the URL carries a user name or a password (`user:pw@`),
    /// which a request sends as `Authorization: Basic`.
    pub fn has_credentials(&self) -> bool {
        !self.username.is_empty() || self.password.is_some()
    }

    /// This URL without user name and password, for sending it elsewhere.
    pub fn without_userinfo(&self) -> Url {
        Url { username: String::new(), password: None, ..self.clone() }
    }

    /// True if both URLs have the same scheme, host and port: the test for
    /// keeping `Authorization` and cookies across a redirect.
    ///
    /// ```
    /// use corio::http::Url;
    /// let a = Url::parse("http://Example.com/a")?;
    /// assert!(a.origin_eq(&Url::parse("http://example.com:80/b")?));
    /// assert!(!a.origin_eq(&Url::parse("https://example.com/a")?));
    /// # Ok::<(), corio::http::UrlError>(())
    /// ```
    pub fn origin_eq(&self, other: &Url) -> bool {
        self.scheme == other.scheme && self.host == other.host && self.port == other.port
    }

    /// Parses what follows `scheme://`: authority, then path, query, fragment.
    fn from_authority(scheme: Scheme, rest: &str) -> Result<Url, UrlError> {
        let end = rest.find(['/', '\\', '?', '#']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(end);
        // The last '@' ends the user info, as in WHATWG: a password may hold
        // a raw '@', a host never can.
        let (userinfo, host_and_port) = match authority.rfind('@') {
            Some(at) => (Some(&authority[..at]), &authority[at + 1..]),
            None => (None, authority),
        };
        let (username, password) = split_userinfo(userinfo)?;
        let (host, port) = parse_host_and_port(host_and_port, scheme)?;
        let (path, query) = split_path_and_query(tail);
        Ok(Url::assemble(scheme, host, port, username, password, path, query))
    }

    /// Resolves a reference without scheme or authority against `self`.
    fn resolve_relative(&self, reference: &str) -> Result<Url, UrlError> {
        let (path, query) = split_path_and_query(reference);
        let merged;
        let (path, query) = if path.is_empty() {
            (self.path(), query.or(self.query()))
        } else if path.starts_with(['/', '\\']) {
            (path, query)
        } else {
            // Merge: keep this path up to its last '/', append the reference.
            // `write_path` then removes any dot segments the join created.
            let base = self.path();
            let directory = &base[..base.rfind('/').map_or(0, |slash| slash + 1)];
            merged = [directory, path].concat();
            (merged.as_str(), query)
        };
        let (username, password) = (self.username.clone(), self.password.clone());
        Ok(Url::assemble(self.scheme, self.host.clone(), self.port, username, password, path, query))
    }

    /// Writes the normalized text from checked parts and records the offsets.
    /// `path` and `query` are raw; encoding them again is harmless.
    fn assemble(
        scheme: Scheme,
        host: Host,
        port: u16,
        username: String,
        password: Option<String>,
        path: &str,
        query: Option<&str>,
    ) -> Url {
        let mut out = String::with_capacity(scheme.as_str().len() + 48 + path.len() + query.map_or(0, str::len));
        out.push_str(scheme.as_str());
        out.push_str("://");
        let bracket = usize::from(matches!(host, Host::Ipv6(_)));
        let host_start = out.len() + bracket;
        // Writing into a String cannot fail, so the fmt::Result is ignored.
        let _ = write!(out, "{host}");
        let host_end = out.len() - bracket;
        if port != scheme.default_port() {
            let _ = write!(out, ":{port}");
        }
        let path_start = out.len();
        write_path(&mut out, path);
        let query_start = query.map(|query| {
            let start = out.len();
            out.push('?');
            percent_encode(&mut out, query, is_query_escaped);
            start
        });
        Url {
            serialization: out,
            scheme,
            host,
            port,
            host_start,
            host_end,
            path_start,
            query_start,
            username,
            password,
        }
    }
}

impl fmt::Display for Url {
    /// The normalized URL, without user info or fragment.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.serialization)
    }
}

impl fmt::Debug for Url {
    /// The URL and user name; the password is redacted so logs never hold it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("Url");
        debug.field("url", &self.serialization);
        if !self.username.is_empty() || self.password.is_some() {
            debug.field("username", &self.username).field("password", &self.password.as_ref().map(|_| "<redacted>"));
        }
        debug.finish()
    }
}

impl FromStr for Url {
    type Err = UrlError;

    fn from_str(input: &str) -> Result<Url, UrlError> {
        Url::parse(input)
    }
}

/// Anything a request method accepts as its URL: strings are parsed, a
/// [`Url`] is taken as it is.
pub trait IntoUrl {
    /// Converts `self` into a [`Url`], parsing it if it is text.
    fn into_url(self) -> Result<Url, UrlError>;
}

impl IntoUrl for &str {
    fn into_url(self) -> Result<Url, UrlError> {
        Url::parse(self)
    }
}

impl IntoUrl for String {
    fn into_url(self) -> Result<Url, UrlError> {
        Url::parse(&self)
    }
}

impl IntoUrl for &String {
    fn into_url(self) -> Result<Url, UrlError> {
        Url::parse(self)
    }
}

impl IntoUrl for Url {
    fn into_url(self) -> Result<Url, UrlError> {
        Ok(self)
    }
}

impl IntoUrl for &Url {
    fn into_url(self) -> Result<Url, UrlError> {
        Ok(self.clone())
    }
}

/// Refuses any ASCII control character, before anything else looks at the input.
fn check_controls(input: &str) -> Result<(), UrlError> {
    match input.bytes().enumerate().find(|(_, byte)| byte.is_ascii_control()) {
        Some((position, byte)) => Err(UrlError::ControlCharacter { position, byte }),
        None => Ok(()),
    }
}

/// Splits `scheme:` off `input` if it starts with a valid RFC 3986 scheme:
/// a letter, then letters, digits, `+`, `-` or `.`.
fn split_scheme(input: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = input.split_once(':')?;
    let mut bytes = scheme.bytes();
    let valid = bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
    valid.then_some((scheme, rest))
}

/// Strips the `//` that starts an authority (either slash may be a backslash).
fn strip_slashes(input: &str) -> Option<&str> {
    let bytes = input.as_bytes();
    let is_slash = |i: usize| matches!(bytes.get(i), Some(b'/' | b'\\'));
    (is_slash(0) && is_slash(1)).then(|| &input[2..])
}

/// Splits what follows the authority into path and query, dropping the fragment.
fn split_path_and_query(rest: &str) -> (&str, Option<&str>) {
    let rest = rest.find('#').map_or(rest, |hash| &rest[..hash]);
    match rest.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (rest, None),
    }
}

/// Splits and percent-decodes `user:password`.
fn split_userinfo(userinfo: Option<&str>) -> Result<(String, Option<String>), UrlError> {
    let Some(userinfo) = userinfo else { return Ok((String::new(), None)) };
    let (username, password) = match userinfo.split_once(':') {
        Some((username, password)) => (username, Some(password)),
        None => (userinfo, None),
    };
    let decode = |part| percent_decode(part).ok_or(UrlError::InvalidUserinfo);
    Ok((decode(username)?, password.map(decode).transpose()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appended_query_pairs_are_form_encoded_and_keep_the_rest_of_the_url() {
        let mut url = Url::parse("http://user:secret@example.com/p").unwrap();
        url.append_query_pair("q", "a b&é");
        url.append_query_pair("page", "2");
        assert_eq!(url.as_str(), "http://example.com/p?q=a+b%26%C3%A9&page=2");
        assert_eq!(url.query(), Some("q=a+b%26%C3%A9&page=2"));
        assert_eq!((url.username(), url.password()), ("user", Some("secret")));
        assert_eq!(Url::parse(url.as_str()).unwrap().as_str(), url.as_str(), "still normalised");
        let mut with_query = Url::parse("http://example.com/?x=1").unwrap();
        with_query.append_query_pair("y", "");
        assert_eq!(with_query.path_and_query(), "/?x=1&y=");
    }

    fn parse(input: &str) -> Url {
        match Url::parse(input) {
            Ok(url) => url,
            Err(err) => panic!("{input:?} failed to parse: {err}"),
        }
    }

    #[test]
    fn parses_and_normalizes_valid_urls() {
        use Scheme::{Http, Https};
        // (input, scheme, host_str, port, path_and_query, Display)
        let cases = [
            ("http://example.com", Http, "example.com", 80, "/", "http://example.com/"),
            ("HTTPS://Example.COM/Path", Https, "example.com", 443, "/Path", "https://example.com/Path"),
            ("http://example.com:8080/a?b=c", Http, "example.com", 8080, "/a?b=c", "http://example.com:8080/a?b=c"),
            ("http://example.com:80/", Http, "example.com", 80, "/", "http://example.com/"),
            ("https://example.com:443/x", Https, "example.com", 443, "/x", "https://example.com/x"),
            ("https://example.com:80/x", Https, "example.com", 80, "/x", "https://example.com:80/x"),
            ("http://example.com:/x", Http, "example.com", 80, "/x", "http://example.com/x"),
            ("http://example.com:0080", Http, "example.com", 80, "/", "http://example.com/"),
            ("  http://example.com/  ", Http, "example.com", 80, "/", "http://example.com/"),
            // The fragment is never kept.
            ("http://h/a#frag", Http, "h", 80, "/a", "http://h/a"),
            ("http://h#f", Http, "h", 80, "/", "http://h/"),
            ("http://h/a?q=1#f?g", Http, "h", 80, "/a?q=1", "http://h/a?q=1"),
            ("http://h?q", Http, "h", 80, "/?q", "http://h/?q"),
            ("http://h/?", Http, "h", 80, "/?", "http://h/?"),
            ("http://h/a?b?c/../d", Http, "h", 80, "/a?b?c/../d", "http://h/a?b?c/../d"),
            ("http://h/a;p=1/b", Http, "h", 80, "/a;p=1/b", "http://h/a;p=1/b"),
            // Percent-encoding: spaces, quotes, brackets, non-ASCII, bad '%'.
            ("http://h/a b?c d", Http, "h", 80, "/a%20b?c%20d", "http://h/a%20b?c%20d"),
            ("http://h/ü?ü=€", Http, "h", 80, "/%C3%BC?%C3%BC=%E2%82%AC", "http://h/%C3%BC?%C3%BC=%E2%82%AC"),
            ("http://h/\"<>`{}'?\"<>'`{}", Http, "h", 80, "/%22%3C%3E%60%7B%7D'?%22%3C%3E%27`{}", ""),
            ("http://h/100%/%41%zz%4?x=%&y=%2f", Http, "h", 80, "/100%25/%41%25zz%254?x=%25&y=%2f", ""),
            ("http://h/a|b^c[d]", Http, "h", 80, "/a|b^c[d]", ""),
            // Dot segments, also percent-encoded ones.
            ("http://h/a/./b/../c", Http, "h", 80, "/a/c", "http://h/a/c"),
            ("http://h/a/b/..", Http, "h", 80, "/a/", ""),
            ("http://h/a/b/.", Http, "h", 80, "/a/b/", ""),
            ("http://h/../../x", Http, "h", 80, "/x", ""),
            ("http://h/a/%2e/b/%2E%2e/c/.%2E/d", Http, "h", 80, "/a/d", ""),
            ("http://h/a//b/", Http, "h", 80, "/a//b/", ""),
            ("http://h/.a/..b/...", Http, "h", 80, "/.a/..b/...", ""),
            // Backslash is '/' before the query, as in browsers.
            ("http://h\\a\\b?c\\d", Http, "h", 80, "/a/b?c\\d", "http://h/a/b?c\\d"),
            ("http://evil.example\\@good.example/", Http, "evil.example", 80, "/@good.example/", ""),
            ("http:\\\\h/", Http, "h", 80, "/", "http://h/"),
            // IP literals.
            ("http://127.0.0.1:3000/", Http, "127.0.0.1", 3000, "/", "http://127.0.0.1:3000/"),
            ("http://1.2.3.4./", Http, "1.2.3.4", 80, "/", "http://1.2.3.4/"),
            ("http://[::1]:8080/a?b", Http, "::1", 8080, "/a?b", "http://[::1]:8080/a?b"),
            ("https://[2001:DB8:0:0::1]/", Https, "2001:db8::1", 443, "/", "https://[2001:db8::1]/"),
            ("http://[::ffff:1.2.3.4]:/", Http, "::ffff:1.2.3.4", 80, "/", "http://[::ffff:1.2.3.4]/"),
            // Host names: lowercase, trailing dot kept, punycode for non-ASCII.
            ("http://Example.COM./", Http, "example.com.", 80, "/", "http://example.com./"),
            ("http://Bücher.DE/", Http, "xn--bcher-kva.de", 80, "/", "http://xn--bcher-kva.de/"),
            ("https://例え.テスト/", Https, "xn--r8jz45g.xn--zckzah", 443, "/", ""),
            ("https://例え。テスト/", Https, "xn--r8jz45g.xn--zckzah", 443, "/", ""),
            ("http://MÜNCHEN.de:81", Http, "xn--mnchen-3ya.de", 81, "/", "http://xn--mnchen-3ya.de:81/"),
            ("http://xn--bcher-kva.de/", Http, "xn--bcher-kva.de", 80, "/", ""),
            ("http://a-b_c.example/", Http, "a-b_c.example", 80, "/", ""),
            ("http://0x7g.example/", Http, "0x7g.example", 80, "/", ""),
            // User info is kept aside, never in the text.
            ("http://user:pa%40ss@proxy:3128", Http, "proxy", 3128, "/", "http://proxy:3128/"),
            ("http://a@b:c@h/", Http, "h", 80, "/", "http://h/"),
        ];
        for (input, scheme, host, port, target, display) in cases {
            let url = parse(input);
            assert_eq!(url.scheme(), scheme, "scheme of {input:?}");
            assert_eq!(url.host_str(), host, "host of {input:?}");
            assert_eq!(url.port(), port, "port of {input:?}");
            assert_eq!(url.path_and_query(), target, "path_and_query of {input:?}");
            if !display.is_empty() {
                assert_eq!(url.to_string(), display, "Display of {input:?}");
            }
            // The normalized form parses back to the same URL, minus user info.
            assert_eq!(parse(url.as_str()), url.without_userinfo(), "reparse of {input:?}");
        }
    }

    #[test]
    fn splits_authority_path_and_query() {
        // (input, authority, path, query)
        let cases = [
            ("http://[::1]:8080/a?b", "[::1]:8080", "/a", Some("b")),
            ("http://h:80/a", "h", "/a", None),
            ("https://h:80/", "h:80", "/", None),
            ("http://h/?", "h", "/", Some("")),
            ("http://u:p@H:8/x?y#z", "h:8", "/x", Some("y")),
        ];
        for (input, authority, path, query) in cases {
            let url = parse(input);
            assert_eq!((url.authority(), url.path(), url.query()), (authority, path, query), "{input:?}");
        }
    }

    #[test]
    fn keeps_typed_hosts() {
        assert_eq!(parse("http://EX.com/").host(), &Host::Domain("ex.com".into()));
        assert_eq!(parse("http://[::1]/").host().to_string(), "[::1]");
        assert!(parse("https://h/").is_https() && !parse("http://h/").is_https());
    }

    #[test]
    fn decodes_user_info_and_hides_it_from_display_and_debug() {
        // (input, username, password)
        let cases = [
            ("http://user:pa%40ss@proxy:3128", "user", Some("pa@ss")),
            ("http://user@h/", "user", None),
            ("http://user:@h/", "user", Some("")),
            ("http://@h/", "", None),
            ("http://%C3%BC:a%3Ab@h/", "ü", Some("a:b")),
            ("http://a@b:c@h/", "a@b", Some("c")),
            ("http://h/", "", None),
        ];
        for (input, username, password) in cases {
            let url = parse(input);
            assert_eq!((url.username(), url.password()), (username, password), "{input:?}");
        }
        let url = parse("http://user:secret@h/");
        assert_eq!(url.to_string(), "http://h/");
        let debug = format!("{url:?}");
        assert!(!debug.contains("secret") && debug.contains("user") && debug.contains("<redacted>"), "{debug}");
        assert_eq!(format!("{:?}", parse("http://h/")), r#"Url { url: "http://h/" }"#);
    }

    #[test]
    fn refuses_control_characters_anywhere() {
        // (input, position, byte)
        let cases = [
            ("http://h/a\r\nHost: x", 10, b'\r'),
            ("http://h/a\nb", 10, b'\n'),
            ("http://h/\0", 9, 0),
            ("http://h/a\tb", 10, b'\t'),
            ("http://h/?q=\x7f", 12, 0x7f),
            ("http://h\n.example/", 8, b'\n'),
            ("\nhttp://h/", 0, b'\n'),
            ("http://h/#frag\r", 14, b'\r'),
            ("http://u:p\r@h/", 10, b'\r'),
        ];
        for (input, position, byte) in cases {
            assert_eq!(Url::parse(input), Err(UrlError::ControlCharacter { position, byte }), "{input:?}");
        }
    }

    #[test]
    fn rejects_invalid_urls_with_the_matching_error() {
        use UrlError::*;
        let long_label = format!("http://{}.com/", "a".repeat(64));
        let long_host = format!("http://{}a.com/", "abcdefghi.".repeat(25));
        let long_unicode_label = format!("http://{}.com/", "ü".repeat(60));
        // 25 characters, but far apart in code points: the encoding grows past 59 bytes.
        let spread: String = (0..25).filter_map(|i| char::from_u32(0x4E00 + i * 97)).collect();
        let long_punycode_label = format!("http://{spread}.com/");
        let cases: Vec<(&str, UrlError)> = vec![
            ("", MissingScheme),
            ("   ", MissingScheme),
            ("example.com/x", MissingScheme),
            ("localhost:8080/x", MissingScheme),
            ("://h/", MissingScheme),
            ("1http://h/", MissingScheme),
            ("ftp://example.com/", UnsupportedScheme("ftp".into())),
            ("FTP://example.com/", UnsupportedScheme("ftp".into())),
            ("javascript:alert(1)", UnsupportedScheme("javascript".into())),
            ("mailto:a@b.example", UnsupportedScheme("mailto".into())),
            ("http:example.com", MissingHost),
            ("http:/example.com", MissingHost),
            ("http://", MissingHost),
            ("http:///x", MissingHost),
            ("http://:80/", MissingHost),
            ("http://user@/", MissingHost),
            ("http://?q", MissingHost),
            ("http://h:65536/", InvalidPort("65536".into())),
            ("http://h:0/", InvalidPort("0".into())),
            ("http://h:+80/", InvalidPort("+80".into())),
            ("http://h:8o/", InvalidPort("8o".into())),
            ("http://h:1:2/", InvalidPort("1:2".into())),
            ("http://[::1]:99999/", InvalidPort("99999".into())),
            ("http://u:%FF@h/", InvalidUserinfo),
        ];
        for (input, expected) in cases {
            assert_eq!(Url::parse(input), Err(expected), "{input:?}");
        }

        // (input, reason fragment); the host in the error is as written.
        let hosts = [
            ("http://exa mple.com/", "not allowed"),
            ("http://exa%41mple.com/", "not allowed"),
            ("http://a^b/", "not allowed"),
            ("http://a|b/", "not allowed"),
            ("http://a<b/", "not allowed"),
            ("http://256.1.1.1/", "IPv4"),
            ("http://1.2.3/", "IPv4"),
            ("http://1.2.3.4.5/", "IPv4"),
            ("http://01.2.3.4/", "IPv4"),
            ("http://example.123/", "IPv4"),
            ("http://0x7f.1/", "IPv4"),
            ("http://a..b/", "empty label"),
            ("http://.a/", "empty label"),
            ("http://./", "empty label"),
            ("http://a.b../", "empty label"),
            (&long_label, "63 bytes"),
            (&long_unicode_label, "63 bytes"),
            (&long_punycode_label, "63 bytes"),
            (&long_host, "253 bytes"),
            ("http://[::1/", "no matching"),
            ("http://[::1]x/", "only a :port"),
            ("http://[fe80::1%25eth0]/", "IPv6"),
            ("http://[1.2.3.4]/", "IPv6"),
            ("http://[]/", "IPv6"),
            ("http://::1/", "brackets"),
            ("http://2001:db8::1/", "brackets"),
        ];
        for (input, reason) in hosts {
            match Url::parse(input) {
                Err(InvalidHost { reason: got, .. }) => assert!(got.contains(reason), "{input:?}: {got}"),
                other => panic!("{input:?}: expected InvalidHost, got {other:?}"),
            }
        }
    }

    #[test]
    fn error_messages_are_lowercase_and_say_what_to_do() {
        let cases = [
            ("ftp://h/", r#"unsupported URL scheme "ftp" (only http and https are supported)"#),
            ("example.com", r#"URL has no scheme (write it in full, like "http://example.com/")"#),
            ("http://h/\n", "URL contains control character 0x0a at byte 9 (percent-encode it as %0A)"),
            ("http://h:99999/", r#"invalid port "99999" in URL (expected a number from 1 to 65535)"#),
            ("http://a..b/", r#"invalid host "a..b" in URL: has an empty label (a leading dot or two dots in a row)"#),
            ("http:///", r#"URL has no host (expected "http://host/...")"#),
        ];
        for (input, message) in cases {
            assert_eq!(Url::parse(input).map_err(|err| err.to_string()), Err(message.to_owned()), "{input:?}");
        }
    }

    #[test]
    fn joins_rfc_3986_normal_examples() {
        let base = parse("http://a/b/c/d;p?q");
        // RFC 3986 section 5.4.1; fragments are dropped and an empty path is "/".
        let cases = [
            ("g", "http://a/b/c/g"),
            ("./g", "http://a/b/c/g"),
            ("g/", "http://a/b/c/g/"),
            ("/g", "http://a/g"),
            ("//g", "http://g/"),
            ("?y", "http://a/b/c/d;p?y"),
            ("g?y", "http://a/b/c/g?y"),
            ("#s", "http://a/b/c/d;p?q"),
            ("g#s", "http://a/b/c/g"),
            ("g?y#s", "http://a/b/c/g?y"),
            (";x", "http://a/b/c/;x"),
            ("g;x", "http://a/b/c/g;x"),
            ("g;x?y#s", "http://a/b/c/g;x?y"),
            ("", "http://a/b/c/d;p?q"),
            (".", "http://a/b/c/"),
            ("./", "http://a/b/c/"),
            ("..", "http://a/b/"),
            ("../", "http://a/b/"),
            ("../g", "http://a/b/g"),
            ("../..", "http://a/"),
            ("../../", "http://a/"),
            ("../../g", "http://a/g"),
        ];
        for (reference, expected) in cases {
            assert_eq!(base.join(reference).map(|url| url.to_string()), Ok(expected.to_owned()), "{reference:?}");
        }
        assert_eq!(base.join("g:h"), Err(UrlError::UnsupportedScheme("g".into())));
    }

    #[test]
    fn joins_rfc_3986_abnormal_examples() {
        let base = parse("http://a/b/c/d;p?q");
        // RFC 3986 section 5.4.2, with the backward-compatible reading of "http:g".
        let cases = [
            ("../../../g", "http://a/g"),
            ("../../../../g", "http://a/g"),
            ("/./g", "http://a/g"),
            ("/../g", "http://a/g"),
            ("g.", "http://a/b/c/g."),
            (".g", "http://a/b/c/.g"),
            ("g..", "http://a/b/c/g.."),
            ("..g", "http://a/b/c/..g"),
            ("./../g", "http://a/b/g"),
            ("./g/.", "http://a/b/c/g/"),
            ("g/./h", "http://a/b/c/g/h"),
            ("g/../h", "http://a/b/c/h"),
            ("g;x=1/./y", "http://a/b/c/g;x=1/y"),
            ("g;x=1/../y", "http://a/b/c/y"),
            ("g?y/./x", "http://a/b/c/g?y/./x"),
            ("g?y/../x", "http://a/b/c/g?y/../x"),
            ("g#s/./x", "http://a/b/c/g"),
            ("g#s/../x", "http://a/b/c/g"),
            ("http:g", "http://a/b/c/g"),
        ];
        for (reference, expected) in cases {
            assert_eq!(base.join(reference).map(|url| url.to_string()), Ok(expected.to_owned()), "{reference:?}");
        }
    }

    #[test]
    fn joins_redirect_locations() {
        let base = parse("https://user:pw@example.com:8443/dir/page?x=1");
        // (Location, result, keeps user info)
        let cases = [
            ("http://other.example/x", "http://other.example/x", false),
            ("HTTPS://Example.com:8443/y", "https://example.com:8443/y", false),
            ("//[::1]:9000/p", "https://[::1]:9000/p", false),
            ("/new path?a b", "https://example.com:8443/new%20path?a%20b", true),
            ("next", "https://example.com:8443/dir/next", true),
            ("  ../up  ", "https://example.com:8443/up", true),
            ("\\\\other.example\\x", "https://other.example/x", false),
            ("?y=ü", "https://example.com:8443/dir/page?y=%C3%BC", true),
        ];
        for (location, expected, keeps_userinfo) in cases {
            let url = match base.join(location) {
                Ok(url) => url,
                Err(err) => panic!("{location:?}: {err}"),
            };
            assert_eq!(url.as_str(), expected, "{location:?}");
            assert_eq!(url.password() == Some("pw"), keeps_userinfo, "{location:?}");
        }
        let errors = [
            ("ftp://example.com/file", UrlError::UnsupportedScheme("ftp".into())),
            ("javascript:alert(1)", UrlError::UnsupportedScheme("javascript".into())),
            ("mailto:someone@example.com", UrlError::UnsupportedScheme("mailto".into())),
            ("http:relative", UrlError::MissingHost),
            ("/a\r\nSet-Cookie: x", UrlError::ControlCharacter { position: 2, byte: b'\r' }),
            ("//bad host/", UrlError::InvalidHost { host: "bad host".into(), reason: "" }),
        ];
        for (location, expected) in errors {
            match (base.join(location), expected) {
                (Err(UrlError::InvalidHost { host, .. }), UrlError::InvalidHost { host: want, .. }) => {
                    assert_eq!(host, want, "{location:?}")
                }
                (got, expected) => assert_eq!(got, Err(expected), "{location:?}"),
            }
        }
    }

    #[test]
    fn compares_origins_by_scheme_host_and_port() {
        // (a, b, same origin)
        let cases = [
            ("http://Example.com/a", "http://example.com:80/b?c", true),
            ("http://u:p@h/", "http://h/", true),
            ("http://h/", "https://h/", false),
            ("http://h/", "http://h:8080/", false),
            ("http://h/", "http://g/", false),
            ("https://[::1]/", "https://[0:0::1]:443/x", true),
            ("http://127.0.0.1/", "http://localhost/", false),
        ];
        for (a, b, same) in cases {
            assert_eq!(parse(a).origin_eq(&parse(b)), same, "{a:?} vs {b:?}");
        }
    }

    #[test]
    fn converts_every_into_url_input() {
        let url = parse("http://h/p");
        let text = String::from("http://h/p");
        assert_eq!("http://h/p".into_url(), Ok(url.clone()));
        assert_eq!((&text).into_url(), Ok(url.clone()));
        assert_eq!(text.into_url(), Ok(url.clone()));
        assert_eq!((&url).into_url(), Ok(url.clone()));
        assert_eq!("http://h/p".parse::<Url>(), Ok(url.clone()));
        assert_eq!(url.clone().into_url(), Ok(url));
        assert_eq!("ftp://h".into_url(), Err(UrlError::UnsupportedScheme("ftp".into())));
    }
}
