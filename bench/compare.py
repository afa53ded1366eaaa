#!/usr/bin/env python3
"""Side-by-side throughput: Lookout vs pyais, libais, DuckDB and the Python oracle.

Run through bench/run.sh (it makes the venv, builds, generates data). Every measurement
runs in its own child process so peak memory (ru_maxrss from wait4) belongs to that
tool alone; each tool times only its own work, after its input is loaded (decode) or
with the file in the page cache (CSV, gaps), and prints one JSON line. Counts (messages
by type, rows, gaps, dark vessels) are compared and printed; a mismatch is reported in
the results, never hidden.

Usage: compare.py [--lookout BIN] [--work DIR] [--threads N] [--repeat R] [--only decode|csv|dark]
       compare.py worker NAME ARGS...   (internal)
"""
import argparse
import collections
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
ORACLE = os.path.normpath(os.path.join(ROOT, '..', 'shared', 'oracle', 'oracle.py'))

# ------------------------------------------------------------------------- workers
# Each worker prints {"tool", "items", "seconds", "runs", "counts", ...} on one line.


def best_of(repeat, fn):
    runs, out = [], None
    for _ in range(max(1, repeat)):
        t0 = time.perf_counter()
        out = fn()
        runs.append(time.perf_counter() - t0)
    return runs, out


def w_pyais(path, repeat):
    import pyais
    from pyais.stream import ByteStream
    lines = [l for l in open(path, 'rb').read().split(b'\n') if l.strip()]

    def go():
        by_type = collections.Counter()
        errors = collections.Counter()
        for msg in ByteStream(lines):
            try:
                d = msg.decode()
                by_type[d.msg_type] += 1
            except Exception as e:  # noqa: BLE001 - count every failure kind
                errors[type(e).__name__] += 1
        return by_type, errors

    runs, (by_type, errors) = best_of(repeat, go)
    return {'tool': 'pyais', 'version': pyais.__version__, 'unit': 'sentences', 'items': len(lines),
            'runs': runs, 'seconds': min(runs),
            'counts': {'sentences': len(lines), 'messages': sum(by_type.values()),
                       'by_type': {str(k): v for k, v in sorted(by_type.items())}, 'errors': dict(errors)},
            'note': 'ByteStream over the lines in memory; msg.decode() for every message '
                    '(tag blocks left unparsed, pyais default)'}


def frame_for_libais(path):
    """Untimed framing for libais: strip tag blocks, check the NMEA checksum, join
    multi-part fragments by (sequence id, channel). Returns [(payload, fill_bits)]."""
    msgs = []
    pending = {}
    bad = collections.Counter()
    sentences = 0
    for raw in open(path, 'rb').read().split(b'\n'):
        line = raw.strip()
        if not line:
            continue
        sentences += 1
        if line[:1] == b'\\':
            end = line.find(b'\\', 1)
            line = line[end + 1:] if end > 0 else b''
        bang = line.find(b'!')
        star = line.rfind(b'*')
        if bang < 0 or star < bang:
            bad['framing'] += 1
            continue
        body = line[bang + 1:star]
        x = 0
        for c in body:
            x ^= c
        if line[star + 1:star + 3].upper() != b'%02X' % x:
            bad['checksum'] += 1
            continue
        f = body.split(b',')
        if len(f) < 7:
            bad['framing'] += 1
            continue
        try:
            total, num, fill = int(f[1]), int(f[2]), int(f[6][:1] or b'0')
        except ValueError:
            bad['framing'] += 1
            continue
        payload = f[5].decode('latin-1')
        if total == 1:
            if payload:
                msgs.append((payload, fill))
            else:
                bad['empty'] += 1
            continue
        key = (f[3], f[4])
        if num == 1:
            pending[key] = [payload]
        elif key in pending and len(pending[key]) == num - 1:
            pending[key].append(payload)
            if num == total:
                msgs.append((''.join(pending.pop(key)), fill))
        else:
            bad['orphan_fragment'] += 1
    return sentences, msgs, bad


def w_libais(path, repeat):
    try:
        import ais
    except ImportError as e:
        return {'tool': 'libais', 'error': f'libais not importable: {e}'}
    sentences, msgs, bad = frame_for_libais(path)

    def go():
        by_type = collections.Counter()
        errors = 0
        decode = ais.decode
        for payload, fill in msgs:
            try:
                by_type[decode(payload, fill)['id']] += 1
            except Exception:  # noqa: BLE001 - libais raises DecodeError and others
                errors += 1
        return by_type, errors

    runs, (by_type, errors) = best_of(repeat, go)
    try:
        from importlib.metadata import version
        ver = version('libais')
    except Exception:  # noqa: BLE001
        ver = '?'
    return {'tool': 'libais', 'version': ver, 'unit': 'sentences', 'items': sentences,
            'messages_fed': len(msgs), 'runs': runs, 'seconds': min(runs),
            'counts': {'sentences': sentences, 'messages': sum(by_type.values()),
                       'by_type': {str(k): v for k, v in sorted(by_type.items())},
                       'decode_errors': errors, 'framing_rejects': dict(bad)},
            'note': 'ais.decode(payload, fill) timed alone; tag blocks, checksums and '
                    'multi-part joins done beforehand in Python and NOT timed (best case for libais)'}


MC_COLUMNS = {
    'MMSI': 'BIGINT', 'BaseDateTime': 'TIMESTAMP', 'LAT': 'DOUBLE', 'LON': 'DOUBLE', 'SOG': 'DOUBLE',
    'COG': 'DOUBLE', 'Heading': 'DOUBLE', 'VesselName': 'VARCHAR', 'IMO': 'VARCHAR', 'CallSign': 'VARCHAR',
    'VesselType': 'DOUBLE', 'Status': 'DOUBLE', 'Length': 'DOUBLE', 'Width': 'DOUBLE', 'Draft': 'DOUBLE',
    'Cargo': 'DOUBLE', 'TransceiverClass': 'VARCHAR',
}
TRACK_COLUMNS = {
    'mmsi': 'VARCHAR', 'timestamp': 'TIMESTAMPTZ', 'lat': 'DOUBLE', 'lon': 'DOUBLE', 'sog': 'DOUBLE',
    'cog': 'DOUBLE', 'heading': 'DOUBLE', 'nav_status': 'VARCHAR', 'ship_kind_code': 'VARCHAR',
}


def duck_columns(cols):
    return '{' + ', '.join(f"'{k}': '{v}'" for k, v in cols.items()) + '}'


def w_duckdb_csv(path, threads, repeat):
    import duckdb
    con = duckdb.connect()
    con.execute(f'SET threads={int(threads)}')
    # Every column is converted (aggregates over all of them), so DuckDB parses what
    # Lookout's reader parses.
    sql = f"""SELECT count(*), sum(MMSI), max(BaseDateTime), avg(LAT), avg(LON), avg(SOG), avg(COG),
                     avg(Heading), max(VesselName), max(IMO), max(CallSign), avg(VesselType),
                     avg(Status), avg(Length), avg(Width), avg(Draft), avg(Cargo), max(TransceiverClass)
              FROM read_csv(?, header=true, columns={duck_columns(MC_COLUMNS)})"""
    runs, row = best_of(repeat, lambda: con.execute(sql, [path]).fetchone())
    return {'tool': 'duckdb', 'version': duckdb.__version__, 'threads': int(threads), 'unit': 'rows',
            'items': row[0], 'runs': runs, 'seconds': min(runs),
            'counts': {'rows': row[0], 'avg_lat': row[3], 'avg_lon': row[4]},
            'note': 'read_csv with explicit column types, aggregates over all 17 columns'}


def w_duckdb_gaps(path, threads, repeat, gap_s=6000):
    import duckdb
    con = duckdb.connect()
    con.execute(f'SET threads={int(threads)}')
    load_sql = f"CREATE OR REPLACE TABLE t AS SELECT * FROM read_csv(?, header=true, columns={duck_columns(TRACK_COLUMNS)})"
    q = f"""WITH d AS (
              SELECT mmsi, epoch(timestamp) - lag(epoch(timestamp)) OVER (PARTITION BY mmsi ORDER BY timestamp) AS dt
              FROM t)
            SELECT count(*) FILTER (WHERE dt >= {gap_s}) AS gaps,
                   count(DISTINCT mmsi) FILTER (WHERE dt >= {gap_s}) AS vessels_with_gap,
                   count(DISTINCT mmsi) AS vessels, count(*) AS rows
            FROM d"""
    load_runs, query_runs = [], []
    row = None
    for _ in range(max(1, repeat)):
        t0 = time.perf_counter()
        con.execute(load_sql, [path])
        t1 = time.perf_counter()
        row = con.execute(q).fetchone()
        t2 = time.perf_counter()
        load_runs.append(t1 - t0)
        query_runs.append(t2 - t1)
    return {'tool': 'duckdb', 'version': duckdb.__version__, 'threads': int(threads), 'unit': 'positions',
            'items': row[3], 'runs': query_runs, 'seconds': min(query_runs),
            'load_runs': load_runs, 'load_seconds': min(load_runs),
            'end_to_end_seconds': min(a + b for a, b in zip(load_runs, query_runs)),
            'counts': {'rows': row[3], 'gaps': row[0], 'vessels_with_gap': row[1], 'vessels': row[2]},
            'note': f'LAG window per vessel, gaps >= {gap_s} s; "seconds" is the query on the loaded table, '
                    'load = read_csv into a table'}


def w_oracle(path, repeat):
    """The reference oracle's own functions, timed in-process: reading (pandas) and
    scoring (groupby + analyze_dark_pattern + compute_dark_suspicion per vessel)."""
    sys.path.insert(0, os.path.dirname(ORACLE))
    import oracle  # noqa: E402  (shared/oracle/oracle.py)
    import pandas as pd
    import io
    import contextlib
    read_runs, score_runs = [], []
    out = None
    for _ in range(max(1, repeat)):
        t0 = time.perf_counter()
        df = oracle._read_positions(path)
        t1 = time.perf_counter()
        with contextlib.redirect_stderr(io.StringIO()):
            out = oracle.score_vessels(df, set(), {}, 12, None)
        t2 = time.perf_counter()
        read_runs.append(t1 - t0)
        score_runs.append(t2 - t1)
    dark = sum(1 for r in out if r['gap_info'].get('is_dark'))
    return {'tool': 'oracle', 'version': f'pandas {pd.__version__}', 'unit': 'positions', 'items': len(df),
            'runs': score_runs, 'seconds': min(score_runs), 'load_seconds': min(read_runs),
            'end_to_end_seconds': min(a + b for a, b in zip(read_runs, score_runs)),
            'counts': {'vessels': len(out), 'dark_vessels': dark},
            'note': 'oracle.score_vessels timed in-process; load = oracle._read_positions (pandas)'}


WORKERS = {'oracle': w_oracle, 'pyais': w_pyais, 'libais': w_libais, 'duckdb-csv': w_duckdb_csv, 'duckdb-gaps': w_duckdb_gaps}


def worker_main(argv):
    name, rest = argv[0], argv[1:]
    args = [int(a) if a.isdigit() else a for a in rest]
    out = WORKERS[name](*args)
    out.setdefault('threads', 1)
    print(json.dumps(out))


# ------------------------------------------------------------------------- driver

def log(msg):
    print(f'[{dt.datetime.now():%H:%M:%S}] {msg}', file=sys.stderr, flush=True)


def run_child(cmd):
    """Runs cmd; returns (last stdout line parsed as JSON or None, wall s, peak RSS KiB, stderr)."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    # Read both pipes without blocking the child; wait4 gives this child's own rusage.
    import threading
    bufs = {'out': b'', 'err': b''}

    def pump(stream, key):
        bufs[key] = stream.read()

    th = [threading.Thread(target=pump, args=(p.stdout, 'out')), threading.Thread(target=pump, args=(p.stderr, 'err'))]
    for t in th:
        t.start()
    _, status, ru = os.wait4(p.pid, 0)
    for t in th:
        t.join()
    p.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - t0
    out, err = bufs['out'].decode('utf-8', 'replace'), bufs['err'].decode('utf-8', 'replace')
    result = None
    if p.returncode == 0:
        for line in reversed(out.strip().splitlines()):
            if line.startswith('{'):
                try:
                    result = json.loads(line)
                except json.JSONDecodeError:
                    result = None
                break
    return result, wall, ru.ru_maxrss, err, p.returncode, out


LOADS = []


def measure(label, cmd, results, key):
    log(f'{label}: {" ".join(cmd)}')
    load = os.getloadavg()[0]
    LOADS.append(load)
    res, wall, rss, err, rc, _ = run_child(cmd)
    if res is None or 'error' in (res or {}):
        why = (res or {}).get('error') or err.strip().splitlines()[-1:] or [f'exit {rc}']
        why = why if isinstance(why, str) else why[0]
        log(f'  FAILED: {why}')
        results[key] = {'error': why}
        return None
    res['peak_rss_kib_wait4'] = rss
    res['process_wall_s'] = wall
    res['loadavg_1min_before'] = load
    rate = res['items'] / res['seconds'] if res['seconds'] else 0
    res['items_per_s'] = rate
    log(f'  {res["items"]:,} {res.get("unit", "items")} in {res["seconds"]:.3f} s = {rate:,.0f}/s, '
        f'peak RSS {rss / 1024:.0f} MiB')
    results[key] = res
    return res


def py_cmd(worker, *args):
    return [sys.executable, os.path.abspath(__file__), 'worker', worker, *map(str, args)]


def warm(path):
    with open(path, 'rb') as fh:
        while fh.read(1 << 24):
            pass


def type_diff(a, b, only=None):
    """{type: (a, b)} where the per-type counts differ (restricted to `only` types)."""
    ta, tb = a.get('by_type', {}), b.get('by_type', {})
    keys = set(ta) | set(tb)
    if only is not None:
        keys &= set(only)
    return {k: (ta.get(k, 0), tb.get(k, 0)) for k in sorted(keys, key=int) if ta.get(k, 0) != tb.get(k, 0)}


def bench_decode(args, R):
    f = os.path.join(args.work, 'replay.nmea')
    warm(f)
    lo = args.lookout
    measure('lookout decode, 1 thread', [lo, 'bench', 'decode', f, '--threads', '1', '--repeat', str(args.repeat), '--json'], R, 'decode_lookout_1')
    measure(f'lookout decode, {args.threads} threads', [lo, 'bench', 'decode', f, '--threads', str(args.threads), '--repeat', str(args.repeat), '--json'], R, 'decode_lookout_n')
    measure('pyais decode', py_cmd('pyais', f, 1), R, 'decode_pyais')
    measure('libais decode', py_cmd('libais', f, args.repeat), R, 'decode_libais')
    checks = []
    l1, ln = R.get('decode_lookout_1', {}), R.get('decode_lookout_n', {})
    if 'counts' in l1 and 'counts' in ln:
        same = l1['counts'] == ln['counts']
        checks.append(f'Lookout 1 thread vs {args.threads} threads: counts {"identical" if same else "DIFFER"} '
                      f'({l1["counts"]["messages"]:,} vs {ln["counts"]["messages"]:,} messages)')
    if 'counts' in l1:
        lt = list(l1['counts']['by_type'])
        for other in ('pyais', 'libais'):
            o = R.get(f'decode_{other}', {})
            if 'counts' not in o:
                continue
            d = type_diff(l1['counts'], o['counts'], only=lt)
            lm = l1['counts']['messages']
            om = sum(o['counts']['by_type'].get(t, 0) for t in lt)
            checks.append(f'messages of the types Lookout decodes ({", ".join(lt)}): Lookout {lm:,}, {other} {om:,}'
                          + ('' if not d else f'; differing types (lookout, {other}): {d}'))
            checks.append(f'{other}: {o["counts"]["messages"]:,} messages of all types '
                          f'(Lookout: {lm:,} decoded + {l1["counts"]["rejects"].get("unsupported_type", 0):,} '
                          f'of types it does not decode)')
    R['decode_checks'] = checks
    for c in checks:
        log('  check: ' + c)


def bench_csv(args, R):
    f = os.path.join(args.work, 'positions_mc.csv')
    warm(f)
    lo = args.lookout
    measure('lookout csv, 1 thread', [lo, 'bench', 'csv', f, '--threads', '1', '--repeat', str(args.repeat), '--json'], R, 'csv_lookout_1')
    measure(f'lookout csv, {args.threads} threads', [lo, 'bench', 'csv', f, '--threads', str(args.threads), '--repeat', str(args.repeat), '--json'], R, 'csv_lookout_n')
    measure('duckdb read_csv, 1 thread', py_cmd('duckdb-csv', f, 1, args.repeat), R, 'csv_duckdb_1')
    measure(f'duckdb read_csv, {args.threads} threads', py_cmd('duckdb-csv', f, args.threads, args.repeat), R, 'csv_duckdb_n')
    checks = []
    rows = {k: R[k]['counts'].get('rows') for k in ('csv_lookout_1', 'csv_lookout_n', 'csv_duckdb_1', 'csv_duckdb_n')
            if 'counts' in R.get(k, {})}
    if rows:
        checks.append('rows: ' + ', '.join(f'{k.replace("csv_", "")} {v:,}' for k, v in rows.items())
                      + (' (all equal)' if len(set(rows.values())) == 1 else ' (DIFFER)'))
    R['csv_checks'] = checks
    for c in checks:
        log('  check: ' + c)


def bench_dark(args, R):
    f = os.path.join(args.work, 'tracks.csv')
    sub = os.path.join(args.work, 'tracks_50k.csv')
    warm(f)
    lo = args.lookout
    measure('lookout gaps+dark, 1 thread', [lo, 'bench', 'dark', f, '--threads', '1', '--repeat', str(args.repeat), '--json'], R, 'dark_lookout_1')
    measure(f'lookout gaps+dark, {args.threads} threads', [lo, 'bench', 'dark', f, '--threads', str(args.threads), '--repeat', str(args.repeat), '--json'], R, 'dark_lookout_n')
    measure('duckdb LAG gaps, 1 thread', py_cmd('duckdb-gaps', f, 1, args.repeat), R, 'dark_duckdb_1')
    measure(f'duckdb LAG gaps, {args.threads} threads', py_cmd('duckdb-gaps', f, args.threads, args.repeat), R, 'dark_duckdb_n')
    # Subset: whole processes, output compared line by line.
    measure('lookout gaps+dark on the subset', [lo, 'bench', 'dark', sub, '--threads', '1', '--repeat', str(args.repeat), '--json'], R, 'dark_lookout_sub')
    measure('oracle functions in-process on the subset', py_cmd('oracle', sub, 1), R, 'dark_oracle_inproc')
    rows_sub = R.get('dark_lookout_sub', {}).get('items')
    outs = {}
    for key, cmd in (('oracle', [sys.executable, ORACLE, sub]), ('score_dark', [lo, 'score-dark', sub])):
        log(f'{key} on the subset: {" ".join(cmd)}')
        best = None
        for _ in range(1 if key == 'oracle' else max(1, args.repeat)):
            _, wall, rss, err, rc, out = run_child(cmd)
            if rc != 0:
                log(f'  FAILED (exit {rc}): {err.strip().splitlines()[-1:] }')
                best = {'error': (err.strip().splitlines() or [f'exit {rc}'])[-1]}
                break
            if best is None or wall < best['seconds']:
                best = {'seconds': wall, 'peak_rss_kib_wait4': rss, 'lines': len(out.splitlines())}
                outs[key] = out
        if best and 'seconds' in best and rows_sub:
            best['items'] = rows_sub
            best['items_per_s'] = rows_sub / best['seconds']
            log(f'  {rows_sub:,} positions in {best["seconds"]:.3f} s (whole process) = {best["items_per_s"]:,.0f}/s')
        R[f'dark_{key}_sub'] = best
    checks = []
    l1, ln, d1 = (R.get(k, {}) for k in ('dark_lookout_1', 'dark_lookout_n', 'dark_duckdb_1'))
    if 'counts' in l1 and 'counts' in d1:
        lg, dg = l1['counts'].get('gaps'), d1['counts'].get('gaps')
        lv, dv = l1['counts'].get('dark_vessels'), d1['counts'].get('vessels_with_gap')
        checks.append(f'gaps >= 6000 s: Lookout {lg:,}, DuckDB {dg:,} ({"equal" if lg == dg else "DIFFER"}); '
                      f'vessels whose longest gap is >= 6000 s: Lookout {lv:,}, DuckDB {dv:,} '
                      f'({"equal" if lv == dv else "DIFFER"})')
    if 'counts' in l1 and 'counts' in ln:
        checks.append(f'Lookout 1 vs {args.threads} threads: counts {"identical" if l1["counts"] == ln["counts"] else "DIFFER"}')
    ls, oi = R.get('dark_lookout_sub', {}), R.get('dark_oracle_inproc', {})
    if 'counts' in ls and 'counts' in oi:
        a, b = ls['counts'].get('dark_vessels'), oi['counts'].get('dark_vessels')
        checks.append(f'subset dark vessels: Lookout bench {a:,}, oracle {b:,} ({"equal" if a == b else "DIFFER"})')
    if 'oracle' in outs and 'score_dark' in outs:
        a, b = outs['oracle'].splitlines(), outs['score_dark'].splitlines()
        diff = sum(1 for x, y in zip(a, b) if x != y) + abs(len(a) - len(b))
        checks.append(f'subset output: oracle {len(a):,} vessel lines, lookout score-dark {len(b):,}; '
                      + ('byte-identical' if diff == 0 else f'{diff:,} lines differ'))
    R['dark_checks'] = checks
    for c in checks:
        log('  check: ' + c)


# ------------------------------------------------------------------------- report

def fmt_rate(r):
    if r is None:
        return 'n/a'
    if r >= 1e6:
        return f'{r / 1e6:.2f} M/s'
    if r >= 1e3:
        return f'{r / 1e3:.1f} k/s'
    return f'{r:.0f}/s'


def rss(res):
    k = res.get('peak_rss_kib_wait4') or res.get('peak_rss_kib')
    return f'{k / 1024:.0f} MiB' if k else 'n/a'


def row(label, res, base=None, seconds_key='seconds', rate_key='items_per_s'):
    """A table row; `base` is the Lookout rate the ratio column divides by this row's rate."""
    if not res or 'error' in res:
        why = (res or {}).get('error', 'not run')
        return f'| {label} | n/a | n/a | n/a | n/a | {why} |'
    secs = res.get(seconds_key)
    rate = res.get(rate_key) if seconds_key == 'seconds' else (res['items'] / secs if secs else None)
    ratio = ''
    if base is not None and rate:
        ratio = f'{base / rate:.1f}x'
    shown = f'{secs:.4f}' if secs < 0.1 else f'{secs:.3f}'
    return f'| {label} | {res["items"]:,} | {shown} | {fmt_rate(rate)} | {rss(res)} | {ratio} |'


def rate_of(res, seconds_key='seconds'):
    if not res or 'error' in res or not res.get(seconds_key):
        return None
    return res['items'] / res[seconds_key]


def tool_versions(R):
    v = {}
    for k, res in R.items():
        if isinstance(res, dict) and res.get('tool') and res.get('version'):
            v[res['tool']] = res['version']
    return v


def report(args, R, manifest):
    n = args.threads
    lines = []
    lines.append('# Lookout benchmark results\n')
    lines.append(f'Generated by `bench/run.sh` on {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC. '
                 f'Machine: `nproc` = {os.cpu_count()}, {platform.processor() or platform.machine()}, '
                 f'{cpu_model()}, Linux {platform.release()}, Python {platform.python_version()}. '
                 f'Versions: ' + ', '.join(f'{k} {v}' for k, v in sorted(tool_versions(R).items())) + '. '
                 f'Lookout: release build (`cargo build --release`), commit {git_rev()}.\n')
    lines.append('Every tool runs in its own process on the same file; "s" is the tool\'s own timing of its '
                 f'work (best of {args.repeat} for Lookout and DuckDB, one run for pyais and the oracle), '
                 'peak RSS is the process maximum (wait4 ru_maxrss). Ratio = Lookout rate / other rate. '
                 'Wall-clock numbers on a shared machine: expect ±10–20 % between runs.\n')
    if LOADS:
        lines.append(f'1-minute load average before each measurement: {min(LOADS):.2f} to {max(LOADS):.2f} '
                     f'on {os.cpu_count()} cores (a load near or above the core count means other work shared '
                     'the CPUs, and the all-core rows then understate what the tools can do).\n')

    # decode
    d1, dn = R.get('decode_lookout_1'), R.get('decode_lookout_n')
    r1, rn = rate_of(d1), rate_of(dn)
    nm = manifest.get('nmea', {})
    lines.append(f'## 1. NMEA decode (sentences/s)\n\nInput: `replay.nmea`, {nm.get("sentences", 0):,} sentences '
                 f'({nm.get("copies", "?")} replays of {nm.get("base_sentences", 0):,} real sentences from '
                 f'{len(nm.get("sources", {}))} sample files, MMSIs and times shifted per copy).\n')
    lines.append('| tool | sentences | s | rate | peak RSS | Lookout 1 thread / this |')
    lines.append('|---|---|---|---|---|---|')
    lines.append(row('Lookout, 1 thread', d1))
    lines.append(row(f'Lookout, {n} threads (chunks, rayon)', dn))
    lines.append(row('pyais (1 thread)', R.get('decode_pyais'), r1))
    lines.append(row('libais, decode call only (1 thread)', R.get('decode_libais'), r1))
    if rn and rate_of(R.get('decode_libais')):
        lines.append(f'\nAll cores: Lookout {n} threads / libais = {rn / rate_of(R["decode_libais"]):.1f}x; '
                     f'/ pyais = {rn / (rate_of(R.get("decode_pyais")) or float("nan")):.1f}x.')
    lines.append('\nChecks:\n')
    lines.extend(f'- {c}' for c in R.get('decode_checks', []))
    for k in ('decode_pyais', 'decode_libais'):
        if R.get(k, {}).get('note'):
            lines.append(f'- {R[k]["tool"]}: {R[k]["note"]}.')
    lines.append('')

    # csv
    cs = manifest.get('csv', {})
    lines.append(f'## 2. CSV reading (rows/s)\n\nInput: `positions_mc.csv`, {cs.get("rows", 0):,} rows of the '
                 f'MarineCadastre layout (17 columns; {cs.get("copies", "?")} replays of '
                 f'{cs.get("base_rows", 0):,} real rows).\n')
    c1 = R.get('csv_lookout_1')
    b = rate_of(c1)
    lines.append('| tool | rows | s | rate | peak RSS | Lookout / this, same threads |')
    lines.append('|---|---|---|---|---|---|')
    lines.append(row('Lookout reader, 1 thread', c1))
    lines.append(row(f'Lookout reader, {n} threads ({n} part files)', R.get('csv_lookout_n')))
    lines.append(row('DuckDB read_csv, 1 thread', R.get('csv_duckdb_1'), b))
    lines.append(row(f'DuckDB read_csv, {n} threads', R.get('csv_duckdb_n'), rate_of(R.get('csv_lookout_n'))))
    cn, dn_ = rate_of(R.get('csv_lookout_n')), rate_of(R.get('csv_duckdb_n'))
    if cn and dn_:
        lines.append(f'\nAll cores: Lookout / DuckDB = {cn / dn_:.2f}x.')
    lines.append('\nChecks:\n')
    lines.extend(f'- {c}' for c in R.get('csv_checks', []))
    for k in ('csv_lookout_1', 'csv_duckdb_1'):
        if R.get(k, {}).get('note'):
            lines.append(f'- {R[k]["tool"]}: {R[k]["note"]}.')
    lines.append('')

    # dark
    tr = manifest.get('tracks', {})
    lines.append(f'## 3. Gap detection + dark scoring (positions/s)\n\nInput: `tracks.csv`, {tr.get("rows", 0):,} '
                 f'positions ({tr.get("copies", "?")} replays of {tr.get("base_rows", 0):,} real Kitimat '
                 f'shipstrike positions, ids and times shifted per copy).\n')
    k1, kn = R.get('dark_lookout_1'), R.get('dark_lookout_n')
    b = rate_of(k1)
    lines.append('Detection only (tracks / table already in memory):\n')
    lines.append('| tool | positions | s | rate | peak RSS | Lookout / this, same threads |')
    lines.append('|---|---|---|---|---|---|')
    lines.append(row('Lookout gaps + P1–P11 dark score, 1 thread', k1))
    lines.append(row(f'Lookout gaps + P1–P11 dark score, {n} threads', kn))
    lines.append(row('DuckDB LAG window (gaps only), 1 thread', R.get('dark_duckdb_1'), b))
    lines.append(row(f'DuckDB LAG window (gaps only), {n} threads', R.get('dark_duckdb_n'), rate_of(kn)))
    lines.append('\nEnd to end (read the CSV, build tracks / load the table, then detect):\n')
    b2 = rate_of(k1, 'end_to_end_seconds')
    lines.append('| tool | positions | s | rate | peak RSS | Lookout / this, same threads |')
    lines.append('|---|---|---|---|---|---|')
    lines.append(row('Lookout, 1 thread', k1, None, 'end_to_end_seconds'))
    lines.append(row(f'Lookout, {n} threads (loading on 1 thread)', kn, None, 'end_to_end_seconds'))
    lines.append(row('DuckDB, 1 thread', R.get('dark_duckdb_1'), b2, 'end_to_end_seconds'))
    lines.append(row(f'DuckDB, {n} threads', R.get('dark_duckdb_n'), rate_of(kn, 'end_to_end_seconds'), 'end_to_end_seconds'))
    sub = R.get('dark_lookout_sub')
    oi = R.get('dark_oracle_inproc')
    lines.append(f'\nSubset `tracks_50k.csv` (the first {tr.get("subset_rows", 0):,} positions of `tracks.csv`) '
                 'against the Python reference oracle (`shared/oracle/oracle.py`, pandas):\n')
    lines.append('| what | positions | s | rate | peak RSS | Lookout / oracle |')
    lines.append('|---|---|---|---|---|---|')
    bl = rate_of(sub)
    lines.append(row('Lookout detection only (in process, 1 thread)', sub, None))
    lines.append(row('oracle `score_vessels` only (in process)', oi, bl))
    bl2 = rate_of(sub, 'end_to_end_seconds')
    lines.append(row('Lookout read + validate + tracks + detect', sub, None, 'end_to_end_seconds'))
    lines.append(row('oracle `_read_positions` + `score_vessels`', oi, bl2, 'end_to_end_seconds'))
    sd = R.get('dark_score_dark_sub')
    bsd = rate_of(sd)
    lines.append(row('`lookout score-dark` whole process', sd, None))
    lines.append(row('`python3 oracle.py` whole process', R.get('dark_oracle_sub'), bsd))
    lines.append('\nChecks:\n')
    lines.extend(f'- {c}' for c in R.get('dark_checks', []))
    if R.get('dark_duckdb_1', {}).get('note'):
        lines.append(f'- DuckDB: {R["dark_duckdb_1"]["note"]}.')
    if R.get('dark_lookout_1', {}).get('note'):
        lines.append(f'- Lookout: {R["dark_lookout_1"]["note"]}.')
    lines.append('')
    lines.append(goals(R, n))
    lines.append('Method, inputs and caveats: [`bench/README.md`](README.md).\n')
    return '\n'.join(lines)


def goals(R, n):
    """The issue's targets against this run's numbers."""
    def ratio(a, b, ka='seconds', kb='seconds'):
        ra, rb = rate_of(R.get(a), ka), rate_of(R.get(b), kb)
        return ra / rb if ra and rb else None

    def show(x, goal):
        if x is None:
            return 'n/a'
        return f'{x:.1f}x ({"met" if x >= goal else "NOT met"})'

    out = ['## Goals\n', '| goal | this run |', '|---|---|']
    out.append(f'| decode ≥ 10x libais per core | {show(ratio("decode_lookout_1", "decode_libais"), 10)} '
               '(libais timed on its decode call only) |')
    out.append(f'| gaps ≥ 5x DuckDB (1 thread) | {show(ratio("dark_lookout_1", "dark_duckdb_1"), 5)} detection only; '
               f'end to end {show(ratio("dark_lookout_1", "dark_duckdb_1", "end_to_end_seconds", "end_to_end_seconds"), 5)} |')
    out.append(f'| gaps ≥ 5x DuckDB ({n} threads) | {show(ratio("dark_lookout_n", "dark_duckdb_n"), 5)} detection only; '
               f'end to end {show(ratio("dark_lookout_n", "dark_duckdb_n", "end_to_end_seconds", "end_to_end_seconds"), 5)} |')
    out.append(f'| dark ≥ 100x the oracle | {show(ratio("dark_lookout_sub", "dark_oracle_inproc"), 100)} scoring only; '
               f'{show(ratio("dark_lookout_sub", "dark_oracle_inproc", "end_to_end_seconds", "end_to_end_seconds"), 100)} '
               f'read + score in process; {show(ratio("dark_score_dark_sub", "dark_oracle_sub"), 100)} whole processes |')
    return '\n'.join(out) + '\n'


def cpu_model():
    try:
        for line in open('/proc/cpuinfo'):
            if line.startswith('model name'):
                return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return 'unknown CPU'


def git_rev():
    try:
        return subprocess.run(['git', '-C', ROOT, 'rev-parse', '--short', 'HEAD'], capture_output=True,
                              text=True, check=True).stdout.strip()
    except Exception:  # noqa: BLE001
        return '?'


def main():
    if len(sys.argv) > 1 and sys.argv[1] == 'worker':
        return worker_main(sys.argv[2:])
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--lookout', default=os.path.join(os.environ.get('CARGO_TARGET_DIR', os.path.join(ROOT, 'target')), 'release', 'lookout'))
    ap.add_argument('--work', default=os.path.join(HERE, 'work'))
    ap.add_argument('--threads', type=int, default=os.cpu_count() or 1)
    ap.add_argument('--repeat', type=int, default=3)
    ap.add_argument('--only', action='append', choices=['decode', 'csv', 'dark'])
    ap.add_argument('--results', default=os.path.join(HERE, 'RESULTS.md'))
    ap.add_argument('--json-out', default=os.path.join(HERE, 'work', 'results.json'))
    args = ap.parse_args()
    manifest_path = os.path.join(args.work, 'manifest.json')
    manifest = json.load(open(manifest_path)) if os.path.exists(manifest_path) else {}
    R = {}
    only = args.only or ['decode', 'csv', 'dark']
    if 'decode' in only:
        bench_decode(args, R)
    if 'csv' in only:
        bench_csv(args, R)
    if 'dark' in only:
        bench_dark(args, R)
    with open(args.json_out, 'w') as fh:
        json.dump(R, fh, indent=1)
    md = report(args, R, manifest)
    print(md)
    if set(only) == {'decode', 'csv', 'dark'}:
        with open(args.results, 'w') as fh:
            fh.write(md)
        log(f'wrote {args.results}')
    else:
        log('partial run (--only): RESULTS.md not rewritten')


if __name__ == '__main__':
    main()
