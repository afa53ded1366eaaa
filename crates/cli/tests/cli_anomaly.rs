//! `lookout anomaly` on real NAB files.

use assert_cmd::Command;

const NAB: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/nab");

fn lookout() -> Command {
    Command::cargo_bin("lookout").expect("lookout binary")
}

#[test]
fn analyses_a_real_cloudwatch_file_with_ko_explanations_and_a_plot() {
    let dir = tempfile::tempdir().expect("tempdir");
    let svg = dir.path().join("plot.svg");
    let file = format!("{NAB}/data/realAWSCloudwatch/ec2_cpu_utilization_825cc2.csv.gz");
    let out =
        lookout().args(["anomaly", &file, "--explain", "--lang", "ko", "--plot"]).arg(&svg).output().expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(
            "series ec2_cpu_utilization_825cc2: 4032 rows, 4032 points, 0 bad rows, 0 duplicate timestamps merged"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("작동한 탐지기:"), "{stdout}");
    let flagged: usize = stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("flagged: "))
        .and_then(|n| n.parse().ok())
        .expect("flagged line");
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
        .args([
            "anomaly",
            "nab",
            "--data",
            &format!("{NAB}/data"),
            "--only",
            "ec2_cpu_utilization_825cc2",
            "--only",
            "art_daily_jumpsdown",
            "--out",
        ])
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
    let column: f64 = standard
        .split("thresholds:")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .expect("column number");
    assert!((column - headline).abs() <= 0.05 + 1e-9, "{standard} vs {headline}");
}

/// A NAB CSV's rows as cells, header dropped (gzip or plain; NAB files have no quoting).
fn csv_rows(path: &std::path::Path) -> Vec<Vec<String>> {
    let mut text = String::new();
    std::io::Read::read_to_string(&mut lookout_anomaly::series::open_input(path).expect("open"), &mut text)
        .expect("utf-8");
    text.lines().skip(1).map(|l| l.split(',').map(str::to_string).collect()).collect()
}

#[test]
fn nab_results_keep_every_data_row_of_files_with_duplicated_timestamps() {
    let dir = tempfile::tempdir().expect("tempdir");
    let files = [
        "realAdExchange/exchange-2_cpc_results.csv",
        "realAdExchange/exchange-2_cpm_results.csv",
        "realTraffic/speed_t4013.csv",
        "realAWSCloudwatch/ec2_disk_write_bytes_1ef3de.csv",
    ];
    let mut cmd = lookout();
    cmd.args(["anomaly", "nab", "--data", &format!("{NAB}/data"), "--out"]).arg(dir.path());
    for f in files {
        cmd.args(["--only", f]);
    }
    let out = cmd.output().expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    for f in files {
        let data = csv_rows(std::path::Path::new(&format!("{NAB}/data/{f}.gz")));
        let (category, name) = f.split_once('/').expect("category/file");
        for detector in ["lookout", "lookoutContext", "lookoutHybrid"] {
            let results = csv_rows(&dir.path().join(detector).join(category).join(format!("{detector}_{name}")));
            let stamps = |rows: &[Vec<String>]| rows.iter().map(|r| r[0].clone()).collect::<Vec<_>>();
            assert_eq!(
                stamps(&results),
                stamps(&data),
                "{detector} {f}: the data file's rows and timestamps, in order"
            );
            for pair in data.windows(2).zip(results.windows(2)) {
                if pair.0[0][0] == pair.0[1][0] {
                    assert_eq!(
                        pair.1[0][2], pair.1[1][2],
                        "{detector} {f}: a duplicated timestamp's rows share its score"
                    );
                }
            }
        }
    }
}
