//! Every reader on the real files in the repository's `testdata/ais`, asserting counts from
//! the SOURCES.md files and values read off the files themselves.

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;

use chrono::{TimeZone, Utc};
use lookout_ingest::readers::{open, Format, ReadOptions};
use lookout_model::{NavStatus, Position, Record, RejectReason, ShipType, StaticData};

/// A file of `testdata/ais`; files are stored gzipped, so `name.gz` stands for `name`.
fn ais(rel: &str) -> PathBuf {
    let base = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/ais");
    let plain = base.join(rel);
    if plain.exists() {
        plain
    } else {
        base.join(format!("{rel}.gz"))
    }
}

#[derive(Default)]
struct Summary {
    format: Option<Format>,
    positions: Vec<Position>,
    statics: Vec<(String, StaticData)>,
    rejects: BTreeMap<RejectReason, usize>,
    opaque: bool,
    notes: Vec<String>,
}

impl Summary {
    fn vessels(&self) -> usize {
        self.positions.iter().map(|p| p.vessel.as_str()).collect::<HashSet<_>>().len()
    }
}

fn read(rel: &str, opts: &ReadOptions) -> Summary {
    let path = ais(rel);
    let mut r = open(&path, opts).unwrap_or_else(|e| panic!("open {rel}: {e}"));
    let mut s = Summary { format: Some(r.format()), opaque: r.ids_are_opaque(), ..Summary::default() };
    for item in r.by_ref() {
        match item {
            Ok(Record::Position(p)) => s.positions.push(p),
            Ok(Record::Static { vessel, data, .. }) => s.statics.push((vessel.0, data)),
            Err(rej) => *s.rejects.entry(rej.reason).or_default() += 1,
        }
    }
    assert!(r.error().is_none(), "{rel}: {:?}", r.error());
    assert!(r.bytes_read() > 0 && r.bytes_read() <= r.total_bytes().unwrap_or(u64::MAX));
    s.notes = r.notes();
    s
}

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, s).single().expect("valid date")
}

#[test]
fn marinecadastre_snapshot() {
    let s = read("marinecadastre_2023-01-11_snapshot.csv", &ReadOptions::default());
    assert_eq!(s.format, Some(Format::MarineCadastre));
    assert_eq!(s.positions.len(), 1000);
    assert_eq!(s.vessels(), 1000);
    assert!(s.rejects.is_empty());
    assert!(!s.opaque);
    let p = &s.positions[0];
    assert_eq!(p.vessel.as_str(), "367752440");
    assert_eq!(p.timestamp, utc(2023, 1, 11, 0, 0, 0));
    assert_eq!((p.lat, p.lon), (43.07917, -70.75733));
    // Raw values pass through: COG 360 is the validator's business.
    assert_eq!((p.sog, p.cog, p.heading), (Some(0.0), Some(360.0), Some(95.0)));
    assert_eq!(p.nav_status, Some(NavStatus(0)));
    let (id, st) = &s.statics[1];
    assert_eq!(id, "636021061");
    assert_eq!(st.name.as_deref(), Some("MSC NAISHA III"));
    assert_eq!(st.imo, Some(9307839));
    assert_eq!(st.call_sign.as_deref(), Some("5LCB4"));
    assert_eq!(st.ship_type, Some(ShipType(70)));
    assert_eq!((st.length_m, st.width_m), (Some(208.0), Some(30.0)));
    assert!(s.positions.iter().any(|p| p.heading == Some(511.0)));
    assert!(s.positions.iter().any(|p| p.sog == Some(102.3)));
}

#[test]
fn marinecadastre_gz_first99999() {
    let s = read("marinecadastre_2022-01-03_first99999.csv.gz", &ReadOptions::default());
    assert_eq!(s.format, Some(Format::MarineCadastre));
    assert_eq!(s.positions.len(), 99_999);
    assert_eq!(s.vessels(), 10_631);
    let p = &s.positions[0];
    assert_eq!((p.vessel.as_str(), p.lat, p.lon), ("338148873", 33.60716, -117.91483));
    assert_eq!(p.heading, Some(511.0));
    // One static record per vessel with static cells, not one per row.
    assert!(s.statics.len() <= s.vessels() + 50, "{}", s.statics.len());
    let eagle = s.statics.iter().find(|(id, _)| id == "367379190").expect("EAGLE static");
    assert_eq!(eagle.1.name.as_deref(), Some("EAGLE"));
    assert_eq!(eagle.1.imo, Some(8207721));
}

#[test]
fn shipstrike_2019_unix_seconds_and_opaque_ids() {
    // The first 25,000 rows of the 229,452 (testdata/SOURCES.md).
    let s = read("shipstrike_ais_kitimat_2019_slice.csv.gz", &ReadOptions::default());
    assert_eq!(s.format, Some(Format::Generic));
    assert_eq!(s.positions.len(), 25_000);
    assert_eq!(s.vessels(), 121);
    assert!(s.opaque);
    assert!(s.notes.iter().any(|n| n.contains("opaque")), "{:?}", s.notes);
    let p = &s.positions[0];
    assert_eq!(p.vessel.as_str(), "643"); // `643.0` in the file
    assert_eq!(p.timestamp, Utc.timestamp_opt(1_546_395_660, 0).single().expect("valid"));
    assert_eq!((p.lat, p.lon, p.sog), (53.38133, -129.2705, Some(4.5)));
    let st = &s.statics[0].1;
    assert_eq!(st.ship_type, Some(ShipType(51))); // Search/rescue
    assert_eq!((st.length_m, st.width_m), (Some(50.0), Some(11.0)));
}

#[test]
fn shipstrike_2018_local_time() {
    let opts = ReadOptions { timezone: chrono_tz::America::Vancouver, ..ReadOptions::default() };
    // The first 20,000 and the last 5,000 rows of the 259,727 (testdata/SOURCES.md).
    let s = read("shipstrike_ais_kitimat_2018-07_10_slice.csv.gz", &opts);
    assert_eq!(s.format, Some(Format::Generic));
    assert_eq!(s.positions.len(), 25_000);
    assert_eq!(s.vessels(), 140);
    assert!(s.opaque);
    let p = &s.positions[0];
    assert_eq!(p.vessel.as_str(), "1303");
    // `2018-07-01 0:00` in PDT (UTC-7).
    assert_eq!(p.timestamp, utc(2018, 7, 1, 7, 0, 0));
    assert_eq!((p.sog, p.cog, p.lat, p.lon), (Some(6.9), Some(144.0), 53.14665, -128.6124));
    assert!(s.notes.iter().any(|n| n.contains("America/Vancouver")), "{:?}", s.notes);
    let last = s.positions.iter().map(|p| p.timestamp).max().expect("rows");
    assert_eq!(last, utc(2018, 11, 1, 6, 59, 0)); // 2018-10-31 23:59 PDT
}

#[test]
fn aisanalyze_text_status_and_type() {
    let s = read("aisanalyze_northsea_2022-11-01_1h.csv.gz", &ReadOptions::default());
    assert_eq!(s.format, Some(Format::Generic));
    assert_eq!(s.positions.len(), 50_142);
    assert_eq!(s.vessels(), 202);
    assert!(s.opaque);
    let p = &s.positions[0];
    assert_eq!(p.vessel.as_str(), "1");
    assert_eq!(p.timestamp, utc(2022, 11, 1, 9, 35, 36));
    assert_eq!((p.lon, p.lat, p.sog, p.heading), (6.835648, 55.735305, Some(12.5), Some(30.0)));
    assert_eq!(p.nav_status, Some(NavStatus(0)));
    let fishing = s.positions.iter().filter(|p| p.nav_status == Some(NavStatus(7))).count();
    assert_eq!(fishing, 9_251);
    let st = &s.statics[0].1;
    assert_eq!((st.name.as_deref(), st.imo, st.ship_type), (Some("Vessel 1"), Some(9331347), Some(ShipType(70))));
    // "Unknown" IMO is no IMO, not a rejected row.
    assert_eq!(s.statics[2].1.imo, None);
}

#[test]
fn gfw_jsonl_two_timestamp_styles_and_nulls() {
    let s = read("gfw_segment_416000000.jsonl", &ReadOptions::default());
    assert_eq!(s.format, Some(Format::GfwJsonl));
    assert_eq!(s.positions.len(), 1_668);
    assert!(!s.opaque);
    let p = &s.positions[0];
    assert_eq!(p.timestamp, utc(2014, 1, 1, 1, 14, 25));
    assert_eq!((p.lat, p.lon), (22.568214416503906, 120.31088256835938));

    let s = read("gfw_segment_338013000.jsonl", &ReadOptions::default());
    assert_eq!(s.positions.len() + s.rejects.values().sum::<usize>(), 1_253);
    assert_eq!(s.positions[0].timestamp, utc(2017, 7, 18, 0, 7, 20));
    assert_eq!(s.positions[0].sog, Some(10.8000001907));

    // Sentinels pass through; rows with `lat: null` have nothing to parse.
    let s = read("gfw_segment_263576000.jsonl", &ReadOptions::default());
    assert_eq!(s.positions.len() + s.rejects.values().sum::<usize>(), 948);
    assert!(s.positions.iter().any(|p| p.lat == 91.0 && p.lon == 181.0));
    assert_eq!(s.rejects.keys().copied().collect::<Vec<_>>(), vec![RejectReason::MalformedRow]);
}

#[test]
fn dma_resampled_converts_sog_to_knots() {
    let s = read("dma_dlproject_10min/val_aisdk-2025-06-01.csv.gz", &ReadOptions::default());
    assert_eq!(s.format, Some(Format::DmaResampled));
    assert_eq!(s.positions.len(), 32_251);
    let t = read("dma_dlproject_10min/test_aisdk-2025-06-01.csv.gz", &ReadOptions::default());
    assert_eq!(s.positions.len() + t.positions.len(), 63_091);
    assert_eq!(s.vessels() + t.vessels(), 802);
    let p = &s.positions[0];
    assert_eq!(p.vessel.as_str(), "203793300");
    assert_eq!(p.timestamp, utc(2025, 6, 1, 6, 40, 0));
    let knots = p.sog.expect("sog");
    assert!((knots - 1.1979196 * 3600.0 / 1852.0).abs() < 1e-9, "{knots}");
    assert!(s.notes.iter().any(|n| n.contains("m/s")), "{:?}", s.notes);
}

#[test]
fn dma_collision_extract() {
    let s = read("dma_collision_2021-12-13_219021240_232018267.csv", &ReadOptions::default());
    assert_eq!(s.format, Some(Format::DmaAisdk));
    assert_eq!(s.positions.len(), 77);
    let ids: HashSet<_> = s.positions.iter().map(|p| p.vessel.as_str()).collect();
    assert_eq!(ids, HashSet::from(["219021240", "232018267"]));
    assert!(!s.opaque);
    let p = &s.positions[0];
    // DMA's own `# Timestamp` column, not the extract's `DateTime`.
    assert_eq!(p.timestamp, utc(2021, 12, 13, 1, 51, 0));
    assert_eq!((p.lat, p.lon, p.sog, p.heading), (55.2685, 14.3138, Some(6.1), Some(218.0)));
}

#[test]
fn nmea_files_dispatch_to_the_decoder() {
    for (rel, positions) in [
        ("dma_aisabnormal/538004030_drift_1.ais", 5_029),
        ("dma_aisabnormal/ais-sample.txt.gz", 24_688),
        ("gfw_ais_listener/nmea-with-tagblock.txt", 8_177),
    ] {
        let s = read(rel, &ReadOptions::default());
        assert_eq!(s.format, Some(Format::Nmea), "{rel}");
        assert_eq!(s.positions.len(), positions, "{rel}");
    }
    for rel in ["gpsd_sample.aivdm", "pyais_nmea_data_sample.txt", "gpsd_daemon_ais/ais-nmea.log"] {
        assert_eq!(read(rel, &ReadOptions::default()).format, Some(Format::Nmea), "{rel}");
    }
}

/// Throughput check: `LOOKOUT_BENCH_FILE=... cargo test --release --test readers_shared
/// -- --ignored throughput --nocapture`.
#[test]
#[ignore]
fn throughput() {
    let path = std::env::var_os("LOOKOUT_BENCH_FILE")
        .map_or_else(|| ais("shipstrike_ais_kitimat_2018-07_10_slice.csv.gz"), PathBuf::from);
    for _ in 0..3 {
        let t = std::time::Instant::now();
        let r = open(&path, &ReadOptions::default()).expect("open");
        let (mut rows, mut rejects) = (0u64, 0u64);
        for item in r {
            match item {
                Ok(Record::Position(_)) => rows += 1,
                Ok(_) => {}
                Err(_) => rejects += 1,
            }
        }
        let secs = t.elapsed().as_secs_f64();
        println!(
            "{}: {rows} positions, {rejects} rejects, {secs:.3} s, {:.0} rows/s",
            path.display(),
            rows as f64 / secs
        );
    }
}
