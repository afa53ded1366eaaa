//! The observation timeline: where and when the store holds any position at all.
//!
//! A gap in one vessel's reports is evidence of a switch-off only while the area was
//! being observed. Between two extracts of a data set (a month here, a voyage there) or
//! across a hole in a thinned sample, nobody is heard anywhere near: the silence says
//! nothing about the vessel. The timeline is rebuilt per cycle from every track the cycle
//! loaded (all vessels): one bit per (coarse grid cell, time bucket) that holds at least
//! one position. A gap is judged against the cells around both of its ends and their
//! neighbours, so a vessel that sails out of a busy area into an empty one is still
//! judged by what could have heard it.
//!
//! Memory is bounded by the number of distinct (cell, bucket) pairs, at most the number
//! of positions; building it is one pass and one sort.

use std::collections::BTreeMap;

use lookout_model::{Timestamp, Track};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// A coarse grid cell: `floor(lat / deg)`, `floor(lon / deg)` (longitude wrapped).
type Cell = (i32, i32);

/// Grid of the timeline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObservationGrid {
    /// Side of a cell in degrees. Coarse on purpose: with its neighbours a cell reaches at
    /// least this far in every direction, well past a shore receiver's range (~40-60 nm),
    /// so "nobody there" means nobody any receiver of the area could have heard.
    pub cell_deg: f64,
    /// Length of a time bucket in minutes, aligned to the Unix epoch.
    pub bucket_min: i64,
}

impl Default for ObservationGrid {
    fn default() -> Self {
        ObservationGrid { cell_deg: 5.0, bucket_min: 60 }
    }
}

impl ObservationGrid {
    /// True for a grid the timeline can be built on.
    pub fn is_valid(&self) -> bool {
        self.cell_deg.is_finite() && self.cell_deg > 0.0 && self.cell_deg <= 90.0 && self.bucket_min > 0
    }

    fn cell(&self, lat: f64, lon: f64) -> Option<Cell> {
        if !(lat.is_finite() && lon.is_finite()) {
            return None;
        }
        let lat_i = (lat.clamp(-90.0, 90.0) / self.cell_deg).floor() as i32;
        let lon_i = (lon / self.cell_deg).floor() as i32;
        Some((lat_i, lon_i.rem_euclid(self.lon_cells())))
    }

    fn lon_cells(&self) -> i32 {
        ((360.0 / self.cell_deg).ceil() as i32).max(1)
    }

    fn bucket_sec(&self) -> i64 {
        self.bucket_min.saturating_mul(60).max(1)
    }

    fn bucket(&self, t: Timestamp) -> i64 {
        t.timestamp().div_euclid(self.bucket_sec())
    }

    /// A cell and its eight neighbours (longitude wrapped, latitude not).
    fn neighbourhood(&self, (lat_i, lon_i): Cell) -> impl Iterator<Item = Cell> + '_ {
        let n = self.lon_cells();
        (-1..=1).flat_map(move |dl| (-1..=1).map(move |dn| (lat_i + dl, (lon_i + dn).rem_euclid(n))))
    }
}

/// Which (cell, bucket) pairs hold at least one position.
#[derive(Clone, Debug, Default)]
pub struct ObservationTimeline {
    grid: ObservationGrid,
    /// Observed buckets per cell, sorted and distinct.
    buckets: BTreeMap<Cell, Vec<i64>>,
}

/// The timelines of a cycle, one per grid its rules read, built by the engine once from
/// every loaded track (an incremental cycle runs vessel-local rules over the changed
/// vessels' tracks only, but the timeline is everyone's).
#[derive(Clone, Debug, Default)]
pub struct Observation {
    timelines: Vec<ObservationTimeline>,
}

impl Observation {
    /// Timelines of `tracks` on each of `grids` (duplicates built once).
    pub fn build(tracks: &[Track], grids: &[ObservationGrid]) -> Observation {
        let mut timelines: Vec<ObservationTimeline> = Vec::new();
        for g in grids {
            if !timelines.iter().any(|t| &t.grid == g) {
                timelines.push(ObservationTimeline::build(tracks, g));
            }
        }
        Observation { timelines }
    }

    /// The timeline on `grid`, when built.
    pub fn on(&self, grid: &ObservationGrid) -> Option<&ObservationTimeline> {
        self.timelines.iter().find(|t| &t.grid == grid)
    }

    /// Every timeline, in the order of the grids given.
    pub fn timelines(&self) -> &[ObservationTimeline] {
        &self.timelines
    }
}

/// The timeline on `grid` from `input`: the engine's when it built one, else built here
/// from the input's tracks.
pub fn timeline_for<'t>(
    observation: Option<&'t Observation>,
    tracks: &[Track],
    grid: &ObservationGrid,
) -> std::borrow::Cow<'t, ObservationTimeline> {
    match observation.and_then(|o| o.on(grid)) {
        Some(t) => std::borrow::Cow::Borrowed(t),
        None => std::borrow::Cow::Owned(ObservationTimeline::build(tracks, grid)),
    }
}

/// How much of a gap fell where and when nobody at all was heard.
#[derive(Clone, Debug, PartialEq)]
pub struct Unobserved {
    /// Seconds of the gap in buckets with no position anywhere in the region.
    pub unobserved_sec: i64,
    /// Length of the gap in seconds.
    pub gap_sec: i64,
    /// Cells judged (the neighbourhoods of both ends).
    pub cells: usize,
}

impl Unobserved {
    /// Share of the gap that was unobserved, 0..=1 (0 for an empty gap).
    pub fn share(&self) -> f64 {
        if self.gap_sec <= 0 {
            0.0
        } else {
            self.unobserved_sec as f64 / self.gap_sec as f64
        }
    }

    /// The evidence a finding carries.
    pub fn evidence(&self, grid: &ObservationGrid) -> serde_json::Value {
        json!({
            "unobserved_sec": self.unobserved_sec,
            "share": (self.share() * 1000.0).round() / 1000.0,
            "cell_deg": grid.cell_deg,
            "bucket_min": grid.bucket_min,
            "cells": self.cells,
        })
    }
}

impl ObservationTimeline {
    /// The timeline of every position of `tracks` on `grid`.
    pub fn build(tracks: &[Track], grid: &ObservationGrid) -> ObservationTimeline {
        let mut pairs: Vec<(Cell, i64)> = tracks
            .iter()
            .flat_map(|t| t.positions.iter())
            .filter_map(|p| Some((grid.cell(p.lat, p.lon)?, grid.bucket(p.timestamp))))
            .collect();
        pairs.sort_unstable();
        pairs.dedup();
        let mut buckets: BTreeMap<Cell, Vec<i64>> = BTreeMap::new();
        for (cell, bucket) in pairs {
            buckets.entry(cell).or_default().push(bucket);
        }
        ObservationTimeline { grid: grid.clone(), buckets }
    }

    /// The grid the timeline was built on.
    pub fn grid(&self) -> &ObservationGrid {
        &self.grid
    }

    /// Everything [`ObservationTimeline::unobserved`] can read for any gap between two
    /// positions of `track`: each observed bucket, within the track's time span, of the
    /// cells around its positions (with neighbours), as `(cell lat, cell lon, bucket)`
    /// in order. Incremental cycles fingerprint it: when it is unchanged, so is every
    /// unobserved share of the track's gaps.
    pub fn visible_to(&self, track: &Track, mut emit: impl FnMut(i64, i64, i64)) {
        let (Some(first), Some(last)) = (track.positions.first(), track.positions.last()) else { return };
        let (mut b0, mut b1) = (self.grid.bucket(first.timestamp), self.grid.bucket(last.timestamp));
        if b0 > b1 {
            std::mem::swap(&mut b0, &mut b1);
        }
        let mut cells: Vec<Cell> = track
            .positions
            .iter()
            .filter_map(|p| self.grid.cell(p.lat, p.lon))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .flat_map(|c| self.grid.neighbourhood(c).collect::<Vec<_>>())
            .collect();
        cells.sort_unstable();
        cells.dedup();
        for c in cells {
            let Some(list) = self.buckets.get(&c) else { continue };
            let lo = list.partition_point(|b| *b < b0);
            let hi = list.partition_point(|b| *b <= b1);
            list[lo..hi].iter().for_each(|b| emit(i64::from(c.0), i64::from(c.1), *b));
        }
    }

    /// The unobserved part of a gap from `start` (last report, at `from`) to `end` (first
    /// report after, at `to`): the seconds of the gap lying in time buckets in which no
    /// position at all was stored in the cells around either end (with neighbours).
    pub fn unobserved(&self, start: Timestamp, end: Timestamp, from: (f64, f64), to: (f64, f64)) -> Unobserved {
        let (s, e) = (start.timestamp(), end.timestamp());
        let gap_sec = (e - s).max(0);
        let mut region: Vec<Cell> = [from, to]
            .into_iter()
            .filter_map(|(lat, lon)| self.grid.cell(lat, lon))
            .flat_map(|c| self.grid.neighbourhood(c).collect::<Vec<_>>())
            .collect();
        region.sort_unstable();
        region.dedup();
        if gap_sec == 0 || region.is_empty() {
            return Unobserved { unobserved_sec: 0, gap_sec, cells: region.len() };
        }
        let (b0, b1) = (s.div_euclid(self.grid.bucket_sec()), e.div_euclid(self.grid.bucket_sec()));
        let mut observed: Vec<i64> = region
            .iter()
            .filter_map(|c| self.buckets.get(c))
            .flat_map(|list| {
                let lo = list.partition_point(|b| *b < b0);
                let hi = list.partition_point(|b| *b <= b1);
                list[lo..hi].iter().copied()
            })
            .collect();
        observed.sort_unstable();
        observed.dedup();
        let bucket_sec = self.grid.bucket_sec();
        let overlap = |b: i64| (e.min((b + 1) * bucket_sec) - s.max(b * bucket_sec)).max(0);
        let observed_sec: i64 = observed.iter().map(|b| overlap(*b)).sum();
        Unobserved { unobserved_sec: (gap_sec - observed_sec).max(0), gap_sec, cells: region.len() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use lookout_model::{Position, StaticData, VesselId};

    fn at(h: i64) -> Timestamp {
        chrono::Utc.timestamp_opt(1_700_006_400 + h * 3600, 0).single().expect("time")
    }

    fn track(id: &str, points: &[(i64, f64, f64)]) -> Track {
        Track {
            vessel: VesselId::new(id),
            static_data: StaticData::default(),
            positions: points
                .iter()
                .map(|&(h, lat, lon)| Position {
                    vessel: VesselId::new(id),
                    timestamp: at(h),
                    lat,
                    lon,
                    sog: None,
                    cog: None,
                    heading: None,
                    nav_status: None,
                })
                .collect(),
        }
    }

    #[test]
    fn a_silence_of_everyone_is_unobserved_and_a_busy_area_is_not() {
        let grid = ObservationGrid::default();
        let lone = track("1", &[(0, 35.0, 125.0), (10, 35.1, 125.1)]);
        let t = ObservationTimeline::build(std::slice::from_ref(&lone), &grid);
        let u = t.unobserved(at(0), at(10), (35.0, 125.0), (35.1, 125.1));
        // Only the two end buckets hold positions (the vessel's own reports).
        assert_eq!((u.gap_sec, u.unobserved_sec), (36_000, 36_000 - 3600));
        assert!(u.share() > 0.89, "{u:?}");

        let other = track("2", &(0..=10).map(|h| (h, 36.0, 126.0)).collect::<Vec<_>>());
        let t = ObservationTimeline::build(&[lone.clone(), other], &grid);
        let u = t.unobserved(at(0), at(10), (35.0, 125.0), (35.1, 125.1));
        assert_eq!(u.unobserved_sec, 0, "{u:?}");

        // Someone far away (another ocean) does not observe this area.
        let far = track("3", &(0..=10).map(|h| (h, -30.0, 20.0)).collect::<Vec<_>>());
        let t = ObservationTimeline::build(&[lone, far], &grid);
        assert!(t.unobserved(at(0), at(10), (35.0, 125.0), (35.1, 125.1)).share() > 0.89);
    }

    #[test]
    fn neighbours_wrap_across_the_antimeridian() {
        let grid = ObservationGrid::default();
        let east = track("1", &(0..=4).map(|h| (h, 10.0, 179.5)).collect::<Vec<_>>());
        let t = ObservationTimeline::build(&[east], &grid);
        let u = t.unobserved(at(0), at(4), (10.0, -179.5), (10.0, -179.0));
        assert_eq!(u.unobserved_sec, 0, "{u:?}");
    }
}
