//! The compliance test every feed passes: real NMEA sent through it yields the records
//! `lookout ingest`'s reader makes of the same bytes, in order, with its counters right;
//! and the behaviour particular to each kind (reconnect, rotation, UDP drops).

mod common;

use std::io::Write;
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::sync::mpsc::channel;
use std::time::Duration;

use common::*;
use lookout_live::feed::{Backoff, Follow, TcpConnect, TcpListen, UdpListen};
use lookout_live::Clock;
use lookout_model::Record;

const DMA: &str = "ais/dma_aislib_stream_example_2010-06-11.txt.gz";
const TAGGED: &str = "ais/gfw_ais_listener/nmea-with-tagblock.txt.gz";

fn non_blank_lines(bytes: &[u8]) -> u64 {
    bytes.split(|&b| b == b'\n').filter(|l| !l.trim_ascii().is_empty()).count() as u64
}

/// The shared checks: same records as the file reader, counters consistent.
fn check(name: &str, bytes: &[u8], got: Vec<Record>, run_stats: &lookout_live::stats::SourceStats) {
    let want = file_records(bytes);
    assert!(want.len() > 100, "{name}: the file has records");
    assert_eq!(got.len(), want.len(), "{name}: record count");
    assert!(got == want, "{name}: records differ from the file reader's");
    let s = run_stats.snapshot();
    assert_eq!(s.sentences, non_blank_lines(bytes), "{name}: sentences");
    let messages: u64 = s.messages.values().sum();
    assert!(messages > 0 && s.messages.contains_key("1"), "{name}: messages by type {:?}", s.messages);
    let last = want
        .iter()
        .filter_map(|r| match r {
            Record::Position(p) => Some(p.timestamp),
            Record::Static { timestamp, .. } => *timestamp,
        })
        .max();
    assert!(s.last_message.is_some() && s.last_message >= last, "{name}: last message time");
}

#[test]
fn tcp_listen_yields_the_file_records_with_counters() {
    for file in [DMA, TAGGED] {
        let bytes = gunzip(file);
        let (tx, rx) = channel();
        let feed = TcpListen { name: "tcp".into(), addr: "127.0.0.1:0".into(), bound: Some(tx) };
        let run = run_feed(Box::new(feed), ManualClock::at("2026-01-01T00:00:00Z").shared(), 4);
        let addr = rx.recv_timeout(Duration::from_secs(5)).expect("bound");
        let mut c = TcpStream::connect(addr).expect("connect");
        wait_for("connected", || run.stats.snapshot().connected);
        // Odd write sizes: lines split across reads must come out whole.
        for piece in bytes.chunks(777) {
            c.write_all(piece).expect("send");
        }
        drop(c);
        // Read while it arrives: a full queue holds the reader back (back-pressure).
        let mut got = run.collect(file_records(&bytes).len(), Duration::from_secs(20));
        wait_for("disconnected", || !run.stats.snapshot().connected);
        let stats = run.stats.clone();
        got.extend(run.stop());
        check(file, &bytes, got, &stats);
    }
}

#[test]
fn udp_listen_yields_the_file_records_with_counters() {
    let bytes = gunzip(DMA);
    let (tx, rx) = channel();
    let feed = UdpListen { name: "udp".into(), addr: "127.0.0.1:0".into(), bound: Some(tx) };
    let run = run_feed(Box::new(feed), ManualClock::at("2026-01-01T00:00:00Z").shared(), 1024);
    let addr = rx.recv_timeout(Duration::from_secs(5)).expect("bound");
    let sock = UdpSocket::bind("127.0.0.1:0").expect("bind");
    let lines: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
    for group in lines.chunks(10) {
        sock.send_to(&group.join(&b'\n'), addr).expect("send");
        std::thread::sleep(Duration::from_micros(300));
    }
    let want = file_records(&bytes).len();
    let mut got = run.collect(want, Duration::from_secs(10));
    let stats = run.stats.clone();
    got.extend(run.stop());
    check(DMA, &bytes, got, &stats);
}

#[test]
fn udp_counts_drops_when_the_queue_is_full() {
    let bytes = gunzip(DMA);
    let (tx, rx) = channel();
    let feed = UdpListen { name: "udp".into(), addr: "127.0.0.1:0".into(), bound: Some(tx) };
    // A queue of one chunk nobody reads: later bursts are dropped.
    let run = run_feed(Box::new(feed), ManualClock::at("2026-01-01T00:00:00Z").shared(), 1);
    let addr = rx.recv_timeout(Duration::from_secs(5)).expect("bound");
    let sock = UdpSocket::bind("127.0.0.1:0").expect("bind");
    let lines: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
    // Pauses longer than the socket's idle time: each burst becomes its own chunk.
    for group in lines.chunks(50).take(20) {
        sock.send_to(&group.join(&b'\n'), addr).expect("send");
        std::thread::sleep(Duration::from_millis(60));
    }
    let sent = lines[..1000].join(&b'\n');
    wait_for("every datagram decoded", || run.stats.snapshot().sentences == non_blank_lines(&sent));
    let s = run.stats.snapshot();
    let dropped = s.drops.get("queue_full").copied().unwrap_or(0);
    assert!(dropped > 0, "drops counted");
    let kept: usize = run.rx.try_iter().map(|c| c.records.len()).sum();
    assert_eq!(kept as u64 + dropped, file_records(&sent).len() as u64, "every record queued or counted as dropped");
    run.stop();
}

#[test]
fn tcp_client_reconnects_with_backoff_and_reads_each_connection() {
    let bytes = gunzip(TAGGED);
    // Reserve a port, then free it: the client starts with nobody listening.
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let addr = format!("127.0.0.1:{port}");
    let backoff = Backoff { initial: Duration::from_millis(20), max: Duration::from_millis(100), jitter: 0.5 };
    let feed = TcpConnect { name: "client".into(), addr: addr.clone(), backoff };
    // A queue for the whole file: the test reads only after both connections.
    let run = run_feed(Box::new(feed), ManualClock::at("2026-01-01T00:00:00Z").shared(), 256);
    std::thread::sleep(Duration::from_millis(200));
    assert!(!run.stats.snapshot().connected);
    let listener = TcpListener::bind(&addr).expect("listen");
    // First connection: half of the file, then the server hangs up.
    let half = bytes.len() / 2;
    let cut = half + bytes[half..].iter().position(|&b| b == b'\n').unwrap() + 1;
    let (mut c, _) = listener.accept().expect("accept");
    c.write_all(&bytes[..cut]).unwrap();
    drop(c);
    // The client comes back: the rest.
    let (mut c, _) = listener.accept().expect("reconnect");
    c.write_all(&bytes[cut..]).unwrap();
    drop(c);
    let want = file_records(&bytes[..cut]).len() + file_records(&bytes[cut..]).len();
    let mut got = run.collect(want, Duration::from_secs(10));
    let stats = run.stats.clone();
    got.extend(run.stop());
    let mut expected = file_records(&bytes[..cut]);
    expected.extend(file_records(&bytes[cut..]));
    assert!(got == expected, "client records");
    let s = stats.snapshot();
    assert!(s.reconnects >= 1, "reconnects counted: {}", s.reconnects);
}

#[test]
fn backoff_doubles_up_to_its_cap_with_jitter_below() {
    let b = Backoff { initial: Duration::from_millis(100), max: Duration::from_secs(2), jitter: 0.5 };
    assert_eq!(b.delay(0, 0.0), Duration::from_millis(100));
    assert_eq!(b.delay(3, 0.0), Duration::from_millis(800));
    assert_eq!(b.delay(10, 0.0), Duration::from_secs(2));
    assert_eq!(b.delay(10, 1.0), Duration::from_secs(1));
    assert!(b.delay(2, 0.3) < b.delay(2, 0.0));
}

#[test]
fn follow_reads_a_growing_file_through_rotation_and_truncation() {
    let bytes = gunzip(DMA);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("feed.nmea");
    // Parts start at a `$PGHP` stamp line, so each part's first sentence has its time.
    let cut_at_stamp = |from: usize| from + bytes[from..].windows(6).position(|w| w == b"\n$PGHP").unwrap() + 1;
    let cut1 = cut_at_stamp(bytes.len() / 3);
    let cut2 = cut_at_stamp(2 * bytes.len() / 3);
    std::fs::write(&path, &bytes[..cut1 - 10]).unwrap(); // ends mid-line
    let feed = Follow { name: "file".into(), path: path.clone(), poll: Duration::from_millis(20) };
    let run = run_feed(Box::new(feed), ManualClock::at("2026-01-01T00:00:00Z").shared(), 64);
    let first = file_records(&bytes[..cut1]);
    // The partial last line is held until its end arrives.
    std::thread::sleep(Duration::from_millis(200));
    std::fs::OpenOptions::new().append(true).open(&path).unwrap().write_all(&bytes[cut1 - 10..cut1]).unwrap();
    let mut got = run.collect(first.len(), Duration::from_secs(10));
    assert!(got == first, "appended part");
    // Rotation: the file is moved away and a new one takes its name.
    std::fs::rename(&path, dir.path().join("feed.nmea.1")).unwrap();
    std::fs::write(&path, &bytes[cut1..cut2]).unwrap();
    let second = file_records(&bytes[cut1..cut2]);
    got = run.collect(second.len(), Duration::from_secs(10));
    assert!(got == second, "rotated file");
    // Truncation: the same file starts again, shorter than what was read of it.
    let cut3 = cut_at_stamp(bytes.len() - bytes.len() / 8);
    std::fs::write(&path, &bytes[cut3..]).unwrap();
    let third_part = file_records(&bytes[cut3..]);
    got = run.collect(third_part.len(), Duration::from_secs(10));
    assert!(got == third_part, "truncated file: {} records, want {}", got.len(), third_part.len());
    let s = run.stats.snapshot();
    assert_eq!(s.reconnects, 2, "rotation and truncation counted");
    run.stop();
}

#[test]
fn sentences_without_a_stamp_get_the_clock_time() {
    // The pyais sample has no stamps: `lookout ingest` rejects its positions for want of
    // a time, a live feed stamps them with the (injected) receive time.
    let bytes = gunzip("ais/pyais_nmea_data_sample.txt.gz");
    let clock = ManualClock::at("2026-03-04T05:06:07Z");
    let (tx, rx) = channel();
    let feed = TcpListen { name: "tcp".into(), addr: "127.0.0.1:0".into(), bound: Some(tx) };
    let run = run_feed(Box::new(feed), clock.shared(), 8);
    let addr = rx.recv_timeout(Duration::from_secs(5)).expect("bound");
    let mut c = TcpStream::connect(addr).unwrap();
    c.write_all(&bytes).unwrap();
    drop(c);
    let mut got = run.collect(file_records(&bytes).len(), Duration::from_secs(20));
    wait_for("disconnected", || run.run_done());
    got.extend(run.stop());
    let positions: Vec<_> = got
        .iter()
        .filter_map(|r| match r {
            Record::Position(p) => Some(p.timestamp),
            _ => None,
        })
        .collect();
    assert!(positions.len() > 100, "positions: {}", positions.len());
    assert!(positions.iter().all(|t| *t == clock.now()));
}

trait Done {
    fn run_done(&self) -> bool;
}
impl Done for Running {
    fn run_done(&self) -> bool {
        let s = self.stats.snapshot();
        s.sentences > 0 && !s.connected
    }
}
