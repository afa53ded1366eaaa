//! Every CSV reader (MarineCadastre, DMA, DMA resampled, generic) and format detection, through `readers::open` and the validator.
#![no_main]

#[path = "../targets.rs"]
mod targets;

libfuzzer_sys::fuzz_target!(|data: &[u8]| targets::csv_readers(data));
