//! The model registry: versioned params of every registered algorithm.
//!
//! A model is the params of one algorithm and is named by its code. Version 1 is the
//! DEFAULT params in code, ACTIVE from the first start that writes ([`ensure_seeded`]);
//! read-only paths (plans, dry runs, shadow runs) treat a model that was never seeded
//! as that same version 1 without writing it. Drafts are overrides deep-merged over a
//! base version and validated by the algorithm; promotion and rollback re-point the
//! single ACTIVE version, which the store enforces, with an audit row per change.

use std::collections::BTreeMap;

use lookout_detect::{params_hash, Detector, Detectors, ALGORITHMS};
use lookout_store::{ModelChange, ModelStatus, ModelVersion, Store};
use serde::Serialize;
use serde_json::Value;

use crate::exec::ResolvedRule;
use crate::rules::{RuleSet, VersionSel};
use crate::EngineError;

fn detector(model: &str) -> Result<&'static dyn Detector, EngineError> {
    detector_in(&Detectors::builtin(), model)
}

fn detector_in(detectors: &Detectors, model: &str) -> Result<&'static dyn Detector, EngineError> {
    detectors.get(model).ok_or_else(|| {
        EngineError::Model(format!("unknown model '{model}' (registered: {})", detectors.codes().join(", ")))
    })
}

/// Seeds version 1 (the defaults in code, ACTIVE) of every model that has no version.
/// Returns the models seeded.
pub fn ensure_seeded(
    store: &mut dyn Store,
    actor: &str,
    at: lookout_model::Timestamp,
) -> Result<Vec<String>, EngineError> {
    let mut seeded = Vec::new();
    for d in ALGORITHMS {
        if store.model_versions(d.code())?.is_empty() {
            let change = ModelChange { actor: actor.to_string(), at, reason: "DEFAULT params in code".into() };
            store.insert_model_version(d.code(), ModelStatus::Active, &d.default_params(), &change)?;
            seeded.push(d.code().to_string());
        }
    }
    Ok(seeded)
}

/// The versions of a model; an unseeded model shows its defaults as version 1, ACTIVE.
pub fn versions(store: &dyn Store, model: &str) -> Result<Vec<ModelVersion>, EngineError> {
    versions_of(store, model, detector(model)?)
}

fn versions_of(store: &dyn Store, model: &str, d: &dyn Detector) -> Result<Vec<ModelVersion>, EngineError> {
    let stored = store.model_versions(model)?;
    if !stored.is_empty() {
        return Ok(stored);
    }
    Ok(vec![ModelVersion {
        model: model.to_string(),
        version: 1,
        status: ModelStatus::Active,
        params: d.default_params(),
        created_at: chrono::DateTime::<chrono::Utc>::UNIX_EPOCH,
        created_by: "(defaults in code, not yet stored)".into(),
        reason: "DEFAULT params in code".into(),
    }])
}

/// One version of a model (`None` = the ACTIVE one).
pub fn version(store: &dyn Store, model: &str, which: Option<i64>) -> Result<ModelVersion, EngineError> {
    version_of(store, model, detector(model)?, which)
}

fn version_of(
    store: &dyn Store,
    model: &str,
    d: &dyn Detector,
    which: Option<i64>,
) -> Result<ModelVersion, EngineError> {
    let all = versions_of(store, model, d)?;
    let found = match which {
        None => all.into_iter().find(|v| v.status == ModelStatus::Active),
        Some(n) => all.into_iter().find(|v| v.version == n),
    };
    found.ok_or_else(|| match which {
        None => EngineError::Model(format!("model '{model}' has no ACTIVE version")),
        Some(n) => EngineError::Model(format!("model '{model}' has no version {n}")),
    })
}

/// Creates a DRAFT: `over` deep-merged over `base` (default: the ACTIVE version).
pub fn create_draft(
    store: &mut dyn Store,
    model: &str,
    over: &Value,
    base: Option<i64>,
    change: &ModelChange,
) -> Result<ModelVersion, EngineError> {
    let d = detector(model)?;
    ensure_seeded(store, &change.actor, change.at)?;
    let base = version(store, model, base)?;
    let params = d.merge_params(&base.params, over).map_err(|e| EngineError::Model(format!("{model}: {e}")))?;
    let change = ModelChange { reason: format!("{} (from version {})", change.reason, base.version), ..change.clone() };
    Ok(store.insert_model_version(model, ModelStatus::Draft, &params, &change)?)
}

/// DRAFT → ACTIVE; the previous ACTIVE version becomes ARCHIVED.
pub fn promote(store: &mut dyn Store, model: &str, v: i64, change: &ModelChange) -> Result<ModelVersion, EngineError> {
    detector(model)?;
    ensure_seeded(store, &change.actor, change.at)?;
    Ok(store.activate_model_version(model, v, ModelStatus::Draft, "promote", change)?)
}

/// Re-points ACTIVE to an ARCHIVED version: `to`, or by default the newest archived
/// version older than the current ACTIVE one.
pub fn rollback(
    store: &mut dyn Store,
    model: &str,
    to: Option<i64>,
    change: &ModelChange,
) -> Result<ModelVersion, EngineError> {
    detector(model)?;
    ensure_seeded(store, &change.actor, change.at)?;
    let all = store.model_versions(model)?;
    let active = all.iter().find(|v| v.status == ModelStatus::Active).map(|v| v.version).unwrap_or(i64::MAX);
    let target = match to {
        Some(n) => n,
        None => all
            .iter()
            .filter(|v| v.status == ModelStatus::Archived && v.version < active)
            .map(|v| v.version)
            .max()
            .ok_or_else(|| {
                EngineError::Model(format!("model '{model}' has no archived version older than the active one"))
            })?,
    };
    Ok(store.activate_model_version(model, target, ModelStatus::Archived, "rollback", change)?)
}

/// One changed key between two params objects.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DiffLine {
    /// Dotted key path (`weights.out_of_coverage`, `p5_daytime_range`).
    pub path: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// Key-by-key differences (objects recursed, every other value compared whole), in
/// sorted key order.
pub fn diff(a: &Value, b: &Value) -> Vec<DiffLine> {
    fn walk(a: Option<&Value>, b: Option<&Value>, path: &str, out: &mut Vec<DiffLine>) {
        match (a, b) {
            (Some(Value::Object(x)), Some(Value::Object(y))) => {
                let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
                for k in keys {
                    let p = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                    walk(x.get(k), y.get(k), &p, out);
                }
            }
            (x, y) if x != y => out.push(DiffLine { path: path.to_string(), before: x.cloned(), after: y.cloned() }),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(Some(a), Some(b), "", &mut out);
    out
}

/// Resolves rules to runnable form: each rule's model version from the store (or the
/// defaults as version 1 when unseeded), its inline params, then `overrides` (by
/// algorithm code, e.g. `--params` for `dark_suspicion`) merged on top.
/// `replace` substitutes a specific version for a model's ACTIVE one (shadow runs).
pub fn resolve(
    rules: &RuleSet,
    store: &dyn Store,
    overrides: &BTreeMap<String, Value>,
    replace: Option<(&str, i64)>,
) -> Result<Vec<ResolvedRule>, EngineError> {
    resolve_with(rules, store, overrides, replace, &Detectors::builtin())
}

/// [`resolve`] for rules whose algorithms are among `detectors` (see
/// [`RuleSet::parse_with`]).
pub fn resolve_with(
    rules: &RuleSet,
    store: &dyn Store,
    overrides: &BTreeMap<String, Value>,
    replace: Option<(&str, i64)>,
    detectors: &Detectors,
) -> Result<Vec<ResolvedRule>, EngineError> {
    let mut out = Vec::new();
    for r in &rules.rules {
        let d = detector_in(detectors, &r.algorithm)?;
        let which = match (&r.model.version, replace) {
            (VersionSel::Active, Some((m, v))) if m == r.model.model => Some(v),
            (VersionSel::Active, _) => None,
            (VersionSel::Number(n), _) => Some(*n),
        };
        let base = version_of(store, &r.model.model, d, which)?;
        let mut params = base.params.clone();
        let mut overridden = false;
        for over in [r.params.as_ref(), overrides.get(&r.algorithm)].into_iter().flatten() {
            params = d.merge_params(&params, over).map_err(|e| EngineError::Params(format!("rule '{}': {e}", r.id)))?;
            overridden = true;
        }
        let depends_on = r.depends_on.iter().filter_map(|dep| rules.index(dep)).collect();
        let uses = r.uses.iter().filter_map(|dep| rules.index(dep)).collect();
        out.push(ResolvedRule {
            id: r.id.clone(),
            detector: d,
            params_hash: params_hash(&params),
            params,
            weight: r.weight,
            depends_on,
            uses,
            model: r.model.model.clone(),
            model_version: base.version,
            overridden,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn diff_lists_changed_keys_only() {
        let a = json!({"w": {"x": 1, "y": 2}, "r": [6, 18], "tz": "A"});
        let b = json!({"w": {"x": 1, "y": 3}, "r": [7, 18], "tz": "A"});
        let d = diff(&a, &b);
        assert_eq!(d.len(), 2);
        assert_eq!(d[0], DiffLine { path: "r".into(), before: Some(json!([6, 18])), after: Some(json!([7, 18])) });
        assert_eq!(d[1].path, "w.y");
    }
}
