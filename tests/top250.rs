//! The Top 250 crawler end to end, as a user runs it: `top250 --mirror`
//! crawls the offline mirror of the real 2019 pages, and its records must
//! be exactly what the tutorial's regexes give (`expected.jsonl`), in every
//! mode and format. Also: the standalone `douban_mirror` server.
//!
//! Faults, retries and ban answers are in `top250_faults.rs`.

mod common;

use std::collections::BTreeSet;
use std::process::Output;

use common::douban::{MISSING_RANK, assert_as_saved, json_lines, rank_of, start_mirror};
use common::examples::run_example;

/// The crawler's flags for a quick mirror crawl: no latency, no progress.
const MIRROR: [&str; 4] = ["--mirror", "--mirror-latency-ms", "0", "--quiet"];

/// Runs `top250 --mirror` quietly with more flags; checks it succeeded.
fn crawl_mirror(flags: &[&str]) -> Output {
    let args: Vec<&str> = MIRROR.iter().chain(flags).copied().collect();
    let output = run_example("top250", &args);
    assert!(output.status.success(), "top250 {args:?} failed: {}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(String::from_utf8_lossy(&output.stderr), "", "--quiet prints nothing on stderr");
    output
}

/// stdout as text.
fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("stdout is UTF-8")
}

#[test]
fn a_mirror_crawl_yields_the_tutorials_records_in_rank_order() {
    let records = json_lines(&stdout(&crawl_mirror(&["--format", "jsonl"])));
    assert_eq!(records.iter().map(rank_of).collect::<Vec<_>>(), (1..=250).collect::<Vec<_>>());
    // The mirror binds a free loopback port; every link must point at it.
    let url = records[0]["url"].as_str().unwrap();
    let origin = &url[..url.find("/subject/").expect("a movie URL")];
    assert!(origin.starts_with("http://127.0.0.1:"), "{url}");
    for record in &records {
        assert_as_saved(record, origin);
    }
    assert_eq!(records.iter().filter(|record| record["status"] == "ok").count(), 249);
}

#[test]
fn sync_and_async_print_the_same_lines_in_the_tutorials_format() {
    let lines = |mode: &str| {
        let text = stdout(&crawl_mirror(&["--mode", mode]));
        let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
        let elapsed = lines.pop().expect("the elapsed time comes last");
        assert!(elapsed.starts_with("elapsed ") && elapsed.ends_with(" s"), "{elapsed}");
        lines
    };
    let sync = lines("sync");
    assert_eq!(sync, lines("async"));
    assert_eq!(sync.len(), 250);
    assert_eq!(sync[0], "肖申克的救赎TheShawshankRedemption\u{200e}(1994) 9.7 弗兰克·德拉邦特 英语");
    assert_eq!(sync[MISSING_RANK - 1], "页面不存在");
}

#[test]
fn clean_values_are_readable_with_every_director_and_language() {
    let records = json_lines(&stdout(&crawl_mirror(&["--format", "jsonl", "--clean"])));
    let by_rank = |rank: usize| &records[rank - 1];
    assert_eq!(by_rank(1)["name"], "肖申克的救赎 The Shawshank Redemption (1994)");
    assert_eq!(by_rank(8)["name"], "辛德勒的名单 Schindler's List (1993)");
    assert_eq!(by_rank(8)["language"], serde_json::json!(["英语", "希伯来语", "德语", "波兰语"]));
    assert_eq!(by_rank(145)["name"], "傲慢与偏见 Pride & Prejudice (2005)");
    assert_eq!(by_rank(145)["director"], serde_json::json!(["乔·赖特"]));
    for record in records.iter().filter(|record| record["status"] == "ok") {
        let name = record["name"].as_str().unwrap();
        assert!(!name.contains('\u{200e}') && !name.contains("&#") && !name.contains("&amp;"), "{name}");
        assert!(record["director"].as_array().is_some_and(|directors| !directors.is_empty()), "{record}");
    }
    let several = records.iter().filter(|record| record["director"].as_array().is_some_and(|d| d.len() > 1)).count();
    assert!(several > 0, "the 2019 Top 250 has movies with several directors");
}

#[test]
fn as_completed_prints_the_same_records_in_arrival_order() {
    let text = stdout(&crawl_mirror(&["--format", "jsonl", "--as-completed"]));
    let ranks: Vec<u64> = json_lines(&text).iter().map(|record| record["rank"].as_u64().unwrap()).collect();
    assert_eq!(ranks.iter().copied().collect::<BTreeSet<_>>(), (1..=250).collect());
    assert_eq!(ranks.len(), 250);
}

#[test]
fn csv_goes_to_the_output_file_and_the_timeline_has_one_bar_per_request() {
    let dir = std::env::temp_dir().join(format!("corio-top250-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (csv, svg) = (dir.join("top250.csv"), dir.join("timeline.svg"));
    let output =
        crawl_mirror(&["--format", "csv", "--output", csv.to_str().unwrap(), "--timeline", svg.to_str().unwrap()]);
    assert!(output.stdout.is_empty(), "records go to the file, not stdout");

    let csv = std::fs::read_to_string(&csv).unwrap();
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows[0], "rank,subject,url,status,name,score,director,language,error");
    assert_eq!(rows.len(), 251);
    assert!(rows[MISSING_RANK].starts_with("247,25921812,"), "{}", rows[MISSING_RANK]);
    assert!(rows[MISSING_RANK].contains(",missing,"));

    let svg = std::fs::read_to_string(&svg).unwrap();
    let document = roxmltree::Document::parse(&svg).expect("the timeline is well-formed XML");
    let classes: Vec<Vec<&str>> = document
        .descendants()
        .filter_map(|node| node.attribute("class"))
        .map(|class| class.split_whitespace().collect::<Vec<_>>())
        .filter(|words| words.contains(&"bar"))
        .collect();
    assert_eq!(classes.len(), 260, "10 list pages + 250 movie pages, one request each");
    assert_eq!(classes.iter().filter(|words| words.contains(&"list")).count(), 10);
    assert_eq!(classes.iter().filter(|words| words.contains(&"movie")).count(), 250);
    assert_eq!(classes.iter().filter(|words| words.contains(&"missing")).count(), 1);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn delay_spaces_the_requests_and_the_summary_counts_them() {
    // In a sync crawl the list pages are fetched back to back (their
    // parsing comes after all ten), so the gap between two list requests is
    // the delay alone: 10 ms +-50%, never under 5 ms. Without the delay
    // it is a fraction of a millisecond.
    let dir = std::env::temp_dir().join(format!("corio-top250-delay-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let svg = dir.join("timeline.svg");
    let output = run_example(
        "top250",
        &[
            "--mirror",
            "--mirror-latency-ms",
            "0",
            "--mode",
            "sync",
            "--delay",
            "10",
            "--timeline",
            svg.to_str().unwrap(),
        ],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let summary = stderr.lines().last().expect("a summary line without --quiet");
    assert!(summary.starts_with("top250: 249 movies, 1 missing, 0 failed in "), "{summary}");
    assert!(summary.ends_with(" s; 260 requests, 0 retries"), "{summary}");

    let svg = std::fs::read_to_string(&svg).unwrap();
    let document = roxmltree::Document::parse(&svg).unwrap();
    // Each list bar's tooltip reads "list start=N: START–END ms (...), ok".
    let spans: Vec<(f64, f64)> = document
        .descendants()
        .filter(|node| node.attribute("class").is_some_and(|class| class.starts_with("bar list")))
        .map(|bar| {
            let tip = bar.children().find_map(|child| child.text()).expect("a tooltip");
            let times = tip.split(": ").nth(1).and_then(|rest| rest.split(" ms").next()).expect("START–END ms");
            let (start, end) = times.split_once('–').expect("START–END");
            (start.parse().unwrap(), end.parse().unwrap())
        })
        .collect();
    assert_eq!(spans.len(), 10);
    for pair in spans.windows(2) {
        let gap = pair[1].0 - pair[0].1;
        assert!(gap >= 4.99, "list requests {pair:?} are {gap} ms apart, under half of --delay 10");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_arguments_exit_with_status_2_and_say_why() {
    let output = run_example("top250", &["--mode", "fast"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.starts_with("top250: --mode takes sync or async, not \"fast\""), "{stderr}");
    assert!(stderr.contains("usage: top250"), "{stderr}");
}

#[test]
fn help_prints_the_usage_on_stdout_and_exits_with_0_before_crawling() {
    for flag in ["--help", "-h"] {
        let output = run_example("top250", &["--mirror", flag, "--mode", "fast"]);
        assert_eq!(output.status.code(), Some(0), "{flag}");
        assert!(stdout(&output).starts_with("usage: top250 [options]\n"), "{flag}");
        assert!(output.stderr.is_empty(), "{flag}: the flags after it are not read");
    }
}

#[test]
fn the_standalone_mirror_serves_list_pages_movie_pages_and_404() {
    let (mut mirror, origin) = start_mirror();

    let result = corio::run(async move {
        let session = corio::http::Session::new();
        let list = session.get(format!("{origin}/top250?start=225&filter=")).await?.text().await?;
        let movie = session.get(format!("{origin}/subject/1292052/")).await?;
        let gzipped = movie.headers().get("content-encoding") == Some("gzip");
        let movie = movie.text().await?;
        let missing = session.get(format!("{origin}/subject/25921812/")).await?.status();
        let unknown = session.get(format!("{origin}/nothing")).await?.status();
        Ok::<_, corio::http::Error>((origin, list, gzipped, movie, missing, unknown))
    });
    mirror.kill().unwrap();
    mirror.wait().unwrap();

    let (origin, list, gzipped, movie, missing, unknown) = result.expect("the mirror answers");
    assert!(list.contains(&format!("{origin}/subject/2043546/")), "list links point at the mirror");
    assert!(!list.contains("https://movie.douban.com/subject/"), "no link leaves the mirror");
    assert!(gzipped, "movie pages go out gzip-compressed, as Douban's do");
    assert!(movie.contains("肖申克的救赎"));
    assert_eq!((missing, unknown), (404, 404));
}

#[test]
fn every_request_can_go_through_a_proxy() {
    // The mirror serves absolute-form targets, so it can play the proxy in
    // front of movie.douban.com: a request that bypassed it would need DNS
    // and the internet, and fail here.
    let (mut mirror, proxy) = start_mirror();
    let output = run_example(
        "top250",
        &["--base-url", "http://movie.douban.com", "--proxy", &proxy, "--concurrency", "50", "--format", "jsonl"],
    );
    mirror.kill().unwrap();
    mirror.wait().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let records = json_lines(&stdout(&output));
    assert_eq!(records.len(), 250);
    assert_eq!(records.iter().filter(|record| record["status"] == "ok").count(), 249);
    assert!(stderr.contains("260 requests, 0 retries"), "{stderr}");
}
