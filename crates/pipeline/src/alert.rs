//! The alert dispatcher, with Prometheus Alertmanager semantics, as a pure state machine.
//!
//! [`tick`] takes the state, the events and silences, and `now` (the injected clock) and
//! returns the new state and the notifications to put in the outbox:
//!
//! - **Alerts.** An event of level HIGH or CRITICAL ([`AlertConfig::min_level`]) is an
//!   alert, fingerprinted by the event's fingerprint, so the same event seen again is the
//!   same alert (dedup). It fires while the event is NEW, ACK or CONFIRMED and resolves
//!   when the event is ENFORCED, FALSE_POSITIVE, CLOSED or WITHDRAWN. Events not passed
//!   to a tick keep their alert as it is (the caller passes the open ones and those it
//!   changed).
//! - **Groups.** Alerts are grouped by (`category`, `area`). A new group waits
//!   `group_wait` before its first notification, so alerts arriving together go out
//!   together. Afterwards the group is looked at every `group_interval`: it notifies when
//!   its set of firing alerts changed or some resolved, and otherwise re-sends the firing
//!   set once `repeat_interval` has passed since the last notification.
//! - **Resolved.** An alert that was notified as firing and then resolved is sent once
//!   more as resolved (when `send_resolved`), then leaves the group; one resolved before
//!   ever being notified leaves silently. An empty group is dropped.
//! - **Silences.** An active silence (`starts_at <= now < ends_at`) whose matchers all
//!   match an alert's labels mutes it: it is left out of notifications and records the
//!   ids of the silences holding it (now and ever). When the silence ends the alert is
//!   notified at the group's next interval like a new one.
//!
//! Ticks come after each cycle (and from a dispatcher loop); a group due between ticks
//! is flushed at the next tick, and its next look is `group_interval` after that.

use std::collections::{BTreeMap, BTreeSet};

use chrono::Duration;
use lookout_model::{Severity, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::event::{fnv1a_hex, Event};
use crate::lifecycle::EventStatus;

/// Timing and threshold of the dispatcher. Defaults are Alertmanager's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AlertConfig {
    /// Lowest event level that alerts.
    pub min_level: Severity,
    /// Seconds a new group waits before its first notification (Alertmanager: 30 s).
    pub group_wait_sec: i64,
    /// Seconds between looks at a group (Alertmanager: 5 min).
    pub group_interval_sec: i64,
    /// Seconds before an unchanged firing group is sent again (Alertmanager: 4 h).
    pub repeat_interval_sec: i64,
    /// Send a last notification when alerts resolve.
    pub send_resolved: bool,
}

impl Default for AlertConfig {
    fn default() -> Self {
        AlertConfig {
            min_level: Severity::High,
            group_wait_sec: 30,
            group_interval_sec: 300,
            repeat_interval_sec: 4 * 3600,
            send_resolved: true,
        }
    }
}

/// Errors of silences and matchers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AlertError {
    #[error("matcher '{0}': expected NAME=VALUE, NAME!=VALUE, NAME=~REGEX or NAME!~REGEX")]
    BadMatcher(String),
    #[error("matcher '{matcher}': invalid regular expression: {message}")]
    BadRegex { matcher: String, message: String },
    #[error("silence: {0}")]
    BadSilence(String),
}

/// Comparison of a matcher, as in Alertmanager.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum MatchOp {
    #[serde(rename = "=")]
    Eq,
    #[serde(rename = "!=")]
    NotEq,
    #[serde(rename = "=~")]
    Regex,
    #[serde(rename = "!~")]
    NotRegex,
}

/// `name op value` over an alert's labels. Regexes are anchored, as in Alertmanager.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Matcher {
    pub name: String,
    pub op: MatchOp,
    pub value: String,
}

impl Matcher {
    /// Parses `name=value`, `name!=value`, `name=~regex` or `name!~regex`.
    pub fn parse(s: &str) -> Result<Matcher, AlertError> {
        let bad = || AlertError::BadMatcher(s.to_string());
        // Find the first operator character; the longest operator at that point wins.
        let i = s.find(['=', '!']).ok_or_else(bad)?;
        let (name, rest) = s.split_at(i);
        let (op, value) = if let Some(v) = rest.strip_prefix("!=") {
            (MatchOp::NotEq, v)
        } else if let Some(v) = rest.strip_prefix("!~") {
            (MatchOp::NotRegex, v)
        } else if let Some(v) = rest.strip_prefix("=~") {
            (MatchOp::Regex, v)
        } else if let Some(v) = rest.strip_prefix('=') {
            (MatchOp::Eq, v)
        } else {
            return Err(bad());
        };
        let name = name.trim();
        if name.is_empty() {
            return Err(bad());
        }
        let m = Matcher { name: name.to_string(), op, value: value.trim().trim_matches('"').to_string() };
        if matches!(op, MatchOp::Regex | MatchOp::NotRegex) {
            m.regex()?;
        }
        Ok(m)
    }

    fn regex(&self) -> Result<regex::Regex, AlertError> {
        regex::Regex::new(&format!("^(?:{})$", self.value))
            .map_err(|e| AlertError::BadRegex { matcher: self.to_string(), message: e.to_string() })
    }

    /// True when the labels satisfy this matcher; a missing label reads as "".
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        let v = labels.get(&self.name).map(String::as_str).unwrap_or("");
        match self.op {
            MatchOp::Eq => v == self.value,
            MatchOp::NotEq => v != self.value,
            // Validated at parse time; a stored regex that no longer compiles matches
            // nothing, so a broken silence never mutes alerts it was not meant for.
            MatchOp::Regex => self.regex().map(|r| r.is_match(v)).unwrap_or(false),
            MatchOp::NotRegex => self.regex().map(|r| !r.is_match(v)).unwrap_or(false),
        }
    }
}

impl std::fmt::Display for Matcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let op = match self.op {
            MatchOp::Eq => "=",
            MatchOp::NotEq => "!=",
            MatchOp::Regex => "=~",
            MatchOp::NotRegex => "!~",
        };
        write!(f, "{}{}\"{}\"", self.name, op, self.value)
    }
}

/// A silence: alerts matching all matchers are muted between `starts_at` and `ends_at`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Silence {
    pub id: String,
    pub matchers: Vec<Matcher>,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub starts_at: Timestamp,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub ends_at: Timestamp,
    pub created_by: String,
    pub comment: String,
}

impl Silence {
    /// A validated silence; its id is derived from its content so re-adding the same
    /// silence at the same instant is the same silence.
    pub fn new(
        matchers: Vec<Matcher>,
        starts_at: Timestamp,
        ends_at: Timestamp,
        created_by: &str,
        comment: &str,
    ) -> Result<Silence, AlertError> {
        if matchers.is_empty() {
            return Err(AlertError::BadSilence("at least one matcher is needed".into()));
        }
        if ends_at <= starts_at {
            return Err(AlertError::BadSilence("the end must be after the start".into()));
        }
        if created_by.trim().is_empty() {
            return Err(AlertError::BadSilence("the author must not be empty".into()));
        }
        if comment.trim().is_empty() {
            return Err(AlertError::BadSilence("the comment must not be empty".into()));
        }
        let text: Vec<String> = matchers.iter().map(|m| m.to_string()).collect();
        let id = fnv1a_hex(&format!("{}|{}|{}|{}", text.join(","), starts_at.to_rfc3339(), created_by, comment));
        Ok(Silence { id, matchers, starts_at, ends_at, created_by: created_by.into(), comment: comment.into() })
    }

    /// True between its start (inclusive) and end (exclusive).
    pub fn is_active(&self, now: Timestamp) -> bool {
        self.starts_at <= now && now < self.ends_at
    }

    /// True when every matcher matches.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.matchers.iter().all(|m| m.matches(labels))
    }

    /// Ends it at `now` (never extends it).
    pub fn expire(&mut self, now: Timestamp) {
        if now < self.ends_at {
            self.ends_at = now.max(self.starts_at);
        }
    }
}

/// Firing or resolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum AlertStatus {
    Firing,
    Resolved,
}

impl AlertStatus {
    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            AlertStatus::Firing => "firing",
            AlertStatus::Resolved => "resolved",
        }
    }
}

/// One alert: the state of one HIGH/CRITICAL event as the dispatcher sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Alert {
    /// The event's fingerprint.
    pub fingerprint: String,
    pub event_id: String,
    /// `alertname` (the category), `category`, `area`, `level`, `vessel`, `event_id`.
    pub labels: BTreeMap<String, String>,
    pub status: AlertStatus,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub starts_at: Timestamp,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub ends_at: Option<Timestamp>,
    /// Ids of the silences muting it now.
    pub silenced_by: Vec<String>,
    /// Ids of every silence that ever held it.
    pub held_by: Vec<String>,
    pub group_key: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub last_notified_at: Option<Timestamp>,
}

/// An aggregation group.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    pub key: String,
    pub labels: BTreeMap<String, String>,
    pub created_at: Timestamp,
    pub next_flush: Timestamp,
    pub last_notified_at: Option<Timestamp>,
    /// Alerts in the group (firing, or resolved and not yet flushed).
    pub members: BTreeSet<String>,
    /// Firing alerts in the last notification.
    pub notified_firing: BTreeSet<String>,
}

/// Everything the dispatcher remembers between ticks.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DispatchState {
    /// Every alert ever made, by fingerprint (kept for the record and the KPIs).
    pub alerts: BTreeMap<String, Alert>,
    /// Live groups, by key.
    pub groups: BTreeMap<String, Group>,
}

/// A notification to enqueue in the outbox.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    /// Deterministic: hash of group key and time.
    pub id: String,
    pub group_key: String,
    pub group_labels: BTreeMap<String, String>,
    /// `firing` when any alert in it fires, else `resolved`.
    pub status: AlertStatus,
    /// Firing alerts then resolved ones, each in fingerprint order.
    pub alerts: Vec<Alert>,
    pub at: Timestamp,
}

impl Notification {
    /// The body sent to sinks: the Alertmanager webhook payload (version 4).
    pub fn payload(&self, receiver: &str) -> Value {
        let common: BTreeMap<&String, &String> = match self.alerts.split_first() {
            Some((first, rest)) => {
                first.labels.iter().filter(|(k, v)| rest.iter().all(|a| a.labels.get(*k) == Some(*v))).collect()
            }
            None => BTreeMap::new(),
        };
        json!({
            "version": "4",
            "receiver": receiver,
            "status": self.status.as_str(),
            "groupKey": self.group_key,
            "groupLabels": self.group_labels,
            "commonLabels": common,
            "notificationId": self.id,
            "alerts": self.alerts.iter().map(|a| json!({
                "status": a.status.as_str(),
                "labels": a.labels,
                "startsAt": a.starts_at,
                "endsAt": a.ends_at,
                "fingerprint": a.fingerprint,
            })).collect::<Vec<_>>(),
        })
    }
}

fn group_labels(labels: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    ["category", "area"].iter().map(|k| (k.to_string(), labels.get(*k).cloned().unwrap_or_default())).collect()
}

fn group_key(gl: &BTreeMap<String, String>) -> String {
    let parts: Vec<String> = gl.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
    format!("{{{}}}", parts.join(","))
}

/// Labels of an event's alert.
pub fn alert_labels(e: &Event) -> BTreeMap<String, String> {
    let vessels: Vec<&str> = e.vessels.iter().map(|v| v.as_str()).collect();
    BTreeMap::from([
        ("alertname".to_string(), e.category.as_str().to_string()),
        ("category".to_string(), e.category.as_str().to_string()),
        ("area".to_string(), e.area.clone()),
        ("level".to_string(), e.level.as_str().to_string()),
        ("vessel".to_string(), vessels.join("+")),
        ("event_id".to_string(), e.id.clone()),
    ])
}

fn event_fires(e: &Event) -> bool {
    matches!(e.status, EventStatus::New | EventStatus::Ack | EventStatus::Confirmed)
}

/// One step of the dispatcher. Pure: same inputs, same outputs.
pub fn tick(
    mut state: DispatchState,
    events: &[Event],
    silences: &[Silence],
    now: Timestamp,
    config: &AlertConfig,
) -> (DispatchState, Vec<Notification>) {
    let timing = Timing::of(config);
    for e in events.iter().filter(|e| e.level >= config.min_level) {
        follow_event(&mut state, e, now, timing.group_wait);
    }
    for a in state.alerts.values_mut() {
        apply_silences(a, silences, now);
    }
    let out = flush_due_groups(&mut state, now, config, &timing);
    (state, out)
}

/// The config's intervals as durations, clamped so a bad config cannot stall a group.
struct Timing {
    group_wait: Duration,
    group_interval: Duration,
    repeat_interval: Duration,
}

impl Timing {
    fn of(config: &AlertConfig) -> Timing {
        Timing {
            group_wait: Duration::seconds(config.group_wait_sec.max(0)),
            group_interval: Duration::seconds(config.group_interval_sec.max(1)),
            repeat_interval: Duration::seconds(config.repeat_interval_sec.max(0)),
        }
    }
}

/// Brings an event's alert up to date (dedup by fingerprint) and puts a newly firing
/// alert in its group.
fn follow_event(state: &mut DispatchState, e: &Event, now: Timestamp, group_wait: Duration) {
    let labels = alert_labels(e);
    let gl = group_labels(&labels);
    let gk = group_key(&gl);
    let fires = event_fires(e);
    let join_group = match state.alerts.get_mut(&e.fingerprint) {
        None if fires => {
            state.alerts.insert(e.fingerprint.clone(), new_alert(e, labels, &gk, now));
            true
        }
        None => false,
        Some(a) => update_alert(a, labels, fires, &gk, now),
    };
    if join_group {
        let g = state.groups.entry(gk.clone()).or_insert_with(|| Group {
            key: gk.clone(),
            labels: gl,
            created_at: now,
            next_flush: now + group_wait,
            last_notified_at: None,
            members: BTreeSet::new(),
            notified_firing: BTreeSet::new(),
        });
        g.members.insert(e.fingerprint.clone());
    }
}

fn new_alert(e: &Event, labels: BTreeMap<String, String>, gk: &str, now: Timestamp) -> Alert {
    Alert {
        fingerprint: e.fingerprint.clone(),
        event_id: e.id.clone(),
        labels,
        status: AlertStatus::Firing,
        starts_at: now,
        ends_at: None,
        silenced_by: Vec::new(),
        held_by: Vec::new(),
        group_key: gk.to_string(),
        last_notified_at: None,
    }
}

/// Resolves or re-fires a known alert as its event says; true when it fires anew and
/// so must (re)join its group.
fn update_alert(a: &mut Alert, labels: BTreeMap<String, String>, fires: bool, gk: &str, now: Timestamp) -> bool {
    a.labels = labels;
    match (a.status, fires) {
        (AlertStatus::Firing, false) => {
            a.status = AlertStatus::Resolved;
            a.ends_at = Some(now);
            false
        }
        (AlertStatus::Resolved, true) => {
            // Fires again (e.g. a withdrawn event reinstated): a new firing.
            a.status = AlertStatus::Firing;
            a.starts_at = now;
            a.ends_at = None;
            a.group_key = gk.to_string();
            true
        }
        _ => false,
    }
}

/// Records which active silences mute a firing alert now, and remembers every silence
/// that ever held it. A resolved alert keeps what it had when it resolved.
fn apply_silences(a: &mut Alert, silences: &[Silence], now: Timestamp) {
    if a.status != AlertStatus::Firing {
        return;
    }
    a.silenced_by =
        silences.iter().filter(|s| s.is_active(now) && s.matches(&a.labels)).map(|s| s.id.clone()).collect();
    for id in &a.silenced_by {
        if !a.held_by.contains(id) {
            a.held_by.push(id.clone());
        }
    }
}

/// Looks at every group whose time has come, notifies those with news or a due repeat,
/// and drops the groups left empty.
fn flush_due_groups(
    state: &mut DispatchState,
    now: Timestamp,
    config: &AlertConfig,
    timing: &Timing,
) -> Vec<Notification> {
    let mut out = Vec::new();
    let mut empty = Vec::new();
    for (key, g) in state.groups.iter_mut() {
        if now < g.next_flush {
            continue;
        }
        let audible = Audible::of(g, &state.alerts);
        if audible.should_notify(g, now, config.send_resolved, timing.repeat_interval) {
            let alerts = &mut state.alerts;
            out.push(notify(key, g, &audible, alerts, now, config.send_resolved));
        }
        g.notified_firing = audible.firing;
        // Resolved alerts leave the group once looked at (notified or not).
        g.members.retain(|fp| state.alerts.get(fp).is_some_and(|a| a.status == AlertStatus::Firing));
        g.next_flush = now + timing.group_interval;
        if g.members.is_empty() {
            empty.push(key.clone());
        }
    }
    for k in empty {
        state.groups.remove(&k);
    }
    out
}

/// A group's members worth telling about at one look.
#[derive(Debug, Default, PartialEq, Eq)]
struct Audible {
    /// Firing and not silenced.
    firing: BTreeSet<String>,
    /// Resolved after being notified as firing: one never announced resolves silently.
    resolved: BTreeSet<String>,
}

impl Audible {
    fn of(g: &Group, alerts: &BTreeMap<String, Alert>) -> Audible {
        let mut audible = Audible::default();
        for fp in &g.members {
            let Some(a) = alerts.get(fp) else {
                continue;
            };
            match a.status {
                AlertStatus::Firing if a.silenced_by.is_empty() => {
                    audible.firing.insert(fp.clone());
                }
                AlertStatus::Firing => {}
                AlertStatus::Resolved if g.notified_firing.contains(fp) => {
                    audible.resolved.insert(fp.clone());
                }
                AlertStatus::Resolved => {}
            }
        }
        audible
    }

    /// Alertmanager's rule: notify when the set changed and there is something to say,
    /// or re-send a firing set once the repeat interval has passed.
    fn should_notify(&self, g: &Group, now: Timestamp, send_resolved: bool, repeat_interval: Duration) -> bool {
        let changed = self.firing != g.notified_firing || !self.resolved.is_empty();
        let has_news = !self.firing.is_empty() || (send_resolved && !self.resolved.is_empty());
        let repeat_due = !self.firing.is_empty()
            && match g.last_notified_at {
                None => true,
                Some(t) => now >= t + repeat_interval,
            };
        (changed && has_news) || repeat_due
    }
}

/// Builds the group's notification and stamps the time on the group and its alerts.
fn notify(
    key: &str,
    g: &mut Group,
    audible: &Audible,
    alerts: &mut BTreeMap<String, Alert>,
    now: Timestamp,
    send_resolved: bool,
) -> Notification {
    let mut listed: Vec<Alert> = audible.firing.iter().filter_map(|fp| alerts.get(fp).cloned()).collect();
    if send_resolved {
        listed.extend(audible.resolved.iter().filter_map(|fp| alerts.get(fp).cloned()));
    }
    for fp in audible.firing.iter().chain(audible.resolved.iter()) {
        if let Some(a) = alerts.get_mut(fp) {
            a.last_notified_at = Some(now);
        }
    }
    g.last_notified_at = Some(now);
    Notification {
        id: fnv1a_hex(&format!("{key}|{}", now.to_rfc3339())),
        group_key: key.to_string(),
        group_labels: g.labels.clone(),
        status: if audible.firing.is_empty() { AlertStatus::Resolved } else { AlertStatus::Firing },
        alerts: listed,
        at: now,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> Timestamp {
        s.parse().expect("test timestamp")
    }

    fn alert(fp: &str, status: AlertStatus, silenced_by: &[&str]) -> Alert {
        Alert {
            fingerprint: fp.into(),
            event_id: fp.into(),
            labels: BTreeMap::new(),
            status,
            starts_at: utc("2024-05-01T00:00:00Z"),
            ends_at: None,
            silenced_by: silenced_by.iter().map(|s| s.to_string()).collect(),
            held_by: Vec::new(),
            group_key: "{}".into(),
            last_notified_at: None,
        }
    }

    fn group(members: &[&str], notified_firing: &[&str]) -> Group {
        let set = |ids: &[&str]| ids.iter().map(|s| s.to_string()).collect();
        Group {
            key: "{}".into(),
            labels: BTreeMap::new(),
            created_at: utc("2024-05-01T00:00:00Z"),
            next_flush: utc("2024-05-01T00:00:30Z"),
            last_notified_at: None,
            members: set(members),
            notified_firing: set(notified_firing),
        }
    }

    fn ids(set: &BTreeSet<String>) -> Vec<&str> {
        set.iter().map(String::as_str).collect()
    }

    #[test]
    fn silenced_and_never_announced_resolved_alerts_are_not_audible() {
        let alerts: BTreeMap<String, Alert> = [
            alert("firing", AlertStatus::Firing, &[]),
            alert("muted", AlertStatus::Firing, &["s1"]),
            alert("was_told", AlertStatus::Resolved, &[]),
            alert("never_told", AlertStatus::Resolved, &[]),
        ]
        .into_iter()
        .map(|a| (a.fingerprint.clone(), a))
        .collect();
        let g = group(&["firing", "muted", "was_told", "never_told", "gone"], &["was_told"]);
        let audible = Audible::of(&g, &alerts);
        assert_eq!(ids(&audible.firing), ["firing"]);
        assert_eq!(ids(&audible.resolved), ["was_told"]);
    }

    #[test]
    fn an_unchanged_firing_set_is_resent_exactly_at_the_repeat_interval() {
        let mut g = group(&["a"], &["a"]);
        let sent = utc("2024-05-01T00:00:00Z");
        g.last_notified_at = Some(sent);
        let audible = Audible { firing: g.notified_firing.clone(), resolved: BTreeSet::new() };
        let repeat = Duration::seconds(600);
        assert!(!audible.should_notify(&g, sent + Duration::seconds(599), true, repeat));
        assert!(audible.should_notify(&g, sent + repeat, true, repeat));
    }

    #[test]
    fn a_resolution_is_news_only_when_resolved_alerts_are_sent() {
        let g = group(&["a"], &["a"]);
        let audible = Audible { firing: BTreeSet::new(), resolved: g.notified_firing.clone() };
        let (now, repeat) = (utc("2024-05-01T01:00:00Z"), Duration::seconds(600));
        assert!(audible.should_notify(&g, now, true, repeat));
        assert!(!audible.should_notify(&g, now, false, repeat));
    }

    #[test]
    fn a_zero_group_interval_is_clamped_so_groups_are_not_looked_at_twice_per_instant() {
        let config = AlertConfig {
            group_wait_sec: -5,
            group_interval_sec: 0,
            repeat_interval_sec: -1,
            ..AlertConfig::default()
        };
        let timing = Timing::of(&config);
        assert_eq!(timing.group_wait, Duration::zero());
        assert_eq!(timing.group_interval, Duration::seconds(1));
        assert_eq!(timing.repeat_interval, Duration::zero());
    }

    #[test]
    fn a_resolved_alert_firing_again_starts_anew_in_its_current_group() {
        let now = utc("2024-05-02T00:00:00Z");
        let mut a = alert("a", AlertStatus::Resolved, &[]);
        a.ends_at = Some(utc("2024-05-01T12:00:00Z"));
        assert!(update_alert(&mut a, BTreeMap::new(), true, "{area=\"N1E1\"}", now));
        assert_eq!((a.status, a.starts_at, a.ends_at), (AlertStatus::Firing, now, None));
        assert_eq!(a.group_key, "{area=\"N1E1\"}");
        // Still firing: nothing to rejoin.
        assert!(!update_alert(&mut a, BTreeMap::new(), true, "{}", now));
        assert!(!update_alert(&mut a, BTreeMap::new(), false, "{}", now));
        assert_eq!((a.status, a.ends_at), (AlertStatus::Resolved, Some(now)));
    }
}
