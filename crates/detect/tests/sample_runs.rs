//! The three runs of the oracle's NOTES over `sample.csv`, as fixtures.

use std::collections::BTreeSet;

use lookout_detect::compat::oracle::{parse_history, parse_oracle_csv, score_oracle, OracleRun};
use lookout_detect::{parse_permitted_list, DarkParams};

const SAMPLE: &str = include_str!("fixtures/sample.csv");

fn run(permitted: &BTreeSet<String>, history: &str, hour: i64, params: &str) -> String {
    let points = parse_oracle_csv(SAMPLE).expect("sample parses");
    let history = parse_history(&serde_json::from_str(history).expect("json")).expect("history");
    let params = DarkParams::from_json_str(params).expect("params");
    score_oracle(&points, &OracleRun { permitted, history: &history, now_kst_hour: hour, params: &params })
}

#[test]
fn run1_defaults() {
    assert_eq!(run(&BTreeSet::new(), "{}", 12, "{}"), include_str!("fixtures/run1.jsonl"));
}

#[test]
fn run2_permitted_and_history() {
    let permitted = parse_permitted_list(include_str!("fixtures/permitted.txt"));
    let out = run(&permitted, r#"{"440000001": {"count_7d": 3, "count_24h": 1}}"#, 12, "null");
    assert_eq!(out, include_str!("fixtures/run2.jsonl"));
    assert!(out.contains("\"score\": 75"));
}

#[test]
fn run3_night_and_heavier_coverage_penalty() {
    let out = run(&BTreeSet::new(), "{}", 22, r#"{"weights": {"out_of_coverage": -150}}"#);
    assert_eq!(out, include_str!("fixtures/run3.jsonl"));
}

#[test]
fn output_is_deterministic() {
    let a = run(&BTreeSet::new(), "{}", 12, "{}");
    let b = run(&BTreeSet::new(), "{}", 12, "{}");
    assert_eq!(a, b);
}
