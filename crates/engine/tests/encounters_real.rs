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
