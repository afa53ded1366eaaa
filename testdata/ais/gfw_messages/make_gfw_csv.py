#!/usr/bin/env python3
"""Writes `gfw_messages.csv.gz`: real AIS messages in Global Fishing Watch's message CSV
layout (`ssvid,seg_id,timestamp,lat,lon,speed_knots,course,heading,type,shipname,
callsign,imo`, `NA` for missing, times as BigQuery exports them: `2017-07-18 00:07:20 UTC`).

Rows, in this order:
1. every message of the three GFW segmenter test files (`gfw_segment_*.jsonl`, positions
   only): `seg_id` is the file's own `expected` segment where it has one, else `NA`; the
   message type is not in those files, so `type` is `NA`;
2. every timestamped message of types 1, 2, 3, 18 (positions: `AIS.<n>`) and 5, 24
   (identity: `AIS.5` / `AIS.24`, `lat`/`lon` = `NA`, name, call sign and IMO when the
   message states them) of `dma_aislib_stream_example_2010-06-11.txt`, decoded by
   `lookout decode --json` (set LOOKOUT to the binary; default `lookout`); position
   messages whose position is marked not available are left out.

Usage: LOOKOUT=target/debug/lookout python3 testdata/ais/gfw_messages/make_gfw_csv.py SHARED_AIS_DIR
"""
import csv
import gzip
import io
import json
import os
import subprocess
import sys
from datetime import datetime, timezone

HEADER = ["ssvid", "seg_id", "timestamp", "lat", "lon", "speed_knots", "course", "heading",
          "type", "shipname", "callsign", "imo"]
SEGMENT_FILES = ["gfw_segment_263576000.jsonl", "gfw_segment_338013000.jsonl", "gfw_segment_416000000.jsonl"]
NMEA_FILE = "dma_aislib_stream_example_2010-06-11.txt"


def na(v):
    return "NA" if v is None or v == "" else str(v)


def bigquery_time(text):
    t = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if t.tzinfo is None:
        t = t.replace(tzinfo=timezone.utc)
    t = t.astimezone(timezone.utc)
    frac = f".{t.microsecond:06d}".rstrip("0").rstrip(".") if t.microsecond else ""
    return t.strftime("%Y-%m-%d %H:%M:%S") + frac + " UTC"


def segment_rows(path):
    with open(path, encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            yield [d["ssvid"], na(d.get("expected")), bigquery_time(d["timestamp"]), na(d["lat"]), na(d["lon"]),
                   na(d.get("speed")), na(d.get("course")), "NA", "NA", "NA", "NA", "NA"]


def nmea_rows(path):
    lookout = os.environ.get("LOOKOUT", "lookout")
    out = subprocess.run([lookout, "decode", "--json", path], check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        m = json.loads(line)
        t, kind = m.get("timestamp"), m.get("type")
        if t is None:
            continue
        when = bigquery_time(t)
        if kind in (1, 2, 3, 18):
            if m.get("lat") is None or m.get("lon") is None:
                continue  # the decoder omits a position the message marks not available
            yield [m["mmsi"], "NA", when, m["lat"], m["lon"], na(m.get("sog")), na(m.get("cog")),
                   na(m.get("heading")), f"AIS.{kind}", "NA", "NA", "NA"]
        elif kind in (5, 24):
            name, call, imo = m.get("name"), m.get("call_sign"), m.get("imo")
            if name is None and call is None and imo is None:
                continue  # a type 24 part B with only a ship type: GFW's layout has no column for it
            yield [m["mmsi"], "NA", when, "NA", "NA", "NA", "NA", "NA", f"AIS.{kind}",
                   na(name), na(call), na(imo or None)]


def main():
    shared = sys.argv[1]
    here = os.path.dirname(os.path.abspath(__file__))
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(HEADER)
    for name in SEGMENT_FILES:
        w.writerows(segment_rows(os.path.join(shared, name)))
    w.writerows(nmea_rows(os.path.join(shared, NMEA_FILE)))
    with open(os.path.join(here, "gfw_messages.csv.gz"), "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as gz:
            gz.write(buf.getvalue().encode("utf-8"))


if __name__ == "__main__":
    main()
