//! Identity history end to end: generated NMEA and MarineCadastre files with a name
//! change are ingested into a real SQLite store, the rows are checked, and a cycle with
//! the shipped rules reports the change (and a flip-flop as an MMSI_ANOMALY event).

use std::io::Write;
use std::path::Path;

use chrono::{DateTime, Duration, TimeZone, Utc};
use lookout_engine::cycle::{run_cycle, CycleRequest};
use lookout_engine::ingest::{ingest_file, FileSummary};
use lookout_engine::models::resolve;
use lookout_engine::plan::ExecOptions;
use lookout_engine::rules::RuleSet;
use lookout_ingest::readers::ReadOptions;
use lookout_model::{Finding, IdentityObservation};
use lookout_nmea::{encode_position_report, encode_static_call_sign, encode_static_name, PositionFields};
use lookout_pipeline::event::candidate;
use lookout_pipeline::{Category, EventRules};
use lookout_store::{SqliteStore, Store};
use serde_json::Value;

const MMSI: u32 = 440_123_456;
const EARLY: u32 = 440_222_222;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).single().expect("time")
}

fn at(min: i64) -> DateTime<Utc> {
    t0() + Duration::minutes(min)
}

/// A sentence behind an NMEA 4.0 tag block with its receive time.
fn tagged(min: i64, sentence: &str) -> String {
    let tag = format!("c:{}", at(min).timestamp());
    let sum = tag.bytes().fold(0u8, |a, b| a ^ b);
    format!("\\{tag}*{sum:02X}\\{sentence}")
}

fn position(mmsi: u32, k: i64) -> String {
    let lat = 35.0 + k as f64 * 0.02;
    let p = PositionFields {
        msg_type: 1,
        repeat: 0,
        mmsi,
        nav_status: 0,
        rot: 0,
        sog: 72,
        accuracy: false,
        lon: (125.0 * 600_000.0) as i32,
        lat: (lat * 600_000.0) as i32,
        cog: 0,
        heading: 0,
        second: 0,
        raim: false,
    };
    encode_position_report(&p, 'A')
}

fn ingest(store: &mut dyn Store, path: &Path) -> FileSummary {
    let now = t0() + Duration::days(30);
    ingest_file(store, path, &ReadOptions::default(), now, &mut |_, _| {}).expect("ingest")
}

fn rows(store: &dyn Store) -> Vec<(String, String, i64, i64, u64)> {
    let all = store.identities_between(t0() - Duration::days(1), t0() + Duration::days(2)).expect("load");
    all.iter().map(show).collect()
}

/// The identity runs (sequence of sightings) as (vessel, tuple, first, last minute, reports).
fn runs(store: &dyn Store) -> Vec<(String, String, i64, i64, u64)> {
    let all = store.identity_runs_between(t0() - Duration::days(1), t0() + Duration::days(2)).expect("load");
    all.iter().map(show).collect()
}

fn show(o: &IdentityObservation) -> (String, String, i64, i64, u64) {
    {
        let id = &o.identity;
        let what = format!(
            "{}|{}|{}|{}",
            id.name.as_deref().unwrap_or("-"),
            id.call_sign.as_deref().unwrap_or("-"),
            id.imo.map_or("-".into(), |v| v.to_string()),
            id.ship_type.map_or("-".into(), |v| v.0.to_string())
        );
        (o.vessel.to_string(), what, (o.first_seen - t0()).num_minutes(), (o.last_seen - t0()).num_minutes(), o.reports)
    }
}

fn cycle(store: &mut dyn Store) -> Vec<Finding> {
    let rules = resolve(&RuleSet::builtin().expect("rules"), store, &Default::default(), None).expect("resolve");
    let req = CycleRequest {
        at: t0() + Duration::days(1),
        window: Duration::days(1),
        lookback: Duration::days(1),
        rules: &rules,
        exec: ExecOptions::default(),
        registry: None,
        zones: None,
        places: None,
    };
    run_cycle(store, &req).expect("cycle").findings.into_iter().filter(|f| f.detector == "spoofing").collect()
}

fn write(path: &Path, lines: &[String]) {
    let mut f = std::fs::File::create(path).expect("create");
    for l in lines {
        writeln!(f, "{l}").expect("write");
    }
}

/// Positions every 10 minutes for 6 hours; the name "FOO  BAR" three times in the first
/// two hours, then "BAZ" three times; a call sign twice; an untimed "BAZ" after the
/// last position, and an untimed name for a vessel without positions. A second vessel
/// sends an untimed name before its only position.
fn nmea_lines() -> Vec<String> {
    let mut lines: Vec<String> = (0..=36).map(|k| tagged(k * 10, &position(MMSI, k))).collect();
    lines.push(tagged(30, &position(EARLY, 0)));
    for m in [0, 60, 120] {
        lines.push(tagged(m + 1, &encode_static_name(MMSI, "FOO  BAR", 'A')));
    }
    for m in [180, 240, 300] {
        lines.push(tagged(m + 1, &encode_static_name(MMSI, "BAZ", 'A')));
    }
    for m in [5, 65] {
        lines.push(tagged(m, &encode_static_call_sign(MMSI, 30, "DSAB1", 'B')));
    }
    // Sorted by receive time as a receiver writes them; the untimed lines come last.
    lines.sort_by_key(|l| l.split(['c', '*']).nth(1).map(|s| s.trim_start_matches(':').to_string()));
    // Untimed before the vessel's first position: takes that position's time.
    lines.insert(0, encode_static_name(EARLY, "EARLY BIRD", 'A'));
    lines.push(encode_static_name(MMSI, "BAZ", 'A'));
    lines.push(encode_static_name(440_999_999, "LONELY", 'A'));
    lines
}

#[test]
fn nmea_static_reports_become_identity_rows_and_a_change_finding() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("feed.nmea");
    write(&path, &nmea_lines());
    let mut store = SqliteStore::open(&dir.path().join("s.db")).expect("store");
    let s = ingest(&mut store, &path);
    assert_eq!((s.positions_accepted, s.static_records, s.identities, s.identities_untimed), (38, 11, 4, 1));
    // The untimed BAZ takes the vessel's previous position time (6 h), EARLY BIRD its
    // vessel's next one (30 min); the vessel without positions has no history.
    assert_eq!(
        rows(&store),
        vec![
            ("440123456".into(), "FOO  BAR|-|-|-".into(), 1, 121, 3),
            ("440123456".into(), "-|DSAB1|-|30".into(), 5, 65, 2),
            ("440123456".into(), "BAZ|-|-|-".into(), 181, 360, 4),
            ("440222222".into(), "EARLY BIRD|-|-|-".into(), 30, 30, 1),
        ]
    );
    // Ingesting the same file again adds nothing (none of its positions is new).
    let again = ingest(&mut store, &path);
    assert_eq!((again.positions_inserted, again.identities), (0, 0));
    assert!(again.notes.iter().any(|n| n.contains("identity history unchanged")), "{:?}", again.notes);
    assert_eq!(rows(&store)[0], ("440123456".into(), "FOO  BAR|-|-|-".into(), 1, 121, 3));

    let found = cycle(&mut store);
    assert_eq!(found.len(), 1);
    let f = &found[0];
    let patterns: Vec<(&str, i64)> = f.breakdown.iter().map(|b| (b.pattern.as_str(), b.points)).collect();
    assert_eq!(patterns, [("identity_change", 15)]);
    let change = &f.evidence["identity_changes"][0];
    assert_eq!((change["before"]["value"].as_str(), change["before"]["reports"].as_u64()), (Some("FOO  BAR"), Some(3)));
    assert_eq!((change["after"]["value"].as_str(), change["after"]["reports"].as_u64()), (Some("BAZ"), Some(4)));
    assert_eq!(change["after"]["first_seen"], Value::from("2024-05-01T03:01:00+00:00"));
    // LOW: a renaming alone makes no MMSI_ANOMALY event (MEDIUM and up do).
    assert!(candidate(f, &EventRules::default(), &chrono_tz::Asia::Seoul).is_none());
}

/// MarineCadastre rows: ALPHA/IMO 9074729 for 10 rows, BETA/IMO 9176187 for 5, then
/// ALPHA again for 3; a row stating nothing; one corrupted row naming GAMMA.
fn marinecadastre_lines() -> Vec<String> {
    let mut lines = vec![
        "MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType,Status,Length,Width,Draft,Cargo,TransceiverClass"
            .to_string(),
    ];
    let row = |k: i64, name: &str, imo: &str| {
        let ts = at(k * 10).format("%Y-%m-%dT%H:%M:%S");
        format!(
            "367000001,{ts},{:.4},-70.0000,7.0,0.0,0.0,{name},{imo},WDA1234,70,0,100,20,5,70,A",
            40.0 + k as f64 * 0.02
        )
    };
    for k in 0..10 {
        lines.push(row(k, "ALPHA", "IMO9074729"));
    }
    for k in 10..15 {
        lines.push(row(k, "BETA", "IMO9176187"));
    }
    lines.push(row(15, "", ""));
    for k in 16..19 {
        lines.push(row(k, "ALPHA", "IMO9074729"));
    }
    lines.push(row(19, "GAMMA", "IMO9074729"));
    lines
}

#[test]
fn csv_rows_are_counted_per_identity_and_a_flip_flop_makes_an_event() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("AIS_2024_05_01.csv");
    write(&path, &marinecadastre_lines());
    let mut store = SqliteStore::open(&dir.path().join("s.db")).expect("store");
    let s = ingest(&mut store, &path);
    assert_eq!((s.positions_accepted, s.identities), (20, 4));
    assert_eq!(
        rows(&store),
        vec![
            // The row with empty name and IMO still states the call sign and type.
            ("367000001".into(), "ALPHA|WDA1234|9074729|70".into(), 0, 180, 13),
            ("367000001".into(), "BETA|WDA1234|9176187|70".into(), 100, 140, 5),
            ("367000001".into(), "-|WDA1234|-|70".into(), 150, 150, 1),
            ("367000001".into(), "GAMMA|WDA1234|9074729|70".into(), 190, 190, 1),
        ]
    );
    // The sequence: ALPHA, BETA, (nothing stated), ALPHA again, GAMMA.
    assert_eq!(
        runs(&store),
        vec![
            ("367000001".into(), "ALPHA|WDA1234|9074729|70".into(), 0, 90, 10),
            ("367000001".into(), "BETA|WDA1234|9176187|70".into(), 100, 140, 5),
            ("367000001".into(), "-|WDA1234|-|70".into(), 150, 150, 1),
            ("367000001".into(), "ALPHA|WDA1234|9074729|70".into(), 160, 180, 3),
            ("367000001".into(), "GAMMA|WDA1234|9074729|70".into(), 190, 190, 1),
        ]
    );
    let found = cycle(&mut store);
    assert_eq!(found.len(), 1);
    let f = &found[0];
    let patterns: Vec<(&str, i64)> = f.breakdown.iter().map(|b| (b.pattern.as_str(), b.points)).collect();
    // Name and IMO changed (15 + 30) and came back within 3 h (ALPHA away from 90 to 160
    // min): a flip-flop (+40).
    // GAMMA (one report) is below min_reports and makes no change.
    assert_eq!(patterns, [("identity_change", 45), ("identity_flip_flop", 40)]);
    assert_eq!((f.score, f.level.as_str()), (Some(85), "CRITICAL"));
    let list = f.evidence["identity_changes"].as_array().expect("list");
    let fields: Vec<(&str, &str)> =
        list.iter().filter_map(|c| Some((c["field"].as_str()?, c["kind"].as_str()?))).collect();
    assert_eq!(
        fields,
        [("name", "renaming"), ("name", "return_to_earlier"), ("imo", "renaming"), ("imo", "return_to_earlier")]
    );
    assert_eq!(list[1]["away_hours"], 1.17);
    let c = candidate(f, &EventRules::default(), &chrono_tz::Asia::Seoul).expect("an event");
    assert_eq!(c.category, Category::MmsiAnomaly);
    assert_eq!(c.level, lookout_model::Severity::Critical);
}

#[test]
fn a_renaming_between_two_voyages_is_seen_beyond_the_position_look_back() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut store = SqliteStore::open(&dir.path().join("s.db")).expect("store");
    // Voyage 1 ten days before the window as ALPHA, voyage 2 inside it as BETA.
    let header = marinecadastre_lines().remove(0);
    let voyage = |day: i64, name: &str| {
        let mut lines = vec![header.clone()];
        for k in 0..3 {
            let ts = (at(60 + k * 10) + Duration::days(day)).format("%Y-%m-%dT%H:%M:%S");
            lines.push(format!("367000002,{ts},40.{k}000,-70.0000,7.0,0.0,0.0,{name},,WDA5678,70,0,100,20,5,70,A"));
        }
        lines
    };
    for (file, day, name) in [("v1.csv", -10, "ALPHA"), ("v2.csv", 0, "BETA")] {
        let path = dir.path().join(file);
        write(&path, &voyage(day, name));
        ingest(&mut store, &path);
    }
    let found = cycle(&mut store);
    assert_eq!(found.len(), 1, "positions of voyage 1 are outside the 1-day look-back, its name is not");
    let change = &found[0].evidence["identity_changes"][0];
    assert_eq!((change["before"]["value"].as_str(), change["after"]["value"].as_str()), (Some("ALPHA"), Some("BETA")));
    assert_eq!(change["before"]["last_seen"], Value::from("2024-04-21T01:20:00+00:00"));
}
