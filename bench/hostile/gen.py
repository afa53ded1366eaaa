#!/usr/bin/env python3
"""Hostile corpus generator: damaged, oddly encoded and crafted variants of the real files
in data/demo/, plus metric series, zone files, rules files and params for the other
commands. Python 3 standard library only; deterministic for a given --seed (gzip members
carry mtime 0, every random choice comes from one seeded PRNG).

    python3 bench/hostile/gen.py --out /tmp/hostile [--seed 14]

Writes the files into --out (created; never commit them) and a manifest, cases.json:
one entry per case with its file, kind (ais | zones | rules | params | metric |
anomaly_params) and, for variants that keep every byte of content, the case whose record
count they must reproduce (`same_records_as`); `expect_ok` marks clean inputs that must
be accepted, `expect_error` invalid ones that must be refused. The total stays under ~300 MB on disk; the
gzip bomb is a few MB on disk and ~600 MB once decompressed.
"""

import argparse
import gzip
import io
import json
import os
import random
import sys
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEMO = os.path.join(ROOT, "data", "demo")

SOURCES = {
    # name: (file in data/demo, gzip-compressed?)
    "nmea": ("gfw_listener_nmea-with-tagblock.txt.gz", True),
    "gfw": ("gfw_segment_338013000.jsonl.gz", True),
    "dma": ("dma_collision_2021-12-13_219021240_232018267.csv", False),
    "ship": ("shipstrike_kitimat_2019-07-01_14.csv.gz", True),
}
EXT = {"nmea": ".nmea", "gfw": ".jsonl", "dma": ".csv", "ship": ".csv"}
# Sources with a header line: damage never touches it, so the format stays detectable.
HEADER = {"nmea": False, "gfw": False, "dma": True, "ship": True}

MB = 1 << 20


def gz(data, level=6):
    """Deterministic gzip (mtime 0, no file name)."""
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=level, mtime=0, filename="") as f:
        f.write(data)
    return buf.getvalue()


def load_sources():
    out = {}
    for name, (fname, zipped) in SOURCES.items():
        with open(os.path.join(DEMO, fname), "rb") as f:
            raw = f.read()
        out[name] = gzip.decompress(raw) if zipped else raw
    return out


def lines_of(data):
    return data.split(b"\n")


def body_start(name, data):
    """Offset of the first data line (after the header when there is one)."""
    return data.index(b"\n") + 1 if HEADER[name] else 0


class Corpus:
    def __init__(self, out, rng):
        self.out = out
        self.rng = rng
        self.cases = []
        self.total = 0

    def add(self, case, suffix, data, kind="ais", **extra):
        path = os.path.join(self.out, case + suffix)
        with open(path, "wb") as f:
            f.write(data)
        self.total += len(data)
        self.cases.append(dict(case=case, file=os.path.basename(path), kind=kind, **extra))

    def add_stream(self, case, suffix, chunks, kind="ais", **extra):
        """Writes a large file chunk by chunk so memory stays small."""
        path = os.path.join(self.out, case + suffix)
        with open(path, "wb") as f:
            for c in chunks:
                f.write(c)
        self.total += os.path.getsize(path)
        self.cases.append(dict(case=case, file=os.path.basename(path), kind=kind, **extra))


# ---------------------------------------------------------------- generic damage


def bit_flips(rng, data, start, n):
    b = bytearray(data)
    for _ in range(n):
        i = rng.randrange(start, len(b))
        b[i] ^= 1 << rng.randrange(8)
    return bytes(b)


def cut_mid_line(data, fraction):
    """Cut inside a line near `fraction` of the file (never on a line boundary)."""
    i = int(len(data) * fraction)
    while i < len(data) and data[i - 1 : i] in (b"\n", b"\r"):
        i += 1
    return data[: i + 3]


def line_endings(data, style, rng):
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    if style == "crlf":
        return b"".join(l + b"\r\n" for l in lines)
    if style == "cr":
        return b"".join(l + b"\r" for l in lines)
    # mixed: LF, CRLF, CR and the reversed "\n\r" pair, chosen per line.
    ends = [b"\n", b"\r\n", b"\r", b"\n\r"]
    return b"".join(l + rng.choice(ends) for l in lines)


def insert_at_line(data, name, where, blob):
    """Inserts `blob` inside the data line at fraction `where` of the body (0 = first line)."""
    start = body_start(name, data)
    target = start + int((len(data) - start) * where)
    nl = data.find(b"\n", target)
    nl = len(data) if nl < 0 else nl
    return data[:nl] + blob + data[nl:]


def encodings(c, name, data):
    text = data.decode("utf-8")
    ext = EXT[name]
    # Same content, other encodings: every record must still be read (BOM) or the file
    # refused with a message (no BOM); never a panic or garbage.
    c.add(f"{name}_utf16le_bom", ext, b"\xff\xfe" + text.encode("utf-16-le"), same_records_as=f"{name}_plain")
    c.add(f"{name}_utf16be_bom", ext, b"\xfe\xff" + text.encode("utf-16-be"), same_records_as=f"{name}_plain")
    c.add(f"{name}_utf16le_nobom", ext, text.encode("utf-16-le"))
    c.add(f"{name}_utf8_bom", ext, b"\xef\xbb\xbf" + data, same_records_as=f"{name}_plain")
    # One bad byte early (first line of data) and late (last ~5 %): one reject wherever.
    for label, where in (("early", 0.0), ("late", 0.95)):
        c.add(f"{name}_latin1_{label}", ext, insert_at_line(data, name, where, "caf\u00e9".encode("latin-1")))
        c.add(f"{name}_cp949_{label}", ext, insert_at_line(data, name, where, "\ud55c\uad6d".encode("cp949")))
        c.add(f"{name}_nul_{label}", ext, insert_at_line(data, name, where, b"\x00"))
        c.add(f"{name}_ff_{label}", ext, insert_at_line(data, name, where, b"\xff\xfe\xc0"))


def damage(c, name, data, rng):
    ext = EXT[name]
    start = body_start(name, data)
    zipped = gz(data)
    c.add(f"{name}_plain", ext, data, expect_ok=True)
    c.add(f"{name}_gz", ext + ".gz", zipped, expect_ok=True, same_records_as=f"{name}_plain")
    c.add(f"{name}_cut_midline", ext, cut_mid_line(data, 0.5))
    c.add(f"{name}_cut_gz_member", ext + ".gz", zipped[: len(zipped) * 6 // 10])
    c.add(f"{name}_cut_gz_header", ext + ".gz", zipped[:7])
    c.add(f"{name}_gz_bad_crc", ext + ".gz", zipped[:-8] + bytes(b ^ 0xFF for b in zipped[-8:-4]) + zipped[-4:])
    c.add(f"{name}_gz_flipped", ext + ".gz", zipped[:10] + bit_flips(rng, zipped[10:-8], 0, 5) + zipped[-8:])
    c.add(f"{name}_gz_trailing_junk", ext + ".gz", zipped + bytes(rng.randrange(256) for _ in range(4096)))
    c.add(f"{name}_gz_two_members", ext + ".gz", zipped + zipped)
    c.add(f"{name}_gz_of_gz", ext + ".gz", gz(zipped))
    c.add(f"{name}_bitflips", ext, bit_flips(rng, data, start, 200))
    for style in ("crlf", "cr", "mixed"):
        c.add(f"{name}_eol_{style}", ext, line_endings(data, style, rng), same_records_as=f"{name}_plain")
    c.add(f"{name}_no_final_newline", ext, data.rstrip(b"\n"), same_records_as=f"{name}_plain")
    encodings(c, name, data)
    c.add(f"{name}_junk_appended", ext, data + bytes(rng.randrange(256) for _ in range(65536)))
    c.add(f"{name}_huge_field_5mb", ext, insert_at_line(data, name, 0.5, b"9" * (5 * MB)))
    c.add(f"{name}_long_lines", ext, insert_at_line(data, name, 0.3, b"\n" + b"x," * (MB // 2)))


# ---------------------------------------------------------------- crafted values


def crafted_nmea(c, data, rng):
    lines = [l for l in data.split(b"\n") if l]

    def nmea_sum(body):
        s = 0
        for b in body:
            s ^= b
        return b"%02X" % s

    def retag(line, tag_body):
        """Replace the tag block of `line` with `tag_body` (correct tag checksum)."""
        sentence = line[line.index(b"\\", 1) + 1 :]
        return b"\\" + tag_body + b"*" + nmea_sum(tag_body) + b"\\" + sentence

    bad = []
    for l in lines:
        if rng.random() < 0.1:
            l = l[:-2] + (b"00" if l[-2:] != b"00" else b"11")
        bad.append(l)
    c.add("nmea_bad_checksums", ".nmea", b"\n".join(bad) + b"\n")
    # Lines in DMA's `$PGHP` style before sentences, some with a wrong checksum.
    pghp = []
    for i, l in enumerate(lines[:2000]):
        body = b"PGHP,1,2022,11,10,3,%d,%d,0,219,2190064,1,00" % (i % 60, i % 60)
        s = nmea_sum(body) if i % 3 else b"00"
        pghp.append(b"$" + body + b"*" + s)
        pghp.append(l[l.index(b"\\", 1) + 1 :])
    c.add("nmea_pghp_bad_checksums", ".nmea", b"\n".join(pghp) + b"\n")
    stamps = [b"c:0", b"c:-1", b"c:253402300799", b"c:253402300799000", b"c:99999999999999999999",
              b"c:1e308", b"c:NaN", b"c:-62167219200", b"c:", b"c:18446744073709551616"]
    crafted = []
    for i, l in enumerate(lines[:3000]):
        if l.startswith(b"\\s:") and b",c:" in l[:40]:
            crafted.append(retag(l, b"s:117," + stamps[i % len(stamps)]))
        else:
            crafted.append(l)
    c.add("nmea_crafted_stamps", ".nmea", b"\n".join(crafted) + b"\n")
    # Unfinished tag blocks, huge fragment counts, empty payloads, `!` alone.
    odd = [b"\\", b"\\s:1", b"\\*00\\", b"!", b"!AIVDM", b"!AIVDM,9,9,9,A,,0*00",
           b"!AIVDM,1,1,,A," + b"0" * 100000 + b",0*00", b"!AIVDM,255,1,1,A,0,0*" + nmea_sum(b"AIVDM,255,1,1,A,0,0"),
           b"!AIVDM,1,1,,A,15M67FC000G?ufbE`FepT@3n00Sa,9*" + nmea_sum(b"AIVDM,1,1,,A,15M67FC000G?ufbE`FepT@3n00Sa,9"),
           b"$PGHP", b"$PGHP,,,,,,,,,,,,*00", b"\\g:1-2-3*00\\!AIVDM,2,1,0,A,0,0*00"]
    c.add("nmea_odd_sentences", ".nmea", b"\n".join(odd * 50 + lines[:500]) + b"\n")


def crafted_gfw(c, data):
    lines = [json.loads(l) for l in data.split(b"\n") if l.strip()]
    ids = ["0", "-1", "1.5", '"abc"', "1e308", '"1e308"', "-0", "18446744073709551616", '""', "null", "[]", "{}"]
    coords = ["NaN", "Infinity", "-Infinity", '"NaN"', "1e308", "-1e308", "null", '"52.1"']
    # JSON literals: ISO stamps at the edges of time, epoch numbers, an impossible date.
    stamps = ['"0000-01-01T00:00:00Z"', '"1969-12-31T23:59:59Z"', '"1970-01-01T00:00:00Z"', '"9999-12-31T23:59:59Z"',
              "253402300799", "253402300799000", "-1", '"2017-02-30T00:00:00Z"', "1e308"]
    out = []
    for i, rec in enumerate(lines):
        ts = rec["timestamp"]
        ssvid, lat, lon = str(rec["ssvid"]), repr(rec["lat"]), repr(rec["lon"])
        stamp = json.dumps(ts)
        if i % 4 == 1:
            ssvid = ids[(i // 4) % len(ids)]
        elif i % 4 == 2:
            lat = coords[(i // 4) % len(coords)]
            lon = coords[(i // 4 + 3) % len(coords)]
        elif i % 4 == 3:
            stamp = stamps[(i // 4) % len(stamps)]
        out.append('{"timestamp": %s, "ssvid": %s, "lon": %s, "lat": %s, "speed": %s, "course": %s}'
                   % (stamp, ssvid, lon, lat, rec.get("speed", 0), rec.get("course", 0)))
    c.add("gfw_crafted_values", ".jsonl", ("\n".join(out) + "\n").encode())
    deep = '{"ssvid": ' + "[" * 100000 + "]" * 100000 + "}"
    c.add("gfw_deep_nesting", ".jsonl", (deep + "\n").encode() + data)
    c.add("gfw_truncated_objects", ".jsonl", b"\n".join(l[: len(l) // 2] for l in data.split(b"\n")[:300]))


def crafted_csv(c, name, data):
    lines = data.decode().rstrip("\n").split("\n")
    header, rows = lines[0], lines[1:]
    cols = header.split(",")
    c.add(f"{name}_header_only", ".csv", (header + "\n").encode())
    c.add(f"{name}_header_only_nonl", ".csv", header.encode())
    crafted = [header]
    if name == "dma":
        times = ["0000-01-01 00:00:00", "1969-12-31 23:59:59", "1970-01-01 00:00:00", "9999-12-31 23:59:59",
                 "2021-02-30 00:00:00", "", "253402300799", "13/13/2021 25:61:61"]
        ti, la, lo = cols.index("# Timestamp"), cols.index("Latitude"), cols.index("Longitude")
        mi = cols.index("MMSI")
    else:
        # Shipstrike: epoch seconds in `datetime`, `length` in metres.
        times = ["0", "-1", "-62167219200", "253402300799", "253402300799000", "1e308", "NaN", ""]
        ti, la, lo = cols.index("datetime"), cols.index("y"), cols.index("x")
        mi = cols.index("vid")
    vals = ["NaN", "inf", "-inf", "1e308", "-1e308", "", "nan", "1,5"]
    ids = ["0", "-1", "1.5", "abc", "1e308", "", "NaN", "18446744073709551616"]
    for i, row in enumerate(rows):
        f = row.split(",")
        k = i % 5
        if k == 1:
            f[ti] = times[(i // 5) % len(times)]
        elif k == 2:
            f[la] = vals[(i // 5) % len(vals)]
            f[lo] = vals[(i // 5 + 1) % len(vals)]
        elif k == 3:
            f[mi] = ids[(i // 5) % len(ids)]
        elif k == 4 and "length" in cols:
            for col in ("length", "width", "draft", "speed"):
                f[cols.index(col)] = ["1e308", "-1", "NaN", "inf"][(i // 5) % 4]
        crafted.append(",".join(f).replace("\n", " "))
    c.add(f"{name}_crafted_values", ".csv", ("\n".join(crafted) + "\n").encode())
    c.add(f"{name}_ragged_rows", ".csv",
          ("\n".join([header] + [r + ",extra,extra" if i % 2 else r.rsplit(",", 3)[0] for i, r in enumerate(rows)])
           + "\n").encode())
    quoted = [header] + ['"' + r if i % 7 == 0 else r for i, r in enumerate(rows)]
    c.add(f"{name}_unbalanced_quotes", ".csv", ("\n".join(quoted) + "\n").encode())


# ---------------------------------------------------------------- whole-file oddities


def global_cases(c, rng):
    c.add("empty", ".csv", b"")
    c.add("empty_nmea", ".nmea", b"")
    c.add("empty_gz", ".csv.gz", gz(b""))
    c.add("only_newlines", ".csv", b"\n" * 10000)
    c.add("only_crs", ".nmea", b"\r" * 10000)
    c.add("binary_junk", ".bin", bytes(rng.randrange(256) for _ in range(MB)))
    c.add("binary_junk_gz", ".csv.gz", gz(bytes(rng.randrange(256) for _ in range(MB))))
    c.add("gzip_magic_only", ".nmea.gz", b"\x1f\x8b")
    # 50 MB on one line without a newline, NMEA-looking then CSV-looking.
    c.add_stream("huge_line_50mb_nmea", ".nmea", (b"!AIVDM,1,1,,A," if i == 0 else b"0" * MB for i in range(51)))
    c.add_stream("huge_line_50mb_csv", ".csv",
                 (b"mmsi,timestamp,lat,lon\n" if i == 0 else b"1" * MB for i in range(51)))

    # A gzip bomb-ish file: one ~600 MB line (a real NMEA sentence repeated without
    # newlines), a few MB on disk.
    def bomb(header):
        z = zlib.compressobj(9, zlib.DEFLATED, 31)
        yield z.compress(header)
        chunk = b"!AIVDM,1,1,,A,15M67FC000G?ufbE`FepT@3n00Sa,0*5C" * (MB // 48)
        for _ in range(600):
            yield z.compress(chunk)
        yield z.compress(b"\n")
        yield z.flush()

    c.add_stream("gzip_bomb_one_line", ".nmea.gz", bomb(b"\\s:1,c:1668046497*00\\"))


# ---------------------------------------------------------------- other inputs


def zones_cases(c):
    """Variants of the shipped Kitimat demo zones: broken rings, wrong shapes and types."""
    with open(os.path.join(ROOT, "data", "zones", "kitimat_demo.geojson"), "rb") as f:
        real = f.read()
    doc = json.loads(real)
    feature = doc["features"][-1]
    ring = feature["geometry"]["coordinates"][0]

    def with_geometry(gtype, coords, props=None):
        f = json.loads(json.dumps(feature))
        f["geometry"] = {"type": gtype, "coordinates": coords}
        if props is not None:
            f["properties"] = props
        return json.dumps({"type": "FeatureCollection", "features": doc["features"][:-1] + [f]}).encode()

    c.add("zones_real", ".geojson", real, kind="zones", expect_ok=True)
    c.add("zones_unclosed_ring", ".geojson", with_geometry("Polygon", [ring[:-1]]), kind="zones", expect_error=True)
    (x0, y0), (x1, y1) = ring[0], ring[len(ring) // 2]
    bowtie = [[x0, y0], [x1, y1], [x1, y0], [x0, y1], [x0, y0]]
    c.add("zones_self_intersecting", ".geojson", with_geometry("Polygon", [bowtie]), kind="zones", expect_error=True)
    c.add("zones_two_points", ".geojson", with_geometry("Polygon", [[ring[0], ring[0]]]), kind="zones")
    c.add("zones_empty_ring", ".geojson", with_geometry("Polygon", [[]]), kind="zones")
    c.add("zones_no_rings", ".geojson", with_geometry("MultiPolygon", []), kind="zones", expect_error=True)
    c.add("zones_huge_coords", ".geojson",
          with_geometry("Polygon", [[[1e308, 1e308], [-1e308, 0], [0, -1e308], [1e308, 1e308]]]), kind="zones")
    c.add("zones_out_of_range", ".geojson",
          with_geometry("Polygon", [[[-500, 100], [500, 100], [500, -100], [-500, 100]]]), kind="zones")
    c.add("zones_wrong_types", ".geojson", with_geometry("Polygon", "not a ring"), kind="zones")
    c.add("zones_string_coords", ".geojson", with_geometry("Polygon", [[[str(x), str(y)] for x, y in ring]]), kind="zones")
    c.add("zones_no_properties", ".geojson", with_geometry("Polygon", [ring], props={}), kind="zones")
    c.add("zones_unknown_zone", ".geojson", with_geometry("Polygon", [ring], props={"zone": "ATLANTIS", "country": 5}),
          kind="zones")
    c.add("zones_unknown_geometry", ".geojson", with_geometry("Hexagon", [ring]), kind="zones")
    c.add("zones_deep_nesting", ".geojson", with_geometry("Polygon", json.loads("[" * 120 + "]" * 120)), kind="zones")
    c.add("zones_deeper_nesting", ".geojson", ("[" * 100000 + "]" * 100000).encode(), kind="zones")
    c.add("zones_truncated", ".geojson", real[: len(real) // 2], kind="zones")
    c.add("zones_utf16", ".geojson", b"\xff\xfe" + real.decode().encode("utf-16-le"), kind="zones")
    c.add("zones_empty", ".geojson", b"", kind="zones")
    # A valid but very detailed ring: 200,000 vertices on a zig-zag around the real box.
    zig = [[x0 + (x1 - x0) * i / 200000, y0 + (i % 2) * 1e-3] for i in range(200000)]
    c.add("zones_many_vertices", ".geojson", with_geometry("Polygon", [zig + [[x1, y1], [x0, y1], zig[0]]]),
          kind="zones")


def rules_cases(c):
    """Variants of the shipped rules/default.toml."""
    with open(os.path.join(ROOT, "rules", "default.toml"), "rb") as f:
        default = f.read()
    first = b'[[rules]]\nid = "gaps"\nalgorithm = "gaps"\n'
    assert first in default, "rules/default.toml changed shape: update gen.py"

    def first_rule(extra):
        return default.replace(first, first + extra, 1)

    c.add("rules_default", ".toml", default, kind="rules", expect_ok=True)
    c.add("rules_truncated", ".toml", default[: len(default) // 2], kind="rules")
    c.add("rules_wrong_types", ".toml",
          default.replace(b'id = "gaps"', b"id = 5", 1).replace(b"weight = 1.0", b'weight = "heavy"', 1), kind="rules")
    c.add("rules_unknown_keys", ".toml", first_rule(b"frobnicate = true\n") + b"\n[extra]\nx = 1\n", kind="rules")
    for label, value in (("nan", b"nan"), ("inf", b"inf"), ("negative", b"-1.0"), ("huge", b"1e308")):
        c.add(f"rules_{label}_weight", ".toml", default.replace(b"weight = 1.0", b"weight = " + value, 1), kind="rules")
    c.add("rules_cycle", ".toml", first_rule(b'depends_on = ["dark_suspicion"]\n'), kind="rules")
    c.add("rules_self_dependency", ".toml", first_rule(b'depends_on = ["gaps"]\n'), kind="rules")
    c.add("rules_missing_dependency", ".toml", first_rule(b'depends_on = ["no_such_rule"]\n'), kind="rules")
    c.add("rules_duplicate_id", ".toml", default + b'\n[[rules]]\nid = "gaps"\nalgorithm = "gaps"\n', kind="rules")
    c.add("rules_unknown_algorithm", ".toml", default.replace(b'algorithm = "gaps"', b'algorithm = "no_such"', 1),
          kind="rules")
    c.add("rules_bad_model", ".toml", default.replace(b'model = "gaps@active"', b'model = "gaps@-99999999999"', 1),
          kind="rules")
    c.add("rules_bad_params", ".toml", first_rule(b"params = { bogus = [], min_gap_minutes = \"x\" }\n"), kind="rules")
    c.add("rules_nan_params", ".toml", first_rule(b"params = { min_gap_minutes = nan }\n"), kind="rules")
    c.add("rules_empty", ".toml", b"", kind="rules")
    c.add("rules_binary", ".toml", bytes(range(256)) * 4, kind="rules")
    c.add("rules_deep_nesting", ".toml", b"x = " + b"[" * 100000 + b"]" * 100000 + b"\n", kind="rules")
    many = b"".join(b'\n[[rules]]\nid = "gaps_%d"\nalgorithm = "gaps"\nweight = 0.0\n' % i for i in range(300))
    c.add("rules_300_rules", ".toml", default + many, kind="rules")


def params_cases(c):
    with open(os.path.join(DEMO, "params.json"), "rb") as f:
        demo = f.read()
    c.add("params_demo", ".json", demo, kind="params", expect_ok=True)
    bad = {
        "params_unknown_key": {"weights": {"P1_moving_of": 1}, "frobnicate": True},
        "params_wrong_types": {"weights": "heavy", "p5_daytime_range": "6-18", "coverage": [1, 2]},
        "params_inverted": {"coverage": {"lat_min": 54.0, "lat_max": 52.5, "lon_min": -128.0, "lon_max": -130.5},
                            "p5_daytime_range": [18, 6]},
        "params_huge": {"weights": {"out_of_coverage": 1e308}, "coverage": {"lat_min": -1e308, "lat_max": 1e308}},
        "params_bad_timezone": {"timezone": "Mars/Olympus_Mons"},
        "params_not_object": [1, 2, 3],
    }
    for case, obj in bad.items():
        c.add(case, ".json", json.dumps(obj).encode(), kind="params", expect_error=True)
    c.add("params_nan_literal", ".json", b'{"weights": {"out_of_coverage": NaN}}', kind="params")
    c.add("params_truncated", ".json", demo[: len(demo) // 2], kind="params")
    c.add("params_deep", ".json", b'{"weights": ' + b"[" * 100000 + b"]" * 100000 + b"}", kind="params")


def metric_cases(c, ship):
    """A real metric series: positions per 10 minutes in the shipstrike extract."""
    counts = {}
    for line in ship.decode().split("\n")[1:]:
        f = line.split(",")
        if len(f) > 6 and f[6].isdigit():
            b = int(f[6]) // 600 * 600
            counts[b] = counts.get(b, 0) + 1
    from datetime import datetime, timezone
    rows = [(datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%d %H:%M:%S"), n) for t, n in sorted(counts.items())]
    plain = "timestamp,value\n" + "".join(f"{t},{n}\n" for t, n in rows)
    c.add("metric_plain", ".csv", plain.encode(), kind="metric", expect_ok=True)
    garbage = ["abc", "NaN", "inf", "-inf", "1e308", "-1e308", "", "1,5", "0x10", "--1"]
    times = ["", "0000-01-01 00:00:00", "9999-12-31 23:59:59", "not a time", "2019-07-01 00:00:00",
             "1969-12-31 23:59:59", "2019-02-30 00:00:00", "253402300799"]
    out = ["timestamp,value"]
    for i, (t, n) in enumerate(rows):
        if i % 6 == 1:
            out.append(f"{t},{garbage[(i // 6) % len(garbage)]}")
        elif i % 6 == 2:
            out.append(f"{times[(i // 6) % len(times)]},{n}")
        elif i % 6 == 3:
            out.append(f"{t}")
        else:
            out.append(f"{t},{n}")
    c.add("metric_garbage_rows", ".csv", ("\n".join(out) + "\n").encode(), kind="metric")
    c.add("metric_header_only", ".csv", b"timestamp,value\n", kind="metric")
    c.add("metric_empty", ".csv", b"", kind="metric")
    c.add("metric_one_row", ".csv", f"timestamp,value\n{rows[0][0]},1\n".encode(), kind="metric")
    c.add("metric_no_value_column", ".csv", plain.replace("value", "v", 1).encode(), kind="metric")
    c.add("metric_reversed", ".csv", ("timestamp,value\n" + "".join(f"{t},{n}\n" for t, n in reversed(rows))).encode(),
          kind="metric")
    c.add("metric_all_same_time", ".csv", ("timestamp,value\n" + "".join(f"{rows[0][0]},{n}\n" for _, n in rows)).encode(),
          kind="metric")
    c.add("metric_huge_values", ".csv",
          ("timestamp,value\n" + "".join(f"{t},{1e308 if i % 2 else -1e308}\n" for i, (t, _) in enumerate(rows))).encode(),
          kind="metric")
    c.add("metric_constant", ".csv", ("timestamp,value\n" + "".join(f"{t},0\n" for t, _ in rows)).encode(), kind="metric")
    c.add("metric_crlf_bom", ".csv", b"\xef\xbb\xbf" + plain.replace("\n", "\r\n").encode(), kind="metric")
    c.add("metric_utf16", ".csv", b"\xff\xfe" + plain.encode("utf-16-le"), kind="metric")
    c.add("metric_binary", ".csv", bytes(range(256)) * 64, kind="metric")
    c.add("metric_huge_field", ".csv", plain.replace(",", "," + "9" * (5 * MB), 2).encode(), kind="metric")
    c.add("metric_series_col", ".csv",
          ("timestamp,value,series\n" + "".join(f"{t},{n},{'ab'[i % 2]}\n" for i, (t, n) in enumerate(rows))).encode(),
          kind="metric", expect_ok=True)
    bad_params = {
        "anomaly_params_unknown_key": b'{"frobnicate": 1}',
        "anomaly_params_wrong_types": b'{"detector": 5, "context": "big", "calibration": []}',
        "anomaly_params_huge": b'{"context": {"bins": 1e308, "rest": -1e308}}',
        "anomaly_params_zero": b'{"context": {"bins": 0, "rest": 0}}',
        "anomaly_params_not_json": b"{detector: baselines",
        # Sizes that would allocate or loop without bound if taken as given.
        "anomaly_params_window_zero": b'{"window": 0, "hidden": 0, "mad_window": 0, "likelihood_short": 0}',
        "anomaly_params_huge_buffers": b'{"mad_window": 1000000000000, "likelihood_history": 1000000000000}',
        "anomaly_params_huge_window": b'{"window": 100000000000, "hidden": 100000000}',
        "anomaly_params_huge_epochs": b'{"epochs": 1000000000000}',
        "anomaly_params_huge_contexts": b'{"context": {"max_contexts": 1000000000000000, "orders": 1000000, "bins": 1000000000000}}',
        "anomaly_params_huge_seasonal": b'{"seasonal_periods": 1000000000000, "suppress": 18446744073709551615}',
        "anomaly_params_negative": b'{"sigma": -1, "ewma_alpha": -5, "z_flag": -1, "ae_weight": 7, "context": {"rest": -1}}',
    }
    for case, text in bad_params.items():
        c.add(case, ".json", text, kind="anomaly_params")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, help="directory for the corpus (created)")
    ap.add_argument("--seed", type=int, default=14)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rng = random.Random(args.seed)
    c = Corpus(args.out, rng)
    src = load_sources()
    for name, data in src.items():
        damage(c, name, data, rng)
    crafted_nmea(c, src["nmea"], rng)
    crafted_gfw(c, src["gfw"])
    crafted_csv(c, "dma", src["dma"])
    crafted_csv(c, "ship", src["ship"])
    global_cases(c, rng)
    zones_cases(c)
    rules_cases(c)
    params_cases(c)
    metric_cases(c, src["ship"])
    with open(os.path.join(args.out, "cases.json"), "w") as f:
        json.dump({"seed": args.seed, "cases": c.cases}, f, indent=1)
    print(f"{len(c.cases)} cases, {c.total / MB:.1f} MB in {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
