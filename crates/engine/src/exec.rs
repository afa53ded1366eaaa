//! The executor: runs a plan's rules over one prepared [`CycleInput`].
//!
//! Isolation: a rule that returns an error or panics (caught with `catch_unwind`) gets
//! a failed outcome; rules depending on it are skipped with that reason; every other
//! rule runs. A failing rule never aborts the cycle.
//!
//! Determinism: outcomes are stored by rule index and upstream findings are gathered
//! in file order, so neither the mode nor the thread count can change a finding.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use lookout_detect::{CycleInput, Detector, Upstream};
use lookout_model::Finding;
use serde::Serialize;
use serde_json::Value;

use crate::plan::{Mode, Plan};

/// A rule ready to run: its detector and effective params (model version + overrides).
#[derive(Clone)]
pub struct ResolvedRule {
    pub id: String,
    pub detector: &'static dyn Detector,
    /// Effective params after every merge.
    pub params: Value,
    /// How far this rule alone can carry the composite risk (0..=1).
    pub weight: f64,
    /// Indices of the rules it depends on.
    pub depends_on: Vec<usize>,
    /// Indices of its optional inputs (read when they succeed; see `RuleSpec::uses`).
    pub uses: Vec<usize>,
    pub model: String,
    /// The model version the params are based on.
    pub model_version: i64,
    /// `lookout_detect::params_hash` of `params`.
    pub params_hash: String,
    /// Whether an inline or command-line override was merged over the version.
    pub overridden: bool,
}

impl ResolvedRule {
    /// Indices of every rule this one waits for: dependencies, then optional inputs.
    pub fn waits_for(&self) -> impl Iterator<Item = usize> + '_ {
        self.depends_on.iter().chain(&self.uses).copied()
    }
}

/// How a rule ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "status", content = "reason", rename_all = "lowercase")]
pub enum RuleStatus {
    Ok,
    Failed(String),
    Skipped(String),
}

/// One rule's result and statistics.
#[derive(Clone, Debug, Serialize)]
pub struct RuleOutcome {
    pub rule: String,
    pub algorithm: String,
    pub status: RuleStatus,
    pub entities_in: usize,
    pub findings: Vec<Finding>,
    /// Detector statistics of the run (`Detector::run_with_stats`), `null` when none.
    #[serde(skip_serializing_if = "Value::is_null")]
    pub stats: Value,
    /// Wall time of `run`; statistics only, never part of a finding.
    #[serde(skip)]
    pub duration: Duration,
}

struct State {
    started: Vec<bool>,
    done: Vec<Option<Arc<RuleOutcome>>>,
}

/// Runs every rule of the plan; returns outcomes in rule (file) order.
pub fn execute(rules: &[ResolvedRule], plan: &Plan, input: &CycleInput<'_>) -> Vec<RuleOutcome> {
    execute_views(rules, plan, &Views::full(input, input))
}

/// The two views of a cycle's tracks: as stored (one track per vessel id) and split into
/// plausible chains of segments for the detectors that ask for it
/// ([`lookout_detect::Detector::per_segment`]).
#[derive(Clone, Copy)]
pub struct Views<'v, 'a> {
    pub raw: &'v CycleInput<'a>,
    pub split: &'v CycleInput<'a>,
    /// Incremental cycles: the rules (by index) that run over the changed vessels only,
    /// with the two views of those vessels' tracks.
    pub changed: Option<ChangedViews<'v, 'a>>,
}

/// The changed vessels' views of an incremental cycle and the rules that read them.
#[derive(Clone, Copy)]
pub struct ChangedViews<'v, 'a> {
    pub rules: &'v [bool],
    pub raw: &'v CycleInput<'a>,
    pub split: &'v CycleInput<'a>,
}

impl<'v, 'a> Views<'v, 'a> {
    /// Both views over the same tracks, every rule over all of them.
    pub fn full(raw: &'v CycleInput<'a>, split: &'v CycleInput<'a>) -> Self {
        Views { raw, split, changed: None }
    }

    fn for_rule(&self, index: usize, rule: &ResolvedRule) -> &'v CycleInput<'a> {
        let (raw, split) = match self.changed {
            Some(c) if c.rules.get(index).copied().unwrap_or(false) => (c.raw, c.split),
            _ => (self.raw, self.split),
        };
        if rule.detector.per_segment() {
            split
        } else {
            raw
        }
    }
}

/// [`execute`] with a split view for per-segment detectors.
pub fn execute_views(rules: &[ResolvedRule], plan: &Plan, input: &Views<'_, '_>) -> Vec<RuleOutcome> {
    let state = Mutex::new(State { started: vec![false; rules.len()], done: vec![None; rules.len()] });
    let cv = Condvar::new();
    let threads = plan.exec.concurrency.max(1);
    match plan.exec.mode {
        Mode::Sequential => {
            for stage in &plan.stages {
                run_pool(rules, input, &stage.rules, 1, &state, &cv);
            }
        }
        Mode::Parallel => {
            let all: Vec<usize> = plan.stages.iter().flat_map(|s| s.rules.iter().copied()).collect();
            run_pool(rules, input, &all, threads, &state, &cv);
        }
        Mode::Hybrid => {
            for stage in &plan.stages {
                let n = if stage.parallel { threads } else { 1 };
                run_pool(rules, input, &stage.rules, n, &state, &cv);
            }
        }
    }
    let done = state.into_inner().unwrap_or_else(|e| e.into_inner()).done;
    done.into_iter()
        .zip(rules)
        .map(|(o, r)| match o {
            Some(o) => Arc::try_unwrap(o).unwrap_or_else(|a| (*a).clone()),
            // Unreachable for a valid plan; reported rather than trusted.
            None => RuleOutcome {
                rule: r.id.clone(),
                algorithm: r.detector.code().to_string(),
                status: RuleStatus::Skipped("not in the plan".into()),
                entities_in: 0,
                findings: Vec::new(),
                stats: Value::Null,
                duration: Duration::ZERO,
            },
        })
        .collect()
}

/// Runs `candidates` on up to `threads` workers, each rule once its dependencies are done.
/// With one worker it runs on the calling thread.
fn run_pool(
    rules: &[ResolvedRule],
    input: &Views<'_, '_>,
    candidates: &[usize],
    threads: usize,
    state: &Mutex<State>,
    cv: &Condvar,
) {
    let worker = || loop {
        let mut st = state.lock().unwrap_or_else(|e| e.into_inner());
        let picked = loop {
            if candidates.iter().all(|&i| st.started[i]) {
                return;
            }
            let ready = candidates
                .iter()
                .copied()
                .find(|&i| !st.started[i] && rules[i].waits_for().all(|d| st.done.get(d).is_some_and(Option::is_some)));
            match ready {
                Some(i) => break i,
                None => st = cv.wait(st).unwrap_or_else(|e| e.into_inner()),
            }
        };
        st.started[picked] = true;
        let outcomes = |ids: &[usize]| -> Vec<Arc<RuleOutcome>> {
            ids.iter().filter_map(|&d| st.done.get(d).cloned().flatten()).collect()
        };
        let (deps, optional) = (outcomes(&rules[picked].depends_on), outcomes(&rules[picked].uses));
        drop(st);
        let outcome = run_one(&rules[picked], &deps, &optional, input.for_rule(picked, &rules[picked]));
        let mut st = state.lock().unwrap_or_else(|e| e.into_inner());
        st.done[picked] = Some(Arc::new(outcome));
        cv.notify_all();
    };
    let threads = threads.min(candidates.len()).max(1);
    if threads == 1 {
        worker();
    } else {
        std::thread::scope(|s| {
            for _ in 0..threads {
                s.spawn(worker);
            }
        });
    }
}

/// Names the optional inputs a rule ran without in its statistics, so the cycle
/// report and the console show that e.g. dark scores were made without outage data.
fn note_missing_inputs(stats: Value, missing: &[&Arc<RuleOutcome>]) -> Value {
    if missing.is_empty() {
        return stats;
    }
    let names: Vec<Value> = missing.iter().map(|m| Value::from(m.rule.clone())).collect();
    match stats {
        Value::Object(mut map) => {
            map.insert("missing_inputs".into(), Value::Array(names));
            Value::Object(map)
        }
        Value::Null => serde_json::json!({ "missing_inputs": names }),
        other => serde_json::json!({ "missing_inputs": names, "stats": other }),
    }
}

fn run_one(
    rule: &ResolvedRule,
    deps: &[Arc<RuleOutcome>],
    optional: &[Arc<RuleOutcome>],
    input: &CycleInput<'_>,
) -> RuleOutcome {
    let mut outcome = RuleOutcome {
        rule: rule.id.clone(),
        algorithm: rule.detector.code().to_string(),
        status: RuleStatus::Ok,
        entities_in: 0,
        findings: Vec::new(),
        stats: Value::Null,
        duration: Duration::ZERO,
    };
    if let Some(bad) = deps.iter().find(|d| d.status != RuleStatus::Ok) {
        let why = match &bad.status {
            RuleStatus::Failed(e) => format!("dependency '{}' failed: {e}", bad.rule),
            _ => format!("dependency '{}' was skipped", bad.rule),
        };
        outcome.status = RuleStatus::Skipped(why);
        return outcome;
    }
    let mut upstream = Upstream::default();
    let (ok_optional, missing): (Vec<_>, Vec<_>) = optional.iter().partition(|d| d.status == RuleStatus::Ok);
    for d in deps.iter().chain(ok_optional) {
        upstream.findings.entry(d.algorithm.as_str()).or_default().extend(d.findings.iter());
    }
    for m in &missing {
        tracing::warn!(rule = %rule.id, input = %m.rule, "optional input did not run; running without it");
    }
    let started = Instant::now();
    let result = catch_unwind(AssertUnwindSafe(|| {
        let n = rule.detector.entities_in(input, &upstream);
        rule.detector.run_with_stats(input, &rule.params, &upstream).map(|(f, s)| (n, f, s))
    }));
    outcome.duration = started.elapsed();
    match result {
        Ok(Ok((n, findings, stats))) => {
            outcome.entities_in = n;
            outcome.stats = note_missing_inputs(stats, &missing);
            outcome.findings = findings
                .into_iter()
                .map(|mut f| {
                    f.rule = Some(rule.id.clone());
                    f.model_version = Some(rule.model_version);
                    f.params_hash = Some(rule.params_hash.clone());
                    f
                })
                .collect();
        }
        Ok(Err(e)) => outcome.status = RuleStatus::Failed(e.to_string()),
        Err(panic) => {
            let msg = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic payload".into());
            outcome.status = RuleStatus::Failed(format!("panicked: {msg}"));
        }
    }
    outcome
}
