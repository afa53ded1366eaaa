//! Issue 15, items 1 and 2, on real files ingested into a real SQLite store:
//! - every CSV layout the readers claim maps its columns as stated (speed, course,
//!   names; GFW's message `type` is not a ship type), and the summary says so;
//! - GFW's message CSV keeps the identity rows that have no position;
//! - positions whose id is not a valid MMSI are stored, counted in a note, and the
//!   spoofing detector flags them.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, TimeZone, Utc};
use lookout_engine::cycle::{run_cycle, CycleRequest};
use lookout_engine::ingest::{ingest_file, FileSummary};
use lookout_engine::models::resolve;
use lookout_engine::plan::ExecOptions;
use lookout_engine::rules::RuleSet;
use lookout_ingest::readers::ReadOptions;
use lookout_model::{Finding, RejectReason, Track, VesselId};
use lookout_store::{SqliteStore, Store};

fn testdata(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata").join(rel)
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().expect("time")
}

fn ingest(store: &mut dyn Store, path: &Path) -> FileSummary {
    ingest_file(store, path, &ReadOptions::default(), now(), &mut |_, _| {}).expect("ingest")
}

fn all_tracks(store: &dyn Store) -> Vec<Track> {
    store.load_tracks(Utc.with_ymd_and_hms(1995, 1, 1, 0, 0, 0).single().expect("time"), now()).expect("tracks")
}

fn mapping(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(r, c)| (r.to_string(), c.to_string())).collect()
}

/// Share of stored positions with a speed / a course.
fn speed_and_course_share(tracks: &[Track]) -> (f64, f64) {
    let all: Vec<_> = tracks.iter().flat_map(|t| &t.positions).collect();
    let n = all.len().max(1) as f64;
    (
        all.iter().filter(|p| p.sog.is_some()).count() as f64 / n,
        all.iter().filter(|p| p.cog.is_some()).count() as f64 / n,
    )
}

#[test]
fn every_csv_layout_maps_its_columns_as_the_summary_says() {
    // (file, format, role -> column, sog read, cog read): one real file per layout.
    type Case = (&'static str, &'static str, Vec<(String, String)>, bool, bool);
    let cases: [Case; 7] = [
        (
            "ais/marinecadastre_2023-01-11_snapshot.csv.gz",
            "marinecadastre",
            mapping(&[
                ("vessel", "MMSI"),
                ("time", "BaseDateTime"),
                ("lat", "LAT"),
                ("lon", "LON"),
                ("sog", "SOG"),
                ("cog", "COG"),
                ("heading", "Heading"),
                ("status", "Status"),
                ("type", "VesselType"),
                ("name", "VesselName"),
                ("imo", "IMO"),
                ("callsign", "CallSign"),
                ("length", "Length"),
                ("width", "Width"),
            ]),
            true,
            true,
        ),
        (
            "ais/dma_collision_2021-12-13_219021240_232018267.csv.gz",
            "dma",
            mapping(&[
                ("vessel", "MMSI"),
                ("time", "# Timestamp"),
                ("lat", "Latitude"),
                ("lon", "Longitude"),
                ("sog", "SOG"),
                ("heading", "Heading"),
                ("type", "Ship type"),
            ]),
            true,
            false,
        ),
        (
            "ais/dma_dlproject_10min/val_aisdk-2025-06-01.csv.gz",
            "dma-resampled",
            mapping(&[
                ("vessel", "MMSI"),
                ("time", "Timestamp"),
                ("lat", "Latitude"),
                ("lon", "Longitude"),
                ("sog", "SOG"),
                ("cog", "COG"),
            ]),
            true,
            true,
        ),
        (
            "ais/gfw_messages/gfw_messages.csv.gz",
            "gfw-csv",
            mapping(&[
                ("vessel", "ssvid"),
                ("time", "timestamp"),
                ("lat", "lat"),
                ("lon", "lon"),
                ("sog", "speed_knots"),
                ("cog", "course"),
                ("heading", "heading"),
                ("name", "shipname"),
                ("imo", "imo"),
                ("callsign", "callsign"),
                ("message type", "type"),
            ]),
            true,
            true,
        ),
        (
            "ais/aisanalyze_northsea_2022-11-01_1h.csv.gz",
            "generic",
            mapping(&[
                ("vessel", "mmsi"),
                ("time", "datetime"),
                ("lat", "lat"),
                ("lon", "lon"),
                ("sog", "SOG"),
                ("heading", "Heading"),
                ("status", "navigational_status"),
                ("type", "shiptype"),
                ("name", "name"),
                ("imo", "imo"),
                ("length", "length"),
                ("width", "width"),
            ]),
            true,
            false,
        ),
        (
            "ais/shipstrike_ais_kitimat_2018-07_10_slice.csv.gz",
            "generic",
            mapping(&[
                ("vessel", "ID"),
                ("time", "Local.Time"),
                ("lat", "Latitude"),
                ("lon", "Longitude"),
                ("sog", "SOG"),
                ("cog", "COG"),
                ("type", "Type"),
                ("length", "Length"),
            ]),
            true,
            true,
        ),
        (
            "encodings/ko_cp949.csv.gz",
            "generic",
            mapping(&[
                ("vessel", "선박ID"),
                ("time", "수신일시"),
                ("lat", "위도"),
                ("lon", "경도"),
                ("sog", "대지속력"),
                ("heading", "선수방위"),
                ("status", "항해상태"),
                ("type", "선종"),
                ("name", "선명"),
                ("imo", "imo"),
                ("length", "전장"),
                ("width", "width"),
            ]),
            true,
            false,
        ),
    ];
    for (file, format, want, sog, cog) in cases {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut store = SqliteStore::open(&dir.path().join("s.db")).expect("store");
        let s = ingest(&mut store, &testdata(file));
        assert_eq!(s.format, format, "{file}");
        assert_eq!(s.columns, want, "{file}");
        // The mapping is printed with the summary's notes.
        let described = want.iter().map(|(r, c)| format!("{r}={c}")).collect::<Vec<_>>().join(", ");
        assert!(s.notes.iter().any(|n| n.starts_with(&format!("columns used: {described}"))), "{file}: {:?}", s.notes);
        assert!(s.positions_inserted > 0, "{file}");
        let (sog_share, cog_share) = speed_and_course_share(&all_tracks(&store));
        // A mapped column is read on (nearly) every row; an unmapped one on none.
        assert_eq!(sog_share > 0.5, sog, "{file}: speed on {sog_share:.2} of positions");
        assert_eq!(cog_share > 0.5, cog, "{file}: course on {cog_share:.2} of positions");
    }
}

#[test]
fn gfw_message_csv_keeps_identity_rows_and_never_takes_the_message_type_for_a_ship_type() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = SqliteStore::open(&dir.path().join("s.db")).expect("store");
    let path = testdata("ais/gfw_messages/gfw_messages.csv.gz");
    let s = ingest(&mut store, &path);
    // Rows by message type in the file (see make_gfw_csv.py): 413 AIS.5 and 72 AIS.24,
    // all without a position; none may be lost as malformed.
    let text = gunzip(&path);
    let identity_rows = text.lines().filter(|l| l.contains(",AIS.5,") || l.contains(",AIS.24,")).count() as u64;
    assert_eq!(identity_rows, 485);
    assert_eq!(s.static_records, identity_rows, "{:?}", s.rejects);
    assert_eq!(s.rejects.counts.get(&RejectReason::MalformedRow), None, "{:?}", s.rejects);
    // Speed and course come from speed_knots and course.
    let tracks = all_tracks(&store);
    let (sog, cog) = speed_and_course_share(&tracks);
    assert!(sog > 0.95 && cog > 0.95, "speed on {sog:.3}, course on {cog:.3}");
    // AIS.1 is no ship type: no vessel of the file got one (the layout has no ship type).
    for t in tracks.iter().take(200) {
        let row = store.vessel(&t.vessel).expect("vessel").expect("row");
        assert_eq!(row.data.ship_type, None, "{}", t.vessel);
    }
    // A real AIS.5 row: `246901005,NA,2010-06-11 11:46:11.929 UTC,NA,NA,...,AIS.5,PASSAAT,PI8939,NA`.
    let history = store.vessel_identities(&VesselId::new("246901005")).expect("identities");
    let passaat = history.iter().find(|o| o.identity.name.as_deref() == Some("PASSAAT")).expect("name kept");
    assert_eq!(passaat.identity.call_sign.as_deref(), Some("PI8939"));
    assert_eq!(
        passaat.first_seen,
        Utc.with_ymd_and_hms(2010, 6, 11, 11, 46, 11).single().expect("t") + Duration::milliseconds(929)
    );
    let row = store.vessel(&VesselId::new("246901005")).expect("vessel").expect("identity-only vessel stored");
    assert_eq!(row.data.name.as_deref(), Some("PASSAAT"));
    assert!(s.identities >= 400, "{} identity sightings", s.identities);
    assert!(s.notes.iter().any(|n| n.contains("type is the AIS message type")), "{:?}", s.notes);
}

fn gunzip(path: &Path) -> String {
    let mut text = String::new();
    flate2::read::MultiGzDecoder::new(std::fs::File::open(path).expect("open"))
        .read_to_string(&mut text)
        .expect("gunzip");
    text
}

fn spoofing(store: &mut dyn Store, at: DateTime<Utc>) -> Vec<Finding> {
    let rules = resolve(&RuleSet::builtin().expect("rules"), store, &Default::default(), None).expect("resolve");
    let req = CycleRequest {
        at,
        window: Duration::days(2),
        lookback: Duration::days(1),
        rules: &rules,
        exec: ExecOptions::default(),
        registry: None,
        zones: None,
        places: None,
    };
    run_cycle(store, &req).expect("cycle").findings.into_iter().filter(|f| f.detector == "spoofing").collect()
}

fn codes(f: &Finding) -> Vec<String> {
    f.breakdown.iter().map(|b| b.code.clone()).collect()
}

#[test]
fn positions_whose_id_is_not_a_valid_mmsi_are_stored_counted_and_flagged() {
    // One real track (GFW's segmenter test vessel 338013000, 18-19 July 2017) under
    // real ids and under ids that are not valid MMSIs, in GFW's message CSV layout.
    let text = gunzip(&testdata("ais/gfw_messages/gfw_messages.csv.gz"));
    let mut lines = text.lines();
    let header = lines.next().expect("header");
    let track: Vec<&str> = lines.filter(|l| l.starts_with("338013000,")).collect();
    assert!(track.len() > 1000);
    let valid = ["338013000", "219021240", "232018267", "440123456"];
    let not_mmsi = ["000000000", "123456789", "960123456", "41600000", "ABC-7"];
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("ids.csv");
    let mut f = std::fs::File::create(&path).expect("create");
    writeln!(f, "{header}").expect("write");
    for id in valid.iter().chain(&not_mmsi) {
        for row in &track {
            writeln!(f, "{id}{}", &row["338013000".len()..]).expect("write");
        }
    }
    writeln!(f, "NA{}", &track[0]["338013000".len()..]).expect("write");
    drop(f);

    let mut store = SqliteStore::open(&dir.path().join("s.db")).expect("store");
    let s = ingest(&mut store, &path);
    assert!(!s.ids_are_opaque);
    // Only the row without an id is a reject.
    assert_eq!(s.rejects.counts.get(&RejectReason::InvalidId), Some(&1), "{:?}", s.rejects);
    let per_id = s.positions_accepted / (valid.len() + not_mmsi.len()) as u64;
    assert_eq!(s.ids_not_mmsi, per_id * not_mmsi.len() as u64);
    assert!(s.notes.iter().any(|n| n.starts_with(&format!("ids_not_mmsi: {} records of 5 ids", s.ids_not_mmsi))));
    let tracks = all_tracks(&store);
    for id in valid.iter().chain(&not_mmsi) {
        let t = tracks.iter().find(|t| t.vessel.as_str() == *id).unwrap_or_else(|| panic!("{id} stored"));
        assert_eq!(t.positions.len() as u64, per_id, "{id}");
    }

    let last = tracks.iter().flat_map(|t| &t.positions).map(|p| p.timestamp).max().expect("positions");
    let found = spoofing(&mut store, last + Duration::hours(1));
    let flagged = |id: &str| found.iter().find(|f| f.vessel.as_str() == id).map(codes).unwrap_or_default();
    // 000000000 and 123456789 are placeholders with no valid form; 960... has no valid form.
    for id in ["000000000", "123456789"] {
        assert!(
            flagged(id).contains(&"M1".to_string()) && flagged(id).contains(&"M2".to_string()),
            "{id}: {:?}",
            flagged(id)
        );
    }
    assert!(flagged("960123456").contains(&"M1".to_string()), "{:?}", flagged("960123456"));
    for id in valid {
        assert!(!flagged(id).contains(&"M1".to_string()), "{id}: {:?}", flagged(id));
    }
}
