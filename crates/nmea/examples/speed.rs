//! Quick single-core throughput check: `cargo run --release -p lookout-nmea --example speed`.
//! Replays single-part position reports (real pyais sample lines with shifted MMSIs).
use std::time::Instant;

use lookout_nmea::{rewrite_mmsi, Decoder, DecoderOptions};

fn main() {
    let path = std::env::args().nth(1).unwrap_or_else(|| "testdata/ais/pyais_nmea_data_sample.txt.gz".into());
    let mut text = String::new();
    if let Ok(file) = std::fs::File::open(&path) {
        let _ = std::io::Read::read_to_string(&mut flate2::read::MultiGzDecoder::new(file), &mut text);
    }
    let base: Vec<&str> = text.lines().filter(|l| l.starts_with("!AIVDM,1,1,") && !l.contains(",,0*")).collect();
    let mut lines = Vec::new();
    for shift in 0..200u32 {
        for l in &base {
            if let Some(r) = rewrite_mmsi(l, 200_000_000 + shift * 1000 + lines.len() as u32 % 1000) {
                lines.push(r);
            }
        }
    }
    let mut d = Decoder::new(DecoderOptions::default());
    let mut out = Vec::with_capacity(4);
    let mut ok = 0usize;
    let start = Instant::now();
    for round in 0..10 {
        for (i, l) in lines.iter().enumerate() {
            d.feed((round * lines.len() + i) as u64, l.as_bytes(), &mut out);
            ok += out.iter().filter(|o| o.is_ok()).count();
            out.clear();
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let n = lines.len() * 10;
    println!("{n} sentences ({ok} decoded) in {secs:.3} s: {:.2} M sentences/s", n as f64 / secs / 1e6);
}
