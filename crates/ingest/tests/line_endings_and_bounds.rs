//! Issue 14: every line ending is read by every reader (a property test rewrites real
//! files of `testdata/ais` with random endings), long lines are counted rejects, and a
//! gzip file stops at the decompressed-size cap.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use lookout_ingest::readers::{open, ReadOptions};
use lookout_model::{Position, Record, RejectReason};
use proptest::prelude::*;

fn ais(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/ais").join(name)
}

/// The real file's lines, without their endings (at most `limit`).
fn real_lines(name: &str, limit: usize) -> Vec<Vec<u8>> {
    let mut text = Vec::new();
    flate2::read::MultiGzDecoder::new(std::fs::File::open(ais(name)).expect("testdata"))
        .read_to_end(&mut text)
        .expect("gzip");
    text.split(|b| *b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l).to_vec())
        .filter(|l| !l.is_empty())
        .take(limit)
        .collect()
}

#[derive(Debug, PartialEq)]
struct FileRead {
    positions: Vec<Position>,
    rejects: Vec<RejectReason>,
}

fn read_all(path: &Path, opts: &ReadOptions) -> FileRead {
    let mut r = open(path, opts).unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
    let mut out = FileRead { positions: Vec::new(), rejects: Vec::new() };
    for item in r.by_ref() {
        match item {
            Ok(Record::Position(p)) => out.positions.push(p),
            Ok(_) => {}
            Err(rej) => out.rejects.push(rej.reason),
        }
    }
    assert!(r.error().is_none(), "{:?}", r.error());
    out
}

fn write_with_endings(dir: &Path, name: &str, lines: &[Vec<u8>], endings: &[u8]) -> PathBuf {
    const EOL: [&[u8]; 4] = [b"\n", b"\r\n", b"\r", b"\n\r"];
    let mut text = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        text.extend_from_slice(l);
        text.extend_from_slice(EOL[usize::from(endings[i % endings.len()] % 4)]);
    }
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write");
    p
}

const FILES: [(&str, usize); 4] = [
    ("gfw_segment_338013000.jsonl.gz", 400),
    ("dma_aislib_stream_example_2010-06-11.txt.gz", 1500),
    ("dma_collision_2021-12-13_219021240_232018267.csv.gz", 400),
    ("marinecadastre_2023-01-11_snapshot.csv.gz", 400),
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]
    #[test]
    fn any_line_endings_give_the_same_positions(endings in proptest::collection::vec(0u8..4, 1..64)) {
        let dir = tempfile::tempdir().expect("tempdir");
        for (name, limit) in FILES {
            let lines = real_lines(name, limit);
            let lf = read_all(&write_with_endings(dir.path(), "lf", &lines, &[0]), &ReadOptions::default());
            prop_assert!(!lf.positions.is_empty(), "{name}: no positions");
            let mixed = read_all(&write_with_endings(dir.path(), "mixed", &lines, &endings), &ReadOptions::default());
            prop_assert_eq!(&mixed, &lf, "{}", name);
        }
    }
}

#[test]
fn cr_only_files_read_like_lf_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, limit) in FILES {
        let lines = real_lines(name, limit);
        let lf = read_all(&write_with_endings(dir.path(), "lf", &lines, &[0]), &ReadOptions::default());
        let cr = read_all(&write_with_endings(dir.path(), "cr", &lines, &[2]), &ReadOptions::default());
        assert!(!lf.positions.is_empty(), "{name}");
        assert_eq!(cr, lf, "{name}");
    }
}

#[test]
fn a_line_over_the_cap_is_one_reject_and_reading_goes_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Every reader: NMEA, JSON lines and each CSV layout (the csv crate buffers a whole
    // row, so CSV rows pass a line-capping adapter first).
    for name in [
        "gfw_segment_338013000.jsonl.gz",
        "dma_aislib_stream_example_2010-06-11.txt.gz",
        "marinecadastre_2023-01-11_snapshot.csv.gz",
        "dma_collision_2021-12-13_219021240_232018267.csv.gz",
        "dma_dlproject_10min/val_aisdk-2025-06-01.csv.gz",
        "gfw_messages/gfw_messages.csv.gz",
        "aisanalyze_northsea_2022-11-01_1h.csv.gz",
    ] {
        let mut lines = real_lines(name, 300);
        let plain = read_all(&write_with_endings(dir.path(), "plain", &lines, &[0]), &ReadOptions::default());
        // A 3 MiB line in the middle: over the default 1 MiB cap.
        let middle = lines.len() / 2;
        let mut huge = lines[middle].clone();
        huge.resize(3 << 20, b'7');
        lines.insert(middle, huge);
        let got = read_all(&write_with_endings(dir.path(), "huge", &lines, &[0]), &ReadOptions::default());
        assert_eq!(got.positions, plain.positions, "{name}");
        let too_long = got.rejects.iter().filter(|r| **r == RejectReason::LineTooLong).count();
        assert_eq!(too_long, 1, "{name}: {:?}", got.rejects);
        assert_eq!(got.rejects.len(), plain.rejects.len() + 1, "{name}");

        // A smaller configured cap rejects lines the default keeps.
        let small = ReadOptions { max_line_bytes: 40, ..ReadOptions::default() };
        let capped = read_all(&write_with_endings(dir.path(), "plain", &real_lines(name, 300), &[0]), &small);
        let capped_lines = capped.rejects.iter().filter(|r| **r == RejectReason::LineTooLong).count();
        assert!(capped_lines > lines.len() / 4, "{name}: {capped_lines}");
    }
}

#[test]
fn a_csv_quoted_field_that_never_closes_is_one_long_line_not_the_rest_of_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lines = real_lines("marinecadastre_2023-01-11_snapshot.csv.gz", 300);
    let plain = read_all(&write_with_endings(dir.path(), "plain", &lines, &[0]), &ReadOptions::default());
    // A quote opened in a row and never closed would make the csv reader gather every
    // following line into one row; the cap drops it once it passes 64 KiB.
    let mut open_quote = b"\"".to_vec();
    open_quote.extend(std::iter::repeat_n(b'x', 100));
    let mut with_quote = lines;
    for _ in 0..2000 {
        with_quote.insert(150, open_quote[1..].to_vec());
    }
    with_quote.insert(150, open_quote);
    let opts = ReadOptions { max_line_bytes: 64 << 10, ..ReadOptions::default() };
    let got = read_all(&write_with_endings(dir.path(), "quoted", &with_quote, &[0, 1]), &opts);
    let too_long = got.rejects.iter().filter(|r| **r == RejectReason::LineTooLong).count();
    // 2001 lines of ~101 bytes: the first ~650 form the dropped row, the rest are rows
    // of their own (malformed: one field), then the real rows go on.
    assert_eq!(too_long, 1, "{:?}", got.rejects);
    let mut kept = got.positions.clone();
    kept.sort_by(|a, b| (&a.vessel, a.timestamp).cmp(&(&b.vessel, b.timestamp)));
    let mut want = plain.positions.clone();
    want.sort_by(|a, b| (&a.vessel, a.timestamp).cmp(&(&b.vessel, b.timestamp)));
    assert_eq!(kept, want);
}

#[test]
fn a_gzip_file_stops_at_the_decompressed_size_cap() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lines = real_lines("gfw_segment_338013000.jsonl.gz", 2000);
    let path = dir.path().join("g.jsonl.gz");
    let mut gz =
        flate2::write::GzEncoder::new(std::fs::File::create(&path).expect("create"), flate2::Compression::fast());
    for l in &lines {
        gz.write_all(l).expect("write");
        gz.write_all(b"\n").expect("write");
    }
    gz.finish().expect("finish");

    let whole = read_all(&path, &ReadOptions::default());
    let opts = ReadOptions { max_decompressed: 200_000, ..ReadOptions::default() };
    let mut r = open(&path, &opts).expect("open");
    let read = r.by_ref().filter(|i| matches!(i, Ok(Record::Position(_)))).count();
    let err = r.error().map(ToString::to_string).unwrap_or_default();
    assert!(err.contains("decompressed size exceeds"), "{err}");
    assert!(read > 0 && read < whole.positions.len(), "{read} of {}", whole.positions.len());
}

#[test]
fn a_stray_nul_or_bad_byte_near_the_start_is_one_reject_not_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    for name in ["gfw_segment_338013000.jsonl.gz", "dma_aislib_stream_example_2010-06-11.txt.gz"] {
        let lines = real_lines(name, 600);
        let plain = read_all(&write_with_endings(dir.path(), "plain", &lines, &[0]), &ReadOptions::default());
        for bad in [&b"\x00"[..], b"\xff"] {
            let mut damaged = lines.clone();
            // Line 3 (in the first 64 KiB, where the file's format and text are checked).
            let at = damaged[2].len() / 2;
            damaged[2].splice(at..at, bad.iter().copied());
            let got = read_all(&write_with_endings(dir.path(), "bad", &damaged, &[0]), &ReadOptions::default());
            assert!(
                got.positions.len() + 2 >= plain.positions.len(),
                "{name} {bad:?}: {} of {}",
                got.positions.len(),
                plain.positions.len()
            );
            assert!(got.rejects.len() <= plain.rejects.len() + 2, "{name} {bad:?}: {:?}", got.rejects);
        }
    }
}
