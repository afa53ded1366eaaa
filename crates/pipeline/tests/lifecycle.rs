mod common;

use common::*;
use lookout_pipeline::event::generate;
use lookout_pipeline::lifecycle::{apply, next_status, Action};
use lookout_pipeline::{Event, EventRules, EventStatus, LifecycleError};

fn one_event() -> Event {
    let tz = lookout_pipeline::zone::parse_tz("Asia/Seoul").expect("tz");
    let out = generate(
        &[],
        window("2024-05-01T00:00:00Z", "2024-05-02T00:00:00Z"),
        &[dark("440000001", "2024-05-01T10:00:00Z", "2024-05-01T16:00:00Z", 72)],
        &EventRules::default(),
        &tz,
        t("2024-05-02T00:00:00Z"),
    );
    out.events.into_iter().next().expect("event")
}

#[test]
fn the_happy_path_records_actor_time_and_note_at_every_step() {
    let mut e = one_event();
    assert_eq!(apply(&mut e, Action::Ack, "kim", t("2024-05-02T00:05:00Z"), "on it", None), Ok(None));
    assert_eq!(apply(&mut e, Action::Confirm, "kim", t("2024-05-02T00:30:00Z"), "radar contact", None), Ok(None));
    let enf = apply(&mut e, Action::Enforce, "lee", t("2024-05-02T03:00:00Z"), "boarded at 35.3N", Some("boarding"))
        .expect("enforce")
        .expect("record");
    assert_eq!((enf.event_id.as_str(), enf.action.as_str(), enf.actor.as_str()), (e.id.as_str(), "boarding", "lee"));
    assert_eq!(enf.at, t("2024-05-02T03:00:00Z"));
    apply(&mut e, Action::Close, "park", t("2024-05-03T00:00:00Z"), "done", None).expect("close");
    assert_eq!(e.status, EventStatus::Closed);
    let steps: Vec<(Option<EventStatus>, EventStatus, &str, &str)> =
        e.history.iter().map(|h| (h.from, h.to, h.actor.as_str(), h.note.as_str())).collect();
    assert_eq!(
        steps,
        vec![
            (None, EventStatus::New, "pipeline", "created"),
            (Some(EventStatus::New), EventStatus::Ack, "kim", "on it"),
            (Some(EventStatus::Ack), EventStatus::Confirmed, "kim", "radar contact"),
            (Some(EventStatus::Confirmed), EventStatus::Enforced, "lee", "boarded at 35.3N"),
            (Some(EventStatus::Enforced), EventStatus::Closed, "park", "done"),
        ]
    );
    assert_eq!(e.history[3].at, t("2024-05-02T03:00:00Z"));
}

#[test]
fn invalid_transitions_are_typed_errors_and_change_nothing() {
    let mut e = one_event();
    let before = e.clone();
    let err = apply(&mut e, Action::Confirm, "kim", t("2024-05-02T00:05:00Z"), "", None).expect_err("must ack first");
    assert_eq!(
        err,
        LifecycleError::InvalidTransition { event: e.id.clone(), from: EventStatus::New, action: "confirm" }
    );
    assert_eq!(err.to_string(), format!("event {}: cannot confirm an event that is NEW", e.id));
    assert_eq!(e, before);
    apply(&mut e, Action::Ack, "kim", t("2024-05-02T00:05:00Z"), "", None).expect("ack");
    let err = apply(&mut e, Action::Enforce, "kim", t("2024-05-02T00:06:00Z"), "", None).expect_err("needs action");
    assert!(matches!(err, LifecycleError::Missing { what: "enforcement action", .. }));
    let err = apply(&mut e, Action::FalsePositive, " ", t("2024-05-02T00:06:00Z"), "", None).expect_err("needs actor");
    assert!(matches!(err, LifecycleError::Missing { what: "actor", .. }));
}

#[test]
fn the_transition_table_is_exactly_the_documented_one() {
    use Action::*;
    use EventStatus as S;
    let mut allowed = Vec::new();
    for s in S::ALL {
        for a in [Ack, Confirm, FalsePositive, Enforce, Close] {
            if let Some(to) = next_status(s, a) {
                allowed.push((s, a, to));
            }
        }
    }
    assert_eq!(
        allowed,
        vec![
            (S::New, Ack, S::Ack),
            (S::Ack, Confirm, S::Confirmed),
            (S::Ack, FalsePositive, S::FalsePositive),
            (S::Ack, Enforce, S::Enforced),
            (S::Confirmed, Enforce, S::Enforced),
            (S::Confirmed, Close, S::Closed),
            (S::FalsePositive, Close, S::Closed),
            (S::Enforced, Close, S::Closed),
        ]
    );
    // Nothing leaves CLOSED or WITHDRAWN by an analyst's hand.
    for a in [Ack, Confirm, FalsePositive, Enforce, Close] {
        assert_eq!(next_status(S::Closed, a), None);
        assert_eq!(next_status(S::Withdrawn, a), None);
    }
    for s in S::ALL {
        assert_eq!(S::parse(s.as_str()), Some(s));
    }
}
