//! The URL parser and join: parse, serialize, parse is a fixed point.
//! Input layout: see `corio::fuzzing`. Run: `cargo +nightly fuzz run url`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| corio::fuzzing::url(data));
