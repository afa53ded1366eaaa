//! `lookout anomaly`: time-series anomaly detection on a metric CSV, and the NAB harness
//! (`lookout anomaly nab --data DIR`). All logic lives in `lookout-anomaly`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context};
use lookout_anomaly::detector::DetectorKind;
use lookout_anomaly::explain::{explain, num, Lang};
use lookout_anomaly::nab::{self, ThresholdMethod};
use lookout_anomaly::series::{file_stem, format_timestamp, open_input, read_csv};
use lookout_anomaly::{metrics, plot, score_series, DetectorParams};
use rayon::prelude::*;

#[derive(clap::Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub(crate) struct AnomalyArgs {
    #[command(subcommand)]
    pub command: Option<AnomalySub>,
    /// Metric CSV: `timestamp,value[,series]` (NAB's `timestamp,value` files work as is).
    #[arg(required = true)]
    pub file: Option<PathBuf>,
    /// Column naming the series (default: `series` if present); all series are analysed
    /// unless `--only` picks one.
    #[arg(long, value_name = "COL")]
    pub series: Option<String>,
    /// Analyse only this series.
    #[arg(long, value_name = "NAME")]
    pub only: Option<String>,
    /// Print a sentence explaining each flagged point.
    #[arg(long)]
    pub explain: bool,
    /// Language of the explanations: ko or en.
    #[arg(long, default_value = "en")]
    pub lang: String,
    /// Write an SVG plot (series, expected band, flagged points).
    #[arg(long, value_name = "FILE.svg")]
    pub plot: Option<PathBuf>,
    /// Detector parameters as JSON, merged over the defaults (e.g. '{"suppress": 100}').
    #[arg(long, value_name = "JSON")]
    pub params: Option<String>,
}

#[derive(clap::Subcommand)]
pub(crate) enum AnomalySub {
    /// Run the detectors over the Numenta Anomaly Benchmark and score them with NAB's rules.
    Nab(NabArgs),
}

#[derive(clap::Args)]
pub(crate) struct NabArgs {
    /// NAB data directory (`<category>/<file>.csv`).
    #[arg(long, value_name = "DIR")]
    pub data: PathBuf,
    /// Window labels (default: DIR/../labels/combined_windows.json or DIR/labels/...).
    #[arg(long, value_name = "FILE")]
    pub labels: Option<PathBuf>,
    /// Write NAB-format results here (`<detector>/<category>/<detector>_<file>.csv`).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Use this fixed threshold instead of leave-one-category-out cross-validation.
    #[arg(long)]
    pub threshold: Option<f64>,
    /// Only files whose key contains one of these substrings (repeatable).
    #[arg(long, value_name = "SUBSTRING")]
    pub only: Vec<String>,
    /// Detector parameters as JSON, merged over the defaults.
    #[arg(long, value_name = "JSON")]
    pub params: Option<String>,
    /// A JSON list of parameter objects (each merged over the defaults): also report the
    /// nested cross-validation where each category gets the candidate *and* threshold that
    /// score best on the other categories (the selected detector's score of each candidate).
    #[arg(long, value_name = "JSON")]
    pub candidates: Option<String>,
}

fn params(json: Option<&str>) -> anyhow::Result<DetectorParams> {
    match json {
        None => Ok(DetectorParams::default()),
        Some(text) => serde_json::from_str(text).context("--params: expected a JSON object of detector parameters"),
    }
}

pub(crate) fn run(args: AnomalyArgs) -> anyhow::Result<ExitCode> {
    if let Some(AnomalySub::Nab(n)) = args.command {
        return run_nab(n);
    }
    let Some(path) = args.file else { bail!("a FILE.csv or the `nab` subcommand is required") };
    let lang: Lang = args.lang.parse().map_err(anyhow::Error::msg)?;
    let p = params(args.params.as_deref())?;
    let input = open_input(&path).with_context(|| format!("opening {}", path.display()))?;
    let all = read_csv(input, args.series.as_deref(), &file_stem(&path))
        .with_context(|| format!("reading {}", path.display()))?;
    let selected: Vec<_> = all.into_iter().filter(|(s, _)| args.only.as_ref().is_none_or(|o| &s.name == o)).collect();
    if selected.is_empty() {
        bail!("no series to analyse{}", args.only.map(|o| format!(" (no series named {o:?})")).unwrap_or_default());
    }
    let mut plotted = false;
    for (series, report) in &selected {
        outln!(
            "series {}: {} rows, {} points, {} bad rows, {} duplicate timestamps merged, {} out of order, median step {} s, {} irregular steps, {} gaps (longest {} s)",
            series.name, report.rows, series.values.len(), report.bad_rows.len(), report.duplicates, report.out_of_order, report.median_step_s, report.irregular_steps, report.gaps, report.longest_gap_s
        );
        for (line, why) in report.bad_rows.iter().take(5) {
            outln!("  bad row at line {line}: {why}");
        }
        if series.values.len() < p.window + 3 {
            outln!("  too short to analyse (needs at least {} points)", p.window + 3);
            continue;
        }
        let scores = score_series(&series.timestamps, &series.values, &p);
        let thr = scores.iter().find_map(|s| s.recon_threshold);
        let half = scores.iter().filter(|s| s.hybrid == 0.5).count();
        let full = scores.iter().filter(|s| s.hybrid >= 1.0).count();
        let lik = scores.iter().filter(|s| s.calibrated >= p.flag_threshold).count();
        let ctx = scores.iter().filter(|s| s.context_score >= p.context.flag).count();
        outln!(
            "  autoencoder threshold (mean + {} sigma of training error): {}; hybrid 0.5: {half} points, hybrid 1.0: {full} points; calibrated score >= {}: {lik} points; contextual score >= {}: {ctx} points",
            p.sigma,
            thr.map(num).unwrap_or_else(|| "not trained".into()),
            p.flag_threshold,
            p.context.flag
        );
        let flagged: Vec<_> = scores.iter().filter(|s| s.flagged(&p)).collect();
        outln!("  flagged: {}", flagged.len());
        for s in &flagged {
            outln!(
                "  {}  value {}  hybrid {:.1}  score {:.3}  fired: {}",
                format_timestamp(s.timestamp),
                num(s.value),
                s.hybrid,
                s.score,
                s.fired(&p).join(",")
            );
            if args.explain {
                outln!("    {}", explain(s, &p, lang));
            }
        }
        if let Some(out) = &args.plot {
            if !plotted {
                std::fs::write(out, plot::svg(&series.name, &scores, &p))
                    .with_context(|| format!("writing {}", out.display()))?;
                outln!("  plot written to {}", out.display());
                plotted = true;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn run_nab(args: NabArgs) -> anyhow::Result<ExitCode> {
    let p = params(args.params.as_deref())?;
    let labels = match &args.labels {
        Some(l) => l.clone(),
        None => nab::default_labels(&args.data)
            .with_context(|| format!("no labels found next to {}; pass --labels", args.data.display()))?,
    };
    let (files, skipped) = nab::load_corpus(&args.data, &labels, &args.only)
        .with_context(|| format!("loading the corpus from {}", args.data.display()))?;
    if files.is_empty() {
        bail!("no labelled CSV found under {}", args.data.display());
    }
    let points: usize = files.iter().map(|f| f.series.values.len()).sum();
    outln!("files: {} scored, {} label keys without a CSV skipped; {points} points", files.len(), skipped.len());
    let start = Instant::now();
    let scored: Vec<Vec<lookout_anomaly::PointScore>> =
        files.par_iter().map(|f| score_series(&f.series.timestamps, &f.series.values, &p)).collect();
    let secs = start.elapsed().as_secs_f64();
    outln!("detection: {:.2} s, {:.0} points/s", secs, points as f64 / secs.max(1e-9));

    // Every detector keeps its own column so old and new stay comparable; the headline lines
    // at the end are the selected detector's (`--params '{"detector": ...}'`).
    let headline_name = match p.detector {
        DetectorKind::Baselines => "lookout",
        DetectorKind::Context => "lookoutContext",
    };
    let detectors: [(&str, Vec<Vec<f64>>); 3] = [
        ("lookout", scored.iter().map(|s| s.iter().map(|x| x.calibrated).collect()).collect()),
        ("lookoutContext", scored.iter().map(|s| s.iter().map(|x| x.context_score).collect()).collect()),
        ("lookoutHybrid", scored.iter().map(|s| s.iter().map(|x| x.hybrid).collect()).collect()),
    ];
    if let Some(out) = &args.out {
        for (name, scores) in &detectors {
            for (f, s) in files.iter().zip(scores) {
                nab::write_results(out, name, f, s)?;
            }
        }
        outln!("results written to {}", out.display());
    }
    let method = match args.threshold {
        Some(t) => ThresholdMethod::Fixed(t),
        None => ThresholdMethod::LeaveOneCategoryOut,
    };
    let method_name = match method {
        ThresholdMethod::Fixed(t) => format!("fixed threshold {t}"),
        _ => "leave-one-category-out thresholds".to_string(),
    };
    let mut headline = Vec::new();
    for (name, scores) in &detectors {
        let res = nab::evaluate(&files, scores, method);
        let tuned = nab::evaluate(&files, scores, ThresholdMethod::NabOptimized);
        for (r, t) in res.iter().zip(&tuned) {
            let ths: Vec<String> = r.thresholds.iter().map(|(c, v)| format!("{c}={v}")).collect();
            outln!(
                "{name:<14} {:<19} {method_name}: {:6.2} (raw {:.2}, null {:.1}, perfect {:.1}; windows hit {}, missed {}, FP {}) | NAB-optimised threshold {}: {:.2}",
                r.profile,
                r.score,
                r.raw,
                r.null,
                r.perfect,
                r.tp,
                r.fn_,
                r.fp,
                t.thresholds.values().next().copied().unwrap_or(0.0),
                t.score
            );
            if *name == headline_name && r.profile == "standard" {
                outln!("  thresholds: {}", ths.join(" "));
            }
        }
        // Precision/recall/F1 at the standard profile's thresholds, against point labels.
        let std_thr = &res[0].thresholds;
        let (mut pw, mut ww) = ((0, 0, 0), (0usize, 0usize, 0usize, 0usize));
        for (f, s) in files.iter().zip(scores) {
            let t = std_thr.get(&f.category).copied().unwrap_or(0.5);
            let prob = nab::probationary_length(s.len());
            let flags: Vec<bool> = s.iter().enumerate().map(|(i, &v)| i >= prob && v >= t).collect();
            let a = metrics::pointwise(&f.series.timestamps, &flags, &f.points);
            pw = (pw.0 + a.tp, pw.1 + a.fp, pw.2 + a.fn_);
            let b = metrics::windowed(&f.series.timestamps, &flags, &f.windows);
            let hit = (b.recall * f.windows.len() as f64).round() as usize;
            ww = (ww.0 + b.tp, ww.1 + b.fp, ww.2 + hit, ww.3 + f.windows.len());
        }
        let a = metrics::Prf::from_counts(pw.0, pw.1, pw.2);
        let prec = if ww.0 + ww.1 == 0 { 0.0 } else { ww.0 as f64 / (ww.0 + ww.1) as f64 };
        let rec = if ww.3 == 0 { 0.0 } else { ww.2 as f64 / ww.3 as f64 };
        let f1 = if prec + rec == 0.0 { 0.0 } else { 2.0 * prec * rec / (prec + rec) };
        outln!(
            "{name:<14} point labels: precision {:.3} recall {:.3} F1 {:.3} | window-tolerant: precision {prec:.3} recall {rec:.3} F1 {f1:.3}",
            a.precision, a.recall, a.f1
        );
        if *name == headline_name {
            headline = res;
        }
    }
    if let Some(text) = &args.candidates {
        let list: Vec<serde_json::Value> =
            serde_json::from_str(text).context("--candidates: expected a JSON list of parameter objects")?;
        let cands: Vec<DetectorParams> = list
            .iter()
            .map(|v| serde_json::from_value(v.clone()))
            .collect::<Result<_, _>>()
            .context("--candidates: a candidate is not a parameter object")?;
        let scores: Vec<Vec<Vec<f64>>> = cands
            .iter()
            .map(|c| {
                files
                    .par_iter()
                    .map(|f| score_series(&f.series.timestamps, &f.series.values, c).iter().map(|x| x.score).collect())
                    .collect()
            })
            .collect();
        for (i, v) in list.iter().enumerate() {
            let single = nab::evaluate(&files, &scores[i], ThresholdMethod::LeaveOneCategoryOut);
            let line: Vec<String> = single.iter().map(|r| format!("{:.2}", r.score)).collect();
            outln!("candidate {i} {v}: leave-one-category-out thresholds {}", line.join(" / "));
        }
        for n in nab::evaluate_candidates(&files, &scores) {
            let chosen: Vec<String> = n
                .chosen
                .iter()
                .map(|(c, i)| format!("{c}={i}@{}", n.result.thresholds.get(c).copied().unwrap_or(0.0)))
                .collect();
            outln!(
                "nested {:<19} leave-one-category-out over {} candidates and thresholds: {:6.2} (windows hit {}, missed {}, FP {}); chosen: {}",
                n.result.profile,
                cands.len(),
                n.result.score,
                n.result.tp,
                n.result.fn_,
                n.result.fp,
                chosen.join(" ")
            );
        }
    }
    for r in &headline {
        outln!("{}: {:.1}", r.profile, r.score);
    }
    Ok(ExitCode::SUCCESS)
}
