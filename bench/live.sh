#!/usr/bin/env bash
# Live-path benchmark: sustained positions/s from one TCP feed into `lookout serve`
# (SQLite by default, or DB=postgres://...) with scheduled cycles running, and the delay
# from stored data to its events on /api/v1/stream (p50/p99). Never a timed test.
#
#   bench/live.sh                                   # release build, SQLite, 20 copies
#   COPIES=100 CYCLE_EVERY=1m bench/live.sh
#   DB='postgres://postgres@127.0.0.1:5432/test?schema=bench_live' bench/live.sh
#   LOOKOUT_BIN=target/debug/lookout bench/live.sh
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -z "${LOOKOUT_BIN:-}" ]]; then
    cargo build --release -p lookout >&2
    export LOOKOUT_BIN=target/release/lookout
fi
mkdir -p /tmp/bench-live
python3 bench/live.py
rm -rf /tmp/bench-live
