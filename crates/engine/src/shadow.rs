//! Shadow run: a model version run beside the ACTIVE one on the latest cycle's input,
//! reporting what would change. Nothing is written: no finding, no statistic, no event.

use std::collections::BTreeMap;

use chrono::Duration;
use lookout_detect::Registry;
use lookout_model::Finding;
use lookout_store::{CycleKey, Store};
use serde::Serialize;

use crate::composite::COMPOSITE;
use crate::cycle::{analyse_prepared, prepare, CycleRequest, DARK};
use crate::models::{diff, resolve, version, DiffLine};
use crate::plan::ExecOptions;
use crate::rules::RuleSet;
use crate::EngineError;

/// A finding identified across the two runs.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct FindingKey {
    pub detector: String,
    pub vessel: String,
    pub start: String,
    pub end: String,
}

/// A finding present in both runs whose level or score differs.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Changed {
    pub key: FindingKey,
    pub before: (String, Option<i64>),
    pub after: (String, Option<i64>),
}

/// What switching the model to the shadow version would change on the latest cycle.
#[derive(Clone, Debug, Serialize)]
pub struct ShadowReport {
    pub key: CycleKey,
    pub model: String,
    pub active_version: i64,
    pub shadow_version: i64,
    pub params_changed: Vec<DiffLine>,
    /// Per detector (`dark_suspicion`, `composite`): "FROM → TO" → vessels.
    pub moves: BTreeMap<String, BTreeMap<String, u64>>,
    /// Per detector: vessels moving to a higher / lower level.
    pub up: BTreeMap<String, u64>,
    pub down: BTreeMap<String, u64>,
    pub added: Vec<FindingKey>,
    pub removed: Vec<FindingKey>,
    pub changed: Vec<Changed>,
}

/// Rank of a level across detectors; absent = 0.
fn rank(level: &str) -> u8 {
    match level {
        "LOW" => 1,
        "WATCH" | "MEDIUM" | "SUSPICIOUS" => 2,
        "HIGH" | "HIGH_SUSPICIOUS" => 3,
        "CRITICAL" | "VIOLATION" => 4,
        _ => 0,
    }
}

fn key(f: &Finding) -> FindingKey {
    FindingKey {
        detector: f.detector.clone(),
        vessel: f.vessel.as_str().to_string(),
        start: f.start.to_rfc3339(),
        end: f.end.to_rfc3339(),
    }
}

/// Runs `model@version` in shadow on a stored cycle: the one ending at `at`, or the
/// latest (by window end).
#[allow(clippy::too_many_arguments)]
pub fn shadow(
    store: &dyn Store,
    rules: &RuleSet,
    model: &str,
    shadow_version: i64,
    overrides: &BTreeMap<String, serde_json::Value>,
    exec: ExecOptions,
    registry: Option<&Registry>,
    at: Option<lookout_model::Timestamp>,
) -> Result<ShadowReport, EngineError> {
    let latest = match at {
        None => store.recent_cycle_stats(1)?.into_iter().next(),
        Some(at) => store.recent_cycle_stats(usize::MAX)?.into_iter().find(|c| c.key.window_end == at),
    };
    let latest = latest.ok_or_else(|| match at {
        None => EngineError::Model("no cycle has run yet; run `lookout analyze` first".into()),
        Some(at) => EngineError::Model(format!("no stored cycle ends at {}", at.to_rfc3339())),
    })?;
    if !rules.rules.iter().any(|r| r.model.model == model) {
        return Err(EngineError::Model(format!("no rule uses model '{model}'")));
    }
    let active = version(store, model, None)?;
    let candidate = version(store, model, Some(shadow_version))?;
    let lookback = Duration::seconds(latest.stats["lookback_sec"].as_i64().unwrap_or(86_400));
    let base_rules = resolve(rules, store, overrides, None)?;
    let shadow_rules = resolve(rules, store, overrides, Some((model, shadow_version)))?;
    let req = |r| CycleRequest {
        at: latest.key.window_end,
        window: latest.key.window_end - latest.key.window_start,
        lookback,
        rules: r,
        exec,
        registry,
        zones: None,
        places: None,
    };
    // The same prepared input for both runs: only the params differ.
    let prepared = prepare(store, &req(&base_rules))?;
    let before = analyse_prepared(&prepared, &req(&base_rules)).findings;
    let after = analyse_prepared(&prepared, &req(&shadow_rules)).findings;

    let index = |fs: &[Finding]| -> BTreeMap<FindingKey, (String, Option<i64>)> {
        fs.iter().map(|f| (key(f), (f.level.clone(), f.score))).collect()
    };
    let (b, a) = (index(&before), index(&after));
    let added = a.keys().filter(|k| !b.contains_key(*k)).cloned().collect();
    let removed = b.keys().filter(|k| !a.contains_key(*k)).cloned().collect();
    let changed = b
        .iter()
        .filter_map(|(k, old)| {
            a.get(k).filter(|new| *new != old).map(|new| Changed {
                key: k.clone(),
                before: old.clone(),
                after: new.clone(),
            })
        })
        .collect();

    let mut moves: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    let (mut up, mut down) = (BTreeMap::new(), BTreeMap::new());
    for detector in [DARK, COMPOSITE] {
        let levels = |fs: &[Finding]| -> BTreeMap<String, String> {
            let mut m = BTreeMap::new();
            for f in fs.iter().filter(|f| f.detector == detector) {
                let slot: &mut String = m.entry(f.vessel.as_str().to_string()).or_default();
                if rank(&f.level) >= rank(slot) {
                    *slot = f.level.clone();
                }
            }
            m
        };
        let (lb, la) = (levels(&before), levels(&after));
        let vessels: std::collections::BTreeSet<&String> = lb.keys().chain(la.keys()).collect();
        for v in vessels {
            let from = lb.get(v).map(String::as_str).unwrap_or("-");
            let to = la.get(v).map(String::as_str).unwrap_or("-");
            if from == to {
                continue;
            }
            *moves.entry(detector.to_string()).or_default().entry(format!("{from} → {to}")).or_insert(0) += 1;
            let bucket = if rank(to) > rank(from) { &mut up } else { &mut down };
            *bucket.entry(detector.to_string()).or_insert(0u64) += 1;
        }
    }
    Ok(ShadowReport {
        key: latest.key,
        model: model.to_string(),
        active_version: active.version,
        shadow_version,
        params_changed: diff(&active.params, &candidate.params),
        moves,
        up,
        down,
        added,
        removed,
        changed,
    })
}
