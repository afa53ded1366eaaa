//! The segmenter's fast path (latitude bounds before any haversine, an index of closed
//! segments' ends, a tree of segment end times, pairs compared once) gives exactly the
//! segments and chains of the straightforward algorithm it replaced, kept here verbatim
//! as the reference: on the real shared-id tracks, on one long track built from real
//! vessels laid end to end and overlaid, and on generated tracks with the awkward cases
//! (same-time reports, interleaved transmitters, parallel feeds, out-of-range values).

use std::path::PathBuf;

use chrono::{Duration, NaiveDateTime, TimeZone, Utc};
use lookout_detect::haversine_nm;
use lookout_detect::identity::segment::{
    chain_segments, hours_between, second_transmitter, segment_positions, Segment, SegmentParams,
};
use lookout_model::{Position, Timestamp, VesselId};
use proptest::prelude::*;

/// The segmenter as it was (quadratic in segments), verbatim.
mod reference {
    use super::*;

    pub(super) fn segment_positions(vessel: &str, positions: &[Position], p: &SegmentParams) -> Vec<Segment> {
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
                    !open.contains(&s)
                        && (seg.indices.first().is_some_and(near) || seg.indices.last().is_some_and(near))
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
        let span =
            |s: &Segment| Some((positions[*s.indices.first()?].timestamp, positions[*s.indices.last()?].timestamp));
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
            // The trailing-transmitter criterion is the library's own (`second_transmitter`,
            // tested on its own in `segments_gfw.rs`); what is compared here is the order
            // and caching of the folds.
            let target = (0..s).find(|&t| {
                (runs_parallel(positions, &segments[t], &segments[s], p)
                    || runs_parallel(positions, &segments[s], &segments[t], p))
                    && !second_transmitter(positions, &segments[t], &segments[s], p)
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
    pub(super) fn chain_segments(positions: &[Position], segments: &[Segment], p: &SegmentParams) -> Vec<Vec<usize>> {
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
}

fn assert_same(name: &str, positions: &[Position], p: &SegmentParams) {
    let fast = segment_positions("v", positions, p);
    let slow = reference::segment_positions("v", positions, p);
    assert_eq!(fast, slow, "{name}: segments differ");
    assert_eq!(
        chain_segments(positions, &fast, p),
        reference::chain_segments(positions, &slow, p),
        "{name}: chains differ"
    );
}

/// A file of the repository's `testdata/ais` as text; files are stored gzipped.
fn testdata_ais_text(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/ais").join(format!("{name}.gz"));
    let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut text = String::new();
    std::io::Read::read_to_string(&mut flate2::read::MultiGzDecoder::new(file), &mut text).expect("gzip text");
    text
}

fn gfw_positions(name: &str) -> Vec<Position> {
    let mut out: Vec<Position> = testdata_ais_text(name)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| {
            let ts = v["timestamp"].as_str()?;
            let t = NaiveDateTime::parse_from_str(ts.trim_end_matches('Z'), "%Y-%m-%dT%H:%M:%S%.f")
                .or_else(|_| NaiveDateTime::parse_from_str(ts, "%Y-%m-%d %H:%M:%S%.f"))
                .ok()?;
            Some(position(Utc.from_utc_datetime(&t), v["lat"].as_f64()?, v["lon"].as_f64()?))
        })
        .collect();
    out.sort_by_key(|p| p.timestamp);
    out
}

fn position(timestamp: Timestamp, lat: f64, lon: f64) -> Position {
    Position { vessel: VesselId::new("v"), timestamp, lat, lon, sog: None, cog: None, heading: None, nav_status: None }
}

/// The Kitimat 2019 slice's vessels (real tracks), each moved in time to start 30 min
/// after the previous one ended; with `overlay`, a second copy a day later on top.
fn kitimat_long(overlay: bool) -> Vec<Position> {
    let text = testdata_ais_text("shipstrike_ais_kitimat_2019_slice.csv");
    let mut out = Vec::new();
    let mut clock = Utc.with_ymd_and_hms(2019, 1, 1, 0, 0, 0).single().expect("time");
    let (mut vessel, mut t0, mut last) = (String::new(), 0i64, clock);
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let (Some(v), Some(t), Some(lon), Some(lat)) = (f.first(), f.get(6), f.get(7), f.get(8)) else { continue };
        let (Ok(t), Ok(lat), Ok(lon)) = (t.parse::<i64>(), lat.parse::<f64>(), lon.parse::<f64>()) else { continue };
        if *v != vessel {
            clock = last + Duration::minutes(30);
            (vessel, t0) = (v.to_string(), t);
        }
        last = last.max(clock + Duration::seconds(t - t0));
        out.push(position(last, lat, lon));
    }
    if overlay {
        let copy: Vec<Position> =
            out.iter().map(|q| position(q.timestamp + Duration::days(1), q.lat + 0.01, q.lon)).collect();
        out.extend(copy);
        out.sort_by_key(|q| q.timestamp);
    }
    out
}

#[test]
fn same_segments_on_the_real_shared_id_tracks() {
    for name in ["gfw_segment_416000000.jsonl", "gfw_segment_338013000.jsonl", "gfw_segment_263576000.jsonl"] {
        let positions = gfw_positions(name);
        assert!(positions.len() > 500, "{name}: {}", positions.len());
        assert_same(name, &positions, &SegmentParams::default());
        // Tighter limits make many more segments and folds.
        let tight = SegmentParams {
            max_speed_kn: 8.0,
            max_gap_hours: 2.0,
            jitter_nm: 0.1,
            parallel_nm: 5.0,
            ..SegmentParams::default()
        };
        assert_same(name, &positions, &tight);
    }
}

#[test]
fn same_segments_on_long_tracks_of_real_vessels() {
    let end_to_end = kitimat_long(false);
    assert!(end_to_end.len() > 20_000);
    let p = SegmentParams::default();
    let segs = segment_positions("v", &end_to_end[..6000], &p);
    assert!(segs.len() > 100, "the hops between vessels make many segments: {}", segs.len());
    assert_same("end to end", &end_to_end[..6000], &p);
    let overlaid = kitimat_long(true);
    assert_same("overlaid", &overlaid[..6000], &p);
}

/// A generated report: minutes from the start (repeats allowed), and a place near one
/// of two transmitters or far away.
fn report() -> impl Strategy<Value = (i64, u8, f64, f64)> {
    (0i64..3000, 0u8..4, -0.3f64..0.3, -0.3f64..0.3)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]
    #[test]
    fn same_segments_on_generated_tracks(
        mut reports in proptest::collection::vec(report(), 1..120),
        speed in 5.0f64..40.0, gap in 0.5f64..30.0, jitter in 0.0f64..2.0, parallel in 0.0f64..40.0,
    ) {
        reports.sort_by_key(|r| r.0);
        let t0 = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).single().expect("time");
        let positions: Vec<Position> = reports
            .iter()
            .map(|&(m, who, dlat, dlon)| {
                let (lat, lon) = match who {
                    0 => (10.0 + m as f64 * 0.002, 20.0),
                    1 => (10.3 + m as f64 * 0.002, 20.1),
                    2 => (-40.0, 170.0),
                    _ => (89.9, -179.9),
                };
                position(t0 + Duration::minutes(m), lat + dlat, lon + dlon)
            })
            .collect();
        let p = SegmentParams { max_speed_kn: speed, max_gap_hours: gap, jitter_nm: jitter, parallel_nm: parallel, ..SegmentParams::default() };
        assert_same("generated", &positions, &p);
    }
}
