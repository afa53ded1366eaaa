//! Time coverage of a file: the holes in which none of its vessels reported at all.
//!
//! A file whose positions stop for everyone at once and resume later (a month here, a
//! voyage there, a thinned sample) is an extract: a vessel's "silence" across such a
//! hole says nothing about the vessel. The ingest summary warns about it before anyone
//! analyses the file.
//!
//! Positions may come in any order. Memory is bounded by the file's time span in hours
//! (one entry per hour that holds a position), not by its size.

use std::collections::BTreeMap;

use lookout_model::Timestamp;

/// One bucket per hour: holes longer than an hour are found exactly (a hole is the time
/// between the last report of one occupied bucket and the first of the next).
const BUCKET_SEC: i64 = 3600;

/// Earliest and latest report per occupied hour.
#[derive(Clone, Debug, Default)]
pub struct TimeCoverage {
    hours: BTreeMap<i64, (i64, i64)>,
}

/// A time in which nobody in the file reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hole {
    /// Last report before the hole, Unix seconds.
    pub from: i64,
    /// First report after it, Unix seconds.
    pub to: i64,
}

impl Hole {
    pub fn seconds(&self) -> i64 {
        self.to - self.from
    }
}

impl TimeCoverage {
    /// Counts one report at `t`.
    pub fn add(&mut self, t: Timestamp) {
        let s = t.timestamp();
        let slot = self.hours.entry(s.div_euclid(BUCKET_SEC)).or_insert((s, s));
        slot.0 = slot.0.min(s);
        slot.1 = slot.1.max(s);
    }

    /// Every hole longer than `min_sec` (which must be at least an hour to be exact), in
    /// time order.
    pub fn holes(&self, min_sec: i64) -> Vec<Hole> {
        let spans: Vec<(i64, i64)> = self.hours.values().copied().collect();
        spans
            .windows(2)
            .map(|w| Hole { from: w[0].1, to: w[1].0 })
            .filter(|h| h.seconds() > min_sec.max(BUCKET_SEC))
            .collect()
    }

    /// The ingest summary's warning when the file has holes longer than `min_sec`
    /// (`what` names that length for the reader), or `None`.
    pub fn extract_warning(&self, min_sec: i64, what: &str) -> Option<String> {
        let holes = self.holes(min_sec);
        let longest = holes.iter().max_by_key(|h| (h.seconds(), std::cmp::Reverse(h.from)))?;
        let total: i64 = holes.iter().map(Hole::seconds).sum();
        let at = |s: i64| {
            chrono::DateTime::from_timestamp(s, 0).map(|t| t.format("%Y-%m-%dT%H:%MZ").to_string()).unwrap_or_default()
        };
        Some(format!(
            "this file looks like an extract: {} time(s) longer than {what} in which none of its vessels reported \
             ({:.1} h in all; the longest {:.1} h, from {} to {}); analyze judges a silence that spans such a time \
             as unobserved, not as a switch-off",
            holes.len(),
            total as f64 / 3600.0,
            longest.seconds() as f64 / 3600.0,
            at(longest.from),
            at(longest.to),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(s: i64) -> Timestamp {
        chrono::Utc.timestamp_opt(s, 0).single().expect("time")
    }

    #[test]
    fn holes_are_exact_whatever_the_order_of_reports() {
        let base = 1_700_000_000;
        let mut c = TimeCoverage::default();
        // Every 10 minutes for 3 h, nothing for 5 h, then every 10 minutes for 2 h, given
        // backwards.
        let times: Vec<i64> =
            (0..=18).map(|i| base + i * 600).chain((0..=12).map(|i| base + 8 * 3600 + i * 600)).collect();
        for t in times.iter().rev() {
            c.add(at(*t));
        }
        let holes = c.holes(6000);
        assert_eq!(holes, vec![Hole { from: base + 3 * 3600, to: base + 8 * 3600 }]);
        assert!(c.holes(5 * 3600).is_empty(), "a hole of exactly the limit is not longer than it");
        let w = c.extract_warning(6000, "100 min").expect("warning");
        assert!(w.contains("1 time(s) longer than 100 min") && w.contains("the longest 5.0 h"), "{w}");
        assert!(TimeCoverage::default().extract_warning(6000, "100 min").is_none());
    }
}
