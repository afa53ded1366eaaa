//! Segmentation of one vessel id's positions into physically plausible segments.
//!
//! Several transmitters sometimes share one MMSI (a default `416000000`, a cloned id, a
//! fleet that configured every set alike). Their reports interleave in one track, and
//! every hop between them looks like a gap or a teleport. Following the idea of Global
//! Fishing Watch's segmenter (our own, simpler rules): positions are taken in time order
//! and each joins the *open* segment it is physically plausible for, or opens a new one.
//!
//! * A segment is plausible for a new position when the time since the segment's last
//!   position is at most `max_gap_hours` and the distance is at most
//!   `max_speed_kn · Δt + jitter_nm` (the jitter allowance keeps GPS noise and same-time
//!   duplicates from breaking a segment when Δt is tiny).
//! * Among plausible segments the nearest last position wins (ties: the older segment),
//!   so two transmitters that are both active keep their own segments even when one of
//!   them could reach the other within the time limit.
//! * Segments active at the same time that never get more than `parallel_nm` apart
//!   are folded into one: they are one ship seen through two feeds whose clocks
//!   disagree, not two transmitters.
//! * A segment whose last position is more than `max_gap_hours` old is closed. When a
//!   closed segment started or ended nearer to the new position than the best open
//!   candidate (by more than the jitter), the position opens a new segment instead of joining a
//!   transmitter that could merely have sailed there.
//!
//! Segments split by time alone would cut a real dark gap in two, so the engine regroups
//! segments into *chains* ([`split_track`]): a segment that starts after a chain's last
//! position, at a distance that chain could have covered, continues the nearest such
//! chain. Gaps and dark
//! scores are computed per chain; a chain never jumps faster than `max_speed_kn`.

use lookout_model::{Position, Timestamp, Track};
use serde::{Deserialize, Serialize};

use crate::error::ParamsError;
use crate::geo::haversine_nm;
use crate::params::Params;

/// Segmenter thresholds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SegmentParams {
    /// Fastest plausible speed between two positions of one transmitter, knots.
    pub max_speed_kn: f64,
    /// Longest silence after which a segment is closed, hours.
    pub max_gap_hours: f64,
    /// Distance always allowed whatever the time difference (position noise), nm.
    pub jitter_nm: f64,
    /// Two segments active at the same time that never get further apart than this
    /// are one ship (e.g. a satellite feed whose time stamps lag the terrestrial one by
    /// half an hour makes a parallel trail a few nm behind the ship), nm.
    pub parallel_nm: f64,
}

impl Default for SegmentParams {
    /// 30 kn is above what fishing vessels and most merchant ships sustain (GFW's
    /// segmenter uses the same order of magnitude); 24 h matches the gap VIOLATION level.
    fn default() -> Self {
        SegmentParams { max_speed_kn: 30.0, max_gap_hours: 24.0, jitter_nm: 0.5, parallel_nm: 30.0 }
    }
}

/// The `segments` detector's params (also `spoofing.segment` and the engine's split).
impl Params for SegmentParams {
    /// Rejects values the segmenter cannot work with.
    fn validate(&self) -> Result<(), ParamsError> {
        if !(self.max_speed_kn.is_finite() && self.max_speed_kn > 0.0) {
            return Err(ParamsError::at("max_speed_kn", "expected a positive number"));
        }
        if !(self.max_gap_hours.is_finite() && self.max_gap_hours > 0.0) {
            return Err(ParamsError::at("max_gap_hours", "expected a positive number"));
        }
        if !(self.jitter_nm.is_finite() && self.jitter_nm >= 0.0) {
            return Err(ParamsError::at("jitter_nm", "expected a number >= 0"));
        }
        if !(self.parallel_nm.is_finite() && self.parallel_nm >= 0.0) {
            return Err(ParamsError::at("parallel_nm", "expected a number >= 0"));
        }
        Ok(())
    }
}

impl SegmentParams {
    /// Whether one transmitter can get from `a` to `b` (b not before a), ignoring the
    /// time limit.
    pub fn reachable(&self, a: &Position, b: &Position) -> bool {
        let dt_h = hours_between(a.timestamp, b.timestamp);
        dt_h >= 0.0 && haversine_nm(a.lat, a.lon, b.lat, b.lon) <= self.max_speed_kn * dt_h + self.jitter_nm
    }
}

/// Hours from `a` to `b` (negative when `b` is earlier).
pub fn hours_between(a: Timestamp, b: Timestamp) -> f64 {
    (b - a).num_milliseconds() as f64 / 3_600_000.0
}

/// One segment: indices into the positions it was cut from, in time order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    /// `<vessel>-<first timestamp, RFC 3339>`, as GFW names its segments.
    pub id: String,
    pub indices: Vec<usize>,
}

/// Cuts `positions` (in time order, as a [`Track`] keeps them) into segments, in the
/// order they were opened. Every position belongs to exactly one segment.
pub fn segment_positions(vessel: &str, positions: &[Position], p: &SegmentParams) -> Vec<Segment> {
    let mut segments: Vec<Segment> = Vec::new();
    // Indices into `segments` of the open ones.
    let mut open: Vec<usize> = Vec::new();
    for (i, pos) in positions.iter().enumerate() {
        let mut best: Option<(usize, f64)> = None;
        open.retain(|&s| {
            let last = segments[s].indices.last().map(|&j| &positions[j]);
            last.is_some_and(|l| hours_between(l.timestamp, pos.timestamp) <= p.max_gap_hours)
        });
        for &s in &open {
            let Some(last) = segments[s].indices.last().map(|&j| &positions[j]) else { continue };
            let dt_h = hours_between(last.timestamp, pos.timestamp);
            let dist = haversine_nm(last.lat, last.lon, pos.lat, pos.lon);
            // A NaN distance (bad coordinates) is implausible too.
            if dt_h < 0.0 || dist.is_nan() || dist > p.max_speed_kn * dt_h + p.jitter_nm {
                continue;
            }
            if best.is_none_or(|(_, d)| dist < d) {
                best = Some((s, dist));
            }
        }
        // A closed segment that ended nearer than the best open candidate says this
        // position belongs to that earlier transmitter, not to the one that happens to
        // be open: start afresh (chaining reconnects it to its own earlier segments).
        if let Some((_, d)) = best {
            let near = |j: &usize| {
                let l = &positions[*j];
                haversine_nm(l.lat, l.lon, pos.lat, pos.lon) + p.jitter_nm < d
            };
            // The first and the last position of each closed segment: where that
            // transmitter was seen starting and stopping (cheap, and enough for ids whose
            // transmitters sit in different ports).
            let nearer_closed = segments.iter().enumerate().any(|(s, seg)| {
                !open.contains(&s) && (seg.indices.first().is_some_and(near) || seg.indices.last().is_some_and(near))
            });
            if nearer_closed {
                best = None;
            }
        }
        match best {
            Some((s, _)) => segments[s].indices.push(i),
            None => {
                segments.push(Segment {
                    id: format!("{vessel}-{}", pos.timestamp.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
                    indices: vec![i],
                });
                open.push(segments.len() - 1);
            }
        }
    }
    merge_parallel(positions, segments, p)
}

/// Where the segment was at `t` (linear between its two positions around `t`), when
/// `t` lies within its time span.
fn position_at(positions: &[Position], seg: &Segment, t: Timestamp) -> Option<(f64, f64)> {
    let k = seg.indices.partition_point(|&i| positions[i].timestamp < t);
    let after = &positions[*seg.indices.get(k)?];
    if after.timestamp == t {
        return Some((after.lat, after.lon));
    }
    let before = &positions[*seg.indices.get(k.checked_sub(1)?)?];
    let span = (after.timestamp - before.timestamp).num_milliseconds() as f64;
    let f = if span > 0.0 { (t - before.timestamp).num_milliseconds() as f64 / span } else { 0.0 };
    Some((before.lat + (after.lat - before.lat) * f, before.lon + (after.lon - before.lon) * f))
}

/// Whether at least 90% of the positions of `b` inside `a`'s time span (and at least
/// one) are within `parallel_nm` of where `a` was then. Not all: the lagging feed's
/// trail is itself noisy.
fn runs_parallel(positions: &[Position], a: &Segment, b: &Segment, p: &SegmentParams) -> bool {
    // Disjoint time spans: nothing to compare (and no cost for the common case).
    let span = |s: &Segment| Some((positions[*s.indices.first()?].timestamp, positions[*s.indices.last()?].timestamp));
    let (Some((a0, a1)), Some((b0, b1))) = (span(a), span(b)) else { return false };
    if b1 < a0 || a1 < b0 {
        return false;
    }
    let (mut compared, mut close) = (0usize, 0usize);
    for &i in &b.indices {
        let q = &positions[i];
        if let Some((lat, lon)) = position_at(positions, a, q.timestamp) {
            compared += 1;
            if haversine_nm(lat, lon, q.lat, q.lon) <= p.parallel_nm {
                close += 1;
            }
        }
    }
    compared > 0 && close * 10 >= compared * 9
}

/// Folds each segment into the earliest earlier one it runs parallel to.
fn merge_parallel(positions: &[Position], mut segments: Vec<Segment>, p: &SegmentParams) -> Vec<Segment> {
    let mut s = 1;
    while s < segments.len() {
        let target = (0..s).find(|&t| {
            runs_parallel(positions, &segments[t], &segments[s], p)
                || runs_parallel(positions, &segments[s], &segments[t], p)
        });
        match target {
            Some(t) => {
                let moved = segments.remove(s);
                segments[t].indices.extend(moved.indices);
                segments[t].indices.sort_unstable();
                // Folding may make the target parallel to an earlier one: look again.
                s = 1;
            }
            None => s += 1,
        }
    }
    segments
}

/// Groups segments into chains of segments that follow one another plausibly (see the
/// module documentation); returns, per chain, the indices of its segments.
pub fn chain_segments(positions: &[Position], segments: &[Segment], p: &SegmentParams) -> Vec<Vec<usize>> {
    let mut chains: Vec<Vec<usize>> = Vec::new();
    for (s, seg) in segments.iter().enumerate() {
        let (Some(&first), Some(_)) = (seg.indices.first(), seg.indices.last()) else { continue };
        let start = &positions[first];
        // The nearest chain that ended before this segment starts and could have
        // travelled here; ties go to the most recently active one, then the older chain.
        // Nearest, not latest: a transmitter that was silent for a day is more likely
        // the one back at the same spot than another one 100 nm away.
        let mut best: Option<(usize, Timestamp, f64)> = None;
        for (c, chain) in chains.iter().enumerate() {
            let Some(&last_i) = chain.last().and_then(|&ls| segments[ls].indices.last()) else { continue };
            let end = &positions[last_i];
            if end.timestamp > start.timestamp || !p.reachable(end, start) {
                continue;
            }
            let dist = haversine_nm(end.lat, end.lon, start.lat, start.lon);
            let better = match best {
                None => true,
                Some((_, t, d)) => dist < d || (dist == d && end.timestamp > t),
            };
            if better {
                best = Some((c, end.timestamp, dist));
            }
        }
        match best {
            Some((c, _, _)) => chains[c].push(s),
            None => chains.push(vec![s]),
        }
    }
    chains
}

/// One chain of a track: its segments' positions in time order.
pub struct Chain<'a> {
    pub segment_ids: Vec<String>,
    pub positions: Vec<&'a Position>,
}

/// The chains of a track (one chain when nothing needed splitting).
pub fn chains_of<'a>(track: &'a Track, p: &SegmentParams) -> Vec<Chain<'a>> {
    let segments = segment_positions(track.vessel.as_str(), &track.positions, p);
    chain_segments(&track.positions, &segments, p)
        .into_iter()
        .map(|chain| {
            let mut idx: Vec<usize> = chain.iter().flat_map(|&s| segments[s].indices.iter().copied()).collect();
            idx.sort_unstable();
            Chain {
                segment_ids: chain.iter().map(|&s| segments[s].id.clone()).collect(),
                positions: idx.into_iter().map(|i| &track.positions[i]).collect(),
            }
        })
        .collect()
}

/// The track split into chains of plausible segments, each a track of its own under the
/// same vessel id (static data copied), in order of their first position. A track that
/// needs no split comes back as one track equal to the input.
pub fn split_track(track: &Track, p: &SegmentParams) -> Vec<Track> {
    let segments = segment_positions(track.vessel.as_str(), &track.positions, p);
    if segments.len() <= 1 {
        return vec![track.clone()];
    }
    let chains = chain_segments(&track.positions, &segments, p);
    if chains.len() <= 1 {
        return vec![track.clone()];
    }
    chains
        .iter()
        .map(|chain| {
            let mut idx: Vec<usize> = chain.iter().flat_map(|&s| segments[s].indices.iter().copied()).collect();
            idx.sort_unstable();
            Track {
                vessel: track.vessel.clone(),
                static_data: track.static_data.clone(),
                positions: idx.into_iter().map(|i| track.positions[i].clone()).collect(),
            }
        })
        .collect()
}

/// [`split_track`] over every track, keeping the input order of vessels.
pub fn split_tracks(tracks: &[Track], p: &SegmentParams) -> Vec<Track> {
    tracks.iter().flat_map(|t| split_track(t, p)).collect()
}

/// Agreement of two labelings of the same items: pairwise precision and recall (a pair
/// "together" in `ours` counts as correct when it is together in `truth`) and the
/// adjusted Rand index. Used to compare the segmenter with GFW's expected ids.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Agreement {
    pub pairwise_precision: f64,
    pub pairwise_recall: f64,
    pub adjusted_rand: f64,
}

/// See [`Agreement`]; `ours` and `truth` label the same items in the same order.
pub fn agreement<A: Ord + Clone, B: Ord + Clone>(ours: &[A], truth: &[B]) -> Agreement {
    use std::collections::BTreeMap;
    fn pairs(n: u64) -> f64 {
        (n * n.saturating_sub(1) / 2) as f64
    }
    let mut joint: BTreeMap<(A, B), u64> = BTreeMap::new();
    let mut a_count: BTreeMap<A, u64> = BTreeMap::new();
    let mut b_count: BTreeMap<B, u64> = BTreeMap::new();
    for (a, b) in ours.iter().zip(truth) {
        *joint.entry((a.clone(), b.clone())).or_default() += 1;
        *a_count.entry(a.clone()).or_default() += 1;
        *b_count.entry(b.clone()).or_default() += 1;
    }
    let both: f64 = joint.values().map(|&n| pairs(n)).sum();
    let ours_pairs: f64 = a_count.values().map(|&n| pairs(n)).sum();
    let truth_pairs: f64 = b_count.values().map(|&n| pairs(n)).sum();
    let total = pairs(ours.len().min(truth.len()) as u64);
    let expected = if total > 0.0 { ours_pairs * truth_pairs / total } else { 0.0 };
    let max = (ours_pairs + truth_pairs) / 2.0;
    let ratio = |num: f64, den: f64| if den > 0.0 { num / den } else { 1.0 };
    Agreement {
        pairwise_precision: ratio(both, ours_pairs),
        pairwise_recall: ratio(both, truth_pairs),
        adjusted_rand: if (max - expected).abs() < f64::EPSILON { 1.0 } else { (both - expected) / (max - expected) },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone, Utc};
    use lookout_model::VesselId;

    fn pos(min: i64, lat: f64, lon: f64) -> Position {
        Position {
            vessel: VesselId::new("440000001"),
            timestamp: Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).single().expect("time") + Duration::minutes(min),
            lat,
            lon,
            sog: None,
            cog: None,
            heading: None,
            nav_status: None,
        }
    }

    #[test]
    fn speed_limit_just_inside_and_just_outside() {
        let p = SegmentParams::default();
        // One hour: 30 kn + 0.5 nm jitter = 30.5 nm allowed. 1° of latitude = 60.04 nm here.
        let nm_per_deg = haversine_nm(0.0, 0.0, 1.0, 0.0);
        let inside = vec![pos(0, 0.0, 0.0), pos(60, 30.4 / nm_per_deg, 0.0)];
        let outside = vec![pos(0, 0.0, 0.0), pos(60, 30.6 / nm_per_deg, 0.0)];
        assert_eq!(segment_positions("v", &inside, &p).len(), 1);
        assert_eq!(segment_positions("v", &outside, &p).len(), 2);
    }

    #[test]
    fn time_limit_just_inside_and_just_outside() {
        let p = SegmentParams::default();
        let inside = vec![pos(0, 10.0, 10.0), pos(24 * 60, 10.0, 10.0)];
        let outside = vec![pos(0, 10.0, 10.0), pos(24 * 60 + 1, 10.0, 10.0)];
        assert_eq!(segment_positions("v", &inside, &p).len(), 1);
        let segs = segment_positions("v", &outside, &p);
        assert_eq!(segs.len(), 2);
        // A split by time alone is chained back: the dark gap stays one track.
        let track = Track { vessel: VesselId::new("v"), static_data: Default::default(), positions: outside };
        assert_eq!(split_track(&track, &p), vec![track.clone()]);
    }

    #[test]
    fn interleaved_transmitters_keep_their_segments() {
        let p = SegmentParams::default();
        // A near 10N 10E, B 60 nm north; they alternate every 5 minutes for 4 hours.
        let mut v = Vec::new();
        for k in 0..48 {
            let (lat, lon) = if k % 2 == 0 { (10.0, 10.0 + k as f64 * 0.001) } else { (11.0, 10.0) };
            v.push(pos(k * 5, lat, lon));
        }
        let segs = segment_positions("v", &v, &p);
        assert_eq!(segs.len(), 2);
        assert_eq!(segs[0].indices.len(), 24);
        assert!(segs[0].indices.iter().all(|i| i % 2 == 0));
        assert_eq!(segs[0].id, "v-2024-05-01T00:00:00Z");
        let track = Track { vessel: VesselId::new("v"), static_data: Default::default(), positions: v };
        let split = split_track(&track, &p);
        assert_eq!(split.len(), 2);
        assert!(split[1].positions.iter().all(|q| q.lat == 11.0));
    }

    #[test]
    fn agreement_of_identical_and_merged_labelings() {
        let truth = [1, 1, 2, 2, 3];
        let same = agreement(&["a", "a", "b", "b", "c"], &truth);
        assert_eq!((same.pairwise_precision, same.pairwise_recall, same.adjusted_rand), (1.0, 1.0, 1.0));
        let merged = agreement(&[0, 0, 0, 0, 0], &truth);
        assert_eq!(merged.pairwise_recall, 1.0);
        assert!((merged.pairwise_precision - 0.2).abs() < 1e-12);
        assert!(merged.adjusted_rand.abs() < 1e-12);
    }

    #[test]
    fn bad_params_are_rejected() {
        let p = SegmentParams { max_speed_kn: 0.0, ..SegmentParams::default() };
        assert_eq!(p.validate().err().map(|e| e.path), Some("max_speed_kn".into()));
    }
}
