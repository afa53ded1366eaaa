//! Live options, from `lookout serve` flags or a TOML file (`--config lookout.toml`):
//!
//! ```toml
//! cycle_every = "5m"      # default 5m
//! window = "24h"          # default 24h
//! horizon = "24h"         # missed/dirty windows older than this are not analysed
//! lookback = "24h"        # positions loaded before a window (gaps seen whole)
//! batch_positions = 5000  # micro-batch bounds
//! batch_delay = "1s"
//! schedule = true         # false: ingest only, no cycles
//!
//! [[source]]
//! name = "harbour"        # optional; default "<kind>:<address>"
//! nmea_tcp = "0.0.0.0:10110"   # or nmea_udp, nmea_connect, follow (exactly one)
//! ```
//!
//! Then [`start`] runs it: one thread per feed, the batcher, the scheduler.

use std::path::PathBuf;
use std::sync::mpsc::sync_channel;
use std::sync::Arc;
use std::thread::JoinHandle;

use serde::Deserialize;

use crate::batch::{run_batcher, BatchOptions, BatchSink};
use crate::feed::{Backoff, Feed, FeedContext, Follow, TcpConnect, TcpListen, UdpListen};
use crate::schedule::{CycleRunner, LateData, Schedule, Scheduler};
use crate::stats::{LiveStatus, SourceStats};
use crate::{LiveError, SharedClock, Stop};

/// One configured source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceSpec {
    NmeaTcp(String),
    NmeaUdp(String),
    NmeaConnect(String),
    Follow(PathBuf),
}

/// Everything the live path needs besides the store.
#[derive(Clone, Debug, PartialEq)]
pub struct LiveConfig {
    pub sources: Vec<(Option<String>, SourceSpec)>,
    pub schedule: Schedule,
    pub run_schedule: bool,
    pub lookback: chrono::Duration,
    pub batch: BatchOptions,
}

impl PartialEq for BatchOptions {
    fn eq(&self, o: &Self) -> bool {
        self.max_positions == o.max_positions && self.max_delay == o.max_delay && self.queue_chunks == o.queue_chunks
    }
}

impl Default for LiveConfig {
    fn default() -> Self {
        LiveConfig {
            sources: Vec::new(),
            schedule: Schedule::default(),
            run_schedule: true,
            lookback: chrono::Duration::hours(24),
            batch: BatchOptions::default(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    cycle_every: Option<String>,
    window: Option<String>,
    horizon: Option<String>,
    lookback: Option<String>,
    batch_positions: Option<usize>,
    batch_delay: Option<String>,
    schedule: Option<bool>,
    #[serde(default)]
    source: Vec<FileSource>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSource {
    name: Option<String>,
    nmea_tcp: Option<String>,
    nmea_udp: Option<String>,
    nmea_connect: Option<String>,
    follow: Option<PathBuf>,
}

/// `90s`, `5m`, `24h`, `7d`, `500ms` (a whole number and a unit).
pub fn parse_duration(text: &str) -> Result<chrono::Duration, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: i64 = num.parse().map_err(|_| format!("{text:?}: expected a number and a unit (ms, s, m, h, d)"))?;
    let d = match unit {
        "ms" => chrono::Duration::milliseconds(n),
        "s" => chrono::Duration::seconds(n),
        "m" => chrono::Duration::minutes(n),
        "h" => chrono::Duration::hours(n),
        "d" => chrono::Duration::days(n),
        _ => return Err(format!("{text:?}: unknown unit {unit:?} (ms, s, m, h, d)")),
    };
    Ok(d)
}

fn field_duration(field: &str, v: &Option<String>, into: &mut chrono::Duration) -> Result<(), LiveError> {
    if let Some(s) = v {
        *into = parse_duration(s).map_err(|message| LiveError::Config { field: field.into(), message })?;
    }
    Ok(())
}

impl LiveConfig {
    /// Reads the TOML text of `--config` over the defaults.
    pub fn from_toml(text: &str) -> Result<LiveConfig, LiveError> {
        let f: FileConfig = toml::from_str(text)
            .map_err(|e| LiveError::Config { field: "toml".into(), message: e.message().to_string() })?;
        let mut c = LiveConfig::default();
        field_duration("cycle_every", &f.cycle_every, &mut c.schedule.every)?;
        field_duration("window", &f.window, &mut c.schedule.window)?;
        field_duration("horizon", &f.horizon, &mut c.schedule.horizon)?;
        field_duration("lookback", &f.lookback, &mut c.lookback)?;
        let mut delay = chrono::Duration::from_std(c.batch.max_delay).unwrap_or_default();
        field_duration("batch_delay", &f.batch_delay, &mut delay)?;
        c.batch.max_delay = delay
            .to_std()
            .map_err(|_| LiveError::Config { field: "batch_delay".into(), message: "must be positive".into() })?;
        if let Some(n) = f.batch_positions {
            if n == 0 {
                return Err(LiveError::Config { field: "batch_positions".into(), message: "at least 1".into() });
            }
            c.batch.max_positions = n;
        }
        c.run_schedule = f.schedule.unwrap_or(true);
        for (i, s) in f.source.into_iter().enumerate() {
            let mut specs = Vec::new();
            specs.extend(s.nmea_tcp.map(SourceSpec::NmeaTcp));
            specs.extend(s.nmea_udp.map(SourceSpec::NmeaUdp));
            specs.extend(s.nmea_connect.map(SourceSpec::NmeaConnect));
            specs.extend(s.follow.map(SourceSpec::Follow));
            if specs.len() != 1 {
                return Err(LiveError::Config {
                    field: format!("source[{i}]"),
                    message: "exactly one of nmea_tcp, nmea_udp, nmea_connect, follow".into(),
                });
            }
            c.sources.extend(specs.into_iter().map(|spec| (s.name.clone(), spec)));
        }
        c.schedule.validate()?;
        Ok(c)
    }
}

/// The feed for a spec.
pub fn make_feed(name: Option<String>, spec: &SourceSpec) -> Box<dyn Feed> {
    let default_name = |kind: &str, addr: &str| name.clone().unwrap_or_else(|| format!("{kind}:{addr}"));
    match spec {
        SourceSpec::NmeaTcp(a) => Box::new(TcpListen { name: default_name("tcp", a), addr: a.clone(), bound: None }),
        SourceSpec::NmeaUdp(a) => Box::new(UdpListen { name: default_name("udp", a), addr: a.clone(), bound: None }),
        SourceSpec::NmeaConnect(a) => {
            Box::new(TcpConnect { name: default_name("connect", a), addr: a.clone(), backoff: Backoff::default() })
        }
        SourceSpec::Follow(p) => Box::new(Follow {
            name: default_name("file", &p.display().to_string()),
            path: p.clone(),
            poll: std::time::Duration::from_millis(200),
        }),
    }
}

/// A running live path.
pub struct LiveHandle {
    pub status: Arc<LiveStatus>,
    pub late: Arc<LateData>,
    stop: Stop,
    feeds: Vec<JoinHandle<()>>,
    batcher: Option<JoinHandle<()>>,
    scheduler: Option<JoinHandle<()>>,
}

impl LiveHandle {
    /// Stops the feeds, stores what they sent, then stops the scheduler (a running
    /// cycle completes first).
    pub fn shutdown(mut self) {
        self.stop.stop();
        for f in self.feeds.drain(..) {
            let _ = f.join();
        }
        if let Some(b) = self.batcher.take() {
            let _ = b.join();
        }
        if let Some(s) = self.scheduler.take() {
            let _ = s.join();
        }
    }
}

/// Starts feeds, batcher and (when given a runner) the scheduler on their own threads.
pub fn start(
    feeds: Vec<Box<dyn Feed>>,
    sink: Box<dyn BatchSink>,
    runner: Option<Box<dyn CycleRunner>>,
    schedule: Schedule,
    batch: BatchOptions,
    clock: SharedClock,
) -> Result<LiveHandle, LiveError> {
    let status = Arc::new(LiveStatus::default());
    let late = Arc::new(LateData::new(schedule, clock.clone()));
    let stop = Stop::default();
    // The scheduler is built first: it reads where the schedule resumes, which late
    // data needs.
    let scheduler = match runner {
        Some(r) => Some(Scheduler::new(late.clone(), r, clock.clone(), status.clone())?),
        None => None,
    };
    let (tx, rx) = sync_channel(batch.queue_chunks.max(1));
    let mut handles = Vec::new();
    for feed in feeds {
        let stats = Arc::new(SourceStats::new(feed.name(), feed.kind(), feed.address()));
        status.add(stats.clone());
        let ctx = FeedContext { stats, tx: tx.clone(), clock: clock.clone(), stop: stop.clone() };
        handles.push(std::thread::spawn(move || {
            let name = ctx.stats.name.clone();
            if let Err(e) = feed.run(ctx) {
                tracing::error!(source = %name, error = %e, "feed stopped");
            }
        }));
    }
    drop(tx);
    let batcher = {
        let (status, late, stop, clock) = (status.clone(), late.clone(), stop.clone(), clock.clone());
        let mut sink = sink;
        std::thread::spawn(move || run_batcher(rx, sink.as_mut(), batch, clock, status, Some(late), stop))
    };
    let scheduler = scheduler.map(|s| {
        let stop = stop.clone();
        std::thread::spawn(move || s.run(stop))
    });
    Ok(LiveHandle { status, late, stop, feeds: handles, batcher: Some(batcher), scheduler })
}
