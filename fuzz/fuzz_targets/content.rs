//! The body decoder with gzip, deflate, br and zstd: split invariance, the body limit, the per-call output budget.
//! Input layout: see `corio::fuzzing`. Run: `cargo +nightly fuzz run content`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| corio::fuzzing::content(data));
