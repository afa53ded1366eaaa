#!/usr/bin/env python3
"""Scale benchmark: ingest + one analysis cycle at 1 M / 3 M / (10 M) positions on SQLite
and PostgreSQL, next to DuckDB loading the same CSV and finding the same gaps with LAG.

Run by bench/scale.sh (which builds Lookout in release, makes the venv with DuckDB and
generates the inputs); one process per measured step, timed with /usr/bin/time -v (wall
seconds, peak RSS). Per-rule times come from the cycle statistics Lookout stores.
Writes a Markdown table to --results and the raw numbers to --json-out.
"""
import argparse
import csv
import datetime as dt
import json
import os
import re
import subprocess
import sys
import time

GAP_S = 6000  # the gap threshold compare.py uses for DuckDB (P-model SUSPICIOUS gaps)

TRACK_COLUMNS = ("{'mmsi': 'VARCHAR', 'timestamp': 'TIMESTAMPTZ', 'lat': 'DOUBLE', 'lon': 'DOUBLE', "
                 "'sog': 'DOUBLE', 'cog': 'DOUBLE', 'heading': 'DOUBLE', 'nav_status': 'VARCHAR', "
                 "'ship_kind_code': 'VARCHAR'}")


def timed(cmd, env=None):
    """Runs cmd under /usr/bin/time -v; returns (wall seconds, peak RSS bytes, stdout)."""
    t0 = time.perf_counter()
    p = subprocess.run(['/usr/bin/time', '-v'] + cmd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        sys.stderr.write(p.stdout[-3000:] + p.stderr[-3000:])
        raise SystemExit(f'failed ({p.returncode}): {" ".join(cmd)}')
    m = re.search(r'Maximum resident set size \(kbytes\): (\d+)', p.stderr)
    return wall, int(m.group(1)) * 1024 if m else None, p.stdout


def time_span(path):
    """First and last timestamp of the CSV (ISO strings sort in time order)."""
    lo = hi = None
    with open(path, newline='') as f:
        for row in csv.DictReader(f):
            t = row['timestamp']
            lo = t if lo is None or t < lo else lo
            hi = t if hi is None or t > hi else hi
    parse = lambda s: dt.datetime.fromisoformat(s.replace('Z', '+00:00'))
    return parse(lo), parse(hi)


def cycle_stats(backend, db):
    if backend == 'sqlite':
        out = subprocess.run(['sqlite3', db, 'SELECT stats FROM cycles ORDER BY window_end_ms DESC LIMIT 1'],
                             capture_output=True, text=True, check=True).stdout
    else:
        url, schema = db.split('?schema=')
        out = subprocess.run(['psql', url, '-At', '-c',
                              f'SELECT stats FROM "{schema}".cycles ORDER BY window_end_ms DESC LIMIT 1'],
                             capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def reset(backend, db):
    if backend == 'sqlite':
        for suffix in ('', '-wal', '-shm'):
            if os.path.exists(db + suffix):
                os.remove(db + suffix)
    else:
        url, schema = db.split('?schema=')
        subprocess.run(['psql', url, '-q', '-c', f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'], check=True,
                       capture_output=True)


def make_new_positions(path, out, frac=0.01):
    """The incremental step's input: `frac` of the rows as new positions, 5 s after every
    position of the first vessels (by id) until that many rows; returns (rows, vessels)."""
    with open(path, newline='') as f:
        reader = csv.reader(f)
        header = next(reader)
        rows = list(reader)
    ts = header.index('timestamp')
    by_vessel = {}
    for r in rows:
        by_vessel.setdefault(r[0], []).append(r)
    want, picked, vessels = int(len(rows) * frac), [], 0
    for vid in sorted(by_vessel):
        if len(picked) >= want:
            break
        vessels += 1
        for r in by_vessel[vid]:
            t = dt.datetime.fromisoformat(r[ts].replace('Z', '+00:00')) + dt.timedelta(seconds=5)
            picked.append(r[:ts] + [t.strftime('%Y-%m-%dT%H:%M:%SZ')] + r[ts + 1:])
    with open(out, 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(picked)
    return len(picked), vessels


def lookout_run(lookout, backend, db, path, span, extra=None):
    reset(backend, db)
    ingest_s, ingest_rss, _ = timed([lookout, '--db', db, 'ingest', str(path)])
    first, last = span
    days = (last - first).days + 2
    at = (last + dt.timedelta(seconds=1)).strftime('%Y-%m-%dT%H:%M:%SZ')
    cycle_s, cycle_rss, _ = timed([lookout, '--db', db, 'analyze', '--at', at, '--window', f'{days}d',
                                   '--lookback', '1d'])
    stats = cycle_stats(backend, db)
    rules = {k: v.get('duration_us', 0) / 1e6 for k, v in stats.get('rules', {}).items()}
    out = {'ingest_s': ingest_s, 'ingest_rss': ingest_rss, 'cycle_s': cycle_s, 'cycle_rss': cycle_rss,
           'segmentation_s': stats.get('segmentation_us', 0) / 1e6, 'rules_s': rules,
           'positions': stats.get('positions'), 'tracks': stats.get('tracks'),
           'gaps': stats.get('gaps', {}).get('findings')}
    if extra:
        # Incremental step: 1 % new positions, then the same window again (incremental
        # by default), and the same once more with --full for comparison.
        out['extra_ingest_s'], _, _ = timed([lookout, '--db', db, 'ingest', str(extra)])
        args = [lookout, '--db', db, 'analyze', '--at', at, '--window', f'{days}d', '--lookback', '1d']
        out['incr_s'], out['incr_rss'], _ = timed(args)
        inc = cycle_stats(backend, db).get('incremental') or {}
        out['incr_mode'], out['incr_reason'] = inc.get('mode'), inc.get('reason')
        out['incr_vessels'] = (inc.get('vessels_changed'), inc.get('vessels'))
        out['incr_full_s'], _, _ = timed(args + ['--full'])
    return out


DUCK_SCRIPT = r'''
import duckdb, json, sys, time
path, gap_s = sys.argv[1], int(sys.argv[2])
con = duckdb.connect()
t0 = time.perf_counter()
con.execute("CREATE TABLE t AS SELECT * FROM read_csv(?, header=true, columns=%s)", [path])
t1 = time.perf_counter()
row = con.execute(f"""WITH d AS (SELECT mmsi, epoch(timestamp) - lag(epoch(timestamp))
                      OVER (PARTITION BY mmsi ORDER BY timestamp) AS dt FROM t)
                      SELECT count(*) FILTER (WHERE dt >= {gap_s}), count(*) FROM d""").fetchone()
t2 = time.perf_counter()
print(json.dumps({"load_s": t1 - t0, "gaps_s": t2 - t1, "gaps": row[0], "rows": row[1],
                  "version": duckdb.__version__}))
'''


def duckdb_run(python, path):
    script = DUCK_SCRIPT.replace('%s', TRACK_COLUMNS)
    wall, rss, out = timed([python, '-c', script, str(path), str(GAP_S)])
    r = json.loads(out.strip().splitlines()[-1])
    r.update({'wall_s': wall, 'rss': rss})
    return r


def fmt_rate(n, s):
    return f'{n / s / 1000:,.0f} k/s' if s else '-'


def table(results):
    lines = ['| positions | tool | ingest / load s | rows/s | peak RSS ingest | cycle / gaps s | peak RSS cycle '
             '| × DuckDB (ingest, cycle) | segmentation s | slowest rules (s) |',
             '|---|---|---|---|---|---|---|---|---|---|']
    for size, r in results.items():
        n = int(size)
        d = r.get('duckdb')
        for name in ('sqlite', 'postgres', 'duckdb'):
            x = r.get(name)
            if not x:
                continue
            if name == 'duckdb':
                lines.append(f"| {n:,} | DuckDB {x['version']} | {x['load_s']:.2f} | {fmt_rate(n, x['load_s'])} "
                             f"| {x['rss'] / 2**20:,.0f} MB (one process) | {x['gaps_s']:.2f} ({x['gaps']:,} gaps ≥ {GAP_S} s) "
                             f"| - | 1, 1 | - | - |")
                continue
            ratio = (f"{x['ingest_s'] / d['load_s']:.0f}, {x['cycle_s'] / d['gaps_s']:.0f}" if d else '-')
            slow = sorted(x['rules_s'].items(), key=lambda kv: -kv[1])[:4]
            slow_txt = ', '.join(f'{k} {v:.1f}' for k, v in slow)
            lines.append(f"| {n:,} | Lookout {name} | {x['ingest_s']:.1f} | {fmt_rate(n, x['ingest_s'])} "
                         f"| {x['ingest_rss'] / 2**20:,.0f} MB | {x['cycle_s']:.1f} ({x['gaps']} gap findings) "
                         f"| {x['cycle_rss'] / 2**20:,.0f} MB | {ratio} | {x['segmentation_s']:.2f} | {slow_txt} |")
    lines += ['', '| positions | store | 1 % new positions (vessels) | ingest s | incremental cycle s '
              '| vessels re-analysed | full cycle s | peak RSS incremental |', '|---|---|---|---|---|---|---|---|']
    for size, r in results.items():
        for name in ('sqlite', 'postgres'):
            x = r.get(name)
            if not x or 'incr_s' not in x:
                continue
            changed, total = x['incr_vessels']
            mode = x['incr_mode'] if not x.get('incr_reason') else f"{x['incr_mode']}: {x['incr_reason']}"
            lines.append(f"| {int(size):,} | {name} | {r['new_rows']:,} ({r['new_vessels']:,}) "
                         f"| {x['extra_ingest_s']:.1f} | {x['incr_s']:.1f} ({mode}) | {changed:,} of {total:,} "
                         f"| {x['incr_full_s']:.1f} | {x['incr_rss'] / 2**20:,.0f} MB |")
    return '\n'.join(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--lookout', required=True)
    ap.add_argument('--python', required=True, help='python of the venv with duckdb')
    ap.add_argument('--work', required=True)
    ap.add_argument('--source', required=True, help='tracks.csv from gen_data.py (large enough)')
    ap.add_argument('--sizes', default='1000000,3000000')
    ap.add_argument('--pg', default='', help='PostgreSQL URL; empty: SQLite only')
    ap.add_argument('--results', required=True)
    ap.add_argument('--json-out', required=True)
    args = ap.parse_args()
    results = {}
    for size in [int(s) for s in args.sizes.split(',') if s]:
        path = os.path.join(args.work, f'tracks_{size}.csv')
        if not os.path.exists(path):
            with open(args.source) as src, open(path, 'w') as dst:
                for k, line in enumerate(src):
                    if k > size:
                        break
                    dst.write(line)
        span = time_span(path)
        r = results.setdefault(str(size), {})
        print(f'== {size:,} positions: DuckDB', file=sys.stderr)
        r['duckdb'] = duckdb_run(args.python, path)
        print(f'== {size:,} positions: Lookout SQLite', file=sys.stderr)
        extra = os.path.join(args.work, f'new_{size}.csv')
        r['new_rows'], r['new_vessels'] = make_new_positions(path, extra)
        r['sqlite'] = lookout_run(args.lookout, 'sqlite', os.path.join(args.work, f'scale_{size}.db'), path, span,
                                  extra)
        if args.pg:
            print(f'== {size:,} positions: Lookout PostgreSQL', file=sys.stderr)
            r['postgres'] = lookout_run(args.lookout, 'postgres', f'{args.pg}?schema=bench_scale_{size}', path, span,
                                        extra)
            reset('postgres', f'{args.pg}?schema=bench_scale_{size}')
        os.remove(os.path.join(args.work, f'scale_{size}.db'))
        os.remove(extra)
        with open(args.json_out, 'w') as f:
            json.dump(results, f, indent=1)
        print(table(results), file=sys.stderr)
    text = table(results)
    with open(args.results, 'w') as f:
        f.write(f'# Scale benchmark ({dt.date.today()}, {os.cpu_count()} cores)\n\n{text}\n')
    print(text)


if __name__ == '__main__':
    main()
