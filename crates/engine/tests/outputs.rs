//! The output pipeline over real stores (SQLite file and the PostgreSQL test server):
//! idempotence, recovery after a crash between stages, withdrawal, silences and the
//! outbox. Findings are fixtures written as a cycle's output, as the rule engine would.

use chrono::{Duration, TimeZone, Utc};
use lookout_engine::outputs::{self, OutputConfig, Stage};
use lookout_model::{Finding, NavStatus, Position, Severity, Timestamp, VesselId};
use lookout_pipeline::lifecycle::Action;
use lookout_pipeline::{EventStatus, Matcher, Silence};
use lookout_store::testing::{pg_test_url, TestSchema};
use lookout_store::{CycleKey, CycleOutput, EventFilter, PostgresStore, SqliteStore, Store};

fn t(min: i64) -> Timestamp {
    Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).single().expect("time") + Duration::minutes(min)
}

fn finding(detector: &str, vessel: &str, start: i64, score: Option<i64>, severity: Severity, level: &str) -> Finding {
    Finding {
        detector: detector.into(),
        vessel: VesselId::new(vessel),
        start: t(start),
        end: t(start + 1500),
        score,
        level: level.into(),
        severity,
        breakdown: vec![],
        evidence: serde_json::json!({"gap_start": {"lat": 35.2, "lon": 129.1}}),
        rule: Some(detector.into()),
        model_version: Some(1),
        params_hash: None,
    }
}

fn cycle_findings(with_second: bool) -> Vec<Finding> {
    let mut v = vec![
        finding("gaps", "440000001", 10, None, Severity::High, "VIOLATION"),
        finding("dark_suspicion", "440000001", 10, Some(78), Severity::Critical, "CRITICAL"),
        finding("composite", "440000001", 10, Some(72), Severity::Critical, "CRITICAL"),
    ];
    if with_second {
        v.push(finding("dark_suspicion", "440000002", 40, Some(55), Severity::High, "HIGH"));
    }
    v
}

fn key() -> CycleKey {
    CycleKey { window_start: t(0), window_end: t(1440) }
}

fn write(store: &mut dyn Store, findings: Vec<Finding>) {
    store
        .write_cycle(&CycleOutput { key: key(), params: serde_json::json!({}), findings, stats: serde_json::json!({}) })
        .expect("write cycle");
}

fn positions(store: &mut dyn Store) {
    let p = |v: &str, m: i64| Position {
        vessel: VesselId::new(v),
        timestamp: t(m),
        lat: 35.0,
        lon: 129.0,
        sog: Some(5.0),
        cog: None,
        heading: None,
        nav_status: Some(NavStatus(0)),
    };
    store.insert_positions(&[p("440000001", 1430), p("440000002", 1300)]).expect("positions");
}

/// Every row the pipeline writes, as JSON, for comparing two stores or two runs.
fn snapshot(store: &dyn Store) -> serde_json::Value {
    let (a, b) = (t(-100_000), t(100_000));
    serde_json::json!({
        "events": store.list_events(&EventFilter::default()).expect("events"),
        "enforcements": store.enforcements_between(a, b).expect("enforcements"),
        "dispatch": store.dispatch_state().expect("dispatch"),
        "silences": store.silences().expect("silences"),
        "outbox": store.outbox(false).expect("outbox"),
        "kpis": store.kpis().expect("kpis"),
        "hourly": store.hourly_stats(a, b).expect("hourly"),
        "daily": store.daily_stats(a, b).expect("daily"),
        "monthly": store.monthly_stats(a, b).expect("monthly"),
    })
}

fn with_each_backend(check: impl Fn(&mut dyn Store, &mut dyn Store)) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut a = SqliteStore::open(&dir.path().join("a.db")).expect("sqlite a");
    let mut b = SqliteStore::open(&dir.path().join("b.db")).expect("sqlite b");
    eprintln!("backend: sqlite");
    check(&mut a, &mut b);
    if let Some(url) = pg_test_url() {
        let sa = TestSchema::create(&url, "outputs_a").expect("schema a");
        let sb = TestSchema::create(&url, "outputs_b").expect("schema b");
        let mut a = PostgresStore::open(&sa.url()).expect("pg a");
        let mut b = PostgresStore::open(&sb.url()).expect("pg b");
        eprintln!("backend: postgres");
        check(&mut a, &mut b);
    }
}

fn cfg() -> OutputConfig {
    OutputConfig { sinks: vec!["webhook".into(), "log".into()], ..OutputConfig::default() }
}

#[test]
fn running_twice_and_recovering_from_a_crash_between_stages_give_identical_rows() {
    with_each_backend(|a, b| {
        let now = t(1440);
        positions(a);
        write(a, cycle_findings(true));
        positions(b);
        write(b, cycle_findings(true));
        let r = outputs::run_after_cycle(a, &key(), now, &cfg());
        assert!(r.all_ok(), "{r:?}");
        assert_eq!(
            r.stages.iter().map(|s| s.stage.as_str()).collect::<Vec<_>>(),
            ["events", "labels", "stats", "alerts", "kpis"]
        );
        assert_eq!(
            r.stages[0].detail,
            "4 findings: 3 events created, 0 updated, 0 escalated, 0 withdrawn, 0 reinstated"
        );
        let once = snapshot(a);
        assert!(outputs::run_after_cycle(a, &key(), now, &cfg()).all_ok());
        assert_eq!(snapshot(a), once, "a second run over the same cycle changes nothing");

        // b crashes after the events stage, then the whole pipeline runs again.
        assert!(outputs::run_stages(b, &key(), now, &cfg(), &[Stage::Events]).all_ok());
        assert!(outputs::run_after_cycle(b, &key(), now, &cfg()).all_ok());
        assert_eq!(snapshot(b), once, "re-running after a crash converges to the same rows");

        let events = a.list_events(&EventFilter::default()).expect("events");
        // The gap and the dark score of one episode are one event.
        let cats: Vec<(&str, &str, &str)> =
            events.iter().map(|e| (e.category.as_str(), e.vessels[0].as_str(), e.level.as_str())).collect();
        let mut cats = cats;
        cats.sort();
        assert_eq!(
            cats,
            [
                ("DARK_VESSEL", "440000001", "CRITICAL"),
                ("DARK_VESSEL", "440000002", "HIGH"),
                ("HIGH_RISK", "440000001", "CRITICAL")
            ]
        );
        let k = a.kpis().expect("kpis").expect("some");
        assert_eq!((k.tracking_active, k.dark_vessels_today, k.critical_events_today, k.alerts_today), (1, 2, 2, 3));
        let daily = a.daily_stats(t(-100_000), t(100_000)).expect("daily");
        assert_eq!(daily.len(), 1);
        assert_eq!((daily[0].detections, daily[0].events, daily[0].critical), (2, 3, 2));
        assert_eq!(daily[0].by_risk_level.get("CRITICAL"), Some(&1));
        assert_eq!(daily[0].by_risk_level.get("HIGH"), Some(&1));
        // group_wait holds the first notification; a tick 30 s later sends the groups.
        assert!(a.outbox(false).expect("outbox").is_empty());
        let later = now + Duration::seconds(30);
        assert!(outputs::tick(a, later, &cfg()).all_ok());
        let outbox = a.outbox(false).expect("outbox");
        // Two groups (DARK_VESSEL, HIGH_RISK in one area) × two sinks.
        assert_eq!(outbox.len(), 4);
        assert_eq!(outbox.iter().map(|o| o.seq).collect::<Vec<_>>(), [1, 2, 3, 4]);
        let ticked = snapshot(a);
        assert!(outputs::tick(a, later, &cfg()).all_ok());
        assert_eq!(snapshot(a), ticked, "the same tick twice enqueues nothing twice");
    });
}

#[test]
fn late_data_withdraws_an_event_and_a_silence_holds_an_alert() {
    with_each_backend(|a, _| {
        write(a, cycle_findings(true));
        let silence = Silence::new(
            vec![Matcher::parse("vessel=440000002").expect("matcher")],
            t(1400),
            t(3000),
            "kim",
            "escorted",
        )
        .expect("silence");
        a.put_silence(&silence).expect("silence");
        assert!(outputs::run_after_cycle(a, &key(), t(1440), &cfg()).all_ok());
        assert!(outputs::tick(a, t(1440) + Duration::seconds(30), &cfg()).all_ok());
        let state = a.dispatch_state().expect("state");
        let held: Vec<_> = state.alerts.values().filter(|al| al.held_by == vec![silence.id.clone()]).collect();
        assert_eq!(held.len(), 1);
        assert_eq!(held[0].labels.get("vessel").map(String::as_str), Some("440000002"));
        for row in a.outbox(false).expect("outbox") {
            assert!(!row.body.contains("440000002"), "a silenced alert is not notified");
        }

        // Late positions filled 440000002's gap: the re-run window no longer reports it.
        write(a, cycle_findings(false));
        let r = outputs::run_after_cycle(a, &key(), t(1500), &cfg());
        assert!(r.all_ok(), "{r:?}");
        assert!(r.stages[0].detail.ends_with("1 withdrawn, 0 reinstated"), "{}", r.stages[0].detail);
        let withdrawn = a
            .list_events(&EventFilter { status: Some(EventStatus::Withdrawn), ..EventFilter::default() })
            .expect("withdrawn");
        assert_eq!(withdrawn.len(), 1);
        assert_eq!(withdrawn[0].vessels[0].as_str(), "440000002");
        assert_eq!(a.list_events(&EventFilter::default()).expect("all").len(), 3, "nothing is deleted");
    });
}

#[test]
fn lifecycle_actions_are_stored_and_counted_in_daily_statistics() {
    with_each_backend(|a, _| {
        write(a, cycle_findings(true));
        assert!(outputs::run_after_cycle(a, &key(), t(1440), &cfg()).all_ok());
        let events = a.list_events(&EventFilter::default()).expect("events");
        let id = events[0].id.clone();
        let at = t(1450);
        outputs::event_action(a, &id, Action::Ack, "kim", "checking", None, at, &cfg()).expect("ack");
        let (e, r) = outputs::event_action(a, &id, Action::FalsePositive, "kim", "fishing ground", None, at, &cfg())
            .expect("fp");
        assert!(r.all_ok());
        assert_eq!(e.status, EventStatus::FalsePositive);
        let id2 = events[1].id.clone();
        outputs::event_action(a, &id2, Action::Ack, "lee", "", None, at, &cfg()).expect("ack");
        outputs::event_action(a, &id2, Action::Enforce, "lee", "boarded", Some("boarding"), at, &cfg())
            .expect("enforce");
        let err = outputs::event_action(a, &id2, Action::Ack, "lee", "", None, at, &cfg()).expect_err("invalid step");
        assert_eq!(err.to_string(), format!("event {id2}: cannot ack an event that is ENFORCED"));
        let daily = a.daily_stats(t(-100_000), t(100_000)).expect("daily");
        assert_eq!((daily[0].events, daily[0].false_positives, daily[0].enforcements), (3, 1, 1));
        assert_eq!(daily[0].accuracy_pct, Some(66.67));
        let monthly = a.monthly_stats(t(-100_000), t(100_000)).expect("monthly");
        assert_eq!((monthly[0].false_positives, monthly[0].enforcements), (1, 1));
        let stored = a.events_by_ids(std::slice::from_ref(&id2)).expect("event");
        assert_eq!(stored[0].history.iter().map(|h| h.to.as_str()).collect::<Vec<_>>(), ["NEW", "ACK", "ENFORCED"]);
        assert_eq!(a.event_enforcements(&id2).expect("enf")[0].action, "boarding");
    });
}

#[test]
fn a_withdrawal_days_later_recomputes_the_day_the_event_was_counted_in() {
    with_each_backend(|a, _| {
        // The pipeline runs a day after the window (a backfill): events count on that
        // day, which is neither the window's last day nor the day of the re-run below.
        write(a, cycle_findings(true));
        assert!(outputs::run_after_cycle(a, &key(), t(2 * 1440), &cfg()).all_ok());
        let day = |s: &dyn Store| s.daily_stats(t(-100_000), t(100_000)).expect("daily");
        let rows = day(a);
        assert_eq!(
            rows.iter().map(|r| (r.bucket.label.as_str(), r.events)).collect::<Vec<_>>(),
            [("2024-05-02", 0), ("2024-05-03", 3)]
        );
        // Two days later late data removes every episode of the window.
        write(a, vec![]);
        let r = outputs::run_after_cycle(a, &key(), t(4 * 1440), &cfg());
        assert!(r.all_ok(), "{r:?}");
        let rows = day(a);
        let counted: Vec<(&str, u64)> = rows.iter().map(|r| (r.bucket.label.as_str(), r.events)).collect();
        assert_eq!(
            counted,
            [("2024-05-02", 0), ("2024-05-03", 0), ("2024-05-05", 0)],
            "withdrawn events no longer count on their day"
        );
    });
}
