//! Position readers: one [`open`] for every supported file layout.
//!
//! The format is detected from the first non-empty line (override with
//! [`ReadOptions::format`]):
//!
//! | format | detection rule |
//! |---|---|
//! | [`Format::Nmea`] | a line starting `!`, `\` or `$`, or containing `VDM,`/`VDO,` (leading `#` comment lines skipped) |
//! | [`Format::GfwJsonl`] | a line starting `{` |
//! | [`Format::MarineCadastre`] | CSV header with `MMSI`, `BaseDateTime`, `LAT`, `LON` |
//! | [`Format::DmaAisdk`] | CSV header with a `# Timestamp` column and `MMSI` (raw `aisdk` files and DMA-derived extracts) |
//! | [`Format::DmaResampled`] | CSV header exactly `Timestamp,Latitude,Longitude,SOG,MMSI,Segment,COG` (any order) |
//! | [`Format::GfwCsv`] | CSV header with `ssvid`, `lat`, `lon` and `seg_id` or `speed_knots` |
//! | [`Format::Generic`] | any other CSV header with at least one known column name (see [`Format::Generic`]) |
//!
//! Input may be gzip-compressed (detected by magic bytes), may start with a UTF-8 BOM,
//! and may be in another encoding when [`ReadOptions::encoding`] names it (UTF-16 with a
//! BOM is recognised on its own; text whose first 64 KiB are not UTF-8 is decoded as the
//! legacy encoding they look like, and a note says which). Readers only parse: values such as lat 91, heading 511
//! or SOG 102.3 are passed through for the validator.

// `IngestError` is large (path, header text) but is returned at most once per file.
#![allow(clippy::result_large_err)]

mod columns;
mod csv_rows;
mod fields;
mod gfw;
mod line_cap;
mod nmea;
mod source;
mod timestamp;

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use chrono_tz::Tz;
use lookout_model::{Record, Reject};

use crate::IngestError;
use columns::{ColumnMapping, Role};
use csv_rows::{CsvRows, CsvSetup};
use fields::IdSample;
use gfw::GfwRows;
use nmea::NmeaRows;
use source::Source;
pub use source::{encoding_display_name, encoding_for_label, open_text};
pub use timestamp::{parse_timestamp, TimestampError};

/// Knots per metre per second (1 kn = 1852 m / 3600 s).
const KNOTS_PER_MPS: f64 = 3600.0 / 1852.0;

/// A supported input layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// NMEA 0183 AIS sentences (`!AIVDM`), optionally with tag blocks or `$PGHP` stamps.
    Nmea,
    /// NOAA MarineCadastre daily CSV (`MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,...`).
    MarineCadastre,
    /// Danish Maritime Authority `aisdk` CSV (`# Timestamp,Type of mobile,MMSI,...`,
    /// `dd/mm/yyyy HH:MM:SS`) and extracts that keep its `# Timestamp` column.
    DmaAisdk,
    /// DMA data resampled to a 10-minute grid by the DTU DL_Project
    /// (`Timestamp,Latitude,Longitude,SOG,MMSI,Segment,COG`). Its SOG is in m/s (implied
    /// speeds between consecutive positions match SOG as m/s, median ratio 1.00), so it is
    /// converted to knots.
    DmaResampled,
    /// Global Fishing Watch style JSON lines (`ssvid`, `lat`, `lon`, `timestamp`,
    /// `speed`, `course`).
    GfwJsonl,
    /// Global Fishing Watch's message CSV (`ssvid,seg_id,timestamp,lat,lon,speed_knots,
    /// course,heading,type,shipname,callsign,imo`, `NA` for missing). `type` is the AIS
    /// message type (`AIS.1`, `AIS.5`), not a ship type; static rows (`AIS.5`, `AIS.24`)
    /// have no position and are read as identity reports.
    GfwCsv,
    /// Any CSV with a vessel id, time, latitude and longitude column, in any order, names
    /// case-insensitive, with English and Korean aliases (e.g. `mmsi`/`ssvid`/`id`/`vid`/
    /// `선박ID`; `timestamp`/`datetime`/`Local.Time`/`일시`/`수신일시`; `lat`/`latitude`/
    /// `y`/`위도`; `lon`/`longitude`/`x`/`경도`; `sog`/`speed`/`대지속력`; `cog`/`course`/
    /// `대지침로`; `heading`/`선수방위`; `status`/`항해상태`; `type`/`선종`; `name`/`선명`).
    Generic,
}

impl Format {
    /// Every format, in `--format` help order.
    pub const ALL: [Format; 7] = [
        Format::Nmea,
        Format::MarineCadastre,
        Format::DmaAisdk,
        Format::DmaResampled,
        Format::GfwJsonl,
        Format::GfwCsv,
        Format::Generic,
    ];

    /// The `--format` name.
    pub fn name(self) -> &'static str {
        match self {
            Format::Nmea => "nmea",
            Format::MarineCadastre => "marinecadastre",
            Format::DmaAisdk => "dma",
            Format::DmaResampled => "dma-resampled",
            Format::GfwJsonl => "gfw",
            Format::GfwCsv => "gfw-csv",
            Format::Generic => "generic",
        }
    }

    fn is_csv(self) -> bool {
        !matches!(self, Format::Nmea | Format::GfwJsonl)
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `--format` named no known format.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown format {0:?}; expected one of: nmea, marinecadastre, dma, dma-resampled, gfw, gfw-csv, generic")]
pub struct ParseFormatError(pub String);

impl FromStr for Format {
    type Err = ParseFormatError;

    /// Accepts the [`Format::name`]s and a few obvious synonyms, case-insensitively.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let f = match s.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "nmea" | "aivdm" | "nmea0183" => Format::Nmea,
            "marinecadastre" | "marine-cadastre" | "noaa" => Format::MarineCadastre,
            "dma" | "aisdk" | "dma-aisdk" => Format::DmaAisdk,
            "dma-resampled" | "dma-dlproject" | "dlproject" => Format::DmaResampled,
            "gfw" | "gfw-jsonl" | "jsonl" => Format::GfwJsonl,
            "gfw-csv" | "gfw-messages" => Format::GfwCsv,
            "generic" | "csv" => Format::Generic,
            _ => return Err(ParseFormatError(s.to_string())),
        };
        Ok(f)
    }
}

/// How to read a file.
#[derive(Clone, Debug)]
pub struct ReadOptions {
    /// Force a format instead of detecting it.
    pub format: Option<Format>,
    /// Zone for timestamps without an offset (`Z` and `±hh:mm` are always honoured).
    pub timezone: Tz,
    /// Encoding label for non-UTF-8 input ([`encoding_for_label`]: `cp949`, `euc-kr`, `gbk`,
    /// `shift_jis`, `windows-1252`, `utf-16le`, ...); `None` = UTF-8, a BOM's, or detected.
    pub encoding: Option<String>,
    /// The longest line kept; a longer one is a `line_too_long` reject, skipped without
    /// being buffered (every format; a CSV row joined over lines by a quoted field
    /// counts as one line).
    pub max_line_bytes: usize,
    /// The most bytes one gzip file may decompress to; past it the file stops, cut short.
    pub max_decompressed: u64,
}

/// Default for [`ReadOptions::max_decompressed`]: 4 GiB.
pub const DEFAULT_MAX_DECOMPRESSED: u64 = 4 << 30;

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            format: None,
            timezone: Tz::UTC,
            encoding: None,
            max_line_bytes: lookout_nmea::DEFAULT_MAX_LINE_BYTES,
            max_decompressed: DEFAULT_MAX_DECOMPRESSED,
        }
    }
}

/// Which timestamp kinds a reader met, for its notes.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct KindsSeen {
    naive: bool,
    unix: bool,
}

impl KindsSeen {
    fn add(&mut self, kind: timestamp::TimestampKind) {
        match kind {
            timestamp::TimestampKind::Naive => self.naive = true,
            timestamp::TimestampKind::Unix => self.unix = true,
            timestamp::TimestampKind::Offset => {}
        }
    }
}

/// One step of a format reader: a record or reject, the end, or a fatal error.
pub(crate) enum Step {
    Item(Result<Record, Reject>),
    End,
    Fatal(IngestError),
}

enum Inner {
    Csv(Box<CsvRows>),
    Json(GfwRows),
    Nmea(Box<NmeaRows>),
}

/// Records from one file: positions and static data, and a [`Reject`] for every input
/// record that could not be parsed.
///
/// A structural failure part-way through (a truncated gzip) ends the iteration; it is
/// then available from [`RecordReader::error`] / [`RecordReader::take_error`].
pub struct RecordReader {
    path: PathBuf,
    format: Format,
    total_bytes: Option<u64>,
    counter: Arc<AtomicU64>,
    inner: Inner,
    fixed_notes: Vec<String>,
    columns: Vec<(String, String)>,
    opaque: bool,
    timezone: Tz,
    error: Option<IngestError>,
    done: bool,
}

impl RecordReader {
    /// The format being read (detected or forced).
    pub fn format(&self) -> Format {
        self.format
    }

    /// The file being read.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Size on disk (compressed size for gzip), for a progress bar.
    pub fn total_bytes(&self) -> Option<u64> {
        self.total_bytes
    }

    /// Bytes read from disk so far; runs ahead of the records by up to a buffer.
    pub fn bytes_read(&self) -> u64 {
        self.counter.load(Ordering::Relaxed)
    }

    /// How the file was interpreted: id kind, columns used, unit conversions, time zone
    /// of naive timestamps (known once a row with one was read), encoding.
    pub fn notes(&self) -> Vec<String> {
        let mut notes = self.fixed_notes.clone();
        let kinds = match &self.inner {
            Inner::Csv(c) => c.kinds,
            Inner::Json(g) => g.kinds,
            Inner::Nmea(_) => KindsSeen::default(),
        };
        if kinds.naive {
            notes.push(if self.timezone == Tz::UTC {
                "timestamps without an offset read as UTC (pass --timezone for local-time files)".to_string()
            } else {
                format!("timestamps without an offset read as {} local time", self.timezone)
            });
        }
        if kinds.unix {
            notes.push("unix-epoch timestamps (seconds, or milliseconds from 10^11) read as UTC".to_string());
        }
        if let Inner::Csv(c) = &self.inner {
            if c.statics.dropped_dimensions > 0 {
                notes.push(format!(
                    "{} implausible lengths/widths dropped (kept: 0..={} m long, 0..={} m wide); their rows were kept",
                    c.statics.dropped_dimensions,
                    fields::MAX_LENGTH_M,
                    fields::MAX_WIDTH_M
                ));
            }
        }
        notes
    }

    /// For CSV layouts, which header column was read for what: (role, column), e.g.
    /// `("sog", "speed_knots")`, `("message type", "type")`. Empty for NMEA and JSON.
    pub fn columns(&self) -> &[(String, String)] {
        &self.columns
    }

    /// True when vessel ids are anonymised rather than MMSIs, so MMSI checks do not
    /// apply. Decided at open from the ids in the first 64 KiB of text.
    pub fn ids_are_opaque(&self) -> bool {
        self.opaque
    }

    /// For layouts whose position rows also carry static columns (MarineCadastre, DMA,
    /// a generic CSV with a name column): a fingerprint of the static cells of the row
    /// the last record came from, so a caller can attribute every accepted position to
    /// the identity that row states. The static record of a fingerprint is emitted only
    /// the first time a vessel shows it (just before that row's position); rows whose
    /// static cells state nothing emit none. `None` for other formats.
    pub fn row_statics(&self) -> Option<u64> {
        match &self.inner {
            Inner::Csv(c) => c.row_statics,
            Inner::Json(_) | Inner::Nmea(_) => None,
        }
    }

    /// The structural error that ended the iteration early, if any.
    pub fn error(&self) -> Option<&IngestError> {
        self.error.as_ref()
    }

    /// Takes the structural error that ended the iteration early, if any.
    pub fn take_error(&mut self) -> Option<IngestError> {
        self.error.take()
    }

    /// 1-based line number of the record last returned, so a later stage (the
    /// validator) can point at the same line as the reader would.
    pub fn line(&self) -> u64 {
        match &self.inner {
            Inner::Csv(c) => c.line(),
            Inner::Json(g) => g.line(),
            Inner::Nmea(n) => n.line(),
        }
    }
}

impl Iterator for RecordReader {
    type Item = Result<Record, Reject>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let step = match &mut self.inner {
            Inner::Csv(c) => c.next_step(),
            Inner::Json(g) => g.next_step(),
            Inner::Nmea(n) => n.next_step(),
        };
        match step {
            Step::Item(item) => Some(item),
            Step::End => {
                self.done = true;
                None
            }
            Step::Fatal(e) => {
                tracing::error!("{e}");
                self.error = Some(e);
                self.done = true;
                None
            }
        }
    }
}

/// Opens `path`, detects (or takes) its format and checks its header.
///
/// Fails with an [`IngestError`] naming the file and line for empty, binary, non-UTF-8
/// (without `--encoding`), unrecognised or truncated input and missing columns.
pub fn open(path: &Path, opts: &ReadOptions) -> Result<RecordReader, IngestError> {
    let src = source::open_source(path, opts.encoding.as_deref(), opts.max_decompressed)?;
    let text = valid_prefix(&src.sniff).to_string();
    let format = match opts.format {
        Some(f) => f,
        None => detect(path, &text)?,
    };
    let mut notes = Vec::new();
    if let Some(enc) = src.decoded_from {
        notes.push(if src.detected {
            format!(
                "text is not UTF-8: decoded as {}, detected from its bytes (pass --encoding to choose another)",
                source::encoding_display_name(enc)
            )
        } else {
            format!("text decoded from {}", source::encoding_display_name(enc))
        });
    }
    let Source { stream, counter, total_bytes, .. } = src;
    let (inner, ids, columns) = match format {
        Format::Nmea => (open_nmea(path, &text, stream, opts.max_line_bytes)?, IdSample::default(), Vec::new()),
        Format::GfwJsonl => {
            let (inner, ids) = open_gfw(path, &text, stream, opts)?;
            (inner, ids, Vec::new())
        }
        _ => open_csv(path, &text, format, stream, opts, &mut notes)?,
    };
    let opaque = ids.opaque();
    if opaque {
        notes.insert(0, format!("vessel ids are opaque (e.g. {}): MMSI checks do not apply", ids.examples()));
    } else if format != Format::Nmea {
        notes.insert(0, "vessel ids are MMSIs".to_string());
    }
    Ok(RecordReader {
        path: path.to_path_buf(),
        format,
        total_bytes,
        counter,
        inner,
        fixed_notes: notes,
        columns,
        opaque,
        timezone: opts.timezone,
        error: None,
        done: false,
    })
}

/// The sniffed bytes up to a multi-byte character the sniff limit may have cut.
fn valid_prefix(sniff: &[u8]) -> &str {
    match std::str::from_utf8(sniff) {
        Ok(s) => s,
        Err(e) => std::str::from_utf8(&sniff[..e.valid_up_to()]).unwrap_or_default(),
    }
}

/// Non-empty lines with their 1-based numbers; lines end as the readers end them (LF,
/// CRLF, CR or LF CR), so a CR-only file is detected like any other.
fn content_lines(text: &str) -> impl Iterator<Item = (u64, &str)> {
    any_ending_lines(text).enumerate().map(|(i, l)| (i as u64 + 1, l.trim())).filter(|(_, l)| !l.is_empty())
}

fn any_ending_lines(mut text: &str) -> impl Iterator<Item = &str> {
    std::iter::from_fn(move || {
        if text.is_empty() {
            return None;
        }
        let Some(i) = text.find(['\n', '\r']) else {
            return Some(std::mem::take(&mut text));
        };
        let line = &text[..i];
        let pair = if text.as_bytes()[i] == b'\r' { '\n' } else { '\r' };
        let rest = &text[i + 1..];
        text = rest.strip_prefix(pair).unwrap_or(rest);
        Some(line)
    })
}

fn is_nmea_line(t: &str) -> bool {
    t.starts_with(['!', '\\', '$']) || t.contains("VDM,") || t.contains("VDO,")
}

const EXPECTED: &str = "MMSI,BaseDateTime,LAT,LON,... (MarineCadastre), # Timestamp,Type of mobile,MMSI,Latitude,Longitude,... (DMA), {\"ssvid\":..,\"lat\":..,\"lon\":..,\"timestamp\":..} (GFW JSON lines), ssvid,seg_id,timestamp,lat,lon,... (GFW CSV), or mmsi,timestamp,lat,lon,... (generic CSV)";

fn detect(path: &Path, text: &str) -> Result<Format, IngestError> {
    let mut last = 1;
    for (line, t) in content_lines(text) {
        last = line;
        if is_nmea_line(t) {
            return Ok(Format::Nmea);
        }
        if t.starts_with('{') {
            return Ok(Format::GfwJsonl);
        }
        let header = split_header(t, columns::sniff_delimiter(t));
        let found = columns::detect_csv(&header);
        // `#` starts both NMEA-file comments and DMA's header.
        if t.starts_with('#') && (header.len() < 3 || found.is_none()) {
            continue;
        }
        return found.ok_or_else(|| unknown(path, line));
    }
    Err(unknown(path, last))
}

fn unknown(path: &Path, line: u64) -> IngestError {
    IngestError::UnknownFormat { path: path.to_path_buf(), line, expected: EXPECTED.to_string() }
}

/// Splits one header line with the csv crate, so quoted names work.
fn split_header(line: &str, delimiter: u8) -> Vec<String> {
    let mut rdr =
        csv::ReaderBuilder::new().delimiter(delimiter).has_headers(false).flexible(true).from_reader(line.as_bytes());
    let mut rec = csv::StringRecord::new();
    match rdr.read_record(&mut rec) {
        Ok(true) => rec.iter().map(|s| s.trim().to_string()).collect(),
        _ => Vec::new(),
    }
}

fn structure(path: &Path, line: u64, message: String) -> IngestError {
    IngestError::Structure { path: path.to_path_buf(), line, message }
}

fn open_nmea(
    path: &Path,
    text: &str,
    stream: Box<dyn std::io::Read + Send>,
    max_line_bytes: usize,
) -> Result<Inner, IngestError> {
    if !content_lines(text).any(|(_, t)| is_nmea_line(t)) {
        let line = content_lines(text).next().map_or(1, |(l, _)| l);
        let msg = "expected NMEA sentences (!AIVDM, \\tag-block\\, $PGHP) for format nmea; none in the first 64 KiB";
        return Err(structure(path, line, msg.to_string()));
    }
    Ok(Inner::Nmea(Box::new(NmeaRows::new(stream, path.to_path_buf(), max_line_bytes))))
}

fn open_gfw(
    path: &Path,
    text: &str,
    stream: Box<dyn std::io::Read + Send>,
    opts: &ReadOptions,
) -> Result<(Inner, IdSample), IngestError> {
    let (line, first) = content_lines(text).next().unwrap_or((1, ""));
    let expected = "expected one JSON object per line with keys ssvid, lat, lon, timestamp (format gfw)";
    let found = || format!("{expected}; found {:?}", csv_rows::clip(first));
    let keys = match serde_json::from_str::<serde_json::Value>(first) {
        Ok(serde_json::Value::Object(map)) => map,
        Ok(_) => return Err(structure(path, line, found())),
        Err(e) => return Err(structure(path, line, format!("{}: {e}", found()))),
    };
    let has = |names: &[&str]| names.iter().any(|n| keys.contains_key(*n));
    if !(has(&["ssvid", "mmsi", "vessel_id"]) && has(&["lat", "latitude"]) && has(&["lon", "longitude", "lng"])) {
        return Err(structure(path, line, found()));
    }
    let mut ids = IdSample::default();
    for (_, t) in content_lines(text) {
        if let Some(id) = serde_json::from_str::<gfw::JsonRow>(t)
            .ok()
            .and_then(|r| r.ssvid.as_ref().and_then(|v| gfw::id_text(v).ok()))
        {
            ids.add(&id);
        }
    }
    Ok((Inner::Json(GfwRows::new(stream, opts.timezone, path.to_path_buf(), opts.max_line_bytes)), ids))
}

fn open_csv(
    path: &Path,
    text: &str,
    format: Format,
    stream: Box<dyn std::io::Read + Send>,
    opts: &ReadOptions,
    notes: &mut Vec<String>,
) -> Result<(Inner, IdSample, ColumnMapping), IngestError> {
    debug_assert!(format.is_csv());
    let (line, header_line) = content_lines(text).next().unwrap_or((1, ""));
    let delimiter = columns::sniff_delimiter(header_line);
    let header = split_header(header_line, delimiter);
    let cols = columns::resolve(format, &header).map_err(|m| IngestError::MissingColumn {
        path: path.to_path_buf(),
        line,
        column: m.column.to_string(),
        format: format.name().to_string(),
        header: header.join(&char::from(delimiter).to_string()),
        accepted: m.accepted,
    })?;
    notes.push(format!("columns used: {}", cols.describe(&header)));
    if format == Format::GfwCsv {
        notes.push(
            "type is the AIS message type, not a ship type; rows without lat/lon are identity reports".to_string(),
        );
    }
    let mapping = cols.mapping(&header);
    let sog_factor = if format == Format::DmaResampled {
        notes.push("SOG converted from m/s to knots (x1.943844): this resampled DMA layout stores m/s".to_string());
        KNOTS_PER_MPS
    } else {
        1.0
    };
    let ids = sample_csv_ids(text, delimiter, cols.get(Role::Id));
    let setup = CsvSetup {
        path: path.to_path_buf(),
        delimiter,
        header,
        cols,
        sog_factor,
        tz: opts.timezone,
        max_line_bytes: opts.max_line_bytes,
    };
    Ok((Inner::Csv(Box::new(CsvRows::new(stream, setup))), ids, mapping))
}

fn sample_csv_ids(text: &str, delimiter: u8, id_col: Option<usize>) -> IdSample {
    let mut ids = IdSample::default();
    let Some(col) = id_col else { return ids };
    let mut rdr = csv::ReaderBuilder::new().delimiter(delimiter).flexible(true).from_reader(text.as_bytes());
    for rec in rdr.byte_records().map_while(Result::ok) {
        if let Some(id) = rec.get(col).and_then(|b| std::str::from_utf8(b).ok()) {
            ids.add(id);
        }
    }
    ids
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_names_round_trip() {
        for f in Format::ALL {
            assert_eq!(f.name().parse::<Format>(), Ok(f));
        }
        assert!("parquet".parse::<Format>().is_err());
    }

    #[test]
    fn reader_is_send() {
        fn send<T: Send>() {}
        send::<RecordReader>();
    }

    #[test]
    fn detection_skips_nmea_comments_but_not_dma_header() {
        let p = Path::new("x");
        assert_eq!(detect(p, "# Sample AIVDM data, by Kurt\n#\n!AIVDM,1,1,,A,x,0*00\n").ok(), Some(Format::Nmea));
        let dma = "# Timestamp,Type of mobile,MMSI,Latitude,Longitude\n";
        assert_eq!(detect(p, dma).ok(), Some(Format::DmaAisdk));
        assert!(detect(p, "hello world\n").is_err());
    }
}
