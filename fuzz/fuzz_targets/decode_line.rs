//! Arbitrary bytes, split into lines, through the stateful decoder and `to_records`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lookout_nmea::{to_records, Decoder, DecoderOptions};

fuzz_target!(|data: &[u8]| {
    let mut d = Decoder::new(DecoderOptions { max_pending_groups: 4 });
    let mut out = Vec::new();
    for (i, line) in data.split(|&b| b == b'\n').enumerate() {
        d.feed(i as u64 + 1, line, &mut out);
    }
    d.finish(&mut out);
    assert_eq!(d.pending_groups(), 0);
    for o in out.iter().flatten() {
        let _ = to_records(o);
    }
});
