//! The `loitering` detector: a carrier slower than 2 knots for at least 4 hours at least
//! 20 nautical miles from shore (Global Fishing Watch's loitering event), on the same
//! resampled grid as the encounters ([`super::grid`]).

use lookout_model::{Finding, Track};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::detector::{About, Algorithm, DetectError, EntityType, Text};
use crate::encounters::grid::{
    median, nearest_of, resample, runs, ship_type_of, tick_time, type_in, zone_code, Place, M_PER_NM,
};
use crate::error::ParamsError;
use crate::finding::{item, round_to};
use crate::input::{CycleInput, Upstream};
use crate::level::scored;
use crate::params::{check_points, first_failure, non_negative, positive, ListRule, Params};

/// Parameters of `loitering`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoiteringParams {
    pub step_min: i64,
    pub max_interpolation_gap_min: i64,
    /// ITU types of carriers.
    pub carrier_types: Vec<u16>,
    /// Strictly slower than this, knots (GFW: 2).
    pub max_speed_kn: f64,
    /// For at least this long, minutes (GFW: 4 h).
    pub min_duration_min: i64,
    /// Median position at least this far from every shore/port place, nautical miles.
    pub min_shore_distance_nm: f64,
    /// Ports and shore reference places (points or polygons); when empty (the default)
    /// the cycle's place set (the shipped port list unless replaced) is used.
    pub shore: Vec<Place>,
    /// Points for a loitering episode, for lasting twice the minimum, and in a zone.
    pub points_loitering: i64,
    pub points_long: i64,
    pub points_in_zone: i64,
}

impl Default for LoiteringParams {
    fn default() -> Self {
        LoiteringParams {
            step_min: 10,
            max_interpolation_gap_min: 60,
            carrier_types: (70..=89).collect(),
            max_speed_kn: 2.0,
            min_duration_min: 240,
            min_shore_distance_nm: 20.0,
            shore: Vec::new(),
            points_loitering: 40,
            points_long: 10,
            points_in_zone: 15,
        }
    }
}

impl Params for LoiteringParams {
    /// Shore and ship-type lists are replaced whole.
    const LISTS: ListRule = ListRule::Replace;

    fn validate(&self) -> Result<(), ParamsError> {
        if self.step_min <= 0 {
            return Err(ParamsError::at("step_min", "must be > 0"));
        }
        if self.max_interpolation_gap_min < self.step_min {
            return Err(ParamsError::at("max_interpolation_gap_min", "must be >= step_min"));
        }
        first_failure(&[
            ("max_speed_kn", positive(self.max_speed_kn), "expected a positive number"),
            ("min_duration_min", self.min_duration_min >= 0, "expected a number >= 0"),
            ("min_shore_distance_nm", non_negative(self.min_shore_distance_nm), "expected a number >= 0"),
        ])?;
        check_points(&[
            ("points_loitering", self.points_loitering),
            ("points_long", self.points_long),
            ("points_in_zone", self.points_in_zone),
        ])
    }
}

/// Loitering findings of one track.
pub fn loitering_of(track: &Track, input: &CycleInput<'_>, p: &LoiteringParams) -> Vec<Finding> {
    if !type_in(ship_type_of(track, input.registry), &p.carrier_types) {
        return Vec::new();
    }
    let step = p.step_min * 60;
    let samples = resample(track, step, p.max_interpolation_gap_min * 60);
    let start_tick = input.window_start.timestamp().div_euclid(step);
    let mut out = Vec::new();
    for r in runs(&samples, |s| s.tick, |s| s.sog < p.max_speed_kn) {
        let run = &samples[r];
        let (Some(first), Some(last)) = (run.first(), run.last()) else {
            continue;
        };
        let minutes = (last.tick - first.tick) * p.step_min;
        if minutes < p.min_duration_min || last.tick <= start_tick {
            continue;
        }
        let mut lats: Vec<f64> = run.iter().map(|s| s.lat).collect();
        let mut lons: Vec<f64> = run.iter().map(|s| s.lon).collect();
        let (lat, lon) = (median(&mut lats), median(&mut lons));
        let nearest = nearest_of(&p.shore, input.places, lat, lon);
        let zone = zone_code(input.zones, lat, lon);
        if nearest.is_some_and(|(_, d)| d < p.min_shore_distance_nm * M_PER_NM) || zone.as_deref() == Some("PORT") {
            continue;
        }
        let mut breakdown = vec![item(
            "L1",
            "loitering",
            p.points_loitering,
            "운반선 배회",
            "Carrier loitering",
            format!("{minutes}분간 {}노트 미만, 해안에서 {}해리 이상", p.max_speed_kn, p.min_shore_distance_nm),
            format!(
                "under {} kn for {minutes} min, at least {} nm from shore",
                p.max_speed_kn, p.min_shore_distance_nm
            ),
        )];
        if minutes >= 2 * p.min_duration_min {
            breakdown.push(item(
                "L2",
                "long_loitering",
                p.points_long,
                "장시간 배회",
                "Long loitering",
                format!("최소 시간의 2배 이상 ({minutes}분)"),
                format!("at least 2x the minimum duration ({minutes} min)"),
            ));
        }
        if let Some(z) = zone.as_deref() {
            breakdown.push(item(
                "ZONE",
                "in_zone",
                p.points_in_zone,
                "관할 수역 내",
                "Inside a jurisdiction zone",
                format!("{z} 수역에서 배회"),
                format!("loitering inside {z}"),
            ));
        }
        let (score, level, severity) = scored(&breakdown);
        let max_sog = run.iter().map(|s| s.sog).fold(0.0, f64::max);
        out.push(Finding {
            detector: "loitering".into(),
            vessel: track.vessel.clone(),
            start: tick_time(first.tick, step),
            end: tick_time(last.tick, step),
            score: Some(score),
            level: level.into(),
            severity,
            breakdown,
            evidence: json!({
                "position": {"lat": round_to(lat, 6), "lon": round_to(lon, 6)},
                "duration_min": minutes,
                "max_sog_kn": round_to(max_sog, 2),
                "nearest_shore": nearest.map(|(pl, d)| json!({"name": pl.name, "nm": round_to(d / M_PER_NM, 2)})),
                "zone": zone,
            }),
            rule: None,
            model_version: None,
            params_hash: None,
        });
    }
    out
}

/// Loitering: a carrier drifting slowly for hours far from shore, as if waiting for a
/// meeting (GFW's loitering event).
pub struct LoiteringDetector;

impl Algorithm for LoiteringDetector {
    const ABOUT: About = About {
        code: "loitering",
        name: Text { ko: "운반선 배회", en: "Carrier loitering" },
        description: Text {
            ko: "운반선이 해안에서 멀리 떨어져 장시간 저속으로 배회",
            en: "A carrier moving slowly for hours far from shore",
        },
        entity: EntityType::Vessel,
    };
    type Params = LoiteringParams;

    /// One track at a time, in track order (incremental cycles rely on it).
    fn vessel_local(&self) -> bool {
        true
    }

    fn run(
        &self,
        input: &CycleInput<'_>,
        p: &LoiteringParams,
        _up: &Upstream<'_>,
    ) -> Result<Vec<Finding>, DetectError> {
        Ok(input.tracks.iter().flat_map(|t| loitering_of(t, input, p)).collect())
    }
}
