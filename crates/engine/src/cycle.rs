//! One analysis cycle: a stored time window through gap detection and dark scoring.
//!
//! The window is `(at - window, at]`. Tracks are loaded with extra context before the
//! window start so that a gap which ends inside the window is seen whole; a gap is
//! reported by the cycle whose window contains its end. Re-running the same window
//! replaces its findings, so the stored rows are identical.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Duration, TimeZone};
use lookout_detect::dark::{DarkHistory, ZoneClassifier};
use lookout_detect::{dark_finding, gap_findings, local_hour, DarkContext, DarkParams, Registry};
use lookout_model::{Finding, Timestamp, Track};
use lookout_store::{CycleKey, CycleOutput, Store};
use serde::Serialize;

use crate::EngineError;

pub const GAPS: &str = "gaps";
pub const DARK: &str = "dark_suspicion";

/// What to analyse and with which parameters.
pub struct CycleRequest<'a> {
    /// End of the window (inclusive).
    pub at: Timestamp,
    /// Length of the window.
    pub window: Duration,
    /// Positions loaded before the window start so gaps ending in it are seen whole.
    pub lookback: Duration,
    pub params: &'a DarkParams,
    /// Permits and ship kinds; without a registry nobody is permitted (as the reference).
    pub registry: Option<&'a Registry>,
    pub zones: Option<&'a dyn ZoneClassifier>,
}

impl CycleRequest<'_> {
    pub fn key(&self) -> CycleKey {
        CycleKey { window_start: self.at - self.window, window_end: self.at }
    }
}

/// What a cycle found, for summaries; the findings themselves are in the store.
#[derive(Clone, Debug, Serialize)]
pub struct CycleReport {
    pub key: CycleKey,
    pub tracks: usize,
    pub positions: usize,
    /// Gap findings by level (SUSPICIOUS, HIGH_SUSPICIOUS, VIOLATION).
    pub gaps: BTreeMap<String, u64>,
    /// Dark vessels by tier (CRITICAL, HIGH, WATCH, NONE).
    pub dark: BTreeMap<String, u64>,
    pub findings: Vec<Finding>,
}

/// Runs a cycle and writes its output in one transaction.
pub fn run_cycle(store: &mut dyn Store, req: &CycleRequest<'_>) -> Result<CycleReport, EngineError> {
    let report = analyse(&*store, req)?;
    store.write_cycle(&CycleOutput {
        key: report.key.clone(),
        params: serde_json::json!({ DARK: req.params }),
        findings: report.findings.clone(),
        stats: serde_json::json!({
            "tracks": report.tracks,
            "positions": report.positions,
            GAPS: { "findings": report.gaps.values().sum::<u64>(), "by_level": report.gaps },
            DARK: { "findings": report.dark.values().sum::<u64>(), "by_tier": report.dark },
        }),
    })?;
    Ok(report)
}

/// Runs a cycle without writing anything (used by `run_cycle`, and by dry runs).
pub fn analyse(store: &dyn Store, req: &CycleRequest<'_>) -> Result<CycleReport, EngineError> {
    let key = req.key();
    let tracks = store.load_tracks(key.window_start - req.lookback, key.window_end)?;
    let tz = parse_tz(&req.params.timezone)?;
    let mut findings = Vec::new();
    for track in &tracks {
        findings.extend(gap_findings(track, req.params).into_iter().filter(|f| f.end > key.window_start));
        if let Some(f) = dark_for_track(store, track, req, tz)? {
            findings.push(f);
        }
    }
    let mut gaps = BTreeMap::new();
    let mut dark = BTreeMap::new();
    for f in &findings {
        let bucket = if f.detector == GAPS { &mut gaps } else { &mut dark };
        *bucket.entry(f.level.clone()).or_insert(0u64) += 1;
    }
    Ok(CycleReport {
        key,
        tracks: tracks.len(),
        positions: tracks.iter().map(|t| t.positions.len()).sum(),
        gaps,
        dark,
        findings,
    })
}

/// The dark finding of a track, judged on its longest gap that ends inside the window.
///
/// The reference model scores the longest gap of whatever positions it is given, so the
/// track is cut to start shortly before the window: first with the five points the
/// pre-gap statistics need; if the longest gap then still ends before the window (an
/// earlier, longer gap in that context), again from the last point before the window.
///
/// P5 ("daytime") is judged at the local hour the AIS went silent, not the hour the
/// cycle happens to run: a batch re-run must score a gap the same way as a live one.
fn dark_for_track(
    store: &dyn Store,
    track: &Track,
    req: &CycleRequest<'_>,
    tz: chrono_tz::Tz,
) -> Result<Option<Finding>, EngineError> {
    let window_start = req.key().window_start;
    let entry = req.registry.and_then(|r| r.entries.get(track.vessel.as_str()));
    let mut ctx = DarkContext {
        permitted: entry.is_some_and(|e| e.permitted),
        history: DarkHistory::default(),
        local_hour: local_hour(req.at, req.params).map_err(|e| EngineError::Params(e.to_string()))?,
        zones: req.zones,
    };
    let ship_type = entry.and_then(|e| e.ship_type).or(track.static_data.ship_type);
    // Index of the last position at or before the window start.
    let last_before = track.positions.partition_point(|p| p.timestamp <= window_start).saturating_sub(1);
    let mut found = None;
    for from in [last_before.saturating_sub(PRE_GAP_POINTS), last_before] {
        let view = track_from(track, from, ship_type);
        match dark_finding(&view, &ctx, req.params) {
            Some(f) if f.end > window_start => {
                found = Some((view, f));
                break;
            }
            _ => {}
        }
    }
    let Some((view, first)) = found else { return Ok(None) };
    ctx.local_hour = local_hour(first.start, req.params).map_err(|e| EngineError::Params(e.to_string()))?;
    ctx.history = history(store, &view, first.start, tz)?;
    Ok(dark_finding(&view, &ctx, req.params))
}

/// Points before a gap that the reference uses for average speed and teleports.
const PRE_GAP_POINTS: usize = 5;

fn track_from(track: &Track, from: usize, ship_type: Option<lookout_model::ShipType>) -> Track {
    let mut view = Track {
        vessel: track.vessel.clone(),
        static_data: track.static_data.clone(),
        positions: track.positions.get(from..).map(<[_]>::to_vec).unwrap_or_default(),
    };
    view.static_data.ship_type = ship_type;
    view
}

/// Dark history before `gap_start`: distinct local days with a dark episode in the
/// previous 7 days, and dark episodes in the previous 24 hours.
fn history(store: &dyn Store, track: &Track, gap_start: Timestamp, tz: chrono_tz::Tz) -> Result<DarkHistory, EngineError> {
    let starts = store.finding_starts(DARK, &track.vessel, gap_start - Duration::days(7), gap_start)?;
    let days: BTreeSet<chrono::NaiveDate> = starts.iter().map(|t| tz.from_utc_datetime(&t.naive_utc()).date_naive()).collect();
    let day_ago = gap_start - Duration::hours(24);
    Ok(DarkHistory { count_7d: days.len() as i64, count_24h: starts.iter().filter(|t| **t >= day_ago).count() as i64 })
}

fn parse_tz(name: &str) -> Result<chrono_tz::Tz, EngineError> {
    name.parse().map_err(|_| EngineError::Params(format!("timezone: unknown time zone '{name}'")))
}
