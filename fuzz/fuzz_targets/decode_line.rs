//! Arbitrary bytes, split into lines, through the stateful decoder and `to_records`.
#![no_main]

#[path = "../targets.rs"]
mod targets;

libfuzzer_sys::fuzz_target!(|data: &[u8]| targets::nmea(data));
