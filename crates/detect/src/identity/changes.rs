//! Identity changes under one vessel id: the `spoofing` detector's M6 (`identity_change`)
//! and M7 (`identity_flip_flop`).
//!
//! The engine loads the vessel's identity history from the store (one row per distinct
//! name / call sign / IMO / ship type tuple, with first and last sighting and a report
//! count) into [`IdentityHistory`](crate::input::identities::IdentityHistory). Per
//! field, every row carrying the same value after
//! normalisation is one *value span* (earliest first sighting, latest last sighting,
//! summed reports); values that are empty, placeholders, invalid IMOs or seen fewer
//! than `min_reports` times are dropped, so one corrupted message makes no change.
//! Spans are ordered by first sighting; each consecutive pair is a change, reported
//! by the cycle whose window holds the new value's first sighting. Rows last seen more
//! than `history_days` before the window start are not looked at (the engine loads that
//! far back, further than the positions' look-back, so a renaming between two voyages
//! is seen).
//!
//! A change is *overlapping* when the earlier value was still seen after the new one
//! appeared (each seen after the other appeared: a return to an earlier identity).
//! When that alternation fits in `flip_flop_hours` it is a flip-flop, the typical
//! sign of two transmitters sharing one MMSI, and scores M7 on top of M6.
//!
//! Limit: a row keeps only the first and last sighting of its tuple, so an alternation
//! is seen as overlapping time ranges, never as the exact sequence of reports.

use std::collections::BTreeMap;

use lookout_model::{strip_ais_padding, BreakdownItem, IdentityObservation, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::error::ParamsError;
use crate::finding::item;

/// Which identity fields count as a change.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IdentityFields {
    pub name: bool,
    pub call_sign: bool,
    pub imo: bool,
}

/// How text values are compared. AIS `@` padding (everything from the first `@`) and
/// surrounding spaces are always removed: they are encoding, never part of a name.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Normalise {
    /// `Foo` equals `FOO`.
    pub fold_case: bool,
    /// Runs of spaces are one space.
    pub collapse_whitespace: bool,
    /// Characters other than letters, digits and spaces count as spaces (`M/V`, `.`).
    pub strip_punctuation: bool,
}

/// Points per changed field and for a flip-flop.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IdentityPoints {
    pub name: i64,
    pub call_sign: i64,
    /// An IMO number belongs to the hull for life: a change is the strongest sign.
    pub imo: i64,
    pub flip_flop: i64,
}

/// Parameters of identity changes (`spoofing.identity`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IdentityParams {
    pub fields: IdentityFields,
    pub normalise: Normalise,
    /// Values that mean "not set", compared after normalisation (the list is replaced
    /// whole by an override).
    pub placeholders: Vec<String>,
    /// IMO numbers count only with seven digits and a valid check digit (AIS IMO fields
    /// often hold 1, 123 or a phone number).
    pub imo_check_digit: bool,
    /// A value seen fewer times than this is ignored (a corrupted message).
    pub min_reports: u64,
    /// A return to an earlier value within this many hours is a flip-flop.
    pub flip_flop_hours: f64,
    /// How far before the window start an earlier value is looked for, days.
    pub history_days: f64,
    pub points: IdentityPoints,
}

impl Default for IdentityParams {
    fn default() -> Self {
        IdentityParams {
            fields: IdentityFields { name: true, call_sign: true, imo: true },
            normalise: Normalise { fold_case: true, collapse_whitespace: true, strip_punctuation: true },
            placeholders: ["UNKNOWN", "NONE", "N/A", "NA", "NULL", "NIL", "NO NAME", "NONAME", "0"]
                .map(String::from)
                .to_vec(),
            imo_check_digit: true,
            min_reports: 2,
            flip_flop_hours: 24.0,
            history_days: 90.0,
            points: IdentityPoints { name: 15, call_sign: 15, imo: 30, flip_flop: 40 },
        }
    }
}

impl Default for IdentityFields {
    fn default() -> Self {
        IdentityParams::default().fields
    }
}

impl Default for Normalise {
    fn default() -> Self {
        IdentityParams::default().normalise
    }
}

impl Default for IdentityPoints {
    fn default() -> Self {
        IdentityParams::default().points
    }
}

impl IdentityParams {
    /// Checks what serde cannot; errors name the key under `identity`.
    pub fn validate(&self) -> Result<(), ParamsError> {
        if !(self.flip_flop_hours.is_finite() && self.flip_flop_hours >= 0.0) {
            return Err(ParamsError::at("identity.flip_flop_hours", "expected a number >= 0"));
        }
        // Bounded so that the engine's load range stays a valid time (10 years).
        if !(self.history_days.is_finite() && (0.0..=3660.0).contains(&self.history_days)) {
            return Err(ParamsError::at("identity.history_days", "expected a number of days from 0 to 3660"));
        }
        let p = &self.points;
        crate::params::check_points(&[
            ("identity.points.name", p.name),
            ("identity.points.call_sign", p.call_sign),
            ("identity.points.imo", p.imo),
            ("identity.points.flip_flop", p.flip_flop),
        ])
    }

    /// The history looked at before a window start, as a duration.
    pub fn history(&self) -> chrono::Duration {
        chrono::Duration::milliseconds((self.history_days * 86_400_000.0).round() as i64)
    }
}

/// One identity field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    Name,
    CallSign,
    Imo,
}

impl Field {
    pub const ALL: [Field; 3] = [Field::Name, Field::CallSign, Field::Imo];

    pub fn as_str(self) -> &'static str {
        match self {
            Field::Name => "name",
            Field::CallSign => "call_sign",
            Field::Imo => "imo",
        }
    }

    fn label(self) -> (&'static str, &'static str) {
        match self {
            Field::Name => ("선명", "name"),
            Field::CallSign => ("호출부호", "call sign"),
            Field::Imo => ("IMO", "IMO"),
        }
    }

    fn enabled(self, p: &IdentityParams) -> bool {
        match self {
            Field::Name => p.fields.name,
            Field::CallSign => p.fields.call_sign,
            Field::Imo => p.fields.imo,
        }
    }

    fn points(self, p: &IdentityParams) -> i64 {
        match self {
            Field::Name => p.points.name,
            Field::CallSign => p.points.call_sign,
            Field::Imo => p.points.imo,
        }
    }
}

/// A text value as compared: AIS padding removed, then the configured folding.
pub fn normalise(raw: &str, n: &Normalise) -> String {
    let Some(mut text) = strip_ais_padding(raw) else {
        return String::new();
    };
    if n.strip_punctuation {
        text = text.chars().map(|c| if c.is_alphanumeric() || c.is_whitespace() { c } else { ' ' }).collect();
    }
    if n.fold_case {
        text = text.to_uppercase();
    }
    if n.collapse_whitespace {
        text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    }
    text.trim().to_string()
}

/// True for a seven-digit IMO number whose last digit checks the first six
/// (weights 7..2, sum mod 10).
pub fn imo_is_valid(imo: u32) -> bool {
    if !(1_000_000..=9_999_999).contains(&imo) {
        return false;
    }
    let digits: Vec<u32> = imo.to_string().bytes().map(|b| u32::from(b - b'0')).collect();
    let sum: u32 = digits.iter().take(6).zip((2..=7).rev()).map(|(d, w)| d * w).sum();
    digits.get(6) == Some(&(sum % 10))
}

/// The comparable key and shown text of one row's field, or `None` when the row does
/// not state a usable value. `placeholders` are already normalised.
fn value_of(
    row: &IdentityObservation,
    field: Field,
    p: &IdentityParams,
    placeholders: &[String],
) -> Option<(String, String)> {
    let raw = match field {
        Field::Name => row.identity.name.clone()?,
        Field::CallSign => row.identity.call_sign.clone()?,
        Field::Imo => {
            let imo = row.identity.imo?;
            if imo == 0 || (p.imo_check_digit && !imo_is_valid(imo)) {
                return None;
            }
            imo.to_string()
        }
    };
    let key = normalise(&raw, &p.normalise);
    let placeholder = placeholders.contains(&key);
    (!key.is_empty() && !placeholder).then_some((key, raw))
}

/// One field value over time: every row carrying it, merged.
#[derive(Clone, Debug, PartialEq)]
pub struct ValueSpan {
    /// The normalised value (what is compared).
    pub key: String,
    /// The value as reported by the row with the most reports.
    pub shown: String,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    pub reports: u64,
}

impl ValueSpan {
    fn json(&self) -> Value {
        json!({
            "value": self.shown, "first_seen": self.first_seen.to_rfc3339(),
            "last_seen": self.last_seen.to_rfc3339(), "reports": self.reports,
        })
    }
}

/// Spans of one field's values with at least `min_reports` reports, by first sighting
/// (then last sighting, then value).
pub fn spans(rows: &[IdentityObservation], field: Field, p: &IdentityParams) -> Vec<ValueSpan> {
    let placeholders: Vec<String> = p.placeholders.iter().map(|ph| normalise(ph, &p.normalise)).collect();
    let mut by_key: BTreeMap<String, (ValueSpan, u64)> = BTreeMap::new();
    for row in rows {
        let Some((key, raw)) = value_of(row, field, p, &placeholders) else { continue };
        match by_key.get_mut(&key) {
            Some((span, best)) => {
                span.first_seen = span.first_seen.min(row.first_seen);
                span.last_seen = span.last_seen.max(row.last_seen);
                span.reports = span.reports.saturating_add(row.reports);
                if row.reports > *best {
                    (span.shown, *best) = (raw, row.reports);
                }
            }
            None => {
                let span = ValueSpan {
                    key: key.clone(),
                    shown: raw,
                    first_seen: row.first_seen,
                    last_seen: row.last_seen,
                    reports: row.reports,
                };
                by_key.insert(key, (span, row.reports));
            }
        }
    }
    let mut out: Vec<ValueSpan> = by_key.into_values().map(|(s, _)| s).filter(|s| s.reports >= p.min_reports).collect();
    out.sort_by(|a, b| (a.first_seen, a.last_seen, &a.key).cmp(&(b.first_seen, b.last_seen, &b.key)));
    out
}

/// One change of one field from `before` to `after`.
#[derive(Clone, Debug, PartialEq)]
pub struct Change {
    pub field: Field,
    pub before: ValueSpan,
    pub after: ValueSpan,
    /// The earlier value was seen again after the new one appeared.
    pub overlapping: bool,
    /// Hours within which the alternation was seen (overlapping changes only).
    pub alternation_hours: Option<f64>,
    pub flip_flop: bool,
}

fn hours(a: Timestamp, b: Timestamp) -> f64 {
    (b - a).num_milliseconds() as f64 / 3_600_000.0
}

/// The shortest time range known to hold an alternation of `a` and `b` (a value, the
/// other, the first again), from their first and last sightings; `None` when the
/// ranges do not interleave. `a` appeared no later than `b`.
fn alternation_hours(a: &ValueSpan, b: &ValueSpan) -> Option<f64> {
    if b.first_seen >= a.last_seen {
        return None;
    }
    // a.first, b.first, a.last is an alternation; so is b.first, a.last, b.last when
    // `a` was seen inside `b`'s range.
    let mut span = hours(a.first_seen, a.last_seen);
    if a.last_seen < b.last_seen {
        span = span.min(hours(b.first_seen, b.last_seen));
    }
    Some(span)
}

/// Changes of every enabled field whose new value first appeared in `(from, to]`,
/// in field order, then time.
pub fn changes(rows: &[IdentityObservation], from: Timestamp, to: Timestamp, p: &IdentityParams) -> Vec<Change> {
    let since = from - p.history();
    let rows: Vec<IdentityObservation> =
        rows.iter().filter(|r| r.last_seen >= since && r.first_seen <= to).cloned().collect();
    let mut out = Vec::new();
    for field in Field::ALL.into_iter().filter(|f| f.enabled(p)) {
        let s = spans(&rows, field, p);
        for pair in s.windows(2) {
            let (before, after) = (&pair[0], &pair[1]);
            if after.first_seen <= from || after.first_seen > to {
                continue;
            }
            let alternation = alternation_hours(before, after);
            out.push(Change {
                field,
                before: before.clone(),
                after: after.clone(),
                overlapping: alternation.is_some(),
                alternation_hours: alternation,
                flip_flop: alternation.is_some_and(|h| h <= p.flip_flop_hours),
            });
        }
    }
    out
}

fn change_json(c: &Change) -> Value {
    json!({
        "field": c.field.as_str(),
        "kind": if c.overlapping { "overlapping" } else { "sequential" },
        "flip_flop": c.flip_flop,
        "alternation_hours": c.alternation_hours.map(|h| (h * 100.0).round() / 100.0),
        "before": c.before.json(),
        "after": c.after.json(),
    })
}

/// Breakdown items (M6, and M7 for a flip-flop) and the evidence list for the changes.
pub fn breakdown(changes: &[Change], p: &IdentityParams) -> (Vec<BreakdownItem>, Value) {
    if changes.is_empty() {
        return (Vec::new(), Value::Null);
    }
    let mut fields: Vec<Field> = Vec::new();
    for c in changes {
        if !fields.contains(&c.field) {
            fields.push(c.field);
        }
    }
    let points: i64 = fields.iter().map(|f| f.points(p)).sum();
    let text = |ko: bool| {
        changes
            .iter()
            .take(5)
            .map(|c| {
                let (lko, len) = c.field.label();
                let label = if ko { lko } else { len };
                format!("{label} '{}' → '{}'", c.before.shown, c.after.shown)
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    let mut items = vec![item(
        "M6",
        "identity_change",
        points,
        "식별정보 변경",
        "Identity change",
        format!("같은 식별번호에서 {}회 변경: {}", changes.len(), text(true)),
        format!("{} change(s) under one id: {}", changes.len(), text(false)),
    )];
    let flips: Vec<&Change> = changes.iter().filter(|c| c.flip_flop).collect();
    if let Some(first) = flips.first() {
        let h = first.alternation_hours.unwrap_or(0.0);
        items.push(item(
            "M7",
            "identity_flip_flop",
            p.points.flip_flop,
            "식별정보 교대 송신",
            "Identity flip-flop",
            format!(
                "{}시간 안에 이전 식별정보로 되돌아감({}건): 두 송신기가 같은 MMSI를 쓰는 징후",
                (h * 10.0).round() / 10.0,
                flips.len()
            ),
            format!(
                "back to an earlier identity within {} h ({} change(s)): a sign of two transmitters sharing the MMSI",
                (h * 10.0).round() / 10.0,
                flips.len()
            ),
        ));
    }
    let list: Vec<Value> = changes.iter().take(20).map(change_json).collect();
    (items, Value::Array(list))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation_folds_padding_case_spacing_and_punctuation() {
        let n = Normalise::default();
        assert_eq!(normalise("FOO  BAR@@", &n), "FOO BAR");
        assert_eq!(normalise("foo bar", &n), "FOO BAR");
        assert_eq!(normalise(" M/V Foo.Bar ", &n), "M V FOO BAR");
        let strict = Normalise { fold_case: false, collapse_whitespace: false, strip_punctuation: false };
        assert_eq!(normalise("FOO  BAR@@", &strict), "FOO  BAR");
        assert_ne!(normalise("FOO  BAR@@", &strict), normalise("foo bar", &strict));
    }

    #[test]
    fn imo_check_digit() {
        assert!(imo_is_valid(9_074_729)); // 9*7+0*6+7*5+4*4+7*3+2*2 = 139 → 9
        assert!(!imo_is_valid(9_074_728));
        assert!(!imo_is_valid(123));
        assert!(!imo_is_valid(0));
    }
}
