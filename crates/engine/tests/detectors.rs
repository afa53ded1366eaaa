//! Compliance suite for every registered detector: the same fixtures through each,
//! deterministic output, no panic on empty input, params that round-trip.

use std::collections::BTreeMap;

use chrono::{Duration, TimeZone, Utc};
use lookout_detect::zones::ZoneSet;
use lookout_detect::{CycleInput, DarkHistoryIndex, Upstream, ZoneClassifier, ALGORITHMS};
use lookout_model::{NavStatus, Position, ShipType, StaticData, Track, VesselId};

fn track(id: &str, gap_min: i64) -> Track {
    let t0 = Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).single().expect("time");
    let mut positions = Vec::new();
    for m in (0..600).step_by(10).filter(|m| *m <= 60 || *m >= 60 + gap_min) {
        positions.push(Position {
            vessel: VesselId::new(id),
            timestamp: t0 + Duration::minutes(m),
            lat: 35.0,
            lon: 125.0 + m as f64 * 0.001,
            sog: Some(8.0),
            cog: Some(90.0),
            heading: Some(90.0),
            nav_status: Some(NavStatus(0)),
        });
    }
    Track {
        vessel: VesselId::new(id),
        static_data: StaticData { ship_type: Some(ShipType(30)), ..Default::default() },
        positions,
    }
}

/// A vessel of `ship_type` holding `(lat, lon)` at `sog` knots for ten hours, reporting
/// every 5 minutes (cross-vessel detectors: encounters, loitering).
fn holding(id: &str, ship_type: u16, lat: f64, lon: f64, sog: f64) -> Track {
    let t0 = Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).single().expect("time");
    let positions = (0..=600)
        .step_by(5)
        .map(|m| Position {
            vessel: VesselId::new(id),
            timestamp: t0 + Duration::minutes(m),
            lat,
            lon,
            sog: Some(sog),
            cog: Some(90.0),
            heading: Some(90.0),
            nav_status: Some(NavStatus(0)),
        })
        .collect();
    Track {
        vessel: VesselId::new(id),
        static_data: StaticData { ship_type: Some(ShipType(ship_type)), ..Default::default() },
        positions,
    }
}

/// A fishing vessel steaming east at 3 kn for ten hours from `(lat, 127.0)` (pair trawl).
fn towing(id: &str, lat: f64) -> Track {
    let t0 = Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).single().expect("time");
    let mut t = holding(id, 30, lat, 127.0, 3.0);
    let deg_per_min = (3.0 * 1852.0 / 60.0 / (6_371_008.8 * lat.to_radians().cos())).to_degrees();
    for p in &mut t.positions {
        p.lon = 127.0 + (p.timestamp - t0).num_minutes() as f64 * deg_per_min;
    }
    t
}

/// Two transmitters 60 nm apart sharing one id, reporting alternately (segments).
fn shared_id(id: &str) -> Track {
    let mut shared = track(id, 0);
    let far: Vec<Position> = shared
        .positions
        .iter()
        .map(|p| Position { lat: p.lat + 1.0, timestamp: p.timestamp + Duration::minutes(5), ..p.clone() })
        .collect();
    shared.positions.extend(far);
    shared.positions.sort_by_key(|p| p.timestamp);
    shared
}

/// Six vessels in one 0.5-degree cell, all silent 03:00-05:00 while the other fixtures
/// keep reporting: a receiver outage (reception).
fn receiver_down(k: usize) -> Track {
    let mut t = holding(&format!("44000003{k}"), 30, 34.2 + 0.01 * k as f64, 123.2, 0.5);
    let t0 = Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).single().expect("time");
    t.positions.retain(|p| p.timestamp < t0 + Duration::hours(3) || p.timestamp >= t0 + Duration::hours(5));
    t
}

#[test]
fn every_detector_is_deterministic_total_and_round_trips_its_params() {
    let t0 = Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).single().expect("time");
    let tracks = vec![
        track("440000001", 130),
        track("440000002", 300),
        track("440000003", 0),
        // A reefer and a fishing vessel meeting for ten hours 200 m apart, far offshore.
        holding("440000010", 77, 36.0, 126.0, 0.5),
        holding("440000011", 30, 36.0018, 126.0, 0.5),
        // Two fishing vessels towing in parallel 400 m apart; a net buoy named for a vessel.
        towing("440000020", 35.5),
        towing("440000021", 35.5036),
        {
            let mut buoy = holding("981000001", 30, 35.4, 127.2, 0.1);
            buoy.static_data.name = Some("SEAWIND 55%".into());
            buoy
        },
        shared_id("440000004"),
    ]
    .into_iter()
    .chain((0..6).map(receiver_down))
    .collect::<Vec<_>>();
    let history = DarkHistoryIndex {
        starts: BTreeMap::from([("440000001".to_string(), vec![t0 - Duration::days(1), t0 - Duration::hours(30)])]),
    };
    // An EEZ of another country over the fixtures: the `zones` rule and P2 see it.
    let zones = ZoneSet::from_geojson(
        r#"{"type": "Feature", "properties": {"zone": "EEZ", "country": "CN"},
            "geometry": {"type": "Polygon", "coordinates": [[[124.5, 34.5], [126.5, 34.5], [126.5, 36.5], [124.5, 36.5], [124.5, 34.5]]]}}"#,
    )
    .expect("zones");
    let input = CycleInput {
        window_start: t0,
        window_end: t0 + Duration::hours(10),
        tracks: &tracks,
        registry: None,
        dark_history: &history,
        identities: lookout_detect::IdentityHistory::empty(),
        zones: Some(&zones as &(dyn ZoneClassifier + Sync)),
        segmentation: None,
        observation: None,
        places: None,
    };
    let empty = CycleInput { tracks: &[], ..input };
    assert!(ALGORITHMS.len() >= 2);
    let mut codes = Vec::new();
    for d in ALGORITHMS {
        codes.push(d.code());
        let defaults = d.default_params();
        // Params: defaults → merge of nothing → the same JSON; merging the defaults over
        // themselves changes nothing; the schema names every default key.
        assert_eq!(d.merge_params(&defaults, &serde_json::Value::Null).ok().as_ref(), Some(&defaults), "{}", d.code());
        assert_eq!(d.merge_params(&defaults, &defaults).ok().as_ref(), Some(&defaults), "{}", d.code());
        let schema = d.params_schema();
        for key in defaults.as_object().expect("params are an object").keys() {
            assert!(schema["properties"].get(key).is_some(), "{}: schema lacks {key}", d.code());
        }
        assert!(d.merge_params(&defaults, &serde_json::json!({"no_such_key": 1})).is_err(), "{}", d.code());
        assert!(!d.name().ko.is_empty() && !d.name().en.is_empty() && !d.description().en.is_empty());

        let up = Upstream::default();
        let a = d.run(&input, &defaults, &up).expect("runs");
        let b = d.run(&input, &defaults, &up).expect("runs");
        assert_eq!(serde_json::to_string(&a).ok(), serde_json::to_string(&b).ok(), "{} is deterministic", d.code());
        assert!(!a.is_empty(), "{} finds something in the fixtures", d.code());
        assert!(a.iter().all(|f| f.detector == d.code()));
        assert_eq!(d.run(&empty, &defaults, &up).expect("empty input").len(), 0, "{}", d.code());
        assert_eq!(d.entities_in(&empty, &up), 0);
    }
    let mut unique = codes.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), codes.len(), "codes are unique");
}
