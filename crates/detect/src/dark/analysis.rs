//! Analysis of a vessel's longest gap (the reference's `analyze_dark_pattern`): the
//! facts the P1-P11 score ([`super::score`]) judges.

use serde::Serialize;

use crate::dark::params::{DarkParams, GapThresholds};
use crate::dark::sample::{is_time_sorted, DarkSample};
use crate::geo::haversine_nm;
use crate::pyfloat::round2;

/// Activity state at the gap start, from the speed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ActivityState {
    Stationary,
    Fishing,
    Sailing,
    Unknown,
}

impl ActivityState {
    /// `<= 1` stationary, `<= 5` fishing, otherwise (NaN included) sailing.
    pub fn from_sog(sog: f64) -> Self {
        if sog <= 1.0 {
            ActivityState::Stationary
        } else if sog <= 5.0 {
            ActivityState::Fishing
        } else {
            ActivityState::Sailing
        }
    }

    /// The reference's text.
    pub fn as_str(self) -> &'static str {
        match self {
            ActivityState::Stationary => "STATIONARY",
            ActivityState::Fishing => "FISHING",
            ActivityState::Sailing => "SAILING",
            ActivityState::Unknown => "UNKNOWN",
        }
    }
}

/// Everything the score needs about a vessel's longest gap (the reference's `gap_info`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GapInfo {
    pub is_dark: bool,
    /// Whole minutes, truncated.
    pub gap_min: i64,
    pub gap_start_lat: Option<f64>,
    pub gap_start_lon: Option<f64>,
    pub gap_start_sog: f64,
    pub gap_start_state: ActivityState,
    pub gap_end_lat: Option<f64>,
    pub gap_end_lon: Option<f64>,
    /// Rounded to 0.01 nm the Python way.
    pub gap_distance_nm: f64,
    pub gap_resumed: bool,
    pub pre_gap_turn_or_teleport: bool,
    /// Rounded to 0.01 kn the Python way.
    pub avg_sog_before: f64,
    /// Index (in time order) of the last position before the gap, when dark.
    #[serde(skip)]
    pub start_index: Option<usize>,
}

impl GapInfo {
    /// The result for a vessel that is not dark.
    pub fn not_dark() -> Self {
        GapInfo {
            is_dark: false,
            gap_min: 0,
            gap_start_lat: None,
            gap_start_lon: None,
            gap_start_sog: 0.0,
            gap_start_state: ActivityState::Unknown,
            gap_end_lat: None,
            gap_end_lon: None,
            gap_distance_nm: 0.0,
            gap_resumed: false,
            pre_gap_turn_or_teleport: false,
            avg_sog_before: 0.0,
            start_index: None,
        }
    }
}

/// Seconds between two instants, as pandas' `Timedelta.total_seconds()` gives them.
pub(crate) fn seconds_between(a_ns: i64, b_ns: i64) -> f64 {
    (i128::from(b_ns) - i128::from(a_ns)) as f64 / 1e9
}

/// Index of the point after the longest gap (first one on ties) and its length in ns.
/// Non-positive gaps never count.
pub(crate) fn longest_gap<P: DarkSample>(points: &[P]) -> Option<(usize, i128)> {
    let mut best: Option<(usize, i128)> = None;
    let mut best_len: i128 = 0;
    let mut prev = points.first()?.time_ns();
    for (i, p) in points.iter().enumerate().skip(1) {
        let t = p.time_ns();
        let len = i128::from(t) - i128::from(prev);
        if len > best_len {
            best_len = len;
            best = Some((i, len));
        }
        prev = t;
    }
    best
}

/// Analyses the longest gap of one vessel's positions (any order; sorted in place of a
/// copy only when they are not already in time order).
pub fn analyze_dark_pattern<P: DarkSample>(points: &[P], params: &DarkParams) -> GapInfo {
    if is_time_sorted(points) {
        return analyze_sorted(points, &params.gap_thresholds, params.teleport_speed_kn);
    }
    let mut sorted: Vec<&P> = points.iter().collect();
    sorted.sort_by_key(|p| p.time_ns());
    analyze_sorted(&sorted, &params.gap_thresholds, params.teleport_speed_kn)
}

/// [`analyze_dark_pattern`] for positions already in time order (not checked).
pub fn analyze_sorted<P: DarkSample>(points: &[P], thr: &GapThresholds, teleport_kn: f64) -> GapInfo {
    if points.len() < 2 {
        return GapInfo::not_dark();
    }
    let Some((idx, len_ns)) = longest_gap(points) else {
        return GapInfo::not_dark();
    };
    if len_ns < i128::from(thr.suspicious_sec) * 1_000_000_000 {
        return GapInfo::not_dark();
    }
    let (prev, curr) = (&points[idx - 1], &points[idx]);
    let gap_sec = len_ns as f64 / 1e9;
    let start_sog = prev.effective_sog();
    let distance = haversine_nm(prev.lat(), prev.lon(), curr.lat(), curr.lon());
    let window = &points[idx.saturating_sub(5)..idx];
    GapInfo {
        is_dark: true,
        gap_min: (gap_sec / 60.0).trunc() as i64,
        gap_start_lat: Some(prev.lat()),
        gap_start_lon: Some(prev.lon()),
        gap_start_sog: start_sog,
        gap_start_state: ActivityState::from_sog(start_sog),
        gap_end_lat: Some(curr.lat()),
        gap_end_lon: Some(curr.lon()),
        gap_distance_nm: round2(distance),
        gap_resumed: idx != points.len() - 1,
        pre_gap_turn_or_teleport: has_teleport(window, teleport_kn),
        avg_sog_before: round2(mean_sog(window)),
        start_index: Some(idx - 1),
    }
}

/// Mean of the effective speeds, summed left to right from 0 like CPython 3.11's `sum`.
fn mean_sog<P: DarkSample>(window: &[P]) -> f64 {
    let total = window.iter().fold(0.0, |acc, p| acc + p.effective_sog());
    total / window.len() as f64
}

/// True when a consecutive pair implies a speed strictly above `limit_kn`; pairs with
/// no elapsed time have no speed and are skipped.
pub fn has_teleport<P: DarkSample>(window: &[P], limit_kn: f64) -> bool {
    window.windows(2).any(|w| {
        let dt_sec = seconds_between(w[0].time_ns(), w[1].time_ns());
        // NaN-safe "not > 0": equal or reversed timestamps have no speed.
        if dt_sec.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
            return false;
        }
        let dist = haversine_nm(w[0].lat(), w[0].lon(), w[1].lat(), w[1].lon());
        dist / (dt_sec / 3600.0) > limit_kn
    })
}
