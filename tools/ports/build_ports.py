"""Writes Lookout's shipped port list from searoute's ports.geojson.

Input: a GeoJSON FeatureCollection of points with properties `name`, `cty` (country
name) and `port` (UN/LOCODE, 5 characters: ISO 3166 alpha-2 country + 3-character
place). Output: gzipped CSV `name,country,lat,lon,kind,locode`, one row per distinct
LOCODE, sorted by LOCODE then name, coordinates rounded to 5 decimals (about 1 m).
Deterministic: the same input gives byte-identical output (gzip mtime 0).
"""
import csv
import gzip
import io
import json
import sys


def main(src: str, dst: str) -> None:
    with open(src, encoding="utf-8") as f:
        features = json.load(f)["features"]
    rows = {}
    for feat in features:
        geom = feat.get("geometry") or {}
        props = feat.get("properties") or {}
        if geom.get("type") != "Point":
            continue
        lon, lat = geom["coordinates"][:2]
        code = (props.get("port") or "").strip().upper()
        name = " ".join((props.get("name") or "").split())
        if len(code) != 5 or not name or not (-90 <= lat <= 90 and -180 <= lon <= 180):
            continue
        # A LOCODE listed twice keeps its first position (file order).
        rows.setdefault(code, (name, code[:2], round(lat, 5), round(lon, 5), "port", code))
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["name", "country", "lat", "lon", "kind", "locode"])
    for code in sorted(rows):
        name, country, lat, lon, kind, locode = rows[code]
        w.writerow([name, country, f"{lat:.5f}", f"{lon:.5f}", kind, locode])
    with open(dst, "wb") as f:
        with gzip.GzipFile(filename="", mode="wb", fileobj=f, mtime=0) as gz:
            gz.write(out.getvalue().encode("utf-8"))
    print(f"{len(rows)} ports -> {dst}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
