//! Params are validated for meaning, not only shape (issue 14, item 4): every detector's
//! params refuse ordered values given out of order, non-positive thresholds and weights
//! out of range, naming the key, through the same `Params::merge` every command uses.

use lookout_detect::encounters::gear::GearParams;
use lookout_detect::encounters::loitering::LoiteringParams;
use lookout_detect::encounters::pair_trawl::PairTrawlParams;
use lookout_detect::encounters::transship::TransshipParams;
use lookout_detect::identity::segment::SegmentParams;
use lookout_detect::identity::spoofing::SpoofingParams;
use lookout_detect::params::Params;
use lookout_detect::reception::ReceptionParams;
use lookout_detect::zones::ZoneParams;
use lookout_detect::{DarkParams, GapThresholds};
use serde_json::{json, Value};

fn refused<P: Params>(over: Value, key: &str) {
    match P::merge(&P::defaults(), &over) {
        Ok(_) => panic!("{over} was accepted"),
        Err(e) => assert_eq!(e.path, key, "{over}: {e}"),
    }
}

fn accepted<P: Params>(over: Value) {
    assert!(P::merge(&P::defaults(), &over).is_ok(), "{over} was refused");
}

#[test]
fn dark_tiers_boxes_and_ranges() {
    refused::<DarkParams>(json!({"tier_thresholds": {"critical": 30, "high": 50, "watch": 70}}), "tier_thresholds");
    refused::<DarkParams>(json!({"coverage": {"lat_min": 40.0, "lat_max": 30.0}}), "coverage.lat_max");
    refused::<DarkParams>(json!({"p5_daytime_range": [18, 6]}), "p5_daytime_range");
    refused::<DarkParams>(json!({"weights": {"out_of_coverage": -5000}}), "weights.out_of_coverage");
    accepted::<DarkParams>(json!({"tier_thresholds": {"critical": 80, "high": 60, "watch": 40}}));
    refused::<GapThresholds>(json!({"violation_sec": 60}), "(root)");
}

#[test]
fn encounter_detectors() {
    refused::<LoiteringParams>(json!({"max_speed_kn": 0.0}), "max_speed_kn");
    refused::<LoiteringParams>(json!({"min_shore_distance_nm": -1.0}), "min_shore_distance_nm");
    refused::<LoiteringParams>(json!({"points_loitering": 40000}), "points_loitering");
    refused::<TransshipParams>(json!({"max_speed_kn": -2.0}), "max_speed_kn");
    refused::<TransshipParams>(json!({"weights": {"encounter": 5000}}), "weights.encounter");
    refused::<PairTrawlParams>(json!({"long_min": 300}), "long_min");
    refused::<PairTrawlParams>(json!({"max_course_diff_deg": 400.0}), "max_course_diff_deg");
    refused::<PairTrawlParams>(json!({"min_distance_m": 2000.0}), "max_distance_m");
    refused::<GearParams>(json!({"dominance": 0.5}), "dominance");
    refused::<GearParams>(json!({"stationary_hours": 0.0}), "stationary_hours");
    refused::<GearParams>(json!({"points": [70, 40, 50, 50, 60, 7000]}), "points[5]");
    accepted::<GearParams>(json!({"dominance": 1.5, "closed_months": [1, 12]}));
}

#[test]
fn identity_zone_and_reception_detectors() {
    refused::<SegmentParams>(json!({"max_speed_kn": 0.0}), "max_speed_kn");
    refused::<SpoofingParams>(json!({"two_places_min_nm": 0.0}), "two_places_min_nm");
    refused::<SpoofingParams>(json!({"weights": {"teleport": -3000}}), "weights.teleport");
    refused::<SpoofingParams>(json!({"identity": {"points": {"imo": 9999}}}), "identity.points.imo");
    refused::<SpoofingParams>(json!({"two_places_within_min": 0.0}), "two_places_within_min");
    refused::<SpoofingParams>(json!({"two_places_within_min": 2000.0}), "two_places_within_min");
    refused::<SpoofingParams>(
        json!({"identity": {"corruption": {"chars_per_edit": 0}}}),
        "identity.corruption.chars_per_edit",
    );
    refused::<SpoofingParams>(json!({"identity": {"corruption": {"min_ratio": 0.5}}}), "identity.corruption.min_ratio");
    accepted::<SpoofingParams>(json!({"identity": {"corruption": {"max_edits": 0}}, "two_places_within_min": 30.0}));
    refused::<ZoneParams>(json!({"weights": {"eez": 5000}}), "weights.eez");
    refused::<ReceptionParams>(json!({"min_baseline_buckets": 50}), "min_baseline_buckets");
    accepted::<ZoneParams>(json!({"weights": {"flag_unknown": -100}}));
}
