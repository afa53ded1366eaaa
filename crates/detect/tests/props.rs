//! Property tests: the detectors never panic on arbitrary point sets.

use lookout_detect::{analyze_dark_pattern, detect_gaps, DarkParams, GapThresholds, OraclePoint};
use proptest::prelude::*;

fn point() -> impl Strategy<Value = OraclePoint> {
    (
        0i64..200_000,
        prop_oneof![Just(f64::NAN), -90.0..90.0f64],
        -180.0..180.0f64,
        prop_oneof![Just(f64::NAN), Just(0.0), 0.0..30.0f64],
        prop_oneof![Just(0.0), Just(f64::NAN), 0.0..30.0f64],
    )
        .prop_map(|(t, lat, lon, sog, raw_sog)| OraclePoint {
            mmsi: "1".into(),
            time_ns: t * 1_000_000_000,
            lat,
            lon,
            sog,
            raw_sog,
            cog: f64::NAN,
            heading: f64::NAN,
            nav_status: String::new(),
            ship_kind_code: String::new(),
        })
}

proptest! {
    #[test]
    fn gaps_and_analysis_never_panic(points in proptest::collection::vec(point(), 0..40)) {
        let params = DarkParams::default();
        let gaps = detect_gaps(&points, &GapThresholds::default());
        for g in &gaps {
            prop_assert!(g.gap_sec >= 6000);
        }
        let info = analyze_dark_pattern(&points, &params);
        prop_assert_eq!(info.gap_min >= 100, info.is_dark);
        if !info.is_dark {
            prop_assert_eq!(info.gap_min, 0);
        }
    }
}
