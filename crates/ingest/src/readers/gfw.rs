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

/// The id as text: numbers lose a `.0`, strings are normalised like CSV cells.
pub(super) fn id_text(v: &Value) -> Option<String> {
    match v {
        Value::Number(n) => match (n.as_u64(), n.as_f64()) {
            (Some(u), _) => Some(u.to_string()),
            (None, Some(f)) if f.fract() == 0.0 && f >= 0.0 => Some(format!("{f:.0}")),
            _ => Some(n.to_string()),
        },
        Value::String(s) => Some(normalise_id(s).to_string()).filter(|s| !s.is_empty()),
        _ => None,
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

    pub fn new(stream: Box<dyn Read + Send>, tz: Tz, path: PathBuf, max_line_bytes: usize) -> Self {
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
    pub fn next_step(&mut self) -> Step {
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
                    return Step::Fatal(IngestError::ReadFailed { path: self.path.clone(), line: self.line + 1, detail });
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
        let text = std::str::from_utf8(&self.buf).map_err(|_| bad("text is not valid UTF-8 (pass --encoding)".into()))?;
        let row: JsonRow = serde_json::from_str(text.trim())
            .map_err(|e| bad(format!("not a JSON object with ssvid/lat/lon/timestamp: {e}")))?;
        let vessel = row.ssvid.as_ref().and_then(id_text).ok_or_else(|| bad("key \"ssvid\": missing or not an id".into()))?;
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
