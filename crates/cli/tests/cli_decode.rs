//! `lookout decode` on the real gpsd sample.

use assert_cmd::Command;

const SAMPLE_GZ: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/ais/gpsd_sample.aivdm.gz");

/// gpsd's sample as `decode` takes it: plain text (the repository stores it gzipped).
fn sample(dir: &tempfile::TempDir) -> String {
    let mut text = Vec::new();
    let gz = std::fs::File::open(SAMPLE_GZ).expect("testdata sample");
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(gz), &mut text).expect("gzip");
    let path = dir.path().join("gpsd_sample.aivdm");
    std::fs::write(&path, text).expect("write sample");
    path.to_str().expect("utf-8 path").to_string()
}

fn lookout() -> Command {
    Command::cargo_bin("lookout").expect("lookout binary")
}

#[test]
fn json_output_has_real_values() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = lookout().args(["decode", &sample(&dir), "--json"]).output().expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let msgs: Vec<serde_json::Value> =
        stdout.lines().map(|l| serde_json::from_str(l).expect("one JSON object per line")).collect();
    assert_eq!(msgs.len(), 36);
    let first = &msgs[0];
    assert_eq!(first["type"], 1);
    assert_eq!(first["mmsi"], 371798000);
    assert_eq!(first["sog"], 12.3);
    assert_eq!(first["heading"], 215);
    assert_eq!(first["nav_status"], 0);
    assert!((first["lat"].as_f64().unwrap_or(0.0) - 48.38163333).abs() < 1e-6);
    assert!((first["lon"].as_f64().unwrap_or(0.0) + 123.39538333).abs() < 1e-6);
    let t5 = msgs.iter().find(|m| m["type"] == 5).expect("a type 5");
    assert_eq!(t5["name"], "EVER DIADEM");
    assert_eq!(t5["call_sign"], "3FOF8");
    assert_eq!(t5["imo"], 9134270);
    assert_eq!(t5["destination"], "NEW YORK");
    let t4 = msgs.iter().find(|m| m["type"] == 4).expect("a type 4");
    assert_eq!(t4["utc"], "2007-05-14T19:57:39Z");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("36 messages decoded"), "{stderr}");
    assert!(stderr.contains("unsupported_type"), "{stderr}");
}

#[test]
fn readable_output_and_timestamps() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("s.nmea");
    std::fs::write(
        &p,
        "\\s:117,c:1668046497*0A\\!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4A\n!AIVDM,1,1,,B,,0*25\n",
    )
    .expect("write");
    let out = lookout().arg("decode").arg(&p).output().expect("runs");
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("mmsi 371798000") && stdout.contains("2022-11-10T02:14:57.000Z"), "{stdout}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("malformed_sentence: 1") && stderr.contains("s.nmea:2: empty payload"), "{stderr}");
}

#[test]
fn nothing_decodable_or_missing_file_fails() {
    let missing = lookout().args(["decode", "/nonexistent/x.nmea"]).output().expect("runs");
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("/nonexistent/x.nmea"));
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("junk.txt");
    std::fs::write(&p, "hello\nworld\n").expect("write");
    let junk = lookout().arg("decode").arg(&p).output().expect("runs");
    assert!(!junk.status.success());
}
