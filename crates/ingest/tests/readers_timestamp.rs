//! Property tests: every accepted timestamp layout round-trips.

use chrono::{DateTime, Duration, TimeZone, Utc};
use chrono_tz::Tz;
use lookout_ingest::readers::parse_timestamp;
use proptest::prelude::*;

/// 1990-01-01 .. 2099-12-31, millisecond resolution.
fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    (631_152_000_000i64..4_102_444_800_000).prop_map(|ms| Utc.timestamp_millis_opt(ms).single().expect("in range"))
}

proptest! {
    #[test]
    fn utc_layouts_round_trip(t in instant()) {
        let whole = t - Duration::milliseconds(i64::from(t.timestamp_subsec_millis()));
        let cases = [
            (t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(), t),
            (t.format("%Y-%m-%dT%H:%M:%S%.6f+00:00").to_string(), t),
            (t.format("%Y-%m-%d %H:%M:%S%.3f").to_string(), t),
            (t.format("%Y/%m/%d %H:%M:%S").to_string(), whole),
            (t.format("%d/%m/%Y %H:%M:%S").to_string(), whole),
            (t.format("%Y%m%d%H%M%S").to_string(), whole),
            (t.timestamp().to_string(), whole),
            (t.timestamp_millis().to_string(), t),
            (format!("{}.{:03}", t.timestamp(), t.timestamp_subsec_millis()), t),
        ];
        for (s, want) in cases {
            // An epoch's unit is chosen by range (1995-2100 as seconds or milliseconds):
            // before 1995 a millisecond value reads as seconds, for validation to reject.
            if s == t.timestamp_millis().to_string() && t.timestamp() < 788_918_400 {
                prop_assert!(parse_timestamp(&s, Tz::UTC).map(|p| p.timestamp()) == Ok(t.timestamp_millis()), "{}", s);
                continue;
            }
            prop_assert_eq!(parse_timestamp(&s, Tz::UTC), Ok(want), "{}", s);
        }
    }

    #[test]
    fn offsets_round_trip(t in instant(), off_min in -12 * 60..=14 * 60i32) {
        let off = chrono::FixedOffset::east_opt(off_min * 60).expect("valid offset");
        let s = t.with_timezone(&off).format("%Y-%m-%dT%H:%M:%S%.3f%:z").to_string();
        prop_assert_eq!(parse_timestamp(&s, chrono_tz::Asia::Seoul), Ok(t), "{}", s);
    }

    #[test]
    fn naive_local_round_trips_outside_dst_overlap(t in instant(), zone in 0..3usize) {
        let tz = [chrono_tz::America::Vancouver, chrono_tz::Europe::Copenhagen, chrono_tz::Asia::Seoul][zone];
        let local = t.with_timezone(&tz).naive_local();
        // In the autumn overlap a naive time names two instants; the reader takes the earlier.
        let unique = tz.from_local_datetime(&local).single().is_some();
        let s = local.format("%Y-%m-%d %H:%M:%S%.3f").to_string();
        if unique {
            prop_assert_eq!(parse_timestamp(&s, tz), Ok(t), "{}", s);
        } else {
            prop_assert!(parse_timestamp(&s, tz).is_ok_and(|p| p <= t), "{}", s);
        }
    }

    #[test]
    fn never_panics(s in "\\PC{0,40}") {
        let _ = parse_timestamp(&s, chrono_tz::Europe::Copenhagen);
    }
}
