//! The gear findings: one per recognised gear (its parent inference: status, parent,
//! candidates) and one per violation G01-G06, one function per check.
//!
//! | code | violation | when |
//! |---|---|---|
//! | G01 | gear in a prohibited zone | a report inside a zone of `prohibited_zones` (zone hook) |
//! | G02 | no attributable parent | not DIRECT_MATCH / AUTO_PROMOTED, reporting for >= `unattributed_hours` |
//! | G03 | outside the permitted season | a report in one of `closed_months` |
//! | G04 | more gear than allowed | a parent with more than `max_gear_per_parent` gear (finding on the parent) |
//! | G05 | abandoned gear | stationary (within `stationary_radius_m` for >= `stationary_hours`) and the parent unknown, silent for `parent_silent_hours` or farther than `parent_far_km` |
//! | G06 | foreign unpermitted parent's gear in the EEZ | a report in `eez_zones` (zone hook) and a parent without permit whose flag is not `home_flag` (needs a registry) |

use std::collections::BTreeMap;

use chrono::Datelike;
use lookout_model::{Finding, Position, Severity, Timestamp, Track, VesselId};
use serde_json::{json, Value};

use crate::encounters::gear::params::GearParams;
use crate::encounters::gear::parent::{infer, stationarity, GearInfo};
use crate::encounters::grid::{haversine_m, zone_code};
use crate::finding::{item, round_to};
use crate::input::CycleInput;

const NAMES: [(&str, &str, &str); 6] = [
    ("G01", "금지 수역 내 어구", "Gear in a prohibited zone"),
    ("G02", "모선 불명 어구", "Gear without an attributable parent"),
    ("G03", "허가 기간 외 어구", "Gear outside the permitted season"),
    ("G04", "허가 수량 초과 어구", "More gear than the permit allows"),
    ("G05", "유기 어구", "Abandoned gear"),
    ("G06", "외국 무허가 모선의 EEZ 내 어구", "Foreign unpermitted parent's gear in the EEZ"),
];

fn severity_of(code_index: usize) -> Severity {
    match code_index {
        0 | 5 => Severity::High,
        4 => Severity::High,
        _ => Severity::Medium,
    }
}

/// A violation finding: the code's points, level and severity, `evidence` tagged with
/// the code.
fn violation(
    p: &GearParams,
    code_index: usize,
    vessel: &VesselId,
    span: (Timestamp, Timestamp),
    detail: (String, String),
    mut evidence: Value,
) -> Finding {
    let (code, ko, en) = NAMES[code_index];
    let points = p.points[code_index];
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
        breakdown: vec![item(code, &en.to_lowercase().replace(' ', "_"), points, ko, en, detail.0, detail.1)],
        evidence,
        rule: None,
        model_version: None,
        params_hash: None,
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

/// One recognised gear whose reports reach into the window, with what every check reads.
struct Gear<'a> {
    input: &'a CycleInput<'a>,
    p: &'a GearParams,
    info: &'a GearInfo,
    track: &'a Track,
    last: &'a Position,
    span: (Timestamp, Timestamp),
    evidence: Value,
}

impl Gear<'_> {
    fn violation(&self, code_index: usize, detail: (String, String), evidence: Value) -> Finding {
        violation(self.p, code_index, &self.track.vessel, self.span, detail, evidence)
    }

    /// The first report inside a zone of `codes` (zone hook).
    fn first_in(&self, codes: &[String]) -> Option<(String, &Position)> {
        self.track.positions.iter().find_map(|pos| {
            zone_code(self.input.zones, pos.lat, pos.lon).filter(|z| codes.contains(z)).map(|z| (z, pos))
        })
    }

    /// The gear's own finding: its parent inference.
    fn finding(&self) -> Finding {
        let severity = if self.info.status.attributed() { Severity::Low } else { Severity::Watch };
        Finding {
            detector: "gear".into(),
            vessel: self.track.vessel.clone(),
            start: self.span.0,
            end: self.span.1,
            score: None,
            level: self.info.status.as_str().into(),
            severity,
            breakdown: Vec::new(),
            evidence: self.evidence.clone(),
            rule: None,
            model_version: None,
            params_hash: None,
        }
    }
}

/// All gear findings of a cycle, in track order (gear findings, then its violations),
/// then G04 per parent in parent order.
pub fn gear_findings(input: &CycleInput<'_>, p: &GearParams) -> Vec<Finding> {
    let infos = infer(input, p);
    let mut out = Vec::new();
    let mut per_parent: BTreeMap<String, Vec<&GearInfo>> = BTreeMap::new();
    for info in &infos {
        let track = &input.tracks[info.gear];
        let (Some(first), Some(last)) = (track.positions.first(), track.positions.last()) else {
            continue;
        };
        if last.timestamp <= input.window_start {
            continue;
        }
        if let (true, Some(parent)) = (info.status.attributed(), info.parent.as_ref()) {
            per_parent.entry(parent.clone()).or_default().push(info);
        }
        let span = (first.timestamp, last.timestamp);
        let gear = Gear { input, p, info, track, last, span, evidence: gear_evidence(input, info) };
        out.push(gear.finding());
        out.extend(g01_prohibited_zone(&gear));
        out.extend(g02_unattributed(&gear));
        out.extend(g03_closed_season(&gear));
        out.extend(g05_abandoned(&gear));
        out.extend(g06_foreign_parent_in_eez(&gear));
    }
    for (parent, gears) in per_parent {
        out.extend(g04_too_many(input, p, parent, &gears));
    }
    out
}

/// G01: a report inside a prohibited zone.
fn g01_prohibited_zone(g: &Gear<'_>) -> Option<Finding> {
    let (z, pos) = g.first_in(&g.p.prohibited_zones)?;
    let mut e = g.evidence.clone();
    e["zone"] = json!(z);
    e["position"] = json!({"lat": pos.lat, "lon": pos.lon});
    Some(g.violation(0, (format!("{z} 수역 내 어구"), format!("gear inside {z}")), e))
}

/// G02: no attributable parent for at least `unattributed_hours`.
fn g02_unattributed(g: &Gear<'_>) -> Option<Finding> {
    let hours = (g.span.1 - g.span.0).num_seconds() as f64 / 3600.0;
    let long_unattributed = !g.info.status.attributed() && hours >= g.p.unattributed_hours;
    if !long_unattributed {
        return None;
    }
    let status = g.info.status.as_str();
    Some(g.violation(
        1,
        (
            format!("{hours:.1}시간 동안 모선 불명 ({status})"),
            format!("no attributable parent for {hours:.1} h ({status})"),
        ),
        g.evidence.clone(),
    ))
}

/// G03: a report in a closed month.
fn g03_closed_season(g: &Gear<'_>) -> Option<Finding> {
    let pos = g.track.positions.iter().find(|pos| g.p.closed_months.contains(&pos.timestamp.month()))?;
    let m = pos.timestamp.month();
    let mut e = g.evidence.clone();
    e["month"] = json!(m);
    Some(g.violation(2, (format!("금어기 {m}월에 어구 신호"), format!("gear reporting in closed month {m}")), e))
}

/// G04: a parent with more gear than its permit allows (the finding is the parent's).
fn g04_too_many(input: &CycleInput<'_>, p: &GearParams, parent: String, gears: &[&GearInfo]) -> Option<Finding> {
    if gears.len() as i64 <= p.max_gear_per_parent {
        return None;
    }
    let tracks = || gears.iter().map(|g| &input.tracks[g.gear]);
    let ids: Vec<&str> = tracks().map(|t| t.vessel.as_str()).collect();
    let start = tracks().filter_map(|t| t.positions.first()).map(|q| q.timestamp).min()?;
    let end = tracks().filter_map(|t| t.positions.last()).map(|q| q.timestamp).max()?;
    let n = gears.len();
    let pos = tracks().next().and_then(|t| t.positions.last());
    Some(violation(
        p,
        3,
        &VesselId::new(parent.clone()),
        (start, end),
        (
            format!("어구 {n}개 (허가 {}개)", p.max_gear_per_parent),
            format!("{n} gear (permit allows {})", p.max_gear_per_parent),
        ),
        json!({"parent": parent, "gear": ids, "gear_count": n, "allowed": p.max_gear_per_parent,
               "position": pos.map(|q| json!({"lat": q.lat, "lon": q.lon}))}),
    ))
}

/// Where the parent was at the gear's last report: `silent` since, `far` away or
/// `near`, with the hours since its report and the distance in km.
type ParentState = (&'static str, Option<f64>, Option<f64>);

fn parent_state(g: &Gear<'_>, parent_track: usize) -> ParentState {
    let last = g.last;
    let before = g.input.tracks[parent_track].positions.iter().rfind(|q| q.timestamp <= last.timestamp);
    let Some(q) = before else {
        return ("silent", None, None);
    };
    let silent_h = (last.timestamp - q.timestamp).num_seconds() as f64 / 3600.0;
    let km = haversine_m(q.lat, q.lon, last.lat, last.lon) / 1000.0;
    if silent_h >= g.p.parent_silent_hours {
        ("silent", Some(silent_h), Some(km))
    } else if km > g.p.parent_far_km {
        ("far", Some(silent_h), Some(km))
    } else {
        ("near", Some(silent_h), Some(km))
    }
}

/// G05: stationary gear whose parent is unknown, silent or far away.
fn g05_abandoned(g: &Gear<'_>) -> Option<Finding> {
    let (spread, span_h) = stationarity(g.track)?;
    let stationary = spread <= g.p.stationary_radius_m && span_h >= g.p.stationary_hours;
    if !stationary {
        return None;
    }
    let state = g.info.parent_track.map(|pi| parent_state(g, pi));
    let (why, silent_h, km) = match (g.info.status.attributed(), state) {
        (false, _) => ("no_parent", None, None),
        (true, None) => return None, // a registry parent without track: cannot judge
        (true, Some(("near", _, _))) => return None,
        (true, Some(s)) => s,
    };
    let mut e = g.evidence.clone();
    e["stationary"] = json!({"spread_m": round_to(spread, 1), "hours": round_to(span_h, 2)});
    e["parent_state"] =
        json!({"state": why, "silent_h": silent_h.map(|x| round_to(x, 2)), "km": km.map(|x| round_to(x, 2))});
    Some(g.violation(
        4,
        (format!("{span_h:.1}시간 정지, 모선 상태 {why}"), format!("stationary for {span_h:.1} h, parent {why}")),
        e,
    ))
}

/// G06: gear of a foreign unpermitted parent inside the EEZ (needs a registry).
fn g06_foreign_parent_in_eez(g: &Gear<'_>) -> Option<Finding> {
    let (reg, parent) = (g.input.registry?, g.info.parent.as_deref()?);
    let entry = reg.entries.get(parent);
    let permitted = entry.is_some_and(|e| e.permitted);
    let foreign = entry.and_then(|e| e.flag.as_deref()).is_none_or(|f| !f.eq_ignore_ascii_case(&g.p.home_flag));
    if permitted || !foreign {
        return None;
    }
    let (z, pos) = g.first_in(&g.p.eez_zones)?;
    let mut e = g.evidence.clone();
    e["zone"] = json!(z);
    e["position"] = json!({"lat": pos.lat, "lon": pos.lon});
    Some(g.violation(
        5,
        (
            format!("외국 무허가 모선 {parent}의 어구가 {z} 내"),
            format!("gear of foreign unpermitted parent {parent} inside {z}"),
        ),
        e,
    ))
}
