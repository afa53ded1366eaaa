#!/bin/sh
# Encounter-search benchmark in one run: Rust grid vs Rust all-pairs (same samples, same
# code path) and DuckDB's bucketed self-join over the dumped samples; counts must agree.
# usage: bench/encounters/run.sh [FILE] [COPIES]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
file=${1:-$here/../../../shared/data/ais/dma_dlproject_10min/test_aisdk-2025-02-27.csv.gz}
copies=${2:-20}
work=${TMPDIR:-/tmp}/encounters-bench
mkdir -p "$work"
cargo build --release --offline --manifest-path "$here/Cargo.toml" >&2
bin=${CARGO_TARGET_DIR:-$here/target}/release/encounters-bench
"$bin" "$file" --copies "$copies" --dump "$work/samples.csv" | tee "$work/rust.json"
python3 "$here/duckdb_pairs.py" "$work/samples.csv" 500 1 | tee "$work/duckdb1.json"
python3 "$here/duckdb_pairs.py" "$work/samples.csv" 500 2 | tee "$work/duckdb2.json"
python3 - "$work" <<'PY'
import json, sys
w = sys.argv[1]
r = json.load(open(f"{w}/rust.json")); d1 = json.load(open(f"{w}/duckdb1.json")); d2 = json.load(open(f"{w}/duckdb2.json"))
same = r["identical"] and r["grid_pairs"] == d1["pairs"] == d2["pairs"] and r["grid_pair_ticks"] == d1["pair_ticks"]
print(f"vessels {r['vessels']}, samples {r['samples']}, max {r['max_per_tick']} per tick; "
      f"pairs {r['grid_pairs']} ({r['grid_pair_ticks']} pair-ticks); counts identical: {same}")
print(f"grid {r['grid_s']:.4f} s | all pairs {r['all_pairs_s']:.4f} s (x{r['all_pairs_s']/r['grid_s']:.1f}) | "
      f"duckdb 1 thread {d1['seconds']:.4f} s (x{d1['seconds']/r['grid_s']:.1f}) | duckdb 2 threads {d2['seconds']:.4f} s (x{d2['seconds']/r['grid_s']:.1f})")
PY
