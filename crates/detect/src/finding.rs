//! Builders every detector's findings share: breakdown lines, position evidence and
//! rounding for evidence. (The score scale is [`crate::level`].)

use lookout_model::{BreakdownItem, Position};
use serde_json::{json, Value};

/// A breakdown line: rule code, pattern id, points, ko/en label and description.
pub fn item(code: &str, pattern: &str, points: i64, ko: &str, en: &str, dko: String, den: String) -> BreakdownItem {
    BreakdownItem {
        code: code.into(),
        pattern: pattern.into(),
        points,
        label_ko: ko.into(),
        label_en: en.into(),
        description_ko: dko,
        description_en: den,
    }
}

/// A position as evidence: time, coordinates, speed and course.
pub fn position_json(p: &Position) -> Value {
    json!({ "timestamp": p.timestamp, "lat": p.lat, "lon": p.lon, "sog": p.sog, "cog": p.cog })
}

/// Rounds to `digits` decimals for evidence (stable JSON, no float noise).
pub fn round_to(x: f64, digits: i32) -> f64 {
    let k = 10f64.powi(digits);
    (x * k).round() / k
}
