mod common;

use common::*;
use lookout_model::{Severity, VesselId};
use lookout_pipeline::event::generate;
use lookout_pipeline::lifecycle::{apply, Action};
use lookout_pipeline::stats::{accuracy_pct, daily, detections, hourly, hourly_cutoff, monthly, touched};
use lookout_pipeline::zone::{day_bucket, day_of, hour_of, month_of, parse_tz};
use lookout_pipeline::{kpi, Category, Event, EventRules, EventStatus};
use serde_json::json;

fn events_at(now: &str, findings: &[lookout_model::Finding], tz: &chrono_tz::Tz) -> Vec<Event> {
    generate(&[], window("2024-05-01T00:00:00Z", "2024-05-02T00:00:00Z"), findings, &EventRules::default(), tz, t(now))
        .events
}

#[test]
fn kpis_count_today_in_seoul_not_utc() {
    let tz = parse_tz("Asia/Seoul").expect("tz");
    // 2024-05-01T16:00Z is 01:00 on 2024-05-02 in Seoul; the 14:30Z event is yesterday there.
    let now = t("2024-05-01T16:00:00Z");
    let mut evs = events_at(
        "2024-05-01T14:30:00Z",
        &[dark("440000001", "2024-05-01T01:00:00Z", "2024-05-01T09:00:00Z", 80)],
        &tz,
    );
    evs.extend(events_at(
        "2024-05-01T15:10:00Z",
        &[
            dark("440000002", "2024-05-01T01:00:00Z", "2024-05-01T09:00:00Z", 75),
            gap("440000002", "2024-05-01T11:00:00Z", "2024-05-02T11:00:00Z", "VIOLATION"),
            finding(
                "eez_intrusion",
                "412000001",
                "2024-05-01T10:00:00Z",
                "2024-05-01T12:00:00Z",
                None,
                "EEZ",
                "HIGH",
                json!({"zone": "EEZ"}),
            ),
            finding(
                "transshipment",
                "440000003",
                "2024-05-01T10:00:00Z",
                "2024-05-01T13:00:00Z",
                None,
                "T",
                "MEDIUM",
                json!({"partner": "440000004"}),
            ),
        ],
        &tz,
    ));
    let reports = vec![
        (VesselId::new("a"), t("2024-05-01T15:30:01Z")),
        (VesselId::new("b"), t("2024-05-01T15:30:00Z")), // exactly 30 min ago: out
        (VesselId::new("c"), t("2024-05-01T16:00:00Z")),
        (VesselId::new("d"), t("2024-05-01T16:00:01Z")), // in the future: out
    ];
    let (state, _) =
        lookout_pipeline::alert::tick(Default::default(), &evs, &[], t("2024-05-01T15:10:00Z"), &Default::default());
    let alerts: Vec<_> = state.alerts.values().cloned().collect();
    let k = kpi::compute(now, &tz, &reports, &evs, &alerts);
    assert_eq!(k.today.label, "2024-05-02");
    assert_eq!(
        k.values(),
        [
            ("tracking_active", 2),
            ("dark_vessels_today", 1), // 440000002 twice (two episodes), 440000001 was yesterday
            ("eez_violations_today", 1),
            ("transshipments_today", 1),
            ("critical_events_today", 1),
            // All four HIGH/CRITICAL events (both dark episodes of 440000002, 440000001 and the
            // EEZ one) started alerting at the 15:10Z tick, 00:10 KST today; transshipment is MEDIUM.
            ("alerts_today", 4),
        ]
    );
}

#[test]
fn withdrawn_events_do_not_count() {
    let tz = parse_tz("Asia/Seoul").expect("tz");
    let mut evs = events_at(
        "2024-05-01T01:00:00Z",
        &[dark("440000001", "2024-05-01T01:00:00Z", "2024-05-01T09:00:00Z", 80)],
        &tz,
    );
    evs[0].status = EventStatus::Withdrawn;
    let k = kpi::compute(t("2024-05-01T02:00:00Z"), &tz, &[], &evs, &[]);
    assert_eq!((k.dark_vessels_today, k.critical_events_today), (0, 0));
    let d = daily(&day_of(t("2024-05-01T02:00:00Z"), &tz), &[], &evs, &[]);
    assert_eq!(d.events, 0);
}

fn scenario(tz: &chrono_tz::Tz) -> (Vec<lookout_pipeline::Detection>, Vec<Event>, Vec<lookout_pipeline::Enforcement>) {
    let w = window("2024-05-01T00:00:00Z", "2024-05-01T15:30:00Z");
    let fs = vec![
        dark("440000001", "2024-05-01T01:00:00Z", "2024-05-01T09:00:00Z", 80),
        gap("440000001", "2024-05-01T01:00:00Z", "2024-05-01T09:00:00Z", "HIGH_SUSPICIOUS"),
        dark("440000002", "2024-05-01T02:00:00Z", "2024-05-01T09:00:00Z", 55),
        dark("440000003", "2024-05-01T02:00:00Z", "2024-05-01T09:00:00Z", 35),
        finding(
            "eez_intrusion",
            "412000001",
            "2024-05-01T10:00:00Z",
            "2024-05-01T12:00:00Z",
            None,
            "EEZ",
            "MEDIUM",
            json!({"zone": "EEZ"}),
        ),
    ];
    let ds = detections(w, &fs);
    let mut evs = generate(&[], w, &fs, &EventRules::default(), tz, t("2024-05-01T15:30:00Z")).events;
    let mut enf = Vec::new();
    for e in evs.iter_mut() {
        apply(e, Action::Ack, "kim", t("2024-05-01T15:40:00Z"), "", None).expect("ack");
        if e.vessels[0].as_str() == "440000002" {
            apply(e, Action::FalsePositive, "kim", t("2024-05-01T15:45:00Z"), "fishing ground, known", None)
                .expect("fp");
        }
        if e.vessels[0].as_str() == "440000001" {
            enf.extend(
                apply(e, Action::Enforce, "lee", t("2024-05-01T15:50:00Z"), "", Some("warning")).expect("enforce"),
            );
        }
    }
    (ds, evs, enf)
}

#[test]
fn hourly_and_daily_rows_from_source() {
    let tz = parse_tz("Asia/Seoul").expect("tz");
    let (ds, evs, enf) = scenario(&tz);
    assert_eq!(ds.len(), 4);
    assert_eq!(
        ds.iter().map(|d| d.risk_level).collect::<Vec<_>>(),
        [Severity::Medium, Severity::Critical, Severity::High, Severity::Watch]
    );
    // Window end 15:30Z = 00:30 KST on 2024-05-02.
    let h = hourly(&hour_of(t("2024-05-01T15:30:00Z"), &tz), &ds, &evs);
    assert_eq!(h.bucket.label, "2024-05-02T00:00+09:00");
    assert_eq!(h.bucket.start, t("2024-05-01T15:00:00Z"));
    assert_eq!((h.detections, h.events, h.critical), (4, 3, 1));
    assert_eq!(
        h.by_risk_level,
        [("CRITICAL".to_string(), 1), ("HIGH".into(), 1), ("MEDIUM".into(), 1), ("WATCH".into(), 1)].into()
    );
    let empty = hourly(&hour_of(t("2024-05-01T14:59:59Z"), &tz), &ds, &evs);
    assert_eq!((empty.detections, empty.events), (0, 0));

    let d = daily(&day_of(t("2024-05-01T15:30:00Z"), &tz), &ds, &evs, &enf);
    assert_eq!(d.bucket.label, "2024-05-02");
    assert_eq!((d.detections, d.events, d.critical, d.enforcements, d.false_positives), (4, 3, 1, 1, 1));
    assert_eq!(d.by_violation_type, [("DARK".to_string(), 3), ("EEZ".into(), 1)].into());
    assert_eq!(d.accuracy_pct, Some(66.67));
    // The UTC date 2024-05-01 holds none of it: the reference's mistake is not repeated.
    let utc_day = daily(&day_bucket(chrono::NaiveDate::from_ymd_opt(2024, 5, 1).expect("date"), &tz), &ds, &evs, &enf);
    assert_eq!((utc_day.detections, utc_day.events), (0, 0));
}

#[test]
fn recomputing_a_bucket_twice_gives_identical_rows() {
    let tz = parse_tz("Asia/Seoul").expect("tz");
    let (ds, evs, enf) = scenario(&tz);
    let touched = touched(ds.iter().map(|d| d.at).chain(evs.iter().map(|e| e.occurred_at)), &tz);
    assert_eq!(touched.days.len(), 1);
    for day in &touched.days {
        assert_eq!(daily(day, &ds, &evs, &enf), daily(day, &ds, &evs, &enf));
    }
    let days: Vec<_> = touched.days.iter().map(|d| daily(d, &ds, &evs, &enf)).collect();
    let m = monthly(&touched.months.iter().next().cloned().expect("month"), &days);
    assert_eq!(m, monthly(&m.bucket, &days));
}

#[test]
fn monthly_sums_only_its_own_days_and_recomputes_accuracy() {
    let tz = parse_tz("Asia/Seoul").expect("tz");
    let (ds, evs, enf) = scenario(&tz);
    let may2 = daily(&day_of(t("2024-05-01T15:30:00Z"), &tz), &ds, &evs, &enf);
    let mut may20 = may2.clone();
    may20.bucket = day_of(t("2024-05-20T03:00:00Z"), &tz);
    may20.false_positives = 0;
    may20.events = 5;
    let mut june1 = may2.clone();
    june1.bucket = day_of(t("2024-05-31T16:00:00Z"), &tz); // 01:00 KST June 1st
    let m = monthly(&month_of(t("2024-05-10T00:00:00Z"), &tz), &[may2, may20, june1]);
    assert_eq!(m.bucket.label, "2024-05");
    assert_eq!((m.detections, m.events, m.false_positives, m.enforcements), (8, 8, 1, 2));
    assert_eq!(m.accuracy_pct, Some(87.5));
    assert_eq!(m.by_violation_type.get("DARK"), Some(&6));
}

#[test]
fn accuracy_is_none_without_events() {
    assert_eq!(accuracy_pct(0, 0), None);
    assert_eq!(accuracy_pct(1, 3), Some(66.67));
    assert_eq!(accuracy_pct(0, 3), Some(100.0));
}

#[test]
fn hourly_retention_is_48_hours() {
    assert_eq!(hourly_cutoff(t("2024-05-03T12:00:00Z")), t("2024-05-01T12:00:00Z"));
}

#[test]
fn berlin_dst_days_count_events_by_local_day() {
    let tz = parse_tz("Europe/Berlin").expect("tz");
    // 2024-03-31 local runs 2024-03-30T23:00Z .. 2024-03-31T22:00Z (23 h).
    let mut evs =
        events_at("2024-03-30T22:59:59Z", &[dark("1", "2024-03-30T01:00:00Z", "2024-03-30T09:00:00Z", 80)], &tz);
    evs.extend(events_at(
        "2024-03-30T23:00:00Z",
        &[dark("2", "2024-03-30T01:00:00Z", "2024-03-30T09:00:00Z", 80)],
        &tz,
    ));
    evs.extend(events_at(
        "2024-03-31T21:59:59Z",
        &[dark("3", "2024-03-30T01:00:00Z", "2024-03-30T09:00:00Z", 80)],
        &tz,
    ));
    evs.extend(events_at(
        "2024-03-31T22:00:00Z",
        &[dark("4", "2024-03-30T01:00:00Z", "2024-03-30T09:00:00Z", 80)],
        &tz,
    ));
    let d = daily(&day_bucket(chrono::NaiveDate::from_ymd_opt(2024, 3, 31).expect("date"), &tz), &[], &evs, &[]);
    assert_eq!(d.events, 2);
    let k = kpi::compute(t("2024-03-31T21:59:59Z"), &tz, &[], &evs, &[]);
    assert_eq!(k.dark_vessels_today, 2);
    assert_eq!(k.today.end - k.today.start, chrono::Duration::hours(23));
    // The fall-back day: 25 hours, and its two 02:00 hours are distinct hourly rows.
    let touched = touched([t("2024-10-27T00:30:00Z"), t("2024-10-27T01:30:00Z")], &tz);
    assert_eq!(touched.hours.len(), 2);
    assert_eq!(touched.days.len(), 1);
    assert_eq!(touched.days.iter().next().map(|d| d.end - d.start), Some(chrono::Duration::hours(25)));
}

#[test]
fn categories_used_by_kpis_are_the_documented_ones() {
    assert_eq!(Category::EezIntrusion.as_str(), "EEZ_INTRUSION");
    assert_eq!(Category::Transshipment.as_str(), "TRANSSHIPMENT");
}
