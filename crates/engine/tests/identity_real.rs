//! Identity changes on a real track with known answers: the shipped DMA recording of
//! 212123000 ("STOC MARCIA", 2014-10-02 16:30 to 10-03 07:00 UTC, 562 static reports
//! under one name), ingested as NMEA into a real SQLite store and analysed with the
//! shipped rules. Each case adds type 24 name reports (or removes the real ones) to the
//! real stream, so the answer is known by construction:
//! - unmodified (and every other shipped NMEA recording): no identity change;
//! - the name garbled in two characters in three reports: no change, a corrupted
//!   reception noted;
//! - another name for 40 minutes, then the real one again: a flip-flop (A, B, A);
//! - another name from 23:00 on, the real static reports after it removed: a renaming.

use std::io::{Read, Write};
use std::path::PathBuf;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use lookout_detect::identity::changes::{analyse, IdentityParams};
use lookout_engine::cycle::{run_cycle, CycleRequest};
use lookout_engine::ingest::ingest_file;
use lookout_engine::models::resolve;
use lookout_engine::plan::ExecOptions;
use lookout_engine::rules::RuleSet;
use lookout_ingest::readers::ReadOptions;
use lookout_model::{Finding, VesselId};
use lookout_nmea::encode_static_name;
use lookout_store::{SqliteStore, Store};
use serde_json::Value;

const MMSI: u32 = 212_123_000;
const REAL_NAME: &str = "STOC MARCIA";

fn testdata(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/ais").join(rel)
}

fn real_lines() -> Vec<String> {
    let file = std::fs::File::open(testdata("dma_aisabnormal/212123000_drift_1.ais.gz")).expect("testdata");
    let mut text = String::new();
    flate2::read::MultiGzDecoder::new(file).read_to_string(&mut text).expect("gzip text");
    text.lines().map(str::to_string).collect()
}

fn utc(d: u32, h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2014, 10, d, h, m, 0).single().expect("time")
}

/// A type 24 name report of 212123000 received at `t` (NMEA 4.0 tag block time).
fn name_report(t: DateTime<Utc>, name: &str) -> String {
    let tag = format!("c:{}", t.timestamp());
    let sum = tag.bytes().fold(0u8, |a, b| a ^ b);
    format!("\\{tag}*{sum:02X}\\{}", encode_static_name(MMSI, name, 'A'))
}

/// The receive time a `$PGHP` line states.
fn pghp_time(line: &str) -> Option<DateTime<Utc>> {
    let f: Vec<&str> = line.split(',').collect();
    let n = |i: usize| f.get(i).and_then(|v| v.parse::<u32>().ok());
    let date = NaiveDate::from_ymd_opt(i32::try_from(n(2)?).ok()?, n(3)?, n(4)?)?;
    Some(Utc.from_utc_datetime(&date.and_hms_opt(n(5)?, n(6)?, n(7)?)?))
}

/// The real lines with `extra` sentences inserted where their receive time falls (a
/// receiver writes lines in receive order).
fn with_reports(lines: Vec<String>, mut extra: Vec<(DateTime<Utc>, String)>) -> Vec<String> {
    extra.sort_by_key(|(t, _)| *t);
    let mut extra = extra.into_iter().peekable();
    let mut out = Vec::new();
    for line in lines {
        if let Some(t) = line.starts_with("$PGHP").then(|| pghp_time(&line)).flatten() {
            while let Some((_, l)) = extra.next_if(|(at, _)| *at <= t) {
                out.push(l);
            }
        }
        out.push(line);
    }
    out.extend(extra.map(|(_, l)| l));
    out
}

/// The real lines without the two-part messages (the type 5 static reports) received
/// at or after `cut`.
fn without_static_after(lines: Vec<String>, cut: DateTime<Utc>) -> Vec<String> {
    let mut now: Option<DateTime<Utc>> = None;
    let mut out = Vec::new();
    for line in lines {
        if line.starts_with("$PGHP") {
            now = pghp_time(&line).or(now);
        }
        let two_part = line.contains("VDM,2,");
        if !(two_part && now.is_some_and(|t| t >= cut)) {
            out.push(line);
        }
    }
    out
}

struct Outcome {
    store: SqliteStore,
    spoofing: Option<Finding>,
    _dir: tempfile::TempDir,
}

/// Ingests `lines` and runs one cycle over the two days of the recording.
fn analyse_lines(lines: &[String]) -> Outcome {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("212123000.ais");
    let mut f = std::fs::File::create(&path).expect("create");
    for l in lines {
        writeln!(f, "{l}").expect("write");
    }
    drop(f);
    let mut store = SqliteStore::open(&dir.path().join("s.db")).expect("store");
    ingest_file(&mut store, &path, &ReadOptions::default(), utc(10, 0, 0), &mut |_, _| {}).expect("ingest");
    let spoofing = cycle(&mut store).into_iter().find(|f| f.vessel.as_str() == "212123000");
    Outcome { store, spoofing, _dir: dir }
}

fn cycle(store: &mut dyn Store) -> Vec<Finding> {
    let rules = resolve(&RuleSet::builtin().expect("rules"), store, &Default::default(), None).expect("resolve");
    let req = CycleRequest {
        at: utc(4, 0, 0),
        window: Duration::days(3),
        lookback: Duration::days(1),
        rules: &rules,
        exec: ExecOptions::default(),
        registry: None,
        zones: None,
        places: None,
    };
    run_cycle(store, &req).expect("cycle").findings.into_iter().filter(|f| f.detector == "spoofing").collect()
}

fn identity_patterns(f: &Option<Finding>) -> Vec<String> {
    f.iter()
        .flat_map(|f| f.breakdown.iter())
        .filter(|b| b.pattern.starts_with("identity_"))
        .map(|b| b.pattern.clone())
        .collect()
}

fn changes(f: &Option<Finding>) -> Vec<(String, String, String)> {
    let list = f.as_ref().and_then(|f| f.evidence["identity_changes"].as_array().cloned()).unwrap_or_default();
    let s = |v: &Value| v.as_str().unwrap_or("").to_string();
    list.iter().map(|c| (s(&c["before"]["value"]), s(&c["after"]["value"]), s(&c["kind"]))).collect()
}

#[test]
fn the_unmodified_recording_has_one_name_and_no_change() {
    let out = analyse_lines(&real_lines());
    let runs = out.store.vessel_identity_runs(&VesselId::new("212123000")).expect("runs");
    let names: Vec<&str> = runs.iter().filter_map(|r| r.identity.name.as_deref()).collect();
    assert_eq!(names, [REAL_NAME], "one run: the name never changed");
    assert_eq!(identity_patterns(&out.spoofing), Vec::<String>::new());
}

#[test]
fn every_shipped_nmea_recording_is_free_of_identity_changes() {
    for rel in [
        "dma_aisabnormal/538004030_drift_1.ais.gz",
        "dma_aisabnormal/219165000_ssc_1.ais.gz",
        "dma_aisabnormal/ais-sample.txt.gz",
        "dma_aislib_stream_example_2010-06-11.txt.gz",
        "gpsd_sample.aivdm.gz",
        "pyais_nmea_data_sample.txt.gz",
    ] {
        let dir = tempfile::tempdir().expect("tmp");
        let mut store = SqliteStore::open(&dir.path().join("s.db")).expect("store");
        ingest_file(&mut store, &testdata(rel), &ReadOptions::default(), utc(10, 0, 0), &mut |_, _| {})
            .expect("ingest");
        let Some((from, to)) = store.position_span().expect("span") else { continue };
        let runs = store.identity_runs_between(from - Duration::days(1), to + Duration::days(1)).expect("runs");
        let mut vessels: Vec<&str> = runs.iter().map(|r| r.vessel.as_str()).collect();
        vessels.dedup();
        for v in vessels {
            let mine: Vec<_> = runs.iter().filter(|r| r.vessel.as_str() == v).cloned().collect();
            let report = analyse(&mine, from - Duration::days(1), to, &IdentityParams::default());
            assert!(report.changes.is_empty(), "{rel} {v}: {:?}", report.changes);
        }
    }
}

#[test]
fn a_name_garbled_in_two_characters_is_a_corrupted_reception() {
    let extra = [0, 5, 10].map(|m| (utc(2, 20, m), name_report(utc(2, 20, m), "STOX MARGIA")));
    let out = analyse_lines(&with_reports(real_lines(), extra.to_vec()));
    assert_eq!(identity_patterns(&out.spoofing), Vec::<String>::new(), "no renaming");
    let runs = out.store.vessel_identity_runs(&VesselId::new("212123000")).expect("runs");
    let names: Vec<(&str, u64)> = runs.iter().filter_map(|r| Some((r.identity.name.as_deref()?, r.reports))).collect();
    // The sequence is kept: the garbled reports sit between real ones (how many runs
    // they make depends on which real reports were received in between).
    let garbled: u64 = names.iter().filter(|(n, _)| *n == "STOX MARGIA").map(|(_, r)| r).sum();
    assert_eq!(garbled, 3, "{names:?}");
    assert!(names.len() >= 3, "{names:?}");
    assert_eq!((names.first().map(|n| n.0), names.last().map(|n| n.0)), (Some(REAL_NAME), Some(REAL_NAME)));
    let report = analyse(&runs, utc(1, 0, 0), utc(4, 0, 0), &IdentityParams::default());
    assert!(report.changes.is_empty());
    let c = &report.corrupted;
    assert_eq!(c.len(), 1);
    assert_eq!(
        (c[0].value.as_str(), c[0].original.as_str(), c[0].edits, c[0].reports),
        ("STOX MARGIA", REAL_NAME, 2, 3)
    );
}

#[test]
fn another_name_for_forty_minutes_is_a_flip_flop() {
    let extra = [0, 10, 20, 30, 40].map(|m| (utc(2, 20, m), name_report(utc(2, 20, m), "NORTHERN STAR")));
    let out = analyse_lines(&with_reports(real_lines(), extra.to_vec()));
    assert_eq!(identity_patterns(&out.spoofing), ["identity_change", "identity_flip_flop"]);
    // Interleaved with the real reports: A, B, A, B, ... A; every change after the first
    // is a return, the last one back to the real name.
    let list = changes(&out.spoofing);
    assert!(list.len() >= 2, "{list:?}");
    assert_eq!(list[0], (REAL_NAME.into(), "NORTHERN STAR".into(), "renaming".into()));
    assert!(list[1..].iter().all(|c| c.2 == "return_to_earlier"), "{list:?}");
    assert_eq!(list.last().map(|c| c.1.as_str()), Some(REAL_NAME));
    let f = out.spoofing.expect("finding");
    let away = f.evidence["identity_changes"][1]["away_hours"].as_f64().unwrap_or(f64::NAN);
    assert!(away < 2.0, "the real name is reported every few minutes: {away}");
}

#[test]
fn a_new_name_that_stays_is_a_renaming() {
    let mut extra = Vec::new();
    let mut t = utc(2, 23, 0);
    while t < utc(3, 7, 0) {
        extra.push((t, name_report(t, "NORTHERN STAR")));
        t += Duration::minutes(6);
    }
    let out = analyse_lines(&with_reports(without_static_after(real_lines(), utc(2, 23, 0)), extra));
    assert_eq!(identity_patterns(&out.spoofing), ["identity_change"]);
    assert_eq!(changes(&out.spoofing), [(REAL_NAME.into(), "NORTHERN STAR".into(), "renaming".into())]);
}
