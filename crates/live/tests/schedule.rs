//! The scheduler on an injected clock over a real SQLite store: aligned windows, late
//! cycles, catch-up bounded by the horizon, resume after a restart, and late data
//! re-analysing the windows it dirtied.

mod common;

use std::sync::mpsc::sync_channel;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use common::*;
use lookout_engine::ingest_stream::{store_batch, StreamBatch};
use lookout_engine::outputs::OutputConfig;
use lookout_engine::rules::RuleSet;
use lookout_live::batch::{run_batcher, BatchOptions, StoreSink};
use lookout_live::ingress::Chunk;
use lookout_live::schedule::{EngineCycles, LateData, Schedule, Scheduler};
use lookout_live::stats::{FeedKind, LiveStatus, SourceStats};
use lookout_live::Stop;
use lookout_model::{Position, Record};

const DMA: &str = "ais/dma_aislib_stream_example_2010-06-11.txt.gz";

fn t(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn secs(n: i64) -> Duration {
    Duration::seconds(n)
}

fn engine(db: &str, clock: &ManualClock) -> Box<EngineCycles> {
    Box::new(EngineCycles {
        store: lookout_store::open_shared(db).unwrap(),
        rules: RuleSet::builtin().unwrap(),
        lookback: Duration::zero(),
        output: OutputConfig::default(),
        clock: clock.shared(),
        actor: "test".into(),
        after: None,
        places: None,
    })
}

/// Window end → `positions` of the stored cycle statistics.
fn stored_cycles(db: &str) -> Vec<(DateTime<Utc>, u64)> {
    let store = lookout_store::open_shared(db).unwrap();
    let mut v: Vec<_> = store
        .recent_cycle_stats(1000)
        .unwrap()
        .into_iter()
        .map(|c| (c.key.window_end, c.stats["positions"].as_u64().unwrap()))
        .collect();
    v.reverse();
    v
}

fn positions() -> Vec<Position> {
    file_records(&gunzip(DMA))
        .into_iter()
        .filter_map(|r| match r {
            Record::Position(p) => Some(p),
            _ => None,
        })
        .collect()
}

#[test]
fn due_windows_are_aligned_ordered_and_bounded_by_the_horizon() {
    let s = Schedule { every: Duration::minutes(5), window: Duration::hours(24), horizon: Duration::hours(1) };
    assert_eq!(s.due(None, t("2026-01-01T10:07:00Z")).ends, vec![t("2026-01-01T10:05:00Z")]);
    let d = s.due(Some(t("2026-01-01T10:05:00Z")), t("2026-01-01T10:21:00Z"));
    assert_eq!(d.ends, vec![t("2026-01-01T10:10:00Z"), t("2026-01-01T10:15:00Z"), t("2026-01-01T10:20:00Z")]);
    assert_eq!(d.missed, 0);
    assert!(s.due(Some(t("2026-01-01T10:20:00Z")), t("2026-01-01T10:24:59Z")).ends.is_empty());
    // Three hours down: only the last hour is caught up; 24 windows are skipped.
    let d = s.due(Some(t("2026-01-01T10:00:00Z")), t("2026-01-01T13:00:00Z"));
    assert_eq!(d.ends.first(), Some(&t("2026-01-01T12:00:00Z")));
    assert_eq!(d.ends.len(), 13);
    assert_eq!(d.missed, 23);
    assert_eq!(s.align_up(t("2026-01-01T10:00:01Z")), t("2026-01-01T10:05:00Z"));
    assert_eq!(s.align_up(t("2026-01-01T10:05:00Z")), t("2026-01-01T10:05:00Z"));
    assert!(Schedule { every: Duration::zero(), ..s }.validate().is_err());
}

#[test]
fn scheduler_runs_cycles_on_an_injected_clock_and_resumes_after_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("live.db").display().to_string();
    let mut store = lookout_store::open_shared(&db).unwrap();
    store_batch(store.as_mut(), &StreamBatch { positions: positions(), statics: vec![] }).unwrap();
    drop(store);
    let clock = ManualClock::at("2010-06-11T11:46:12.500Z");
    let schedule = Schedule { every: secs(5), window: secs(10), horizon: secs(30) };
    let status = Arc::new(LiveStatus::default());
    let late = Arc::new(LateData::new(schedule, clock.shared()));
    let mut s = Scheduler::new(late, engine(&db, &clock), clock.shared(), status.clone()).unwrap();

    let r = s.tick();
    assert_eq!(r.ran, vec![t("2010-06-11T11:46:10Z")]);
    assert_eq!(r.late, 0);
    assert!(s.tick().ran.is_empty(), "nothing new within the same interval");

    clock.set("2010-06-11T11:46:27Z");
    let r = s.tick();
    assert_eq!(r.ran, vec![t("2010-06-11T11:46:15Z"), t("2010-06-11T11:46:20Z"), t("2010-06-11T11:46:25Z")]);
    assert_eq!(r.late, 2, "15 and 20 started an interval or more after their end");

    // Down for a while: the horizon (30 s) bounds the catch-up.
    clock.set("2010-06-11T11:48:00Z");
    let r = s.tick();
    assert_eq!(r.missed, 12);
    assert_eq!(r.ran.first(), Some(&t("2010-06-11T11:47:30Z")));
    assert_eq!(r.ran.last(), Some(&t("2010-06-11T11:48:00Z")));
    assert_eq!(r.ran.len(), 7);
    let snap = status.path.snapshot();
    assert_eq!((snap.cycles, snap.windows_missed), (11, 12));

    let cycles = stored_cycles(&db);
    assert_eq!(cycles.len(), 11);
    let windows: Vec<_> = cycles.iter().map(|c| c.0).collect();
    let mut sorted = windows.clone();
    sorted.sort();
    assert_eq!(windows, sorted);
    // The windows with data saw it: (11:46:10, 11:46:15] holds positions.
    assert!(cycles.iter().any(|&(end, n)| end == t("2010-06-11T11:46:15Z") && n > 0));

    // A restart resumes after the newest stored window: nothing due at the same time.
    let status = Arc::new(LiveStatus::default());
    let late = Arc::new(LateData::new(schedule, clock.shared()));
    let mut s = Scheduler::new(late, engine(&db, &clock), clock.shared(), status).unwrap();
    assert!(s.tick().ran.is_empty());
    clock.set("2010-06-11T11:48:05Z");
    assert_eq!(s.tick().ran, vec![t("2010-06-11T11:48:05Z")]);
}

#[test]
fn a_late_batch_re_analyses_the_windows_it_dirtied() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("late.db").display().to_string();
    let all = positions();
    let cut = t("2010-06-11T11:46:16Z");
    let (early, recent): (Vec<_>, Vec<_>) = all.into_iter().partition(|p| p.timestamp <= cut);
    assert!(!early.is_empty() && !recent.is_empty());
    let mut store = lookout_store::open_shared(&db).unwrap();
    store_batch(store.as_mut(), &StreamBatch { positions: recent, statics: vec![] }).unwrap();

    let clock = ManualClock::at("2010-06-11T11:46:21Z");
    let schedule = Schedule { every: secs(5), window: secs(10), horizon: Duration::hours(1) };
    let status = Arc::new(LiveStatus::default());
    let late = Arc::new(LateData::new(schedule, clock.shared()));
    let mut s = Scheduler::new(late.clone(), engine(&db, &clock), clock.shared(), status.clone()).unwrap();
    assert_eq!(s.tick().ran, vec![t("2010-06-11T11:46:20Z")]);
    let before = stored_cycles(&db);
    let at20 = before.iter().find(|c| c.0 == t("2010-06-11T11:46:20Z")).unwrap().1;
    clock.set("2010-06-11T11:46:41Z");
    assert_eq!(s.tick().ran.len(), 4);

    // The early positions arrive late, through the live batcher.
    let (tx, rx) = sync_channel(4);
    let src = Arc::new(SourceStats::new("late", FeedKind::NmeaTcp, "test"));
    let n_early = early.len() as u64;
    // Each late position dirties the first window whose end is at or after it.
    let expected: Vec<_> = early
        .iter()
        .map(|p| schedule.align_up(p.timestamp))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert!(expected.contains(&t("2010-06-11T11:46:15Z")) && expected.contains(&t("2010-06-11T11:46:20Z")));
    tx.send(Chunk { source: src, records: early.into_iter().map(|p| (1, Record::Position(p))).collect() }).unwrap();
    drop(tx);
    let mut sink = StoreSink { store };
    run_batcher(
        rx,
        &mut sink,
        BatchOptions::default(),
        clock.shared(),
        status.clone(),
        Some(late.clone()),
        Stop::default(),
    );
    assert_eq!(status.path.snapshot().positions_late, n_early);
    assert_eq!(late.dirty(), expected);

    let r = s.tick();
    assert!(r.ran.is_empty());
    assert_eq!(r.rerun, expected);
    assert!(late.dirty().is_empty());
    let after = stored_cycles(&db);
    let at20_after = after.iter().find(|c| c.0 == t("2010-06-11T11:46:20Z")).unwrap().1;
    assert!(at20_after > at20, "the re-analysed window holds the late positions ({at20} → {at20_after})");
    assert_eq!(after.iter().filter(|c| c.0 == t("2010-06-11T11:46:20Z")).count(), 1, "replaced, not duplicated");
    assert_eq!(status.path.snapshot().cycles_rerun, expected.len() as u64);
}
