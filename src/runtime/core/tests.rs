//! The iteration's cost rules, which no public API shows: when phase 2
//! asks the selector at all, that work from other threads still arrives
//! when it does not, and that a wheel phase 3 left behind files its next
//! timer as if it had kept up.

use std::future::poll_fn;
use std::rc::Rc;
use std::task::Poll;

use super::{Config, LoopCore};
use crate::runtime::context;
use crate::runtime::inbox::Incoming;

/// A loop on the real clock, with no trace and nothing registered.
fn new_core() -> Rc<LoopCore> {
    let config = Config { virtual_time: false, trace: false, trace_file: None, slow_poll: None, eager_tasks: false };
    LoopCore::new(config).expect("a selector")
}

/// Spawns a task that wakes itself and returns `Pending` on every poll, so
/// every iteration has work queued and never blocks.
fn spawn_spinner(core: &LoopCore) {
    let join = core.spawn(
        poll_fn(|cx| {
            cx.waker().wake_by_ref();
            Poll::<()>::Pending
        }),
        None,
    );
    drop(join);
}

#[test]
fn an_iteration_with_work_queued_and_no_source_registered_skips_the_poll() {
    let core = new_core();
    let _running = context::enter(&core);
    spawn_spinner(&core);
    for _ in 0..5 {
        core.run_once();
    }
    assert_eq!(core.iteration(), 5);
    assert_eq!(core.reactor.turns(), 0, "a zero-timeout poll with nothing registered can find nothing");
}

#[test]
fn an_iteration_with_a_source_registered_always_polls() {
    let core = new_core();
    let _running = context::enter(&core);
    let (mut socket, _peer) = mio::net::UnixStream::pair().expect("a socket pair");
    let key = core.reactor.register(&mut socket).expect("registered");
    spawn_spinner(&core);
    for _ in 0..5 {
        core.run_once();
    }
    assert_eq!(core.reactor.turns(), 5, "asyncio polls every iteration, and so must we while a source may report");
    core.reactor.deregister(key, &mut socket);
    core.run_once();
    assert_eq!(core.reactor.turns(), 5, "with the last source gone, the polls stop");
}

#[test]
fn a_post_from_another_thread_runs_though_the_poll_was_skipped() {
    let core = new_core();
    let _running = context::enter(&core);
    spawn_spinner(&core);
    core.run_once();
    let (sent, received) = std::sync::mpsc::channel();
    let inbox = core.inbox.clone();
    std::thread::spawn(move || {
        let posted = inbox.post(Incoming::Callback(Box::new(move || sent.send(()).expect("the test waits"))));
        assert!(posted.is_ok(), "the loop is open");
    })
    .join()
    .expect("the posting thread");
    // Phase 2 takes the arrival, phase 4 runs it.
    core.run_once();
    assert!(received.try_recv().is_ok(), "the callback ran in the next iteration");
    assert_eq!(core.reactor.turns(), 0);
}

#[test]
fn a_loop_with_nothing_to_do_still_blocks_in_the_selector() {
    let core = new_core();
    let _running = context::enter(&core);
    let inbox = core.inbox.clone();
    let poster = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(20));
        let _ = inbox.post(Incoming::Callback(Box::new(|| {})));
    });
    // Nothing is queued and no timer is pending: the loop waits for the post
    // in `epoll_wait`, and the post's eventfd write ends the wait.
    core.run_once();
    assert_eq!(core.reactor.turns(), 1);
    poster.join().expect("the posting thread");
}

#[test]
fn a_timer_set_after_time_passed_with_none_pending_is_filed_from_the_current_tick() {
    // Phase 3 does not move an empty wheel, so time can pass with the wheel
    // left behind: here a virtual clock stands in for real time passing,
    // moved by hand, while a task keeps every iteration busy.
    let config = Config { virtual_time: true, trace: false, trace_file: None, slow_poll: None, eager_tasks: false };
    let core = LoopCore::new(config).expect("a selector");
    let _running = context::enter(&core);
    spawn_spinner(&core);
    for tick in [50, 100, 130] {
        core.clock.advance_to_tick(tick);
        core.run_once();
    }
    let (_callback, key) = core.call_at(core.clock.now() + std::time::Duration::from_millis(10), || {});
    // Filed from tick 130, the timer sits in level 0 at its own tick. Filed
    // from a wheel still at tick 0, it would sit in the level-1 slot that
    // starts at tick 128, already passed: an extra iteration to cascade it.
    assert_eq!(core.timers.borrow().next_expiration(), Some(140));
    core.cancel_timer(key);
}
