//! The `transshipment` detector: carrier × fishing encounters through a five-stage
//! funnel (the `loitering` detector is [`super::loitering`]).
//!
//! Defaults follow Global Fishing Watch's published definitions: an encounter is two
//! vessels within 500 m of each other for at least 2 hours, both slower than 2 knots,
//! at least 10 km from an anchorage, on tracks resampled to 10 minutes; loitering is a
//! carrier slower than 2 knots for at least 4 hours at least 20 nautical miles from
//! shore. Transshipment keeps by default only carrier × fishing pairs (stage 1): a
//! reefer, a bunker tanker or any cargo vessel meeting a fishing vessel. Reefers report
//! an ITU cargo type (70-79), so the carrier list is a parameter rather than a fixed kind.
//!
//! Real data often has no ship type, and real encounters include fishing × fishing and
//! fishing × other, so stage 1 takes a list of allowed class pairs (`pairs`, classes
//! `carrier`, `fishing`, `other` = a known type in neither list, `unknown` = no type),
//! and `mode = "gfw"` lets any two vessels meet, as GFW's encounter definition does. An
//! encounter with a vessel of unknown type scores `weights.unknown_type` less.

use std::collections::BTreeSet;

use lookout_model::Finding;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::detector::{About, Algorithm, DetectError, EntityType, Text};
use crate::encounters::grid::{
    by_tick, close_pairs_by_pair, median, nearest_of, resample, runs, ship_type_of, tick_time, type_in, zone_code,
    Close, Place, Sample,
};
use crate::error::ParamsError;
use crate::finding::{item, round_to};
use crate::input::{CycleInput, Upstream};
use crate::level::scored;
use crate::params::{check_points, first_failure, non_negative, positive, ListRule, Params};

/// Score weights of an encounter.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EncounterWeights {
    /// Passing all five stages.
    pub encounter: i64,
    /// Lasting at least twice the minimum duration.
    pub long: i64,
    /// Lasting at least four times the minimum duration (instead of `long`).
    pub very_long: i64,
    /// Inside a territorial sea, contiguous zone, EEZ or special zone (zone hook).
    pub in_zone: i64,
    /// The fishing vessel holds no permit (only judged when a registry is given).
    pub unpermitted_fishing: i64,
    /// Taken off when a vessel of the pair has no known type: the pair may not be a
    /// carrier and a fishing vessel at all.
    #[serde(default = "default_unknown_type_points")]
    pub unknown_type: i64,
}

fn default_unknown_type_points() -> i64 {
    20
}

/// What stage 1 makes of a vessel's ship type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VesselClass {
    /// A type in `carrier_types`.
    Carrier,
    /// A type in `fishing_types` (and not a carrier type).
    Fishing,
    /// A known type in neither list.
    Other,
    /// No ship type known.
    Unknown,
}

impl VesselClass {
    fn of(t: Option<lookout_model::ShipType>, p: &TransshipParams) -> VesselClass {
        match t {
            None => VesselClass::Unknown,
            t if type_in(t, &p.carrier_types) => VesselClass::Carrier,
            t if type_in(t, &p.fishing_types) => VesselClass::Fishing,
            Some(_) => VesselClass::Other,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            VesselClass::Carrier => "carrier",
            VesselClass::Fishing => "fishing",
            VesselClass::Other => "other",
            VesselClass::Unknown => "unknown",
        }
    }

    /// (ko, en) names in the encounter's sentence.
    fn names(self) -> (&'static str, &'static str) {
        match self {
            VesselClass::Carrier => ("운반선", "carrier"),
            VesselClass::Fishing => ("어선", "fishing vessel"),
            VesselClass::Other => ("기타 선박", "vessel of another type"),
            VesselClass::Unknown => ("선종 미상 선박", "vessel of unknown type"),
        }
    }
}

/// Which pairs stage 1 lets through.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PairMode {
    /// The class pairs listed in `pairs`.
    #[default]
    Pairs,
    /// Any two vessels, whatever their types (GFW's encounters).
    Gfw,
}

fn default_pairs() -> Vec<[VesselClass; 2]> {
    vec![[VesselClass::Carrier, VesselClass::Fishing]]
}

/// Parameters of `transshipment`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransshipParams {
    /// Resampling step, minutes (GFW: 10).
    pub step_min: i64,
    /// No interpolation across a silence longer than this, minutes.
    pub max_interpolation_gap_min: i64,
    /// Stage 1: ITU types of carriers (reefers report cargo 70-79, bunkers tanker 80-89).
    pub carrier_types: Vec<u16>,
    /// Stage 1: ITU types of fishing vessels.
    pub fishing_types: Vec<u16>,
    /// Stage 1: `pairs` (the class pairs below) or `gfw` (any two vessels).
    #[serde(default)]
    pub mode: PairMode,
    /// Stage 1 in `pairs` mode: class pairs that may meet, in either order, e.g.
    /// `[["carrier","fishing"],["fishing","fishing"],["fishing","unknown"]]`.
    #[serde(default = "default_pairs")]
    pub pairs: Vec<[VesselClass; 2]>,
    /// Stage 2: at most this far apart, metres.
    pub max_distance_m: f64,
    /// Stage 3: both strictly slower than this, knots.
    pub max_speed_kn: f64,
    /// Stage 4: close and slow on consecutive ticks spanning at least this, minutes.
    pub min_duration_min: i64,
    /// Stage 5: the encounter's median position at least this far from every port, km.
    pub min_port_distance_km: f64,
    /// Ports and anchorages (points or polygons); when empty (the default) the cycle's
    /// place set (the shipped port list unless replaced) is used. `PORT` zones of the
    /// zone classifier count too.
    pub ports: Vec<Place>,
    pub weights: EncounterWeights,
}

impl Default for TransshipParams {
    fn default() -> Self {
        TransshipParams {
            step_min: 10,
            max_interpolation_gap_min: 60,
            carrier_types: (70..=89).collect(),
            fishing_types: vec![30],
            mode: PairMode::Pairs,
            pairs: default_pairs(),
            max_distance_m: 500.0,
            max_speed_kn: 2.0,
            min_duration_min: 120,
            min_port_distance_km: 10.0,
            ports: Vec::new(),
            weights: EncounterWeights {
                encounter: 50,
                long: 10,
                very_long: 20,
                in_zone: 15,
                unpermitted_fishing: 10,
                unknown_type: default_unknown_type_points(),
            },
        }
    }
}

impl Params for TransshipParams {
    /// Port and ship-type lists are replaced whole.
    const LISTS: ListRule = ListRule::Replace;

    fn validate(&self) -> Result<(), ParamsError> {
        if self.step_min <= 0 {
            return Err(ParamsError::at("step_min", "must be > 0"));
        }
        if self.max_interpolation_gap_min < self.step_min {
            return Err(ParamsError::at("max_interpolation_gap_min", "must be >= step_min"));
        }
        if self.max_distance_m.is_nan() || self.max_distance_m <= 0.0 {
            return Err(ParamsError::at("max_distance_m", "must be > 0"));
        }
        if self.min_duration_min < 0 {
            return Err(ParamsError::at("min_duration_min", "must be >= 0"));
        }
        if self.mode == PairMode::Pairs && self.pairs.is_empty() {
            return Err(ParamsError::at(
                "pairs",
                "must name at least one pair in mode \"pairs\" (or use mode \"gfw\")",
            ));
        }
        first_failure(&[
            ("max_speed_kn", positive(self.max_speed_kn), "expected a positive number"),
            ("min_port_distance_km", non_negative(self.min_port_distance_km), "expected a number >= 0"),
        ])?;
        let w = &self.weights;
        check_points(&[
            ("weights.encounter", w.encounter),
            ("weights.long", w.long),
            ("weights.very_long", w.very_long),
            ("weights.in_zone", w.in_zone),
            ("weights.unpermitted_fishing", w.unpermitted_fishing),
            ("weights.unknown_type", w.unknown_type),
        ])
    }
}

/// Per-stage pair counts of the transshipment funnel (each stage a subset of the one
/// before; stages 4 and 5 also count encounters, since one pair can meet twice).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Funnel {
    /// Stage 1: allowed pairs (carrier × fishing by default) among the vessels with
    /// samples in the window (counted, not enumerated).
    pub type_pairs: u64,
    /// Stage 2: of those, pairs within the distance at some tick.
    pub proximity: u64,
    /// Stage 3: of those, pairs close while both slow at some tick.
    pub slow: u64,
    /// Stage 4: pairs with a close-and-slow run of the minimum duration.
    pub duration: u64,
    /// Stage 5: pairs with such a run far enough from every port (the findings).
    pub location: u64,
    /// Encounters (runs) at stage 4 and stage 5.
    pub encounters_duration: u64,
    pub encounters_location: u64,
}

/// One encounter that passed stage 4 (and stage 5 when `port` allows).
#[derive(Clone, Debug, PartialEq)]
pub struct Encounter {
    /// Track indices of the pair: `carrier` is the vessel of the first class in
    /// [`VesselClass`] order (the carrier of a carrier × fishing pair), `fishing` the other.
    pub carrier: usize,
    pub fishing: usize,
    /// Their classes, in the same order.
    pub classes: [VesselClass; 2],
    /// The close-and-slow ticks, consecutive.
    pub ticks: Vec<Close>,
    /// Median midpoint of the two vessels over the encounter.
    pub lat: f64,
    pub lon: f64,
    /// Nearest port and its distance in metres, when ports are known.
    pub nearest_port: Option<(String, f64)>,
    /// Zone at the median position (zone hook).
    pub zone: Option<String>,
    /// Whether stage 5 passed.
    pub far_from_port: bool,
}

/// The funnel and the encounters (stage 4 and 5) ending after `window_start`.
/// `use_grid = false` runs the all-pairs baseline (benchmark, tests).
pub fn find_encounters(input: &CycleInput<'_>, p: &TransshipParams, use_grid: bool) -> (Funnel, Vec<Encounter>) {
    let step = p.step_min * 60;
    let class: Vec<VesselClass> =
        input.tracks.iter().map(|t| VesselClass::of(ship_type_of(t, input.registry), p)).collect();
    let allowed = AllowedPairs::new(p);
    let samples: Vec<Vec<Sample>> =
        input
            .tracks
            .iter()
            .enumerate()
            .map(|(i, t)| {
                if allowed.may_meet(class[i]) {
                    resample(t, step, p.max_interpolation_gap_min * 60)
                } else {
                    Vec::new()
                }
            })
            .collect();
    // Stage 1 is counted, never enumerated.
    let mut funnel = Funnel { type_pairs: allowed.count(&class, &samples), ..Funnel::default() };
    let table = by_tick(&samples, |i| allowed.may_meet(class[i]));
    let allow = |a: usize, b: usize| allowed.allows(class[a], class[b]);
    let pairs = close_pairs_by_pair(&table, p.max_distance_m, allow, use_grid);
    let start_tick = input.window_start.timestamp().div_euclid(step);
    let min_ticks = p.min_duration_min as f64 / p.step_min as f64;
    let mut encounters = Vec::new();
    let (mut s4, mut s5) = (BTreeSet::new(), BTreeSet::new());
    for (&(a, b), closes) in &pairs {
        if closes.last().is_none_or(|c| c.sa.tick <= start_tick) {
            continue;
        }
        funnel.proximity += 1;
        let slow = |c: &Close| c.sa.sog < p.max_speed_kn && c.sb.sog < p.max_speed_kn;
        if !closes.iter().any(|c| slow(c) && c.sa.tick > start_tick) {
            continue;
        }
        funnel.slow += 1;
        for r in runs(closes, |c| c.sa.tick, slow) {
            let run = &closes[r];
            let (Some(first), Some(last)) = (run.first(), run.last()) else {
                continue;
            };
            if ((last.sa.tick - first.sa.tick) as f64) < min_ticks - 1e-9 || last.sa.tick <= start_tick {
                continue;
            }
            funnel.encounters_duration += 1;
            s4.insert((a, b));
            let mut lats: Vec<f64> = run.iter().map(|c| (c.sa.lat + c.sb.lat) / 2.0).collect();
            let mut lons: Vec<f64> = run.iter().map(|c| (c.sa.lon + c.sb.lon) / 2.0).collect();
            let (lat, lon) = (median(&mut lats), median(&mut lons));
            let nearest = nearest_of(&p.ports, input.places, lat, lon).map(|(pl, d)| (pl.name.clone(), d));
            let zone = zone_code(input.zones, lat, lon);
            let far = nearest.as_ref().is_none_or(|(_, d)| *d >= p.min_port_distance_km * 1000.0)
                && zone.as_deref() != Some("PORT");
            if far {
                funnel.encounters_location += 1;
                s5.insert((a, b));
            }
            let (c, f) = if class[b] < class[a] { (b, a) } else { (a, b) };
            encounters.push(Encounter {
                carrier: c,
                fishing: f,
                classes: [class[c], class[f]],
                ticks: run.to_vec(),
                lat,
                lon,
                nearest_port: nearest,
                zone,
                far_from_port: far,
            });
        }
    }
    funnel.duration = s4.len() as u64;
    funnel.location = s5.len() as u64;
    (funnel, encounters)
}

/// Stage 1's rule: which class pairs may meet.
struct AllowedPairs {
    any: bool,
    /// Unordered pairs, each stored smaller class first, without repeats.
    pairs: Vec<(VesselClass, VesselClass)>,
}

impl AllowedPairs {
    fn new(p: &TransshipParams) -> Self {
        let mut pairs: Vec<(VesselClass, VesselClass)> =
            p.pairs.iter().map(|[a, b]| if b < a { (*b, *a) } else { (*a, *b) }).collect();
        pairs.sort();
        pairs.dedup();
        AllowedPairs { any: p.mode == PairMode::Gfw, pairs }
    }

    fn allows(&self, a: VesselClass, b: VesselClass) -> bool {
        self.any || self.pairs.contains(&if b < a { (b, a) } else { (a, b) })
    }

    /// Whether a vessel of this class can be in any allowed pair (only those are resampled).
    fn may_meet(&self, c: VesselClass) -> bool {
        self.any || self.pairs.iter().any(|(a, b)| *a == c || *b == c)
    }

    /// Allowed pairs of distinct vessels with samples.
    fn count(&self, class: &[VesselClass], samples: &[Vec<Sample>]) -> u64 {
        let mut n: std::collections::BTreeMap<VesselClass, u64> = std::collections::BTreeMap::new();
        for (c, s) in class.iter().zip(samples) {
            if !s.is_empty() {
                *n.entry(*c).or_default() += 1;
            }
        }
        let pairs_within = |k: u64| k * k.saturating_sub(1) / 2;
        if self.any {
            return pairs_within(n.values().sum());
        }
        let get = |c: &VesselClass| n.get(c).copied().unwrap_or(0);
        self.pairs.iter().map(|(a, b)| if a == b { pairs_within(get(a)) } else { get(a) * get(b) }).sum()
    }
}

fn sample_json(s: &Sample) -> Value {
    json!({"lat": round_to(s.lat, 6), "lon": round_to(s.lon, 6), "sog": round_to(s.sog, 2)})
}

/// The two findings (one per vessel, each naming the other as partner) of an encounter.
fn encounter_findings(input: &CycleInput<'_>, p: &TransshipParams, e: &Encounter, funnel: &Funnel) -> Vec<Finding> {
    let step = p.step_min * 60;
    let (Some(first), Some(last)) = (e.ticks.first(), e.ticks.last()) else {
        return Vec::new();
    };
    let minutes = (last.sa.tick - first.sa.tick) * p.step_min;
    let w = &p.weights;
    let ((ko_a, en_a), (ko_b, en_b)) = (e.classes[0].names(), e.classes[1].names());
    let mut breakdown = vec![item(
        "T1-T5",
        "encounter",
        w.encounter,
        "환적 의심 조우",
        "Transshipment encounter",
        format!(
            "{ko_a}·{ko_b}이 {minutes}분간 {:.0}m 이내, 모두 {}노트 미만, 항구에서 {}km 이상",
            p.max_distance_m, p.max_speed_kn, p.min_port_distance_km
        ),
        format!(
            "{en_a} and {en_b} within {:.0} m for {minutes} min, both under {} kn, at least {} km from port",
            p.max_distance_m, p.max_speed_kn, p.min_port_distance_km
        ),
    )];
    if e.classes.contains(&VesselClass::Unknown) {
        breakdown.push(item(
            "T1",
            "unknown_type",
            -w.unknown_type,
            "선종 미상",
            "Unknown ship type",
            "선종을 알 수 없는 선박이 포함되어 운반선·어선 조우인지 확인할 수 없음".into(),
            "a vessel of the pair has no known ship type, so it may not be a carrier and a fishing vessel".into(),
        ));
    }
    if minutes >= 4 * p.min_duration_min {
        breakdown.push(item(
            "T4",
            "very_long_encounter",
            w.very_long,
            "매우 긴 조우",
            "Very long encounter",
            format!("최소 시간의 4배 이상 ({minutes}분)"),
            format!("at least 4x the minimum duration ({minutes} min)"),
        ));
    } else if minutes >= 2 * p.min_duration_min {
        breakdown.push(item(
            "T4",
            "long_encounter",
            w.long,
            "긴 조우",
            "Long encounter",
            format!("최소 시간의 2배 이상 ({minutes}분)"),
            format!("at least 2x the minimum duration ({minutes} min)"),
        ));
    }
    if let Some(z) = e.zone.as_deref().filter(|z| *z != "PORT") {
        breakdown.push(item(
            "ZONE",
            "in_zone",
            w.in_zone,
            "관할 수역 내",
            "Inside a jurisdiction zone",
            format!("{z} 수역에서 조우"),
            format!("encounter inside {z}"),
        ));
    }
    let fishing_id = input.tracks[e.fishing].vessel.as_str();
    if let Some(reg) = input.registry.filter(|_| e.classes[1] == VesselClass::Fishing) {
        if !reg.is_permitted(fishing_id) {
            breakdown.push(item(
                "P7",
                "unpermitted_fishing",
                w.unpermitted_fishing,
                "무허가 어선",
                "Unpermitted fishing vessel",
                "허가 목록에 없는 어선".into(),
                "the fishing vessel is not on the permit registry".into(),
            ));
        }
    }
    let (score, level, severity) = scored(&breakdown);
    let mut dists: Vec<f64> = e.ticks.iter().map(|c| c.dist_m).collect();
    let min_d = dists.iter().copied().fold(f64::INFINITY, f64::min);
    let med_d = median(&mut dists);
    let max_sog = e.ticks.iter().map(|c| c.sa.sog.max(c.sb.sog)).fold(0.0, f64::max);
    let mut out = Vec::new();
    let [class_a, class_b] = e.classes;
    for (me, other, role, partner_role) in [
        (e.carrier, e.fishing, class_a.as_str(), class_b.as_str()),
        (e.fishing, e.carrier, class_b.as_str(), class_a.as_str()),
    ] {
        let (mine, theirs): (Vec<&Sample>, Vec<&Sample>) =
            e.ticks.iter().map(|c| if c.a == me { (&c.sa, &c.sb) } else { (&c.sb, &c.sa) }).unzip();
        out.push(Finding {
            detector: "transshipment".into(),
            vessel: input.tracks[me].vessel.clone(),
            start: tick_time(first.sa.tick, step),
            end: tick_time(last.sa.tick, step),
            score: Some(score),
            level: level.into(),
            severity,
            breakdown: breakdown.clone(),
            evidence: json!({
                "partner": input.tracks[other].vessel.as_str(),
                "role": role,
                "partner_role": partner_role,
                "position": {"lat": round_to(e.lat, 6), "lon": round_to(e.lon, 6)},
                "duration_min": minutes,
                "ticks": e.ticks.len(),
                "min_distance_m": round_to(min_d, 1),
                "median_distance_m": round_to(med_d, 1),
                "max_sog_kn": round_to(max_sog, 2),
                "nearest_port": e.nearest_port.as_ref().map(|(n, d)| json!({"name": n, "km": round_to(d / 1000.0, 2)})),
                "zone": e.zone,
                "first": {"self": mine.first().map(|s| sample_json(s)), "partner": theirs.first().map(|s| sample_json(s))},
                "last": {"self": mine.last().map(|s| sample_json(s)), "partner": theirs.last().map(|s| sample_json(s))},
                "funnel": funnel,
            }),
            rule: None,
            model_version: None,
            params_hash: None,
        });
    }
    out
}

/// Transshipment: carrier and fishing vessel meeting slowly, for long, away from port.
pub struct TransshipmentDetector;

impl TransshipmentDetector {
    /// The funnel and findings (stage 5 encounters, two findings each), in canonical
    /// order: by pair (track order), then start.
    pub fn detect(input: &CycleInput<'_>, p: &TransshipParams) -> (Funnel, Vec<Finding>) {
        let (funnel, encounters) = find_encounters(input, p, true);
        let findings = encounters
            .iter()
            .filter(|e| e.far_from_port)
            .flat_map(|e| encounter_findings(input, p, e, &funnel))
            .collect();
        (funnel, findings)
    }
}

impl Algorithm for TransshipmentDetector {
    const ABOUT: About = About {
        code: "transshipment",
        name: Text { ko: "환적 의심", en: "Transshipment" },
        description: Text {
            ko: "운반선과 어선이 항구 밖에서 저속으로 장시간 근접 (선종·근접·저속·지속시간·위치 5단계)",
            en: "Carrier and fishing vessel close together, slow, for hours, away from port (five stages: type, proximity, speed, duration, location)",
        },
        entity: EntityType::VesselPair,
    };
    type Params = TransshipParams;

    fn run(&self, input: &CycleInput<'_>, p: &TransshipParams, up: &Upstream<'_>) -> Result<Vec<Finding>, DetectError> {
        Algorithm::run_with_stats(self, input, p, up).map(|(f, _)| f)
    }

    /// The funnel goes to the cycle statistics too: with no encounter there is no
    /// finding to carry it, and the console still draws the first stages.
    fn run_with_stats(
        &self,
        input: &CycleInput<'_>,
        p: &TransshipParams,
        _up: &Upstream<'_>,
    ) -> Result<(Vec<Finding>, Value), DetectError> {
        let (funnel, findings) = Self::detect(input, p);
        Ok((findings, json!({ "funnel": funnel })))
    }
}
