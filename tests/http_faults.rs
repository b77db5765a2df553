//! The client against hostile and broken servers (`common::faults`): for
//! each fault (a reset before the head or in the body, a stall, a trickle,
//! garbage, a head and a close, an endless stream of empty gzip members,
//! 503 and 429 with `Retry-After`) the request ends with the right typed
//! error, or response, within its timeouts, while a ticker task on the
//! same loop keeps ticking.
//!
//! These run on the real clock (`corio::run`), as `http_session.rs` does:
//! the server is a real peer on another thread, and a virtual clock would
//! jump to the session's timers while its bytes are on their way. The
//! timeouts are short (300 and 500 ms) and the time bounds generous.

mod common;

use std::cell::Cell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use common::faults::{BODY, Fault, FaultServer, Framing};
use corio::Task;
use corio::http::{Error, Response, Session, SessionBuilder, TimeoutKind};

/// The session's read timeout in these tests.
const READ: Duration = Duration::from_millis(300);
/// The session's total timeout in these tests.
const TOTAL: Duration = Duration::from_millis(500);
/// How late a timeout may fire and still count as on time: generous, for
/// a loaded machine and a debug build.
const LATE: Duration = Duration::from_millis(600);
/// How long a flood may take to reach a limit: it ends after a few tens of
/// kilobytes, 100-200 ms in a debug build, but a loaded machine is slower.
const FLOOD_LIMIT_TIME: Duration = Duration::from_secs(3);
/// The ticker's period.
const TICK: Duration = Duration::from_millis(10);

/// Runs `test` on a real-clock loop of its own, failing if it hangs.
fn run<F: Future<Output = ()> + 'static>(test: impl FnOnce() -> F + Send + 'static) {
    common::within(Duration::from_secs(30), move || corio::run(test()));
}

/// A task that counts `TICK`s until dropped.
struct Ticker {
    ticks: Rc<Cell<u32>>,
    task: Task<()>,
}

impl Ticker {
    fn start() -> Ticker {
        let ticks = Rc::new(Cell::new(0));
        let counter = Rc::clone(&ticks);
        let task = corio::create_task(async move {
            loop {
                corio::sleep(TICK).await;
                counter.set(counter.get() + 1);
            }
        });
        Ticker { ticks, task }
    }

    fn ticks(&self) -> u32 {
        self.ticks.get()
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        self.task.cancel();
    }
}

/// The fewest ticks a ticker must have seen over `elapsed` for the loop to
/// count as responsive: an eighth of the ideal, since each tick also waits
/// its turn behind the work of one loop iteration, on a shared machine, in
/// a debug build. (A frozen loop gave 1 tick in 3 s; a debug build under
/// the flood gives about 55 a second.)
fn fewest_ticks(elapsed: Duration) -> u32 {
    (elapsed.as_millis() / TICK.as_millis() / 8) as u32
}

/// The test sessions' settings: short timeouts.
fn builder() -> SessionBuilder {
    Session::builder().read_timeout(Some(READ)).timeout(Some(TOTAL))
}

/// The response and its whole body, or the first error.
async fn fetch(session: &Session, url: String) -> Result<(Response, Vec<u8>), Error> {
    let mut response = session.get(url).await?;
    let mut body = Vec::new();
    while let Some(piece) = response.chunk().await? {
        body.extend_from_slice(&piece);
    }
    Ok((response, body))
}

/// Where a request failed: before the response (`head`) or in its body.
#[derive(Debug, PartialEq)]
enum Stage {
    Head,
    Body,
}

/// Sends one request for `fault` with `session`, a ticker running beside
/// it; returns the error, the stage that failed, how long it took and how
/// many ticks it saw.
async fn fail(session: &Session, faults: &FaultServer, fault: Fault) -> (Error, Stage, Duration, u32) {
    let ticker = Ticker::start();
    let started = Instant::now();
    let outcome = match session.get(faults.url(fault)).await {
        Err(error) => Err((error, Stage::Head)),
        Ok(mut response) => loop {
            match response.chunk().await {
                Ok(Some(_)) => {}
                Ok(None) => break Ok(response.status()),
                Err(error) => break Err((error, Stage::Body)),
            }
        },
    };
    let elapsed = started.elapsed();
    match outcome {
        Err((error, stage)) => (error, stage, elapsed, ticker.ticks()),
        Ok(status) => panic!("{fault:?}: answered {status} instead of failing"),
    }
}

#[test]
fn every_fault_ends_in_its_typed_error_within_the_timeouts_while_a_ticker_ticks() {
    run(|| async {
        let faults = FaultServer::start();
        let session = builder().build().unwrap();
        let reset = |error: &Error| matches!(error, Error::Io(e) if e.kind() == std::io::ErrorKind::ConnectionReset);
        let timeout =
            |want: TimeoutKind| move |error: &Error| matches!(error, Error::Timeout { kind, .. } if *kind == want);
        type Check = Box<dyn Fn(&Error) -> bool>;
        // Fault, the stage that fails, the error, and the time it may take.
        let cases: Vec<(Fault, Stage, Check, Duration)> = vec![
            (Fault::ResetBeforeHead, Stage::Head, Box::new(reset), Duration::ZERO),
            (Fault::ResetMidBody, Stage::Body, Box::new(reset), Duration::ZERO),
            (Fault::Stall, Stage::Head, Box::new(timeout(TimeoutKind::Read)), READ),
            // A byte a second: every gap is longer than the read timeout.
            (Fault::Trickle(1000), Stage::Head, Box::new(timeout(TimeoutKind::Read)), READ),
            // A byte every 100 ms: no gap is, but the whole is too slow.
            (Fault::Trickle(100), Stage::Head, Box::new(timeout(TimeoutKind::Total)), TOTAL),
            (
                Fault::Garbage,
                Stage::Head,
                Box::new(|error: &Error| matches!(error, Error::Protocol(corio::http::ProtocolError::Head(_)))),
                Duration::ZERO,
            ),
            (
                Fault::HeadThenClose,
                Stage::Body,
                Box::new(
                    |error: &Error| matches!(error, Error::Incomplete(why) if why == "the connection closed after 0 of 1000 body bytes"),
                ),
                Duration::ZERO,
            ),
        ];
        for (fault, stage, check, expected) in cases {
            let (error, failed_in, elapsed, ticks) = fail(&session, &faults, fault).await;
            assert!(check(&error), "{fault:?}: {error:?}");
            assert_eq!(failed_in, stage, "{fault:?}: {error}");
            assert!(elapsed >= expected && elapsed < expected + LATE, "{fault:?}: took {elapsed:?}");
            assert!(ticks >= fewest_ticks(elapsed), "{fault:?}: {ticks} ticks in {elapsed:?}");
        }
    });
}

#[test]
fn a_gzip_flood_fails_on_the_member_limit_then_on_the_input_ratio() {
    // A total timeout long enough that only a limit can end the flood.
    let patient = || builder().timeout(Some(FLOOD_LIMIT_TIME * 2));
    run(move || async move {
        let faults = FaultServer::start();
        let by_default = patient().build().unwrap();
        let members_unlimited = patient().max_gzip_members(u64::MAX).build().unwrap();
        let too_many = "response body has more than 1024 gzip members (raise it with max_gzip_members)";
        let too_much = "compressed response body carries more than 32 bytes per decoded byte after the first 65536, \
                        as a flood of empty gzip members does (raise it with max_input_ratio)";
        for framing in [Framing::UntilClose, Framing::Chunked] {
            for (session, message) in [(&by_default, too_many), (&members_unlimited, too_much)] {
                let (error, stage, elapsed, ticks) = fail(session, &faults, Fault::GzipFlood(framing)).await;
                let limited = matches!(
                    error,
                    Error::TooManyGzipMembers { limit: 1024 } | Error::TooMuchInput { ratio: 32, slack: 65536 }
                );
                assert!(limited, "{framing:?}: {error:?}");
                assert_eq!(error.to_string(), message, "{framing:?}");
                assert_eq!(stage, Stage::Body);
                assert!(elapsed < FLOOD_LIMIT_TIME, "{framing:?}: took {elapsed:?}");
                assert!(ticks >= fewest_ticks(elapsed), "{framing:?}: {ticks} ticks in {elapsed:?}");
            }
        }
    });
}

#[test]
fn a_gzip_flood_without_limits_leaves_the_loop_and_every_deadline_running() {
    // Before the fix: 1 tick in 3 s, and a 1 s timeout beside it fired
    // only when the flood ended, after 3 s. Here the flood lasts 2 s.
    run(|| async {
        let faults = FaultServer::start();
        let unlimited = builder().max_gzip_members(u64::MAX).max_input_ratio(u64::MAX, u64::MAX);
        let flood_session = unlimited.timeout(Some(Duration::from_secs(2))).build().unwrap();
        let other_session = builder().read_timeout(None).timeout(Some(Duration::from_millis(300))).build().unwrap();
        for framing in [Framing::UntilClose, Framing::Chunked] {
            let ticker = Ticker::start();
            let started = Instant::now();
            let url = faults.url(Fault::GzipFlood(framing));
            let session = flood_session.clone();
            let flood = corio::create_task(async move { (fetch(&session, url).await.map(drop), started.elapsed()) });
            // Another request on the same loop, to a server that never
            // answers: its 300 ms total timeout must fire on time.
            let other = fetch(&other_session, faults.url(Fault::Stall)).await.map(drop);
            let other_took = started.elapsed();
            let ticks_then = ticker.ticks();
            let (flooded, flood_took) = flood.await.unwrap();
            let flood_ticks = ticker.ticks();

            let other_error = other.unwrap_err();
            assert!(matches!(other_error, Error::Timeout { kind: TimeoutKind::Total, .. }), "{other_error:?}");
            let other_bound = Duration::from_millis(300);
            assert!(other_took >= other_bound && other_took < other_bound + LATE, "other took {other_took:?}");
            assert!(ticks_then >= fewest_ticks(other_took), "{framing:?}: {ticks_then} ticks in {other_took:?}");
            // The flood's data never pauses, so its read timeout never
            // fires; the total timeout ends it.
            let flood_error = flooded.unwrap_err();
            assert!(matches!(flood_error, Error::Timeout { kind: TimeoutKind::Total, .. }), "{flood_error:?}");
            let flood_bound = Duration::from_secs(2);
            assert!(flood_took >= flood_bound && flood_took < flood_bound + LATE, "flood took {flood_took:?}");
            assert!(flood_ticks >= fewest_ticks(flood_took), "{framing:?}: {flood_ticks} ticks in {flood_took:?}");
            assert!(faults.flooded() > 100_000, "the server sent only {} bytes", faults.flooded());
        }
    });
}

#[test]
fn busy_answers_are_returned_once_with_their_retry_after() {
    // The session retries nothing on 503 or 429 (its only retry is a
    // request whose kept-alive connection turned out closed): the answer
    // comes back as a response, and Retry-After is for the caller to read.
    run(|| async {
        let faults = FaultServer::start();
        let session = builder().build().unwrap();
        for (fault, status, retry_after) in [(Fault::Unavailable, 503, "7"), (Fault::TooManyRequests, 429, "30")] {
            let ticker = Ticker::start();
            let started = Instant::now();
            let (response, body) = fetch(&session, faults.url(fault)).await.unwrap();
            assert!(started.elapsed() < LATE, "{fault:?}: took {:?}", started.elapsed());
            assert_eq!(response.status().as_u16(), status);
            assert_eq!(response.headers().get("retry-after"), Some(retry_after));
            assert_eq!(body, BODY.as_bytes());
            let error = response.error_for_status().unwrap_err();
            assert_eq!(error.status(), Some(status));
            // The loop kept running: the ticker ticks once the answer is in.
            let ticks = ticker.ticks();
            corio::sleep(TICK * 5).await;
            assert!(ticker.ticks() > ticks, "{fault:?}: the ticker stopped");
        }
        let asked: Vec<String> = faults.server.received().iter().map(|r| r.request_line().to_owned()).collect();
        assert_eq!(asked, ["GET /503 HTTP/1.1", "GET /429 HTTP/1.1"]);
    });
}

#[test]
fn the_new_limits_hold_at_exactly_the_limit_through_a_session() {
    // Three gzip members of "abc", then two empty ones: 5 members, 3
    // decoded bytes for 103 bytes of input.
    let member = |data: &[u8]| {
        use std::io::Write;
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    };
    let body = [member(b"a"), member(b"b"), member(b"c"), member(b""), member(b"")].concat();
    let answer = [
        format!("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: {}\r\n\r\n", body.len()).into_bytes(),
        body.clone(),
    ]
    .concat();
    let server = common::http::TestServer::always(answer);
    let url = server.url("/members");
    let input = body.len() as u64;
    run(move || async move {
        type Check = fn(&Result<Vec<u8>, Error>) -> bool;
        let cases: Vec<(&str, SessionBuilder, Check)> = vec![
            ("5 members allowed", builder().max_gzip_members(5), |r| r.as_deref().ok() == Some(b"abc")),
            ("4 members allowed", builder().max_gzip_members(4), |r| {
                matches!(r, Err(Error::TooManyGzipMembers { limit: 4 }))
            }),
            // Ratio 1: the input may be 3 bytes more than the slack.
            ("input exactly at the ratio", builder().max_input_ratio(1, input - 3), |r| r.is_ok()),
            ("one byte past it", builder().max_input_ratio(1, input - 4), |r| {
                matches!(r, Err(Error::TooMuchInput { ratio: 1, .. }))
            }),
        ];
        for (name, builder, check) in cases {
            let session = builder.build().unwrap();
            let result = fetch(&session, url.clone()).await.map(|(_, body)| body);
            assert!(check(&result), "{name}: {result:?}");
        }
    });
}

#[test]
fn a_large_compressed_body_already_received_does_not_hold_the_loop() {
    // 64 MiB of zeros as 64 gzip members of 1 MiB: about 64 KiB on the
    // wire, so it is all in memory after a few reads and the rest is
    // decoding, which no read's budget sees. Before decoding paid the
    // budget too, a ticker beside it got 0 ticks.
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(&vec![0; 1 << 20]).unwrap();
    let body = encoder.finish().unwrap().repeat(64);
    let head = format!("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: {}\r\n\r\n", body.len());
    let server = common::http::TestServer::always([head.into_bytes(), body].concat());
    let url = server.url("/zeros");
    run(move || async move {
        let session = Session::builder().timeout(Some(Duration::from_secs(20))).build().unwrap();
        let ticker = Ticker::start();
        let started = Instant::now();
        let (_, body) = fetch(&session, url).await.unwrap();
        let (elapsed, ticks) = (started.elapsed(), ticker.ticks());
        assert_eq!(body.len(), 64 << 20);
        // Each step may decode about 2 MiB (128 units of 16 KiB), 10 ms or
        // so in a debug build: a sixteenth of the ideal ticks is generous.
        let fewest = (elapsed.as_millis() / TICK.as_millis() / 16) as u32;
        assert!(ticks >= fewest.max(1), "{ticks} ticks in {elapsed:?}");
    });
}
