//! The shipped port list (data/ports) in transshipment's stage 5 and loitering, on real
//! tracks read through the real readers; a user's file replaces it; a bad file is
//! refused with its line and field.

use std::path::{Path, PathBuf};

use chrono::{TimeZone, Utc};
use lookout_detect::encounters::loitering::{loitering_of, LoiteringParams};
use lookout_detect::encounters::transship::{PairMode, TransshipParams, TransshipmentDetector};
use lookout_detect::input::places::{nearest_place, PlaceSet};
use lookout_detect::{CycleInput, DarkHistoryIndex};
use lookout_engine::ports::{load, PortsChoice};
use lookout_ingest::readers::{self, ReadOptions};
use lookout_ingest::tracks::TrackBuilder;
use lookout_ingest::validate::{ValidateOptions, Validator};
use lookout_model::{Finding, Track};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read(path: &Path) -> Vec<Track> {
    let mut reader = readers::open(path, &ReadOptions::default()).expect("open");
    let now = Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).single().expect("time");
    let mut validator =
        Validator::new(ValidateOptions { check_mmsi: !reader.ids_are_opaque(), ..ValidateOptions::new(now) });
    let mut builder = TrackBuilder::new();
    for (i, item) in reader.by_ref().enumerate() {
        if let Ok(rec) = item.and_then(|r| validator.check(r, i as u64 + 1)) {
            builder.push(rec);
        }
    }
    builder.finish()
}

fn input<'a>(tracks: &'a [Track], h: &'a DarkHistoryIndex, places: Option<&'a PlaceSet>) -> CycleInput<'a> {
    let first = tracks.iter().filter_map(|t| t.positions.first()).map(|p| p.timestamp).min().expect("time");
    let last = tracks.iter().filter_map(|t| t.positions.last()).map(|p| p.timestamp).max().expect("time");
    CycleInput {
        window_start: first,
        window_end: last,
        tracks,
        registry: None,
        dark_history: h,
        identities: lookout_detect::IdentityHistory::empty(),
        zones: None,
        segmentation: None,
        observation: None,
        places,
    }
}

fn key(f: &Finding) -> (String, String, String) {
    (f.vessel.as_str().to_string(), f.evidence["partner"].to_string(), f.start.to_rfc3339())
}

fn position(f: &Finding) -> (f64, f64) {
    let p = &f.evidence["position"];
    (p["lat"].as_f64().expect("lat"), p["lon"].as_f64().expect("lon"))
}

fn dma() -> Vec<Track> {
    read(&repo().join("testdata/ais/dma_dlproject_10min/val_aisdk-2025-06-01.csv.gz"))
}

/// GFW mode (any two vessels) on DMA's 400 real tracks of 2025-06-01, most of whose slow
/// close pairs lie moored side by side in Danish harbours: with the shipped port list,
/// stage 5 keeps only those at least 10 km from every listed port, and each finding
/// names its nearest port and distance; the ones it drops are within 10 km of a port
/// (checked here with a plain scan of the list, not the index).
#[test]
fn shipped_ports_set_harbour_encounters_apart() {
    let shipped = load(&PortsChoice::Shipped).expect("shipped list");
    let set = shipped.set.as_ref().expect("set");
    assert_eq!(set.len(), 3923);
    assert!(shipped.describe().starts_with("ports: 3923 from data/ports/world_ports.csv.gz"), "{}", shipped.describe());
    let tracks = dma();
    let h = DarkHistoryIndex::default();
    let gfw = TransshipParams { mode: PairMode::Gfw, ..Default::default() };
    let (_, without) = TransshipmentDetector::detect(&input(&tracks, &h, None), &gfw);
    let (funnel, with) = TransshipmentDetector::detect(&input(&tracks, &h, Some(set)), &gfw);
    println!("GFW mode: {} encounters without ports, {} with the shipped list; {funnel:?}", without.len(), with.len());
    assert!(!with.is_empty() && with.len() < without.len());
    let kept: std::collections::BTreeSet<_> = with.iter().map(key).collect();
    for f in &with {
        assert!(without.iter().any(|g| key(g) == key(f)), "only a subset is kept");
        let (lat, lon) = position(f);
        let (port, d) = nearest_place(set.places(), lat, lon).expect("nearest");
        assert!(d >= 9_900.0, "{:?} kept {d} m from {}", key(f), port.name);
        assert_eq!(f.evidence["nearest_port"]["name"], port.name.as_str());
        let km = f.evidence["nearest_port"]["km"].as_f64().expect("km");
        assert!((km - d / 1000.0).abs() < 0.1, "{km} vs {d}");
    }
    let dropped: Vec<&Finding> = without.iter().filter(|f| !kept.contains(&key(f))).collect();
    assert!(!dropped.is_empty());
    for f in dropped {
        let (lat, lon) = position(f);
        let (port, d) = nearest_place(set.places(), lat, lon).expect("nearest");
        assert!(d <= 10_100.0, "{:?} dropped {d} m from {}", key(f), port.name);
    }
}

/// Loitering near a port is not flagged: the same real tracks, every vessel declared a
/// carrier for the test (the file has no ship types). Without a port list every long slow
/// run is an episode; with the shipped list only those at least 20 nm from every port
/// remain, and the dropped ones are within 20 nm of one.
#[test]
fn loitering_near_a_port_is_not_flagged() {
    let shipped = load(&PortsChoice::Shipped).expect("shipped list");
    let set = shipped.set.as_ref().expect("set");
    let mut tracks = dma();
    for t in &mut tracks {
        t.static_data.ship_type = Some(lookout_model::ShipType(70));
    }
    let h = DarkHistoryIndex::default();
    let p = LoiteringParams::default();
    let (mut all, mut far) = (Vec::new(), Vec::new());
    for t in &tracks {
        all.extend(loitering_of(t, &input(&tracks, &h, None), &p));
        far.extend(loitering_of(t, &input(&tracks, &h, Some(set)), &p));
    }
    println!("loitering: {} episodes without ports, {} with the shipped list", all.len(), far.len());
    assert!(!far.is_empty() && far.len() < all.len());
    let near_m = p.min_shore_distance_nm * 1852.0;
    for f in &all {
        let (lat, lon) = position(f);
        let (port, d) = nearest_place(set.places(), lat, lon).expect("nearest");
        let kept = far.iter().any(|g| g.vessel == f.vessel && g.start == f.start);
        if kept {
            assert!(d >= near_m - 100.0, "{} kept {d} m from {}", f.vessel.as_str(), port.name);
            assert_eq!(f.evidence["nearest_shore"], serde_json::Value::Null);
        } else {
            assert!(d <= near_m + 100.0, "{} dropped {d} m from {}", f.vessel.as_str(), port.name);
        }
    }
    for f in &far {
        assert!(f.evidence["nearest_shore"]["name"].is_string(), "{}", f.evidence);
    }
}

/// `--ports FILE` replaces the shipped list (it is not added to it): a file with one
/// place where a kept offshore encounter happens drops that encounter and brings the
/// harbour encounters back; gzip and GeoJSON read the same; `none` disables the list.
#[test]
fn a_user_file_replaces_the_list() {
    let shipped = load(&PortsChoice::Shipped).expect("shipped list");
    let tracks = dma();
    let h = DarkHistoryIndex::default();
    let gfw = TransshipParams { mode: PairMode::Gfw, ..Default::default() };
    let (_, without) = TransshipmentDetector::detect(&input(&tracks, &h, None), &gfw);
    let (_, with) = TransshipmentDetector::detect(&input(&tracks, &h, shipped.set.as_ref()), &gfw);
    let target = &with[0];
    let (lat, lon) = position(target);
    let dir = tempfile::tempdir().expect("tmp");
    let csv = dir.path().join("mine.csv");
    std::fs::write(&csv, format!("name,lat,lon\nMy platform,{lat},{lon}\n")).expect("write");
    let geojson = dir.path().join("mine.geojson.gz");
    let doc = format!(
        r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","properties":{{"name":"My platform"}},"geometry":{{"type":"Point","coordinates":[{lon},{lat}]}}}}]}}"#
    );
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, doc.as_bytes()).expect("gzip");
    std::fs::write(&geojson, gz.finish().expect("gzip")).expect("write");
    let mut results = Vec::new();
    for file in [&csv, &geojson] {
        let mine = load(&PortsChoice::from_arg(Some(file))).expect("user file");
        assert_eq!(mine.len(), 1);
        assert_eq!(mine.source, file.display().to_string());
        let (_, found) = TransshipmentDetector::detect(&input(&tracks, &h, mine.set.as_ref()), &gfw);
        assert!(!found.iter().any(|f| key(f) == key(target)), "the encounter at the user's port is gone");
        assert!(found.len() > with.len(), "the shipped list no longer applies");
        for f in &found {
            assert_eq!(f.evidence["nearest_port"]["name"], "My platform");
        }
        results.push(found);
    }
    assert_eq!(results[0], results[1], "CSV and gzipped GeoJSON give the same findings");
    let none = load(&PortsChoice::from_arg(Some(Path::new("none")))).expect("none");
    assert!(none.set.is_none());
    let (_, found) = TransshipmentDetector::detect(&input(&tracks, &h, none.set.as_ref()), &gfw);
    assert_eq!(found, without);
    // Params that list places still win over the cycle's list.
    let listed = TransshipParams {
        ports: vec![lookout_detect::encounters::grid::Place { name: "Listed".into(), lat, lon, polygon: Vec::new() }],
        ..gfw.clone()
    };
    let (_, found) = TransshipmentDetector::detect(&input(&tracks, &h, shipped.set.as_ref()), &listed);
    assert_eq!(
        found,
        results[0]
            .iter()
            .map(|f| {
                let mut f = f.clone();
                f.evidence["nearest_port"]["name"] = "Listed".into();
                f
            })
            .collect::<Vec<_>>()
    );
}

/// A bad ports file is refused with the file, line and field.
#[test]
fn a_bad_ports_file_names_the_line_and_field() {
    let dir = tempfile::tempdir().expect("tmp");
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "name,country,lat,lon\nA,DK,55.1,10.2\nB,DK,north,10.3\n").expect("write");
    let e = load(&PortsChoice::File(bad.clone())).expect_err("bad lat").to_string();
    assert!(e.contains(&bad.display().to_string()) && e.contains("line 3") && e.contains("column lat"), "{e}");
    let missing = dir.path().join("missing.csv");
    let e = load(&PortsChoice::File(missing.clone())).expect_err("no file").to_string();
    assert!(e.contains("missing.csv"), "{e}");
    std::fs::write(&bad, "port,lat,lon\nA,55,10\n").expect("write");
    let e = load(&PortsChoice::File(bad)).expect_err("no name column").to_string();
    assert!(e.contains("name"), "{e}");
}
