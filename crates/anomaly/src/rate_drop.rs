//! Sustained drops of a rate (a count per time bucket) against its own trailing
//! baseline: the building block of AIS reception-outage detection, usable for any
//! count series (messages per minute, requests per hour).
//!
//! A bucket is judged from the buckets before it only (no look-ahead): the baseline is
//! the median of the last `window` *learned* values and the drop is measured against it,
//! with the robust z-score of [`crate::baselines::robust_z`] as a second test so that a
//! drop within the series' usual variation is not called a drop. The caller decides
//! what is learned: a bucket judged "down" is normally *not* learned, so a long outage
//! never teaches the baseline that silence is normal (the baseline is frozen while it
//! lasts).

use crate::baselines::{robust_z, Ring};

/// Thresholds of a [`DropJudge`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DropRule {
    /// Learned values the baseline is the median of (the memory bound).
    pub window: usize,
    /// Learned values needed before anything is judged.
    pub min_points: usize,
    /// Smallest baseline median that is judged at all: below it a drop means little
    /// (a quiet series), so no verdict is given.
    pub min_level: f64,
    /// Smallest relative drop, 0..=1 (0.8: the value is at most 20 % of the baseline).
    pub min_drop: f64,
    /// Smallest robust z-score of the drop.
    pub min_z: f64,
}

/// What a [`DropJudge`] says about one value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DropVerdict {
    /// The trailing median the value was compared with.
    pub baseline: f64,
    /// The value judged.
    pub observed: f64,
    /// Relative drop `1 - observed / baseline` (negative for a rise).
    pub drop: f64,
    /// Robust z-score of the value against the trailing window (capped).
    pub z: f64,
    /// True when the value is below the baseline by at least `min_drop` and `min_z`.
    pub down: bool,
}

/// A trailing-median judge of drops, one value at a time, with bounded memory.
#[derive(Debug, Clone)]
pub struct DropJudge {
    rule: DropRule,
    ring: Ring,
}

impl DropJudge {
    /// An empty judge.
    pub fn new(rule: DropRule) -> Self {
        Self { rule, ring: Ring::new(rule.window) }
    }

    /// Judges `x` against the learned past, without learning it. `None` while fewer than
    /// `min_points` values are learned or when the baseline is below `min_level`.
    pub fn judge(&self, x: f64) -> Option<DropVerdict> {
        if self.ring.len() < self.rule.min_points.max(1) {
            return None;
        }
        let window: Vec<f64> = self.ring.iter().copied().collect();
        let (z, baseline, _scale) = robust_z(x, &window);
        // NaN baselines (NaN input) are never judged.
        let judgeable = baseline >= self.rule.min_level && baseline > 0.0;
        if !judgeable {
            return None;
        }
        let drop = 1.0 - x / baseline;
        let down = x < baseline && drop >= self.rule.min_drop && z >= self.rule.min_z;
        Some(DropVerdict { baseline, observed: x, drop, z, down })
    }

    /// Adds `x` to the baseline window.
    pub fn learn(&mut self, x: f64) {
        self.ring.push(x);
    }

    /// Judges `x`, then learns it unless it was judged down (the baseline stays frozen
    /// through a drop).
    pub fn push(&mut self, x: f64) -> Option<DropVerdict> {
        let v = self.judge(x);
        if !v.is_some_and(|v| v.down) {
            self.learn(x);
        }
        v
    }

    /// Values learned (at most `window`).
    pub fn held(&self) -> usize {
        self.ring.len()
    }

    /// True when the window is full of `x` alone: learning `x` again changes nothing, so
    /// a caller may skip a run of such values (a silent stretch of a series) at no cost.
    pub fn saturated_with(&self, x: f64) -> bool {
        self.ring.len() == self.ring.capacity() && self.ring.iter().all(|v| *v == x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule() -> DropRule {
        DropRule { window: 6, min_points: 3, min_level: 10.0, min_drop: 0.8, min_z: 3.5 }
    }

    #[test]
    fn judges_only_from_the_past_and_freezes_through_a_drop() {
        let mut j = DropJudge::new(rule());
        assert_eq!(j.push(100.0), None);
        assert_eq!(j.push(100.0), None);
        assert_eq!(j.push(100.0), None);
        let v = j.push(100.0).expect("three learned values");
        assert!(!v.down && v.baseline == 100.0 && v.drop == 0.0);
        // Silence: down, and not learned, so the next silent bucket is judged the same way.
        for _ in 0..10 {
            let v = j.push(0.0).expect("judged");
            assert!(v.down && v.baseline == 100.0 && v.drop == 1.0, "{v:?}");
        }
        assert_eq!(j.held(), 4);
        assert!(!j.saturated_with(0.0));
        // 21 % of the baseline is not an 80 % drop.
        assert!(!j.push(21.0).expect("judged").down);
    }

    #[test]
    fn quiet_or_noisy_series_are_not_called_down() {
        let mut quiet = DropJudge::new(rule());
        for _ in 0..5 {
            quiet.push(9.0);
        }
        assert_eq!(quiet.judge(0.0), None, "baseline below min_level: no verdict");
        // A series that often swings to near zero: the drop is within its variation.
        let mut noisy = DropJudge::new(DropRule { min_level: 1.0, ..rule() });
        for x in [100.0, 5.0, 120.0, 2.0, 90.0, 10.0] {
            noisy.push(x);
        }
        let v = noisy.judge(4.0).expect("judged");
        assert!(v.drop >= 0.8 && v.z < 3.5 && !v.down, "{v:?}");
    }
}
