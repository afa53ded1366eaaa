//! Fixture findings built through serde, as detectors would store them, so the fixtures
//! follow the model's optional fields.
#![allow(dead_code)]

use lookout_model::{Finding, Timestamp};
use lookout_pipeline::CycleWindow;
use serde_json::{json, Value};

pub(crate) fn t(s: &str) -> Timestamp {
    s.parse().expect("test timestamp")
}

pub(crate) fn window(start: &str, end: &str) -> CycleWindow {
    CycleWindow { start: t(start), end: t(end) }
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn finding(
    detector: &str,
    vessel: &str,
    start: &str,
    end: &str,
    score: Option<i64>,
    level: &str,
    severity: &str,
    evidence: Value,
) -> Finding {
    serde_json::from_value(json!({
        "detector": detector, "vessel": vessel, "start": start, "end": end, "score": score,
        "level": level, "severity": severity, "breakdown": [], "evidence": evidence,
    }))
    .expect("fixture finding")
}

/// A dark-suspicion finding for a gap starting at `start` near 35.2 N 128.4 E.
pub(crate) fn dark(vessel: &str, start: &str, end: &str, score: i64) -> Finding {
    let tier = if score >= 70 {
        "CRITICAL"
    } else if score >= 50 {
        "HIGH"
    } else if score >= 30 {
        "WATCH"
    } else {
        "NONE"
    };
    finding(
        "dark_suspicion",
        vessel,
        start,
        end,
        Some(score),
        tier,
        tier,
        json!({ "gap_start": { "lat": 35.2, "lon": 128.4 }, "gap_end": { "lat": 35.5, "lon": 128.9 } }),
    )
}

/// A gap finding of `level` starting at `start`.
pub(crate) fn gap(vessel: &str, start: &str, end: &str, level: &str) -> Finding {
    let sev = match level {
        "VIOLATION" => "CRITICAL",
        "HIGH_SUSPICIOUS" => "HIGH",
        _ => "WATCH",
    };
    finding(
        "gaps",
        vessel,
        start,
        end,
        None,
        level,
        sev,
        json!({ "from": { "lat": 35.2, "lon": 128.4 }, "to": { "lat": 35.5, "lon": 128.9 } }),
    )
}
