//! The store compliance suite: every backend must pass every check here.
//! Today it runs against SQLite on a temporary file.

use chrono::{Duration, TimeZone, Utc};
use lookout_model::{BreakdownItem, Finding, NavStatus, Position, Severity, ShipType, StaticData, Timestamp, VesselId};
use lookout_store::{CycleKey, CycleOutput, IngestRun, SqliteStore, Store, VesselRow};

fn t(min: i64) -> Timestamp {
    Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).single().expect("time") + Duration::minutes(min)
}

fn pos(id: &str, min: i64, lat: f64) -> Position {
    Position {
        vessel: VesselId::new(id),
        timestamp: t(min),
        lat,
        lon: 128.0,
        sog: Some(8.0),
        cog: None,
        heading: Some(90.0),
        nav_status: Some(NavStatus(7)),
    }
}

fn finding(id: &str, start: i64) -> Finding {
    Finding {
        detector: "dark_suspicion".into(),
        vessel: VesselId::new(id),
        start: t(start),
        end: t(start + 120),
        score: Some(45),
        level: "WATCH".into(),
        severity: Severity::Watch,
        breakdown: vec![BreakdownItem {
            code: "P1".into(),
            pattern: "moving_at_off".into(),
            points: 25,
            label_ko: "이동 중 OFF".into(),
            label_en: "Off while moving".into(),
            description_ko: "설명".into(),
            description_en: "description".into(),
        }],
        evidence: serde_json::json!({"gap_min": 120}),
    }
}

fn with_each_backend(check: impl Fn(&mut dyn Store)) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut sqlite = SqliteStore::open(&dir.path().join("compliance.db")).expect("open sqlite");
    check(&mut sqlite);
}

#[test]
fn positions_are_idempotent_and_load_sorted_with_static_data() {
    with_each_backend(|store| {
        let batch = vec![pos("440000001", 10, 35.0), pos("440000001", 0, 35.1), pos("440000002", 5, 36.0)];
        assert_eq!(store.insert_positions(&batch).expect("insert"), 3);
        assert_eq!(store.insert_positions(&batch).expect("re-insert"), 0, "same rows twice add nothing");
        store
            .upsert_vessels(&[VesselRow {
                vessel: VesselId::new("440000001"),
                id_is_mmsi: true,
                data: StaticData { name: Some("ALPHA".into()), ship_type: Some(ShipType(30)), ..StaticData::default() },
            }])
            .expect("upsert");
        // A later partial update keeps the fields it lacks.
        store
            .upsert_vessels(&[VesselRow {
                vessel: VesselId::new("440000001"),
                id_is_mmsi: true,
                data: StaticData { call_sign: Some("DSAB1".into()), ..StaticData::default() },
            }])
            .expect("upsert 2");
        let tracks = store.load_tracks(t(0), t(10)).expect("load");
        assert_eq!(tracks.len(), 2);
        assert_eq!(tracks[0].static_data.name.as_deref(), Some("ALPHA"));
        assert_eq!(tracks[0].static_data.call_sign.as_deref(), Some("DSAB1"));
        assert_eq!(tracks[0].positions, vec![pos("440000001", 0, 35.1), pos("440000001", 10, 35.0)]);
        assert_eq!(store.load_tracks(t(1), t(9)).expect("load").len(), 1, "window bounds apply");
        assert_eq!(store.position_span().expect("span"), Some((t(0), t(10))));
        let c = store.counts().expect("counts");
        assert_eq!((c.vessels, c.positions), (2, 3));
    });
}

#[test]
fn rewriting_a_cycle_replaces_it_exactly() {
    with_each_backend(|store| {
        let key = CycleKey { window_start: t(0), window_end: t(1440) };
        let first = CycleOutput {
            key: key.clone(),
            params: serde_json::json!({"dark_suspicion": {"weights": {"P1_moving_off": 25}}}),
            findings: vec![finding("440000001", 60), finding("440000002", 30), finding("440000002", 300)],
            stats: serde_json::json!({"dark_suspicion": {"findings": 3}}),
        };
        store.write_cycle(&first).expect("write");
        store.write_cycle(&first).expect("rewrite");
        assert_eq!(store.cycle_findings(&key).expect("read"), first.findings);
        assert_eq!(store.counts().expect("counts").findings, 3);

        let second = CycleOutput { findings: vec![finding("440000001", 60)], ..first.clone() };
        store.write_cycle(&second).expect("replace");
        assert_eq!(store.cycle_findings(&key).expect("read"), second.findings);

        // History spans cycles and counts each episode once.
        let other = CycleOutput { key: CycleKey { window_start: t(30), window_end: t(1470) }, ..first };
        store.write_cycle(&other).expect("other cycle");
        let starts = store.finding_starts("dark_suspicion", &VesselId::new("440000002"), t(0), t(1000)).expect("history");
        assert_eq!(starts, vec![t(30), t(300)]);
        assert!(store.finding_starts("gaps", &VesselId::new("440000002"), t(0), t(1000)).expect("history").is_empty());
    });
}

#[test]
fn ingest_runs_are_recorded() {
    with_each_backend(|store| {
        let run = IngestRun {
            source: "a.csv".into(),
            format: "generic".into(),
            started_at: t(0),
            records_read: 10,
            positions_inserted: 8,
            rejects: [("duplicate".to_string(), 2u64)].into_iter().collect(),
        };
        store.record_ingest(&run).expect("record");
    });
}

#[test]
fn sqlite_refuses_a_database_from_a_newer_version() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("future.db");
    drop(SqliteStore::open(&path).expect("create"));
    let conn = rusqlite_bump(&path);
    drop(conn);
    let err = SqliteStore::open(&path).err().expect("must refuse");
    let msg = err.to_string();
    assert!(msg.contains("newer than this lookout"), "{msg}");
    assert!(msg.contains("future.db"), "{msg}");
}

fn rusqlite_bump(path: &std::path::Path) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(path).expect("open raw");
    conn.pragma_update(None, "user_version", SqliteStore::supported_version() + 1).expect("bump");
    conn
}
