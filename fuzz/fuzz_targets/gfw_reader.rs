//! GFW JSON lines and NMEA through `readers::open` and the validator.
#![no_main]

#[path = "../targets.rs"]
mod targets;

libfuzzer_sys::fuzz_target!(|data: &[u8]| targets::gfw(data));
