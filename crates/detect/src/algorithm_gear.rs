//! The `gear` detector behind the [`Detector`] trait: one finding per recognised gear
//! (its parent inference: status, parent, candidates) and one per violation G01-G06
//! (see [`crate::gear`]).
//!
//! | code | violation | when |
//! |---|---|---|
//! | G01 | gear in a prohibited zone | a report inside a zone of `prohibited_zones` (zone hook) |
//! | G02 | no attributable parent | not DIRECT_MATCH / AUTO_PROMOTED, reporting for >= `unattributed_hours` |
//! | G03 | outside the permitted season | a report in one of `closed_months` |
//! | G04 | more gear than allowed | a parent with more than `max_gear_per_parent` gear (finding on the parent) |
//! | G05 | abandoned gear | stationary (within `stationary_radius_m` for >= `stationary_hours`) and the parent unknown, silent for `parent_silent_hours` or farther than `parent_far_km` |
//! | G06 | foreign unpermitted parent's gear in the EEZ | a report in `eez_zones` (zone hook) and a parent without permit whose flag is not `home_flag` (needs a registry) |

use chrono::Datelike;
use lookout_model::{Finding, Severity, Timestamp};
use serde_json::{json, Value};

use crate::algorithm::{About, CycleInput, DetectError, Detector, EntityType, Text, Upstream};
use crate::error::ParamsError;
use crate::gear::{infer, stationarity, GearInfo, GearParams, ParentStatus};
use crate::transship::{haversine_m, item, merge_with_lists, round_to, zone_code};

/// Fishing gear recognition, parent inference and violations.
pub struct GearDetector;

fn parse(params: &Value) -> Result<GearParams, ParamsError> {
    let p: GearParams = crate::algorithm::parse_params(params)?;
    p.validate()?;
    Ok(p)
}

const NAMES: [(&str, &str, &str); 6] = [
    ("G01", "금지 수역 내 어구", "Gear in a prohibited zone"),
    (
        "G02",
        "모선 불명 어구",
        "Gear without an attributable parent",
    ),
    (
        "G03",
        "허가 기간 외 어구",
        "Gear outside the permitted season",
    ),
    (
        "G04",
        "허가 수량 초과 어구",
        "More gear than the permit allows",
    ),
    ("G05", "유기 어구", "Abandoned gear"),
    (
        "G06",
        "외국 무허가 모선의 EEZ 내 어구",
        "Foreign unpermitted parent's gear in the EEZ",
    ),
];

fn severity_of(code_index: usize) -> Severity {
    match code_index {
        0 | 5 => Severity::High,
        4 => Severity::High,
        _ => Severity::Medium,
    }
}

struct Ctx<'a> {
    p: &'a GearParams,
}

impl Ctx<'_> {
    fn violation(
        &self,
        code_index: usize,
        vessel: &lookout_model::VesselId,
        span: (Timestamp, Timestamp),
        detail: (String, String),
        mut evidence: Value,
    ) -> Finding {
        let (code, ko, en) = NAMES[code_index];
        let points = self.p.points[code_index];
        if let Some(m) = evidence.as_object_mut() {
            m.insert("violation".into(), code.into());
        }
        Finding {
            detector: "gear".into(),
            vessel: vessel.clone(),
            start: span.0,
            end: span.1,
            score: Some(points.clamp(0, 100)),
            level: code.into(),
            severity: severity_of(code_index),
            breakdown: vec![item(
                code,
                &en.to_lowercase().replace(' ', "_"),
                points,
                ko,
                en,
                detail.0,
                detail.1,
            )],
            evidence,
            rule: None,
            model_version: None,
            params_hash: None,
        }
    }
}

fn gear_evidence(input: &CycleInput<'_>, g: &GearInfo) -> Value {
    let t = &input.tracks[g.gear];
    let last = t.positions.last();
    json!({
        "gear": t.vessel.as_str(),
        "name": t.static_data.name,
        "signals": g.signals.signals,
        "base_name": g.signals.base_name,
        "battery_pct": g.signals.battery_pct,
        "parent_status": g.status.as_str(),
        "parent": g.parent,
        "candidate_count": g.candidates.len(),
        "candidates": g.candidates,
        "position": last.map(|p| json!({"lat": p.lat, "lon": p.lon})),
        "reports": t.positions.len(),
    })
}

/// All gear findings of a cycle, in track order (gear findings, then its violations),
/// then G04 per parent in parent order.
pub fn gear_findings(input: &CycleInput<'_>, p: &GearParams) -> Vec<Finding> {
    let ctx = Ctx { p };
    let infos = infer(input, p);
    let mut out = Vec::new();
    let mut per_parent: std::collections::BTreeMap<String, Vec<&GearInfo>> = Default::default();
    for g in &infos {
        let t = &input.tracks[g.gear];
        let (Some(first), Some(last)) = (t.positions.first(), t.positions.last()) else {
            continue;
        };
        if last.timestamp <= input.window_start {
            continue;
        }
        if let (true, Some(parent)) = (g.status.attributed(), g.parent.as_ref()) {
            per_parent.entry(parent.clone()).or_default().push(g);
        }
        let span = (first.timestamp, last.timestamp);
        let ev = gear_evidence(input, g);
        let (level, severity) = match g.status {
            ParentStatus::DirectMatch | ParentStatus::AutoPromoted => {
                (g.status.as_str(), Severity::Low)
            }
            ParentStatus::ReviewRequired | ParentStatus::Unresolved => {
                (g.status.as_str(), Severity::Watch)
            }
        };
        out.push(Finding {
            detector: "gear".into(),
            vessel: t.vessel.clone(),
            start: span.0,
            end: span.1,
            score: None,
            level: level.into(),
            severity,
            breakdown: Vec::new(),
            evidence: ev.clone(),
            rule: None,
            model_version: None,
            params_hash: None,
        });
        // G01 / G06: the first report inside a listed zone (zone hook).
        let zoned = |codes: &[String]| {
            t.positions.iter().find_map(|pos| {
                zone_code(input.zones, pos.lat, pos.lon)
                    .filter(|z| codes.contains(z))
                    .map(|z| (z, pos))
            })
        };
        if let Some((z, pos)) = zoned(&p.prohibited_zones) {
            let mut e = ev.clone();
            e["zone"] = json!(z);
            e["position"] = json!({"lat": pos.lat, "lon": pos.lon});
            out.push(ctx.violation(
                0,
                &t.vessel,
                span,
                (format!("{z} 수역 내 어구"), format!("gear inside {z}")),
                e,
            ));
        }
        let hours = (last.timestamp - first.timestamp).num_seconds() as f64 / 3600.0;
        if !g.status.attributed() && hours >= p.unattributed_hours {
            out.push(ctx.violation(
                1,
                &t.vessel,
                span,
                (
                    format!("{hours:.1}시간 동안 모선 불명 ({})", g.status.as_str()),
                    format!(
                        "no attributable parent for {hours:.1} h ({})",
                        g.status.as_str()
                    ),
                ),
                ev.clone(),
            ));
        }
        if let Some(pos) = t
            .positions
            .iter()
            .find(|pos| p.closed_months.contains(&pos.timestamp.month()))
        {
            let m = pos.timestamp.month();
            let mut e = ev.clone();
            e["month"] = json!(m);
            out.push(ctx.violation(
                2,
                &t.vessel,
                span,
                (
                    format!("금어기 {m}월에 어구 신호"),
                    format!("gear reporting in closed month {m}"),
                ),
                e,
            ));
        }
        if let Some((spread, span_h)) = stationarity(t) {
            if spread <= p.stationary_radius_m && span_h >= p.stationary_hours {
                // The parent at the gear's last report: silent since, or far away.
                let parent_state = g.parent_track.map(|pi| {
                    let pt = &input.tracks[pi];
                    let before = pt
                        .positions
                        .iter().rfind(|q| q.timestamp <= last.timestamp);
                    match before {
                        None => ("silent", None, None),
                        Some(q) => {
                            let silent_h =
                                (last.timestamp - q.timestamp).num_seconds() as f64 / 3600.0;
                            let km = haversine_m(q.lat, q.lon, last.lat, last.lon) / 1000.0;
                            if silent_h >= p.parent_silent_hours {
                                ("silent", Some(silent_h), Some(km))
                            } else if km > p.parent_far_km {
                                ("far", Some(silent_h), Some(km))
                            } else {
                                ("near", Some(silent_h), Some(km))
                            }
                        }
                    }
                });
                let reason = match (g.status.attributed(), parent_state) {
                    (false, _) => Some(("no_parent", None, None)),
                    (true, None) => None, // a registry parent without track: cannot judge
                    (true, Some(("near", _, _))) => None,
                    (true, Some(s)) => Some(s),
                };
                if let Some((why, silent_h, km)) = reason {
                    let mut e = ev.clone();
                    e["stationary"] =
                        json!({"spread_m": round_to(spread, 1), "hours": round_to(span_h, 2)});
                    e["parent_state"] = json!({"state": why, "silent_h": silent_h.map(|x| round_to(x, 2)), "km": km.map(|x| round_to(x, 2))});
                    out.push(ctx.violation(
                        4,
                        &t.vessel,
                        span,
                        (
                            format!("{span_h:.1}시간 정지, 모선 상태 {why}"),
                            format!("stationary for {span_h:.1} h, parent {why}"),
                        ),
                        e,
                    ));
                }
            }
        }
        if let (Some(reg), Some(parent)) = (input.registry, g.parent.as_deref()) {
            let entry = reg.entries.get(parent);
            let permitted = entry.is_some_and(|e| e.permitted);
            let foreign = entry
                .and_then(|e| e.flag.as_deref())
                .is_none_or(|f| !f.eq_ignore_ascii_case(&p.home_flag));
            if !permitted && foreign {
                if let Some((z, pos)) = zoned(&p.eez_zones) {
                    let mut e = ev.clone();
                    e["zone"] = json!(z);
                    e["position"] = json!({"lat": pos.lat, "lon": pos.lon});
                    out.push(ctx.violation(
                        5,
                        &t.vessel,
                        span,
                        (
                            format!("외국 무허가 모선 {parent}의 어구가 {z} 내"),
                            format!("gear of foreign unpermitted parent {parent} inside {z}"),
                        ),
                        e,
                    ));
                }
            }
        }
    }
    for (parent, gears) in per_parent {
        if gears.len() as i64 <= p.max_gear_per_parent {
            continue;
        }
        let ids: Vec<&str> = gears
            .iter()
            .map(|g| input.tracks[g.gear].vessel.as_str())
            .collect();
        let start = gears
            .iter()
            .filter_map(|g| input.tracks[g.gear].positions.first())
            .map(|q| q.timestamp)
            .min();
        let end = gears
            .iter()
            .filter_map(|g| input.tracks[g.gear].positions.last())
            .map(|q| q.timestamp)
            .max();
        let (Some(start), Some(end)) = (start, end) else {
            continue;
        };
        let n = gears.len();
        let pos = gears
            .first()
            .and_then(|g| input.tracks[g.gear].positions.last());
        out.push(ctx.violation(
            3,
            &lookout_model::VesselId::new(parent.clone()),
            (start, end),
            (
                format!("어구 {n}개 (허가 {}개)", p.max_gear_per_parent),
                format!("{n} gear (permit allows {})", p.max_gear_per_parent),
            ),
            json!({"parent": parent, "gear": ids, "gear_count": n, "allowed": p.max_gear_per_parent,
                   "position": pos.map(|q| json!({"lat": q.lat, "lon": q.lon}))}),
        ));
    }
    out
}

impl Detector for GearDetector {
    fn about(&self) -> &'static About {
        const ABOUT: About = About {
            code: "gear",
            name: Text { ko: "어구 신호와 모선 추론", en: "Fishing gear and parent inference" },
            description: Text {
                ko: "어구 AIS 신호(부표 이름·배터리·MMSI)를 식별하고 모선을 추론하며 위반 G01-G06을 판정",
                en: "Recognises fishing-gear AIS signals (buoy names, battery levels, MMSI ranges), infers the parent vessel and flags violations G01-G06",
            },
            entity: EntityType::Vessel,
        };
        &ABOUT
    }

    fn default_params(&self) -> Value {
        serde_json::to_value(GearParams::default()).unwrap_or(Value::Null)
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
        _up: &Upstream<'_>,
    ) -> Result<Vec<Finding>, DetectError> {
        Ok(gear_findings(input, &parse(params)?))
    }
}
