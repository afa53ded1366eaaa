//! Pair trawling: two fishing vessels towing one net between them move in parallel —
//! similar course and speed, a few hundred metres apart — for a long time.
//!
//! Same resampled grid and spatial index as the encounter search
//! ([`super::grid`]): on every tick, fishing vessels within the maximum distance
//! are paired through the 3-D grid (never all pairs), then a tick counts when the two
//! are at least the minimum distance apart, both at towing speed and on courses within
//! the tolerance. A run of consecutive such ticks of at least the minimum duration is
//! a pair-trawl episode, tiered by duration and raised inside a jurisdiction zone.

use std::collections::BTreeSet;

use lookout_model::Finding;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::detector::{About, Algorithm, DetectError, EntityType, Text};
use crate::encounters::grid::{
    angle_diff_deg, by_tick, close_pairs_by_pair, median, resample, runs, ship_type_of, tick_time, type_in, zone_code,
    Close, Sample,
};
use crate::error::ParamsError;
use crate::finding::{item, round_to};
use crate::input::{CycleInput, Upstream};
use crate::level::scored;
use crate::params::{check_points, first_failure, non_negative, positive, ListRule, Params};

/// Parameters of `pair_trawl`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PairTrawlParams {
    pub step_min: i64,
    pub max_interpolation_gap_min: i64,
    /// ITU types of fishing vessels.
    pub fishing_types: Vec<u16>,
    /// Distance between the two, metres (inclusive bounds).
    pub min_distance_m: f64,
    pub max_distance_m: f64,
    /// Both speeds within these bounds, knots (inclusive).
    pub min_speed_kn: f64,
    pub max_speed_kn: f64,
    /// Courses differ by at most this, degrees.
    pub max_course_diff_deg: f64,
    /// Minimum duration of a run, minutes.
    pub min_duration_min: i64,
    /// Duration tiers: points at the minimum, from `long_min` and from `very_long_min`.
    pub points_base: i64,
    pub long_min: i64,
    pub points_long: i64,
    pub very_long_min: i64,
    pub points_very_long: i64,
    /// Points added inside a territorial sea, contiguous zone, EEZ or special zone.
    pub points_in_zone: i64,
}

impl Default for PairTrawlParams {
    fn default() -> Self {
        PairTrawlParams {
            step_min: 10,
            max_interpolation_gap_min: 60,
            fishing_types: vec![30],
            min_distance_m: 100.0,
            max_distance_m: 1500.0,
            min_speed_kn: 2.0,
            max_speed_kn: 5.0,
            max_course_diff_deg: 15.0,
            min_duration_min: 60,
            points_base: 40,
            long_min: 120,
            points_long: 15,
            very_long_min: 240,
            points_very_long: 30,
            points_in_zone: 15,
        }
    }
}

impl Params for PairTrawlParams {
    /// The ship-type list is replaced whole.
    const LISTS: ListRule = ListRule::Replace;

    fn validate(&self) -> Result<(), ParamsError> {
        if self.step_min <= 0 {
            return Err(ParamsError::at("step_min", "must be > 0"));
        }
        if self.max_interpolation_gap_min < self.step_min {
            return Err(ParamsError::at("max_interpolation_gap_min", "must be >= step_min"));
        }
        if !(self.min_distance_m >= 0.0 && self.min_distance_m <= self.max_distance_m && self.max_distance_m > 0.0) {
            return Err(ParamsError::at("max_distance_m", "expected 0 <= min_distance_m <= max_distance_m, > 0"));
        }
        if self.min_speed_kn > self.max_speed_kn {
            return Err(ParamsError::at("max_speed_kn", "must be >= min_speed_kn"));
        }
        first_failure(&[
            ("min_speed_kn", non_negative(self.min_speed_kn), "expected a number >= 0"),
            ("max_speed_kn", positive(self.max_speed_kn), "expected a positive number"),
            (
                "max_course_diff_deg",
                non_negative(self.max_course_diff_deg) && self.max_course_diff_deg <= 180.0,
                "expected 0..=180 degrees",
            ),
            (
                "long_min",
                0 <= self.min_duration_min
                    && self.min_duration_min <= self.long_min
                    && self.long_min <= self.very_long_min,
                "expected 0 <= min_duration_min <= long_min <= very_long_min",
            ),
        ])?;
        check_points(&[
            ("points_base", self.points_base),
            ("points_long", self.points_long),
            ("points_very_long", self.points_very_long),
            ("points_in_zone", self.points_in_zone),
        ])
    }
}

impl PairTrawlParams {
    /// Whether one tick of a close pair looks like towing together.
    pub fn towing(&self, c: &Close) -> bool {
        let speed = |s: &Sample| s.sog >= self.min_speed_kn && s.sog <= self.max_speed_kn;
        let course = match (c.sa.cog, c.sb.cog) {
            (Some(a), Some(b)) => angle_diff_deg(a, b) <= self.max_course_diff_deg,
            _ => false,
        };
        c.dist_m >= self.min_distance_m && speed(&c.sa) && speed(&c.sb) && course
    }
}

/// One pair-trawl episode between tracks `a < b`.
#[derive(Clone, Debug, PartialEq)]
pub struct PairRun {
    pub a: usize,
    pub b: usize,
    pub ticks: Vec<Close>,
    pub lat: f64,
    pub lon: f64,
    pub zone: Option<String>,
}

/// Counts per stage, like the transshipment funnel: fishing pairs, pairs within the
/// maximum distance at some tick, pairs towing together at some tick, pairs with a run
/// of the minimum duration.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PairFunnel {
    pub fishing_pairs: u64,
    pub proximity: u64,
    pub parallel: u64,
    pub duration: u64,
}

/// Pair-trawl episodes ending after the window start.
pub fn find_pair_trawls(input: &CycleInput<'_>, p: &PairTrawlParams, use_grid: bool) -> (PairFunnel, Vec<PairRun>) {
    let step = p.step_min * 60;
    let fishing: Vec<bool> =
        input.tracks.iter().map(|t| type_in(ship_type_of(t, input.registry), &p.fishing_types)).collect();
    let samples: Vec<Vec<Sample>> = input
        .tracks
        .iter()
        .zip(&fishing)
        .map(|(t, f)| if *f { resample(t, step, p.max_interpolation_gap_min * 60) } else { Vec::new() })
        .collect();
    let n = samples.iter().filter(|s| !s.is_empty()).count() as u64;
    let mut funnel = PairFunnel { fishing_pairs: n * n.saturating_sub(1) / 2, ..Default::default() };
    let table = by_tick(&samples, |i| fishing[i]);
    let pairs = close_pairs_by_pair(&table, p.max_distance_m, |a, b| fishing[a] && fishing[b], use_grid);
    let start_tick = input.window_start.timestamp().div_euclid(step);
    let min_ticks = p.min_duration_min as f64 / p.step_min as f64;
    let mut out = Vec::new();
    let mut with_run = BTreeSet::new();
    for (&(a, b), closes) in &pairs {
        if closes.last().is_none_or(|c| c.sa.tick <= start_tick) {
            continue;
        }
        funnel.proximity += 1;
        if !closes.iter().any(|c| p.towing(c) && c.sa.tick > start_tick) {
            continue;
        }
        funnel.parallel += 1;
        for r in runs(closes, |c| c.sa.tick, |c| p.towing(c)) {
            let run = &closes[r];
            let (Some(first), Some(last)) = (run.first(), run.last()) else {
                continue;
            };
            if ((last.sa.tick - first.sa.tick) as f64) < min_ticks - 1e-9 || last.sa.tick <= start_tick {
                continue;
            }
            with_run.insert((a, b));
            let mut lats: Vec<f64> = run.iter().map(|c| (c.sa.lat + c.sb.lat) / 2.0).collect();
            let mut lons: Vec<f64> = run.iter().map(|c| (c.sa.lon + c.sb.lon) / 2.0).collect();
            let (lat, lon) = (median(&mut lats), median(&mut lons));
            out.push(PairRun { a, b, ticks: run.to_vec(), lat, lon, zone: zone_code(input.zones, lat, lon) });
        }
    }
    funnel.duration = with_run.len() as u64;
    (funnel, out)
}

/// Pair trawling; params are the [`PairTrawlParams`].
pub struct PairTrawlDetector;

/// Two findings per episode, one per vessel, each naming the other as partner.
pub fn pair_findings(input: &CycleInput<'_>, p: &PairTrawlParams, r: &PairRun, funnel: &PairFunnel) -> Vec<Finding> {
    let step = p.step_min * 60;
    let (Some(first), Some(last)) = (r.ticks.first(), r.ticks.last()) else {
        return Vec::new();
    };
    let minutes = (last.sa.tick - first.sa.tick) * p.step_min;
    let mut breakdown = vec![item(
        "PT1",
        "pair_trawl",
        p.points_base,
        "쌍끌이 의심",
        "Pair trawling",
        format!(
            "어선 2척이 {minutes}분간 {:.0}-{:.0}m 간격, {}-{}노트, 침로차 {}° 이내로 나란히 항행",
            p.min_distance_m, p.max_distance_m, p.min_speed_kn, p.max_speed_kn, p.max_course_diff_deg
        ),
        format!(
            "two fishing vessels {:.0}-{:.0} m apart at {}-{} kn, courses within {}°, for {minutes} min",
            p.min_distance_m, p.max_distance_m, p.min_speed_kn, p.max_speed_kn, p.max_course_diff_deg
        ),
    )];
    if minutes >= p.very_long_min {
        breakdown.push(item(
            "PT2",
            "very_long_pair_trawl",
            p.points_very_long,
            "매우 긴 쌍끌이",
            "Very long pair trawling",
            format!("{}분 이상 ({minutes}분)", p.very_long_min),
            format!("at least {} min ({minutes} min)", p.very_long_min),
        ));
    } else if minutes >= p.long_min {
        breakdown.push(item(
            "PT2",
            "long_pair_trawl",
            p.points_long,
            "긴 쌍끌이",
            "Long pair trawling",
            format!("{}분 이상 ({minutes}분)", p.long_min),
            format!("at least {} min ({minutes} min)", p.long_min),
        ));
    }
    if let Some(z) = r.zone.as_deref().filter(|z| *z != "PORT") {
        breakdown.push(item(
            "ZONE",
            "in_zone",
            p.points_in_zone,
            "관할 수역 내",
            "Inside a jurisdiction zone",
            format!("{z} 수역에서 쌍끌이"),
            format!("pair trawling inside {z}"),
        ));
    }
    let (score, level, severity) = scored(&breakdown);
    let mut dists: Vec<f64> = r.ticks.iter().map(|c| c.dist_m).collect();
    let med_d = median(&mut dists);
    let max_course = r.ticks.iter().filter_map(|c| Some(angle_diff_deg(c.sa.cog?, c.sb.cog?))).fold(0.0, f64::max);
    [(r.a, r.b), (r.b, r.a)]
        .into_iter()
        .map(|(me, other)| Finding {
            detector: "pair_trawl".into(),
            vessel: input.tracks[me].vessel.clone(),
            start: tick_time(first.sa.tick, step),
            end: tick_time(last.sa.tick, step),
            score: Some(score),
            level: level.into(),
            severity,
            breakdown: breakdown.clone(),
            evidence: json!({
                "partner": input.tracks[other].vessel.as_str(),
                "position": {"lat": round_to(r.lat, 6), "lon": round_to(r.lon, 6)},
                "duration_min": minutes,
                "ticks": r.ticks.len(),
                "median_distance_m": round_to(med_d, 1),
                "max_course_diff_deg": round_to(max_course, 1),
                "zone": r.zone,
                "funnel": funnel,
            }),
            rule: None,
            model_version: None,
            params_hash: None,
        })
        .collect()
}

impl PairTrawlDetector {
    /// Funnel and findings in canonical order (pair by track order, then start).
    pub fn detect(input: &CycleInput<'_>, p: &PairTrawlParams) -> (PairFunnel, Vec<Finding>) {
        let (funnel, found) = find_pair_trawls(input, p, true);
        let findings = found.iter().flat_map(|r| pair_findings(input, p, r, &funnel)).collect();
        (funnel, findings)
    }
}

impl Algorithm for PairTrawlDetector {
    const ABOUT: About = About {
        code: "pair_trawl",
        name: Text { ko: "쌍끌이 조업", en: "Pair trawling" },
        description: Text {
            ko: "어선 2척이 비슷한 침로·속력으로 수백 m 간격을 두고 장시간 나란히 항행",
            en: "Two fishing vessels moving in parallel (similar course and speed, a few hundred metres apart) for a long time",
        },
        entity: EntityType::VesselPair,
    };
    type Params = PairTrawlParams;

    fn run(&self, input: &CycleInput<'_>, p: &PairTrawlParams, up: &Upstream<'_>) -> Result<Vec<Finding>, DetectError> {
        Algorithm::run_with_stats(self, input, p, up).map(|(f, _)| f)
    }

    fn run_with_stats(
        &self,
        input: &CycleInput<'_>,
        p: &PairTrawlParams,
        _up: &Upstream<'_>,
    ) -> Result<(Vec<Finding>, Value), DetectError> {
        let (funnel, findings) = Self::detect(input, p);
        Ok((findings, json!({ "funnel": funnel })))
    }
}
