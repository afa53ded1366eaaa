//! The `pair_trawl` detector behind the [`Detector`] trait (see [`crate::pair_trawl`]).

use lookout_model::Finding;
use serde_json::{json, Value};

use crate::algorithm::{About, CycleInput, DetectError, Detector, EntityType, Text, Upstream};
use crate::error::ParamsError;
use crate::pair_trawl::{find_pair_trawls, PairFunnel, PairRun, PairTrawlParams};
use crate::level::scored;
use crate::transship::{
    angle_diff_deg, item, median, merge_with_lists, round_to, tick_time,
};

/// Pair trawling; params are the [`PairTrawlParams`].
pub struct PairTrawlDetector;

fn parse(params: &Value) -> Result<PairTrawlParams, ParamsError> {
    let p: PairTrawlParams = crate::algorithm::parse_params(params)?;
    p.validate()?;
    Ok(p)
}

/// Two findings per episode, one per vessel, each naming the other as partner.
pub fn pair_findings(
    input: &CycleInput<'_>,
    p: &PairTrawlParams,
    r: &PairRun,
    funnel: &PairFunnel,
) -> Vec<Finding> {
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
    let max_course = r
        .ticks
        .iter()
        .filter_map(|c| Some(angle_diff_deg(c.sa.cog?, c.sb.cog?)))
        .fold(0.0, f64::max);
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
        let findings = found
            .iter()
            .flat_map(|r| pair_findings(input, p, r, &funnel))
            .collect();
        (funnel, findings)
    }
}

impl Detector for PairTrawlDetector {
    fn about(&self) -> &'static About {
        const ABOUT: About = About {
            code: "pair_trawl",
            name: Text { ko: "쌍끌이 조업", en: "Pair trawling" },
            description: Text {
                ko: "어선 2척이 비슷한 침로·속력으로 수백 m 간격을 두고 장시간 나란히 항행",
                en: "Two fishing vessels moving in parallel (similar course and speed, a few hundred metres apart) for a long time",
            },
            entity: EntityType::VesselPair,
        };
        &ABOUT
    }

    fn default_params(&self) -> Value {
        serde_json::to_value(PairTrawlParams::default()).unwrap_or(Value::Null)
    }
    fn merge_params(&self, base: &Value, over: &Value) -> Result<Value, ParamsError> {
        let merged = merge_with_lists(base, over)?;
        parse(&merged)?;
        Ok(merged)
    }
    fn run(
        &self,
        input: &CycleInput<'_>,
        params: &Value,
        up: &Upstream<'_>,
    ) -> Result<Vec<Finding>, DetectError> {
        self.run_with_stats(input, params, up).map(|(f, _)| f)
    }
    fn run_with_stats(
        &self,
        input: &CycleInput<'_>,
        params: &Value,
        _up: &Upstream<'_>,
    ) -> Result<(Vec<Finding>, Value), DetectError> {
        let (funnel, findings) = Self::detect(input, &parse(params)?);
        Ok((findings, json!({ "funnel": funnel })))
    }
}
