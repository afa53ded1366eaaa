//! Precision, recall and F1, as the reference notebook reports them (sklearn on per-point
//! flags), plus the window-tolerant variant that is meaningful for NAB's point labels.

use serde::Serialize;

/// Precision, recall and F1 with their counts.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Prf {
    /// True positives.
    pub tp: usize,
    /// False positives.
    pub fp: usize,
    /// False negatives.
    pub fn_: usize,
    /// tp / (tp + fp), 0 when nothing is flagged (sklearn's zero_division=0).
    pub precision: f64,
    /// tp / (tp + fn).
    pub recall: f64,
    /// Harmonic mean of precision and recall.
    pub f1: f64,
}

impl Prf {
    /// From counts.
    pub fn from_counts(tp: usize, fp: usize, fn_: usize) -> Self {
        let precision = if tp + fp == 0 { 0.0 } else { tp as f64 / (tp + fp) as f64 };
        let recall = if tp + fn_ == 0 { 0.0 } else { tp as f64 / (tp + fn_) as f64 };
        let f1 = if precision + recall == 0.0 { 0.0 } else { 2.0 * precision * recall / (precision + recall) };
        Self { tp, fp, fn_, precision, recall, f1 }
    }
}

/// Point-wise: a flag is correct only on the exact labelled timestamp.
pub fn pointwise(timestamps: &[i64], flags: &[bool], labels: &[i64]) -> Prf {
    let (mut tp, mut fp) = (0, 0);
    for (t, f) in timestamps.iter().zip(flags) {
        if *f {
            if labels.contains(t) {
                tp += 1;
            } else {
                fp += 1;
            }
        }
    }
    let hit = labels.iter().filter(|l| timestamps.iter().zip(flags).any(|(t, f)| *f && t == *l)).count();
    Prf::from_counts(tp, fp, labels.len() - hit)
}

/// Window-tolerant: a label is recalled when any flag falls in its window; a flag is
/// correct when it falls in any window (windows come from NAB's labels).
pub fn windowed(timestamps: &[i64], flags: &[bool], windows: &[(i64, i64)]) -> Prf {
    let inside = |t: i64| windows.iter().any(|&(a, b)| a <= t && t <= b);
    let (mut tp, mut fp) = (0, 0);
    for (t, f) in timestamps.iter().zip(flags) {
        if *f {
            if inside(*t) {
                tp += 1;
            } else {
                fp += 1;
            }
        }
    }
    let hit =
        windows.iter().filter(|&&(a, b)| timestamps.iter().zip(flags).any(|(t, f)| *f && a <= *t && *t <= b)).count();
    // Precision over flags, recall over windows: tp for precision is flags in windows.
    let mut prf = Prf::from_counts(tp, fp, windows.len() - hit);
    prf.recall = if windows.is_empty() { 0.0 } else { hit as f64 / windows.len() as f64 };
    prf.f1 = if prf.precision + prf.recall == 0.0 {
        0.0
    } else {
        2.0 * prf.precision * prf.recall / (prf.precision + prf.recall)
    };
    prf
}
