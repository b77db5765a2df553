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
    // The mirror binds a free loopback port, but the records name the
    // pages it stands in for, so two runs write the same URLs.
    for record in &records {
        assert_as_saved(record, "https://movie.douban.com");
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
    let summary =
        stderr.lines().find(|line| line.starts_with("top250: 249 movies")).expect("a summary without --quiet");
    assert!(summary.starts_with("top250: 249 movies, 1 missing, 0 failed, 0 list pages failed in "), "{summary}");
    assert!(summary.ends_with(" s; 260 requests, 0 retries"), "{summary}");
    // Then Scrapy's closing stats.
    let stats: Vec<&str> = stderr.lines().filter(|line| line.starts_with("top250: stats: ")).collect();
    assert_eq!(stats.len(), 3, "{stderr}");
    assert!(stats[0].starts_with("top250: stats: 260 requests, 0 retries, 28."), "{stderr}");
    assert_eq!(stats[1], "top250: stats: answers by status: 200: 259, 404: 1");
    assert!(stats[2].starts_with("top250: stats: latency to the response head: p50 "), "{stderr}");

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
    assert_eq!(stderr, "top250: --mode takes sync or async, not \"fast\" (top250 --help lists the options)\n");
}

#[test]
fn arguments_that_would_fail_only_at_crawl_time_exit_2_with_one_line_before_crawling() {
    let cases: [(&[&str], &str); 4] = [
        (&["--base-url", "movie.douban.com"], "top250: --base-url \"movie.douban.com\": URL has no scheme"),
        (&["--mirror", "--timeout", "0"], "top250: --timeout must be at least 1 second"),
        (&["--mirror-latency-ms", "5"], "top250: --mirror-latency-ms sets the mirror's latency; add --mirror"),
        (
            &["--mirror", "--output", "/nonexistent/dir/out.txt"],
            "top250: cannot write --output /nonexistent/dir/out.txt:",
        ),
    ];
    for (args, start) in cases {
        let output = run_example("top250", args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.starts_with(start), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: one line, not one per page: {stderr}");
        assert!(output.stdout.is_empty(), "{args:?}: nothing was crawled");
    }
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
        let missing = session.get(format!("{origin}/subject/25921812/")).await?.status().as_u16();
        let unknown = session.get(format!("{origin}/nothing")).await?.status().as_u16();
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

/// A fresh temp directory for one test's files.
fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("corio-top250-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn resume_fetches_only_what_the_earlier_output_lacks() {
    let dir = temp_dir("resume");
    let out = dir.join("top250.jsonl");
    let out_arg = out.to_str().unwrap();
    crawl_mirror(&["--format", "jsonl", "--output", out_arg]);
    // Keep the first 100 records, turn rank 5 into an error, and cut the
    // file in the middle of a line, as a killed run leaves it.
    let full = std::fs::read_to_string(&out).unwrap();
    let mut lines: Vec<String> = full.lines().take(100).map(str::to_owned).collect();
    lines[4] = r#"{"rank": 5, "subject": "1292720", "url": "", "status": "error", "error": "timed out"}"#.to_owned();
    std::fs::write(&out, format!("{}\n{{\"rank\": 101, \"subj", lines.join("\n"))).unwrap();

    let args = ["--mirror", "--mirror-latency-ms", "0", "--format", "jsonl", "--output", out_arg, "--resume"];
    let output = run_example("top250", &args);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains(&format!("top250: --resume: 99 movies were already in {out_arg}")), "{stderr}");
    // Ten list pages, then the 151 movies the file lacked.
    assert!(stderr.contains("; 161 requests, 0 retries"), "{stderr}");
    let records = json_lines(&std::fs::read_to_string(&out).unwrap());
    let ranks: BTreeSet<usize> = records.iter().map(rank_of).collect();
    assert_eq!(records.len(), 250, "each movie once");
    assert_eq!(ranks, (1..=250).collect());
    for record in &records {
        assert_as_saved(record, "https://movie.douban.com");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Starts top250 on a slow mirror, JSON lines to `out`.
fn start_slow_crawl(latency_ms: &str, out: &std::path::Path) -> std::process::Child {
    std::process::Command::new(common::examples::example_binary("top250"))
        .args(["--mirror", "--mirror-latency-ms", latency_ms, "--concurrency", "4", "--format", "jsonl", "--output"])
        .arg(out)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start top250")
}

/// Waits until `child` holds at least `count` sockets. With `--mirror` the
/// mirror is in the same process: its listener, then two sockets (the
/// crawler's and the mirror's end) for each request in flight.
fn wait_for_sockets(child: &std::process::Child, count: usize) {
    use std::time::{Duration, Instant};
    let fds = format!("/proc/{}/fd", child.id());
    let is_socket = |entry: &std::fs::DirEntry| {
        std::fs::read_link(entry.path()).is_ok_and(|target| target.to_string_lossy().starts_with("socket:"))
    };
    let started = Instant::now();
    loop {
        let sockets = std::fs::read_dir(&fds).map_or(0, |entries| entries.flatten().filter(is_socket).count());
        if sockets >= count {
            return;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "the crawl never had {count} sockets open ({sockets})");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Sends SIGINT to `child`, as Ctrl-C in its terminal would.
fn interrupt(child: &std::process::Child) {
    let status = std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
}

#[test]
#[cfg_attr(miri, ignore)]
fn first_ctrl_c_lets_requests_in_flight_finish_and_writes_what_it_has() {
    use std::time::{Duration, Instant};
    let dir = temp_dir("interrupt");
    let out = dir.join("partial.jsonl");
    // One second per answer, four at a time: the ten list pages take three
    // rounds, then the movies come four by four.
    let child = start_slow_crawl("1000", &out);
    std::thread::sleep(Duration::from_millis(3500));
    interrupt(&child);
    let signalled = Instant::now();
    let output = child.wait_with_output().unwrap();
    let after = signalled.elapsed();
    let stderr = String::from_utf8_lossy(&output.stderr);

    assert_eq!(output.status.code(), Some(130), "{stderr}");
    // Only what was on the wire was waited for: at most one more round.
    assert!(after < Duration::from_millis(2500), "took {after:?} after Ctrl-C");
    assert!(stderr.contains(" list pages failed in "), "the summary is written: {stderr}");
    let notice = stderr.lines().find(|line| line.starts_with("top250: interrupted: ")).expect(&stderr);
    assert!(notice.ends_with("the records fetched before are kept (--resume continues)"), "{notice}");
    // Every record written is a page that was fetched whole, and there are
    // no more than the four that were in flight (none if Ctrl-C came while
    // the list pages were still on the wire, on a slow machine).
    let records = json_lines(&std::fs::read_to_string(&out).unwrap());
    assert!(records.len() <= 4, "{} records", records.len());
    for record in &records {
        assert_as_saved(record, "https://movie.douban.com");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
#[cfg_attr(miri, ignore)]
fn a_second_ctrl_c_exits_at_once() {
    use std::time::{Duration, Instant};
    let dir = temp_dir("interrupt-twice");
    // Five seconds per answer: the first Ctrl-C alone would wait for them.
    let child = start_slow_crawl("5000", &dir.join("never.jsonl"));
    // A Ctrl-C before the crawl is under way stops it with nothing to wait
    // for, and the summary would come before the second one; so wait for
    // the four list pages to be on the wire, however loaded the machine.
    wait_for_sockets(&child, 1 + 2 * 4);
    interrupt(&child);
    std::thread::sleep(Duration::from_millis(300));
    interrupt(&child);
    let signalled = Instant::now();
    let output = child.wait_with_output().unwrap();
    let after = signalled.elapsed();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(after < Duration::from_millis(1500), "took {after:?} after the second Ctrl-C");
    assert!(!stderr.contains(" movies, "), "no summary: it did not wait for the answers: {stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn compare_draws_a_sync_and_an_async_run_on_one_timeline() {
    let dir = temp_dir("compare");
    let svg = dir.join("both.svg");
    let output = crawl_mirror(&["--compare", "--timeline", svg.to_str().unwrap(), "--format", "jsonl"]);
    // The records are the async run's, written once.
    assert_eq!(json_lines(&stdout(&output)).len(), 250);
    let svg = std::fs::read_to_string(&svg).unwrap();
    let document = roxmltree::Document::parse(&svg).expect("the timeline is well-formed XML");
    let has_class = |node: &roxmltree::Node, word: &str| {
        node.attribute("class").is_some_and(|class| class.split_whitespace().any(|w| w == word))
    };
    let headings: Vec<&str> =
        document.descendants().filter(|node| has_class(node, "run")).filter_map(|node| node.text()).collect();
    assert_eq!(headings.len(), 2, "{headings:?}");
    assert!(headings[0].starts_with("sync crawl: 260 requests in "), "{headings:?}");
    assert!(headings[1].starts_with("async crawl: 260 requests in "), "{headings:?}");
    let bars = document.descendants().filter(|node| has_class(node, "bar")).count();
    assert_eq!(bars, 520);
    // Every movie page that came back shows the loop's work on it.
    let work = document.descendants().filter(|node| has_class(node, "work") && !has_class(node, "swatch")).count();
    assert!(work >= 2 * 259, "{work} work segments");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn autothrottle_starts_slow_and_speeds_up_to_the_latency_seen() {
    // 50 ms answers, aiming at 10 in flight: the delay starts at 1 s and
    // halves towards 5 ms with every answer.
    let output = run_example(
        "top250",
        &[
            "--mirror",
            "--mirror-latency-ms",
            "50",
            "--autothrottle",
            "--autothrottle-target",
            "10",
            "--format",
            "jsonl",
        ],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert_eq!(json_lines(&stdout(&output)).len(), 250);
    let summary = stderr.lines().find(|line| line.starts_with("top250: 249 movies")).expect(&stderr);
    let seconds: f64 = summary.split(" in ").nth(1).and_then(|rest| rest.split(' ').next()).unwrap().parse().unwrap();
    // The second request waits about half the start delay for the first
    // answer's latency to bring it down; unthrottled, the crawl takes 0.1 s.
    assert!(seconds > 0.45, "{summary}");
    let delay = stderr.lines().find_map(|line| line.strip_prefix("top250: stats: autothrottle: ")).expect(&stderr);
    let ms: u64 = delay.split(' ').next().unwrap().parse().unwrap();
    assert!(ms <= 30, "the delay follows the latency down to about 5 ms: {delay}");
}
