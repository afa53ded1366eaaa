//! How segmentation time grows with the length of one vessel's track (measured, never
//! asserted). The track is built from real positions: the Kitimat shipstrike 2019 slice
//! (`testdata/ais`, 190 vessels' real multi-hour tracks), every vessel's track laid end to
//! end under one id (each starting 30 minutes after the previous one ended, at its own
//! real place), the slice repeated until the wanted length. Every hop between two source
//! vessels is a new segment, so the track has hundreds of segments and chains, as a busy
//! shared id over a long window has.
//!
//! `cargo run --release -p lookout-detect --example segment_scale [N...]` prints, per
//! length, the seconds of `segment_positions` + `chain_segments` (best of 3) and the
//! exponent of growth between the first and the last length.

use std::path::PathBuf;
use std::time::Instant;

use chrono::{Duration, TimeZone, Utc};
use lookout_detect::identity::segment::{chain_segments, segment_positions, SegmentParams};
use lookout_model::{Position, VesselId};

/// The slice's rows as (vessel, unix seconds, lat, lon), in file order (by vessel, time).
fn kitimat_rows() -> Vec<(String, i64, f64, f64)> {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/ais/shipstrike_ais_kitimat_2019_slice.csv.gz");
    let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut text = String::new();
    std::io::Read::read_to_string(&mut flate2::read::MultiGzDecoder::new(file), &mut text).expect("gzip text");
    // vid,type,speed,length,width,draft,datetime,x,y
    text.lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            Some((f.first()?.to_string(), f.get(6)?.parse().ok()?, f.get(8)?.parse().ok()?, f.get(7)?.parse().ok()?))
        })
        .collect()
}

/// `n` positions of one id: the source vessels' tracks end to end, repeated.
fn long_track(rows: &[(String, i64, f64, f64)], n: usize) -> Vec<Position> {
    let mut out = Vec::with_capacity(n);
    let mut clock = Utc.with_ymd_and_hms(2019, 1, 1, 0, 0, 0).single().expect("time");
    let mut k = 0;
    while out.len() < n {
        let start = k;
        let vessel = &rows[start % rows.len()].0;
        let t0 = rows[start % rows.len()].1;
        let mut last = clock;
        while out.len() < n && &rows[k % rows.len()].0 == vessel {
            let (_, t, lat, lon) = &rows[k % rows.len()];
            let at = clock + Duration::seconds(t - t0);
            // Repeated times in the source keep their order.
            last = last.max(at);
            out.push(Position {
                vessel: VesselId::new("316999999"),
                timestamp: last,
                lat: *lat,
                lon: *lon,
                sog: None,
                cog: None,
                heading: None,
                nav_status: None,
            });
            k += 1;
            if k % rows.len() == 0 {
                break;
            }
        }
        clock = last + Duration::minutes(30);
    }
    out
}

/// The rows of the vessel with the most rows (one real ship), alone.
fn busiest_vessel(rows: &[(String, i64, f64, f64)]) -> Vec<(String, i64, f64, f64)> {
    let mut count: std::collections::BTreeMap<&str, usize> = Default::default();
    for r in rows {
        *count.entry(r.0.as_str()).or_default() += 1;
    }
    let Some((&busiest, _)) = count.iter().max_by_key(|(_, &n)| n) else { return Vec::new() };
    rows.iter().filter(|r| r.0 == busiest).cloned().collect()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let one_ship = args.iter().any(|a| a == "--one-ship");
    let sizes: Vec<usize> = args.iter().filter_map(|a| a.parse().ok()).collect();
    let sizes = if sizes.is_empty() { vec![10_000, 30_000, 100_000] } else { sizes };
    let rows = kitimat_rows();
    // `--one-ship`: the busiest source vessel's own track repeated end to end (one real
    // ship over a long window) instead of all vessels end to end (a busy shared id).
    let rows = if one_ship { busiest_vessel(&rows) } else { rows };
    println!("source: {} rows", rows.len());
    let p = SegmentParams::default();
    let mut measured = Vec::new();
    for &n in &sizes {
        let track = long_track(&rows, n);
        let mut best = f64::INFINITY;
        let (mut segments, mut chains) = (0, 0);
        for _ in 0..3 {
            let t = Instant::now();
            let segs = segment_positions("316999999", &track, &p);
            let ch = chain_segments(&track, &segs, &p);
            best = best.min(t.elapsed().as_secs_f64());
            (segments, chains) = (segs.len(), ch.len());
        }
        println!("{n:>8} positions: {best:>9.4} s  {segments} segments, {chains} chains");
        measured.push((n as f64, best));
    }
    if let (Some(a), Some(b)) = (measured.first(), measured.last()) {
        if b.0 > a.0 && a.1 > 0.0 {
            println!("growth exponent {:.0}→{:.0}: {:.2}", a.0, b.0, (b.1 / a.1).ln() / (b.0 / a.0).ln());
        }
    }
}
