//! Dry run: the plan, the input sizes and a duration estimate, without running a rule
//! and without writing anything.
//!
//! The estimate comes from the statistics earlier cycles stored: per rule, the mean
//! duration per entity and the mean share of the window's tracks it looked at, scaled
//! to the tracks of this window. A rule that never ran successfully has "no history"
//! and the total is then incomplete: no constant stands in for a measurement.

use std::collections::BTreeMap;

use lookout_store::Store;
use serde::Serialize;

use crate::cycle::{prepare, CycleRequest};
use crate::plan::{Mode, Plan};
use crate::EngineError;

/// How many recent cycles the estimate averages over.
pub const HISTORY_CYCLES: usize = 50;

/// The estimate of one rule.
#[derive(Clone, Debug, Serialize)]
pub struct RuleEstimate {
    pub rule: String,
    /// Cycles the estimate is based on (0 = no history).
    pub samples: usize,
    pub mean_us_per_entity: Option<f64>,
    pub expected_entities: Option<f64>,
    pub estimate_us: Option<f64>,
}

/// What a dry run reports.
#[derive(Clone, Debug, Serialize)]
pub struct DryRun {
    pub plan: Plan,
    pub tracks: usize,
    /// Positions in the loaded tracks (look-back included).
    pub positions: usize,
    /// Positions inside the window itself.
    pub positions_in_window: usize,
    pub rules: Vec<RuleEstimate>,
    /// `None` when some rule has no history.
    pub total_us: Option<f64>,
}

/// Plans and estimates a cycle; reads the store only.
pub fn dry_run(store: &dyn Store, req: &CycleRequest<'_>) -> Result<DryRun, EngineError> {
    let prepared = prepare(store, req)?;
    let in_window = prepared
        .tracks
        .iter()
        .flat_map(|t| &t.positions)
        .filter(|p| p.timestamp > prepared.key.window_start && p.timestamp <= prepared.key.window_end)
        .count();
    let history = store.recent_cycle_stats(HISTORY_CYCLES)?;
    let tracks_now = prepared.tracks.len() as f64;
    let mut rules = Vec::new();
    for r in req.rules {
        let mut per_entity = Vec::new();
        let mut share = Vec::new();
        for c in &history {
            let s = &c.stats["rules"][&r.id];
            let (Some(d), Some(n)) = (s["duration_us"].as_f64(), s["entities_in"].as_f64()) else {
                continue;
            };
            if s["status"] != "ok" || n <= 0.0 {
                continue;
            }
            per_entity.push(d / n);
            if let Some(t) = c.stats["tracks"].as_f64().filter(|t| *t > 0.0) {
                share.push(n / t);
            }
        }
        let mean = |v: &[f64]| {
            if v.is_empty() {
                None
            } else {
                Some(v.iter().sum::<f64>() / v.len() as f64)
            }
        };
        let (mu, sh) = (mean(&per_entity), mean(&share));
        let expected = sh.map(|s| s * tracks_now);
        rules.push(RuleEstimate {
            rule: r.id.clone(),
            samples: per_entity.len(),
            mean_us_per_entity: mu,
            expected_entities: expected,
            estimate_us: mu.zip(expected).map(|(m, e)| m * e),
        });
    }
    let plan = req.plan();
    let total_us = total(&plan, &rules);
    Ok(DryRun {
        plan,
        tracks: prepared.tracks.len(),
        positions: prepared.positions(),
        positions_in_window: in_window,
        rules,
        total_us,
    })
}

/// Plan duration from per-rule estimates: a sum in sequential mode; otherwise, per
/// stage, the longest-first packing of its rules on `concurrency` workers (for the
/// parallel mode this ignores that a rule may start before its stage-mates finish, so
/// it is an upper bound).
fn total(plan: &Plan, rules: &[RuleEstimate]) -> Option<f64> {
    let each: Option<Vec<f64>> = rules.iter().map(|r| r.estimate_us).collect();
    let each = each?;
    if plan.exec.mode == Mode::Sequential {
        return Some(each.iter().sum());
    }
    let mut sum = 0.0;
    for stage in &plan.stages {
        let mut times: Vec<f64> = stage.rules.iter().filter_map(|&i| each.get(i).copied()).collect();
        times.sort_by(|a, b| b.total_cmp(a));
        let workers = if stage.parallel { plan.exec.concurrency.max(1) } else { 1 };
        let mut load: BTreeMap<usize, f64> = (0..workers).map(|w| (w, 0.0)).collect();
        for t in times {
            let (&w, _) = load.iter().min_by(|a, b| a.1.total_cmp(b.1))?;
            *load.entry(w).or_default() += t;
        }
        sum += load.values().copied().fold(0.0, f64::max);
    }
    Some(sum)
}
