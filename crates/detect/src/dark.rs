//! Dark pattern analysis of the longest gap and the P1-P11 suspicion score.

use serde::Serialize;

use crate::geo::haversine_nm;
use crate::params::{DarkParams, GapThresholds};
use crate::pattern::Pattern;
use crate::pyfloat::{py_max, round2};
use crate::sample::{is_time_sorted, DarkSample};

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

/// Zone class of a position, from the (future) zones detector.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ZoneClass {
    TerritorialSea,
    ContiguousZone,
    Eez,
    /// A special fishing zone (`ZONE_<name>`).
    Special(String),
    Port,
    Other(String),
}

/// Tells which zone a position lies in (P2). Implemented by the zones detector.
pub trait ZoneClassifier {
    /// The zone at `(lat, lon)`, or `None` when outside every known zone.
    fn classify(&self, lat: f64, lon: f64) -> Option<ZoneClass>;
    /// The zone polygons behind the classifier, for detectors that need more than the
    /// class (countries, episodes: the `zones` detector); `None` for a bare classifier.
    fn zone_set(&self) -> Option<&crate::zones::ZoneSet> {
        None
    }
}

/// Ship kind as far as P9 cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ShipClass {
    Fishing,
    Cargo,
    #[default]
    Other,
}

impl ShipClass {
    /// The reference's exact-string rule: `000020` fishing, `000023` cargo.
    pub fn from_code_exact(code: &str) -> Self {
        match code {
            "000020" => ShipClass::Fishing,
            "000023" => ShipClass::Cargo,
            _ => ShipClass::Other,
        }
    }

    /// From an ITU ship type (30 fishing, 70-79 cargo).
    pub fn from_ship_type(t: lookout_model::ShipType) -> Self {
        match t.kind() {
            lookout_model::ShipKind::Fishing => ShipClass::Fishing,
            lookout_model::ShipKind::Cargo => ShipClass::Cargo,
            _ => ShipClass::Other,
        }
    }
}

/// Dark-detection history of one vessel, filled by the store.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct DarkHistory {
    /// Distinct days with a dark finding in the last 7 days.
    pub count_7d: i64,
    /// Dark findings in the last 24 hours.
    pub count_24h: i64,
}

/// Everything besides the gap that the score looks at.
#[derive(Clone, Copy)]
pub struct ScoreInputs<'a> {
    pub permitted: bool,
    pub history: DarkHistory,
    /// Current hour (0..=23) in the params' time zone.
    pub local_hour: i64,
    pub zones: Option<&'a dyn ZoneClassifier>,
    pub ship_class: ShipClass,
    /// Navigational status text at the gap start ("Under way using engine", ...).
    pub nav_status: &'a str,
    pub heading: Option<f64>,
    /// Course over ground at the gap start.
    pub last_cog: Option<f64>,
    /// A detected receiver outage explains the gap (set by the dark detector from its
    /// `reception` upstream; always false on the reference oracle's path).
    pub reception_outage: bool,
}

/// Score tier.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Tier {
    Critical,
    High,
    Watch,
    None,
}

impl Tier {
    /// The reference's text.
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Critical => "CRITICAL",
            Tier::High => "HIGH",
            Tier::Watch => "WATCH",
            Tier::None => "NONE",
        }
    }

    /// The shared severity scale.
    pub fn severity(self) -> lookout_model::Severity {
        match self {
            Tier::Critical => lookout_model::Severity::Critical,
            Tier::High => lookout_model::Severity::High,
            Tier::Watch => lookout_model::Severity::Watch,
            Tier::None => lookout_model::Severity::None,
        }
    }
}

/// Result of the suspicion score.
#[derive(Clone, Debug, PartialEq)]
pub struct DarkScore {
    /// 0..=100, clamped after all rules.
    pub score: i64,
    /// Every rule that fired, in rule order, even when the clamped score is 0.
    pub patterns: Vec<Pattern>,
    pub tier: Tier,
}

/// P1-P11, the coverage penalty and the receiver-outage penalty over a gap analysis.
pub fn compute_dark_suspicion(gap: &GapInfo, inp: &ScoreInputs<'_>, p: &DarkParams) -> DarkScore {
    if !gap.is_dark {
        return DarkScore { score: 0, patterns: Vec::new(), tier: Tier::None };
    }
    let mut fired: Vec<Pattern> = Vec::with_capacity(12);
    let sog = gap.gap_start_sog;
    movement_rules(gap, p, &mut fired);
    zone_rule(gap, inp, &mut fired);
    history_rules(inp, p, &mut fired);
    distance_rule(gap, p, &mut fired);
    let [day_start, day_end] = p.p5_daytime_range;
    if day_start <= inp.local_hour && inp.local_hour < day_end && gap.gap_start_state == ActivityState::Fishing {
        fired.push(Pattern::DaytimeFishingOff);
    }
    if gap.pre_gap_turn_or_teleport {
        fired.push(Pattern::TeleportBeforeGap);
    }
    if !inp.permitted {
        fired.push(Pattern::Unpermitted);
    }
    if gap.gap_min >= p.gap_min_thresholds.very_long {
        fired.push(Pattern::VeryLongGap);
    } else if gap.gap_min >= p.gap_min_thresholds.long {
        fired.push(Pattern::LongGap);
    }
    match inp.ship_class {
        ShipClass::Fishing => fired.push(Pattern::FishingVesselDark),
        ShipClass::Cargo => fired.push(Pattern::CargoNaturalGap),
        ShipClass::Other => {}
    }
    nav_status_rule(inp.nav_status, sog, p, &mut fired);
    if heading_mismatch(inp.heading, inp.last_cog, p.heading_cog_mismatch_deg) {
        fired.push(Pattern::HeadingCogMismatch);
    }
    let (lat, lon) = (gap.gap_start_lat.unwrap_or(f64::NAN), gap.gap_start_lon.unwrap_or(f64::NAN));
    if !p.coverage.contains(lat, lon) {
        fired.push(Pattern::OutOfCoverage);
    }
    // Not in the reference: without a `reception` rule this never fires, so the score
    // stays the reference's.
    if inp.reception_outage {
        fired.push(Pattern::ReceptionOutage);
    }
    let raw = fired.iter().fold(0i64, |acc, pat| acc.saturating_add(pat.weight(&p.weights)));
    let score = raw.clamp(0, 100);
    DarkScore { score, patterns: fired, tier: tier_of(score, p) }
}

fn movement_rules(gap: &GapInfo, p: &DarkParams, fired: &mut Vec<Pattern>) {
    let sog = gap.gap_start_sog;
    if sog > p.sog_thresholds.moving {
        fired.push(Pattern::MovingAtOff);
    } else if sog > p.sog_thresholds.slow_moving {
        fired.push(Pattern::SlowMovingAtOff);
    }
}

fn zone_rule(gap: &GapInfo, inp: &ScoreInputs<'_>, fired: &mut Vec<Pattern>) {
    let (Some(zones), Some(lat), Some(lon)) = (inp.zones, gap.gap_start_lat, gap.gap_start_lon) else {
        return;
    };
    match zones.classify(lat, lon) {
        Some(ZoneClass::TerritorialSea | ZoneClass::ContiguousZone) => fired.push(Pattern::SensitiveZone),
        Some(ZoneClass::Special(_)) => fired.push(Pattern::SpecialZone),
        _ => {}
    }
}

fn history_rules(inp: &ScoreInputs<'_>, p: &DarkParams, fired: &mut Vec<Pattern>) {
    let r = &p.repeat_thresholds;
    if inp.history.count_7d >= r.h7_high {
        fired.push(Pattern::RepeatHigh);
    } else if inp.history.count_7d >= r.h7_low {
        fired.push(Pattern::RepeatLow);
    }
    // Independent of the 7-day chain: a repeat_high vessel can also be recent.
    if inp.history.count_24h >= r.h24_recent {
        fired.push(Pattern::RecentDark);
    }
}

/// Uses the rounded distance and whole minutes, and Python's `max` (a NaN average
/// propagates and the rule does not fire).
fn distance_rule(gap: &GapInfo, p: &DarkParams, fired: &mut Vec<Pattern>) {
    if !(gap.gap_resumed && gap.gap_min > 0) {
        return;
    }
    let hours = gap.gap_min as f64 / 60.0;
    let expected = py_max(hours * py_max(gap.avg_sog_before, 1.0), 0.5);
    if gap.gap_distance_nm > expected * p.p4_distance_multiplier {
        fired.push(Pattern::DistanceAnomaly);
    }
}

fn nav_status_rule(status: &str, sog: f64, p: &DarkParams, fired: &mut Vec<Pattern>) {
    if status.is_empty() {
        return;
    }
    let lower = status.to_lowercase();
    if lower.contains("under way") && sog > p.sog_thresholds.underway_deliberate {
        fired.push(Pattern::UnderwayDeliberateOff);
    } else if lower.contains("anchor") || lower.contains("moored") {
        fired.push(Pattern::AnchoredNaturalGap);
    }
}

/// Angular difference folded into [0, 180], strictly above the limit.
pub fn heading_mismatch(heading: Option<f64>, cog: Option<f64>, limit_deg: f64) -> bool {
    let (Some(h), Some(c)) = (heading, cog) else {
        return false;
    };
    let mut diff = (h - c).abs() % 360.0;
    if diff > 180.0 {
        diff = 360.0 - diff;
    }
    diff > limit_deg
}

fn tier_of(score: i64, p: &DarkParams) -> Tier {
    let t = &p.tier_thresholds;
    if score >= t.critical {
        Tier::Critical
    } else if score >= t.high {
        Tier::High
    } else if score >= t.watch {
        Tier::Watch
    } else {
        Tier::None
    }
}
