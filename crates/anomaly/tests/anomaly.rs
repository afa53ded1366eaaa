//! Tests on real NAB files (`testdata/nab`, gzipped) and hand-computed scorer cases.

use std::path::{Path, PathBuf};

use lookout_anomaly::baselines::{ewma_batch, mad_z_batch, Ewma, MadZ};
use lookout_anomaly::context::{ContextDetector, ContextParams};
use lookout_anomaly::explain::{explain, Lang};
use lookout_anomaly::nab::{self, RowKind, ThresholdMethod, PROFILES};
use lookout_anomaly::series::{read_csv, read_file};
use lookout_anomaly::{score_series, DetectorParams, StreamingDetector};

fn nab_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/nab")
}

fn ec2() -> lookout_anomaly::Series {
    read_file(&nab_dir().join("data/realAWSCloudwatch/ec2_cpu_utilization_825cc2.csv.gz"), None).expect("NAB file").0
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn scorer_hand_computed_case() {
    // 100 rows one minute apart; probation = floor(0.15 * 100) = 15 rows; window rows 40..=49.
    let ts: Vec<i64> = (0..100).map(|i| i * 60).collect();
    let windows = vec![(40 * 60, 49 * 60)];
    let rows = nab::sweep(&ts, &windows);
    assert_eq!(nab::probationary_length(100), 15);
    assert_eq!(rows[14], RowKind::Probationary);
    let standard = &PROFILES[0];
    let score = |hits: &[usize]| {
        let mut s = vec![0.0; 100];
        for &h in hits {
            s[h] = 1.0;
        }
        nab::score_file(&rows, &s, 0.5, standard)
    };
    // Nothing detected: one missed window.
    assert!(close(score(&[]).score, -1.0));
    // Detection at the window's first row: exactly tp_weight.
    assert!(close(score(&[40]).score, 1.0));
    // Only the earliest detection of a window counts.
    assert!(close(score(&[40, 45, 49]).score, 1.0));
    // Half-way: scaledSigmoid(-0.5) / scaledSigmoid(-1) = 0.8597925669097837.
    assert!(close(score(&[45]).score, 0.8597925669097837));
    // A probationary detection is ignored; one before any window costs the full fp_weight;
    // one 11 rows after the window costs 0.11 x scaledSigmoid(11 / 9) = -0.10951310130369775.
    let s = score(&[10, 20, 45, 60]);
    assert!(close(s.score, 0.8597925669097837 - 0.11 - 0.10951310130369775), "{}", s.score);
    assert_eq!((s.tp, s.fp, s.fn_), (1, 2, 0));
    // reward_low_FP_rate doubles the false-positive cost.
    let s = nab::score_file(&rows, &[vec![0.0; 20], vec![1.0], vec![0.0; 79]].concat(), 0.5, &PROFILES[1]);
    assert!(close(s.score, -1.0 - 0.22));
    // reward_low_FN_rate doubles the cost of a miss.
    assert!(close(nab::score_file(&rows, &[0.0; 100], 0.5, &PROFILES[2]).score, -2.0));
}

#[test]
fn scaled_sigmoid_matches_nab_constants() {
    assert!(close(nab::scaled_sigmoid(-1.0), 0.9866142981514305));
    assert!(close(nab::scaled_sigmoid(0.0), 0.0));
    assert!(close(nab::scaled_sigmoid(3.0), -1.0));
    assert_eq!(nab::probationary_length(22_695), 750);
}

#[test]
fn corpus_null_and_perfect_detectors_normalise_to_0_and_100() {
    let dir = nab_dir();
    let labels = nab::default_labels(&dir.join("data")).expect("labels next to the data");
    let (files, skipped) = nab::load_corpus(&dir.join("data"), &labels, &[]).expect("corpus");
    // 58 label keys, 12 held out without a CSV.
    assert_eq!(files.len(), 46);
    assert_eq!(skipped.len(), 12);
    let perfect: Vec<Vec<f64>> = files
        .iter()
        .map(|f| {
            f.series.timestamps.iter().map(|t| if f.windows.iter().any(|w| w.0 == *t) { 1.0 } else { 0.0 }).collect()
        })
        .collect();
    let null: Vec<Vec<f64>> = files.iter().map(|f| vec![0.0; f.series.values.len()]).collect();
    for r in nab::evaluate(&files, &perfect, ThresholdMethod::Fixed(0.5)) {
        assert!((r.score - 100.0).abs() < 1e-9, "{}: {}", r.profile, r.score);
    }
    for r in nab::evaluate(&files, &null, ThresholdMethod::Fixed(0.5)) {
        assert!(r.score.abs() < 1e-9, "{}: {}", r.profile, r.score);
    }
}

#[test]
fn nab_results_layout_and_scores_on_real_files() {
    let dir = nab_dir();
    let labels = dir.join("labels/combined_windows.json");
    let only = vec!["ec2_cpu_utilization_825cc2".to_string(), "art_daily_jumpsup".to_string()];
    let (files, _) = nab::load_corpus(&dir.join("data"), &labels, &only).expect("corpus");
    assert_eq!(files.len(), 2);
    let p = DetectorParams::default();
    let scores: Vec<Vec<f64>> = files
        .iter()
        .map(|f| score_series(&f.series.timestamps, &f.series.values, &p).iter().map(|s| s.score).collect())
        .collect();
    let out = tempfile::tempdir().expect("tempdir");
    let path = nab::write_results(out.path(), "lookout", &files[1], &scores[1]).expect("write");
    assert!(path.ends_with("lookout/realAWSCloudwatch/lookout_ec2_cpu_utilization_825cc2.csv"), "{}", path.display());
    let text = std::fs::read_to_string(&path).expect("read back");
    assert!(text.starts_with("timestamp,value,anomaly_score,label\n2014-04-10 00:04:00,"), "{}", &text[..80]);
    assert_eq!(text.lines().count(), files[1].series.values.len() + 1);
    // Re-reading our own results gives the same scores (the file is what NAB would read).
    let (ts, back) = nab::read_results(&path).expect("re-read");
    assert_eq!(ts, files[1].series.timestamps);
    assert_eq!(back, scores[1]);
    let res = nab::evaluate(&files, &scores, ThresholdMethod::Fixed(0.5));
    assert_eq!(res.len(), 3);
    for r in &res {
        assert!(r.score.is_finite() && r.score <= 100.0);
        assert_eq!(r.perfect, files.iter().map(|f| f.windows.len()).sum::<usize>() as f64);
    }
}

#[test]
fn duplicates_gaps_and_disorder_are_handled_and_counted() {
    let csv = "timestamp,value\n\
        2024-01-01 00:10:00,3\n\
        2024-01-01 00:00:00,1\n\
        2024-01-01 00:05:00,2\n\
        2024-01-01 00:05:00,4\n\
        2024-01-01 00:15:00,x\n\
        2024-01-01 01:00:00,5\n";
    let all = read_csv(csv.as_bytes(), None, "s").expect("parse");
    let (s, r) = &all[0];
    assert_eq!(s.values, vec![1.0, 3.0, 3.0, 5.0]); // 2 and 4 merged into their mean
    assert_eq!(r.rows, 6);
    assert_eq!(r.duplicates, 1);
    assert_eq!(r.out_of_order, 1);
    assert_eq!(r.bad_rows.len(), 1);
    assert_eq!(r.bad_rows[0].0, 6);
    assert_eq!(r.median_step_s, 300);
    assert_eq!(r.gaps, 1);
    assert_eq!(r.longest_gap_s, 3000);
}

#[test]
fn several_series_in_one_file() {
    let csv = "timestamp,value,series\n2024-01-01,1,a\n2024-01-02,2,b\n2024-01-03,3,a\n";
    let all = read_csv(csv.as_bytes(), None, "x").expect("parse");
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].0.name, "a");
    assert_eq!(all[0].0.values, vec![1.0, 3.0]);
}

#[test]
fn streaming_baselines_equal_batch_on_a_real_file() {
    let s = ec2();
    let batch = mad_z_batch(&s.values, 288, 30);
    let mut m = MadZ::new(288, 30);
    let stream: Vec<Option<f64>> = s.values.iter().map(|&v| m.push(v).map(|x| x.z)).collect();
    assert_eq!(batch, stream);
    let mut e = Ewma::new(0.05, 30);
    let stream: Vec<Option<f64>> = s.values.iter().map(|&v| e.push(v)).collect();
    assert_eq!(ewma_batch(&s.values, 0.05, 30), stream);
}

#[test]
fn streaming_detector_equals_batch_and_memory_is_bounded() {
    let s = ec2();
    // A small context budget (so it really binds) and the seasonal-difference detector on,
    // so every buffer is exercised.
    let p = DetectorParams {
        context: ContextParams { max_contexts: 3000, seasonal: true, ..ContextParams::default() },
        ..DetectorParams::default()
    };
    let batch = score_series(&s.timestamps, &s.values, &p);
    let train = lookout_anomaly::detector::default_train_len(s.values.len(), p.window);
    let mut d = StreamingDetector::new(p.clone(), train);
    let mut held = Vec::new();
    let mut stream = Vec::new();
    for (i, (&t, &v)) in s.timestamps.iter().zip(&s.values).enumerate() {
        stream.push(d.push(t, v));
        held.push((i, d.held()));
    }
    assert_eq!(batch, stream);
    // Bounded: the memory stops growing once the buffers are full, whatever the length.
    let context = ContextDetector::new(p.context.clone(), train).bound();
    let bound = p.window
        + p.mad_window
        + 288 * p.seasonal_periods
        + p.mad_window
        + 2 * p.likelihood_short
        + 2 * p.likelihood_history
        + p.suppress
        + 2 * context
        + 288
        + train;
    assert!(held.iter().all(|&(_, h)| h <= bound), "max held {:?}", held.iter().map(|h| h.1).max());
    // Feeding the same file three times over keeps the same bound.
    let mut d = StreamingDetector::new(p.clone(), train);
    for k in 0..3i64 {
        for (&t, &v) in s.timestamps.iter().zip(&s.values) {
            d.push(t + k * 10_000_000, v);
        }
    }
    assert!(d.held() <= bound);
    // The contextual detector scored and the default score is its output.
    assert!(batch.iter().any(|x| x.novelty.is_some()));
    assert!(batch.iter().all(|x| x.score == x.context_score));
    // The autoencoder trained and the threshold is mean + 1.5 sigma of training errors.
    assert!(batch.iter().filter_map(|x| x.recon_threshold).next().is_some_and(|t| t > 0.0));
}

#[test]
fn scores_are_deterministic() {
    let s = ec2();
    let p = DetectorParams::default();
    let a = score_series(&s.timestamps, &s.values, &p);
    let b = score_series(&s.timestamps, &s.values, &p);
    assert_eq!(a, b);
    // A different seed trains different weights (the seed is really used).
    let q = DetectorParams { seed: 7, ..p.clone() };
    let c = score_series(&s.timestamps, &s.values, &q);
    assert_ne!(
        a.iter().map(|x| x.recon_error).collect::<Vec<_>>(),
        c.iter().map(|x| x.recon_error).collect::<Vec<_>>()
    );
}

#[test]
fn explanations_are_built_from_the_numbers() {
    let s = ec2();
    let p = DetectorParams::default();
    let scores = score_series(&s.timestamps, &s.values, &p);
    let flagged: Vec<_> = scores.iter().filter(|x| x.flagged(&p)).collect();
    assert!(flagged.len() >= 2, "flagged {}", flagged.len());
    let (a, b) = (flagged[0], flagged[flagged.len() - 1]);
    let (ea, eb) = (explain(a, &p, Lang::En), explain(b, &p, Lang::En));
    assert_ne!(ea, eb);
    let (ka, kb) = (explain(a, &p, Lang::Ko), explain(b, &p, Lang::Ko));
    assert_ne!(ka, kb);
    assert!(ka.contains("예상 범위") || ka.contains("값"), "{ka}");
    assert!(ea.contains(&lookout_anomaly::explain::num(a.value)), "{ea}");
    if let Some(c) = a.pct_change {
        assert!(ea.contains(&format!("{c:+.1}%")), "{ea}");
        assert!(ka.contains(&format!("{c:+.1}%")), "{ka}");
    }
    if let (Some(e), Some(t)) = (a.recon_error, a.recon_threshold) {
        assert!(ea.contains(&format!("{:.1}x", e / t)), "{ea}");
    }
    assert!(ea.contains("detectors fired:"));
    assert!(ka.contains("작동한 탐지기:"));
    // The decrease rule's clause says whether it fired.
    for x in scores.iter().filter(|x| x.pct_change.is_some()) {
        let (en, ko) = (explain(x, &p, Lang::En), explain(x, &p, Lang::Ko));
        assert_eq!(en.contains("(decrease rule: below -30%)"), x.decrease_flag, "{en}");
        assert_eq!(en.contains("not met"), !x.decrease_flag, "{en}");
        assert_eq!(ko.contains("미만 아님"), !x.decrease_flag, "{ko}");
    }
    assert!(
        scores.iter().any(|x| x.decrease_flag) && scores.iter().any(|x| x.pct_change.is_some() && !x.decrease_flag)
    );
}

#[test]
fn decrease_rule_and_hybrid_follow_the_reference() {
    // A daily series with a weekly pattern and a 60 % drop, as in the reference notebook.
    let ts: Vec<i64> = (0..180).map(|i| i * 86_400).collect();
    let mut v: Vec<f64> = (0..180).map(|i| 500.0 + 100.0 * (i as f64 / 7.0 * std::f64::consts::TAU).sin()).collect();
    let drop = v[149] * 0.4;
    for x in &mut v[150..153] {
        *x = drop;
    }
    let p = DetectorParams::default();
    let s = score_series(&ts, &v, &p);
    assert!(s[150].decrease_flag);
    assert!((s[150].pct_change.unwrap_or(0.0) + 60.0).abs() < 1e-9);
    assert!(s[150].ae_flag, "error {:?} threshold {:?}", s[150].recon_error, s[150].recon_threshold);
    assert_eq!(s[150].hybrid, 1.0);
    assert!(!s[151].decrease_flag); // flat after the drop: 0 % change
    assert!(s.iter().enumerate().filter(|(i, x)| *i < 150 && x.decrease_flag).count() == 0);
}

#[test]
fn default_detector_fires_on_the_first_anomalous_point_of_a_hand_made_series() {
    // Five-minute points of a repeating shape; one sustained jump to a level never seen.
    let n = 1000;
    let ts: Vec<i64> = (0..n as i64).map(|i| 1_700_000_000 + 300 * i).collect();
    let mut v: Vec<f64> = (0..n).map(|i| [50.0, 52.0, 55.0, 53.0, 51.0][i % 5]).collect();
    for x in &mut v[600..610] {
        *x = 90.0;
    }
    let p = DetectorParams::default();
    let s = score_series(&ts, &v, &p);
    let fired: Vec<usize> = s.iter().filter(|x| x.score >= 0.5).map(|x| x.index).collect();
    // 600 fires; the return to the familiar shape at 610 is a new transition (90 -> 50 was
    // never seen), but it lies inside the rest period (0.1 x 150 training points) and is
    // not reported.
    assert_eq!(fired, vec![600]);
    assert!(s[610].novelty.is_some_and(|n| n > 0.5 && n < 1.0), "{:?}", s[610].novelty);
    assert!(s[600].flagged(&p) && s[600].fired(&p).contains(&"context"));
    assert_eq!(s[601].novelty, Some(0.0), "the repeated new level is already known");
}

#[test]
fn nested_cross_validation_picks_candidates_on_the_other_categories() {
    let dir = nab_dir();
    let labels = nab::default_labels(&dir.join("data")).expect("labels next to the data");
    let only = ["art_daily_jumpsup".to_string(), "ec2_cpu_utilization_825cc2".to_string(), "speed_t4013".to_string()];
    let (files, _) = nab::load_corpus(&dir.join("data"), &labels, &only).expect("corpus");
    assert_eq!(files.len(), 3);
    let perfect: Vec<Vec<f64>> = files
        .iter()
        .map(|f| {
            f.series.timestamps.iter().map(|t| if f.windows.iter().any(|w| w.0 == *t) { 1.0 } else { 0.0 }).collect()
        })
        .collect();
    let null: Vec<Vec<f64>> = files.iter().map(|f| vec![0.0; f.series.values.len()]).collect();
    // The perfect candidate wins on the other categories, so every category gets it.
    for n in nab::evaluate_candidates(&files, &[null.clone(), perfect.clone()]) {
        assert!((n.result.score - 100.0).abs() < 1e-9, "{}: {}", n.result.profile, n.result.score);
        assert!(n.chosen.values().all(|&c| c == 1));
    }
    // With a single candidate it is the ordinary leave-one-category-out evaluation.
    let single = nab::evaluate_candidates(&files, std::slice::from_ref(&perfect));
    let plain = nab::evaluate(&files, &perfect, ThresholdMethod::LeaveOneCategoryOut);
    for (a, b) in single.iter().zip(&plain) {
        assert_eq!(a.result, *b);
    }
}

/// Every NAB corpus at hand: the repository's copy and, when `LOOKOUT_NAB_DIR` names one,
/// a fuller corpus (same layout: `data/`, `labels/`).
fn nab_dirs() -> Vec<PathBuf> {
    let extra = std::env::var_os("LOOKOUT_NAB_DIR").map(PathBuf::from).filter(|d| d.join("data").is_dir());
    std::iter::once(nab_dir()).chain(extra).collect()
}

/// A CSV's rows as text cells (header dropped), read with nothing but `csv` and gzip.
fn csv_rows(path: &Path) -> Vec<Vec<String>> {
    let input = lookout_anomaly::series::open_input(path).expect("open");
    csv::Reader::from_reader(input)
        .records()
        .map(|r| r.expect("csv row").iter().map(str::to_string).collect())
        .collect()
}

#[test]
fn nab_results_have_exactly_the_data_files_rows_and_timestamps() {
    for dir in nab_dirs() {
        let (files, _) =
            nab::load_corpus(&dir.join("data"), &dir.join("labels/combined_windows.json"), &[]).expect("corpus");
        assert!(files.len() >= 46, "{}: {} files", dir.display(), files.len());
        let out = tempfile::tempdir().expect("tempdir");
        let mut duplicated = 0;
        for f in &files {
            // A distinct score per point: a row carrying another timestamp's score shows.
            let scores: Vec<f64> = (0..f.series.timestamps.len()).map(|i| i as f64).collect();
            let results = csv_rows(&nab::write_results(out.path(), "t", f, &scores).expect("write"));
            let plain = dir.join("data").join(&f.key);
            let data = csv_rows(&if plain.exists() { plain } else { dir.join("data").join(format!("{}.gz", f.key)) });
            assert_eq!(results.len(), data.len(), "{}: one result row per data row", f.key);
            let mut distinct: Vec<&str> = data.iter().map(|r| r[0].as_str()).collect();
            distinct.sort_unstable();
            distinct.dedup();
            duplicated += data.len() - distinct.len();
            for (i, (d, r)) in data.iter().zip(&results).enumerate() {
                assert_eq!(r[0], d[0], "{} row {}: timestamp", f.key, i + 2);
                assert_eq!(r[1].parse::<f64>().ok(), d[1].parse::<f64>().ok(), "{} row {}: value", f.key, i + 2);
                let point = distinct.binary_search(&d[0].as_str()).expect("timestamp among the data's");
                assert_eq!(
                    r[2].parse::<f64>().ok(),
                    Some(point as f64),
                    "{} row {}: its timestamp's score",
                    f.key,
                    i + 2
                );
            }
        }
        // The corpus has duplicated timestamps (8 of NAB's 58 files), so the check bites.
        assert!(duplicated > 0, "{}", dir.display());
    }
}

#[test]
fn duplicated_timestamps_are_swept_per_row_as_nab_does() {
    // 100 data rows; row 50 repeats row 49's timestamp, the window's last one.
    let ts: Vec<i64> = (0..100).map(|i| if i >= 50 { (i - 1) * 60 } else { i * 60 }).collect();
    let rows = nab::sweep(&ts, &[(40 * 60, 49 * 60)]);
    assert_eq!(rows.len(), 100);
    // Probation counts data rows: floor(0.15 x 100) = 15 (99 distinct timestamps would give 14).
    assert_eq!(rows[14], RowKind::Probationary);
    assert!(!matches!(rows[15], RowKind::Probationary));
    // NAB ends a window at the first row of its last timestamp (`timestamps.index`): 10 rows.
    assert_eq!(rows[40], RowKind::Window(0, nab::scaled_sigmoid(-1.0)));
    assert_eq!(rows[49], RowKind::Window(0, nab::scaled_sigmoid(-0.1)));
    // The repeated row is one row past that 10-row window.
    assert_eq!(rows[50], RowKind::Outside(nab::scaled_sigmoid(1.0 / 9.0)));
}
