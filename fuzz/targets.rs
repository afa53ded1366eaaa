//! The fuzz targets' bodies, shared by the cargo-fuzz binaries in `fuzz_targets/` (nightly,
//! libFuzzer) and the stable-Rust harness `crates/cli/tests/fuzz_targets.rs` (seeded
//! mutations of the repository's real files, bounded by a count), which includes this
//! file with `#[path]`. Each function must return normally for every input: a panic is
//! the bug a fuzzer reports. They assert only what holds for any input.

#![allow(dead_code)]

use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use lookout_ingest::readers::{self, Format, ReadOptions};
use lookout_ingest::validate::{ValidateOptions, Validator};
use lookout_nmea::{to_records, Decoder, DecoderOptions};

/// NMEA: arbitrary bytes, split into lines, through the stateful decoder and `to_records`.
pub fn nmea(data: &[u8]) {
    let mut d = Decoder::new(DecoderOptions { max_pending_groups: 4, ..DecoderOptions::default() });
    let mut out = Vec::new();
    for (i, line) in data.split(|&b| b == b'\n').enumerate() {
        d.feed(i as u64 + 1, line, &mut out);
    }
    d.finish(&mut out);
    assert_eq!(d.pending_groups(), 0);
    for o in out.iter().flatten() {
        let _ = to_records(o);
    }
}

/// Every reader (`format` forced, or detected when `None`) through the public
/// `readers::open` and the validator: every record read is accepted or rejected, and a
/// reader always ends.
pub fn reader(data: &[u8], format: Option<Format>) {
    let file = TempFile::new(data);
    let opts = ReadOptions { format, ..ReadOptions::default() };
    let Ok(reader) = readers::open(&file.0, &opts) else { return };
    let now = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default();
    let mut validator = Validator::new(ValidateOptions::new(now));
    let (mut read, mut accepted, mut rejected) = (0u64, 0u64, 0u64);
    let mut reader = reader;
    while let Some(item) = reader.next() {
        read += 1;
        match item.and_then(|r| validator.check(r, 0)) {
            Ok(_) => accepted += 1,
            Err(_) => rejected += 1,
        }
        // A reader produces at most a few records per input byte (a line, a field).
        assert!(read <= 4 * data.len() as u64 + 16, "reader does not end");
    }
    assert_eq!(read, accepted + rejected);
    let _ = (reader.notes(), reader.take_error());
}

/// Every CSV-family reader plus detection, on the same bytes.
pub fn csv_readers(data: &[u8]) {
    for f in [Format::MarineCadastre, Format::DmaAisdk, Format::DmaResampled, Format::Generic] {
        reader(data, Some(f));
    }
    reader(data, None);
}

/// GFW JSON lines and NMEA through the same path as the CSV readers.
pub fn gfw(data: &[u8]) {
    reader(data, Some(Format::GfwJsonl));
    reader(data, Some(Format::Nmea));
}

/// Metric series CSV (`lookout anomaly`): read, then score what was read when it is short.
pub fn metric_csv(data: &[u8]) {
    let Ok(all) = lookout_anomaly::series::read_csv(data, None, "fuzz") else { return };
    let p = lookout_anomaly::DetectorParams { epochs: 1, ..lookout_anomaly::DetectorParams::default() };
    for (series, _report) in all.iter().take(2) {
        if series.values.len() <= 400 {
            let _ = lookout_anomaly::score_series(&series.timestamps, &series.values, &p);
        }
    }
}

/// GeoJSON zones: parse, then classify points around and inside every ring's box.
pub fn zones(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let Ok(set) = lookout_detect::zones::ZoneSet::from_geojson(&text) else { return };
    use lookout_detect::ZoneClassifier;
    for (lat, lon) in [(0.0, 0.0), (53.2, -129.2), (37.0, 124.0), (90.0, 180.0), (-90.0, -180.0), (f64::NAN, 1.0)] {
        let _ = set.classify(lat, lon);
    }
}

/// Rules TOML: parse and validate, then plan the stages.
pub fn rules(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let Ok(set) = lookout_engine::rules::RuleSet::parse(&text) else { return };
    let exec = lookout_engine::plan::ExecOptions::default();
    let plan = lookout_engine::plan::Plan::new(&set, exec);
    let _ = plan.render(&set);
}

/// Params JSON: merged over every detector's defaults (merge and validation), and read
/// as the metric detector's params.
pub fn params(data: &[u8]) {
    let Ok(over) = serde_json::from_slice::<serde_json::Value>(data) else { return };
    for d in lookout_detect::ALGORITHMS {
        let defaults = d.default_params();
        if let Ok(merged) = d.merge_params(&defaults, &over) {
            // A merged result is itself a valid override.
            assert!(d.merge_params(&defaults, &merged).is_ok(), "{}: merged params do not merge again", d.code());
        }
    }
    if let Ok(p) = serde_json::from_value::<lookout_anomaly::DetectorParams>(over) {
        let _ = p.validate();
    }
}

/// A file holding the input for the path-based reader API, removed on drop.
pub struct TempFile(pub PathBuf);

impl TempFile {
    pub fn new(data: &[u8]) -> TempFile {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("lookout-fuzz-{}-{n}.txt", std::process::id()));
        let mut f = std::fs::File::create(&path).expect("temp file");
        f.write_all(data).expect("temp file write");
        TempFile(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
