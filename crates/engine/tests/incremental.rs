//! Incremental cycles equal full re-runs (issue 16, item 4), on real tracks: a day of
//! Danish AIS (400 vessels, `testdata/ais/dma_dlproject_10min`) stored in batches, with
//! new positions, late positions (older than the previous run) and two windows (a fixed
//! one and one slid by three hours). After every batch, for both windows, the
//! incremental cycle's findings (every rule's, in order, and the composite) are
//! byte-identical, as the store writes them, to a full analysis of the same store state.
//! On SQLite and on PostgreSQL.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{Duration, TimeZone, Utc};
use lookout_engine::cycle::{analyse, CycleReport, CycleRequest};
use lookout_engine::incremental::{run_cycle_with, CycleMode};
use lookout_engine::models::resolve;
use lookout_engine::plan::ExecOptions;
use lookout_engine::rules::RuleSet;
use lookout_ingest::readers::{self, ReadOptions};
use lookout_ingest::validate::{ValidateOptions, Validator};
use lookout_model::{Position, Record, Timestamp};
use lookout_store::testing::{pg_test_url, TestSchema};
use lookout_store::{canonical_json, PostgresStore, SqliteStore, Store};

/// Every accepted position of the file, in file order.
fn positions(path: &Path) -> Vec<Position> {
    let mut reader = readers::open(path, &ReadOptions::default()).expect("open");
    let now = Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).single().expect("time");
    let mut validator =
        Validator::new(ValidateOptions { check_mmsi: !reader.ids_are_opaque(), ..ValidateOptions::new(now) });
    let mut out = Vec::new();
    for (i, item) in reader.by_ref().enumerate() {
        if let Ok(Record::Position(p)) = item.and_then(|r| validator.check(r, i as u64 + 1)) {
            out.push(p);
        }
    }
    out
}

/// A stable pseudo-random class of a vessel id (FNV-1a of its text), to pick vessels.
fn class(p: &Position, n: u64) -> u64 {
    p.vessel.as_str().bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3))
        % n
}

/// The batches the store receives, in order: the first 14 hours except a block of
/// every fifth vessel's positions (hours 4-8), then hours 14-18, then that held-back
/// block (late data, older than the previous runs), then the rest of two vessels in
/// three, then everything left.
fn batches(all: &[Position]) -> Vec<Vec<Position>> {
    let first = all.iter().map(|p| p.timestamp).min().expect("positions");
    let h = |n: i64| first + Duration::hours(n);
    let late = |p: &Position| class(p, 5) == 0 && p.timestamp >= h(4) && p.timestamp < h(8);
    let pick = |f: &dyn Fn(&Position) -> bool| all.iter().filter(|p| f(p)).cloned().collect::<Vec<_>>();
    vec![
        pick(&|p| p.timestamp < h(14) && !late(p)),
        pick(&|p| p.timestamp >= h(14) && p.timestamp < h(18)),
        pick(&|p| late(p)),
        pick(&|p| p.timestamp >= h(18) && class(p, 3) != 0),
        pick(&|p| p.timestamp >= h(18) && class(p, 3) == 0),
    ]
}

/// Findings as the store writes them: canonical JSON, one line per finding.
fn written(report: &CycleReport) -> Vec<String> {
    report.findings.iter().map(|f| canonical_json(serde_json::to_value(f).expect("finding")).to_string()).collect()
}

fn by_detector(report: &CycleReport) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for f in &report.findings {
        *out.entry(f.detector.clone()).or_insert(0) += 1;
    }
    out
}

/// Runs the batches through `store`; returns how many cycles reused previous findings
/// with some but not all vessels changed, and how many findings the last full run had.
fn check(store: &mut dyn Store) -> (usize, BTreeMap<String, usize>) {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let all = positions(&repo.join("testdata/ais/dma_dlproject_10min/val_aisdk-2025-06-01.csv.gz"));
    assert!(all.len() > 30_000, "{} positions", all.len());
    let last: Timestamp = all.iter().map(|p| p.timestamp).max().expect("positions");
    let rules = resolve(&RuleSet::builtin().expect("rules"), &*store, &Default::default(), None).expect("resolve");
    let ports = lookout_engine::ports::load(&lookout_engine::ports::PortsChoice::Shipped).expect("shipped ports");
    let request = |at: Timestamp| CycleRequest {
        at,
        window: Duration::hours(24),
        lookback: Duration::hours(24),
        rules: &rules,
        exec: ExecOptions::default(),
        registry: None,
        zones: None,
        places: ports.set.as_ref(),
    };
    // The fixed window (re-analysed as late data arrives) and a window slid by 3 hours.
    let windows = [last, last - Duration::hours(3)];
    let mut partial = 0;
    let mut last_counts = BTreeMap::new();
    for (b, batch) in batches(&all).iter().enumerate() {
        assert!(!batch.is_empty(), "batch {b} is empty");
        store.insert_positions(batch).expect("insert");
        for at in windows {
            let req = request(at);
            let full = analyse(&*store, &req).expect("full");
            let incr = run_cycle_with(store, &req, CycleMode::Incremental).expect("incremental");
            let stats = incr.incremental.clone().expect("stats");
            assert_eq!(by_detector(&incr), by_detector(&full), "batch {b}, window at {at}: {stats:?}");
            let (a, f) = (written(&incr), written(&full));
            if let Some(i) = (0..a.len().min(f.len())).find(|&i| a[i] != f[i]) {
                panic!(
                    "batch {b}, window at {at}, finding {i} differs ({stats:?}):\nincremental {}\nfull        {}",
                    a[i], f[i]
                );
            }
            assert_eq!(a.len(), f.len());
            eprintln!(
                "batch {b}, window at {at}: {} vessels of {}, {} ({:?}), {} findings",
                stats.vessels_changed,
                stats.vessels,
                stats.mode,
                stats.reason,
                a.len()
            );
            if stats.mode == "incremental" && stats.vessels_changed > 0 && stats.vessels_changed < stats.vessels {
                partial += 1;
            }
            last_counts = by_detector(&full);
        }
    }
    // Nothing new: once the dark history the other window wrote is taken in, every
    // rule's findings are kept, and they are still the full run's.
    let req = request(last);
    let full = analyse(&*store, &req).expect("full");
    let again = run_cycle_with(store, &req, CycleMode::Incremental).expect("again");
    assert_eq!(written(&again), written(&full));
    let again = run_cycle_with(store, &req, CycleMode::Incremental).expect("again");
    let stats = again.incremental.clone().expect("stats");
    assert_eq!((stats.mode.as_str(), stats.vessels_changed), ("incremental", 0), "{stats:?}");
    assert!(stats.rules.values().all(|m| m == "kept"), "{stats:?}");
    assert_eq!(written(&again), written(&full));
    // `--full` runs everything and says so.
    let forced = run_cycle_with(store, &req, CycleMode::Full).expect("full run");
    assert_eq!(forced.incremental.as_ref().expect("stats").mode, "full");
    assert_eq!(written(&forced), written(&full));
    (partial, last_counts)
}

fn assert_meaningful(partial: usize, counts: &BTreeMap<String, usize>) {
    // The comparison means something: cycles did reuse findings, and the rules found
    // things (gaps, dark scores, composites) on this day.
    assert!(partial >= 3, "only {partial} cycles were incremental with some vessels unchanged");
    for d in ["gaps", "dark_suspicion", "composite"] {
        assert!(counts.get(d).copied().unwrap_or(0) > 0, "no {d} findings: {counts:?}");
    }
}

#[test]
fn incremental_cycles_equal_full_runs_on_sqlite() {
    let mut store = SqliteStore::open_in_memory().expect("store");
    let (partial, counts) = check(&mut store);
    assert_meaningful(partial, &counts);
}

#[test]
fn incremental_cycles_equal_full_runs_on_postgres() {
    let Some(url) = pg_test_url() else { return };
    let schema = TestSchema::create(&url, "incremental").expect("schema");
    let mut store = PostgresStore::open(&schema.url()).expect("pg");
    let (partial, counts) = check(&mut store);
    assert_meaningful(partial, &counts);
}
