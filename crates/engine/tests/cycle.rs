//! Analysis cycles over a real SQLite store: windows, history, idempotence.

use chrono::{DateTime, Duration, TimeZone, Utc};
use lookout_detect::DarkParams;
use lookout_engine::cycle::{run_cycle, CycleRequest, DARK, GAPS};
use lookout_engine::exec::ResolvedRule;
use lookout_engine::models::resolve;
use lookout_engine::plan::ExecOptions;
use lookout_engine::rules::RuleSet;
use lookout_model::{NavStatus, Position, VesselId};
use lookout_store::{SqliteStore, Store};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).single().expect("time")
}

/// A vessel inside the default coverage box reporting every 10 minutes at 8 kn
/// eastwards, silent from 01:00 to 03:00 UTC every day, and a moored vessel nearby that
/// keeps reporting (so the silences happen in an observed area, not in a hole in the data).
fn daily_dark_track(days: i64) -> Vec<Position> {
    let mut out: Vec<Position> = (0..days * 144 + 1)
        .map(|k| Position {
            vessel: VesselId::new("440000009"),
            timestamp: t0() + Duration::minutes(k * 10),
            lat: 35.2,
            lon: 125.2,
            sog: Some(0.0),
            cog: None,
            heading: None,
            nav_status: Some(NavStatus(5)),
        })
        .collect();
    for minute in (0..days * 1440).step_by(10) {
        let of_day = minute % 1440;
        if of_day > 60 && of_day < 180 {
            continue;
        }
        out.push(Position {
            vessel: VesselId::new("440000001"),
            timestamp: t0() + Duration::minutes(minute),
            lat: 35.0,
            lon: 125.0 + (minute % 1440) as f64 * 0.0001,
            sog: Some(8.0),
            cog: Some(90.0),
            heading: Some(90.0),
            nav_status: Some(NavStatus(0)),
        });
    }
    out
}

/// The shipped rules with `params` as the dark model (the engine now takes resolved
/// rules instead of one params struct).
fn rules(store: &dyn Store, params: &DarkParams) -> Vec<ResolvedRule> {
    let over = std::collections::BTreeMap::from([(DARK.to_string(), serde_json::to_value(params).expect("json"))]);
    resolve(&RuleSet::builtin().expect("rules"), store, &over, None).expect("resolve")
}

fn request(at: DateTime<Utc>, rules: &[ResolvedRule]) -> CycleRequest<'_> {
    CycleRequest {
        at,
        window: Duration::days(1),
        lookback: Duration::days(1),
        rules,
        exec: ExecOptions::default(),
        registry: None,
        zones: None,
        places: None,
    }
}

#[test]
fn daily_cycles_build_history_and_reruns_are_identical() {
    let mut store = SqliteStore::open_in_memory().expect("store");
    store.insert_positions(&daily_dark_track(5)).expect("insert");
    let params = rules(&store, &DarkParams::default());
    let mut scores = Vec::new();
    for day in 1..=5 {
        let report = run_cycle(&mut store, &request(t0() + Duration::days(day), &params)).expect("cycle");
        let gaps: Vec<_> = report.findings.iter().filter(|f| f.detector == GAPS).collect();
        assert_eq!(gaps.len(), 1, "day {day}: one 2 h gap ends inside the window");
        let dark: Vec<_> = report.findings.iter().filter(|f| f.detector == DARK).collect();
        assert_eq!(dark.len(), 1, "day {day}");
        let patterns: Vec<&str> = dark[0].breakdown.iter().map(|b| b.pattern.as_str()).collect();
        scores.push((dark[0].score, patterns.join(",")));
    }
    // Day 1: no history. Day 2: the previous episode started exactly 24 h earlier, which
    // counts as "within 24 h" (inclusive) but is only one dark day. Day 3: two dark
    // days → repeat_low. Day 4 on: three or more → repeat_high.
    let base = "moving_at_off,unpermitted,underway_deliberate_off";
    assert_eq!(scores[0], (Some(55), base.to_string()));
    assert_eq!(scores[1], (Some(65), "moving_at_off,recent_dark,unpermitted,underway_deliberate_off".to_string()));
    assert_eq!(
        scores[2],
        (Some(80), "moving_at_off,repeat_low,recent_dark,unpermitted,underway_deliberate_off".to_string())
    );
    assert_eq!(
        scores[3],
        (Some(95), "moving_at_off,repeat_high,recent_dark,unpermitted,underway_deliberate_off".to_string())
    );
    assert_eq!(scores[4], scores[3]);

    // Re-running an old window gives the same findings: later cycles do not leak into it.
    let key_day3 = request(t0() + Duration::days(3), &params).key();
    let before = store.cycle_findings(&key_day3).expect("rows");
    run_cycle(&mut store, &request(t0() + Duration::days(3), &params)).expect("rerun");
    assert_eq!(store.cycle_findings(&key_day3).expect("rows"), before);
}

#[test]
fn a_gap_is_reported_by_the_window_holding_its_end_only() {
    let mut store = SqliteStore::open_in_memory().expect("store");
    store.insert_positions(&daily_dark_track(2)).expect("insert");
    let params = rules(&store, &DarkParams::default());
    // Window (03:00, 04:00] on day 0 holds the end of the 01:00–03:00 gap: 03:00 is excluded.
    let mut req = request(t0() + Duration::hours(4), &params);
    req.window = Duration::hours(1);
    let report = run_cycle(&mut store, &req).expect("cycle");
    assert!(report.findings.is_empty(), "the gap ended at the window start, not inside it");
    req.at = t0() + Duration::hours(3);
    let report = run_cycle(&mut store, &req).expect("cycle");
    assert_eq!(report.findings.iter().filter(|f| f.detector == GAPS).count(), 1);
}

#[test]
fn registry_permits_and_ship_kinds_change_the_score() {
    let mut store = SqliteStore::open_in_memory().expect("store");
    store.insert_positions(&daily_dark_track(1)).expect("insert");
    let params = rules(&store, &DarkParams::default());
    let registry =
        lookout_detect::parse_registry("mmsi,permitted,ship_kind\n440000001,true,000023\n").expect("registry");
    let mut req = request(t0() + Duration::days(1), &params);
    req.registry = Some(&registry);
    let report = run_cycle(&mut store, &req).expect("cycle");
    let dark = report.findings.iter().find(|f| f.detector == DARK).expect("dark");
    let patterns: Vec<&str> = dark.breakdown.iter().map(|b| b.pattern.as_str()).collect();
    assert_eq!(patterns, ["moving_at_off", "cargo_natural_gap", "underway_deliberate_off"]);
    assert_eq!(dark.score, Some(35));
}
