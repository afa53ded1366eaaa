//! Encounter search on a dense replayed day: close pairs (<= D m) on every 10-minute
//! tick, through the 3-D grid index and through all pairs, same resampled samples, same
//! code path (`lookout_detect::transship::close_pairs_by_pair` with `use_grid` on/off).
//!
//! usage: encounters-bench FILE [--copies N] [--shift-min M] [--distance-m D] [--dump samples.csv]
//!
//! The replay: every track is copied N-1 more times under new ids, each copy shifted
//! `k * M` minutes later, so the copies follow the same lanes at other times: the day
//! gets N times the vessels with a realistic spatial distribution.

use std::io::Write;
use std::time::Instant;

use chrono::Duration;
use lookout_detect::transship::{by_tick, close_pairs_by_pair, resample, Sample};
use lookout_ingest::readers::{self, ReadOptions};
use lookout_ingest::tracks::TrackBuilder;
use lookout_ingest::validate::{ValidateOptions, Validator};
use lookout_model::{Record, Track, VesselId};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(path) = args.first().cloned() else {
        eprintln!("usage: encounters-bench FILE [--copies N] [--shift-min M] [--distance-m D] [--dump samples.csv]");
        std::process::exit(2);
    };
    let opt = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let copies: usize = opt("--copies").and_then(|v| v.parse().ok()).unwrap_or(1);
    let shift: i64 = opt("--shift-min").and_then(|v| v.parse().ok()).unwrap_or(7);
    let dist: f64 = opt("--distance-m")
        .and_then(|v| v.parse().ok())
        .unwrap_or(500.0);
    let dump = opt("--dump");

    let t = Instant::now();
    let mut reader = match readers::open(std::path::Path::new(&path), &ReadOptions::default()) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    let mut validator = Validator::new(ValidateOptions {
        check_mmsi: !reader.ids_are_opaque(),
        ..ValidateOptions::new(chrono::Utc::now())
    });
    let mut builder = TrackBuilder::new();
    for (i, item) in reader.by_ref().enumerate() {
        if let Ok(rec) = item.and_then(|rec| validator.check(rec, i as u64 + 1)) {
            if matches!(rec, Record::Position(_) | Record::Static { .. }) {
                builder.push(rec);
            }
        }
    }
    let base = builder.finish();
    let mut tracks: Vec<Track> = Vec::with_capacity(base.len() * copies);
    for k in 0..copies {
        for t in &base {
            let mut c = t.clone();
            if k > 0 {
                c.vessel = VesselId::new(format!("{}#{k}", t.vessel));
                for p in &mut c.positions {
                    p.vessel = c.vessel.clone();
                    p.timestamp += Duration::minutes(shift * k as i64);
                }
            }
            tracks.push(c);
        }
    }
    let read_s = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let samples: Vec<Vec<Sample>> = tracks.iter().map(|t| resample(t, 600, 3600)).collect();
    let table = by_tick(&samples, |_| true);
    let resample_s = t.elapsed().as_secs_f64();
    let n_samples: usize = samples.iter().map(Vec::len).sum();
    let max_per_tick = table.values().map(Vec::len).max().unwrap_or(0);

    let count = |m: &std::collections::BTreeMap<
        (usize, usize),
        Vec<lookout_detect::transship::Close>,
    >| { (m.len(), m.values().map(Vec::len).sum::<usize>()) };
    let t = Instant::now();
    let grid = close_pairs_by_pair(&table, dist, |_, _| true, true);
    let grid_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let all = close_pairs_by_pair(&table, dist, |_, _| true, false);
    let all_s = t.elapsed().as_secs_f64();
    let (gp, gt) = count(&grid);
    let (ap, at) = count(&all);
    let identical = grid.keys().eq(all.keys()) && gt == at;

    if let Some(out) = dump {
        let mut w = std::io::BufWriter::new(std::fs::File::create(&out).expect("dump file"));
        writeln!(w, "tick,v,lat,lon").expect("write");
        for (tick, pts) in &table {
            for (v, s) in pts {
                writeln!(w, "{tick},{v},{:.17},{:.17}", s.lat, s.lon).expect("write");
            }
        }
    }
    println!(
        "{{\"file\":{:?},\"copies\":{copies},\"vessels\":{},\"samples\":{n_samples},\"ticks\":{},\"max_per_tick\":{max_per_tick},\
\"distance_m\":{dist},\"read_s\":{read_s:.3},\"resample_s\":{resample_s:.3},\"grid_s\":{grid_s:.4},\"all_pairs_s\":{all_s:.4},\
\"grid_pairs\":{gp},\"grid_pair_ticks\":{gt},\"all_pairs\":{ap},\"all_pair_ticks\":{at},\"identical\":{identical}}}",
        path,
        tracks.len(),
        table.len()
    );
}
