//! `lookout serve` with live feeds and `lookout replay`, as real processes on loopback:
//! real NMEA replayed into TCP and into UDP stores the positions `lookout ingest` stores
//! from the same file; `kill -9` during live ingest loses no acknowledged position, and
//! a restart with the feed replayed again completes the store.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command as StdCommand, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use lookout_model::Position;

const DMA: &str = "ais/dma_aislib_stream_example_2010-06-11.txt.gz";
const TAGGED: &str = "ais/gfw_ais_listener/nmea-with-tagblock.txt.gz";

fn testdata(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata").join(rel)
}

fn lookout(db: &str) -> Command {
    let mut c = Command::cargo_bin("lookout").expect("lookout binary");
    c.args(["--db", db]);
    c
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn free_udp_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Every stored position, in the store's order.
fn stored(db: &str) -> Vec<Position> {
    let store = lookout_store::open(db).expect("store");
    let Some((a, b)) = store.position_span().expect("span") else { return Vec::new() };
    let mut v: Vec<Position> = store.load_tracks(a, b).expect("tracks").into_iter().flat_map(|t| t.positions).collect();
    v.sort_by(|x, y| {
        (x.vessel.as_str(), x.timestamp, x.lat.to_bits(), x.lon.to_bits()).cmp(&(
            y.vessel.as_str(),
            y.timestamp,
            y.lat.to_bits(),
            y.lon.to_bits(),
        ))
    });
    v
}

struct Server {
    child: Child,
    addr: String,
}

impl Server {
    fn start(db: &str, live: &[&str]) -> Server {
        let bin = assert_cmd::cargo::cargo_bin("lookout");
        let mut child = StdCommand::new(bin)
            .args(["--db", db, "serve", "--bind", "127.0.0.1:0", "--no-auth"])
            .args(live)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("first line");
        let addr = line.split("http://").nth(1).and_then(|r| r.split('/').next()).expect("address").to_string();
        Server { child, addr }
    }

    fn get(&self, path: &str) -> serde_json::Value {
        let mut conn = std::net::TcpStream::connect(&self.addr).expect("connect");
        write!(conn, "GET {path} HTTP/1.0\r\nHost: x\r\n\r\n").expect("write");
        let mut text = String::new();
        conn.read_to_string(&mut text).expect("read");
        let body = text.split("\r\n\r\n").nth(1).unwrap_or("");
        serde_json::from_str(body).unwrap_or(serde_json::Value::Null)
    }

    fn text(&self, path: &str) -> String {
        let mut conn = std::net::TcpStream::connect(&self.addr).expect("connect");
        write!(conn, "GET {path} HTTP/1.0\r\nHost: x\r\n\r\n").expect("write");
        let mut text = String::new();
        conn.read_to_string(&mut text).expect("read");
        text
    }

    fn path_counter(&self, name: &str) -> u64 {
        self.get("/api/v1/sources")["path"][name].as_u64().unwrap_or(0)
    }

    /// Waits until every record the feeds accepted is stored (acknowledged), no
    /// receiver is connected, and `name` has stopped growing at `min` or more.
    fn settle(&self, name: &str, min: u64) -> u64 {
        let end = Instant::now() + Duration::from_secs(120);
        let mut last = (u64::MAX, Instant::now());
        loop {
            let s = self.get("/api/v1/sources");
            let n = s["path"][name].as_u64().unwrap_or(0);
            let stored = s["path"]["positions_stored"].as_u64().unwrap_or(0);
            let accepted: u64 =
                s["sources"].as_array().map_or(0, |v| v.iter().map(|x| x["positions"].as_u64().unwrap_or(0)).sum());
            let idle = s["sources"]
                .as_array()
                .is_some_and(|v| v.iter().all(|x| x["kind"] == "nmea_udp" || x["connections"] == 0));
            if n != last.0 {
                last = (n, Instant::now());
            } else if n >= min && stored == accepted && idle && last.1.elapsed() > Duration::from_secs(2) {
                return n;
            }
            assert!(Instant::now() < end, "{name} stuck at {n} (want at least {min}): {s}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn kill(mut self) {
        self.child.kill().expect("kill -9");
        self.child.wait().expect("reaped");
    }
}

fn replay(file: &str, to: &str) {
    let bin = assert_cmd::cargo::cargo_bin("lookout");
    let st = StdCommand::new(bin)
        .args(["replay", testdata(file).to_str().unwrap(), "--to", to, "--speed", "max"])
        .stderr(Stdio::null())
        .status()
        .expect("replay");
    assert!(st.success(), "replay to {to}");
}

fn ingested(dir: &Path, file: &str) -> Vec<Position> {
    let name = Path::new(file).file_name().unwrap().to_string_lossy().to_string();
    let db = dir.join(format!("ingest-{name}.db")).display().to_string();
    lookout(&db).args(["ingest", testdata(file).to_str().unwrap()]).assert().success();
    stored(&db)
}

#[test]
fn replay_into_tcp_and_udp_stores_what_ingest_stores() {
    let dir = tempfile::tempdir().expect("tempdir");
    for file in [DMA, TAGGED] {
        let want = ingested(dir.path(), file);
        assert!(want.len() > 100, "{file}: positions");
        for proto in ["tcp", "udp"] {
            let db = dir.path().join(format!("live-{proto}.db")).display().to_string();
            let _ = std::fs::remove_file(&db);
            let port = if proto == "tcp" { free_port() } else { free_udp_port() };
            let listen = format!("127.0.0.1:{port}");
            let flag = if proto == "tcp" { "--nmea-tcp" } else { "--nmea-udp" };
            let server = Server::start(&db, &[flag, &listen, "--no-schedule", "--batch-delay", "200ms"]);
            replay(file, &format!("{proto}://{listen}"));
            server.settle("positions_stored", 1);
            let sources = server.get("/api/v1/sources");
            let metrics = server.text("/metrics");
            server.kill();
            let got = stored(&db);
            assert_eq!(got.len(), want.len(), "{file} over {proto}: positions stored");
            assert!(got == want, "{file} over {proto}: the same positions as `lookout ingest`");
            let src = &sources["sources"][0];
            assert_eq!(src["drops"], serde_json::json!({}), "{file} over {proto}: nothing dropped");
            assert_eq!(src["kind"], format!("nmea_{proto}"), "{sources}");
            assert!(src["sentences"].as_u64().unwrap() > 100 && src["last_message"].is_string(), "{sources}");
            assert!(metrics.contains("lookout_live_source_sentences"), "/metrics has the source counters");
        }
    }
}

#[test]
fn kill_9_during_live_ingest_loses_no_acknowledged_position() {
    let dir = tempfile::tempdir().expect("tempdir");
    let want = ingested(dir.path(), TAGGED);
    let db = dir.path().join("live.db").display().to_string();
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let live =
        ["--nmea-tcp", listen.as_str(), "--batch-positions", "100", "--batch-delay", "50ms", "--cycle-every", "2s"];
    let server = Server::start(&db, &live);
    // Slow enough to be killed half-way: about 20 s of data at 4x.
    let bin = assert_cmd::cargo::cargo_bin("lookout");
    let mut replayer = StdCommand::new(&bin)
        .args(["replay", testdata(TAGGED).to_str().unwrap(), "--to", &format!("tcp://{listen}"), "--speed", "4x"])
        .stderr(Stdio::null())
        .spawn()
        .expect("replay");
    let end = Instant::now() + Duration::from_secs(30);
    let acknowledged = loop {
        let n = server.path_counter("positions_inserted");
        if n > 200 {
            break n;
        }
        assert!(Instant::now() < end, "live ingest did not start");
        std::thread::sleep(Duration::from_millis(20));
    };
    server.kill();
    let _ = replayer.kill();
    let _ = replayer.wait();
    let after_kill = stored(&db);
    assert!(
        after_kill.len() as u64 >= acknowledged,
        "{} stored after kill -9, {acknowledged} acknowledged before",
        after_kill.len()
    );
    assert!(after_kill.len() < want.len(), "killed during ingest, not after");
    // Every cycle that was written is whole: its statistics and findings read back.
    let store = lookout_store::open(&db).expect("store");
    for c in store.recent_cycle_stats(1000).expect("cycles") {
        assert!(c.stats["positions"].is_u64(), "cycle {:?} complete", c.key);
        store.cycle_findings(&c.key).expect("findings of a written cycle");
    }
    drop(store);
    // Restart; the receiver sends the feed again: nothing lost, nothing doubled.
    let server = Server::start(&db, &live);
    replay(TAGGED, &format!("tcp://{listen}"));
    server.settle("positions_stored", want.len() as u64);
    server.kill();
    assert!(stored(&db) == want, "after restart: the positions of an undisturbed ingest");
}
