//! Which character encoding a response body is in, and decoding it: what
//! `Response::text()` and `text_lossy()` run once the body has arrived.
//!
//! The encodings are the WHATWG Encoding Standard's, the ones browsers
//! know (GBK, gb18030, Big5, Shift_JIS, EUC-KR, windows-125x, KOI8-R, ...),
//! from the `encoding_rs` crate, which also maps every label a page may
//! write (`gb2312`, `latin1`, `x-sjis`) to its encoding. The choice follows
//! the order a browser uses (HTML's "encoding sniffing algorithm"):
//!
//! 1. A byte order mark (UTF-8, UTF-16LE or UTF-16BE) at the start wins over
//!    everything, and is not part of the text.
//! 2. Else the `charset` parameter of `Content-Type`.
//! 3. Else, for HTML (a `text/html` or `application/xhtml+xml` type, or none
//!    at all), a `<meta charset>` or `<meta http-equiv="Content-Type"
//!    content="...; charset=...">` in the first 1024 bytes, found by the
//!    HTML standard's *prescan*: a small tokenizer that skips comments and
//!    other tags and reads attributes the way the full parser would.
//! 4. Else UTF-8 (aiohttp's default; a browser would guess windows-1252).
//!
//! A `charset` label that names no WHATWG encoding is remembered: the
//! strict decoder refuses it, the lossy one goes on to rules 3 and 4.

use std::borrow::Cow;

use encoding_rs::{DecoderResult, Encoding, UTF_8, UTF_16BE, UTF_16LE, WINDOWS_1252, X_USER_DEFINED};

/// How many bytes of the body the `<meta>` prescan looks at, as browsers.
const PRESCAN_LIMIT: usize = 1024;

/// The encoding a body is decoded from, and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Choice<'a> {
    /// The encoding to decode with.
    pub(crate) encoding: &'static Encoding,
    /// Bytes of byte order mark at the start of the body, skipped (0 if none).
    pub(crate) bom_length: usize,
    /// A `charset` parameter that names no encoding, as written; the
    /// encoding then came from the `<meta>` prescan or the default.
    pub(crate) unknown_label: Option<&'a str>,
}

/// The body held bytes that are not valid in its encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Malformed {
    /// Offset in the body (byte order mark included) of the first bad byte.
    pub(crate) offset: usize,
}

/// Chooses the encoding of `body`, sent with the `Content-Type` value
/// `content_type` (if any), by the four rules of this file's header.
pub(crate) fn choose<'a>(content_type: Option<&'a str>, body: &[u8]) -> Choice<'a> {
    if let Some((encoding, bom_length)) = Encoding::for_bom(body) {
        return Choice { encoding, bom_length, unknown_label: None };
    }
    let label = content_type.and_then(charset_parameter);
    if let Some(encoding) = label.and_then(|label| Encoding::for_label(label.as_bytes())) {
        return Choice { encoding, bom_length: 0, unknown_label: None };
    }
    let is_html = content_type.is_none_or(|value| {
        let essence = value.split(';').next().unwrap_or("").trim();
        essence.eq_ignore_ascii_case("text/html") || essence.eq_ignore_ascii_case("application/xhtml+xml")
    });
    let meta = if is_html { prescan(&body[..body.len().min(PRESCAN_LIMIT)]) } else { None };
    Choice { encoding: meta.unwrap_or(UTF_8), bom_length: 0, unknown_label: label }
}

/// The `charset` parameter of a `Content-Type` value, quotes removed.
pub(crate) fn charset_parameter(content_type: &str) -> Option<&str> {
    content_type.split(';').skip(1).find_map(|parameter| {
        let (name, value) = parameter.split_once('=')?;
        name.trim().eq_ignore_ascii_case("charset").then(|| value.trim().trim_matches('"'))
    })
}

/// Decodes `body` as `choice` says, failing at the first malformed byte.
pub(crate) fn decode_strict(body: Vec<u8>, choice: Choice<'_>) -> Result<String, Malformed> {
    let start = choice.bom_length;
    if choice.encoding == UTF_8 && start == 0 {
        // The common case: the vector becomes the string without a copy.
        return String::from_utf8(body).map_err(|error| Malformed { offset: error.utf8_error().valid_up_to() });
    }
    let mut decoder = choice.encoding.new_decoder_without_bom_handling();
    let mut input = &body[start..];
    let mut read_so_far = start;
    let capacity = decoder.max_utf8_buffer_length_without_replacement(input.len()).unwrap_or(input.len());
    let mut out = String::with_capacity(capacity);
    loop {
        let (result, read) = decoder.decode_to_string_without_replacement(input, &mut out, true);
        match result {
            DecoderResult::InputEmpty => return Ok(out),
            DecoderResult::Malformed(bad, pushed_back) => {
                // `read` counts the bad bytes and the ones pushed back after them.
                let offset = read_so_far + read - usize::from(bad) - usize::from(pushed_back);
                return Err(Malformed { offset });
            }
            DecoderResult::OutputFull => {
                // Only if the capacity estimate overflowed; grow and go on.
                out.reserve(input.len().max(16));
                input = &input[read..];
                read_so_far += read;
            }
        }
    }
}

/// Decodes `body` as `choice` says, each malformed sequence becoming
/// U+FFFD REPLACEMENT CHARACTER.
pub(crate) fn decode_lossy(body: Vec<u8>, choice: Choice<'_>) -> String {
    let (text, _) = choice.encoding.decode_without_bom_handling(&body[choice.bom_length..]);
    if let Cow::Owned(text) = text {
        return text;
    }
    // Borrowed means the body was valid UTF-8 as it stands: keep its vector
    // rather than copy it (the lossy fallback is never taken).
    let mut body = body;
    body.drain(..choice.bom_length);
    String::from_utf8(body).unwrap_or_else(|error| String::from_utf8_lossy(error.as_bytes()).into_owned())
}

/// The HTML standard's "prescan a byte stream to determine its encoding":
/// the encoding a `<meta>` in `head` declares, if any.
fn prescan(head: &[u8]) -> Option<&'static Encoding> {
    let mut at = 0;
    while at < head.len() {
        let rest = &head[at..];
        if rest.starts_with(b"<!--") {
            // A comment ends at the first `-->`, which may share the dashes
            // of its `<!--` (`<!-->` is a whole comment).
            at += 2 + find(&rest[2..], b"-->")? + 3;
        } else if starts_with_ignore_case(rest, b"<meta") && rest.get(5).is_some_and(|&b| is_space(b) || b == b'/') {
            at += 6;
            if let Some(encoding) = meta_encoding(head, &mut at)? {
                return Some(encoding);
            }
        } else if is_tag_start(rest) {
            // Another tag: skip its name, then its attributes, as the
            // parser would, so a `>` inside a quoted value does not end it.
            at += rest.iter().position(|&b| is_space(b) || b == b'>')?;
            while let Attribute::Found(..) = attribute(head, &mut at) {}
            at += 1;
        } else if rest.starts_with(b"<!") || rest.starts_with(b"</") || rest.starts_with(b"<?") {
            at += rest.iter().position(|&b| b == b'>')? + 1;
        } else {
            at += 1;
        }
    }
    None
}

/// What one `<meta>` element declares, read from `at` (just after
/// `<meta `) to its end: `Some(None)` if it declares no usable encoding,
/// `None` if the input ends inside it (the prescan then gives up).
fn meta_encoding(head: &[u8], at: &mut usize) -> Option<Option<&'static Encoding>> {
    let mut seen: Vec<Vec<u8>> = Vec::new();
    let (mut got_pragma, mut need_pragma, mut charset) = (false, None, None);
    loop {
        let (name, value) = match attribute(head, at) {
            Attribute::Found(name, value) => (name, value),
            Attribute::End => break,
            Attribute::Truncated => return None,
        };
        // Only an attribute's first occurrence counts.
        if seen.contains(&name) {
            continue;
        }
        match name.as_slice() {
            b"http-equiv" => got_pragma |= value == b"content-type",
            b"content" if charset.is_none() => {
                if let Some(encoding) = charset_in_content(&value).and_then(Encoding::for_label) {
                    charset = Some(encoding);
                    need_pragma = Some(true);
                }
            }
            b"charset" => {
                charset = Encoding::for_label(&value);
                need_pragma = Some(false);
            }
            _ => {}
        }
        seen.push(name);
    }
    let declared = match need_pragma {
        None => None,
        Some(true) if !got_pragma => None,
        Some(_) => charset,
    };
    // A byte-oriented page cannot really be UTF-16 (its `<meta>` was
    // readable as ASCII), so the standard reads it as UTF-8.
    Some(declared.map(|encoding| match encoding {
        encoding if encoding == UTF_16BE || encoding == UTF_16LE => UTF_8,
        encoding if encoding == X_USER_DEFINED => WINDOWS_1252,
        encoding => encoding,
    }))
}

/// One step of the HTML standard's "get an attribute".
enum Attribute {
    /// A name (lowercase) and its value (lowercase; empty if none).
    Found(Vec<u8>, Vec<u8>),
    /// The tag ends here (`at` is on its `>`).
    End,
    /// The input ended inside the tag.
    Truncated,
}

/// Reads the attribute at `at` and moves past it.
fn attribute(head: &[u8], at: &mut usize) -> Attribute {
    let byte = |at: usize| head.get(at).copied();
    while byte(*at).is_some_and(|b| is_space(b) || b == b'/') {
        *at += 1;
    }
    let (mut name, mut value) = (Vec::new(), Vec::new());
    // The name runs to `=`, a space, `/` or `>`; a leading `=` is part of it.
    loop {
        match byte(*at) {
            None => return Attribute::Truncated,
            Some(b'>') if name.is_empty() => return Attribute::End,
            Some(b'=') if !name.is_empty() => break,
            Some(b) if is_space(b) => {
                while byte(*at).is_some_and(is_space) {
                    *at += 1;
                }
                if byte(*at) != Some(b'=') {
                    return Attribute::Found(name, value);
                }
                break;
            }
            Some(b'/' | b'>') => return Attribute::Found(name, value),
            Some(b) => name.push(b.to_ascii_lowercase()),
        }
        *at += 1;
    }
    // On the `=`: the value is quoted, or runs to a space or `>`.
    *at += 1;
    while byte(*at).is_some_and(is_space) {
        *at += 1;
    }
    match byte(*at) {
        None => Attribute::Truncated,
        Some(quote @ (b'"' | b'\'')) => {
            *at += 1;
            let Some(length) = head[*at..].iter().position(|&b| b == quote) else { return Attribute::Truncated };
            value.extend(head[*at..*at + length].iter().map(u8::to_ascii_lowercase));
            *at += length + 1;
            Attribute::Found(name, value)
        }
        Some(b'>') => Attribute::Found(name, value),
        Some(_) => {
            while let Some(b) = byte(*at).filter(|&b| !is_space(b) && b != b'>') {
                value.push(b.to_ascii_lowercase());
                *at += 1;
            }
            if *at == head.len() { Attribute::Truncated } else { Attribute::Found(name, value) }
        }
    }
}

/// The HTML standard's "extract a character encoding from a meta element":
/// the label after `charset=` in a `content` attribute's value.
fn charset_in_content(content: &[u8]) -> Option<&[u8]> {
    let mut at = 0;
    loop {
        at += find_ignore_case(&content[at..], b"charset")? + b"charset".len();
        let after = skip_spaces(content, at);
        if content.get(after) != Some(&b'=') {
            // Not `charset=`: look for the next "charset" from here.
            continue;
        }
        let start = skip_spaces(content, after + 1);
        return match content.get(start)? {
            &quote @ (b'"' | b'\'') => {
                let length = content[start + 1..].iter().position(|&b| b == quote)?;
                Some(&content[start + 1..start + 1 + length])
            }
            _ => {
                let length = content[start..].iter().position(|&b| is_space(b) || b == b';');
                Some(&content[start..start + length.unwrap_or(content.len() - start)])
            }
        };
    }
}

/// `<` then a letter, or `</` then a letter: the start of a tag.
fn is_tag_start(rest: &[u8]) -> bool {
    let name = rest.strip_prefix(b"</").or_else(|| rest.strip_prefix(b"<"));
    name.and_then(|name| name.first()).is_some_and(u8::is_ascii_alphabetic)
}

/// HTML's whitespace bytes (tab, LF, FF, CR, space).
fn is_space(byte: u8) -> bool {
    matches!(byte, b'\t' | b'\n' | b'\x0c' | b'\r' | b' ')
}

/// The first index at or after `at` that is not a space.
fn skip_spaces(bytes: &[u8], mut at: usize) -> usize {
    while bytes.get(at).copied().is_some_and(is_space) {
        at += 1;
    }
    at
}

/// Where `needle` first occurs in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|window| window == needle)
}

/// Where `needle` (lowercase) first occurs in `haystack`, in any case.
fn find_ignore_case(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|window| window.eq_ignore_ascii_case(needle))
}

/// True if `bytes` starts with `prefix` (lowercase), in any case.
fn starts_with_ignore_case(bytes: &[u8], prefix: &[u8]) -> bool {
    bytes.get(..prefix.len()).is_some_and(|start| start.eq_ignore_ascii_case(prefix))
}

#[cfg(test)]
mod tests {
    use super::*;
    use encoding_rs::{BIG5, EUC_JP, GBK, SHIFT_JIS, WINDOWS_1251};

    /// The encoding the prescan finds in `html`, by name.
    fn prescanned(html: &str) -> Option<&'static str> {
        prescan(html.as_bytes()).map(Encoding::name)
    }

    #[test]
    fn the_prescan_reads_meta_as_the_html_standard_does() {
        let cases: [(&str, Option<&str>); 17] = [
            (r#"<meta charset="gbk">"#, Some("GBK")),
            ("<META CHARSET=GB2312>", Some("GBK")),
            ("<meta charset='big5'/>", Some("Big5")),
            ("<html><head><meta charset=shift_jis><title>", Some("Shift_JIS")),
            (r#"<meta http-equiv="Content-Type" content="text/html; charset=euc-jp">"#, Some("EUC-JP")),
            (r#"<meta content="text/html;charset='windows-1251'" http-equiv=content-type>"#, Some("windows-1251")),
            // `content` without `http-equiv` declares nothing.
            (r#"<meta content="text/html; charset=gbk">"#, None),
            // The first `charset` attribute counts; a later one is ignored.
            (r#"<meta charset="big5" charset="gbk">"#, Some("Big5")),
            // `charset` wins over a `content` read before it.
            (r#"<meta http-equiv=content-type content="charset=gbk" charset=big5>"#, Some("Big5")),
            // Comments, other tags and `>` in quoted attribute values are skipped.
            (r#"<!-- <meta charset="gbk"> --><meta charset="big5">"#, Some("Big5")),
            (r#"<!--><meta charset="gbk">"#, Some("GBK")),
            (r#"<div title="<meta charset=gbk>"><meta charset=big5>"#, Some("Big5")),
            // A UTF-16 declaration in an ASCII-readable page means UTF-8.
            (r#"<meta charset="utf-16le">"#, Some("UTF-8")),
            (r#"<meta charset="x-user-defined">"#, Some("windows-1252")),
            // An unknown label is no declaration; `<metadata>` is no `<meta>`.
            (r#"<meta charset="klingon">"#, None),
            (r#"<metadata charset="gbk">"#, None),
            // A tag cut off by the end of the input gives nothing.
            (r#"<meta charset="gbk"#, None),
        ];
        for (html, expected) in cases {
            assert_eq!(prescanned(html), expected, "{html}");
        }
    }

    #[test]
    fn a_bom_wins_then_the_header_then_meta_then_utf_8() {
        let page = "<meta charset=gbk>".as_bytes();
        let with_bom = [b"\xef\xbb\xbf".as_slice(), page].concat();
        // (Content-Type, body, encoding, BOM length)
        let cases: [(Option<&str>, &[u8], &Encoding, usize); 8] = [
            (Some("text/html; charset=big5"), &with_bom, UTF_8, 3),
            (Some("text/html"), b"\xff\xfeh\x00", UTF_16LE, 2),
            (Some("text/html; charset=\"Shift_JIS\""), page, SHIFT_JIS, 0),
            (Some("text/html"), page, GBK, 0),
            (None, page, GBK, 0),
            // Only HTML is prescanned.
            (Some("text/plain"), page, UTF_8, 0),
            (Some("application/xhtml+xml; q=1"), page, GBK, 0),
            (Some("text/plain; charset=cp1251"), b"", WINDOWS_1251, 0),
        ];
        for (content_type, body, encoding, bom_length) in cases {
            let choice = choose(content_type, body);
            assert_eq!((choice.encoding, choice.bom_length), (encoding, bom_length), "{content_type:?}");
            assert_eq!(choice.unknown_label, None);
        }
        let unknown = choose(Some("text/html; charset=x-klingon"), page);
        assert_eq!((unknown.encoding, unknown.unknown_label), (GBK, Some("x-klingon")));
    }

    #[test]
    fn strict_decoding_reports_the_first_bad_byte_and_lossy_replaces_it() {
        let choice = |encoding| Choice { encoding, bom_length: 0, unknown_label: None };
        let (gbk, _, _) = GBK.encode("豆瓣电影");
        assert_eq!(decode_strict(gbk.to_vec(), choice(GBK)), Ok("豆瓣电影".to_owned()));
        let (big5, _, _) = BIG5.encode("肖申克");
        assert_eq!(decode_strict(big5.to_vec(), choice(BIG5)), Ok("肖申克".to_owned()));
        // 0xFF is never valid GBK; the text before it is four bytes.
        let mut broken = gbk[..4].to_vec();
        broken.push(0xff);
        assert_eq!(decode_strict(broken.clone(), choice(GBK)), Err(Malformed { offset: 4 }));
        assert_eq!(decode_lossy(broken, choice(GBK)), "豆瓣\u{fffd}");
        // A truncated EUC-JP sequence at the very end is malformed too.
        assert_eq!(decode_strict(b"ab\xa4".to_vec(), choice(EUC_JP)), Err(Malformed { offset: 2 }));
        assert_eq!(decode_strict(b"ok\xff".to_vec(), choice(UTF_8)), Err(Malformed { offset: 2 }));
        assert_eq!(decode_lossy(b"ok\xff".to_vec(), choice(UTF_8)), "ok\u{fffd}");
        // The BOM is skipped, and offsets count it.
        let bom = Choice { encoding: UTF_8, bom_length: 3, unknown_label: None };
        assert_eq!(decode_strict(b"\xef\xbb\xbfhi".to_vec(), bom), Ok("hi".to_owned()));
        assert_eq!(decode_strict(b"\xef\xbb\xbfhi\xff".to_vec(), bom), Err(Malformed { offset: 5 }));
        assert_eq!(decode_lossy(b"\xef\xbb\xbfhi".to_vec(), bom), "hi");
    }
}
