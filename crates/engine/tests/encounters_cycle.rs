//! Transshipment, pair trawl and gear through the shipped rules on a real SQLite store:
//! findings with partner and code, the funnel in the cycle statistics, the composite
//! listing the rules, and the events they raise.

use chrono::{DateTime, Duration, TimeZone, Utc};
use lookout_detect::parse_registry;
use lookout_engine::cycle::{run_cycle, CycleRequest};
use lookout_engine::models::resolve;
use lookout_engine::plan::ExecOptions;
use lookout_engine::rules::RuleSet;
use lookout_model::{NavStatus, Position, VesselId};
use lookout_pipeline::event::{candidate, Category, EventRules};
use lookout_store::{SqliteStore, Store};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).single().expect("time")
}

/// `id` at `(lat, lon)` moving east at `sog` knots for `hours`, reporting every 5 min.
fn track(id: &str, lat: f64, lon: f64, sog: f64, hours: i64) -> Vec<Position> {
    let deg_per_min = (sog * 1852.0 / 60.0 / (6_371_008.8 * lat.to_radians().cos())).to_degrees();
    (0..=hours * 60)
        .step_by(5)
        .map(|m| Position {
            vessel: VesselId::new(id),
            timestamp: t0() + Duration::minutes(m),
            lat,
            lon: lon + deg_per_min * m as f64,
            sog: Some(sog),
            cog: Some(90.0),
            heading: Some(90.0),
            nav_status: Some(NavStatus(0)),
        })
        .collect()
}

#[test]
fn shipped_rules_find_a_transshipment_and_a_pair_trawl_with_funnel_and_events() {
    let mut store = SqliteStore::open_in_memory().expect("store");
    let mut positions = Vec::new();
    positions.extend(track("440000010", 36.0, 126.0, 0.5, 5)); // reefer
    positions.extend(track("440000011", 36.0018, 126.0, 0.5, 5)); // fishing, 200 m north
    positions.extend(track("440000020", 35.5, 127.0, 3.0, 3)); // pair trawlers, 400 m apart
    positions.extend(track("440000021", 35.5036, 127.0, 3.0, 3));
    store.insert_positions(&positions).expect("insert");
    let registry = parse_registry(
        "mmsi,permitted,ship_kind\n440000010,no,77\n440000011,no,30\n440000020,yes,30\n440000021,yes,30\n",
    )
    .expect("registry");
    let rules = resolve(&RuleSet::builtin().expect("rules"), &store, &Default::default(), None).expect("resolve");
    let req = CycleRequest {
        at: t0() + Duration::days(1),
        window: Duration::days(1),
        lookback: Duration::days(1),
        rules: &rules,
        exec: ExecOptions::default(),
        registry: Some(&registry),
        zones: None,
        places: None,
    };
    let report = run_cycle(&mut store, &req).expect("cycle");

    // The funnel is in the rule's statistics.
    let ts = report.rules.iter().find(|r| r.rule == "transshipment").expect("rule");
    let funnel = &ts.stats["funnel"];
    let stages: Vec<Option<u64>> =
        ["type_pairs", "proximity", "slow", "duration", "location"].iter().map(|k| funnel[*k].as_u64()).collect();
    // One reefer × three fishing vessels; one pair meets.
    assert_eq!(stages, [Some(3), Some(1), Some(1), Some(1), Some(1)]);
    let pt = report.rules.iter().find(|r| r.rule == "pair_trawl").expect("rule");
    assert_eq!(pt.stats["funnel"]["duration"], 1);

    // Two findings per encounter, partners named; 5 h: 50 + 10 (long) + 10 (unpermitted).
    let tr: Vec<_> = report.findings.iter().filter(|f| f.detector == "transshipment").collect();
    assert_eq!(tr.len(), 2);
    assert_eq!((tr[0].vessel.as_str(), tr[0].evidence["partner"].as_str()), ("440000010", Some("440000011")));
    assert_eq!((tr[0].score, tr[0].level.as_str()), (Some(70), "CRITICAL"));
    let pairs: Vec<_> = report.findings.iter().filter(|f| f.detector == "pair_trawl").collect();
    assert_eq!(pairs.len(), 2);
    assert_eq!((pairs[0].score, pairs[0].evidence["duration_min"].as_i64()), (Some(55), Some(180)));

    // The composite lists each rule's score for the vessel.
    let comp = report
        .findings
        .iter()
        .find(|f| f.detector == "composite" && f.vessel.as_str() == "440000011")
        .expect("composite");
    let part = comp.evidence["rules"]
        .as_array()
        .and_then(|rs| rs.iter().find(|r| r["rule"] == "transshipment"))
        .expect("transshipment part");
    assert_eq!(part["score"], 70);
    // With the shipped weights (transshipment 0.9) and no other rule scoring this
    // vessel, the risk is what the encounter alone gives: 0.9 × 70 = 63, HIGH; the
    // rules that found nothing leave it unchanged.
    let others: Vec<&serde_json::Value> = comp.evidence["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .filter(|r| r["rule"] != "transshipment" && r["score"].as_i64() != Some(0))
        .collect();
    assert!(others.is_empty(), "{others:?}");
    assert_eq!((comp.score, comp.level.as_str()), (Some(63), "HIGH"));
    let listed: i64 = comp.breakdown.iter().map(|b| b.points).sum();
    assert_eq!(Some(listed), comp.score, "contributions add up to the risk");

    // Both raise events: one TRANSSHIPMENT and one PAIR_TRAWL per pair.
    let tz: chrono_tz::Tz = "Asia/Seoul".parse().expect("tz");
    let cats: Vec<(Category, String)> = report
        .findings
        .iter()
        .filter_map(|f| candidate(f, &EventRules::default(), &tz))
        .filter(|c| matches!(c.category, Category::Transshipment | Category::PairTrawl))
        .map(|c| (c.category, c.vessels.iter().map(|v| v.as_str()).collect::<Vec<_>>().join("+")))
        .collect();
    assert!(cats.contains(&(Category::Transshipment, "440000010+440000011".into())), "{cats:?}");
    assert!(cats.contains(&(Category::PairTrawl, "440000020+440000021".into())), "{cats:?}");

    // The stored cycle statistics hold the funnel too.
    let stored = store.recent_cycle_stats(1).expect("stats");
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].stats["rules"]["transshipment"]["stats"]["funnel"]["location"], 1);
}
