//! `lookout track` and `lookout export`: the engine's track and export functions (the
//! API's) from the command line, over a real store built from a shipped file.

use assert_cmd::Command;

const DATA: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/ais/dma_collision_2021-12-13_219021240_232018267.csv.gz");

fn lookout(db: &str, args: &[&str]) -> std::process::Output {
    Command::cargo_bin("lookout").expect("binary").args(["--db", db]).args(args).output().expect("runs")
}

fn ok(db: &str, args: &[&str]) -> String {
    let out = lookout(db, args);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf8")
}

/// Kitimat 2019 (real): a week's cycle stores findings and events.
const KITIMAT: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/ais/shipstrike_ais_kitimat_2019_slice.csv.gz");

fn analysed_with(data: &str, window: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("x.db").display().to_string();
    ok(&db, &["ingest", data]);
    ok(&db, &["analyze", "--window", window]);
    (dir, db)
}

#[test]
fn track_prints_the_vessels_track_as_geojson_downsampled_on_request() {
    let (_dir, db) = analysed_with(DATA, "2d");
    let args = ["track", "219021240", "--from", "2021-12-13T00:00:00Z", "--to", "2021-12-14T00:00:00Z"];
    let full: serde_json::Value = serde_json::from_str(&ok(&db, &args)).expect("geojson");
    assert_eq!(full["type"], "FeatureCollection");
    assert_eq!(full["properties"]["vessel"], "219021240");
    let positions = full["properties"]["positions"].as_u64().expect("positions");
    assert!(positions > 10, "{full}");
    let points = |doc: &serde_json::Value| -> usize {
        doc["features"]
            .as_array()
            .expect("features")
            .iter()
            .filter(|f| f["geometry"]["type"] == "LineString")
            .map(|f| f["geometry"]["coordinates"].as_array().map_or(0, Vec::len))
            .sum()
    };
    assert_eq!(points(&full) as u64, positions);
    let thin: serde_json::Value =
        serde_json::from_str(&ok(&db, &[&args[..], &["--max-points", "5"]].concat())).expect("geojson");
    assert!(points(&thin) <= 5 && points(&thin) >= 2, "{thin}");
    // Bad input: an unknown vessel, a reversed range, too few points.
    assert!(!lookout(&db, &["track", "nosuch", "--from", args[3], "--to", args[5]]).status.success());
    assert!(!lookout(&db, &["track", "219021240", "--from", args[5], "--to", args[3]]).status.success());
    assert!(!lookout(&db, &[&args[..], &["--max-points", "1"]].concat()).status.success());
}

#[test]
fn export_writes_events_and_findings_as_csv_and_geojson_with_filters() {
    let (_dir, db) = analysed_with(KITIMAT, "7d");
    let csv = ok(&db, &["export", "findings", "--format", "csv"]);
    let mut lines = csv.lines();
    assert!(lines.next().expect("header").starts_with("detector,vessel,start,end"), "{csv}");
    let rows = csv::Reader::from_reader(csv.as_bytes()).records().count();
    assert!(rows > 0);
    let geo: serde_json::Value =
        serde_json::from_str(&ok(&db, &["export", "findings", "--format", "geojson"])).expect("geojson");
    assert_eq!(geo["features"].as_array().expect("features").len(), rows);
    // The vessel filter narrows, and only that vessel's findings remain.
    let one = ok(&db, &["export", "findings", "--format", "csv", "--vessel", "341"]);
    let mut r = csv::Reader::from_reader(one.as_bytes());
    let vessels: Vec<String> = r.records().map(|x| x.expect("row")[1].to_string()).collect();
    assert!(!vessels.is_empty() && vessels.len() < rows, "{one}");
    assert!(vessels.iter().all(|v| v == "341"));
    let events = ok(&db, &["export", "events", "--format", "csv"]);
    assert!(events.starts_with("id,category,level,status"), "{events}");
    let event_rows = csv::Reader::from_reader(events.as_bytes()).records().count();
    let geo: serde_json::Value =
        serde_json::from_str(&ok(&db, &["export", "events", "--format", "geojson"])).expect("geojson");
    assert_eq!(geo["features"].as_array().expect("features").len(), event_rows);
    assert!(!lookout(&db, &["export", "events", "--format", "csv", "--level", "HUGE"]).status.success());
}
