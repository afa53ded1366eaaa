//! `lookout analyze --zones`: the shipped zone files through the rule engine, and zone
//! files that cannot be used.

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use lookout_detect::zones::ZoneSet;
use lookout_detect::{ZoneClass, ZoneClassifier};
use lookout_store::{CycleKey, SqliteStore, Store};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn lookout(args: &[&str]) -> Output {
    Command::cargo_bin("lookout").expect("binary").env_remove("LOOKOUT_DB").args(args).output().expect("run lookout")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn analyze_with_the_demo_zones_finds_zone_episodes_and_feeds_p2_exactly_where_gaps_start_in_a_zone() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("t.db");
    let db_s = db.to_str().expect("p");
    let data = repo().join("data/demo/shipstrike_kitimat_2019-07-01_14.csv.gz");
    assert!(lookout(&["ingest", "--db", db_s, data.to_str().expect("p")]).status.success());
    let zones = repo().join("data/zones/kitimat_demo.geojson");
    let pmz = repo().join("data/zones/korea_china_pmz.geojson");
    let at = ["--at", "2019-07-08T00:00:00Z", "--now", "2019-07-08T00:00:00Z"];
    let with = lookout(
        &[&["analyze", "--db", db_s, "--zones", zones.to_str().expect("p"), pmz.to_str().expect("p")][..], &at[..]]
            .concat(),
    );
    assert!(with.status.success(), "{}", stderr(&with));
    let key = CycleKey {
        window_start: "2019-07-07T00:00:00Z".parse().expect("t"),
        window_end: "2019-07-08T00:00:00Z".parse().expect("t"),
    };
    let rows = SqliteStore::open(&db).expect("open").cycle_findings(&key).expect("rows");
    let zone_rows: Vec<_> = rows.iter().filter(|f| f.detector == "zones").collect();
    assert!(!zone_rows.is_empty(), "vessels cross the illustrative special zone");
    // The Kitimat ids are anonymised: no flag, so every entry is unverified and LOW.
    assert!(zone_rows.iter().all(|f| f.evidence["zone"] == "ZONE_KITIMAT_DEMO" && f.level == "LOW"));
    assert!(zone_rows.iter().all(|f| f.breakdown.iter().any(|b| b.pattern == "flag_unknown")));
    // P2: exactly the dark gaps that start inside a special zone score `special_zone`.
    let mut set = ZoneSet::from_geojson(&std::fs::read_to_string(&zones).expect("read")).expect("zones");
    set.extend(ZoneSet::from_geojson(&std::fs::read_to_string(&pmz).expect("read")).expect("zones"));
    let dark: Vec<_> = rows.iter().filter(|f| f.detector == "dark_suspicion").collect();
    assert!(!dark.is_empty());
    for f in &dark {
        let (lat, lon) = (f.evidence["gap_start"]["lat"].as_f64(), f.evidence["gap_start"]["lon"].as_f64());
        let (Some(lat), Some(lon)) = (lat, lon) else { panic!("gap start in {f:?}") };
        let in_special = matches!(set.classify(lat, lon), Some(ZoneClass::Special(_)));
        let scored = f.breakdown.iter().any(|b| b.pattern == "special_zone");
        assert_eq!(scored, in_special, "{} at {lat},{lon}", f.vessel);
    }
    let p2 = dark.iter().filter(|f| f.breakdown.iter().any(|b| b.pattern == "special_zone")).count();

    // The table ends with the highest composite risks; each line's shares add up to it.
    let table = String::from_utf8_lossy(&with.stdout).to_string();
    let risks: Vec<&str> = table
        .lines()
        .skip_while(|l| !l.starts_with("highest composite risk"))
        .skip(1)
        .take_while(|l| l.trim_start().chars().next().is_some_and(|c| c.is_ascii_digit()))
        .collect();
    assert_eq!(risks.len(), 10, "{table}");
    for line in risks {
        let (head, parts) = line.split_once(" = ").expect("risk line");
        let total: i64 = head.rsplit(' ').next().and_then(|n| n.parse().ok()).expect("score");
        let shares: i64 = parts
            .split(" + ")
            .map(|p| p.split_whitespace().nth(1).and_then(|n| n.parse::<i64>().ok()).expect("share"))
            .sum();
        assert_eq!(shares, total, "{line}");
    }

    // Without zones the zones rule finds nothing and P2 never fires.
    let without = lookout(&[&["analyze", "--db", db_s][..], &at[..]].concat());
    assert!(without.status.success(), "{}", stderr(&without));
    let rows = SqliteStore::open(&db).expect("open").cycle_findings(&key).expect("rows");
    assert!(rows.iter().all(|f| f.detector != "zones"));
    assert!(rows.iter().all(|f| f.breakdown.iter().all(|b| b.pattern != "special_zone")));
    println!("zones findings {}, dark findings with P2 special_zone {p2} of {}", zone_rows.len(), dark.len());
}

#[test]
fn bad_zone_files_are_errors_naming_the_file_and_feature() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("t.db");
    let bad = dir.path().join("bad.geojson");
    std::fs::write(
        &bad,
        r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"zone":"HIGH_SEAS"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}}]}"#,
    )
    .expect("write");
    let data = repo().join("data/demo/dma_collision_2021-12-13_219021240_232018267.csv");
    assert!(lookout(&["ingest", "--db", db.to_str().expect("p"), data.to_str().expect("p")]).status.success());
    let out = lookout(&["analyze", "--db", db.to_str().expect("p"), "--zones", bad.to_str().expect("p")]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("bad.geojson") && err.contains("feature 0: unknown zone 'HIGH_SEAS'"), "{err}");
    let missing = dir.path().join("missing.geojson");
    let out = lookout(&["analyze", "--db", db.to_str().expect("p"), "--zones", missing.to_str().expect("p")]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("missing.geojson"), "{}", stderr(&out));
}
