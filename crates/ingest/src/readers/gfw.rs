//! Global Fishing Watch style JSON lines: one object per line with `ssvid`, `lat`,
//! `lon`, `timestamp`, `speed`, `course`; other keys are ignored.

use std::io::{BufReader, Read};
use std::path::PathBuf;

use chrono_tz::Tz;
use lookout_model::{Position, Record, Reject, RejectReason, VesselId};
use serde::Deserialize;
use serde_json::Value;

use super::csv_rows::clip;
use super::fields::normalise_id;
use super::timestamp::{parse_with_kind, TimestampError};
use super::{KindsSeen, Step};
use crate::IngestError;

/// The keys Lookout reads; aliases cover the usual renamings in other JSON exports.
#[derive(Deserialize)]
pub(super) struct JsonRow {
    #[serde(alias = "mmsi", alias = "vessel_id")]
    pub ssvid: Option<Value>,
    #[serde(alias = "latitude")]
    lat: Option<f64>,
    #[serde(alias = "longitude", alias = "lng")]
    lon: Option<f64>,
    #[serde(alias = "time", alias = "datetime")]
    timestamp: Option<Value>,
    #[serde(alias = "sog")]
    speed: Option<f64>,
    #[serde(alias = "cog")]
    course: Option<f64>,
    heading: Option<f64>,
}

/// Largest integer an f64 holds exactly (2^53): a float-typed id beyond it has already
/// lost digits, so it is no id.
const MAX_EXACT_FLOAT_ID: f64 = 9_007_199_254_740_992.0;

/// The id as text. A JSON string is the source text (normalised like a CSV cell, so it
/// meets the same id rules); a JSON number must be a non-negative integer that fits
/// (`219021240` or a float export's `219021240.0`), since `1.5`, `-1` or `1e308` name no
/// vessel. `Err` says why, for a counted `invalid_id` reject.
pub(super) fn id_text(v: &Value) -> Result<String, String> {
    match v {
        Value::Number(n) => match (n.as_u64(), n.as_f64()) {
            (Some(u), _) => Ok(u.to_string()),
            (None, Some(f)) if f.fract() == 0.0 && (0.0..=MAX_EXACT_FLOAT_ID).contains(&f) => Ok(format!("{f:.0}")),
            _ => Err(format!("{} is not a non-negative integer id", clip(&n.to_string()))),
        },
        Value::String(s) => {
            Some(normalise_id(s).to_string()).filter(|s| !s.is_empty()).ok_or_else(|| "empty id".to_string())
        }
        Value::Null => Err("missing value".to_string()),
        other => Err(format!("{} is not an id", clip(&other.to_string()))),
    }
}

/// Streams JSON lines.
pub(super) struct GfwRows {
    rdr: BufReader<Box<dyn Read + Send>>,
    buf: Vec<u8>,
    line: u64,
    tz: Tz,
    pub kinds: KindsSeen,
    path: PathBuf,
    max_line_bytes: usize,
}

impl GfwRows {
    /// 1-based line of the last row produced.
    pub(crate) fn line(&self) -> u64 {
        self.line
    }

    pub(super) fn new(stream: Box<dyn Read + Send>, tz: Tz, path: PathBuf, max_line_bytes: usize) -> Self {
        GfwRows {
            rdr: BufReader::with_capacity(64 * 1024, stream),
            buf: Vec::with_capacity(512),
            line: 0,
            tz,
            kinds: KindsSeen::default(),
            path,
            max_line_bytes,
        }
    }

    /// Lines end in LF, CRLF, CR or LF CR (mixed files too), as in every reader.
    pub(super) fn next_step(&mut self) -> Step {
        loop {
            self.buf.clear();
            match lookout_nmea::read_line_bounded(&mut self.rdr, &mut self.buf, self.max_line_bytes) {
                Ok((0, _)) => return Step::End,
                Ok((_, true)) => {
                    self.line += 1;
                    let detail = format!("line longer than {} bytes", self.max_line_bytes);
                    return Step::Item(Err(Reject::new(RejectReason::LineTooLong, self.line, detail)));
                }
                Ok(_) => self.line += 1,
                Err(e) => {
                    let detail = e.to_string();
                    return Step::Fatal(IngestError::ReadFailed {
                        path: self.path.clone(),
                        line: self.line + 1,
                        detail,
                    });
                }
            }
            if !self.buf.iter().all(u8::is_ascii_whitespace) {
                return Step::Item(self.row());
            }
        }
    }

    fn row(&mut self) -> Result<Record, Reject> {
        let line = self.line;
        let bad = |what: String| Reject::new(RejectReason::MalformedRow, line, what);
        let text =
            std::str::from_utf8(&self.buf).map_err(|_| bad("text is not valid UTF-8 (pass --encoding)".into()))?;
        let row: JsonRow = serde_json::from_str(text.trim())
            .map_err(|e| bad(format!("not a JSON object with ssvid/lat/lon/timestamp: {e}")))?;
        let vessel = match &row.ssvid {
            Some(v) => id_text(v),
            None => Err("missing value".to_string()),
        }
        .map_err(|why| Reject::new(RejectReason::InvalidId, line, format!("key \"ssvid\": {why}")))?;
        let (timestamp, kind) = match &row.timestamp {
            Some(Value::String(s)) => parse_with_kind(s, self.tz),
            Some(Value::Number(n)) => parse_with_kind(&n.to_string(), self.tz),
            _ => Err(TimestampError::Empty),
        }
        .map_err(|e| time_reject(line, &row.timestamp, e))?;
        self.kinds.add(kind);
        let lat = row.lat.ok_or_else(|| bad("key \"lat\": missing value".into()))?;
        let lon = row.lon.ok_or_else(|| bad("key \"lon\": missing value".into()))?;
        Ok(Record::Position(Position {
            vessel: VesselId::new(vessel),
            timestamp,
            lat,
            lon,
            sog: row.speed,
            cog: row.course,
            heading: row.heading,
            nav_status: None,
        }))
    }
}

fn time_reject(line: u64, raw: &Option<Value>, e: TimestampError) -> Reject {
    match (raw, e) {
        (_, TimestampError::Empty) | (None | Some(Value::Null), _) => {
            Reject::new(RejectReason::MissingTimestamp, line, "key \"timestamp\": no timestamp")
        }
        (Some(v), e) => {
            let shown = v.to_string();
            let detail = format!("key \"timestamp\": cannot parse {} as a timestamp: {e}", clip(&shown));
            Reject::new(RejectReason::MalformedRow, line, detail)
        }
    }
}
