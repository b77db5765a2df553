//! Panics: a panicking task becomes `TaskError::Panicked(message)` for
//! whoever awaits it while the loop carries on; a panic nobody retrieves is
//! reported once through the exception handler (asyncio's "Task exception
//! was never retrieved"); a panicking callback is reported and the callbacks
//! after it still run; and `corio::run` re-raises a panic of its main future
//! after cleaning up.

mod common;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Duration;

use common::{DropGuard, at_ms, collect_reports, virtual_loop};
use corio::testing::EventLog;
use corio::{Report, TaskError};

/// Sleeps `ms` milliseconds of loop time, then panics with "boom".
async fn boom_after(ms: u64) -> u32 {
    corio::sleep(Duration::from_millis(ms)).await;
    panic!("boom")
}

#[test]
fn a_panicking_task_surfaces_to_its_awaiter_and_the_loop_keeps_running_others() {
    let lp = virtual_loop();
    let log = EventLog::new();
    let main_log = log.clone();

    let outcomes = lp.run_until_complete(async move {
        let doomed = corio::create_task(boom_after(10));
        let survivor_log = main_log.clone();
        let survivor = corio::create_task(async move {
            corio::sleep(Duration::from_millis(20)).await;
            survivor_log.push("survivor finished");
            2
        });
        let failed = doomed.await;
        main_log.push(format!("awaiter got {failed:?}"));
        (failed, survivor.await)
    });

    assert_eq!(outcomes, (Err(TaskError::Panicked("boom".into())), Ok(2)));
    assert_eq!(at_ms(&log), [r#"awaiter got Err(Panicked("boom")) at 10ms"#, "survivor finished at 20ms"]);
}

#[test]
fn a_panic_message_is_carried_whether_static_or_formatted() {
    let lp = virtual_loop();

    let outcomes = lp.run_until_complete(async {
        let fixed = corio::create_task(async { panic!("fixed message") });
        let formatted = corio::create_task(async {
            let code = 7;
            panic!("failed with code {code}")
        });
        let opaque = corio::create_task(async { std::panic::panic_any(42_u8) });
        (fixed.await, formatted.await, opaque.await)
    });

    assert_eq!(outcomes.0, Err::<(), _>(TaskError::Panicked("fixed message".into())));
    assert_eq!(outcomes.1, Err::<(), _>(TaskError::Panicked("failed with code 7".into())));
    assert!(outcomes.2.expect_err("the task panicked").is_panic());
}

#[test]
fn a_panic_is_reported_once_when_the_handle_was_dropped_before_the_task_finished() {
    let lp = virtual_loop();
    let reports = collect_reports(&lp);

    drop(lp.create_named_task("doomed", boom_after(10)));
    lp.run_until_complete(corio::sleep(Duration::from_millis(20)));
    lp.run_until_complete(corio::sleep(Duration::from_millis(20)));
    lp.close();

    assert_eq!(*reports.borrow(), [Report::NeverRetrieved { task: "doomed".into(), message: "boom".into() }]);
}

#[test]
fn a_panic_is_reported_once_when_the_handle_is_dropped_after_the_task_finished() {
    let lp = virtual_loop();
    let reports = collect_reports(&lp);
    let task = lp.create_named_task("doomed", boom_after(10));
    lp.run_until_complete(corio::sleep(Duration::from_millis(20)));
    assert!(task.done());
    assert_eq!(*reports.borrow(), Vec::<Report>::new(), "the handle may still retrieve the panic");

    drop(task);
    lp.close();

    assert_eq!(*reports.borrow(), [Report::NeverRetrieved { task: "doomed".into(), message: "boom".into() }]);
}

#[test]
fn a_panic_retrieved_through_the_handle_is_not_reported() {
    let lp = virtual_loop();
    let reports = collect_reports(&lp);

    let outcomes = lp.run_until_complete(async {
        let awaited = corio::create_task(boom_after(5));
        let mut polled = corio::create_task(boom_after(5));
        let gathered = corio::gather_all([boom_after(5), boom_after(10)]);
        let waited = vec![corio::create_task(boom_after(5))];
        let (done, _) = corio::wait(waited, corio::FIRST_EXCEPTION, None).await;
        let mut outcomes = vec![awaited.await];
        corio::sleep(Duration::from_millis(10)).await;
        outcomes.push(polled.result().expect("done by now"));
        outcomes.extend(gathered.await);
        for task in done {
            outcomes.push(task.await);
        }
        outcomes
    });
    lp.close();

    assert_eq!(outcomes, vec![Err(TaskError::Panicked("boom".into())); 5]);
    assert_eq!(*reports.borrow(), Vec::<Report>::new());
}

#[test]
fn a_sibling_panicking_after_gather_returned_the_first_panic_is_not_reported() {
    // asyncio's gather marks the exceptions of children that fail after it
    // has already finished as retrieved, so they are not logged.
    let lp = virtual_loop();
    let reports = collect_reports(&lp);

    let outcome = lp.run_until_complete(async {
        let outcome = corio::gather([boom_after(10), boom_after(20)]).await;
        corio::sleep(Duration::from_millis(30)).await;
        outcome
    });
    lp.close();

    assert_eq!(outcome, Err(TaskError::Panicked("boom".into())));
    assert_eq!(*reports.borrow(), Vec::<Report>::new());
}

#[test]
fn a_panic_in_a_callback_is_reported_and_later_callbacks_still_run() {
    let lp = virtual_loop();
    let log = EventLog::new();
    let handler_log = log.clone();
    lp.set_exception_handler(move |report| handler_log.push(format!("report: {report}")));
    for (delay, name) in [(None, "soon"), (Some(Duration::from_millis(5)), "later")] {
        let before = log.clone();
        let after = log.clone();
        let schedule = |f: Box<dyn FnOnce()>| match delay {
            None => {
                lp.call_soon(f);
            }
            Some(delay) => {
                lp.call_later(delay, f);
            }
        };
        schedule(Box::new(move || before.push(format!("{name} before"))));
        schedule(Box::new(move || panic!("{name} callback failed")));
        schedule(Box::new(move || after.push(format!("{name} after"))));
    }

    lp.run_until_complete(corio::sleep(Duration::from_millis(10)));

    assert_eq!(
        log.labels(),
        [
            "soon before",
            "report: exception in callback: soon callback failed",
            "soon after",
            "later before",
            "report: exception in callback: later callback failed",
            "later after",
        ]
    );
}

#[test]
fn a_callback_panic_is_reported_as_callback_panicked() {
    let lp = virtual_loop();
    let reports = collect_reports(&lp);
    lp.call_soon(|| panic!("bad callback"));

    lp.run_until_complete(corio::sleep(Duration::ZERO));

    assert_eq!(*reports.borrow(), [Report::CallbackPanicked { message: "bad callback".into() }]);
}

#[test]
#[should_panic(expected = "main future failed")]
fn run_propagates_a_panic_of_the_main_future() {
    corio::run(async {
        corio::sleep(Duration::ZERO).await;
        panic!("main future failed")
    })
}

#[test]
fn run_cancels_pending_tasks_before_propagating_a_panic_of_the_main_future() {
    let log = EventLog::new();
    let main_log = log.clone();

    let outcome = catch_unwind(AssertUnwindSafe(|| {
        corio::run(async move {
            let drop_log = main_log.clone();
            drop(corio::create_task(async move {
                let _guard = DropGuard(move || drop_log.push("child dropped"));
                corio::sleep(Duration::from_secs(3600)).await;
            }));
            corio::sleep(Duration::ZERO).await;
            main_log.push("main panicking");
            panic!("main future failed")
        })
    }));

    let payload = outcome.expect_err("run must propagate the panic");
    let message = payload.downcast_ref::<String>().map(String::as_str).or(payload.downcast_ref::<&str>().copied());
    assert_eq!(message, Some("main future failed"));
    assert_eq!(log.labels(), ["main panicking", "child dropped"]);
}

#[test]
fn an_event_loop_stays_usable_after_run_until_complete_propagated_a_panic() {
    let lp = virtual_loop();
    let survivor = lp.create_task(async {
        corio::sleep(Duration::from_millis(20)).await;
        "still here"
    });

    let outcome = catch_unwind(AssertUnwindSafe(|| lp.run_until_complete(boom_after(10))));
    assert!(outcome.is_err());

    assert_eq!(lp.run_until_complete(survivor), Ok("still here"));
    assert_eq!(lp.elapsed(), Duration::from_millis(20));
}

#[test]
fn awaiting_a_task_of_another_loop_fails_clearly_instead_of_hanging() {
    let home = virtual_loop();
    let elsewhere = virtual_loop();
    let stranger = home.create_named_task("stranger", async { 1 });
    let outcome = catch_unwind(AssertUnwindSafe(|| elsewhere.run_until_complete(stranger)));
    let message = outcome.expect_err("awaiting must fail").downcast::<String>().expect("a message");
    assert!(message.contains("stranger belongs to another event loop than the one running"), "{message}");
}

#[test]
fn a_panicking_exception_handler_does_not_take_the_loop_down() {
    let lp = virtual_loop();
    lp.set_exception_handler(|_| panic!("the handler itself fails"));
    drop(lp.create_task(async { panic!("boom") }));
    lp.run_until_complete(corio::sleep(Duration::ZERO));
    // The loop survived the handler's panic and still runs tasks.
    assert_eq!(lp.run_until_complete(async { 5 }), 5);
}

#[test]
fn a_panicking_handler_during_close_still_drops_every_future_on_the_loop_thread() {
    use std::sync::{Arc, Mutex};
    use std::thread::{self, ThreadId};

    /// Records the thread it is dropped on; `!Send`, like a future holding an `Rc`.
    struct Probe(Arc<Mutex<Option<ThreadId>>>, std::marker::PhantomData<std::rc::Rc<()>>);
    impl Drop for Probe {
        fn drop(&mut self) {
            *self.0.lock().unwrap() = Some(thread::current().id());
        }
    }

    let dropped_on = Arc::new(Mutex::new(None));
    let lp = corio::EventLoop::new();
    let probe = Probe(dropped_on.clone(), std::marker::PhantomData);
    // The task waits on a blocking job, so the job's worker thread holds its
    // waker: the last reference, once the loop lets go.
    drop(lp.create_task(async move {
        let _probe = probe;
        let _ = corio::to_thread(|| thread::sleep(Duration::from_millis(100))).await;
    }));
    lp.run_until_complete(corio::sleep(Duration::ZERO));
    lp.set_exception_handler(|report| panic!("the handler refuses {report}"));
    lp.close();
    drop(lp);
    thread::sleep(Duration::from_millis(300));
    assert_eq!(*dropped_on.lock().unwrap(), Some(thread::current().id()), "a !Send future left its thread");
}

/// A foreign waker whose `wake()` panics.
struct PanickingWaker;

impl std::task::Wake for PanickingWaker {
    fn wake(self: std::sync::Arc<Self>) {
        panic!("this waker is broken")
    }
}

/// Polls `future` once with a [`PanickingWaker`] and drops it into the loop
/// (a leaf future handed a broken waker, as a buggy adapter might).
fn poll_once_with_a_broken_waker<F: std::future::Future>(future: &mut std::pin::Pin<Box<F>>) {
    let waker = std::task::Waker::from(std::sync::Arc::new(PanickingWaker));
    let _ = future.as_mut().poll(&mut std::task::Context::from_waker(&waker));
}

#[test]
#[cfg_attr(miri, ignore = "Miri has no sockets")]
fn a_waker_that_panics_when_a_timer_or_a_socket_wakes_it_is_reported_and_the_loop_goes_on() {
    let lp = virtual_loop();
    let reports = collect_reports(&lp);
    let log = EventLog::new();
    let main_log = log.clone();

    lp.run_until_complete(async move {
        // A timer holding the broken waker falls due at 10 ms.
        let mut sleep = Box::pin(corio::sleep(Duration::from_millis(10)));
        poll_once_with_a_broken_waker(&mut sleep);
        // A socket read parked with the broken waker becomes readable.
        let listener = corio::net::TcpListener::bind("127.0.0.1:0".parse().expect("literal")).expect("bind");
        let client = corio::net::TcpStream::connect(listener.local_addr().expect("address")).await.expect("connect");
        let (server, _) = listener.accept().await.expect("accept");
        let mut buf = [0u8; 4];
        let mut read = Box::pin(client.read(&mut buf));
        poll_once_with_a_broken_waker(&mut read);
        server.write_all(b"ping").await.expect("write");
        corio::sleep(Duration::from_millis(20)).await;
        main_log.push("the loop is still running");
        drop((sleep, read));
    });

    assert_eq!(log.labels(), ["the loop is still running"]);
    let waker_reports = reports
        .borrow()
        .iter()
        .filter(|report| matches!(report, Report::WakerPanicked { message } if message == "this waker is broken"))
        .count();
    assert_eq!(waker_reports, 2, "one report for the timer, one for the socket: {:?}", reports.borrow());
}

#[test]
fn a_drop_that_panics_while_a_task_is_cancelled_is_reported_and_the_task_ends_cancelled() {
    let lp = virtual_loop();
    let reports = collect_reports(&lp);

    let outcome = lp.run_until_complete(async {
        let task = corio::create_named_task("fragile", async {
            let _guard = DropGuard(|| panic!("drop failed"));
            corio::sleep(Duration::from_secs(3600)).await;
        });
        corio::sleep(Duration::ZERO).await;
        task.cancel();
        task.await
    });

    assert_eq!(outcome, Err(TaskError::Cancelled));
    assert_eq!(*reports.borrow(), [Report::DropPanicked { task: "fragile".into(), message: "drop failed".into() }]);
}
