#!/usr/bin/env python3
"""DuckDB bucketed self-join over the same resampled samples the Rust bench dumped.

Close pairs (haversine <= D m, same tick, a < b): samples are bucketed by tick and a
latitude band as high as D (a pair within D metres is at most one band apart, since a
meridian arc is never longer than the great-circle distance), joined on tick and
neighbouring bands, then filtered by the same haversine formula and Earth radius as
lookout_detect::transship::haversine_m. Prints one JSON line with the time and counts.

usage: duckdb_pairs.py samples.csv [distance_m] [threads]
"""
import json
import math
import sys
import time

import duckdb

path = sys.argv[1]
dist = float(sys.argv[2]) if len(sys.argv) > 2 else 500.0
threads = int(sys.argv[3]) if len(sys.argv) > 3 else 1
R = 6371008.8
band = math.degrees(dist / R)

con = duckdb.connect()
con.execute(f"SET threads = {threads}")
con.execute(f"CREATE TABLE s AS SELECT tick, v, lat, lon, CAST(floor(lat / {band!r}) AS BIGINT) AS b FROM read_csv_auto('{path}')")
n = con.execute("SELECT count(*) FROM s").fetchone()[0]
t = time.perf_counter()
pair_ticks, pairs = con.execute(f"""
    WITH close AS (
        SELECT x.tick, x.v AS a, y.v AS b
        FROM s x JOIN s y
          ON x.tick = y.tick AND y.b BETWEEN x.b - 1 AND x.b + 1 AND x.v < y.v
        WHERE 2 * {R!r} * asin(least(1.0, sqrt(
                  pow(sin(radians(y.lat - x.lat) / 2), 2)
                + cos(radians(x.lat)) * cos(radians(y.lat)) * pow(sin(radians(y.lon - x.lon) / 2), 2)))) <= {dist!r}
    )
    SELECT count(*), count(DISTINCT (a, b)) FROM close
""").fetchone()
secs = time.perf_counter() - t
print(json.dumps({"engine": "duckdb", "version": duckdb.__version__, "threads": threads, "samples": n,
                  "distance_m": dist, "seconds": round(secs, 4), "pairs": pairs, "pair_ticks": pair_ticks}))
