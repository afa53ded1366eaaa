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
//! chain. Gaps and dark scores are computed per chain; a chain never jumps faster than
//! `max_speed_kn`. A chain of one message that nothing connects to, on an id with a
//! longer chain, is set apart as noise (a stray or corrupted report, not a second ship).
//!
//! The engine segments every track once per cycle ([`segment_tracks`]); detectors read
//! that ([`chains_in`]) rather than segmenting again. Cost: near-linear in the positions
//! of a track. Distances are first bounded without trigonometry (the latitude
//! difference, an equirectangular path, a 2-D floor), and a haversine is computed only
//! when a bound cannot decide, so every decision is the one the plain haversine gives;
//! open segments are found by latitude, closed segments' ends on grids, and the
//! segments overlapping one in time through a tree of end times.

use std::borrow::Cow;

use lookout_model::{Position, Timestamp, Track};
use serde::{Deserialize, Serialize};

use crate::error::ParamsError;
use crate::geo::{haversine_nm, EARTH_RADIUS_NM};
use crate::input::CycleInput;
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
    /// A second transmitter trailing the first is not folded into it (see [`trails`]):
    /// the trail must be seen over at least this many hours, hours. Defaulted so that
    /// params stored before it existed still parse.
    #[serde(default = "default_trail_min_hours")]
    pub trail_min_hours: f64,
    /// Longest time lag looked for behind the leader, hours.
    #[serde(default = "default_trail_max_lag_hours")]
    pub trail_max_lag_hours: f64,
    /// The trailing positions stay within this of where the leader was earlier, nm.
    #[serde(default = "default_trail_path_nm")]
    pub trail_path_nm: f64,
}

fn default_trail_min_hours() -> f64 {
    2.0
}

fn default_trail_max_lag_hours() -> f64 {
    3.0
}

fn default_trail_path_nm() -> f64 {
    1.0
}

impl Default for SegmentParams {
    /// 30 kn is above what fishing vessels and most merchant ships sustain (GFW's
    /// segmenter uses the same order of magnitude); 24 h matches the gap VIOLATION level.
    fn default() -> Self {
        SegmentParams {
            max_speed_kn: 30.0,
            max_gap_hours: 24.0,
            jitter_nm: 0.5,
            parallel_nm: 30.0,
            trail_min_hours: default_trail_min_hours(),
            trail_max_lag_hours: default_trail_max_lag_hours(),
            trail_path_nm: default_trail_path_nm(),
        }
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
        for (key, v) in [
            ("trail_min_hours", self.trail_min_hours),
            ("trail_max_lag_hours", self.trail_max_lag_hours),
            ("trail_path_nm", self.trail_path_nm),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return Err(ParamsError::at(key, "expected a positive number"));
            }
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

pub use crate::input::segmentation::{Segment, Segmentation, SegmentedTrack};

/// Cuts `positions` (in time order, as a [`Track`] keeps them) into segments, in the
/// order they were opened. Every position belongs to exactly one segment.
///
/// Cost: one haversine per open candidate of each position; closed segments are only
/// looked at when they could be nearer (a latitude-ordered index of their ends, see
/// [`ClosedEnds`]), so a track with many segments stays near-linear.
pub fn segment_positions(vessel: &str, positions: &[Position], p: &SegmentParams) -> Vec<Segment> {
    let mut segments: Vec<Segment> = Vec::new();
    let mut open = OpenEnds::default();
    let mut closed = ClosedEnds::default();
    let cos_lat: Vec<f64> = positions.iter().map(|q| q.lat.to_radians().cos()).collect();
    for (i, pos) in positions.iter().enumerate() {
        for s in open.close_older(positions, pos.timestamp, p.max_gap_hours) {
            closed.add(positions, &segments[s]);
        }
        let mut best = open.nearest_plausible(positions, &cos_lat, i, p);
        // A closed segment that started or ended nearer than the best open candidate
        // says this position belongs to that earlier transmitter, not to the one that
        // happens to be open: start afresh (chaining reconnects it to its own earlier
        // segments). First and last positions only: where that transmitter was seen
        // starting and stopping (cheap, and enough for ids whose transmitters sit in
        // different ports).
        if let Some((d, _)) = best {
            if closed.any_nearer(positions, &cos_lat, i, d, p.jitter_nm) {
                best = None;
            }
        }
        match best {
            Some((_, s)) => {
                segments[s].indices.push(i);
                open.advance(positions, s, i);
            }
            None => {
                segments.push(Segment { id: segment_id(vessel, pos), indices: vec![i] });
                open.open(positions, segments.len() - 1, i);
            }
        }
    }
    merge_parallel(positions, segments, p)
}

fn segment_id(vessel: &str, first: &Position) -> String {
    format!("{vessel}-{}", first.timestamp.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

/// Slack on the distance bounds, far above the rounding of [`haversine_nm`]: a bound
/// only ever skips a haversine whose outcome it already knows.
const BOUND_SLACK: f64 = 1e-9;

/// Latitudes for which the bounds below hold.
fn bounded_lat(lat: f64) -> bool {
    lat.is_finite() && lat.abs() <= 90.0
}

/// Never above `haversine_nm` of two points at these latitudes: the meridian distance
/// between the two parallels (no trigonometry). 0 where it would not hold.
fn distance_floor_nm(lat1: f64, lat2: f64) -> f64 {
    if !(bounded_lat(lat1) && bounded_lat(lat2)) {
        return 0.0;
    }
    let d = EARTH_RADIUS_NM * (lat2 - lat1).abs().to_radians();
    (d * (1.0 - BOUND_SLACK) - BOUND_SLACK).max(0.0)
}

/// Never above `haversine_nm` either, and closer to it than [`distance_floor_nm`] when
/// the longitudes differ: the haversine recipe with `sin x` replaced by `x - x³/6` (never
/// larger on [0, π/2]) and `asin y` by `y` (never larger on [0, 1]); one square root, no
/// trigonometry given the two latitudes' cosines.
fn distance_floor_2d_nm(lat1: f64, lon1: f64, cos1: f64, lat2: f64, lon2: f64, cos2: f64) -> f64 {
    if !(bounded_lat(lat1) && bounded_lat(lat2) && lon1.is_finite() && lon2.is_finite()) {
        return 0.0;
    }
    let mut dlon = (lon2 - lon1).abs() % 360.0;
    if dlon > 180.0 {
        dlon = 360.0 - dlon;
    }
    let sin_floor = |x: f64| (x * (1.0 - x * x / 6.0)).max(0.0);
    let half_dlat = sin_floor((lat2 - lat1).abs().to_radians() / 2.0);
    let half_dlon = sin_floor(dlon.to_radians() / 2.0);
    let h = half_dlat * half_dlat + cos1.max(0.0) * cos2.max(0.0) * half_dlon * half_dlon;
    let d = EARTH_RADIUS_NM * 2.0 * h.sqrt();
    (d * (1.0 - BOUND_SLACK) - BOUND_SLACK).max(0.0)
}

/// Never below `haversine_nm`: the length of one path between the points (along the
/// meridian, then along the parallel of the second point; an equirectangular distance
/// that needs only that parallel's cosine). Infinite where it would not hold.
fn distance_ceiling_nm(lat1: f64, lon1: f64, lat2: f64, lon2: f64, cos_lat2: f64) -> f64 {
    if !(bounded_lat(lat1) && bounded_lat(lat2) && lon1.is_finite() && lon2.is_finite()) {
        return f64::INFINITY;
    }
    let mut dlon = (lon2 - lon1).abs() % 360.0;
    if dlon > 180.0 {
        dlon = 360.0 - dlon;
    }
    let d = EARTH_RADIUS_NM * ((lat2 - lat1).abs().to_radians() + cos_lat2 * dlon.to_radians());
    d * (1.0 + BOUND_SLACK) + BOUND_SLACK
}

/// Whether `haversine_nm(lat, lon, q)` is at most `limit`, computing it only when the
/// bounds leave it open.
fn within_nm(lat: f64, lon: f64, q: &Position, cos_q: f64, limit: f64) -> bool {
    if distance_floor_nm(lat, q.lat) > limit {
        return false;
    }
    if distance_ceiling_nm(lat, lon, q.lat, q.lon, cos_q) <= limit {
        return true;
    }
    haversine_nm(lat, lon, q.lat, q.lon) <= limit
}

/// The open segments (last report at most `max_gap_hours` old) by the latitude of their
/// last position, to find the nearest plausible one among few, and by its time, to
/// close them in order.
#[derive(Default)]
struct OpenEnds {
    /// (latitude key, segment) of open segments whose last latitude is in [-90, 90].
    by_lat: std::collections::BTreeSet<(u64, usize)>,
    /// Open segments whose last latitude is not: always looked at.
    unbounded: std::collections::BTreeSet<usize>,
    by_time: std::collections::BTreeSet<(Timestamp, usize)>,
    /// Last position of every segment, open or not.
    last: Vec<usize>,
}

impl OpenEnds {
    fn insert(&mut self, positions: &[Position], s: usize, j: usize) {
        let q = &positions[j];
        if bounded_lat(q.lat) {
            self.by_lat.insert((lat_key(q.lat), s));
        } else {
            self.unbounded.insert(s);
        }
        self.by_time.insert((q.timestamp, s));
    }

    fn remove(&mut self, positions: &[Position], s: usize) {
        let q = &positions[self.last[s]];
        if bounded_lat(q.lat) {
            self.by_lat.remove(&(lat_key(q.lat), s));
        } else {
            self.unbounded.remove(&s);
        }
        self.by_time.remove(&(q.timestamp, s));
    }

    /// Segment `s` (the newest) opened at position `j`.
    fn open(&mut self, positions: &[Position], s: usize, j: usize) {
        self.last.push(j);
        self.insert(positions, s, j);
    }

    /// Position `j` joined open segment `s`.
    fn advance(&mut self, positions: &[Position], s: usize, j: usize) {
        self.remove(positions, s);
        self.last[s] = j;
        self.insert(positions, s, j);
    }

    /// Closes the segments whose last report is more than `max_gap_hours` before `now`
    /// (no earlier than any report seen); returns them.
    fn close_older(&mut self, positions: &[Position], now: Timestamp, max_gap_hours: f64) -> Vec<usize> {
        let mut closed = Vec::new();
        while let Some(&(t, s)) = self.by_time.first() {
            if hours_between(t, now) <= max_gap_hours {
                break;
            }
            self.remove(positions, s);
            closed.push(s);
        }
        closed
    }

    /// The nearest open segment that position `i` is plausible for, as (distance,
    /// segment); ties go to the older segment. Segments are looked at outwards in
    /// latitude from the position, and no further than the latitude difference alone
    /// rules out (beyond the best distance so far, or beyond any reach).
    fn nearest_plausible(
        &self,
        positions: &[Position],
        cos_lat: &[f64],
        i: usize,
        p: &SegmentParams,
    ) -> Option<(f64, usize)> {
        let pos = &positions[i];
        let mut best: Option<(f64, usize)> = None;
        let consider = |s: usize, best: &mut Option<(f64, usize)>| {
            let j = self.last[s];
            let last = &positions[j];
            let dt_h = hours_between(last.timestamp, pos.timestamp);
            if dt_h < 0.0 {
                return;
            }
            let limit = p.max_speed_kn * dt_h + p.jitter_nm;
            let floor = distance_floor_2d_nm(last.lat, last.lon, cos_lat[j], pos.lat, pos.lon, cos_lat[i]);
            if floor > limit || best.is_some_and(|(d, b)| floor > d || (floor == d && s > b)) {
                return;
            }
            let dist = haversine_nm(last.lat, last.lon, pos.lat, pos.lon);
            // A NaN distance (bad coordinates) is implausible too.
            if dist.is_nan() || dist > limit {
                return;
            }
            if best.is_none_or(|(d, b)| dist < d || (dist == d && s < b)) {
                *best = Some((dist, s));
            }
        };
        for &s in &self.unbounded {
            consider(s, &mut best);
        }
        if !(bounded_lat(pos.lat) && pos.lon.is_finite()) {
            for &(_, s) in &self.by_lat {
                consider(s, &mut best);
            }
            return best;
        }
        // No open segment's limit exceeds the one of a report `max_gap_hours` old.
        let far = p.max_speed_kn * p.max_gap_hours + p.jitter_nm;
        let reach = if far.is_nan() || p.jitter_nm.is_nan() { f64::INFINITY } else { far.max(p.jitter_nm) };
        let out_of_range = |s: usize, best: &Option<(f64, usize)>| {
            let floor = distance_floor_nm(positions[self.last[s]].lat, pos.lat);
            floor > reach || best.is_some_and(|(d, _)| floor > d)
        };
        let key = lat_key(pos.lat);
        for &(_, s) in self.by_lat.range((key, 0)..) {
            if out_of_range(s, &best) {
                break;
            }
            consider(s, &mut best);
        }
        for &(_, s) in self.by_lat.range(..(key, 0)).rev() {
            if out_of_range(s, &best) {
                break;
            }
            consider(s, &mut best);
        }
        best
    }
}

/// A key whose order is the numeric order of finite floats (-0 taken as +0).
fn lat_key(lat: f64) -> u64 {
    let bits = (lat + 0.0).to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | (1 << 63)
    }
}

/// First and last positions of the closed segments on grids of cells, a fine one for
/// the usual short distances and a coarse one for long ones, so that the ones that
/// could be within some distance of a position are found among few (the distance is at
/// least what [`distance_floor_2d_nm`] says).
#[derive(Default)]
struct ClosedEnds {
    /// Ends with a latitude in [-90, 90], by (latitude cell, longitude cell mod 360°),
    /// on cells of `CELL_DEG[k]` degrees.
    grids: [std::collections::HashMap<(i64, i64), Vec<usize>>; 2],
    /// Ends with a finite latitude beyond ±90, where the bounds do not hold: always checked.
    unbounded: Vec<usize>,
    count: usize,
}

const CELL_DEG: [f64; 2] = [0.01, 0.1];
/// Cells the fine grid may visit before the coarse one is used.
const FINE_CELLS: i64 = 64;
/// Beyond this many cells to visit, every end is checked instead.
const MAX_CELLS: i64 = 4096;

fn cell_of(deg: f64, cell_deg: f64) -> i64 {
    (deg / cell_deg).floor() as i64
}

fn lon_cells(cell_deg: f64) -> i64 {
    (360.0 / cell_deg).round() as i64
}

impl ClosedEnds {
    fn add(&mut self, positions: &[Position], seg: &Segment) {
        let ends = [seg.indices.first(), seg.indices.last()];
        for &j in ends.into_iter().flatten() {
            let q = &positions[j];
            // A non-finite coordinate makes the haversine half the Earth's
            // circumference, never nearer than anything: such an end is left out.
            if !(q.lat.is_finite() && q.lon.is_finite()) {
                continue;
            }
            if bounded_lat(q.lat) {
                for (grid, cell_deg) in self.grids.iter_mut().zip(CELL_DEG) {
                    let cell = (cell_of(q.lat, cell_deg), cell_of(q.lon, cell_deg).rem_euclid(lon_cells(cell_deg)));
                    grid.entry(cell).or_default().push(j);
                }
                self.count += 1;
            } else {
                self.unbounded.push(j);
            }
        }
    }

    /// Whether some closed end is nearer to position `i` than `d` by more than `jitter`.
    fn any_nearer(&self, positions: &[Position], cos_lat: &[f64], i: usize, d: f64, jitter: f64) -> bool {
        let pos = &positions[i];
        // Nothing can be: a distance is never negative; a non-finite coordinate gives
        // half the circumference, the largest distance there is.
        let beyond_jitter = d.partial_cmp(&jitter) == Some(std::cmp::Ordering::Greater);
        if !(beyond_jitter && pos.lat.is_finite() && pos.lon.is_finite()) {
            return false;
        }
        let near = |j: &usize| {
            let l = &positions[*j];
            distance_floor_2d_nm(l.lat, l.lon, cos_lat[*j], pos.lat, pos.lon, cos_lat[i]) + jitter < d
                && haversine_nm(l.lat, l.lon, pos.lat, pos.lon) + jitter < d
        };
        if self.unbounded.iter().any(near) {
            return true;
        }
        match self.cells_within(pos, d - jitter) {
            Some((k, cells)) => cells.into_iter().any(|c| self.grids[k].get(&c).is_some_and(|v| v.iter().any(near))),
            None => self.grids[1].values().flatten().any(near),
        }
    }

    /// The grid and its cells holding every end that can be nearer to `pos` than `reach` nm, or `None`
    /// when the bounds cannot say (near a pole, a reach of a large part of the globe,
    /// or more cells than ends).
    fn cells_within(&self, pos: &Position, reach: f64) -> Option<(usize, Vec<(i64, i64)>)> {
        if !bounded_lat(pos.lat) {
            return None;
        }
        // Latitude: the distance is at least the meridian distance.
        let lat_reach = (reach / EARTH_RADIUS_NM).to_degrees() * (1.0 + 1e-6) + 1e-9;
        // Longitude: within the band every cosine is at least `cos_min`, and on half-angles
        // up to 1 rad `sin x - x³/6 >= 5x/6`, so the floor exceeds `reach` once the
        // longitude difference exceeds `1.2 reach / (R cos_min)` rad (1.25 for slack);
        // up to 2 rad, where the half-angle stays below 1 rad or the floor is already
        // above `reach`.
        let cos_min = (pos.lat.abs() + lat_reach).min(90.0).to_radians().cos() * (1.0 - 1e-9);
        let lon_reach_rad = 1.25 * reach / (EARTH_RADIUS_NM * cos_min);
        if !(cos_min > 0.01 && lon_reach_rad.is_finite() && lon_reach_rad <= 2.0) {
            return None;
        }
        let lon_reach = lon_reach_rad.to_degrees();
        let span = |cell_deg: f64| {
            let lat = (cell_of(pos.lat - lat_reach, cell_deg), cell_of(pos.lat + lat_reach, cell_deg));
            let lon = (cell_of(pos.lon - lon_reach, cell_deg), cell_of(pos.lon + lon_reach, cell_deg));
            (lat, lon, (lat.1 - lat.0 + 1).saturating_mul(lon.1 - lon.0 + 1))
        };
        let fine = span(CELL_DEG[0]);
        let (k, ((lat0, lat1), (lon0, lon1), visits)) =
            if fine.2 <= FINE_CELLS { (0, fine) } else { (1, span(CELL_DEG[1])) };
        let lon_cells = lon_cells(CELL_DEG[k]);
        if lon1 - lon0 + 1 >= lon_cells || visits > MAX_CELLS || visits as usize > self.count {
            return None;
        }
        Some((k, (lat0..=lat1).flat_map(|a| (lon0..=lon1).map(move |o| (a, o.rem_euclid(lon_cells)))).collect()))
    }
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

/// First and last time of a segment.
fn span(positions: &[Position], s: &Segment) -> Option<(Timestamp, Timestamp)> {
    Some((positions[*s.indices.first()?].timestamp, positions[*s.indices.last()?].timestamp))
}

/// Whether at least 90% of the positions of `b` inside `a`'s time span (and at least
/// one) are within `parallel_nm` of where `a` was then. Not all: the lagging feed's
/// trail is itself noisy.
fn runs_parallel(positions: &[Position], cos_lat: &[f64], a: &Segment, b: &Segment, p: &SegmentParams) -> bool {
    // Disjoint time spans: nothing to compare (and no cost for the common case).
    let (Some((a0, a1)), Some((b0, b1))) = (span(positions, a), span(positions, b)) else { return false };
    if b1 < a0 || a1 < b0 {
        return false;
    }
    // Only the positions of `b` inside `a`'s span have a place on `a` to compare with.
    let from = b.indices.partition_point(|&i| positions[i].timestamp < a0);
    let to = b.indices.partition_point(|&i| positions[i].timestamp <= a1);
    let (mut compared, mut close) = (0usize, 0usize);
    for &i in b.indices.get(from..to).unwrap_or_default() {
        let q = &positions[i];
        if let Some((lat, lon)) = position_at(positions, a, q.timestamp) {
            compared += 1;
            if within_nm(lat, lon, q, cos_lat[i], p.parallel_nm) {
                close += 1;
            }
        }
    }
    compared > 0 && close * 10 >= compared * 9
}

/// A second transmitter trailing another on the same id, as [`trails`] finds it.
#[derive(Clone, Debug, PartialEq)]
pub struct Trail {
    /// Median time lag behind the leader, minutes.
    pub lag_min: f64,
    /// Median distance from where the leader was at the same time, nm.
    pub distance_nm: f64,
    /// Trailing positions compared, and the hours they span.
    pub compared: usize,
    pub hours: f64,
}

/// At most this many positions of the follower are compared (evenly spread), and at
/// most this many of the leader's looked at behind each: the cost of judging one pair
/// of segments is bounded whatever their length.
const TRAIL_SAMPLES: usize = 256;
const TRAIL_CANDIDATES: usize = 128;

/// Whether `b` trails `a`: a second transmitter following the first's path with a
/// consistent time lag, not the same ship seen through a lagging feed's scattered
/// reports. Over at least `trail_min_hours` (and at least 6 positions), at least 80% of
/// `b`'s positions inside `a`'s span plus the lag each lie within `trail_path_nm` of a
/// place `a` reported up to `trail_max_lag_hours` earlier; the lags to those places
/// agree (80% within 10 minutes or a quarter of the median lag, whichever is more);
/// and at the same time `b` is apart from `a` by more than `trail_path_nm` (median) —
/// a copy of the same positions at the same time is one ship. Returns the lag and
/// distance, medians over the compared positions.
pub fn trails(positions: &[Position], a: &Segment, b: &Segment, p: &SegmentParams) -> Option<Trail> {
    let (a0, a1) = span(positions, a)?;
    let max_lag = chrono::Duration::milliseconds((p.trail_max_lag_hours * 3_600_000.0) as i64);
    let from = b.indices.partition_point(|&i| positions[i].timestamp <= a0);
    let to = b.indices.partition_point(|&i| positions[i].timestamp <= a1 + max_lag);
    let inside = b.indices.get(from..to).unwrap_or_default();
    if inside.len() < 6 {
        return None;
    }
    let step = inside.len().div_ceil(TRAIL_SAMPLES).max(1);
    let (mut lags, mut apart, mut compared, mut on_path) = (Vec::new(), Vec::new(), 0usize, 0usize);
    let (mut first, mut last) = (None, None);
    for &i in inside.iter().step_by(step) {
        let q = &positions[i];
        compared += 1;
        // The leader's reports in [t - max_lag, t), nearest to q.
        let lo = a.indices.partition_point(|&j| positions[j].timestamp < q.timestamp - max_lag);
        let hi = a.indices.partition_point(|&j| positions[j].timestamp < q.timestamp);
        let behind = a.indices.get(lo..hi).unwrap_or_default();
        let stride = behind.len().div_ceil(TRAIL_CANDIDATES).max(1);
        let nearest = behind
            .iter()
            .step_by(stride)
            .map(|&j| (haversine_nm(positions[j].lat, positions[j].lon, q.lat, q.lon), j))
            .filter(|(d, _)| !d.is_nan())
            .min_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)));
        let Some((d, j)) = nearest else { continue };
        if d > p.trail_path_nm {
            continue;
        }
        on_path += 1;
        lags.push(hours_between(positions[j].timestamp, q.timestamp) * 60.0);
        if let Some((lat, lon)) = position_at(positions, a, q.timestamp) {
            apart.push(haversine_nm(lat, lon, q.lat, q.lon));
        }
        first.get_or_insert(q.timestamp);
        last = Some(q.timestamp);
    }
    let hours = hours_between(first?, last?);
    if on_path * 10 < compared * 8 || on_path < 6 || hours < p.trail_min_hours || apart.is_empty() {
        return None;
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        let n = v.len();
        if n % 2 == 1 {
            v[n / 2]
        } else {
            (v[n / 2 - 1] + v[n / 2]) / 2.0
        }
    };
    let lag = median(&mut lags);
    let tolerance = (lag / 4.0).max(10.0);
    let steady = lags.iter().filter(|l| (*l - lag).abs() <= tolerance).count();
    let distance = median(&mut apart);
    if steady * 10 < lags.len() * 8 || distance <= p.trail_path_nm {
        return None;
    }
    Some(Trail { lag_min: lag, distance_nm: distance, compared, hours })
}

/// Whether one of two segments trails the other ([`trails`] either way).
pub fn second_transmitter(positions: &[Position], a: &Segment, b: &Segment, p: &SegmentParams) -> bool {
    trails(positions, a, b, p).is_some() || trails(positions, b, a, p).is_some()
}

/// Folds each segment into the earliest earlier one it runs parallel to, until no
/// segment runs parallel to an earlier one. A segment that trails another (a second
/// transmitter, [`second_transmitter`]) is never folded into it.
///
/// Same outcome as looking again from the second segment after every fold, cheaper:
/// segments are in order of their first position (a fold keeps the earlier start), so
/// the earlier segments overlapping one in time are those ending after it starts
/// ([`EndTree`]); a pair found not parallel is not compared again until one of the two
/// changes; after folding into `t`, every pair of segments before `t` is unchanged and
/// was already found not parallel, so the search resumes at `t`.
fn merge_parallel(positions: &[Position], segments: Vec<Segment>, p: &SegmentParams) -> Vec<Segment> {
    if segments.len() < 2 {
        return segments;
    }
    let cos_lat: Vec<f64> = positions.iter().map(|q| q.lat.to_radians().cos()).collect();
    let millis = |t: Timestamp| t.timestamp_millis();
    let mut spans: Vec<(i64, i64)> = segments
        .iter()
        .map(|s| span(positions, s).map_or((i64::MAX, i64::MIN), |(a, b)| (millis(a), millis(b))))
        .collect();
    let mut ends = EndTree::new(spans.iter().map(|s| s.1));
    let mut version: Vec<u64> = vec![0; segments.len()];
    let mut not_parallel: std::collections::HashSet<(usize, u64, usize, u64)> = Default::default();
    let mut alive: std::collections::BTreeSet<usize> = (0..segments.len()).collect();
    let mut segments: Vec<Option<Segment>> = segments.into_iter().map(Some).collect();
    let second = |alive: &std::collections::BTreeSet<usize>| alive.iter().nth(1).copied();
    let mut next = second(&alive);
    while let Some(s) = next {
        let start = spans[s].0;
        let target = ends.ending_at_or_after(s, start).into_iter().find(|&t| {
            let key = (t, version[t], s, version[s]);
            if not_parallel.contains(&key) {
                return false;
            }
            let (Some(a), Some(b)) = (&segments[t], &segments[s]) else { return false };
            let parallel = (runs_parallel(positions, &cos_lat, a, b, p) || runs_parallel(positions, &cos_lat, b, a, p))
                && !second_transmitter(positions, a, b, p);
            if !parallel {
                not_parallel.insert(key);
            }
            parallel
        });
        match target {
            Some(t) => {
                let moved = segments[s].take().map(|m| m.indices).unwrap_or_default();
                alive.remove(&s);
                ends.set(s, i64::MIN);
                if let Some(into) = segments[t].as_mut() {
                    into.indices = merge_sorted(&into.indices, &moved);
                }
                spans[t].1 = spans[t].1.max(spans[s].1);
                ends.set(t, spans[t].1);
                version[t] += 1;
                next = if alive.first() == Some(&t) { second(&alive) } else { Some(t) };
            }
            None => next = alive.range(s + 1..).next().copied(),
        }
    }
    segments.into_iter().flatten().collect()
}

/// Two ascending lists of distinct indices as one ascending list.
fn merge_sorted(a: &[usize], b: &[usize]) -> Vec<usize> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if a[i] <= b[j] {
            out.push(a[i]);
            i += 1;
        } else {
            out.push(b[j]);
            j += 1;
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

/// Segment end times by segment number, as a max tree: the segments before `s` that end
/// at or after a time are listed in order without scanning the others.
struct EndTree {
    size: usize,
    max: Vec<i64>,
}

impl EndTree {
    fn new(ends: impl ExactSizeIterator<Item = i64>) -> Self {
        let size = ends.len().next_power_of_two();
        let mut max = vec![i64::MIN; 2 * size];
        for (k, e) in ends.enumerate() {
            max[size + k] = e;
        }
        for k in (1..size).rev() {
            max[k] = max[2 * k].max(max[2 * k + 1]);
        }
        EndTree { size, max }
    }

    fn set(&mut self, k: usize, end: i64) {
        let mut node = self.size + k;
        self.max[node] = end;
        while node > 1 {
            node /= 2;
            self.max[node] = self.max[2 * node].max(self.max[2 * node + 1]);
        }
    }

    /// Segment numbers below `below` whose end is at or after `t`, ascending.
    fn ending_at_or_after(&self, below: usize, t: i64) -> Vec<usize> {
        let mut out = Vec::new();
        self.collect(1, 0, self.size, below, t, &mut out);
        out
    }

    fn collect(&self, node: usize, lo: usize, hi: usize, below: usize, t: i64, out: &mut Vec<usize>) {
        if lo >= below || self.max[node] < t {
            return;
        }
        if hi - lo == 1 {
            out.push(lo);
            return;
        }
        let mid = (lo + hi) / 2;
        self.collect(2 * node, lo, mid, below, t, out);
        self.collect(2 * node + 1, mid, hi, below, t, out);
    }
}

/// Groups segments into chains of segments that follow one another plausibly (see the
/// module documentation); returns, per chain, the indices of its segments.
pub fn chain_segments(positions: &[Position], segments: &[Segment], p: &SegmentParams) -> Vec<Vec<usize>> {
    let mut chains: Vec<Vec<usize>> = Vec::new();
    // The last position of each chain, kept beside it.
    let mut chain_end: Vec<usize> = Vec::new();
    for (s, seg) in segments.iter().enumerate() {
        let (Some(&first), Some(&last)) = (seg.indices.first(), seg.indices.last()) else { continue };
        let start = &positions[first];
        // The nearest chain that ended before this segment starts and could have
        // travelled here; ties go to the most recently active one, then the older chain.
        // Nearest, not latest: a transmitter that was silent for a day is more likely
        // the one back at the same spot than another one 100 nm away.
        let mut best: Option<(usize, Timestamp, f64)> = None;
        for (c, &end_i) in chain_end.iter().enumerate() {
            let end = &positions[end_i];
            let dt_h = hours_between(end.timestamp, start.timestamp);
            if end.timestamp > start.timestamp || dt_h < 0.0 {
                continue;
            }
            // `SegmentParams::reachable`, with its haversine skipped when the latitudes
            // alone are too far apart.
            let limit = p.max_speed_kn * dt_h + p.jitter_nm;
            if distance_floor_nm(end.lat, start.lat) > limit {
                continue;
            }
            let dist = haversine_nm(end.lat, end.lon, start.lat, start.lon);
            // Not within the limit, NaN included.
            if dist.partial_cmp(&limit).is_none_or(|o| o == std::cmp::Ordering::Greater) {
                continue;
            }
            let better = match best {
                None => true,
                Some((_, t, d)) => dist < d || (dist == d && end.timestamp > t),
            };
            if better {
                best = Some((c, end.timestamp, dist));
            }
        }
        match best {
            Some((c, _, _)) => {
                chains[c].push(s);
                chain_end[c] = last;
            }
            None => {
                chains.push(vec![s]);
                chain_end.push(last);
            }
        }
    }
    chains
}

/// One chain of a track: its segments' positions in time order.
pub struct Chain<'a> {
    pub segment_ids: Vec<String>,
    pub positions: Vec<&'a Position>,
}

/// Segments and chains of one track.
pub fn segment_track(track: &Track, p: &SegmentParams) -> SegmentedTrack {
    let segments = segment_positions(track.vessel.as_str(), &track.positions, p);
    let chains = chain_segments(&track.positions, &segments, p);
    let (chains, noise) = set_apart_noise(&segments, chains);
    SegmentedTrack { positions: track.positions.len(), segments, chains, noise }
}

/// Chains that are one message no other report connects to (no chain could have
/// reached it, none continued from it), while the id has a chain of several messages,
/// are noise, as Global Fishing Watch's segmenter sets one-message segments apart: a
/// stray position (a corrupted message, a receiver's wrong time) is not a second ship.
/// Returns the other chains and the noise segments.
fn set_apart_noise(segments: &[Segment], chains: Vec<Vec<usize>>) -> (Vec<Vec<usize>>, Vec<usize>) {
    let messages = |chain: &Vec<usize>| chain.iter().map(|&s| segments[s].indices.len()).sum::<usize>();
    if !chains.iter().any(|c| messages(c) > 1) {
        return (chains, Vec::new());
    }
    let (noise, kept): (Vec<Vec<usize>>, Vec<Vec<usize>>) = chains.into_iter().partition(|c| messages(c) == 1);
    (kept, noise.into_iter().flatten().collect())
}

/// Every track's segments and chains, once for a cycle, on up to `threads` threads
/// (tracks are independent; the result does not depend on the thread count).
pub fn segment_tracks(tracks: &[Track], p: &SegmentParams, threads: usize) -> Segmentation {
    let threads = threads.clamp(1, tracks.len().max(1));
    let chunk = tracks.len().div_ceil(threads).max(1);
    let parts: Vec<Vec<(String, SegmentedTrack)>> = std::thread::scope(|scope| {
        let handles: Vec<_> = tracks
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || part.iter().map(|t| (t.vessel.as_str().to_string(), segment_track(t, p))).collect())
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))).collect()
    });
    let mut by_vessel = std::collections::BTreeMap::new();
    let mut repeated = std::collections::BTreeSet::new();
    for (vessel, seg) in parts.into_iter().flatten() {
        if by_vessel.insert(vessel.clone(), seg).is_some() {
            repeated.insert(vessel);
        }
    }
    // An id with two tracks cannot be looked up by id: each segments itself.
    for vessel in repeated {
        by_vessel.remove(&vessel);
    }
    Segmentation { params: serde_json::to_value(p).unwrap_or_default(), by_vessel }
}

/// The positions of each chain, in time order.
fn chain_positions(seg: &SegmentedTrack) -> impl Iterator<Item = Vec<usize>> + '_ {
    seg.chains.iter().map(|chain| {
        let mut idx: Vec<usize> = chain.iter().flat_map(|&s| seg.segments[s].indices.iter().copied()).collect();
        idx.sort_unstable();
        idx
    })
}

fn chains_from<'a>(track: &'a Track, seg: &SegmentedTrack) -> Vec<Chain<'a>> {
    chain_positions(seg)
        .zip(&seg.chains)
        .map(|(idx, chain)| Chain {
            segment_ids: chain.iter().map(|&s| seg.segments[s].id.clone()).collect(),
            positions: idx.into_iter().map(|i| &track.positions[i]).collect(),
        })
        .collect()
}

/// The chains of a track (one chain when nothing needed splitting).
pub fn chains_of<'a>(track: &'a Track, p: &SegmentParams) -> Vec<Chain<'a>> {
    chains_from(track, &segment_track(track, p))
}

/// The segmentation of a track of the cycle: the cycle's shared one when it was computed
/// with the same params, else computed here.
pub fn segmented_in<'s>(input: &CycleInput<'s>, track: &Track, p: &SegmentParams) -> Cow<'s, SegmentedTrack> {
    let shared = input.segmentation.and_then(|s| {
        let params = serde_json::to_value(p).ok()?;
        s.get(track.vessel.as_str(), track.positions.len(), &params)
    });
    match shared {
        Some(seg) => Cow::Borrowed(seg),
        None => Cow::Owned(segment_track(track, p)),
    }
}

/// The chains of a track of the cycle (see [`segmented_in`]).
pub fn chains_in<'a>(input: &CycleInput<'_>, track: &'a Track, p: &SegmentParams) -> Vec<Chain<'a>> {
    chains_from(track, &segmented_in(input, track, p))
}

/// The track split into its chains, each a track of its own under the same vessel id
/// (static data copied), in order of their first position, without its noise. A track
/// that needs no split comes back as one track equal to the input.
fn split_segmented(track: &Track, seg: &SegmentedTrack) -> Vec<Track> {
    if seg.noise.is_empty() && (seg.segments.len() <= 1 || seg.chains.len() <= 1) {
        return vec![track.clone()];
    }
    chain_positions(seg)
        .map(|idx| Track {
            vessel: track.vessel.clone(),
            static_data: track.static_data.clone(),
            positions: idx.into_iter().map(|i| track.positions[i].clone()).collect(),
        })
        .collect()
}

/// See [`split_segmented`].
pub fn split_track(track: &Track, p: &SegmentParams) -> Vec<Track> {
    split_segmented(track, &segment_track(track, p))
}

/// [`split_track`] over every track, keeping the input order of vessels.
pub fn split_tracks(tracks: &[Track], p: &SegmentParams) -> Vec<Track> {
    tracks.iter().flat_map(|t| split_track(t, p)).collect()
}

/// [`split_tracks`] from a segmentation already computed for these tracks (a track it
/// does not hold is segmented here).
pub fn split_with(tracks: &[Track], segmentation: &Segmentation, p: &SegmentParams) -> Vec<Track> {
    let params = serde_json::to_value(p).unwrap_or_default();
    tracks
        .iter()
        .flat_map(|t| match segmentation.get(t.vessel.as_str(), t.positions.len(), &params) {
            Some(seg) => split_segmented(t, seg),
            None => split_track(t, p),
        })
        .collect()
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
