//! Timestamp parsing shared by every text reader.
//!
//! Hand-written rather than `chrono::NaiveDateTime::parse_from_str` because the CSV
//! readers call it once per row and must accept several layouts without trying a
//! list of format strings one after the other.

use chrono::{DateTime, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use lookout_model::{EpochUnit, Timestamp};

/// Why a timestamp could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TimestampError {
    #[error("empty timestamp")]
    Empty,
    #[error("unrecognised timestamp layout (expected YYYY-MM-DD[T ]HH:MM[:SS[.f]][Z|±HH:MM], DD/MM/YYYY HH:MM:SS, YYYYMMDDHHMMSS or unix seconds/milliseconds)")]
    Layout,
    #[error("date or time out of range")]
    OutOfRange,
    #[error("local time does not exist in {0} (daylight-saving gap)")]
    NonexistentLocal(Tz),
}

/// What kind of timestamp was seen, so a reader can say how it interpreted the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum TimestampKind {
    /// No zone given: read in the configured time zone.
    Naive,
    /// An explicit `Z`/`UTC` or numeric offset.
    Offset,
    /// Unix seconds or milliseconds.
    Unix,
}

/// Parses one timestamp; naive values are read in `tz`.
///
/// Accepted: `YYYY-MM-DD[T| ]H[H]:MM[:SS[.fraction]]` (date separators `-`, `/`, `.`),
/// optionally followed by `Z`, `UTC`, `GMT` or an offset `±HH[:MM]`; `DD/MM/YYYY HH:MM:SS`
/// (day first, as DMA writes it); `YYYYMMDDHHMMSS`; unix seconds (optionally with a
/// fraction) or milliseconds, the unit chosen by range ([`EpochUnit`]).
pub fn parse_timestamp(raw: &str, tz: Tz) -> Result<Timestamp, TimestampError> {
    parse_with_kind(raw, tz).map(|(t, _)| t)
}

/// [`parse_timestamp`] that also reports which kind of timestamp it was.
pub(super) fn parse_with_kind(raw: &str, tz: Tz) -> Result<(Timestamp, TimestampKind), TimestampError> {
    let s = raw.trim().as_bytes();
    if s.is_empty() {
        return Err(TimestampError::Empty);
    }
    if s.iter().all(|b| b.is_ascii_digit() || *b == b'.') && s.iter().filter(|b| **b == b'.').count() <= 1 {
        if s.len() == 14 && !s.contains(&b'.') && (s.starts_with(b"19") || s.starts_with(b"20")) {
            let naive = compact(s).ok_or(TimestampError::OutOfRange)?;
            return localize(naive, tz).map(|t| (t, TimestampKind::Naive));
        }
        return unix(s).map(|t| (t, TimestampKind::Unix));
    }
    let mut cur = Cursor { s, i: 0 };
    let date = cur.date().ok_or(TimestampError::Layout)?;
    let naive = match cur.peek() {
        None => date.and_hms_opt(0, 0, 0).ok_or(TimestampError::OutOfRange)?,
        Some(b'T' | b't' | b' ') => {
            cur.i += 1;
            cur.skip_spaces();
            cur.time(date)?
        }
        Some(_) => return Err(TimestampError::Layout),
    };
    cur.skip_spaces();
    match cur.offset()? {
        None => localize(naive, tz).map(|t| (t, TimestampKind::Naive)),
        Some(off) => {
            let local = off.from_local_datetime(&naive).single().ok_or(TimestampError::OutOfRange)?;
            Ok((local.with_timezone(&Utc), TimestampKind::Offset))
        }
    }
}

/// Reads a naive time in `tz`. In the autumn overlap the earlier instant is taken:
/// AIS logs are written in arrival order, and without an offset nothing tells the two
/// apart.
fn localize(naive: NaiveDateTime, tz: Tz) -> Result<Timestamp, TimestampError> {
    if tz == Tz::UTC {
        return Ok(Utc.from_utc_datetime(&naive));
    }
    match tz.from_local_datetime(&naive) {
        LocalResult::Single(t) => Ok(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(early, _) => Ok(early.with_timezone(&Utc)),
        LocalResult::None => Err(TimestampError::NonexistentLocal(tz)),
    }
}

fn compact(s: &[u8]) -> Option<NaiveDateTime> {
    let n = |a: usize, b: usize| digits(&s[a..b]);
    NaiveDate::from_ymd_opt(n(0, 4)? as i32, n(4, 6)?, n(6, 8)?)?.and_hms_opt(n(8, 10)?, n(10, 12)?, n(12, 14)?)
}

/// Unix seconds below 10^11 (year 5138), milliseconds from there: the two ranges do not
/// overlap for any date AIS can have.
fn unix(s: &[u8]) -> Result<Timestamp, TimestampError> {
    let (int, frac) = match s.iter().position(|b| *b == b'.') {
        Some(p) => (&s[..p], &s[p + 1..]),
        None => (s, &[][..]),
    };
    if int.is_empty() || int.len() > 16 || frac.contains(&b'.') {
        return Err(TimestampError::Layout);
    }
    let whole = digits_u64(int).ok_or(TimestampError::Layout)?;
    let frac_nanos = fraction_nanos(frac).ok_or(TimestampError::Layout)?;
    let (secs, nanos) = if EpochUnit::of(whole) == EpochUnit::Millis {
        (whole / 1000, (whole % 1000) as u32 * 1_000_000 + frac_nanos / 1000)
    } else {
        (whole, frac_nanos)
    };
    let secs = i64::try_from(secs).map_err(|_| TimestampError::OutOfRange)?;
    DateTime::from_timestamp(secs, nanos).ok_or(TimestampError::OutOfRange)
}

struct Cursor<'a> {
    s: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn skip_spaces(&mut self) {
        while self.peek() == Some(b' ') {
            self.i += 1;
        }
    }

    /// A run of 1..=max digits.
    fn number(&mut self, max: usize) -> Option<(u32, usize)> {
        let start = self.i;
        while self.i - start < max && self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.i += 1;
        }
        let len = self.i - start;
        (len > 0).then(|| digits(&self.s[start..self.i]).map(|v| (v, len)))?
    }

    fn expect(&mut self, b: u8) -> Option<()> {
        (self.peek() == Some(b)).then(|| self.i += 1)
    }

    /// `YYYY<sep>M<sep>D` or, day first, `D<sep>M<sep>YYYY`.
    fn date(&mut self) -> Option<NaiveDate> {
        let (first, first_len) = self.number(4)?;
        let sep = self.peek().filter(|b| matches!(b, b'-' | b'/' | b'.'))?;
        self.i += 1;
        let (month, _) = self.number(2)?;
        self.expect(sep)?;
        let (year, day) = if first_len == 4 {
            (first, self.number(2)?.0)
        } else {
            let (year, len) = self.number(4)?;
            if len != 4 {
                return None;
            }
            (year, first)
        };
        NaiveDate::from_ymd_opt(year as i32, month, day)
    }

    fn time(&mut self, date: NaiveDate) -> Result<NaiveDateTime, TimestampError> {
        let layout = TimestampError::Layout;
        let (h, _) = self.number(2).ok_or(layout.clone())?;
        self.expect(b':').ok_or(layout.clone())?;
        let (m, m_len) = self.number(2).ok_or(layout.clone())?;
        if m_len != 2 {
            return Err(layout);
        }
        let mut sec = 0;
        let mut nanos = 0;
        if self.expect(b':').is_some() {
            let (s, s_len) = self.number(2).ok_or(layout.clone())?;
            if s_len != 2 {
                return Err(layout);
            }
            sec = s;
            if self.expect(b'.').is_some() || self.expect(b',').is_some() {
                let start = self.i;
                while self.peek().is_some_and(|b| b.is_ascii_digit()) {
                    self.i += 1;
                }
                nanos = fraction_nanos(&self.s[start..self.i]).ok_or(layout)?;
            }
        }
        date.and_hms_nano_opt(h, m, sec, nanos).ok_or(TimestampError::OutOfRange)
    }

    /// The zone suffix, `None` when there is none (a naive time).
    fn offset(&mut self) -> Result<Option<FixedOffset>, TimestampError> {
        let rest = &self.s[self.i..];
        let utc = FixedOffset::east_opt(0);
        match rest {
            [] => Ok(None),
            b"Z" | b"z" | b"UTC" | b"GMT" | b"+00" => Ok(utc),
            [sign @ (b'+' | b'-'), tail @ ..] => {
                let (h, m) = match tail {
                    [h1, h2] => (digits(&[*h1, *h2]), Some(0)),
                    [h1, h2, b':', m1, m2] | [h1, h2, m1, m2] => (digits(&[*h1, *h2]), digits(&[*m1, *m2])),
                    _ => return Err(TimestampError::Layout),
                };
                let (h, m) = h.zip(m).ok_or(TimestampError::Layout)?;
                let secs = (h * 3600 + m * 60) as i32;
                let secs = if *sign == b'-' { -secs } else { secs };
                FixedOffset::east_opt(secs).map(Some).ok_or(TimestampError::OutOfRange)
            }
            _ => Err(TimestampError::Layout),
        }
    }
}

fn digits(s: &[u8]) -> Option<u32> {
    if s.is_empty() || s.len() > 9 {
        return None;
    }
    s.iter().try_fold(0u32, |acc, b| b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0')))
}

fn digits_u64(s: &[u8]) -> Option<u64> {
    s.iter().try_fold(0u64, |acc, b| {
        b.is_ascii_digit().then_some(())?;
        acc.checked_mul(10)?.checked_add(u64::from(b - b'0'))
    })
}

/// Digits after the decimal point as nanoseconds; digits past the ninth are dropped.
fn fraction_nanos(frac: &[u8]) -> Option<u32> {
    let mut nanos = 0u32;
    for i in 0..9 {
        let d = match frac.get(i) {
            Some(b) if b.is_ascii_digit() => u32::from(b - b'0'),
            Some(_) => return None,
            None => 0,
        };
        nanos = nanos * 10 + d;
    }
    frac.iter().skip(9).all(u8::is_ascii_digit).then_some(nanos)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> Timestamp {
        parse_timestamp(s, Tz::UTC).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn layouts() {
        let want = Utc.with_ymd_and_hms(2023, 1, 11, 0, 0, 1).single().expect("valid");
        for s in [
            "2023-01-11T00:00:01",
            "2023-01-11 00:00:01",
            "2023-01-11T00:00:01Z",
            "2023-01-11T00:00:01.000000Z",
            "2023-01-11 09:00:01+09:00",
            "2023-01-11T09:00:01+0900",
            "2023/01/11 00:00:01",
            "11/01/2023 00:00:01",
            "20230111000001",
            "1673395201",
            "1673395201000",
            "1673395201.0",
        ] {
            assert_eq!(utc(s), want, "{s}");
        }
        assert_eq!(utc("2018-07-01 0:00"), Utc.with_ymd_and_hms(2018, 7, 1, 0, 0, 0).single().expect("valid"));
    }

    #[test]
    fn rejects() {
        assert_eq!(parse_timestamp("", Tz::UTC), Err(TimestampError::Empty));
        assert!(parse_timestamp("yesterday", Tz::UTC).is_err());
        assert!(parse_timestamp("2023-13-01 00:00:00", Tz::UTC).is_err());
        assert!(parse_timestamp("2023-01-11 00:00:00 CET", Tz::UTC).is_err());
        let gap = parse_timestamp("2018-03-11 02:30:00", chrono_tz::America::Vancouver);
        assert!(matches!(gap, Err(TimestampError::NonexistentLocal(_))));
    }
}
