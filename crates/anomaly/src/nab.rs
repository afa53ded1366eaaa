//! The Numenta Anomaly Benchmark: corpus loading, NAB-format result files and NAB's scoring.
//!
//! The scoring follows NAB v1.1 (`nab/sweeper.py`, `nab/runner.py`) rule for rule:
//! * each labelled window is entered at its first timestamp and left after its last;
//! * a detection inside a window scores `scaled_sigmoid(-(right - i + 1) / width)` scaled by
//!   `tp_weight / scaled_sigmoid(-1)`; only the best (= first) detection of a window counts;
//!   a window without a detection costs `fn_weight`;
//! * a detection outside windows costs `fp_weight x scaled_sigmoid(distance past the
//!   previous window / (its width - 1))`, and the full `fp_weight` before the first window;
//! * the first `min(floor(0.15 n), 0.15 x 5000)` rows are probationary and not scored;
//! * a point is detected when `anomaly_score >= threshold`;
//! * the corpus score is normalised: `100 (raw - null) / (perfect - null)`, with the null
//!   detector (no detection: `-fn_weight` per scorable window) and the perfect detector
//!   (`tp_weight` per labelled window) recomputed for the files actually scored.
//!
//! NAB itself picks each detector's threshold by maximising the score over the corpus'
//! own labels. [`evaluate`] offers that (reported as such) and, for our headline number,
//! leave-one-category-out cross-validation: the threshold for a category is the one that
//! maximises the score on all *other* categories.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::series::{parse_timestamp, Series};
use crate::{AnomalyError, Result};

/// A NAB cost profile.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Profile {
    /// NAB's profile name.
    pub name: &'static str,
    /// Weight of a true positive.
    pub tp: f64,
    /// Weight of a false positive.
    pub fp: f64,
    /// Weight of a false negative.
    pub fn_: f64,
}

/// NAB's three profiles (`config/profiles.json`).
pub const PROFILES: [Profile; 3] = [
    Profile { name: "standard", tp: 1.0, fp: 0.11, fn_: 1.0 },
    Profile { name: "reward_low_FP_rate", tp: 1.0, fp: 0.22, fn_: 1.0 },
    Profile { name: "reward_low_FN_rate", tp: 1.0, fp: 0.11, fn_: 2.0 },
];

/// NAB's probationary fraction.
pub const PROBATION_PERCENT: f64 = 0.15;

/// `2 sigmoid(-5 x) - 1`, and -1 from 3 window widths on.
pub fn scaled_sigmoid(x: f64) -> f64 {
    if x >= 3.0 {
        -1.0
    } else {
        2.0 / (1.0 + (5.0 * x).exp()) - 1.0
    }
}

/// NAB's probationary length for `n` rows.
pub fn probationary_length(n: usize) -> usize {
    let a = (PROBATION_PERCENT * n as f64).floor();
    let b = PROBATION_PERCENT * 5000.0;
    // NAB compares `i >= min(a, b)`; both bounds are whole numbers here (b = 750).
    a.min(b) as usize
}

/// How a row counts when detected.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RowKind {
    /// In the probationary period: never scored.
    Probationary,
    /// Inside window `w`; the unweighted scaled-sigmoid value of a detection here.
    Window(usize, f64),
    /// Outside windows; the unweighted (negative) value of a detection here.
    Outside(f64),
}

/// Label one file's rows, in the data file's order, as NAB's sweeper does (the probationary
/// period counts these rows, duplicated timestamps included).
pub fn sweep(timestamps: &[i64], windows: &[(i64, i64)]) -> Vec<RowKind> {
    let prob = probationary_length(timestamps.len());
    let mut spans: Vec<(usize, usize)> = windows.iter().filter_map(|&w| window_span(timestamps, w)).collect();
    spans.sort_unstable();
    let mut out = Vec::with_capacity(timestamps.len());
    let mut next = 0usize;
    let mut cur: Option<(usize, usize, usize)> = None; // (window id, left, right)
    let mut prev: Option<(usize, f64)> = None; // (right index, width)
    for i in 0..timestamps.len() {
        if cur.is_none() && next < spans.len() && spans[next].0 == i {
            cur = Some((next, spans[next].0, spans[next].1));
            next += 1;
        }
        let kind = match cur {
            Some((w, l, r)) => {
                let width = (r - l + 1) as f64;
                RowKind::Window(w, scaled_sigmoid(-((r as f64 - i as f64 + 1.0) / width)))
            }
            None => {
                let pos = match prev {
                    None => 3.0,
                    // A one-row window would divide by zero in NAB; treat it as far past.
                    Some((_, w)) if w <= 1.0 => 3.0,
                    Some((r, w)) => (i as f64 - r as f64).abs() / (w - 1.0),
                };
                RowKind::Outside(scaled_sigmoid(pos))
            }
        };
        out.push(if i >= prob { kind } else { RowKind::Probationary });
        if let Some((_, l, r)) = cur {
            if i == r {
                prev = Some((r, (r - l + 1) as f64));
                cur = None;
            }
        }
    }
    out
}

/// The rows a window covers. NAB finds its limits with `timestamps.index(...)`, the first
/// row carrying each one, so with a duplicated last timestamp the window ends at that
/// timestamp's first row. Limits no row carries (labels made elsewhere) fall back to the
/// first and last rows inside the window.
fn window_span(timestamps: &[i64], (start, end): (i64, i64)) -> Option<(usize, usize)> {
    let inside = |t: i64| start <= t && t <= end;
    let left = timestamps.iter().position(|&t| t == start).or_else(|| timestamps.iter().position(|&t| inside(t)))?;
    let right = timestamps.iter().position(|&t| t == end).or_else(|| timestamps.iter().rposition(|&t| inside(t)))?;
    (right >= left).then_some((left, right))
}

/// The score of one file at one threshold.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct FileScore {
    /// Raw NAB score.
    pub score: f64,
    /// Windows detected.
    pub tp: usize,
    /// Detections outside windows (after probation).
    pub fp: usize,
    /// Scorable windows missed.
    pub fn_: usize,
    /// Scorable windows (at least one row after probation).
    pub windows: usize,
}

/// Score one file: `rows` from [`sweep`], `scores` the detector's `anomaly_score`s.
pub fn score_file(rows: &[RowKind], scores: &[f64], threshold: f64, p: &Profile) -> FileScore {
    let max_tp = scaled_sigmoid(-1.0);
    let mut best: BTreeMap<usize, f64> = BTreeMap::new();
    let mut fp_sum = 0.0;
    let mut fp = 0;
    for (row, &s) in rows.iter().zip(scores) {
        match *row {
            RowKind::Probationary => {}
            RowKind::Window(w, u) => {
                let e = best.entry(w).or_insert(-p.fn_);
                if s >= threshold {
                    *e = e.max(u * p.tp / max_tp);
                }
            }
            RowKind::Outside(u) => {
                if s >= threshold {
                    fp_sum += u * p.fp;
                    fp += 1;
                }
            }
        }
    }
    let windows = best.len();
    let tp = best.values().filter(|&&v| v > -p.fn_).count();
    FileScore { score: fp_sum + best.values().sum::<f64>(), tp, fp, fn_: windows - tp, windows }
}

/// One NAB data file with its labels.
#[derive(Debug, Clone)]
pub struct NabFile {
    /// `category/file.csv`, the label key.
    pub key: String,
    /// The category directory.
    pub category: String,
    /// The data: merged points for the detectors, `input_rows` for results and scoring.
    pub series: Series,
    /// Anomaly windows (epoch seconds, inclusive).
    pub windows: Vec<(i64, i64)>,
    /// Point labels, when a point-label file was found.
    pub points: Vec<i64>,
}

fn labels_err(path: &Path, message: impl Into<String>) -> AnomalyError {
    AnomalyError::Labels { path: path.display().to_string(), message: message.into() }
}

fn read_json(path: &Path) -> Result<serde_json::Value> {
    let text = std::fs::read_to_string(path)
        .map_err(|source| AnomalyError::Io { path: path.display().to_string(), source })?;
    serde_json::from_str(&text).map_err(|e| labels_err(path, e.to_string()))
}

/// `combined_windows.json`: key → windows.
pub fn read_windows(path: &Path) -> Result<BTreeMap<String, Vec<(i64, i64)>>> {
    let json = read_json(path)?;
    let obj = json.as_object().ok_or_else(|| labels_err(path, "not an object"))?;
    let mut out = BTreeMap::new();
    for (k, v) in obj {
        let list = v.as_array().ok_or_else(|| labels_err(path, format!("{k}: not a list")))?;
        let mut ws = Vec::new();
        for w in list {
            let pair = w
                .as_array()
                .filter(|a| a.len() == 2)
                .ok_or_else(|| labels_err(path, format!("{k}: a window is not [start, end]")))?;
            let a = pair[0].as_str().ok_or_else(|| labels_err(path, format!("{k}: start not a string")))?;
            let b = pair[1].as_str().ok_or_else(|| labels_err(path, format!("{k}: end not a string")))?;
            ws.push((parse_timestamp(a)?, parse_timestamp(b)?));
        }
        out.insert(k.clone(), ws);
    }
    Ok(out)
}

/// `combined_labels.json`: key → labelled timestamps.
pub fn read_point_labels(path: &Path) -> Result<BTreeMap<String, Vec<i64>>> {
    let json = read_json(path)?;
    let obj = json.as_object().ok_or_else(|| labels_err(path, "not an object"))?;
    let mut out = BTreeMap::new();
    for (k, v) in obj {
        let list = v.as_array().ok_or_else(|| labels_err(path, format!("{k}: not a list")))?;
        let ts: Result<Vec<i64>> = list
            .iter()
            .map(|t| t.as_str().ok_or_else(|| labels_err(path, "label not a string")).and_then(parse_timestamp))
            .collect();
        out.insert(k.clone(), ts?);
    }
    Ok(out)
}

/// The default label file for a data directory: `DIR/../labels/combined_windows.json`,
/// else `DIR/labels/combined_windows.json`.
pub fn default_labels(data_dir: &Path) -> Option<PathBuf> {
    [data_dir.join("../labels/combined_windows.json"), data_dir.join("labels/combined_windows.json")]
        .into_iter()
        .find(|p| p.exists())
}

/// Load every labelled file that exists under `data_dir`; keys without a CSV are returned
/// in the second list (skipped, not an error). `only` restricts to keys containing any of
/// the given substrings.
pub fn load_corpus(data_dir: &Path, labels: &Path, only: &[String]) -> Result<(Vec<NabFile>, Vec<String>)> {
    let windows = read_windows(labels)?;
    let points = labels
        .parent()
        .map(|d| d.join("combined_labels.json"))
        .filter(|p| p.exists())
        .map(|p| read_point_labels(&p))
        .transpose()?
        .unwrap_or_default();
    let mut files = Vec::new();
    let mut skipped = Vec::new();
    for (key, ws) in windows {
        if !only.is_empty() && !only.iter().any(|o| key.contains(o.as_str())) {
            continue;
        }
        // A compressed copy (`file.csv.gz`) stands for `file.csv`.
        let Some(path) = [data_dir.join(&key), data_dir.join(format!("{key}.gz"))].into_iter().find(|p| p.exists())
        else {
            skipped.push(key);
            continue;
        };
        let (series, _) = crate::series::read_file(&path, None)?;
        let category = key.split('/').next().unwrap_or("").to_string();
        let pts = points.get(&key).cloned().unwrap_or_default();
        files.push(NabFile { key, category, series, windows: ws, points: pts });
    }
    Ok((files, skipped))
}

/// Write one detector's results in NAB's layout:
/// `OUT/<detector>/<category>/<detector>_<file>.csv` with `timestamp,value,anomaly_score,label`
/// (label = 1 inside a window, as NAB's labeller writes it). `scores` are per point; the file
/// has one row per data row, in the data file's order (NAB's scorer rejects any other length),
/// and the rows of a duplicated timestamp each carry that timestamp's score.
pub fn write_results(out: &Path, detector: &str, file: &NabFile, scores: &[f64]) -> Result<PathBuf> {
    let name = file.key.rsplit('/').next().unwrap_or(&file.key);
    let dir = out.join(detector).join(&file.category);
    let io = |path: &Path, source| AnomalyError::Io { path: path.display().to_string(), source };
    std::fs::create_dir_all(&dir).map_err(|e| io(&dir, e))?;
    let path = dir.join(format!("{detector}_{name}"));
    let mut text = String::from("timestamp,value,anomaly_score,label\n");
    let row_scores = file.series.per_input_row(scores, 0.0);
    for (&(t, v), s) in file.series.input_rows.iter().zip(row_scores) {
        let label = u8::from(file.windows.iter().any(|&(a, b)| a <= t && t <= b));
        let ts = crate::series::format_timestamp(t);
        text.push_str(&format!("{ts},{v},{s},{label}\n"));
    }
    std::fs::write(&path, text).map_err(|e| io(&path, e))?;
    Ok(path)
}

/// How the detection threshold is chosen.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ThresholdMethod {
    /// One fixed threshold for every file.
    Fixed(f64),
    /// Leave one category out: each category gets the threshold that maximises the score on
    /// the other categories (never on its own labels).
    LeaveOneCategoryOut,
    /// NAB's own procedure: one threshold maximising the score over all scored files
    /// (tuned on the labels being scored; reported for comparison only).
    NabOptimized,
}

/// The outcome for one profile.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProfileResult {
    /// Profile name.
    pub profile: &'static str,
    /// Normalised score (0 = null detector, 100 = perfect).
    pub score: f64,
    /// Raw summed score.
    pub raw: f64,
    /// The null detector's raw score for these files.
    pub null: f64,
    /// The perfect detector's raw score for these files.
    pub perfect: f64,
    /// Threshold used per category.
    pub thresholds: BTreeMap<String, f64>,
    /// Windows detected, false positives, windows missed.
    pub tp: usize,
    /// False positives.
    pub fp: usize,
    /// Missed windows.
    pub fn_: usize,
}

impl ProfileResult {
    fn empty(profile: &'static str) -> Self {
        ProfileResult {
            profile,
            score: 0.0,
            raw: 0.0,
            null: 0.0,
            perfect: 0.0,
            thresholds: BTreeMap::new(),
            tp: 0,
            fp: 0,
            fn_: 0,
        }
    }

    /// Adds one file's score, with the null and perfect detectors' scores of its windows.
    fn add(&mut self, fs: &FileScore, windows: usize, p: &Profile) {
        self.raw += fs.score;
        self.null -= p.fn_ * fs.windows as f64;
        self.perfect += p.tp * windows as f64;
        self.tp += fs.tp;
        self.fp += fs.fp;
        self.fn_ += fs.fn_;
    }

    fn finish(&mut self, thresholds: BTreeMap<String, f64>) {
        self.score = normalise(self.raw, self.null, self.perfect);
        self.thresholds = thresholds;
    }
}

/// The threshold grid searched by the optimising methods.
pub fn threshold_grid() -> Vec<f64> {
    (0..=400).map(|i| i as f64 / 400.0).collect()
}

/// Each file's rows as NAB's sweeper labels them: the data file's rows, in its order.
fn sweep_files(files: &[NabFile]) -> Vec<Vec<RowKind>> {
    files.iter().map(|f| sweep(&f.series.input_timestamps(), &f.windows)).collect()
}

/// Per-point scores spread over each file's data rows.
fn per_row(files: &[NabFile], scores: &[Vec<f64>]) -> Vec<Vec<f64>> {
    files.iter().zip(scores).map(|(f, s)| f.series.per_input_row(s, 0.0)).collect()
}

/// Score a detector's per-file, per-point `anomaly_score`s on every profile (scored per
/// data row, as NAB scores the results file [`write_results`] writes).
pub fn evaluate(files: &[NabFile], scores: &[Vec<f64>], method: ThresholdMethod) -> Vec<ProfileResult> {
    let rows = sweep_files(files);
    let scores = &per_row(files, scores);
    let grid = threshold_grid();
    let categories: Vec<String> = {
        let mut c: Vec<String> = files.iter().map(|f| f.category.clone()).collect();
        c.sort();
        c.dedup();
        c
    };
    PROFILES
        .iter()
        .map(|p| {
            // table[file][threshold] = raw score, computed once.
            let table: Vec<Vec<f64>> = if matches!(method, ThresholdMethod::Fixed(_)) {
                Vec::new()
            } else {
                rows.iter()
                    .zip(scores)
                    .map(|(r, s)| grid.iter().map(|&t| score_file(r, s, t, p).score).collect())
                    .collect()
            };
            let best_excluding = |exclude: Option<&str>| -> f64 {
                let mut best = (f64::NEG_INFINITY, 1.0);
                for (k, &t) in grid.iter().enumerate() {
                    let total: f64 = files
                        .iter()
                        .zip(&table)
                        .filter(|(f, _)| Some(f.category.as_str()) != exclude)
                        .map(|(_, row)| row[k])
                        .sum();
                    // Ties go to the higher threshold (fewer detections).
                    if total >= best.0 {
                        best = (total, t);
                    }
                }
                best.1
            };
            let thresholds: BTreeMap<String, f64> = categories
                .iter()
                .map(|c| {
                    let t = match method {
                        ThresholdMethod::Fixed(t) => t,
                        ThresholdMethod::NabOptimized => best_excluding(None),
                        ThresholdMethod::LeaveOneCategoryOut if categories.len() > 1 => best_excluding(Some(c)),
                        ThresholdMethod::LeaveOneCategoryOut => best_excluding(None),
                    };
                    (c.clone(), t)
                })
                .collect();
            let mut res = ProfileResult::empty(p.name);
            for ((f, r), s) in files.iter().zip(&rows).zip(scores) {
                let t = thresholds.get(&f.category).copied().unwrap_or(0.5);
                res.add(&score_file(r, s, t, p), f.windows.len(), p);
            }
            res.finish(thresholds);
            res
        })
        .collect()
}

/// `100 (raw - null) / (perfect - null)`.
pub fn normalise(raw: f64, null: f64, perfect: f64) -> f64 {
    if perfect - null == 0.0 {
        return 0.0;
    }
    100.0 * (raw - null) / (perfect - null)
}

/// Read a NAB-format results file (`timestamp,value,anomaly_score[,...]`): timestamps and
/// scores, for re-scoring results produced by any detector.
pub fn read_results(path: &Path) -> Result<(Vec<i64>, Vec<f64>)> {
    let file =
        std::fs::File::open(path).map_err(|source| AnomalyError::Io { path: path.display().to_string(), source })?;
    let mut rdr = csv::Reader::from_reader(std::io::BufReader::new(file));
    let headers = rdr.headers()?.clone();
    let col = |n: &str| headers.iter().position(|h| h == n).ok_or_else(|| AnomalyError::MissingColumn(n.to_string()));
    let (tc, sc) = (col("timestamp")?, col("anomaly_score")?);
    let (mut ts, mut ss) = (Vec::new(), Vec::new());
    for rec in rdr.records() {
        let rec = rec?;
        ts.push(parse_timestamp(rec.get(tc).unwrap_or(""))?);
        ss.push(rec.get(sc).unwrap_or("").parse::<f64>().unwrap_or(0.0));
    }
    Ok((ts, ss))
}

/// The outcome of [`evaluate_candidates`] for one profile.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NestedResult {
    /// Scores and the threshold used per category.
    pub result: ProfileResult,
    /// The candidate (index into the list) used per category.
    pub chosen: BTreeMap<String, usize>,
}

/// Leave-one-category-out over configurations *and* thresholds: each category is scored with
/// the (candidate, threshold) pair that maximises the score on all *other* categories. This
/// puts the choice among detector configurations inside the cross-validation, so the number
/// is not inflated by having picked the configuration on the files being scored.
/// `candidates[c][f]` are candidate `c`'s per-point scores for file `f`.
pub fn evaluate_candidates(files: &[NabFile], candidates: &[Vec<Vec<f64>>]) -> Vec<NestedResult> {
    let rows = sweep_files(files);
    let candidates: &Vec<Vec<Vec<f64>>> = &candidates.iter().map(|c| per_row(files, c)).collect();
    let grid = threshold_grid();
    let mut categories: Vec<String> = files.iter().map(|f| f.category.clone()).collect();
    categories.sort();
    categories.dedup();
    PROFILES
        .iter()
        .map(|p| {
            // table[candidate][file][threshold] = raw score.
            let table: Vec<Vec<Vec<f64>>> = candidates
                .iter()
                .map(|cand| {
                    rows.iter()
                        .zip(cand)
                        .map(|(r, s)| grid.iter().map(|&t| score_file(r, s, t, p).score).collect())
                        .collect()
                })
                .collect();
            let mut chosen = BTreeMap::new();
            let mut thresholds = BTreeMap::new();
            for c in &categories {
                let mut best = (f64::NEG_INFINITY, 0usize, 1.0);
                for (ci, cand) in table.iter().enumerate() {
                    for (k, &t) in grid.iter().enumerate() {
                        let total: f64 = files
                            .iter()
                            .zip(cand)
                            .filter(|(f, _)| categories.len() == 1 || &f.category != c)
                            .map(|(_, row)| row[k])
                            .sum();
                        // Ties go to the earlier candidate, then the higher threshold.
                        if total > best.0 || (total == best.0 && ci == best.1) {
                            best = (total, ci, t);
                        }
                    }
                }
                chosen.insert(c.clone(), best.1);
                thresholds.insert(c.clone(), best.2);
            }
            let mut res = ProfileResult::empty(p.name);
            for (fi, (f, r)) in files.iter().zip(&rows).enumerate() {
                let ci = chosen.get(&f.category).copied().unwrap_or(0);
                let t = thresholds.get(&f.category).copied().unwrap_or(0.5);
                let Some(s) = candidates.get(ci).and_then(|c| c.get(fi)) else { continue };
                res.add(&score_file(r, s, t, p), f.windows.len(), p);
            }
            res.finish(thresholds);
            NestedResult { result: res, chosen }
        })
        .collect()
}
