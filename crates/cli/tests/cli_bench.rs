//! Smoke tests for `lookout bench`: the output has the documented shape and the counts
//! are right for a tiny input. Time is printed, never asserted.

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

/// Real sentences from the pyais and GFW ais-listener samples (`testdata/ais`): single-part
/// type 1 and 3 reports, a tag-blocked type 3, a two-part type 5, and an empty payload.
const NMEA: &str = "\
!AIVDM,1,1,,A,33P;Tw0tjBQO22:E7dm66DrB20UP,0*2E
!AIVDM,1,1,,B,35VwAv0300QcEQ`EGcpN40jD0PUQ,0*61
!AIVDM,1,1,,A,13RlIW?04F1beOVEFLB9bRvH0L0L,0*6C
\\s:117,c:1668046497*0A\\!AIVDM,1,1,,,369KwSP000<G`Kh0iukScOv00000,0*12
\\g:1-2-7218,s:117,c:1668046497*74\\!AIVDM,2,1,9,,5815Njh2Bah1KL7CGG<HUHu>2222222222222216D@LB>6jm0@CSmSlS,0*62
\\g:2-2-7218*51\\!AIVDM,2,2,9,,lljFDjp88888880,2*26
!AIVDM,1,1,,B,,0*25
";

fn bench_json(args: &[&str]) -> Value {
    let out = Command::cargo_bin("lookout").expect("binary").args(args).output().expect("runs");
    assert!(out.status.success(), "lookout {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).expect("utf-8");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "--json prints exactly one line, got {stdout:?}");
    serde_json::from_str(lines[0]).expect("valid JSON")
}

fn check_shape(v: &Value, bench: &str, unit: &str, threads: u64) {
    assert_eq!(v["bench"], bench);
    assert_eq!(v["tool"], "lookout");
    assert_eq!(v["unit"], unit);
    assert_eq!(v["threads"], threads);
    for key in ["seconds", "items_per_s"] {
        assert!(v[key].as_f64().is_some_and(|x| x >= 0.0 && x.is_finite()), "{key} is a number: {v}");
    }
    assert!(v["runs"].as_array().is_some_and(|r| !r.is_empty()));
    assert!(v["items"].is_u64());
    // Peak RSS comes from /proc; where there is none it is null, never a made-up number.
    assert!(v["peak_rss_kib"].is_u64() || v["peak_rss_kib"].is_null());
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write input");
    p.display().to_string()
}

#[test]
fn decode_reports_counts_in_one_json_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = write(dir.path(), "tiny.nmea", NMEA);
    let one = bench_json(&["bench", "decode", &file, "--threads", "1", "--repeat", "2", "--json"]);
    check_shape(&one, "decode", "sentences", 1);
    assert_eq!(one["items"], 7);
    assert_eq!(one["runs"].as_array().map(Vec::len), Some(2));
    let c = &one["counts"];
    assert_eq!(c["sentences"], 7);
    assert_eq!(c["messages"], 5, "{c}");
    assert_eq!(c["by_type"]["1"], 1);
    assert_eq!(c["by_type"]["3"], 3);
    assert_eq!(c["by_type"]["5"], 1);
    assert_eq!(c["rejects"]["malformed_sentence"], 1, "the empty payload is rejected: {c}");

    // Several threads cut the input into chunks but must find exactly the same.
    let many = bench_json(&["bench", "decode", &file, "--threads", "3", "--json"]);
    check_shape(&many, "decode", "sentences", 3);
    assert_eq!(many["counts"], one["counts"]);
}

#[test]
fn decode_text_output_names_the_rate() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = write(dir.path(), "tiny.nmea", NMEA);
    let out = Command::cargo_bin("lookout")
        .expect("binary")
        .args(["bench", "decode", &file, "--threads", "1"])
        .output()
        .expect("runs");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("7 sentences"), "{text}");
    assert!(text.contains("sentences/s"), "{text}");
}

#[test]
fn missing_file_is_an_error_not_a_panic() {
    let out = Command::cargo_bin("lookout")
        .expect("binary")
        .args(["bench", "decode", "/nonexistent/file.nmea"])
        .output()
        .expect("runs");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("reading /nonexistent/file.nmea"));
}

#[test]
fn csv_counts_rows() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Real MarineCadastre rows (testdata/ais/marinecadastre_2022-01-03_first99999.csv.gz).
    let file = write(
        dir.path(),
        "mc.csv",
        "MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType,Status,Length,Width,Draft,Cargo,TransceiverClass\n\
         338148873,2022-01-03T00:00:00,33.60716,-117.91483,0.0,280.0,511,CAZADOR,,,37,,14,,,,B\n\
         367379190,2022-01-03T00:00:00,30.3706,-88.56408,0.0,336.2,511,EAGLE,IMO8207721,WTD4583,31,0,28,11,3.3,52,A\n\
         366899260,2022-01-03T00:00:03,34.12723,-119.44421,17.9,51.5,511,ISLAND ADVENTURE,,WDG9106,60,0,19,7,,60,A\n",
    );
    for threads in ["1", "2"] {
        let v = bench_json(&["bench", "csv", &file, "--threads", threads, "--json"]);
        check_shape(&v, "csv", "rows", threads.parse().expect("number"));
        assert_eq!(v["items"], 3, "{v}");
        assert_eq!(v["counts"]["rows"], 3);
        assert_eq!(v["counts"]["positions"], 3);
    }
}

#[test]
fn dark_counts_gaps_and_dark_vessels() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Vessel 1 reports every 10 min with one 2 h gap (dark); vessel 2 has no long gap.
    let mut text = String::from("mmsi,timestamp,lat,lon,sog,cog,heading,nav_status,ship_kind_code\n");
    for (mmsi, minutes) in [(316000001, [0, 10, 20, 140, 150]), (316000002, [0, 10, 20, 30, 40])] {
        for m in minutes {
            text.push_str(&format!("{mmsi},2024-05-01T{:02}:{:02}:00Z,53.0,-129.0,8.0,90.0,90.0,,\n", m / 60, m % 60));
        }
    }
    let file = write(dir.path(), "tracks.csv", &text);
    for threads in ["1", "2"] {
        let v = bench_json(&["bench", "dark", &file, "--threads", threads, "--json"]);
        check_shape(&v, "dark", "positions", threads.parse().expect("number"));
        assert_eq!(v["items"], 10, "{v}");
        let c = &v["counts"];
        assert_eq!(c["vessels"], 2, "{c}");
        assert_eq!(c["gaps"], 1, "{c}");
        assert_eq!(c["dark_vessels"], 1, "{c}");
        assert!(v["load_seconds"].as_f64().is_some_and(|x| x >= 0.0));
        assert!(v["end_to_end_seconds"].as_f64().is_some_and(|x| x >= 0.0));
    }
}
