//! `lookout anomaly` on real NAB files.

use assert_cmd::Command;

const NAB: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/nab");

fn lookout() -> Command {
    Command::cargo_bin("lookout").expect("lookout binary")
}

#[test]
fn analyses_a_real_cloudwatch_file_with_ko_explanations_and_a_plot() {
    let dir = tempfile::tempdir().expect("tempdir");
    let svg = dir.path().join("plot.svg");
    let file = format!("{NAB}/data/realAWSCloudwatch/ec2_cpu_utilization_825cc2.csv");
    let out = lookout().args(["anomaly", &file, "--explain", "--lang", "ko", "--plot"]).arg(&svg).output().expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("series ec2_cpu_utilization_825cc2: 4032 rows, 4032 points, 0 bad rows, 0 duplicate timestamps merged"), "{stdout}");
    assert!(stdout.contains("작동한 탐지기:"), "{stdout}");
    let flagged: usize = stdout.lines().find_map(|l| l.trim().strip_prefix("flagged: ")).and_then(|n| n.parse().ok()).expect("flagged line");
    assert!(flagged > 0);
    let text = std::fs::read_to_string(&svg).expect("svg written");
    assert!(text.starts_with("<svg"));
    assert_eq!(text.matches("<circle").count(), flagged);
}

#[test]
fn reports_duplicates_and_gaps() {
    let dir = tempfile::tempdir().expect("tempdir");
    let csv = dir.path().join("m.csv");
    let mut text = String::from("timestamp,value\n");
    for i in 0..60 {
        if i == 30 {
            continue; // a gap
        }
        text.push_str(&format!("2024-01-{:02} 00:00:00,{}\n", 1 + i / 24 % 28, 100 + (i % 7) * 3));
    }
    text.push_str("2024-01-01 00:00:00,100\n"); // a duplicate, out of order
    std::fs::write(&csv, text).expect("write");
    let out = lookout().args(["anomaly"]).arg(&csv).output().expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("duplicate timestamps merged"), "{stdout}");
}

#[test]
fn nab_harness_ends_with_the_three_profile_lines() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = lookout()
        .args(["anomaly", "nab", "--data", &format!("{NAB}/data"), "--only", "ec2_cpu_utilization_825cc2", "--only", "art_daily_jumpsdown", "--out"])
        .arg(dir.path())
        .output()
        .expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last: Vec<&str> = stdout.lines().rev().take(3).collect();
    assert!(last[2].starts_with("standard: "), "{stdout}");
    assert!(last[1].starts_with("reward_low_FP_rate: "), "{stdout}");
    assert!(last[0].starts_with("reward_low_FN_rate: "), "{stdout}");
    for l in &last {
        let n = l.rsplit(' ').next().unwrap_or("");
        assert!(n.parse::<f64>().is_ok() && n.contains('.') && n.split('.').nth(1).map(str::len) == Some(1), "{l}");
    }
    assert!(dir.path().join("lookout/realAWSCloudwatch/lookout_ec2_cpu_utilization_825cc2.csv").exists());
    assert!(dir.path().join("lookoutHybrid/artificialWithAnomaly/lookoutHybrid_art_daily_jumpsdown.csv").exists());
    // The contextual detector (the default) has its own column; the headline is its score.
    assert!(dir.path().join("lookoutContext/artificialWithAnomaly/lookoutContext_art_daily_jumpsdown.csv").exists());
    let standard = stdout.lines().find(|l| l.starts_with("lookoutContext standard")).expect("lookoutContext line");
    let headline: f64 = last[2].trim_start_matches("standard: ").parse().expect("headline number");
    let column: f64 = standard.split("thresholds:").nth(1).and_then(|r| r.split_whitespace().next()).and_then(|n| n.parse().ok()).expect("column number");
    assert!((column - headline).abs() <= 0.05 + 1e-9, "{standard} vs {headline}");
}

/// `anomaly --params` rejects what `analyze --params` rejects: unknown keys (at any level)
/// and values without meaning, naming the key, instead of silently using a default.
#[test]
fn params_with_unknown_keys_or_meaningless_values_are_rejected() {
    let file = format!("{NAB}/data/realAWSCloudwatch/ec2_cpu_utilization_825cc2.csv");
    let cases = [
        (r#"{"windw": 7}"#, "windw"),
        (r#"{"context": {"binz": 4}}"#, "binz"),
        (r#"{"parts": {"madd": true}}"#, "madd"),
        (r#"{"window": 0}"#, "window"),
        (r#"{"ewma_alpha": 1.5}"#, "ewma_alpha"),
        (r#"{"ae_weight": -0.1}"#, "ae_weight"),
        (r#"{"context": {"flag": 0}}"#, "context.flag"),
        (r#"{"likelihood_short": 50, "likelihood_history": 10}"#, "likelihood_history"),
        // Sizes that would allocate or loop without bound if taken as given.
        (r#"{"mad_window": 1000000000000}"#, "mad_window"),
        (r#"{"epochs": 1000000000000}"#, "epochs"),
        (r#"{"context": {"max_contexts": 1000000000000000}}"#, "context.max_contexts"),
        (r#"{"seasonal_periods": 1000000000000}"#, "seasonal_periods"),
        (r#"{"suppress": 18446744073709551615}"#, "suppress"),
        (r#"{"window": 100000000000}"#, "window"),
    ];
    for (json, key) in cases {
        let out = lookout().args(["anomaly", &file, "--params", json]).output().expect("runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{json}: {stderr}");
        assert!(stderr.contains("--params") && stderr.contains(key), "{json}: {stderr}");
        assert!(!stderr.contains("panicked"), "{json}: {stderr}");
    }
}
