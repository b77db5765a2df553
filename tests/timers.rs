//! Timers, seen through `sleep`, `sleep_until` and `call_later`/`call_at`:
//! a timer on every level of the wheel (and beyond its range) fires at
//! exactly its tick, equal deadlines resume in the order they were set,
//! cancelled and dropped timers never fire, and on the real clock no timer
//! fires early.
//!
//! Almost every test runs on a virtual clock, so `lp.elapsed()` is exact
//! and the whole event log can be compared with `assert_eq!`.

use std::cell::RefCell;
use std::future::poll_fn;
use std::pin::pin;
use std::rc::Rc;
use std::task::Poll;
use std::time::{Duration, Instant};

use corio::testing::EventLog;
use corio::{EventLoop, TimeoutError, TraceKind};

/// The log as "`label` at `time`" lines, the loop time in `Duration`'s
/// `Debug` form (`5ms`, `3600s`), as the expected logs below spell it.
fn at_time(log: &EventLog) -> Vec<String> {
    log.entries()
        .into_iter()
        .map(|entry| format!("{} at {:?}", entry.label, entry.time.expect("pushed inside the loop")))
        .collect()
}

/// A loop on a virtual clock, recording a trace.
fn virtual_loop() -> EventLoop {
    EventLoop::builder().virtual_time(true).trace(true).build()
}

/// The loop times at which timers fired, from the loop's trace.
fn timer_firings(lp: &EventLoop) -> Vec<Duration> {
    lp.take_trace().into_iter().filter(|event| event.kind == TraceKind::TimerFired).map(|event| event.time).collect()
}

const MS: Duration = Duration::from_millis(1);
const SECOND: Duration = Duration::from_secs(1);
const HOUR: Duration = Duration::from_secs(3600);
const DAY: Duration = Duration::from_secs(24 * 3600);

/// One duration per wheel level and on both sides of the level boundaries;
/// the last lies beyond the wheel's 2^36 ms (about 2.18 years) range.
fn durations_on_every_level() -> Vec<(&'static str, Duration)> {
    vec![
        ("1 ms", MS),
        ("63 ms", 63 * MS),
        ("64 ms", 64 * MS),
        ("65 ms", 65 * MS),
        ("4095 ms", 4095 * MS),
        ("4096 ms", 4096 * MS),
        ("5 s", 5 * SECOND),
        ("5 min", 300 * SECOND),
        ("5 h", 5 * HOUR),
        ("13 days", 13 * DAY),
        ("400 days", 400 * DAY),
        ("3 years", 3 * 365 * DAY),
    ]
}

#[test]
fn a_sleep_on_every_wheel_level_ends_at_exactly_its_duration() {
    let mut ended_at = Vec::new();
    let mut expected = Vec::new();
    for (label, duration) in durations_on_every_level() {
        let lp = virtual_loop();
        lp.run_until_complete(corio::sleep(duration));
        ended_at.push((label, lp.elapsed()));
        expected.push((label, duration));
    }
    assert_eq!(ended_at, expected);
}

#[test]
fn concurrent_sleeps_on_every_level_wake_in_deadline_order_at_exact_times() {
    let lp = virtual_loop();
    let log = EventLog::new();
    // Spawned longest first, so wake order cannot just be spawn order.
    let mut tasks = Vec::new();
    for (label, duration) in durations_on_every_level().into_iter().rev() {
        let log = log.clone();
        tasks.push(lp.create_task(async move {
            corio::sleep(duration).await;
            log.push(format!("{label} woke"));
        }));
    }
    lp.run_until_complete(async move {
        for task in tasks {
            task.await.unwrap();
        }
    });

    let expected: Vec<String> = durations_on_every_level()
        .into_iter()
        .map(|(label, duration)| format!("{label} woke at {duration:?}"))
        .collect();
    assert_eq!(at_time(&log), expected);
    assert_eq!(lp.elapsed(), 3 * 365 * DAY);
}

#[test]
#[cfg_attr(miri, ignore = "measures wall-clock time")]
fn an_hour_of_one_second_sleeps_takes_exactly_an_hour_of_virtual_time_and_little_real_time() {
    let lp = EventLoop::builder().virtual_time(true).build();
    let wall = Instant::now();
    let rounds = lp.run_until_complete(async {
        let mut rounds = 0;
        for _ in 0..3600 {
            corio::sleep(SECOND).await;
            rounds += 1;
        }
        rounds
    });
    let wall = wall.elapsed();
    assert_eq!(rounds, 3600);
    assert_eq!(lp.elapsed(), HOUR);
    assert!(wall < Duration::from_secs(1), "an hour of virtual sleeps took {wall:?} of real time");
}

#[test]
fn sleeps_due_at_the_same_tick_resume_in_the_order_they_started_even_if_started_at_different_times() {
    let lp = virtual_loop();
    let log = EventLog::new();
    // B is spawned first but starts its sleep 90 ms after A; both end at 100 ms.
    let b = lp.create_task({
        let log = log.clone();
        async move {
            corio::sleep(90 * MS).await;
            log.push("B sleeps 10 ms");
            corio::sleep(10 * MS).await;
            log.push("B woke");
        }
    });
    let a = lp.create_task({
        let log = log.clone();
        async move {
            log.push("A sleeps 100 ms");
            corio::sleep(100 * MS).await;
            log.push("A woke");
        }
    });
    lp.run_until_complete(async move {
        b.await.unwrap();
        a.await.unwrap();
    });
    assert_eq!(
        at_time(&log),
        ["A sleeps 100 ms at 0ns", "B sleeps 10 ms at 90ms", "A woke at 100ms", "B woke at 100ms"]
    );
}

#[test]
fn sleeps_sharing_a_deadline_across_wheel_levels_resume_in_the_order_they_started() {
    // All five wake at 5000 ms. Those started early sit on a coarse level
    // and cascade down; those started late go straight to a fine level.
    // Spawned in reverse, so start order differs from spawn order.
    let lp = virtual_loop();
    let log = EventLog::new();
    let starts = [("t0", 0), ("t1", 10), ("t2", 4000), ("t3", 4990), ("t4", 4999)];
    let mut tasks = Vec::new();
    for (index, &(name, start_ms)) in starts.iter().enumerate().rev() {
        let log = log.clone();
        tasks.push(lp.create_task(async move {
            corio::sleep(start_ms * MS).await;
            // Alternate the two spellings of the same deadline.
            if index % 2 == 0 {
                corio::sleep((5000 - start_ms) * MS).await;
            } else {
                let deadline = corio::get_running_loop().time() + (5000 - start_ms) * MS;
                corio::sleep_until(deadline).await;
            }
            log.push(format!("{name} woke"));
        }));
    }
    lp.run_until_complete(async move {
        for task in tasks {
            task.await.unwrap();
        }
    });
    assert_eq!(at_time(&log), ["t0 woke at 5s", "t1 woke at 5s", "t2 woke at 5s", "t3 woke at 5s", "t4 woke at 5s"]);
}

#[test]
fn call_later_and_call_at_run_in_deadline_order_and_equal_deadlines_in_scheduling_order() {
    let lp = virtual_loop();
    let log = EventLog::new();
    let start = lp.time();
    let schedule = |name: &'static str, after: Duration, absolute: bool| {
        let log = log.clone();
        let callback = move || log.push(name);
        if absolute {
            drop(lp.call_at(start + after, callback));
        } else {
            drop(lp.call_later(after, callback));
        }
    };
    schedule("late", 2 * SECOND, false);
    schedule("first of three at 70 ms", 70 * MS, true);
    schedule("early", 5 * MS, false);
    schedule("second of three at 70 ms", 70 * MS, false);
    schedule("cascaded from 1 h", HOUR, true);
    schedule("third of three at 70 ms", 70 * MS, true);
    schedule("now", Duration::ZERO, false);
    lp.run_until_complete(corio::sleep(2 * HOUR));
    assert_eq!(
        at_time(&log),
        [
            "now at 0ns",
            "early at 5ms",
            "first of three at 70 ms at 70ms",
            "second of three at 70 ms at 70ms",
            "third of three at 70 ms at 70ms",
            "late at 2s",
            "cascaded from 1 h at 3600s",
        ]
    );
}

#[test]
fn a_cancelled_timer_handle_never_runs_and_leaves_the_wheel() {
    let lp = virtual_loop();
    let log = EventLog::new();
    let note = |line: &'static str| {
        let log = log.clone();
        move || log.push(line)
    };
    let cancelled_early = lp.call_later(10 * MS, note("cancelled early ran"));
    let kept = lp.call_later(20 * MS, note("kept ran"));
    // Two callbacks due at the same tick, the first cancelling the second,
    // which by then has already left the wheel for the ready queue.
    let victim: Rc<RefCell<Option<corio::TimerHandle>>> = Rc::default();
    lp.call_later(30 * MS, {
        let log = log.clone();
        let victim = victim.clone();
        move || {
            victim.borrow().as_ref().expect("the victim was scheduled").cancel();
            log.push("canceller ran");
        }
    });
    *victim.borrow_mut() = Some(lp.call_later(30 * MS, note("victim ran")));
    cancelled_early.cancel();
    assert!(cancelled_early.cancelled());
    assert!(!kept.cancelled());

    lp.run_until_complete(corio::sleep(HOUR));
    assert_eq!(log.labels(), ["kept ran", "canceller ran"]);
    assert!(victim.borrow().as_ref().unwrap().cancelled());
    // Cancelling a callback that already ran is harmless.
    kept.cancel();
    // The early one was taken out of the wheel, not merely skipped: it never
    // fired. The victim fired with the canceller, before it was cancelled.
    assert_eq!(timer_firings(&lp), [20 * MS, 30 * MS, 30 * MS, HOUR]);
}

#[test]
fn a_timeout_drops_its_sleep_and_the_dropped_timer_never_fires() {
    let lp = virtual_loop();
    let outcome = lp.run_until_complete(corio::timeout(MS, corio::sleep(HOUR)));
    assert_eq!(outcome, Err(TimeoutError));
    assert_eq!(lp.elapsed(), MS);
    assert_eq!(timer_firings(&lp), [MS]);

    // Had the hour-long sleep left its timer behind, it would fire at 1 h on
    // the way to this later deadline.
    lp.run_until_complete(corio::sleep(2 * HOUR));
    assert_eq!(lp.elapsed(), 2 * HOUR + MS);
    assert_eq!(timer_firings(&lp), [2 * HOUR + MS]);
}

#[test]
fn a_sleep_dropped_after_its_first_poll_takes_its_timer_with_it() {
    let lp = virtual_loop();
    lp.run_until_complete(async {
        let mut sleep = pin!(corio::sleep(HOUR));
        poll_fn(|cx| {
            assert!(sleep.as_mut().poll(cx).is_pending());
            Poll::Ready(())
        })
        .await;
    });
    assert_eq!(lp.elapsed(), Duration::ZERO);
    // Had the dropped sleep left its timer behind, it would fire at 1 h on
    // the way to this later deadline.
    lp.run_until_complete(corio::sleep(2 * HOUR));
    assert_eq!(timer_firings(&lp), [2 * HOUR]);
}

#[test]
fn a_cancelled_sleeping_task_takes_its_timer_with_it() {
    let lp = virtual_loop();
    let sleeper = lp.create_task(corio::sleep(HOUR));
    lp.run_until_complete(corio::sleep(Duration::ZERO));
    assert!(sleeper.cancel());
    let outcome = lp.run_until_complete(sleeper);
    assert!(outcome.unwrap_err().is_cancelled());
    assert_eq!(lp.elapsed(), Duration::ZERO);

    lp.run_until_complete(corio::sleep(2 * HOUR));
    assert_eq!(timer_firings(&lp), [2 * HOUR]);
}

#[test]
#[cfg_attr(miri, ignore = "measures wall-clock time")]
fn a_sleep_on_the_real_clock_never_ends_early() {
    let lp = EventLoop::builder().virtual_time(false).build();
    let started = Instant::now();
    lp.run_until_complete(corio::sleep(30 * MS));
    let took = started.elapsed();
    assert!(took >= 30 * MS, "sleep(30 ms) ended after only {took:?}");
    assert!(took < 530 * MS, "sleep(30 ms) took {took:?}");
    assert!(lp.elapsed() >= 30 * MS, "the loop clock says only {:?} passed", lp.elapsed());
}

#[test]
fn sleep_until_a_past_instant_completes_at_once_without_moving_the_clock() {
    let lp = virtual_loop();
    let iterations = lp.run_until_complete(async {
        corio::sleep(5 * SECOND).await;
        let lp = corio::get_running_loop();
        let past = lp.time() - 2 * SECOND;
        let before = lp.iteration();
        corio::sleep_until(past).await;
        corio::sleep_until(lp.time()).await;
        lp.iteration() - before
    });
    assert_eq!(lp.elapsed(), 5 * SECOND);
    // Each already-due sleep takes one iteration for its timer to fire and
    // one for the woken task to run, as a sleep to a future tick does.
    assert_eq!(iterations, 4);
}

#[test]
#[cfg_attr(miri, ignore = "measures wall-clock time")]
fn sleep_until_a_past_instant_on_the_real_clock_completes_promptly() {
    let lp = EventLoop::builder().virtual_time(false).build();
    let started = Instant::now();
    lp.run_until_complete(async {
        let lp = corio::get_running_loop();
        corio::sleep(10 * MS).await;
        corio::sleep_until(lp.time() - 5 * MS).await;
    });
    let took = started.elapsed();
    assert!(took < 510 * MS, "sleep(10 ms) then an already-due sleep_until took {took:?}");
}

#[test]
fn sleeping_or_calling_later_for_duration_max_means_never() {
    let lp = EventLoop::builder().virtual_time(true).build();
    let timed_out = lp.run_until_complete(async {
        let never = corio::get_running_loop().call_later(Duration::MAX, || unreachable!("never due"));
        let outcome = corio::timeout(Duration::from_millis(5), corio::sleep(Duration::MAX)).await;
        never.cancel();
        outcome
    });
    assert_eq!(timed_out, Err(TimeoutError));
    assert_eq!(lp.elapsed(), Duration::from_millis(5));
}

#[test]
fn timeout_at_fires_at_its_instant_and_lets_a_ready_future_win_even_when_past() {
    let lp = virtual_loop();
    let start = lp.time();
    let (slow, past, elapsed) = lp.run_until_complete(async move {
        let deadline = start + Duration::from_secs(3);
        let slow = corio::timeout_at(deadline, corio::sleep(Duration::from_secs(10))).await;
        let elapsed = corio::get_running_loop().time() - start;
        let past = corio::timeout_at(start, async { "ready" }).await;
        (slow, past, elapsed)
    });
    assert_eq!(slow, Err(TimeoutError));
    assert_eq!(elapsed, Duration::from_secs(3));
    assert_eq!(past, Ok("ready"));
}
