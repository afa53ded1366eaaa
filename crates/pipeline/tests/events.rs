mod common;

use common::*;
use lookout_model::Severity;
use lookout_pipeline::event::{candidate, generate};
use lookout_pipeline::lifecycle::{apply, Action};
use lookout_pipeline::{Category, EventRules, EventStatus, ViolationLabel};
use serde_json::json;

fn seoul() -> chrono_tz::Tz {
    lookout_pipeline::zone::parse_tz("Asia/Seoul").expect("tz")
}

#[test]
fn each_of_the_seven_rules_fires_at_its_threshold_and_not_below() {
    let rules = EventRules::default();
    let tz = seoul();
    let s = "2024-05-01T00:00:00Z";
    let e = "2024-05-01T06:00:00Z";
    let cases = vec![
        (dark("440000001", s, e, 50), Some((Category::DarkVessel, Severity::High))),
        (dark("440000001", s, e, 49), None),
        (dark("440000001", s, e, 70), Some((Category::DarkVessel, Severity::Critical))),
        (gap("440000001", s, e, "VIOLATION"), Some((Category::DarkVessel, Severity::High))),
        (gap("440000001", s, e, "HIGH_SUSPICIOUS"), None),
        (
            finding(
                "eez_intrusion",
                "412000001",
                s,
                e,
                None,
                "EEZ",
                "MEDIUM",
                json!({"zone": "EEZ", "lat": 36.1, "lon": 124.9}),
            ),
            Some((Category::EezIntrusion, Severity::Medium)),
        ),
        (finding("eez_intrusion", "412000001", s, e, None, "EEZ", "LOW", json!({"zone": "EEZ"})), None),
        (
            finding("zones", "412000001", s, e, None, "TS", "HIGH", json!({"zone": "TERRITORIAL_SEA"})),
            Some((Category::EezIntrusion, Severity::Critical)),
        ),
        (
            finding("mmsi_anomaly", "123", s, e, None, "INVALID_MMSI", "MEDIUM", json!({})),
            Some((Category::MmsiAnomaly, Severity::Medium)),
        ),
        (
            finding("spoofing", "440000002", s, e, None, "TELEPORT", "HIGH", json!({})),
            Some((Category::MmsiAnomaly, Severity::High)),
        ),
        (finding("spoofing", "440000002", s, e, None, "TELEPORT", "WATCH", json!({})), None),
        (
            finding("transshipment", "440000003", s, e, Some(80), "STAGE5", "HIGH", json!({"partner": "440000009"})),
            Some((Category::Transshipment, Severity::High)),
        ),
        (finding("transshipment", "440000003", s, e, Some(80), "STAGE5", "HIGH", json!({})), None),
        (
            finding("gear", "440000004", s, e, None, "G01", "LOW", json!({})),
            Some((Category::GearViolation, Severity::High)),
        ),
        (
            finding("gear", "440000004", s, e, None, "GEAR", "LOW", json!({"violation": "G05"})),
            Some((Category::GearViolation, Severity::Medium)),
        ),
        (finding("gear", "440000004", s, e, None, "DIRECT_MATCH", "LOW", json!({})), None),
        (
            finding("pair_trawl", "440000005", s, e, None, "LONG", "HIGH", json!({"partner": "440000006"})),
            Some((Category::PairTrawl, Severity::High)),
        ),
        (finding("pair_trawl", "440000005", s, e, None, "SHORT", "LOW", json!({"partner": "440000006"})), None),
        (
            finding("composite", "440000007", s, e, Some(50), "HIGH", "HIGH", json!({})),
            Some((Category::HighRisk, Severity::High)),
        ),
        (finding("composite", "440000007", s, e, Some(49), "MEDIUM", "MEDIUM", json!({})), None),
        (finding("unknown_detector", "440000007", s, e, Some(99), "X", "CRITICAL", json!({})), None),
    ];
    for (f, want) in cases {
        let got = candidate(&f, &rules, &tz).map(|c| (c.category, c.level));
        assert_eq!(got, want, "{} {} {:?}", f.detector, f.level, f.score);
    }
}

#[test]
fn pair_fingerprint_is_the_same_from_either_vessel() {
    let rules = EventRules::default();
    let tz = seoul();
    let a = finding(
        "transshipment",
        "440000003",
        "2024-05-01T00:00:00Z",
        "2024-05-01T03:00:00Z",
        None,
        "T",
        "HIGH",
        json!({"partner": "440000009"}),
    );
    let b = finding(
        "transshipment",
        "440000009",
        "2024-05-01T00:00:00Z",
        "2024-05-01T03:00:00Z",
        None,
        "T",
        "HIGH",
        json!({"partner": "440000003"}),
    );
    let (ca, cb) = (candidate(&a, &rules, &tz).expect("a"), candidate(&b, &rules, &tz).expect("b"));
    assert_eq!(ca.key(), "TRANSSHIPMENT|440000003+440000009|2024-05-01T00:00:00Z");
    assert_eq!(ca.key(), cb.key());
    let out = generate(
        &[],
        window("2024-05-01T00:00:00Z", "2024-05-02T00:00:00Z"),
        &[a, b],
        &rules,
        &tz,
        t("2024-05-02T00:00:00Z"),
    );
    assert_eq!(out.created, 1);
    assert_eq!(out.events[0].vessels.len(), 2);
}

#[test]
fn gap_and_dark_score_of_one_episode_make_one_event_with_both_evidences() {
    let tz = seoul();
    let w = window("2024-05-01T00:00:00Z", "2024-05-02T00:00:00Z");
    let now = t("2024-05-02T00:00:00Z");
    let fs = vec![
        gap("440000001", "2024-05-01T01:00:00Z", "2024-05-01T23:30:00Z", "VIOLATION"),
        dark("440000001", "2024-05-01T01:00:00Z", "2024-05-01T23:30:00Z", 85),
    ];
    let out = generate(&[], w, &fs, &EventRules::default(), &tz, now);
    assert_eq!(out.created, 1);
    let e = &out.events[0];
    assert_eq!(e.category, Category::DarkVessel);
    assert_eq!(e.level, Severity::Critical);
    assert_eq!(e.score, Some(85));
    assert_eq!(e.key, "DARK_VESSEL|440000001|2024-05-01T01:00:00Z");
    assert_eq!(e.id.len(), 16);
    assert_eq!(e.area, "N35E128");
    assert_eq!(e.status, EventStatus::New);
    assert_eq!(e.occurred_at, now);
    assert_eq!(e.labels, vec![ViolationLabel::Dark]);
    assert_eq!(e.evidence.keys().cloned().collect::<Vec<_>>(), vec!["dark_suspicion", "gaps"]);
}

#[test]
fn repeat_in_a_later_cycle_updates_the_open_event_and_escalates() {
    let tz = seoul();
    let rules = EventRules::default();
    let w1 = window("2024-05-01T00:00:00Z", "2024-05-02T00:00:00Z");
    let w2 = window("2024-05-01T12:00:00Z", "2024-05-02T12:00:00Z");
    let first = generate(
        &[],
        w1,
        &[dark("440000001", "2024-05-01T10:00:00Z", "2024-05-01T16:00:00Z", 55)],
        &rules,
        &tz,
        t("2024-05-02T00:00:00Z"),
    );
    assert_eq!(first.events[0].level, Severity::High);

    // The overlapping window sees the same gap, now scored higher (history grew).
    let mut stored = first.events.clone();
    let mut later = dark("440000001", "2024-05-01T10:00:00Z", "2024-05-01T16:00:00Z", 75);
    later.evidence = json!({"gap_start": {"lat": 35.9, "lon": 129.1}, "note": "latest"});
    let second = generate(&stored, w2, &[later], &rules, &tz, t("2024-05-02T12:00:00Z"));
    assert_eq!((second.created, second.updated, second.escalated), (0, 1, 1));
    let e = &second.events[0];
    assert_eq!(e.id, first.events[0].id);
    assert_eq!(e.occurrences, 2);
    assert_eq!(e.level, Severity::Critical);
    assert_eq!(e.score, Some(75));
    assert_eq!(e.last_seen, t("2024-05-02T12:00:00Z"));
    assert_eq!(e.occurred_at, t("2024-05-02T00:00:00Z"));
    assert_eq!(e.evidence["dark_suspicion"]["note"], "latest");
    assert!(e.history.iter().any(|h| h.note == "escalated HIGH -> CRITICAL"));

    // A lower score later never lowers the level.
    stored = second.events.clone();
    let w3 = window("2024-05-02T00:00:00Z", "2024-05-03T00:00:00Z");
    let third = generate(
        &stored,
        w3,
        &[dark("440000001", "2024-05-01T10:00:00Z", "2024-05-01T16:00:00Z", 52)],
        &rules,
        &tz,
        t("2024-05-03T00:00:00Z"),
    );
    assert_eq!(third.events[0].level, Severity::Critical);
    assert_eq!(third.events[0].occurrences, 3);
}

#[test]
fn re_running_the_same_window_changes_nothing_but_last_seen() {
    let tz = seoul();
    let rules = EventRules::default();
    let w = window("2024-05-01T00:00:00Z", "2024-05-02T00:00:00Z");
    let fs = vec![dark("440000001", "2024-05-01T10:00:00Z", "2024-05-01T16:00:00Z", 60)];
    let a = generate(&[], w, &fs, &rules, &tz, t("2024-05-02T00:00:00Z"));
    let b = generate(&a.events, w, &fs, &rules, &tz, t("2024-05-02T00:00:00Z"));
    assert_eq!((b.created, b.updated, b.escalated), (0, 0, 0));
    assert_eq!(a.events, b.events);
}

#[test]
fn a_gap_shrunk_by_late_data_withdraws_its_event_and_keeps_it() {
    let tz = seoul();
    let rules = EventRules::default();
    let w = window("2024-05-01T00:00:00Z", "2024-05-02T00:00:00Z");
    let other = dark("440000002", "2024-05-01T02:00:00Z", "2024-05-01T09:00:00Z", 65);
    let a = generate(
        &[],
        w,
        &[dark("440000001", "2024-05-01T10:00:00Z", "2024-05-01T16:00:00Z", 60), other.clone()],
        &rules,
        &tz,
        t("2024-05-02T00:00:00Z"),
    );
    assert_eq!(a.created, 2);
    // Late positions arrive inside the gap: re-running the window finds it no more.
    let b = generate(&a.events, w, std::slice::from_ref(&other), &rules, &tz, t("2024-05-02T01:00:00Z"));
    assert_eq!(b.withdrawn, 1);
    let withdrawn: Vec<_> = b.events.iter().filter(|e| e.status == EventStatus::Withdrawn).collect();
    assert_eq!(withdrawn.len(), 1);
    let w_ev = withdrawn[0];
    assert_eq!(w_ev.vessels[0].as_str(), "440000001");
    assert!(w_ev.windows.is_empty());
    let last = w_ev.history.last().expect("history");
    assert_eq!((last.from, last.to, last.actor.as_str()), (Some(EventStatus::New), EventStatus::Withdrawn, "pipeline"));
    assert!(last.note.starts_with("finding withdrawn by late data"));

    // Found again (the late data was itself corrected): reinstated as NEW, same id.
    let c = generate(
        &b.events,
        w,
        &[dark("440000001", "2024-05-01T10:00:00Z", "2024-05-01T16:00:00Z", 60), other],
        &rules,
        &tz,
        t("2024-05-02T02:00:00Z"),
    );
    assert_eq!(c.reinstated, 1);
    let back = c.events.iter().find(|e| e.id == w_ev.id).expect("same event");
    assert_eq!(back.status, EventStatus::New);
}

#[test]
fn an_episode_still_reported_by_another_window_is_not_withdrawn() {
    let tz = seoul();
    let rules = EventRules::default();
    let f = dark("440000001", "2024-05-01T10:00:00Z", "2024-05-01T16:00:00Z", 60);
    let w1 = window("2024-05-01T00:00:00Z", "2024-05-02T00:00:00Z");
    let w2 = window("2024-05-01T06:00:00Z", "2024-05-02T06:00:00Z");
    let a = generate(&[], w1, std::slice::from_ref(&f), &rules, &tz, t("2024-05-02T00:00:00Z"));
    let b = generate(&a.events, w2, &[f], &rules, &tz, t("2024-05-02T06:00:00Z"));
    let c = generate(&b.events, w1, &[], &rules, &tz, t("2024-05-02T07:00:00Z"));
    assert_eq!(c.withdrawn, 0);
    assert_eq!(c.events[0].status, EventStatus::New);
    assert_eq!(c.events[0].windows, vec![w2]);
}

#[test]
fn withdrawal_after_an_analyst_decision_keeps_the_decision() {
    let tz = seoul();
    let rules = EventRules::default();
    let w = window("2024-05-01T00:00:00Z", "2024-05-02T00:00:00Z");
    let mut a = generate(
        &[],
        w,
        &[dark("440000001", "2024-05-01T10:00:00Z", "2024-05-01T16:00:00Z", 60)],
        &rules,
        &tz,
        t("2024-05-02T00:00:00Z"),
    );
    let ev = &mut a.events[0];
    apply(ev, Action::Ack, "kim", t("2024-05-02T00:10:00Z"), "looking", None).expect("ack");
    apply(ev, Action::Confirm, "kim", t("2024-05-02T00:20:00Z"), "seen on radar", None).expect("confirm");
    let b = generate(&a.events, w, &[], &rules, &tz, t("2024-05-02T01:00:00Z"));
    assert_eq!(b.withdrawn, 0);
    assert_eq!(b.events[0].status, EventStatus::Confirmed);
    assert!(b.events[0].history.last().expect("note").note.starts_with("finding withdrawn"));
}

#[test]
fn high_risk_dedups_per_vessel_per_local_day() {
    let tz = seoul();
    let rules = EventRules::default();
    // 14:00Z and 16:00Z on 2024-05-01 are different days in Seoul (23:00 and 01:00).
    let a = finding(
        "composite",
        "440000007",
        "2024-05-01T00:00:00Z",
        "2024-05-01T14:00:00Z",
        Some(72),
        "CRITICAL",
        "CRITICAL",
        json!({}),
    );
    let b = finding(
        "composite",
        "440000007",
        "2024-05-01T00:00:00Z",
        "2024-05-01T16:00:00Z",
        Some(72),
        "CRITICAL",
        "CRITICAL",
        json!({}),
    );
    let ca = candidate(&a, &rules, &tz).expect("a");
    let cb = candidate(&b, &rules, &tz).expect("b");
    assert_eq!(ca.key(), "HIGH_RISK|440000007|2024-05-01");
    assert_eq!(cb.key(), "HIGH_RISK|440000007|2024-05-02");
}

#[test]
fn labels_add_eez_for_a_dark_gap_in_the_territorial_sea() {
    let tz = seoul();
    let mut f = dark("440000001", "2024-05-01T10:00:00Z", "2024-05-01T16:00:00Z", 80);
    f.breakdown = serde_json::from_value(json!([
        {"code": "P2", "pattern": "sensitive_zone", "points": 25, "label_ko": "", "label_en": "", "description_ko": "", "description_en": ""},
        {"code": "P6", "pattern": "teleport_before_gap", "points": 15, "label_ko": "", "label_en": "", "description_ko": "", "description_en": ""}
    ])).expect("breakdown");
    let out = generate(
        &[],
        window("2024-05-01T00:00:00Z", "2024-05-02T00:00:00Z"),
        &[f],
        &EventRules::default(),
        &tz,
        t("2024-05-02T00:00:00Z"),
    );
    assert_eq!(out.events[0].labels, vec![ViolationLabel::Eez, ViolationLabel::Dark, ViolationLabel::Mmsi]);
    assert_eq!(out.events[0].breakdown.len(), 2);
}

#[test]
fn every_category_has_its_label() {
    use lookout_pipeline::classify::primary_label;
    let got: Vec<&str> = Category::ALL.iter().map(|c| primary_label(*c).as_str()).collect();
    assert_eq!(got, ["DARK", "EEZ", "MMSI", "TRANSSHIP", "GEAR", "GEAR", "RISK"]);
    for c in Category::ALL {
        assert_eq!(Category::parse(c.as_str()), Some(c));
    }
}

#[test]
fn rules_reject_unknown_keys() {
    let err = serde_json::from_value::<EventRules>(json!({"dark_min_scor": 40})).expect_err("unknown key");
    assert!(err.to_string().contains("dark_min_scor"));
    let r: EventRules = serde_json::from_value(json!({"dark_min_score": 40})).expect("partial");
    assert_eq!(r.dark_min_score, 40);
    assert_eq!(r.high_risk_min_score, 50);
}

mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Whatever the order of cycles, the same findings give one event per episode,
        /// its level is the highest seen, and feeding the same cycle again is a no-op.
        #[test]
        fn dedup_and_escalation_hold_for_any_sequence(scores in proptest::collection::vec(50i64..=100, 1..8)) {
            let tz = seoul();
            let rules = EventRules::default();
            let mut stored = Vec::new();
            let base = t("2024-05-01T00:00:00Z");
            for (i, s) in scores.iter().enumerate() {
                let w = lookout_pipeline::CycleWindow { start: base + chrono::Duration::hours(i as i64), end: base + chrono::Duration::hours(24 + i as i64) };
                let f = dark("440000001", "2024-05-01T10:00:00Z", "2024-05-01T16:00:00Z", *s);
                let out = generate(&stored, w, std::slice::from_ref(&f), &rules, &tz, w.end);
                prop_assert_eq!(out.events.len(), 1);
                stored = out.events.clone();
                let again = generate(&stored, w, &[f], &rules, &tz, w.end);
                prop_assert_eq!(&again.events, &stored);
            }
            let e = &stored[0];
            let max = *scores.iter().max().expect("non-empty");
            let want = if max >= 70 { Severity::Critical } else { Severity::High };
            prop_assert_eq!(e.level, want);
            prop_assert_eq!(e.occurrences as usize, scores.len());
            prop_assert_eq!(e.score, Some(max));
        }
    }
}
