//! A receiver outage as other detectors read it back from a `reception` finding, and
//! the words that describe it. The dark detector's `reception_outage` pattern reads
//! outages through this module only, never through the detector.

use chrono::Duration;
use lookout_model::{Finding, Timestamp};
use serde_json::{json, Value};

/// Detector code; also the upstream key the dark detector reads.
pub const RECEPTION: &str = "reception";

/// A grid cell: `floor(lat / deg)`, `floor(lon / deg)`.
pub(crate) type Cell = (i64, i64);

pub(crate) fn cell_of(lat: f64, lon: f64, deg: f64) -> Option<Cell> {
    if !(lat.is_finite() && lon.is_finite()) {
        return None;
    }
    Some(((lat / deg).floor() as i64, (lon / deg).floor() as i64))
}

/// What a detected receiver outage adds to a dark finding: the description of the
/// `reception_outage` pattern with the outage's numbers, and the outage as evidence.
#[derive(Clone, Debug, PartialEq)]
pub struct OutageNote {
    pub description_ko: String,
    pub description_en: String,
    pub evidence: serde_json::Value,
}

fn fmt_lat(x: f64) -> String {
    format!("{:.2}{}", x.abs(), if x < 0.0 { 'S' } else { 'N' })
}

fn fmt_lon(x: f64) -> String {
    format!("{:.2}{}", x.abs(), if x < 0.0 { 'W' } else { 'E' })
}

fn num(e: &Value, path: &str) -> f64 {
    e.pointer(path).and_then(Value::as_f64).unwrap_or(f64::NAN)
}

/// The outage's numbers in Korean and English, from its evidence.
pub(crate) fn describe(e: &Value, start: Timestamp, end: Timestamp) -> (String, String) {
    let cell = format!(
        "{}~{} {}~{}",
        fmt_lat(num(e, "/cell/lat_min")),
        fmt_lat(num(e, "/cell/lat_max")),
        fmt_lon(num(e, "/cell/lon_min")),
        fmt_lon(num(e, "/cell/lon_max"))
    );
    let span = format!("{}–{} UTC", start.format("%Y-%m-%d %H:%M"), end.format("%H:%M"));
    let (base, seen, drop) =
        (num(e, "/baseline_reports_per_bucket"), num(e, "/observed_reports_per_bucket"), num(e, "/drop_pct"));
    let bucket = num(e, "/bucket_min");
    let (silent, reference) = (num(e, "/silent_count"), num(e, "/reference_vessels"));
    let (rest_seen, rest_base) =
        (num(e, "/rest_observed_reports_per_bucket"), num(e, "/rest_baseline_reports_per_bucket"));
    let ko = format!(
        "셀 {cell}, {span}: {bucket}분당 보고 {base}건 → {seen}건 (-{drop}%), 직전 선박 {reference}척 중 {silent}척이 동시에 무신호, 나머지 해역은 정상 수신 ({rest_seen}건, 평소 {rest_base}건)"
    );
    let en = format!(
        "cell {cell}, {span}: reports per {bucket} min fell from {base} to {seen} (-{drop}%), {silent} of the {reference} vessels heard just before went silent at once while the rest of the area kept reporting ({rest_seen} vs a usual {rest_base})"
    );
    (ko, en)
}

/// An outage read back from a `reception` finding, as the dark detector uses it.
#[derive(Clone, Debug, PartialEq)]
pub struct OutageRef {
    pub area: String,
    pub cell_deg: f64,
    pub cell: (i64, i64),
    pub start: Timestamp,
    pub end: Timestamp,
    pub bucket: Duration,
    /// What the dark breakdown says about it.
    pub note: OutageNote,
}

impl OutageRef {
    /// `None` for a finding that is not a well-formed outage.
    pub fn from_finding(f: &Finding) -> Option<OutageRef> {
        if f.detector != RECEPTION {
            return None;
        }
        let e = &f.evidence;
        let cell = (e.pointer("/cell/i")?.as_i64()?, e.pointer("/cell/j")?.as_i64()?);
        let cell_deg = e.pointer("/cell/cell_deg")?.as_f64().filter(|d| *d > 0.0)?;
        let bucket = Duration::minutes(e.get("bucket_min")?.as_i64()?);
        let (ko, en) = describe(e, f.start, f.end);
        let note = OutageNote {
            description_ko: format!("수신기 장애 중에 시작된 공백은 자연 소실일 가능성이 큼 (감점): {ko}"),
            description_en: format!(
                "The silence began during a receiver outage, so it is most likely natural (lowers the score): {en}"
            ),
            evidence: json!({ "area": f.vessel.as_str(), "start": f.start, "end": f.end, "outage": e }),
        };
        let area = f.vessel.as_str().to_string();
        Some(OutageRef { area, cell_deg, cell, start: f.start, end: f.end, bucket, note })
    }

    /// True when this outage explains a gap from `gap_start` (last report, at `lat`,
    /// `lon`) to `gap_end` (the resume, or the cycle end): the gap starts in the outage's
    /// cell (neighbours do not count), no earlier than one bucket before the outage
    /// (the receiver fails between two reports) and before it ends, and the vessel is
    /// heard again at most one bucket after the outage ends. A vessel already silent
    /// before the receiver failed, or still silent well after it came back, is not
    /// explained by it.
    pub fn explains(&self, gap_start: Timestamp, gap_end: Timestamp, lat: f64, lon: f64) -> bool {
        cell_of(lat, lon, self.cell_deg) == Some(self.cell)
            && gap_start >= self.start - self.bucket
            && gap_start < self.end
            && gap_end <= self.end + self.bucket
    }
}

/// Outages of `reception` findings, in (start, area) order.
pub fn outages_from(findings: &[&Finding]) -> Vec<OutageRef> {
    let mut out: Vec<OutageRef> = findings.iter().filter_map(|f| OutageRef::from_finding(f)).collect();
    out.sort_by(|a, b| (a.start, &a.area).cmp(&(b.start, &b.area)));
    out
}
