//! A small dense autoencoder (window → hidden → window), trained by Adam on mean squared
//! reconstruction error, in plain Rust.
//!
//! Why not an LSTM in burn/candle: the model is 7 inputs wide; a dense bottleneck learns
//! the same "normal shape of a week" the reference LSTM learns, trains in milliseconds,
//! and keeps the workspace build free of a deep-learning framework (see the README for
//! the build-time numbers). Initialisation and batch order come from a seeded
//! [`SplitMix64`], so training is bit-for-bit reproducible.

use crate::prng::SplitMix64;

/// Training settings.
#[derive(Debug, Clone, PartialEq)]
pub struct AeConfig {
    /// Window length (the reference uses 7).
    pub window: usize,
    /// Bottleneck width.
    pub hidden: usize,
    /// Passes over the training windows.
    pub epochs: usize,
    /// Mini-batch size (the reference uses 16, unshuffled).
    pub batch: usize,
    /// Adam learning rate.
    pub learning_rate: f64,
    /// PRNG seed for the initial weights.
    pub seed: u64,
}

impl Default for AeConfig {
    fn default() -> Self {
        Self { window: 7, hidden: 3, epochs: 60, batch: 16, learning_rate: 0.01, seed: 42 }
    }
}

/// A trained autoencoder with its min-max scaling (fitted on the training data only).
#[derive(Debug, Clone)]
pub struct Autoencoder {
    n: usize,
    h: usize,
    w1: Vec<f64>, // h x n
    b1: Vec<f64>,
    w2: Vec<f64>, // n x h
    b2: Vec<f64>,
    min: f64,
    span: f64,
}

struct Adam {
    m: Vec<f64>,
    v: Vec<f64>,
}

impl Adam {
    fn new(len: usize) -> Self {
        Self { m: vec![0.0; len], v: vec![0.0; len] }
    }
    fn step(&mut self, p: &mut [f64], g: &[f64], lr: f64, t: i32) {
        let (b1, b2) = (0.9f64, 0.999f64);
        for i in 0..p.len() {
            self.m[i] = b1 * self.m[i] + (1.0 - b1) * g[i];
            self.v[i] = b2 * self.v[i] + (1.0 - b2) * g[i] * g[i];
            let mh = self.m[i] / (1.0 - b1.powi(t));
            let vh = self.v[i] / (1.0 - b2.powi(t));
            p[i] -= lr * mh / (vh.sqrt() + 1e-8);
        }
    }
}

impl Autoencoder {
    /// Train on every full window of `values` (consecutive, overlapping, like the reference).
    /// Returns `None` when there are fewer than two windows to learn from.
    pub fn train(values: &[f64], cfg: &AeConfig) -> Option<Self> {
        let n = cfg.window.max(1);
        if values.len() < n + 1 {
            return None;
        }
        let min = values.iter().copied().fold(f64::INFINITY, f64::min);
        let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        // A flat training series still gets a usable scale: any change is then "large".
        let span = if max - min > 1e-12 { max - min } else { min.abs().max(1.0) };
        let h = cfg.hidden.max(1);
        let mut rng = SplitMix64::new(cfg.seed);
        // Xavier/Glorot uniform bounds keep tanh out of saturation at the start.
        let a1 = (6.0 / (n + h) as f64).sqrt();
        let mut ae = Self {
            n,
            h,
            w1: (0..h * n).map(|_| rng.uniform(a1)).collect(),
            b1: vec![0.0; h],
            w2: (0..n * h).map(|_| rng.uniform(a1)).collect(),
            b2: vec![0.0; n],
            min,
            span,
        };
        let scaled: Vec<f64> = values.iter().map(|v| (v - min) / span).collect();
        let windows: Vec<&[f64]> = scaled.windows(n).collect();
        let (mut o1, mut ob1, mut o2, mut ob2) = (Adam::new(h * n), Adam::new(h), Adam::new(n * h), Adam::new(n));
        let mut t = 0;
        let batch = cfg.batch.max(1);
        for _ in 0..cfg.epochs {
            for chunk in windows.chunks(batch) {
                let (mut gw1, mut gb1, mut gw2, mut gb2) =
                    (vec![0.0; h * n], vec![0.0; h], vec![0.0; n * h], vec![0.0; n]);
                for x in chunk {
                    let (hid, out) = ae.forward(x);
                    // d(MSE)/d(out) = 2 (out - x) / n, averaged over the batch below.
                    let dout: Vec<f64> = (0..n).map(|i| 2.0 * (out[i] - x[i]) / n as f64).collect();
                    let mut dhid = vec![0.0; h];
                    for i in 0..n {
                        gb2[i] += dout[i];
                        for j in 0..h {
                            gw2[i * h + j] += dout[i] * hid[j];
                            dhid[j] += dout[i] * ae.w2[i * h + j];
                        }
                    }
                    for j in 0..h {
                        let dz = dhid[j] * (1.0 - hid[j] * hid[j]);
                        gb1[j] += dz;
                        for i in 0..n {
                            gw1[j * n + i] += dz * x[i];
                        }
                    }
                }
                let k = chunk.len() as f64;
                for g in [&mut gw1, &mut gb1, &mut gw2, &mut gb2] {
                    g.iter_mut().for_each(|v| *v /= k);
                }
                t += 1;
                o1.step(&mut ae.w1, &gw1, cfg.learning_rate, t);
                ob1.step(&mut ae.b1, &gb1, cfg.learning_rate, t);
                o2.step(&mut ae.w2, &gw2, cfg.learning_rate, t);
                ob2.step(&mut ae.b2, &gb2, cfg.learning_rate, t);
            }
        }
        Some(ae)
    }

    fn forward(&self, x: &[f64]) -> (Vec<f64>, Vec<f64>) {
        let hid: Vec<f64> = (0..self.h)
            .map(|j| (self.b1[j] + (0..self.n).map(|i| self.w1[j * self.n + i] * x[i]).sum::<f64>()).tanh())
            .collect();
        let out: Vec<f64> = (0..self.n)
            .map(|i| self.b2[i] + (0..self.h).map(|j| self.w2[i * self.h + j] * hid[j]).sum::<f64>())
            .collect();
        (hid, out)
    }

    /// The window length the model was trained on.
    pub fn window(&self) -> usize {
        self.n
    }

    /// Mean squared reconstruction error of one raw (unscaled) window, in scaled units.
    pub fn error(&self, window: &[f64]) -> f64 {
        let x: Vec<f64> = window.iter().map(|v| (v - self.min) / self.span).collect();
        if x.len() != self.n {
            return 0.0;
        }
        let (_, out) = self.forward(&x);
        out.iter().zip(&x).map(|(o, v)| (o - v) * (o - v)).sum::<f64>() / self.n as f64
    }

    /// The reconstruction of a raw window, back in the series' units (for the expected range).
    pub fn reconstruct(&self, window: &[f64]) -> Vec<f64> {
        let x: Vec<f64> = window.iter().map(|v| (v - self.min) / self.span).collect();
        if x.len() != self.n {
            return Vec::new();
        }
        self.forward(&x).1.into_iter().map(|v| v * self.span + self.min).collect()
    }
}

/// Mean and population standard deviation (numpy's default, as in the reference).
pub fn mean_std(xs: &[f64]) -> (f64, f64) {
    if xs.is_empty() {
        return (0.0, 0.0);
    }
    let m = xs.iter().sum::<f64>() / xs.len() as f64;
    let v = xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / xs.len() as f64;
    (m, v.sqrt())
}
