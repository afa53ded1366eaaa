//! Params JSON merged over every detector's defaults, and as metric-detector params.
#![no_main]

#[path = "../targets.rs"]
mod targets;

libfuzzer_sys::fuzz_target!(|data: &[u8]| targets::params(data));
