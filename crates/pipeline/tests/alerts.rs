mod common;

use chrono::Duration;
use common::*;
use lookout_model::Timestamp;
use lookout_pipeline::alert::{tick, AlertConfig, AlertStatus, DispatchState, MatchOp, Matcher, Notification, Silence};
use lookout_pipeline::event::generate;
use lookout_pipeline::lifecycle::{apply, Action};
use lookout_pipeline::{Event, EventRules, EventStatus};
use serde_json::json;

const T0: &str = "2024-05-01T00:00:00Z";

fn secs(n: i64) -> Timestamp {
    t(T0) + Duration::seconds(n)
}

/// Dark events of `vessels`, all in cell N35E128, level CRITICAL.
fn dark_events(vessels: &[&str]) -> Vec<Event> {
    let tz = lookout_pipeline::zone::parse_tz("Asia/Seoul").expect("tz");
    let fs: Vec<_> = vessels.iter().map(|v| dark(v, "2024-04-30T10:00:00Z", "2024-04-30T16:00:00Z", 80)).collect();
    generate(&[], window("2024-04-30T00:00:00Z", T0), &fs, &EventRules::default(), &tz, t(T0)).events
}

fn eez_event(vessel: &str, zone: &str) -> Event {
    let tz = lookout_pipeline::zone::parse_tz("Asia/Seoul").expect("tz");
    let f = finding(
        "eez_intrusion",
        vessel,
        "2024-04-30T10:00:00Z",
        "2024-04-30T12:00:00Z",
        None,
        "EEZ",
        "HIGH",
        json!({"zone": zone}),
    );
    generate(&[], window("2024-04-30T00:00:00Z", T0), &[f], &EventRules::default(), &tz, t(T0)).events.remove(0)
}

fn vessels_in(n: &Notification) -> Vec<(String, AlertStatus)> {
    n.alerts.iter().map(|a| (a.labels["vessel"].clone(), a.status)).collect()
}

struct Run {
    state: DispatchState,
    cfg: AlertConfig,
}

impl Run {
    fn new() -> Run {
        Run { state: DispatchState::default(), cfg: AlertConfig::default() }
    }
    fn tick(&mut self, events: &[Event], silences: &[Silence], at: Timestamp) -> Vec<Notification> {
        let (s, n) = tick(std::mem::take(&mut self.state), events, silences, at, &self.cfg);
        self.state = s;
        n
    }
}

#[test]
fn group_wait_batches_alerts_that_arrive_together() {
    let mut r = Run::new();
    let evs = dark_events(&["440000001", "440000002"]);
    assert!(r.tick(&evs[..1], &[], secs(0)).is_empty(), "group_wait: nothing at once");
    assert!(r.tick(&evs, &[], secs(10)).is_empty(), "still waiting");
    let n = r.tick(&evs, &[], secs(30));
    assert_eq!(n.len(), 1);
    assert_eq!(n[0].group_key, "{area=\"N35E128\",category=\"DARK_VESSEL\"}");
    assert_eq!(n[0].status, AlertStatus::Firing);
    assert_eq!(
        vessels_in(&n[0]),
        [("440000001".into(), AlertStatus::Firing), ("440000002".into(), AlertStatus::Firing)]
    );
    let payload = n[0].payload("webhook");
    assert_eq!(payload["version"], "4");
    assert_eq!(payload["groupLabels"]["category"], "DARK_VESSEL");
    assert_eq!(payload["commonLabels"]["level"], "CRITICAL");
    assert!(payload["commonLabels"].get("vessel").is_none());
    assert_eq!(payload["alerts"].as_array().map(Vec::len), Some(2));
}

#[test]
fn same_event_again_is_the_same_alert_and_sends_nothing_new() {
    let mut r = Run::new();
    let evs = dark_events(&["440000001"]);
    r.tick(&evs, &[], secs(0));
    assert_eq!(r.tick(&evs, &[], secs(30)).len(), 1);
    for s in [100, 330, 630, 3600] {
        assert!(r.tick(&evs, &[], secs(s)).is_empty(), "no change, no repeat yet at {s}");
    }
    assert_eq!(r.state.alerts.len(), 1);
    assert_eq!(r.state.alerts.values().next().map(|a| a.starts_at), Some(secs(0)));
}

#[test]
fn a_new_alert_in_a_notified_group_waits_for_group_interval() {
    let mut r = Run::new();
    let evs = dark_events(&["440000001", "440000002"]);
    r.tick(&evs[..1], &[], secs(0));
    assert_eq!(r.tick(&evs[..1], &[], secs(30)).len(), 1);
    // Next look is at 30 + 300 = 330.
    assert!(r.tick(&evs, &[], secs(100)).is_empty());
    assert!(r.tick(&evs, &[], secs(329)).is_empty());
    let n = r.tick(&evs, &[], secs(330));
    assert_eq!(n.len(), 1);
    assert_eq!(n[0].alerts.len(), 2, "the whole group is re-sent with the newcomer");
}

#[test]
fn unchanged_firing_group_repeats_after_repeat_interval() {
    let mut r = Run::new();
    r.cfg.repeat_interval_sec = 3600;
    let evs = dark_events(&["440000001"]);
    r.tick(&evs, &[], secs(0));
    assert_eq!(r.tick(&evs, &[], secs(30)).len(), 1);
    let mut sent = Vec::new();
    for s in (330..=8000).step_by(300) {
        if !r.tick(&evs, &[], secs(s)).is_empty() {
            sent.push(s);
        }
    }
    // Looks happen every 300 s from 30; the first look at or after 30 + 3600 is 3630.
    assert_eq!(sent, [3630, 7230]);
}

#[test]
fn resolved_is_sent_once_then_the_group_is_dropped() {
    let mut r = Run::new();
    let mut evs = dark_events(&["440000001", "440000002"]);
    r.tick(&evs, &[], secs(0));
    assert_eq!(r.tick(&evs, &[], secs(30)).len(), 1);
    apply(&mut evs[0], Action::Ack, "kim", secs(40), "", None).expect("ack");
    apply(&mut evs[0], Action::FalsePositive, "kim", secs(50), "", None).expect("fp");
    let n = r.tick(&evs, &[], secs(330));
    assert_eq!(n.len(), 1);
    assert_eq!(n[0].status, AlertStatus::Firing);
    assert_eq!(
        vessels_in(&n[0]),
        [("440000002".into(), AlertStatus::Firing), ("440000001".into(), AlertStatus::Resolved)]
    );
    let resolved = &r.state.alerts[&evs[0].fingerprint];
    assert_eq!((resolved.status, resolved.ends_at), (AlertStatus::Resolved, Some(secs(330))));

    apply(&mut evs[1], Action::Ack, "kim", secs(400), "", None).expect("ack");
    apply(&mut evs[1], Action::Enforce, "kim", secs(410), "", Some("boarding")).expect("enforce");
    let n = r.tick(&evs, &[], secs(630));
    assert_eq!(n.len(), 1);
    assert_eq!(n[0].status, AlertStatus::Resolved);
    assert_eq!(vessels_in(&n[0]), [("440000002".into(), AlertStatus::Resolved)]);
    assert!(r.state.groups.is_empty());
    assert!(r.tick(&evs, &[], secs(5000)).is_empty());
    assert_eq!(r.state.alerts.len(), 2, "alerts are kept for the record");
}

#[test]
fn an_alert_resolved_before_its_first_notification_is_never_sent() {
    let mut r = Run::new();
    let mut evs = dark_events(&["440000001"]);
    r.tick(&evs, &[], secs(0));
    evs[0].status = EventStatus::Withdrawn;
    assert!(r.tick(&evs, &[], secs(30)).is_empty());
    assert!(r.state.groups.is_empty());
}

#[test]
fn groups_split_by_category_and_area() {
    let mut r = Run::new();
    let mut evs = dark_events(&["440000001"]);
    evs.push(eez_event("412000001", "EEZ"));
    evs.push(eez_event("412000002", "TERRITORIAL_SEA"));
    evs.push(eez_event("412000003", "EEZ"));
    r.tick(&evs, &[], secs(0));
    let n = r.tick(&evs, &[], secs(30));
    let keys: Vec<(&str, usize)> = n.iter().map(|n| (n.group_key.as_str(), n.alerts.len())).collect();
    assert_eq!(
        keys,
        [
            ("{area=\"EEZ\",category=\"EEZ_INTRUSION\"}", 2),
            ("{area=\"N35E128\",category=\"DARK_VESSEL\"}", 1),
            ("{area=\"TERRITORIAL_SEA\",category=\"EEZ_INTRUSION\"}", 1),
        ]
    );
}

#[test]
fn medium_events_do_not_alert() {
    let tz = lookout_pipeline::zone::parse_tz("Asia/Seoul").expect("tz");
    let f = finding(
        "eez_intrusion",
        "412000001",
        "2024-04-30T10:00:00Z",
        "2024-04-30T12:00:00Z",
        None,
        "EEZ",
        "MEDIUM",
        json!({"zone": "EEZ"}),
    );
    let evs = generate(&[], window("2024-04-30T00:00:00Z", T0), &[f], &EventRules::default(), &tz, t(T0)).events;
    let mut r = Run::new();
    r.tick(&evs, &[], secs(0));
    assert!(r.tick(&evs, &[], secs(30)).is_empty());
    assert!(r.state.alerts.is_empty());
}

#[test]
fn silences_mute_matching_alerts_record_who_held_them_and_expire() {
    let mut r = Run::new();
    let evs = dark_events(&["440000001", "440000002"]);
    let mut s = Silence::new(
        vec![Matcher::parse("category=DARK_VESSEL").expect("m"), Matcher::parse("vessel=~4400000(0)?1").expect("m")],
        secs(0),
        secs(3600),
        "kim",
        "known fishing ground, patrol on site",
    )
    .expect("silence");
    r.tick(&evs, std::slice::from_ref(&s), secs(0));
    let n = r.tick(&evs, std::slice::from_ref(&s), secs(30));
    assert_eq!(vessels_in(&n[0]), [("440000002".into(), AlertStatus::Firing)]);
    let held = &r.state.alerts[&evs[0].fingerprint];
    assert_eq!(held.silenced_by, vec![s.id.clone()]);
    assert_eq!(held.held_by, vec![s.id.clone()]);

    // Expired early by an analyst: the alert is notified at the next look.
    s.expire(secs(600));
    assert_eq!(s.ends_at, secs(600));
    let n = r.tick(&evs, std::slice::from_ref(&s), secs(630));
    assert_eq!(n.len(), 1);
    assert_eq!(n[0].alerts.len(), 2);
    let was_held = &r.state.alerts[&evs[0].fingerprint];
    assert!(was_held.silenced_by.is_empty());
    assert_eq!(was_held.held_by, vec![s.id.clone()], "the record of the silence stays");
}

#[test]
fn a_silence_that_has_not_started_does_not_mute() {
    let mut r = Run::new();
    let evs = dark_events(&["440000001"]);
    let s =
        Silence::new(vec![Matcher::parse("category=DARK_VESSEL").expect("m")], secs(100), secs(200), "kim", "later")
            .expect("s");
    r.tick(&evs, std::slice::from_ref(&s), secs(0));
    assert_eq!(r.tick(&evs, std::slice::from_ref(&s), secs(30)).len(), 1);
}

#[test]
fn matchers_parse_like_alertmanager_and_bad_ones_are_errors() {
    let m = Matcher::parse("area!=\"N35E128\"").expect("m");
    assert_eq!((m.name.as_str(), m.op, m.value.as_str()), ("area", MatchOp::NotEq, "N35E128"));
    assert_eq!(Matcher::parse("level!~HIGH|LOW").expect("m").op, MatchOp::NotRegex);
    assert!(Matcher::parse("novalue").is_err());
    assert!(Matcher::parse("=x").is_err());
    assert!(Matcher::parse("vessel=~(").is_err());
    // Anchored: a regex must match the whole value.
    let labels = [("vessel".to_string(), "440000001".to_string())].into();
    assert!(!Matcher::parse("vessel=~4400").expect("m").matches(&labels));
    assert!(Matcher::parse("vessel=~4400.*").expect("m").matches(&labels));
    assert!(Silence::new(vec![], secs(0), secs(1), "a", "c").is_err());
    assert!(Silence::new(vec![m.clone()], secs(1), secs(1), "a", "c").is_err());
    assert!(Silence::new(vec![m.clone()], secs(0), secs(1), "", "c").is_err());
    assert!(Silence::new(vec![m], secs(0), secs(1), "a", " ").is_err());
}

#[test]
fn a_withdrawn_then_reinstated_event_fires_again_as_a_new_alert() {
    let mut r = Run::new();
    let mut evs = dark_events(&["440000001"]);
    r.tick(&evs, &[], secs(0));
    assert_eq!(r.tick(&evs, &[], secs(30)).len(), 1);
    evs[0].status = EventStatus::Withdrawn;
    let n = r.tick(&evs, &[], secs(330));
    assert_eq!(n[0].status, AlertStatus::Resolved);
    evs[0].status = EventStatus::New;
    assert!(r.tick(&evs, &[], secs(400)).is_empty(), "a new group waits again");
    let n = r.tick(&evs, &[], secs(430));
    assert_eq!(n[0].status, AlertStatus::Firing);
    assert_eq!(n[0].alerts[0].starts_at, secs(400));
}

mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// For any tick times, a firing group is never notified more often than
        /// group_interval apart, the first notification never comes before group_wait,
        /// and ticking twice at the same instant never sends twice.
        #[test]
        fn timing_invariants(gaps in proptest::collection::vec(1i64..2000, 1..40)) {
            let mut r = Run::new();
            let evs = dark_events(&["440000001", "440000002"]);
            let mut now = 0;
            let mut sent: Vec<i64> = Vec::new();
            for (i, g) in gaps.iter().enumerate() {
                let upto = if i % 3 == 0 { 1 } else { 2 };
                let n = r.tick(&evs[..upto], &[], secs(now));
                if !n.is_empty() { sent.push(now); }
                prop_assert!(r.tick(&evs[..upto], &[], secs(now)).is_empty());
                now += g;
            }
            if let Some(first) = sent.first() { prop_assert!(*first >= 30); }
            for w in sent.windows(2) { prop_assert!(w[1] - w[0] >= 300); }
        }
    }
}
