//! A vessel's track over a time range as GeoJSON, for maps: one LineString per continuous
//! part, and each gap between parts (from the stored `gaps` findings) as its own feature
//! with its start, end, duration and dark score (the `dark_suspicion` finding of the same
//! gap). Downsampling keeps every part's two ends, so no gap endpoint is ever dropped.

use std::collections::BTreeMap;

use lookout_model::{Position, Timestamp, VesselId};
use lookout_store::{Store, StoreError};
use serde_json::{json, Value};

/// Detector codes whose stored findings describe gaps and score them.
const GAPS: &str = "gaps";
const DARK: &str = "dark_suspicion";

#[derive(Debug, thiserror::Error)]
pub enum TrackError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Each part needs its two ends.
    #[error("max_points: {asked} is fewer than the {needed} ends of this track's {parts} parts")]
    TooFewPoints { asked: usize, needed: usize, parts: usize },
}

/// One gap: the last report before it and the first after it.
#[derive(Clone, Debug, PartialEq)]
pub struct Gap {
    pub start: Timestamp,
    pub end: Timestamp,
    pub level: String,
    /// The dark-suspicion score of this gap, when one was scored.
    pub dark_score: Option<i64>,
}

/// The track of `vessel` in `[from, to]` as a GeoJSON FeatureCollection, with at most
/// `max_points` track points when given.
pub fn track_geojson(
    store: &dyn Store,
    vessel: &VesselId,
    from: Timestamp,
    to: Timestamp,
    max_points: Option<usize>,
) -> Result<Value, TrackError> {
    let positions = store.queries().track(vessel, from, to)?;
    let gaps = gaps(store, vessel, from, to)?;
    let parts = split(&positions, &gaps);
    let kept = match max_points {
        Some(n) => downsample(&parts, n)?,
        None => parts.clone(),
    };
    let mut features: Vec<Value> = Vec::new();
    for (i, (part, full)) in kept.iter().zip(&parts).enumerate() {
        features.push(part_feature(i, part, full.len()));
        if let (Some(next), Some(gap)) = (kept.get(i + 1), boundary_gap(full, parts.get(i + 1), &gaps)) {
            features.push(gap_feature(gap, part.last(), next.first()));
        }
    }
    Ok(json!({
        "type": "FeatureCollection",
        "properties": { "vessel": vessel, "from": from, "to": to, "positions": positions.len() },
        "features": features,
    }))
}

/// The stored gaps of `vessel` overlapping the range, each once (overlapping cycles
/// report a gap again), with the latest cycle's dark score. Reads the findings' spans
/// only, never their breakdown or evidence.
pub fn gaps(store: &dyn Store, vessel: &VesselId, from: Timestamp, to: Timestamp) -> Result<Vec<Gap>, StoreError> {
    let mut out: BTreeMap<(Timestamp, Timestamp), Gap> = BTreeMap::new();
    for f in store.queries().finding_spans(GAPS, vessel, from, to)? {
        out.insert((f.start, f.end), Gap { start: f.start, end: f.end, level: f.level, dark_score: None });
    }
    // Oldest cycle first: a later cycle's score wins.
    for f in store.queries().finding_spans(DARK, vessel, from, to)? {
        if let Some(g) = out.get_mut(&(f.start, f.end)) {
            g.dark_score = f.score;
        }
    }
    Ok(out.into_values().collect())
}

/// Parts of the track: a new part starts where a gap begins between two reports.
pub fn split(positions: &[Position], gaps: &[Gap]) -> Vec<Vec<Position>> {
    let mut parts: Vec<Vec<Position>> = Vec::new();
    for (i, p) in positions.iter().enumerate() {
        let cut = i > 0 && gaps.iter().any(|g| positions[i - 1].timestamp <= g.start && g.start < p.timestamp);
        match parts.last_mut() {
            Some(part) if !cut => part.push(p.clone()),
            _ => parts.push(vec![p.clone()]),
        }
    }
    parts
}

/// The gap between a part and the next one.
fn boundary_gap<'g>(part: &[Position], next: Option<&Vec<Position>>, gaps: &'g [Gap]) -> Option<&'g Gap> {
    let (last, first) = (part.last()?, next?.first()?);
    gaps.iter().find(|g| last.timestamp <= g.start && g.start < first.timestamp)
}

/// At most `max` points over all parts, each part's share in proportion to its size,
/// every part keeping its first and last point.
pub fn downsample(parts: &[Vec<Position>], max: usize) -> Result<Vec<Vec<Position>>, TrackError> {
    let total: usize = parts.iter().map(Vec::len).sum();
    if total <= max {
        return Ok(parts.to_vec());
    }
    let needed: usize = parts.iter().map(|p| p.len().min(2)).sum();
    if max < needed {
        return Err(TrackError::TooFewPoints { asked: max, needed, parts: parts.len() });
    }
    // Points beyond the ends, shared by size (floor, so the sum stays within `max`).
    let spare = max - needed;
    let inner_total: usize = parts.iter().map(|p| p.len().saturating_sub(2)).sum();
    Ok(parts
        .iter()
        .map(|p| {
            let inner = p.len().saturating_sub(2);
            let share = (inner * spare).checked_div(inner_total).unwrap_or(0);
            thin(p, share)
        })
        .collect())
}

/// The two ends and `inner` evenly spaced points between them.
fn thin(part: &[Position], inner: usize) -> Vec<Position> {
    let n = part.len();
    if n <= inner + 2 {
        return part.to_vec();
    }
    let mut out = Vec::with_capacity(inner + 2);
    out.push(part[0].clone());
    for k in 1..=inner {
        // Evenly spaced indices strictly between 0 and n - 1.
        out.push(part[k * (n - 1) / (inner + 1)].clone());
    }
    out.push(part[n - 1].clone());
    out
}

fn coord(p: &Position) -> Value {
    json!([p.lon, p.lat])
}

fn part_feature(index: usize, part: &[Position], source_points: usize) -> Value {
    let geometry = match part {
        [one] => json!({ "type": "Point", "coordinates": coord(one) }),
        _ => json!({ "type": "LineString", "coordinates": part.iter().map(coord).collect::<Vec<_>>() }),
    };
    json!({
        "type": "Feature",
        "geometry": geometry,
        "properties": {
            "kind": "track",
            "part": index,
            "start": part.first().map(|p| p.timestamp),
            "end": part.last().map(|p| p.timestamp),
            "points": part.len(),
            "source_points": source_points,
        },
    })
}

fn gap_feature(gap: &Gap, before: Option<&Position>, after: Option<&Position>) -> Value {
    let geometry = match (before, after) {
        (Some(a), Some(b)) => json!({ "type": "LineString", "coordinates": [coord(a), coord(b)] }),
        _ => Value::Null,
    };
    json!({
        "type": "Feature",
        "geometry": geometry,
        "properties": {
            "kind": "gap",
            "start": gap.start,
            "end": gap.end,
            "duration_seconds": (gap.end - gap.start).num_seconds(),
            "level": gap.level,
            "dark_score": gap.dark_score,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn track(minutes: &[i64]) -> Vec<Position> {
        minutes
            .iter()
            .map(|&m| Position {
                vessel: VesselId::new("v"),
                timestamp: chrono::Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).single().expect("t")
                    + chrono::Duration::minutes(m),
                lat: m as f64 / 100.0,
                lon: 0.0,
                sog: None,
                cog: None,
                heading: None,
                nav_status: None,
            })
            .collect()
    }

    fn gap(start: i64, end: i64) -> Gap {
        let t =
            |m| chrono::Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).single().expect("t") + chrono::Duration::minutes(m);
        Gap { start: t(start), end: t(end), level: "VIOLATION".into(), dark_score: Some(40) }
    }

    #[test]
    fn parts_split_where_a_gap_begins() {
        let positions = track(&[0, 1, 2, 100, 101, 300]);
        let parts = split(&positions, &[gap(2, 100), gap(101, 300)]);
        let sizes: Vec<usize> = parts.iter().map(Vec::len).collect();
        assert_eq!(sizes, vec![3, 2, 1]);
        assert_eq!(split(&positions, &[]).len(), 1);
    }

    #[test]
    fn downsampling_keeps_every_parts_ends_and_the_bound() {
        let positions = track(&(0..1000).chain(2000..2003).chain(5000..5500).collect::<Vec<_>>());
        let parts = split(&positions, &[gap(999, 2000), gap(2002, 5000)]);
        for max in [6, 7, 50, 333, 1502] {
            let thin = downsample(&parts, max).expect("enough points");
            assert!(thin.iter().map(Vec::len).sum::<usize>() <= max, "{max}");
            for (a, b) in parts.iter().zip(&thin) {
                assert_eq!((a.first(), a.last()), (b.first(), b.last()), "{max}");
                assert!(b.windows(2).all(|w| w[0].timestamp < w[1].timestamp));
            }
        }
        assert!(matches!(downsample(&parts, 5), Err(TrackError::TooFewPoints { needed: 6, parts: 3, .. })));
        assert_eq!(downsample(&parts, 100_000).expect("all"), parts);
    }
}
