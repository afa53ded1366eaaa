#!/usr/bin/env bash
# Bounded HTTP load on `lookout serve` over loopback: the events list, a vessel detail and
# a vessel's track, on the demo store. A second process (wrk from Debian, or oha from
# crates.io) sends the load; each run is bounded in time and connections and stops by
# itself. Prints requests/s, p50 and p99 per route. Never a timed test: run it by hand.
#
#   bench/api_load.sh                       # release build of `lookout`, wrk or oha
#   LOOKOUT_BIN=target/debug/lookout bench/api_load.sh
#   DURATION=10 CONNECTIONS=16 PORT=18080 bench/api_load.sh
#
# Load tools: `apt-get install wrk`, or `cargo install oha --root bench/.tools`.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-16}
THREADS=${THREADS:-2}
PORT=${PORT:-18080}
BIND="127.0.0.1:${PORT}"
BASE="http://${BIND}"

if [[ -z "${LOOKOUT_BIN:-}" ]]; then
    cargo build --release -p lookout >&2
    LOOKOUT_BIN=target/release/lookout
fi
if [[ -x bench/.tools/bin/oha ]]; then TOOL=oha; OHA=bench/.tools/bin/oha
elif command -v oha >/dev/null; then TOOL=oha; OHA=$(command -v oha)
elif command -v wrk >/dev/null; then TOOL=wrk
else echo "needs wrk (apt-get install wrk) or oha (cargo install oha --root bench/.tools)" >&2; exit 2
fi

work=$(mktemp -d)
server=""
cleanup() {
    if [[ -n "$server" ]]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

db="$work/bench.db"
echo "building the demo store ($db)..." >&2
"$LOOKOUT_BIN" --db "$db" demo >"$work/demo.log" 2>&1
token=$("$LOOKOUT_BIN" --db "$db" tokens create --role viewer --name bench 2>/dev/null)
"$LOOKOUT_BIN" --db "$db" serve --bind "$BIND" >"$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do
    curl -fsS "$BASE/healthz" >/dev/null 2>&1 && break
    sleep 0.1
done

auth="Authorization: Bearer $token"
# A vessel with a gap in the Kitimat fortnight: its track has parts and gaps.
vessel=$(curl -fsS -H "$auth" "$BASE/api/v1/findings?detector=gaps&from=2019-07-01T00:00:00Z&limit=1" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["finding"]["vessel"])')
routes=(
    "events list|/api/v1/events?limit=100"
    "vessel detail|/api/v1/vessels/${vessel}"
    "track (2 weeks, ≤500 points)|/api/v1/vessels/${vessel}/track?from=2019-07-01T00:00:00Z&to=2019-07-15T00:00:00Z&max_points=500"
)

positions=$(curl -fsS -H "$auth" "$BASE/readyz" | python3 -c 'import json,sys; print(dict(json.load(sys.stdin)["store"]["tables"]).get("positions"))')
echo "store: $positions positions; tool: $TOOL, ${CONNECTIONS} connections, ${THREADS} threads, ${DURATION}s per route; binary: $LOOKOUT_BIN"
printf '%-28s %10s %10s %10s\n' route "req/s" p50 p99
for entry in "${routes[@]}"; do
    name=${entry%%|*}
    path=${entry#*|}
    curl -fsS -o /dev/null -H "$auth" "$BASE$path"   # answers 200 before the load
    if [[ $TOOL == wrk ]]; then
        out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -H "$auth" "$BASE$path")
        rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
        p50=$(awk '$1=="50%" {print $2}' <<<"$out")
        p99=$(awk '$1=="99%" {print $2}' <<<"$out")
        errors=$(grep -E "Non-2xx|Socket errors" <<<"$out" || true)
    else
        out=$("$OHA" -z "${DURATION}s" -c "$CONNECTIONS" --no-tui -j -H "$auth" "$BASE$path")
        read -r rps p50 p99 < <(python3 -c 'import json,sys; d=json.load(sys.stdin); s=d["summary"]; p=d["latencyPercentiles"]; print(round(s["requestsPerSec"],1), "%.2fms"%(p["p50"]*1000), "%.2fms"%(p["p99"]*1000))' <<<"$out")
        errors=""
    fi
    printf '%-28s %10s %10s %10s\n' "$name" "$rps" "$p50" "$p99"
    [[ -n "$errors" ]] && echo "  $errors"
done
