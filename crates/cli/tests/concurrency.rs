//! Concurrency (issue 14): several real `lookout` processes starting at once on a new
//! database (migrations under a lock), and `analyze` waiting for a busy SQLite database
//! instead of failing with "database is locked".

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use lookout_store::testing::{pg_test_url, table_rows, TestSchema};

const NOW: &str = "2026-01-01T00:00:00Z";

fn demo_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/demo");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("data/demo")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.to_str().is_some_and(|n| n.ends_with(".csv") || n.ends_with(".gz")))
        .collect();
    files.sort();
    files
}

fn spawn(db: &str, args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_lookout"))
        .args(args)
        .args(["--db", db])
        .env_remove("LOOKOUT_DB")
        .env_remove("LOOKOUT_TEST_PAUSE_AT")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn lookout")
}

fn wait_ok(child: Child, what: &str) {
    let out = child.wait_with_output().expect("wait");
    assert!(out.status.success(), "{what} failed: {}", String::from_utf8_lossy(&out.stderr));
}

/// Twelve processes at once on a database nobody has opened yet: seven `db migrate`
/// and one `ingest` per demo file. All must succeed, and every file's rows be there.
fn first_starts(db: &str) {
    let files = demo_files();
    let mut children = Vec::new();
    for i in 0..12 {
        let child = match files.get(i / 2).filter(|_| i % 2 == 1) {
            Some(f) => spawn(db, &["ingest", "--now", NOW, f.to_str().expect("utf8")]),
            None => spawn(db, &["db", "migrate"]),
        };
        children.push((i, child));
    }
    for (i, child) in children {
        wait_ok(child, &format!("process {i}"));
    }
    let tables = table_rows(db).expect("dump");
    assert_eq!(tables["ingest_runs"].rows.len(), files.len(), "{db}");
    assert!(tables["vessel_identities"].rows.len() > 1000, "{db}");
    assert!(tables["ingest_journal"].rows.is_empty(), "{db}");
}

#[test]
fn sqlite_concurrent_first_starts_all_succeed() {
    for round in 0..3 {
        let dir = tempfile::tempdir().expect("tmp");
        let db = dir.path().join(format!("new{round}.db"));
        first_starts(db.to_str().expect("utf8"));
    }
}

#[test]
fn postgres_concurrent_first_starts_all_succeed() {
    let Some(url) = pg_test_url() else { return };
    for round in 0..2 {
        let schema = TestSchema::create(&url, &format!("conc{round}")).expect("schema");
        // A schema nobody created yet: creating it races too.
        let mut client = schema.connect().expect("session");
        client.batch_execute(&format!("DROP SCHEMA \"{}\" CASCADE", schema.name)).expect("drop");
        drop(client);
        first_starts(&schema.url());
    }
}

/// `analyze` started while another connection holds the write lock waits for it (the
/// busy timeout, `BEGIN IMMEDIATE` for writes) and succeeds once the lock goes.
#[test]
fn sqlite_analyze_waits_for_a_busy_database() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("busy.db");
    let db = db.to_str().expect("utf8");
    for f in demo_files() {
        wait_ok(spawn(db, &["ingest", "--now", NOW, f.to_str().expect("utf8")]), "ingest");
    }
    let holder = rusqlite::Connection::open(db).expect("open");
    holder.execute_batch("BEGIN IMMEDIATE; INSERT INTO ingest_journal VALUES ('held', 0)").expect("write lock");
    let mut analyze = spawn(db, &["analyze", "--now", NOW]);
    let ingest = spawn(db, &["ingest", "--now", NOW, demo_files()[0].to_str().expect("utf8")]);
    std::thread::sleep(Duration::from_secs(3));
    assert!(analyze.try_wait().expect("poll").is_none(), "analyze must wait for the lock, not fail");
    holder.execute_batch("ROLLBACK").expect("release");
    wait_ok(analyze, "analyze");
    wait_ok(ingest, "ingest");
}

/// `analyze` started during the first ingest of a new file (paused after its first
/// batch, then resumed at once so that both write): both succeed.
#[test]
fn sqlite_analyze_during_a_first_ingest_succeeds() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("first.db");
    let db = db.to_str().expect("utf8");
    let (marker, resume) = (dir.path().join("paused"), dir.path().join("resume"));
    let nmea = demo_files()[1].clone();
    let ingest = Command::new(env!("CARGO_BIN_EXE_lookout"))
        .args(["ingest", "--now", NOW, nmea.to_str().expect("utf8"), "--db", db])
        .env_remove("LOOKOUT_DB")
        .env("LOOKOUT_TEST_BATCH", "1000")
        .env("LOOKOUT_TEST_PAUSE_AT", "ingest-batch:1")
        .env("LOOKOUT_TEST_PAUSE_MARKER", &marker)
        .env("LOOKOUT_TEST_PAUSE_RESUME", &resume)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn ingest");
    let start = std::time::Instant::now();
    while !marker.exists() {
        assert!(start.elapsed() < Duration::from_secs(60), "ingest never reached its first batch");
        std::thread::sleep(Duration::from_millis(5));
    }
    let analyze = spawn(db, &["analyze", "--now", NOW]);
    std::fs::write(&resume, "go").expect("resume");
    wait_ok(analyze, "analyze");
    wait_ok(ingest, "ingest");
}
