//! Transshipment funnel, loitering and the grid search: generated scenarios just inside
//! and just outside every threshold, and the grid against the all-pairs oracle.

use chrono::{DateTime, Duration, TimeZone, Utc};
use lookout_detect::encounters::grid::{
    close_pairs_all, close_pairs_grid, grid_cell, haversine_m, resample, Place, Sample, EARTH_RADIUS_M,
};
use lookout_detect::encounters::loitering::{LoiteringDetector, LoiteringParams};
use lookout_detect::encounters::transship::{find_encounters, TransshipParams, TransshipmentDetector};
use lookout_detect::{CycleInput, DarkHistoryIndex, Detector, Upstream};
use lookout_model::{Position, ShipType, StaticData, Track, VesselId};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).single().expect("time")
}

/// A vessel holding `(lat, lon)` at `sog` knots from `from_min` to `to_min` (inclusive),
/// reporting every 5 minutes and at `to_min` exactly.
fn hold(id: &str, ship_type: u16, lat: f64, lon: f64, sog: f64, from_min: i64, to_min: i64) -> Track {
    let mut mins: Vec<i64> = (from_min..=to_min).step_by(5).collect();
    if mins.last() != Some(&to_min) {
        mins.push(to_min);
    }
    Track {
        vessel: VesselId::new(id),
        static_data: StaticData { ship_type: Some(ShipType(ship_type)), ..Default::default() },
        positions: mins
            .into_iter()
            .map(|m| Position {
                vessel: VesselId::new(id),
                timestamp: t0() + Duration::minutes(m),
                lat,
                lon,
                sog: Some(sog),
                cog: Some(90.0),
                heading: None,
                nav_status: None,
            })
            .collect(),
    }
}

/// Latitude `metres` north of `lat` (a meridian arc is exactly R·Δφ).
fn north(lat: f64, metres: f64) -> f64 {
    lat + (metres / EARTH_RADIUS_M).to_degrees()
}

fn input<'a>(tracks: &'a [Track], history: &'a DarkHistoryIndex) -> CycleInput<'a> {
    CycleInput {
        window_start: t0() - Duration::hours(1),
        window_end: t0() + Duration::hours(24),
        tracks,
        registry: None,
        dark_history: history,
        identities: lookout_detect::IdentityHistory::empty(),
        zones: None,
        segmentation: None,
        observation: None,
        places: None,
    }
}

const LAT: f64 = 38.0;
const LON: f64 = 130.0;

/// Carrier (cargo 70) and fishing vessel (30) meeting; returns (funnel, findings).
fn meet(
    dist_m: f64,
    sog: f64,
    minutes: i64,
    p: &TransshipParams,
) -> (lookout_detect::encounters::transship::Funnel, usize) {
    let tracks = vec![
        hold("440000001", 70, LAT, LON, sog, 0, minutes),
        hold("440000002", 30, north(LAT, dist_m), LON, sog, 0, minutes),
    ];
    let h = DarkHistoryIndex::default();
    let (funnel, findings) = TransshipmentDetector::detect(&input(&tracks, &h), p);
    (funnel, findings.len())
}

#[test]
fn distance_threshold_499_vs_501_m() {
    let p = TransshipParams::default();
    let (f, n) = meet(499.0, 0.5, 180, &p);
    assert_eq!((f.type_pairs, f.proximity, f.slow, f.duration, f.location, n), (1, 1, 1, 1, 1, 2));
    let (f, n) = meet(501.0, 0.5, 180, &p);
    assert_eq!((f.type_pairs, f.proximity, f.slow, f.duration, f.location, n), (1, 0, 0, 0, 0, 0));
}

#[test]
fn speed_threshold_1_9_vs_2_1_kn() {
    let p = TransshipParams::default();
    let (f, n) = meet(300.0, 1.9, 180, &p);
    assert_eq!((f.proximity, f.slow, f.duration, n), (1, 1, 1, 2));
    let (f, n) = meet(300.0, 2.1, 180, &p);
    assert_eq!((f.proximity, f.slow, f.duration, n), (1, 0, 0, 0));
}

#[test]
fn duration_threshold_1h59_vs_2h01() {
    let p = TransshipParams::default();
    // Durations are measured on the 10-minute grid: 00:00-02:01 covers ticks 00:00..02:00
    // (2 h), 00:00-01:59 covers 00:00..01:50 (1 h 50).
    let (f, n) = meet(300.0, 0.5, 121, &p);
    assert_eq!((f.slow, f.duration, f.location, f.encounters_duration, n), (1, 1, 1, 1, 2));
    let (f, n) = meet(300.0, 0.5, 119, &p);
    assert_eq!((f.slow, f.duration, f.location, n), (1, 0, 0, 0));
}

#[test]
fn port_distance_9_9_vs_10_1_km() {
    let mut p = TransshipParams::default();
    // The encounter's median midpoint is 150 m north of the carrier.
    let mid = north(LAT, 150.0);
    p.ports = vec![Place { name: "near".into(), lat: north(mid, 9_900.0), lon: LON, polygon: vec![] }];
    let (f, n) = meet(300.0, 0.5, 180, &p);
    assert_eq!((f.duration, f.location, f.encounters_location, n), (1, 0, 0, 0));
    p.ports[0].lat = north(mid, 10_100.0);
    let (f, n) = meet(300.0, 0.5, 180, &p);
    assert_eq!((f.duration, f.location, n), (1, 1, 2));
    // A polygon port holding the encounter keeps it in port.
    p.ports = vec![Place {
        name: "basin".into(),
        lat: 0.0,
        lon: 0.0,
        polygon: vec![[LON - 0.1, LAT - 0.1], [LON + 0.1, LAT - 0.1], [LON + 0.1, LAT + 0.1], [LON - 0.1, LAT + 0.1]],
    }];
    let (f, n) = meet(300.0, 0.5, 180, &p);
    assert_eq!((f.duration, f.location, n), (1, 0, 0));
}

#[test]
fn type_stage_needs_carrier_and_fishing() {
    let h = DarkHistoryIndex::default();
    let p = TransshipParams::default();
    // Two fishing vessels and a tug: no carrier × fishing pair at all.
    let tracks = vec![
        hold("1", 30, LAT, LON, 0.5, 0, 180),
        hold("2", 30, north(LAT, 100.0), LON, 0.5, 0, 180),
        hold("3", 52, north(LAT, 200.0), LON, 0.5, 0, 180),
    ];
    let (f, findings) = TransshipmentDetector::detect(&input(&tracks, &h), &p);
    assert_eq!((f.type_pairs, f.proximity, findings.len()), (0, 0, 0));
    // A tanker (80) and two fishing vessels: two type pairs, both meet.
    let tracks = vec![
        hold("1", 30, LAT, LON, 0.5, 0, 180),
        hold("2", 30, north(LAT, 400.0), LON, 0.5, 0, 180),
        hold("3", 80, north(LAT, 200.0), LON, 0.5, 0, 180),
    ];
    let (f, findings) = TransshipmentDetector::detect(&input(&tracks, &h), &p);
    assert_eq!((f.type_pairs, f.proximity, f.slow, f.duration, f.location), (2, 2, 2, 2, 2));
    assert_eq!(findings.len(), 4);
    // Findings carry the partner, the role, the score and the funnel.
    let first = &findings[0];
    assert_eq!(first.detector, "transshipment");
    assert_eq!(first.vessel.as_str(), "3");
    assert_eq!(first.evidence["partner"], "1");
    assert_eq!(first.evidence["role"], "carrier");
    assert_eq!(first.evidence["duration_min"], 180);
    assert_eq!(first.evidence["min_distance_m"], 200.0);
    assert_eq!(first.evidence["funnel"]["location"], 2);
    assert_eq!(first.score, Some(50));
    assert_eq!(first.level, "HIGH");
    assert_eq!(findings[1].vessel.as_str(), "1");
    assert_eq!(findings[1].evidence["partner"], "3");
    assert_eq!(findings[1].evidence["role"], "fishing");
}

#[test]
fn long_encounters_score_more() {
    let h = DarkHistoryIndex::default();
    let p = TransshipParams::default();
    for (minutes, score, level) in [(230, 50, "HIGH"), (240, 60, "HIGH"), (480, 70, "CRITICAL")] {
        let tracks =
            vec![hold("1", 70, LAT, LON, 0.5, 0, minutes), hold("2", 30, north(LAT, 50.0), LON, 0.5, 0, minutes)];
        let (_, findings) = TransshipmentDetector::detect(&input(&tracks, &h), &p);
        assert_eq!(findings.first().and_then(|f| f.score), Some(score), "{minutes} min");
        assert_eq!(findings.first().map(|f| f.level.as_str()), Some(level));
    }
}

#[test]
fn silence_longer_than_the_interpolation_limit_breaks_an_encounter() {
    let h = DarkHistoryIndex::default();
    let p = TransshipParams::default();
    let mut carrier = hold("1", 70, LAT, LON, 0.5, 0, 240);
    // No carrier report from 01:00 to 02:05 (65 min > 60): the 10-minute ticks inside are
    // unknown, leaving two runs of 1 h and 1 h 55.
    carrier.positions.retain(|p| {
        let m = (p.timestamp - t0()).num_minutes();
        !(m > 60 && m < 125)
    });
    let tracks = vec![carrier, hold("2", 30, north(LAT, 50.0), LON, 0.5, 0, 240)];
    let (f, findings) = TransshipmentDetector::detect(&input(&tracks, &h), &p);
    assert_eq!((f.slow, f.duration, findings.len()), (1, 0, 0));
}

#[test]
fn findings_before_the_window_belong_to_an_earlier_cycle() {
    let h = DarkHistoryIndex::default();
    let tracks = vec![hold("1", 70, LAT, LON, 0.5, 0, 180), hold("2", 30, north(LAT, 50.0), LON, 0.5, 0, 180)];
    let mut inp = input(&tracks, &h);
    inp.window_start = t0() + Duration::hours(3);
    let (f, findings) = TransshipmentDetector::detect(&inp, &TransshipParams::default());
    assert_eq!((f.proximity, findings.len()), (0, 0));
}

#[test]
fn resampling_interpolates_and_never_extrapolates() {
    let mut t = hold("1", 70, LAT, LON, 1.0, 3, 23);
    t.positions = vec![t.positions[0].clone(), t.positions[4].clone()]; // 00:03 and 00:23
    t.positions[1].lon = LON + 0.02;
    t.positions[1].sog = Some(3.0);
    let s = resample(&t, 600, 3600);
    // Ticks 00:10 and 00:20 only; 00:10 is 7/20 of the way.
    assert_eq!(s.len(), 2);
    assert!((s[0].lon - (LON + 0.02 * 7.0 / 20.0)).abs() < 1e-12);
    assert!((s[0].sog - (1.0 + 2.0 * 7.0 / 20.0)).abs() < 1e-12);
    assert!((s[1].lon - (LON + 0.02 * 17.0 / 20.0)).abs() < 1e-12);
    // Across a silence longer than the limit: nothing.
    assert!(resample(&t, 600, 600).is_empty());
}

/// Deterministic pseudo-random numbers (no dependency, same sequence everywhere).
fn lcg(state: &mut u64) -> f64 {
    *state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
    (*state >> 11) as f64 / (1u64 << 53) as f64
}

#[test]
fn grid_equals_all_pairs_including_cell_straddlers() {
    let mut seed = 7u64;
    // Clusters in several places, including near the antimeridian and a pole.
    for (clat, clon) in [(38.0, 130.0), (0.0, 179.999), (89.99, 10.0), (-55.0, -0.0001)] {
        let points: Vec<(usize, Sample)> = (0..400)
            .map(|i| {
                let lat = (clat + (lcg(&mut seed) - 0.5) * 0.05_f64).clamp(-90.0, 90.0);
                let lon = clon + (lcg(&mut seed) - 0.5) * 0.05;
                let lon = (lon + 180.0).rem_euclid(360.0) - 180.0;
                (i, Sample { tick: 0, lat, lon, sog: 0.0, cog: None })
            })
            .collect();
        let grid = close_pairs_grid(&points, 500.0, |_, _| true);
        let all = close_pairs_all(&points, 500.0, |_, _| true);
        assert!(!all.is_empty());
        assert_eq!(grid.len(), all.len(), "cluster at {clat},{clon}");
        assert_eq!(
            grid.iter().map(|c| (c.a, c.b)).collect::<Vec<_>>(),
            all.iter().map(|c| (c.a, c.b)).collect::<Vec<_>>()
        );
        let straddling =
            all.iter().filter(|c| grid_cell(c.sa.lat, c.sa.lon, 500.0) != grid_cell(c.sb.lat, c.sb.lon, 500.0)).count();
        assert!(straddling > 0, "some pairs straddle cells");
    }
}

#[test]
fn pairs_at_499_m_in_every_direction_are_found() {
    let mut seed = 11u64;
    for _ in 0..2000 {
        let lat = (lcg(&mut seed) - 0.5) * 170.0;
        let lon = (lcg(&mut seed) - 0.5) * 360.0;
        let brg = lcg(&mut seed) * std::f64::consts::TAU;
        // Destination point 499 m away on bearing `brg`.
        let d = 499.0 / EARTH_RADIUS_M;
        let (p1, l1) = (lat.to_radians(), lon.to_radians());
        let p2 = (p1.sin() * d.cos() + p1.cos() * d.sin() * brg.cos()).asin();
        let l2 = l1 + (brg.sin() * d.sin() * p1.cos()).atan2(d.cos() - p1.sin() * p2.sin());
        let (lat2, lon2) = (p2.to_degrees(), (l2.to_degrees() + 180.0).rem_euclid(360.0) - 180.0);
        assert!((haversine_m(lat, lon, lat2, lon2) - 499.0).abs() < 1e-6);
        let pts = vec![
            (0, Sample { tick: 0, lat, lon, sog: 0.0, cog: None }),
            (1, Sample { tick: 0, lat: lat2, lon: lon2, sog: 0.0, cog: None }),
        ];
        assert_eq!(close_pairs_grid(&pts, 500.0, |_, _| true).len(), 1, "{lat},{lon} -> {lat2},{lon2}");
    }
}

#[test]
fn grid_and_all_pairs_give_the_same_encounters() {
    let h = DarkHistoryIndex::default();
    let mut seed = 3u64;
    let mut tracks = Vec::new();
    for i in 0..60 {
        let ty = if i % 3 == 0 { 70 } else { 30 };
        let lat = LAT + lcg(&mut seed) * 0.02;
        let lon = LON + lcg(&mut seed) * 0.02;
        tracks.push(hold(&format!("{:09}", 440_000_000 + i), ty, lat, lon, lcg(&mut seed) * 3.0, 0, 240));
    }
    let p = TransshipParams::default();
    let (fg, eg) = find_encounters(&input(&tracks, &h), &p, true);
    let (fa, ea) = find_encounters(&input(&tracks, &h), &p, false);
    assert_eq!(fg, fa);
    assert_eq!(eg, ea);
    assert!(fg.location > 0 && fg.proximity > fg.slow);
}

#[test]
fn loitering_4h_far_from_shore() {
    let h = DarkHistoryIndex::default();
    let d = LoiteringDetector;
    let mut p = LoiteringParams::default();
    let run = |tracks: &[Track], p: &LoiteringParams| {
        d.run(&input(tracks, &h), &serde_json::to_value(p).expect("json"), &Upstream::default()).expect("runs")
    };
    // 4 h 01 at 1.9 kn: one finding; 3 h 59: none; 2.1 kn: none; a fishing vessel: none.
    assert_eq!(run(&[hold("1", 70, LAT, LON, 1.9, 0, 241)], &p).len(), 1);
    assert_eq!(run(&[hold("1", 70, LAT, LON, 1.9, 0, 239)], &p).len(), 0);
    assert_eq!(run(&[hold("1", 70, LAT, LON, 2.1, 0, 300)], &p).len(), 0);
    assert_eq!(run(&[hold("1", 30, LAT, LON, 0.5, 0, 300)], &p).len(), 0);
    // 19.9 nm from a shore point: none; 20.1 nm: one.
    p.shore = vec![Place { name: "cape".into(), lat: north(LAT, 19.9 * 1852.0), lon: LON, polygon: vec![] }];
    assert_eq!(run(&[hold("1", 70, LAT, LON, 0.5, 0, 300)], &p).len(), 0);
    p.shore[0].lat = north(LAT, 20.1 * 1852.0);
    let f = run(&[hold("1", 70, LAT, LON, 0.5, 0, 300)], &p);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].evidence["duration_min"], 300);
    assert_eq!(f[0].evidence["nearest_shore"]["nm"], 20.1);
    assert_eq!((f[0].score, f[0].level.as_str()), (Some(40), "MEDIUM"));
}

#[test]
fn params_merge_replaces_lists_and_rejects_typos() {
    let d = TransshipmentDetector;
    let base = d.default_params();
    let merged = d
        .merge_params(
            &base,
            &serde_json::json!({"carrier_types": [77], "ports": [{"name": "P", "lat": 1.0, "lon": 2.0}]}),
        )
        .expect("merges");
    assert_eq!(merged["carrier_types"], serde_json::json!([77]));
    assert_eq!(merged["ports"][0]["name"], "P");
    assert!(d.merge_params(&base, &serde_json::json!({"max_distanc_m": 1})).is_err());
    assert!(d.merge_params(&base, &serde_json::json!({"ports": [{"nam": "P"}]})).is_err());
    assert!(d.merge_params(&base, &serde_json::json!({"step_min": 0})).is_err());
}
