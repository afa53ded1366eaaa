//! Receiver outages (`reception`) and their effect on dark scores, on generated fleets:
//! through a real SQLite store and the shipped rules, and at the detector's thresholds.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, TimeZone, Utc};
use lookout_detect::reception::{down_buckets, ReceptionDetector};
use lookout_detect::{CycleInput, DarkHistoryIndex, DarkParams, Detector, Registry, RegistryEntry, Upstream};
use lookout_engine::cycle::{run_cycle, CycleReport, CycleRequest, DARK};
use lookout_engine::exec::ResolvedRule;
use lookout_engine::models::resolve;
use lookout_engine::plan::ExecOptions;
use lookout_engine::rules::RuleSet;
use lookout_model::{Finding, NavStatus, Position, ShipType, StaticData, Track, VesselId};
use lookout_store::{SqliteStore, Store};
use serde_json::{json, Value};

const FISHER: &str = "440000999";
const FLEET: usize = 24;

fn t(min: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).single().expect("time") + Duration::minutes(min)
}

fn pos(id: &str, min: i64, lat: f64, lon: f64, sog: f64) -> Position {
    Position {
        vessel: VesselId::new(id),
        timestamp: t(min),
        lat,
        lon,
        sog: Some(sog),
        cog: Some(90.0),
        heading: Some(90.0),
        nav_status: Some(NavStatus(7)),
    }
}

fn track(id: &str, positions: Vec<Position>) -> Track {
    Track { vessel: VesselId::new(id), static_data: StaticData::default(), positions }
}

/// A vessel holding `(lat, lon)` that reports every minute from 00:00 to 12:00 except
/// during the minutes `[silent.0, silent.1)`.
fn holding(id: &str, lat: f64, lon: f64, silent: (i64, i64)) -> Track {
    let mins = (0..=720).filter(|m| *m < silent.0 || *m >= silent.1);
    track(id, mins.map(|m| pos(id, m, lat, lon, 0.5)).collect())
}

/// `n` vessels in the 0.5-degree cell 35.0-35.5N 125.0-125.5E, silent together during
/// `silent` (an empty range: never).
fn fleet(n: usize, silent: (i64, i64)) -> Vec<Track> {
    (0..n)
        .map(|k| holding(&format!("4400001{k:02}"), 35.1 + 0.01 * k as f64, 125.1 + 0.01 * k as f64, silent))
        .collect()
}

/// Ten vessels in another cell (36.0-36.5N 126.0-126.5E) that keep reporting: the rest
/// of the area.
fn elsewhere(silent: (i64, i64)) -> Vec<Track> {
    (0..10).map(|k| holding(&format!("4400002{k:02}"), 36.1 + 0.01 * k as f64, 126.1, silent)).collect()
}

/// A fishing vessel towing east at 3 kn through the fleet's cell, last heard at
/// minute `off`, heard again at minute `on`.
fn fisher(off: i64, on: i64) -> Track {
    let deg_per_min = 3.0 / 60.0 / (60.0 * 35.3f64.to_radians().cos());
    let mins = (0..=720).filter(|m| *m <= off || *m >= on);
    track(FISHER, mins.map(|m| pos(FISHER, m, 35.3, 125.05 + m as f64 * deg_per_min, 3.0)).collect())
}

fn registry() -> Registry {
    let entry = RegistryEntry { permitted: false, ship_type: Some(ShipType(30)), flag: None, name: None };
    Registry { entries: BTreeMap::from([(FISHER.to_string(), entry)]) }
}

const RULES_WITH: &str = r#"
[[rules]]
id = "gaps"
algorithm = "gaps"
[[rules]]
id = "reception"
algorithm = "reception"
weight = 0.0
[[rules]]
id = "dark_suspicion"
algorithm = "dark_suspicion"
depends_on = ["gaps"]
uses = ["reception"]
"#;

const RULES_WITHOUT: &str = r#"
[[rules]]
id = "gaps"
algorithm = "gaps"
[[rules]]
id = "dark_suspicion"
algorithm = "dark_suspicion"
depends_on = ["gaps"]
"#;

/// One cycle (window 24 h ending 12:00) over `tracks` in a fresh SQLite store.
fn cycle(tracks: &[Track], rules_text: Option<&str>) -> CycleReport {
    let mut store = SqliteStore::open_in_memory().expect("store");
    let positions: Vec<Position> = tracks.iter().flat_map(|t| t.positions.clone()).collect();
    store.insert_positions(&positions).expect("insert");
    let set = match rules_text {
        Some(text) => RuleSet::parse(text).expect("rules"),
        None => RuleSet::builtin().expect("rules"),
    };
    let rules: Vec<ResolvedRule> = resolve(&set, &store, &BTreeMap::new(), None).expect("resolve");
    let reg = registry();
    let req = CycleRequest {
        at: t(720),
        window: Duration::days(1),
        lookback: Duration::days(1),
        rules: &rules,
        exec: ExecOptions::default(),
        registry: Some(&reg),
        zones: None,
        places: None,
    };
    run_cycle(&mut store, &req).expect("cycle")
}

fn of<'a>(r: &'a CycleReport, detector: &str, vessel: &str) -> Vec<&'a Finding> {
    r.findings.iter().filter(|f| f.detector == detector && f.vessel.as_str() == vessel).collect()
}

fn patterns(f: &Finding) -> Vec<&str> {
    f.breakdown.iter().map(|b| b.pattern.as_str()).collect()
}

fn outage_scenario(fisher_off: i64, fisher_on: i64) -> Vec<Track> {
    let mut tracks = fleet(FLEET, (240, 420));
    tracks.extend(elsewhere((0, 0)));
    tracks.push(fisher(fisher_off, fisher_on));
    tracks
}

#[test]
fn an_outage_lowers_the_dark_score_of_a_gap_inside_it_by_exactly_the_param() {
    // The fleet's cell goes silent 04:00-07:00; the fishing vessel's gap is 03:58-07:01.
    let tracks = outage_scenario(238, 421);
    let with = cycle(&tracks, Some(RULES_WITH));
    let without = cycle(&tracks, Some(RULES_WITHOUT));

    let outages: Vec<&Finding> = with.findings.iter().filter(|f| f.detector == "reception").collect();
    assert_eq!(outages.len(), 1, "{outages:#?}");
    let o = outages[0];
    assert_eq!(o.vessel.as_str(), "area:0.5:N35.00E125.00");
    assert_eq!((o.start, o.end), (t(240), t(420)));
    assert_eq!((o.level.as_str(), o.severity, o.score), ("OUTAGE", lookout_model::Severity::None, None));
    let e = &o.evidence;
    assert_eq!(
        e["cell"],
        json!({"i": 70, "j": 250, "cell_deg": 0.5, "lat_min": 35.0, "lat_max": 35.5, "lon_min": 125.0, "lon_max": 125.5})
    );
    // 25 vessels x 30 reports per 30 minutes before; nothing during.
    assert_eq!(e["baseline_reports_per_bucket"], json!(750.0));
    assert_eq!(e["observed_reports_per_bucket"], json!(0.0));
    assert_eq!(e["drop_pct"], json!(100.0));
    assert_eq!(e["duration_min"], json!(180));
    assert_eq!((e["reference_vessels"].as_u64(), e["silent_count"].as_u64()), (Some(25), Some(25)));
    assert_eq!(e["silent_vessels"][0], json!("440000100"));
    assert_eq!(e["rest_observed_reports_per_bucket"], json!(300.0));
    assert_eq!(e["ongoing"], json!(false));

    let d_with = of(&with, DARK, FISHER);
    let d_without = of(&without, DARK, FISHER);
    assert_eq!((d_with.len(), d_without.len()), (1, 1));
    // slow_moving 15 + daytime fishing 15 + unpermitted 10 + long gap 10 + fishing 10.
    assert_eq!(d_without[0].score, Some(60));
    assert_eq!(d_without[0].level, "HIGH");
    let w = DarkParams::default().weights.reception_outage;
    assert_eq!(w, -20);
    assert_eq!(d_with[0].score, Some(60 + w));
    assert_eq!(d_with[0].level, "WATCH");
    assert_eq!(
        patterns(d_with[0]),
        [
            "slow_moving_at_off",
            "daytime_fishing_off",
            "unpermitted",
            "long_gap",
            "fishing_vessel_dark",
            "reception_outage"
        ]
    );
    let item = d_with[0].breakdown.last().expect("item");
    assert_eq!((item.code.as_str(), item.points), ("RCV", -20));
    assert!(item.description_en.contains("cell 35.00N~35.50N 125.00E~125.50E"), "{}", item.description_en);
    assert!(item.description_en.contains("fell from 750 to 0 (-100%)"), "{}", item.description_en);
    assert!(item.description_en.contains("25 of the 25 vessels"), "{}", item.description_en);
    assert!(
        item.description_ko.contains("수신기 장애") && item.description_ko.contains("750건 → 0건"),
        "{}",
        item.description_ko
    );
    assert_eq!(d_with[0].evidence["reception_outage"]["area"], json!("area:0.5:N35.00E125.00"));
    assert_eq!(d_with[0].evidence["raw_score"], json!(40));
    // Everything but the pattern is the score without the rule.
    assert_eq!(d_with[0].breakdown[..5], d_without[0].breakdown[..]);
    assert_eq!(d_with[0].evidence["gap_info"], d_without[0].evidence["gap_info"]);
}

#[test]
fn the_same_gap_with_the_fleet_still_reporting_is_scored_as_before() {
    let mut tracks = fleet(FLEET, (0, 0));
    tracks.extend(elsewhere((0, 0)));
    tracks.push(fisher(238, 421));
    let with = cycle(&tracks, Some(RULES_WITH));
    let without = cycle(&tracks, Some(RULES_WITHOUT));
    assert!(with.findings.iter().all(|f| f.detector != "reception"), "one vessel's silence is no outage");
    let (a, b) = (of(&with, DARK, FISHER), of(&without, DARK, FISHER));
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].score, Some(60));
    assert_eq!(a[0].breakdown, b[0].breakdown);
    assert_eq!(a[0].evidence, b[0].evidence);
}

#[test]
fn a_gap_that_began_well_before_the_outage_or_outlasts_it_is_not_explained() {
    // Silent from 03:20 (40 min before the outage, more than one bucket) to 07:01.
    let early = cycle(&outage_scenario(200, 421), Some(RULES_WITH));
    let d = of(&early, DARK, FISHER);
    assert!(!patterns(d[0]).contains(&"reception_outage"), "{:?}", patterns(d[0]));
    // Silent 03:58 to 07:40: still silent 40 min after the receiver came back.
    let late = cycle(&outage_scenario(238, 460), Some(RULES_WITH));
    let d = of(&late, DARK, FISHER);
    assert!(!patterns(d[0]).contains(&"reception_outage"), "{:?}", patterns(d[0]));
    // Heard again 07:29, within one bucket of the end: explained.
    let edge = cycle(&outage_scenario(238, 449), Some(RULES_WITH));
    assert!(patterns(of(&edge, DARK, FISHER)[0]).contains(&"reception_outage"));
}

#[test]
fn the_shipped_rules_run_reception_and_keep_areas_out_of_composites_and_events() {
    let report = cycle(&outage_scenario(238, 421), None);
    let rx: Vec<&Finding> = report.findings.iter().filter(|f| f.detector == "reception").collect();
    assert_eq!(rx.len(), 1);
    assert!(patterns(of(&report, DARK, FISHER)[0]).contains(&"reception_outage"));
    // No composite for the area; the fisher's composite exists and names no area.
    assert!(report
        .findings
        .iter()
        .filter(|f| f.detector == "composite")
        .all(|f| !f.vessel.as_str().starts_with("area:")));
    assert_eq!(of(&report, "composite", FISHER).len(), 1);
    let tz: chrono_tz::Tz = "Asia/Seoul".parse().expect("tz");
    let rules = lookout_pipeline::event::EventRules::default();
    assert!(rx.iter().all(|f| lookout_pipeline::event::candidate(f, &rules, &tz).is_none()));
    // Severity NONE: the statistics' detections (vessels with something to report) hold no area.
    let window = lookout_pipeline::CycleWindow { start: report.key.window_start, end: report.key.window_end };
    let detections = lookout_pipeline::stats::detections(window, &report.findings);
    assert!(!detections.is_empty());
    assert!(detections.iter().all(|d| !d.vessel.as_str().starts_with("area:")));
    // Run twice: identical findings (determinism through the engine and the store).
    let again = cycle(&outage_scenario(238, 421), None);
    assert_eq!(serde_json::to_string(&report.findings).ok(), serde_json::to_string(&again.findings).ok());
}

// ------------------------------------------------------------- detector thresholds

fn run(tracks: &[Track], over: Value, now_min: i64) -> Vec<Finding> {
    let d = ReceptionDetector;
    let params = d.merge_params(&d.default_params(), &over).expect("params");
    let history = DarkHistoryIndex::default();
    let input = CycleInput {
        window_start: t(now_min) - Duration::days(1),
        window_end: t(now_min),
        tracks,
        registry: None,
        dark_history: &history,
        identities: lookout_detect::IdentityHistory::empty(),
        zones: None,
        segmentation: None,
        observation: None,
        places: None,
    };
    d.run(&input, &params, &Upstream::default()).expect("runs")
}

fn with_rest(mut tracks: Vec<Track>) -> Vec<Track> {
    tracks.extend(elsewhere((0, 0)));
    tracks
}

#[test]
fn min_duration_edge() {
    // 60 minutes of silence = two 30-minute buckets = the default minimum.
    let hour = with_rest(fleet(FLEET, (240, 300)));
    let found = run(&hour, Value::Null, 720);
    assert_eq!(found.len(), 1);
    assert_eq!((found[0].start, found[0].end), (t(240), t(300)));
    assert_eq!(run(&hour, json!({"min_duration_min": 61}), 720).len(), 0);
    // 30 minutes: one bucket, too short.
    assert_eq!(run(&with_rest(fleet(FLEET, (240, 270))), Value::Null, 720).len(), 0);
}

#[test]
fn min_traffic_and_min_vessels_edges() {
    // 5 vessels x 30 reports: a baseline of exactly 150 reports per bucket (the rest of
    // the area, 300, must carry the minimum too).
    let tracks = with_rest(fleet(5, (240, 420)));
    let found = run(&tracks, json!({"min_baseline_reports": 150.0}), 720);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].evidence["baseline_reports_per_bucket"], json!(150.0));
    assert_eq!(run(&tracks, json!({"min_baseline_reports": 150.5}), 720).len(), 0);
    // Three vessels silent together is an outage (the default minimum); two is not, and
    // one never is, though each reports enough (30 per bucket) to be judged.
    assert_eq!(run(&with_rest(fleet(3, (240, 420))), Value::Null, 720).len(), 1);
    assert_eq!(run(&with_rest(fleet(2, (240, 420))), Value::Null, 720).len(), 0);
    assert_eq!(run(&with_rest(fleet(1, (240, 420))), Value::Null, 720).len(), 0);
}

#[test]
fn a_whole_feed_stopping_or_a_fleet_moving_on_is_no_outage() {
    // Everything stops: the rest of the area is silent too (a feed or ingest problem).
    let mut all = fleet(FLEET, (240, 420));
    all.extend(elsewhere((240, 420)));
    assert_eq!(run(&all, Value::Null, 720).len(), 0);
    // The fleet sails into the next cell at 04:00 and keeps reporting there.
    let mut moved = fleet(FLEET, (0, 0));
    for tr in &mut moved {
        for p in tr.positions.iter_mut().filter(|p| p.timestamp >= t(240)) {
            p.lon += 0.5;
        }
    }
    assert_eq!(run(&with_rest(moved), Value::Null, 720).len(), 0);
    // Without the rest of the area nothing can be judged.
    assert_eq!(run(&fleet(FLEET, (240, 420)), Value::Null, 720).len(), 0);
}

#[test]
fn no_look_ahead_and_ongoing_outages() {
    let mut tracks = with_rest(fleet(FLEET, (240, 420)));
    tracks.push(fisher(238, 421));
    let params = ReceptionDetector.default_params();
    let full = down_buckets(&tracks, &params, t(720)).expect("down");
    assert_eq!(full.len(), 6, "{full:?}");
    // Cut the data at every 10 minutes: the verdicts of the buckets complete by then are
    // exactly those the full data gives; later data never changes an earlier verdict.
    for cut in (0..=720).step_by(10) {
        let cut_tracks: Vec<Track> = tracks
            .iter()
            .map(|tr| Track {
                positions: tr.positions.iter().filter(|p| p.timestamp <= t(cut)).cloned().collect(),
                ..tr.clone()
            })
            .collect();
        let early = down_buckets(&cut_tracks, &params, t(cut)).expect("down");
        let expected: Vec<_> = full.iter().filter(|(_, b)| *b + Duration::minutes(30) <= t(cut)).cloned().collect();
        assert_eq!(early, expected, "cut at minute {cut}");
        // Giving the later data too, with the same "now", changes nothing either.
        assert_eq!(down_buckets(&tracks, &params, t(cut)).expect("down"), expected, "cut {cut}");
    }
    // At 05:10 the outage is an hour old and still on.
    let live = run(&tracks, Value::Null, 310);
    assert_eq!(live.len(), 1);
    assert_eq!((live[0].start, live[0].end, live[0].evidence["ongoing"].clone()), (t(240), t(300), json!(true)));
}

#[test]
fn deterministic_whatever_the_track_order() {
    let mut tracks = with_rest(fleet(FLEET, (240, 420)));
    tracks.push(fisher(238, 421));
    let a = run(&tracks, Value::Null, 720);
    tracks.reverse();
    let b = run(&tracks, Value::Null, 720);
    assert_eq!(a.len(), 1);
    assert_eq!(serde_json::to_string(&a).ok(), serde_json::to_string(&b).ok());
}
