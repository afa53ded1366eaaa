//! Metric series input: `timestamp,value[,series]` CSV (NAB's files are `timestamp,value`).
//!
//! Rows are sorted by time, duplicate timestamps are merged (mean of their values) and
//! every irregularity is counted in a [`SeriesReport`] instead of being dropped silently.
//! Gaps are not filled: the detectors work per observation, and filling would invent data
//! the explanations would then talk about.

use std::collections::BTreeMap;
use std::io::{BufRead, Read};
use std::path::Path;

use chrono::{DateTime, NaiveDate, NaiveDateTime};
use serde::Serialize;

use crate::{AnomalyError, Result};

/// One metric series, sorted by time, one value per timestamp.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// The series name (the `series` column, or the file stem).
    pub name: String,
    /// Epoch seconds (timestamps without a zone are read as UTC).
    pub timestamps: Vec<i64>,
    /// The timestamps as written in the input (first occurrence), for NAB-format output.
    pub labels: Vec<String>,
    /// The values.
    pub values: Vec<f64>,
    /// Every parsed input row in input order (epoch seconds, value), before sorting and
    /// merging: NAB's scorer wants one result row per data row.
    pub input_rows: Vec<(i64, f64)>,
}

impl Series {
    /// The point (index into `timestamps`) holding timestamp `ts`, if any.
    pub fn point_of(&self, ts: i64) -> Option<usize> {
        self.timestamps.binary_search(&ts).ok()
    }

    /// Per-point values spread over the input rows: a duplicated timestamp's rows each get
    /// that timestamp's value.
    pub fn per_input_row<T: Copy>(&self, per_point: &[T], missing: T) -> Vec<T> {
        self.input_rows
            .iter()
            .map(|&(ts, _)| self.point_of(ts).and_then(|i| per_point.get(i).copied()).unwrap_or(missing))
            .collect()
    }

    /// The input rows' timestamps, in input order.
    pub fn input_timestamps(&self) -> Vec<i64> {
        self.input_rows.iter().map(|r| r.0).collect()
    }
}

/// What was found while reading a series.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SeriesReport {
    /// Data rows read for this series (header excluded).
    pub rows: usize,
    /// Rows skipped because the timestamp or value did not parse (with line numbers).
    pub bad_rows: Vec<(u64, String)>,
    /// Rows merged into an earlier row with the same timestamp.
    pub duplicates: usize,
    /// Rows that came earlier in time than the row before them (sorted, not dropped).
    pub out_of_order: usize,
    /// The median step between consecutive timestamps, seconds.
    pub median_step_s: i64,
    /// Steps different from the median step.
    pub irregular_steps: usize,
    /// Steps longer than 1.5 x the median step (missing observations).
    pub gaps: usize,
    /// The longest step, seconds.
    pub longest_gap_s: i64,
}

/// Parse a timestamp: `YYYY-MM-DD HH:MM:SS[.f]`, the same with `T`, RFC 3339, a bare date,
/// or epoch seconds.
pub fn parse_timestamp(s: &str) -> Result<i64> {
    let t = s.trim();
    for fmt in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(t, fmt) {
            return Ok(dt.and_utc().timestamp());
        }
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return Ok(dt.timestamp());
    }
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        if let Some(dt) = d.and_hms_opt(0, 0, 0) {
            return Ok(dt.and_utc().timestamp());
        }
    }
    if let Ok(secs) = t.parse::<i64>() {
        return Ok(secs);
    }
    Err(AnomalyError::BadTimestamp(t.to_string()))
}

/// Format epoch seconds as NAB does (`YYYY-MM-DD HH:MM:SS`).
pub fn format_timestamp(ts: i64) -> String {
    DateTime::from_timestamp(ts, 0).map(|d| d.format("%Y-%m-%d %H:%M:%S").to_string()).unwrap_or_else(|| ts.to_string())
}

/// One parsed row: epoch seconds, the timestamp as written, the value.
type RawRow = (i64, String, f64);

/// Read every series in a CSV. `series` selects the column that names series
/// (default `series` if present); without it the whole file is one series named `default_name`.
pub fn read_csv<R: Read>(
    reader: R,
    series_col: Option<&str>,
    default_name: &str,
) -> Result<Vec<(Series, SeriesReport)>> {
    let mut rdr = csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(reader);
    let headers = rdr.headers()?.clone();
    let find = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let ts_col = find("timestamp").ok_or_else(|| AnomalyError::MissingColumn("timestamp".into()))?;
    let val_col = find("value").ok_or_else(|| AnomalyError::MissingColumn("value".into()))?;
    let ser_col = match series_col {
        Some(c) => Some(find(c).ok_or_else(|| AnomalyError::MissingColumn(c.to_string()))?),
        None => find("series"),
    };
    // Raw rows per series in input order: (timestamp, text, value).
    let mut raw: BTreeMap<String, (Vec<RawRow>, SeriesReport)> = BTreeMap::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = i as u64 + 2;
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                raw.entry(default_name.to_string()).or_default().1.bad_rows.push((line, e.to_string()));
                continue;
            }
        };
        let name = ser_col.and_then(|c| rec.get(c)).filter(|s| !s.is_empty()).unwrap_or(default_name).to_string();
        let entry = raw.entry(name).or_default();
        entry.1.rows += 1;
        let ts_text = rec.get(ts_col).unwrap_or("");
        let ts = match parse_timestamp(ts_text) {
            Ok(t) => t,
            Err(e) => {
                entry.1.bad_rows.push((line, e.to_string()));
                continue;
            }
        };
        match rec.get(val_col).unwrap_or("").parse::<f64>() {
            Ok(v) if v.is_finite() => entry.0.push((ts, ts_text.to_string(), v)),
            _ => entry.1.bad_rows.push((line, format!("bad value {:?}", rec.get(val_col).unwrap_or("")))),
        }
    }
    Ok(raw.into_iter().map(|(name, (rows, report))| build(name, rows, report)).collect())
}

/// Opens a CSV file for reading, decompressing it when it is gzip (recognised by its magic
/// bytes, whatever its name).
pub fn open_input(path: &Path) -> Result<Box<dyn Read>> {
    let io = |source| AnomalyError::Io { path: path.display().to_string(), source };
    let mut file = std::io::BufReader::new(std::fs::File::open(path).map_err(io)?);
    let gzip = file.fill_buf().map_err(io)?.starts_with(&[0x1f, 0x8b]);
    Ok(if gzip {
        Box::new(std::io::BufReader::new(flate2::bufread::MultiGzDecoder::new(file)))
    } else {
        Box::new(file)
    })
}

/// The series name a file gives: its name without `.gz` and without the extension.
pub fn file_stem(path: &Path) -> String {
    let name = path.file_name().map(|s| s.to_string_lossy().to_string()).unwrap_or_default();
    let name = name.strip_suffix(".gz").unwrap_or(&name);
    Path::new(name).file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_default()
}

/// Read one series from a CSV file (plain or gzip); `series` picks it when the file holds several.
pub fn read_file(path: &Path, series: Option<&str>) -> Result<(Series, SeriesReport)> {
    let all = read_csv(open_input(path)?, None, &file_stem(path))?;
    match series {
        Some(name) => {
            all.into_iter().find(|(s, _)| s.name == name).ok_or_else(|| AnomalyError::UnknownSeries(name.to_string()))
        }
        None => all.into_iter().next().ok_or(AnomalyError::TooShort(0, 1)),
    }
}

fn build(name: String, mut rows: Vec<RawRow>, mut report: SeriesReport) -> (Series, SeriesReport) {
    report.out_of_order = rows.windows(2).filter(|w| w[1].0 < w[0].0).count();
    let input_rows = rows.iter().map(|r| (r.0, r.2)).collect();
    // Stable sort keeps the input order among equal timestamps, so the merge is deterministic.
    rows.sort_by_key(|r| r.0);
    let mut s = Series { name, timestamps: Vec::new(), labels: Vec::new(), values: Vec::new(), input_rows };
    let mut count = 0usize;
    for (ts, text, v) in rows {
        if s.timestamps.last() == Some(&ts) {
            report.duplicates += 1;
            count += 1;
            if let Some(last) = s.values.last_mut() {
                // Running mean of the duplicates.
                *last += (v - *last) / count as f64;
            }
        } else {
            s.timestamps.push(ts);
            s.labels.push(text);
            s.values.push(v);
            count = 1;
        }
    }
    let mut steps: Vec<i64> = s.timestamps.windows(2).map(|w| w[1] - w[0]).collect();
    if !steps.is_empty() {
        report.longest_gap_s = steps.iter().copied().max().unwrap_or(0);
        let median = median_step(&mut steps);
        report.median_step_s = median;
        report.irregular_steps = s.timestamps.windows(2).filter(|w| w[1] - w[0] != median).count();
        report.gaps = s.timestamps.windows(2).filter(|w| (w[1] - w[0]) * 2 > median * 3).count();
    }
    (s, report)
}

/// The median of the steps (lower median), used as the series' nominal period.
pub fn median_step(steps: &mut [i64]) -> i64 {
    if steps.is_empty() {
        return 0;
    }
    steps.sort_unstable();
    steps[(steps.len() - 1) / 2]
}
