//! The chunked decoder: split invariance, no data reserved ahead, trailer limits.
//! Input layout: see `corio::fuzzing`. Run: `cargo +nightly fuzz run chunked`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| corio::fuzzing::chunked(data));
