//! `--db` as a file or a PostgreSQL URL, `lookout db migrate|status|prune`, and the demo
//! on PostgreSQL, against the real server (see `lookout_store::testing`: required in CI,
//! skipped loudly elsewhere when no server is reachable).

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use lookout_store::testing::{pg_test_url, TestSchema};

fn demo_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/demo").join(name)
}

fn lookout(args: &[&str]) -> Output {
    Command::cargo_bin("lookout").expect("binary").env_remove("LOOKOUT_DB").args(args).output().expect("run lookout")
}

fn ok(o: Output) -> String {
    assert!(o.status.success(), "failed: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The `tables:` block of `lookout db status`.
fn tables(status: &str) -> String {
    status.split("tables:").nth(1).expect("tables section").to_string()
}

const DMA: &str = "dma_collision_2021-12-13_219021240_232018267.csv";

#[test]
fn sqlite_migrate_status_and_prune() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("s.db");
    let db = db.to_str().expect("utf8");
    let missing = lookout(&["db", "status", "--db", db]);
    assert!(!missing.status.success());
    assert!(stderr(&missing).contains("no SQLite database file here"), "{}", stderr(&missing));
    assert!(!Path::new(db).exists(), "status must not create the database");

    let out = ok(lookout(&["db", "migrate", "--db", db]));
    assert!(out.contains("schema migrated from version 0 to"), "{out}");
    assert!(ok(lookout(&["db", "migrate", "--db", db])).contains("up to date"));
    ok(lookout(&["ingest", "--db", db, demo_file(DMA).to_str().expect("p")]));
    let status = ok(lookout(&["db", "status", "--db", db]));
    assert!(status.contains("backend:  sqlite"), "{status}");
    assert!(status.contains(&format!("location: {db}")), "{status}");
    assert!(
        status.lines().any(|l| l.split_whitespace().collect::<Vec<_>>() == ["positions", "77", "rows"]),
        "{status}"
    );

    // The file covers 2021-12-13 01:51 to 02:30; keeping 30 minutes before 02:40 drops what is older than 02:10.
    let pruned = ok(lookout(&["db", "prune", "--db", db, "--keep", "30m", "--now", "2021-12-13T02:40:00Z"]));
    let deleted: u64 = pruned
        .split("deleted ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .expect("count");
    assert!(deleted > 0 && deleted < 77, "some but not all positions are older: {pruned}");
    let status = ok(lookout(&["db", "status", "--db", db]));
    let left = (77 - deleted).to_string();
    assert!(
        status.lines().any(|l| l.split_whitespace().collect::<Vec<_>>() == ["positions", left.as_str(), "rows"]),
        "{status}"
    );
}

#[test]
fn postgres_url_from_flag_and_env_gives_the_same_results_as_sqlite() {
    let Some(url) = pg_test_url() else { return };
    let schema = TestSchema::create(&url, "clidb").expect("schema");
    let pg = schema.url();
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("same.db");
    let file = file.to_str().expect("utf8");
    let inputs = [demo_file(DMA), demo_file("gfw_segment_338013000.jsonl.gz")];
    let inputs: Vec<&str> = inputs.iter().map(|p| p.to_str().expect("p")).collect();

    let sqlite_ingest = ok(lookout(&[&["ingest", "--db", file][..], &inputs].concat()));
    // LOOKOUT_DB names the store when --db is absent.
    let pg_ingest = ok(Command::cargo_bin("lookout")
        .expect("binary")
        .env("LOOKOUT_DB", &pg)
        .args([&["ingest"][..], &inputs].concat())
        .output()
        .expect("run"));
    assert_eq!(sqlite_ingest, pg_ingest);
    assert!(pg_ingest.contains("1100 new positions"), "{pg_ingest}");

    let analyze = |db: &str| ok(lookout(&["analyze", "--db", db, "--window", "7d", "--format", "json"]));
    let (a, b) = (analyze(file), analyze(&pg));
    assert_eq!(a, b, "analysis output differs between backends");
    assert!(a.contains("\"findings\""), "{a}");

    let status = ok(lookout(&["db", "status", "--db", &pg]));
    assert!(status.contains("backend:  postgres"), "{status}");
    assert!(status.contains(&format!("schema={}", schema.name)), "{status}");
    assert_eq!(tables(&status), tables(&ok(lookout(&["db", "status", "--db", file]))));
}

#[test]
fn unreachable_and_wrong_urls_fail_clearly_without_the_password() {
    let dma = demo_file(DMA);
    let out = lookout(&["ingest", "--db", "postgres://lookout:s3cret@127.0.0.1:1/test", dma.to_str().expect("p")]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("postgres://lookout:***@127.0.0.1:1/test") && err.contains("Connection refused"), "{err}");
    assert!(!err.contains("s3cret"), "{err}");
    let out = lookout(&["db", "status", "--db", "postgresql://lookout:s3cret@127.0.0.1:port/test"]);
    let err = stderr(&out);
    assert!(!out.status.success() && err.contains("invalid") && !err.contains("s3cret"), "{err}");
}

#[test]
fn demo_on_postgres_matches_the_sqlite_demo_and_touches_only_its_schema() {
    let Some(url) = pg_test_url() else { return };
    let sentinel = TestSchema::create(&url, "sentinel").expect("sentinel schema");
    let mut client = sentinel.connect().expect("client");
    client.batch_execute("CREATE TABLE keep (x INTEGER); INSERT INTO keep VALUES (42)").expect("sentinel");

    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("demo.db");
    let sqlite = ok(lookout(&["demo", "--db", file.to_str().expect("p")]));
    let pg_url = url.replacen("postgres://postgres@", "postgres://postgres:hunter2@", 1);
    let first = ok(lookout(&["demo", "--db", &pg_url]));
    let pg = ok(lookout(&["demo", "--db", &pg_url]));
    assert_eq!(first, pg, "the PostgreSQL demo recreates its schema: runs are identical");
    let store_line = pg.lines().find(|l| l.starts_with("store: ")).expect("store line");
    assert!(
        store_line.contains("schema lookout_demo dropped and recreated") && !store_line.contains("hunter2"),
        "{store_line}"
    );
    let body = |s: &str| s.lines().filter(|l| !l.starts_with("store: ")).collect::<Vec<_>>().join("\n");
    assert_eq!(body(&sqlite), body(&pg), "the demo prints the same on both backends");

    let demo_schema = format!("{url}?schema=lookout_demo");
    let status = ok(lookout(&["db", "status", "--db", &demo_schema]));
    assert_eq!(tables(&status), tables(&ok(lookout(&["db", "status", "--db", file.to_str().expect("p")]))));
    let kept: i32 = client.query_one("SELECT x FROM keep", &[]).expect("sentinel survives").get(0);
    assert_eq!(kept, 42);
}

/// An ingest killed before its end leaves its journal row; `db status` names the file
/// and the command that completes it, and says nothing once that command has run.
#[test]
fn status_flags_an_unfinished_ingest_with_the_command_that_completes_it() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("s.db");
    let db = db.to_str().expect("utf8");
    let file = demo_file(DMA);
    let file = file.to_str().expect("p");
    let marker = dir.path().join("paused");
    // The test hook of `lookout_engine::fault` pauses once every position is committed.
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("lookout"))
        .env_remove("LOOKOUT_DB")
        .env("LOOKOUT_TEST_PAUSE_AT", "ingest-positions")
        .env("LOOKOUT_TEST_PAUSE_MARKER", &marker)
        .args(["ingest", "--db", db, file])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while !marker.exists() {
        assert!(child.try_wait().expect("wait").is_none(), "ingest ended before its pause");
        assert!(std::time::Instant::now() < deadline, "ingest never paused");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    child.kill().expect("kill");
    child.wait().expect("reap");

    let status = ok(lookout(&["db", "status", "--db", db]));
    let flagged: Vec<&str> = status.lines().filter(|l| l.starts_with("unfinished ingest: ")).collect();
    assert_eq!(flagged.len(), 1, "{status}");
    assert!(flagged[0].contains(&format!("{file} stopped after 77 new positions")), "{status}");
    assert!(flagged[0].contains(&format!("run `lookout ingest {file}` on this database to complete it")), "{status}");

    ok(lookout(&["ingest", "--db", db, file]));
    let status = ok(lookout(&["db", "status", "--db", db]));
    assert!(!status.contains("unfinished ingest"), "{status}");
}
