//! What the crawler reads out of a page: the tutorial's regexes, and the
//! readable `--clean` values next to them.
//!
//! The tutorial removes every whitespace character from a page and then runs
//! four non-greedy patterns over what is left. That is crude (it glues
//! `The Shawshank Redemption` into `TheShawshankRedemption`) but it is the
//! tutorial's output, and `expected.jsonl` records exactly that, so
//! [`movie`] does the same. [`clean_movie`] reads the same four fields from
//! the untouched page with whitespace-tolerant patterns, unescapes HTML
//! entities, drops the U+200E mark Douban puts before the year and keeps
//! every director and language, not just the first.

use std::fmt;
use std::sync::LazyLock;

use regex::Regex;

/// One movie's four fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Movie {
    /// The page's title, e.g. `肖申克的救赎TheShawshankRedemption‎(1994)`.
    pub name: String,
    /// The average rating as printed, e.g. `9.7`.
    pub score: String,
    /// The director: the first one as the tutorial has it, or all of them.
    pub director: Field,
    /// The language line: verbatim, or split into languages.
    pub language: Field,
}

/// A field that is one string in the tutorial's output and a list in the
/// clean one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Field {
    /// Exactly what the tutorial's pattern captured.
    Text(String),
    /// Every value, cleaned (`--clean`).
    List(Vec<String>),
}

impl fmt::Display for Field {
    /// Text as captured; a list joined the way Douban itself joins it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Field::Text(text) => f.write_str(text),
            Field::List(items) => f.write_str(&items.join(" / ")),
        }
    }
}

/// A movie page that lacks one of the four fields: usually not a movie page
/// at all (a login wall, a ban notice, a redesign the patterns predate).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MissingField {
    /// Which field's pattern found nothing.
    pub field: &'static str,
}

impl fmt::Display for MissingField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the page has no {} where the tutorial's pattern looks for it", self.field)
    }
}

impl std::error::Error for MissingField {}

/// Compiles a pattern written in this file; they are constants, so a typo
/// is a bug caught by the first test, not a user error.
fn pattern(source: &str) -> Regex {
    Regex::new(source).unwrap_or_else(|error| panic!("pattern {source:?} does not compile: {error}"))
}

// The tutorial's patterns, applied to the page with all whitespace removed.
static LIST_ITEM: LazyLock<Regex> = LazyLock::new(|| pattern(r#"<divclass="item">.*?</div>"#));
static HREF: LazyLock<Regex> = LazyLock::new(|| pattern(r#"href="(.*?)""#));
static NAME: LazyLock<Regex> = LazyLock::new(|| pattern(r#"name="title"value="(.*?)""#));
static SCORE: LazyLock<Regex> = LazyLock::new(|| pattern(r#"property="v:average">(.*?)<"#));
static DIRECTOR: LazyLock<Regex> = LazyLock::new(|| pattern(r#"rel="v:directedBy">(.*?)<"#));
static LANGUAGE: LazyLock<Regex> = LazyLock::new(|| pattern(r#"语言:</span>(.*?)<br/>"#));

// Douban's block notice, in either language, spaced or not.
static BAN_NOTICE: LazyLock<Regex> =
    LazyLock::new(|| pattern("有异常请求从你的 ?IP ?发出|abnormal requests from your IP"));

// The same four fields on the untouched page, for `--clean`.
static CLEAN_NAME: LazyLock<Regex> = LazyLock::new(|| pattern(r#"name="title"\s+value="([^"]*)""#));
static CLEAN_SCORE: LazyLock<Regex> = LazyLock::new(|| pattern(r#"property="v:average">\s*([^<]*?)\s*<"#));
static CLEAN_LANGUAGE: LazyLock<Regex> = LazyLock::new(|| pattern(r#"语言:</span>([^<]*)<br/>"#));

/// Removes whitespace as Python's `re.sub(r'\s', '', page)` does on a
/// `str`: Unicode White_Space (which takes U+3000 and U+00A0 out of the
/// synopses) plus the four ASCII separators U+001C..U+001F that Python
/// also counts.
pub fn strip_whitespace(page: &str) -> String {
    // This is the crawler's hottest loop (28 MB per crawl, a quarter of it
    // whitespace in runs of indentation). A branch on every byte's fate
    // would be mispredicted at each run's edges, so each byte is written
    // and the length advanced past it only if it is kept. Only the four
    // lead bytes that can open a non-ASCII space branch, to decode it.
    let bytes = page.as_bytes();
    let mut stripped = vec![0; bytes.len()];
    let (mut len, mut at) = (0, 0);
    while let Some(&byte) = bytes.get(at) {
        let class = BYTE_CLASS[usize::from(byte)];
        if class == MAY_OPEN_A_SPACE
            && let Some(space) = page[at..].chars().next().filter(|c| c.is_whitespace())
        {
            at += space.len_utf8();
            continue;
        }
        stripped[len] = byte;
        len += usize::from(class != ASCII_SPACE);
        at += 1;
    }
    stripped.truncate(len);
    // Only whole characters were removed, so this cannot fail.
    String::from_utf8(stripped).unwrap_or_default()
}

// What a byte of UTF-8 may be, for [`strip_whitespace`]:
/// a byte that is kept (ASCII text, continuation bytes, most lead bytes);
const KEEP: u8 = 0;
/// one of Python's ASCII spaces, always removed;
const ASCII_SPACE: u8 = 1;
/// a lead byte whose character may be a non-ASCII space, to be decoded.
const MAY_OPEN_A_SPACE: u8 = 2;

/// Every byte's class: Python's ASCII `\s` (`\t\n\v\f\r`, U+001C..U+001F
/// and the space), and the lead bytes of its non-ASCII ones: `C2` (U+0085,
/// U+00A0), `E1` (U+1680), `E2` (U+2000..U+205F) and `E3` (U+3000).
/// Continuation bytes are never a character's start, so they are kept
/// byte by byte with the rest.
static BYTE_CLASS: [u8; 256] = {
    let mut class = [KEEP; 256];
    let mut byte = 0;
    while byte < 256 {
        class[byte] = match byte as u8 {
            b'\t'..=b'\r' | 0x1c..=0x1f | b' ' => ASCII_SPACE,
            0xc2 | 0xe1 | 0xe2 | 0xe3 => MAY_OPEN_A_SPACE,
            _ => KEEP,
        };
        byte += 1;
    }
    class
};

/// The subject URLs on a list page, in rank order, as the tutorial finds
/// them: the first `href` inside each `<div class="item">`.
pub fn subject_links(list_page: &str) -> Vec<String> {
    let stripped = strip_whitespace(list_page);
    LIST_ITEM
        .find_iter(&stripped)
        .filter_map(|item| HREF.captures(item.as_str()))
        .map(|captures| captures[1].to_owned())
        .collect()
}

/// The four fields exactly as the tutorial extracts them: the first match
/// of each pattern on the whitespace-stripped page, entities and all.
pub fn movie(page: &str) -> Result<Movie, MissingField> {
    let stripped = strip_whitespace(page);
    let first = |regex: &Regex, field: &'static str| {
        first_capture(regex, &stripped).map(str::to_owned).ok_or(MissingField { field })
    };
    Ok(Movie {
        name: first(&NAME, "name")?,
        score: first(&SCORE, "score")?,
        director: Field::Text(first(&DIRECTOR, "director")?),
        language: Field::Text(first(&LANGUAGE, "language")?),
    })
}

/// The first capture of one of the tutorial's patterns in a stripped page.
///
/// The regex crate finds a match's end, then scans backwards for its start;
/// on a page without line breaks, `(.*?)` lets that scan run back to the top
/// of the page, which cost a tenth of the crawl's CPU. Each pattern is
/// literal text up to its group, so the search can start where that text
/// first appears: no match can start earlier. That text is found with
/// `memchr`'s vectorised search, which takes a quarter of the time
/// `str::find` does over a page.
fn first_capture<'t>(regex: &Regex, stripped: &'t str) -> Option<&'t str> {
    let lead = regex.as_str().split('(').next().unwrap_or_default();
    let at = memchr::memmem::find(stripped.as_bytes(), lead.as_bytes())?;
    regex.captures_at(stripped, at).and_then(|captures| captures.get(1)).map(|group| group.as_str())
}

/// The four fields made readable (`--clean`): entities unescaped, U+200E
/// dropped, runs of whitespace (U+00A0 and U+3000 included) turned into one
/// space, every director, and the language line split at its slashes.
pub fn clean_movie(page: &str) -> Result<Movie, MissingField> {
    let first = |regex: &Regex, field: &'static str| {
        regex.captures(page).map(|captures| clean_text(&captures[1])).ok_or(MissingField { field })
    };
    let directors: Vec<String> = DIRECTOR.captures_iter(page).map(|captures| clean_text(&captures[1])).collect();
    if directors.is_empty() {
        return Err(MissingField { field: "director" });
    }
    let languages = first(&CLEAN_LANGUAGE, "language")?;
    Ok(Movie {
        name: first(&CLEAN_NAME, "name")?,
        score: first(&CLEAN_SCORE, "score")?,
        director: Field::List(directors),
        language: Field::List(languages.split('/').map(|language| language.trim().to_owned()).collect()),
    })
}

/// Unescapes entities, drops U+200E and collapses whitespace runs into a
/// single space, trimming both ends.
pub fn clean_text(raw: &str) -> String {
    let unescaped = unescape_entities(raw);
    let mut clean = String::with_capacity(unescaped.len());
    for word in unescaped.split(char::is_whitespace).filter(|word| !word.is_empty()) {
        if !clean.is_empty() {
            clean.push(' ');
        }
        clean.extend(word.chars().filter(|&c| c != '\u{200e}'));
    }
    clean
}

/// Replaces HTML character references: the five XML ones, `&nbsp;`, and
/// numeric ones in decimal or hex. Anything else is left as written, which
/// is what a browser does with an unknown name too.
pub fn unescape_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let decoded =
            rest.find(';').filter(|&end| end <= 10).and_then(|end| Some((decode_entity(&rest[1..end])?, end)));
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The character an entity body (between `&` and `;`) stands for.
fn decode_entity(body: &str) -> Option<char> {
    let code = match body {
        "amp" => return Some('&'),
        "lt" => return Some('<'),
        "gt" => return Some('>'),
        "quot" => return Some('"'),
        "apos" => return Some('\''),
        "nbsp" => return Some('\u{a0}'),
        _ => {
            let number = body.strip_prefix('#')?;
            match number.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => number.parse().ok()?,
            }
        }
    };
    char::from_u32(code)
}

/// Whether a page is Douban's block notice ("检测到有异常请求从你的 IP
/// 发出", in English "there are abnormal requests from your IP") rather
/// than the page asked for. Douban serves it with status 200 or 403.
pub fn is_ban_notice(page: &str) -> bool {
    // One pass over every page fetched, not one per wording.
    BAN_NOTICE.is_match(page)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures;

    #[test]
    fn whitespace_is_stripped_as_python_does() {
        assert_eq!(strip_whitespace("a b\tc\nd\u{3000}e\u{a0}f\u{1f}g\u{200e}h"), "abcdefg\u{200e}h");
    }

    /// Every character Python 3.13's `re.match(r'\s', chr(c))` matches,
    /// from `[hex(c) for c in range(sys.maxunicode + 1) if ...]`.
    const PYTHON_SPACES: [u32; 29] = [
        0x9, 0xa, 0xb, 0xc, 0xd, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003,
        0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
    ];

    #[test]
    fn every_character_python_calls_a_space_and_no_other_is_stripped() {
        // Each character between two letters, and all of them in one run,
        // so that removals next to each other are exercised too.
        let all: String = (0..=0x10ffff).filter_map(char::from_u32).collect();
        let mut expected_all = String::new();
        for c in all.chars() {
            let is_space = PYTHON_SPACES.contains(&u32::from(c));
            let expected = if is_space { "ab".to_owned() } else { format!("a{c}b") };
            assert_eq!(strip_whitespace(&format!("a{c}b")), expected, "U+{:04X}", u32::from(c));
            if !is_space {
                expected_all.push(c);
            }
        }
        assert_eq!(strip_whitespace(&all), expected_all);
    }

    #[test]
    fn every_2019_list_page_yields_25_subject_links_in_rank_order() {
        let expected = fixtures::expected_2019();
        for page in 0..10 {
            let links = subject_links(&fixtures::text(&format!("2019/top250/start={}.html", page * 25)));
            let subjects: Vec<&str> = expected[page * 25..(page + 1) * 25].iter().map(|e| e.subject.as_str()).collect();
            let linked: Vec<String> = links.iter().map(|link| crate::crawl::subject_id(link)).collect();
            assert_eq!(linked, subjects, "list page {page}");
        }
    }

    #[test]
    fn older_and_newer_list_pages_yield_25_subject_links_each() {
        for (vintage, pages) in [("2017", 10), ("2022", 10), ("2025", 1)] {
            for page in 0..pages {
                let name = format!("{vintage}/top250/start={}.html", page * 25);
                let links = subject_links(&fixtures::text(&name));
                assert_eq!(links.len(), 25, "{name}");
                for link in &links {
                    assert!(link.starts_with("https://movie.douban.com/subject/"), "{name}: {link}");
                }
            }
        }
    }

    #[test]
    fn every_2019_movie_page_gives_the_tutorials_fields() {
        for expected in fixtures::expected_2019() {
            let Some(fields) = &expected.fields else { continue };
            let page = fixtures::text(&format!("2019/subject/{}.html", expected.subject));
            let movie = movie(&page).unwrap_or_else(|error| panic!("rank {}: {error}", expected.rank));
            assert_eq!(&movie, fields, "rank {}", expected.rank);
        }
    }

    #[test]
    fn variant_movie_pages_parse_both_ways() {
        for name in fixtures::names("variants/subject") {
            let page = fixtures::text(&format!("variants/subject/{name}"));
            let tutorial = movie(&page).unwrap_or_else(|error| panic!("{name}: {error}"));
            let clean = clean_movie(&page).unwrap_or_else(|error| panic!("{name}: {error}"));
            assert!(!tutorial.name.is_empty() && !tutorial.score.is_empty(), "{name}: {tutorial:?}");
            let Field::List(directors) = &clean.director else { panic!("{name}: clean director is a list") };
            assert_eq!(&tutorial.director, &Field::Text(directors[0].replace(' ', "")), "{name}");
        }
    }

    #[test]
    fn a_series_with_several_directors_lists_them_all_when_clean() {
        let page = fixtures::text("variants/subject/3627919-neodb.html");
        let Field::List(directors) = clean_movie(&page).unwrap().director else { panic!("a list") };
        assert!(directors.len() >= 2, "{directors:?}");
        assert_eq!(directors[..2], ["James Strong", "Colin Teague"]);
    }

    #[test]
    fn clean_values_unescape_entities_drop_the_mark_and_keep_spaces() {
        let cases = [
            ("1292052", "肖申克的救赎 The Shawshank Redemption (1994)", "9.7", &["弗兰克·德拉邦特"][..], &["英语"][..]),
            (
                "1295124",
                "辛德勒的名单 Schindler's List (1993)",
                "9.5",
                &["史蒂文·斯皮尔伯格"],
                &["英语", "希伯来语", "德语", "波兰语"],
            ),
            ("1418200", "傲慢与偏见 Pride & Prejudice (2005)", "8.6", &["乔·赖特"], &["英语"]),
        ];
        for (subject, name, score, directors, languages) in cases {
            let movie = clean_movie(&fixtures::text(&format!("2019/subject/{subject}.html"))).unwrap();
            assert_eq!(movie.name, name);
            assert_eq!(movie.score, score);
            assert_eq!(movie.director, Field::List(directors.iter().map(|d| d.to_string()).collect()));
            assert_eq!(movie.language, Field::List(languages.iter().map(|l| l.to_string()).collect()));
        }
    }

    #[test]
    fn a_2019_movie_with_two_directors_lists_both_when_clean() {
        let several = fixtures::expected_2019()
            .into_iter()
            .filter(|expected| expected.fields.is_some())
            .map(|expected| clean_movie(&fixtures::text(&format!("2019/subject/{}.html", expected.subject))).unwrap())
            .find(|movie| matches!(&movie.director, Field::List(directors) if directors.len() > 1));
        assert!(several.is_some(), "the 2019 crawl has movies with several directors");
    }

    #[test]
    fn entities_unescape_and_unknown_ones_stay() {
        assert_eq!(unescape_entities("Schindler&#39;s &amp; &#x41;&lt;&gt;&quot;"), "Schindler's & A<>\"");
        assert_eq!(unescape_entities("&bogus; & &#xZZ; &#1114112; &"), "&bogus; & &#xZZ; &#1114112; &");
        assert_eq!(clean_text("  a\u{a0}&nbsp;b\u{200e} (1994)\u{3000}"), "a b (1994)");
    }

    #[test]
    fn a_page_without_the_fields_says_which_is_missing() {
        let error = movie("<html><body>登录豆瓣</body></html>").unwrap_err();
        assert_eq!(error.field, "name");
        assert_eq!(error.to_string(), "the page has no name where the tutorial's pattern looks for it");
    }

    #[test]
    fn the_ban_notice_is_recognised_in_either_language() {
        assert!(is_ban_notice("<p>检测到有异常请求从你的 IP 发出，请登录使用豆瓣。</p>"));
        assert!(is_ban_notice("We have detected abnormal requests from your IP address."));
        assert!(!is_ban_notice(&fixtures::text("2019/subject/1292052.html")));
    }
}
