//! Product path: a [`Track`] in, [`Finding`]s out.

use lookout_model::{Finding, Position, Severity, Timestamp, Track};
use serde_json::json;

use crate::dark::analysis::{analyze_sorted, GapInfo};
use crate::dark::gaps::{for_each_gap, Gap};
use crate::dark::params::DarkParams;
use crate::dark::pattern::Pattern;
use crate::dark::sample::is_time_sorted;
use crate::dark::score::{compute_dark_suspicion, DarkHistory, DarkScore, ScoreInputs, ShipClass, Tier};
use crate::error::ParamsError;
use crate::input::observation::{ObservationGrid, Unobserved};
use crate::input::zones::ZoneClassifier;
use crate::reception::outage::OutageNote;

/// Per-vessel facts the track does not carry.
#[derive(Clone, Copy)]
pub struct DarkContext<'a> {
    /// On the permit registry.
    pub permitted: bool,
    pub history: DarkHistory,
    /// Current hour in the params' time zone (see [`local_hour`]).
    pub local_hour: i64,
    pub zones: Option<&'a dyn ZoneClassifier>,
}

/// The hour (0..=23) of `now` in the params' time zone.
pub fn local_hour(now: Timestamp, params: &DarkParams) -> Result<i64, ParamsError> {
    use chrono::Timelike;
    let tz: chrono_tz::Tz = params.timezone.parse().map_err(|_| ParamsError {
        path: "timezone".into(),
        message: format!("unknown time zone '{}'", params.timezone),
    })?;
    Ok(i64::from(now.with_timezone(&tz).hour()))
}

fn position_evidence(p: &Position) -> serde_json::Value {
    json!({ "timestamp": p.timestamp, "lat": p.lat, "lon": p.lon, "sog": p.sog, "cog": p.cog, "heading": p.heading })
}

/// One `gaps` finding per gap in the track. Positions must be in time order, as a
/// [`Track`] guarantees; out-of-order pairs are skipped.
pub fn gap_findings(track: &Track, params: &DarkParams) -> Vec<Finding> {
    let mut out = Vec::new();
    for_each_gap(&track.positions, &params.gap_thresholds, |g| out.push(gap_finding(track, &g)));
    out
}

fn gap_finding(track: &Track, g: &Gap) -> Finding {
    let (a, b) = (&track.positions[g.start_index], &track.positions[g.end_index]);
    Finding {
        detector: "gaps".into(),
        vessel: track.vessel.clone(),
        start: a.timestamp,
        end: b.timestamp,
        score: None,
        level: g.severity.as_str().into(),
        severity: g.severity.severity(),
        breakdown: Vec::new(),
        evidence: json!({
            "gap_sec": g.gap_sec,
            "gap_min": g.gap_min,
            "displacement_nm": g.displacement_nm,
            "from": position_evidence(a),
            "to": position_evidence(b),
        }),
        rule: None,
        model_version: None,
        params_hash: None,
    }
}

/// What the cycle knows about a gap beyond its track: the notes of the patterns that are
/// not in the reference. The default (no note) scores as the reference does.
#[derive(Clone, Copy, Debug, Default)]
pub struct GapNotes<'n> {
    /// A detected receiver outage explains the gap (`reception_outage`).
    pub outage: Option<&'n OutageNote>,
    /// Most of the gap was unobserved (`unobserved`).
    pub unobserved: Option<&'n UnobservedNote>,
}

/// Why a gap counts as unobserved: the numbers for the breakdown and the evidence.
#[derive(Clone, Debug, PartialEq)]
pub struct UnobservedNote {
    pub description_ko: String,
    pub description_en: String,
    pub evidence: serde_json::Value,
}

impl UnobservedNote {
    /// The note for a gap of which `u` was unobserved on `grid`.
    pub fn new(u: &Unobserved, grid: &ObservationGrid) -> UnobservedNote {
        let pct = (u.share() * 100.0).round();
        let hours = (u.unobserved_sec as f64 / 360.0).round() / 10.0;
        let total = (u.gap_sec as f64 / 360.0).round() / 10.0;
        let (deg, bucket) = (grid.cell_deg, grid.bucket_min);
        UnobservedNote {
            description_ko: format!(
                "공백 {total}시간 중 {hours}시간({pct}%) 동안 양 끝 위치 주변 {deg}° 격자(인접 격자 포함)에서 어떤 선박의 보고도 저장되지 않음 ({bucket}분 단위): 관측되지 않은 시간은 꺼진 증거가 아님 (감점)"
            ),
            description_en: format!(
                "For {hours} h of this {total} h silence ({pct}%), nobody at all was heard within the {deg}° cells around its two ends and their neighbours ({bucket}-minute buckets): a time nobody observed is no evidence of a switch-off (lowers the score)"
            ),
            evidence: u.evidence(grid),
        }
    }
}

/// Gap analysis and score of one track, or `None` when it is not dark. Sorts a copy of
/// the references only when the positions are out of order.
pub fn score_track(track: &Track, ctx: &DarkContext<'_>, params: &DarkParams) -> Option<(GapInfo, DarkScore)> {
    score_track_with(track, ctx, params, GapNotes::default())
}

/// [`score_track`], with `notes` telling whether a detected receiver outage explains
/// the gap (the `reception_outage` pattern) and whether it was unobserved.
fn score_track_with(
    track: &Track,
    ctx: &DarkContext<'_>,
    params: &DarkParams,
    notes: GapNotes<'_>,
) -> Option<(GapInfo, DarkScore)> {
    let info = if is_time_sorted(&track.positions) {
        analyze_sorted(&track.positions, &params.gap_thresholds, params.teleport_speed_kn)
    } else {
        let mut refs: Vec<&Position> = track.positions.iter().collect();
        refs.sort_by_key(|p| p.timestamp);
        let info = analyze_sorted(&refs, &params.gap_thresholds, params.teleport_speed_kn);
        let start = info.start_index.map(|i| refs[i]);
        return start.map(|s| {
            let score = score_at(&info, s, track, ctx, params, notes);
            (info, score)
        });
    };
    let start = &track.positions[info.start_index?];
    let score = score_at(&info, start, track, ctx, params, notes);
    Some((info, score))
}

fn score_at(
    info: &GapInfo,
    start: &Position,
    track: &Track,
    ctx: &DarkContext<'_>,
    params: &DarkParams,
    notes: GapNotes<'_>,
) -> DarkScore {
    let inputs = ScoreInputs {
        permitted: ctx.permitted,
        history: ctx.history,
        local_hour: ctx.local_hour,
        zones: ctx.zones,
        ship_class: track.static_data.ship_type.map(ShipClass::from_ship_type).unwrap_or_default(),
        nav_status: start.nav_status.map(|s| s.text()).unwrap_or(""),
        heading: start.heading,
        last_cog: start.cog,
        reception_outage: notes.outage.is_some(),
        unobserved: notes.unobserved.is_some(),
    };
    compute_dark_suspicion(info, &inputs, params)
}

/// The `dark_suspicion` finding of a track, when it is dark.
pub fn dark_finding(track: &Track, ctx: &DarkContext<'_>, params: &DarkParams) -> Option<Finding> {
    dark_finding_with(track, ctx, params, GapNotes::default())
}

/// [`dark_finding`] for a gap the cycle knows more about: with an outage note the score
/// gains the `reception_outage` pattern, with an unobserved note the `unobserved`
/// pattern (both negative points), and the breakdown and evidence carry their numbers;
/// with no note it is [`dark_finding`] exactly.
pub fn dark_finding_with(
    track: &Track,
    ctx: &DarkContext<'_>,
    params: &DarkParams,
    notes: GapNotes<'_>,
) -> Option<Finding> {
    let (info, score) = score_track_with(track, ctx, params, notes)?;
    let start_idx = info.start_index?;
    let (a, b) = if is_time_sorted(&track.positions) {
        (track.positions.get(start_idx)?, track.positions.get(start_idx + 1)?)
    } else {
        let mut order: Vec<&Position> = track.positions.iter().collect();
        order.sort_by_key(|p| p.timestamp);
        (*order.get(start_idx)?, *order.get(start_idx + 1)?)
    };
    let mut breakdown: Vec<_> = score.patterns.iter().map(|p| p.breakdown_item(&params.weights)).collect();
    let mut evidence = json!({
        "gap_info": info,
        "gap_start": position_evidence(a),
        "gap_end": position_evidence(b),
        "raw_score": score.patterns.iter().map(|p| p.weight(&params.weights)).sum::<i64>(),
    });
    if let Some(note) = notes.outage {
        for item in breakdown.iter_mut().filter(|i| i.pattern == Pattern::ReceptionOutage.id()) {
            item.description_ko.clone_from(&note.description_ko);
            item.description_en.clone_from(&note.description_en);
        }
        evidence["reception_outage"] = note.evidence.clone();
    }
    if let Some(note) = notes.unobserved {
        for item in breakdown.iter_mut().filter(|i| i.pattern == Pattern::Unobserved.id()) {
            item.description_ko.clone_from(&note.description_ko);
            item.description_en.clone_from(&note.description_en);
        }
        evidence["unobserved"] = note.evidence.clone();
    }
    Some(Finding {
        detector: "dark_suspicion".into(),
        vessel: track.vessel.clone(),
        start: a.timestamp,
        end: b.timestamp,
        score: Some(score.score),
        level: score.tier.as_str().into(),
        severity: if score.tier == Tier::None { Severity::None } else { score.tier.severity() },
        breakdown,
        evidence,
        rule: None,
        model_version: None,
        params_hash: None,
    })
}

/// All findings of one track: its gaps, then its dark suspicion when dark.
pub fn detect_track(track: &Track, ctx: &DarkContext<'_>, params: &DarkParams) -> Vec<Finding> {
    let mut out = gap_findings(track, params);
    out.extend(dark_finding(track, ctx, params));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::zones::ZoneClass;
    use chrono::TimeZone;
    use lookout_model::{NavStatus, ShipType, StaticData, VesselId};

    fn pos(min: i64, lat: f64, lon: f64, sog: f64) -> Position {
        Position {
            vessel: VesselId::new("440000001"),
            timestamp: chrono::Utc.timestamp_opt(1_700_000_000 + min * 60, 0).single().expect("time"),
            lat,
            lon,
            sog: Some(sog),
            cog: Some(90.0),
            heading: Some(90.0),
            nav_status: Some(NavStatus(0)),
        }
    }

    struct Territorial;
    impl ZoneClassifier for Territorial {
        fn classify(&self, _lat: f64, _lon: f64) -> Option<ZoneClass> {
            Some(ZoneClass::TerritorialSea)
        }
    }

    #[test]
    fn track_gives_gap_and_dark_findings_with_breakdown() {
        let track = Track {
            vessel: VesselId::new("440000001"),
            static_data: StaticData { ship_type: Some(ShipType(30)), ..Default::default() },
            positions: vec![pos(0, 35.0, 128.0, 8.0), pos(10, 35.0, 128.02, 8.0), pos(250, 35.0, 128.6, 8.0)],
        };
        let params = DarkParams::default();
        let zones = Territorial;
        let ctx =
            DarkContext { permitted: false, history: DarkHistory::default(), local_hour: 12, zones: Some(&zones) };
        let found = detect_track(&track, &ctx, &params);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].detector, "gaps");
        assert_eq!(found[0].level, "HIGH_SUSPICIOUS");
        let dark = &found[1];
        assert_eq!(dark.detector, "dark_suspicion");
        let codes: Vec<&str> = dark.breakdown.iter().map(|b| b.pattern.as_str()).collect();
        assert_eq!(
            codes,
            [
                "moving_at_off",
                "sensitive_zone",
                "unpermitted",
                "long_gap",
                "fishing_vessel_dark",
                "underway_deliberate_off"
            ]
        );
        // 25 + 25 + 10 + 10 + 10 + 20 = 100
        assert_eq!(dark.score, Some(100));
        assert_eq!(dark.level, "CRITICAL");
        assert_eq!(dark.breakdown[1].code, "P2");
        assert!(!dark.breakdown[0].label_ko.is_empty());
        assert_eq!(dark.evidence["gap_info"]["gap_min"], 240);
    }

    #[test]
    fn local_hour_uses_the_params_time_zone() {
        let now = chrono::Utc.with_ymd_and_hms(2024, 1, 1, 0, 30, 0).single().expect("time");
        assert_eq!(local_hour(now, &DarkParams::default()).ok(), Some(9));
    }
}
