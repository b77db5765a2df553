//! The coroutine tutorial's first programs, re-enacted on corio in order.
//!
//! Run with `cargo run --example hello_sleep`. Every line carries the time
//! since the program started, so the concurrency is visible: five programs
//! whose sleeps add up to nine seconds finish in about five, because the
//! sleeps inside each program overlap.

use std::time::{Duration, Instant};

use corio::EventLoop;

/// When the program started, for the elapsed-time column.
fn started() -> Instant {
    thread_local! {
        static START: Instant = Instant::now();
    }
    START.with(|start| *start)
}

/// Prints a line prefixed with the seconds since the program started.
fn say(line: &str) {
    println!("[{:5.2}s] {line}", started().elapsed().as_secs_f64());
}

/// The tutorial's `hello()`: greet, sleep one second, greet again. The
/// thread id shows that every coroutine runs on the same thread.
async fn hello(who: &'static str) {
    say(&format!("Hello world! ({who}, {:?})", std::thread::current().id()));
    corio::sleep(Duration::from_secs(1)).await;
    say(&format!("Hello again! ({who}, {:?})", std::thread::current().id()));
}

/// The tutorial's `do_some_work(x)`: sleeps `x` seconds and says so.
async fn do_some_work(x: u64) -> String {
    say(&format!("Waiting {x}"));
    corio::sleep(Duration::from_secs(x)).await;
    format!("Done after {x}s")
}

fn main() {
    started();

    println!("\n== 1. One coroutine: Hello world!, then a second later Hello again! ==");
    corio::run(hello("one"));

    println!("\n== 2. Three coroutines on one loop: all greet, then all greet again a second later ==");
    corio::run(async {
        let tasks = ["a", "b", "c"].map(|who| corio::create_task(hello(who)));
        let (done, pending) = corio::wait(tasks, corio::ALL_COMPLETED, None).await;
        say(&format!("wait: {} done, {} pending", done.len(), pending.len()));
    });

    println!("\n== 3. The explicit loop: new loop, run_until_complete, close ==");
    let lp = EventLoop::new();
    let result = lp.run_until_complete(do_some_work(1));
    say(&format!("run_until_complete returned: {result}"));
    lp.close();

    println!("\n== 4. create_task and ensure_future: both tasks run while we wait ==");
    let lp = EventLoop::new();
    let task = lp.create_task(do_some_work(1));
    say(&format!("created {} (done: {})", task.get_name(), task.done()));
    let (first, second) = lp.run_until_complete(async move {
        let future = corio::ensure_future(do_some_work(1));
        (task.await, future.await)
    });
    say(&format!("create_task: {first:?}; ensure_future: {second:?}"));
    lp.close();

    println!("\n== 5. run with gather: two jobs of one second each, in about one second ==");
    let results = corio::run(async { corio::gather([do_some_work(1), do_some_work(1)]).await });
    say(&format!("gather returned {results:?}"));

    println!(
        "\nTotal: {:.2} s (the sleeps add up to 9 s, 1 + 3 + 1 + 2 + 2, but overlap)",
        started().elapsed().as_secs_f64()
    );
}
