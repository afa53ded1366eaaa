//! The HTTP API's reads (`Queries`) on both backends: filters and keyset pages in SQL
//! give the same rows on SQLite and PostgreSQL, and paging by one gives every row once.

use chrono::{Duration, TimeZone, Utc};
use lookout_model::{Finding, NavStatus, Position, Severity, Timestamp, VesselId};
use lookout_pipeline::{Category, Event, EventStatus, HistoryEntry};
use lookout_store::testing::{pg_test_url, TestSchema};
use lookout_store::{BBox, CycleKey, CycleOutput, EventQuery, FindingQuery, PostgresStore, SqliteStore, Store};

fn t(min: i64) -> Timestamp {
    Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).single().expect("time") + Duration::minutes(min)
}

fn pos(id: &str, min: i64, lat: f64, lon: f64) -> Position {
    Position {
        vessel: VesselId::new(id),
        timestamp: t(min),
        lat,
        lon,
        sog: Some(8.0),
        cog: None,
        heading: None,
        nav_status: Some(NavStatus(0)),
    }
}

fn finding(detector: &str, id: &str, start: i64, severity: Severity) -> Finding {
    Finding {
        detector: detector.into(),
        vessel: VesselId::new(id),
        start: t(start),
        end: t(start + 60),
        score: Some(50),
        level: severity.as_str().into(),
        severity,
        breakdown: vec![],
        evidence: serde_json::json!({}),
        rule: Some(detector.into()),
        model_version: Some(1),
        params_hash: None,
    }
}

fn event(id: &str, vessels: &[&str], level: Severity, start: i64) -> Event {
    Event {
        id: id.into(),
        fingerprint: id.into(),
        key: format!("DARK_VESSEL|{}|{start}", vessels.join("+")),
        category: Category::DarkVessel,
        vessels: vessels.iter().map(|v| VesselId::new(*v)).collect(),
        level,
        status: EventStatus::New,
        score: Some(50),
        occurred_at: t(start),
        last_seen: t(start),
        occurrences: 1,
        episode_start: t(start),
        episode_end: t(start + 60),
        area: "N35E128".into(),
        labels: vec![],
        evidence: Default::default(),
        breakdown: vec![],
        windows: vec![],
        history: vec![HistoryEntry::created("test", t(start))],
    }
}

fn with_each_backend(check: impl Fn(&mut dyn Store)) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut sqlite = SqliteStore::open(&dir.path().join("queries.db")).expect("open sqlite");
    eprintln!("backend: sqlite");
    check(&mut sqlite);
    if let Some(url) = pg_test_url() {
        let schema = TestSchema::create(&url, "queries").expect("create test schema");
        let mut pg = PostgresStore::open(&schema.url()).expect("open postgres");
        eprintln!("backend: postgres (schema {})", schema.name);
        check(&mut pg);
    }
}

/// Vessel A off Korea, B off Vietnam, a report every 10 minutes for 5 hours; one cycle
/// of findings; three events (A, A+B, B).
fn fill(store: &mut dyn Store) {
    let mut positions = Vec::new();
    for m in (0..300).step_by(10) {
        positions.push(pos("A", m, 35.0 + m as f64 / 1000.0, 128.0));
        positions.push(pos("B", m, 10.0, 100.0 + m as f64 / 1000.0));
    }
    positions.sort_by(|a, b| (&a.vessel, a.timestamp).cmp(&(&b.vessel, b.timestamp)));
    store.insert_positions(&positions).expect("positions");
    let findings = vec![
        finding("gaps", "A", 0, Severity::High),
        finding("dark_suspicion", "A", 0, Severity::Critical),
        finding("gaps", "B", 100, Severity::Low),
        finding("gaps", "A", 200, Severity::Medium),
        finding("gaps", "B", 500, Severity::Low),
    ];
    let key = CycleKey { window_start: t(0), window_end: t(1440) };
    let out = CycleOutput { key, params: serde_json::json!({}), findings, stats: serde_json::json!({}) };
    store.write_cycle(&out).expect("cycle");
    store
        .save_events(&[
            event("e1", &["A"], Severity::High, 0),
            event("e2", &["A", "B"], Severity::Medium, 100),
            event("e3", &["B"], Severity::High, 200),
        ])
        .expect("events");
}

fn ids(events: &[Event]) -> Vec<&str> {
    events.iter().map(|e| e.id.as_str()).collect()
}

#[test]
fn events_filter_by_vessel_level_and_box_and_page_by_id() {
    with_each_backend(|store| {
        fill(store);
        let q = |store: &dyn Store, f: &dyn Fn(&mut EventQuery<'static>)| {
            let mut query = EventQuery { limit: 100, ..Default::default() };
            f(&mut query);
            ids(&store.queries().events_page(&query).expect("events")).join(",")
        };
        assert_eq!(q(store, &|_| {}), "e1,e2,e3");
        // Each event with its own history (read in one query for the page).
        let page = store.queries().events_page(&EventQuery { limit: 100, ..Default::default() }).expect("page");
        assert!(page.iter().all(|e| e.history == vec![HistoryEntry::created("test", e.occurred_at)]), "{page:?}");
        let mut stepped = page[1].clone();
        stepped.history.push(HistoryEntry::note(EventStatus::New, "ana", t(500), "looked".into()));
        store.save_events(&[stepped.clone()]).expect("step");
        let page = store.queries().events_page(&EventQuery { limit: 100, ..Default::default() }).expect("page");
        assert_eq!(page[1].history, stepped.history);
        assert_eq!(page[0].history.len(), 1);
        assert_eq!(q(store, &|x| x.vessel = Some("A")), "e1,e2");
        assert_eq!(q(store, &|x| x.level = Some(Severity::High)), "e1,e3");
        assert_eq!(q(store, &|x| x.after = Some("e1")), "e2,e3");
        assert_eq!(q(store, &|x| x.limit = 1), "e1");
        assert_eq!(q(store, &|x| x.from = Some(t(100))), "e2,e3");
        // Korea: A reports there during e1 and e2; B (e3) never does.
        let korea = BBox { min_lon: 127.0, min_lat: 34.0, max_lon: 129.0, max_lat: 36.0 };
        assert_eq!(q(store, &|x| x.bbox = Some(korea)), "e1,e2");
        // B's box during e3's episode (200..260) only.
        let b_late = BBox { min_lon: 100.19, min_lat: 9.0, max_lon: 101.0, max_lat: 11.0 };
        assert_eq!(q(store, &|x| x.bbox = Some(b_late)), "e3");
        // Filters combine, each present one narrowing the page.
        assert_eq!(
            q(store, &|x| {
                x.vessel = Some("A");
                x.level = Some(Severity::Medium)
            }),
            "e2"
        );
        assert_eq!(
            q(store, &|x| {
                x.level = Some(Severity::High);
                x.after = Some("e1")
            }),
            "e3"
        );
        assert_eq!(
            q(store, &|x| {
                x.vessel = Some("B");
                x.to = Some(t(200))
            }),
            "e2"
        );
        assert_eq!(q(store, &|x| x.status = Some(EventStatus::New)), "e1,e2,e3");
        assert_eq!(q(store, &|x| x.category = Some(Category::DarkVessel)), "e1,e2,e3");
        // Open only: a closed or withdrawn event is left out.
        let mut closed = page[0].clone();
        closed.status = EventStatus::Closed;
        let mut withdrawn = page[2].clone();
        withdrawn.status = EventStatus::Withdrawn;
        store.save_events(&[closed, withdrawn]).expect("close");
        assert_eq!(q(store, &|x| x.open_only = true), "e2");
        assert_eq!(
            q(store, &|x| {
                x.open_only = true;
                x.vessel = Some("A")
            }),
            "e2"
        );
        assert_eq!(q(store, &|x| x.status = Some(EventStatus::Closed)), "e1");
        // A rewrite keeps the vessel index in step.
        store.save_events(&[event("e3", &["A"], Severity::High, 200)]).expect("rewrite");
        assert_eq!(q(store, &|x| x.vessel = Some("B")), "e2");
    });
}

#[test]
fn findings_filter_and_page_by_key_both_ways() {
    with_each_backend(|store| {
        fill(store);
        let all = store.queries().findings_page(&FindingQuery { limit: 100, ..Default::default() }).expect("all");
        assert_eq!(all.len(), 5);
        // One at a time, forwards and backwards, gives every finding once.
        for newest_first in [false, true] {
            let mut q = FindingQuery { limit: 1, newest_first, ..Default::default() };
            let mut seen = Vec::new();
            loop {
                let page = store.queries().findings_page(&q).expect("page");
                let Some(last) = page.last() else { break };
                q.after = Some(last.key);
                seen.extend(page);
            }
            if newest_first {
                seen.reverse();
            }
            assert_eq!(seen, all);
        }
        let count =
            |q: FindingQuery<'_>| store.queries().findings_page(&FindingQuery { limit: 100, ..q }).expect("q").len();
        assert_eq!(count(FindingQuery { detector: Some("gaps"), ..Default::default() }), 4);
        assert_eq!(count(FindingQuery { vessel: Some("B"), ..Default::default() }), 2);
        assert_eq!(count(FindingQuery { severity: Some(Severity::Critical), ..Default::default() }), 1);
        assert_eq!(count(FindingQuery { level: Some("LOW"), ..Default::default() }), 2);
        // Overlapping [100, 200): A's 0..60 does not, B's 100..160 does, A's 200.. does not.
        assert_eq!(count(FindingQuery { from: Some(t(100)), to: Some(t(200)), ..Default::default() }), 1);
        let korea = BBox { min_lon: 127.0, min_lat: 34.0, max_lon: 129.0, max_lat: 36.0 };
        assert_eq!(count(FindingQuery { bbox: Some(korea), ..Default::default() }), 3);
        // B's finding at 500 has no report during its episode: in no box.
        let world = BBox { min_lon: -180.0, min_lat: -90.0, max_lon: 180.0, max_lat: 90.0 };
        assert_eq!(count(FindingQuery { bbox: Some(world), ..Default::default() }), 4);
    });
}

#[test]
fn finding_spans_are_a_detectors_findings_of_a_vessel_overlapping_the_range() {
    with_each_backend(|store| {
        fill(store);
        let spans = |detector: &str, from, to| {
            let spans = store.queries().finding_spans(detector, &VesselId::new("A"), t(from), t(to)).expect("spans");
            spans.iter().map(|s| ((s.start - t(0)).num_minutes(), s.level.clone(), s.score)).collect::<Vec<_>>()
        };
        assert_eq!(spans("gaps", 0, 1000), vec![(0, "HIGH".to_string(), Some(50)), (200, "MEDIUM".into(), Some(50))]);
        assert_eq!(spans("dark_suspicion", 0, 1000), vec![(0, "CRITICAL".to_string(), Some(50))]);
        // Ends included: the episode 0..60 touches a range starting at 60; 200.. one ending at 200.
        assert_eq!(spans("gaps", 60, 100), vec![(0, "HIGH".to_string(), Some(50))]);
        assert_eq!(spans("gaps", 61, 200), vec![(200, "MEDIUM".to_string(), Some(50))]);
        assert!(spans("gaps", 61, 199).is_empty());
        // In key order, with the same keys as the full findings.
        let full = store
            .queries()
            .findings_page(&FindingQuery { detector: Some("gaps"), vessel: Some("A"), limit: 10, ..Default::default() })
            .expect("findings");
        let keys: Vec<_> = full.iter().map(|f| f.key).collect();
        let span_keys: Vec<_> = store
            .queries()
            .finding_spans("gaps", &VesselId::new("A"), t(0), t(1000))
            .expect("spans")
            .iter()
            .map(|s| s.key)
            .collect();
        assert_eq!(span_keys, keys);
    });
}

#[test]
fn a_track_is_the_range_in_time_order() {
    with_each_backend(|store| {
        fill(store);
        let track = store.queries().track(&VesselId::new("A"), t(50), t(100)).expect("track");
        let minutes: Vec<i64> = track.iter().map(|p| (p.timestamp - t(0)).num_minutes()).collect();
        assert_eq!(minutes, vec![50, 60, 70, 80, 90, 100]);
        assert!(track.iter().all(|p| p.vessel.as_str() == "A"));
    });
}

#[test]
fn the_stream_log_numbers_entries_in_order_and_reads_after_a_number() {
    with_each_backend(|store| {
        let first = store
            .stream_log()
            .append_stream(
                &[("cycle".into(), serde_json::json!({"n": 1})), ("event".into(), serde_json::json!({"id": "e1"}))],
                t(0),
            )
            .expect("append");
        let second = store
            .stream_log()
            .append_stream(&[("alert".into(), serde_json::json!({"a": [1, 2]}))], t(1))
            .expect("append");
        assert!(first[0].seq < first[1].seq && first[1].seq < second[0].seq);
        let all = store.stream_log().stream_after(0, 100).expect("read");
        assert_eq!(all, [first.clone(), second.clone()].concat());
        assert_eq!(store.stream_log().stream_after(first[0].seq, 1).expect("read"), vec![first[1].clone()]);
        assert!(store.stream_log().stream_after(second[0].seq, 100).expect("read").is_empty());
        assert!(store.stream_log().append_stream(&[], t(2)).expect("nothing").is_empty());
        assert_eq!(store.stream_log().last_stream_seq().expect("last"), second[0].seq);
        // Bounded by count: the latest two stay.
        assert_eq!(store.stream_log().trim_stream(2).expect("trim"), 1);
        assert_eq!(store.stream_log().stream_after(0, 100).expect("read"), vec![first[1].clone(), second[0].clone()]);
        // Pruned by age: entries stored before t(1) go.
        let retention = lookout_store::Retention { stream_log_before: Some(t(1)), ..Default::default() };
        assert_eq!(store.prune(&retention).expect("prune").stream_log, 1);
        assert_eq!(store.stream_log().stream_after(0, 100).expect("read"), vec![second[0].clone()]);
        assert_eq!(store.stream_log().last_stream_seq().expect("last"), second[0].seq);
    });
}

#[test]
fn outbox_and_silences_page_in_sql_in_key_order() {
    use lookout_pipeline::delivery::OutboxItem;
    use lookout_pipeline::{Matcher, Silence};
    with_each_backend(|store| {
        let rows: Vec<OutboxItem> =
            (0..5).map(|i| OutboxItem::new(0, &format!("n{i}"), "log", format!("{{\"n\":{i}}}"), t(i))).collect();
        let state = store.dispatch_state().expect("state");
        store.save_dispatch(&state, &rows).expect("enqueue");
        let mut all = store.queries().outbox_page(false, None, 100).expect("all");
        assert_eq!(all.iter().map(|i| i.notification_id.as_str()).collect::<Vec<_>>(), ["n0", "n1", "n2", "n3", "n4"]);
        for i in [1, 3] {
            all[i].delivered_at = Some(t(10));
        }
        store.update_outbox(&all).expect("deliver");
        let pages = |pending: bool| {
            let (mut after, mut seen) = (None, Vec::new());
            loop {
                let page = store.queries().outbox_page(pending, after, 2).expect("page");
                assert!(page.len() <= 2);
                let Some(last) = page.last() else { break };
                after = Some(last.seq);
                seen.extend(page.into_iter().map(|i| i.notification_id));
            }
            seen.join(",")
        };
        assert_eq!(pages(false), "n0,n1,n2,n3,n4");
        assert_eq!(pages(true), "n0,n2,n4");

        let matcher = || vec![Matcher::parse("vessel=1").expect("matcher")];
        let mut ids = Vec::new();
        for (i, who) in ["kim", "lee", "park"].iter().enumerate() {
            let s = Silence::new(matcher(), t(100 - i as i64), t(200), who, "maintenance").expect("silence");
            store.put_silence(&s).expect("put");
            ids.push(s.id);
        }
        ids.sort();
        let (mut after, mut seen) = (None::<String>, Vec::new());
        loop {
            let page = store.queries().silences_page(after.as_deref(), 1).expect("page");
            let Some(last) = page.last() else { break };
            after = Some(last.id.clone());
            seen.extend(page.into_iter().map(|s| s.id));
        }
        assert_eq!(seen, ids);
    });
}
