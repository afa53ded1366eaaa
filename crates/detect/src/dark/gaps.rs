//! The `gaps` detector: every reporting gap of at least the suspicious length.

use serde::Serialize;

use crate::dark::analysis::seconds_between;
use crate::dark::params::GapThresholds;
use crate::dark::sample::DarkSample;
use crate::geo::haversine_nm;
use crate::pyfloat::{py_round, round2};

/// How long a gap is, relative to the thresholds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum GapSeverity {
    Suspicious,
    HighSuspicious,
    Violation,
}

impl GapSeverity {
    /// The reference's text.
    pub fn as_str(self) -> &'static str {
        match self {
            GapSeverity::Suspicious => "SUSPICIOUS",
            GapSeverity::HighSuspicious => "HIGH_SUSPICIOUS",
            GapSeverity::Violation => "VIOLATION",
        }
    }

    /// The shared severity scale.
    pub fn severity(self) -> lookout_model::Severity {
        match self {
            GapSeverity::Suspicious => lookout_model::Severity::Watch,
            GapSeverity::HighSuspicious => lookout_model::Severity::High,
            GapSeverity::Violation => lookout_model::Severity::Critical,
        }
    }
}

/// One gap between two consecutive positions.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Gap {
    /// Index of the last position before the gap (in the slice given).
    pub start_index: usize,
    /// Index of the first position after it.
    pub end_index: usize,
    /// Whole seconds, truncated.
    pub gap_sec: i64,
    /// Minutes rounded to 0.1 the Python way.
    pub gap_min: f64,
    /// Great-circle displacement across the gap, rounded to 0.01 nm.
    pub displacement_nm: f64,
    pub severity: GapSeverity,
}

/// Classifies a gap length in seconds.
pub fn classify_gap(gap_sec: f64, thr: &GapThresholds) -> Option<GapSeverity> {
    if gap_sec >= thr.violation_sec as f64 {
        Some(GapSeverity::Violation)
    } else if gap_sec >= thr.high_suspicious_sec as f64 {
        Some(GapSeverity::HighSuspicious)
    } else if gap_sec >= thr.suspicious_sec as f64 {
        Some(GapSeverity::Suspicious)
    } else {
        None
    }
}

/// Every gap of at least `thr.suspicious_sec` between consecutive positions, which
/// must be in time order (out-of-order pairs give negative lengths and are skipped).
/// Calls `emit` per gap so the caller decides whether to allocate.
pub fn for_each_gap<P: DarkSample>(points: &[P], thr: &GapThresholds, mut emit: impl FnMut(Gap)) {
    let min_ns = i128::from(thr.suspicious_sec) * 1_000_000_000;
    for (i, w) in points.windows(2).enumerate() {
        let (a, b) = (w[0].time_ns(), w[1].time_ns());
        if i128::from(b) - i128::from(a) < min_ns {
            continue;
        }
        let gap_sec = seconds_between(a, b);
        let Some(severity) = classify_gap(gap_sec, thr) else { continue };
        let disp = haversine_nm(w[0].lat(), w[0].lon(), w[1].lat(), w[1].lon());
        emit(Gap {
            start_index: i,
            end_index: i + 1,
            gap_sec: gap_sec.trunc() as i64,
            gap_min: py_round(gap_sec / 60.0, 1),
            displacement_nm: round2(disp),
            severity,
        });
    }
}

/// [`for_each_gap`] collected into a vector.
pub fn detect_gaps<P: DarkSample>(points: &[P], thr: &GapThresholds) -> Vec<Gap> {
    let mut out = Vec::new();
    for_each_gap(points, thr, |g| out.push(g));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_edges() {
        let t = GapThresholds::default();
        assert_eq!(classify_gap(5999.0, &t), None);
        assert_eq!(classify_gap(6000.0, &t), Some(GapSeverity::Suspicious));
        assert_eq!(classify_gap(10799.0, &t), Some(GapSeverity::Suspicious));
        assert_eq!(classify_gap(10800.0, &t), Some(GapSeverity::HighSuspicious));
        assert_eq!(classify_gap(86399.0, &t), Some(GapSeverity::HighSuspicious));
        assert_eq!(classify_gap(86400.0, &t), Some(GapSeverity::Violation));
    }
}
