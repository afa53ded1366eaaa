//! Detector params from JSON (`lookout anomaly --params`, NAB candidates): an unknown key
//! is an error naming it, and sizes the detector would allocate or loop by are bounded,
//! so hostile params fail with a message instead of aborting, panicking or hanging.

use lookout_anomaly::{score_series, DetectorParams};

fn parse(json: &str) -> Result<DetectorParams, String> {
    serde_json::from_str(json).map_err(|e| e.to_string())
}

#[test]
fn unknown_keys_are_errors_at_every_level() {
    for (json, key) in [
        (r#"{"frobnicate": 1}"#, "frobnicate"),
        (r#"{"context": {"binz": 8}}"#, "binz"),
        (r#"{"parts": {"mad": true, "lstm": true}}"#, "lstm"),
    ] {
        let err = parse(json).expect_err(json);
        assert!(err.contains(key), "{json}: {err}");
    }
}

#[test]
fn sizes_that_would_abort_or_hang_are_refused_by_name() {
    for (json, name) in [
        (r#"{"mad_window": 1000000000000}"#, "mad_window"),
        (r#"{"likelihood_history": 1000000000000}"#, "likelihood_history"),
        (r#"{"seasonal_periods": 1000000000000}"#, "seasonal_periods"),
        (r#"{"epochs": 1000000000000}"#, "epochs"),
        (r#"{"window": 0}"#, "window"),
        (r#"{"window": 100000000000}"#, "window"),
        (r#"{"context": {"max_contexts": 1000000000000000}}"#, "context.max_contexts"),
        (r#"{"context": {"orders": 1000000}}"#, "context.orders"),
        (r#"{"context": {"orders": 64, "max_contexts": 2000000}}"#, "context.max_contexts x context.orders"),
        (r#"{"context": {"bins": 0}}"#, "context.bins"),
        (r#"{"suppress": 18446744073709551615}"#, "suppress"),
        (r#"{"likelihood_short": 3000}"#, "likelihood_short"),
        (r#"{"ewma_alpha": -5}"#, "ewma_alpha"),
        (r#"{"ae_weight": 7}"#, "ae_weight"),
        (r#"{"context": {"rest": -1}}"#, "context.rest"),
    ] {
        let err = parse(json).expect_err(json);
        assert!(err.contains(name), "{json}: {err}");
    }
}

#[test]
fn defaults_and_shipped_candidates_are_accepted_and_round_trip() {
    let d = DetectorParams::default();
    d.validate().expect("defaults are valid");
    let back: DetectorParams =
        serde_json::from_str(&serde_json::to_string(&d).expect("serialize")).expect("round trip");
    assert_eq!(back, d);
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../bench/anomaly/candidates.json"))
        .expect("bench/anomaly/candidates.json");
    let list: Vec<serde_json::Value> = serde_json::from_str(&text).expect("candidates JSON");
    assert!(list.len() > 10);
    for c in list {
        serde_json::from_value::<DetectorParams>(c.clone()).unwrap_or_else(|e| panic!("{c}: {e}"));
    }
}

#[test]
fn the_largest_accepted_sizes_still_score_a_short_series() {
    let p = parse(
        r#"{"mad_window": 100000, "likelihood_history": 1000000, "seasonal_periods": 100, "epochs": 1,
        "context": {"max_contexts": 250000, "orders": 64, "bins": 1000000}}"#,
    )
    .expect("the upper bounds are valid");
    let ts: Vec<i64> = (0..200).map(|i| 1_600_000_000 + i * 300).collect();
    let vs: Vec<f64> = (0..200).map(|i| f64::from(i % 17)).collect();
    assert_eq!(score_series(&ts, &vs, &p).len(), 200);
}
