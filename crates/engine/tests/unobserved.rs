//! A gap where nobody was observed is not a dark vessel: real Kitimat AIS (shipped with
//! the demo) loaded as extracts (separate days in one file), through a real SQLite store,
//! the ingest summary and the shipped rules.
//!
//! The unobserved share of a gap is recomputed here from the raw rows, independently of
//! the detector: the whole data set lies inside one cell neighbourhood of the default
//! grid, so a clock hour is unobserved when the file has no row in it.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use lookout_engine::cycle::{run_cycle, CycleRequest, DARK};
use lookout_engine::ingest::{ingest_file, FileSummary};
use lookout_engine::models::resolve;
use lookout_engine::plan::ExecOptions;
use lookout_engine::rules::RuleSet;
use lookout_ingest::readers::ReadOptions;
use lookout_model::Finding;
use lookout_store::{SqliteStore, Store};
use serde_json::{json, Value};

const KITIMAT: &str = "../../data/demo/shipstrike_kitimat_2019-07-01_14.csv.gz";
/// The dark model's WATCH cut-off (default tier thresholds).
const WATCH: i64 = 30;

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2019, 7, d).expect("date")
}

fn midnight(d: u32) -> DateTime<Utc> {
    Utc.from_utc_datetime(&day(d).and_hms_opt(0, 0, 0).expect("time"))
}

/// The header and the (time, line) rows of the real file.
fn kitimat() -> (String, Vec<(i64, String)>) {
    let file = std::fs::File::open(Path::new(env!("CARGO_MANIFEST_DIR")).join(KITIMAT)).expect("demo data");
    let mut lines = BufReader::new(flate2::read::GzDecoder::new(file)).lines();
    let header = lines.next().expect("header").expect("utf8");
    let at = header.split(',').position(|c| c == "datetime").expect("datetime column");
    let rows = lines
        .map(|l| l.expect("utf8"))
        .map(|l| {
            let t = l.split(',').nth(at).and_then(|v| v.parse::<f64>().ok()).expect("unix seconds") as i64;
            (t, l)
        })
        .collect();
    (header, rows)
}

/// An extract: the rows of the given UTC days, in one CSV file.
fn extract(dir: &Path, days: &[u32]) -> (PathBuf, Vec<i64>) {
    let (header, rows) = kitimat();
    let wanted: BTreeSet<NaiveDate> = days.iter().map(|d| day(*d)).collect();
    let keep: Vec<&(i64, String)> = rows
        .iter()
        .filter(|(t, _)| DateTime::from_timestamp(*t, 0).is_some_and(|d| wanted.contains(&d.date_naive())))
        .collect();
    let name = days.iter().map(u32::to_string).collect::<Vec<_>>().join("_");
    let path = dir.join(format!("kitimat_days_{name}.csv"));
    let mut f = std::fs::File::create(&path).expect("create");
    writeln!(f, "{header}").expect("write");
    for (_, line) in &keep {
        writeln!(f, "{line}").expect("write");
    }
    (path, keep.iter().map(|(t, _)| *t).collect())
}

fn ingest(store: &mut dyn Store, path: &Path) -> FileSummary {
    let now = midnight(1) + Duration::days(400);
    ingest_file(store, path, &ReadOptions::default(), now, &mut |_, _| {}).expect("ingest")
}

/// A fresh store holding one file.
fn store_of(path: &Path) -> (SqliteStore, FileSummary) {
    let mut store = SqliteStore::open_in_memory().expect("store");
    let summary = ingest(&mut store, path);
    (store, summary)
}

/// Dark findings of one cycle ending at `at` (window one day) over a fresh store of
/// `path`, with the shipped rules and `dark` merged over the dark model.
fn dark(path: &Path, at: DateTime<Utc>, lookback: Duration, dark: Value) -> BTreeMap<String, Finding> {
    let (mut store, _) = store_of(path);
    let rules = RuleSet::builtin().expect("rules");
    let overrides = BTreeMap::from([(DARK.to_string(), dark)]);
    let rules = resolve(&rules, &store, &overrides, None).expect("resolve");
    let req = CycleRequest {
        at,
        window: Duration::days(1),
        lookback,
        rules: &rules,
        exec: ExecOptions::default(),
        registry: None,
        zones: None,
        places: None,
    };
    let report = run_cycle(&mut store, &req).expect("cycle");
    report.findings.into_iter().filter(|f| f.detector == DARK).map(|f| (f.vessel.to_string(), f)).collect()
}

/// The demo's dark params (the coverage box and time zone of Kitimat).
fn kitimat_params() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/demo/params.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("params")).expect("json")
}

/// The same with the pattern switched off: a share can never reach 1 (the vessel's own
/// last report observes the gap's first hour).
fn disabled() -> Value {
    let mut p = kitimat_params();
    p["unobserved"] = json!({"min_share": 1.0});
    p
}

fn has_unobserved(f: &Finding) -> bool {
    f.breakdown.iter().any(|b| b.pattern == "unobserved")
}

/// Seconds of `[start, end)` in clock hours holding none of `times`, over its length.
fn unobserved_share(times: &[i64], start: i64, end: i64) -> f64 {
    let hours: BTreeSet<i64> = times.iter().map(|t| t.div_euclid(3600)).collect();
    let empty: i64 = (start.div_euclid(3600)..=end.div_euclid(3600))
        .filter(|h| !hours.contains(h))
        .map(|h| (end.min((h + 1) * 3600) - start.max(h * 3600)).max(0))
        .sum();
    empty as f64 / (end - start) as f64
}

#[test]
fn silences_between_extracts_stay_below_watch_and_say_why() {
    let dir = tempfile::tempdir().expect("tmp");
    let (path, times) = extract(dir.path(), &[3, 10]);
    let (_, summary) = store_of(&path);
    let warning = summary.notes.iter().find(|n| n.starts_with("this file looks like an extract")).expect("warned");
    assert!(warning.contains("from 2019-07-03T") && warning.contains("to 2019-07-10T"), "{warning}");

    let on = dark(&path, midnight(11), Duration::days(8), kitimat_params());
    let off = dark(&path, midnight(11), Duration::days(8), disabled());
    let across: Vec<&Finding> = on.values().filter(|f| f.start < midnight(4)).collect();
    assert!(!across.is_empty(), "some vessels were seen on both days");
    for f in &across {
        assert!(has_unobserved(f), "{} {:?}", f.vessel, f.breakdown);
        assert!(f.score.unwrap_or(0) < WATCH, "{} scored {:?}", f.vessel, f.score);
        let share = f.evidence["unobserved"]["share"].as_f64().expect("share");
        let expected = unobserved_share(&times, f.start.timestamp(), f.end.timestamp());
        assert!((share - expected).abs() < 0.001 && share >= 0.5, "{}: {share} vs {expected}", f.vessel);
        let item = f.breakdown.iter().find(|b| b.pattern == "unobserved").expect("item");
        assert!(item.points < 0 && item.description_en.contains("nobody at all was heard"), "{item:?}");
        assert!(!item.description_ko.is_empty());
    }
    // Without the pattern these silences were the false alarms the issue describes.
    let alarms = across.iter().filter(|f| off[f.vessel.as_str()].score.unwrap_or(0) >= WATCH).count();
    assert!(alarms > 0, "without the pattern at least one silence between extracts reached WATCH");
}

#[test]
fn real_gaps_inside_observed_days_keep_their_scores() {
    let dir = tempfile::tempdir().expect("tmp");
    let (path, times) = extract(dir.path(), &[8, 9, 10]);
    let on = dark(&path, midnight(11), Duration::days(3), kitimat_params());
    let off = dark(&path, midnight(11), Duration::days(3), disabled());
    assert_eq!(on.keys().collect::<Vec<_>>(), off.keys().collect::<Vec<_>>());
    let mut kept_alarms = 0;
    for (vessel, f) in &on {
        let before = &off[vessel];
        let share = unobserved_share(&times, f.start.timestamp(), f.end.timestamp());
        if share < 0.5 {
            assert!(!has_unobserved(f), "{vessel}: share {share}");
            assert_eq!((f.score, &f.level), (before.score, &before.level), "{vessel}");
            kept_alarms += usize::from(f.score.unwrap_or(0) >= WATCH);
        } else {
            assert!(has_unobserved(f), "{vessel}: share {share}");
            assert!(f.score.unwrap_or(0) < WATCH, "{vessel}");
        }
    }
    assert!(kept_alarms > 0, "real gaps of observed days still reach WATCH or above");
}

#[test]
fn gap_findings_say_how_much_was_unobserved() {
    let dir = tempfile::tempdir().expect("tmp");
    let (path, times) = extract(dir.path(), &[3, 10]);
    let (mut store, _) = store_of(&path);
    let rules = resolve(&RuleSet::builtin().expect("rules"), &store, &BTreeMap::new(), None).expect("resolve");
    let req = CycleRequest {
        at: midnight(11),
        window: Duration::days(1),
        lookback: Duration::days(8),
        rules: &rules,
        exec: ExecOptions::default(),
        registry: None,
        zones: None,
        places: None,
    };
    let gaps: Vec<Finding> =
        run_cycle(&mut store, &req).expect("cycle").findings.into_iter().filter(|f| f.detector == "gaps").collect();
    assert!(gaps.len() > 10, "{}", gaps.len());
    for g in &gaps {
        let share = g.evidence["unobserved"]["share"].as_f64().expect("share");
        let expected = unobserved_share(&times, g.start.timestamp(), g.end.timestamp());
        assert!((share - expected).abs() < 0.001, "{}: {share} vs {expected}", g.vessel);
    }
}
