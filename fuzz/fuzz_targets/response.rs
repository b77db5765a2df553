//! A whole response (head, framing, content coding, body): split invariance and the body limit.
//! Input layout: see `corio::fuzzing`. Run: `cargo +nightly fuzz run response`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| corio::fuzzing::response(data));
