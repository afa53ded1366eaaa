//! Bucket boundaries in the configured time zone, as UTC instants.
//!
//! Every "today", hour, day and month in the pipeline comes from here, so one time zone
//! is used throughout (the reference mixed a local date with UTC times). Boundaries are
//! computed in the zone and stored as the UTC instants they fall on, which makes them
//! DST-safe: a local day is 23 or 25 hours long across a transition, and an hour bucket
//! is always a real 60-minute interval even when its local label repeats.

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use lookout_model::Timestamp;
use serde::{Deserialize, Serialize};

use crate::PipelineError;

/// Default zone of KPIs and statistics, as in the reference.
pub const DEFAULT_TIMEZONE: &str = "Asia/Seoul";

/// Parses an IANA zone name.
pub fn parse_tz(name: &str) -> Result<Tz, PipelineError> {
    name.parse().map_err(|_| PipelineError::UnknownTimeZone(name.to_string()))
}

/// A half-open interval `[start, end)` of UTC instants with its local label.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Bucket {
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub start: Timestamp,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub end: Timestamp,
    /// Local label: `2024-03-31T02:00+02:00` for an hour, `2024-03-31` for a day,
    /// `2024-03` for a month.
    pub label: String,
}

impl Bucket {
    /// True when `t` falls in `[start, end)`.
    pub fn contains(&self, t: Timestamp) -> bool {
        self.start <= t && t < self.end
    }
}

/// The first instant of a local wall-clock time. In a fold (clocks back) that is the
/// earlier instant; in a gap (clocks forward, e.g. a zone whose midnight does not exist
/// on its transition day) it is the first instant after the gap.
fn first_instant(tz: &Tz, local: NaiveDateTime) -> Timestamp {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(a, b) => a.min(b).with_timezone(&Utc),
        LocalResult::None => {
            // Gaps are at most a few hours; walk forward a minute at a time to the first
            // wall-clock time that exists, which is where the gap ends.
            let mut probe = local;
            for _ in 0..(24 * 60) {
                probe += Duration::minutes(1);
                match tz.from_local_datetime(&probe) {
                    LocalResult::Single(t) => return t.with_timezone(&Utc),
                    LocalResult::Ambiguous(a, b) => return a.min(b).with_timezone(&Utc),
                    LocalResult::None => {}
                }
            }
            // No zone has a day-long gap; fall back to reading the time as UTC.
            Utc.from_utc_datetime(&local)
        }
    }
}

/// The local date of an instant.
pub fn local_date(t: Timestamp, tz: &Tz) -> NaiveDate {
    t.with_timezone(tz).date_naive()
}

/// The local day `date` as UTC instants.
pub fn day_bucket(date: NaiveDate, tz: &Tz) -> Bucket {
    let start = first_instant(tz, date.and_time(chrono::NaiveTime::MIN));
    let next = date.succ_opt().unwrap_or(date);
    let end = first_instant(tz, next.and_time(chrono::NaiveTime::MIN));
    Bucket { start, end, label: date.format("%Y-%m-%d").to_string() }
}

/// The local day holding `t` ("today" when `t` is now).
pub fn day_of(t: Timestamp, tz: &Tz) -> Bucket {
    day_bucket(local_date(t, tz), tz)
}

/// The first day of the local month holding `date`.
pub fn month_start(date: NaiveDate) -> NaiveDate {
    date.with_day(1).unwrap_or(date)
}

/// The local month starting on `first` (any day of it works) as UTC instants.
pub fn month_bucket(first: NaiveDate, tz: &Tz) -> Bucket {
    let first = month_start(first);
    let next = if first.month() == 12 {
        NaiveDate::from_ymd_opt(first.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1)
    }
    .unwrap_or(first);
    Bucket {
        start: first_instant(tz, first.and_time(chrono::NaiveTime::MIN)),
        end: first_instant(tz, next.and_time(chrono::NaiveTime::MIN)),
        label: first.format("%Y-%m").to_string(),
    }
}

/// The local month holding `t`.
pub fn month_of(t: Timestamp, tz: &Tz) -> Bucket {
    month_bucket(local_date(t, tz), tz)
}

/// The local clock hour holding `t`: it starts where the local time reads `HH:00` and
/// lasts 60 minutes. Computed by taking the local minutes and seconds off `t`, so both
/// occurrences of a repeated local hour (clocks back) are distinct buckets, told apart
/// by the offset in their label.
pub fn hour_of(t: Timestamp, tz: &Tz) -> Bucket {
    let local: DateTime<Tz> = t.with_timezone(tz);
    let into_hour = Duration::minutes(i64::from(local.minute()))
        + Duration::seconds(i64::from(local.second()))
        + Duration::nanoseconds(i64::from(local.nanosecond()));
    let start = t - into_hour;
    let end = start + Duration::hours(1);
    let label = start.with_timezone(tz).format("%Y-%m-%dT%H:%M%:z").to_string();
    Bucket { start, end, label }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> Timestamp {
        s.parse().expect("test timestamp")
    }

    #[test]
    fn seoul_day_starts_at_15_utc_the_day_before() {
        let tz = parse_tz("Asia/Seoul").expect("tz");
        let d = day_of(utc("2024-05-01T14:59:59Z"), &tz);
        assert_eq!(d.label, "2024-05-01");
        assert_eq!(d.start, utc("2024-04-30T15:00:00Z"));
        assert_eq!(d.end, utc("2024-05-01T15:00:00Z"));
        assert_eq!(day_of(utc("2024-05-01T15:00:00Z"), &tz).label, "2024-05-02");
    }

    #[test]
    fn berlin_spring_forward_day_has_23_hours_and_fall_back_25() {
        let tz = parse_tz("Europe/Berlin").expect("tz");
        let spring = day_bucket(NaiveDate::from_ymd_opt(2024, 3, 31).expect("date"), &tz);
        assert_eq!(spring.start, utc("2024-03-30T23:00:00Z"));
        assert_eq!(spring.end, utc("2024-03-31T22:00:00Z"));
        assert_eq!(spring.end - spring.start, Duration::hours(23));
        let fall = day_bucket(NaiveDate::from_ymd_opt(2024, 10, 27).expect("date"), &tz);
        assert_eq!(fall.start, utc("2024-10-26T22:00:00Z"));
        assert_eq!(fall.end, utc("2024-10-27T23:00:00Z"));
        assert_eq!(fall.end - fall.start, Duration::hours(25));
    }

    #[test]
    fn repeated_local_hour_gives_two_distinct_buckets() {
        let tz = parse_tz("Europe/Berlin").expect("tz");
        // 02:30 CEST and 02:30 CET on 2024-10-27.
        let a = hour_of(utc("2024-10-27T00:30:00Z"), &tz);
        let b = hour_of(utc("2024-10-27T01:30:00Z"), &tz);
        assert_eq!(a.label, "2024-10-27T02:00+02:00");
        assert_eq!(b.label, "2024-10-27T02:00+01:00");
        assert_eq!(a.start, utc("2024-10-27T00:00:00Z"));
        assert_eq!(b.start, utc("2024-10-27T01:00:00Z"));
        // Skipped local hour in spring: 01:59 CET is followed by 03:00 CEST.
        let c = hour_of(utc("2024-03-31T01:10:00Z"), &tz);
        assert_eq!(c.label, "2024-03-31T03:00+02:00");
    }

    #[test]
    fn half_hour_zone_hours_start_at_half_past_utc() {
        let tz = parse_tz("Asia/Kolkata").expect("tz");
        let h = hour_of(utc("2024-01-01T10:10:00Z"), &tz);
        assert_eq!(h.start, utc("2024-01-01T09:30:00Z"));
        assert_eq!(h.label, "2024-01-01T15:00+05:30");
    }

    #[test]
    fn midnight_in_a_gap_starts_the_day_when_the_gap_ends() {
        // America/Santiago sprang forward at 00:00 local on 2024-09-08 (to 01:00).
        let tz = parse_tz("America/Santiago").expect("tz");
        let d = day_bucket(NaiveDate::from_ymd_opt(2024, 9, 8).expect("date"), &tz);
        assert_eq!(d.start, utc("2024-09-08T04:00:00Z"));
        assert_eq!(d.end - d.start, Duration::hours(23));
    }

    #[test]
    fn month_bounds_in_seoul_and_december_rollover() {
        let tz = parse_tz("Asia/Seoul").expect("tz");
        let m = month_of(utc("2024-12-31T15:30:00Z"), &tz);
        assert_eq!(m.label, "2025-01");
        let dec = month_bucket(NaiveDate::from_ymd_opt(2024, 12, 9).expect("date"), &tz);
        assert_eq!(dec.start, utc("2024-11-30T15:00:00Z"));
        assert_eq!(dec.end, utc("2024-12-31T15:00:00Z"));
    }

    #[test]
    fn unknown_zone_is_a_typed_error() {
        assert!(matches!(parse_tz("Mars/Olympus"), Err(PipelineError::UnknownTimeZone(_))));
    }
}
