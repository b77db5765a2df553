//! The `hello_sleep` example, run as a program: the tutorial's five
//! programs print its words in asyncio's order, and each `Hello again!`
//! comes about a second after its `Hello world!` (wall clock, so the bounds
//! are generous; the example's doc holds the Python twin these lines were
//! compared with).

mod common;

use std::time::{Duration, Instant};

/// What Python 3.13 printed for the twin, time stamps left out (its thread
/// is `MainThread`, corio's `main`).
const EXPECTED: &str = "\
== 1. One coroutine: loop.run_until_complete(hello())
Hello world!
Hello again!
== 2. Three coroutines on one thread: loop.run_until_complete(asyncio.wait(tasks))
Hello world! (main)
Hello world! (main)
Hello world! (main)
Hello again! (main)
Hello again! (main)
Hello again! (main)
== 3. asyncio.run(main()), main awaiting asyncio.gather(hello(), hello(), hello())
Hello world!
Hello world!
Hello world!
Hello again!
Hello again!
Hello again!
== 4. task = loop.create_task(hello()); loop.run_until_complete(task)
Hello world!
Hello again!
== 5. task = asyncio.ensure_future(hello()); loop.run_until_complete(task)
Hello world!
Hello again!
";

/// A line's `[S.SSs] ` stamp in seconds and the text after it; headings
/// have no stamp.
fn split_stamp(line: &str) -> (Option<f64>, &str) {
    let Some(rest) = line.strip_prefix('[') else { return (None, line) };
    let (stamp, text) = rest.split_once("s] ").expect("a stamp ends with 's] '");
    (Some(stamp.trim().parse().expect("a stamp is seconds")), text)
}

#[test]
#[cfg_attr(miri, ignore)]
fn each_program_greets_and_greets_again_a_second_later_overlapping() {
    common::examples::example_binary("hello_sleep");
    let started = Instant::now();
    let output = common::examples::run_example("hello_sleep", &[]);
    let took = started.elapsed();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8(output.stdout).unwrap();

    let mut words = String::new();
    for line in stdout.lines() {
        let (stamp, text) = split_stamp(line);
        words.push_str(text);
        words.push('\n');
        // Every greeting comes at once; every second greeting after the
        // one-second sleep, and for programs 2 and 3 all three together,
        // since the sleeps overlap (serial sleeps would stamp 2 s and 3 s).
        match stamp {
            Some(seconds) if text.starts_with("Hello world!") => assert!(seconds < 0.5, "{line}"),
            Some(seconds) => assert!((0.99..2.5).contains(&seconds), "{line}"),
            None => assert!(line.starts_with("== "), "{line}"),
        }
    }
    assert_eq!(words, EXPECTED);
    // Five programs of one second each; a serial program 2 or 3 would add 4 s.
    assert!(took < Duration::from_secs(12), "the five programs took {took:?}");
}
