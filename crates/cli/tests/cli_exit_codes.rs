//! Exit codes and messages of `ingest` and `decode` on damaged, empty and re-encoded
//! real files: 0 = every file read, 1 = some file unreadable or cut short, 3 = nothing read.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;

fn testdata(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/ais").join(name)
}

fn lookout(args: &[&str]) -> Output {
    Command::cargo_bin("lookout").expect("binary").args(args).output().expect("run lookout")
}

fn gunzip(name: &str) -> Vec<u8> {
    let mut text = Vec::new();
    let gz = std::fs::File::open(testdata(name)).expect("testdata file");
    flate2::read::MultiGzDecoder::new(gz).read_to_end(&mut text).expect("gzip");
    text
}

fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> String {
    let p = dir.path().join(name);
    std::fs::write(&p, bytes).expect("write");
    p.to_str().expect("utf-8 path").to_string()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn decoded_count(o: &Output) -> String {
    let err = stderr(o);
    err.lines().next().unwrap_or_default().split(" lines, ").nth(1).unwrap_or_default().to_string()
}

#[test]
fn decode_reads_gzip_and_utf16_like_ingest() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = gunzip("gpsd_sample.aivdm.gz");
    let plain = lookout(&["decode", &write(&dir, "s.nmea", &text)]);
    assert!(plain.status.success(), "{}", stderr(&plain));
    assert!(stderr(&plain).contains("36 messages decoded"), "{}", stderr(&plain));

    let gz = lookout(&["decode", testdata("gpsd_sample.aivdm.gz").to_str().expect("p")]);
    assert!(gz.status.success(), "{}", stderr(&gz));
    assert_eq!(decoded_count(&gz), decoded_count(&plain));

    let mut utf16 = vec![0xFF, 0xFE];
    for u in String::from_utf8_lossy(&text).encode_utf16() {
        utf16.extend(u.to_le_bytes());
    }
    let le = lookout(&["decode", &write(&dir, "s16.nmea", &utf16)]);
    assert!(le.status.success(), "{}", stderr(&le));
    assert_eq!(decoded_count(&le), decoded_count(&plain));
}

#[test]
fn decode_of_a_cut_gzip_exits_1_and_says_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    let gz = std::fs::read(testdata("dma_aislib_stream_example_2010-06-11.txt.gz")).expect("read");
    let cut = write(&dir, "cut.nmea.gz", &gz[..gz.len() * 2 / 3]);
    let out = lookout(&["decode", &cut]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("reading stopped early"), "{}", stderr(&out));
}

#[test]
fn ingest_exits_1_when_a_file_is_cut_short() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("t.db");
    let gz = std::fs::read(testdata("gfw_segment_338013000.jsonl.gz")).expect("read");
    let cut = write(&dir, "cut.jsonl.gz", &gz[..gz.len() * 2 / 3]);
    let out = lookout(&["ingest", "--db", db.to_str().expect("p"), &cut]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("reading stopped early"), "{stdout}");
    assert_eq!(out.status.code(), Some(1), "{stdout}");

    let whole = testdata("gfw_segment_338013000.jsonl.gz");
    let ok = lookout(&["ingest", "--db", db.to_str().expect("p"), whole.to_str().expect("p")]);
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
}

#[test]
fn header_only_csv_is_an_error_saying_so_and_exits_3() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("t.db");
    let text = gunzip("dma_collision_2021-12-13_219021240_232018267.csv.gz");
    let header = text.split(|b| *b == b'\n').next().expect("header line");
    for (name, bytes) in [("h.csv", [header, b"\n"].concat()), ("h_nonl.csv", header.to_vec())] {
        let out = lookout(&["ingest", "--db", db.to_str().expect("p"), &write(&dir, name, &bytes)]);
        assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
        assert!(
            stderr(&out).contains("error") && stderr(&out).contains("holds a header and no rows"),
            "{}",
            stderr(&out)
        );
    }
}
