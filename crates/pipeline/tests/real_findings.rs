//! The pipeline over findings made by the real detectors (`lookout-detect`), not
//! fixtures: the evidence conventions the event rules read must match what they emit.

use chrono::TimeZone;
use lookout_detect::{detect_track, DarkContext, DarkHistory, DarkParams};
use lookout_model::{NavStatus, Position, Severity, ShipType, StaticData, Track, VesselId};
use lookout_pipeline::event::generate;
use lookout_pipeline::stats::detections;
use lookout_pipeline::{Category, CycleWindow, EventRules, ViolationLabel};

fn pos(min: i64, lat: f64, lon: f64, sog: f64) -> Position {
    Position {
        vessel: VesselId::new("440000001"),
        timestamp: chrono::Utc.timestamp_opt(1_700_000_000 + min * 60, 0).single().expect("time"),
        lat,
        lon,
        sog: Some(sog),
        cog: Some(90.0),
        heading: Some(90.0),
        nav_status: Some(NavStatus(0)),
    }
}

#[test]
fn a_real_dark_finding_and_its_gap_make_one_dark_vessel_event() {
    // A fishing vessel at 8 kn goes silent for 25 h inside the coverage box.
    let track = Track {
        vessel: VesselId::new("440000001"),
        static_data: StaticData { ship_type: Some(ShipType(30)), ..Default::default() },
        positions: vec![pos(0, 35.0, 128.0, 8.0), pos(10, 35.0, 128.02, 8.0), pos(10 + 25 * 60, 35.4, 128.9, 8.0)],
    };
    let params = DarkParams::default();
    let ctx = DarkContext { permitted: false, history: DarkHistory::default(), local_hour: 12, zones: None };
    let findings = detect_track(&track, &ctx, &params);
    let detectors: Vec<(&str, &str)> = findings.iter().map(|f| (f.detector.as_str(), f.level.as_str())).collect();
    assert_eq!(detectors, [("gaps", "VIOLATION"), ("dark_suspicion", "CRITICAL")]);

    let end = track.positions[2].timestamp;
    let window = CycleWindow { start: end - chrono::Duration::hours(30), end };
    let tz = lookout_pipeline::zone::parse_tz("Asia/Seoul").expect("tz");
    let out = generate(&[], window, &findings, &EventRules::default(), &tz, end);
    assert_eq!(out.created, 1);
    let e = &out.events[0];
    assert_eq!(e.category, Category::DarkVessel);
    assert_eq!(e.level, Severity::Critical);
    assert_eq!(e.area, "N35E128", "read from the dark finding's gap_start");
    assert_eq!(e.episode_start, track.positions[1].timestamp);
    assert_eq!(e.labels, [ViolationLabel::Dark]);
    assert_eq!(e.score, findings[1].score);
    assert!(!e.breakdown.is_empty());

    let ds = detections(window, &findings);
    assert_eq!(ds.len(), 1);
    assert_eq!((ds[0].risk_level, ds[0].labels.clone()), (Severity::Critical, vec!["DARK".to_string()]));
}
