//! Typed parameters of the `gaps` and `dark_suspicion` detectors.
//!
//! Defaults equal the reference model's DEFAULT params. Overrides are partial JSON
//! objects deep-merged over the defaults (nested objects key by key, everything else
//! replaced, as the reference does); unlike the reference, unknown keys and wrong
//! types are rejected with the key path, because a typo in a tuned model must not
//! silently fall back to a default.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::ParamsError;
use crate::input::observation::ObservationGrid;
use crate::params::Params;

/// Gap length thresholds in seconds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GapThresholds {
    /// A gap at least this long is suspicious; it also makes a vessel "dark" (100 min).
    pub suspicious_sec: i64,
    /// HIGH_SUSPICIOUS from here (3 h).
    pub high_suspicious_sec: i64,
    /// VIOLATION from here (24 h).
    pub violation_sec: i64,
}

impl Default for GapThresholds {
    fn default() -> Self {
        GapThresholds { suspicious_sec: 6000, high_suspicious_sec: 10_800, violation_sec: 86_400 }
    }
}

/// Speed thresholds in knots (P1, P10).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SogThresholds {
    pub moving: f64,
    pub slow_moving: f64,
    pub underway_deliberate: f64,
}

/// Points per pattern; negative values lower the score.
#[allow(missing_docs)]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Weights {
    #[serde(rename = "P1_moving_off")]
    pub p1_moving_off: i64,
    #[serde(rename = "P1_slow_moving_off")]
    pub p1_slow_moving_off: i64,
    #[serde(rename = "P2_sensitive_zone")]
    pub p2_sensitive_zone: i64,
    #[serde(rename = "P2_special_zone")]
    pub p2_special_zone: i64,
    #[serde(rename = "P3_repeat_high")]
    pub p3_repeat_high: i64,
    #[serde(rename = "P3_repeat_low")]
    pub p3_repeat_low: i64,
    #[serde(rename = "P3_recent_dark")]
    pub p3_recent_dark: i64,
    #[serde(rename = "P4_distance_anomaly")]
    pub p4_distance_anomaly: i64,
    #[serde(rename = "P5_daytime_fishing_off")]
    pub p5_daytime_fishing_off: i64,
    #[serde(rename = "P6_teleport_before_gap")]
    pub p6_teleport_before_gap: i64,
    #[serde(rename = "P7_unpermitted")]
    pub p7_unpermitted: i64,
    #[serde(rename = "P8_very_long_gap")]
    pub p8_very_long_gap: i64,
    #[serde(rename = "P8_long_gap")]
    pub p8_long_gap: i64,
    #[serde(rename = "P9_fishing_vessel_dark")]
    pub p9_fishing_vessel_dark: i64,
    #[serde(rename = "P9_cargo_natural_gap")]
    pub p9_cargo_natural_gap: i64,
    #[serde(rename = "P10_underway_deliberate")]
    pub p10_underway_deliberate: i64,
    #[serde(rename = "P10_anchored_natural")]
    pub p10_anchored_natural: i64,
    #[serde(rename = "P11_heading_cog_mismatch")]
    pub p11_heading_cog_mismatch: i64,
    pub out_of_coverage: i64,
    /// Not in the reference: the gap began during a receiver outage found by the
    /// `reception` rule. A default when absent, so params stored before it still load.
    #[serde(default = "default_reception_outage")]
    pub reception_outage: i64,
    /// Not in the reference: most of the gap fell where and when the store holds no
    /// position of anyone (see [`UnobservedParams`]). A default when absent.
    #[serde(default = "default_unobserved")]
    pub unobserved: i64,
}

/// Tiers are 20 points apart, so -20 moves any unclamped score exactly one tier down
/// (CRITICAL to HIGH, HIGH to WATCH): a gap inside an outage is probably natural, but
/// the outage is a statistical, cell-wide judgement, weaker evidence than leaving the
/// receivers' coverage (-50), so it lowers a suspicious gap without erasing it.
fn default_reception_outage() -> i64 {
    -20
}

/// Large enough to cancel every other pattern together (their positive points add up to
/// 210 by default, so at most 10 remain, below WATCH): a silence nobody could have
/// heard is no evidence of a switch-off at all, unlike a receiver outage (-20), where
/// the rest of the area proves the feed was alive.
fn default_unobserved() -> i64 {
    -200
}

/// Not in the reference: when a gap counts as unobserved. The store's observation
/// timeline ([`crate::input::observation`]) marks each `cell_deg` cell and `bucket_min`
/// bucket holding any position of any vessel; a gap whose time lies for at least
/// `min_share` in buckets with nothing in the cells around its two ends (and their
/// neighbours) gains the `unobserved` pattern.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnobservedParams {
    pub cell_deg: f64,
    pub bucket_min: i64,
    /// Share of the gap (0..=1) that must be unobserved.
    pub min_share: f64,
}

impl Default for UnobservedParams {
    fn default() -> Self {
        let grid = ObservationGrid::default();
        // "Most of the gap", as the pattern says.
        UnobservedParams { cell_deg: grid.cell_deg, bucket_min: grid.bucket_min, min_share: 0.5 }
    }
}

impl UnobservedParams {
    /// The grid of the observation timeline.
    pub fn grid(&self) -> ObservationGrid {
        ObservationGrid { cell_deg: self.cell_deg, bucket_min: self.bucket_min }
    }
}

/// Dark-history thresholds (P3).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RepeatThresholds {
    /// Distinct dark days in 7 days for `repeat_high`.
    pub h7_high: i64,
    /// Distinct dark days in 7 days for `repeat_low`.
    pub h7_low: i64,
    /// Dark findings in 24 h for `recent_dark`.
    pub h24_recent: i64,
}

/// Gap length thresholds in whole minutes (P8).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GapMinThresholds {
    pub very_long: i64,
    pub long: i64,
}

/// Minimum scores of the tiers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TierThresholds {
    pub critical: i64,
    pub high: i64,
    pub watch: i64,
}

/// Area where AIS reception is assumed; a gap starting outside it is likely natural.
/// Bounds are inclusive.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoverageBox {
    pub lat_min: f64,
    pub lat_max: f64,
    pub lon_min: f64,
    pub lon_max: f64,
}

impl CoverageBox {
    /// Inclusive containment; NaN coordinates are outside, as in the reference.
    pub fn contains(&self, lat: f64, lon: f64) -> bool {
        self.lat_min <= lat && lat <= self.lat_max && self.lon_min <= lon && lon <= self.lon_max
    }
}

/// Every parameter of the dark-vessel model (gap analysis + suspicion score).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DarkParams {
    pub sog_thresholds: SogThresholds,
    pub heading_cog_mismatch_deg: f64,
    pub weights: Weights,
    pub repeat_thresholds: RepeatThresholds,
    pub gap_min_thresholds: GapMinThresholds,
    pub p4_distance_multiplier: f64,
    /// `[start, end)` local hours of "daytime" for P5.
    pub p5_daytime_range: [i64; 2],
    pub tier_thresholds: TierThresholds,
    /// Not a parameter in the reference (a module constant there).
    pub coverage: CoverageBox,
    /// IANA time zone in which `p5_daytime_range` hours are read.
    pub timezone: String,
    /// Not a parameter in the reference (module constants there).
    pub gap_thresholds: GapThresholds,
    /// Implied speed above which a jump counts as a teleport (reference shim: 50 kn).
    pub teleport_speed_kn: f64,
    /// Not in the reference: when a gap counts as unobserved. A default when absent.
    #[serde(default)]
    pub unobserved: UnobservedParams,
}

impl Default for DarkParams {
    fn default() -> Self {
        DarkParams {
            sog_thresholds: SogThresholds { moving: 5.0, slow_moving: 2.0, underway_deliberate: 3.0 },
            heading_cog_mismatch_deg: 60.0,
            weights: Weights {
                p1_moving_off: 25,
                p1_slow_moving_off: 15,
                p2_sensitive_zone: 25,
                p2_special_zone: 15,
                p3_repeat_high: 30,
                p3_repeat_low: 15,
                p3_recent_dark: 10,
                p4_distance_anomaly: 20,
                p5_daytime_fishing_off: 15,
                p6_teleport_before_gap: 15,
                p7_unpermitted: 10,
                p8_very_long_gap: 15,
                p8_long_gap: 10,
                p9_fishing_vessel_dark: 10,
                p9_cargo_natural_gap: -10,
                p10_underway_deliberate: 20,
                p10_anchored_natural: -15,
                p11_heading_cog_mismatch: 15,
                out_of_coverage: -50,
                reception_outage: default_reception_outage(),
                unobserved: default_unobserved(),
            },
            repeat_thresholds: RepeatThresholds { h7_high: 3, h7_low: 2, h24_recent: 1 },
            gap_min_thresholds: GapMinThresholds { very_long: 360, long: 180 },
            p4_distance_multiplier: 2.0,
            p5_daytime_range: [6, 18],
            tier_thresholds: TierThresholds { critical: 70, high: 50, watch: 30 },
            coverage: CoverageBox { lat_min: 32.0, lat_max: 39.5, lon_min: 124.0, lon_max: 132.0 },
            timezone: "Asia/Seoul".to_string(),
            gap_thresholds: GapThresholds::default(),
            teleport_speed_kn: 50.0,
            unobserved: UnobservedParams::default(),
        }
    }
}

impl DarkParams {
    /// Deep-merges a partial JSON override over the defaults. `null` and `{}` give the
    /// defaults. Errors name the key path, e.g. `weights.P1_moving_of: unknown key`.
    pub fn from_override(over: &Value) -> Result<DarkParams, ParamsError> {
        Self::default().merged(over)
    }

    /// Deep-merges `over` over `self` (which is left untouched) and validates the result.
    pub fn merged(&self, over: &Value) -> Result<DarkParams, ParamsError> {
        let over = match over {
            Value::Null => return Ok(self.clone()),
            Value::Object(m) => m,
            other => return Err(ParamsError::at("(root)", format!("expected an object, found {}", kind(other)))),
        };
        let mut base = serde_json::to_value(self).map_err(|e| ParamsError::at("(root)", e.to_string()))?;
        if let Value::Object(base_map) = &mut base {
            merge_object(base_map, over, "")?;
        }
        let merged: DarkParams = serde_json::from_value(base).map_err(|e| ParamsError::at("(root)", e.to_string()))?;
        merged.validate()?;
        Ok(merged)
    }

    /// Parses a JSON text override (see [`DarkParams::from_override`]).
    pub fn from_json_str(text: &str) -> Result<DarkParams, ParamsError> {
        let v: Value =
            serde_json::from_str(text).map_err(|e| ParamsError::at("(root)", format!("invalid JSON: {e}")))?;
        Self::from_override(&v)
    }
}

impl Params for DarkParams {
    /// Checks what serde cannot: the time zone name, ordered tiers and thresholds, a
    /// non-inverted coverage box and daytime range, positive speeds and factors.
    fn validate(&self) -> Result<(), ParamsError> {
        self.timezone
            .parse::<chrono_tz::Tz>()
            .map_err(|_| ParamsError::at("timezone", format!("unknown time zone '{}'", self.timezone)))?;
        self.gap_thresholds.validate().map_err(|e| ParamsError::at("gap_thresholds", e.message))?;
        let t = &self.tier_thresholds;
        let c = &self.coverage;
        let s = &self.sog_thresholds;
        let r = &self.repeat_thresholds;
        let g = &self.gap_min_thresholds;
        let [day_start, day_end] = self.p5_daytime_range;
        let positive = |x: f64| x.is_finite() && x > 0.0;
        let u = &self.unobserved;
        let checks: [(&str, bool, &str); 14] = [
            (
                "tier_thresholds",
                0 < t.watch && t.watch < t.high && t.high < t.critical && t.critical <= 100,
                "expected 0 < watch < high < critical <= 100",
            ),
            ("coverage.lat_min", (-90.0..=90.0).contains(&c.lat_min), "expected a latitude in -90..=90"),
            (
                "coverage.lat_max",
                (-90.0..=90.0).contains(&c.lat_max) && c.lat_min < c.lat_max,
                "expected lat_min < lat_max <= 90",
            ),
            ("coverage.lon_min", (-180.0..=180.0).contains(&c.lon_min), "expected a longitude in -180..=180"),
            (
                "coverage.lon_max",
                (-180.0..=180.0).contains(&c.lon_max) && c.lon_min < c.lon_max,
                "expected lon_min < lon_max <= 180",
            ),
            (
                "p5_daytime_range",
                0 <= day_start && day_start < day_end && day_end <= 24,
                "expected [start, end) hours with 0 <= start < end <= 24",
            ),
            (
                "sog_thresholds",
                positive(s.moving)
                    && positive(s.slow_moving)
                    && positive(s.underway_deliberate)
                    && s.slow_moving < s.moving,
                "expected positive speeds with slow_moving < moving",
            ),
            (
                "heading_cog_mismatch_deg",
                self.heading_cog_mismatch_deg > 0.0 && self.heading_cog_mismatch_deg <= 180.0,
                "expected 0 < degrees <= 180",
            ),
            (
                "repeat_thresholds",
                0 < r.h7_low && r.h7_low <= r.h7_high && r.h7_high <= 7 && r.h24_recent > 0,
                "expected 0 < h7_low <= h7_high <= 7 and h24_recent > 0",
            ),
            ("gap_min_thresholds", 0 < g.long && g.long <= g.very_long, "expected 0 < long <= very_long"),
            ("p4_distance_multiplier", positive(self.p4_distance_multiplier), "expected a positive number"),
            ("teleport_speed_kn", positive(self.teleport_speed_kn), "expected a positive number"),
            ("unobserved", u.grid().is_valid(), "expected 0 < cell_deg <= 90 and bucket_min > 0"),
            ("unobserved.min_share", (0.0..=1.0).contains(&u.min_share), "expected a share in 0..=1"),
        ];
        if let Some((key, _, message)) = checks.into_iter().find(|(_, ok, _)| !ok) {
            return Err(ParamsError::at(key, message));
        }
        check_weights(&self.weights)
    }

    /// The reference's own merge (its error texts), over a validated base; the result
    /// is the struct written back, so a stored version is always complete.
    fn merge(base: &Value, over: &Value) -> Result<Value, ParamsError> {
        let merged = Self::parse(base)?.merged(over)?;
        serde_json::to_value(merged).map_err(|e| ParamsError::at("(root)", e.to_string()))
    }
}

/// The `gaps` detector's params.
impl Params for GapThresholds {
    fn validate(&self) -> Result<(), ParamsError> {
        if !(0 < self.suspicious_sec
            && self.suspicious_sec <= self.high_suspicious_sec
            && self.high_suspicious_sec <= self.violation_sec)
        {
            return Err(ParamsError::at(
                "(root)",
                "expected 0 < suspicious_sec <= high_suspicious_sec <= violation_sec",
            ));
        }
        Ok(())
    }
}

use crate::params::MAX_POINTS as MAX_WEIGHT;

fn check_weights(w: &Weights) -> Result<(), ParamsError> {
    let Ok(Value::Object(map)) = serde_json::to_value(w) else { return Ok(()) };
    for (key, v) in &map {
        if v.as_i64().is_none_or(|n| n.abs() > MAX_WEIGHT) {
            return Err(ParamsError::at(
                &format!("weights.{key}"),
                format!("expected -{MAX_WEIGHT}..={MAX_WEIGHT} points"),
            ));
        }
    }
    Ok(())
}

/// The default parameters as pretty JSON, for seeding a model registry.
pub fn defaults_json() -> String {
    serde_json::to_string_pretty(&DarkParams::default()).unwrap_or_default()
}

fn merge_object(base: &mut Map<String, Value>, over: &Map<String, Value>, prefix: &str) -> Result<(), ParamsError> {
    for (key, val) in over {
        let path = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
        let Some(slot) = base.get_mut(key) else {
            return Err(ParamsError::at(&path, "unknown key"));
        };
        if let Value::Object(inner) = slot {
            let Value::Object(over_inner) = val else {
                return Err(ParamsError::at(&path, format!("expected an object, found {}", kind(val))));
            };
            merge_object(inner, over_inner, &path)?;
        } else {
            check_leaf(&path, slot, val)?;
            *slot = val.clone();
        }
    }
    Ok(())
}

fn check_leaf(path: &str, default: &Value, val: &Value) -> Result<(), ParamsError> {
    let ok = match default {
        Value::Number(n) if n.is_i64() || n.is_u64() => val.is_i64(),
        Value::Number(_) => val.is_number(),
        Value::String(_) => val.is_string(),
        Value::Bool(_) => val.is_boolean(),
        Value::Array(items) => {
            let Value::Array(new_items) = val else {
                return Err(ParamsError::at(path, format!("expected an array, found {}", kind(val))));
            };
            if new_items.len() != items.len() {
                return Err(ParamsError::at(
                    path,
                    format!("expected {} elements, found {}", items.len(), new_items.len()),
                ));
            }
            for (i, (d, v)) in items.iter().zip(new_items).enumerate() {
                check_leaf(&format!("{path}[{i}]"), d, v)?;
            }
            true
        }
        _ => true,
    };
    if ok {
        Ok(())
    } else {
        Err(ParamsError::at(path, format!("expected {}, found {}", expected(default), kind(val))))
    }
}

fn expected(default: &Value) -> &'static str {
    match default {
        Value::Number(n) if n.is_i64() || n.is_u64() => "an integer",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Bool(_) => "a boolean",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
        Value::Null => "null",
    }
}

fn kind(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("boolean {b}"),
        Value::Number(n) => format!("number {n}"),
        Value::String(_) => "a string".into(),
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dark::pattern::Pattern;
    use serde_json::json;

    #[test]
    fn defaults_have_the_reference_weights_plus_reception_outage_and_unobserved() {
        let v = serde_json::to_value(DarkParams::default()).unwrap();
        assert_eq!(v["weights"].as_object().unwrap().len(), 21);
        assert_eq!(v["weights"]["reception_outage"], -20);
        assert_eq!(v["weights"]["unobserved"], -200);
        assert_eq!(v["unobserved"], json!({"cell_deg": 5.0, "bucket_min": 60, "min_share": 0.5}));
        // Params stored before the keys existed still load, with the defaults.
        let mut old = v.clone();
        old["weights"].as_object_mut().unwrap().remove("reception_outage");
        old["weights"].as_object_mut().unwrap().remove("unobserved");
        old.as_object_mut().unwrap().remove("unobserved");
        let p: DarkParams = serde_json::from_value(old).unwrap();
        assert_eq!(p, DarkParams::default());
        // The weight cancels every positive pattern that can fire together (one of each
        // pair P1 moving/slow, P2 sensitive/special, P3 high/low, P8 very long/long): an
        // unobserved gap stays below WATCH whatever else fired.
        let w = DarkParams::default().weights;
        let positive: i64 = Pattern::ALL.iter().map(|p| p.weight(&w)).filter(|x| *x > 0).sum();
        let exclusive = w.p1_slow_moving_off + w.p2_special_zone + w.p3_repeat_low + w.p8_long_gap;
        assert_eq!(positive - exclusive, 210);
        assert!(positive - exclusive + w.unobserved < DarkParams::default().tier_thresholds.watch);
    }

    #[test]
    fn unobserved_params_are_checked() {
        let err = DarkParams::from_override(&json!({"unobserved": {"min_share": 1.5}})).unwrap_err();
        assert_eq!(err.path, "unobserved.min_share");
        let err = DarkParams::from_override(&json!({"unobserved": {"cell_deg": 0.0}})).unwrap_err();
        assert_eq!(err.path, "unobserved");
        let err = DarkParams::from_override(&json!({"unobserved": {"cells": 1}})).unwrap_err();
        assert_eq!(err.path, "unobserved.cells");
    }

    #[test]
    fn override_merges_one_key_and_never_mutates_defaults() {
        let base = DarkParams::default();
        let p = base.merged(&json!({"weights": {"out_of_coverage": -150}})).unwrap();
        assert_eq!(p.weights.out_of_coverage, -150);
        assert_eq!(p.weights.p1_moving_off, 25);
        assert_eq!(base, DarkParams::default());
        assert_eq!(DarkParams::from_override(&json!({})).unwrap(), DarkParams::default());
        assert_eq!(DarkParams::from_override(&Value::Null).unwrap(), DarkParams::default());
        let p = DarkParams::from_override(&json!({"p5_daytime_range": [0, 24], "p4_distance_multiplier": 3})).unwrap();
        assert_eq!(p.p5_daytime_range, [0, 24]);
        assert_eq!(p.p4_distance_multiplier, 3.0);
    }

    #[test]
    fn meaningless_values_are_rejected_naming_the_key() {
        let cases = [
            (json!({"tier_thresholds": {"critical": 30, "high": 50, "watch": 70}}), "tier_thresholds"),
            (json!({"tier_thresholds": {"high": 70}}), "tier_thresholds"),
            (json!({"coverage": {"lat_min": 40.0, "lat_max": 30.0}}), "coverage.lat_max"),
            (json!({"coverage": {"lon_min": 140.0}}), "coverage.lon_max"),
            (json!({"coverage": {"lat_min": -100.0}}), "coverage.lat_min"),
            (json!({"p5_daytime_range": [18, 6]}), "p5_daytime_range"),
            (json!({"p5_daytime_range": [6, 25]}), "p5_daytime_range"),
            (json!({"sog_thresholds": {"moving": -1.0}}), "sog_thresholds"),
            (json!({"gap_thresholds": {"suspicious_sec": 0}}), "gap_thresholds"),
            (json!({"gap_min_thresholds": {"long": 400}}), "gap_min_thresholds"),
            (json!({"repeat_thresholds": {"h7_low": 5}}), "repeat_thresholds"),
            (json!({"teleport_speed_kn": 0.0}), "teleport_speed_kn"),
            (json!({"p4_distance_multiplier": -2.0}), "p4_distance_multiplier"),
            (json!({"heading_cog_mismatch_deg": 270.0}), "heading_cog_mismatch_deg"),
            (json!({"weights": {"P1_moving_off": 25000}}), "weights.P1_moving_off"),
        ];
        for (over, key) in cases {
            let e = DarkParams::from_override(&over).unwrap_err();
            assert_eq!(e.path, key, "{over}: {e}");
        }
        assert!(DarkParams::from_override(&json!({"p5_daytime_range": [0, 24]})).is_ok());
    }

    #[test]
    fn errors_name_the_key_path() {
        let e = DarkParams::from_override(&json!({"weights": {"P1_moving_of": 3}})).unwrap_err();
        assert_eq!(e.to_string(), "weights.P1_moving_of: unknown key");
        let e = DarkParams::from_override(&json!({"weights": {"P1_moving_off": "x"}})).unwrap_err();
        assert!(e.to_string().starts_with("weights.P1_moving_off: expected an integer"), "{e}");
        let e = DarkParams::from_override(&json!({"weights": {"P1_moving_off": 2.5}})).unwrap_err();
        assert!(e.to_string().starts_with("weights.P1_moving_off: expected an integer"), "{e}");
        let e = DarkParams::from_override(&json!({"weights": 3})).unwrap_err();
        assert!(e.to_string().starts_with("weights: expected an object"), "{e}");
        let e = DarkParams::from_override(&json!({"bogus": 1})).unwrap_err();
        assert_eq!(e.to_string(), "bogus: unknown key");
        let e = DarkParams::from_override(&json!({"p5_daytime_range": [6]})).unwrap_err();
        assert!(e.to_string().starts_with("p5_daytime_range: expected 2 elements"), "{e}");
        let e = DarkParams::from_override(&json!({"timezone": "Mars/Base"})).unwrap_err();
        assert!(e.to_string().starts_with("timezone: unknown time zone"), "{e}");
        let e = DarkParams::from_override(&json!({"sog_thresholds": {"moving": true}})).unwrap_err();
        assert!(e.to_string().starts_with("sog_thresholds.moving: expected a number"), "{e}");
    }
}
