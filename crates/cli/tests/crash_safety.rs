//! Crash safety (issue 14) with the real binary and the shipped real data: `lookout
//! ingest` and `lookout analyze` are killed (SIGKILL) at every stage boundary (the test
//! hook of `lookout_engine::fault` pauses them there) and at random points, on SQLite
//! and PostgreSQL. Re-running the killed command must leave the same rows in every
//! table as an uninterrupted run up to that command, wall-clock columns aside. And when
//! PostgreSQL ends the session mid-ingest, the summary says what was committed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use lookout_store::testing::{pg_test_url, table_rows, TestSchema};

/// The pipeline's clock and the ingest's "now", so that runs are comparable.
const NOW: &str = "2026-01-01T00:00:00Z";
/// Positions per ingest transaction: the demo files then span several batches.
const BATCH: &str = "3000";

/// Columns that hold the wall clock, or values a killed transaction consumes: model
/// seeding stamps the system time, PostgreSQL never reuses an identity value taken by a
/// transaction that did not commit.
const SKIPPED: &[(&str, &str)] =
    &[("ingest_runs", "id"), ("model_versions", "created_at_ms"), ("model_audit", "at_ms")];

fn demo_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/demo");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("data/demo")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.to_str().is_some_and(|n| n.ends_with(".csv") || n.ends_with(".gz")))
        .collect();
    files.sort();
    assert_eq!(files.len(), 5, "{files:?}");
    files
}

/// The commands of a full run: each demo file ingested by its own command, then one
/// analysis cycle with its output pipeline.
fn steps() -> Vec<Vec<String>> {
    let mut steps: Vec<Vec<String>> = demo_files()
        .iter()
        .map(|f| vec!["ingest".into(), "--now".into(), NOW.into(), f.to_str().expect("utf8").into()])
        .collect();
    // `--full`: a re-run after a kill that came once the cycle was written is otherwise
    // incremental, whose cycle statistics say which rules it kept; the findings are the
    // same either way (`crates/engine/tests/incremental.rs`), the statistics are not.
    steps.push(vec!["analyze".into(), "--now".into(), NOW.into(), "--full".into()]);
    steps
}

const NMEA: usize = 1;
const SHIPSTRIKE: usize = 4;
const ANALYZE: usize = 5;

fn lookout(db: &str, args: &[String]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lookout"));
    cmd.args(args).args(["--db", db]).env("LOOKOUT_TEST_BATCH", BATCH);
    for var in ["LOOKOUT_DB", "LOOKOUT_TEST_PAUSE_AT", "LOOKOUT_TEST_PAUSE_MARKER", "LOOKOUT_TEST_PAUSE_RESUME"] {
        cmd.env_remove(var);
    }
    cmd
}

fn run_ok(db: &str, args: &[String]) -> Output {
    let out = lookout(db, args).output().expect("run lookout");
    assert!(out.status.success(), "lookout {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    out
}

/// Where one scenario's database lives; dropped (file or schema) at the end.
enum Db {
    Sqlite(tempfile::TempDir),
    Postgres(TestSchema),
}

impl Db {
    fn fresh(pg: Option<&str>, tag: &str) -> Db {
        match pg {
            Some(url) => Db::Postgres(TestSchema::create(url, tag).expect("schema")),
            None => Db::Sqlite(tempfile::tempdir().expect("tmp")),
        }
    }

    fn url(&self) -> String {
        match self {
            Db::Sqlite(dir) => dir.path().join("lookout.db").to_str().expect("utf8").into(),
            Db::Postgres(schema) => schema.url(),
        }
    }
}

/// Every table, each row as text (skipped columns left out, cycle statistics without
/// their measured durations), rows sorted.
fn snapshot(db: &str) -> BTreeMap<String, Vec<String>> {
    let tables = table_rows(db).expect("dump tables");
    tables
        .into_iter()
        .map(|(name, t)| {
            let mut rows: Vec<String> = t
                .rows
                .iter()
                .map(|row| {
                    let cells: Vec<String> = t
                        .columns
                        .iter()
                        .zip(row)
                        .filter(|(col, _)| !SKIPPED.contains(&(name.as_str(), col.as_str())))
                        .map(|(col, v)| match (name.as_str(), col.as_str(), v) {
                            ("cycles", "stats", Some(v)) => format!("{col}={}", without_durations(v)),
                            _ => format!("{col}={v:?}"),
                        })
                        .collect();
                    cells.join(" | ")
                })
                .collect();
            rows.sort();
            (name, rows)
        })
        .collect()
}

/// Cycle statistics with the wall-clock measurements (`duration_us`, `segmentation_us`:
/// every key ending in `_us`) removed.
fn without_durations(stats: &str) -> String {
    fn strip(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(m) => {
                m.retain(|k, _| !k.ends_with("_us"));
                m.values_mut().for_each(strip);
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut v: serde_json::Value = serde_json::from_str(stats).expect("stats JSON");
    strip(&mut v);
    v.to_string()
}

/// Names the first table that differs, with a few differing rows, instead of printing
/// two whole databases.
fn assert_same(got: &BTreeMap<String, Vec<String>>, want: &BTreeMap<String, Vec<String>>, what: &str) {
    assert_eq!(got.keys().collect::<Vec<_>>(), want.keys().collect::<Vec<_>>(), "{what}: tables differ");
    for (table, rows) in want {
        let other = &got[table];
        if other != rows {
            let missing: Vec<_> = rows.iter().filter(|r| !other.contains(r)).take(3).collect();
            let extra: Vec<_> = other.iter().filter(|r| !rows.contains(r)).take(3).collect();
            panic!(
                "{what}: table {table} differs ({} rows, want {}); missing {missing:#?}; extra {extra:#?}",
                other.len(),
                rows.len()
            );
        }
    }
}

#[derive(Clone, Debug)]
enum Kill {
    /// At a stage boundary (`LOOKOUT_TEST_PAUSE_AT`).
    At(&'static str),
    /// After this long, wherever the process is.
    After(Duration),
}

/// Runs `args` and kills it as `kill` says; `true` when it had finished by itself first
/// (a random kill may come too late), so there is nothing to re-run.
fn killed_run(db: &str, args: &[String], kill: &Kill) -> bool {
    let dir = tempfile::tempdir().expect("tmp");
    let marker = dir.path().join("paused");
    let mut cmd = lookout(db, args);
    if let Kill::At(stage) = kill {
        cmd.env("LOOKOUT_TEST_PAUSE_AT", stage).env("LOOKOUT_TEST_PAUSE_MARKER", &marker);
    }
    let mut child = cmd.stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("spawn lookout");
    let deadline = Instant::now() + Duration::from_secs(120);
    let wait_until = match kill {
        Kill::At(_) => deadline,
        Kill::After(d) => Instant::now() + *d,
    };
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            assert!(matches!(kill, Kill::After(_)), "lookout {args:?} ended ({status}) before reaching {kill:?}");
            assert!(status.success(), "lookout {args:?} failed on its own ({status})");
            return true;
        }
        if marker.exists() || Instant::now() >= wait_until {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(Instant::now() < deadline, "lookout {args:?} never reached {kill:?}");
    child.kill().expect("SIGKILL");
    child.wait().expect("reap");
    false
}

/// Whether the ingest of `file` committed its end (its run record), the one sign an
/// operator needs: a file ingested again after that is a second, recorded ingest.
fn ingest_finished(db: &str, file: &str) -> bool {
    let runs = &table_rows(db).expect("dump")["ingest_runs"];
    let source = runs.columns.iter().position(|c| c == "source").expect("source column");
    runs.rows.iter().any(|r| r[source].as_deref() == Some(file))
}

/// The steps up to `k`, with step `k` killed as `kill` says, then re-run unless it had
/// finished.
fn killed_scenario(pg: Option<&str>, k: usize, kill: &Kill) -> BTreeMap<String, Vec<String>> {
    let steps = steps();
    let db = Db::fresh(pg, "crash");
    let url = db.url();
    steps[..k].iter().for_each(|s| drop(run_ok(&url, s)));
    let ended_by_itself = killed_run(&url, &steps[k], kill);
    let finished = match steps[k][0].as_str() {
        "ingest" => ingest_finished(&url, steps[k].last().expect("file")),
        // A cycle and its output pipeline re-run over the same window replace their rows.
        _ => ended_by_itself,
    };
    if let Kill::At(stage) = kill {
        assert_eq!(finished, *stage == "ingest-finished", "killed at {stage}: finished {finished}");
    }
    if !finished {
        run_ok(&url, &steps[k]);
    }
    snapshot(&url)
}

/// A small deterministic generator for the random kill points.
struct XorShift(u64);

impl XorShift {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

fn kill_drill(pg: Option<&str>) {
    let backend = if pg.is_some() { "postgres" } else { "sqlite" };
    // The rows after each step of an uninterrupted run.
    let after_step: Vec<_> = {
        let db = Db::fresh(pg, "crashref");
        steps()
            .iter()
            .map(|s| {
                run_ok(&db.url(), s);
                snapshot(&db.url())
            })
            .collect()
    };
    let reference = &after_step[ANALYZE];
    assert!(reference["vessel_identities"].len() > 1000, "the demo data has an identity history");
    assert!(reference["findings"].len() > 100, "the demo data has findings");
    assert!(reference["ingest_journal"].is_empty(), "a finished ingest leaves no journal row");

    let mut scenarios: Vec<(usize, Kill)> = Vec::new();
    for stage in ["ingest-begun", "ingest-batch:1", "ingest-batch:2", "ingest-positions", "ingest-finished"] {
        scenarios.push((NMEA, Kill::At(stage)));
    }
    // Rows with static columns (CSV) and the first file of an empty store.
    scenarios.push((SHIPSTRIKE, Kill::At("ingest-batch:2")));
    scenarios.push((SHIPSTRIKE, Kill::At("ingest-positions")));
    scenarios.push((0, Kill::At("ingest-positions")));
    for stage in [
        "analyze-seeded",
        "analyze-cycle",
        "outputs-events",
        "outputs-labels",
        "outputs-kpis",
        "outputs-stats",
        "outputs-alerts",
    ] {
        scenarios.push((ANALYZE, Kill::At(stage)));
    }
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    for _ in 0..3 {
        scenarios.push((NMEA, Kill::After(Duration::from_millis(rng.below(600)))));
        scenarios.push((ANALYZE, Kill::After(Duration::from_millis(rng.below(3000)))));
    }
    for (k, kill) in &scenarios {
        let got = killed_scenario(pg, *k, kill);
        assert_same(&got, &after_step[*k], &format!("{backend}: step {k} killed {kill:?}, then re-run"));
    }
}

#[test]
fn sqlite_ingest_and_analyze_killed_anywhere_rerun_to_identical_rows() {
    kill_drill(None);
}

#[test]
fn postgres_ingest_and_analyze_killed_anywhere_rerun_to_identical_rows() {
    let Some(url) = pg_test_url() else { return };
    kill_drill(Some(&url));
}

/// PostgreSQL ends the ingest's session after its first batch committed: the command
/// fails, says how many positions were committed (and counts them in its total), and
/// ingesting the file again completes it to the rows of an uninterrupted ingest.
#[test]
fn postgres_session_ended_mid_ingest_reports_what_was_committed() {
    let Some(url) = pg_test_url() else { return };
    let nmea = steps()[NMEA].clone();
    let reference = {
        let schema = TestSchema::create(&url, "pgendref").expect("schema");
        run_ok(&schema.url(), &nmea);
        snapshot(&schema.url())
    };
    let schema = TestSchema::create(&url, "pgend").expect("schema");
    // Names this test's session among those of every other test on the server.
    let app = format!("lk_{}", schema.name);
    let db = format!("{}&application_name={app}", schema.url());
    let dir = tempfile::tempdir().expect("tmp");
    let (marker, resume) = (dir.path().join("paused"), dir.path().join("resume"));
    let child = lookout(&db, &nmea)
        .env("LOOKOUT_TEST_PAUSE_AT", "ingest-batch:1")
        .env("LOOKOUT_TEST_PAUSE_MARKER", &marker)
        .env("LOOKOUT_TEST_PAUSE_RESUME", &resume)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !marker.exists() {
        assert!(Instant::now() < deadline, "ingest never reached its first batch");
        std::thread::sleep(Duration::from_millis(5));
    }
    let mut client = schema.connect().expect("second session");
    let ended = client
        .query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1", &[&app])
        .expect("terminate");
    assert_eq!(ended.len(), 1, "exactly the ingest's session");
    std::fs::write(&resume, "go").expect("resume");
    let out = child.wait_with_output().expect("wait");
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(!out.status.success(), "{stdout}\n{stderr}");
    let committed: i64 = client.query_one("SELECT COUNT(*) FROM positions", &[]).expect("count").get(0);
    assert!(committed > 0 && committed <= 3000, "the first batch stays committed: {committed}");
    assert!(stderr.contains(&format!("({committed} new positions of ")), "{stderr}");
    assert!(stdout.contains(&format!(", {committed} new positions,")), "{stdout}");
    let journal: i64 =
        client.query_one("SELECT positions_inserted FROM ingest_journal", &[]).expect("journal row").get(0);
    assert_eq!(journal, committed, "the journal counts what was committed");

    let again = run_ok(&db, &nmea);
    let again = String::from_utf8_lossy(&again.stdout);
    assert!(again.contains("completed an interrupted ingest"), "{again}");
    drop(client);
    assert_same(&snapshot(&db), &reference, "postgres: session ended after the first batch, then re-run");
}
