//! The `zones` detector: zone entry/exit episodes per vessel and intrusions by foreign
//! unpermitted vessels, scored by the zone's kind.
//!
//! An episode is a run of consecutive positions inside one zone: it starts at the first
//! position inside and ends at the first position outside (the exit), or is still open
//! at the last position. Episodes are judged per vessel and zone:
//!
//! | code | pattern | points | when |
//! |---|---|---|---|
//! | Z1 | `territorial_sea_intrusion` | +80 | a `TERRITORIAL_SEA` |
//! | Z2 | `contiguous_zone_intrusion` | +60 | a `CONTIGUOUS_ZONE` |
//! | Z3 | `eez_intrusion` | +50 | an `EEZ` |
//! | Z4 | `special_zone_entry` | +40 | a special zone `ZONE_<name>` |
//! | Z5 | `long_stay` | +10 | inside for at least `long_stay_hours` (6) |
//! | Z6 | `flag_unknown` | −30 | the flag is unknown (opaque id, not in the registry): foreign or not cannot be told |
//! | Z7 | `type_unknown` | −40 | in a territorial sea, contiguous zone or EEZ, the ship type is unknown: it may be a ship in passage, not a fishing vessel |
//!
//! Only vessels that are not permitted (registry) and not of the zone's country are
//! judged, and in a territorial sea, contiguous zone or EEZ only fishing vessels and
//! vessels of unknown type (`passage_exempt`, on by default: other ships have rights of
//! passage there); in an approximate zone only vessels of known flag: the flag is the registry's `flag` (ISO 3166 alpha-2), else the country of the
//! MMSI's MID. A zone without `country` is judged for every unpermitted vessel. Ports
//! give episodes but no finding. Score clamped to 0..100; CRITICAL >= 70, HIGH >= 50,
//! MEDIUM >= 30, else LOW. Episodes shorter than `min_inside_min` are not reported.
//!
//! The zones come from the cycle input's classifier ([`ZoneClassifier::zone_set`]);
//! without zones the detector finds nothing. The zone set itself (GeoJSON parsing, grid
//! index, point in polygon) is cycle input, [`crate::input::zones`], re-exported here.

use std::collections::BTreeMap;

use lookout_model::{Finding, Position, ShipKind, Track};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::detector::{About, Algorithm, DetectError, EntityType, Text};
use crate::error::ParamsError;
use crate::finding::{item, position_json};
use crate::identity::mid::flag_of;
use crate::input::{CycleInput, Upstream};
use crate::level::scored;
use crate::params::{check_points, Params};

pub use crate::input::zones::{zone_class, Polygon, Ring, Zone, ZoneClass, ZoneClassifier, ZoneError, ZoneSet};

/// Thresholds and weights of the `zones` detector.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZoneParams {
    /// Episodes shorter than this (first to last position inside) are not reported, minutes.
    pub min_inside_min: i64,
    /// A stay at least this long adds `long_stay`, hours.
    pub long_stay_hours: f64,
    /// Ships of a known type other than fishing (ITU 30) are not judged in a territorial
    /// sea, contiguous zone or EEZ: they have rights of passage and navigation there
    /// (UNCLOS Art. 17 and 58). Fishing vessels and vessels of unknown type are judged.
    #[serde(default = "yes")]
    pub passage_exempt: bool,
    pub weights: ZoneWeights,
}

fn yes() -> bool {
    true
}

/// Points per pattern.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZoneWeights {
    pub territorial_sea: i64,
    pub contiguous_zone: i64,
    pub eez: i64,
    pub special_zone: i64,
    pub long_stay: i64,
    pub flag_unknown: i64,
    #[serde(default = "minus_forty")]
    pub type_unknown: i64,
}

fn minus_forty() -> i64 {
    -40
}

impl Default for ZoneParams {
    fn default() -> Self {
        ZoneParams {
            min_inside_min: 0,
            long_stay_hours: 6.0,
            passage_exempt: true,
            weights: ZoneWeights {
                territorial_sea: 80,
                contiguous_zone: 60,
                eez: 50,
                special_zone: 40,
                long_stay: 10,
                flag_unknown: -30,
                type_unknown: -40,
            },
        }
    }
}

impl Params for ZoneParams {
    fn validate(&self) -> Result<(), ParamsError> {
        if self.min_inside_min < 0 {
            return Err(ParamsError::at("min_inside_min", "expected a number >= 0"));
        }
        if !(self.long_stay_hours.is_finite() && self.long_stay_hours > 0.0) {
            return Err(ParamsError::at("long_stay_hours", "expected a positive number"));
        }
        let w = &self.weights;
        check_points(&[
            ("weights.territorial_sea", w.territorial_sea),
            ("weights.contiguous_zone", w.contiguous_zone),
            ("weights.eez", w.eez),
            ("weights.special_zone", w.special_zone),
            ("weights.long_stay", w.long_stay),
            ("weights.flag_unknown", w.flag_unknown),
            ("weights.type_unknown", w.type_unknown),
        ])
    }
}

/// One stay of a vessel in one zone.
#[derive(Clone, Debug, PartialEq)]
pub struct Episode<'a> {
    /// Index into [`ZoneSet::zones`].
    pub zone: usize,
    pub enter: &'a Position,
    pub last_inside: &'a Position,
    /// The first position outside after the stay; `None` while still inside.
    pub exit: Option<&'a Position>,
    pub positions: usize,
}

/// Every zone episode of a track, ordered by entry time, then zone.
pub fn episodes<'a>(track: &'a Track, zones: &ZoneSet) -> Vec<Episode<'a>> {
    let mut open: BTreeMap<usize, Episode<'a>> = BTreeMap::new();
    let mut done = Vec::new();
    for p in &track.positions {
        let here = zones.zone_ids_at(p.lat, p.lon);
        let closing: Vec<usize> = open.keys().copied().filter(|z| !here.contains(z)).collect();
        for z in closing {
            if let Some(mut e) = open.remove(&z) {
                e.exit = Some(p);
                done.push(e);
            }
        }
        for z in here {
            open.entry(z)
                .and_modify(|e| {
                    e.last_inside = p;
                    e.positions += 1;
                })
                .or_insert(Episode { zone: z, enter: p, last_inside: p, exit: None, positions: 1 });
        }
    }
    done.extend(open.into_values());
    done.sort_by(|a, b| a.enter.timestamp.cmp(&b.enter.timestamp).then(a.zone.cmp(&b.zone)));
    done
}

/// Zone episodes and intrusions; params are the [`ZoneParams`].
pub struct ZonesDetector;

impl Algorithm for ZonesDetector {
    const ABOUT: About = About {
        code: "zones",
        name: Text { ko: "해역 침범", en: "Zone intrusion" },
        description: Text {
            ko: "영해·접속수역·EEZ·특정 어업수역 진입/이탈 구간과 무허가 외국 선박의 침범 (영해가 가장 중대)",
            en: "Zone entry/exit episodes and intrusions by foreign unpermitted vessels into territorial sea, contiguous zone, EEZ and special zones (territorial sea most severe)",
        },
        entity: EntityType::Vessel,
    };
    type Params = ZoneParams;

    /// One track at a time, in track order (incremental cycles rely on it).
    fn vessel_local(&self) -> bool {
        true
    }

    fn run(
        &self,
        input: &CycleInput<'_>,
        p: &ZoneParams,
        _upstream: &Upstream<'_>,
    ) -> Result<Vec<Finding>, DetectError> {
        let Some(zones) = input.zones.and_then(|z| z.zone_set()) else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for track in input.tracks {
            out.extend(zone_findings(track, zones, input, p));
        }
        Ok(out)
    }
}

/// The vessel's kind from its ITU type: the registry's first, else its own static data.
fn ship_kind(track: &Track, input: &CycleInput<'_>) -> Option<ShipKind> {
    let entry = input.registry.and_then(|r| r.entries.get(track.vessel.as_str()));
    entry.and_then(|e| e.ship_type).or(track.static_data.ship_type).map(|t| t.kind())
}

fn zone_findings(track: &Track, zones: &ZoneSet, input: &CycleInput<'_>, p: &ZoneParams) -> Vec<Finding> {
    let entry = input.registry.and_then(|r| r.entries.get(track.vessel.as_str()));
    if entry.is_some_and(|e| e.permitted) {
        return Vec::new();
    }
    let (flag, flag_source) = match entry.and_then(|e| e.flag.as_deref()).map(str::trim).filter(|f| !f.is_empty()) {
        Some(f) => (Some(f.to_ascii_uppercase()), "registry"),
        None => match flag_of(&track.vessel) {
            Some(m) => (Some(m.iso.clone()), "mid"),
            None => (None, "unknown"),
        },
    };
    let w = &p.weights;
    let mut out = Vec::new();
    for e in episodes(track, zones) {
        let zone = &zones.zones[e.zone];
        let end = e.exit.unwrap_or(e.last_inside);
        if end.timestamp <= input.window_start {
            continue;
        }
        let inside = e.last_inside.timestamp - e.enter.timestamp;
        if inside.num_minutes() < p.min_inside_min {
            continue;
        }
        if flag.as_deref().is_some_and(|f| zone.belongs_to(f)) {
            continue;
        }
        // Two uncertainties do not make a finding: an unknown flag in a coastline-drawn zone.
        if zone.approximate && flag.is_none() {
            continue;
        }
        let coastal = matches!(zone.class, ZoneClass::TerritorialSea | ZoneClass::ContiguousZone | ZoneClass::Eez);
        let kind = ship_kind(track, input);
        if coastal && p.passage_exempt && kind.is_some_and(|k| k != ShipKind::Fishing) {
            continue;
        }
        let zone_label = zone.name.clone().unwrap_or_else(|| zone.code.clone());
        let base = match &zone.class {
            ZoneClass::TerritorialSea => item(
                "Z1",
                "territorial_sea_intrusion",
                w.territorial_sea,
                "영해 침범",
                "Territorial sea intrusion",
                format!("무허가 외국 선박이 영해({zone_label})에 진입"),
                format!("unpermitted foreign vessel inside the territorial sea ({zone_label})"),
            ),
            ZoneClass::ContiguousZone => item(
                "Z2",
                "contiguous_zone_intrusion",
                w.contiguous_zone,
                "접속수역 침범",
                "Contiguous zone intrusion",
                format!("무허가 외국 선박이 접속수역({zone_label})에 진입"),
                format!("unpermitted foreign vessel inside the contiguous zone ({zone_label})"),
            ),
            ZoneClass::Eez => item(
                "Z3",
                "eez_intrusion",
                w.eez,
                "EEZ 침범",
                "EEZ intrusion",
                format!("무허가 외국 선박이 EEZ({zone_label})에 진입"),
                format!("unpermitted foreign vessel inside the EEZ ({zone_label})"),
            ),
            ZoneClass::Special(_) => item(
                "Z4",
                "special_zone_entry",
                w.special_zone,
                "특정 수역 진입",
                "Special zone entry",
                format!("무허가 외국 선박이 특정 수역({zone_label})에 진입"),
                format!("unpermitted foreign vessel inside the special zone ({zone_label})"),
            ),
            ZoneClass::Port | ZoneClass::Other(_) => continue,
        };
        let mut breakdown = vec![base];
        let hours = inside.num_seconds() as f64 / 3600.0;
        if hours >= p.long_stay_hours {
            breakdown.push(item(
                "Z5",
                "long_stay",
                w.long_stay,
                "장시간 체류",
                "Long stay",
                format!("{hours:.1}시간 체류 (기준 {}시간)", p.long_stay_hours),
                format!("inside for {hours:.1} h (threshold {} h)", p.long_stay_hours),
            ));
        }
        if coastal && p.passage_exempt && kind.is_none() {
            breakdown.push(item(
                "Z7",
                "type_unknown",
                w.type_unknown,
                "선종 미상",
                "Ship type unknown",
                "선종을 알 수 없어 통항 중인 상선일 수 있음 (어선 여부 미확인)".into(),
                "the ship type is unknown: it may be a ship in passage rather than a fishing vessel".into(),
            ));
        }
        if flag.is_none() {
            breakdown.push(item(
                "Z6",
                "flag_unknown",
                w.flag_unknown,
                "국적 미상",
                "Flag unknown",
                "식별번호로 국적을 알 수 없어 외국 선박인지 확인되지 않음".into(),
                "the flag cannot be told from the id or the registry: foreign or not is unverified".into(),
            ));
        }
        let (score, lvl, severity) = scored(&breakdown);
        out.push(Finding {
            detector: "zones".into(),
            vessel: track.vessel.clone(),
            start: e.enter.timestamp,
            end: end.timestamp,
            score: Some(score),
            level: lvl.into(),
            severity,
            breakdown,
            evidence: json!({
                "zone": zone.code,
                "zone_name": zone.name,
                "zone_countries": zone.countries,
                // The shipped world zones are drawn from a coastline, not legal baselines.
                "zone_approximate": zone.approximate,
                "flag": flag,
                "flag_source": flag_source,
                "enter": position_json(e.enter),
                "last_inside": position_json(e.last_inside),
                "exit": e.exit.map(position_json),
                "positions_inside": e.positions,
                "inside_min": inside.num_minutes(),
                // A line on maps: entry to exit (or to the last position inside).
                "from": position_json(e.enter),
                "to": position_json(end),
            }),
            rule: None,
            model_version: None,
            params_hash: None,
        });
    }
    out
}
