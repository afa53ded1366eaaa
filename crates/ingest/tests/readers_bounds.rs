//! Implausible ids and dimensions (issue 14, item 4): GFW JSON ids that are not integers
//! are counted rejects naming the field and value, never a 309-digit id; lengths and
//! widths outside plausible ranges are dropped with a note while the row is kept.

use std::path::PathBuf;

use lookout_ingest::readers::{open, ReadOptions, RecordReader};
use lookout_model::{Record, Reject, RejectReason};

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, text).expect("write fixture");
    p
}

fn collect(r: &mut RecordReader) -> (Vec<Record>, Vec<Reject>) {
    let (mut ok, mut bad) = (Vec::new(), Vec::new());
    for item in r.by_ref() {
        match item {
            Ok(rec) => ok.push(rec),
            Err(rej) => bad.push(rej),
        }
    }
    (ok, bad)
}

fn vessel(r: &Record) -> String {
    match r {
        Record::Position(p) => p.vessel.as_str().to_string(),
        Record::Static { vessel, .. } => vessel.as_str().to_string(),
    }
}

#[test]
fn gfw_ids_that_are_not_integers_are_counted_rejects() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ids =
        ["219021240", "219021240.0", "\"219021241\"", "\"abc\"", "0", "-1", "1.5", "1e308", "123456789012345678901234"];
    let text: String = ids
        .iter()
        .map(|id| {
            format!("{{\"ssvid\": {id}, \"lat\": 55.0, \"lon\": 11.0, \"timestamp\": \"2024-05-01T12:00:00Z\"}}\n")
        })
        .collect();
    let path = write(&dir, "ids.jsonl", &text);
    let (ok, bad) = collect(&mut open(&path, &ReadOptions::default()).expect("open"));
    let got: Vec<String> = ok.iter().map(vessel).collect();
    // Strings are the source text (the validator's id rules judge them); integers that
    // fit are ids.
    assert_eq!(got, ["219021240", "219021240", "219021241", "abc", "0"]);
    assert_eq!(bad.len(), 4, "{bad:?}");
    for (rej, value) in bad.iter().zip(["-1", "1.5", "1e+308", "e+23"]) {
        assert_eq!(rej.reason, RejectReason::InvalidId);
        assert!(rej.detail.contains("\"ssvid\"") && rej.detail.contains(value), "{rej}");
    }
    assert!(got.iter().all(|id| id.len() < 20));
}

#[test]
fn implausible_dimensions_are_dropped_and_the_row_kept() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = "mmsi,timestamp,lat,lon,sog,cog,name,length,width\n\
        219021240,2024-05-01T12:00:00Z,55.0,11.0,3.0,90.0,ALPHA,1e308,12\n\
        219021241,2024-05-01T12:00:00Z,55.1,11.0,3.0,90.0,BRAVO,45,-3\n\
        219021242,2024-05-01T12:00:00Z,55.2,11.0,3.0,90.0,CHARLIE,120,20\n";
    let path = write(&dir, "dims.csv", text);
    let mut r = open(&path, &ReadOptions::default()).expect("open");
    let (ok, bad) = collect(&mut r);
    assert!(bad.is_empty(), "{bad:?}");
    assert_eq!(ok.iter().filter(|r| matches!(r, Record::Position(_))).count(), 3);
    let dims: Vec<(String, Option<f64>, Option<f64>)> = ok
        .iter()
        .filter_map(|r| match r {
            Record::Static { vessel, data, .. } => Some((vessel.as_str().to_string(), data.length_m, data.width_m)),
            Record::Position(_) => None,
        })
        .collect();
    assert_eq!(
        dims,
        [
            ("219021240".to_string(), None, Some(12.0)),
            ("219021241".to_string(), Some(45.0), None),
            ("219021242".to_string(), Some(120.0), Some(20.0)),
        ]
    );
    let notes = r.notes().join("\n");
    assert!(notes.contains("2 implausible lengths/widths dropped"), "{notes}");
}
