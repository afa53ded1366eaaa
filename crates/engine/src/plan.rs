//! The execution plan: the rules' dependency DAG grouped into stages by level.
//!
//! A rule's level is 0 without dependencies, otherwise one more than its deepest
//! dependency; stage N holds the rules of level N in file order. How stages run:
//!
//! - `sequential`: one rule at a time, stage by stage, on the calling thread;
//! - `parallel`: up to `concurrency` rules at once, each starting as soon as its own
//!   dependencies are done (no barrier between stages);
//! - `hybrid`: stage by stage with a barrier; a stage with several rules runs them in
//!   parallel (up to `concurrency`), a stage with one rule runs it inline.
//!
//! The mode changes only timing: results are assembled in file order, so the findings
//! are byte-identical in every mode.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::rules::RuleSet;

/// How stages are executed (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Sequential,
    Parallel,
    Hybrid,
}

impl Mode {
    /// The text used on the command line and in plans.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Sequential => "sequential",
            Mode::Parallel => "parallel",
            Mode::Hybrid => "hybrid",
        }
    }
}

impl std::str::FromStr for Mode {
    type Err = String;
    fn from_str(s: &str) -> Result<Mode, String> {
        match s {
            "sequential" => Ok(Mode::Sequential),
            "parallel" => Ok(Mode::Parallel),
            "hybrid" => Ok(Mode::Hybrid),
            _ => Err(format!("unknown mode '{s}' (sequential, parallel, hybrid)")),
        }
    }
}

/// Execution options of a cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ExecOptions {
    pub mode: Mode,
    /// Most rules running at once (at least 1).
    pub concurrency: usize,
}

impl Default for ExecOptions {
    fn default() -> Self {
        ExecOptions { mode: Mode::Hybrid, concurrency: 2 }
    }
}

/// One stage: rules of the same level.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Stage {
    pub level: usize,
    /// Indices into the rule set, in file order.
    pub rules: Vec<usize>,
    /// Whether the stage's rules run concurrently in this mode.
    pub parallel: bool,
}

/// Stages in execution order plus the options they were planned for.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Plan {
    pub stages: Vec<Stage>,
    pub exec: ExecOptions,
    /// Level of every rule, by rule index.
    pub levels: Vec<usize>,
}

impl Plan {
    /// Plans a validated (acyclic) rule set.
    pub fn new(rules: &RuleSet, exec: ExecOptions) -> Plan {
        let deps: Vec<Vec<usize>> =
            rules.rules.iter().map(|r| r.waits_for().filter_map(|d| rules.index(d)).collect()).collect();
        Plan::from_deps(&deps, exec)
    }

    /// Plans rules given as dependency indices (`deps[i]` = rules rule `i` waits for),
    /// which must be acyclic; a rule caught in a cycle anyway is put at level 0.
    pub fn from_deps(deps: &[Vec<usize>], exec: ExecOptions) -> Plan {
        let exec = ExecOptions { concurrency: exec.concurrency.max(1), ..exec };
        let mut levels: Vec<Option<usize>> = vec![None; deps.len()];
        // Acyclic, so repeated passes settle every level in at most n passes.
        for _ in 0..deps.len() {
            for (i, d) in deps.iter().enumerate() {
                let known: Option<Vec<usize>> = d.iter().map(|&j| levels.get(j).copied().flatten()).collect();
                levels[i] = known.map(|k| k.into_iter().map(|l| l + 1).max().unwrap_or(0));
            }
        }
        let levels: Vec<usize> = levels.into_iter().map(|l| l.unwrap_or(0)).collect();
        let mut by_level: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for (i, l) in levels.iter().enumerate() {
            by_level.entry(*l).or_default().push(i);
        }
        let stages = by_level
            .into_iter()
            .map(|(level, rules)| {
                let parallel = match exec.mode {
                    Mode::Sequential => false,
                    Mode::Parallel => exec.concurrency > 1,
                    Mode::Hybrid => exec.concurrency > 1 && rules.len() > 1,
                };
                Stage { level, rules, parallel }
            })
            .collect();
        Plan { stages, exec, levels }
    }

    /// A human-readable rendering: one line per stage, one per rule.
    pub fn render(&self, rules: &RuleSet) -> Vec<String> {
        let mut out = vec![format!(
            "plan: {} rules in {} stages, mode {}, concurrency {}",
            rules.rules.len(),
            self.stages.len(),
            self.exec.mode.as_str(),
            self.exec.concurrency
        )];
        for (n, s) in self.stages.iter().enumerate() {
            out.push(format!(
                "stage {} (level {}): {} rule{}, {}",
                n + 1,
                s.level,
                s.rules.len(),
                if s.rules.len() == 1 { "" } else { "s" },
                if s.parallel { "parallel" } else { "sequential" }
            ));
            for &i in &s.rules {
                let Some(r) = rules.rules.get(i) else {
                    continue;
                };
                let mut deps = if r.depends_on.is_empty() { "-".to_string() } else { r.depends_on.join(", ") };
                if !r.uses.is_empty() {
                    deps.push_str(&format!("; uses {} if it succeeds", r.uses.join(", ")));
                }
                let inline = if r.params.is_some() { " + inline params" } else { "" };
                out.push(format!(
                    "  {:<16} algorithm {:<15} model {}{inline}  weight {}  depends on {deps}",
                    r.id, r.algorithm, r.model, r.weight
                ));
            }
        }
        for d in &rules.disabled {
            out.push(format!("  (disabled: {d})"));
        }
        out
    }
}
