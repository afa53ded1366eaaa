#!/usr/bin/env bash
# Rebuilds data/zones/world_approx_zones.geojson.gz (and crates/detect/data/iso3166.csv) from
# Natural Earth via the npm package world-atlas, with shapely/pyproj/pycountry from PyPI.
# Needs node/npm and python3; takes about 15 minutes on 2 cores.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
command -v npm >/dev/null || { echo "tools/zones/build.sh needs Node.js and npm" >&2; exit 1; }
(cd "$here" && npm ci --ignore-scripts --no-audit --no-fund)
python3 -m venv "$here/.venv"
"$here/.venv/bin/pip" install -q -r "$here/requirements.txt"
"$here/.venv/bin/python" "$here/iso3166.py" "$repo/crates/detect/data/iso3166.csv"
"$here/.venv/bin/python" "$here/build_approx_zones.py" \
  "$here/node_modules/world-atlas/countries-50m.json" "$repo/data/zones/world_approx_zones.geojson.gz"
