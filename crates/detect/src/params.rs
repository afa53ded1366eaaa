//! Detector parameters: one trait for defaults, strict deep merge, validation and the
//! JSON schema, and the JSON helpers behind it (canonical text and hash of a params set).
//!
//! Overrides are deep-merged over a base (the defaults or a stored model version):
//! nested objects merge key by key, unknown keys and wrong types are errors with the key
//! path, `null` leaves the base as it is, and the base is never modified. A typo in a
//! tuned model must not silently fall back to a default.

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::ParamsError;

/// The parameters of one detector. `Default` is version 1 of its model; a detector
/// states only what differs from the generic plumbing (its list rule, its checks).
pub trait Params: Serialize + DeserializeOwned + Default {
    /// How lists in an override are merged.
    const LISTS: ListRule = ListRule::SameLength;

    /// Checks what serde cannot (ranges, orderings, names); errors name the key path.
    fn validate(&self) -> Result<(), ParamsError> {
        Ok(())
    }

    /// The defaults as JSON.
    fn defaults() -> Value {
        serde_json::to_value(Self::default()).unwrap_or(Value::Null)
    }

    /// JSON schema derived from the defaults, so it can never drift from the code.
    fn schema() -> Value {
        schema_from_defaults(&Self::defaults())
    }

    /// Parses merged params JSON and validates it.
    fn parse(params: &Value) -> Result<Self, ParamsError> {
        let p: Self = parse_params(params)?;
        p.validate()?;
        Ok(p)
    }

    /// Strict deep merge of `over` onto `base` under [`Params::LISTS`], validated.
    fn merge(base: &Value, over: &Value) -> Result<Value, ParamsError> {
        let merged = merge_strict(base, over, Self::LISTS)?;
        Self::parse(&merged)?;
        Ok(merged)
    }
}

/// Largest number of points one pattern may add or remove. Scores are clamped to
/// 0..=100, so a larger weight only hides every other pattern (typically a slipped digit).
pub const MAX_POINTS: i64 = 1000;

/// Meaning checks shared by the detectors' [`Params::validate`]: the first failing
/// `(key, ok, expectation)` becomes the error.
pub(crate) fn first_failure(checks: &[(&str, bool, &str)]) -> Result<(), ParamsError> {
    match checks.iter().find(|(_, ok, _)| !ok) {
        Some((key, _, message)) => Err(ParamsError::at(key, *message)),
        None => Ok(()),
    }
}

/// A finite number above zero.
pub(crate) fn positive(x: f64) -> bool {
    x.is_finite() && x > 0.0
}

/// A finite number at least zero.
pub(crate) fn non_negative(x: f64) -> bool {
    x.is_finite() && x >= 0.0
}

/// Every `(key, points)` within `-MAX_POINTS..=MAX_POINTS`.
pub(crate) fn check_points(points: &[(&str, i64)]) -> Result<(), ParamsError> {
    match points.iter().find(|(_, p)| p.abs() > MAX_POINTS) {
        Some((key, _)) => Err(ParamsError::at(key, format!("expected -{MAX_POINTS}..={MAX_POINTS} points"))),
        None => Ok(()),
    }
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
