//! probe
mod common;

use std::cell::Cell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use common::faults::{Fault, FaultServer, Framing};
use corio::http::Session;

#[test]
fn probe_flood() {
    for framing in [Framing::UntilClose, Framing::Chunked] {
    common::within(Duration::from_secs(60), move || {
        corio::run(async move {
            let faults = FaultServer::start();
            let ticks = Rc::new(Cell::new(0u32));
            let counter = Rc::clone(&ticks);
            let ticker = corio::create_task(async move {
                loop {
                    corio::sleep(Duration::from_millis(10)).await;
                    counter.set(counter.get() + 1);
                }
            });
            let session = Session::builder().timeout(Some(Duration::from_secs(3))).max_gzip_members(u64::MAX).max_input_ratio(u64::MAX, u64::MAX).build().unwrap();
            let other = Session::builder().timeout(Some(Duration::from_secs(1))).build().unwrap();
            let started = Instant::now();
            let url = faults.url(Fault::GzipFlood(framing));
            let flood = corio::create_task(async move {
                let result = match session.get(url).await {
                    Ok(response) => response.bytes().await.map(|b| b.len()),
                    Err(e) => Err(e),
                };
                (result, started.elapsed())
            });
            let stall = faults.url(Fault::Stall);
            let other = corio::create_task(async move {
                let result = other.get(stall).await.map(|_| ());
                (result, started.elapsed())
            });
            let (other_result, other_took) = other.await.unwrap();
            let ticks_at_other = ticks.get();
            let (flood_result, flood_took) = flood.await.unwrap();
            eprintln!("{framing:?}: other {other_result:?} after {other_took:?}, ticks then {ticks_at_other}; flood {flood_result:?} after {flood_took:?}, ticks {} ; flooded {} bytes", ticks.get(), faults.flooded());
            ticker.cancel();
        });
    });
    }
}
