//! Percent-encoding and dot-segment removal: how a path and query become
//! bytes that are safe on a request line.
//!
//! [`Url`](super::url::Url) calls [`write_path`] and [`percent_encode`] while
//! it writes its normalized text, once per parse or join, and
//! [`percent_decode`] for the user name and password. Encoding is
//! idempotent (an existing valid `%XX` is left alone), so a path that was
//! already normalized can pass through again, as [`Url::join`](super::url::Url::join)
//! does when it merges a relative reference with the base path.

/// Appends `path` (empty or starting with a slash) percent-encoded, with
/// backslashes as `/` and dot segments removed (RFC 3986 section 5.2.4).
///
/// It runs once over the segments: a `..` cuts the output back to its last
/// `/`, which never reaches before `start`, so `/../x` is `/x`.
pub(crate) fn write_path(out: &mut String, path: &str) {
    let start = out.len();
    // The piece before the leading slash is empty; skipping it leaves the segments.
    let mut segments = path.split(['/', '\\']).skip(1).peekable();
    while let Some(segment) = segments.next() {
        let last = segments.peek().is_none();
        if is_dot(segment) || is_dot_dot(segment) {
            if is_dot_dot(segment) {
                let cut = out[start..].rfind('/').map_or(start, |slash| start + slash);
                out.truncate(cut);
            }
            // A dot segment at the end still names a directory: `/a/b/..` is `/a/`.
            if last {
                out.push('/');
            }
        } else {
            out.push('/');
            percent_encode(out, segment, is_path_escaped);
        }
    }
    if out.len() == start {
        out.push('/');
    }
}

/// `.` or its encoded form `%2e`.
fn is_dot(segment: &str) -> bool {
    segment == "." || segment.eq_ignore_ascii_case("%2e")
}

/// `..` in any mix of `.` and `%2e`.
fn is_dot_dot(segment: &str) -> bool {
    ["..", ".%2e", "%2e.", "%2e%2e"].iter().any(|dots| segment.eq_ignore_ascii_case(dots))
}

/// Bytes the path must not carry raw (besides non-ASCII and a bad `%`).
fn is_path_escaped(byte: u8) -> bool {
    matches!(byte, b' ' | b'"' | b'<' | b'>' | b'`' | b'{' | b'}')
}

/// Bytes the query must not carry raw (besides non-ASCII and a bad `%`).
pub(crate) fn is_query_escaped(byte: u8) -> bool {
    matches!(byte, b' ' | b'"' | b'<' | b'>' | b'\'')
}

/// Uppercase hex digits, for `%XX` escapes.
const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// Appends the `%XX` escape of `byte`.
fn push_escape(out: &mut String, byte: u8) {
    out.extend(['%', char::from(HEX[usize::from(byte >> 4)]), char::from(HEX[usize::from(byte & 0xF)])]);
}

/// Appends `input` to `out`, writing `%XX` for non-ASCII bytes, bytes that
/// `escaped` selects, and a `%` that does not start a valid `%XX`.
pub(crate) fn percent_encode(out: &mut String, input: &str, escaped: fn(u8) -> bool) {
    let bytes = input.as_bytes();
    // Copy runs of bytes that need no change in one go; a run holds only
    // ASCII, so its ends are always char boundaries.
    let mut run_start = 0;
    for (i, &byte) in bytes.iter().enumerate() {
        let bad_percent = byte == b'%' && decode_escape(bytes, i).is_none();
        if byte.is_ascii() && !escaped(byte) && !bad_percent {
            continue;
        }
        if run_start < i {
            out.push_str(&input[run_start..i]);
        }
        push_escape(out, byte);
        run_start = i + 1;
    }
    if run_start < bytes.len() {
        out.push_str(&input[run_start..]);
    }
}

/// Appends one name or value in `application/x-www-form-urlencoded` form
/// (forms, and query pairs added by a request): ASCII letters, digits and
/// `*-._` as they are, space as `+`, everything else (`%` included) as `%XX`.
pub(crate) fn form_encode(out: &mut String, text: &str) {
    for byte in text.bytes() {
        match byte {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => out.push(char::from(byte)),
            b' ' => out.push('+'),
            _ => push_escape(out, byte),
        }
    }
}

/// Decodes `%XX` escapes; a `%` without two hex digits stays as it is.
/// `None` if the decoded bytes are not UTF-8.
pub(crate) fn percent_decode(input: &str) -> Option<String> {
    let bytes = input.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match decode_escape(bytes, i) {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// The byte of the `%XX` escape at `bytes[i]`, if there is a valid one.
fn decode_escape(bytes: &[u8], i: usize) -> Option<u8> {
    let hex = |offset: usize| bytes.get(i + offset).and_then(|&b| (b as char).to_digit(16));
    if bytes.get(i) != Some(&b'%') {
        return None;
    }
    Some((hex(1)? * 16 + hex(2)?) as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_encoding_follows_the_urlencoded_rules() {
        let mut out = String::new();
        form_encode(&mut out, "a b&c=d/é*-._~%");
        assert_eq!(out, "a+b%26c%3Dd%2F%C3%A9*-._%7E%25");
    }

    #[test]
    fn writes_paths_encoded_and_without_dot_segments() {
        // (raw path, written path)
        let cases = [
            ("", "/"),
            ("/", "/"),
            ("/a b/ü", "/a%20b/%C3%BC"),
            ("/%41%4/%", "/%41%254/%25"),
            ("/a/./b/../c", "/a/c"),
            ("/a/b/..", "/a/"),
            ("/..", "/"),
            ("/a//..", "/a/"),
            ("\\a\\.\\b", "/a/b"),
            ("/%2E/%2e%2E/x", "/x"),
        ];
        for (path, expected) in cases {
            let mut out = String::from("http://h");
            write_path(&mut out, path);
            assert_eq!(&out["http://h".len()..], expected, "{path:?}");
        }
    }

    #[test]
    fn encoding_twice_changes_nothing() {
        let mut once = String::new();
        percent_encode(&mut once, "a b%zz'€%41", is_query_escaped);
        let mut twice = String::new();
        percent_encode(&mut twice, &once, is_query_escaped);
        assert_eq!((once.as_str(), twice.as_str()), ("a%20b%25zz%27%E2%82%AC%41", "a%20b%25zz%27%E2%82%AC%41"));
    }

    #[test]
    fn decodes_valid_escapes_and_keeps_bad_ones() {
        let cases = [("pa%40ss", Some("pa@ss")), ("%C3%BC", Some("ü")), ("100%", Some("100%")), ("%zz", Some("%zz"))];
        for (input, expected) in cases {
            assert_eq!(percent_decode(input).as_deref(), expected, "{input:?}");
        }
        assert_eq!(percent_decode("%FF"), None);
    }
}
