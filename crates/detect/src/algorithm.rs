//! The algorithm registry: every detector the rule engine can run, behind one trait.
//!
//! A detector declares who it is (code, ko/en name and description), what it runs on
//! ([`EntityType`]), its parameters (defaults as JSON, a JSON schema derived from the
//! defaults, a strict deep merge) and a pure `run` over a [`CycleInput`] the engine
//! prepared beforehand. Detectors do no IO: tracks, the vessel registry and the dark
//! history are in memory before the first rule starts.
//!
//! Adding a detector: one module implementing [`Detector`] plus one line in
//! [`ALGORITHMS`].

use std::collections::BTreeMap;

use lookout_model::{Finding, Timestamp, Track};
use serde::Serialize;
use serde_json::{Map, Value};
use thiserror::Error;

use crate::dark::ZoneClassifier;
use crate::error::ParamsError;
use crate::registry::Registry;

/// What a detector's findings are about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityType {
    Vessel,
    VesselPair,
    Area,
    Series,
}

impl EntityType {
    /// The text used in plans and listings.
    pub fn as_str(self) -> &'static str {
        match self {
            EntityType::Vessel => "vessel",
            EntityType::VesselPair => "vessel_pair",
            EntityType::Area => "area",
            EntityType::Series => "series",
        }
    }
}

/// A text in both languages of the console.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Text {
    pub ko: &'static str,
    pub en: &'static str,
}

/// A detector's identity: its stable code, its names in both languages and what its
/// findings are about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct About {
    pub code: &'static str,
    pub name: Text,
    pub description: Text,
    pub entity: EntityType,
}

/// Start times of earlier dark episodes per vessel (MMSI text), fetched by the engine
/// from the store before the cycle runs, so that detectors stay free of IO.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DarkHistoryIndex {
    pub starts: BTreeMap<String, Vec<Timestamp>>,
}

impl DarkHistoryIndex {
    /// Episode starts of `vessel` in `[from, to)`, in time order.
    pub fn between(&self, vessel: &str, from: Timestamp, to: Timestamp) -> Vec<Timestamp> {
        self.starts
            .get(vessel)
            .map(|s| s.iter().copied().filter(|t| *t >= from && *t < to).collect())
            .unwrap_or_default()
    }
}

/// Everything a cycle's detectors may look at, prepared by the engine before any runs.
#[derive(Clone, Copy)]
pub struct CycleInput<'a> {
    /// Window start (exclusive): a finding belongs to the window holding its end.
    pub window_start: Timestamp,
    /// Window end (inclusive); the "now" of the cycle.
    pub window_end: Timestamp,
    /// Tracks with positions from `window_start - lookback` to `window_end`, by vessel.
    pub tracks: &'a [Track],
    /// Permits and ship kinds; without a registry nobody is permitted (as the reference).
    pub registry: Option<&'a Registry>,
    pub dark_history: &'a DarkHistoryIndex,
    /// Identity rows (name, call sign, IMO, ship type with first/last sighting and
    /// report count) of the cycle's vessels overlapping the loaded time range, fetched
    /// from the store by the engine; `IdentityHistory::empty()` when there are none.
    pub identities: &'a crate::identity::IdentityHistory,
    /// Zone lookup hook (P2); `Sync` because rules may run on several threads.
    pub zones: Option<&'a (dyn ZoneClassifier + Sync)>,
}

/// Findings of the rules a rule depends on, by algorithm code.
#[derive(Clone, Debug, Default)]
pub struct Upstream<'a> {
    pub findings: BTreeMap<&'a str, Vec<&'a Finding>>,
}

impl<'a> Upstream<'a> {
    /// Findings of the dependencies running `code`, or `None` when no dependency runs it.
    pub fn of(&self, code: &str) -> Option<&[&'a Finding]> {
        self.findings.get(code).map(Vec::as_slice)
    }
}

/// Why a detector could not run.
#[derive(Debug, Error)]
pub enum DetectError {
    #[error("params: {0}")]
    Params(#[from] ParamsError),
    #[error("{0}")]
    Failed(String),
}

/// One detection algorithm. Implementations are stateless and shared between threads.
pub trait Detector: Send + Sync {
    /// What the detector states about itself, once, as data.
    fn about(&self) -> &'static About;
    /// Stable code used by rules files, the model registry and findings.
    fn code(&self) -> &'static str {
        self.about().code
    }
    fn name(&self) -> Text {
        self.about().name
    }
    fn description(&self) -> Text {
        self.about().description
    }
    fn entity(&self) -> EntityType {
        self.about().entity
    }
    /// The DEFAULT params (version 1 of the model) as JSON.
    fn default_params(&self) -> Value;
    /// Deep-merges a partial override over `base` (defaults or a stored version) and
    /// validates the result; errors name the key path.
    fn merge_params(&self, base: &Value, over: &Value) -> Result<Value, ParamsError>;
    /// JSON schema of the params, derived from the defaults (see [`schema_from_defaults`]).
    fn params_schema(&self) -> Value {
        schema_from_defaults(&self.default_params())
    }
    /// How many entities this detector will look at (for statistics and estimates).
    fn entities_in(&self, input: &CycleInput<'_>, _upstream: &Upstream<'_>) -> usize {
        input.tracks.len()
    }
    /// True when the detector must see each vessel's positions split into plausible
    /// chains of segments ([`crate::segment::split_tracks`]) rather than the raw track:
    /// the engine then runs it over the split tracks, so two transmitters sharing one id
    /// make no false gap. Detectors that look for identity anomalies keep the raw track.
    fn per_segment(&self) -> bool {
        false
    }
    /// Runs over the cycle input; must be deterministic and must not panic on empty input.
    fn run(&self, input: &CycleInput<'_>, params: &Value, upstream: &Upstream<'_>)
        -> Result<Vec<Finding>, DetectError>;
    /// [`Detector::run`] plus statistics of the run that findings cannot carry when there
    /// are none (e.g. the transshipment funnel's stage counts); the engine keeps them with
    /// the rule's cycle statistics. Default: no statistics (`null`).
    fn run_with_stats(
        &self,
        input: &CycleInput<'_>,
        params: &Value,
        upstream: &Upstream<'_>,
    ) -> Result<(Vec<Finding>, Value), DetectError> {
        Ok((self.run(input, params, upstream)?, Value::Null))
    }
}

/// Every registered detector, in a stable order. One line per detector.
pub static ALGORITHMS: &[&dyn Detector] = &[
    &crate::algorithm_gaps::GapsDetector,
    &crate::algorithm_dark::DarkDetector,
    &crate::algorithm_segments::SegmentsDetector,
    &crate::algorithm_spoofing::SpoofingDetector,
    &crate::algorithm_zones::ZonesDetector,
    &crate::algorithm_transship::TransshipmentDetector,
    &crate::algorithm_transship::LoiteringDetector,
    &crate::algorithm_pair_trawl::PairTrawlDetector,
    &crate::algorithm_gear::GearDetector,
    &crate::algorithm_reception::ReceptionDetector,
];

/// The registered detector with this code.
pub fn algorithm(code: &str) -> Option<&'static dyn Detector> {
    ALGORITHMS.iter().copied().find(|d| d.code() == code)
}

/// JSON with object keys sorted at every level and no whitespace: the same params give
/// the same text whatever order their keys were written or merged in.
pub fn canonical_json(v: &Value) -> String {
    fn sorted(v: &Value) -> Value {
        match v {
            Value::Object(m) => {
                let mut keys: Vec<&String> = m.keys().collect();
                keys.sort();
                Value::Object(keys.into_iter().map(|k| (k.clone(), sorted(&m[k]))).collect())
            }
            Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
            other => other.clone(),
        }
    }
    sorted(v).to_string()
}

/// Hash of effective params: FNV-1a 64 over [`canonical_json`], 16 lowercase hex digits.
/// Not cryptographic; it identifies a parameter set in findings, it does not protect it.
pub fn params_hash(v: &Value) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in canonical_json(v).bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// A JSON schema (draft 2020-12 subset) describing values shaped like `defaults`:
/// objects with exactly these keys, integers where the default is an integer, numbers,
/// strings, booleans, fixed-length arrays. Derived so it can never drift from the code.
pub fn schema_from_defaults(defaults: &Value) -> Value {
    match defaults {
        Value::Object(m) => {
            let props: Map<String, Value> = m.iter().map(|(k, v)| (k.clone(), schema_from_defaults(v))).collect();
            serde_json::json!({
                "type": "object",
                "properties": props,
                "required": m.keys().collect::<Vec<_>>(),
                "additionalProperties": false,
            })
        }
        Value::Array(items) => serde_json::json!({
            "type": "array",
            "prefixItems": items.iter().map(schema_from_defaults).collect::<Vec<_>>(),
            "minItems": items.len(),
            "maxItems": items.len(),
        }),
        Value::Number(n) if n.is_i64() || n.is_u64() => {
            serde_json::json!({ "type": "integer", "default": defaults })
        }
        Value::Number(_) => serde_json::json!({ "type": "number", "default": defaults }),
        Value::String(_) => serde_json::json!({ "type": "string", "default": defaults }),
        Value::Bool(_) => serde_json::json!({ "type": "boolean", "default": defaults }),
        Value::Null => serde_json::json!({}),
    }
}

/// How a strict merge treats a list in the override.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListRule {
    /// The list must keep its length (fixed-size pairs such as an hour range).
    SameLength,
    /// The list is replaced whole (port lists, ship-type lists); element types are then
    /// checked by parsing into the params struct.
    Replace,
}

/// Generic strict deep merge for detectors whose params are plain JSON-shaped structs:
/// nested objects merge key by key, unknown keys and wrong types are errors with the
/// key path; `null` leaves `base` as it is. `base` itself is never modified.
pub fn merge_checked(base: &Value, over: &Value) -> Result<Value, ParamsError> {
    merge_strict(base, over, ListRule::SameLength)
}

/// [`merge_checked`] with an explicit rule for lists.
pub fn merge_strict(base: &Value, over: &Value, lists: ListRule) -> Result<Value, ParamsError> {
    fn walk(base: &mut Value, over: &Value, path: &str, lists: ListRule) -> Result<(), ParamsError> {
        match (base, over) {
            (Value::Object(b), Value::Object(o)) => {
                for (k, v) in o {
                    let p = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                    let slot = b.get_mut(k).ok_or_else(|| ParamsError::at(&p, "unknown key"))?;
                    walk(slot, v, &p, lists)?;
                }
                Ok(())
            }
            (slot, v) => {
                let same = match (&*slot, v) {
                    (Value::Number(a), Value::Number(_)) if a.is_i64() || a.is_u64() => v.is_i64() || v.is_u64(),
                    (Value::Number(_), Value::Number(_)) | (Value::String(_), Value::String(_)) => true,
                    (Value::Bool(_), Value::Bool(_)) => true,
                    (Value::Array(a), Value::Array(n)) => lists == ListRule::Replace || a.len() == n.len(),
                    _ => false,
                };
                if !same {
                    let at = if path.is_empty() { "(root)" } else { path };
                    return Err(ParamsError::at(at, format!("expected a value shaped like {slot}, found {v}")));
                }
                *slot = v.clone();
                Ok(())
            }
        }
    }
    let mut merged = base.clone();
    if !over.is_null() {
        walk(&mut merged, over, "", lists)?;
    }
    Ok(merged)
}

/// Parses merged params JSON into a detector's params struct; errors name the field.
pub fn parse_params<T: serde::de::DeserializeOwned>(params: &Value) -> Result<T, ParamsError> {
    serde_json::from_value(params.clone()).map_err(|e| ParamsError::at("(root)", e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn canonical_json_and_hash_ignore_key_order() {
        let a = json!({"b": 1, "a": {"y": [1, 2], "x": "s"}});
        let b = json!({"a": {"x": "s", "y": [1, 2]}, "b": 1});
        assert_eq!(canonical_json(&a), r#"{"a":{"x":"s","y":[1,2]},"b":1}"#);
        assert_eq!(params_hash(&a), params_hash(&b));
        assert_ne!(params_hash(&a), params_hash(&json!({"b": 2, "a": {"x": "s", "y": [1, 2]}})));
        // FNV-1a 64 of the empty string is the offset basis.
        assert_eq!(
            params_hash(&json!("")),
            format!("{:016x}", {
                let mut h: u64 = 0xcbf2_9ce4_8422_2325;
                for b in b"\"\"" {
                    h ^= u64::from(*b);
                    h = h.wrapping_mul(0x0100_0000_01b3);
                }
                h
            })
        );
    }

    #[test]
    fn merge_checked_names_the_path() {
        let base = json!({"t": {"a": 1, "b": 2.5}, "r": [1, 2]});
        assert_eq!(
            merge_checked(&base, &json!({"t": {"a": 3}})).ok(),
            Some(json!({"t": {"a": 3, "b": 2.5}, "r": [1, 2]}))
        );
        assert_eq!(merge_checked(&base, &json!({"t": {"c": 3}})).err().map(|e| e.path), Some("t.c".to_string()));
        assert_eq!(merge_checked(&base, &json!({"t": {"a": 1.5}})).err().map(|e| e.path), Some("t.a".to_string()));
        assert_eq!(merge_checked(&base, &json!({"r": [1]})).err().map(|e| e.path), Some("r".to_string()));
        assert_eq!(merge_checked(&base, &Value::Null).ok(), Some(base.clone()));
    }

    #[test]
    fn schema_is_derived_from_defaults() {
        let s = schema_from_defaults(&json!({"n": 1, "x": 0.5, "tz": "UTC", "r": [6, 18]}));
        assert_eq!(s["properties"]["n"]["type"], "integer");
        assert_eq!(s["properties"]["x"]["type"], "number");
        assert_eq!(s["properties"]["r"]["maxItems"], 2);
        assert_eq!(s["additionalProperties"], false);
    }
}
