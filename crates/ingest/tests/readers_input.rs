//! Fixtures written by the tests: DMA aisdk layout, Korean headers in EUC-KR, UTF-16,
//! and every kind of bad input (structural errors and row rejects).

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{TimeZone, Utc};
use lookout_ingest::readers::{open, Format, ReadOptions, RecordReader};
use lookout_ingest::IngestError;
use lookout_model::{NavStatus, Record, Reject, RejectReason, ShipType};

fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, bytes).expect("write fixture");
    p
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes).expect("gzip");
    enc.finish().expect("gzip")
}

fn collect(r: &mut RecordReader) -> (Vec<Record>, Vec<Reject>) {
    let (mut ok, mut bad) = (Vec::new(), Vec::new());
    for item in r.by_ref() {
        match item {
            Ok(rec) => ok.push(rec),
            Err(rej) => bad.push(rej),
        }
    }
    (ok, bad)
}

fn open_err(path: &Path, opts: &ReadOptions) -> IngestError {
    match open(path, opts) {
        Ok(r) => panic!("{} opened as {:?}", path.display(), r.format()),
        Err(e) => e,
    }
}

const AISDK: &str = "\
# Timestamp,Type of mobile,MMSI,Latitude,Longitude,Navigational status,ROT,SOG,COG,Heading,IMO,Callsign,Name,Ship type,Cargo type,Width,Length,Type of position fixing device,Draught,Destination,ETA,Data source type,A,B,C,D
01/06/2025 00:00:00,Class A,219000001,55.500000,11.200000,Under way using engine,0.0,10.2,45.3,44,9123456,OXAB2,TEST SHIP,Cargo,,20,120,GPS,7.5,AARHUS,01/06/2025 12:00:00,AIS,100,20,10,10
01/06/2025 00:00:10,Class A,219000001,55.500500,11.200700,Under way using engine,0.0,10.3,45.1,44,9123456,OXAB2,TEST SHIP,Cargo,,20,120,GPS,7.5,AARHUS,01/06/2025 12:00:00,AIS,100,20,10,10
13/06/2025 23:59:59,Class B,219000002,91.000000,181.000000,Unknown value,,102.3,360.0,511,Unknown,Unknown,,Undefined,,,,Undefined,,Unknown,,AIS,,,,
";

#[test]
fn dma_aisdk_fixture() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = write(&dir, "aisdk-2025-06-01.csv", AISDK.as_bytes());
    let mut r = open(&path, &ReadOptions::default()).expect("open");
    assert_eq!(r.format(), Format::DmaAisdk);
    let (ok, bad) = collect(&mut r);
    assert!(bad.is_empty(), "{bad:?}");
    let positions: Vec<_> =
        ok.iter().filter_map(|r| if let Record::Position(p) = r { Some(p) } else { None }).collect();
    assert_eq!(positions.len(), 3);
    assert_eq!(positions[0].timestamp, Utc.with_ymd_and_hms(2025, 6, 1, 0, 0, 0).single().expect("valid"));
    assert_eq!(positions[2].timestamp, Utc.with_ymd_and_hms(2025, 6, 13, 23, 59, 59).single().expect("valid"));
    assert_eq!((positions[0].lat, positions[0].sog, positions[0].heading), (55.5, Some(10.2), Some(44.0)));
    assert_eq!(positions[0].nav_status, Some(NavStatus(0)));
    assert_eq!((positions[2].lat, positions[2].sog, positions[2].cog), (91.0, Some(102.3), Some(360.0)));
    assert_eq!(positions[2].nav_status, Some(NavStatus(15)));
    let statics: Vec<_> = ok.iter().filter(|r| matches!(r, Record::Static { .. })).collect();
    // Same static cells on both rows of 219000001; 219000002 has only placeholders.
    assert_eq!(statics.len(), 1);
    if let Record::Static { vessel, data, .. } = statics[0] {
        assert_eq!(vessel.as_str(), "219000001");
        assert_eq!(data.name.as_deref(), Some("TEST SHIP"));
        assert_eq!((data.imo, data.ship_type, data.length_m), (Some(9123456), Some(ShipType(70)), Some(120.0)));
    }
}

const KOREAN: &str = "\
선박ID,수신일시,위도,경도,대지속력,대지침로,선수방위,항해상태,선종,선명
440123450,2023-01-11 09:00:00,35.1000,129.0400,12.5,180.0,179,0,000020,제1해양호
440123450,2023-01-11 09:01:00,35.0966,129.0400,12.4,180.5,180,0,000020,제1해양호
";

#[test]
fn korean_headers_in_euc_kr() {
    let (bytes, _, unmappable) = encoding_rs::EUC_KR.encode(KOREAN);
    assert!(!unmappable);
    let dir = tempfile::tempdir().expect("tmp");
    let path = write(&dir, "kcg.csv", &bytes);

    // Without --encoding the text is not UTF-8, so its encoding is detected and named.
    let opts = ReadOptions { timezone: chrono_tz::Asia::Seoul, ..ReadOptions::default() };
    let mut r = open(&path, &opts).expect("open without encoding");
    assert!(r.notes().iter().any(|n| n.contains("not UTF-8: decoded as EUC-KR")), "{:?}", r.notes());
    let (detected, bad) = collect(&mut r);
    assert!(bad.is_empty(), "{bad:?}");

    let opts =
        ReadOptions { encoding: Some("euc-kr".into()), timezone: chrono_tz::Asia::Seoul, ..ReadOptions::default() };
    let mut r = open(&path, &opts).expect("open with encoding");
    assert_eq!(r.format(), Format::Generic);
    assert!(!r.ids_are_opaque());
    assert!(r.notes().iter().any(|n| n.contains("EUC-KR")), "{:?}", r.notes());
    let (ok, bad) = collect(&mut r);
    assert!(bad.is_empty(), "{bad:?}");
    assert_eq!(detected, ok);
    let Record::Static { data, .. } = &ok[0] else { panic!("static first: {:?}", ok[0]) };
    assert_eq!(data.name.as_deref(), Some("제1해양호"));
    assert_eq!(data.ship_type.map(ShipType::kind), Some(lookout_model::ShipKind::Fishing));
    let Record::Position(p) = &ok[1] else { panic!("position: {:?}", ok[1]) };
    assert_eq!(p.timestamp, Utc.with_ymd_and_hms(2023, 1, 11, 0, 0, 0).single().expect("valid"));
    assert_eq!((p.lat, p.lon, p.sog, p.cog, p.heading), (35.1, 129.04, Some(12.5), Some(180.0), Some(179.0)));
    assert_eq!(ok.len(), 3);
}

#[test]
fn utf16_with_bom_and_utf8_bom_are_read() {
    let dir = tempfile::tempdir().expect("tmp");
    let text = "mmsi,timestamp,lat,lon\n219000001,2025-06-01T00:00:00Z,55.5,11.2\n";
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let mut utf8 = b"\xEF\xBB\xBF".to_vec();
    utf8.extend_from_slice(text.as_bytes());
    let latin = b"mmsi;timestamp;lat;lon;name\n219000001;2025-06-01 00:00:00;55.5;11.2;S\xD8NDERHO\n";
    for (name, bytes, enc) in [
        ("u16.csv", utf16, None),
        ("bom.csv", utf8, None),
        ("latin.csv", latin.to_vec(), Some("windows-1252".to_string())),
    ] {
        let path = write(&dir, name, &bytes);
        let mut r = open(&path, &ReadOptions { encoding: enc, ..ReadOptions::default() }).expect(name);
        assert_eq!(r.format(), Format::Generic, "{name}");
        let (ok, bad) = collect(&mut r);
        assert!(bad.is_empty(), "{name}: {bad:?}");
        let pos = ok.iter().find_map(|r| if let Record::Position(p) = r { Some(p) } else { None }).expect(name);
        assert_eq!((pos.vessel.as_str(), pos.lat), ("219000001", 55.5), "{name}");
        if name == "latin.csv" {
            assert!(matches!(&ok[0], Record::Static { data, .. } if data.name.as_deref() == Some("SØNDERHO")));
        }
    }
}

#[test]
fn gzip_is_detected_by_magic_not_name() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = write(&dir, "positions.dat", &gzip(AISDK.as_bytes()));
    let mut r = open(&path, &ReadOptions::default()).expect("open");
    assert_eq!(r.format(), Format::DmaAisdk);
    assert_eq!(collect(&mut r).0.len(), 4);
}

#[test]
fn truncated_gzip_small_fails_at_open() {
    let dir = tempfile::tempdir().expect("tmp");
    let gz = gzip(AISDK.as_bytes());
    let path = write(&dir, "cut.csv.gz", &gz[..gz.len() / 2]);
    match open_err(&path, &ReadOptions::default()) {
        e @ IngestError::ReadFailed { .. } => assert!(e.to_string().contains("cut.csv.gz"), "{e}"),
        e => panic!("expected ReadFailed, got {e}"),
    }
}

#[test]
fn truncated_gzip_large_stops_with_error() {
    let mut text = String::from("mmsi,timestamp,lat,lon,sog\n");
    for i in 0..100_000u32 {
        text.push_str(&format!(
            "{},2025-06-01 00:{:02}:{:02},{}.{:05},11.2,{}.{}\n",
            219_000_000 + i % 997,
            i / 60 % 60,
            i % 60,
            55,
            i,
            i % 20,
            i % 10
        ));
    }
    let gz = gzip(text.as_bytes());
    let dir = tempfile::tempdir().expect("tmp");
    let path = write(&dir, "big.csv.gz", &gz[..gz.len() * 3 / 4]);
    let mut r = open(&path, &ReadOptions::default()).expect("head is intact");
    let (ok, bad) = collect(&mut r);
    assert!(bad.len() <= 1, "{bad:?}");
    assert!(ok.len() > 10_000 && ok.len() < 100_000, "{}", ok.len());
    match r.take_error() {
        Some(e @ IngestError::ReadFailed { line, .. }) => {
            assert!(line > 10_000, "{line}");
            assert!(e.to_string().contains("big.csv.gz"), "{e}");
        }
        other => panic!("expected ReadFailed, got {other:?}"),
    }
}

#[test]
fn binary_empty_and_unknown_files() {
    let dir = tempfile::tempdir().expect("tmp");
    let bin: Vec<u8> = (0..4096u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    let cases: [(&str, &[u8]); 5] = [
        ("empty.csv", b""),
        ("blank.csv", b"\n  \n\n"),
        ("blob.bin", &bin),
        ("notes.txt", b"hello world\nthis is not AIS\n"),
        ("a.zip", b"PK\x03\x04\x14\x00\x00\x00"),
    ];
    for (name, bytes) in cases {
        let path = write(&dir, name, bytes);
        let e = open_err(&path, &ReadOptions::default());
        let msg = e.to_string();
        assert!(msg.contains(name), "{msg}");
        match name {
            "empty.csv" | "blank.csv" => assert!(matches!(e, IngestError::Empty { .. }), "{msg}"),
            "blob.bin" => assert!(matches!(e, IngestError::Structure { .. } | IngestError::NotUtf8 { .. }), "{msg}"),
            "notes.txt" => assert!(matches!(e, IngestError::UnknownFormat { line: 1, .. }), "{msg}"),
            _ => assert!(msg.contains("zip"), "{msg}"),
        }
    }
    let nul = write(&dir, "nul.csv", b"mmsi,lat\x00\x00,lon\n");
    let msg = open_err(&nul, &ReadOptions::default()).to_string();
    assert!(msg.contains("binary") && msg.contains("line 1"), "{msg}");
    let bad_label = ReadOptions { encoding: Some("klingon".into()), ..ReadOptions::default() };
    assert!(matches!(open_err(&nul, &bad_label), IngestError::UnknownEncoding { .. }));
}

#[test]
fn wrong_format_and_missing_columns() {
    let dir = tempfile::tempdir().expect("tmp");
    let generic = write(&dir, "g.csv", b"mmsi,timestamp,lon\n219000001,2025-06-01T00:00:00Z,11.2\n");
    let e = open_err(&generic, &ReadOptions::default());
    let msg = e.to_string();
    assert!(
        msg.contains(
            "g.csv: line 1: missing required column \"lat\" for format generic; header has: mmsi,timestamp,lon"
        ),
        "{msg}"
    );

    let aisdk = write(&dir, "dma.csv", AISDK.as_bytes());
    let forced = |f| ReadOptions { format: Some(f), ..ReadOptions::default() };
    match open_err(&aisdk, &forced(Format::MarineCadastre)) {
        IngestError::MissingColumn { column, format, .. } => {
            assert_eq!((column.as_str(), format.as_str()), ("BaseDateTime", "marinecadastre"))
        }
        e => panic!("expected MissingColumn, got {e}"),
    }
    let msg = open_err(&aisdk, &forced(Format::GfwJsonl)).to_string();
    assert!(msg.contains("dma.csv: line 1: expected one JSON object per line"), "{msg}");
    let msg = open_err(&aisdk, &forced(Format::Nmea)).to_string();
    assert!(msg.contains("expected NMEA sentences"), "{msg}");
    let json = write(&dir, "other.jsonl", b"{\"name\": \"x\", \"value\": 3}\n");
    let msg = open_err(&json, &ReadOptions::default()).to_string();
    assert!(msg.contains("other.jsonl: line 1") && msg.contains("ssvid"), "{msg}");
}

#[test]
fn bad_rows_are_rejects_and_neighbours_survive() {
    let dir = tempfile::tempdir().expect("tmp");
    let csv = "\
vessel_id,time,latitude,longitude,speed,course
A1,2025-06-01T00:00:00Z,55.5,11.2,10,90
A1,2025-06-01T00:01:00Z,abc,11.2,10,90
A1,not-a-time,55.5,11.2,10,90
A1,,55.5,11.2,10,90
A1,2025-06-01T00:04:00Z,,11.2,10,90
A1,2025-06-01T00:05:00Z,55.5,11.2
A1,2025-06-01T00:06:00Z,55.5,11.2,fast,90

A1,2025-06-01T00:07:00Z,55.6,11.3,,
";
    let path = write(&dir, "rows.csv", csv.as_bytes());
    let mut r = open(&path, &ReadOptions::default()).expect("open");
    let (ok, bad) = collect(&mut r);
    assert_eq!(ok.len(), 2);
    let got: Vec<(RejectReason, u64)> = bad.iter().map(|r| (r.reason, r.line)).collect();
    use RejectReason::{MalformedRow as M, MissingTimestamp as T};
    assert_eq!(got, vec![(M, 3), (M, 4), (T, 5), (M, 6), (M, 7), (M, 8)]);
    assert!(bad[0].detail.contains("\"latitude\"") && bad[0].detail.contains("\"abc\""), "{}", bad[0]);
    assert!(bad[1].detail.contains("\"time\"") && bad[1].detail.contains("not-a-time"), "{}", bad[1]);
    assert!(bad[4].detail.contains("4 fields") && bad[4].detail.contains("6"), "{}", bad[4]);
    assert!(bad[5].detail.contains("\"speed\"") && bad[5].detail.contains("fast"), "{}", bad[5]);
    let Record::Position(last) = &ok[1] else { panic!() };
    assert_eq!((last.sog, last.cog), (None, None));
    assert!(r.ids_are_opaque());

    let json = "{\"ssvid\": 1, \"lat\": 1.0, \"lon\": 2.0, \"timestamp\": 1700000000}\n{broken\n\n{\"ssvid\": 1, \"lat\": 1.5, \"lon\": 2.0, \"timestamp\": \"2023-11-14T22:13:21+01:00\"}\n";
    let path = write(&dir, "rows.jsonl", json.as_bytes());
    let (ok, bad) = collect(&mut open(&path, &ReadOptions::default()).expect("open"));
    assert_eq!((ok.len(), bad.len(), bad[0].line, bad[0].reason), (2, 1, 2, M));
    let Record::Position(p) = &ok[1] else { panic!() };
    assert_eq!(p.timestamp, Utc.with_ymd_and_hms(2023, 11, 14, 21, 13, 21).single().expect("valid"));
}
