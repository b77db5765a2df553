//! The host and port of a URL: where a request connects, checked once.
//!
//! [`Url::parse`](super::url::Url::parse) hands this file the authority
//! without its user info (`host`, `host:port`, `[v6]:port`). It decides what
//! kind of host it is, refuses anything DNS or a socket address could read
//! differently from us, and returns a [`Host`] that the connector can resolve
//! and the TLS layer can name in SNI without further checks.
//!
//! - A bracketed literal is IPv6, parsed by std (zone ids like `%eth0` fail).
//! - A name whose last label is a number is meant as IPv4 and must be the
//!   plain four-part decimal form: `1.2.3`, `256.1.1.1` and `0x7f.1` are
//!   errors, never names a resolver might read as addresses.
//! - Anything else is a DNS name, run through the WHATWG URL standard's
//!   "domain to ASCII" by the `idna` crate: the UTS #46 mapping (case and
//!   width folding, compatibility characters such as `ﬁ` or `①`, NFC, the
//!   alternative full stops `。` `．` `｡`, code points that are removed or
//!   disallowed), the checks on joiners and right-to-left labels, and
//!   `xn--` Punycode for each label that is not ASCII. So `ＥＸＡＭＰＬＥ.com`
//!   is `example.com`, as in a browser. The result is then held to DNS
//!   limits (63-byte labels, 253-byte names).

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use idna::AsciiDenyList;

use super::url::{Scheme, UrlError};

/// The host of a URL, after checking: a DNS name or an IP address literal.
///
/// `Display` writes it as it appears in a URL, so IPv6 gets its brackets.
///
/// ```
/// use corio::http::{Host, Url};
/// let url = Url::parse("http://[::1]:8080/")?;
/// assert_eq!(url.host(), &Host::Ipv6(std::net::Ipv6Addr::LOCALHOST));
/// assert_eq!(url.host().to_string(), "[::1]");
/// # Ok::<(), corio::http::UrlError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Host {
    /// A DNS name: lowercase ASCII, non-ASCII labels already `xn--` encoded,
    /// a trailing dot kept if it was given.
    Domain(String),
    /// An IPv4 literal such as `127.0.0.1` (four decimal parts, nothing else).
    Ipv4(Ipv4Addr),
    /// An IPv6 literal, written in brackets in the URL.
    Ipv6(Ipv6Addr),
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Domain(name) => f.write_str(name),
            Host::Ipv4(addr) => write!(f, "{addr}"),
            Host::Ipv6(addr) => write!(f, "[{addr}]"),
        }
    }
}

/// Parses `host`, `host:port`, `[v6]` or `[v6]:port`; an empty port means the default.
pub(crate) fn parse_host_and_port(input: &str, scheme: Scheme) -> Result<(Host, u16), UrlError> {
    let invalid = |reason| UrlError::InvalidHost { host: input.to_owned(), reason };
    let (host, port) = if input.starts_with('[') {
        let close = input.find(']').ok_or_else(|| invalid("'[' has no matching ']'"))?;
        let port = match &input[close + 1..] {
            "" => None,
            after => Some(after.strip_prefix(':').ok_or_else(|| invalid("only a :port may follow ']'"))?),
        };
        (&input[..=close], port)
    } else if input.parse::<Ipv6Addr>().is_ok() {
        return Err(invalid("an IPv6 address must be written in brackets, like [::1]"));
    } else {
        match input.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (input, None),
        }
    };
    let port = match port {
        None | Some("") => scheme.default_port(),
        Some(port) => parse_port(port)?,
    };
    Ok((parse_host(host)?, port))
}

/// Parses a port: decimal digits only (no sign), from 1 to 65535.
fn parse_port(port: &str) -> Result<u16, UrlError> {
    let digits = port.bytes().all(|b| b.is_ascii_digit());
    match port.parse::<u16>() {
        Ok(number) if digits && number != 0 => Ok(number),
        _ => Err(UrlError::InvalidPort(port.to_owned())),
    }
}

/// Parses a host: a bracketed IPv6 literal, an IPv4 literal, or a DNS name.
fn parse_host(input: &str) -> Result<Host, UrlError> {
    let invalid = |reason| UrlError::InvalidHost { host: input.to_owned(), reason };
    if input.is_empty() {
        return Err(UrlError::MissingHost);
    }
    if let Some(inner) = input.strip_prefix('[').and_then(|rest| rest.strip_suffix(']')) {
        // std's parser takes exactly RFC 4291 text; a zone id (`%eth0`) fails.
        return inner.parse().map(Host::Ipv6).map_err(|_| invalid("is not a valid IPv6 address"));
    }
    if input.chars().any(is_forbidden_in_host) {
        return Err(invalid(r"contains a character not allowed in a host name (space # % / : < > ? @ [ \ ] ^ |)"));
    }
    // Mapping may drop characters, so the longest input that can still be
    // a host is not 253 bytes; four times that bounds the work Punycode
    // (quadratic in a label's length) can be made to do by a Location.
    if input.len() > 4 * 253 {
        return Err(invalid("is longer than 253 bytes"));
    }
    let name = idna::domain_to_ascii_cow(input.as_bytes(), AsciiDenyList::URL).map_err(|_| {
        invalid("is not a valid internationalised domain name (UTS #46 disallows a character, or a label breaks the rules for joiners, right-to-left text or xn-- Punycode)")
    })?;

    // A name whose last label is a number is meant as an IPv4 address, and
    // resolvers would read `127.1` or `0x7f.1` as one; only the plain
    // four-part decimal form is accepted, so nothing is read two ways.
    let bare = name.strip_suffix('.').unwrap_or(&name);
    if bare.rsplit('.').next().is_some_and(is_numeric_label) {
        return bare
            .parse()
            .map(Host::Ipv4)
            .map_err(|_| invalid("is not an IPv4 address (four numbers from 0 to 255)"));
    }
    if bare.len() > 253 {
        return Err(invalid("is longer than 253 bytes"));
    }
    for label in bare.split('.') {
        if label.is_empty() {
            return Err(invalid("has an empty label (a leading dot or two dots in a row)"));
        }
        if label.len() > 63 {
            return Err(invalid(LONG_LABEL));
        }
    }
    Ok(Host::Domain(name.into_owned()))
}

/// The reason given for a label DNS cannot carry.
const LONG_LABEL: &str = "has a label longer than 63 bytes (after punycode encoding)";

/// The WHATWG forbidden host code points, plus controls.
fn is_forbidden_in_host(c: char) -> bool {
    c.is_ascii_control()
        || matches!(c, ' ' | '#' | '%' | '/' | ':' | '<' | '>' | '?' | '@' | '[' | '\\' | ']' | '^' | '|')
}

/// True for a decimal number or a `0x` hex number: a label no TLD can be.
fn is_numeric_label(label: &str) -> bool {
    let hex = label.strip_prefix("0x").or_else(|| label.strip_prefix("0X"));
    match hex {
        Some(digits) => digits.bytes().all(|b| b.is_ascii_hexdigit()),
        None => !label.is_empty() && label.bytes().all(|b| b.is_ascii_digit()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_kind_of_host_and_the_port() {
        use Scheme::{Http, Https};
        // (authority without user info, scheme, host, port)
        let cases = [
            ("Example.COM", Http, Host::Domain("example.com".into()), 80),
            ("example.com.:8080", Https, Host::Domain("example.com.".into()), 8080),
            ("example.com:", Https, Host::Domain("example.com".into()), 443),
            ("10.0.0.1", Http, Host::Ipv4(Ipv4Addr::new(10, 0, 0, 1)), 80),
            ("[::1]:8080", Http, Host::Ipv6(Ipv6Addr::LOCALHOST), 8080),
            ("[::1]:", Https, Host::Ipv6(Ipv6Addr::LOCALHOST), 443),
            ("Bücher.de", Http, Host::Domain("xn--bcher-kva.de".into()), 80),
            ("ÉCOLE.fr", Http, Host::Domain("xn--cole-9oa.fr".into()), 80),
            ("例え．テスト｡jp", Http, Host::Domain("xn--r8jz45g.xn--zckzah.jp".into()), 80),
        ];
        for (input, scheme, host, port) in cases {
            assert_eq!(parse_host_and_port(input, scheme), Ok((host, port)), "{input:?}");
        }
        assert_eq!(Host::Ipv6(Ipv6Addr::LOCALHOST).to_string(), "[::1]");
        assert_eq!(Host::Ipv4(Ipv4Addr::LOCALHOST).to_string(), "127.0.0.1");
    }

    /// The host `input` maps to, or the error's reason.
    fn mapped(input: &str) -> Result<String, String> {
        match parse_host_and_port(input, Scheme::Http) {
            Ok((host, _)) => Ok(host.to_string()),
            Err(UrlError::InvalidHost { reason, .. }) => Err(reason.to_owned()),
            Err(other) => Err(other.to_string()),
        }
    }

    #[test]
    fn names_map_as_uts_46_says() {
        // Widths, compatibility characters and case fold to what DNS holds.
        let cases = [
            ("ＥＸＡＭＰＬＥ.com", "example.com"),
            ("ｗｗｗ．ｄｏｕｂａｎ．ｃｏｍ", "www.douban.com"),
            ("ﬁnance.example", "finance.example"),
            ("①.example", "1.example"),
            ("Ⅻ.example", "xii.example"),
            ("ma\u{00AD}il.example", "mail.example"),
            ("１２７．０．０．１", "127.0.0.1"),
        ];
        for (input, expected) in cases {
            assert_eq!(mapped(input).as_deref(), Ok(expected), "{input:?}");
        }
    }

    #[test]
    fn names_follow_the_idna_conformance_table() {
        // Lines of Unicode's IdnaTestV2.txt (UTS #46 version 16.0.0): the
        // source and its toAsciiN (nontransitional, as WHATWG URLs use).
        let table = [
            ("fass.de", "fass.de"),
            ("faß.de", "xn--fa-hia.de"),
            ("FAẞ.DE", "xn--fa-hia.de"),
            ("xn--fa-hia.de", "xn--fa-hia.de"),
            ("www.eXample.cOm", "www.example.com"),
            ("Bu\u{0308}cher.de", "xn--bcher-kva.de"),
            ("BÜCHER.DE", "xn--bcher-kva.de"),
            ("O\u{0308}BB", "xn--bb-eka"),
            ("ΒΌΛΟΣ.COM", "xn--nxasmq6b.com"),
            ("βόλος.com", "xn--nxasmm1c.com"),
            ("a\u{094D}\u{200C}b", "xn--ab-fsf604u"),
            ("¡", "xn--7a"),
            ("ꭠ", "xn--3y9a"),
            ("≠", "xn--1ch"),
        ];
        for (source, ascii) in table {
            assert_eq!(mapped(source).as_deref(), Ok(ascii), "{source:?}");
        }
        // Lines whose toAsciiN has an error status: a joiner out of
        // context (C1), a label starting with a combining mark in a
        // right-to-left name (B1, V6), Punycode that decodes to a
        // disallowed label.
        for source in ["a\u{200C}b", "\u{0308}.\u{05D0}", "xn--a.example"] {
            let reason = mapped(source).unwrap_err();
            assert!(reason.contains("not a valid internationalised domain name"), "{source:?}: {reason}");
        }
    }

    #[test]
    fn reports_the_host_as_written_and_why_it_is_invalid() {
        let err = parse_host_and_port("Exa mple.com:80", Scheme::Http);
        let reason = r"contains a character not allowed in a host name (space # % / : < > ? @ [ \ ] ^ |)";
        assert_eq!(err, Err(UrlError::InvalidHost { host: "Exa mple.com".into(), reason }));
        assert_eq!(
            parse_host_and_port("256.1.1.1", Scheme::Http).map_err(|err| err.to_string()),
            Err(r#"invalid host "256.1.1.1" in URL: is not an IPv4 address (four numbers from 0 to 255)"#.into())
        );
    }
}
