//! The redirect rules: whether a response is a redirect to follow, where it
//! leads, and how the next request differs from the last (RFC 9110 15.4).
//!
//! In the path of a request this runs between hops of
//! `Session::follow_redirects`. It is pure: statuses, methods, headers and
//! URLs in, the next request out, so the rules are table-tested here.

use std::fmt;

use crate::http::proto::headers::Headers;
use crate::http::proto::url::{Url, UrlError};

/// Headers meant for one origin (credentials, and a `Host` set by hand):
/// dropped, from the request and from the session's defaults, once a
/// redirect leads to another scheme, host or port.
pub(crate) const ORIGIN_BOUND_HEADERS: [&str; 4] = ["authorization", "cookie", "proxy-authorization", "host"];

/// The parts of a request that a redirect may change.
#[derive(Debug, PartialEq)]
pub(crate) struct Hop {
    /// Checked to be a token when the request was prepared.
    pub(crate) method: String,
    pub(crate) url: Url,
    /// The request's own headers.
    pub(crate) headers: Headers,
    pub(crate) body: Option<Vec<u8>>,
    /// Set once a redirect left the first request's origin; it stays set,
    /// so a redirect back does not bring the credentials back either.
    pub(crate) left_origin: bool,
}

/// The `Location` of a response with `status` that should be followed, or
/// `None` if it is not a redirect (or following is off: `max_redirects` 0).
///
/// # Errors
/// [`ConflictingLocations`] when the response carries two `Location` fields
/// that differ: which one the server meant is a guess, and a guess is how
/// a response splitter steers a client, so it is refused as conflicting
/// Content-Lengths are. Identical copies are one location, as Chrome and
/// Firefox treat them (curl silently follows the first).
pub(crate) fn location_to_follow(
    status: u16,
    headers: &Headers,
    max_redirects: usize,
) -> Result<Option<&str>, ConflictingLocations> {
    let is_redirect = matches!(status, 301 | 302 | 303 | 307 | 308);
    if !is_redirect || max_redirects == 0 {
        return Ok(None);
    }
    let mut locations = headers.get_all("location");
    let Some(first) = locations.next() else { return Ok(None) };
    match locations.find(|other| *other != first) {
        Some(other) => Err(ConflictingLocations { first: first.to_owned(), other: other.to_owned() }),
        None => Ok(Some(first)),
    }
}

/// A redirect with two different `Location` fields, as a pure value; the
/// session turns it into `ProtocolError::ConflictingLocation`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ConflictingLocations {
    /// The first `Location` received.
    pub(crate) first: String,
    /// A later one that differs from it.
    pub(crate) other: String,
}

/// A `Location` the client will not follow. A pure value, so that the rules
/// need no client type; the session turns it into
/// `Error::RedirectRefused` with the same two fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RefusedRedirect {
    /// The `Location` header as received.
    pub(crate) location: String,
    /// Why it was refused, as a lowercase phrase.
    pub(crate) reason: String,
}

impl fmt::Display for RefusedRedirect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "refusing redirect to {:?}: {}", self.location, self.reason)
    }
}

impl std::error::Error for RefusedRedirect {}

/// Resolves `location` against the URL that answered; only http(s) targets
/// are followed.
///
/// # Errors
/// A [`RefusedRedirect`] for another scheme or an unparseable location.
pub(crate) fn resolve(from: &Url, location: &str) -> Result<Url, RefusedRedirect> {
    from.join(location).map_err(|error| RefusedRedirect {
        reason: match error {
            UrlError::UnsupportedScheme(_) => "only http and https redirects are followed".to_owned(),
            other => other.to_string(),
        },
        location: location.to_owned(),
    })
}

/// True if a `status` redirect of a `method` request repeats its body: 303
/// means "GET the other resource" (HEAD stays HEAD); 301 and 302 turn POST
/// into GET, as every browser does; 307 and 308 repeat the request
/// exactly, body included.
pub(crate) fn keeps_body(status: u16, method: &str) -> bool {
    match status {
        303 => method == "HEAD",
        301 | 302 => method != "POST",
        _ => true,
    }
}

/// Turns the request that got a `status` redirect into the request for
/// `next`.
pub(crate) fn next_hop(status: u16, mut hop: Hop, next: Url) -> Hop {
    if !keeps_body(status, &hop.method) {
        hop.method = "GET".to_owned();
        hop.body = None;
        hop.headers.remove("content-type");
    }
    // Credentials meant for one origin must not leak to another.
    if !hop.url.origin_eq(&next) {
        hop.left_origin = true;
        for name in ORIGIN_BOUND_HEADERS {
            hop.headers.remove(name);
        }
    }
    hop.url = next;
    hop
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hop(method: &str, url: &str) -> Hop {
        let mut headers = Headers::new();
        headers.append("Authorization", "Bearer t");
        headers.append("Cookie", "a=1");
        headers.append("Proxy-Authorization", "Basic x");
        headers.append("Content-Type", "text/plain");
        headers.append("Host", "example.com");
        headers.append("X-Keep", "yes");
        let url = Url::parse(url).unwrap();
        Hop { method: method.to_owned(), url, headers, body: Some(b"data".to_vec()), left_origin: false }
    }

    #[test]
    fn methods_and_bodies_follow_rfc_9110_per_status() {
        // (status, method before, method after, body kept)
        let table = [
            (301, "POST", "GET", false),
            (302, "POST", "GET", false),
            (301, "PUT", "PUT", true),
            (302, "DELETE", "DELETE", true),
            (303, "POST", "GET", false),
            (303, "PUT", "GET", false),
            (303, "HEAD", "HEAD", true),
            (303, "GET", "GET", false),
            (307, "POST", "POST", true),
            (308, "PUT", "PUT", true),
        ];
        for (status, before, after, body_kept) in table {
            let next = Url::parse("http://example.com/next").unwrap();
            let hop = next_hop(status, hop(before, "http://example.com/"), next);
            assert_eq!(hop.method, after, "{status} {before}");
            assert_eq!(hop.body.is_some(), body_kept, "{status} {before}");
            assert_eq!(hop.headers.contains("content-type"), body_kept, "{status} {before}");
        }
    }

    #[test]
    fn credentials_are_dropped_exactly_when_the_origin_changes() {
        for (next, kept) in [
            ("http://example.com/other", true),
            ("http://example.com:80/x", true),
            ("https://example.com/", false),
            ("http://example.com:8080/", false),
            ("http://www.example.com/", false),
        ] {
            let hop = next_hop(307, hop("GET", "http://example.com/"), Url::parse(next).unwrap());
            for name in ORIGIN_BOUND_HEADERS {
                assert_eq!(hop.headers.contains(name), kept, "{name} to {next}");
            }
            assert_eq!(hop.left_origin, !kept, "{next}");
            assert!(hop.headers.contains("x-keep"));
            assert_eq!(hop.url.as_str(), Url::parse(next).unwrap().as_str());
        }
    }

    #[test]
    fn leaving_the_origin_is_remembered_even_when_a_later_redirect_comes_back() {
        let away = next_hop(302, hop("GET", "http://example.com/"), Url::parse("http://other.example/").unwrap());
        let back = next_hop(302, away, Url::parse("http://example.com/again").unwrap());
        assert!(back.left_origin);
        assert!(!back.headers.contains("authorization"));
    }

    #[test]
    fn only_redirect_statuses_with_a_location_are_followed() {
        let mut headers = Headers::new();
        headers.append("Location", "/next");
        for status in [301, 302, 303, 307, 308] {
            assert_eq!(location_to_follow(status, &headers, 10), Ok(Some("/next")));
            assert_eq!(location_to_follow(status, &headers, 0), Ok(None), "following is off");
            assert_eq!(location_to_follow(status, &Headers::new(), 10), Ok(None), "no Location");
        }
        for status in [200, 300, 304, 305, 306, 404] {
            assert_eq!(location_to_follow(status, &headers, 10), Ok(None), "{status}");
        }
    }

    #[test]
    fn two_different_locations_are_refused_and_identical_copies_are_one() {
        let with = |values: &[&str]| values.iter().map(|value| ("Location", *value)).collect::<Headers>();
        let conflict =
            |first: &str, other: &str| Err(ConflictingLocations { first: first.to_owned(), other: other.to_owned() });
        assert_eq!(location_to_follow(302, &with(&["/a", "/a"]), 10), Ok(Some("/a")));
        assert_eq!(location_to_follow(302, &with(&["/a", "/b"]), 10), conflict("/a", "/b"));
        assert_eq!(location_to_follow(301, &with(&["/a", "/a", "/c"]), 10), conflict("/a", "/c"));
        // Not a redirect the client follows: the fields are the caller's to read.
        assert_eq!(location_to_follow(200, &with(&["/a", "/b"]), 10), Ok(None));
        assert_eq!(location_to_follow(302, &with(&["/a", "/b"]), 0), Ok(None));
    }

    #[test]
    fn locations_resolve_relative_to_the_response_url_and_other_schemes_are_refused() {
        let from = Url::parse("http://example.com/a/b?q=1").unwrap();
        assert_eq!(resolve(&from, "../c?x=1").unwrap().as_str(), "http://example.com/c?x=1");
        assert_eq!(resolve(&from, "//other.example/").unwrap().as_str(), "http://other.example/");
        assert_eq!(resolve(&from, "https://secure.example/p").unwrap().as_str(), "https://secure.example/p");
        for location in ["ftp://example.com/file", "javascript:alert(1)", "mailto:a@example.com"] {
            let error = resolve(&from, location).unwrap_err();
            assert!(matches!(error, RefusedRedirect { .. }), "{location}: {error:?}");
            assert!(error.to_string().contains("only http and https"), "{error}");
        }
    }
}
