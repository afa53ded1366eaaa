//! The store compliance suite: every backend must pass every check here.
//! Each check runs against SQLite on a temporary file and against PostgreSQL at
//! `LOOKOUT_TEST_PG_URL` (default `postgres://postgres@127.0.0.1:5432/test`), each in a
//! schema of its own that is dropped afterwards. In CI (`CI` set) an unreachable
//! PostgreSQL fails the suite; elsewhere its half is skipped with a loud message.

use chrono::{Duration, TimeZone, Utc};
use lookout_model::{BreakdownItem, Finding, NavStatus, Position, Severity, ShipType, StaticData, Timestamp, VesselId};
use lookout_store::testing::{pg_test_url, TestSchema};
use lookout_store::{CycleKey, CycleOutput, CycleState, IngestRun, PostgresStore, SqliteStore, Store, VesselRow};

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
        rule: Some("dark_suspicion".into()),
        model_version: Some(2),
        params_hash: Some("0123456789abcdef".into()),
    }
}

/// Runs `check` on a fresh SQLite store, then on a fresh PostgreSQL store. The backend
/// is printed first so a failing assertion says which one failed.
fn with_each_backend(check: impl Fn(&mut dyn Store)) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut sqlite = SqliteStore::open(&dir.path().join("compliance.db")).expect("open sqlite");
    eprintln!("backend: sqlite");
    check(&mut sqlite);
    if let Some(url) = pg_test_url() {
        let schema = TestSchema::create(&url, "compliance").expect("create test schema");
        let mut pg = PostgresStore::open(&schema.url()).expect("open postgres");
        eprintln!("backend: postgres (schema {})", schema.name);
        check(&mut pg);
    }
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
fn the_first_of_a_repeated_key_in_one_batch_wins_whatever_the_order() {
    with_each_backend(|store| {
        let with = |id: &str, min: i64, lat: f64, sog: f64| Position { sog: Some(sog), ..pos(id, min, lat) };
        // Keys the database compares equal although the values differ: -0.0 and 0.0, and
        // times within one millisecond; the batch is out of key order on purpose.
        let mut late = with("440000001", 5, 0.0, 3.0);
        late.timestamp += Duration::microseconds(400);
        let batch = vec![
            with("440000002", 9, 36.0, 1.0),
            late,
            with("440000001", 5, 0.0, 4.0),
            with("440000001", 3, 0.0, 1.0),
            with("440000001", 3, -0.0, 2.0),
            with("440000002", 9, 36.0, 5.0),
            with("440000001", 1, 35.0, 6.0),
        ];
        assert_eq!(store.insert_positions(&batch).expect("insert"), 4);
        let tracks = store.load_tracks(t(0), t(10)).expect("load");
        let seen: Vec<(String, i64, Option<f64>)> = tracks
            .iter()
            .flat_map(|t| t.positions.iter())
            .map(|p| (p.vessel.as_str().to_string(), p.timestamp.timestamp_millis() / 60_000 % 60, p.sog))
            .collect();
        let want = [("440000001", 1, 6.0), ("440000001", 3, 1.0), ("440000001", 5, 3.0), ("440000002", 9, 1.0)];
        let want: Vec<(String, i64, Option<f64>)> =
            want.iter().map(|(id, m, sog)| (id.to_string(), *m, Some(*sog))).collect();
        assert_eq!(seen, want);
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
        let starts =
            store.finding_starts("dark_suspicion", &VesselId::new("440000002"), t(0), t(1000)).expect("history");
        assert_eq!(starts, vec![t(30), t(300)]);
        assert!(store.finding_starts("gaps", &VesselId::new("440000002"), t(0), t(1000)).expect("history").is_empty());
    });
}

#[test]
fn a_cycle_state_lives_exactly_as_long_as_its_output() {
    with_each_backend(|store| {
        let key = CycleKey { window_start: t(0), window_end: t(1440) };
        let other = CycleKey { window_start: t(30), window_end: t(1470) };
        assert_eq!(store.cycle_state(&key).expect("none yet"), None);
        let output = CycleOutput {
            key: key.clone(),
            params: serde_json::json!({}),
            findings: vec![finding("440000001", 60)],
            stats: serde_json::json!({}),
        };
        let state = CycleState {
            run_hash: "0123abcd".into(),
            vessels: vec![("440000001".into(), "ff00".into()), ("B".into(), "01".into()), ("a".into(), "02".into())],
        };
        store.write_cycle_with_state(&output, &state).expect("write");
        store
            .write_cycle_with_state(&CycleOutput { key: other.clone(), ..output.clone() }, &CycleState::default())
            .expect("other window");
        // Read back by vessel id in bytewise order, with the findings written with it.
        assert_eq!(store.cycle_state(&key).expect("read"), Some(state.clone()));
        assert_eq!(store.cycle_findings(&key).expect("findings"), output.findings);
        assert_eq!(store.cycle_state(&other).expect("other"), Some(CycleState::default()));
        // Rewriting with a new state replaces it whole.
        let newer = CycleState { run_hash: "99".into(), vessels: vec![("a".into(), "03".into())] };
        store.write_cycle_with_state(&output, &newer).expect("rewrite");
        assert_eq!(store.cycle_state(&key).expect("read"), Some(newer));
        // A plain write of the window removes it; the other window keeps its own.
        store.write_cycle(&output).expect("plain write");
        assert_eq!(store.cycle_state(&key).expect("gone"), None);
        assert_eq!(store.cycle_state(&other).expect("kept"), Some(CycleState::default()));
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

/// Migration 0008 turns the identity rows of an existing database (schema 6) into one
/// run each, so history recorded before it keeps counting.
#[test]
fn sqlite_identity_rows_become_runs_when_migrating_to_0008() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("v6.db");
    let conn = rusqlite::Connection::open(&path).expect("open raw");
    for sql in [
        include_str!("../migrations/sqlite/0001_init.sql"),
        include_str!("../migrations/sqlite/0002_models.sql"),
        include_str!("../migrations/sqlite/0003_pipeline.sql"),
        include_str!("../migrations/sqlite/0004_identities.sql"),
        include_str!("../migrations/sqlite/0005_ingest_journal.sql"),
        include_str!("../migrations/sqlite/0006_api_tokens.sql"),
    ] {
        conn.execute_batch(sql).expect("old migration");
    }
    let (first, last) = (t(0).timestamp_millis(), t(10).timestamp_millis());
    conn.execute_batch(&format!(
        "INSERT INTO vessels (vessel_id, id_is_mmsi) VALUES ('440000001', 1);
         INSERT INTO vessel_identities VALUES ('440000001', 'ALPHA', '', 0, 0, {first}, {last}, 7);
         PRAGMA user_version = 6;"
    ))
    .expect("v6 rows");
    drop(conn);
    let store = SqliteStore::open(&path).expect("migrates");
    let runs = store.vessel_identity_runs(&VesselId::new("440000001")).expect("runs");
    let got: Vec<(Option<&str>, Timestamp, Timestamp, u64)> =
        runs.iter().map(|r| (r.identity.name.as_deref(), r.first_seen, r.last_seen, r.reports)).collect();
    assert_eq!(got, [(Some("ALPHA"), t(0), t(10), 7)]);
}

fn rusqlite_bump(path: &std::path::Path) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(path).expect("open raw");
    conn.pragma_update(None, "user_version", SqliteStore::supported_version() + 1).expect("bump");
    conn
}

#[test]
fn positions_older_than_the_retention_window_are_pruned() {
    with_each_backend(|store| {
        store
            .insert_positions(&[pos("440000001", 0, 35.0), pos("440000001", 60, 35.1), pos("440000002", 120, 36.0)])
            .expect("insert");
        let none = store.prune(&lookout_store::Retention::default()).expect("prune nothing");
        assert_eq!(none.positions, 0, "no rule, nothing deleted");
        // Strictly before: the position at exactly the cut-off stays.
        let report = store
            .prune(&lookout_store::Retention { positions_before: Some(t(60)), ..Default::default() })
            .expect("prune");
        assert_eq!(report.positions, 1);
        assert_eq!(store.position_span().expect("span"), Some((t(60), t(120))));
        let c = store.counts().expect("counts");
        assert_eq!((c.vessels, c.positions), (2, 2), "vessels stay");
    });
}

#[test]
fn info_lists_every_table_with_its_row_count() {
    with_each_backend(|store| {
        store.insert_positions(&[pos("440000001", 0, 35.0), pos("440000002", 5, 35.0)]).expect("insert");
        let info = store.info().expect("info");
        assert_eq!(info.schema_version, info.supported_version, "open migrates to the latest version");
        assert!(info.supported_version >= 1);
        let names: Vec<&str> = info.tables.iter().map(|(n, _)| n.as_str()).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(names, sorted, "tables are listed by name");
        for expected in ["cycles", "findings", "ingest_runs", "positions", "vessels"] {
            assert!(names.contains(&expected), "{expected} missing from {names:?}");
        }
        let count = |name: &str| info.tables.iter().find(|(n, _)| n == name).map(|(_, c)| *c);
        assert_eq!((count("positions"), count("vessels"), count("findings")), (Some(2), Some(2), Some(0)));
        assert!(!names.iter().any(|n| n.contains("migration")), "the version table is not a data table: {names:?}");
    });
}

#[test]
fn duplicates_inside_one_batch_keep_the_first_row() {
    with_each_backend(|store| {
        let first = pos("440000001", 0, 35.0);
        let same_key_other_speed = Position { sog: Some(1.5), ..first.clone() };
        assert_eq!(store.insert_positions(&[first.clone(), same_key_other_speed]).expect("insert"), 1);
        assert_eq!(store.insert_positions(&[]).expect("empty batch"), 0);
        let tracks = store.load_tracks(t(0), t(0)).expect("load");
        assert_eq!(tracks[0].positions, vec![first]);
    });
}

#[test]
fn repeats_of_a_vessel_in_one_batch_fold_like_sequential_upserts() {
    with_each_backend(|store| {
        let row = |id: &str, data: StaticData| VesselRow { vessel: VesselId::new(id), id_is_mmsi: true, data };
        store
            .upsert_vessels(&[row("440000001", StaticData { imo: Some(1), ..StaticData::default() })])
            .expect("existing");
        store
            .upsert_vessels(&[
                row("440000001", StaticData { name: Some("FIRST".into()), ..StaticData::default() }),
                row("440000002", StaticData { length_m: Some(20.0), ..StaticData::default() }),
                row("440000001", StaticData { call_sign: Some("DSAB1".into()), ..StaticData::default() }),
                row("440000001", StaticData { name: Some("SECOND".into()), ..StaticData::default() }),
                row("440000001", StaticData::default()),
            ])
            .expect("batch");
        store.insert_positions(&[pos("440000001", 0, 35.0), pos("440000002", 0, 35.0)]).expect("positions");
        let tracks = store.load_tracks(t(0), t(0)).expect("load");
        let expected = StaticData {
            name: Some("SECOND".into()),
            call_sign: Some("DSAB1".into()),
            imo: Some(1),
            ..StaticData::default()
        };
        assert_eq!(tracks[0].static_data, expected);
        assert_eq!(tracks[1].static_data, StaticData { length_m: Some(20.0), ..StaticData::default() });
        store.upsert_vessels(&[]).expect("empty batch");
    });
}

/// The same writes to both backends read back as the same values, byte for byte once
/// serialised: ids that collations order differently, missing values, extreme numbers,
/// and JSON whose keys were written out of order (read back sorted, -0.0 as 0.0:
/// JSONB keeps neither).
#[test]
fn both_backends_read_back_identical_values() {
    let Some(url) = pg_test_url() else { return };
    let ids = ["B", "a", "_x", "Z9", "a b", "é", "440000001", "4400000010"];
    let positions: Vec<Position> = ids
        .iter()
        .enumerate()
        .flat_map(|(i, id)| {
            (0..3).map(move |k| Position {
                vessel: VesselId::new(*id),
                timestamp: t(10 * k as i64 - i as i64),
                lat: -89.999_999_9 + i as f64,
                lon: 179.999_999_9 - k as f64 * 1e-7,
                sog: if k == 1 { None } else { Some(0.1 + i as f64) },
                cog: Some(359.9),
                heading: None,
                nav_status: if k == 2 { None } else { Some(NavStatus(15)) },
            })
        })
        .collect();
    let mut f = finding("é", 3);
    f.evidence = serde_json::json!({"z": 1, "a": {"y": [3, {"k2": 1e-7, "k1": -0.0}], "b": null}, "m": "한글"});
    let output = CycleOutput {
        key: CycleKey { window_start: t(0), window_end: t(60) },
        params: serde_json::json!({"w": 1, "a": 2}),
        findings: vec![f, finding("B", 1)],
        stats: serde_json::json!({}),
    };
    let vessels = [VesselRow {
        vessel: VesselId::new("Z9"),
        id_is_mmsi: false,
        data: StaticData {
            imo: Some(u32::MAX),
            ship_type: Some(ShipType(u16::MAX)),
            length_m: Some(0.5),
            ..StaticData::default()
        },
    }];
    let run = |store: &mut dyn Store| {
        store.insert_positions(&positions).expect("insert");
        store.upsert_vessels(&vessels).expect("vessels");
        store.write_cycle(&output).expect("cycle");
        let tracks = store.load_tracks(t(-100), t(100)).expect("load");
        let findings = store.cycle_findings(&output.key).expect("findings");
        (
            serde_json::to_string(&tracks).expect("json"),
            serde_json::to_string(&findings).expect("json"),
            store.counts().expect("counts"),
        )
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let sqlite = run(&mut SqliteStore::open(&dir.path().join("same.db")).expect("sqlite"));
    let schema = TestSchema::create(&url, "same").expect("schema");
    let pg = run(&mut PostgresStore::open(&schema.url()).expect("postgres"));
    assert_eq!(sqlite.0, pg.0, "tracks differ");
    assert_eq!(sqlite.1, pg.1, "findings differ");
    assert_eq!(sqlite.2, pg.2);
    // Bytewise order, as SQLite's BINARY collation: not the server's locale order.
    let order: Vec<String> = serde_json::from_str::<Vec<serde_json::Value>>(&pg.0)
        .expect("tracks")
        .iter()
        .map(|t| t["vessel"].as_str().expect("id").to_string())
        .collect();
    assert_eq!(order, ["440000001", "4400000010", "B", "Z9", "_x", "a", "a b", "é"]);
    assert!(pg.1.contains(r#""evidence":{"a":{"b":null,"y":[3,{"k1":0.0,"k2":1e-7}]},"m":"한글","z":1}"#), "{}", pg.1);
}

#[test]
fn postgres_refuses_a_database_from_a_newer_version() {
    let Some(url) = pg_test_url() else { return };
    let schema = TestSchema::create(&url, "future").expect("schema");
    drop(PostgresStore::open(&schema.url()).expect("create"));
    let mut raw = schema.connect().expect("raw connection");
    raw.execute(
        "INSERT INTO lookout_schema_migrations (version) VALUES ($1)",
        &[&(PostgresStore::supported_version() as i32 + 1)],
    )
    .expect("bump");
    // The password must not appear; trust auth ignores it.
    let with_password = schema.url().replacen("postgres://postgres@", "postgres://postgres:hunter2@", 1);
    let err = PostgresStore::open(&with_password).err().expect("must refuse");
    let msg = err.to_string();
    assert!(matches!(err, lookout_store::StoreError::TooNew { .. }), "{msg}");
    assert!(msg.contains("newer than this lookout"), "{msg}");
    assert!(msg.contains(&format!("schema version {}", PostgresStore::supported_version() + 1)), "{msg}");
    assert!(msg.contains(&schema.name) && msg.contains("postgres:***@"), "{msg}");
    assert!(!msg.contains("hunter2"), "{msg}");
    // Status still describes it.
    let info = lookout_store::open_with(&schema.url(), lookout_store::OpenMode::Inspect)
        .expect("inspect")
        .info()
        .expect("info");
    assert_eq!(info.schema_version, PostgresStore::supported_version() + 1);
}

#[test]
fn a_closed_port_is_a_clear_error_without_the_password() {
    // Port 1 on loopback: nothing listens there, the connection is refused at once.
    let err = lookout_store::open("postgres://lookout:s3cret@127.0.0.1:1/test").err().expect("unreachable");
    let msg = err.to_string();
    assert!(msg.contains("postgres://lookout:***@127.0.0.1:1/test"), "{msg}");
    assert!(msg.contains("error connecting to server") && msg.contains("refused"), "{msg}");
    assert!(!msg.contains("s3cret"), "{msg}");
}

#[test]
fn a_wrong_url_is_a_clear_error() {
    let err = lookout_store::open("postgres://u:s3cret@127.0.0.1:notaport/test").err().expect("bad port").to_string();
    assert!(err.contains("invalid") && err.contains("u:***@") && !err.contains("s3cret"), "{err}");
    let err = lookout_store::open("mysql://u@127.0.0.1/test").err().expect("scheme").to_string();
    assert!(err.contains("unsupported scheme 'mysql://'"), "{err}");
    let Some(url) = pg_test_url() else { return };
    let missing = format!("{}_does_not_exist", url.split('?').next().expect("url"));
    let err = lookout_store::open(&missing).err().expect("missing database").to_string();
    assert!(err.contains("database \"test_does_not_exist\" does not exist") || err.contains("does not exist"), "{err}");
}

// ----- Model registry and cycle statistics (rule engine, issue 5) -----

fn change(actor: &str, min: i64, reason: &str) -> lookout_store::ModelChange {
    lookout_store::ModelChange { actor: actor.into(), at: t(min), reason: reason.into() }
}

#[test]
fn model_registry_keeps_one_active_version_and_audits_every_change() {
    use lookout_store::{ModelStatus, StoreError};
    with_each_backend(|store| {
        assert!(store.model_versions("dark_suspicion").expect("versions").is_empty());
        // A first version may not be a DRAFT-less ARCHIVED row, and only the first may be ACTIVE.
        let v1 = store
            .insert_model_version(
                "dark_suspicion",
                ModelStatus::Active,
                &serde_json::json!({"w": 1}),
                &change("sys", 0, "defaults"),
            )
            .expect("seed");
        assert_eq!((v1.version, v1.status), (1, ModelStatus::Active));
        let again = store.insert_model_version(
            "dark_suspicion",
            ModelStatus::Active,
            &serde_json::json!({}),
            &change("x", 1, ""),
        );
        assert!(matches!(again, Err(StoreError::Conflict { .. })), "{again:?}");
        let archived =
            store.insert_model_version("gaps", ModelStatus::Archived, &serde_json::json!({}), &change("x", 1, ""));
        assert!(matches!(archived, Err(StoreError::Conflict { .. })), "{archived:?}");

        let v2 = store
            .insert_model_version(
                "dark_suspicion",
                ModelStatus::Draft,
                &serde_json::json!({"w": 2}),
                &change("kim", 2, "tune"),
            )
            .expect("draft");
        assert_eq!((v2.version, v2.status), (2, ModelStatus::Draft));
        // Only a DRAFT can be promoted; an unknown version is refused.
        assert!(matches!(
            store.activate_model_version("dark_suspicion", 1, ModelStatus::Draft, "promote", &change("kim", 3, "")),
            Err(StoreError::Conflict { .. })
        ));
        assert!(store
            .activate_model_version("dark_suspicion", 9, ModelStatus::Draft, "promote", &change("kim", 3, ""))
            .is_err());
        let promoted = store
            .activate_model_version("dark_suspicion", 2, ModelStatus::Draft, "promote", &change("lee", 4, "reviewed"))
            .expect("promote");
        assert_eq!(promoted.status, ModelStatus::Active);
        let statuses = |s: &dyn Store| -> Vec<(i64, ModelStatus)> {
            s.model_versions("dark_suspicion").expect("versions").iter().map(|v| (v.version, v.status)).collect()
        };
        assert_eq!(statuses(&*store), vec![(1, ModelStatus::Archived), (2, ModelStatus::Active)]);
        store
            .activate_model_version("dark_suspicion", 1, ModelStatus::Archived, "rollback", &change("lee", 5, "alerts"))
            .expect("rollback");
        assert_eq!(statuses(&*store), vec![(1, ModelStatus::Active), (2, ModelStatus::Archived)]);
        let versions = store.model_versions("dark_suspicion").expect("versions");
        assert_eq!(versions[1].params, serde_json::json!({"w": 2}));
        assert_eq!((versions[1].created_by.as_str(), versions[1].created_at), ("kim", t(2)));

        let audit = store.model_audit("dark_suspicion").expect("audit");
        let summary: Vec<(&str, i64, &str, Timestamp)> =
            audit.iter().map(|a| (a.action.as_str(), a.version, a.actor.as_str(), a.at)).collect();
        assert_eq!(
            summary,
            vec![
                ("seed", 1, "sys", t(0)),
                ("create", 2, "kim", t(2)),
                ("promote", 2, "lee", t(4)),
                ("rollback", 1, "lee", t(5))
            ]
        );
        assert_eq!(audit[2].before["active"], 1);
        assert_eq!(audit[2].after["active"], 2);
        assert_eq!(audit[2].before["version"]["status"], "DRAFT");
        assert_eq!(audit[3].after["version"]["params"], serde_json::json!({"w": 1}));
        assert_eq!(audit[3].reason, "alerts");
        assert!(store.model_audit("gaps").expect("audit").is_empty(), "refused changes leave no audit row");
    });
}

#[test]
fn recent_cycle_stats_are_newest_first() {
    with_each_backend(|store| {
        for (day, n) in [(0, 1), (2, 3), (1, 2)] {
            let key = CycleKey { window_start: t(day * 1440), window_end: t((day + 1) * 1440) };
            store
                .write_cycle(&CycleOutput {
                    key,
                    params: serde_json::json!({}),
                    findings: vec![finding("440000001", day * 1440)],
                    stats: serde_json::json!({"rules": {"gaps": {"duration_us": n, "entities_in": 1, "status": "ok"}}}),
                })
                .expect("write");
        }
        let stats = store.recent_cycle_stats(2).expect("stats");
        assert_eq!(stats.len(), 2);
        assert_eq!(stats[0].key.window_end, t(3 * 1440));
        assert_eq!(stats[0].stats["rules"]["gaps"]["duration_us"], 3);
        assert_eq!(stats[1].key.window_end, t(2 * 1440));
        assert_eq!(store.recent_cycle_stats(10).expect("stats").len(), 3);
        // Finding provenance round-trips.
        let key = CycleKey { window_start: t(0), window_end: t(1440) };
        let rows = store.cycle_findings(&key).expect("rows");
        assert_eq!(rows[0].model_version, Some(2));
        assert_eq!(rows[0].params_hash.as_deref(), Some("0123456789abcdef"));
        assert_eq!(rows[0].rule.as_deref(), Some("dark_suspicion"));
    });
}

// ----- Output pipeline (issue 6) -----

mod pipeline {
    use super::*;
    use lookout_pipeline::delivery::OutboxItem;
    use lookout_pipeline::lifecycle::{self, Action};
    use lookout_pipeline::{
        alert, event, kpi, stats, zone, AlertConfig, Category, CycleWindow, EventRules, EventStatus, Matcher, Silence,
    };
    use lookout_store::{EventFilter, Retention};

    fn seoul() -> chrono_tz::Tz {
        zone::parse_tz("Asia/Seoul").expect("tz")
    }

    fn dark(id: &str, start: i64, score: i64) -> Finding {
        let mut f = finding(id, start);
        f.score = Some(score);
        f.severity = if score >= 70 { Severity::Critical } else { Severity::High };
        f.evidence = serde_json::json!({"gap_min": 120, "gap_start": {"lat": 35.5, "lon": 128.5}});
        f
    }

    fn window(a: i64, b: i64) -> CycleWindow {
        CycleWindow { start: t(a), end: t(b) }
    }

    fn generated(findings: &[Finding], w: CycleWindow, now: Timestamp) -> Vec<lookout_pipeline::Event> {
        event::generate(&[], w, findings, &EventRules::default(), &seoul(), now).events
    }

    #[test]
    fn events_round_trip_with_history_windows_and_filters() {
        with_each_backend(|store| {
            let w = window(0, 1440);
            let mut events = generated(&[dark("440000001", 60, 75), dark("440000002", 30, 55)], w, t(1440));
            assert_eq!(events.len(), 2);
            let fresh = events[0].clone();
            lifecycle::apply(&mut events[0], Action::Ack, "kim", t(1500), "looking", None).expect("ack");
            // Two versions of one event in one call: the last wins, as one save after
            // the other (set-based writes fold repeats first).
            store.save_events(&[events[0].clone(), events[1].clone(), fresh.clone()]).expect("save");
            assert_eq!(store.events_by_ids(std::slice::from_ref(&fresh.id)).expect("by id"), vec![fresh.clone()]);
            store.save_events(&[fresh, events[0].clone(), events[1].clone()]).expect("save");
            store.save_events(&events).expect("save twice changes nothing");
            let ids: Vec<String> = events.iter().map(|e| e.id.clone()).rev().chain(["missing".to_string()]).collect();
            assert_eq!(store.events_by_ids(&ids).expect("by ids"), events, "id order, history included");
            assert_eq!(store.events_in_window(&w).expect("window"), events);
            assert!(store.events_in_window(&window(0, 60)).expect("other window").is_empty());
            let acked = store
                .list_events(&EventFilter { status: Some(EventStatus::Ack), ..EventFilter::default() })
                .expect("filter");
            assert_eq!(acked.len(), 1);
            assert_eq!(acked[0].history.len(), 2);
            assert_eq!((acked[0].history[1].actor.as_str(), acked[0].history[1].note.as_str()), ("kim", "looking"));
            let dark_today = store
                .list_events(&EventFilter {
                    category: Some(Category::DarkVessel),
                    occurred_from: Some(t(1440)),
                    occurred_to: Some(t(1441)),
                    ..EventFilter::default()
                })
                .expect("filter");
            assert_eq!(dark_today.len(), 2);
            assert!(store
                .list_events(&EventFilter { occurred_from: Some(t(1441)), ..EventFilter::default() })
                .expect("filter")
                .is_empty());
            // A withdrawal drops the window: the event is no longer found by it.
            let out = event::generate(&events, w, &[], &EventRules::default(), &seoul(), t(1500));
            assert_eq!(out.withdrawn, 2);
            store.save_events(&out.events).expect("save withdrawn");
            assert!(store.events_in_window(&w).expect("window").is_empty());
            let all = store.list_events(&EventFilter::default()).expect("all");
            assert!(all.iter().all(|e| e.status == EventStatus::Withdrawn));
        });
    }

    #[test]
    fn enforcement_steps_are_stored_with_their_event_in_one_step() {
        with_each_backend(|store| {
            let mut events = generated(&[dark("440000001", 60, 75)], window(0, 1440), t(1440));
            store.save_events(&events).expect("save");
            let ev = &mut events[0];
            lifecycle::apply(ev, Action::Ack, "kim", t(1500), "", None).expect("ack");
            store.save_event_step(ev, None).expect("ack step");
            let x = lifecycle::apply(ev, Action::Enforce, "lee", t(1600), "boarded at 35N", Some("boarding"))
                .expect("enforce")
                .expect("record");
            store.save_event_step(ev, Some(&x)).expect("enforce step");
            let stored = store.events_by_ids(std::slice::from_ref(&ev.id)).expect("read");
            assert_eq!(stored[0].status, EventStatus::Enforced);
            assert_eq!(stored[0].history.len(), 3);
            assert_eq!(store.event_enforcements(&ev.id).expect("enf"), vec![x.clone()]);
            assert_eq!(store.enforcements_between(t(1600), t(1601)).expect("range"), vec![x]);
            assert!(store.enforcements_between(t(0), t(1600)).expect("range").is_empty());
        });
    }

    #[test]
    fn dispatch_state_silences_and_outbox_round_trip_and_enqueue_once() {
        with_each_backend(|store| {
            let events = generated(&[dark("440000001", 60, 75), dark("440000002", 30, 55)], window(0, 1440), t(1440));
            let silence = Silence::new(
                vec![Matcher::parse("vessel=440000002").expect("matcher")],
                t(1400),
                t(2000),
                "kim",
                "known fishing vessel",
            )
            .expect("silence");
            store.put_silence(&silence).expect("silence");
            assert_eq!(store.silences().expect("silences"), vec![silence.clone()]);
            let cfg = AlertConfig::default();
            let (s1, n1) = alert::tick(
                store.dispatch_state().expect("state"),
                &events,
                std::slice::from_ref(&silence),
                t(1440),
                &cfg,
            );
            assert!(n1.is_empty(), "group_wait holds the first notification");
            store.save_dispatch(&s1, &[]).expect("save");
            assert_eq!(store.dispatch_state().expect("state"), s1);
            let later = t(1440) + chrono::Duration::seconds(30);
            let (s2, n2) = alert::tick(s1, &events, std::slice::from_ref(&silence), later, &cfg);
            assert_eq!(n2.len(), 1);
            let rows: Vec<OutboxItem> = ["webhook", "log"]
                .iter()
                .map(|sink| OutboxItem::new(0, &n2[0].id, sink, n2[0].payload("lookout").to_string(), later))
                .collect();
            store.save_dispatch(&s2, &rows).expect("save");
            store.save_dispatch(&s2, &rows).expect("save again enqueues nothing");
            let state = store.dispatch_state().expect("state");
            assert_eq!(state, s2);
            let held: Vec<&lookout_pipeline::Alert> = state.alerts.values().filter(|a| !a.held_by.is_empty()).collect();
            assert_eq!(held.len(), 1);
            assert_eq!(held[0].held_by, vec![silence.id.clone()]);
            let outbox = store.outbox(true).expect("outbox");
            assert_eq!(
                outbox.iter().map(|i| (i.seq, i.sink.as_str())).collect::<Vec<_>>(),
                [(1, "webhook"), (2, "log")]
            );
            assert_eq!(outbox[0].body, rows[0].body);
            let mut done = outbox.clone();
            done[1].attempts = 1;
            done[1].delivered_at = Some(later);
            done[0].attempts = 2;
            done[0].next_attempt_at = later + chrono::Duration::seconds(10);
            done[0].last_error = Some("webhook: refused".into());
            store.update_outbox(&done).expect("update");
            assert_eq!(store.outbox(false).expect("all"), done);
            assert_eq!(store.outbox(true).expect("pending"), vec![done[0].clone()]);
            // Expiring a silence replaces it by id.
            let mut expired = silence.clone();
            expired.expire(t(1500));
            store.put_silence(&expired).expect("expire");
            assert_eq!(store.silences().expect("silences"), vec![expired]);
        });
    }

    #[test]
    fn kpis_stats_and_their_sources_round_trip_and_hourly_rows_are_pruned() {
        with_each_backend(|store| {
            let tz = seoul();
            store.insert_positions(&[pos("440000001", 1430, 35.0), pos("440000002", 1380, 35.0)]).expect("positions");
            assert_eq!(
                store.last_reports(t(1410), t(1440)).expect("reports"),
                vec![(VesselId::new("440000001"), t(1430))]
            );
            let key = CycleKey { window_start: t(0), window_end: t(1440) };
            store
                .write_cycle(&CycleOutput {
                    key: key.clone(),
                    params: serde_json::json!({}),
                    findings: vec![],
                    stats: serde_json::json!({}),
                })
                .expect("cycle");
            assert_eq!(store.cycles_ending_between(t(1440), t(1441)).expect("cycles"), vec![key]);
            assert!(store.cycles_ending_between(t(0), t(1440)).expect("cycles").is_empty());

            let events = generated(&[dark("440000001", 60, 75)], window(0, 1440), t(1440));
            let k = kpi::compute(t(1440), &tz, &store.last_reports(t(1410), t(1440)).expect("r"), &events, &[]);
            store.save_kpis(&k).expect("kpis");
            assert_eq!(store.kpis().expect("kpis"), Some(k.clone()));
            assert_eq!((k.tracking_active, k.dark_vessels_today, k.critical_events_today), (1, 1, 1));

            let dets = stats::detections(window(0, 1440), &[dark("440000001", 60, 75)]);
            let touched = stats::touched([t(1440)], &tz);
            let hourly: Vec<_> = touched.hours.iter().map(|b| stats::hourly(b, &dets, &events)).collect();
            let daily: Vec<_> = touched.days.iter().map(|b| stats::daily(b, &dets, &events, &[])).collect();
            let monthly: Vec<_> = touched.months.iter().map(|b| stats::monthly(b, &daily)).collect();
            store.save_stats(&hourly, &daily, &monthly).expect("stats");
            store.save_stats(&hourly, &daily, &monthly).expect("stats again replaces");
            let all = (t(-100_000), t(100_000));
            assert_eq!(store.hourly_stats(all.0, all.1).expect("h"), hourly);
            assert_eq!(store.daily_stats(all.0, all.1).expect("d"), daily);
            assert_eq!(store.monthly_stats(all.0, all.1).expect("m"), monthly);
            assert_eq!((daily[0].detections, daily[0].events, daily[0].accuracy_pct), (1, 1, Some(100.0)));
            assert_eq!(daily[0].bucket.label, "2024-05-02");
            let report = store
                .prune(&Retention { hourly_stats_before: Some(t(1440 + 48 * 60)), ..Retention::default() })
                .expect("prune");
            assert_eq!((report.positions, report.hourly_stats), (0, 1));
            assert!(store.hourly_stats(all.0, all.1).expect("h").is_empty());
            assert_eq!(store.daily_stats(all.0, all.1).expect("d"), daily, "only hourly rows are pruned");
        });
    }
}

fn sighting(
    id: &str,
    name: Option<&str>,
    imo: Option<u32>,
    first: i64,
    last: i64,
    reports: u64,
) -> lookout_model::IdentityObservation {
    lookout_model::IdentityObservation {
        vessel: VesselId::new(id),
        identity: lookout_model::Identity {
            name: name.map(str::to_string),
            call_sign: Some("DSAB1".into()),
            imo,
            ship_type: Some(ShipType(30)),
        },
        first_seen: t(first),
        last_seen: t(last),
        reports,
    }
}

#[test]
fn identity_history_keeps_one_row_per_tuple_and_reads_back_in_key_order() {
    with_each_backend(|store| {
        store
            .record_identities(&[
                sighting("440000001", Some("ALPHA"), Some(9_074_729), 10, 20, 3),
                // The same tuple twice in one call folds: 5..30, 3 + 2 reports.
                sighting("440000001", Some("ALPHA"), Some(9_074_729), 5, 30, 2),
                sighting("440000001", Some("BETA"), Some(9_074_729), 40, 50, 4),
                // Bytewise order: "Beta" < "beta"; a missing name sorts first.
                sighting("440000002", Some("beta"), None, 0, 0, 1),
                sighting("440000002", Some("Beta"), None, 0, 0, 1),
                sighting("440000002", None, None, 0, 0, 1),
            ])
            .expect("record");
        // Re-observation widens the range and adds reports; no new row.
        store.record_identities(&[sighting("440000001", Some("ALPHA"), Some(9_074_729), 60, 70, 10)]).expect("again");
        let all = store.identities_between(t(0), t(1000)).expect("load");
        type Row<'a> = (&'a str, Option<&'a str>, Option<u32>, i64, i64, u64);
        let rows: Vec<Row<'_>> = all
            .iter()
            .map(|o| {
                let m = |x: Timestamp| (x - t(0)).num_minutes();
                (
                    o.vessel.as_str(),
                    o.identity.name.as_deref(),
                    o.identity.imo,
                    m(o.first_seen),
                    m(o.last_seen),
                    o.reports,
                )
            })
            .collect();
        assert_eq!(
            rows,
            vec![
                ("440000001", Some("ALPHA"), Some(9_074_729), 5, 70, 15),
                ("440000001", Some("BETA"), Some(9_074_729), 40, 50, 4),
                ("440000002", None, None, 0, 0, 1),
                ("440000002", Some("Beta"), None, 0, 0, 1),
                ("440000002", Some("beta"), None, 0, 0, 1),
            ]
        );
        assert_eq!(all[0].identity.call_sign.as_deref(), Some("DSAB1"));
        assert_eq!(all[0].identity.ship_type, Some(ShipType(30)));
        // Overlap, bounds inclusive: [51, 59] touches only ALPHA (5..70); [50, 50] also BETA.
        fn names(store: &dyn Store, from: i64, to: i64) -> Vec<Option<String>> {
            store.identities_between(t(from), t(to)).expect("load").into_iter().map(|o| o.identity.name).collect()
        }
        assert_eq!(names(store, 51, 59), vec![Some("ALPHA".to_string())]);
        assert_eq!(names(store, 50, 50), vec![Some("ALPHA".to_string()), Some("BETA".to_string())]);
        assert!(names(store, 71, 100).is_empty());
        // Vessel rows were created for the history (440000002 has no positions).
        assert_eq!(store.counts().expect("counts").vessels, 2);
        // Retention: rows last seen before the cut-off go with the positions.
        let report = store
            .prune(&lookout_store::Retention { positions_before: Some(t(51)), ..Default::default() })
            .expect("prune");
        assert_eq!(report.identities, 4, "BETA (last 50) and the three rows at 0");
        assert_eq!(names(store, 0, 1000), vec![Some("ALPHA".to_string())]);
    });
}

/// Migration 0008: the sequence of sightings in run-length form, kept next to the
/// per-tuple totals.
#[test]
fn identity_runs_keep_the_sequence_widen_and_are_capped_per_vessel() {
    with_each_backend(|store| {
        let alpha = |first, last, reports| sighting("440000001", Some("ALPHA"), Some(9_074_729), first, last, reports);
        store
            .record_identities(&[
                alpha(0, 10, 3),
                sighting("440000001", Some("BETA"), Some(9_074_729), 20, 30, 2),
                alpha(40, 50, 4),
                sighting("440000002", Some("beta"), None, 0, 0, 1),
                sighting("440000002", Some("Beta"), None, 0, 0, 1),
            ])
            .expect("record");
        // A run given again (same first sighting) widens and adds its reports.
        store.record_identities(&[alpha(40, 60, 1)]).expect("again");
        let show = |rows: Vec<lookout_model::IdentityObservation>| -> Vec<(String, Option<String>, i64, i64, u64)> {
            rows.into_iter()
                .map(|o| {
                    let m = |x: Timestamp| (x - t(0)).num_minutes();
                    (o.vessel.to_string(), o.identity.name, m(o.first_seen), m(o.last_seen), o.reports)
                })
                .collect()
        };
        let run = |v: &str, n: &str, first, last, reports| (v.to_string(), Some(n.to_string()), first, last, reports);
        assert_eq!(
            show(store.identity_runs_between(t(0), t(1000)).expect("runs")),
            vec![
                run("440000001", "ALPHA", 0, 10, 3),
                run("440000001", "BETA", 20, 30, 2),
                run("440000001", "ALPHA", 40, 60, 5),
                run("440000002", "Beta", 0, 0, 1),
                run("440000002", "beta", 0, 0, 1),
            ]
        );
        // The totals still hold one row per tuple.
        assert_eq!(store.identities_between(t(0), t(1000)).expect("rows").len(), 4);
        assert_eq!(show(store.identity_runs_between(t(31), t(39)).expect("runs")), vec![]);
        assert_eq!(store.vessel_identity_runs(&VesselId::new("440000001")).expect("runs").len(), 3);
        // An id that flips on every report keeps only its latest runs.
        let flips: Vec<_> = (0..250)
            .map(|i| sighting("440000003", Some(if i % 2 == 0 { "A" } else { "B" }), None, 100 + i, 100 + i, 1))
            .collect();
        store.record_identities(&flips).expect("flips");
        let kept = store.vessel_identity_runs(&VesselId::new("440000003")).expect("runs");
        assert_eq!(kept.len(), lookout_store::IDENTITY_RUNS_PER_VESSEL);
        assert_eq!(kept.first().map(|r| r.first_seen), Some(t(150)));
        // Retention deletes runs last seen before the cut-off.
        let report = store
            .prune(&lookout_store::Retention { positions_before: Some(t(45)), ..Default::default() })
            .expect("prune");
        assert_eq!(report.identity_runs, 4, "ALPHA 0..10, BETA, and the two runs at 0");
    });
}

/// Bulk writes larger than one PostgreSQL statement holds (65,535 parameters: 4,369
/// findings or 8,191 vessels) are split, and every row still lands once, in order.
#[test]
fn batches_larger_than_one_statement_are_written_whole() {
    with_each_backend(|store| {
        let key = CycleKey { window_start: t(0), window_end: t(1440) };
        let findings: Vec<Finding> = (0..4_500).map(|i| finding(&format!("44{i:07}"), i % 1_000)).collect();
        let output =
            CycleOutput { key: key.clone(), params: serde_json::json!({}), findings, stats: serde_json::json!({}) };
        store.write_cycle(&output).expect("write");
        assert_eq!(store.cycle_findings(&key).expect("read"), output.findings);
        let vessels: Vec<VesselRow> = (0..9_000)
            .map(|i| VesselRow {
                vessel: VesselId::new(format!("55{i:07}")),
                id_is_mmsi: true,
                data: StaticData { imo: Some(i), ..StaticData::default() },
            })
            .collect();
        store.upsert_vessels(&vessels).expect("upsert");
        assert_eq!(store.counts().expect("counts").vessels, 9_000);
        store.insert_positions(&[pos("550008999", 0, 35.0)]).expect("position");
        let tracks = store.load_tracks(t(0), t(0)).expect("load");
        assert_eq!(tracks[0].static_data.imo, Some(8_999), "the last row of the second statement");
    });
}

/// A NaN dimension is stored as missing on both backends (SQLite has no NaN).
#[test]
fn nan_static_values_read_back_as_missing() {
    with_each_backend(|store| {
        let data = StaticData { length_m: Some(f64::NAN), width_m: Some(4.5), ..StaticData::default() };
        store
            .upsert_vessels(&[VesselRow { vessel: VesselId::new("440000001"), id_is_mmsi: true, data }])
            .expect("upsert");
        store.insert_positions(&[pos("440000001", 0, 35.0)]).expect("position");
        let tracks = store.load_tracks(t(0), t(0)).expect("load");
        assert_eq!((tracks[0].static_data.length_m, tracks[0].static_data.width_m), (None, Some(4.5)));
    });
}

/// The crash-safe ingest protocol: the journal counts committed batches, survives an
/// ingest that never finishes (a second `begin_ingest` resumes it with that count), and
/// `finish_ingest` writes vessels, identities and the run record and ends the journal.
#[test]
fn an_unfinished_ingest_is_resumed_with_what_it_committed() {
    with_each_backend(|store| {
        assert_eq!(store.begin_ingest("a.nmea").expect("begin"), None);
        let batch = [pos("440000001", 0, 35.0), pos("440000001", 1, 35.1)];
        assert_eq!(store.insert_ingest_positions("a.nmea", &batch).expect("batch"), 2);
        // Killed here: the next ingest of the file resumes with the committed count.
        assert_eq!(store.begin_ingest("a.nmea").expect("resume"), Some(2));
        assert_eq!(store.insert_ingest_positions("a.nmea", &batch).expect("again"), 0);
        let more = [pos("440000002", 2, 36.0)];
        assert_eq!(store.insert_ingest_positions("a.nmea", &more).expect("more"), 1);
        assert_eq!(store.begin_ingest("a.nmea").expect("resume again"), Some(3));
        // Another source has its own journal row.
        assert_eq!(store.begin_ingest("b.csv").expect("other"), None);

        let vessels = [VesselRow {
            vessel: VesselId::new("440000001"),
            id_is_mmsi: true,
            data: StaticData { name: Some("ALPHA".into()), ..Default::default() },
        }];
        let sightings = [sighting("440000001", Some("ALPHA"), None, 0, 1, 2)];
        let run = IngestRun {
            source: "a.nmea".into(),
            format: "nmea".into(),
            started_at: t(0),
            records_read: 3,
            positions_inserted: 3,
            rejects: Default::default(),
        };
        store.finish_ingest(&vessels, &sightings, &run).expect("finish");
        let info = store.info().expect("info");
        let rows = |table: &str| info.tables.iter().find(|(n, _)| n == table).map(|(_, c)| *c);
        assert_eq!(rows("ingest_journal"), Some(1), "only b.csv is left unfinished");
        assert_eq!(rows("ingest_runs"), Some(1));
        assert_eq!(store.identities_between(t(0), t(10)).expect("identities").len(), 1);
        let tracks = store.load_tracks(t(0), t(10)).expect("tracks");
        assert_eq!(tracks[0].static_data.name.as_deref(), Some("ALPHA"));
        assert_eq!(store.counts().expect("counts").positions, 3);
        // Finished: a new ingest of the file starts afresh.
        assert_eq!(store.begin_ingest("a.nmea").expect("new"), None);
    });
}

#[test]
fn vessels_are_found_by_prefix_of_id_name_call_sign_or_imo() {
    with_each_backend(|s| {
        let row = |id: &str, name: &str, call_sign: &str, imo: Option<u32>| VesselRow {
            vessel: VesselId::new(id),
            id_is_mmsi: id.len() == 9,
            data: StaticData {
                name: Some(name.into()),
                call_sign: Some(call_sign.into()),
                imo,
                ..StaticData::default()
            },
        };
        let rows = vec![
            row("440123456", "HAE WON", "DSAB", Some(9_123_456)),
            row("441000001", "Sea_Star%", "D7XY", None),
            row("X-1", "OTHER", "Q1", None),
        ];
        s.upsert_vessels(&rows).expect("upsert");
        let ids = |prefix: &str, after: Option<&str>, limit: usize| -> Vec<String> {
            s.search_vessels(prefix, after, limit)
                .expect("search")
                .into_iter()
                .map(|r| r.vessel.as_str().to_string())
                .collect()
        };
        assert_eq!(ids("44", None, 10), ["440123456", "441000001"]);
        assert_eq!(ids("hae w", None, 10), ["440123456"]);
        assert_eq!(ids("d7", None, 10), ["441000001"]);
        assert_eq!(ids("912", None, 10), ["440123456"]);
        assert_eq!(ids("x-", None, 10), ["X-1"]);
        // `%` and `_` match only themselves.
        assert_eq!(ids("sea_", None, 10), ["441000001"]);
        assert_eq!(ids("%", None, 10), Vec::<String>::new());
        assert_eq!(ids("_", None, 10), Vec::<String>::new());
        // Paging: by id, after the cursor, at most `limit`.
        assert_eq!(ids("", None, 2), ["440123456", "441000001"]);
        assert_eq!(ids("", Some("441000001"), 2), ["X-1"]);
        let found = s.search_vessels("440", None, 1).expect("search");
        assert_eq!(found, vec![rows[0].clone()]);
        assert_eq!(s.vessel(&VesselId::new("X-1")).expect("vessel"), Some(rows[2].clone()));
        assert_eq!(s.vessel(&VesselId::new("X")).expect("vessel"), None);
    });
}

#[test]
fn last_position_and_identities_of_one_vessel() {
    with_each_backend(|s| {
        s.insert_positions(&[pos("440123456", 0, 35.0), pos("440123456", 30, 35.5), pos("441000001", 60, 34.0)])
            .expect("positions");
        let last = s.last_position(&VesselId::new("440123456")).expect("last").expect("a position");
        assert_eq!(last, pos("440123456", 30, 35.5));
        assert_eq!(s.last_position(&VesselId::new("nobody")).expect("last"), None);
        let seen = |id: &str, name: &str, min: i64| lookout_model::IdentityObservation {
            vessel: VesselId::new(id),
            identity: lookout_model::Identity { name: Some(name.into()), ..lookout_model::Identity::default() },
            first_seen: t(min),
            last_seen: t(min + 10),
            reports: 2,
        };
        s.record_identities(&[seen("440123456", "B", 20), seen("440123456", "A", 0), seen("441000001", "C", 0)])
            .expect("identities");
        let names: Vec<Option<String>> = s
            .vessel_identities(&VesselId::new("440123456"))
            .expect("identities")
            .into_iter()
            .map(|o| o.identity.name)
            .collect();
        assert_eq!(names, [Some("A".to_string()), Some("B".to_string())]);
    });
}

#[test]
fn api_tokens_are_stored_found_by_hash_and_revoked_once() {
    with_each_backend(|s| {
        let token = |id: &str, role: &str| lookout_store::ApiToken {
            id: id.into(),
            name: format!("name {id}"),
            role: role.into(),
            hash: format!("hash-{id}"),
            created_at: t(0),
            revoked_at: None,
        };
        s.create_token(&token("b", "viewer")).expect("create");
        s.create_token(&token("a", "admin")).expect("create");
        assert!(s.create_token(&token("a", "admin")).is_err(), "ids are unique");
        assert_eq!(s.tokens().expect("tokens"), vec![token("a", "admin"), token("b", "viewer")]);
        assert_eq!(s.token_by_hash("hash-b").expect("find"), Some(token("b", "viewer")));
        assert_eq!(s.token_by_hash("nope").expect("find"), None);
        assert!(s.revoke_token("b", t(5)).expect("revoke"));
        assert!(!s.revoke_token("b", t(9)).expect("revoke again"), "already revoked");
        assert!(!s.revoke_token("zz", t(9)).expect("revoke unknown"));
        let revoked = s.token_by_hash("hash-b").expect("find").expect("still there");
        assert_eq!(revoked.revoked_at, Some(t(5)));
    });
}
