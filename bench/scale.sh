#!/usr/bin/env bash
# Scale benchmark: ingest + one cycle over 1 M and 3 M positions (10 M with --10m) on
# SQLite and PostgreSQL, next to DuckDB (PyPI, installed into bench/work/venv) loading the
# same CSV and finding the same gaps with a LAG window. One run; writes
# bench/work/scale/RESULTS.md and results.json (seconds, rows/s, peak RSS, ratios to DuckDB,
# segmentation and per-rule times from the stored cycle statistics).
#
#   bench/scale.sh                 # 1 M and 3 M
#   bench/scale.sh --10m           # also 10 M
#   SIZES=1000000 bench/scale.sh   # any list, comma separated
#   WORK=/tmp/bench-x bench/scale.sh   # where the generated CSVs and stores go
#   PG_URL=postgres://... (default postgres://postgres@127.0.0.1:5432/test; PG_URL= for SQLite only)
#
# Inputs are replays of the real Kitimat tracks (bench/gen_data.py, generic layout): copies
# get new ids and shifted times; nothing is simulated.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
WORK=${WORK:-$ROOT/bench/work/scale}
mkdir -p "$WORK"
SIZES=${SIZES:-1000000,3000000}
if [[ "${1:-}" == "--10m" ]]; then SIZES=$SIZES,10000000; fi
PG_URL=${PG_URL-postgres://postgres@127.0.0.1:5432/test}
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
VENV=$ROOT/bench/work/venv

echo "== python venv with duckdb ($VENV)" >&2
[[ -x $VENV/bin/python ]] || python3 -m venv "$VENV"
"$VENV/bin/python" -c 'import duckdb' 2>/dev/null ||
  "$VENV/bin/pip" install -q --disable-pip-version-check "$(grep '^duckdb==' bench/requirements.txt)"

echo "== cargo build --release -p lookout" >&2
cargo build --release -p lookout
LOOKOUT=$TARGET_DIR/release/lookout

MAX=$(tr ',' '\n' <<<"$SIZES" | sort -n | tail -1)
if [[ ! -f $WORK/tracks.csv || $(($(wc -l <"$WORK/tracks.csv") - 1)) -lt $MAX ]]; then
  echo "== generating >= $MAX positions (bench/gen_data.py)" >&2
  rm -f "$WORK"/tracks_*.csv
  python3 bench/gen_data.py --out-dir "$WORK" --only tracks --tracks-target "$MAX" --subset 1000 >&2
fi

if [[ -n $PG_URL ]] && ! psql "$PG_URL" -qc 'SELECT 1' >/dev/null 2>&1; then
  echo "PostgreSQL not reachable at $PG_URL: SQLite only" >&2
  PG_URL=
fi

"$VENV/bin/python" bench/scale.py --lookout "$LOOKOUT" --python "$VENV/bin/python" --work "$WORK" \
  --source "$WORK/tracks.csv" --sizes "$SIZES" --pg "$PG_URL" \
  --results "$WORK/RESULTS.md" --json-out "$WORK/results.json"
