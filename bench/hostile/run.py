#!/usr/bin/env python3
"""Runs a `lookout` binary over the hostile corpus (bench/hostile/gen.py) and fails on a
panic, a death by signal, a hang, peak memory over the limit, or counts that do not add
up. Builds nothing: give it the binary.

    python3 bench/hostile/run.py --lookout target/release/lookout [--corpus DIR] [--jobs 2]

Without --corpus the corpus is generated into a temporary directory and removed after.
Per AIS file it runs `ingest` (into a fresh SQLite database), `decode --json` and
`analyze` (on that database); zone, rules and params files go to `analyze` on a database
holding the demo data; metric series and detector params go to `anomaly`.

Peak RSS is the child's own maximum resident set size, measured by /usr/bin/time (GNU
time's %M, as in `time -v`) around each command, or from wait4(2) when it is missing; it
is per process, so jobs may run in parallel without blurring each other's numbers.

Checks, per command:
  panic       "panicked at" or "RUST_BACKTRACE" in stdout/stderr
  signal      the process died by a signal
  timeout     still running after --timeout seconds (killed)
  rss         peak RSS above --max-rss-mb
  counts      ingest: per file, records = positions accepted + static + rejected, and
              the rejects by reason sum to the rejected total; decode: messages + rejects
              <= lines, rejects by reason sum to the total; anomaly: rows = points + bad
              rows + duplicates merged
  same        a variant that keeps the content (other line endings, gzip, a BOM, UTF-16
              with a BOM) reads as many records (ingest) / messages (decode) as the plain file
  silent      a non-zero exit without any message saying why (for ingest: without an
              error; notes are not a reason)
  exit        ingest exits 0 although a file stopped early (cut or damaged)
  ansi        colour escape codes on stderr, which is never a terminal here
  expect_ok   the clean baseline cases must exit 0 (the runner cannot pass vacuously)
  expect_error  inputs that are invalid as a whole (a zone ring that is not closed or
              crosses itself, params of the wrong shape or meaning) must be refused

Cases listed in --known (default bench/hostile/known_failures.txt, lines
`case command  item`) may fail without failing the run; they are shown as KNOWN, and a
listed case that passes is shown as FIXED (remove it from the list).
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
START = time.monotonic()
PANIC = re.compile(r"panicked at|RUST_BACKTRACE")
INGEST_FILE = re.compile(
    r"^(?P<path>.+): (?P<format>\S+) \S+ (?P<records>\d+) records, (?P<accepted>\d+) positions accepted "
    r"\((?P<new>\d+) new\), (?P<static>\d+) static, (?P<vessels>\d+) vessels, (?P<rejected>\d+) rejected$"
)
REJECT_LINE = re.compile(r"^  rejected (?P<reason>\S+): (?P<n>\d+)\b")
DECODE_HEAD = re.compile(r": (?P<lines>\d+) lines, (?P<decoded>\d+) messages decoded")
DECODE_REJECTS = re.compile(r"^(?P<n>\d+) rejects:$")
DECODE_REASON = re.compile(r"^  (?P<reason>[a-z_]+): (?P<n>\d+)$")
ANOMALY_SERIES = re.compile(
    r"^series .*: (?P<rows>\d+) rows, (?P<points>\d+) points, (?P<bad>\d+) bad rows, (?P<dup>\d+) duplicate"
)
# Analysis clock: fixed, so runs are repeatable.
NOW = "2026-01-01T00:00:00Z"


class Result:
    def __init__(self, case, command):
        self.case, self.command = case, command
        self.code = None
        self.rss_mb = 0.0
        self.secs = 0.0
        self.problems = []
        self.facts = {}
        self.status = "ok"

    def fail(self, what):
        self.problems.append(what)


TIME = "/usr/bin/time"


def run_child(argv, timeout, stdout_path, env):
    """Runs argv; returns (exit code or -signal, peak RSS in MB, seconds, timed out, stderr).

    Peak RSS comes from /usr/bin/time -v's field (%M) when it exists: wait4's ru_maxrss of
    a child forked from Python also counts the pages the child had before exec, i.e.
    Python's own ~25 MB. Without /usr/bin/time that upper bound is what is reported.
    """
    err_path, time_path = stdout_path + ".err", stdout_path + ".time"
    use_time = os.access(TIME, os.X_OK)
    full = [TIME, "-f", "rss=%M", "-o", time_path] + argv if use_time else argv
    with open(stdout_path, "wb") as out, open(err_path, "wb") as err:
        start = time.monotonic()
        proc = subprocess.Popen(full, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env,
                                start_new_session=True)
        timed_out = False
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid == proc.pid:
                break
            if time.monotonic() - start > timeout:
                timed_out = True
                os.killpg(proc.pid, 9)
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.02)
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        secs = time.monotonic() - start
    with open(err_path, "rb") as f:
        stderr = f.read().decode("utf-8", "replace")
    os.unlink(err_path)
    code, rss_kb = proc.returncode, usage.ru_maxrss
    if use_time:
        try:
            with open(time_path) as f:
                report = f.read()
            os.unlink(time_path)
        except FileNotFoundError:
            report = ""
        m = re.search(r"rss=(\d+)", report)
        rss_kb = int(m[1]) if m else rss_kb
        sig = re.search(r"terminated by signal (\d+)", report)
        if sig:
            code = -int(sig[1])
    return code, rss_kb / 1024.0, secs, timed_out, stderr


def common_checks(r, code, rss, secs, timed_out, out, err, args):
    r.code, r.rss_mb, r.secs = code, rss, secs
    if PANIC.search(err) or PANIC.search(out):
        line = next((l for l in (err + "\n" + out).splitlines() if PANIC.search(l)), "")
        r.fail(f"panic: {line.strip()[:160]}")
    if timed_out:
        r.fail(f"timeout after {args.timeout:.0f} s")
    elif code < 0:
        r.fail(f"killed by signal {-code}")
    if rss > args.max_rss_mb:
        r.fail(f"peak RSS {rss:.0f} MB > {args.max_rss_mb} MB")
    if code and code > 0 and not err.strip() and not out.strip():
        r.fail("silent: non-zero exit without any message")
    if "\x1b[" in err:
        r.fail("ansi: colour codes on stderr that is not a terminal")


def check_ingest(r, out, err):
    files = [m.groupdict() for m in map(INGEST_FILE.match, out.splitlines()) if m]
    if not files:
        if r.code == 0:
            r.fail("counts: exit 0 but no per-file summary line")
        elif "error" not in err.lower():
            r.fail("silent: no summary and no error for the file")
        return
    f = {k: int(v) for k, v in files[0].items() if v.isdigit()}
    r.facts["records"] = f["records"]
    if f["records"] != f["accepted"] + f["static"] + f["rejected"]:
        r.fail(f"counts: {f['records']} records != {f['accepted']} accepted + {f['static']} static + "
               f"{f['rejected']} rejected")
    lines = out.splitlines()
    first = next(i for i, l in enumerate(lines) if INGEST_FILE.match(l))
    per_reason = 0
    for line in lines[first + 1 :]:
        if line.startswith("total:") or INGEST_FILE.match(line):
            break
        m = REJECT_LINE.match(line)
        if m:
            per_reason += int(m["n"])
    if per_reason != f["rejected"]:
        r.fail(f"counts: rejects by reason sum to {per_reason}, summary says {f['rejected']}")
    if r.code != 0 and "error" not in (out + err).lower():
        r.fail("silent: non-zero exit and no error saying why (notes are not a reason)")
    if r.code == 0 and "reading stopped early" in out:
        r.fail("exit: 0 although reading stopped early (a cut or damaged file)")


def line_breaks(path):
    """Upper bound on the lines a decoder can see in a file: every LF and every CR ends
    one (a CR alone ends an NMEA sentence), counted on the bytes as stored."""
    n = 1
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            n += chunk.count(b"\n") + chunk.count(b"\r")
    return n


def check_decode(r, err, path):
    head = DECODE_HEAD.search(err)
    if not head:
        if r.code == 0:
            r.fail("counts: exit 0 but no decode summary")
        return
    lines, decoded = int(head["lines"]), int(head["decoded"])
    total = 0
    by_reason = 0
    for line in err.splitlines():
        m = DECODE_REJECTS.match(line)
        if m:
            total = int(m["n"])
        m = DECODE_REASON.match(line)
        if m:
            by_reason += int(m["n"])
    r.facts["records"] = decoded
    bound = max(lines, line_breaks(path))
    if decoded + total > bound:
        r.fail(f"counts: {decoded} messages + {total} rejects > {bound} lines")
    if by_reason != total:
        r.fail(f"counts: rejects by reason sum to {by_reason}, summary says {total}")


def check_anomaly(r, out):
    for line in out.splitlines():
        m = ANOMALY_SERIES.match(line)
        if m:
            rows, points, bad, dup = (int(m[k]) for k in ("rows", "points", "bad", "dup"))
            if rows != points + bad + dup:
                r.fail(f"counts: {rows} rows != {points} points + {bad} bad + {dup} duplicates merged")


class Runner:
    def __init__(self, args, corpus, work, cases):
        self.args, self.corpus, self.work = args, corpus, work
        self.cases = {c["case"]: c for c in cases}
        # NO_COLOR is removed too: colours must be off because stderr is not a terminal.
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith(("LOOKOUT_", "RUST_")) and k not in ("NO_COLOR", "CLICOLOR_FORCE")}
        self.lock = threading.Lock()
        self.done = 0

    def run(self, case, command, argv, check=None, path=None):
        r = Result(case, command)
        out_path = os.path.join(self.work, f"{case}.{command}.out")
        code, rss, secs, timed_out, err = run_child([self.args.lookout] + argv, self.args.timeout, out_path, self.env)
        with open(out_path, "rb") as f:
            out = f.read(4 << 20).decode("utf-8", "replace")
        os.unlink(out_path)
        common_checks(r, code, rss, secs, timed_out, out, err, self.args)
        if check == "ingest":
            check_ingest(r, out, err)
        elif check == "decode":
            check_decode(r, err, path)
        elif check == "anomaly":
            check_anomaly(r, out)
        # `decode` is for NMEA: on other files it only has to fail cleanly.
        if r.problems:
            # What the command said, for diagnosing a failure from the CI log alone.
            tail = (err.strip().splitlines() or out.strip().splitlines() or ["(no output)"])[-1]
            r.facts["said"] = tail[:200]
        must_pass = self.cases.get(case, {}).get("expect_ok") and (command != "decode" or case.startswith("nmea"))
        if self.cases.get(case, {}).get("expect_error") and code == 0:
            r.fail("expect_error: accepted (exit 0) although the input is invalid")
        if must_pass and code != 0:
            r.fail(f"expect_ok: exit {code}: {(err.strip().splitlines() or [''])[-1][:160]}")
        with self.lock:
            self.done += 1
            if self.args.verbose:
                print(f"  [{self.done}] {case} {command}: exit {code} {rss:.0f} MB {secs:.1f} s "
                      f"{'; '.join(r.problems) or 'ok'}", file=sys.stderr)
        return r

    def path(self, case):
        return os.path.join(self.corpus, self.cases[case]["file"])

    def ais(self, case):
        db = os.path.join(self.work, case + ".db")
        f = self.path(case)
        res = [self.run(case, "ingest", ["ingest", f, "--db", db, "--now", NOW], "ingest"),
               self.run(case, "decode", ["decode", f, "--json"], "decode", f),
               self.run(case, "analyze", ["analyze", "--db", db, "--now", NOW, "--format", "json",
                                          "--no-log-sink"])]
        for ext in ("", "-wal", "-shm"):
            if os.path.exists(db + ext):
                os.unlink(db + ext)
        return res

    def analyze_with(self, case, base_db, flag, value):
        db = os.path.join(self.work, case + ".db")
        shutil.copyfile(base_db, db)
        r = self.run(case, "analyze", ["analyze", "--db", db, "--now", NOW, "--format", "json", "--no-log-sink",
                                        flag, value])
        os.unlink(db)
        return [r]

    def anomaly(self, case, metric_plain):
        c = self.cases[case]
        if c["kind"] == "metric":
            return [self.run(case, "anomaly", ["anomaly", self.path(case), "--explain"], "anomaly")]
        with open(self.path(case), "rb") as f:
            params = f.read().decode("utf-8", "replace")
        return [self.run(case, "anomaly", ["anomaly", metric_plain, "--params", params], "anomaly")]


def load_known(path):
    known = {}
    if not path or not os.path.exists(path):
        return known
    with open(path) as f:
        for raw in f:
            line = raw.split("#", 1)[0].strip()
            if line:
                parts = line.split()
                known[(parts[0], parts[1])] = " ".join(parts[2:])
    return known


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lookout", required=True, help="the lookout binary to test")
    ap.add_argument("--corpus", help="corpus from gen.py (default: generate one into a temporary directory)")
    ap.add_argument("--seed", type=int, default=14)
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds per command")
    ap.add_argument("--max-rss-mb", type=float, default=512.0)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--known", default=os.path.join(HERE, "known_failures.txt"))
    ap.add_argument("--only", help="run only cases whose name contains this text")
    ap.add_argument("-v", "--verbose", action="store_true", help="a progress line per command on stderr")
    args = ap.parse_args()
    args.lookout = os.path.abspath(args.lookout)
    if not os.access(args.lookout, os.X_OK):
        sys.exit(f"not an executable: {args.lookout}")
    tmp = tempfile.mkdtemp(prefix="lookout-hostile-")
    try:
        corpus = args.corpus
        if not corpus:
            corpus = os.path.join(tmp, "corpus")
            subprocess.run([sys.executable, os.path.join(HERE, "gen.py"), "--out", corpus, "--seed", str(args.seed)],
                           check=True)
        with open(os.path.join(corpus, "cases.json")) as f:
            cases = json.load(f)["cases"]
        work = os.path.join(tmp, "work")
        os.makedirs(work)
        return report(args, execute(args, Runner(args, corpus, work, cases), cases, work), cases)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def execute(args, runner, cases, work):
    # The database the zone, rules and params files are analysed against: the demo's AIS.
    base_db = os.path.join(work, "base.db")
    results = [runner.run("base", "ingest", ["ingest", runner.path("nmea_plain"), runner.path("ship_plain"),
                                             "--db", base_db, "--now", NOW], "ingest")]
    results[0].problems += [] if results[0].code == 0 else [f"base ingest failed: exit {results[0].code}"]
    metric_plain = runner.path("metric_plain")
    jobs = []
    for c in cases:
        if args.only and args.only not in c["case"]:
            continue
        kind, name = c["kind"], c["case"]
        if kind == "ais":
            jobs.append(lambda n=name: runner.ais(n))
        elif kind in ("zones", "rules", "params"):
            flag = {"zones": "--zones", "rules": "--rules", "params": "--params"}[kind]
            jobs.append(lambda n=name, f=flag: runner.analyze_with(n, base_db, f, runner.path(n)))
        else:
            jobs.append(lambda n=name: runner.anomaly(n, metric_plain))
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for rs in pool.map(lambda j: j(), jobs):
            results.extend(rs)
    by = {(r.case, r.command): r for r in results}
    for c in cases:
        ref = c.get("same_records_as")
        for command in ("ingest", "decode"):
            r, base = by.get((c["case"], command)), by.get((ref, command))
            if not (r and base) or "records" not in base.facts:
                continue
            got = r.facts.get("records")
            if got != base.facts["records"]:
                r.fail(f"same: {got} {'records' if command == 'ingest' else 'messages'} read, "
                       f"{ref} gives {base.facts['records']}")
    return results


def report(args, results, cases):
    known = load_known(args.known)
    rows = []
    failed = passed = known_n = fixed = 0
    for r in results:
        item = known.get((r.case, r.command))
        if r.problems:
            if item is not None:
                r.status, known_n = f"KNOWN ({item}): " + "; ".join(r.problems), known_n + 1
            else:
                said = f" [said: {r.facts['said']}]" if "said" in r.facts else ""
                r.status, failed = "FAIL: " + "; ".join(r.problems) + said, failed + 1
        else:
            passed += 1
            if item is not None:
                r.status, fixed = f"FIXED, remove from known_failures ({item})", fixed + 1
        rows.append(r)
    w = max(len(r.case) for r in rows)
    print(f"{'case':<{w}}  {'command':<8} {'exit':>4} {'rss MB':>7} {'secs':>6}  outcome")
    for r in rows:
        print(f"{r.case:<{w}}  {r.command:<8} {r.code:>4} {r.rss_mb:>7.1f} {r.secs:>6.1f}  {r.status}")
    ran = {(r.case, r.command) for r in results}
    stale = [k for k in known if k not in ran and not args.only]
    for case, command in stale:
        print(f"known_failures.txt lists {case} {command}, which did not run (renamed or removed?)")
    print(f"{passed} passed, {failed} failed ({known_n} known failures allowed, {fixed} listed but now passing, "
          f"{len(cases)} corpus files, {time.monotonic() - START:.0f} s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
