#!/usr/bin/env bash
# Rebuilds data/ports/world_ports.csv.gz from the port list that the PyPI package
# searoute (Apache-2.0) ships as searoute/data/ports.geojson (UN/LOCODE codes and
# positions). Run by hand; never at build or test time. Needs python3 and pip.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
version="$(cat "$here/searoute.version")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 -m pip download --no-deps --no-binary :all: "searoute==$version" -d "$work" -q
tar xzf "$work/searoute-$version.tar.gz" -C "$work" "searoute-$version/searoute/data/ports.geojson"
python3 "$here/build_ports.py" "$work/searoute-$version/searoute/data/ports.geojson" \
  "$repo/data/ports/world_ports.csv.gz"
