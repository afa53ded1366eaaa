//! Rules files: which algorithms a cycle runs, with which params, weights and order.
//!
//! A rules file is TOML with one `[[rules]]` table per rule (see `rules/default.toml`,
//! which is embedded and used when no file is given). Loading validates everything a
//! plan needs, so a rules file that loads can always be planned: known algorithms,
//! unique ids, well-formed model references, inline params that merge over the
//! defaults, existing and enabled dependencies, no cycles.

use std::collections::{BTreeMap, BTreeSet};

use lookout_detect::{Detectors, ParamsError};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use thiserror::Error;

/// The shipped default rules (`rules/default.toml`).
pub const DEFAULT_RULES: &str = include_str!("../../../rules/default.toml");

/// Why a rules file was refused; each variant names the rule and the problem.
#[derive(Debug, Error)]
pub enum RulesError {
    #[error("rules file: {0}")]
    Parse(String),
    #[error("rules file has no enabled rule")]
    Empty,
    #[error("rule '{rule}': unknown algorithm '{algorithm}' (registered: {known})")]
    UnknownAlgorithm { rule: String, algorithm: String, known: String },
    #[error("duplicate rule id '{0}'")]
    DuplicateId(String),
    #[error("rule '{rule}' depends on '{dependency}', which is not defined")]
    MissingDependency { rule: String, dependency: String },
    #[error("rule '{rule}' depends on '{dependency}', which is disabled")]
    DisabledDependency { rule: String, dependency: String },
    #[error("dependency cycle: {}", .0.join(" -> "))]
    Cycle(Vec<String>),
    #[error("rule '{rule}': model '{text}': {message}")]
    BadModel { rule: String, text: String, message: String },
    #[error("rule '{rule}': weight must be a number from 0 to 1, found {weight}")]
    BadWeight { rule: String, weight: f64 },
    #[error("rule '{rule}': params.{source}")]
    Params { rule: String, source: ParamsError },
}

/// Which version of a model a rule uses.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum VersionSel {
    Active,
    Number(i64),
}

/// A parsed `model@version` reference.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ModelRef {
    pub model: String,
    pub version: VersionSel,
}

impl std::fmt::Display for ModelRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.version {
            VersionSel::Active => write!(f, "{}@active", self.model),
            VersionSel::Number(n) => write!(f, "{}@{n}", self.model),
        }
    }
}

impl ModelRef {
    /// Parses `name`, `name@active` or `name@<positive integer>`.
    pub fn parse(text: &str) -> Result<ModelRef, String> {
        let (model, version) = match text.split_once('@') {
            None => (text, VersionSel::Active),
            Some((m, "active")) => (m, VersionSel::Active),
            Some((m, v)) => match v.parse::<i64>() {
                Ok(n) if n >= 1 => (m, VersionSel::Number(n)),
                _ => return Err(format!("version '{v}' is neither 'active' nor a number >= 1")),
            },
        };
        if model.is_empty() {
            return Err("empty model name".into());
        }
        Ok(ModelRef { model: model.to_string(), version })
    }
}

fn default_weight() -> f64 {
    1.0
}

fn yes() -> bool {
    true
}

/// One rule as written in the file.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    pub id: String,
    pub algorithm: String,
    /// `model@active` or `model@N`; default `<algorithm>@active`.
    #[serde(default)]
    pub model: Option<String>,
    /// Inline override deep-merged over the model version's params.
    #[serde(default)]
    pub params: Option<Value>,
    #[serde(default = "default_weight")]
    pub weight: f64,
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default)]
    pub depends_on: Vec<String>,
    /// Optional inputs: rules that run first and whose findings this rule reads when
    /// they succeed; a failed, skipped or disabled one is left out, never skips this rule.
    #[serde(default)]
    pub uses: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesToml {
    #[serde(default)]
    rules: Vec<RuleSpec>,
}

/// A validated rule.
#[derive(Clone, Debug, Serialize)]
pub struct Rule {
    pub id: String,
    pub algorithm: String,
    pub model: ModelRef,
    pub params: Option<Value>,
    pub weight: f64,
    pub depends_on: Vec<String>,
    /// Optional inputs that are enabled (a disabled one is dropped here).
    pub uses: Vec<String>,
}

impl Rule {
    /// Every rule this one waits for: its dependencies, then its optional inputs.
    pub fn waits_for(&self) -> impl Iterator<Item = &String> {
        self.depends_on.iter().chain(&self.uses)
    }
}

/// The enabled rules of a file, validated, in file order.
#[derive(Clone, Debug, Serialize)]
pub struct RuleSet {
    pub rules: Vec<Rule>,
    /// Ids of rules present but disabled (shown in plans).
    pub disabled: Vec<String>,
}

impl RuleSet {
    /// The shipped default rules.
    pub fn builtin() -> Result<RuleSet, RulesError> {
        RuleSet::parse(DEFAULT_RULES)
    }

    /// Parses and validates a rules file against the built-in detectors.
    pub fn parse(text: &str) -> Result<RuleSet, RulesError> {
        RuleSet::parse_with(text, &Detectors::builtin())
    }

    /// Parses and validates a rules file whose algorithms are among `detectors`.
    pub fn parse_with(text: &str, detectors: &Detectors) -> Result<RuleSet, RulesError> {
        let file: RulesToml = toml::from_str(text).map_err(|e| RulesError::Parse(e.to_string()))?;
        RuleSet::validate_with(file.rules, detectors)
    }

    /// Validates rules given as data (the parser's second half).
    pub fn validate(specs: Vec<RuleSpec>) -> Result<RuleSet, RulesError> {
        RuleSet::validate_with(specs, &Detectors::builtin())
    }

    /// [`RuleSet::validate`] against `detectors`.
    pub fn validate_with(specs: Vec<RuleSpec>, detectors: &Detectors) -> Result<RuleSet, RulesError> {
        let mut seen = BTreeSet::new();
        for s in &specs {
            if !seen.insert(s.id.as_str()) {
                return Err(RulesError::DuplicateId(s.id.clone()));
            }
        }
        let enabled: BTreeMap<&str, bool> = specs.iter().map(|s| (s.id.as_str(), s.enabled)).collect();
        let mut rules = Vec::new();
        let mut disabled = Vec::new();
        for s in &specs {
            let Some(det) = detectors.get(&s.algorithm) else {
                return Err(RulesError::UnknownAlgorithm {
                    rule: s.id.clone(),
                    algorithm: s.algorithm.clone(),
                    known: detectors.codes().join(", "),
                });
            };
            if !s.enabled {
                disabled.push(s.id.clone());
                continue;
            }
            if !(0.0..=1.0).contains(&s.weight) {
                return Err(RulesError::BadWeight { rule: s.id.clone(), weight: s.weight });
            }
            let text = s.model.clone().unwrap_or_else(|| format!("{}@active", s.algorithm));
            let bad = |message: String| RulesError::BadModel { rule: s.id.clone(), text: text.clone(), message };
            let model = ModelRef::parse(&text).map_err(bad)?;
            // A model is the params of one algorithm: its name is the algorithm's code.
            if model.model != s.algorithm {
                return Err(bad(format!(
                    "model '{}' holds params of algorithm '{}', not '{}'",
                    model.model, model.model, s.algorithm
                )));
            }
            if let Some(p) = &s.params {
                det.merge_params(&det.default_params(), p)
                    .map_err(|source| RulesError::Params { rule: s.id.clone(), source })?;
            }
            for d in &s.depends_on {
                match enabled.get(d.as_str()) {
                    None => return Err(RulesError::MissingDependency { rule: s.id.clone(), dependency: d.clone() }),
                    Some(false) => {
                        return Err(RulesError::DisabledDependency { rule: s.id.clone(), dependency: d.clone() })
                    }
                    Some(true) => {}
                }
            }
            let mut uses = Vec::new();
            for u in &s.uses {
                match enabled.get(u.as_str()) {
                    None => return Err(RulesError::MissingDependency { rule: s.id.clone(), dependency: u.clone() }),
                    Some(true) => uses.push(u.clone()),
                    Some(false) => {}
                }
            }
            rules.push(Rule {
                id: s.id.clone(),
                algorithm: s.algorithm.clone(),
                model,
                params: s.params.clone(),
                weight: s.weight,
                depends_on: s.depends_on.clone(),
                uses,
            });
        }
        if rules.is_empty() {
            return Err(RulesError::Empty);
        }
        if let Some(cycle) = find_cycle(&rules) {
            return Err(RulesError::Cycle(cycle));
        }
        Ok(RuleSet { rules, disabled })
    }

    /// Index of a rule by id.
    pub fn index(&self, id: &str) -> Option<usize> {
        self.rules.iter().position(|r| r.id == id)
    }
}

/// The first dependency cycle found (depth-first, rules in file order), as a closed path
/// `a -> b -> a`.
fn find_cycle(rules: &[Rule]) -> Option<Vec<String>> {
    let index: BTreeMap<&str, usize> = rules.iter().enumerate().map(|(i, r)| (r.id.as_str(), i)).collect();
    // 0 = unvisited, 1 = on the current path, 2 = done.
    let mut state = vec![0u8; rules.len()];
    let mut path: Vec<usize> = Vec::new();
    fn visit(
        i: usize,
        rules: &[Rule],
        index: &BTreeMap<&str, usize>,
        state: &mut [u8],
        path: &mut Vec<usize>,
    ) -> Option<Vec<String>> {
        state[i] = 1;
        path.push(i);
        for d in rules[i].waits_for() {
            let Some(&j) = index.get(d.as_str()) else {
                continue;
            };
            match state[j] {
                1 => {
                    let from = path.iter().position(|&p| p == j).unwrap_or(0);
                    let mut cycle: Vec<String> = path[from..].iter().map(|&p| rules[p].id.clone()).collect();
                    cycle.push(rules[j].id.clone());
                    return Some(cycle);
                }
                0 => {
                    if let Some(c) = visit(j, rules, index, state, path) {
                        return Some(c);
                    }
                }
                _ => {}
            }
        }
        path.pop();
        state[i] = 2;
        None
    }
    (0..rules.len()).find_map(|i| if state[i] == 0 { visit(i, rules, &index, &mut state, &mut path) } else { None })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        RuleSet::parse(text).err().map(|e| e.to_string()).unwrap_or_default()
    }

    #[test]
    fn default_rules_load() {
        let set = RuleSet::builtin().expect("default rules");
        let ids: Vec<&str> = set.rules.iter().map(|r| r.id.as_str()).collect();
        // Later rules come with later detectors; the dark pair leads.
        assert_eq!(ids[..2], ["gaps", "dark_suspicion"]);
        assert_eq!(set.rules[1].depends_on, ["gaps"]);
        assert_eq!(set.rules[1].uses, ["reception"]);
        assert_eq!(set.rules[1].model.to_string(), "dark_suspicion@active");
    }

    #[test]
    fn errors_name_the_problem() {
        let r =
            |id: &str, alg: &str, extra: &str| format!("[[rules]]\nid = \"{id}\"\nalgorithm = \"{alg}\"\n{extra}\n");
        assert!(
            err(&r("x", "nope", ""))
                .starts_with("rule 'x': unknown algorithm 'nope' (registered: gaps, dark_suspicion"),
            "{}",
            err(&r("x", "nope", ""))
        );
        assert_eq!(err(&(r("a", "gaps", "") + &r("a", "gaps", ""))), "duplicate rule id 'a'");
        assert_eq!(err(&r("a", "gaps", "depends_on = [\"b\"]")), "rule 'a' depends on 'b', which is not defined");
        assert_eq!(
            err(&(r("a", "gaps", "depends_on = [\"b\"]") + &r("b", "gaps", "enabled = false"))),
            "rule 'a' depends on 'b', which is disabled"
        );
        assert_eq!(
            err(&(r("a", "gaps", "depends_on = [\"c\"]")
                + &r("b", "gaps", "depends_on = [\"a\"]")
                + &r("c", "gaps", "depends_on = [\"b\"]"))),
            "dependency cycle: a -> c -> b -> a"
        );
        assert_eq!(err(&r("a", "gaps", "depends_on = [\"a\"]")), "dependency cycle: a -> a");
        // Optional inputs: must exist, may be disabled (then dropped), count for cycles.
        assert_eq!(err(&r("a", "gaps", "uses = [\"b\"]")), "rule 'a' depends on 'b', which is not defined");
        let set = RuleSet::parse(&(r("a", "gaps", "uses = [\"b\"]") + &r("b", "gaps", "enabled = false"))).expect("ok");
        assert!(set.rules[0].uses.is_empty());
        assert_eq!(
            err(&(r("a", "gaps", "uses = [\"b\"]") + &r("b", "gaps", "depends_on = [\"a\"]"))),
            "dependency cycle: a -> b -> a"
        );
        assert!(err(&r("a", "gaps", "model = \"gaps@x\"")).starts_with("rule 'a': model 'gaps@x': version 'x'"));
        assert!(err(&r("a", "gaps", "model = \"dark_suspicion@1\"")).contains("holds params of algorithm"));
        assert_eq!(
            err(&r("a", "dark_suspicion", "params = { weights = { P1_moving_of = 3 } }")),
            "rule 'a': params.weights.P1_moving_of: unknown key"
        );
        assert!(err(&r("a", "gaps", "weight = -1.0")).contains("weight must be"));
        assert!(err(&r("a", "gaps", "weight = 1.5")).contains("weight must be a number from 0 to 1, found 1.5"));
        assert!(err("[[rules]]\nid = 1\n").starts_with("rules file:"));
        assert_eq!(err(&r("a", "gaps", "enabled = false")), "rules file has no enabled rule");
    }
}
