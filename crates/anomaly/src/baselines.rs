//! Robust baselines, each usable one point at a time with bounded memory:
//! a trailing MAD z-score, an EWMA z-score and a seasonal-decomposition residual.
//! Every detector scores a point against the past only (no look-ahead), then learns it.

use std::collections::VecDeque;

/// 1.4826 x MAD estimates the standard deviation of normal data.
pub const MAD_TO_SIGMA: f64 = 1.4826;
/// Scores are capped so one wild point cannot dominate the likelihood statistics.
pub const Z_CAP: f64 = 50.0;

/// A fixed-capacity window of the most recent values.
#[derive(Debug, Clone)]
pub struct Ring {
    buf: VecDeque<f64>,
    cap: usize,
}

impl Ring {
    /// An empty window holding at most `cap` values.
    pub fn new(cap: usize) -> Self {
        Self { buf: VecDeque::with_capacity(cap.max(1)), cap: cap.max(1) }
    }
    /// Append, evicting the oldest value when full.
    pub fn push(&mut self, v: f64) {
        if self.buf.len() == self.cap {
            self.buf.pop_front();
        }
        self.buf.push_back(v);
    }
    /// Values held.
    pub fn len(&self) -> usize {
        self.buf.len()
    }
    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }
    /// The value `back` steps ago (1 = the latest).
    pub fn ago(&self, back: usize) -> Option<f64> {
        if back == 0 || back > self.buf.len() {
            return None;
        }
        self.buf.get(self.buf.len() - back).copied()
    }
    /// The capacity (the memory bound).
    pub fn capacity(&self) -> usize {
        self.cap
    }
    /// Iterate oldest to newest.
    pub fn iter(&self) -> impl Iterator<Item = &f64> {
        self.buf.iter()
    }
}

/// Median of a slice (mean of the two middle values for even lengths).
pub fn median(xs: &mut [f64]) -> f64 {
    if xs.is_empty() {
        return 0.0;
    }
    xs.sort_unstable_by(|a, b| a.total_cmp(b));
    let n = xs.len();
    if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    }
}

/// Median and MAD of a window.
pub fn median_mad(window: &[f64]) -> (f64, f64) {
    let mut v = window.to_vec();
    let med = median(&mut v);
    let mut dev: Vec<f64> = window.iter().map(|x| (x - med).abs()).collect();
    (med, median(&mut dev))
}

/// z-score of `x` against a window's median and MAD. A zero MAD (flat window) falls back to
/// the mean absolute deviation, then to a tiny scale relative to the level, so a change in
/// a flat series is large but finite.
pub fn robust_z(x: f64, window: &[f64]) -> (f64, f64, f64) {
    let (med, mad) = median_mad(window);
    let mut scale = MAD_TO_SIGMA * mad;
    if scale <= 1e-12 {
        let mean_abs = window.iter().map(|v| (v - med).abs()).sum::<f64>() / window.len().max(1) as f64;
        scale = 1.2533 * mean_abs;
    }
    if scale <= 1e-12 {
        scale = 1e-3 * med.abs().max(1e-3);
    }
    (((x - med).abs() / scale).min(Z_CAP), med, scale)
}

/// Trailing MAD z-score over the last `window` points.
#[derive(Debug, Clone)]
pub struct MadZ {
    ring: Ring,
    min_points: usize,
}

/// The result of scoring one point with [`MadZ`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MadScore {
    /// |x - median| / (1.4826 MAD), capped.
    pub z: f64,
    /// The trailing median.
    pub median: f64,
    /// The robust standard deviation estimate.
    pub scale: f64,
}

impl MadZ {
    /// A detector over the last `window` points; silent until `min_points` are seen.
    pub fn new(window: usize, min_points: usize) -> Self {
        Self { ring: Ring::new(window), min_points: min_points.max(2) }
    }
    /// Score `x` against the past, then remember it.
    pub fn push(&mut self, x: f64) -> Option<MadScore> {
        let out = if self.ring.len() >= self.min_points {
            let w: Vec<f64> = self.ring.iter().copied().collect();
            let (z, median, scale) = robust_z(x, &w);
            Some(MadScore { z, median, scale })
        } else {
            None
        };
        self.ring.push(x);
        out
    }
    /// Values held (the memory bound is the window).
    pub fn held(&self) -> usize {
        self.ring.len()
    }
}

/// Batch MAD z-scores computed directly from slices (the reference the streaming version is
/// tested against).
pub fn mad_z_batch(values: &[f64], window: usize, min_points: usize) -> Vec<Option<f64>> {
    (0..values.len())
        .map(|i| {
            let lo = i.saturating_sub(window);
            if i - lo >= min_points.max(2) {
                Some(robust_z(values[i], &values[lo..i]).0)
            } else {
                None
            }
        })
        .collect()
}

/// Exponentially weighted mean and variance; z = |x - mean| / sd of the past.
#[derive(Debug, Clone)]
pub struct Ewma {
    alpha: f64,
    mean: f64,
    var: f64,
    n: usize,
    warmup: usize,
}

impl Ewma {
    /// `alpha` is the weight of the newest point; silent for the first `warmup` points.
    pub fn new(alpha: f64, warmup: usize) -> Self {
        Self { alpha, mean: 0.0, var: 0.0, n: 0, warmup }
    }
    /// Score `x` against the past, then learn it.
    pub fn push(&mut self, x: f64) -> Option<f64> {
        let out = if self.n >= self.warmup.max(2) {
            let sd = self.var.sqrt().max(1e-9 * self.mean.abs().max(1.0));
            Some(((x - self.mean).abs() / sd).min(Z_CAP))
        } else {
            None
        };
        if self.n == 0 {
            self.mean = x;
        } else {
            // West's EW variance update: uses the deviation from the old mean.
            let d = x - self.mean;
            self.mean += self.alpha * d;
            self.var = (1.0 - self.alpha) * (self.var + self.alpha * d * d);
        }
        self.n += 1;
        out
    }
}

/// Batch EWMA z-scores (reference for the streaming test).
pub fn ewma_batch(values: &[f64], alpha: f64, warmup: usize) -> Vec<Option<f64>> {
    let mut e = Ewma::new(alpha, warmup);
    values.iter().map(|&x| e.push(x)).collect()
}

/// Seasonal decomposition residual: the expected value is the median of the same phase in
/// the previous `k` periods; the residual is scored with a trailing MAD z-score.
#[derive(Debug, Clone)]
pub struct Seasonal {
    period: usize,
    k: usize,
    history: Ring,
    residual: MadZ,
}

/// The result of scoring one point with [`Seasonal`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SeasonalScore {
    /// Robust z of the residual.
    pub z: f64,
    /// The seasonal expectation for this point.
    pub expected: f64,
}

impl Seasonal {
    /// `period` in points (e.g. 288 for a day of 5-minute data), `k` periods of memory.
    pub fn new(period: usize, k: usize, residual_window: usize) -> Self {
        let period = period.max(1);
        let k = k.max(1);
        Self { period, k, history: Ring::new(period * k), residual: MadZ::new(residual_window, 30) }
    }
    /// Score `x` against the past, then remember it.
    pub fn push(&mut self, x: f64) -> Option<SeasonalScore> {
        let mut same_phase: Vec<f64> = (1..=self.k).filter_map(|j| self.history.ago(j * self.period)).collect();
        self.history.push(x);
        if same_phase.is_empty() {
            return None;
        }
        let expected = median(&mut same_phase);
        self.residual.push(x - expected).map(|s| SeasonalScore { z: s.z, expected })
    }
    /// Values held (period x k plus the residual window).
    pub fn held(&self) -> usize {
        self.history.len() + self.residual.held()
    }
}
