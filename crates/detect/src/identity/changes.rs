//! Identity changes under one vessel id: the `spoofing` detector's M6 (`identity_change`)
//! and M7 (`identity_flip_flop`).
//!
//! The engine loads the vessel's identity *runs* from the store
//! ([`IdentityHistory`](crate::input::identities::IdentityHistory)): each run is a
//! stretch of consecutive sightings of one name / call sign / IMO / ship type tuple,
//! with its first and last sighting and report count (run-length form of the sequence
//! of sightings, capped per vessel by the store). Per field:
//!
//! 1. Values are normalised ([`normalise`]): AIS `@` padding, stray characters after
//!    a run of trailing spaces, case, punctuation and runs of spaces. Empty values,
//!    placeholders and invalid IMOs are dropped.
//! 2. **Corrupted receptions.** A text value (name, call sign: AIS 6-bit text) within
//!    a few character edits of another value of the same vessel that was seen far more
//!    often (`min_ratio` times) is a corrupted reception of it, not a renaming: its runs count as the
//!    original value and the evidence lists it under `identity_corrupted_receptions`.
//!    The edits allowed grow with the length (one per `chars_per_edit` characters, at
//!    most `max_edits`): the AIS CRC-16 lets through mostly multi-bit bursts, and a
//!    burst of up to 16 bits spans at most three 6-bit characters; short values get
//!    fewer edits so that a genuinely different short name is never folded.
//! 3. Values seen fewer than `min_reports` times in all are dropped (one corrupted
//!    message makes no change).
//! 4. The runs, ordered by first sighting, are merged where consecutive runs carry the
//!    same value: that is the value *sequence*. Each consecutive pair of the sequence
//!    is a change, reported by the cycle whose window holds the new value's first
//!    sighting. A change back to a value seen earlier (A, B, A) is a *return*; when the
//!    value was away for at most `flip_flop_hours` (from its last sighting before to
//!    its first sighting after) the return is a flip-flop, the typical sign of two
//!    transmitters sharing one MMSI, and scores M7 on top of M6.
//!
//! Runs last seen more than `history_days` before the window start are not looked at
//! (the engine loads that far back, further than the positions' look-back, so a
//! renaming between two voyages is seen).

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
    /// Characters other than letters, digits and spaces count as spaces (`M/V`, `.`,
    /// `,`, `-`).
    pub strip_punctuation: bool,
    /// One or two characters after a run of at least three spaces at the end are
    /// dropped: a name is padded to 20 characters and a corrupted padding shows up as a
    /// stray character far after the name (`FOO BAR     X`).
    pub drop_stray_tail: bool,
}

/// When a text value is a corrupted reception of a value seen more often (see the
/// module documentation).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Corruption {
    /// Most character edits (insert, delete, replace) a corruption may make; 0 turns the
    /// rule off.
    pub max_edits: usize,
    /// One edit is allowed per this many characters of the longer value.
    pub chars_per_edit: usize,
    /// The original must have been reported at least this many times as often as the
    /// variant. A garbled message that passes the CRC is rare; a second transmitter or
    /// a new name is reported at its own regular rate (two fleet sisters `HAI DA 1` and
    /// `HAI DA 2` on one MMSI are a flip-flop, not a corruption).
    pub min_ratio: f64,
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
    /// Corrupted receptions of names and call signs.
    pub corruption: Corruption,
    /// Values that mean "not set", compared after normalisation (the list is replaced
    /// whole by an override).
    pub placeholders: Vec<String>,
    /// IMO numbers count only with seven digits and a valid check digit (AIS IMO fields
    /// often hold 1, 123 or a phone number).
    pub imo_check_digit: bool,
    /// A value seen fewer times than this is ignored (a corrupted message).
    pub min_reports: u64,
    /// A return to an earlier value that was away (last sighting before the other
    /// value, first sighting after it) at most this many hours is a flip-flop.
    pub flip_flop_hours: f64,
    /// How far before the window start an earlier value is looked for, days.
    pub history_days: f64,
    pub points: IdentityPoints,
}

impl Default for IdentityParams {
    fn default() -> Self {
        IdentityParams {
            fields: IdentityFields { name: true, call_sign: true, imo: true },
            normalise: Normalise {
                fold_case: true,
                collapse_whitespace: true,
                strip_punctuation: true,
                drop_stray_tail: true,
            },
            corruption: Corruption { max_edits: 3, chars_per_edit: 4, min_ratio: 5.0 },
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

impl Default for Corruption {
    fn default() -> Self {
        IdentityParams::default().corruption
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
        if self.corruption.chars_per_edit == 0 {
            return Err(ParamsError::at("identity.corruption.chars_per_edit", "expected a number >= 1"));
        }
        if !(self.corruption.min_ratio.is_finite() && self.corruption.min_ratio >= 1.0) {
            return Err(ParamsError::at("identity.corruption.min_ratio", "expected a number >= 1"));
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

    /// AIS 6-bit text, where a corrupted reception garbles characters (an IMO is a
    /// binary number with a check digit).
    fn is_text(self) -> bool {
        matches!(self, Field::Name | Field::CallSign)
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
    if n.drop_stray_tail {
        text = without_stray_tail(&text).to_string();
    }
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

/// `text` without one or two characters that follow a run of three or more spaces at
/// its end (a corrupted padding).
fn without_stray_tail(text: &str) -> &str {
    let trimmed = text.trim_end();
    let Some(gap) = trimmed.rfind("   ") else { return trimmed };
    let tail = &trimmed[gap..];
    let stray = tail.trim_start();
    if !stray.is_empty() && stray.chars().count() <= 2 && !stray.contains(' ') && !trimmed[..gap].trim().is_empty() {
        trimmed[..gap].trim_end()
    } else {
        trimmed
    }
}

/// Levenshtein distance between two values, in characters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let replace = diagonal + usize::from(ca != cb);
            diagonal = row[j + 1];
            row[j + 1] = replace.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}

impl Corruption {
    /// Edits a corruption of values this long may make.
    fn allowed(&self, a: &str, b: &str) -> usize {
        let len = a.chars().count().max(b.chars().count());
        (len / self.chars_per_edit.max(1)).min(self.max_edits)
    }
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

/// One stretch of the value sequence of a field: consecutive runs of one value, merged.
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

/// A value taken for a corrupted reception of another, more often seen value.
#[derive(Clone, Debug, PartialEq)]
pub struct CorruptedReception {
    pub field: Field,
    /// The value as received (most reported spelling).
    pub value: String,
    /// The value it is a corruption of, as shown.
    pub original: String,
    /// Character edits between the normalised values.
    pub edits: usize,
    pub reports: u64,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
}

impl CorruptedReception {
    fn json(&self) -> Value {
        json!({
            "field": self.field.as_str(), "value": self.value, "taken_for": self.original,
            "edits": self.edits, "reports": self.reports,
            "first_seen": self.first_seen.to_rfc3339(), "last_seen": self.last_seen.to_rfc3339(),
            "judged": "corrupted reception, not a renaming",
        })
    }
}

/// Totals of one normalised value over all its rows.
struct ValueTotal {
    shown: String,
    best: u64,
    reports: u64,
    first_seen: Timestamp,
    last_seen: Timestamp,
}

/// One row's value of a field, before corruptions are folded.
struct Sighting {
    key: String,
    first_seen: Timestamp,
    last_seen: Timestamp,
    reports: u64,
}

/// The sightings of a field's usable values, and each value's totals.
fn sightings(
    rows: &[IdentityObservation],
    field: Field,
    p: &IdentityParams,
) -> (Vec<Sighting>, BTreeMap<String, ValueTotal>) {
    let placeholders: Vec<String> = p.placeholders.iter().map(|ph| normalise(ph, &p.normalise)).collect();
    let mut totals: BTreeMap<String, ValueTotal> = BTreeMap::new();
    let mut out = Vec::new();
    for row in rows {
        let Some((key, raw)) = value_of(row, field, p, &placeholders) else { continue };
        let total = totals.entry(key.clone()).or_insert_with(|| ValueTotal {
            shown: raw.clone(),
            best: row.reports,
            reports: 0,
            first_seen: row.first_seen,
            last_seen: row.last_seen,
        });
        total.reports = total.reports.saturating_add(row.reports);
        total.first_seen = total.first_seen.min(row.first_seen);
        total.last_seen = total.last_seen.max(row.last_seen);
        if row.reports > total.best {
            (total.shown, total.best) = (raw, row.reports);
        }
        out.push(Sighting { key, first_seen: row.first_seen, last_seen: row.last_seen, reports: row.reports });
    }
    (out, totals)
}

/// For every value that is a corrupted reception, the value it stands for. Values are
/// judged from the most reported down; a value can only stand for one already judged
/// an original (never a chain of corruptions), the most reported among the candidates.
fn corruptions(totals: &BTreeMap<String, ValueTotal>, field: Field, p: &IdentityParams) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    if !field.is_text() || p.corruption.max_edits == 0 {
        return out;
    }
    let mut by_reports: Vec<(&String, &ValueTotal)> = totals.iter().collect();
    by_reports.sort_by(|a, b| b.1.reports.cmp(&a.1.reports).then_with(|| a.0.cmp(b.0)));
    let mut originals: Vec<(&String, u64)> = Vec::new();
    for (key, total) in by_reports {
        let original = originals.iter().find(|(o, reports)| {
            *reports > total.reports
                && *reports as f64 >= total.reports as f64 * p.corruption.min_ratio
                && *reports >= p.min_reports
                && edit_distance(o, key) <= p.corruption.allowed(o, key)
        });
        match original {
            Some((o, _)) => {
                out.insert(key.clone(), (*o).clone());
            }
            None => originals.push((key, total.reports)),
        }
    }
    out
}

/// One field's value sequence: runs ordered by first sighting (then last sighting, then
/// value), consecutive runs of one value merged; corruptions count as their original,
/// values with fewer than `min_reports` reports are left out.
fn sequence(
    mut seen: Vec<Sighting>,
    totals: &BTreeMap<String, ValueTotal>,
    folded: &BTreeMap<String, String>,
    p: &IdentityParams,
) -> Vec<ValueSpan> {
    for s in &mut seen {
        if let Some(original) = folded.get(&s.key) {
            s.key.clone_from(original);
        }
    }
    let mut reports: BTreeMap<String, u64> = BTreeMap::new();
    for s in &seen {
        let r = reports.entry(s.key.clone()).or_default();
        *r = r.saturating_add(s.reports);
    }
    seen.retain(|s| reports.get(&s.key).is_some_and(|&r| r >= p.min_reports));
    seen.sort_by(|a, b| (a.first_seen, a.last_seen, &a.key).cmp(&(b.first_seen, b.last_seen, &b.key)));
    let mut out: Vec<ValueSpan> = Vec::new();
    for s in seen {
        match out.last_mut() {
            Some(last) if last.key == s.key => {
                last.last_seen = last.last_seen.max(s.last_seen);
                last.reports = last.reports.saturating_add(s.reports);
            }
            _ => out.push(ValueSpan {
                shown: totals.get(&s.key).map_or_else(|| s.key.clone(), |t| t.shown.clone()),
                key: s.key,
                first_seen: s.first_seen,
                last_seen: s.last_seen,
                reports: s.reports,
            }),
        }
    }
    out
}

/// One field's value sequence (see [`sequence`]), with the corruptions folded.
pub fn spans(rows: &[IdentityObservation], field: Field, p: &IdentityParams) -> Vec<ValueSpan> {
    let (seen, totals) = sightings(rows, field, p);
    let folded = corruptions(&totals, field, p);
    sequence(seen, &totals, &folded, p)
}

/// One change of one field from `before` to `after`.
#[derive(Clone, Debug, PartialEq)]
pub struct Change {
    pub field: Field,
    pub before: ValueSpan,
    pub after: ValueSpan,
    /// `after` is a value seen before `before` (A, B, A).
    pub returned: bool,
    /// For a return: hours the value was away, from its last sighting before to its
    /// first sighting after.
    pub away_hours: Option<f64>,
    pub flip_flop: bool,
}

/// Changes and corrupted receptions of one vessel for one window.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct IdentityReport {
    pub changes: Vec<Change>,
    /// Corrupted receptions first seen in the window.
    pub corrupted: Vec<CorruptedReception>,
}

fn hours(a: Timestamp, b: Timestamp) -> f64 {
    (b - a).num_milliseconds() as f64 / 3_600_000.0
}

/// Changes of every enabled field whose new value first appeared in `(from, to]`,
/// in field order, then time.
pub fn changes(rows: &[IdentityObservation], from: Timestamp, to: Timestamp, p: &IdentityParams) -> Vec<Change> {
    analyse(rows, from, to, p).changes
}

/// Changes (see [`changes`]) and the corrupted receptions first seen in `(from, to]`.
pub fn analyse(rows: &[IdentityObservation], from: Timestamp, to: Timestamp, p: &IdentityParams) -> IdentityReport {
    let since = from - p.history();
    let rows: Vec<IdentityObservation> =
        rows.iter().filter(|r| r.last_seen >= since && r.first_seen <= to).cloned().collect();
    let in_window = |t: Timestamp| t > from && t <= to;
    let mut report = IdentityReport::default();
    for field in Field::ALL.into_iter().filter(|f| f.enabled(p)) {
        let (seen, totals) = sightings(&rows, field, p);
        let folded = corruptions(&totals, field, p);
        for (key, original) in &folded {
            let (Some(t), Some(o)) = (totals.get(key), totals.get(original)) else { continue };
            if t.reports >= p.min_reports && in_window(t.first_seen) {
                report.corrupted.push(CorruptedReception {
                    field,
                    value: t.shown.clone(),
                    original: o.shown.clone(),
                    edits: edit_distance(key, original),
                    reports: t.reports,
                    first_seen: t.first_seen,
                    last_seen: t.last_seen,
                });
            }
        }
        let seq = sequence(seen, &totals, &folded, p);
        for (i, pair) in seq.windows(2).enumerate() {
            let (before, after) = (&pair[0], &pair[1]);
            if !in_window(after.first_seen) {
                continue;
            }
            let earlier = seq[..i].iter().rev().find(|s| s.key == after.key);
            let away = earlier.map(|e| hours(e.last_seen, after.first_seen));
            report.changes.push(Change {
                field,
                before: before.clone(),
                after: after.clone(),
                returned: earlier.is_some(),
                away_hours: away,
                flip_flop: away.is_some_and(|h| h <= p.flip_flop_hours),
            });
        }
    }
    report.corrupted.sort_by(|a, b| (a.first_seen, a.field.as_str()).cmp(&(b.first_seen, b.field.as_str())));
    report
}

fn change_json(c: &Change) -> Value {
    json!({
        "field": c.field.as_str(),
        "kind": if c.returned { "return_to_earlier" } else { "renaming" },
        "flip_flop": c.flip_flop,
        "away_hours": c.away_hours.map(|h| (h * 100.0).round() / 100.0),
        "before": c.before.json(),
        "after": c.after.json(),
    })
}

/// The evidence list of corrupted receptions (at most 20), `Null` when there are none.
pub fn corrupted_json(report: &IdentityReport) -> Value {
    if report.corrupted.is_empty() {
        return Value::Null;
    }
    Value::Array(report.corrupted.iter().take(20).map(CorruptedReception::json).collect())
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
    if let Some(shortest) = flips.iter().filter_map(|c| c.away_hours).reduce(f64::min) {
        let h = (shortest * 10.0).round() / 10.0;
        items.push(item(
            "M7",
            "identity_flip_flop",
            p.points.flip_flop,
            "식별정보 교대 송신",
            "Identity flip-flop",
            format!("{h}시간 안에 이전 식별정보로 되돌아감({}건): 두 송신기가 같은 MMSI를 쓰는 징후", flips.len()),
            format!(
                "back to an earlier identity within {h} h ({} change(s)): a sign of two transmitters sharing the MMSI",
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
        assert_eq!(normalise("FOO,BAR-1", &n), "FOO BAR 1");
        assert_eq!(normalise("FOO BAR      X", &n), "FOO BAR");
        assert_eq!(normalise("FOO BAR   XY@@@", &n), "FOO BAR");
        // Words after a long gap are kept: only one or two stray characters go.
        assert_eq!(normalise("FOO   BAR", &n), "FOO BAR");
        assert_eq!(normalise("   X", &n), "X");
        let strict = Normalise {
            fold_case: false,
            collapse_whitespace: false,
            strip_punctuation: false,
            drop_stray_tail: false,
        };
        assert_eq!(normalise("FOO  BAR@@", &strict), "FOO  BAR");
        assert_ne!(normalise("FOO  BAR@@", &strict), normalise("foo bar", &strict));
    }

    #[test]
    fn edit_distance_counts_insertions_deletions_and_replacements() {
        assert_eq!(edit_distance("KOTOBUKI", "KOTOBUKI"), 0);
        assert_eq!(edit_distance("KOTOBUKI", "KOTOBVKI"), 1);
        assert_eq!(edit_distance("KOTOBUKI", "KOTBUKI"), 1);
        assert_eq!(edit_distance("FOO", "BAR"), 3);
        assert_eq!(edit_distance("", "AB"), 2);
        let c = Corruption::default();
        assert_eq!(
            (c.allowed("FOO", "FOX"), c.allowed("KOTOBUKI", "X"), c.allowed("A LONG NAME OF SHIP", "")),
            (0, 2, 3)
        );
    }

    #[test]
    fn imo_check_digit() {
        assert!(imo_is_valid(9_074_729)); // 9*7+0*6+7*5+4*4+7*3+2*2 = 139 → 9
        assert!(!imo_is_valid(9_074_728));
        assert!(!imo_is_valid(123));
        assert!(!imo_is_valid(0));
    }
}
