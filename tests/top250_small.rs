//! The small crawler (`examples/top250_small.rs`) end to end, as a user runs
//! it: pointed at the standalone mirror on 127.0.0.1, it must print the
//! tutorial's line for every movie in rank order, exactly as
//! `expected.jsonl` has them and exactly as `top250` prints them, then the
//! elapsed time; a site it cannot reach, or no argument, must say so and
//! exit non-zero.

mod common;

use std::net::TcpListener;
use std::process::Output;

use common::douban::{MISSING_RANK, expected, rank_of, start_mirror};
use common::examples::run_example;

/// stdout's lines, with the last one, the elapsed time, checked and dropped.
fn movie_lines(output: &Output) -> Vec<String> {
    let text = String::from_utf8(output.stdout.clone()).expect("stdout is UTF-8");
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let elapsed = lines.pop().expect("the elapsed time comes last");
    assert!(elapsed.starts_with("elapsed ") && elapsed.ends_with(" s"), "{elapsed}");
    lines
}

/// The tutorial's line for an `expected.jsonl` record, as `top250 --format
/// text` writes it.
fn tutorial_line(record: &serde_json::Value) -> String {
    if record["found"] == true {
        let field = |name: &str| record[name].as_str().unwrap_or_else(|| panic!("{name} in {record}")).to_owned();
        format!("{} {} {} {}", field("name"), field("score"), field("director"), field("language"))
    } else {
        "页面不存在".to_owned()
    }
}

#[test]
fn a_mirror_crawl_prints_the_tutorials_line_for_every_movie_in_rank_order() {
    let (mut mirror, origin) = start_mirror();
    let small = run_example("top250_small", &[&origin]);
    let big = run_example("top250", &["--base-url", &origin, "--quiet"]);
    mirror.kill().unwrap();
    mirror.wait().unwrap();

    assert!(small.status.success(), "top250_small failed: {}", String::from_utf8_lossy(&small.stderr));
    assert_eq!(String::from_utf8_lossy(&small.stderr), "", "nothing went wrong, so nothing is said");
    let lines = movie_lines(&small);
    assert_eq!(lines.len(), 250, "one line per movie");
    for (line, record) in lines.iter().zip(expected()) {
        assert_eq!(line, &tutorial_line(record), "rank {}", rank_of(record));
    }
    assert_eq!(lines[MISSING_RANK - 1], "页面不存在");
    assert!(big.status.success(), "top250 failed: {}", String::from_utf8_lossy(&big.stderr));
    assert_eq!(lines, movie_lines(&big), "the small crawler prints what top250 prints");
}

#[test]
fn a_site_that_refuses_connections_is_reported_per_list_page_with_status_1() {
    // A port that was free a moment ago: connecting to it is refused, and
    // nothing leaves the loopback interface.
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let output = run_example("top250_small", &[&format!("http://127.0.0.1:{port}")]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(movie_lines(&output), Vec::<String>::new(), "no list page, so no movies");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let reports: Vec<&str> = stderr.lines().collect();
    assert_eq!(reports.len(), 10, "{stderr}");
    for (page, report) in reports.iter().enumerate() {
        let expected = format!("top250_small: list page {}: could not connect to 127.0.0.1:{port}: ", page + 1);
        assert!(report.starts_with(&expected), "{report}");
    }
}

#[test]
fn without_its_one_argument_it_prints_the_usage_and_exits_with_2() {
    for args in [&[][..], &["http://127.0.0.1:8250", "extra"]] {
        let output = run_example("top250_small", args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(output.stdout.is_empty(), "{args:?}");
        assert!(String::from_utf8_lossy(&output.stderr).starts_with("usage: top250_small BASE_URL"), "{args:?}");
    }
}
