//! One analysis cycle: a stored time window through the rule engine.
//!
//! The window is `(at - window, at]`. Tracks are loaded with extra context before the
//! window start so that a gap which ends inside the window is seen whole; a gap is
//! reported by the cycle whose window contains its end. Re-running the same window
//! replaces its findings, so the stored rows are identical.
//!
//! Everything a detector may read is fetched first ([`prepare`]): the tracks, the
//! dark history of their vessels and, for the spoofing rule, their identity history
//! (from `identity.history_days` before the window, further back than the positions). Then the plan runs ([`crate::exec`]) and the result
//! processor adds one `composite` finding per vessel ([`crate::composite`]). Only
//! [`run_cycle`] writes, in one transaction.

use std::collections::BTreeMap;

use chrono::Duration;
use lookout_detect::identity::segment::{segment_tracks, split_with, SegmentParams, Segmentation};
use lookout_detect::identity::spoofing::SpoofingParams;
use lookout_detect::input::observation::{Observation, ObservationGrid};
use lookout_detect::input::places::PlaceSet;
use lookout_detect::{CycleInput, DarkHistoryIndex, IdentityHistory, Registry, UnobservedParams, ZoneClassifier};
use lookout_model::{Finding, Track};
use lookout_store::{CycleKey, CycleOutput, Store};
use serde::Serialize;

use crate::composite::{combine, COMPOSITE};
use crate::exec::{execute_views, ChangedViews, ResolvedRule, RuleOutcome, RuleStatus, Views};
use crate::plan::{ExecOptions, Plan};
use crate::EngineError;

pub const GAPS: &str = "gaps";
pub const DARK: &str = "dark_suspicion";
pub const SEGMENTS: &str = "segments";
pub const SPOOFING: &str = "spoofing";

/// What to analyse, with which rules.
pub struct CycleRequest<'a> {
    /// End of the window (inclusive).
    pub at: lookout_model::Timestamp,
    /// Length of the window.
    pub window: Duration,
    /// Positions loaded before the window start so gaps ending in it are seen whole.
    pub lookback: Duration,
    /// Rules with their effective params (see `models::resolve`).
    pub rules: &'a [ResolvedRule],
    pub exec: ExecOptions,
    /// Permits and ship kinds; without a registry nobody is permitted (as the reference).
    pub registry: Option<&'a Registry>,
    pub zones: Option<&'a (dyn ZoneClassifier + Sync)>,
    /// Ports and anchorages for transshipment's stage 5 and loitering (see
    /// `crate::ports`); `None`: no place list.
    pub places: Option<&'a PlaceSet>,
}

impl CycleRequest<'_> {
    pub fn key(&self) -> CycleKey {
        CycleKey { window_start: self.at - self.window, window_end: self.at }
    }

    /// The execution plan of the request's rules.
    pub fn plan(&self) -> Plan {
        let deps: Vec<Vec<usize>> = self.rules.iter().map(|r| r.waits_for().collect()).collect();
        Plan::from_deps(&deps, self.exec)
    }
}

/// Per-rule statistics of a cycle.
#[derive(Clone, Debug, Serialize)]
pub struct RuleSummary {
    pub rule: String,
    pub algorithm: String,
    pub model: String,
    pub model_version: i64,
    pub params_hash: String,
    #[serde(flatten)]
    pub status: RuleStatus,
    pub entities_in: usize,
    pub findings_out: usize,
    /// Detector statistics (e.g. the transshipment funnel), absent when none.
    #[serde(skip_serializing_if = "serde_json::Value::is_null")]
    pub stats: serde_json::Value,
    /// Microseconds; kept out of the serialized report so that outputs are reproducible
    /// (it is in the stored cycle statistics).
    #[serde(skip)]
    pub duration_us: u64,
}

/// What a cycle found; the findings are also in the store after [`run_cycle`].
#[derive(Clone, Debug, Serialize)]
pub struct CycleReport {
    pub key: CycleKey,
    /// Microseconds spent segmenting the tracks once for every rule (stored in the cycle
    /// statistics, kept out of the serialized report like the rules' durations).
    #[serde(skip)]
    pub segmentation_us: u64,
    pub tracks: usize,
    pub positions: usize,
    /// Gap findings by level (SUSPICIOUS, HIGH_SUSPICIOUS, VIOLATION).
    pub gaps: BTreeMap<String, u64>,
    /// Dark vessels by tier (CRITICAL, HIGH, WATCH, NONE).
    pub dark: BTreeMap<String, u64>,
    /// Vessels by composite level (CRITICAL, HIGH, MEDIUM, LOW).
    pub composite: BTreeMap<String, u64>,
    pub rules: Vec<RuleSummary>,
    /// Rule findings in rule (file) order, then the composite findings by vessel.
    pub findings: Vec<Finding>,
    /// How the cycle reused the previous run of its window (kept in the stored cycle
    /// statistics, out of the serialized report, which stays the same either way).
    #[serde(skip)]
    pub incremental: Option<crate::incremental::IncrementalStats>,
}

/// The in-memory input of a cycle, fetched before any rule runs.
pub struct Prepared {
    pub key: CycleKey,
    pub tracks: Vec<Track>,
    pub history: DarkHistoryIndex,
    /// Identity rows of the loaded vessels seen during the loaded time range.
    pub identities: IdentityHistory,
    /// Who was heard where and when, from every loaded track, on each grid the rules read
    /// (gaps on the default grid, each dark rule on its params' grid).
    pub observation: Observation,
}

impl Prepared {
    /// Positions in the loaded tracks (look-back included).
    pub fn positions(&self) -> usize {
        self.tracks.iter().map(|t| t.positions.len()).sum()
    }
}

/// Loads the tracks of the window (with look-back) and, when a rule scores dark
/// suspicion, the earlier dark episodes of their vessels (the 7 days before the oldest
/// gap start that can be scored). Reads only.
pub fn prepare(store: &dyn Store, req: &CycleRequest<'_>) -> Result<Prepared, EngineError> {
    let key = req.key();
    let from = key.window_start - req.lookback;
    let tracks = store.load_tracks(from, key.window_end)?;
    let mut history = DarkHistoryIndex::default();
    if req.rules.iter().any(|r| r.detector.code() == DARK) {
        for t in &tracks {
            let starts = store.finding_starts(DARK, &t.vessel, from - Duration::days(7), key.window_end)?;
            if !starts.is_empty() {
                history.starts.insert(t.vessel.as_str().to_string(), starts);
            }
        }
    }
    let identities = match identity_history_start(req) {
        Some(since) => load_identities(store, &tracks, since.min(from), key.window_end)?,
        None => IdentityHistory::default(),
    };
    let observation = Observation::build(&tracks, &observation_grids(req));
    Ok(Prepared { key, tracks, history, identities, observation })
}

/// The grids of the observation timelines the rules read: the default one (`gaps`
/// evidence) and each dark rule's `unobserved` grid. Unreadable params fall back to the
/// defaults here and make the rule itself fail with the reason.
fn observation_grids(req: &CycleRequest<'_>) -> Vec<ObservationGrid> {
    let mut grids = vec![UnobservedParams::default().grid()];
    for r in req.rules.iter().filter(|r| r.detector.code() == DARK) {
        let params: Option<UnobservedParams> =
            r.params.get("unobserved").and_then(|u| serde_json::from_value(u.clone()).ok());
        grids.push(params.unwrap_or_default().grid());
    }
    grids
}

/// How far back the spoofing rules look for earlier identities (the longest
/// `identity.history_days` of them), or `None` when no spoofing rule runs.
fn identity_history_start(req: &CycleRequest<'_>) -> Option<lookout_model::Timestamp> {
    req.rules
        .iter()
        .filter(|r| r.detector.code() == SPOOFING)
        .map(|r| {
            // Params were validated when the rule was resolved; unreadable ones fall back
            // to the defaults here and make the rule itself fail with the reason.
            let p = serde_json::from_value::<SpoofingParams>(r.params.clone()).unwrap_or_default();
            req.key().window_start - p.identity.history()
        })
        .min()
}

/// Identity runs (the sequence of sightings, run-length) overlapping `[from, to]` of the
/// vessels that have a track: one query for the range, filtered here (a cycle holds most
/// vessels that reported in it).
fn load_identities(
    store: &dyn Store,
    tracks: &[Track],
    from: lookout_model::Timestamp,
    to: lookout_model::Timestamp,
) -> Result<IdentityHistory, EngineError> {
    let wanted: std::collections::BTreeSet<&str> = tracks.iter().map(|t| t.vessel.as_str()).collect();
    let rows = store.identity_runs_between(from, to)?;
    Ok(IdentityHistory::from_rows(rows.into_iter().filter(|r| wanted.contains(r.vessel.as_str()))))
}

/// Runs a cycle without writing anything (used by `run_cycle`, dry runs, shadow runs).
pub fn analyse(store: &dyn Store, req: &CycleRequest<'_>) -> Result<CycleReport, EngineError> {
    let prepared = prepare(store, req)?;
    Ok(analyse_prepared(&prepared, req))
}

/// Runs the rules over an already prepared input.
pub fn analyse_prepared(prepared: &Prepared, req: &CycleRequest<'_>) -> CycleReport {
    let (outcomes, segmentation_us) = run_rules(prepared, req, None);
    assemble(prepared, req, outcomes, segmentation_us)
}

/// Runs the plan over the prepared input. With `changed` (incremental cycles: a flag per
/// rule and the changed vessels' tracks), the flagged rules see only those tracks.
/// Returns the outcomes in rule order and the segmentation time in microseconds.
pub(crate) fn run_rules(
    prepared: &Prepared,
    req: &CycleRequest<'_>,
    changed: Option<(&[bool], &[Track])>,
) -> (Vec<RuleOutcome>, u64) {
    let input = CycleInput {
        window_start: prepared.key.window_start,
        window_end: prepared.key.window_end,
        tracks: &prepared.tracks,
        registry: req.registry,
        dark_history: &prepared.history,
        identities: &prepared.identities,
        zones: req.zones,
        segmentation: None,
        observation: Some(&prepared.observation),
        places: req.places,
    };
    // Segments are computed once, before any rule, with the `segments` rule's params when
    // one runs (else the defaults), and shared: the `segments` and `spoofing` rules read
    // them from the input, and per-segment detectors (gaps, dark suspicion) see each id
    // split into its plausible chains. In an incremental cycle only the changed vessels
    // are segmented (the engine runs every rule that needs segments over them only).
    let started = std::time::Instant::now();
    let params = segment_params(req);
    let needs_segments =
        req.rules.iter().any(|r| r.detector.per_segment() || matches!(r.detector.code(), SEGMENTS | SPOOFING));
    let tracks = changed.map_or(&prepared.tracks[..], |(_, t)| t);
    let segmentation =
        if needs_segments { segment_tracks(tracks, &params, req.exec.concurrency) } else { Segmentation::default() };
    let chains = if req.rules.iter().any(|r| r.detector.per_segment()) {
        split_with(tracks, &segmentation, &params)
    } else {
        Vec::new()
    };
    let segmentation_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
    let outcomes = match changed {
        None => {
            let input = CycleInput { segmentation: needs_segments.then_some(&segmentation), ..input };
            let split = CycleInput { tracks: &chains, segmentation: None, ..input };
            execute_views(req.rules, &req.plan(), &Views::full(&input, &split))
        }
        Some((rules, tracks)) => {
            let local = CycleInput { tracks, segmentation: needs_segments.then_some(&segmentation), ..input };
            let local_split = CycleInput { tracks: &chains, segmentation: None, ..input };
            let views = Views {
                raw: &input,
                split: &input,
                changed: Some(ChangedViews { rules, raw: &local, split: &local_split }),
            };
            execute_views(req.rules, &req.plan(), &views)
        }
    };
    (outcomes, segmentation_us)
}

/// The report of a cycle from its rules' outcomes: the composite over them, then counts.
pub(crate) fn assemble(
    prepared: &Prepared,
    req: &CycleRequest<'_>,
    outcomes: Vec<RuleOutcome>,
    segmentation_us: u64,
) -> CycleReport {
    let composite = combine(req.rules, &outcomes);
    let rules = outcomes
        .iter()
        .zip(req.rules)
        .map(|(o, r)| RuleSummary {
            rule: o.rule.clone(),
            algorithm: o.algorithm.clone(),
            model: r.model.clone(),
            model_version: r.model_version,
            params_hash: r.params_hash.clone(),
            status: o.status.clone(),
            entities_in: o.entities_in,
            findings_out: o.findings.len(),
            stats: o.stats.clone(),
            duration_us: u64::try_from(o.duration.as_micros()).unwrap_or(u64::MAX),
        })
        .collect();
    let findings: Vec<Finding> = outcomes.into_iter().flat_map(|o| o.findings).chain(composite).collect();
    let (mut gaps, mut dark, mut comp) = (BTreeMap::new(), BTreeMap::new(), BTreeMap::new());
    for f in &findings {
        let bucket = match f.detector.as_str() {
            GAPS => &mut gaps,
            DARK => &mut dark,
            COMPOSITE => &mut comp,
            _ => continue,
        };
        *bucket.entry(f.level.clone()).or_insert(0u64) += 1;
    }
    CycleReport {
        key: prepared.key.clone(),
        segmentation_us,
        tracks: prepared.tracks.len(),
        positions: prepared.positions(),
        gaps,
        dark,
        composite: comp,
        rules,
        findings,
        incremental: None,
    }
}

/// The segmenter params of the cycle: the `segments` rule's, else the defaults.
fn segment_params(req: &CycleRequest<'_>) -> SegmentParams {
    req.rules
        .iter()
        .find(|r| r.detector.code() == SEGMENTS)
        .and_then(|r| serde_json::from_value::<SegmentParams>(r.params.clone()).ok())
        .unwrap_or_default()
}

/// Runs a full cycle and writes its output (findings, params per rule, statistics per
/// rule) in one transaction, with the state a later incremental cycle of the same window
/// starts from ([`crate::incremental`]).
pub fn run_cycle(store: &mut dyn Store, req: &CycleRequest<'_>) -> Result<CycleReport, EngineError> {
    crate::incremental::run_cycle_with(store, req, crate::incremental::CycleMode::Full)
}

/// What [`run_cycle`] writes for a report: the params of every rule and the statistics.
pub(crate) fn cycle_output(req: &CycleRequest<'_>, report: &CycleReport) -> CycleOutput {
    let params: serde_json::Map<String, serde_json::Value> = req
        .rules
        .iter()
        .map(|r| {
            (
                r.id.clone(),
                serde_json::json!({
                    "algorithm": r.detector.code(), "model": r.model, "model_version": r.model_version,
                    "overridden": r.overridden, "params_hash": r.params_hash, "params": r.params,
                }),
            )
        })
        .collect();
    let rule_stats: serde_json::Map<String, serde_json::Value> = report
        .rules
        .iter()
        .map(|s| {
            let mut v = serde_json::to_value(s).unwrap_or_default();
            if let Some(m) = v.as_object_mut() {
                m.insert("duration_us".into(), s.duration_us.into());
            }
            (s.rule.clone(), v)
        })
        .collect();
    CycleOutput {
        key: report.key.clone(),
        params: serde_json::Value::Object(params),
        findings: report.findings.clone(),
        stats: serde_json::json!({
            "tracks": report.tracks,
            "positions": report.positions,
            "lookback_sec": req.lookback.num_seconds(),
            "mode": req.exec.mode,
            "concurrency": req.exec.concurrency,
            "rules": rule_stats,
            "segmentation_us": report.segmentation_us,
            "incremental": report.incremental,
            GAPS: { "findings": report.gaps.values().sum::<u64>(), "by_level": report.gaps },
            DARK: { "findings": report.dark.values().sum::<u64>(), "by_tier": report.dark },
            COMPOSITE: { "findings": report.composite.values().sum::<u64>(), "by_level": report.composite },
        }),
    }
}
