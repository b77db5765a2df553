//! [`Headers`]: the ordered multimap of header fields carried by a request or
//! a response.
//!
//! On the way out, the user fills a `Headers` for a request; the request
//! builder checks every field with [`check_name`] and [`check_value`] before a single
//! byte reaches the socket, so a stray CR or LF can never smuggle a second
//! header or a second request onto the wire. On the way back, the head reader
//! (`head.rs`) builds a `Headers` from the parsed response, decoding each raw
//! value with [`decode_value`].
//!
//! The storage is a list in arrival order, not a hash map: a response rarely
//! carries more than a few dozen fields, a linear scan over them beats
//! hashing, and HTTP needs what a map would lose - the order of fields and
//! repeated names (`Set-Cookie`). All names and values share one string, so a
//! whole response head costs two allocations however many fields it has.
//! Names keep the spelling they were given; every lookup compares them
//! ASCII-case-insensitively, as RFC 9110 section 5.1 says field names are.

use std::error::Error;
use std::fmt;
use std::ops::Range;

/// An ordered list of header fields; lookups ignore ASCII case in names.
///
/// ```
/// use corio::http::Headers;
///
/// let mut headers = Headers::new();
/// headers.append("Set-Cookie", "a=1");
/// headers.append("set-cookie", "b=2");
/// headers.insert("Content-Type", "text/plain");
/// assert_eq!(headers.get("SET-COOKIE"), Some("a=1"));
/// assert_eq!(headers.get_all("set-cookie").collect::<Vec<_>>(), ["a=1", "b=2"]);
/// assert_eq!(headers.len(), 3);
/// ```
#[derive(Clone, Default)]
pub struct Headers {
    /// Every name and value, back to back, so a whole response head costs
    /// two allocations (this and `fields`) rather than two per field. Text
    /// of replaced or removed fields stays until the list is dropped: a
    /// head is small and short-lived.
    text: String,
    /// Each field, in the order added or received, as the ranges of its
    /// name and value in `text`.
    fields: Vec<(Range<usize>, Range<usize>)>,
}

impl Headers {
    /// An empty list; allocates nothing until the first field is added.
    pub fn new() -> Headers {
        Headers { text: String::new(), fields: Vec::new() }
    }

    /// An empty list with room for `n` fields before it reallocates.
    pub fn with_capacity(n: usize) -> Headers {
        // About 32 bytes of name and value per field is typical.
        Headers { text: String::with_capacity(n * 32), fields: Vec::with_capacity(n) }
    }

    /// An empty list with room for `fields` fields whose names and values
    /// add up to `text` bytes (non-UTF-8 values may need a little more).
    pub(crate) fn with_text_capacity(fields: usize, text: usize) -> Headers {
        Headers { text: String::with_capacity(text), fields: Vec::with_capacity(fields) }
    }

    /// The value of the first field called `name` (any ASCII case), if any.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.get_all(name).next()
    }

    /// The values of every field called `name`, in order.
    pub fn get_all(&self, name: &str) -> impl Iterator<Item = &str> {
        self.iter().filter(move |(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v)
    }

    /// True if at least one field is called `name`.
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Sets `name` to exactly one `value`: the first field with that name takes
    /// the new name spelling and value in place, later ones are removed; if there
    /// was none, the field is appended. Nothing is validated here: the
    /// client checks names and values when a request is sent.
    ///
    /// ```
    /// let mut headers: corio::http::Headers = [("Accept", "a"), ("Host", "h"), ("accept", "b")].into_iter().collect();
    /// headers.insert("ACCEPT", "c");
    /// assert_eq!(headers.iter().collect::<Vec<_>>(), [("ACCEPT", "c"), ("Host", "h")]);
    /// ```
    pub fn insert(&mut self, name: impl AsRef<str>, value: impl AsRef<str>) {
        let (name, value) = (name.as_ref(), value.as_ref());
        let Some(first) = self.iter().position(|(n, _)| n.eq_ignore_ascii_case(name)) else {
            self.append(name, value);
            return;
        };
        // One pass over the tail drops the later duplicates; `retain` keeps the
        // order of what stays and moves each survivor at most once, so this is
        // O(n) however many duplicates there were.
        let text = &self.text;
        let mut index = 0;
        self.fields.retain(|(n, _)| {
            let keep = index <= first || !text[n.clone()].eq_ignore_ascii_case(name);
            index += 1;
            keep
        });
        self.fields[first] = self.push_text(name, value);
    }

    /// Adds a field at the end, keeping any existing fields with the same name.
    pub fn append(&mut self, name: impl AsRef<str>, value: impl AsRef<str>) {
        let field = self.push_text(name.as_ref(), value.as_ref());
        self.fields.push(field);
    }

    /// Adds a received field whose value is raw bytes: decoded as
    /// [`decode_value`] does, with the CR and LF of an obsolete line folding
    /// turned into spaces, straight into the shared text.
    pub(crate) fn append_received(&mut self, name: &str, raw_value: &[u8]) {
        let name_start = self.text.len();
        self.text.push_str(name);
        let value_start = self.text.len();
        let unfold = |byte: u8| if byte == b'\r' || byte == b'\n' { b' ' } else { byte };
        match std::str::from_utf8(raw_value) {
            Ok(value) if !value.contains(['\r', '\n']) => self.text.push_str(value),
            Ok(value) => self.text.extend(value.chars().map(|c| if c == '\r' || c == '\n' { ' ' } else { c })),
            // Not UTF-8: Latin-1, one char per byte.
            Err(_) => self.text.extend(raw_value.iter().map(|&byte| char::from(unfold(byte)))),
        }
        self.fields.push((name_start..value_start, value_start..self.text.len()));
    }

    /// Removes every field called `name`; true if there was at least one.
    pub fn remove(&mut self, name: &str) -> bool {
        let before = self.fields.len();
        let text = &self.text;
        self.fields.retain(|(n, _)| !text[n.clone()].eq_ignore_ascii_case(name));
        self.fields.len() != before
    }

    /// Every field as `(name, value)`, in order, names spelled as given.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.fields.iter().map(|(name, value)| (&self.text[name.clone()], &self.text[value.clone()]))
    }

    /// The number of fields, counting repeated names separately.
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// True if there are no fields.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// True if any field called `name` lists `token` among its comma-separated
    /// members (ASCII case ignored, spaces and tabs around members trimmed), as
    /// in `Connection: keep-alive, close`.
    ///
    /// ```
    /// let headers: corio::http::Headers = [("Connection", "keep-alive, Close")].into_iter().collect();
    /// assert!(headers.has_token("connection", "close"));
    /// assert!(!headers.has_token("connection", "upgrade"));
    /// ```
    pub fn has_token(&self, name: &str, token: &str) -> bool {
        self.get_all(name).flat_map(|value| value.split(',')).any(|member| trim_ows(member).eq_ignore_ascii_case(token))
    }

    /// Appends `name` and `value` to the shared text; returns their ranges.
    fn push_text(&mut self, name: &str, value: &str) -> (Range<usize>, Range<usize>) {
        let name_start = self.text.len();
        self.text.push_str(name);
        let value_start = self.text.len();
        self.text.push_str(value);
        (name_start..value_start, value_start..self.text.len())
    }
}

/// Trims optional whitespace (RFC 9110 `OWS`: spaces and horizontal tabs) from
/// both ends of a list member.
pub(crate) fn trim_ows(s: &str) -> &str {
    s.trim_matches([' ', '\t'])
}

/// Equal when both hold the same fields in the same order, names compared
/// ignoring ASCII case and values exactly; so `Host: a` equals `host: a`.
impl PartialEq for Headers {
    fn eq(&self, other: &Headers) -> bool {
        self.len() == other.len()
            && self.iter().zip(other.iter()).all(|((n1, v1), (n2, v2))| n1.eq_ignore_ascii_case(n2) && v1 == v2)
    }
}

impl Eq for Headers {}

/// Shows the fields as a map-like list, `{"Host": "a", "Accept": "b"}`.
impl fmt::Debug for Headers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<K: AsRef<str>, V: AsRef<str>> Extend<(K, V)> for Headers {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, iter: I) {
        // `append`, not `insert`: extending adds fields, it never replaces them.
        for (name, value) in iter {
            self.append(name, value);
        }
    }
}

impl<K: AsRef<str>, V: AsRef<str>> FromIterator<(K, V)> for Headers {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Headers {
        let mut headers = Headers::new();
        headers.extend(iter);
        headers
    }
}

/// Turns a raw received field value into text: valid UTF-8 is taken as is,
/// anything else is read as Latin-1 (each byte becomes U+0000..U+00FF), which
/// is lossless and is what HTTP/1.1 historically specified and what Python's
/// `http.client` does. Allocates exactly once, sized for the result.
pub(crate) fn decode_value(raw: &[u8]) -> String {
    if let Ok(text) = std::str::from_utf8(raw) {
        return text.to_owned();
    }
    // A byte at or above 0x80 becomes a two-byte UTF-8 sequence, so counting
    // them first gives the exact capacity and the pushes never reallocate.
    let wide = raw.iter().filter(|b| !b.is_ascii()).count();
    let mut text = String::with_capacity(raw.len() + wide);
    text.extend(raw.iter().map(|&b| char::from(b)));
    text
}

/// Checks that `name` can be sent as a field name: non-empty and made only of
/// RFC 9110 `tchar`s (letters, digits and ``!#$%&'*+-.^_`|~``).
pub(crate) fn check_name(name: &str) -> Result<(), HeaderError> {
    if name.is_empty() {
        return Err(HeaderError::EmptyName);
    }
    match name.chars().find(|&c| !is_tchar(c)) {
        Some(found) => Err(HeaderError::InvalidName { name: name.to_owned(), found }),
        None => Ok(()),
    }
}

/// Checks that `value` can be sent as the value of field `name` (the name is
/// only used in the error message): no CR, LF or NUL, and no other control
/// character except horizontal tab. Non-ASCII text is allowed and is sent as
/// UTF-8.
pub(crate) fn check_value(name: &str, value: &str) -> Result<(), HeaderError> {
    let name = || name.to_owned();
    // Checking bytes is enough: every control character is ASCII, and UTF-8
    // never uses ASCII byte values inside a multi-byte sequence.
    for &byte in value.as_bytes() {
        match byte {
            b'\r' | b'\n' => return Err(HeaderError::LineBreak { name: name() }),
            0 => return Err(HeaderError::Nul { name: name() }),
            b'\t' => {}
            0x01..=0x1f | 0x7f => return Err(HeaderError::ControlCharacter { name: name(), byte }),
            _ => {}
        }
    }
    Ok(())
}

/// True for the characters RFC 9110 section 5.6.2 allows in a token.
fn is_tchar(c: char) -> bool {
    u8::try_from(c).is_ok_and(is_token_byte)
}

/// True for the bytes RFC 9110 section 5.6.2 allows in a token (field
/// names, methods, trailer names).
pub(crate) fn is_token_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte)
}

/// Why a header field was refused before a request was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum HeaderError {
    /// A field name was the empty string.
    EmptyName,
    /// A field name contained `found`, which is not an RFC 9110 token character
    /// (for example a space, a colon or a non-ASCII letter).
    InvalidName {
        /// The offending name, as given.
        name: String,
        /// The first character in it that is not allowed.
        found: char,
    },
    /// A value contained CR or LF, which would end the field early and let the
    /// rest be read as another header or request.
    LineBreak {
        /// The name of the field whose value was refused.
        name: String,
    },
    /// A value contained a NUL byte.
    Nul {
        /// The name of the field whose value was refused.
        name: String,
    },
    /// A value contained another control character (0x01-0x1F except tab, or
    /// 0x7F DEL).
    ControlCharacter {
        /// The name of the field whose value was refused.
        name: String,
        /// The control byte found.
        byte: u8,
    },
}

impl fmt::Display for HeaderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `{:?}` quotes the name and escapes anything unprintable in it, so the
        // message is safe to log even when the name is the problem.
        match self {
            HeaderError::EmptyName => f.write_str("header name is empty; refusing to send it"),
            HeaderError::InvalidName { name, found } => write!(
                f,
                "header name {name:?} contains {found:?}, which is not allowed in a field name \
                 (letters, digits and !#$%&'*+-.^_`|~ only); refusing to send it"
            ),
            HeaderError::LineBreak { name } => {
                write!(f, "header {name:?} value contains a line break (CR or LF); refusing to send it")
            }
            HeaderError::Nul { name } => write!(f, "header {name:?} value contains a NUL byte; refusing to send it"),
            HeaderError::ControlCharacter { name, byte } => {
                write!(f, "header {name:?} value contains control character 0x{byte:02x}; refusing to send it")
            }
        }
    }
}

impl Error for HeaderError {}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(fields: &[(&str, &str)]) -> Headers {
        fields.iter().copied().collect()
    }

    fn listed(h: &Headers) -> Vec<(&str, &str)> {
        h.iter().collect()
    }

    #[test]
    fn lookups_ignore_ascii_case_and_keep_order() {
        let h = headers(&[("Set-Cookie", "a"), ("Host", "h"), ("SET-COOKIE", "b")]);
        let cases: &[(&str, Option<&str>, &[&str])] = &[
            ("set-cookie", Some("a"), &["a", "b"]),
            ("HOST", Some("h"), &["h"]),
            ("missing", None, &[]),
            ("Set-Cookie ", None, &[]),
        ];
        for &(name, first, all) in cases {
            assert_eq!(h.get(name), first, "get({name:?})");
            assert_eq!(h.get_all(name).collect::<Vec<_>>(), all, "get_all({name:?})");
            assert_eq!(h.contains(name), first.is_some(), "contains({name:?})");
        }
    }

    #[test]
    fn insert_replaces_all_and_keeps_position_of_the_first() {
        type Case<'a> = (&'a [(&'a str, &'a str)], (&'a str, &'a str), &'a [(&'a str, &'a str)]);
        let cases: &[Case] = &[
            (&[], ("A", "1"), &[("A", "1")]),
            (&[("B", "x")], ("A", "1"), &[("B", "x"), ("A", "1")]),
            (&[("a", "0"), ("B", "x")], ("A", "1"), &[("A", "1"), ("B", "x")]),
            (&[("B", "x"), ("a", "0"), ("C", "y"), ("A", "2")], ("A", "1"), &[("B", "x"), ("A", "1"), ("C", "y")]),
            (&[("a", "0"), ("a", "0"), ("a", "0")], ("A", "1"), &[("A", "1")]),
        ];
        for &(before, (name, value), after) in cases {
            let mut h = headers(before);
            h.insert(name, value);
            assert_eq!(listed(&h), after, "insert into {before:?}");
        }
    }

    #[test]
    fn append_remove_len_and_extend() {
        let mut h = Headers::with_capacity(4);
        assert!(h.is_empty());
        h.append("A", "1");
        h.append("a", "2");
        h.extend([("B", "3")]);
        h.extend(vec![(String::from("C"), String::from("4"))]);
        assert_eq!(h.len(), 4);
        assert!(h.remove("A"));
        assert!(!h.remove("a"));
        assert_eq!(listed(&h), [("B", "3"), ("C", "4")]);
    }

    #[test]
    fn equality_ignores_name_case_but_not_order_or_value_case() {
        let cases = [
            (headers(&[("Host", "a")]), headers(&[("host", "a")]), true),
            (headers(&[("Host", "a")]), headers(&[("Host", "A")]), false),
            (headers(&[("A", "1"), ("B", "2")]), headers(&[("B", "2"), ("A", "1")]), false),
            (headers(&[("A", "1")]), headers(&[("A", "1"), ("A", "1")]), false),
            (Headers::new(), Headers::default(), true),
        ];
        for (left, right, equal) in cases {
            assert_eq!(left == right, equal, "{left:?} == {right:?}");
        }
    }

    #[test]
    fn debug_shows_fields_as_a_map() {
        assert_eq!(format!("{:?}", headers(&[("A", "1"), ("a", "2")])), r#"{"A": "1", "a": "2"}"#);
    }

    #[test]
    fn has_token_searches_comma_lists_across_fields() {
        let h = headers(&[("Connection", "keep-alive ,\tUpgrade"), ("connection", "CLOSE"), ("Other", "close")]);
        let cases = [
            ("connection", "close", true),
            ("connection", "upgrade", true),
            ("Connection", "keep-alive", true),
            ("connection", "keep", false),
            ("connection", "", false),
            ("other", "close", true),
            ("missing", "close", false),
        ];
        for (name, token, found) in cases {
            assert_eq!(h.has_token(name, token), found, "has_token({name:?}, {token:?})");
        }
    }

    #[test]
    fn decode_value_takes_utf8_as_is_and_falls_back_to_latin1() {
        let cases: &[(&[u8], &str)] = &[
            (b"", ""),
            (b"plain", "plain"),
            ("caf\u{e9}".as_bytes(), "caf\u{e9}"),
            (b"caf\xe9", "caf\u{e9}"),
            (b"\xff\x80 \xc3", "\u{ff}\u{80} \u{c3}"),
        ];
        for &(raw, text) in cases {
            let decoded = decode_value(raw);
            assert_eq!(decoded, text, "decode_value({raw:?})");
            // The Latin-1 path sizes the string exactly: it never grew past its first allocation.
            if std::str::from_utf8(raw).is_err() {
                assert_eq!(decoded.capacity(), decoded.len(), "capacity for {raw:?}");
            }
        }
    }

    #[test]
    fn check_name_accepts_tokens_only() {
        let cases = [
            ("Content-Type", Ok(())),
            ("x!#$%&'*+-.^_`|~09", Ok(())),
            ("", Err(HeaderError::EmptyName)),
            ("X A", Err(HeaderError::InvalidName { name: "X A".into(), found: ' ' })),
            ("X:", Err(HeaderError::InvalidName { name: "X:".into(), found: ':' })),
            ("X\r\n", Err(HeaderError::InvalidName { name: "X\r\n".into(), found: '\r' })),
            ("caf\u{e9}", Err(HeaderError::InvalidName { name: "caf\u{e9}".into(), found: '\u{e9}' })),
        ];
        for (name, expected) in cases {
            assert_eq!(check_name(name), expected, "check_name({name:?})");
        }
    }

    #[test]
    fn check_value_refuses_line_breaks_nul_and_controls() {
        let name = || "X-A".to_owned();
        let cases = [
            ("", Ok(())),
            ("a\tb c", Ok(())),
            ("caf\u{e9} \u{1f600}", Ok(())),
            ("a\r\nX-B: 1", Err(HeaderError::LineBreak { name: name() })),
            ("a\nb", Err(HeaderError::LineBreak { name: name() })),
            ("a\rb", Err(HeaderError::LineBreak { name: name() })),
            ("a\0b", Err(HeaderError::Nul { name: name() })),
            ("a\x07", Err(HeaderError::ControlCharacter { name: name(), byte: 7 })),
            ("a\x7f", Err(HeaderError::ControlCharacter { name: name(), byte: 0x7f })),
        ];
        for (value, expected) in cases {
            assert_eq!(check_value("X-A", value), expected, "check_value({value:?})");
        }
    }

    #[test]
    fn error_messages_name_the_header_and_the_reason() {
        let cases = [
            (
                HeaderError::LineBreak { name: "X-A".into() },
                r#"header "X-A" value contains a line break (CR or LF); refusing to send it"#,
            ),
            (HeaderError::Nul { name: "X-A".into() }, r#"header "X-A" value contains a NUL byte; refusing to send it"#),
            (
                HeaderError::ControlCharacter { name: "X-A".into(), byte: 7 },
                r#"header "X-A" value contains control character 0x07; refusing to send it"#,
            ),
            (HeaderError::EmptyName, "header name is empty; refusing to send it"),
        ];
        for (error, message) in cases {
            assert_eq!(error.to_string(), message);
        }
        let invalid = HeaderError::InvalidName { name: "X\nA".into(), found: '\n' }.to_string();
        assert!(invalid.starts_with(r#"header name "X\nA" contains '\n', which is not allowed"#), "{invalid}");
    }
}
