//! The event lifecycle as a state machine.
//!
//! ```text
//! NEW ─ack─► ACK ─confirm──────► CONFIRMED ─┬─enforce─► ENFORCED ─close─► CLOSED
//!              ├─false-positive─► FALSE_POSITIVE ─close─────────────────► CLOSED
//!              └─enforce────────► ENFORCED                    CONFIRMED ─close─► CLOSED
//! NEW | ACK ─(pipeline: late data)─► WITHDRAWN ─(found again)─► NEW
//! ```
//!
//! Analysts drive every step but withdrawal; each step records actor, time and note,
//! and enforcing records an [`Enforcement`]. Anything else is a [`LifecycleError`].

use lookout_model::Timestamp;
use serde::{Deserialize, Serialize};

use crate::event::Event;

/// Where an event stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EventStatus {
    New,
    Ack,
    Confirmed,
    FalsePositive,
    Enforced,
    Closed,
    /// Its finding disappeared when late data arrived; kept, never deleted.
    Withdrawn,
}

impl EventStatus {
    /// All statuses.
    pub const ALL: [EventStatus; 7] = [
        EventStatus::New,
        EventStatus::Ack,
        EventStatus::Confirmed,
        EventStatus::FalsePositive,
        EventStatus::Enforced,
        EventStatus::Closed,
        EventStatus::Withdrawn,
    ];

    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            EventStatus::New => "NEW",
            EventStatus::Ack => "ACK",
            EventStatus::Confirmed => "CONFIRMED",
            EventStatus::FalsePositive => "FALSE_POSITIVE",
            EventStatus::Enforced => "ENFORCED",
            EventStatus::Closed => "CLOSED",
            EventStatus::Withdrawn => "WITHDRAWN",
        }
    }

    /// Parses the stored text.
    pub fn parse(s: &str) -> Option<EventStatus> {
        EventStatus::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

impl std::fmt::Display for EventStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An analyst's action on an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    Ack,
    Confirm,
    FalsePositive,
    Enforce,
    Close,
}

impl Action {
    /// The CLI spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Ack => "ack",
            Action::Confirm => "confirm",
            Action::FalsePositive => "false-positive",
            Action::Enforce => "enforce",
            Action::Close => "close",
        }
    }
}

/// One line of an event's history: a status change (`from != to`) or a note.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HistoryEntry {
    /// `None` for the creation entry.
    pub from: Option<EventStatus>,
    pub to: EventStatus,
    pub actor: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub at: Timestamp,
    pub note: String,
}

impl HistoryEntry {
    /// The first entry of every event.
    pub fn created(actor: &str, at: Timestamp) -> HistoryEntry {
        HistoryEntry { from: None, to: EventStatus::New, actor: actor.into(), at, note: "created".into() }
    }

    /// A status change.
    pub fn transition(from: EventStatus, to: EventStatus, actor: &str, at: Timestamp, note: String) -> HistoryEntry {
        HistoryEntry { from: Some(from), to, actor: actor.into(), at, note }
    }

    /// A note that leaves the status as it is.
    pub fn note(status: EventStatus, actor: &str, at: Timestamp, note: String) -> HistoryEntry {
        HistoryEntry { from: Some(status), to: status, actor: actor.into(), at, note }
    }
}

/// What was done to a vessel when an event was enforced.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Enforcement {
    pub event_id: String,
    /// E.g. `boarding`, `warning`, `seizure`.
    pub action: String,
    pub actor: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub at: Timestamp,
    pub note: String,
}

/// Why a lifecycle step was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LifecycleError {
    #[error("event {event}: cannot {action} an event that is {from}")]
    InvalidTransition { event: String, from: EventStatus, action: &'static str },
    #[error("event {event}: {what} must not be empty")]
    Missing { event: String, what: &'static str },
}

/// The status `action` leads to from `from`, or `None` when it is not allowed.
pub fn next_status(from: EventStatus, action: Action) -> Option<EventStatus> {
    use EventStatus as S;
    match (from, action) {
        (S::New, Action::Ack) => Some(S::Ack),
        (S::Ack, Action::Confirm) => Some(S::Confirmed),
        (S::Ack, Action::FalsePositive) => Some(S::FalsePositive),
        (S::Ack | S::Confirmed, Action::Enforce) => Some(S::Enforced),
        (S::Confirmed | S::FalsePositive | S::Enforced, Action::Close) => Some(S::Closed),
        _ => None,
    }
}

/// Applies an analyst's action to `event` at `at`. Enforcing needs `enforcement_action`
/// (what was done) and returns the [`Enforcement`] record to store with the event.
pub fn apply(
    event: &mut Event,
    action: Action,
    actor: &str,
    at: Timestamp,
    note: &str,
    enforcement_action: Option<&str>,
) -> Result<Option<Enforcement>, LifecycleError> {
    if actor.trim().is_empty() {
        return Err(LifecycleError::Missing { event: event.id.clone(), what: "actor" });
    }
    let to = next_status(event.status, action).ok_or(LifecycleError::InvalidTransition {
        event: event.id.clone(),
        from: event.status,
        action: action.as_str(),
    })?;
    let enforcement = if action == Action::Enforce {
        let what = enforcement_action.map(str::trim).unwrap_or("");
        if what.is_empty() {
            return Err(LifecycleError::Missing { event: event.id.clone(), what: "enforcement action" });
        }
        Some(Enforcement {
            event_id: event.id.clone(),
            action: what.to_string(),
            actor: actor.to_string(),
            at,
            note: note.to_string(),
        })
    } else {
        None
    };
    event.history.push(HistoryEntry::transition(event.status, to, actor, at, note.to_string()));
    event.status = to;
    Ok(enforcement)
}
