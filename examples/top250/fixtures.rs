//! Test access to the saved Douban pages and `expected.jsonl` (tests only).

use crate::extract::{Field, Movie};
use crate::site;

/// A saved page, decompressed, e.g. `text("2019/subject/1292052.html")`.
pub fn text(relative: &str) -> String {
    let bytes = site::read_gz(&site::fixture_path(relative)).unwrap_or_else(|error| panic!("{error}"));
    String::from_utf8(bytes).unwrap_or_else(|error| panic!("{relative} is not UTF-8: {error}"))
}

/// The page names in a fixture folder, without `.gz`, sorted.
pub fn names(folder: &str) -> Vec<String> {
    let path = std::path::Path::new(site::FIXTURES).join(folder);
    let mut names: Vec<String> = std::fs::read_dir(&path)
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()))
        .map(|entry| entry.unwrap().file_name().to_string_lossy().trim_end_matches(".gz").to_owned())
        .collect();
    names.sort();
    names
}

/// One line of `expected.jsonl`.
pub struct Expected {
    /// The movie's rank.
    pub rank: usize,
    /// Its subject id.
    pub subject: String,
    /// The tutorial's four fields, `None` for the missing page.
    pub fields: Option<Movie>,
}

/// The 250 lines of `2019/expected.jsonl`, in rank order.
pub fn expected_2019() -> Vec<Expected> {
    let path = std::path::Path::new(site::FIXTURES).join("2019/expected.jsonl");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    text.lines()
        .map(|line| {
            let value: serde_json::Value = serde_json::from_str(line).unwrap();
            let field = |name: &str| value[name].as_str().unwrap_or_default().to_owned();
            let fields = value["found"].as_bool().unwrap_or(false).then(|| Movie {
                name: field("name"),
                score: field("score"),
                director: Field::Text(field("director")),
                language: Field::Text(field("language")),
            });
            Expected { rank: value["rank"].as_u64().unwrap() as usize, subject: field("subject"), fields }
        })
        .collect()
}
