//! From decoded messages to the shared domain [`Record`]s, and a line-reading iterator.

use std::collections::VecDeque;
use std::io::BufRead;

use lookout_model::{NavStatus, Position, Record, Reject, RejectReason, ShipType, StaticData, VesselId};

use crate::decoder::{Decoded, Decoder, DecoderOptions, Outcome};
use crate::message::AisMessage;

/// The MMSI as a vessel id: decimal, zero-padded to nine digits, so that base stations
/// (`00MIDxxxx`) and group calls (`0MIDxxxxx`) keep their MID at the right place and
/// [`VesselId::mmsi`] recognises every AIS id.
pub fn vessel_id(mmsi: u32) -> VesselId {
    VesselId(format!("{mmsi:09}"))
}

/// Records carried by one decoded message.
///
/// Positions come from types 1, 2, 3, 18, 19 and 27 (types 4 and 21 are base stations
/// and aids to navigation, not vessels); static data from 5, 19 and 24. A position
/// needs a receive time (`MissingTimestamp` otherwise); a static record may lack one.
pub fn to_records(d: &Decoded) -> Vec<Result<Record, Reject>> {
    let m = &d.message;
    let mut out = Vec::new();
    let is_position = matches!(m.msg_type, 1..=3 | 18 | 19 | 27);
    let is_static = matches!(m.msg_type, 5 | 19 | 24);
    if !is_position && !is_static {
        return out;
    }
    if is_position {
        out.push(position(d));
    }
    if is_static {
        let data = static_data(m);
        if !data.is_empty() {
            out.push(Ok(Record::Static { vessel: vessel_id(m.mmsi), timestamp: d.received, data }));
        }
    }
    out
}

fn position(d: &Decoded) -> Result<Record, Reject> {
    let m = &d.message;
    let (Some(lat), Some(lon)) = (m.lat, m.lon) else {
        return Err(Reject::new(
            RejectReason::PositionNotAvailable,
            d.line,
            format!("MMSI {}: lat 91 / lon 181", m.mmsi),
        ));
    };
    if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
        return Err(Reject::new(
            RejectReason::CoordinatesOutOfRange,
            d.line,
            format!("MMSI {}: lat {lat}, lon {lon}", m.mmsi),
        ));
    }
    let Some(timestamp) = d.received else {
        return Err(Reject::new(RejectReason::MissingTimestamp, d.line, format!("MMSI {}: no receive time", m.mmsi)));
    };
    Ok(Record::Position(Position {
        vessel: vessel_id(m.mmsi),
        timestamp,
        lat,
        lon,
        sog: m.sog,
        cog: m.cog,
        heading: m.heading.map(f64::from),
        nav_status: m.nav_status.map(NavStatus),
    }))
}

fn static_data(m: &AisMessage) -> StaticData {
    let sum = |a: Option<u16>, b: Option<u16>| match (a, b) {
        (Some(a), Some(b)) if a + b > 0 => Some(f64::from(a + b)),
        _ => None,
    };
    StaticData {
        name: m.name.clone(),
        call_sign: m.call_sign.clone(),
        imo: m.imo,
        ship_type: m.ship_type.map(|t| ShipType(u16::from(t))),
        length_m: sum(m.dim_to_bow, m.dim_to_stern),
        width_m: sum(m.dim_to_port, m.dim_to_starboard),
    }
}

/// Reads NMEA lines and yields records; rejects are yielded too, never swallowed.
///
/// An IO error ends the iteration; [`NmeaRecords::io_error`] tells it apart from EOF.
pub struct NmeaRecords<R: BufRead> {
    reader: R,
    decoder: Decoder,
    line: Vec<u8>,
    line_no: u64,
    bytes: u64,
    outcomes: Vec<Outcome>,
    ready: VecDeque<Result<Record, Reject>>,
    done: bool,
    error: Option<std::io::Error>,
    max_line_bytes: usize,
}

impl<R: BufRead> NmeaRecords<R> {
    /// Wraps a reader.
    pub fn new(reader: R, opts: DecoderOptions) -> Self {
        NmeaRecords {
            reader,
            decoder: Decoder::new(opts),
            line: Vec::with_capacity(256),
            line_no: 0,
            bytes: 0,
            outcomes: Vec::new(),
            ready: VecDeque::new(),
            done: false,
            error: None,
            max_line_bytes: DEFAULT_MAX_LINE_BYTES,
        }
    }

    /// Sets the longest line kept (default [`DEFAULT_MAX_LINE_BYTES`]).
    pub fn with_max_line_bytes(mut self, max: usize) -> Self {
        self.max_line_bytes = max;
        self
    }

    /// Bytes consumed from the reader so far (for progress bars).
    pub fn bytes_read(&self) -> u64 {
        self.bytes
    }

    /// Lines read so far.
    pub fn lines_read(&self) -> u64 {
        self.line_no
    }

    /// The IO error that ended the iteration, if any.
    pub fn io_error(&self) -> Option<&std::io::Error> {
        self.error.as_ref()
    }

    fn pump(&mut self) {
        self.line.clear();
        match read_line_bounded(&mut self.reader, &mut self.line, self.max_line_bytes) {
            Ok((0, _)) => {
                self.decoder.finish(&mut self.outcomes);
                self.done = true;
            }
            Ok((n, too_long)) => {
                self.bytes += n as u64;
                self.line_no += 1;
                if too_long {
                    let detail = format!("line longer than {} bytes", self.max_line_bytes);
                    self.outcomes.push(Err(Reject::new(RejectReason::LineTooLong, self.line_no, detail)));
                } else {
                    self.decoder.feed(self.line_no, &self.line, &mut self.outcomes);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                self.error = Some(e);
                self.decoder.finish(&mut self.outcomes);
                self.done = true;
            }
        }
        for o in self.outcomes.drain(..) {
            match o {
                Ok(d) => self.ready.extend(to_records(&d)),
                Err(r) => self.ready.push_back(Err(r)),
            }
        }
    }
}

/// The default longest line readers keep (1 MiB): a longer one is a `line_too_long` reject.
pub const DEFAULT_MAX_LINE_BYTES: usize = 1 << 20;

/// Reads one line ended by LF, CRLF, LF CR or a lone CR (old Mac files, and NMEA's own
/// sentence terminator), terminator included, into `line`; returns the bytes consumed,
/// 0 at the end. Unlike `read_until(b'\n')`, a CR-only file is not one giant line, and
/// line numbers count CR-ended lines too. At most `max` bytes are kept: the rest of a
/// longer line is consumed without being buffered, and the returned flag is true.
pub fn read_line_bounded<R: BufRead>(reader: &mut R, line: &mut Vec<u8>, max: usize) -> std::io::Result<(usize, bool)> {
    let mut read = 0;
    let mut too_long = false;
    loop {
        let buf = match reader.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if buf.is_empty() {
            return Ok((read, too_long));
        }
        let end = buf.iter().position(|&b| b == b'\n' || b == b'\r');
        let take = end.map_or(buf.len(), |i| i + 1);
        let room = max.saturating_sub(line.len());
        if take > room {
            too_long = true;
        }
        line.extend_from_slice(&buf[..take.min(room)]);
        let ending = end.map(|i| buf[i]);
        reader.consume(take);
        read += take;
        if let Some(ending) = ending {
            // The pair CR LF, and the reversed LF CR of some mixed files, is one break.
            let other = if ending == b'\r' { b'\n' } else { b'\r' };
            if peek(reader)? == Some(other) {
                if line.len() < max {
                    line.push(other);
                }
                reader.consume(1);
                read += 1;
            }
            return Ok((read, too_long));
        }
    }
}

fn peek<R: BufRead>(reader: &mut R) -> std::io::Result<Option<u8>> {
    loop {
        match reader.fill_buf() {
            Ok(b) => return Ok(b.first().copied()),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
}

impl<R: BufRead> Iterator for NmeaRecords<R> {
    type Item = Result<Record, Reject>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(r) = self.ready.pop_front() {
                return Some(r);
            }
            if self.done {
                return None;
            }
            self.pump();
        }
    }
}
