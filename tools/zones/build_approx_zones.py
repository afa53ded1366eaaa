#!/usr/bin/env python3
"""Builds approximate maritime zones for every coastal state from Natural Earth.

Input: Natural Earth 1:50m admin-0 countries (public domain) as packaged by the npm
package `world-atlas` (TopoJSON). Output: a GeoJSON FeatureCollection in Lookout's zone
format (`zone`, `country`, `name`, `approximate: true`), written gzip-compressed.

Method (documented in data/zones/SOURCES.md, with its error):
1. Distance bands from the coastline: every land polygon of a state is buffered by 12, 24
   and 200 nautical miles in an azimuthal equidistant projection centred on the polygon
   (large polygons are first cut into tiles of at most TILE_DEG degrees so that no point is
   far from its projection centre; the union of the buffers of the tiles is the buffer of
   the polygon). Natural Earth's coastline stands in for the legal baselines.
2. Neighbours: where two states' 200 nm bands overlap, the overlap is divided by
   equidistance: a Voronoi diagram of points sampled every SAMPLE_KM along both states'
   coastlines (in a projection centred on the overlap) gives each part of the overlap to
   the state with the nearer coast.
3. Bands are disjoint: TERRITORIAL_SEA 0-12 nm, CONTIGUOUS_ZONE 12-24 nm, EEZ 24-200 nm,
   all land removed. One feature per state and band, its polygons cut at 1-degree cells so
   that each polygon is small (fast point-in-polygon, none crosses the antimeridian).

Run: tools/zones/build.sh (installs the pinned npm and PyPI packages, then runs this).
"""
from __future__ import annotations

import argparse
import gzip
import json
import math
import sys
from collections import defaultdict

import pycountry
import shapely
import shapely.affinity
from pyproj import Transformer
from shapely.geometry import MultiPoint, MultiPolygon, Polygon, box, mapping
from shapely.ops import unary_union

NM = 1852.0
TILE_DEG = 5.0
SAMPLE_KM = 3.0
SIMPLIFY_M = 300.0
CELL_DEG = 1.0
DECIMALS = 4

# Natural Earth features without an ISO 3166 numeric code whose coast belongs to a state's claim.
NAMED_ISO = {"Somaliland": "SO", "N. Cyprus": "CY", "Indian Ocean Ter.": "AU"}
# No zones are drawn for Antarctica (claims suspended by the Antarctic Treaty); its land still counts as land.
NO_ZONES = {"AQ"}


def decode_topology(path: str) -> list[tuple[str, str | None, MultiPolygon]]:
    topo = json.load(open(path, encoding="utf-8"))
    sx, sy = topo["transform"]["scale"]
    tx, ty = topo["transform"]["translate"]
    arcs = []
    for arc in topo["arcs"]:
        x = y = 0
        pts = []
        for dx, dy in arc:
            x += dx
            y += dy
            pts.append((x * sx + tx, y * sy + ty))
        arcs.append(pts)

    def ring(indices):
        out = []
        for i in indices:
            pts = arcs[i] if i >= 0 else list(reversed(arcs[~i]))
            out.extend(pts if not out else pts[1:])
        return out

    def polygon(rings):
        return wrap(shapely.make_valid(Polygon(unwrap(ring(rings[0])), [unwrap(ring(r)) for r in rings[1:]])))

    states = []
    for g in topo["objects"]["countries"]["geometries"]:
        name = g["properties"]["name"]
        if g["type"] == "Polygon":
            polys = [polygon(g["arcs"])]
        elif g["type"] == "MultiPolygon":
            polys = [polygon(p) for p in g["arcs"]]
        else:
            continue
        geom = shapely.make_valid(MultiPolygon([q for p in polys for q in polygons_of(p)]))
        states.append((name, iso2(g.get("id"), name), geom))
    return states


def unwrap(ring: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """A ring that crosses the antimeridian (a jump of more than 180 degrees between two
    vertices) made continuous past +-180; `wrap` then cuts it back. A ring around a pole
    (Antarctica) does not close when unwrapped and is kept as it is."""
    out = [ring[0]]
    for x, y in ring[1:]:
        px = out[-1][0]
        x += 360.0 * round((px - x) / 360.0)
        out.append((x, y))
    return out if out[0] == out[-1] else ring


def iso2(numeric: str | None, name: str) -> str | None:
    if numeric is None:
        return NAMED_ISO.get(name)
    c = pycountry.countries.get(numeric=numeric)
    return c.alpha_2 if c else NAMED_ISO.get(name)


def polygons_of(geom) -> list[Polygon]:
    if geom.is_empty:
        return []
    if isinstance(geom, Polygon):
        return [geom]
    return [g for g in getattr(geom, "geoms", []) if isinstance(g, Polygon) and not g.is_empty] + [
        p for g in getattr(geom, "geoms", []) if not isinstance(g, Polygon) for p in polygons_of(g)
    ]


def tiles(poly: Polygon) -> list[Polygon]:
    """The polygon cut into tiles of at most TILE_DEG degrees."""
    x0, y0, x1, y1 = poly.bounds
    if x1 - x0 <= TILE_DEG and y1 - y0 <= TILE_DEG:
        return [poly]
    out = []
    for i in range(math.floor(x0 / TILE_DEG), math.ceil(x1 / TILE_DEG)):
        for j in range(math.floor(y0 / TILE_DEG), math.ceil(y1 / TILE_DEG)):
            cut = poly.intersection(box(i * TILE_DEG, j * TILE_DEG, (i + 1) * TILE_DEG, (j + 1) * TILE_DEG))
            out.extend(polygons_of(cut))
    return out


def aeqd(lon: float, lat: float) -> tuple[Transformer, Transformer]:
    # +over keeps longitudes past +-180 unwrapped, so a buffer across the antimeridian stays one shape.
    proj = f"+proj=aeqd +lat_0={lat:.6f} +lon_0={lon:.6f} +datum=WGS84 +units=m +over"
    return (
        Transformer.from_crs("+proj=longlat +datum=WGS84 +over", proj, always_xy=True),
        Transformer.from_crs(proj, "+proj=longlat +datum=WGS84 +over", always_xy=True),
    )


def reproject(geom, transformer: Transformer):
    return shapely.transform(geom, lambda xy: list(zip(*transformer.transform(xy[:, 0], xy[:, 1]))))


def wrap(geom):
    """Brings longitudes back into [-180, 180] by cutting at the antimeridian."""
    parts = []
    for shift in (-360.0, 0.0, 360.0):
        window = box(-180.0 - shift, -90.0, 180.0 - shift, 90.0)
        piece = geom.intersection(window)
        if not piece.is_empty:
            parts.append(shapely.affinity.translate(piece, xoff=shift))
    return unary_union(parts)


def buffer_nm(polys: list[Polygon], nm: float):
    pieces = []
    for poly in polys:
        for tile in tiles(poly):
            c = tile.representative_point()
            fwd, inv = aeqd(c.x, c.y)
            flat = reproject(tile, fwd).simplify(SIMPLIFY_M)
            grown = flat.buffer(nm * NM, quad_segs=8).segmentize(20_000.0)
            pieces.append(reproject(grown, inv))
    return shapely.make_valid(wrap(shapely.make_valid(unary_union(pieces)))) if pieces else Polygon()


def coast_points(polys: list[Polygon], window, fwd: Transformer) -> list[tuple[float, float]]:
    pts = []
    for poly in polys:
        if not poly.intersects(window):
            continue
        edge = reproject(poly.exterior, fwd).segmentize(SAMPLE_KM * 1000.0)
        pts.extend(edge.coords)
    return pts


def split_overlap(a_polys, b_polys, overlap):
    """The part of `overlap` whose nearest coast is b's (equidistance by Voronoi of coast samples)."""
    c = overlap.representative_point()
    fwd, inv = aeqd(c.x, c.y)
    x0, y0, x1, y1 = overlap.bounds
    pad = 200.0 * NM / 111_000.0 / max(math.cos(math.radians(max(abs(y0), abs(y1)))), 0.2) + 1.0
    window = box(x0 - pad, max(y0 - pad, -90), x1 + pad, min(y1 + pad, 90))
    owner = {}
    for label, polys in (("a", a_polys), ("b", b_polys)):
        for p in coast_points(polys, window, fwd):
            key = (round(p[0], 1), round(p[1], 1))
            owner.setdefault(key, label)
    if not any(v == "b" for v in owner.values()) or not any(v == "a" for v in owner.values()):
        return overlap if any(v == "b" for v in owner.values()) else Polygon()
    keys = list(owner)
    overlap_flat = shapely.make_valid(reproject(overlap, fwd))
    cells = shapely.voronoi_polygons(MultiPoint(keys), extend_to=overlap_flat, ordered=True)
    b_cells = [cell for key, cell in zip(keys, cells.geoms) if owner[key] == "b"]
    b_flat = shapely.coverage_union_all(b_cells).intersection(overlap_flat)
    b_side = shapely.make_valid(reproject(b_flat.segmentize(20_000.0), inv))
    return shapely.make_valid(wrap(b_side)).intersection(overlap)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("topology", help="world-atlas countries-50m.json")
    ap.add_argument("out", help="output .geojson.gz")
    ap.add_argument("--only", help="comma-separated ISO alpha-2 codes (for a quick partial build)")
    args = ap.parse_args()

    states = decode_topology(args.topology)
    land = shapely.make_valid(unary_union([g for _, _, g in states]))
    coastal = defaultdict(list)
    for name, iso, geom in states:
        if iso and iso not in NO_ZONES:
            coastal[iso].extend(polygons_of(geom))
    only = set(args.only.split(",")) if args.only else None

    bands = {}
    for n, (iso, polys) in enumerate(sorted(coastal.items())):
        print(f"[{n + 1}/{len(coastal)}] {iso}: buffers", file=sys.stderr)
        bands[iso] = {nm: buffer_nm(polys, nm) for nm in (12.0, 24.0, 200.0)}

    tree_isos = sorted(bands)
    outer = [bands[i][200.0] for i in tree_isos]
    tree = shapely.STRtree(outer)
    lost = defaultdict(list)  # iso -> parts of its 200 nm band that are nearer another state's coast
    for ai, a in enumerate(tree_isos):
        for bi in tree.query(outer[ai], predicate="intersects"):
            b = tree_isos[bi]
            if b <= a:
                continue
            overlap = outer[ai].intersection(outer[bi])
            if overlap.area == 0:
                continue
            print(f"equidistance {a}-{b}", file=sys.stderr)
            b_side = split_overlap(coastal[a], coastal[b], overlap)
            lost[a].append(b_side)
            lost[b].append(overlap.difference(b_side))

    land_parts = polygons_of(land)
    land_tree = shapely.STRtree(land_parts)
    features = []
    for n, iso in enumerate(tree_isos):
        if only and iso not in only:
            continue
        print(f"[{n + 1}/{len(tree_isos)}] {iso}: zones", file=sys.stderr)
        near_land = [land_parts[i] for i in land_tree.query(bands[iso][200.0], predicate="intersects")]
        keep = bands[iso][200.0].difference(unary_union(lost[iso] + near_land))
        b12, b24 = bands[iso][12.0], bands[iso][24.0]
        features.extend(zone_feature(keep.intersection(b12), "TERRITORIAL_SEA", iso))
        features.extend(zone_feature(keep.intersection(b24).difference(b12), "CONTIGUOUS_ZONE", iso))
        features.extend(zone_feature(keep.difference(b24), "EEZ", iso))
    write(args.out, features)


def zone_feature(band, zone: str, iso: str) -> list[dict]:
    """One feature per state and band (episodes are per feature), its polygons cut at 1-degree cells."""
    if band.is_empty:
        return []
    polys = []
    x0, y0, x1, y1 = band.bounds
    for i in range(math.floor(x0 / CELL_DEG), math.ceil(x1 / CELL_DEG)):
        for j in range(math.floor(y0 / CELL_DEG), math.ceil(y1 / CELL_DEG)):
            cell = box(i * CELL_DEG, j * CELL_DEG, (i + 1) * CELL_DEG, (j + 1) * CELL_DEG)
            piece = shapely.set_precision(band.intersection(cell), 10**-DECIMALS)
            polys.extend(p for p in polygons_of(piece) if p.area > 1e-7)
    if not polys:
        return []
    state = pycountry.countries.get(alpha_2=iso)
    label = state.name if state else iso
    props = {"zone": zone, "country": iso, "name": f"{label} {zone} (APPROXIMATE)", "approximate": True}
    return [{"type": "Feature", "properties": props, "geometry": mapping(MultiPolygon(polys))}]


def write(path: str, features: list[dict]) -> None:
    doc = {
        "type": "FeatureCollection",
        "name": "lookout approximate maritime zones",
        "note": "APPROXIMATE: derived from the Natural Earth 1:50m coastline, not from legal baselines "
        "or treaties; see data/zones/SOURCES.md. Not for enforcement.",
        "features": features,
    }
    with gzip.GzipFile(path, "wb", mtime=0) as f:
        f.write(json.dumps(doc, separators=(",", ":"), sort_keys=True).encode("utf-8"))
    print(f"wrote {len(features)} features to {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
