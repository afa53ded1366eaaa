//! Zones: point-in-polygon (property tests against an independent winding-number
//! check), the shipped zone files, episodes, intrusion scoring at every threshold edge,
//! and P2 of the dark score through the zone classifier.

use std::path::PathBuf;

use chrono::{DateTime, Duration, TimeZone, Utc};
use lookout_detect::zones::{episodes, Polygon, ZoneSet, ZonesDetector};
use lookout_detect::{
    dark_finding, CycleInput, DarkContext, DarkHistory, DarkHistoryIndex, DarkParams, Detector, Registry,
    RegistryEntry, Upstream, ZoneClass, ZoneClassifier,
};
use lookout_model::{Finding, NavStatus, Position, ShipType, StaticData, Track, VesselId};
use proptest::prelude::*;
use serde_json::json;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn shipped(name: &str) -> ZoneSet {
    ZoneSet::from_geojson(&shipped_text(name)).expect("valid zones")
}

/// A shipped zone file's text, decompressed when it is `.gz`.
fn shipped_text(name: &str) -> String {
    let bytes = std::fs::read(repo().join("data/zones").join(name)).expect("zone file");
    if !name.ends_with(".gz") {
        return String::from_utf8(bytes).expect("utf-8");
    }
    let mut text = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(bytes.as_slice()), &mut text).expect("gzip");
    text
}

const WORLD: &str = "world_approx_zones.geojson.gz";

/// Winding number of `(x, y)` around a closed ring (independent of the ray casting
/// under test): non-zero means inside for a simple polygon.
fn winding(ring: &[(f64, f64)], x: f64, y: f64) -> i32 {
    let mut wn = 0;
    for k in 0..ring.len() {
        let (x0, y0) = ring[k];
        let (x1, y1) = ring[(k + 1) % ring.len()];
        let cross = (x1 - x0) * (y - y0) - (x - x0) * (y1 - y0);
        if y0 <= y {
            if y1 > y && cross > 0.0 {
                wn += 1;
            }
        } else if y1 <= y && cross < 0.0 {
            wn -= 1;
        }
    }
    wn
}

/// A star-shaped (hence simple) polygon around `(cx, cy)` with the given radii.
fn star(cx: f64, cy: f64, radii: &[f64]) -> Vec<(f64, f64)> {
    let n = radii.len();
    radii
        .iter()
        .enumerate()
        .map(|(k, r)| {
            let a = std::f64::consts::TAU * k as f64 / n as f64;
            (cx + r * a.cos(), cy + r * a.sin())
        })
        .collect()
}

proptest! {
    #[test]
    fn ray_casting_agrees_with_winding_number(
        radii in prop::collection::vec(0.2f64..3.0, 3..400),
        cx in -170.0f64..170.0, cy in -80.0f64..80.0,
        dx in -4.0f64..4.0, dy in -4.0f64..4.0,
    ) {
        let ring = star(cx, cy, &radii);
        let poly = Polygon::new(vec![ring.clone()]).expect("polygon");
        let (x, y) = (cx + dx, cy + dy);
        // Skip points within 1e-9 of an edge, where either answer is allowed.
        let near_edge = (0..ring.len()).any(|k| {
            let (x0, y0) = ring[k];
            let (x1, y1) = ring[(k + 1) % ring.len()];
            let (ex, ey) = (x1 - x0, y1 - y0);
            let t = (((x - x0) * ex + (y - y0) * ey) / (ex * ex + ey * ey)).clamp(0.0, 1.0);
            ((x0 + t * ex - x).powi(2) + (y0 + t * ey - y).powi(2)).sqrt() < 1e-9
        });
        prop_assume!(!near_edge);
        prop_assert_eq!(poly.contains(x, y), winding(&ring, x, y) != 0);
    }

    #[test]
    fn a_hole_removes_exactly_its_inside(
        radii in prop::collection::vec(2.0f64..3.0, 3..12),
        hole in prop::collection::vec(0.5f64..1.5, 3..12),
        dx in -3.5f64..3.5, dy in -3.5f64..3.5,
    ) {
        let (outer, inner) = (star(10.0, 10.0, &radii), star(10.0, 10.0, &hole));
        let poly = Polygon::new(vec![outer.clone(), inner.clone()]).expect("polygon");
        let (x, y) = (10.0 + dx, 10.0 + dy);
        let expect = winding(&outer, x, y) != 0 && winding(&inner, x, y) == 0;
        let on_edge = |ring: &[(f64, f64)]| (0..ring.len()).any(|k| {
            let (x0, y0) = ring[k];
            let (x1, y1) = ring[(k + 1) % ring.len()];
            let (ex, ey) = (x1 - x0, y1 - y0);
            let t = (((x - x0) * ex + (y - y0) * ey) / (ex * ex + ey * ey)).clamp(0.0, 1.0);
            ((x0 + t * ex - x).powi(2) + (y0 + t * ey - y).powi(2)).sqrt() < 1e-9
        });
        prop_assume!(!on_edge(&outer) && !on_edge(&inner));
        prop_assert_eq!(poly.contains(x, y), expect);
    }

    #[test]
    fn the_grid_index_finds_what_a_full_scan_finds(lat in 31.0f64..38.0, lon in 121.0f64..126.5) {
        let set = shipped("korea_china_pmz.geojson");
        let scan = set.zones.iter().any(|z| z.contains(lon, lat));
        prop_assert_eq!(set.classify(lat, lon).is_some(), scan);
    }
}

#[test]
fn the_provisional_measures_zone() {
    let set = shipped("korea_china_pmz.geojson");
    assert_eq!(set.zones.len(), 1);
    assert_eq!(set.zones[0].countries, ["KR", "CN"]);
    assert_eq!(set.zones[0].polygons[0].rings[0].len(), 17);
    let pmz = Some(ZoneClass::Special("KR_CN_PMZ".into()));
    // Inside: the middle of the zone (35N 123.5E) and just inside the A14-A15 edge (124.5E).
    assert_eq!(set.classify(35.0, 123.5), pmz);
    assert_eq!(set.classify(36.0, 124.49), pmz);
    // Outside: just east of that edge, and the Korean coast, and Shanghai.
    assert_eq!(set.classify(36.0, 124.51), None);
    assert_eq!(set.classify(35.1, 126.4), None);
    assert_eq!(set.classify(31.2, 121.5), None);
}

/// The approximate world zones put well-known waters under the right state: points far
/// (tens of km) from any equidistance line or band edge, so the method's error cannot flip them.
#[test]
fn the_approximate_world_zones_place_known_waters() {
    let set = shipped(WORLD);
    assert!(set.zones.iter().all(|z| z.approximate && z.name.as_deref().is_some_and(|n| n.contains("APPROXIMATE"))));
    let at = |lat: f64, lon: f64| {
        set.zones_at(lat, lon).iter().map(|z| format!("{} {}", z.countries.join(","), z.code)).collect::<Vec<_>>()
    };
    // Yellow Sea: west of the middle is China's, east of it Korea's.
    assert_eq!(at(36.03, 124.03), ["CN EEZ"]);
    assert_eq!(at(36.2, 125.3), ["KR EEZ"]);
    // 20 km off Incheon; south of Jeju; the North Sea west of Jutland; the Kattegat.
    assert_eq!(at(37.4, 126.2), ["KR CONTIGUOUS_ZONE"]);
    assert_eq!(at(32.93, 126.53), ["KR CONTIGUOUS_ZONE"]);
    assert_eq!(at(56.03, 6.53), ["DK EEZ"]);
    assert_eq!(at(56.8, 11.5), ["DK EEZ"]);
    // Off British Columbia: Canada's; the middle of the Pacific and dry land: no zone.
    assert_eq!(at(51.5, -133.5), ["CA EEZ"]);
    assert!(at(30.0, -160.3).is_empty());
    assert!(at(48.85, 2.35).is_empty(), "Paris is land");
    // Bands are disjoint: no point is in two zones of one state.
    for lat in (300..600).step_by(7) {
        for lon in (1200..1350).step_by(7) {
            let here = set.zones_at(lat as f64 / 10.0, lon as f64 / 10.0);
            assert!(here.len() <= 1, "{lat} {lon}: {:?}", here.iter().map(|z| &z.code).collect::<Vec<_>>());
        }
    }
}

/// The band index answers exactly what a full ray cast over every edge answers, on the
/// largest real polygon shipped (thousands of vertices).
#[test]
fn the_edge_bands_answer_like_a_full_scan_on_a_real_coastline() {
    let set = shipped(WORLD);
    let poly = set.zones.iter().flat_map(|z| &z.polygons).max_by_key(|p| p.rings.iter().map(Vec::len).sum::<usize>());
    let poly = poly.expect("polygons");
    let full = |x: f64, y: f64| {
        let mut inside = false;
        for ring in &poly.rings {
            let n = ring.len();
            let mut j = n - 1;
            for i in 0..n {
                let ((xi, yi), (xj, yj)) = (ring[i], ring[j]);
                if (yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi {
                    inside = !inside;
                }
                j = i;
            }
        }
        inside
    };
    let (x0, y0, x1, y1) = poly.bbox;
    let (mut hits, mut tried) = (0, 0);
    for i in 0..=97 {
        for j in 0..=89 {
            let (x, y) = (x0 + (x1 - x0) * i as f64 / 97.3, y0 + (y1 - y0) * j as f64 / 89.7);
            tried += 1;
            hits += usize::from(full(x, y));
            assert_eq!(poly.contains(x, y), full(x, y), "{x} {y}");
        }
    }
    assert!(hits > 0 && hits < tried, "the grid straddles the coastline: {hits} of {tried}");
}

/// A zone file as Marine Regions ships it (no `zone` property; `POL_TYPE`, alpha-3 codes).
#[test]
fn marine_regions_attributes_are_read() {
    let square = json!({"type": "Polygon", "coordinates": [[[125.0, 34.0], [127.0, 34.0], [127.0, 36.0], [125.0, 36.0], [125.0, 34.0]]]});
    let feature = |props: serde_json::Value| json!({"type": "Feature", "properties": props, "geometry": square});
    let doc = json!({"type": "FeatureCollection", "features": [
        feature(json!({"MRGID": 8327, "GEONAME": "Korean Exclusive Economic Zone", "POL_TYPE": "200NM", "ISO_TER1": "KOR", "ISO_SOV1": "KOR"})),
        feature(json!({"geoname": "Korean 12 NM", "pol_type": "12NM", "iso_sov1": "KOR"})),
        feature(json!({"GEONAME": "Joint regime area Japan / Korea", "POL_TYPE": "Joint regime", "ISO_SOV1": "JPN", "ISO_SOV2": "KOR"})),
        feature(json!({"GEONAME": "Greenland EEZ", "POL_TYPE": "200NM", "ISO_TER1": "GRL", "ISO_SOV1": "DNK"})),
    ]});
    let set = ZoneSet::from_geojson(&doc.to_string()).expect("Marine Regions attributes");
    let got: Vec<_> = set
        .zones
        .iter()
        .map(|z| (z.class.clone(), z.countries.join(","), z.name.clone().unwrap_or_default()))
        .collect();
    assert_eq!(
        got,
        [
            (ZoneClass::Eez, "KR".to_string(), "Korean Exclusive Economic Zone".to_string()),
            (ZoneClass::TerritorialSea, "KR".to_string(), "Korean 12 NM".to_string()),
            (ZoneClass::Eez, "JP,KR".to_string(), "Joint regime area Japan / Korea".to_string()),
            (ZoneClass::Eez, "GL,DK".to_string(), "Greenland EEZ".to_string()),
        ]
    );
    assert!(set.zones.iter().all(|z| !z.approximate));
    let unknown =
        json!({"type": "Feature", "properties": {"POL_TYPE": "Disputed", "ISO_SOV1": "KOR"}, "geometry": square});
    let err = ZoneSet::from_geojson(&unknown.to_string()).expect_err("unknown POL_TYPE");
    assert!(err.to_string().contains("feature 0") && err.to_string().contains("Disputed"), "{err}");
    let neither = json!({"type": "Feature", "properties": {"GEONAME": "x"}, "geometry": square});
    let err = ZoneSet::from_geojson(&neither.to_string()).expect_err("no zone");
    assert!(err.to_string().contains("no `zone` property"), "{err}");
}

#[test]
fn the_kitimat_demo_zones() {
    let set = shipped("kitimat_demo.geojson");
    assert!(set.zones.iter().all(|z| z.name.as_deref().is_some_and(|n| n.contains("ILLUSTRATIVE"))));
    assert_eq!(set.classify(54.01, -128.68), Some(ZoneClass::Port), "Kitimat");
    assert_eq!(set.classify(53.425, -129.255), Some(ZoneClass::Port), "Hartley Bay, in the special zone's hole");
    assert_eq!(set.zones_at(53.425, -129.255).len(), 1, "the hole keeps the special zone out of the harbour");
    assert_eq!(set.classify(53.3, -129.2), Some(ZoneClass::Special("KITIMAT_DEMO".into())));
    assert_eq!(set.classify(53.5, -129.6), None);
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).single().expect("time")
}

/// A fishing vessel at 35N sailing east at 0.01 degree per 10 minutes from `lon0`, one
/// position every 10 minutes for `n` positions.
fn eastward(id: &str, lon0: f64, n: i64) -> Track {
    of_type(id, lon0, n, Some(ShipType(30)))
}

fn of_type(id: &str, lon0: f64, n: i64, ship_type: Option<ShipType>) -> Track {
    Track {
        vessel: VesselId::new(id),
        static_data: StaticData { ship_type, ..StaticData::default() },
        positions: (0..n)
            .map(|k| Position {
                vessel: VesselId::new(id),
                timestamp: t0() + Duration::minutes(10 * k),
                lat: 35.0,
                lon: lon0 + 0.01 * k as f64,
                sog: Some(8.0),
                cog: Some(90.0),
                heading: Some(90.0),
                nav_status: Some(NavStatus(0)),
            })
            .collect(),
    }
}

/// Korean zones east of 125E: EEZ from 125E, contiguous zone from 125.2E, territorial
/// sea from 125.3E (synthetic boxes; only the nesting matters here).
fn korean_boxes() -> ZoneSet {
    let f = |zone: &str, lon0: f64| {
        json!({"type": "Feature", "properties": {"zone": zone, "country": "KR"},
               "geometry": {"type": "Polygon", "coordinates": [[[lon0, 34.0], [127.0, 34.0], [127.0, 36.0], [lon0, 36.0], [lon0, 34.0]]]}})
    };
    let doc = json!({"type": "FeatureCollection", "features": [f("EEZ", 125.0), f("CONTIGUOUS_ZONE", 125.2), f("TERRITORIAL_SEA", 125.3)]});
    ZoneSet::from_geojson(&doc.to_string()).expect("zones")
}

fn run(tracks: &[Track], zones: &ZoneSet, registry: Option<&Registry>, over: serde_json::Value) -> Vec<Finding> {
    let history = DarkHistoryIndex::default();
    let input = CycleInput {
        window_start: t0() - Duration::hours(1),
        window_end: t0() + Duration::days(2),
        tracks,
        registry,
        dark_history: &history,
        identities: lookout_detect::IdentityHistory::empty(),
        zones: Some(zones),
        segmentation: None,
        observation: None,
        places: None,
    };
    let d = ZonesDetector;
    let params = d.merge_params(&d.default_params(), &over).expect("params");
    d.run(&input, &params, &Upstream::default()).expect("runs")
}

fn summary(found: &[Finding]) -> Vec<(String, String, Option<i64>, String)> {
    found
        .iter()
        .map(|f| {
            (f.vessel.to_string(), f.evidence["zone"].as_str().unwrap_or("").to_string(), f.score, f.level.clone())
        })
        .collect()
}

#[test]
fn episodes_enter_and_exit() {
    let zones = korean_boxes();
    // From 124.95E: outside for 5 positions, then inside the EEZ from 125.0E... 126.9E.
    let t = eastward("412000001", 124.95, 40);
    let eps = episodes(&t, &zones);
    let by_zone: Vec<(usize, i64, bool)> = eps.iter().map(|e| (e.zone, e.positions as i64, e.exit.is_some())).collect();
    // Entered in order EEZ (125.0E), contiguous zone (125.2E), territorial sea (125.3E),
    // each at the first position at or past its edge (a point on the edge may count
    // either way); none exited.
    assert_eq!(by_zone.iter().map(|(z, _, _)| *z).collect::<Vec<_>>(), [0, 1, 2]);
    assert!(by_zone.iter().all(|(_, _, exited)| !exited));
    for (e, edge) in eps.iter().zip([125.0, 125.2, 125.3]) {
        assert!(e.enter.lon > edge - 0.011 && e.enter.lon < edge + 0.011, "{} vs {edge}", e.enter.lon);
    }
    assert_eq!(eps[2].positions as i64, 40 - eps[2].enter.timestamp.signed_duration_since(t0()).num_minutes() / 10);
    // Leaving: a track that turns back west exits all three.
    let mut back = eastward("412000001", 125.25, 6);
    let first = back.positions[0].clone();
    back.positions.extend((1..=4).map(|k| Position {
        timestamp: t0() + Duration::minutes(50 + 10 * k),
        lon: 125.30 - 0.1 * k as f64,
        ..first.clone()
    }));
    let eps = episodes(&back, &zones);
    assert!(eps.iter().all(|e| e.exit.is_some()), "{eps:?}");
}

#[test]
fn intrusions_by_zone_flag_and_permit() {
    let zones = korean_boxes();
    let inside = |id: &str, lon: f64| eastward(id, lon, 3);
    let found = run(
        &[
            inside("412000001", 125.05), // Chinese (MID 412) in the EEZ only
            inside("412000002", 125.25), // in EEZ and contiguous zone
            inside("412000003", 125.5),  // all three
            inside("440000001", 125.5),  // Korean: own zones
            inside("vid-9", 125.5),      // opaque id, no registry: flag unknown
        ],
        &zones,
        None,
        serde_json::Value::Null,
    );
    let s = summary(&found);
    let expect = |v: &str, z: &str, sc: i64, l: &str| (v.to_string(), z.to_string(), Some(sc), l.to_string());
    assert_eq!(
        s,
        vec![
            expect("412000001", "EEZ", 50, "HIGH"),
            expect("412000002", "EEZ", 50, "HIGH"),
            expect("412000002", "CONTIGUOUS_ZONE", 60, "HIGH"),
            expect("412000003", "EEZ", 50, "HIGH"),
            expect("412000003", "CONTIGUOUS_ZONE", 60, "HIGH"),
            expect("412000003", "TERRITORIAL_SEA", 80, "CRITICAL"),
            expect("vid-9", "EEZ", 20, "LOW"),
            expect("vid-9", "CONTIGUOUS_ZONE", 30, "MEDIUM"),
            expect("vid-9", "TERRITORIAL_SEA", 50, "HIGH"),
        ]
    );
    assert_eq!(found[5].evidence["flag"], "CN");
    assert_eq!(found[5].evidence["flag_source"], "mid");
    assert_eq!(found[5].breakdown[0].pattern, "territorial_sea_intrusion");
    // A permit, or a registry flag of the zone's country, clears the vessel.
    let mut reg = Registry::default();
    reg.entries.insert("412000003".into(), RegistryEntry { permitted: true, ..Default::default() });
    reg.entries.insert("vid-9".into(), RegistryEntry { flag: Some("kr".into()), ..Default::default() });
    let found = run(&[inside("412000003", 125.5), inside("vid-9", 125.5)], &zones, Some(&reg), serde_json::Value::Null);
    assert!(found.is_empty(), "{:?}", summary(&found));
}

/// Ships in passage: a known non-fishing type is not judged in a territorial sea,
/// contiguous zone or EEZ (still in a special zone); an unknown type is, with `type_unknown`.
#[test]
fn passage_rights_by_ship_type() {
    let mut zones = korean_boxes();
    let pmz = json!({"type": "Feature", "properties": {"zone": "ZONE_TEST", "country": "KR"},
        "geometry": {"type": "Polygon", "coordinates": [[[125.4, 34.5], [126.0, 34.5], [126.0, 35.5], [125.4, 35.5], [125.4, 34.5]]]}});
    zones.extend(ZoneSet::from_geojson(&pmz.to_string()).expect("zone"));
    let cargo = of_type("412000005", 125.5, 3, Some(ShipType(70)));
    let unknown = of_type("412000006", 125.5, 3, None);
    let found = run(&[cargo.clone(), unknown], &zones, None, serde_json::Value::Null);
    let expect = |v: &str, z: &str, sc: i64, l: &str| (v.to_string(), z.to_string(), Some(sc), l.to_string());
    assert_eq!(
        summary(&found),
        vec![
            expect("412000005", "ZONE_TEST", 40, "MEDIUM"),
            expect("412000006", "EEZ", 10, "LOW"),
            expect("412000006", "CONTIGUOUS_ZONE", 20, "LOW"),
            expect("412000006", "TERRITORIAL_SEA", 40, "MEDIUM"),
            expect("412000006", "ZONE_TEST", 40, "MEDIUM"),
        ]
    );
    assert!(found[3].breakdown.iter().any(|b| b.pattern == "type_unknown"));
    assert!(found[4].breakdown.iter().all(|b| b.pattern != "type_unknown"), "special zones judge every type");
    let judged = run(&[cargo], &zones, None, json!({"passage_exempt": false}));
    assert_eq!(summary(&judged).iter().map(|s| s.2).collect::<Vec<_>>(), [Some(50), Some(60), Some(80), Some(40)]);
}

#[test]
fn long_stay_and_minimum_duration_edges() {
    let zones = korean_boxes();
    // 37 positions 10 minutes apart = 6 h 0 min inside: long stay; 36 = 5 h 50: not.
    let six = run(&[eastward("412000001", 125.05, 37)], &zones, None, serde_json::Value::Null);
    assert_eq!(six[0].breakdown.iter().map(|b| b.pattern.as_str()).collect::<Vec<_>>(), ["eez_intrusion", "long_stay"]);
    assert_eq!(six[0].score, Some(60));
    let under = run(&[eastward("412000001", 125.05, 36)], &zones, None, serde_json::Value::Null);
    assert_eq!(under[0].score, Some(50));
    // min_inside_min 20: two positions (10 min) are too short, three (20 min) are enough.
    let over = json!({"min_inside_min": 20});
    assert!(run(&[eastward("412000001", 125.05, 2)], &zones, None, over.clone()).is_empty());
    assert_eq!(run(&[eastward("412000001", 125.05, 3)], &zones, None, over).len(), 1);
}

#[test]
fn without_zones_nothing_is_found() {
    let history = DarkHistoryIndex::default();
    let tracks = [eastward("412000001", 125.05, 3)];
    let input = CycleInput {
        window_start: t0() - Duration::hours(1),
        window_end: t0() + Duration::days(1),
        tracks: &tracks,
        registry: None,
        dark_history: &history,
        identities: lookout_detect::IdentityHistory::empty(),
        zones: None,
        segmentation: None,
        observation: None,
        places: None,
    };
    let d = ZonesDetector;
    assert!(d.run(&input, &d.default_params(), &Upstream::default()).expect("runs").is_empty());
}

#[test]
fn the_zone_set_feeds_p2_of_the_dark_score() {
    // A fishing vessel under way goes silent for 3 h inside the PMZ (special zone,
    // +15), then the same gap in the open sea east of it.
    let pmz = shipped("korea_china_pmz.geojson");
    let gap_track = |lon: f64| {
        let mut t = eastward("412000001", lon, 7);
        t.static_data.ship_type = Some(ShipType(30));
        let last = t.positions[6].clone();
        t.positions.push(Position { timestamp: last.timestamp + Duration::hours(3), ..last });
        t
    };
    let patterns = |t: &Track| {
        let ctx = DarkContext {
            permitted: false,
            history: DarkHistory::default(),
            local_hour: 12,
            zones: Some(&pmz as &dyn ZoneClassifier),
        };
        dark_finding(t, &ctx, &DarkParams::default())
            .map(|f| f.breakdown.iter().map(|b| b.pattern.clone()).collect::<Vec<_>>())
            .unwrap_or_default()
    };
    assert!(patterns(&gap_track(123.5)).contains(&"special_zone".to_string()));
    assert!(!patterns(&gap_track(125.5)).contains(&"special_zone".to_string()));
}
