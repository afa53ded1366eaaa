#!/usr/bin/env python3
"""Live-path benchmark (see bench/live.sh): one TCP feed into `lookout serve`.

Real NMEA (testdata/ais/gfw_ais_listener/nmea-with-tagblock.txt.gz) is repeated COPIES
times with its tag-block times shifted so every copy is new data ending now; it is sent
as fast as the server takes it (TCP back-pressure) while scheduled cycles run. Reports
sustained positions/s (stored = acknowledged, from /api/v1/sources) and, for events
published on /api/v1/stream after the data was stored, the delay between the moment the
last position was stored and the event's arrival (p50/p99): the cycle interval bounds it.
"""
import gzip, json, os, socket, subprocess, sys, threading, time

LOOKOUT = os.environ.get("LOOKOUT_BIN", "target/release/lookout")
DB = os.environ.get("DB", "/tmp/bench-live/live.db")
COPIES = int(os.environ.get("COPIES", "20"))
FEED_PORT = int(os.environ.get("FEED_PORT", "10110"))
EVERY = os.environ.get("CYCLE_EVERY", "1m")
WINDOW = os.environ.get("WINDOW", "1h")
SRC = "testdata/ais/gfw_ais_listener/nmea-with-tagblock.txt.gz"


def checksum(body: str) -> str:
    x = 0
    for ch in body:
        x ^= ord(ch)
    return f"{x:02X}"


def shift(line: str, delta: int) -> str:
    if not line.startswith("\\"):
        return line
    end = line.find("\\", 1)
    tag = line[1:end]
    body = tag.split("*")[0]
    fields = []
    for f in body.split(","):
        if f.startswith("c:"):
            f = f"c:{int(f[2:]) + delta}"
        fields.append(f)
    body = ",".join(fields)
    return f"\\{body}*{checksum(body)}" + line[end:]


def feed_bytes() -> bytes:
    lines = gzip.open(SRC, "rt").read().splitlines()
    times = [int(f[2:].split("*")[0]) for l in lines for f in l.split("\\")[1].split(",") if l.startswith("\\") and f.startswith("c:")]
    t0, t1 = min(t for t in times if t > 10**9), max(times)
    span = t1 - t0 + 1
    base = int(time.time()) - COPIES * span - t0
    out = []
    for k in range(COPIES):
        out.extend(shift(l, base + k * span) for l in lines)
    return ("\n".join(out) + "\n").encode()


def get(addr, path):
    s = socket.create_connection(addr)
    s.sendall(f"GET {path} HTTP/1.0\r\nHost: x\r\n\r\n".encode())
    data = b""
    while chunk := s.recv(65536):
        data += chunk
    return json.loads(data.split(b"\r\n\r\n", 1)[1] or b"null")


def main():
    os.makedirs(os.path.dirname(DB), exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(DB + suffix) and not DB.startswith("postgres"):
            os.remove(DB + suffix)
    data = feed_bytes()
    server = subprocess.Popen(
        [LOOKOUT, "--db", DB, "serve", "--bind", "127.0.0.1:0", "--no-auth",
         "--nmea-tcp", f"127.0.0.1:{FEED_PORT}", "--cycle-every", EVERY, "--window", WINDOW,
         "--lookback", "1h"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        first = server.stdout.readline()
        host, port = first.split("http://")[1].split("/")[0].rsplit(":", 1)
        addr = (host, int(port))
        events = []  # (arrival, kind)

        def stream():
            s = socket.create_connection(addr)
            s.sendall(b"GET /api/v1/stream HTTP/1.0\r\nHost: x\r\n\r\n")
            buf = b""
            while chunk := s.recv(65536):
                buf += chunk
                while b"\n\n" in buf:
                    entry, buf = buf.split(b"\n\n", 1)
                    for l in entry.split(b"\n"):
                        if l.startswith(b"event:"):
                            events.append((time.time(), l[6:].strip().decode()))

        threading.Thread(target=stream, daemon=True).start()
        time.sleep(1.0)
        feed = socket.create_connection(("127.0.0.1", FEED_PORT))
        start = time.time()
        feed.sendall(data)
        feed.close()
        sent = time.time()
        last, stable = None, 0
        while True:
            s = get(addr, "/api/v1/sources")
            stored = s["path"]["positions_stored"]
            accepted = sum(x["positions"] for x in s["sources"])
            if stored == accepted and s["sources"][0]["connections"] == 0 and stored == last:
                stable += 1
                if stable >= 3:
                    break
            else:
                stable = 0
                if stored != last:
                    done = time.time()
            last = stored
            time.sleep(0.2)
        rate = stored / (done - start)
        lines = data.count(b"\n")
        print(f"lines {lines}, positions stored {stored} ({s['path']['positions_inserted']} new) "
              f"in {done - start:.1f}s: {rate:,.0f} positions/s (sending took {sent - start:.1f}s)")
        # Events: wait for the first cycle after the data to publish.
        deadline = time.time() + 3 * 60
        while time.time() < deadline and not any(t > done and k == "event" for t, k in events):
            time.sleep(0.5)
        time.sleep(2)
        lat = sorted(t - done for t, k in events if t > done and k == "event")
        if lat:
            p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]
            print(f"events on the stream after the data was stored: {len(lat)}; "
                  f"delay p50 {p(0.5):.1f}s p99 {p(0.99):.1f}s (cycle every {EVERY})")
        else:
            print("no event on the stream within 3 minutes")
        print("path:", json.dumps(s["path"]))
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
