//! `lookout bench`: throughput of the hot paths, measured (never asserted).
//!
//! * `decode FILE`: NMEA sentences/s through [`lookout_nmea::Decoder`], on one thread
//!   (one decoder over the whole file) or on N threads (the file is cut into chunks at
//!   line boundaries that start a new message, one decoder per chunk, rayon). The file
//!   is read into memory before the clock starts.
//! * `csv FILE`: rows/s through [`lookout_ingest::readers`] (format detected). With N
//!   threads the file is first split (untimed) into N part files with the header
//!   repeated, and N readers run at once, as when ingesting N daily files.
//! * `dark FILE`: positions/s of gap detection and P1-P11 dark scoring over tracks
//!   already in memory (`load` = reader → validator → track builder is timed apart),
//!   tracks spread over N threads.
//!
//! Every run prints the counts it found (messages by type, rows, gaps, dark vessels,
//! rejects by reason) next to the time, so a comparison with another tool can check that
//! both processed the same input. `--json` prints one JSON line; peak RSS is `VmHWM`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use lookout_detect::{for_each_gap, score_track, DarkContext, DarkHistory, DarkParams};
use lookout_ingest::readers::{self, ReadOptions};
use lookout_ingest::tracks::TrackBuilder;
use lookout_ingest::validate::{ValidateOptions, Validator};
use lookout_model::{Record, RejectReason, Track};
use lookout_nmea::{Decoder, DecoderOptions, Outcome};
use rayon::prelude::*;
use serde_json::{json, Value};

#[derive(clap::Args)]
pub(crate) struct BenchArgs {
    #[command(flatten)]
    pub opts: BenchOptions,
    #[command(subcommand)]
    pub what: BenchWhat,
}

#[derive(clap::Subcommand)]
pub(crate) enum BenchWhat {
    /// NMEA decode throughput (sentences/s) of a file of AIS sentences.
    Decode(InputArg),
    /// Position CSV reading throughput (rows/s), any layout `lookout ingest` reads.
    Csv(InputArg),
    /// Gap detection + dark scoring throughput (positions/s) over a positions file.
    Dark(InputArg),
}

#[derive(clap::Args, Clone, Debug)]
pub(crate) struct InputArg {
    /// Input file.
    pub file: PathBuf,
}

/// Options every measurement takes; global, so they go before or after the measurement.
#[derive(clap::Args, Clone, Debug)]
pub(crate) struct BenchOptions {
    /// Worker threads; 1 runs the plain sequential path. Default: all cores.
    #[arg(long, global = true)]
    pub threads: Option<usize>,
    /// Runs to make; the fastest is reported (all times are in the JSON).
    #[arg(long, global = true, default_value_t = 1)]
    pub repeat: usize,
    /// Print one JSON object on one line instead of text.
    #[arg(long, global = true)]
    pub json: bool,
}

/// One measurement's input and options.
#[derive(Clone, Debug)]
pub(crate) struct RunArgs {
    pub file: PathBuf,
    pub threads: Option<usize>,
    pub repeat: usize,
    pub json: bool,
}

impl RunArgs {
    fn new(input: InputArg, opts: &BenchOptions) -> RunArgs {
        RunArgs { file: input.file, threads: opts.threads, repeat: opts.repeat, json: opts.json }
    }
}

impl RunArgs {
    fn threads(&self) -> usize {
        self.threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())).max(1)
    }
}

pub(crate) fn run(args: BenchArgs) -> anyhow::Result<ExitCode> {
    let (run, report) = match args.what {
        BenchWhat::Decode(a) => {
            let a = RunArgs::new(a, &args.opts);
            let r = bench_decode(&a)?;
            (a, r)
        }
        BenchWhat::Csv(a) => {
            let a = RunArgs::new(a, &args.opts);
            let r = bench_csv(&a)?;
            (a, r)
        }
        BenchWhat::Dark(a) => {
            let a = RunArgs::new(a, &args.opts);
            let r = bench_dark(&a)?;
            (a, r)
        }
    };
    report.print(run.json)?;
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
    /// Extra top-level fields (e.g. load time of the dark bench).
    extra: Vec<(&'static str, Value)>,
}

impl Report {
    fn seconds(&self) -> f64 {
        self.runs.iter().copied().fold(f64::INFINITY, f64::min)
    }

    fn print(&self, as_json: bool) -> anyhow::Result<()> {
        let secs = self.seconds();
        let rate = if secs > 0.0 { self.items as f64 / secs } else { 0.0 };
        let rss = peak_rss_kib();
        if as_json {
            let mut v = json!({
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
            if let Some(obj) = v.as_object_mut() {
                for (k, x) in &self.extra {
                    obj.insert((*k).to_string(), x.clone());
                }
            }
            outln!("{v}");
        } else {
            outln!(
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
            for (k, x) in &self.extra {
                outln!("  {k}: {x}");
            }
            outln!("  counts: {}", self.counts);
        }
        Ok(())
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

/// What the decoder produced for a piece of input. Plain arrays, so counting costs
/// next to nothing beside the decoder.
#[derive(Clone, PartialEq, Debug)]
struct DecodeCounts {
    /// Non-blank lines fed to the decoder.
    lines: u64,
    messages: u64,
    /// Indexed by message type (6 bits).
    by_type: [u64; 64],
    /// Indexed like [`RejectReason::ALL`].
    rejects: [u64; RejectReason::ALL.len()],
}

impl Default for DecodeCounts {
    fn default() -> Self {
        DecodeCounts { lines: 0, messages: 0, by_type: [0; 64], rejects: [0; RejectReason::ALL.len()] }
    }
}

impl DecodeCounts {
    #[inline]
    fn absorb(&mut self, out: &mut Vec<Outcome>) {
        for o in out.drain(..) {
            match o {
                Ok(d) => {
                    self.messages += 1;
                    self.by_type[usize::from(d.message.msg_type & 63)] += 1;
                }
                Err(r) => {
                    let i = RejectReason::ALL.iter().position(|x| *x == r.reason).unwrap_or(0);
                    self.rejects[i] += 1;
                }
            }
        }
    }

    fn merge(mut self, other: DecodeCounts) -> DecodeCounts {
        self.lines += other.lines;
        self.messages += other.messages;
        for (a, b) in self.by_type.iter_mut().zip(other.by_type) {
            *a += b;
        }
        for (a, b) in self.rejects.iter_mut().zip(other.rejects) {
            *a += b;
        }
        self
    }

    fn to_json(&self) -> Value {
        let by_type: serde_json::Map<String, Value> =
            self.by_type.iter().enumerate().filter(|(_, n)| **n > 0).map(|(t, n)| (t.to_string(), json!(n))).collect();
        let rejects: serde_json::Map<String, Value> = RejectReason::ALL
            .iter()
            .zip(self.rejects)
            .filter(|(_, n)| *n > 0)
            .map(|(r, n)| (r.as_str().to_string(), json!(n)))
            .collect();
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
        extra: Vec::new(),
    })
}

// ---------------------------------------------------------------------------------
// csv

#[derive(Default, Clone, Debug)]
struct ReadCounts {
    positions: u64,
    statics: u64,
    rejects: BTreeMap<RejectReason, u64>,
}

impl ReadCounts {
    fn rows(&self) -> u64 {
        self.positions + self.rejects.values().sum::<u64>()
    }

    fn merge(mut self, other: ReadCounts) -> ReadCounts {
        self.positions += other.positions;
        self.statics += other.statics;
        for (k, v) in other.rejects {
            *self.rejects.entry(k).or_default() += v;
        }
        self
    }

    fn to_json(&self) -> Value {
        let rejects: serde_json::Map<String, Value> =
            self.rejects.iter().map(|(r, n)| (r.as_str().to_string(), json!(n))).collect();
        json!({ "rows": self.rows(), "positions": self.positions, "static_records": self.statics, "rejects": rejects })
    }
}

/// Reads a whole file through the format reader and counts what came out.
fn read_counts(path: &Path) -> anyhow::Result<(ReadCounts, String)> {
    let mut reader =
        readers::open(path, &ReadOptions::default()).with_context(|| format!("opening {}", path.display()))?;
    let format = reader.format().to_string();
    let mut c = ReadCounts::default();
    for item in reader.by_ref() {
        match item {
            Ok(Record::Position(_)) => c.positions += 1,
            Ok(Record::Static { .. }) => c.statics += 1,
            Err(r) => *c.rejects.entry(r.reason).or_default() += 1,
        }
    }
    if let Some(e) = reader.take_error() {
        return Err(e).with_context(|| format!("reading {}", path.display()));
    }
    Ok((c, format))
}

/// Splits a CSV into `n` part files (header repeated) in `dir`, at line boundaries.
/// Quoted fields with line breaks would be cut; the layouts benchmarked have none, and
/// the row count check against the 1-thread run would show it.
fn split_csv(path: &Path, n: usize, dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let data = read_input(path)?;
    let header_end = data.iter().position(|&b| b == b'\n').map_or(data.len(), |p| p + 1);
    let (header, body) = data.split_at(header_end);
    let target = body.len() / n + 1;
    let mut parts = Vec::new();
    let mut start = 0;
    while start < body.len() {
        let mut cut = (start + target).min(body.len());
        while cut < body.len() && body[cut - 1] != b'\n' {
            cut += 1;
        }
        let p = dir.join(format!("part{}.csv", parts.len()));
        let mut bytes = Vec::with_capacity(header.len() + cut - start);
        bytes.extend_from_slice(header);
        bytes.extend_from_slice(&body[start..cut]);
        std::fs::write(&p, bytes).with_context(|| format!("writing {}", p.display()))?;
        parts.push(p);
        start = cut;
    }
    Ok(parts)
}

fn bench_csv(a: &RunArgs) -> anyhow::Result<Report> {
    let threads = a.threads();
    let mut extra = Vec::new();
    let (runs, counts) = if threads == 1 {
        step(&format!("csv: reading {} on 1 thread", a.file.display()));
        let (runs, (counts, format)) = timed_runs(a.repeat, || read_counts(&a.file))?;
        extra.push(("format", json!(format)));
        (runs, counts)
    } else {
        let dir = tempdir_near(&a.file)?;
        step(&format!(
            "csv: splitting {} into {threads} part files in {} (not timed)",
            a.file.display(),
            dir.display()
        ));
        let parts = split_csv(&a.file, threads, &dir)?;
        for p in &parts {
            warm_cache(p)?;
        }
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build()?;
        step(&format!("csv: reading {} parts on {threads} threads", parts.len()));
        let result = timed_runs(a.repeat, || {
            pool.install(|| {
                parts
                    .par_iter()
                    .map(|p| read_counts(p).map(|(c, _)| c))
                    .try_reduce(ReadCounts::default, |x, y| Ok(x.merge(y)))
            })
        });
        let _ = std::fs::remove_dir_all(&dir);
        extra.push(("parts", json!(parts.len())));
        result?
    };
    Ok(Report {
        bench: "csv",
        file: a.file.clone(),
        threads,
        unit: "rows",
        items: counts.rows(),
        runs,
        counts: counts.to_json(),
        extra,
    })
}

/// A fresh directory next to `file` (same disk), removed by the caller.
fn tempdir_near(file: &Path) -> anyhow::Result<PathBuf> {
    let parent = file.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let dir = parent.join(format!(".lookout-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir)
}

fn warm_cache(path: &Path) -> anyhow::Result<()> {
    let mut f = std::fs::File::open(path)?;
    std::io::copy(&mut f, &mut std::io::sink())?;
    Ok(())
}

// ---------------------------------------------------------------------------------
// dark

/// What gap detection and dark scoring found.
#[derive(Default, Clone, PartialEq, Debug)]
struct DarkCounts {
    positions: u64,
    vessels: u64,
    gaps: u64,
    gaps_by_severity: BTreeMap<&'static str, u64>,
    dark_vessels: u64,
    tiers: BTreeMap<&'static str, u64>,
}

impl DarkCounts {
    fn merge(mut self, o: DarkCounts) -> DarkCounts {
        self.positions += o.positions;
        self.vessels += o.vessels;
        self.gaps += o.gaps;
        self.dark_vessels += o.dark_vessels;
        for (k, v) in o.gaps_by_severity {
            *self.gaps_by_severity.entry(k).or_default() += v;
        }
        for (k, v) in o.tiers {
            *self.tiers.entry(k).or_default() += v;
        }
        self
    }
}

/// Scores one track with the oracle's defaults: not permitted, no history, hour 12, no
/// zones. (The context is built here because `DarkContext` holds a non-`Sync` zone
/// classifier reference and cannot be shared across threads.)
fn detect_one(track: &Track, params: &DarkParams) -> DarkCounts {
    let ctx = DarkContext { permitted: false, history: DarkHistory::default(), local_hour: 12, zones: None };
    let mut c = DarkCounts { positions: track.positions.len() as u64, vessels: 1, ..DarkCounts::default() };
    for_each_gap(&track.positions, &params.gap_thresholds, |g| {
        c.gaps += 1;
        *c.gaps_by_severity.entry(g.severity.as_str()).or_default() += 1;
    });
    if let Some((_info, score)) = score_track(track, &ctx, params) {
        c.dark_vessels += 1;
        *c.tiers.entry(score.tier.as_str()).or_default() += 1;
    }
    c
}

/// Reader → validator → track builder, as `lookout ingest` + an analysis cycle see them.
fn load_tracks(path: &Path) -> anyhow::Result<(Vec<Track>, ReadCounts)> {
    let mut reader =
        readers::open(path, &ReadOptions::default()).with_context(|| format!("opening {}", path.display()))?;
    let mut validator = Validator::new(ValidateOptions {
        check_mmsi: !reader.ids_are_opaque(),
        ..ValidateOptions::new(chrono::Utc::now())
    });
    let mut builder = TrackBuilder::new();
    let mut c = ReadCounts::default();
    for (i, item) in reader.by_ref().enumerate() {
        match item.and_then(|rec| validator.check(rec, i as u64 + 1)) {
            Ok(rec) => {
                match rec {
                    Record::Position(_) => c.positions += 1,
                    Record::Static { .. } => c.statics += 1,
                }
                builder.push(rec);
            }
            Err(r) => *c.rejects.entry(r.reason).or_default() += 1,
        }
    }
    if let Some(e) = reader.take_error() {
        return Err(e).with_context(|| format!("reading {}", path.display()));
    }
    Ok((builder.finish(), c))
}

fn bench_dark(a: &RunArgs) -> anyhow::Result<Report> {
    let threads = a.threads();
    step(&format!("dark: loading {} (reader → validator → tracks)", a.file.display()));
    let t0 = Instant::now();
    let (tracks, read) = load_tracks(&a.file)?;
    let load_s = t0.elapsed().as_secs_f64();
    step(&format!(
        "dark: {} tracks, {} positions loaded in {load_s:.2} s; detecting on {threads} thread(s)",
        tracks.len(),
        read.positions
    ));
    let params = DarkParams::default();
    let (runs, counts) = if threads == 1 {
        timed_runs(a.repeat, || {
            Ok(tracks.iter().map(|t| detect_one(t, &params)).fold(DarkCounts::default(), DarkCounts::merge))
        })?
    } else {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build()?;
        timed_runs(a.repeat, || {
            Ok(pool.install(|| {
                tracks.par_iter().map(|t| detect_one(t, &params)).reduce(DarkCounts::default, DarkCounts::merge)
            }))
        })?
    };
    let best = runs.iter().copied().fold(f64::INFINITY, f64::min);
    let counts_json = json!({
        "rows_read": read.rows(),
        "rejects": read.to_json()["rejects"],
        "positions": counts.positions,
        "vessels": counts.vessels,
        "gaps": counts.gaps,
        "gaps_by_severity": counts.gaps_by_severity,
        "dark_vessels": counts.dark_vessels,
        "tiers": counts.tiers,
    });
    Ok(Report {
        bench: "dark",
        file: a.file.clone(),
        threads,
        unit: "positions",
        items: counts.positions,
        runs,
        counts: counts_json,
        extra: vec![
            ("load_seconds", json!(load_s)),
            ("end_to_end_seconds", json!(load_s + best)),
            (
                "note",
                json!("gaps (every gap >= 6000 s) + longest-gap analysis and P1-P11 score per vessel over in-memory tracks; load = reader + validator + track builder, 1 thread"),
            ),
        ],
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
        let text =
            b"!AIVDM,1,1,,A,x,0*00\n!AIVDM,2,1,3,B,y,0*00\n!AIVDM,2,2,3,B,z,2*00\n$PGHP,1,2010\n!AIVDM,1,1,,A,w,0*00\n";
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
