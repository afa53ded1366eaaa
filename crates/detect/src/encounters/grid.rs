//! Cross-vessel encounters on a resampled time grid: the machinery shared by
//! `transshipment`, `loitering`, `pair_trawl` and the gear parent search.
//!
//! Tracks are resampled to fixed ticks (default 10 minutes, as Global Fishing Watch's
//! encounter definition) by linear interpolation between the two surrounding reports,
//! never across a silence longer than `max_interpolation_gap_min` and never before the
//! first or after the last report (no extrapolation).
//!
//! Close pairs at a tick come from a uniform 3-D grid over Earth-centred coordinates
//! with cells as wide as the search distance: the straight-line (chord) distance is
//! never longer than the great-circle distance, so two points within `d` metres on the
//! sphere differ by at most `d` in each of x, y and z and therefore sit in the same or
//! adjacent cells. The 27-cell neighbourhood is thus exact, with no latitude scaling,
//! no antimeridian seam and no pole special case; a pair straddling a cell boundary is
//! found from both sides and kept once. [`close_pairs_all`] is the same search over
//! all pairs, kept as the benchmark baseline and as the test oracle.

use std::collections::{BTreeMap, HashMap};

use lookout_model::{ShipKind, ShipType, Timestamp, Track};

use crate::input::vessels::Registry;
use crate::input::zones::{ZoneClass, ZoneClassifier};

use crate::geo::wrap_lon;
pub use crate::geo::{haversine_m, EARTH_RADIUS_M};
pub use crate::input::places::{nearest_place, Place};
/// Metres per nautical mile.
pub const M_PER_NM: f64 = 1852.0;
/// Metres per second per knot.
const MS_PER_KN: f64 = M_PER_NM / 3600.0;

/// Initial bearing from the first point to the second, degrees in `[0, 360)`.
pub fn bearing_deg(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dl = (lon2 - lon1).to_radians();
    let y = dl.sin() * p2.cos();
    let x = p1.cos() * p2.sin() - p1.sin() * p2.cos() * dl.cos();
    y.atan2(x).to_degrees().rem_euclid(360.0)
}

/// Smallest difference between two angles, degrees in `[0, 180]`.
pub fn angle_diff_deg(a: f64, b: f64) -> f64 {
    let d = (a - b).rem_euclid(360.0);
    d.min(360.0 - d)
}

/// One vessel's interpolated state at one tick.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sample {
    /// Tick number: the time is `tick * step` seconds after the Unix epoch.
    pub tick: i64,
    pub lat: f64,
    pub lon: f64,
    /// Knots: interpolated reported SOG, or the speed implied by the two reports.
    pub sog: f64,
    /// Degrees: interpolated reported COG, or the bearing between the two reports.
    pub cog: Option<f64>,
}

/// Interpolates `track` to ticks of `step_sec` seconds. A tick between two reports more
/// than `max_gap_sec` apart gets no sample (the vessel is unknown there); so does any
/// tick before the first or after the last report. Positions with non-finite
/// coordinates are ignored.
pub fn resample(track: &Track, step_sec: i64, max_gap_sec: i64) -> Vec<Sample> {
    let mut out = Vec::new();
    if step_sec <= 0 {
        return out;
    }
    let pts: Vec<_> = track.positions.iter().filter(|p| p.lat.is_finite() && p.lon.is_finite()).collect();
    let (Some(first), Some(last)) = (pts.first(), pts.last()) else {
        return out;
    };
    let t_first = first.timestamp.timestamp();
    let t_last = last.timestamp.timestamp();
    let mut j = 0usize;
    let mut tick = t_first.div_euclid(step_sec) + i64::from(t_first.rem_euclid(step_sec) != 0);
    while tick * step_sec <= t_last {
        let t = tick * step_sec;
        // Advance to the last report at or before t.
        while j + 1 < pts.len() && pts[j + 1].timestamp.timestamp() <= t {
            j += 1;
        }
        let p0 = pts[j];
        let t0 = p0.timestamp.timestamp();
        let sample = if t0 == t {
            // A report exactly on the tick; its speed may still need its neighbour.
            let next = pts.get(j + 1).copied().filter(|p| p.timestamp.timestamp() - t0 <= max_gap_sec);
            let prev = j.checked_sub(1).map(|i| pts[i]).filter(|p| t0 - p.timestamp.timestamp() <= max_gap_sec);
            let other = next.or(prev);
            let implied = other.map(|o| {
                let dt = (o.timestamp.timestamp() - t0).abs().max(1) as f64;
                haversine_m(p0.lat, p0.lon, o.lat, o.lon) / dt / MS_PER_KN
            });
            let cog = p0.cog.or_else(|| {
                other.filter(|o| o.lat != p0.lat || o.lon != p0.lon).map(|o| {
                    if o.timestamp >= p0.timestamp {
                        bearing_deg(p0.lat, p0.lon, o.lat, o.lon)
                    } else {
                        bearing_deg(o.lat, o.lon, p0.lat, p0.lon)
                    }
                })
            });
            Some(Sample { tick, lat: p0.lat, lon: p0.lon, sog: p0.sog.or(implied).unwrap_or(0.0), cog })
        } else if let Some(p1) = pts.get(j + 1) {
            let t1 = p1.timestamp.timestamp();
            if t1 - t0 > max_gap_sec || t1 <= t0 {
                None
            } else {
                let f = (t - t0) as f64 / (t1 - t0) as f64;
                let dlon = wrap_lon(p1.lon - p0.lon);
                let implied = haversine_m(p0.lat, p0.lon, p1.lat, p1.lon) / (t1 - t0) as f64 / MS_PER_KN;
                let sog = match (p0.sog, p1.sog) {
                    (Some(a), Some(b)) => a + f * (b - a),
                    (Some(a), None) | (None, Some(a)) => a,
                    (None, None) => implied,
                };
                let cog = match (p0.cog, p1.cog) {
                    (Some(a), Some(b)) => {
                        let d = (b - a + 540.0).rem_euclid(360.0) - 180.0;
                        Some((a + f * d).rem_euclid(360.0))
                    }
                    (Some(a), None) | (None, Some(a)) => Some(a),
                    (None, None) => {
                        (p0.lat != p1.lat || p0.lon != p1.lon).then(|| bearing_deg(p0.lat, p0.lon, p1.lat, p1.lon))
                    }
                };
                Some(Sample { tick, lat: p0.lat + f * (p1.lat - p0.lat), lon: wrap_lon(p0.lon + f * dlon), sog, cog })
            }
        } else {
            None
        };
        out.extend(sample);
        tick += 1;
    }
    out
}

/// Samples of many vessels grouped by tick: `tick -> [(vessel index, sample)]`, vessel
/// indices ascending within a tick.
pub type TickTable = BTreeMap<i64, Vec<(usize, Sample)>>;

/// Groups per-vessel samples by tick, keeping only vessels `keep` accepts.
pub fn by_tick(samples: &[Vec<Sample>], keep: impl Fn(usize) -> bool) -> TickTable {
    let mut table: TickTable = BTreeMap::new();
    for (v, s) in samples.iter().enumerate() {
        if !keep(v) {
            continue;
        }
        for x in s {
            table.entry(x.tick).or_default().push((v, *x));
        }
    }
    table
}

/// A pair of vessels close at one tick, vessel indices `a < b`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Close {
    pub a: usize,
    pub b: usize,
    pub dist_m: f64,
    pub sa: Sample,
    pub sb: Sample,
}

fn ecef(lat: f64, lon: f64) -> [f64; 3] {
    let (p, l) = (lat.to_radians(), lon.to_radians());
    [EARTH_RADIUS_M * p.cos() * l.cos(), EARTH_RADIUS_M * p.cos() * l.sin(), EARTH_RADIUS_M * p.sin()]
}

/// The 3-D grid cell of a point for cells `cell_m` metres wide.
pub fn grid_cell(lat: f64, lon: f64, cell_m: f64) -> [i64; 3] {
    let c = ecef(lat, lon);
    [(c[0] / cell_m).floor() as i64, (c[1] / cell_m).floor() as i64, (c[2] / cell_m).floor() as i64]
}

fn push_close(
    x: &(usize, Sample),
    y: &(usize, Sample),
    max_m: f64,
    allow: &impl Fn(usize, usize) -> bool,
    out: &mut Vec<Close>,
) {
    let (x, y) = if x.0 < y.0 { (x, y) } else { (y, x) };
    if x.0 == y.0 || !allow(x.0, y.0) {
        return;
    }
    let d = haversine_m(x.1.lat, x.1.lon, y.1.lat, y.1.lon);
    if d <= max_m {
        out.push(Close { a: x.0, b: y.0, dist_m: d, sa: x.1, sb: y.1 });
    }
}

/// Every pair of `points` (one tick) within `max_m` metres that `allow(a, b)` accepts
/// (`a < b`), through the 3-D grid; sorted by `(a, b)`.
pub fn close_pairs_grid(points: &[(usize, Sample)], max_m: f64, allow: impl Fn(usize, usize) -> bool) -> Vec<Close> {
    let mut out = Vec::new();
    if points.len() < 2 || max_m.is_nan() || max_m <= 0.0 {
        return out;
    }
    let key = |p: &Sample| grid_cell(p.lat, p.lon, max_m);
    let mut grid: HashMap<[i64; 3], Vec<usize>> = HashMap::with_capacity(points.len());
    let keys: Vec<[i64; 3]> = points.iter().map(|p| key(&p.1)).collect();
    for (i, k) in keys.iter().enumerate() {
        grid.entry(*k).or_default().push(i);
    }
    for (i, k) in keys.iter().enumerate() {
        for dx in -1..=1 {
            for dy in -1..=1 {
                for dz in -1..=1 {
                    let Some(bucket) = grid.get(&[k[0] + dx, k[1] + dy, k[2] + dz]) else {
                        continue;
                    };
                    // Each unordered pair is met from both ends; keep it from the lower
                    // slot only.
                    for &j in bucket.iter().filter(|&&j| j > i) {
                        push_close(&points[i], &points[j], max_m, &allow, &mut out);
                    }
                }
            }
        }
    }
    out.sort_by_key(|x| (x.a, x.b));
    out
}

/// The same result as [`close_pairs_grid`] by comparing every pair (baseline, oracle).
pub fn close_pairs_all(points: &[(usize, Sample)], max_m: f64, allow: impl Fn(usize, usize) -> bool) -> Vec<Close> {
    let mut out = Vec::new();
    for i in 0..points.len() {
        for j in i + 1..points.len() {
            push_close(&points[i], &points[j], max_m, &allow, &mut out);
        }
    }
    out.sort_by_key(|x| (x.a, x.b));
    out
}

/// Close pairs over every tick, grouped by pair: `(a, b) -> [Close]` in tick order.
pub fn close_pairs_by_pair(
    table: &TickTable,
    max_m: f64,
    allow: impl Fn(usize, usize) -> bool + Copy,
    use_grid: bool,
) -> BTreeMap<(usize, usize), Vec<Close>> {
    let mut pairs: BTreeMap<(usize, usize), Vec<Close>> = BTreeMap::new();
    for points in table.values() {
        let close =
            if use_grid { close_pairs_grid(points, max_m, allow) } else { close_pairs_all(points, max_m, allow) };
        for c in close {
            pairs.entry((c.a, c.b)).or_default().push(c);
        }
    }
    pairs
}

/// Maximal runs of consecutive ticks (no tick missing) among `items` that satisfy
/// `ok`, as index ranges into `items`.
pub fn runs<T>(items: &[T], tick: impl Fn(&T) -> i64, ok: impl Fn(&T) -> bool) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    for (i, it) in items.iter().enumerate() {
        let continues = start.is_some() && i > 0 && tick(it) == tick(&items[i - 1]) + 1;
        match (ok(it), start) {
            (true, Some(_)) if continues => {}
            (true, _) => {
                if let Some(s) = start {
                    out.push(s..i);
                }
                start = Some(i);
            }
            (false, Some(s)) => {
                out.push(s..i);
                start = None;
            }
            (false, None) => {}
        }
    }
    if let Some(s) = start {
        out.push(s..items.len());
    }
    out
}

/// The nearest place of `listed` when that list is not empty (places given in params
/// win), else of the cycle's place set; its distance in metres.
pub fn nearest_of<'a>(
    listed: &'a [Place],
    set: Option<&'a crate::input::places::PlaceSet>,
    lat: f64,
    lon: f64,
) -> Option<(&'a Place, f64)> {
    if listed.is_empty() {
        set.and_then(|s| s.nearest(lat, lon))
    } else {
        nearest_place(listed, lat, lon)
    }
}

/// The ITU ship type of a vessel: the registry's first, else its own static data.
pub fn ship_type_of(track: &Track, registry: Option<&Registry>) -> Option<ShipType> {
    registry
        .and_then(|r| r.entries.get(track.vessel.as_str()))
        .and_then(|e| e.ship_type)
        .or(track.static_data.ship_type)
}

/// Whether the type is one of `codes`.
pub fn type_in(t: Option<ShipType>, codes: &[u16]) -> bool {
    t.is_some_and(|t| codes.contains(&t.0))
}

/// Whether the type is fishing (ITU 30) — kept apart from the list so the compliance of
/// the Korean `000020` alias (mapped to 30) follows.
pub fn is_fishing(t: Option<ShipType>) -> bool {
    t.is_some_and(|t| t.kind() == ShipKind::Fishing)
}

/// Timestamp of a tick.
pub fn tick_time(tick: i64, step_sec: i64) -> Timestamp {
    chrono::DateTime::from_timestamp(tick.saturating_mul(step_sec), 0).unwrap_or_default()
}

/// Median of a non-empty slice (mean of the two middle values for even lengths).
pub fn median(values: &mut [f64]) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

/// The zone code of a point as findings report it, or `None` outside known zones.
pub fn zone_code(zones: Option<&(dyn ZoneClassifier + Sync)>, lat: f64, lon: f64) -> Option<String> {
    zones.and_then(|z| z.classify(lat, lon)).map(|c| match c {
        ZoneClass::TerritorialSea => "TERRITORIAL_SEA".to_string(),
        ZoneClass::ContiguousZone => "CONTIGUOUS_ZONE".to_string(),
        ZoneClass::Eez => "EEZ".to_string(),
        ZoneClass::Special(name) if name.starts_with("ZONE_") => name,
        ZoneClass::Special(name) => format!("ZONE_{name}"),
        ZoneClass::Port => "PORT".to_string(),
        #[allow(unreachable_patterns)]
        _ => "OTHER".to_string(),
    })
}
