//! Encounter detectors on real tracks read through the real readers.

use std::path::Path;

use chrono::{Duration, TimeZone, Utc};
use lookout_detect::encounters::grid::haversine_m;
use lookout_detect::encounters::transship::{TransshipParams, TransshipmentDetector};
use lookout_detect::{CycleInput, DarkHistoryIndex};
use lookout_ingest::readers::{self, ReadOptions};
use lookout_ingest::tracks::TrackBuilder;
use lookout_ingest::validate::{ValidateOptions, Validator};
use lookout_model::Track;

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

/// The DMA collision pair (Baltic, 2021-12-13): 190 m apart at their last common report,
/// both making way (6 and 12 kn). A close encounter that stage 3 stops, never a
/// transshipment — even when their two types are declared carrier and fishing for the
/// test. On the default 10-minute grid they are never within 500 m (the last common
/// tick, 02:20, has them 1.6 km apart); on a 1-minute grid stage 2 sees them.
#[test]
fn dma_collision_pair_is_close_but_not_slow() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let tracks = read(&repo.join("data/demo/dma_collision_2021-12-13_219021240_232018267.csv"));
    assert_eq!(tracks.len(), 2);
    let types: Vec<u16> = tracks.iter().map(|t| t.static_data.ship_type.map_or(0, |s| s.0)).collect();
    // The closest reported approach, straight from the reports at the same second.
    let closest = tracks[0]
        .positions
        .iter()
        .filter_map(|a| {
            tracks[1]
                .positions
                .iter()
                .find(|b| b.timestamp == a.timestamp)
                .map(|b| haversine_m(a.lat, a.lon, b.lat, b.lon))
        })
        .fold(f64::INFINITY, f64::min);
    assert!((closest - 190.0).abs() < 5.0, "closest {closest}");
    let h = DarkHistoryIndex::default();
    let first = tracks.iter().filter_map(|t| t.positions.first()).map(|p| p.timestamp).min().expect("time");
    let input = CycleInput {
        window_start: first - Duration::hours(1),
        window_end: first + Duration::hours(2),
        tracks: &tracks,
        registry: None,
        dark_history: &h,
        identities: lookout_detect::IdentityHistory::empty(),
        zones: None,
        segmentation: None,
        observation: None,
        places: None,
    };
    let mut p = TransshipParams { carrier_types: vec![types[0]], fishing_types: vec![types[1]], ..Default::default() };
    let (funnel, findings) = TransshipmentDetector::detect(&input, &p);
    assert_eq!((funnel.type_pairs, funnel.proximity, funnel.slow, findings.len()), (1, 0, 0, 0));
    p.step_min = 1;
    let (funnel, findings) = TransshipmentDetector::detect(&input, &p);
    assert_eq!((funnel.type_pairs, funnel.proximity, funnel.slow, funnel.duration, funnel.location), (1, 1, 0, 0, 0));
    assert!(findings.is_empty());
    // With the defaults their types are no carrier × fishing pair at all.
    let (funnel, _) = TransshipmentDetector::detect(&input, &TransshipParams::default());
    assert_eq!(funnel.type_pairs, 0);
}

/// Issue 15.5 on real tracks without ship types (DMA's resampled 10-minute tracks of
/// 2025-06-01, 400 vessels, no type column): the default carrier × fishing stage sees no
/// pair at all; GFW's mode (any two vessels) finds the real slow close pairs, each
/// scored lower for its unknown types; the pair list `unknown × unknown` is the same
/// funnel here, and every reported encounter is close and slow in the raw tracks too.
#[test]
fn gfw_mode_and_pair_lists_judge_real_tracks_without_ship_types() {
    use lookout_detect::encounters::transship::{PairMode, VesselClass};
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let tracks = read(&repo.join("testdata/ais/dma_dlproject_10min/val_aisdk-2025-06-01.csv.gz"));
    assert!(tracks.iter().all(|t| t.static_data.ship_type.is_none()));
    let h = DarkHistoryIndex::default();
    let first = tracks.iter().filter_map(|t| t.positions.first()).map(|p| p.timestamp).min().expect("time");
    let last = tracks.iter().filter_map(|t| t.positions.last()).map(|p| p.timestamp).max().expect("time");
    let input = CycleInput {
        window_start: first,
        window_end: last,
        tracks: &tracks,
        registry: None,
        dark_history: &h,
        identities: lookout_detect::IdentityHistory::empty(),
        zones: None,
        segmentation: None,
        observation: None,
        places: None,
    };
    let (funnel, findings) = TransshipmentDetector::detect(&input, &TransshipParams::default());
    assert_eq!((funnel.type_pairs, findings.len()), (0, 0));

    let gfw = TransshipParams { mode: PairMode::Gfw, ..Default::default() };
    let (funnel, findings) = TransshipmentDetector::detect(&input, &gfw);
    let n = tracks.len() as u64;
    assert_eq!(funnel.type_pairs, n * (n - 1) / 2);
    assert!(!findings.is_empty(), "{funnel:?}");
    let w = &gfw.weights;
    for f in &findings {
        let codes: Vec<&str> = f.breakdown.iter().map(|b| b.pattern.as_str()).collect();
        assert!(codes.contains(&"unknown_type"), "{codes:?}");
        assert_eq!(f.evidence["role"], "unknown");
        let points: i64 = f.breakdown.iter().map(|b| b.points).sum();
        assert!(points <= w.encounter + w.very_long - w.unknown_type, "{points}");
        // Close and slow in the raw reports: some pair of reports of the two vessels
        // within 10 minutes of each other and 600 m apart inside the encounter.
        let partner = f.evidence["partner"].as_str().expect("partner");
        let me = tracks.iter().find(|t| t.vessel == f.vessel).expect("track");
        let other = tracks.iter().find(|t| t.vessel.as_str() == partner).expect("partner track");
        let close = me.positions.iter().filter(|p| p.timestamp >= f.start && p.timestamp <= f.end).any(|a| {
            other.positions.iter().any(|b| {
                (a.timestamp - b.timestamp).num_minutes().abs() <= 10 && haversine_m(a.lat, a.lon, b.lat, b.lon) < 600.0
            })
        });
        assert!(close, "{} and {partner} never close in the raw reports", f.vessel);
    }
    let unknowns = TransshipParams { pairs: vec![[VesselClass::Unknown, VesselClass::Unknown]], ..Default::default() };
    let (same_funnel, same) = TransshipmentDetector::detect(&input, &unknowns);
    assert_eq!((same_funnel, same.len()), (funnel, findings.len()));
    // Fishing × unknown allows nothing here: no vessel is known to fish.
    let fishing_unknown =
        TransshipParams { pairs: vec![[VesselClass::Fishing, VesselClass::Unknown]], ..Default::default() };
    assert_eq!(TransshipmentDetector::detect(&input, &fishing_unknown).0.type_pairs, 0);
}
