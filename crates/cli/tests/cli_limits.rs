//! Bounded command-line inputs (issue 14, items 4 and 6): overflowing durations and
//! out-of-range times are clear errors naming the option, never a chrono panic; params
//! without meaning (inverted tiers, boxes and ranges) are refused by every command that
//! takes params, naming the key.

use std::process::Output;

use assert_cmd::Command;

fn lookout(args: &[&str]) -> Output {
    Command::cargo_bin("lookout").expect("binary").env_remove("LOOKOUT_DB").args(args).output().expect("run lookout")
}

fn refused(args: &[&str], needles: &[&str]) {
    let o = lookout(args);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "{args:?} succeeded: {stderr}");
    assert!(!stderr.contains("panicked"), "{args:?} panicked: {stderr}");
    for n in needles {
        assert!(stderr.contains(n), "{args:?}: {n:?} not in {stderr}");
    }
}

#[test]
fn overflowing_durations_and_times_name_the_option() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("l.db");
    let db = db.to_str().expect("utf-8 path");
    let huge = "99999999999999d";
    refused(&["analyze", "--db", db, "--window", huge], &["--window", "too long"]);
    refused(&["analyze", "--db", db, "--lookback", huge], &["--lookback", "too long"]);
    refused(&["analyze", "--db", db, "--lookback", "99999999999999999999999s"], &["--lookback", "too long"]);
    refused(&["rules", "--db", db, "dry-run", "--window", huge], &["--window", "too long"]);
    refused(&["db", "prune", "--db", db, "--keep", huge], &["--keep", "too long"]);
    refused(
        &["silences", "add", "category=DARK_VESSEL", "--db", db, "--author", "a", "--comment", "c", "--duration", huge],
        &["--duration", "too long"],
    );
    refused(&["analyze", "--db", db, "--at", "0000-01-01T00:00:00Z"], &["--at", "0001..=9999"]);
    refused(&["kpis", "--db", db, "--now", "0000-01-01T00:00:00Z"], &["--now", "0001..=9999"]);
    refused(&["db", "prune", "--db", db, "--keep", "1d", "--now", "not-a-time"], &["--now", "RFC 3339"]);
    // The longest accepted duration from the earliest accepted time still works.
    let o = lookout(&["db", "prune", "--db", db, "--keep", "36600d", "--now", "0001-01-01T00:00:00Z"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn params_without_meaning_are_refused_by_every_command_that_takes_params() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("p.db");
    let db = db.to_str().expect("utf-8 path");
    let inverted = [
        (r#"{"tier_thresholds": {"critical": 30, "high": 50, "watch": 70}}"#, "tier_thresholds"),
        (r#"{"coverage": {"lat_min": 40.0, "lat_max": 30.0}}"#, "coverage.lat_max"),
        (r#"{"coverage": {"lon_min": 135.0, "lon_max": 120.0}}"#, "coverage.lon_max"),
        (r#"{"p5_daytime_range": [18, 6]}"#, "p5_daytime_range"),
        (r#"{"teleport_speed_kn": -5.0}"#, "teleport_speed_kn"),
    ];
    let csv = dir.path().join("p.csv");
    std::fs::write(&csv, "mmsi,timestamp,lat,lon,sog\n440123456,2024-05-01T00:00:00Z,35.0,126.0,3.0\n").expect("csv");
    let csv = csv.to_str().expect("utf-8 path");
    for (json, key) in inverted {
        refused(&["models", "--db", db, "create", "dark_suspicion", "--params", json], &[key]);
        refused(&["analyze", "--db", db, "--at", "2024-05-01T00:00:00Z", "--params", json], &["--params", key]);
        refused(&["score-dark", csv, "--params", json], &["--params", key]);
    }
    let list = lookout(&["models", "--db", db, "list"]);
    assert!(!String::from_utf8_lossy(&list.stdout).contains("v2"), "nothing was created");
}
