#!/bin/sh
# Points/s of the Lookout anomaly detector against a pandas rolling z-score baseline, on the
# NAB corpus, in the same run and on one thread each (RAYON_NUM_THREADS=1).
# Usage: bench/anomaly/run.sh [NAB_DATA_DIR]    (default ../shared/data/nab/data)
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
DATA=${1:-$ROOT/../shared/data/nab/data}
VENV=${VENV:-$HERE/.venv}
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet -r "$HERE/requirements.txt"
fi
cargo build --release --locked -p lookout --quiet
BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release/lookout
echo "pandas $("$VENV/bin/python" -c 'import pandas; print(pandas.__version__)')"
LOOKOUT=$(RAYON_NUM_THREADS=1 "$BIN" anomaly nab --data "$DATA" | grep '^detection:')
PANDAS=$("$VENV/bin/python" "$HERE/rolling_z.py" "$DATA")
echo "lookout (hybrid + baselines + calibration + contextual detector, 1 thread) $LOOKOUT"
echo "$PANDAS"
L=$(echo "$LOOKOUT" | sed -E 's/.* ([0-9]+) points\/s.*/\1/')
for name in "rolling z-score" "rolling MAD z-score"; do
  P=$(echo "$PANDAS" | grep "pandas $name:" | sed -E 's/.* ([0-9]+) points\/s.*/\1/')
  echo "ratio lookout / pandas $name: $(python3 -c "print(f'{$L/$P:.2f}')")"
done
