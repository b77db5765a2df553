//! The coroutine tutorial's five first programs, re-enacted on corio in
//! order, each with the tutorial's words.
//!
//! Run with `cargo run --example hello_sleep` (about five seconds). Each
//! program prints `Hello world!` and, a second later, `Hello again!`; every
//! line carries the time since that program's loop started, so the overlap
//! shows: three coroutines that each sleep one second all greet again at
//! 1.00 s, not at 1, 2 and 3 s.
//!
//! The Python twin, as asyncio 3.13 still accepts it (the tutorial wrote
//! `@asyncio.coroutine` and `yield from`, which Python 3.11 removed, and
//! called `asyncio.get_event_loop()`, which now wants a loop set first):
//!
//! ```python
//! import asyncio, threading
//!
//! async def hello():
//!     print("Hello world!")
//!     await asyncio.sleep(1)
//!     print("Hello again!")
//!
//! async def hello_thread():
//!     print('Hello world! (%s)' % threading.current_thread().name)
//!     await asyncio.sleep(1)
//!     print('Hello again! (%s)' % threading.current_thread().name)
//!
//! # 1. One coroutine.
//! loop = asyncio.new_event_loop()
//! loop.run_until_complete(hello())
//! loop.close()
//!
//! # 2. Three coroutines under wait, on one thread.
//! loop = asyncio.new_event_loop()
//! tasks = [loop.create_task(hello_thread()) for _ in range(3)]
//! loop.run_until_complete(asyncio.wait(tasks))
//! loop.close()
//!
//! # 3. run with gather.
//! async def main():
//!     await asyncio.gather(hello(), hello(), hello())
//! asyncio.run(main())
//!
//! # 4. loop.create_task.
//! loop = asyncio.new_event_loop()
//! task = loop.create_task(hello())
//! loop.run_until_complete(task)
//! loop.close()
//!
//! # 5. ensure_future.
//! loop = asyncio.new_event_loop()
//! asyncio.set_event_loop(loop)
//! task = asyncio.ensure_future(hello())
//! loop.run_until_complete(task)
//! loop.close()
//! ```
//!
//! With the same time stamps, Python and this program print the same lines
//! (the thread is `MainThread` there, `main` here); `tests/hello_sleep.rs`
//! checks this program's lines and their timing.

use std::time::Duration;

use corio::EventLoop;

/// Prints a line prefixed with the running loop's elapsed time: each
/// program runs on a fresh loop, so the stamp counts from its start.
fn say(line: &str) {
    let elapsed = corio::get_running_loop().elapsed();
    println!("[{:4.2}s] {line}", elapsed.as_secs_f64());
}

/// The tutorial's `hello()`: greet, sleep one second, greet again.
async fn hello() {
    say("Hello world!");
    corio::sleep(Duration::from_secs(1)).await;
    say("Hello again!");
}

/// The tutorial's second `hello()`, which names its thread: the three
/// coroutines share the one thread the loop runs on.
async fn hello_thread() {
    say(&format!("Hello world! ({})", thread_name()));
    corio::sleep(Duration::from_secs(1)).await;
    say(&format!("Hello again! ({})", thread_name()));
}

/// The current thread's name, as `threading.current_thread().name`.
fn thread_name() -> String {
    std::thread::current().name().unwrap_or("unnamed").to_owned()
}

fn main() {
    println!("== 1. One coroutine: loop.run_until_complete(hello())");
    let lp = EventLoop::new();
    lp.run_until_complete(hello());
    lp.close();

    println!("== 2. Three coroutines on one thread: loop.run_until_complete(asyncio.wait(tasks))");
    let lp = EventLoop::new();
    let tasks: Vec<_> = (0..3).map(|_| lp.create_task(hello_thread())).collect();
    lp.run_until_complete(corio::wait(tasks, corio::ALL_COMPLETED, None));
    lp.close();

    println!("== 3. asyncio.run(main()), main awaiting asyncio.gather(hello(), hello(), hello())");
    corio::run(async {
        // hello() cannot fail, so gather's Result holds nothing to report.
        let _ = corio::gather!(hello(), hello(), hello()).await;
    });

    println!("== 4. task = loop.create_task(hello()); loop.run_until_complete(task)");
    let lp = EventLoop::new();
    let task = lp.create_task(hello());
    let _ = lp.run_until_complete(task);
    lp.close();

    println!("== 5. task = asyncio.ensure_future(hello()); loop.run_until_complete(task)");
    // asyncio's ensure_future finds the loop set for the thread; corio's
    // finds the running one, so the task is made inside the loop's first
    // step and then awaited, which is what run_until_complete(task) does.
    let lp = EventLoop::new();
    let _ = lp.run_until_complete(async { corio::ensure_future(hello()).await });
    lp.close();
}
