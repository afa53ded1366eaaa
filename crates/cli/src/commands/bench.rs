//! `lookout bench`: throughput of the hot paths, measured (never asserted).
//!
//! * `decode FILE`: NMEA sentences/s through [`lookout_nmea::Decoder`], on one thread
//!   (one decoder over the whole file) or on N threads (the file is cut into chunks at
//!   line boundaries that start a new message, one decoder per chunk, rayon).
//!
//! Every run prints the counts it found (messages by type, rejects by reason) next to
//! the time, so a comparison with another tool can check both processed the same input.
//! The input is read into memory before the clock starts. `--json` prints one JSON line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use lookout_model::RejectReason;
use lookout_nmea::{Decoder, DecoderOptions, Outcome};
use rayon::prelude::*;
use serde_json::{json, Value};

#[derive(clap::Args)]
pub struct BenchArgs {
    #[command(subcommand)]
    pub what: BenchWhat,
}

#[derive(clap::Subcommand)]
pub enum BenchWhat {
    /// NMEA decode throughput (sentences/s) of a file of AIS sentences.
    Decode(RunArgs),
}

/// Options every measurement takes.
#[derive(clap::Args, Clone, Debug)]
pub struct RunArgs {
    /// Input file.
    pub file: PathBuf,
    /// Worker threads; 1 runs the plain sequential path. Default: all cores.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Runs to make; the fastest is reported (all times are in the JSON).
    #[arg(long, default_value_t = 1)]
    pub repeat: usize,
    /// Print one JSON object on one line instead of text.
    #[arg(long)]
    pub json: bool,
}

impl RunArgs {
    fn threads(&self) -> usize {
        self.threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())).max(1)
    }
}

pub fn run(args: BenchArgs) -> anyhow::Result<ExitCode> {
    let (run, report) = match args.what {
        BenchWhat::Decode(a) => {
            let r = bench_decode(&a)?;
            (a, r)
        }
    };
    report.print(run.json);
    Ok(ExitCode::SUCCESS)
}

/// What one benchmark measured.
struct Report {
    bench: &'static str,
    file: PathBuf,
    threads: usize,
    /// What `items` counts ("sentences", "rows", "positions").
    unit: &'static str,
    items: u64,
    /// Every run's seconds; the minimum is reported.
    runs: Vec<f64>,
    /// Counts that let another tool's result be checked against this one.
    counts: Value,
}

impl Report {
    fn seconds(&self) -> f64 {
        self.runs.iter().copied().fold(f64::INFINITY, f64::min)
    }

    fn print(&self, as_json: bool) {
        let secs = self.seconds();
        let rate = if secs > 0.0 { self.items as f64 / secs } else { 0.0 };
        let rss = peak_rss_kib();
        if as_json {
            let v = json!({
                "bench": self.bench,
                "tool": "lookout",
                "version": env!("CARGO_PKG_VERSION"),
                "file": self.file.display().to_string(),
                "threads": self.threads,
                "unit": self.unit,
                "items": self.items,
                "seconds": secs,
                "items_per_s": rate,
                "runs": self.runs,
                "peak_rss_kib": rss,
                "counts": self.counts,
            });
            println!("{v}");
        } else {
            println!(
                "{} {}: {} {} in {:.3} s = {:.0} {}/s on {} thread{} (best of {}), peak RSS {}",
                self.bench,
                self.file.display(),
                self.items,
                self.unit,
                secs,
                rate,
                self.unit,
                self.threads,
                if self.threads == 1 { "" } else { "s" },
                self.runs.len(),
                rss.map_or("n/a".to_string(), |k| format!("{:.1} MiB", k as f64 / 1024.0)),
            );
            println!("  counts: {}", self.counts);
        }
    }
}

/// Peak resident set size of this process (`VmHWM`), in KiB, where /proc has it.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn step(msg: &str) {
    eprintln!("bench: {msg}");
}

fn timed_runs<T>(repeat: usize, mut f: impl FnMut() -> anyhow::Result<T>) -> anyhow::Result<(Vec<f64>, T)> {
    let mut runs = Vec::new();
    let mut last = None;
    for i in 0..repeat.max(1) {
        let t0 = Instant::now();
        let out = f()?;
        let s = t0.elapsed().as_secs_f64();
        if repeat > 1 {
            step(&format!("run {}/{}: {s:.3} s", i + 1, repeat));
        }
        runs.push(s);
        last = Some(out);
    }
    let out = last.context("no run")?;
    Ok((runs, out))
}

// ---------------------------------------------------------------------------------
// decode

/// What the decoder produced for a piece of input.
#[derive(Default, Clone, PartialEq, Debug)]
struct DecodeCounts {
    /// Non-blank lines fed to the decoder.
    lines: u64,
    messages: u64,
    by_type: BTreeMap<u8, u64>,
    rejects: BTreeMap<RejectReason, u64>,
}

impl DecodeCounts {
    #[inline]
    fn absorb(&mut self, out: &mut Vec<Outcome>) {
        for o in out.drain(..) {
            match o {
                Ok(d) => {
                    self.messages += 1;
                    *self.by_type.entry(d.message.msg_type).or_default() += 1;
                }
                Err(r) => *self.rejects.entry(r.reason).or_default() += 1,
            }
        }
    }

    fn merge(mut self, other: DecodeCounts) -> DecodeCounts {
        self.lines += other.lines;
        self.messages += other.messages;
        for (k, v) in other.by_type {
            *self.by_type.entry(k).or_default() += v;
        }
        for (k, v) in other.rejects {
            *self.rejects.entry(k).or_default() += v;
        }
        self
    }

    fn to_json(&self) -> Value {
        let by_type: serde_json::Map<String, Value> =
            self.by_type.iter().map(|(t, n)| (t.to_string(), json!(n))).collect();
        let rejects: serde_json::Map<String, Value> =
            self.rejects.iter().map(|(r, n)| (r.as_str().to_string(), json!(n))).collect();
        json!({ "sentences": self.lines, "messages": self.messages, "by_type": by_type, "rejects": rejects })
    }
}

fn decode_all(data: &[u8]) -> DecodeCounts {
    let mut dec = Decoder::new(DecoderOptions::default());
    let mut out: Vec<Outcome> = Vec::with_capacity(8);
    let mut c = DecodeCounts::default();
    for (i, line) in data.split(|&b| b == b'\n').enumerate() {
        if line.trim_ascii().is_empty() {
            continue;
        }
        c.lines += 1;
        dec.feed(i as u64 + 1, line, &mut out);
        c.absorb(&mut out);
    }
    dec.finish(&mut out);
    c.absorb(&mut out);
    c
}

/// True when a chunk may start at this line: it is not a 2nd..nth fragment of a
/// multi-part message (those need the fragments before them).
fn may_start_chunk(line: &[u8]) -> bool {
    let Some(bang) = line.iter().position(|&b| b == b'!') else { return true };
    let mut fields = line[bang..].split(|&b| b == b',');
    let _addr = fields.next();
    let _total = fields.next();
    match fields.next() {
        Some(num) => num.trim_ascii() == b"1",
        None => true,
    }
}

/// True when a line only prepares the next one (a `$PGHP` stamp or a tag block alone
/// on its line), so a chunk must not end right after it.
fn stamps_next(line: &[u8]) -> bool {
    let t = line.trim_ascii();
    t.starts_with(b"$PGHP") || (t.first() == Some(&b'\\') && !t.contains(&b'!'))
}

/// Cuts `data` into about `n` pieces at line boundaries where a new message starts.
fn chunks(data: &[u8], n: usize) -> Vec<&[u8]> {
    let n = n.max(1);
    let target = data.len() / n + 1;
    let mut out = Vec::with_capacity(n);
    let mut start = 0;
    while start < data.len() {
        let mut cut = (start + target).min(data.len());
        // Move to the next line start that may begin a chunk.
        while cut < data.len() {
            while cut < data.len() && data[cut - 1] != b'\n' {
                cut += 1;
            }
            if cut >= data.len() {
                break;
            }
            let line_end = data[cut..].iter().position(|&b| b == b'\n').map_or(data.len(), |p| cut + p);
            let prev_start = data[..cut - 1].iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
            if may_start_chunk(&data[cut..line_end]) && !stamps_next(&data[prev_start..cut - 1]) {
                break;
            }
            cut = line_end + 1;
        }
        let cut = cut.min(data.len());
        out.push(&data[start..cut]);
        start = cut;
    }
    out
}

fn bench_decode(a: &RunArgs) -> anyhow::Result<Report> {
    let threads = a.threads();
    let data = read_input(&a.file)?;
    step(&format!("decode: {} MiB in memory, {threads} thread(s)", data.len() / (1 << 20)));
    let (runs, counts) = if threads == 1 {
        timed_runs(a.repeat, || Ok(decode_all(&data)))?
    } else {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build()?;
        let pieces = chunks(&data, threads * 16);
        timed_runs(a.repeat, || {
            Ok(pool.install(|| {
                pieces.par_iter().map(|c| decode_all(c)).reduce(DecodeCounts::default, DecodeCounts::merge)
            }))
        })?
    };
    Ok(Report {
        bench: "decode",
        file: a.file.clone(),
        threads,
        unit: "sentences",
        items: counts.lines,
        runs,
        counts: counts.to_json(),
    })
}

fn read_input(path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("reading {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_keep_multipart_groups_together() {
        let text = b"!AIVDM,1,1,,A,x,0*00\n!AIVDM,2,1,3,B,y,0*00\n!AIVDM,2,2,3,B,z,2*00\n$PGHP,1,2010\n!AIVDM,1,1,,A,w,0*00\n";
        for n in 1..12 {
            let parts = chunks(text, n);
            assert_eq!(parts.concat(), text.to_vec());
            for p in &parts {
                assert!(!p.starts_with(b"!AIVDM,2,2"), "chunk starts mid-message");
                assert!(!p.ends_with(b"$PGHP,1,2010\n"), "chunk ends on a stamp line");
            }
        }
    }
}
