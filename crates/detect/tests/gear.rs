//! Fishing gear: recognition, parent inference (every status) and violations G01-G06,
//! each just inside and just outside its threshold.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, TimeZone, Utc};
use lookout_detect::encounters::gear::{gear_findings, infer, name_key, recognise, GearParams, ParentStatus};
use lookout_detect::encounters::grid::EARTH_RADIUS_M;
use lookout_detect::{parse_registry, CycleInput, DarkHistoryIndex, ZoneClass, ZoneClassifier};
use lookout_model::{Finding, Position, ShipKind, ShipType, StaticData, Track, VesselId};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).single().expect("time")
}

const LAT: f64 = 35.0;
const LON: f64 = 125.5;

fn north(metres: f64) -> f64 {
    LAT + (metres / EARTH_RADIUS_M).to_degrees()
}

/// `id` named `name` holding `(lat, LON)` from `from_min` to `to_min`, every 10 minutes.
fn at(id: &str, name: &str, ship_type: Option<u16>, lat: f64, from_min: i64, to_min: i64) -> Track {
    let mut mins: Vec<i64> = (from_min..=to_min).step_by(10).collect();
    if mins.last() != Some(&to_min) {
        mins.push(to_min);
    }
    Track {
        vessel: VesselId::new(id),
        static_data: StaticData {
            name: (!name.is_empty()).then(|| name.to_string()),
            ship_type: ship_type.map(ShipType),
            ..Default::default()
        },
        positions: mins
            .into_iter()
            .map(|m| Position {
                vessel: VesselId::new(id),
                timestamp: t0() + Duration::minutes(m),
                lat,
                lon: LON,
                sog: Some(0.2),
                cog: None,
                heading: None,
                nav_status: None,
            })
            .collect(),
    }
}

fn input<'a>(tracks: &'a [Track], h: &'a DarkHistoryIndex) -> CycleInput<'a> {
    CycleInput {
        window_start: t0() - Duration::hours(1),
        window_end: t0() + Duration::days(2),
        tracks,
        registry: None,
        dark_history: h,
        identities: lookout_detect::IdentityHistory::empty(),
        zones: None,
        segmentation: None,
        observation: None,
        places: None,
    }
}

fn codes(f: &[Finding]) -> Vec<(String, String)> {
    f.iter().map(|f| (f.vessel.as_str().to_string(), f.level.clone())).collect()
}

#[test]
fn recognition_signals() {
    let p = GearParams::default();
    let known: BTreeSet<String> = ["DAEHO", "SEAWIND7"].iter().map(|s| name_key(s)).collect();
    let sig = |id: &str, name: &str, kind: Option<ShipKind>| {
        recognise(&at(id, name, None, LAT, 0, 10), kind, &known, &p).map(|s| (s.signals, s.base_name, s.battery_pct))
    };
    assert_eq!(
        sig("440000101", "Daeho 12%", None),
        Some((vec!["battery_suffix".to_string()], Some("DAEHO".to_string()), Some(12)))
    );
    assert_eq!(sig("440000102", "DAEHO_BUOY", None).map(|s| s.1), Some(Some("DAEHO".to_string())));
    assert_eq!(
        sig("440000103", "DAEHO-1", None).map(|s| s.0),
        Some(vec!["index_suffix".to_string(), "index_matches_vessel".to_string()])
    );
    // An index alone is weak: `KOSCO-1` with no vessel KOSCO is a ship name.
    assert_eq!(sig("440000104", "KOSCO-1", None), None);
    // ... and a cargo vessel is never gear, whatever its name.
    assert_eq!(sig("440000105", "DAEHO 12%", Some(ShipKind::Cargo)), None);
    assert_eq!(sig("981234567", "", None).map(|s| s.0), Some(vec!["mmsi_98".to_string()]));
    assert_eq!(sig("991234567", "ANY", None).map(|s| s.0), Some(vec!["mmsi_99".to_string()]));
    // A non-standard MMSI (first digit 1) plus an index suffix: two weak signals.
    assert_eq!(
        sig("123456789", "NETTER 3", None).map(|s| s.0),
        Some(vec!["index_suffix".to_string(), "nonstandard_mmsi".to_string()])
    );
    assert_eq!(sig("440000106", "DAEHO", None), None);
    assert_eq!(sig("440000107", "SEAWIND 7", None), None, "a vessel named with a number is no gear");
    assert_eq!(sig("440000108", "DAEHO 101%", None), None, "not a battery level");
}

#[test]
fn direct_match_auto_promoted_review_and_unresolved() {
    let h = DarkHistoryIndex::default();
    let p = GearParams::default();
    // DIRECT_MATCH: the name points to a vessel (even far away).
    let tracks = vec![
        at("440000001", "DAEHO", Some(30), north(50_000.0), 0, 120),
        at("981000001", "DAEHO 55%", None, LAT, 0, 120),
    ];
    let g = infer(&input(&tracks, &h), &p);
    assert_eq!(g.len(), 1);
    assert_eq!((g[0].status, g[0].parent.as_deref()), (ParentStatus::DirectMatch, Some("440000001")));
    // AUTO_PROMOTED: unknown name, one vessel within 2 km on 13 ticks; another within
    // 2 km on 2 ticks only (below 3): one strong candidate.
    let tracks = vec![
        at("440000001", "A", Some(30), north(1_999.0), 0, 120),
        at("440000002", "B", Some(30), north(-1_500.0), 0, 10),
        at("981000001", "NOBODY 40%", None, LAT, 0, 120),
    ];
    let g = infer(&input(&tracks, &h), &p);
    assert_eq!((g[0].status, g[0].parent.as_deref()), (ParentStatus::AutoPromoted, Some("440000001")));
    assert_eq!(g[0].candidates.len(), 2);
    assert_eq!((g[0].candidates[0].ticks_together, g[0].candidates[1].ticks_together), (13, 2));
    // 2001 m: outside the radius; the weak one alone -> REVIEW_REQUIRED.
    let tracks = vec![
        at("440000001", "A", Some(30), north(2_001.0), 0, 120),
        at("440000002", "B", Some(30), north(-1_500.0), 0, 10),
        at("981000001", "NOBODY 40%", None, LAT, 0, 120),
    ];
    let g = infer(&input(&tracks, &h), &p);
    assert_eq!((g[0].status, g[0].candidates.len()), (ParentStatus::ReviewRequired, 1));
    // Two equal candidates: REVIEW_REQUIRED with both listed.
    let tracks = vec![
        at("440000001", "A", Some(30), north(500.0), 0, 120),
        at("440000002", "B", Some(30), north(-500.0), 0, 120),
        at("981000001", "NOBODY 40%", None, LAT, 0, 120),
    ];
    let g = infer(&input(&tracks, &h), &p);
    assert_eq!((g[0].status, g[0].candidates.len(), g[0].parent.clone()), (ParentStatus::ReviewRequired, 2, None));
    // Twice the runner-up's ticks wins: 13 against 6 (13 against 7 would not).
    let tracks = vec![
        at("440000001", "A", Some(30), north(500.0), 0, 120),
        at("440000002", "B", Some(30), north(-500.0), 70, 120),
        at("981000001", "NOBODY 40%", None, LAT, 0, 120),
    ];
    let g = infer(&input(&tracks, &h), &p);
    assert_eq!((g[0].status, g[0].parent.as_deref()), (ParentStatus::AutoPromoted, Some("440000001")));
    // Nobody: UNRESOLVED.
    let tracks = vec![at("981000001", "NOBODY 40%", None, LAT, 0, 120)];
    let g = infer(&input(&tracks, &h), &p);
    assert_eq!((g[0].status, g[0].candidates.len()), (ParentStatus::Unresolved, 0));
}

#[test]
fn g02_unattributed_for_6_hours() {
    let h = DarkHistoryIndex::default();
    let p = GearParams::default();
    let f = gear_findings(&input(&[at("981000001", "NOBODY 40%", None, LAT, 0, 361)], &h), &p);
    assert_eq!(codes(&f), [("981000001".into(), "UNRESOLVED".into()), ("981000001".into(), "G02".into())]);
    assert_eq!(f[1].evidence["violation"], "G02");
    assert_eq!(f[1].evidence["parent_status"], "UNRESOLVED");
    let f = gear_findings(&input(&[at("981000001", "NOBODY 40%", None, LAT, 0, 359)], &h), &p);
    assert_eq!(codes(&f), [("981000001".into(), "UNRESOLVED".into())]);
}

#[test]
fn g03_closed_season() {
    let h = DarkHistoryIndex::default();
    let mut p = GearParams::default();
    let tracks = vec![at("440000001", "DAEHO", Some(30), LAT, 0, 60), at("981000001", "DAEHO 40%", None, LAT, 0, 60)];
    p.closed_months = vec![6];
    assert!(gear_findings(&input(&tracks, &h), &p).iter().all(|f| f.level != "G03"));
    p.closed_months = vec![5];
    let f = gear_findings(&input(&tracks, &h), &p);
    let g03 = f.iter().find(|f| f.level == "G03").expect("G03");
    assert_eq!((g03.evidence["month"].as_u64(), g03.score), (Some(5), Some(50)));
}

#[test]
fn g04_more_gear_than_allowed() {
    let h = DarkHistoryIndex::default();
    let p = GearParams { max_gear_per_parent: 2, ..GearParams::default() };
    let mut tracks = vec![at("440000001", "DAEHO", Some(30), LAT, 0, 60)];
    for i in 1..=2 {
        tracks.push(at(&format!("98100000{i}"), &format!("DAEHO-{i}"), None, LAT, 0, 60));
    }
    assert!(gear_findings(&input(&tracks, &h), &p).iter().all(|f| f.level != "G04"));
    tracks.push(at("981000003", "DAEHO-3", None, LAT, 0, 60));
    let f = gear_findings(&input(&tracks, &h), &p);
    let g04 = f.iter().find(|f| f.level == "G04").expect("G04");
    assert_eq!(g04.vessel.as_str(), "440000001");
    assert_eq!(g04.evidence["gear_count"], 3);
    assert_eq!(g04.evidence["gear"], serde_json::json!(["981000001", "981000002", "981000003"]));
}

#[test]
fn g05_abandoned_gear() {
    let h = DarkHistoryIndex::default();
    let p = GearParams::default();
    let g05 = |tracks: &[Track]| {
        gear_findings(&input(tracks, &h), &p)
            .into_iter()
            .find(|f| f.level == "G05")
            .map(|f| f.evidence["parent_state"]["state"].clone())
    };
    // Stationary 12 h 10 with its parent 15 km away at the end: abandoned.
    let far = vec![
        at("440000001", "DAEHO", Some(30), north(15_000.0), 0, 730),
        at("981000001", "DAEHO 40%", None, LAT, 0, 730),
    ];
    assert_eq!(g05(&far), Some(serde_json::json!("far")));
    // Parent 1 km away: tended, not abandoned.
    let near = vec![
        at("440000001", "DAEHO", Some(30), north(1_000.0), 0, 730),
        at("981000001", "DAEHO 40%", None, LAT, 0, 730),
    ];
    assert_eq!(g05(&near), None);
    // Parent silent since 00:30, 12 h 10 before the gear's last report (12:40).
    let silent = vec![
        at("440000001", "DAEHO", Some(30), north(1_000.0), 0, 30),
        at("981000001", "DAEHO 40%", None, LAT, 0, 760),
    ];
    assert_eq!(g05(&silent), Some(serde_json::json!("silent")));
    // Stationary only 11 h 50: not yet.
    let short = vec![
        at("440000001", "DAEHO", Some(30), north(15_000.0), 0, 710),
        at("981000001", "DAEHO 40%", None, LAT, 0, 710),
    ];
    assert_eq!(g05(&short), None);
    // A drifting gear (moved 300 m) is not stationary.
    let mut drift = far.clone();
    if let Some(last) = drift[1].positions.last_mut() {
        last.lat = north(300.0);
    }
    assert_eq!(g05(&drift), None);
}

/// Waters north of 35.01 N are territorial sea, a box east of 125.6 E is a closed zone.
struct Waters;

impl ZoneClassifier for Waters {
    fn classify(&self, lat: f64, lon: f64) -> Option<ZoneClass> {
        if lon > 125.6 {
            Some(ZoneClass::Special("ZONE_CLOSED".into()))
        } else if lat > 35.01 {
            Some(ZoneClass::TerritorialSea)
        } else {
            Some(ZoneClass::Eez)
        }
    }
}

#[test]
fn g01_and_g06_through_the_zone_hook() {
    let h = DarkHistoryIndex::default();
    let p = GearParams { prohibited_zones: vec!["ZONE_CLOSED".into()], ..GearParams::default() };
    let mut gear = at("981000001", "DAEHO 40%", None, LAT, 0, 60);
    let tracks = vec![at("440000001", "DAEHO", Some(30), LAT, 0, 60), gear.clone()];
    let zones = Waters;
    let mut inp = input(&tracks, &h);
    inp.zones = Some(&zones);
    assert!(gear_findings(&inp, &p).iter().all(|f| f.level != "G01"));
    gear.positions[3].lon = 125.61;
    let tracks = vec![at("440000001", "DAEHO", Some(30), LAT, 0, 60), gear];
    inp.tracks = &tracks;
    let f = gear_findings(&inp, &p);
    let g01 = f.iter().find(|f| f.level == "G01").expect("G01");
    assert_eq!((g01.evidence["zone"].as_str(), g01.severity), (Some("ZONE_CLOSED"), lookout_model::Severity::High));
    // G06: the parent is foreign and unpermitted, the gear in the EEZ.
    let reg = parse_registry("mmsi,permitted,flag\n440000001,no,CN\n").expect("registry");
    inp.registry = Some(&reg);
    let f = gear_findings(&inp, &p);
    assert_eq!(f.iter().find(|f| f.level == "G06").map(|f| f.evidence["zone"].clone()), Some(serde_json::json!("EEZ")));
    // A home-flagged or permitted parent: no G06.
    for text in ["mmsi,permitted,flag\n440000001,no,KR\n", "mmsi,permitted,flag\n440000001,yes,CN\n"] {
        let reg = parse_registry(text).expect("registry");
        let other = CycleInput { registry: Some(&reg), ..inp };
        assert!(gear_findings(&other, &p).iter().all(|f| f.level != "G06"), "{text}");
    }
    // Without zones: neither G01 nor G06.
    inp.zones = None;
    let reg = parse_registry("mmsi,permitted,flag\n440000001,no,CN\n").expect("registry");
    inp.registry = Some(&reg);
    assert!(gear_findings(&inp, &p).iter().all(|f| f.level != "G01" && f.level != "G06"));
}
