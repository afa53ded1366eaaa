//! The event generator: findings in, deduplicated events out.
//!
//! # Rules and thresholds
//!
//! The reference names seven rules but not their numbers; these follow the detectors'
//! own tiers (dark model CRITICAL ≥ 70 / HIGH ≥ 50, composite risk the same cut-offs)
//! so that an event means "worth an analyst's look". Every number is a field of
//! [`EventRules`], whose `Default` is the single source of these defaults.
//!
//! | category | from detector(s) | fires when | level | episode (dedup key) |
//! |---|---|---|---|---|
//! | `DARK_VESSEL` | `dark_suspicion`; `gaps` | dark score ≥ 50 (tier HIGH or CRITICAL); or a gap of level `VIOLATION` (≥ 24 h) | the dark tier; HIGH for a 24 h gap | vessel + gap start |
//! | `EEZ_INTRUSION` | `eez_intrusion`, `zones` | severity ≥ MEDIUM | finding severity; CRITICAL when `evidence.zone` is `TERRITORIAL_SEA` (not for an approximate zone, `evidence.zone_approximate`) | vessel + entry time |
//! | `MMSI_ANOMALY` | `mmsi_anomaly`, `spoofing` | severity ≥ MEDIUM | finding severity | vessel + start |
//! | `TRANSSHIPMENT` | `transshipment` | severity ≥ MEDIUM and a partner in `evidence.partner` | finding severity | pair (sorted) + start |
//! | `GEAR_VIOLATION` | `gear` | a violation code `G01`–`G06` (`evidence.violation` or the level) | finding severity, at least HIGH for G01/G06 | gear id + code + start |
//! | `PAIR_TRAWL` | `pair_trawl` | severity ≥ MEDIUM and a partner | finding severity | pair (sorted) + start |
//! | `HIGH_RISK` | `composite`, `risk` | score ≥ 50 (level HIGH or CRITICAL) | the composite level | vessel + local day of the finding's end |
//!
//! # Deduplication and withdrawal
//!
//! An event's id is its fingerprint, a hash of (category, vessel or pair, episode), so
//! the same episode seen again — by a later, overlapping cycle or by a re-run of the same
//! window — updates the one event: `last_seen`, `occurrences` (distinct windows that
//! reported it), level (escalated, never lowered), latest evidence per detector. Re-running
//! a window changes nothing but `last_seen`.
//!
//! Every event remembers the cycle windows that reported it. When a cycle over one of
//! those windows no longer produces the episode (late positions filled the gap), the
//! window is dropped from the event; when none is left the event is WITHDRAWN (from NEW
//! or ACK; an analyst's later decision is kept and only annotated). Nothing is deleted,
//! and an episode found again is reinstated as NEW.

use std::collections::{BTreeMap, BTreeSet};

use chrono_tz::Tz;
use lookout_model::{BreakdownItem, Finding, Severity, Timestamp, VesselId};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::classify::{labels_for, ViolationLabel};
use crate::lifecycle::{EventStatus, HistoryEntry};
use crate::zone::local_date;

/// The seven event categories.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Category {
    DarkVessel,
    EezIntrusion,
    MmsiAnomaly,
    Transshipment,
    GearViolation,
    PairTrawl,
    HighRisk,
}

impl Category {
    /// All categories, in rule order.
    pub const ALL: [Category; 7] = [
        Category::DarkVessel,
        Category::EezIntrusion,
        Category::MmsiAnomaly,
        Category::Transshipment,
        Category::GearViolation,
        Category::PairTrawl,
        Category::HighRisk,
    ];

    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::DarkVessel => "DARK_VESSEL",
            Category::EezIntrusion => "EEZ_INTRUSION",
            Category::MmsiAnomaly => "MMSI_ANOMALY",
            Category::Transshipment => "TRANSSHIPMENT",
            Category::GearViolation => "GEAR_VIOLATION",
            Category::PairTrawl => "PAIR_TRAWL",
            Category::HighRisk => "HIGH_RISK",
        }
    }

    /// Parses the stored text.
    pub fn parse(s: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

impl std::fmt::Display for Category {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The window of the analysis cycle that produced findings (its identity in the store).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CycleWindow {
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub start: Timestamp,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub end: Timestamp,
}

/// Thresholds of the seven rules. `Default` holds the documented defaults.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EventRules {
    /// DARK_VESSEL: minimum `dark_suspicion` score (HIGH tier).
    pub dark_min_score: i64,
    /// DARK_VESSEL: `gaps` levels that raise an event on their own.
    pub dark_gap_levels: Vec<String>,
    /// Level of a DARK_VESSEL event raised by a gap alone.
    pub dark_gap_event_level: Severity,
    /// EEZ_INTRUSION: minimum finding severity.
    pub eez_min_severity: Severity,
    /// MMSI_ANOMALY: minimum finding severity.
    pub mmsi_min_severity: Severity,
    /// TRANSSHIPMENT: minimum finding severity.
    pub transshipment_min_severity: Severity,
    /// GEAR_VIOLATION: codes that are violations.
    pub gear_codes: Vec<String>,
    /// GEAR_VIOLATION: codes whose events are at least HIGH (prohibited zone, foreign
    /// parent in the EEZ).
    pub gear_high_codes: Vec<String>,
    /// PAIR_TRAWL: minimum finding severity.
    pub pair_trawl_min_severity: Severity,
    /// HIGH_RISK: minimum composite score (level HIGH).
    pub high_risk_min_score: i64,
}

impl Default for EventRules {
    fn default() -> Self {
        EventRules {
            dark_min_score: 50,
            dark_gap_levels: vec!["VIOLATION".into()],
            dark_gap_event_level: Severity::High,
            eez_min_severity: Severity::Medium,
            mmsi_min_severity: Severity::Medium,
            transshipment_min_severity: Severity::Medium,
            gear_codes: (1..=6).map(|i| format!("G0{i}")).collect(),
            gear_high_codes: vec!["G01".into(), "G06".into()],
            pair_trawl_min_severity: Severity::Medium,
            high_risk_min_score: 50,
        }
    }
}

/// One event: a deduplicated, labelled, analyst-facing occurrence.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Event {
    /// Equal to `fingerprint`: the same episode always has the same id.
    pub id: String,
    /// 16 hex digits of FNV-1a 64 over `key`.
    pub fingerprint: String,
    /// Human-readable dedup key: `CATEGORY|vessel[+partner]|episode`.
    pub key: String,
    pub category: Category,
    /// The vessel, or both vessels of a pair in sorted order.
    pub vessels: Vec<VesselId>,
    /// Escalated level: the highest seen.
    pub level: Severity,
    pub status: EventStatus,
    /// Highest score among its findings, where they score.
    pub score: Option<i64>,
    /// When the pipeline first created it (the injected clock): the time KPIs and
    /// statistics count it at.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub occurred_at: Timestamp,
    /// When a cycle last reported it.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub last_seen: Timestamp,
    /// Distinct cycle windows that ever reported it.
    pub occurrences: u32,
    /// Span of the episode in data time.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub episode_start: Timestamp,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub episode_end: Timestamp,
    /// Alert grouping area: `evidence.zone` where given, else the 1° cell of the
    /// episode's first position (`N35E128`), else `UNKNOWN`.
    pub area: String,
    pub labels: Vec<ViolationLabel>,
    /// Latest evidence per detector.
    pub evidence: BTreeMap<String, Value>,
    /// Breakdown of the highest-scoring finding.
    pub breakdown: Vec<BreakdownItem>,
    /// Windows currently reporting it; empty once withdrawn.
    pub windows: Vec<CycleWindow>,
    /// Every status change and annotation, oldest first.
    pub history: Vec<HistoryEntry>,
}

impl Event {
    /// True when an analyst or the pipeline has not finished with it.
    pub fn is_open(&self) -> bool {
        !matches!(self.status, EventStatus::Closed | EventStatus::Withdrawn)
    }
}

/// What one finding contributes to an event.
#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    pub category: Category,
    pub vessels: Vec<VesselId>,
    /// Episode part of the dedup key.
    pub episode: String,
    pub level: Severity,
    pub score: Option<i64>,
    pub area: String,
}

/// FNV-1a 64 as 16 lowercase hex digits: stable across platforms and releases, which
/// `std`'s hasher is not.
pub fn fnv1a_hex(s: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}

impl Candidate {
    /// `CATEGORY|vessel[+partner]|episode`.
    pub fn key(&self) -> String {
        let who: Vec<&str> = self.vessels.iter().map(|v| v.as_str()).collect();
        format!("{}|{}|{}", self.category.as_str(), who.join("+"), self.episode)
    }
}

fn rfc3339(t: Timestamp) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn num(v: &Value) -> Option<f64> {
    v.as_f64()
}

/// First position named in the evidence, by the conventions of the detectors:
/// `gap_start` (dark), `from` (gaps), `position`, or top-level `lat`/`lon`.
fn evidence_position(e: &Value) -> Option<(f64, f64)> {
    for key in ["gap_start", "from", "position"] {
        if let Some(p) = e.get(key) {
            if let (Some(lat), Some(lon)) = (p.get("lat").and_then(num), p.get("lon").and_then(num)) {
                return Some((lat, lon));
            }
        }
    }
    match (e.get("lat").and_then(num), e.get("lon").and_then(num)) {
        (Some(lat), Some(lon)) => Some((lat, lon)),
        _ => None,
    }
}

/// The alert grouping area of a finding (see [`Event::area`]).
pub fn area_of(evidence: &Value) -> String {
    if let Some(z) = evidence.get("zone").and_then(Value::as_str) {
        if !z.is_empty() {
            return z.to_string();
        }
    }
    match evidence_position(evidence) {
        Some((lat, lon)) if lat.is_finite() && lon.is_finite() => {
            let (la, lo) = (lat.floor() as i64, lon.floor() as i64);
            let ns = if la >= 0 { 'N' } else { 'S' };
            let ew = if lo >= 0 { 'E' } else { 'W' };
            format!("{ns}{}{ew}{}", la.abs(), lo.abs())
        }
        _ => "UNKNOWN".into(),
    }
}

fn partner(f: &Finding) -> Option<VesselId> {
    let p = f.evidence.get("partner")?;
    let s = match p {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Object(o) => o.get("vessel").and_then(Value::as_str)?.to_string(),
        _ => return None,
    };
    (!s.is_empty() && s != f.vessel.as_str()).then(|| VesselId::new(s))
}

fn pair(f: &Finding) -> Option<Vec<VesselId>> {
    let mut v = vec![f.vessel.clone(), partner(f)?];
    v.sort();
    Some(v)
}

fn severity_from_score(score: i64) -> Severity {
    if score >= 70 {
        Severity::Critical
    } else if score >= 50 {
        Severity::High
    } else if score >= 30 {
        Severity::Medium
    } else {
        Severity::Low
    }
}

/// The event a finding calls for under `rules`, if any. `tz` fixes the local day of
/// HIGH_RISK episodes.
pub fn candidate(f: &Finding, rules: &EventRules, tz: &Tz) -> Option<Candidate> {
    let one = || vec![f.vessel.clone()];
    let area = area_of(&f.evidence);
    let start = rfc3339(f.start);
    let (category, vessels, episode, level) = match f.detector.as_str() {
        "dark_suspicion" => {
            let score = f.score?;
            if score < rules.dark_min_score {
                return None;
            }
            (Category::DarkVessel, one(), start, severity_from_score(score).max(f.severity))
        }
        "gaps" => {
            if !rules.dark_gap_levels.iter().any(|l| l == &f.level) {
                return None;
            }
            (Category::DarkVessel, one(), start, rules.dark_gap_event_level)
        }
        "eez_intrusion" | "zones" => {
            if f.severity < rules.eez_min_severity {
                return None;
            }
            // A coastline-drawn territorial sea is not precise enough to escalate on.
            let approximate = f.evidence.get("zone_approximate").and_then(Value::as_bool) == Some(true);
            let territorial = f.evidence.get("zone").and_then(Value::as_str) == Some("TERRITORIAL_SEA") && !approximate;
            let level = if territorial { Severity::Critical } else { f.severity };
            (Category::EezIntrusion, one(), start, level)
        }
        "mmsi_anomaly" | "spoofing" => {
            if f.severity < rules.mmsi_min_severity {
                return None;
            }
            (Category::MmsiAnomaly, one(), start, f.severity)
        }
        "transshipment" => {
            if f.severity < rules.transshipment_min_severity {
                return None;
            }
            (Category::Transshipment, pair(f)?, start, f.severity)
        }
        "pair_trawl" => {
            if f.severity < rules.pair_trawl_min_severity {
                return None;
            }
            (Category::PairTrawl, pair(f)?, start, f.severity)
        }
        "gear" => {
            let code = f
                .evidence
                .get("violation")
                .and_then(Value::as_str)
                .map(str::to_string)
                .unwrap_or_else(|| f.level.clone());
            if !rules.gear_codes.contains(&code) {
                return None;
            }
            let floor = if rules.gear_high_codes.contains(&code) { Severity::High } else { Severity::Medium };
            (Category::GearViolation, one(), format!("{code}|{start}"), f.severity.max(floor))
        }
        "composite" | "risk" => {
            let score = f.score?;
            if score < rules.high_risk_min_score {
                return None;
            }
            let day = local_date(f.end, tz).format("%Y-%m-%d").to_string();
            (Category::HighRisk, one(), day, severity_from_score(score).max(f.severity))
        }
        _ => return None,
    };
    // An event is never below MEDIUM: the thresholds above already mean "look at it".
    let level = level.max(Severity::Medium);
    Some(Candidate { category, vessels, episode, level, score: f.score, area })
}

/// What one run of the generator did.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GenerateOutcome {
    /// Every event created or changed, in id order: the caller writes these.
    pub events: Vec<Event>,
    pub created: u32,
    pub updated: u32,
    pub escalated: u32,
    pub withdrawn: u32,
    pub reinstated: u32,
}

/// Actor name of changes the pipeline makes itself.
pub const PIPELINE_ACTOR: &str = "pipeline";

/// Turns one cycle's findings into event changes.
///
/// `existing` must hold every stored event whose id may be produced now and every
/// event whose `windows` include `window` (the store loads both); others are ignored
/// safely. `now` is the injected clock. The result is deterministic: events in id order.
pub fn generate(
    existing: &[Event],
    window: CycleWindow,
    findings: &[Finding],
    rules: &EventRules,
    tz: &Tz,
    now: Timestamp,
) -> GenerateOutcome {
    let mut by_id: BTreeMap<String, Event> = existing.iter().map(|e| (e.id.clone(), e.clone())).collect();
    let mut touched: BTreeSet<String> = BTreeSet::new();
    let mut out = GenerateOutcome::default();

    let merged = merge_by_fingerprint(findings, rules, tz);
    for (id, m) in &merged {
        let seen = Sighting::of(m, window);
        match by_id.get_mut(id) {
            Some(e) => {
                if update_event(e, &m.cand, seen, window, now, &mut out) {
                    out.updated += 1;
                }
            }
            None => {
                by_id.insert(id.clone(), new_event(id, &m.cand, seen, window, now));
                out.created += 1;
            }
        }
        touched.insert(id.clone());
    }
    withdraw_unreported(&mut by_id, &merged, window, now, &mut out, &mut touched);

    out.events = touched.into_iter().filter_map(|id| by_id.remove(&id)).collect();
    out
}

/// One episode's candidate and every finding of this cycle that called for it.
struct Merged<'a> {
    cand: Candidate,
    findings: Vec<&'a Finding>,
}

/// Merges this cycle's findings per fingerprint first, so two findings of one episode
/// (a 24 h gap and its dark score) make one change.
fn merge_by_fingerprint<'a>(findings: &'a [Finding], rules: &EventRules, tz: &Tz) -> BTreeMap<String, Merged<'a>> {
    let mut merged: BTreeMap<String, Merged<'a>> = BTreeMap::new();
    for f in findings {
        let Some(c) = candidate(f, rules, tz) else {
            continue;
        };
        let id = fnv1a_hex(&c.key());
        match merged.get_mut(&id) {
            Some(m) => {
                m.cand.level = m.cand.level.max(c.level);
                m.cand.score = m.cand.score.max(c.score);
                if m.cand.area == "UNKNOWN" {
                    m.cand.area = c.area;
                }
                m.findings.push(f);
            }
            None => {
                merged.insert(id, Merged { cand: c, findings: vec![f] });
            }
        }
    }
    merged
}

/// What this cycle's findings of one episode say, ready to create or update its event.
struct Sighting {
    /// Latest evidence per detector.
    evidence: BTreeMap<String, Value>,
    breakdown: Vec<BreakdownItem>,
    start: Timestamp,
    end: Timestamp,
    labels: Vec<ViolationLabel>,
}

impl Sighting {
    fn of(m: &Merged<'_>, window: CycleWindow) -> Sighting {
        let mut evidence = BTreeMap::new();
        for f in &m.findings {
            evidence.insert(f.detector.clone(), f.evidence.clone());
        }
        let best = m.findings.iter().max_by_key(|f| (f.score.unwrap_or(-1), f.severity));
        Sighting {
            evidence,
            breakdown: best.map(|f| f.breakdown.clone()).unwrap_or_default(),
            start: m.findings.iter().map(|f| f.start).min().unwrap_or(window.start),
            end: m.findings.iter().map(|f| f.end).max().unwrap_or(window.end),
            labels: labels_for(m.cand.category, &m.findings),
        }
    }
}

fn new_event(id: &str, cand: &Candidate, seen: Sighting, window: CycleWindow, now: Timestamp) -> Event {
    Event {
        id: id.to_string(),
        fingerprint: id.to_string(),
        key: cand.key(),
        category: cand.category,
        vessels: cand.vessels.clone(),
        level: cand.level,
        status: EventStatus::New,
        score: cand.score,
        occurred_at: now,
        last_seen: now,
        occurrences: 1,
        episode_start: seen.start,
        episode_end: seen.end,
        area: cand.area.clone(),
        labels: seen.labels,
        evidence: seen.evidence,
        breakdown: seen.breakdown,
        windows: vec![window],
        history: vec![HistoryEntry::created(PIPELINE_ACTOR, now)],
    }
}

/// Folds a sighting into a stored event; true when it counts as an update, which a
/// re-run of the same window never does (it only moves `last_seen`).
fn update_event(
    e: &mut Event,
    cand: &Candidate,
    seen: Sighting,
    window: CycleWindow,
    now: Timestamp,
    out: &mut GenerateOutcome,
) -> bool {
    let mut changed = add_window(e, window);
    if escalate(e, cand.level, now) {
        out.escalated += 1;
        changed = true;
    }
    if reinstate(e, now) {
        out.reinstated += 1;
        changed = true;
    }
    changed |= refresh_details(e, cand, seen);
    e.last_seen = e.last_seen.max(now);
    changed
}

/// A window counts once however often it is re-run.
fn add_window(e: &mut Event, window: CycleWindow) -> bool {
    if e.windows.contains(&window) {
        return false;
    }
    e.windows.push(window);
    e.windows.sort();
    e.occurrences = e.occurrences.saturating_add(1);
    true
}

/// Levels only go up: an analyst should not see an event calm down on its own.
fn escalate(e: &mut Event, level: Severity, now: Timestamp) -> bool {
    if level <= e.level {
        return false;
    }
    e.history.push(HistoryEntry::note(
        e.status,
        PIPELINE_ACTOR,
        now,
        format!("escalated {} -> {}", e.level.as_str(), level.as_str()),
    ));
    e.level = level;
    true
}

fn reinstate(e: &mut Event, now: Timestamp) -> bool {
    if e.status != EventStatus::Withdrawn {
        return false;
    }
    e.history.push(HistoryEntry::transition(
        EventStatus::Withdrawn,
        EventStatus::New,
        PIPELINE_ACTOR,
        now,
        "reinstated: the episode was found again".into(),
    ));
    e.status = EventStatus::New;
    true
}

/// Evidence, score, episode span, breakdown, labels and area. Only new evidence, score,
/// span or labels count as an update: the breakdown and area follow from those.
fn refresh_details(e: &mut Event, cand: &Candidate, seen: Sighting) -> bool {
    let mut changed = false;
    let new_score = e.score.max(cand.score);
    for (k, v) in &seen.evidence {
        if e.evidence.get(k) != Some(v) {
            e.evidence.insert(k.clone(), v.clone());
            changed = true;
        }
    }
    if e.score != new_score || e.episode_end < seen.end || e.episode_start > seen.start {
        changed = true;
    }
    e.score = new_score;
    e.episode_start = e.episode_start.min(seen.start);
    e.episode_end = e.episode_end.max(seen.end);
    // The breakdown explains the best score, so a lower-scoring sighting keeps the old one.
    if !seen.breakdown.is_empty() && cand.score >= e.score {
        e.breakdown = seen.breakdown;
    }
    for l in seen.labels {
        if !e.labels.contains(&l) {
            e.labels.push(l);
            e.labels.sort();
            changed = true;
        }
    }
    if e.area == "UNKNOWN" && cand.area != "UNKNOWN" {
        e.area = cand.area.clone();
    }
    changed
}

/// Withdrawal: episodes this window reported before and no longer does.
fn withdraw_unreported(
    by_id: &mut BTreeMap<String, Event>,
    merged: &BTreeMap<String, Merged<'_>>,
    window: CycleWindow,
    now: Timestamp,
    out: &mut GenerateOutcome,
    touched: &mut BTreeSet<String>,
) {
    for (id, e) in by_id.iter_mut() {
        if merged.contains_key(id) || !e.windows.contains(&window) {
            continue;
        }
        e.windows.retain(|w| *w != window);
        touched.insert(id.clone());
        // Another window still reports it: the episode stands.
        if e.windows.is_empty() && withdraw(e, window, now) {
            out.withdrawn += 1;
        }
    }
}

/// Withdraws an event no window reports any more; true when its status changed.
fn withdraw(e: &mut Event, window: CycleWindow, now: Timestamp) -> bool {
    let note = format!(
        "finding withdrawn by late data: the cycle {} .. {} no longer reports it",
        rfc3339(window.start),
        rfc3339(window.end)
    );
    match e.status {
        EventStatus::New | EventStatus::Ack => {
            e.history.push(HistoryEntry::transition(e.status, EventStatus::Withdrawn, PIPELINE_ACTOR, now, note));
            e.status = EventStatus::Withdrawn;
            true
        }
        // An analyst already decided; keep the decision, say what changed.
        _ => {
            e.history.push(HistoryEntry::note(e.status, PIPELINE_ACTOR, now, note));
            false
        }
    }
}

/// A JSON summary of an event for logs and notifications.
pub fn summary(e: &Event) -> Value {
    json!({
        "id": e.id, "category": e.category, "level": e.level, "status": e.status,
        "vessels": e.vessels, "area": e.area, "score": e.score,
        "occurred_at": e.occurred_at, "occurrences": e.occurrences,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> Timestamp {
        s.parse().expect("test timestamp")
    }

    fn window() -> CycleWindow {
        CycleWindow { start: utc("2024-05-01T00:00:00Z"), end: utc("2024-05-02T00:00:00Z") }
    }

    fn finding(detector: &str, score: Option<i64>, (level, severity): (&str, &str), evidence: Value) -> Finding {
        let breakdown: Vec<Value> = score
            .map(|s| {
                vec![json!({
                    "code": "P1", "pattern": format!("p{s}"), "points": s, "label_ko": "",
                    "label_en": "", "description_ko": "", "description_en": "",
                })]
            })
            .unwrap_or_default();
        serde_json::from_value(json!({
            "detector": detector, "vessel": "440123000", "start": "2024-05-01T02:00:00Z",
            "end": "2024-05-01T05:00:00Z", "score": score, "level": level,
            "severity": severity, "breakdown": breakdown, "evidence": evidence,
        }))
        .expect("test finding")
    }

    fn dark(score: i64) -> Finding {
        finding("dark_suspicion", Some(score), ("CRITICAL", "CRITICAL"), json!({}))
    }

    fn tz() -> Tz {
        crate::zone::parse_tz("Asia/Seoul").expect("tz")
    }

    #[test]
    fn a_gap_and_its_dark_score_merge_into_one_episode() {
        let gap = finding("gaps", None, ("VIOLATION", "CRITICAL"), json!({ "from": { "lat": 35.2, "lon": 128.4 } }));
        let findings = [gap, dark(75)];
        let merged = merge_by_fingerprint(&findings, &EventRules::default(), &tz());
        assert_eq!(merged.len(), 1);
        let m = merged.values().next().expect("one episode");
        assert_eq!(m.findings.len(), 2);
        assert_eq!(m.cand.level, Severity::Critical);
        assert_eq!(m.cand.score, Some(75));
        // The dark finding has no position; the gap's cell is kept.
        assert_eq!(m.cand.area, "N35E128");
    }

    #[test]
    fn a_lower_scoring_sighting_keeps_the_breakdown_and_is_no_update() {
        let (rules, tz, now) = (EventRules::default(), tz(), utc("2024-05-02T00:10:00Z"));
        let first = generate(&[], window(), &[dark(80)], &rules, &tz, now);
        let mut e = first.events[0].clone();
        let sighting = [dark(60)];
        let merged = merge_by_fingerprint(&sighting, &rules, &tz);
        let m = merged.get(&e.id).expect("same episode");
        // Same evidence, same span: only the lower score and its breakdown are new.
        assert!(!refresh_details(&mut e, &m.cand, Sighting::of(m, window())));
        assert_eq!(e.score, Some(80));
        assert_eq!(e.breakdown[0].pattern, "p80");
        let sighting = [dark(90)];
        let merged = merge_by_fingerprint(&sighting, &rules, &tz);
        let m = merged.get(&e.id).expect("same episode");
        assert!(refresh_details(&mut e, &m.cand, Sighting::of(m, window())));
        assert_eq!((e.score, e.breakdown[0].pattern.as_str()), (Some(90), "p90"));
    }

    #[test]
    fn withdrawal_keeps_an_analysts_decision_and_notes_it() {
        let now = utc("2024-05-02T00:10:00Z");
        let first = generate(&[], window(), &[dark(80)], &EventRules::default(), &tz(), now);
        let mut open = first.events[0].clone();
        let mut confirmed = open.clone();
        confirmed.status = EventStatus::Confirmed;

        assert!(withdraw(&mut open, window(), now));
        assert_eq!(open.status, EventStatus::Withdrawn);
        assert!(!withdraw(&mut confirmed, window(), now));
        assert_eq!(confirmed.status, EventStatus::Confirmed);
        let last = confirmed.history.last().expect("a note");
        assert_eq!((last.from, last.to), (Some(EventStatus::Confirmed), EventStatus::Confirmed));
        assert!(last.note.starts_with("finding withdrawn by late data"), "{}", last.note);
    }
}
