//! Product path: a [`Track`] in, [`Finding`]s out.

use lookout_model::{Finding, Position, Severity, Timestamp, Track};
use serde_json::json;

use crate::dark::{
    analyze_sorted, compute_dark_suspicion, DarkHistory, GapInfo, ShipClass, ZoneClassifier, DarkScore,
    ScoreInputs,
};
use crate::error::ParamsError;
use crate::gaps::{for_each_gap, Gap};
use crate::params::DarkParams;
use crate::sample::is_time_sorted;

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
    }
}

/// Gap analysis and score of one track, or `None` when it is not dark. Sorts a copy of
/// the references only when the positions are out of order.
pub fn score_track(track: &Track, ctx: &DarkContext<'_>, params: &DarkParams) -> Option<(GapInfo, DarkScore)> {
    let info = if is_time_sorted(&track.positions) {
        analyze_sorted(&track.positions, &params.gap_thresholds, params.teleport_speed_kn)
    } else {
        let mut refs: Vec<&Position> = track.positions.iter().collect();
        refs.sort_by_key(|p| p.timestamp);
        let info = analyze_sorted(&refs, &params.gap_thresholds, params.teleport_speed_kn);
        let start = info.start_index.map(|i| refs[i]);
        return start.map(|s| {
            let score = score_at(&info, s, track, ctx, params);
            (info, score)
        });
    };
    let start = &track.positions[info.start_index?];
    let score = score_at(&info, start, track, ctx, params);
    Some((info, score))
}

fn score_at(info: &GapInfo, start: &Position, track: &Track, ctx: &DarkContext<'_>, params: &DarkParams) -> DarkScore {
    let inputs = ScoreInputs {
        permitted: ctx.permitted,
        history: ctx.history,
        local_hour: ctx.local_hour,
        zones: ctx.zones,
        ship_class: track.static_data.ship_type.map(ShipClass::from_ship_type).unwrap_or_default(),
        nav_status: start.nav_status.map(|s| s.text()).unwrap_or(""),
        heading: start.heading,
        last_cog: start.cog,
    };
    compute_dark_suspicion(info, &inputs, params)
}

/// The `dark_suspicion` finding of a track, when it is dark.
pub fn dark_finding(track: &Track, ctx: &DarkContext<'_>, params: &DarkParams) -> Option<Finding> {
    let (info, score) = score_track(track, ctx, params)?;
    let start_idx = info.start_index?;
    let mut order: Vec<&Position> = track.positions.iter().collect();
    if !is_time_sorted(&track.positions) {
        order.sort_by_key(|p| p.timestamp);
    }
    let (a, b) = (order[start_idx], order[start_idx + 1]);
    Some(Finding {
        detector: "dark_suspicion".into(),
        vessel: track.vessel.clone(),
        start: a.timestamp,
        end: b.timestamp,
        score: Some(score.score),
        level: score.tier.as_str().into(),
        severity: if score.tier == crate::dark::Tier::None { Severity::None } else { score.tier.severity() },
        breakdown: score.patterns.iter().map(|p| p.breakdown_item(&params.weights)).collect(),
        evidence: json!({
            "gap_info": info,
            "gap_start": position_evidence(a),
            "gap_end": position_evidence(b),
            "raw_score": score.patterns.iter().map(|p| p.weight(&params.weights)).sum::<i64>(),
        }),
    })
}

/// All findings of one track: its gaps, then its dark suspicion when dark.
pub fn detect_track(track: &Track, ctx: &DarkContext<'_>, params: &DarkParams) -> Vec<Finding> {
    let mut out = gap_findings(track, params);
    out.extend(dark_finding(track, ctx, params));
    out
}
