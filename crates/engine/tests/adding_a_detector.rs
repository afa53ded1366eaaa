//! The example of ARCHITECTURE.md's "Adding a detector": a detector defined outside
//! lookout-detect (here, in a test) is registered, named in a rules file, resolved
//! against a real store and run by the rule engine, end to end, with the generic params
//! plumbing (defaults, strict merge, validation, schema) and the shared finding builders.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, TimeZone, Utc};
use lookout_detect::finding::{item, position_json};
use lookout_detect::level::scored;
use lookout_detect::{
    params_hash, About, Algorithm, CycleInput, DetectError, Detectors, EntityType, Params, ParamsError, Text, Upstream,
};
use lookout_engine::composite::COMPOSITE;
use lookout_engine::cycle::{run_cycle, CycleRequest};
use lookout_engine::exec::{ResolvedRule, RuleStatus};
use lookout_engine::models::{resolve, resolve_with};
use lookout_engine::plan::ExecOptions;
use lookout_engine::rules::RuleSet;
use lookout_model::{Finding, NavStatus, Position, Track, VesselId};
use lookout_store::{SqliteStore, Store};
use serde::{Deserialize, Serialize};
use serde_json::json;

// Step 1: the params type. `Default` is version 1 of the model; `validate` states what
// serde cannot check.

/// Parameters of the example detector.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct OverspeedParams {
    /// Reported speeds above this are implausible for the vessel, knots.
    max_sog_kn: f64,
    /// How many such reports in the window make a finding.
    min_reports: i64,
    points: i64,
}

impl Default for OverspeedParams {
    fn default() -> Self {
        OverspeedParams { max_sog_kn: 30.0, min_reports: 2, points: 60 }
    }
}

impl Params for OverspeedParams {
    fn validate(&self) -> Result<(), ParamsError> {
        if !(self.max_sog_kn.is_finite() && self.max_sog_kn > 0.0) {
            return Err(ParamsError { path: "max_sog_kn".into(), message: "expected a positive number".into() });
        }
        Ok(())
    }
}

// Step 2: the detector: its About, its params type, its run.

/// Vessels reporting speeds above `max_sog_kn` at least `min_reports` times.
struct Overspeed;

impl Algorithm for Overspeed {
    const ABOUT: About = About {
        code: "overspeed",
        name: Text { ko: "과속 보고", en: "Overspeed reports" },
        description: Text {
            ko: "기준을 넘는 속력 보고가 반복됨", en: "Repeated speed reports above a limit"
        },
        entity: EntityType::Vessel,
    };
    type Params = OverspeedParams;

    fn run(&self, input: &CycleInput<'_>, p: &OverspeedParams, _: &Upstream<'_>) -> Result<Vec<Finding>, DetectError> {
        Ok(input.tracks.iter().filter_map(|t| overspeed(t, input, p)).collect())
    }
}

fn overspeed(track: &Track, input: &CycleInput<'_>, p: &OverspeedParams) -> Option<Finding> {
    let fast: Vec<&Position> = track
        .positions
        .iter()
        .filter(|q| q.timestamp > input.window_start && q.sog.is_some_and(|s| s > p.max_sog_kn))
        .collect();
    let (first, last) = (fast.first()?, fast.last()?);
    if (fast.len() as i64) < p.min_reports {
        return None;
    }
    let breakdown = vec![item(
        "X1",
        "overspeed",
        p.points,
        "과속 보고",
        "Overspeed reports",
        format!("{}회 {} kn 초과", fast.len(), p.max_sog_kn),
        format!("{} reports above {} kn", fast.len(), p.max_sog_kn),
    )];
    let (score, level, severity) = scored(&breakdown);
    Some(Finding {
        detector: Overspeed::ABOUT.code.into(),
        vessel: track.vessel.clone(),
        start: first.timestamp,
        end: last.timestamp,
        score: Some(score),
        level: level.into(),
        severity,
        breakdown,
        evidence: json!({ "reports": fast.len(), "from": position_json(first), "to": position_json(last) }),
        rule: None,
        model_version: None,
        params_hash: None,
    })
}

// Step 3: register it (a downstream crate would do the same with its own detectors).

static OVERSPEED: Overspeed = Overspeed;

fn detectors() -> Detectors {
    Detectors::builtin().with(&OVERSPEED).expect("a new code")
}

// Step 4: name it in a rules file.

const RULES: &str = r#"
[[rules]]
id = "gaps"
algorithm = "gaps"
weight = 0.3

[[rules]]
id = "overspeed"
algorithm = "overspeed"
params = { max_sog_kn = 25.0 }
weight = 0.5
"#;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).single().expect("time")
}

/// One fast vessel (28 kn) and one slow one (8 kn), reporting every 10 minutes for a day.
fn positions() -> Vec<Position> {
    let mut out = Vec::new();
    for (id, sog) in [("440000001", 28.0), ("440000002", 8.0)] {
        for minute in (0..1440).step_by(10) {
            out.push(Position {
                vessel: VesselId::new(id),
                timestamp: t0() + Duration::minutes(minute),
                lat: 35.0,
                lon: 125.0 + minute as f64 * 0.001,
                sog: Some(sog),
                cog: Some(90.0),
                heading: Some(90.0),
                nav_status: Some(NavStatus(0)),
            });
        }
    }
    out
}

fn request(rules: &[ResolvedRule]) -> CycleRequest<'_> {
    CycleRequest {
        at: t0() + Duration::days(1),
        window: Duration::days(1),
        lookback: Duration::hours(6),
        rules,
        exec: ExecOptions::default(),
        registry: None,
        zones: None,
        places: None,
    }
}

#[test]
fn a_registered_detector_runs_through_the_rule_engine_end_to_end() {
    let detectors = detectors();
    // Unknown to the built-in registry; known once registered.
    let unknown = RuleSet::parse(RULES).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(unknown.starts_with("rule 'overspeed': unknown algorithm 'overspeed'"), "{unknown}");
    let set = RuleSet::parse_with(RULES, &detectors).expect("rules");

    let mut store = SqliteStore::open_in_memory().expect("store");
    store.insert_positions(&positions()).expect("insert");
    let empty = BTreeMap::new();
    assert!(resolve(&set, &store, &empty, None).is_err(), "resolving needs the same detectors");
    let rules = resolve_with(&set, &store, &empty, None, &detectors).expect("resolve");
    let merged = json!({ "max_sog_kn": 25.0, "min_reports": 2, "points": 60 });
    assert_eq!(rules[1].params, merged, "the inline override merged over the defaults");
    assert_eq!(rules[1].params_hash, params_hash(&merged));

    let report = run_cycle(&mut store, &request(&rules)).expect("cycle");
    let summary = report.rules.iter().find(|r| r.rule == "overspeed").expect("summary");
    assert_eq!(summary.status, RuleStatus::Ok);
    assert_eq!((summary.entities_in, summary.findings_out), (2, 1));

    let found: Vec<&Finding> = report.findings.iter().filter(|f| f.detector == "overspeed").collect();
    assert_eq!(found.len(), 1);
    let f = found[0];
    assert_eq!(f.vessel.as_str(), "440000001");
    assert_eq!((f.score, f.level.as_str()), (Some(60), "HIGH"));
    assert_eq!(f.rule.as_deref(), Some("overspeed"));
    assert_eq!(f.params_hash.as_deref(), Some(params_hash(&merged).as_str()));
    // 144 reports, less the one at the window start (it belongs to the window before).
    assert_eq!(f.evidence["reports"], json!(143));
    // The finding enters the vessel's composite risk with the rule's weight.
    let composite = report
        .findings
        .iter()
        .find(|c| c.detector == COMPOSITE && c.vessel.as_str() == "440000001")
        .expect("composite");
    assert!(composite.evidence["rules"]
        .as_array()
        .is_some_and(|rs| rs.iter().any(|r| r["algorithm"] == "overspeed" && r["score"] == 60 && r["weight"] == 0.5)));
    assert_eq!(composite.score, Some(30), "noisy OR of 0.5 x 60 alone");
    // And it is stored with the cycle like every other finding.
    let stored = store.cycle_findings(&report.key).expect("stored");
    assert!(stored.iter().any(|s| s.detector == "overspeed" && s.vessel.as_str() == "440000001"));
}

#[test]
fn the_generic_params_plumbing_serves_the_new_detector() {
    let d = detectors().get("overspeed").expect("registered");
    assert_eq!(d.default_params(), json!({ "max_sog_kn": 30.0, "min_reports": 2, "points": 60 }));
    assert_eq!(d.params_schema()["properties"]["min_reports"]["type"], "integer");
    assert_eq!(d.params_schema()["additionalProperties"], false);
    let defaults = d.default_params();
    let unknown = d.merge_params(&defaults, &json!({ "max_sog": 20 })).err().map(|e| e.to_string());
    assert_eq!(unknown.as_deref(), Some("max_sog: unknown key"));
    let invalid = d.merge_params(&defaults, &json!({ "max_sog_kn": -1.0 })).err().map(|e| e.to_string());
    assert_eq!(invalid.as_deref(), Some("max_sog_kn: expected a positive number"));
    // A rules file with a bad override is refused at load time, naming rule and key.
    let bad = RULES.replace("max_sog_kn = 25.0", "max_sog = 25.0");
    let err = RuleSet::parse_with(&bad, &detectors()).err().map(|e| e.to_string());
    assert_eq!(err.as_deref(), Some("rule 'overspeed': params.max_sog: unknown key"));
    // A code can be registered once only.
    assert!(detectors().with(&OVERSPEED).is_err());
}
