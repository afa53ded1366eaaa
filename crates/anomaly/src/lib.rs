//! Time-series anomaly detection for metric series (cloud cost, usage, message rates).
//!
//! The pipeline for one series:
//! [`series`] (parse, sort, merge duplicates, count gaps) →
//! [`detector::StreamingDetector`] (one point at a time, bounded memory, no look-ahead:
//! the default [`context`] detector (contextual novelty of quantised values with a rest
//! period), the reference hybrid = [`autoencoder`] flag + decrease rule, and the robust
//! [`baselines`], fused and calibrated by [`likelihood`]) →
//! [`explain`] (ko/en sentences from each flagged point's numbers) and [`plot`] (SVG).
//! [`nab`] runs the detector over the Numenta Anomaly Benchmark and scores it with
//! NAB's own rules; [`metrics`] gives precision/recall/F1 against point labels.

pub mod autoencoder;
pub mod baselines;
pub mod context;
pub mod detector;
pub mod explain;
pub mod likelihood;
pub mod metrics;
pub mod nab;
pub mod plot;
pub mod prng;
pub mod rate_drop;
pub mod series;

pub use detector::{score_series, DetectorParams, PointScore, StreamingDetector};
pub use series::{Series, SeriesReport};

/// Everything that can go wrong in this crate.
#[derive(Debug, thiserror::Error)]
pub enum AnomalyError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The CSV could not be parsed at all (bad header, not UTF-8...).
    #[error("CSV: {0}")]
    Csv(#[from] csv::Error),
    /// A required column is missing.
    #[error("missing column {0:?} (expected timestamp,value[,series])")]
    MissingColumn(String),
    /// The requested series does not occur in the file.
    #[error("series {0:?} not found in the file")]
    UnknownSeries(String),
    /// The series has too few points to analyse.
    #[error("series has {0} usable points; at least {1} are needed")]
    TooShort(usize, usize),
    /// A label file is malformed.
    #[error("labels {path}: {message}")]
    Labels {
        /// The label file.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// A timestamp could not be parsed.
    #[error("bad timestamp {0:?}")]
    BadTimestamp(String),
    /// A detector parameter is outside the range the detector can run with.
    #[error("params: {0}")]
    Params(String),
}

/// Result alias for this crate.
pub type Result<T> = std::result::Result<T, AnomalyError>;
