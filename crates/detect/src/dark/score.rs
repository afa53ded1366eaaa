//! The P1-P11 suspicion score of a gap analysis, the coverage and receiver-outage
//! penalties, and the tier.

use serde::Serialize;

use crate::dark::analysis::{ActivityState, GapInfo};
use crate::dark::params::DarkParams;
use crate::dark::pattern::Pattern;
use crate::input::vessels::RegistryEntry;
use crate::input::zones::{ZoneClass, ZoneClassifier};
use crate::pyfloat::py_max;

/// Ship kind as far as P9 cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ShipClass {
    Fishing,
    Cargo,
    #[default]
    Other,
}

impl RegistryEntry {
    /// The ship class P9 uses.
    pub fn ship_class(&self) -> ShipClass {
        self.ship_type.map(ShipClass::from_ship_type).unwrap_or_default()
    }
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
    /// Most of the gap was unobserved (set by the dark detector from the observation
    /// timeline; always false on the reference oracle's path).
    pub unobserved: bool,
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
    if inp.unobserved {
        fired.push(Pattern::Unobserved);
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
