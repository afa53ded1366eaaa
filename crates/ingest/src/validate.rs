//! The single place where a parsed record is accepted or rejected with a reason.
//!
//! Readers only parse; this module decides. It also normalises the AIS "not
//! available" sentinels (SOG 102.3, COG 360, heading 511) to missing values, so
//! detectors never see them as real numbers.

use std::collections::hash_map::Entry;
use std::collections::HashMap;

use chrono::Duration;
use lookout_model::{Position, Record, Reject, RejectReason, Timestamp, VesselId, EARLIEST_PLAUSIBLE_SECS};

use crate::hash::FastBuild;

/// What the validator checks against.
#[derive(Clone, Debug)]
pub struct ValidateOptions {
    /// The current time: injected so tests and replays can fix it.
    pub now: Timestamp,
    /// How far in the future a timestamp may be (receiver clocks drift).
    pub future_tolerance: Duration,
    /// The plausible range of times: earlier than `earliest` or later than now plus
    /// `latest_after_now` is `implausible_time` (a corrupted stamp, not a clock drift).
    pub earliest: Timestamp,
    pub latest_after_now: Duration,
    /// Whether vessel ids are MMSIs (false for anonymised extracts): then ids that are
    /// not valid MMSIs are counted for the notes (they are kept either way).
    pub check_mmsi: bool,
}

impl ValidateOptions {
    pub fn new(now: Timestamp) -> Self {
        ValidateOptions {
            now,
            future_tolerance: Duration::minutes(5),
            earliest: Timestamp::from_timestamp(EARLIEST_PLAUSIBLE_SECS, 0).unwrap_or_default(),
            latest_after_now: Duration::days(1),
            check_mmsi: true,
        }
    }
}

/// Stateful validator: remembers what it saw to reject exact duplicates.
pub struct Validator {
    opts: ValidateOptions,
    /// Per vessel: the store's key of each report seen (time, position) and the other
    /// fields of the first report with that key, the one the store keeps.
    seen: HashMap<VesselId, HashMap<StoreKey, OtherFields, FastBuild>, FastBuild>,
    not_mmsi: NotMmsi,
}

/// The longest vessel id kept, in characters: MMSIs have 9, the longest real ids seen
/// (hashes, UUIDs with a prefix) about 30. Anything longer is garbage, not a vessel.
pub const MAX_ID_CHARS: usize = 32;

/// Accepted records whose id is not a valid MMSI in a file whose ids are MMSIs: kept
/// (an invalid MMSI is evidence for the spoofing detector, M1/M2), counted for the notes.
#[derive(Default)]
struct NotMmsi {
    records: u64,
    ids: std::collections::BTreeSet<VesselId>,
}

/// What the store's primary key holds besides the vessel: time and position, floats by
/// bit pattern (with -0.0 as 0.0, which the database compares equal).
#[derive(Hash, PartialEq, Eq)]
struct StoreKey {
    ts_ms: i64,
    lat: u64,
    lon: u64,
}

/// The rest of a report, to tell an exact duplicate from a conflicting one.
#[derive(PartialEq, Eq)]
struct OtherFields {
    sog: Option<u64>,
    cog: Option<u64>,
    heading: Option<u64>,
    nav: Option<u8>,
}

impl Validator {
    pub fn new(opts: ValidateOptions) -> Self {
        Validator { opts, seen: HashMap::default(), not_mmsi: NotMmsi::default() }
    }

    pub fn set_check_mmsi(&mut self, check: bool) {
        self.opts.check_mmsi = check;
    }

    /// Accepts (possibly normalised) or rejects one record read at `line`.
    pub fn check(&mut self, record: Record, line: u64) -> Result<Record, Reject> {
        let checked = match record {
            Record::Position(p) => self.check_position(p, line).map(Record::Position),
            Record::Static { vessel, timestamp, data } => {
                check_id(&vessel, line)?;
                if let Some(t) = timestamp {
                    self.check_plausible(t, line)?;
                }
                Ok(Record::Static { vessel, timestamp, data })
            }
        };
        if let Ok(record) = &checked {
            self.count_not_mmsi(record.vessel());
        }
        checked
    }

    /// Records accepted with an id that is not a valid MMSI (0 for opaque ids).
    pub fn ids_not_mmsi(&self) -> u64 {
        self.not_mmsi.records
    }

    /// What the validator kept that a reader of the summary should know: ids that are
    /// not valid MMSIs, with a few examples.
    pub fn notes(&self) -> Vec<String> {
        let n = &self.not_mmsi;
        if n.records == 0 {
            return Vec::new();
        }
        let examples: Vec<String> = n.ids.iter().take(3).map(|id| format!("{:?}", id.as_str())).collect();
        vec![format!(
            "ids_not_mmsi: {} records of {} ids that are not valid MMSIs were kept (e.g. {}); the spoofing detector judges them",
            n.records,
            n.ids.len(),
            examples.join(", ")
        )]
    }

    fn count_not_mmsi(&mut self, vessel: &VesselId) {
        if !self.opts.check_mmsi || mmsi_problem(vessel.as_str()).is_none() {
            return;
        }
        self.not_mmsi.records += 1;
        if !self.not_mmsi.ids.contains(vessel) {
            self.not_mmsi.ids.insert(vessel.clone());
        }
    }

    fn check_position(&mut self, mut p: Position, line: u64) -> Result<Position, Reject> {
        check_id(&p.vessel, line)?;
        check_coordinates(p.lat, p.lon, line)?;
        self.check_plausible(p.timestamp, line)?;
        if p.timestamp > self.opts.now + self.opts.future_tolerance {
            return Err(Reject::new(
                RejectReason::FutureTimestamp,
                line,
                format!("{} is after now ({}) plus tolerance", p.timestamp.to_rfc3339(), self.opts.now.to_rfc3339()),
            ));
        }
        normalise_not_available(&mut p);
        let key = StoreKey {
            ts_ms: p.timestamp.timestamp_millis(),
            lat: (p.lat + 0.0).to_bits(),
            lon: (p.lon + 0.0).to_bits(),
        };
        let other = OtherFields {
            sog: p.sog.map(f64::to_bits),
            cog: p.cog.map(f64::to_bits),
            heading: p.heading.map(f64::to_bits),
            nav: p.nav_status.map(|n| n.0),
        };
        // Look up by reference first: cloning the id for every row would allocate.
        let keys = match self.seen.get_mut(&p.vessel) {
            Some(keys) => keys,
            None => self.seen.entry(p.vessel.clone()).or_default(),
        };
        match keys.entry(key) {
            Entry::Vacant(slot) => {
                slot.insert(other);
            }
            Entry::Occupied(first) => {
                let (reason, what) = if *first.get() == other {
                    (RejectReason::Duplicate, "already seen")
                } else {
                    (
                        RejectReason::DuplicateTimePosition,
                        "already seen at this position with other SOG/COG/heading/status",
                    )
                };
                let detail = format!("vessel {} at {}: {what}", p.vessel, p.timestamp.to_rfc3339());
                return Err(Reject::new(reason, line, detail));
            }
        }
        Ok(p)
    }

    fn check_plausible(&self, t: Timestamp, line: u64) -> Result<(), Reject> {
        let latest = self.opts.now.checked_add_signed(self.opts.latest_after_now).unwrap_or(self.opts.now);
        if t < self.opts.earliest || t > latest {
            return Err(Reject::new(
                RejectReason::ImplausibleTime,
                line,
                format!(
                    "{} is outside the plausible range {} to {}",
                    t.to_rfc3339(),
                    self.opts.earliest.to_rfc3339(),
                    latest.to_rfc3339()
                ),
            ));
        }
        Ok(())
    }
}

/// An id must name something: not empty, at most [`MAX_ID_CHARS`] characters, no
/// control characters. Whether it is a valid MMSI is not judged here.
fn check_id(vessel: &VesselId, line: u64) -> Result<(), Reject> {
    let id = vessel.as_str();
    let why = if id.is_empty() {
        "empty vessel id".to_string()
    } else if id.chars().nth(MAX_ID_CHARS).is_some() {
        let shown: String = id.chars().take(MAX_ID_CHARS).collect();
        format!("vessel id longer than {MAX_ID_CHARS} characters ({shown:?}...)")
    } else if id.chars().any(char::is_control) {
        format!("vessel id {id:?} holds control characters")
    } else {
        return Ok(());
    };
    Err(Reject::new(RejectReason::InvalidId, line, why))
}

fn check_coordinates(lat: f64, lon: f64, line: u64) -> Result<(), Reject> {
    // 91/181 are the AIS "not available" codes: the transmitter had no fix.
    if lat == 91.0 || lon == 181.0 {
        return Err(Reject::new(
            RejectReason::PositionNotAvailable,
            line,
            format!("lat {lat} lon {lon} is the AIS 'not available' value"),
        ));
    }
    if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
        return Err(Reject::new(
            RejectReason::CoordinatesOutOfRange,
            line,
            format!("lat {lat} lon {lon} outside [-90, 90] x [-180, 180]"),
        ));
    }
    Ok(())
}

fn normalise_not_available(p: &mut Position) {
    p.sog = p.sog.filter(|v| v.is_finite() && (0.0..102.25).contains(v));
    p.cog = p.cog.filter(|v| v.is_finite() && (0.0..360.0).contains(v));
    p.heading = p.heading.filter(|v| v.is_finite() && (0.0..360.0).contains(v));
}

/// Why an id is not a valid MMSI, if it is not.
///
/// Covers the structural rules of ITU-R M.585 (leading digits by station kind);
/// checking the MID against the allocation table belongs to the spoofing detector.
/// Used for the notes only: such ids are kept.
pub fn mmsi_problem(id: &str) -> Option<String> {
    if id.len() != 9 || !id.bytes().all(|b| b.is_ascii_digit()) {
        return Some("not 9 digits".into());
    }
    let b = id.as_bytes();
    if b.iter().all(|&c| c == b[0]) {
        return Some("all digits equal".into());
    }
    let ok = match b[0] {
        b'2'..=b'7' => true,           // ship station, MID first
        b'0' => true,                  // group (0MID) or coast station (00MID)
        b'1' => id.starts_with("111"), // SAR aircraft
        b'8' => true,                  // handheld VHF
        b'9' => ["970", "972", "974", "98", "99"].iter().any(|p| id.starts_with(p)),
        _ => false,
    };
    (!ok).then(|| "leading digits match no MMSI format".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use lookout_model::{NavStatus, StaticData};

    fn at(h: u32) -> Timestamp {
        chrono::Utc.with_ymd_and_hms(2024, 5, 1, h, 0, 0).single().expect("valid time")
    }

    fn pos(id: &str, lat: f64, lon: f64) -> Position {
        Position {
            vessel: VesselId::new(id),
            timestamp: at(1),
            lat,
            lon,
            sog: Some(102.3),
            cog: Some(360.0),
            heading: Some(511.0),
            nav_status: Some(NavStatus(0)),
        }
    }

    fn validator() -> Validator {
        Validator::new(ValidateOptions::new(at(12)))
    }

    fn reason(r: Result<Record, Reject>) -> Option<RejectReason> {
        r.err().map(|e| e.reason)
    }

    #[test]
    fn not_available_values_become_missing_not_rejects() {
        let mut v = validator();
        let Ok(Record::Position(p)) = v.check(Record::Position(pos("440000001", 35.0, 128.0)), 1) else {
            panic!("position with n/a speed must be accepted");
        };
        assert_eq!((p.sog, p.cog, p.heading), (None, None, None));
    }

    #[test]
    fn rejects_each_reason() {
        let mut v = validator();
        assert_eq!(
            reason(v.check(Record::Position(pos("440000001", 91.0, 128.0)), 1)),
            Some(RejectReason::PositionNotAvailable)
        );
        assert_eq!(
            reason(v.check(Record::Position(pos("440000001", 35.0, 181.0)), 2)),
            Some(RejectReason::PositionNotAvailable)
        );
        assert_eq!(
            reason(v.check(Record::Position(pos("440000001", -95.0, 1.0)), 3)),
            Some(RejectReason::CoordinatesOutOfRange)
        );
        assert_eq!(
            reason(v.check(Record::Position(pos("440000001", f64::NAN, 1.0)), 4)),
            Some(RejectReason::CoordinatesOutOfRange)
        );
        assert_eq!(reason(v.check(Record::Position(pos("", 1.0, 1.0)), 5)), Some(RejectReason::InvalidId));
        assert_eq!(reason(v.check(Record::Position(pos(&"4".repeat(33), 1.0, 1.0)), 6)), Some(RejectReason::InvalidId));
        assert_eq!(reason(v.check(Record::Position(pos("44\u{1}0", 1.0, 1.0)), 6)), Some(RejectReason::InvalidId));
        let mut future = pos("440000001", 1.0, 1.0);
        future.timestamp = at(13);
        assert_eq!(reason(v.check(Record::Position(future), 7)), Some(RejectReason::FutureTimestamp));
        assert!(v.check(Record::Position(pos("440000001", 1.0, 1.0)), 8).is_ok());
        assert_eq!(reason(v.check(Record::Position(pos("440000001", 1.0, 1.0)), 9)), Some(RejectReason::Duplicate));
    }

    #[test]
    fn same_time_and_position_with_other_fields_is_counted_not_lost() {
        let mut v = validator();
        assert!(v.check(Record::Position(pos("440000001", 1.0, 1.0)), 1).is_ok());
        let mut other_speed = pos("440000001", 1.0, 1.0);
        other_speed.sog = Some(7.5);
        assert_eq!(reason(v.check(Record::Position(other_speed), 2)), Some(RejectReason::DuplicateTimePosition));
        let mut minus_zero = pos("440000001", 0.0, 1.0);
        assert!(v.check(Record::Position(minus_zero.clone()), 3).is_ok());
        minus_zero.lat = -0.0;
        minus_zero.cog = Some(12.0);
        assert_eq!(reason(v.check(Record::Position(minus_zero), 4)), Some(RejectReason::DuplicateTimePosition));
        let mut elsewhere = pos("440000001", 1.0, 1.5);
        elsewhere.sog = Some(7.5);
        assert!(v.check(Record::Position(elsewhere), 5).is_ok());
    }

    #[test]
    fn implausible_times_are_rejected_by_range() {
        let mut v = validator();
        for (i, t) in [
            "0000-01-01T00:00:00Z",
            "1969-12-31T23:59:59Z",
            "1970-01-01T00:00:00Z",
            "1994-12-31T23:59:59Z",
            "2024-05-02T12:00:01Z",
            "9999-12-31T23:59:59Z",
        ]
        .iter()
        .enumerate()
        {
            let mut p = pos("440000001", 1.0, 1.0);
            p.timestamp = t.parse().expect("test time");
            assert_eq!(reason(v.check(Record::Position(p), i as u64)), Some(RejectReason::ImplausibleTime), "{t}");
        }
        let old = Record::Static {
            vessel: VesselId::new("440000001"),
            timestamp: Some("1970-01-01T00:00:00Z".parse().expect("test time")),
            data: StaticData::default(),
        };
        assert_eq!(reason(v.check(old, 9)), Some(RejectReason::ImplausibleTime));
        let mut first_day = pos("440000001", 1.0, 1.0);
        first_day.timestamp = "1995-01-01T00:00:00Z".parse().expect("test time");
        assert!(v.check(Record::Position(first_day), 10).is_ok());
    }

    #[test]
    fn ids_that_are_not_mmsis_are_kept_and_counted() {
        let mut v = validator();
        for (i, id) in
            ["000000000", "123456789", "1303", "41600000", "4160000000", "ABC123", "416000000"].iter().enumerate()
        {
            assert!(v.check(Record::Position(pos(id, 1.0, 1.0)), i as u64).is_ok(), "{id} must be kept");
        }
        let st = Record::Static { vessel: VesselId::new("000000000"), timestamp: None, data: StaticData::default() };
        assert!(v.check(st, 9).is_ok());
        // 416000000 is a valid MMSI form (a placeholder the detector flags, M2): not counted.
        assert_eq!(v.ids_not_mmsi(), 7);
        let notes = v.notes();
        assert!(notes[0].starts_with("ids_not_mmsi: 7 records of 6 ids"), "{notes:?}");
    }

    #[test]
    fn opaque_ids_skip_mmsi_checks() {
        let mut v = validator();
        v.set_check_mmsi(false);
        assert!(v.check(Record::Position(pos("1303", 1.0, 1.0)), 1).is_ok());
        let st = Record::Static { vessel: VesselId::new("7"), timestamp: None, data: StaticData::default() };
        assert!(v.check(st, 2).is_ok());
        assert_eq!(v.ids_not_mmsi(), 0);
        assert!(v.notes().is_empty());
    }

    #[test]
    fn mmsi_formats() {
        assert_eq!(mmsi_problem("440123456"), None);
        assert_eq!(mmsi_problem("002191000"), None);
        assert_eq!(mmsi_problem("970123456"), None);
        assert!(mmsi_problem("123456789").is_some());
        assert!(mmsi_problem("960000000").is_some());
        assert!(mmsi_problem("999999999").is_some());
        assert!(mmsi_problem("12345").is_some());
    }
}
