#!/usr/bin/env bash
# Side-by-side benchmarks: Lookout vs pyais, libais, DuckDB and the Python oracle.
#
#   bench/run.sh                 # full run, rewrites bench/RESULTS.md
#   QUICK=1 bench/run.sh         # small inputs, for trying the script (RESULTS.md untouched)
#
# Environment: NMEA_TARGET (sentences, default 2000000), CSV_TARGET (rows, 3000000),
# TRACKS_TARGET (positions, 2500000), SUBSET (oracle rows, 50000), REPEAT (3),
# THREADS (default: nproc), CARGO_TARGET_DIR (default: target).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
WORK=$ROOT/bench/work
mkdir -p "$WORK"

if [[ "${QUICK:-0}" == 1 ]]; then
  : "${NMEA_TARGET:=100000}" "${CSV_TARGET:=200000}" "${TRACKS_TARGET:=500000}"
  WORK=$WORK/quick
  mkdir -p "$WORK"
fi
NMEA_TARGET=${NMEA_TARGET:-2000000}
CSV_TARGET=${CSV_TARGET:-3000000}
TRACKS_TARGET=${TRACKS_TARGET:-2500000}
SUBSET=${SUBSET:-50000}
REPEAT=${REPEAT:-3}
THREADS=${THREADS:-$(nproc)}
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
VENV=$ROOT/bench/work/venv

echo "== step 1/4: python venv ($VENV)" >&2
if [[ ! -x $VENV/bin/python ]]; then
  python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install -q --disable-pip-version-check -r bench/requirements.txt
if ! "$VENV/bin/python" -c 'import ais' 2>/dev/null; then
  if ! "$VENV/bin/pip" install -q --disable-pip-version-check libais >"$WORK/libais-install.log" 2>&1; then
    echo "libais: pip install failed (see $WORK/libais-install.log); the libais column will say so" >&2
  fi
fi

echo "== step 2/4: cargo build --release -p lookout" >&2
cargo build --release -p lookout
LOOKOUT=$TARGET_DIR/release/lookout

echo "== step 3/4: generate inputs in $WORK (replays of shared/data/ais)" >&2
WANT="$NMEA_TARGET $CSV_TARGET $TRACKS_TARGET $SUBSET $(sha1sum bench/gen_data.py | cut -c1-12)"
if [[ ! -f $WORK/manifest.json || "$(cat "$WORK/targets" 2>/dev/null)" != "$WANT" ]]; then
  "$VENV/bin/python" bench/gen_data.py --out-dir "$WORK" --nmea-target "$NMEA_TARGET" \
    --csv-target "$CSV_TARGET" --tracks-target "$TRACKS_TARGET" --subset "$SUBSET" >"$WORK/manifest.json"
  echo "$WANT" >"$WORK/targets"
else
  echo "inputs already there for these targets" >&2
fi

echo "== step 4/4: measurements" >&2
RESULTS=$ROOT/bench/RESULTS.md
[[ "${QUICK:-0}" == 1 ]] && RESULTS=$WORK/RESULTS.md
"$VENV/bin/python" bench/compare.py --lookout "$LOOKOUT" --work "$WORK" --threads "$THREADS" \
  --repeat "$REPEAT" --results "$RESULTS" --json-out "$WORK/results.json"
