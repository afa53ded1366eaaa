//! Receive-time stamps that travel around NMEA sentences.
//!
//! Supported forms (all UTC):
//! * tag block `c:` — Unix seconds or milliseconds, the unit chosen by range
//!   ([`lookout_model::EpochUnit`]);
//! * a trailing `,<unix seconds>` after the checksum (USCG / DMA style);
//! * a DMA `$PGHP,1,YYYY,M,D,h,m,s,ms,...` line, which stamps the next sentence;
//! * a leading stamp before the sentence, separated by blanks, `,` or `;`:
//!   RFC 3339 (`2020-01-01T00:00:00Z`, `...T00:00:00.5+00:00`),
//!   `YYYY-MM-DD hh:mm:ss[.fff]` or `YYYY-MM-DDThh:mm:ss[.fff]` without zone (taken as
//!   UTC), or Unix seconds `1609459200[.123]` (13 digits: milliseconds).

use chrono::{NaiveDate, NaiveDateTime, TimeZone, Utc};
use lookout_model::{EpochUnit, Timestamp};

/// Unix time given as digits with an optional fraction: seconds or milliseconds, the
/// unit chosen by range.
pub(crate) fn parse_unix(s: &[u8]) -> Option<Timestamp> {
    if let Some(t) = LAST_RAW.with_borrow(|last| (last.0 == s).then_some(last.1)) {
        return Some(t);
    }
    let t = parse_unix_uncached(s)?;
    LAST_RAW.with_borrow_mut(|last| {
        last.0.clear();
        last.0.extend_from_slice(s);
        last.1 = t;
    });
    Some(t)
}

thread_local! {
    /// The last stamp text and its time: consecutive sentences of a feed mostly share
    /// their stamp, and parsing plus the epoch-to-calendar conversion cost a tenth of
    /// the decoding time.
    static LAST_RAW: std::cell::RefCell<(Vec<u8>, Timestamp)> = std::cell::RefCell::new((Vec::new(), Timestamp::default()));
}

fn parse_unix_uncached(s: &[u8]) -> Option<Timestamp> {
    let (int, frac) = match s.iter().position(|&b| b == b'.') {
        Some(p) => (&s[..p], &s[p + 1..]),
        None => (s, &[][..]),
    };
    if int.is_empty() || int.len() > 13 || !int.iter().all(u8::is_ascii_digit) {
        return None;
    }
    if !frac.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let whole = digits(int)?;
    let millis = EpochUnit::of(whole) == EpochUnit::Millis;
    let (secs, mut nanos) = if millis { (whole / 1000, (whole % 1000) * 1_000_000) } else { (whole, 0) };
    let mut scale = if millis { 1_000_000 } else { 100_000_000 };
    for &d in frac.iter().take(9) {
        nanos += u64::from(d - b'0') * scale;
        scale /= 10;
    }
    Utc.timestamp_opt(i64::try_from(secs).ok()?, u32::try_from(nanos).ok()?).single()
}

fn digits(s: &[u8]) -> Option<u64> {
    let mut v: u64 = 0;
    for &b in s {
        if !b.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
    }
    Some(v)
}

/// A leading stamp, see the module documentation for the accepted forms.
pub(crate) fn parse_leading(raw: &[u8]) -> Option<Timestamp> {
    let s = std::str::from_utf8(raw).ok()?.trim();
    if s.is_empty() {
        return None;
    }
    if s.as_bytes()[0].is_ascii_digit() && s.len() >= 10 && s.as_bytes()[4] == b'-' {
        return parse_calendar(s);
    }
    parse_unix(s.as_bytes())
}

fn parse_calendar(s: &str) -> Option<Timestamp> {
    if let Ok(dt) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(dt.with_timezone(&Utc));
    }
    let s = s.strip_suffix('Z').unwrap_or(s);
    for fmt in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"] {
        if let Ok(n) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(Utc.from_utc_datetime(&n));
        }
    }
    None
}

/// The time in a `$PGHP,1,YYYY,M,D,h,m,s,ms,...` body (between `$` and `*`).
pub(crate) fn parse_pghp(body: &[u8]) -> Option<Timestamp> {
    let mut f = body.split(|&b| b == b',');
    if f.next()? != b"PGHP" || f.next()? != b"1" {
        return None;
    }
    let mut n = [0u32; 7];
    for slot in &mut n {
        *slot = u32::try_from(digits(f.next()?)?).ok()?;
    }
    let date = NaiveDate::from_ymd_opt(i32::try_from(n[0]).ok()?, n[1], n[2])?;
    let t = date.and_hms_milli_opt(n[3], n[4], n[5], n[6])?;
    Some(Utc.from_utc_datetime(&t))
}

/// Builds a UTC instant from calendar fields, `None` when any is out of range.
pub(crate) fn utc_from_fields(y: u32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> Option<Timestamp> {
    let date = NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, mo, d)?;
    Some(Utc.from_utc_datetime(&date.and_hms_opt(h, mi, s)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        chrono::DateTime::parse_from_rfc3339(s).map(|d| d.with_timezone(&Utc)).expect("test literal")
    }

    #[test]
    fn unix_seconds_and_millis() {
        assert_eq!(parse_unix(b"1609459200"), Some(ts("2021-01-01T00:00:00Z")));
        assert_eq!(parse_unix(b"1609459200.25"), Some(ts("2021-01-01T00:00:00.25Z")));
        assert_eq!(parse_unix(b"1609459200123"), Some(ts("2021-01-01T00:00:00.123Z")));
        assert_eq!(parse_unix(b"16094x9200"), None);
        assert_eq!(parse_unix(b""), None);
    }

    #[test]
    fn leading_forms() {
        let want = ts("2020-01-01T00:00:00Z");
        assert_eq!(parse_leading(b"2020-01-01T00:00:00Z"), Some(want));
        assert_eq!(parse_leading(b"2020-01-01 00:00:00"), Some(want));
        assert_eq!(parse_leading(b"2020-01-01T00:00:00"), Some(want));
        assert_eq!(parse_leading(b"2020-01-01T01:00:00+01:00"), Some(want));
        assert_eq!(parse_leading(b"1577836800"), Some(want));
        assert_eq!(parse_leading(b"yesterday"), None);
    }

    #[test]
    fn pghp() {
        let got = parse_pghp(b"PGHP,1,2010,6,11,11,46,11,390,231,45,992190934,1,2B");
        assert_eq!(got, Some(ts("2010-06-11T11:46:11.390Z")));
        assert_eq!(parse_pghp(b"PGHP,1,2010,13,11,11,46,11,390"), None);
    }
}
