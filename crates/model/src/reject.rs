use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// Why an input record was not accepted. Every rejected record has exactly one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectReason {
    /// NMEA checksum missing or not matching.
    BadChecksum,
    /// NMEA sentence structurally broken (field count, armoring, length).
    MalformedSentence,
    /// A multi-sentence message whose fragments never all arrived (or came out of order).
    IncompleteMultipart,
    /// Fragments of two different messages arrived interleaved under one sequence id and
    /// channel (e.g. two copies of a feed merged with a lag): which later fragment belongs
    /// to which message cannot be told, so neither is assembled.
    InterleavedMultipart,
    /// An AIS message type Lookout does not decode.
    UnsupportedType,
    /// A CSV/JSON row whose fields cannot be parsed.
    MalformedRow,
    /// Latitude or longitude outside the valid range.
    CoordinatesOutOfRange,
    /// Latitude 91 / longitude 181: the transmitter had no position.
    PositionNotAvailable,
    /// No usable timestamp (NMEA without tag block or stamp, empty CSV cell).
    MissingTimestamp,
    /// A timestamp further in the future than the tolerance allows.
    FutureTimestamp,
    /// A timestamp outside the plausible range (by default 1995-01-01 to one day after
    /// now): a corrupted stamp, a zero, or an epoch read in the wrong unit.
    ImplausibleTime,
    /// The exact same report was already seen.
    Duplicate,
    /// A vessel id that names nothing: empty, longer than the id limit, or holding
    /// control characters. An id that is merely not a valid MMSI is kept (it is
    /// evidence for the spoofing detector) and counted in the file's notes instead.
    InvalidId,
    /// A report for a vessel, time and position already seen in the file with other
    /// SOG / COG / heading / status: the store keeps one row per vessel, time and
    /// position (the first), so this one is counted here instead of vanishing there.
    DuplicateTimePosition,
    /// A line longer than the maximum line length (`--max-line-bytes`): skipped without
    /// being buffered, reading goes on with the next line.
    LineTooLong,
}

impl RejectReason {
    pub const ALL: [RejectReason; 15] = [
        RejectReason::BadChecksum,
        RejectReason::MalformedSentence,
        RejectReason::IncompleteMultipart,
        RejectReason::InterleavedMultipart,
        RejectReason::UnsupportedType,
        RejectReason::MalformedRow,
        RejectReason::CoordinatesOutOfRange,
        RejectReason::PositionNotAvailable,
        RejectReason::MissingTimestamp,
        RejectReason::FutureTimestamp,
        RejectReason::ImplausibleTime,
        RejectReason::Duplicate,
        RejectReason::InvalidId,
        RejectReason::DuplicateTimePosition,
        RejectReason::LineTooLong,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RejectReason::BadChecksum => "bad_checksum",
            RejectReason::MalformedSentence => "malformed_sentence",
            RejectReason::IncompleteMultipart => "incomplete_multipart",
            RejectReason::InterleavedMultipart => "interleaved_multipart",
            RejectReason::UnsupportedType => "unsupported_type",
            RejectReason::MalformedRow => "malformed_row",
            RejectReason::CoordinatesOutOfRange => "coordinates_out_of_range",
            RejectReason::PositionNotAvailable => "position_not_available",
            RejectReason::MissingTimestamp => "missing_timestamp",
            RejectReason::FutureTimestamp => "future_timestamp",
            RejectReason::ImplausibleTime => "implausible_time",
            RejectReason::Duplicate => "duplicate",
            RejectReason::InvalidId => "invalid_id",
            RejectReason::DuplicateTimePosition => "duplicate_time_position",
            RejectReason::LineTooLong => "line_too_long",
        }
    }
}

impl fmt::Display for RejectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One rejected record: why, and where it was.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reject {
    pub reason: RejectReason,
    /// 1-based line number in the source (for NMEA: the line of the last fragment).
    pub line: u64,
    /// Human-readable detail, e.g. "expected checksum 4A, found 4B".
    pub detail: String,
}

impl Reject {
    pub fn new(reason: RejectReason, line: u64, detail: impl Into<String>) -> Self {
        Reject { reason, line, detail: detail.into() }
    }
}

impl fmt::Display for Reject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}: {}", self.line, self.reason, self.detail)
    }
}

/// Counts of rejects per reason, plus the first few examples of each for the report.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RejectCounts {
    pub counts: BTreeMap<RejectReason, u64>,
    pub examples: BTreeMap<RejectReason, Vec<String>>,
}

impl RejectCounts {
    const EXAMPLES_PER_REASON: usize = 3;

    pub fn add(&mut self, source: &str, reject: &Reject) {
        *self.counts.entry(reject.reason).or_default() += 1;
        let ex = self.examples.entry(reject.reason).or_default();
        if ex.len() < Self::EXAMPLES_PER_REASON {
            ex.push(format!("{source}:{}: {}", reject.line, reject.detail));
        }
    }

    pub fn total(&self) -> u64 {
        self.counts.values().sum()
    }

    pub fn merge(&mut self, other: &RejectCounts) {
        for (r, n) in &other.counts {
            *self.counts.entry(*r).or_default() += n;
        }
        for (r, ex) in &other.examples {
            let mine = self.examples.entry(*r).or_default();
            for e in ex {
                if mine.len() < Self::EXAMPLES_PER_REASON {
                    mine.push(e.clone());
                }
            }
        }
    }
}
