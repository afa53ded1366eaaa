//! Differential test: `lookout score-dark` against the Python reference oracle
//! (`oracle.py`, named by `LOOKOUT_ORACLE`), on generated tracks that hit every threshold edge and
//! pattern branch and on the real AIS tracks shipped in `testdata/ais`.
//!
//! Two ways, the same cases:
//! - everywhere: lookout's output must equal the reference's output committed in
//!   `testdata/oracle/golden/` (one gzipped file per case; `testdata/oracle/regen.sh`
//!   rewrites them from the reference);
//! - when the reference is at hand (`LOOKOUT_ORACLE` names its `oracle.py`; python3 with
//!   pandas; `.ci/run` sets it): the live reference's output must equal lookout's *and* the committed golden
//!   file (so stale golden files fail). Without the reference these are skipped loudly, or
//!   fail when the `CI` environment variable is set.

use std::collections::{BTreeMap, BTreeSet};
use std::f64::consts::PI;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use lookout_detect::{haversine_nm, round2};

const R_NM: f64 = 3440.065;
const VESSELS_PER_FILE: usize = 300;
const GENERATED_FILES: usize = 4;

// ---------------------------------------------------------------- environment

/// The reference's `oracle.py`, when the environment names one.
fn oracle_path() -> Option<PathBuf> {
    std::env::var_os("LOOKOUT_ORACLE").map(PathBuf::from)
}

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata")
}

fn golden_dir() -> PathBuf {
    testdata().join("oracle/golden")
}

/// The Python that runs the reference (`LOOKOUT_ORACLE_PYTHON`, default `python3`).
fn python() -> String {
    std::env::var("LOOKOUT_ORACLE_PYTHON").unwrap_or_else(|_| "python3".to_string())
}

/// The reference script when it and python3 + pandas are usable; otherwise `None` after a
/// loud skip message (a failure when CI is set).
fn live_oracle() -> Option<PathBuf> {
    let oracle = oracle_path().unwrap_or_default();
    let missing = if !oracle.is_file() {
        Some(format!("LOOKOUT_ORACLE does not name the reference oracle.py ({:?})", oracle.display().to_string()))
    } else {
        let ok =
            Command::new(python()).args(["-c", "import pandas"]).output().map(|o| o.status.success()).unwrap_or(false);
        (!ok).then(|| format!("{} with pandas is not available", python()))
    };
    match missing {
        None => Some(oracle),
        Some(why) => {
            assert!(std::env::var_os("CI").is_none(), "CI is set but {why}");
            eprintln!(
                "\n\n!!!!! oracle_diff live comparison SKIPPED: {why} (the golden files are still compared) !!!!!\n\n"
            );
            None
        }
    }
}

fn work_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lookout-oracle-diff-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create temp dir");
    dir
}

/// Runs a command, requiring success, and returns stdout.
fn run(cmd: &mut Command, what: &str) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{what}: cannot start: {e}"));
    assert!(out.status.success(), "{what} failed ({}): {}", out.status, String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// One comparison: a CSV and the arguments both tools get, named for its golden file.
struct Case {
    name: String,
    csv: PathBuf,
    args: Vec<String>,
}

impl Case {
    fn golden_path(&self) -> PathBuf {
        golden_dir().join(format!("{}.jsonl.gz", self.name))
    }

    fn lookout(&self) -> String {
        run(
            Command::new(env!("CARGO_BIN_EXE_lookout")).arg("score-dark").arg(&self.csv).args(&self.args),
            "lookout score-dark",
        )
    }

    fn oracle(&self, oracle: &Path) -> String {
        run(Command::new(python()).arg(oracle).arg(&self.csv).args(&self.args), "oracle.py")
    }

    fn golden(&self) -> String {
        let path = self.golden_path();
        let file = std::fs::File::open(&path)
            .unwrap_or_else(|e| panic!("golden file {}: {e}; run testdata/oracle/regen.sh", path.display()));
        let mut text = String::new();
        flate2::read::GzDecoder::new(file).read_to_string(&mut text).expect("golden file is gzipped UTF-8");
        text
    }

    /// Writes the golden file byte-for-byte reproducibly (no name, no time in the header).
    fn write_golden(&self, text: &str) {
        let file = std::fs::File::create(self.golden_path()).expect("create golden file");
        let mut gz = flate2::GzBuilder::new().mtime(0).write(file, flate2::Compression::best());
        gz.write_all(text.as_bytes()).expect("write golden file");
        gz.finish().expect("finish golden file");
    }
}

/// Panics with the first differing lines when `expected` (from `source`) and lookout differ.
fn assert_same(case: &Case, source: &str, expected: &str, rs: &str) {
    if expected == rs {
        return;
    }
    let (pl, rl): (Vec<&str>, Vec<&str>) = (expected.lines().collect(), rs.lines().collect());
    let mut report = format!(
        "MISMATCH ({}) on {} = {} with args {:?} ({} {source} lines, {} lookout lines)\n",
        case.name,
        case.csv.display(),
        source,
        case.args,
        pl.len(),
        rl.len()
    );
    let mut shown = 0;
    for i in 0..pl.len().max(rl.len()) {
        let (a, b) = (pl.get(i).copied().unwrap_or("<none>"), rl.get(i).copied().unwrap_or("<none>"));
        if a != b && shown < 5 {
            report.push_str(&format!("line {}:\n  {source:<7}: {a}\n  lookout: {b}\n", i + 1));
            shown += 1;
        }
    }
    report.push_str(&format!("inputs kept in {}\n", case.csv.parent().unwrap_or(&case.csv).display()));
    panic!("{report}");
}

/// Live: the reference equals lookout and its committed golden file. Returns the output.
fn compare_live(case: &Case, oracle: &Path) -> String {
    let py = case.oracle(oracle);
    assert_same(case, "oracle", &py, &case.lookout());
    assert!(
        py == case.golden(),
        "golden file {} is stale: the reference now prints something else; run testdata/oracle/regen.sh",
        case.golden_path().display()
    );
    py
}

/// Everywhere: lookout equals the reference's committed output. Returns the output.
fn compare_golden(case: &Case) -> String {
    let golden = case.golden();
    assert_same(case, "golden", &golden, &case.lookout());
    golden
}

// ---------------------------------------------------------------- generator

/// splitmix64: small, deterministic, good enough to spread cases.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }
    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len() as u64) as usize]
    }
}

#[derive(Clone, Debug)]
struct Row {
    mmsi: String,
    t: i64,
    lat: f64,
    lon: f64,
    lat_cell: Option<String>,
    sog: String,
    raw_sog: String,
    cog: String,
    heading: String,
    nav: String,
    kind: String,
}

const GAPS: &[i64] = &[
    1800, 5940, 5999, 6000, 6001, 7200, 10740, 10799, 10800, 10801, 21540, 21599, 21600, 21601, 25200, 86399, 86400,
    86401, 100_000, 200_000,
];
const START_SOGS: &[&str] = &[
    "1.0",
    "1",
    "1.0000001",
    "2.0",
    "2.0000001",
    "2.01",
    "3.0",
    "3.0001",
    "5.0",
    "5",
    "5.0000001",
    "5.01",
    "0.0",
    "0",
    "0.5",
    "8.0",
    "12.3",
    "",
    "NaN",
    "-0.0",
    "4.2",
    "2.675",
    "0.125",
];
const NAVS: &[&str] = &[
    "Under way using engine",
    "under way sailing",
    "UNDER WAY",
    "Underway",
    "At anchor",
    "Moored",
    "moored, alongside",
    "Engaged in fishing",
    "Restricted manoeuverability",
    "",
    "NA",
    "정박 anchor",
];
const KINDS: &[&str] = &["000020", "000023", "20", "30", "70", "000021", "", "NA", " 000020", "000020 "];
const HEADING_COG: &[(&str, &str)] = &[
    ("150", "90"),
    ("151", "90"),
    ("350", "10"),
    ("10", "300"),
    ("90", "90"),
    ("0", "180"),
    ("60.5", "0"),
    ("60", "0"),
    ("240", "0"),
    ("300", "0"),
    ("511", "360"),
    ("", "90"),
    ("90", ""),
    ("", ""),
    ("200", "100"),
];
const COVERAGE_EDGES: &[(f64, f64)] = &[
    (32.0, 128.0),
    (39.5, 128.0),
    (35.0, 124.0),
    (35.0, 132.0),
    (31.999999, 128.0),
    (39.500001, 128.0),
    (35.0, 123.999999),
    (35.0, 132.000001),
    (32.0, 124.0),
    (39.5, 132.0),
    (20.0, 140.0),
    (55.0, 10.0),
];
const TIE_SOGS: &[&str] =
    &["0.125", "0.375", "0.625", "2.675", "1.005", "1.015", "1.025", "8.125", "10.375", "3.335", "4.445", "0.005"];

fn deg(x: f64) -> String {
    format!("{x:.6}")
}

fn nm_to_deg(nm: f64) -> f64 {
    nm / R_NM * 180.0 / PI
}

/// Moves `nm` nautical miles along `bearing_deg` (flat approximation is enough).
fn step(lat: f64, lon: f64, nm: f64, bearing_deg: f64) -> (f64, f64) {
    let b = bearing_deg.to_radians();
    let dlat = nm_to_deg(nm) * b.cos();
    let dlon = nm_to_deg(nm) * b.sin() / lat.to_radians().cos().max(0.1);
    (lat + dlat, lon + dlon)
}

fn snap(x: f64) -> f64 {
    deg(x).parse().unwrap_or(x)
}

fn sog_value(s: &str) -> f64 {
    if s.is_empty() || s == "NaN" {
        f64::NAN
    } else {
        s.parse().unwrap_or(f64::NAN)
    }
}

struct Vessel {
    rows: Vec<Row>,
}

/// One vessel's rows for scenario `case`.
fn gen_vessel(rng: &mut Rng, case: usize, mmsi: &str, has_raw: bool) -> Vessel {
    let n_pre = match case % 9 {
        0 => 1,
        1 => 2,
        _ => 2 + rng.below(7) as usize,
    };
    let n_post = if rng.chance(0.2) { 0 } else { 1 + rng.below(3) as usize };
    let single = case % 41 == 7;
    let gap = if rng.chance(0.8) { *rng.pick(GAPS) } else { 6000 + rng.below(150_000) as i64 };
    let dt_pre = 60 + rng.below(1500) as i64;
    let speed = rng.range(0.0, 20.0);
    let bearing = rng.range(0.0, 360.0);
    let (mut lat, mut lon) = if rng.chance(0.8) {
        (rng.range(33.0, 38.5), rng.range(125.0, 131.0))
    } else {
        (rng.range(-60.0, 70.0), rng.range(-179.0, 179.0))
    };
    let mut t = 1_709_251_200 + rng.below(3 * 86_400) as i64;
    let nav = rng.pick(NAVS).to_string();
    let kind = rng.pick(KINDS).to_string();
    let tie_sog = (case % 13 == 5).then(|| rng.pick(TIE_SOGS).to_string());
    let mut rows = Vec::new();
    for i in 0..n_pre {
        let sog = match &tie_sog {
            Some(s) => s.clone(),
            None if rng.chance(0.05) => String::new(),
            None => format!("{:.1}", speed + rng.range(-0.5, 0.5)),
        };
        rows.push(Row {
            mmsi: mmsi.to_string(),
            t,
            lat: snap(lat),
            lon: snap(lon),
            lat_cell: None,
            sog,
            raw_sog: String::new(),
            cog: format!("{:.1}", bearing),
            heading: format!("{}", (bearing.round() as i64 + rng.below(20) as i64) % 360),
            nav: if rng.chance(0.1) { rng.pick(NAVS).to_string() } else { nav.clone() },
            kind: kind.clone(),
        });
        if i + 1 < n_pre {
            let dt = dt_pre + rng.below(120) as i64;
            t += dt;
            let (a, b) = step(lat, lon, speed * dt as f64 / 3600.0, bearing);
            lat = a;
            lon = b;
        }
    }
    if single {
        rows.truncate(1);
        return Vessel { rows };
    }
    shape_gap_start(rng, case, &mut rows, has_raw);
    add_after_gap(rng, case, &mut rows, gap, n_post, dt_pre);
    if case % 17 == 3 && rows.len() >= 3 {
        // A second gap of the same length after the first: the first one must win.
        let last = rows[rows.len() - 1].clone();
        let mut r = last.clone();
        r.t = last.t + gap;
        r.lat = snap(last.lat + 0.5);
        rows.push(r);
    }
    Vessel { rows }
}

/// Sets the gap-start row's sog, raw_sog, heading/cog, position edges and teleports.
fn shape_gap_start(rng: &mut Rng, case: usize, rows: &mut [Row], has_raw: bool) {
    let n = rows.len();
    let last = n - 1;
    if case % 13 != 5 {
        rows[last].sog = rng.pick(START_SOGS).to_string();
    }
    if has_raw {
        for r in rows.iter_mut() {
            r.raw_sog = match rng.below(6) {
                0 => "6.5".into(),
                1 => "0".into(),
                2 => "3.3".into(),
                3 => "1.5".into(),
                _ => String::new(),
            };
        }
        if case % 5 == 1 {
            rows[last].sog = "0".into();
        }
    }
    if rng.chance(0.5) {
        let (h, c) = rng.pick(HEADING_COG);
        rows[last].heading = h.to_string();
        rows[last].cog = c.to_string();
    }
    if case % 7 == 2 {
        let (la, lo) = *rng.pick(COVERAGE_EDGES);
        rows[last].lat = la;
        rows[last].lon = lo;
    }
    if case % 53 == 11 {
        rows[last].lat_cell = Some(String::new());
    }
    if case % 6 == 4 && n >= 2 {
        // Teleport just above or just below 50 kn, inside the window or just outside it.
        let target = *rng.pick(&[50.002, 49.998, 50.05, 49.95, 80.0]);
        let j = if n >= 7 && rng.chance(0.3) { n - 6 } else { n - 1 - rng.below((n - 1).min(4) as u64) as usize };
        let dt = (rows[j].t - rows[j - 1].t).max(1);
        let nm = target * dt as f64 / 3600.0;
        let new_lat = snap(rows[j - 1].lat + nm_to_deg(nm));
        let shift = new_lat - rows[j].lat;
        let lon = rows[j - 1].lon;
        for r in rows.iter_mut().skip(j) {
            r.lat = snap(r.lat + shift);
        }
        rows[j].lon = lon;
    }
}

fn window_avg(rows: &[Row]) -> f64 {
    let w = &rows[rows.len().saturating_sub(5)..];
    let s: f64 = w
        .iter()
        .map(|r| {
            let v = sog_value(&r.sog);
            let raw = if r.raw_sog.is_empty() { 0.0 } else { sog_value(&r.raw_sog) };
            if v != 0.0 {
                v
            } else if raw != 0.0 {
                raw
            } else {
                0.0
            }
        })
        .fold(0.0, |a, b| a + b);
    round2(s / w.len() as f64)
}

/// Appends the first position after the gap and a few more.
fn add_after_gap(rng: &mut Rng, case: usize, rows: &mut Vec<Row>, gap: i64, n_post: usize, dt_pre: i64) {
    let start = rows[rows.len() - 1].clone();
    let gap_min = gap / 60;
    let (mut lat, mut lon) = match case % 11 {
        3 => {
            // P4 at its limit (rounded distance compared with expected * 2).
            let limit = (gap_min as f64 / 60.0 * window_avg(rows).max(1.0)).max(0.5) * 2.0;
            let delta = *rng.pick(&[-0.01, 0.0, 0.004, 0.006, 0.01]);
            (snap(start.lat + nm_to_deg(limit + delta)), start.lon)
        }
        8 => near_half_cent(rng, &start),
        _ => {
            let nm = rng.range(0.0, 3.0) * gap as f64 / 3600.0 * rng.range(0.0, 12.0);
            let (a, b) = step(start.lat, start.lon, nm, rng.range(0.0, 360.0));
            (snap(a), snap(b))
        }
    };
    if !lat.is_finite() {
        lat = start.lat;
    }
    let mut t = start.t + gap;
    for k in 0..n_post.max(1) {
        let mut r = start.clone();
        r.t = t;
        r.lat = snap(lat);
        r.lon = snap(lon);
        r.lat_cell = None;
        r.sog = format!("{:.1}", rng.range(0.0, 15.0));
        rows.push(r);
        if k + 1 < n_post {
            let dt = dt_pre + rng.below(300) as i64;
            t += dt;
            let (a, b) = step(lat, lon, rng.range(0.0, 15.0) * dt as f64 / 3600.0, rng.range(0.0, 360.0));
            lat = a;
            lon = b;
        }
    }
}

/// An end point whose distance from `start` is as close as we can get to x.xx5 nm,
/// so Python's correctly rounded `round(x, 2)` is exercised on both sides.
fn near_half_cent(rng: &mut Rng, start: &Row) -> (f64, f64) {
    let base = rng.range(0.05, 1.5);
    let mut best = (f64::INFINITY, start.lat, start.lon);
    for k in 0..4000 {
        let lat = snap(start.lat + base + k as f64 * 1e-6);
        let d = haversine_nm(start.lat, start.lon, lat, start.lon) * 100.0;
        let off = (d - d.floor() - 0.5).abs();
        if off < best.0 {
            best = (off, lat, start.lon);
        }
    }
    (best.1, best.2)
}

#[derive(Clone, Copy)]
enum TimeFormat {
    Zulu,
    Naive,
    Offsets,
}

fn fmt_time(t: i64, f: TimeFormat, rng: &mut Rng) -> String {
    let dt = chrono::DateTime::from_timestamp(t, 0).expect("valid time");
    match f {
        TimeFormat::Zulu => dt.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        TimeFormat::Naive => dt.format("%Y-%m-%d %H:%M:%S").to_string(),
        TimeFormat::Offsets => {
            if rng.chance(0.5) {
                dt.with_timezone(&chrono::FixedOffset::east_opt(9 * 3600).expect("offset"))
                    .format("%Y-%m-%dT%H:%M:%S%:z")
                    .to_string()
            } else {
                dt.format("%Y-%m-%dT%H:%M:%S+00:00").to_string()
            }
        }
    }
}

fn csv_cell(s: &str) -> String {
    if s.contains(',') || s.contains('"') || s.contains('\n') {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Writes one generated CSV; returns its MMSIs.
fn write_generated(path: &Path, seed: u64, first_case: usize, fmt: TimeFormat, has_raw: bool) -> Vec<String> {
    let mut rng = Rng(seed);
    let mut rows = Vec::new();
    let mut mmsis = Vec::new();
    for v in 0..VESSELS_PER_FILE {
        let case = first_case + v;
        let mmsi = match case % 97 {
            13 => format!("{}", 1000 + case),
            29 => format!("00{}", 4400 + case),
            _ => format!("{}", 440_000_000 + case),
        };
        let vessel = gen_vessel(&mut rng, case, &mmsi, has_raw);
        let written = if case % 89 == 5 { format!(" {mmsi} ") } else { mmsi.clone() };
        for mut r in vessel.rows {
            r.mmsi = written.clone();
            rows.push(r);
        }
        mmsis.push(mmsi);
    }
    // Shuffle (Fisher-Yates): rows of all vessels interleave and arrive out of order.
    for i in (1..rows.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        rows.swap(i, j);
    }
    let mut out = String::from("mmsi,timestamp,lat,lon,sog,cog,heading,nav_status,ship_kind_code");
    if has_raw {
        out.push_str(",raw_sog");
    }
    out.push('\n');
    for r in &rows {
        let lat = r.lat_cell.clone().unwrap_or_else(|| deg(r.lat));
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{}",
            r.mmsi,
            fmt_time(r.t, fmt, &mut rng),
            lat,
            deg(r.lon),
            r.sog,
            r.cog,
            r.heading,
            csv_cell(&r.nav),
            csv_cell(&r.kind)
        ));
        if has_raw {
            out.push(',');
            out.push_str(&r.raw_sog);
        }
        out.push('\n');
    }
    std::fs::write(path, out).expect("write csv");
    mmsis
}

fn write_side_files(dir: &Path, mmsis: &[String], seed: u64) -> (PathBuf, PathBuf) {
    let mut rng = Rng(seed ^ 0xA5A5);
    let mut permitted = String::from("# permitted vessels\n\n");
    let mut history = BTreeMap::new();
    for m in mmsis {
        if rng.chance(0.25) {
            permitted.push_str(&format!("{m}  # permit\n"));
        }
        if rng.chance(0.4) {
            let key = if rng.chance(0.1) { format!(" {m} ") } else { m.clone() };
            let c7 = rng.below(5);
            let c24 = rng.below(3);
            let v = match rng.below(4) {
                0 => serde_json::json!({ "count_7d": c7 }),
                1 => serde_json::json!({ "count_24h": c24 }),
                _ => serde_json::json!({ "count_7d": c7, "count_24h": c24 }),
            };
            history.insert(key, v);
        }
    }
    let (p, h) = (dir.join("permitted.txt"), dir.join("history.json"));
    std::fs::write(&p, permitted).expect("write permitted");
    std::fs::write(&h, serde_json::to_string(&history).expect("json")).expect("write history");
    (p, h)
}

/// Argument sets: (hour, params override, with permitted/history files).
const RUNS: &[(i64, Option<&str>, bool)] = &[
    (12, None, false),
    (5, None, true),
    (6, Some(r#"{"weights": {"P1_moving_off": 30, "out_of_coverage": -20, "P7_unpermitted": 12}}"#), true),
    (
        17,
        Some(r#"{"sog_thresholds": {"moving": 4.5}, "gap_min_thresholds": {"long": 120}, "p5_daytime_range": [0, 6]}"#),
        true,
    ),
    (
        18,
        Some(
            r#"{"tier_thresholds": {"critical": 60, "high": 40, "watch": 20}, "heading_cog_mismatch_deg": 30, "p4_distance_multiplier": 1.5, "repeat_thresholds": {"h7_high": 4}}"#,
        ),
        true,
    ),
    (5, Some(r#"{"p5_daytime_range": [0, 6], "weights": {"P5_daytime_fishing_off": 40}}"#), false),
];

fn tally(output: &str, patterns: &mut BTreeMap<String, usize>, tiers: &mut BTreeSet<String>) {
    for line in output.lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("oracle line is JSON");
        for p in v["patterns"].as_array().into_iter().flatten() {
            *patterns.entry(p.as_str().unwrap_or("").to_string()).or_default() += 1;
        }
        tiers.insert(v["tier"].as_str().unwrap_or("").to_string());
    }
}

/// Writes the generated CSVs and side files into `dir`; returns the cases and, per case,
/// the number of distinct MMSIs (one output line each), and the number of vessels.
fn generated_cases(dir: &Path) -> (Vec<(Case, usize)>, usize) {
    let formats = [TimeFormat::Zulu, TimeFormat::Naive, TimeFormat::Offsets, TimeFormat::Zulu];
    let mut cases = Vec::new();
    let mut vessels = 0;
    for f in 0..GENERATED_FILES {
        let csv = dir.join(format!("generated_{f}.csv"));
        let seed = 0x5EED_0000 + f as u64;
        let mmsis = write_generated(&csv, seed, f * VESSELS_PER_FILE, formats[f % formats.len()], f % 2 == 1);
        vessels += mmsis.len();
        let distinct = mmsis.iter().collect::<BTreeSet<_>>().len();
        let side_dir = dir.join(format!("side_{f}"));
        std::fs::create_dir_all(&side_dir).expect("side dir");
        let (permitted, history) = write_side_files(&side_dir, &mmsis, seed);
        for (i, (hour, params, side)) in RUNS.iter().enumerate() {
            if (i + f) % 2 == 1 && i != 0 {
                continue;
            }
            let mut args = vec!["--now-kst-hour".to_string(), hour.to_string()];
            if let Some(p) = params {
                args.extend(["--params".to_string(), p.to_string()]);
            }
            if *side {
                args.extend(["--permitted".into(), permitted.display().to_string()]);
                args.extend(["--history".into(), history.display().to_string()]);
            }
            cases.push((Case { name: format!("generated_{f}_run{i}"), csv: csv.clone(), args }, distinct));
        }
    }
    (cases, vessels)
}

/// The generated cases compared one way (`check` returns the reference output).
fn generated_tracks_match(name: &str, check: impl Fn(&Case) -> String) {
    let dir = work_dir(name);
    let (cases, vessels) = generated_cases(&dir);
    let mut patterns = BTreeMap::new();
    let mut tiers = BTreeSet::new();
    for (case, distinct) in &cases {
        let out = check(case);
        assert_eq!(out.lines().count(), *distinct, "one line per MMSI");
        tally(&out, &mut patterns, &mut tiers);
    }
    eprintln!(
        "oracle_diff ({name}): {vessels} generated tracks identical; patterns seen: {patterns:?}; tiers: {tiers:?}"
    );
    // P2 (sensitive_zone, special_zone) needs a zone classifier, which the oracle does
    // not accept yet (--zones exits 2), and reception_outage and unobserved are ours, not
    // the oracle's (they need the reception rule's outages and the cycle's observation
    // timeline, tested in crates/engine/tests/reception.rs and unobserved.rs); every other
    // pattern must have fired.
    for p in lookout_detect::Pattern::ALL {
        use lookout_detect::Pattern::{ReceptionOutage, SensitiveZone, SpecialZone, Unobserved};
        if matches!(p, SensitiveZone | SpecialZone | ReceptionOutage | Unobserved) {
            continue;
        }
        assert!(patterns.contains_key(p.id()), "pattern {} never fired; generator misses a branch", p.id());
    }
    for t in ["CRITICAL", "HIGH", "WATCH", "NONE"] {
        assert!(tiers.contains(t), "tier {t} never reached");
    }
    assert!(vessels >= 1000);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn generated_tracks_match_the_oracle() {
    let Some(oracle) = live_oracle() else { return };
    generated_tracks_match("generated-live", |c| compare_live(c, &oracle));
}

#[test]
fn generated_tracks_match_the_golden_files() {
    generated_tracks_match("generated-golden", compare_golden);
}

#[test]
fn zones_flag_is_refused_like_the_oracle() {
    let csv = testdata().join("oracle/sample.csv");
    assert!(csv.exists(), "{}", csv.display());
    let out = Command::new(env!("CARGO_BIN_EXE_lookout"))
        .args(["score-dark"])
        .arg(&csv)
        .args(["--zones", "zones.geojson"])
        .output()
        .expect("run lookout");
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
}

// ---------------------------------------------------------------- real data

fn ais_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            ais_files(&p, out);
        } else {
            // gpsd's expected-output files (`.chk`) are not AIS input.
            let name = p.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
            if !(name.ends_with(".md") || name.ends_with(".chk") || name.ends_with(".chk.gz")) {
                out.push(p);
            }
        }
    }
}

/// Ship type as the oracle's `ship_kind_code`: the Korean aliases for fishing and
/// cargo (so P9 is exercised), the ITU number otherwise.
fn kind_code(t: Option<lookout_model::ShipType>) -> String {
    match t.map(|t| (t, t.kind())) {
        Some((_, lookout_model::ShipKind::Fishing)) => "000020".into(),
        Some((_, lookout_model::ShipKind::Cargo)) => "000023".into(),
        Some((t, _)) => t.0.to_string(),
        None => String::new(),
    }
}

fn opt_cell(x: Option<f64>) -> String {
    x.map(|v| format!("{v}")).unwrap_or_default()
}

/// Converts one reader's positions into the oracle CSV. Duplicate (mmsi, timestamp)
/// rows are dropped: pandas' sort is not stable, so tie order is unspecified.
/// Returns the number of vessels, or `None` when the file yields no positions.
fn convert_real(path: &Path, csv: &Path) -> Option<usize> {
    use lookout_model::Record;
    let reader = lookout_ingest::readers::open(path, &lookout_ingest::readers::ReadOptions::default()).ok()?;
    let mut positions = Vec::new();
    let mut kinds: BTreeMap<String, lookout_model::ShipType> = BTreeMap::new();
    for rec in reader.flatten() {
        match rec {
            Record::Position(p) => positions.push(p),
            Record::Static { vessel, data, .. } => {
                if let Some(t) = data.ship_type {
                    kinds.insert(vessel.0, t);
                }
            }
        }
    }
    if positions.is_empty() {
        return None;
    }
    let subsec = positions.iter().any(|p| p.timestamp.timestamp_subsec_nanos() != 0);
    let fmt = if subsec { "%Y-%m-%dT%H:%M:%S%.6fZ" } else { "%Y-%m-%dT%H:%M:%SZ" };
    let mut seen = BTreeSet::new();
    let mut vessels = BTreeSet::new();
    let mut out = String::from("mmsi,timestamp,lat,lon,sog,cog,heading,nav_status,ship_kind_code\n");
    for p in &positions {
        let ts = p.timestamp.format(fmt).to_string();
        let id = p.vessel.0.trim().to_string();
        if id.is_empty() || !seen.insert((id.clone(), ts.clone())) {
            continue;
        }
        vessels.insert(id.clone());
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{}\n",
            csv_cell(&id),
            ts,
            p.lat,
            p.lon,
            opt_cell(p.sog),
            opt_cell(p.cog),
            opt_cell(p.heading),
            csv_cell(p.nav_status.map(|s| s.text()).unwrap_or("")),
            kind_code(kinds.get(&p.vessel.0).copied()),
        ));
    }
    std::fs::write(csv, out).expect("write csv");
    Some(vessels.len())
}

/// Converts every real AIS file of `testdata/ais` into `dir`; returns the cases and the
/// number of tracks.
fn real_cases(dir: &Path) -> (Vec<Case>, usize) {
    let base = testdata().join("ais");
    let mut files = Vec::new();
    ais_files(&base, &mut files);
    assert!(!files.is_empty(), "no real AIS files under {}", base.display());
    let (mut cases, mut tracks) = (Vec::new(), 0);
    for (i, f) in files.iter().enumerate() {
        let rel = f.strip_prefix(&base).unwrap_or(f).to_string_lossy().replace(['/', '\\'], "__");
        let csv = dir.join(format!("real_{i}.csv"));
        let Some(n) = convert_real(f, &csv) else {
            eprintln!("oracle_diff: {} yields no timed positions; skipped", f.display());
            continue;
        };
        tracks += n;
        cases.push(Case { name: format!("real_{rel}"), csv: csv.clone(), args: Vec::new() });
        if i % 3 == 0 {
            let args = vec!["--now-kst-hour".into(), "6".into(), "--params".into(), RUNS[4].1.unwrap_or("{}").into()];
            cases.push(Case { name: format!("real_{rel}_params"), csv, args });
        }
    }
    (cases, tracks)
}

/// The real-data cases compared one way.
fn real_tracks_match(name: &str, check: impl Fn(&Case) -> String) {
    let dir = work_dir(name);
    let (cases, tracks) = real_cases(&dir);
    for case in &cases {
        check(case);
    }
    let used = cases.iter().filter(|c| c.args.is_empty()).count();
    eprintln!("oracle_diff ({name}): {tracks} real tracks from {used} files identical");
    assert!(used >= 5, "too few real files converted ({used})");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn real_tracks_match_the_oracle() {
    let Some(oracle) = live_oracle() else { return };
    real_tracks_match("real-live", |c| compare_live(c, &oracle));
}

#[test]
fn real_tracks_match_the_golden_files() {
    real_tracks_match("real-golden", compare_golden);
}

/// Rewrites `testdata/oracle/golden` from the live reference (run by `testdata/oracle/regen.sh`).
#[test]
#[ignore]
fn regenerate_golden_files() {
    let oracle = oracle_path().unwrap_or_default();
    assert!(oracle.is_file(), "the reference {} is needed to regenerate the golden files", oracle.display());
    let dir = work_dir("regen");
    let _ = std::fs::remove_dir_all(golden_dir());
    std::fs::create_dir_all(golden_dir()).expect("golden dir");
    let (generated_dir, real_dir) = (dir.join("generated"), dir.join("real"));
    for d in [&generated_dir, &real_dir] {
        std::fs::create_dir_all(d).expect("work dir");
    }
    let (generated, _) = generated_cases(&generated_dir);
    let (real, _) = real_cases(&real_dir);
    let cases: Vec<&Case> = generated.iter().map(|(c, _)| c).chain(&real).collect();
    for case in &cases {
        case.write_golden(&case.oracle(&oracle));
    }
    eprintln!("oracle_diff: {} golden files written to {}", cases.len(), golden_dir().display());
    let _ = std::fs::remove_dir_all(&dir);
}
