//! Anomaly likelihood, in the manner of NAB's Numenta detector: the mean of the last few raw
//! scores is compared with the distribution (normal fit) of that mean over a longer history;
//! the tail probability says how unusual "now" is for *this* series, which turns raw
//! scores of any scale into calibrated ones. The output is NAB's log scale:
//! `ln(Q + 1e-10) / ln(1e-10)`, so 0.5 means a tail probability of 1e-5.

use std::collections::VecDeque;

/// Streaming anomaly likelihood with bounded memory (`short` + `history` values).
#[derive(Debug, Clone)]
pub struct Likelihood {
    short: VecDeque<f64>,
    short_len: usize,
    history: VecDeque<f64>,
    history_len: usize,
    min_history: usize,
    sum: f64,
    sumsq: f64,
    pushes: usize,
}

/// The output for one point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LikelihoodScore {
    /// Tail probability of the recent mean under the history's normal fit.
    pub tail: f64,
    /// `ln(tail + 1e-10) / ln(1e-10)`, in [0, 1]; higher is more anomalous.
    pub log_score: f64,
}

impl Likelihood {
    /// `short`: points averaged for "now"; `history`: points in the reference distribution;
    /// silent until `min_history` averages have been seen.
    pub fn new(short: usize, history: usize, min_history: usize) -> Self {
        Self {
            short: VecDeque::with_capacity(short.max(1)),
            short_len: short.max(1),
            history: VecDeque::with_capacity(history.max(2)),
            history_len: history.max(2),
            min_history: min_history.max(2),
            sum: 0.0,
            sumsq: 0.0,
            pushes: 0,
        }
    }

    /// Score a raw score against the past, then learn it.
    pub fn push(&mut self, raw: f64) -> Option<LikelihoodScore> {
        if self.short.len() == self.short_len {
            self.short.pop_front();
        }
        self.short.push_back(raw);
        let avg = self.short.iter().sum::<f64>() / self.short.len() as f64;
        let out = if self.history.len() >= self.min_history {
            let n = self.history.len() as f64;
            let mean = self.sum / n;
            let var = (self.sumsq / n - mean * mean).max(0.0);
            // A variance floor (as NAB's estimator has) keeps a flat history from turning
            // every rounding wiggle into a certain anomaly.
            let sd = var.max(0.0003).sqrt();
            let tail = normal_tail((avg - mean) / sd);
            Some(LikelihoodScore { tail, log_score: (tail + 1e-10).ln() / 1e-10f64.ln() })
        } else {
            None
        };
        if self.history.len() == self.history_len {
            if let Some(old) = self.history.pop_front() {
                self.sum -= old;
                self.sumsq -= old * old;
            }
        }
        self.history.push_back(avg);
        self.sum += avg;
        self.sumsq += avg * avg;
        self.pushes += 1;
        // Incremental sums drift; recompute exactly once per history length.
        if self.pushes >= self.history_len {
            self.pushes = 0;
            self.sum = self.history.iter().sum();
            self.sumsq = self.history.iter().map(|v| v * v).sum();
        }
        out
    }

    /// Values held (the memory bound is `short + history`).
    pub fn held(&self) -> usize {
        self.short.len() + self.history.len()
    }
}

/// Upper tail probability of the standard normal, Q(z) = P(Z > z).
pub fn normal_tail(z: f64) -> f64 {
    0.5 * erfc(z / std::f64::consts::SQRT_2)
}

/// Complementary error function (Numerical Recipes' Chebyshev fit, |error| < 1.2e-7
/// relative), accurate far into the tail where `1 - erf` would cancel.
pub fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let r = t
        * (-z * z - 1.265_512_23
            + t * (1.000_023_68
                + t * (0.374_091_96
                    + t * (0.096_784_18
                        + t * (-0.186_288_06
                            + t * (0.278_868_07
                                + t * (-1.135_203_98
                                    + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77)))))))))
            .exp();
    if x >= 0.0 {
        r
    } else {
        2.0 - r
    }
}
