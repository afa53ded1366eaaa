//! The one CSV engine behind every CSV layout: the layouts differ only in how columns are
//! found (see [`super::columns`]) and in unit conversions.

use std::io::Read;
use std::path::PathBuf;

use chrono_tz::Tz;
use csv::ByteRecord;
use lookout_model::{NavStatus, Position, Record, Reject, RejectReason, Timestamp, VesselId};

use super::columns::{Columns, Role};
use super::fields::{is_placeholder, normalise_id, opt_number, StaticCells, StaticDedup};
use super::line_cap::{CappedRows, TooLong};
use super::timestamp::{parse_with_kind, TimestampError, TimestampKind};
use super::{KindsSeen, Step};
use crate::IngestError;

/// Streams records out of a CSV whose header has already been resolved.
pub(super) struct CsvRows {
    rdr: csv::Reader<Box<dyn Read + Send>>,
    rec: ByteRecord,
    header: Vec<String>,
    cols: Columns,
    /// Multiplies SOG into knots (1 for every layout but DMA's resampled m/s files).
    sog_factor: f64,
    tz: Tz,
    pub kinds: KindsSeen,
    pub(super) statics: StaticDedup,
    /// Fingerprint of the static cells of the row last read (see
    /// [`super::RecordReader::row_statics`]).
    pub row_statics: Option<u64>,
    pending: Option<Record>,
    /// The previous row's raw timestamp and its value: sorted exports repeat a
    /// timestamp over many rows, and parsing (with a zone lookup) is the costly part.
    last_time: (Vec<u8>, Option<(Timestamp, TimestampKind)>),
    last_line: u64,
    path: PathBuf,
    /// Rows longer than the line cap, dropped before the csv reader saw them.
    too_long: TooLong,
    max_line_bytes: usize,
}

/// Everything [`CsvRows::new`] needs besides the stream.
pub(super) struct CsvSetup {
    pub path: PathBuf,
    pub delimiter: u8,
    pub header: Vec<String>,
    pub cols: Columns,
    pub sog_factor: f64,
    pub tz: Tz,
    pub max_line_bytes: usize,
}

impl CsvRows {
    /// 1-based line of the last row produced.
    pub(crate) fn line(&self) -> u64 {
        self.last_line
    }

    pub(super) fn new(stream: Box<dyn Read + Send>, setup: CsvSetup) -> Self {
        let too_long = TooLong::default();
        let stream: Box<dyn Read + Send> = Box::new(CappedRows::new(stream, setup.max_line_bytes, too_long.clone()));
        let rdr = csv::ReaderBuilder::new()
            .delimiter(setup.delimiter)
            .flexible(true)
            .has_headers(true)
            .buffer_capacity(64 * 1024)
            .from_reader(stream);
        CsvRows {
            rdr,
            rec: ByteRecord::new(),
            header: setup.header,
            cols: setup.cols,
            sog_factor: setup.sog_factor,
            tz: setup.tz,
            kinds: KindsSeen::default(),
            statics: StaticDedup::default(),
            row_statics: None,
            pending: None,
            last_time: (Vec::new(), None),
            last_line: 1,
            path: setup.path,
            too_long,
            max_line_bytes: setup.max_line_bytes,
        }
    }

    pub(super) fn next_step(&mut self) -> Step {
        if let Some(r) = self.pending.take() {
            return Step::Item(Ok(r));
        }
        if let Some(step) = self.next_too_long() {
            return step;
        }
        match self.rdr.read_byte_record(&mut self.rec) {
            // The last read may have dropped rows past the last record.
            Ok(false) => self.next_too_long().unwrap_or(Step::End),
            Ok(true) => {
                let line = self.rec.position().map_or(self.last_line + 1, csv::Position::line);
                self.last_line = line;
                Step::Item(self.row(line))
            }
            Err(e) => self.read_error(e),
        }
    }

    /// A row the line cap dropped, as its reject (reported when found, a little ahead
    /// of the rows around it).
    fn next_too_long(&mut self) -> Option<Step> {
        let line = self.too_long.pop()?;
        let detail = format!("line longer than {} bytes", self.max_line_bytes);
        Some(Step::Item(Err(Reject::new(RejectReason::LineTooLong, line, detail))))
    }

    fn read_error(&mut self, e: csv::Error) -> Step {
        let line = self.last_line + 1;
        match e.into_kind() {
            csv::ErrorKind::Io(io) => {
                Step::Fatal(IngestError::ReadFailed { path: self.path.clone(), line, detail: io.to_string() })
            }
            other => {
                self.last_line = line;
                Step::Item(Err(Reject::new(RejectReason::MalformedRow, line, format!("{other:?}"))))
            }
        }
    }

    fn row(&mut self, line: u64) -> Result<Record, Reject> {
        let CsvRows { rec, header, cols, sog_factor, tz, kinds, statics, row_statics, pending, last_time, .. } = self;
        *row_statics = None;
        if rec.len() != header.len() {
            let detail = format!("row has {} fields, the header has {}", rec.len(), header.len());
            return Err(Reject::new(RejectReason::MalformedRow, line, detail));
        }
        // One UTF-8 check for the whole row is far cheaper than one per cell.
        let utf8 = std::str::from_utf8(rec.as_slice()).ok();
        let f = Cells { rec, utf8, header, cols, line };
        let id = normalise_id(f.required(Role::Id)?);
        if is_placeholder(id) {
            let mut r = f.bad(Role::Id, format!("no vessel id ({:?})", clip(id)));
            r.reason = RejectReason::InvalidId;
            return Err(r);
        }
        let vessel = VesselId::new(id);
        let time_raw = f.text(Role::Time)?.unwrap_or("");
        let timestamp = match last_time {
            (raw, Some((t, _))) if raw.as_slice() == time_raw.as_bytes() => *t,
            _ => {
                let (t, kind) = parse_with_kind(time_raw, *tz).map_err(|e| f.bad_time(time_raw, e))?;
                kinds.add(kind);
                last_time.0.clear();
                last_time.0.extend_from_slice(time_raw.as_bytes());
                last_time.1 = Some((t, kind));
                t
            }
        };
        let (lat, lon) = match (f.number(Role::Lat)?, f.number(Role::Lon)?) {
            (Some(lat), Some(lon)) => (lat, lon),
            (None, None) if cols.any_static() => return identity_only(&f, statics, vessel, timestamp),
            (None, _) => return Err(f.bad(Role::Lat, "missing value".into())),
            (_, None) => return Err(f.bad(Role::Lon, "missing value".into())),
        };
        let position = Position {
            vessel,
            timestamp,
            lat,
            lon,
            sog: f.number(Role::Sog)?.map(|v| v * *sog_factor),
            cog: f.number(Role::Cog)?,
            heading: f.number(Role::Heading)?,
            nav_status: f.text(Role::NavStatus)?.and_then(NavStatus::parse),
        };
        if cols.any_static() {
            let cells = f.static_cells()?;
            let fp = cells.fingerprint();
            *row_statics = Some(fp);
            if let Some(data) = statics.check(&position.vessel, &cells, fp) {
                let vessel = position.vessel.clone();
                *pending = Some(Record::Position(position));
                return Ok(Record::Static { vessel, timestamp: Some(timestamp), data });
            }
        }
        Ok(Record::Position(position))
    }
}

/// A row with identity cells but no position (GFW's `AIS.5` / `AIS.24` rows, `lat` =
/// `NA`): a static record at the row's time, one per row so each is a sighting in the
/// identity history. A row that states neither is `position_not_available`.
fn identity_only(
    f: &Cells<'_>,
    statics: &mut StaticDedup,
    vessel: VesselId,
    timestamp: Timestamp,
) -> Result<Record, Reject> {
    let data = statics.identity_of(&f.static_cells()?);
    if data.is_empty() {
        let mut r = f.bad(Role::Lat, "no position and no identity (name, call sign, IMO, type, size)".into());
        r.reason = RejectReason::PositionNotAvailable;
        return Err(r);
    }
    Ok(Record::Static { vessel, timestamp: Some(timestamp), data })
}

/// Typed access to one record's cells, with rejects that name the column and value.
struct Cells<'a> {
    rec: &'a ByteRecord,
    /// The row's bytes when they are all valid UTF-8.
    utf8: Option<&'a str>,
    header: &'a [String],
    cols: &'a Columns,
    line: u64,
}

impl<'a> Cells<'a> {
    fn bad(&self, role: Role, what: String) -> Reject {
        let col = self.cols.get(role).and_then(|i| self.header.get(i)).map_or(role.name(), String::as_str);
        Reject::new(RejectReason::MalformedRow, self.line, format!("column {col:?}: {what}"))
    }

    fn bad_time(&self, raw: &str, e: TimestampError) -> Reject {
        if e == TimestampError::Empty {
            let mut r = self.bad(Role::Time, "no timestamp".into());
            r.reason = RejectReason::MissingTimestamp;
            return r;
        }
        self.bad(Role::Time, format!("cannot parse {:?} as a timestamp: {e}", clip(raw)))
    }

    fn text(&self, role: Role) -> Result<Option<&'a str>, Reject> {
        let Some(i) = self.cols.get(role) else {
            return Ok(None);
        };
        if let (Some(row), Some(range)) = (self.utf8, self.rec.range(i)) {
            return Ok(row.get(range));
        }
        let Some(bytes) = self.rec.get(i) else {
            return Ok(None);
        };
        std::str::from_utf8(bytes)
            .map(Some)
            .map_err(|_| self.bad(role, "text is not valid UTF-8 (pass --encoding)".into()))
    }

    fn required(&self, role: Role) -> Result<&'a str, Reject> {
        self.text(role)?.ok_or_else(|| self.bad(role, "missing value".into()))
    }

    fn number(&self, role: Role) -> Result<Option<f64>, Reject> {
        let Some(raw) = self.text(role)? else {
            return Ok(None);
        };
        opt_number(raw).map_err(|()| self.bad(role, format!("cannot parse {:?} as a number", clip(raw))))
    }

    fn static_cells(&self) -> Result<StaticCells<'a>, Reject> {
        Ok(StaticCells {
            name: self.text(Role::Name)?,
            call_sign: self.text(Role::CallSign)?,
            imo: self.text(Role::Imo)?,
            ship_type: self.text(Role::ShipType)?,
            length: self.text(Role::Length)?,
            width: self.text(Role::Width)?,
        })
    }
}

/// Keeps reject details short when a cell holds something huge.
pub(super) fn clip(s: &str) -> &str {
    match s.char_indices().nth(60) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}
