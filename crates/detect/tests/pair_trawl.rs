//! Pair trawl: generated parallel tows just inside and just outside every threshold.

use chrono::{DateTime, Duration, TimeZone, Utc};
use lookout_detect::encounters::grid::EARTH_RADIUS_M;
use lookout_detect::encounters::pair_trawl::{find_pair_trawls, PairTrawlDetector, PairTrawlParams};
use lookout_detect::{CycleInput, DarkHistoryIndex, Detector};
use lookout_model::{Position, ShipType, StaticData, Track, VesselId};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).single().expect("time")
}

const LAT: f64 = 34.0;
const LON: f64 = 127.0;

/// A vessel steaming east at `sog` knots from `(lat, LON)` for `minutes`, reporting every
/// 5 minutes (and at the end), with reported course `cog`.
fn tow(id: &str, ship_type: u16, lat: f64, sog: f64, cog: f64, minutes: i64) -> Track {
    let mut mins: Vec<i64> = (0..=minutes).step_by(5).collect();
    if mins.last() != Some(&minutes) {
        mins.push(minutes);
    }
    let deg_per_min = (sog * 1852.0 / 60.0 / (EARTH_RADIUS_M * LAT.to_radians().cos())).to_degrees();
    Track {
        vessel: VesselId::new(id),
        static_data: StaticData { ship_type: Some(ShipType(ship_type)), ..Default::default() },
        positions: mins
            .into_iter()
            .map(|m| Position {
                vessel: VesselId::new(id),
                timestamp: t0() + Duration::minutes(m),
                lat,
                lon: LON + deg_per_min * m as f64,
                sog: Some(sog),
                cog: Some(cog),
                heading: None,
                nav_status: None,
            })
            .collect(),
    }
}

fn north(lat: f64, metres: f64) -> f64 {
    lat + (metres / EARTH_RADIUS_M).to_degrees()
}

/// Two vessels `dist` metres apart (the second north of the first) with the given speeds,
/// courses and duration: the number of findings.
fn pair(dist: f64, sog: (f64, f64), cog: (f64, f64), minutes: i64, types: (u16, u16)) -> usize {
    // Both vessels must stay exactly `dist` apart: at the same latitude-row speed. A
    // speed difference is tested with reported SOG only, positions keep the first speed.
    let a = tow("440000001", types.0, LAT, sog.0, cog.0, minutes);
    let mut b = tow("440000002", types.1, north(LAT, dist), sog.0, cog.1, minutes);
    for p in &mut b.positions {
        p.sog = Some(sog.1);
    }
    let tracks = vec![a, b];
    let h = DarkHistoryIndex::default();
    let input = CycleInput {
        window_start: t0() - Duration::hours(1),
        window_end: t0() + Duration::hours(24),
        tracks: &tracks,
        registry: None,
        dark_history: &h,
        identities: lookout_detect::IdentityHistory::empty(),
        zones: None,
        segmentation: None,
        observation: None,
        places: None,
    };
    PairTrawlDetector::detect(&input, &PairTrawlParams::default()).1.len()
}

const F: (u16, u16) = (30, 30);

#[test]
fn distance_bounds_100_and_1500_m() {
    assert_eq!(pair(101.0, (3.0, 3.0), (90.0, 90.0), 120, F), 2);
    assert_eq!(pair(99.0, (3.0, 3.0), (90.0, 90.0), 120, F), 0);
    assert_eq!(pair(1499.0, (3.0, 3.0), (90.0, 90.0), 120, F), 2);
    assert_eq!(pair(1501.0, (3.0, 3.0), (90.0, 90.0), 120, F), 0);
}

#[test]
fn speed_bounds_2_and_5_kn() {
    assert_eq!(pair(500.0, (2.1, 2.1), (90.0, 90.0), 120, F), 2);
    assert_eq!(pair(500.0, (1.9, 1.9), (90.0, 90.0), 120, F), 0);
    assert_eq!(pair(500.0, (4.9, 4.9), (90.0, 90.0), 120, F), 2);
    assert_eq!(pair(500.0, (3.0, 5.1), (90.0, 90.0), 120, F), 0);
}

#[test]
fn course_within_15_degrees() {
    assert_eq!(pair(500.0, (3.0, 3.0), (90.0, 104.9), 120, F), 2);
    assert_eq!(pair(500.0, (3.0, 3.0), (90.0, 105.1), 120, F), 0);
    // Across north: 355° and 9° are 14° apart.
    assert_eq!(pair(500.0, (3.0, 3.0), (355.0, 9.0), 120, F), 2);
}

#[test]
fn duration_at_least_1_hour() {
    assert_eq!(pair(500.0, (3.0, 3.0), (90.0, 90.0), 61, F), 2);
    assert_eq!(pair(500.0, (3.0, 3.0), (90.0, 90.0), 59, F), 0);
}

#[test]
fn only_fishing_pairs() {
    assert_eq!(pair(500.0, (3.0, 3.0), (90.0, 90.0), 120, (30, 70)), 0);
    assert_eq!(pair(500.0, (3.0, 3.0), (90.0, 90.0), 120, (52, 52)), 0);
}

#[test]
fn tiers_by_duration_and_evidence() {
    let tracks = vec![tow("1", 30, LAT, 3.0, 90.0, 300), tow("2", 30, north(LAT, 400.0), 3.0, 90.0, 300)];
    let h = DarkHistoryIndex::default();
    let mut input = CycleInput {
        window_start: t0() - Duration::hours(1),
        window_end: t0() + Duration::hours(24),
        tracks: &tracks,
        registry: None,
        dark_history: &h,
        identities: lookout_detect::IdentityHistory::empty(),
        zones: None,
        segmentation: None,
        observation: None,
        places: None,
    };
    let d = PairTrawlDetector;
    let run = |input: &CycleInput<'_>, over: serde_json::Value| {
        let p = d.merge_params(&d.default_params(), &over).expect("params");
        d.run(input, &p, &Default::default()).expect("runs")
    };
    let f = run(&input, serde_json::Value::Null);
    assert_eq!(f.len(), 2);
    assert_eq!((f[0].vessel.as_str(), f[0].evidence["partner"].as_str()), ("1", Some("2")));
    assert_eq!(f[0].evidence["duration_min"], 300);
    assert_eq!(f[0].evidence["median_distance_m"], 400.0);
    // 300 min >= 240: 40 + 30 = 70, CRITICAL.
    assert_eq!((f[0].score, f[0].level.as_str()), (Some(70), "CRITICAL"));
    let f = run(&input, serde_json::json!({"very_long_min": 301}));
    assert_eq!((f[0].score, f[0].level.as_str()), (Some(55), "HIGH"));
    let f = run(&input, serde_json::json!({"very_long_min": 301, "long_min": 301}));
    assert_eq!((f[0].score, f[0].level.as_str()), (Some(40), "MEDIUM"));
    // An episode that ended before the window belongs to an earlier cycle.
    input.window_start = t0() + Duration::hours(5);
    assert!(run(&input, serde_json::Value::Null).is_empty());
    assert!(d.merge_params(&d.default_params(), &serde_json::json!({"min_distance_m": 2000.0})).is_err());
}

#[test]
fn grid_and_all_pairs_agree_on_a_fleet() {
    let mut tracks = Vec::new();
    for i in 0..40 {
        // Rows 290 m apart: up to 5 rows (1450 m) pair, 6 rows (1740 m) do not.
        tracks.push(tow(&format!("{i:03}"), 30, north(LAT, 290.0 * i as f64), 3.0, 90.0, 120));
    }
    let h = DarkHistoryIndex::default();
    let input = CycleInput {
        window_start: t0() - Duration::hours(1),
        window_end: t0() + Duration::hours(24),
        tracks: &tracks,
        registry: None,
        dark_history: &h,
        identities: lookout_detect::IdentityHistory::empty(),
        zones: None,
        segmentation: None,
        observation: None,
        places: None,
    };
    let p = PairTrawlParams::default();
    let (fg, rg) = find_pair_trawls(&input, &p, true);
    let (fa, ra) = find_pair_trawls(&input, &p, false);
    assert_eq!(fg, fa);
    assert_eq!(rg, ra);
    // Offsets of 1..=5 rows, (40-k) pairs each.
    assert_eq!(fg.duration, (1..=5).map(|k| 40 - k).sum::<u64>());
    assert_eq!(fg.fishing_pairs, 40 * 39 / 2);
}
