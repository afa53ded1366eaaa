//! End-to-end CLI tests for `ingest`, `analyze` and `demo` on real data.

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use lookout_store::{CycleKey, SqliteStore, Store};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn demo_file(name: &str) -> PathBuf {
    repo().join("data/demo").join(name)
}

fn lookout(args: &[&str]) -> Output {
    Command::cargo_bin("lookout").expect("binary").args(args).output().expect("run lookout")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn ingesting_the_same_files_twice_adds_nothing() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("t.db");
    let db = db.to_str().expect("utf8 path");
    let csv = demo_file("dma_collision_2021-12-13_219021240_232018267.csv");
    let gfw = demo_file("gfw_segment_338013000.jsonl.gz");
    let args = ["ingest", "--db", db, csv.to_str().expect("p"), gfw.to_str().expect("p")];
    let first = lookout(&args);
    assert!(first.status.success(), "{}", stderr(&first));
    let out = stdout(&first);
    assert!(out.contains("total: 2/2 files, 1332 records, 1100 new positions"), "{out}");
    assert!(out.contains("rejected duplicate: 170"), "{out}");
    assert!(out.contains("rejected malformed_row: 60"), "{out}");
    let second = lookout(&args);
    assert!(second.status.success());
    assert!(stdout(&second).contains("1332 records, 0 new positions"), "{}", stdout(&second));
    let store = SqliteStore::open(Path::new(db)).expect("open");
    let counts = store.counts().expect("counts");
    assert_eq!((counts.vessels, counts.positions), (3, 1100));
}

#[test]
fn a_bad_file_is_named_and_the_others_still_load() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("t.db");
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "mmsi,timestamp,lon\n440000001,2024-01-01T00:00:00Z,128.0\n").expect("write");
    let good = demo_file("dma_collision_2021-12-13_219021240_232018267.csv");
    let out =
        lookout(&["ingest", "--db", db.to_str().expect("p"), bad.to_str().expect("p"), good.to_str().expect("p")]);
    // Issue 14: an unreadable file makes the exit 1 (the good one still loads, below).
    assert_eq!(out.status.code(), Some(1), "some file unreadable: exit 1");
    let err = stderr(&out);
    assert!(err.contains("bad.csv") && err.contains("line 1") && err.contains("\"lat\""), "{err}");
    assert!(stdout(&out).contains("total: 1/2 files"), "{}", stdout(&out));

    let only_bad = lookout(&["ingest", "--db", db.to_str().expect("p"), bad.to_str().expect("p")]);
    assert!(!only_bad.status.success(), "nothing readable must fail");
    assert_eq!(only_bad.status.code(), Some(3), "nothing read: exit 3");
}

#[test]
fn analyze_twice_on_the_same_window_gives_identical_rows() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("t.db");
    let db_s = db.to_str().expect("p");
    let data = demo_file("shipstrike_kitimat_2019-07-01_14.csv.gz");
    assert!(lookout(&["ingest", "--db", db_s, data.to_str().expect("p")]).status.success());
    let args = ["analyze", "--db", db_s, "--at", "2019-07-08T00:00:00Z", "--window", "24h", "--format", "json"];
    let a = lookout(&args);
    assert!(a.status.success(), "{}", stderr(&a));
    let key = CycleKey {
        window_start: "2019-07-07T00:00:00Z".parse().expect("t"),
        window_end: "2019-07-08T00:00:00Z".parse().expect("t"),
    };
    let rows_a = SqliteStore::open(&db).expect("open").cycle_findings(&key).expect("rows");
    // Again: nothing changed, so the incremental run keeps every rule's findings.
    let b = lookout(&args);
    assert!(b.status.success(), "{}", stderr(&b));
    let rows_b = SqliteStore::open(&db).expect("open").cycle_findings(&key).expect("rows");
    assert_eq!(rows_a, rows_b, "same window, same rows");
    // A full re-run prints exactly what the first run printed (an incremental one reports
    // its kept rules' statistics as kept).
    let c = lookout(&[&args[..], &["--full"]].concat());
    assert_eq!(stdout(&a), stdout(&c), "same window, same output");
    let rows_c = SqliteStore::open(&db).expect("open").cycle_findings(&key).expect("rows");
    assert_eq!(rows_a, rows_c, "same window, same rows");
    assert!(rows_a.iter().any(|f| f.detector == "dark_suspicion"), "the window has dark vessels");
    assert!(rows_a.iter().any(|f| f.detector == "gaps" && f.level == "VIOLATION"), "and a 24 h+ gap");

    let geo = lookout(&["analyze", "--db", db_s, "--at", "2019-07-08T00:00:00Z", "--format", "geojson"]);
    let v: serde_json::Value = serde_json::from_slice(&geo.stdout).expect("geojson is JSON");
    assert_eq!(v["type"], "FeatureCollection");
    // Composite risk findings (one per vessel, from the rule engine) have no geometry.
    let with_geometry = rows_a.iter().filter(|f| f.detector != "composite").count();
    assert_eq!(v["features"].as_array().map(Vec::len), Some(with_geometry));
    assert!(rows_a.iter().any(|f| f.detector == "composite"), "the composite risk is stored with the cycle");
}

#[test]
fn analyze_rejects_a_misspelt_parameter_by_name() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("t.db");
    let data = demo_file("dma_collision_2021-12-13_219021240_232018267.csv");
    assert!(lookout(&["ingest", "--db", db.to_str().expect("p"), data.to_str().expect("p")]).status.success());
    let out =
        lookout(&["analyze", "--db", db.to_str().expect("p"), "--params", r#"{"weights": {"P1_moving_of": 30}}"#]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("P1_moving_of"), "{}", stderr(&out));
}

#[test]
fn demo_runs_on_the_shipped_data_and_is_deterministic() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("demo.db");
    let run = || lookout(&["demo", "--db", db.to_str().expect("p")]);
    let first = run();
    assert!(first.status.success(), "{}", stderr(&first));
    let out = stdout(&first);
    for section in
        ["== 1. Ingest", "== 2. Analysis", "== 3. Top dark vessels", "rejected duplicate", "vessel ids are opaque"]
    {
        assert!(out.contains(section), "missing {section:?} in:\n{out}");
    }
    // 23317 before issue 15: 36 positions whose id is not a valid MMSI are now kept.
    assert!(out.contains("23353 positions stored"), "{out}");
    // Every family prints its findings or why there are none.
    for family in [
        "  spoofing: ",
        "  zones: ",
        "  e.g. segments: ",
        "transshipment funnel:",
        "pair trawl funnel:",
        "  loitering: ",
        "  gear: ",
        "reception outages: ",
        "identity changes (spoofing M6/M7): 0 findings; identity history: 1254 identities",
    ] {
        assert!(out.contains(family), "missing {family:?} in:\n{out}");
    }
    // Each explained vessel ends with its total and tier.
    assert_eq!(out.matches("      = ").count(), 5, "{out}");
    assert_eq!(stdout(&run()), out, "the demo is reproducible");
}

#[test]
fn korean_cp949_is_detected_or_named_and_the_summary_says_which() {
    let dir = tempfile::tempdir().expect("tmp");
    let sample = repo().join("testdata/encodings/ko_cp949.csv.gz");
    let sample = sample.to_str().expect("utf8 path");
    for (i, extra) in
        [&[][..], &["--encoding", "cp949"], &["--encoding", "MS949"], &["--encoding", "uhc"]].iter().enumerate()
    {
        let db = dir.path().join(format!("k{i}.db"));
        let mut args = vec!["ingest", "--db", db.to_str().expect("utf8 path"), sample];
        args.extend_from_slice(extra);
        let out = lookout(&args);
        assert!(out.status.success(), "{extra:?}: {}", stderr(&out));
        let text = stdout(&out);
        // Issue 14: row 260 repeats vessel 100's time and position with other fields; the
        // store kept one row (395 new) and that report is now a counted reject.
        assert!(text.contains("532 records, 395 positions accepted (395 new)"), "{extra:?}: {text}");
        assert!(text.contains("rejected duplicate_time_position: 1 "), "{extra:?}: {text}");
        let note = if extra.is_empty() {
            "note: text is not UTF-8: decoded as EUC-KR (CP949 / windows-949), detected from its bytes"
        } else {
            "note: text decoded from EUC-KR (CP949 / windows-949)"
        };
        assert!(text.contains(note), "{extra:?}: {text}");
    }
}

/// `--params MODEL=JSON` overrides any model (issue 15.5); `models create` takes any
/// model's params. Real tracks without ship types (DMA's resampled tracks): the default
/// transshipment stage 1 sees no carrier × fishing pair, GFW's mode (any two vessels)
/// finds encounters.
#[test]
fn analyze_params_reach_any_model_and_models_create_takes_its_params() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("t.db");
    let db = db.to_str().expect("p");
    let data = repo().join("testdata/ais/dma_dlproject_10min/val_aisdk-2025-06-01.csv.gz");
    assert!(lookout(&["ingest", "--db", db, data.to_str().expect("p")]).status.success());
    let transshipment_findings = |out: &Output| -> u64 {
        let text = stdout(out);
        let line = text.lines().find(|l| l.starts_with("rule transshipment")).unwrap_or_else(|| panic!("{text}"));
        line.split(" in, ")
            .nth(1)
            .and_then(|s| s.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .expect("count")
    };
    let plain = lookout(&["analyze", "--db", db, "--window", "24h"]);
    assert!(plain.status.success(), "{}", stderr(&plain));
    assert_eq!(transshipment_findings(&plain), 0);
    let gfw = lookout(&[
        "analyze",
        "--db",
        db,
        "--window",
        "24h",
        "--params",
        r#"transshipment={"mode": "gfw"}"#,
        "--params",
        r#"{"weights": {"P1_moving_off": 30}}"#,
    ]);
    assert!(gfw.status.success(), "{}", stderr(&gfw));
    let found = transshipment_findings(&gfw);
    assert!(found > 0);
    for (bad, needle) in [
        (r#"nosuch={"a": 1}"#, "no model named \"nosuch\""),
        (r#"transshipment={"mode": "any"}"#, "unknown variant `any`, expected `pairs` or `gfw`"),
        (r#"transshipment={"pairs": [["fishing", "whale"]]}"#, "whale"),
    ] {
        let out = lookout(&["analyze", "--db", db, "--params", bad]);
        assert!(!out.status.success(), "{bad} accepted");
        assert!(stderr(&out).contains(needle), "{bad}: {}", stderr(&out));
    }
    let created = lookout(&["models", "create", "transshipment", "--db", db, "--params", r#"{"mode": "gfw"}"#]);
    assert!(created.status.success(), "{}", stderr(&created));
    assert!(stdout(&created).contains("created transshipment@2 (DRAFT)"), "{}", stdout(&created));
    assert!(lookout(&["models", "promote", "transshipment", "2", "--db", db]).status.success());
    let promoted = lookout(&["analyze", "--db", db, "--window", "24h"]);
    assert_eq!(transshipment_findings(&promoted), found);
}

/// `--ports`: the shipped list by default (GFW-mode encounters moored in harbours are
/// not transshipments), `none` disables it, a user's file replaces it, a bad file stops
/// the command naming the line and column.
#[test]
fn analyze_ports_flag_chooses_the_port_list() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("t.db");
    let db = db.to_str().expect("p");
    let data = repo().join("testdata/ais/dma_dlproject_10min/val_aisdk-2025-06-01.csv.gz");
    assert!(lookout(&["ingest", "--db", db, data.to_str().expect("p")]).status.success());
    let findings = |extra: &[&str]| -> u64 {
        let mut args = vec!["analyze", "--db", db, "--window", "24h", "--params", r#"transshipment={"mode": "gfw"}"#];
        args.extend_from_slice(extra);
        let out = lookout(&args);
        assert!(out.status.success(), "{extra:?}: {}", stderr(&out));
        let text = stdout(&out);
        let line = text.lines().find(|l| l.starts_with("rule transshipment")).unwrap_or_else(|| panic!("{text}"));
        line.split(" in, ")
            .nth(1)
            .and_then(|s| s.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .expect("count")
    };
    let shipped = findings(&[]);
    let none = findings(&["--ports", "none"]);
    assert!(shipped > 0 && shipped < none, "shipped {shipped}, none {none}");
    let mine = dir.path().join("mine.csv");
    std::fs::write(&mine, "name,lat,lon\nNowhere near,0.0,0.0\n").expect("write");
    assert_eq!(findings(&["--ports", mine.to_str().expect("p")]), none, "a far-away list replaces the shipped one");
    std::fs::write(&mine, "name,lat,lon\nA,55.0,10.0\nB,55.1,east\n").expect("write");
    let out = lookout(&["analyze", "--db", db, "--ports", mine.to_str().expect("p")]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("line 3: column lon"), "{}", stderr(&out));
}
