//! Faults against the real PostgreSQL: the server ending a session in the middle of a
//! cycle write. Deterministic, not a timing race: a second session holds a row lock the
//! writer needs half-way through its transaction, so the writer is provably blocked
//! after deleting the old findings and inserting part of the new ones when it is
//! terminated with `pg_terminate_backend`.

use std::time::{Duration, Instant};

use chrono::{Duration as Minutes, TimeZone, Utc};
use lookout_model::{Finding, Severity, Timestamp, VesselId};
use lookout_store::testing::{pg_test_url, TestSchema};
use lookout_store::{CycleKey, CycleOutput, PostgresStore, Store, StoreError};

fn t(min: i64) -> Timestamp {
    Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).single().expect("time") + Minutes::minutes(min)
}

fn finding(i: usize, tag: &str) -> Finding {
    Finding {
        detector: "gaps".into(),
        vessel: VesselId::new(format!("44000{i:04}")),
        start: t(i as i64),
        end: t(i as i64 + 200),
        score: None,
        level: tag.into(),
        severity: Severity::Low,
        breakdown: Vec::new(),
        evidence: serde_json::json!({"gap_min": 200, "tag": tag}),
        rule: None,
        model_version: None,
        params_hash: None,
    }
}

fn output(key: &CycleKey, n: usize, tag: &str) -> CycleOutput {
    CycleOutput {
        key: key.clone(),
        params: serde_json::json!({"gaps": {"tag": tag}}),
        findings: (0..n).map(|i| finding(i, tag)).collect(),
        stats: serde_json::json!({"gaps": {"findings": n}}),
    }
}

/// Every row of the cycle tables, as text, in key order: what "identical rows" means.
fn dump(client: &mut postgres::Client) -> Vec<String> {
    let mut rows: Vec<String> = client
        .query("SELECT to_jsonb(c)::TEXT FROM cycles c ORDER BY window_start_ms, window_end_ms", &[])
        .expect("dump cycles")
        .iter()
        .map(|r| r.get(0))
        .collect();
    rows.extend(
        client
            .query("SELECT to_jsonb(f)::TEXT FROM findings f ORDER BY window_start_ms, window_end_ms, seq", &[])
            .expect("dump findings")
            .iter()
            .map(|r| r.get::<_, String>(0)),
    );
    rows
}

#[test]
fn a_cycle_cut_off_mid_write_leaves_the_previous_output_and_reruns_identically() {
    let Some(url) = pg_test_url() else { return };
    let key = CycleKey { window_start: t(0), window_end: t(1440) };
    let old = output(&key, 50, "OLD");
    let new = output(&key, 400, "NEW");
    const BLOCK_AT: i64 = 200;

    let schema = TestSchema::create(&url, "fault").expect("schema");
    let mut store = PostgresStore::open(&schema.url()).expect("open");
    store.write_cycle(&old).expect("first write");
    let writer_pid = store.backend_pid().expect("pid");

    // The blocker inserts (uncommitted) the row the writer will insert as seq 200: the
    // writer's unique-key check must wait for the blocker's transaction to end.
    let mut blocker = schema.connect().expect("blocker");
    let mut held = blocker.transaction().expect("blocker tx");
    let blocker_pid: i32 = held.query_one("SELECT pg_backend_pid()", &[]).expect("pid").get(0);
    held.execute(
        "INSERT INTO findings (window_start_ms, window_end_ms, seq, detector, vessel_id, start_ms, end_ms, level, severity, breakdown, evidence)
         VALUES ($1, $2, $3, 'gaps', 'blocker', 0, 0, 'X', 'LOW', '[]', '{}')",
        &[&key.window_start.timestamp_millis(), &key.window_end.timestamp_millis(), &BLOCK_AT],
    )
    .expect("blocker row");

    let writer = std::thread::spawn(move || {
        let result = store.write_cycle(&new);
        (result, new)
    });

    let mut monitor = schema.connect().expect("monitor");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let blocking: Vec<i32> =
            monitor.query_one("SELECT pg_blocking_pids($1)", &[&writer_pid]).expect("blocking pids").get(0);
        if blocking == [blocker_pid] {
            break;
        }
        assert!(Instant::now() < deadline, "the writer never blocked on the held row (blocked by {blocking:?})");
        std::thread::sleep(Duration::from_millis(20));
    }
    let terminated: bool =
        monitor.query_one("SELECT pg_terminate_backend($1)", &[&writer_pid]).expect("terminate").get(0);
    assert!(terminated);
    let (result, new) = writer.join().expect("writer thread");
    let err = result.expect_err("the cut-off write must fail");
    assert!(matches!(err, StoreError::Postgres { .. }), "{err}");
    let msg = err.to_string();
    assert!(msg.contains(&schema.name), "the error names the database: {msg}");
    assert!(msg.contains("terminating connection") || msg.contains("closed") || msg.contains("communicating"), "{msg}");
    held.rollback().expect("release the blocker");

    // Nothing half-written: the delete and the 200 inserted rows were rolled back.
    let mut recovered = PostgresStore::open(&schema.url()).expect("reconnect");
    assert_eq!(recovered.cycle_findings(&key).expect("read"), old.findings);
    let params: serde_json::Value = monitor.query_one("SELECT params FROM cycles", &[]).expect("params").get(0);
    assert_eq!(params, old.params);
    let orphans: i64 =
        monitor.query_one("SELECT COUNT(*) FROM findings WHERE level = 'NEW'", &[]).expect("count").get(0);
    assert_eq!(orphans, 0);

    // After recovery the same write gives exactly the rows of an undisturbed run.
    recovered.write_cycle(&new).expect("re-run");
    assert_eq!(recovered.cycle_findings(&key).expect("read"), new.findings);
    let reference = TestSchema::create(&url, "faultref").expect("reference schema");
    let mut clean = PostgresStore::open(&reference.url()).expect("open reference");
    clean.write_cycle(&old).expect("reference first");
    clean.write_cycle(&new).expect("reference second");
    let got = dump(&mut monitor);
    let want = dump(&mut reference.connect().expect("reference client"));
    assert_eq!(got.len(), 401, "one cycle row and 400 findings");
    assert_eq!(got, want);
}
