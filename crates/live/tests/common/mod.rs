//! Shared by the live tests: real NMEA from `testdata/`, an injected clock, a feed run
//! on its own thread with the queue it fills.
#![allow(dead_code, unreachable_pub)]

use std::io::Read;
use std::path::PathBuf;
use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use lookout_live::feed::{Feed, FeedContext};
use lookout_live::ingress::Chunk;
use lookout_live::stats::SourceStats;
use lookout_live::{Clock, SharedClock, Stop};
use lookout_model::Record;
use lookout_nmea::{DecoderOptions, NmeaRecords};

pub fn testdata(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata").join(rel)
}

/// The uncompressed bytes of a gzipped test file.
pub fn gunzip(rel: &str) -> Vec<u8> {
    let f = std::fs::File::open(testdata(rel)).expect("test file");
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(f).read_to_end(&mut out).expect("gunzip");
    out
}

/// What `lookout ingest`'s reader makes of the same bytes: every record, in order.
pub fn file_records(bytes: &[u8]) -> Vec<Record> {
    NmeaRecords::new(bytes, DecoderOptions::default()).filter_map(Result::ok).collect()
}

/// A clock a test sets.
#[derive(Clone)]
pub struct ManualClock(pub Arc<Mutex<DateTime<Utc>>>);

impl ManualClock {
    pub fn at(t: &str) -> ManualClock {
        ManualClock(Arc::new(Mutex::new(t.parse().expect("time"))))
    }
    pub fn set(&self, t: &str) {
        *self.0.lock().unwrap() = t.parse().expect("time");
    }
    pub fn shared(&self) -> SharedClock {
        Arc::new(self.clone())
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

pub struct Running {
    pub rx: Receiver<Chunk>,
    pub stats: Arc<SourceStats>,
    pub stop: Stop,
    pub thread: JoinHandle<()>,
}

/// Starts `feed` with a queue of `queue` chunks.
pub fn run_feed(feed: Box<dyn Feed>, clock: SharedClock, queue: usize) -> Running {
    let stats = Arc::new(SourceStats::new(feed.name(), feed.kind(), feed.address()));
    let (tx, rx) = sync_channel(queue);
    let stop = Stop::default();
    let ctx = FeedContext { stats: stats.clone(), tx, clock, stop: stop.clone() };
    let thread = std::thread::spawn(move || feed.run(ctx).expect("feed runs"));
    Running { rx, stats, stop, thread }
}

impl Running {
    /// Records received until `n` arrived or `timeout` passed.
    pub fn collect(&self, n: usize, timeout: Duration) -> Vec<Record> {
        let end = Instant::now() + timeout;
        let mut out = Vec::new();
        while out.len() < n && Instant::now() < end {
            if let Ok(c) = self.rx.recv_timeout(Duration::from_millis(50)) {
                out.extend(c.records.into_iter().map(|(_, r)| r));
            }
        }
        out
    }

    /// Stops the feed and returns what it still sent (the decoder's finish included).
    pub fn stop(self) -> Vec<Record> {
        self.stop.stop();
        let mut out = Vec::new();
        let Running { rx, thread, .. } = self;
        // Drain while the thread ends (it may block on a full queue).
        while !thread.is_finished() {
            if let Ok(c) = rx.recv_timeout(Duration::from_millis(20)) {
                out.extend(c.records.into_iter().map(|(_, r)| r));
            }
        }
        thread.join().expect("feed thread");
        out.extend(rx.try_iter().flat_map(|c| c.records.into_iter().map(|(_, r)| r)));
        out
    }
}

/// Waits until `f` holds (or fails the test after 10 s).
pub fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    let end = Instant::now() + Duration::from_secs(10);
    while !f() {
        assert!(Instant::now() < end, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}
