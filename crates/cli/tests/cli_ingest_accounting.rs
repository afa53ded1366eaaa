//! Issue 14: every input line is accounted for in the `ingest` summary. Reports of a real
//! GFW track repeated with another speed (same vessel, time and position) are counted as
//! `duplicate_time_position` instead of vanishing at the store's primary key.

use std::io::Read;
use std::path::Path;

use assert_cmd::Command;

#[test]
fn same_time_and_position_with_other_speed_is_a_counted_reject() {
    let gz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/ais/gfw_segment_338013000.jsonl.gz");
    let mut text = String::new();
    flate2::read::MultiGzDecoder::new(std::fs::File::open(gz).expect("testdata"))
        .read_to_string(&mut text)
        .expect("gzip");
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).take(300).collect();
    let mut out = lines.join("\n");
    let mut repeated = 0;
    let mut keys = std::collections::HashSet::new();
    for l in lines.iter().step_by(10) {
        let mut row: serde_json::Value = serde_json::from_str(l).expect("json row");
        // Rows without a position are malformed anyway; one key is repeated once.
        if !(row["lat"].is_number() && row["lon"].is_number() && keys.insert(row["timestamp"].to_string())) {
            continue;
        }
        let speed = row["speed"].as_f64().unwrap_or(0.0);
        row["speed"] = serde_json::Value::from(speed + 1.25);
        out.push('\n');
        out.push_str(&row.to_string());
        repeated += 1;
    }
    out.push('\n');
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("dup.jsonl");
    std::fs::write(&file, out).expect("write");
    let db = dir.path().join("t.db");
    let o = Command::cargo_bin("lookout")
        .expect("binary")
        .args(["ingest", "--db", db.to_str().expect("p"), file.to_str().expect("p")])
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{stdout}{}", String::from_utf8_lossy(&o.stderr));
    assert!(stdout.contains(&format!("rejected duplicate_time_position: {repeated} ")), "{stdout}");
    let head = stdout.lines().next().unwrap_or_default();
    // Every accepted position is stored: none is lost silently at the primary key.
    let accepted = head.split(" positions accepted (").next().and_then(|s| s.rsplit(", ").next()).unwrap_or("?");
    let new = head.split(" positions accepted (").nth(1).and_then(|s| s.split(' ').next()).unwrap_or("!");
    assert_eq!(accepted, new, "{head}");
}
