//! The saved 2019 Douban Top 250 for the crawler's tests: the mirror's own
//! page store (`examples/douban_mirror/site.rs`, included as [`site`], so a
//! test server serves exactly what `douban_mirror` serves), the records the
//! tutorial's regexes give for it (`expected.jsonl`), the check that a
//! crawled record matches its saved line, and the standalone mirror started
//! on a free loopback port.
//!
//! `top250.rs` crawls the mirror and compares every record; `top250_faults.rs`
//! serves the pages itself, with faults, and compares the records that came
//! through; `top250_small.rs` points the small crawler at the standalone
//! mirror and compares every line.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;

use serde_json::Value;

use super::examples::example_binary;

// The mirror's page store, compiled into the test crate as it is into the
// examples. `#[path]` here is relative to tests/common/, this file's folder.
// The tests use only part of it; `mod.rs` allows the rest to go unused.
#[path = "../../examples/douban_mirror/site.rs"]
pub mod site;

/// The rank of the one movie whose page the 2019 crawl is missing (Douban
/// answers 404 for it).
pub const MISSING_RANK: usize = 247;

/// Starts the standalone mirror (`douban_mirror`) on a free port of
/// 127.0.0.1, with no latency; returns it and its origin, such as
/// `http://127.0.0.1:40751`. The caller kills it.
pub fn start_mirror() -> (Child, String) {
    start_mirror_with(&["--latency-ms", "0"])
}

/// [`start_mirror`] with more flags (`--latency-ms` given here wins).
pub fn start_mirror_with(flags: &[&str]) -> (Child, String) {
    let mut mirror = Command::new(example_binary("douban_mirror"))
        .args(["--port", "0"])
        .args(flags)
        .stdout(Stdio::piped())
        .spawn()
        .expect("start douban_mirror");
    let mut banner = String::new();
    BufReader::new(mirror.stdout.take().unwrap()).read_line(&mut banner).unwrap();
    let url = banner.split_whitespace().find(|word| word.starts_with("http://")).expect("the banner names the URL");
    (mirror, url.trim_end_matches("/top250").to_owned())
}

/// Parses JSON lines, naming the line that is not JSON.
pub fn json_lines(text: &str) -> Vec<Value> {
    text.lines().map(|line| serde_json::from_str(line).unwrap_or_else(|error| panic!("{error}: {line}"))).collect()
}

/// The tutorial's records for the 2019 crawl, read once per test binary:
/// index `rank - 1` holds that rank's line.
pub fn expected() -> &'static [Value] {
    static EXPECTED: OnceLock<Vec<Value>> = OnceLock::new();
    EXPECTED.get_or_init(|| {
        let path = std::path::Path::new(site::FIXTURES).join("2019/expected.jsonl");
        let lines = json_lines(&std::fs::read_to_string(&path).expect("read expected.jsonl"));
        // Every lookup by rank relies on this order; check it once here.
        assert!(lines.iter().enumerate().all(|(index, line)| rank_of(line) == index + 1), "expected.jsonl by rank");
        lines
    })
}

/// The `rank` of an `expected.jsonl` line or of a record.
pub fn rank_of(line: &Value) -> usize {
    line["rank"].as_u64().expect("a rank") as usize
}

/// The `subject` of an `expected.jsonl` line or of a record.
pub fn subject_of(line: &Value) -> &str {
    line["subject"].as_str().expect("a subject")
}

/// Asserts that `record` is what the tutorial's regexes find on its saved
/// page, as `expected.jsonl` has it for the record's rank: the same subject,
/// the URL `{origin}/subject/{subject}/`, and either `ok` with the same name,
/// score, director and language, or, for [`MISSING_RANK`] alone, `missing`
/// with no fields.
pub fn assert_as_saved(record: &Value, origin: &str) {
    let rank = rank_of(record);
    let expected = rank
        .checked_sub(1)
        .and_then(|index| expected().get(index))
        .unwrap_or_else(|| panic!("no rank {rank} in the Top 250"));
    let subject = subject_of(expected);
    assert_eq!(subject_of(record), subject, "rank {rank}");
    assert_eq!(record["url"], format!("{origin}/subject/{subject}/"), "rank {rank}");
    if expected["found"] == true {
        assert_eq!(record["status"], "ok", "rank {rank}: {record}");
        for field in ["name", "score", "director", "language"] {
            assert_eq!(record[field], expected[field], "rank {rank}'s {field}");
        }
    } else {
        assert_eq!(rank, MISSING_RANK, "only rank {MISSING_RANK}'s page is missing");
        assert_eq!(record["status"], "missing", "rank {rank}: {record}");
        assert!(record.get("name").is_none(), "a missing page has no name: {record}");
    }
}
