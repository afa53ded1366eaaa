//! The rule engine over a real SQLite store: determinism across modes and thread
//! counts, isolation of failing and panicking rules, the composite score, provenance.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, TimeZone, Utc};
use lookout_detect::{CycleInput, DetectError, Detector, EntityType, ParamsError, Upstream};
use lookout_engine::cycle::{analyse, run_cycle, CycleRequest, DARK, GAPS};
use lookout_engine::exec::{ResolvedRule, RuleStatus};
use lookout_engine::models::resolve;
use lookout_engine::plan::{ExecOptions, Mode, Plan};
use lookout_engine::rules::RuleSet;
use lookout_model::{Finding, NavStatus, Position, VesselId};
use lookout_store::{SqliteStore, Store};
use serde_json::{json, Value};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).single().expect("time")
}

/// Three vessels inside the default coverage box, each silent for a different time
/// every day (2 h, 4 h, 7 h), so the gap levels and dark tiers differ, and a moored
/// vessel nearby that keeps reporting (the silences fall in an observed area).
fn fleet(days: i64) -> Vec<Position> {
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
    for (n, silent_min) in [(1, 120), (2, 240), (3, 420)] {
        for minute in (0..days * 1440).step_by(10) {
            let of_day = minute % 1440;
            if of_day > 60 && of_day < 60 + silent_min {
                continue;
            }
            out.push(Position {
                vessel: VesselId::new(format!("44000000{n}")),
                timestamp: t0() + Duration::minutes(minute),
                lat: 35.0 + n as f64 * 0.1,
                lon: 125.0 + of_day as f64 * 0.0001,
                sog: Some(8.0),
                cog: Some(90.0),
                heading: Some(90.0),
                nav_status: Some(NavStatus(0)),
            });
        }
    }
    out
}

/// Two rules per stage so that parallel modes really run rules side by side.
const WIDE_RULES: &str = r#"
[[rules]]
id = "gaps"
algorithm = "gaps"
weight = 0.3

[[rules]]
id = "gaps_long"
algorithm = "gaps"
params = { suspicious_sec = 9000 }
weight = 0.1

[[rules]]
id = "dark"
algorithm = "dark_suspicion"
weight = 0.6
depends_on = ["gaps"]

[[rules]]
id = "dark_strict"
algorithm = "dark_suspicion"
params = { tier_thresholds = { critical = 90, high = 70, watch = 50 }, weights = { out_of_coverage = -30 } }
weight = 0.2
depends_on = ["gaps", "gaps_long"]
"#;

fn request(at: DateTime<Utc>, rules: &[ResolvedRule], exec: ExecOptions) -> CycleRequest<'_> {
    CycleRequest {
        at,
        window: Duration::days(1),
        lookback: Duration::days(1),
        rules,
        exec,
        registry: None,
        zones: None,
        places: None,
    }
}

/// The shipped rules of the dark model only (gaps, dark_suspicion): these tests pin
/// its numbers, which other detectors' rules would dilute in the composite.
fn dark_rules() -> RuleSet {
    let mut set = RuleSet::builtin().expect("rules");
    set.rules.retain(|r| r.id == "gaps" || r.id == "dark_suspicion");
    set
}

fn store_with_history() -> SqliteStore {
    let mut store = SqliteStore::open_in_memory().expect("store");
    store.insert_positions(&fleet(4)).expect("insert");
    let rules = resolve(&dark_rules(), &store, &BTreeMap::new(), None).expect("resolve");
    // Two earlier cycles give the dark model a history to read.
    for day in 1..=2 {
        run_cycle(&mut store, &request(t0() + Duration::days(day), &rules, ExecOptions::default())).expect("cycle");
    }
    store
}

fn bytes(findings: &[Finding]) -> String {
    serde_json::to_string(findings).expect("json")
}

#[test]
fn findings_are_identical_in_every_mode_and_thread_count() {
    let store = store_with_history();
    let set = RuleSet::parse(WIDE_RULES).expect("rules");
    let rules = resolve(&set, &store, &BTreeMap::new(), None).expect("resolve");
    let at = t0() + Duration::days(3);
    let reference = analyse(&store, &request(at, &rules, ExecOptions { mode: Mode::Sequential, concurrency: 1 }))
        .expect("sequential");
    assert!(reference.findings.iter().any(|f| f.rule.as_deref() == Some("dark_strict")), "every rule contributes");
    assert_eq!(reference.rules.iter().filter(|r| r.status == RuleStatus::Ok).count(), 4);
    let expected = bytes(&reference.findings);
    for mode in [Mode::Sequential, Mode::Parallel, Mode::Hybrid] {
        for concurrency in [1, 2, 4] {
            for _ in 0..3 {
                let got = analyse(&store, &request(at, &rules, ExecOptions { mode, concurrency })).expect("run");
                assert_eq!(bytes(&got.findings), expected, "{mode:?} with {concurrency} threads");
            }
        }
    }
}

#[test]
fn plan_groups_rules_into_stages_by_level() {
    let set = RuleSet::parse(WIDE_RULES).expect("rules");
    let plan = Plan::new(&set, ExecOptions { mode: Mode::Hybrid, concurrency: 4 });
    let stages: Vec<(usize, Vec<usize>, bool)> =
        plan.stages.iter().map(|s| (s.level, s.rules.clone(), s.parallel)).collect();
    assert_eq!(stages, vec![(0, vec![0, 1], true), (1, vec![2, 3], true)]);
    let seq = Plan::new(&set, ExecOptions { mode: Mode::Sequential, concurrency: 4 });
    assert!(seq.stages.iter().all(|s| !s.parallel));
    let lines = Plan::new(&dark_rules(), ExecOptions::default()).render(&dark_rules());
    assert_eq!(lines[0], "plan: 2 rules in 2 stages, mode hybrid, concurrency 2");
    assert_eq!(lines[1], "stage 1 (level 0): 1 rule, sequential");
    assert!(lines[4].contains("dark_suspicion@active") && lines[4].contains("depends on gaps"), "{lines:?}");
}

/// A detector that panics: a programming error in one rule.
struct Panics;
/// A detector that fails cleanly.
struct Fails;

macro_rules! test_detector {
    ($t:ty, $code:literal, $run:expr) => {
        impl Detector for $t {
            fn about(&self) -> &'static lookout_detect::About {
                const TEXT: lookout_detect::Text = lookout_detect::Text { ko: $code, en: $code };
                const ABOUT: lookout_detect::About =
                    lookout_detect::About { code: $code, name: TEXT, description: TEXT, entity: EntityType::Vessel };
                &ABOUT
            }
            fn default_params(&self) -> Value {
                json!({})
            }
            fn merge_params(&self, base: &Value, _over: &Value) -> Result<Value, ParamsError> {
                Ok(base.clone())
            }
            fn run(&self, _: &CycleInput<'_>, _: &Value, _: &Upstream<'_>) -> Result<Vec<Finding>, DetectError> {
                $run
            }
        }
    };
}
test_detector!(Panics, "panics", panic!("index out of bounds in a buggy detector"));
test_detector!(Fails, "fails", Err(DetectError::Failed("the input is not what I expected".into())));
static PANICS: Panics = Panics;
static FAILS: Fails = Fails;

fn extra(id: &str, detector: &'static dyn Detector, depends_on: Vec<usize>) -> ResolvedRule {
    ResolvedRule {
        id: id.into(),
        detector,
        params: json!({}),
        weight: 1.0,
        depends_on,
        uses: vec![],
        model: detector.code().into(),
        model_version: 1,
        params_hash: lookout_detect::params_hash(&json!({})),
        overridden: false,
    }
}

#[test]
fn a_failing_optional_input_leaves_its_user_running_without_it() {
    let store = store_with_history();
    let base = resolve(&dark_rules(), &store, &BTreeMap::new(), None).expect("resolve");
    let at = t0() + Duration::days(3);
    let healthy = analyse(&store, &request(at, &base, ExecOptions::default())).expect("healthy");
    let mut rules = base.clone();
    rules.push(extra("boom", &PANICS, vec![]));
    rules[1].uses = vec![2];
    for mode in [Mode::Sequential, Mode::Parallel, Mode::Hybrid] {
        let report = analyse(&store, &request(at, &rules, ExecOptions { mode, concurrency: 2 })).expect("cycle runs");
        let dark = report.rules.iter().find(|r| r.rule == "dark_suspicion").expect("dark rule");
        assert_eq!(dark.status, RuleStatus::Ok, "{mode:?}");
        assert_eq!(dark.stats["missing_inputs"], json!(["boom"]), "{mode:?}");
        let of = |fs: &[Finding]| bytes(&fs.iter().filter(|f| f.detector == DARK).cloned().collect::<Vec<_>>());
        assert_eq!(of(&report.findings), of(&healthy.findings), "{mode:?}");
        assert!(!of(&healthy.findings).is_empty());
    }
    // With the input healthy, nothing is noted.
    let dark = healthy.rules.iter().find(|r| r.rule == "dark_suspicion").expect("dark rule");
    assert!(dark.stats.get("missing_inputs").is_none(), "{:?}", dark.stats);
}

#[test]
fn a_failing_or_panicking_rule_never_aborts_the_cycle() {
    let store = store_with_history();
    let base = resolve(&dark_rules(), &store, &BTreeMap::new(), None).expect("resolve");
    let at = t0() + Duration::days(3);
    let healthy = analyse(&store, &request(at, &base, ExecOptions::default())).expect("healthy");

    let mut rules = base.clone();
    rules.push(extra("boom", &PANICS, vec![]));
    rules.push(extra("broken", &FAILS, vec![]));
    let mut dark_after_boom = base[1].clone();
    dark_after_boom.id = "dark_after_boom".into();
    dark_after_boom.depends_on = vec![0, 2];
    rules.push(dark_after_boom);
    let mut after_skip = base[0].clone();
    after_skip.id = "after_skip".into();
    after_skip.depends_on = vec![4];
    rules.push(after_skip);

    for mode in [Mode::Sequential, Mode::Parallel, Mode::Hybrid] {
        let report = analyse(&store, &request(at, &rules, ExecOptions { mode, concurrency: 2 })).expect("cycle runs");
        let status: Vec<(&str, &RuleStatus)> = report.rules.iter().map(|r| (r.rule.as_str(), &r.status)).collect();
        assert_eq!(status[0], ("gaps", &RuleStatus::Ok));
        assert_eq!(status[1], ("dark_suspicion", &RuleStatus::Ok));
        assert_eq!(
            status[2],
            ("boom", &RuleStatus::Failed("panicked: index out of bounds in a buggy detector".into()))
        );
        assert_eq!(status[3], ("broken", &RuleStatus::Failed("the input is not what I expected".into())));
        assert_eq!(
            status[4],
            (
                "dark_after_boom",
                &RuleStatus::Skipped(
                    "dependency 'boom' failed: panicked: index out of bounds in a buggy detector".into()
                )
            )
        );
        assert_eq!(status[5], ("after_skip", &RuleStatus::Skipped("dependency 'dark_after_boom' was skipped".into())));
        // The healthy rules found exactly what they find alone; only the composite
        // differs (it lists the rules that did not run).
        let rule_findings =
            |fs: &[Finding]| bytes(&fs.iter().filter(|f| f.detector != "composite").cloned().collect::<Vec<_>>());
        assert_eq!(rule_findings(&report.findings), rule_findings(&healthy.findings), "{mode:?}");
        let composite = report.findings.iter().find(|f| f.detector == "composite").expect("composite");
        assert_eq!(composite.evidence["not_run"], json!(["boom", "broken", "dark_after_boom", "after_skip"]));
    }
}

#[test]
fn composite_combines_weighted_rule_scores_and_findings_carry_provenance() {
    let mut store = SqliteStore::open_in_memory().expect("store");
    store.insert_positions(&fleet(1)).expect("insert");
    // The shipped gaps weight is 0 (the dark model already scores the gap); 0.5 here
    // makes the combination visible.
    let mut set = dark_rules();
    for r in set.rules.iter_mut().filter(|r| r.id == "gaps") {
        r.weight = 0.5;
    }
    let rules = resolve(&set, &store, &BTreeMap::new(), None).expect("resolve");
    let report =
        run_cycle(&mut store, &request(t0() + Duration::days(1), &rules, ExecOptions::default())).expect("cycle");
    let of = |detector: &str, vessel: &str| {
        report
            .findings
            .iter()
            .find(|f| f.detector == detector && f.vessel.as_str() == vessel)
            .cloned()
            .expect("finding")
    };
    // Vessel 1: a 2 h gap (SUSPICIOUS → severity WATCH → 40 points) and dark score 55:
    // p = 0.5·0.40 = 0.20 and 1.0·0.55; 100·(1 − 0.80·0.45) = 64, HIGH. Shares
    // −ln 0.80 : −ln 0.45 = 0.223 : 0.799 → 13.98 + 50.02 → 14 + 50 (largest remainder).
    assert_eq!(of(GAPS, "440000001").level, "SUSPICIOUS");
    assert_eq!(of(DARK, "440000001").score, Some(55));
    let c = of("composite", "440000001");
    assert_eq!((c.score, c.level.as_str()), (Some(64), "HIGH"));
    let contributions: Vec<(&str, i64)> = c.breakdown.iter().map(|b| (b.code.as_str(), b.points)).collect();
    assert_eq!(contributions, [("gaps", 14), ("dark_suspicion", 50)]);
    assert_eq!(c.evidence["formula"], "noisy_or");
    // Vessel 3: a 7 h gap (HIGH_SUSPICIOUS → 70 points) and its dark score:
    let d3 = of(DARK, "440000003").score.expect("score") as f64;
    let expected = (100.0 * (1.0 - (1.0 - 0.35) * (1.0 - d3 / 100.0))).round() as i64;
    assert_eq!(of("composite", "440000003").score, Some(expected));

    // Provenance: rule, model version 1 (defaults) and the params hash, also once stored.
    let dark = of(DARK, "440000001");
    assert_eq!(dark.rule.as_deref(), Some("dark_suspicion"));
    assert_eq!(dark.model_version, Some(1));
    let defaults = serde_json::to_value(lookout_detect::DarkParams::default()).expect("json");
    assert_eq!(dark.params_hash, Some(lookout_detect::params_hash(&defaults)));
    let stored = store.cycle_findings(&report.key).expect("rows");
    assert_eq!(stored, report.findings);
    // Per-rule statistics are stored with the cycle.
    let stats = &store.recent_cycle_stats(1).expect("stats")[0].stats;
    assert_eq!(stats["rules"]["gaps"]["entities_in"], 4, "the three silent vessels and the moored one");
    assert_eq!(stats["rules"]["dark_suspicion"]["findings_out"], 3);
    assert!(stats["rules"]["dark_suspicion"]["duration_us"].is_u64());
}
