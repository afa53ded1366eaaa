//! Bounded command-line inputs (issue 14, items 4 and 6): overflowing durations and
//! out-of-range times are clear errors naming the option, never a chrono panic; params
//! without meaning (inverted tiers, boxes and ranges) are refused by every command that
//! takes params, naming the key. A CSV row longer than `--max-line-bytes` costs no more
//! memory than the cap (item 3).

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

/// Peak resident memory of a running child, polled from /proc until it exits (VmHWM
/// only grows, so the last reading is the peak up to then): (exit success, peak KiB).
fn run_measuring_peak(mut cmd: std::process::Command) -> (bool, u64) {
    let mut child = cmd.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null()).spawn().expect("spawn");
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return (status.success(), peak);
        }
        let hwm = std::fs::read_to_string(&status_file).ok().and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        });
        peak = peak.max(hwm.unwrap_or(0));
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

#[test]
fn a_csv_row_of_256_mb_costs_no_more_memory_than_the_line_cap() {
    use std::io::{Read, Write};
    // Real rows around one 256 MiB line, gzipped as concatenated members (one member of
    // a 1 MiB run, repeated), as a hostile upload would be.
    let real = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/ais/dma_collision_2021-12-13_219021240_232018267.csv.gz");
    let mut text = String::new();
    flate2::read::MultiGzDecoder::new(std::fs::File::open(real).expect("testdata"))
        .read_to_string(&mut text)
        .expect("gunzip");
    let lines: Vec<&str> = text.lines().collect();
    let gz = |bytes: &[u8]| {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(bytes).expect("gzip");
        e.finish().expect("gzip")
    };
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("huge.csv.gz");
    let mut f = std::fs::File::create(&path).expect("create");
    f.write_all(&gz(format!("{}\n", lines[..40].join("\n")).as_bytes())).expect("write");
    let run = gz(&vec![b'7'; 1 << 20]);
    for _ in 0..256 {
        f.write_all(&run).expect("write");
    }
    f.write_all(&gz(format!("\n{}\n", lines[40..].join("\n")).as_bytes())).expect("write");
    drop(f);

    let db = dir.path().join("s.db");
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("lookout"));
    cmd.env_remove("LOOKOUT_DB").args(["ingest", "--db"]).arg(&db).arg(&path);
    let (ok, peak_kib) = run_measuring_peak(cmd);
    assert!(ok, "ingest failed");
    // Buffering the row would take at least its 256 MiB.
    assert!(peak_kib < 128 * 1024, "peak {peak_kib} KiB");
    let out = lookout(&["ingest", "--db", db.to_str().expect("utf8"), path.to_str().expect("utf8")]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("rejected line_too_long: 1 "), "{stdout}");
    // Every real row around it was read: the file's 77 positions (stored by the first run).
    assert!(stdout.contains("77 positions accepted (0 new)"), "{stdout}");
}
