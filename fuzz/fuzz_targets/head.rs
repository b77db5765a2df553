//! The response head scanner and parser: split invariance, the head size and field limits.
//! Input layout: see `corio::fuzzing`. Run: `cargo +nightly fuzz run head`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| corio::fuzzing::head(data));
