//! Parameters of the `gear` detector.

use serde::{Deserialize, Serialize};

use crate::error::ParamsError;
use crate::params::{check_points, first_failure, positive, ListRule, Params};

/// Parameters of `gear`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GearParams {
    pub step_min: i64,
    /// Gear reports are sparse: interpolate across silences up to this, minutes.
    pub max_interpolation_gap_min: i64,
    /// Name tokens that mark gear.
    pub keywords: Vec<String>,
    /// MMSI prefixes of gear (9-digit ids).
    pub mmsi_prefixes: Vec<String>,
    /// Spatio-temporal parent search radius, metres.
    pub candidate_radius_m: f64,
    /// Ticks together for a strong candidate.
    pub min_cotravel_ticks: i64,
    /// The best candidate wins when it has at least this many times the runner-up's ticks.
    pub dominance: f64,
    /// G01: zone codes where gear is prohibited (`TERRITORIAL_SEA`, `ZONE_<name>`, ...).
    pub prohibited_zones: Vec<String>,
    /// G02: hours a gear may go without an attributable parent.
    pub unattributed_hours: f64,
    /// G03: months (1-12, UTC) when gear is not permitted.
    pub closed_months: Vec<u32>,
    /// G04: most gear one parent may have in the water.
    pub max_gear_per_parent: i64,
    /// G05: a gear within this radius of its median position ...
    pub stationary_radius_m: f64,
    /// ... for at least this many hours is stationary ...
    pub stationary_hours: f64,
    /// ... and abandoned when its parent is this far at the gear's last report ...
    pub parent_far_km: f64,
    /// ... or silent for this many hours before it (or there is no parent).
    pub parent_silent_hours: f64,
    /// G06: zones where a foreign unpermitted parent's gear is a violation.
    pub eez_zones: Vec<String>,
    /// G06: the flag that is not foreign (registry `flag`).
    pub home_flag: String,
    /// Points per violation code G01..G06.
    pub points: [i64; 6],
}

impl Default for GearParams {
    fn default() -> Self {
        GearParams {
            step_min: 10,
            max_interpolation_gap_min: 180,
            keywords: ["BUOY", "NET", "GEAR", "FLOAT"].map(String::from).to_vec(),
            mmsi_prefixes: vec!["98".into(), "99".into()],
            candidate_radius_m: 2000.0,
            min_cotravel_ticks: 3,
            dominance: 2.0,
            prohibited_zones: Vec::new(),
            unattributed_hours: 6.0,
            closed_months: Vec::new(),
            max_gear_per_parent: 10,
            stationary_radius_m: 200.0,
            stationary_hours: 12.0,
            parent_far_km: 10.0,
            parent_silent_hours: 12.0,
            eez_zones: ["EEZ", "TERRITORIAL_SEA", "CONTIGUOUS_ZONE"].map(String::from).to_vec(),
            home_flag: "KR".into(),
            points: [70, 40, 50, 50, 60, 70],
        }
    }
}

impl Params for GearParams {
    /// Keyword, prefix, zone and month lists are replaced whole.
    const LISTS: ListRule = ListRule::Replace;

    fn validate(&self) -> Result<(), ParamsError> {
        if self.step_min <= 0 {
            return Err(ParamsError::at("step_min", "must be > 0"));
        }
        if self.max_interpolation_gap_min < self.step_min {
            return Err(ParamsError::at("max_interpolation_gap_min", "must be >= step_min"));
        }
        if self.candidate_radius_m.is_nan() || self.candidate_radius_m <= 0.0 {
            return Err(ParamsError::at("candidate_radius_m", "must be > 0"));
        }
        if let Some(m) = self.closed_months.iter().find(|m| !(1..=12).contains(*m)) {
            return Err(ParamsError::at("closed_months", format!("month {m} is not 1-12")));
        }
        first_failure(&[
            ("min_cotravel_ticks", self.min_cotravel_ticks >= 1, "expected >= 1"),
            ("dominance", self.dominance.is_finite() && self.dominance >= 1.0, "expected a number >= 1"),
            ("unattributed_hours", positive(self.unattributed_hours), "expected a positive number"),
            ("max_gear_per_parent", self.max_gear_per_parent >= 1, "expected >= 1"),
            ("stationary_radius_m", positive(self.stationary_radius_m), "expected a positive number"),
            ("stationary_hours", positive(self.stationary_hours), "expected a positive number"),
            ("parent_far_km", positive(self.parent_far_km), "expected a positive number"),
            ("parent_silent_hours", positive(self.parent_silent_hours), "expected a positive number"),
        ])?;
        let names = ["points[0]", "points[1]", "points[2]", "points[3]", "points[4]", "points[5]"];
        let points: Vec<(&str, i64)> = names.into_iter().zip(self.points).collect();
        check_points(&points)
    }
}
