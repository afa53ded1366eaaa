//! The fuzz targets of `fuzz/` on stable Rust, bounded by a count: each target's function
//! (the same code the cargo-fuzz binaries run, `fuzz/targets.rs`) over the repository's
//! real inputs and seeded mutations of them (bit flips, truncation, inserted bytes and
//! crafted tokens, spliced lines, other line endings). A panic is the failure. The count
//! per target is `LOOKOUT_FUZZ_CASES` (default 150); `LOOKOUT_FUZZ_CORPUS=DIR` adds every
//! file of a directory (e.g. the hostile corpus of `bench/hostile/gen.py`) as a seed.
//! No wall-clock bound is asserted: the count bounds the work.

#[path = "../../../fuzz/targets.rs"]
mod targets;

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// splitmix64: a small seeded PRNG, so every run mutates the same way.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Values that broke or nearly broke parsers before: edges of time, huge and non-finite
/// numbers, ids that are not numbers, control bytes, structure characters.
const TOKENS: &[&[u8]] = &[
    b"0000-01-01T00:00:00Z",
    b"1969-12-31 23:59:59",
    b"9999-12-31T23:59:59Z",
    b"253402300799",
    b"c:253402300799",
    b"1e308",
    b"-1e308",
    b"NaN",
    b"inf",
    b"-0",
    b"18446744073709551616",
    b"abc",
    b"1.5",
    b"-1",
    b"",
    b"\0",
    b"\r",
    b"\r\n",
    b"\n\r",
    b"\xff\xfe",
    b"\xef\xbb\xbf",
    b"\xc3",
    b"\"",
    b",",
    b";",
    b"\\",
    b"*00",
    b"!AIVDM,2,1,9,A,",
    b"{",
    b"[[[[",
    b"]",
    b"}",
    b"=",
    b"[[rules]]",
    b"nan",
    b"\t",
];

fn mutate(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
    let mut d = seed.to_vec();
    for _ in 0..=rng.below(4) {
        match rng.below(7) {
            0 if !d.is_empty() => {
                let i = rng.below(d.len());
                d[i] ^= 1 << rng.below(8);
            }
            1 => d.truncate(rng.below(d.len() + 1)),
            2 => {
                let t = TOKENS[rng.below(TOKENS.len())];
                let i = rng.below(d.len() + 1);
                d.splice(i..i, t.iter().copied());
            }
            3 if !d.is_empty() => {
                // Overwrite a field (between separators) with a token.
                let i = rng.below(d.len());
                let end = d[i..].iter().position(|b| b",:\n\"".contains(b)).map_or(d.len(), |p| i + p);
                let t = TOKENS[rng.below(TOKENS.len())];
                d.splice(i..end, t.iter().copied());
            }
            4 => {
                // Duplicate a slice elsewhere (repeated lines, nested structure).
                let a = rng.below(d.len() + 1);
                let b = (a + rng.below(200)).min(d.len());
                let copy = d[a..b].to_vec();
                let at = rng.below(d.len() + 1);
                d.splice(at..at, copy);
            }
            5 => {
                let to: &[u8] = [&b"\r"[..], b"\r\n", b"\n\r"][rng.below(3)];
                d = d.split(|&b| b == b'\n').collect::<Vec<_>>().join(to);
            }
            _ => {
                let n = rng.below(64);
                let i = rng.below(d.len() + 1);
                let junk: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
                d.splice(i..i, junk);
            }
        }
    }
    d
}

/// The first `max_lines` lines of a file, so debug runs stay short while the seed keeps
/// the file's real shape. The real files are read decompressed (a `name.gz` in `testdata/`
/// stands for `name`): gzip damage is the hostile corpus runner's part.
fn head(path: &Path, max_lines: usize) -> Vec<u8> {
    let text = read_plain(path);
    let mut end = 0;
    for _ in 0..max_lines {
        match text[end..].iter().position(|&b| b == b'\n') {
            Some(p) => end += p + 1,
            None => return text,
        }
    }
    text[..end].to_vec()
}

fn read_plain(path: &Path) -> Vec<u8> {
    if path.exists() {
        return std::fs::read(path).unwrap_or_else(|e| panic!("seed {} unreadable: {e}", path.display()));
    }
    let gz = PathBuf::from(format!("{}.gz", path.display()));
    let file = std::fs::File::open(&gz).unwrap_or_else(|e| panic!("seed {} unreadable: {e}", gz.display()));
    let mut text = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::MultiGzDecoder::new(file), &mut text)
        .unwrap_or_else(|e| panic!("seed {} is not gzip: {e}", gz.display()));
    text
}

fn seeds(files: &[&str], max_lines: usize) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = files.iter().map(|f| head(&root().join(f), max_lines)).collect();
    if let Some(dir) = std::env::var_os("LOOKOUT_FUZZ_CORPUS") {
        let mut extra: Vec<PathBuf> =
            std::fs::read_dir(dir).map(|r| r.flatten().map(|e| e.path()).collect()).unwrap_or_default();
        extra.sort();
        out.extend(
            extra
                .iter()
                .filter(|p| p.metadata().map(|m| m.len() < 8 << 20).unwrap_or(false))
                .map(|p| head(p, max_lines)),
        );
    }
    out
}

fn cases() -> usize {
    std::env::var("LOOKOUT_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(150)
}

/// Every seed as is, then `cases()` mutations of seeds chosen by the PRNG.
fn run(name: &str, seeds: &[Vec<u8>], target: fn(&[u8])) {
    assert!(!seeds.is_empty(), "{name}: no seeds");
    for s in seeds {
        target(s);
    }
    let mut rng = Rng(0x1_4000_0009 ^ name.len() as u64);
    for _ in 0..cases() {
        let seed = &seeds[rng.below(seeds.len())];
        let input = mutate(&mut rng, seed);
        target(&input);
    }
}

const DEMO: &str = "data/demo";
const SHARED: &str = "testdata/ais";

#[test]
fn nmea_decoder() {
    let files = [
        format!("{SHARED}/gfw_ais_listener/nmea-with-tagblock.txt"),
        format!("{SHARED}/dma_aislib_stream_example_2010-06-11.txt"),
    ];
    let refs: Vec<&str> = files.iter().map(String::as_str).collect();
    run("nmea", &seeds(&refs, 400), targets::nmea);
}

#[test]
fn csv_readers() {
    let files = [
        format!("{DEMO}/dma_collision_2021-12-13_219021240_232018267.csv"),
        format!("{SHARED}/marinecadastre_2023-01-11_snapshot.csv"),
    ];
    let refs: Vec<&str> = files.iter().map(String::as_str).collect();
    run("csv", &seeds(&refs, 60), targets::csv_readers);
}

#[test]
fn gfw_and_nmea_readers() {
    let files =
        [format!("{SHARED}/gfw_segment_338013000.jsonl"), format!("{SHARED}/gfw_ais_listener/nmea-with-tagblock.txt")];
    let refs: Vec<&str> = files.iter().map(String::as_str).collect();
    run("gfw", &seeds(&refs, 60), targets::gfw);
}

#[test]
fn zones_geojson() {
    run(
        "zones",
        &seeds(&["data/zones/kitimat_demo.geojson", "data/zones/korea_china_pmz.geojson"], usize::MAX),
        targets::zones,
    );
}

#[test]
fn rules_toml() {
    run("rules", &seeds(&["rules/default.toml"], usize::MAX), targets::rules);
}

#[test]
fn params_json() {
    let mut s = seeds(&["data/demo/params.json"], usize::MAX);
    s.push(br#"{"weights": {"out_of_coverage": -30}, "p5_daytime_range": [5, 20]}"#.to_vec());
    s.push(
        br#"{"context": {"bins": 16, "rest": 0.2, "rescale": true, "seasonal": true}, "detector": "baselines"}"#
            .to_vec(),
    );
    run("params", &s, targets::params);
}

#[test]
fn metric_csv() {
    let mut series = b"timestamp,value\n".to_vec();
    for i in 0..300 {
        series
            .extend_from_slice(format!("2019-07-01 {:02}:{:02}:00,{}\n", i / 60 % 24, i % 60, (i * 7) % 23).as_bytes());
    }
    run("metric", &[series], targets::metric_csv);
}
