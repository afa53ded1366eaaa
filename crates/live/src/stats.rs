//! Counters of each source and of the live path, read by `/api/v1/sources` and
//! `/metrics`. Updated with atomics and short locks; never on a per-byte path.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use lookout_model::Timestamp;
use serde::Serialize;

/// What kind of feed a source is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FeedKind {
    NmeaTcp,
    NmeaUdp,
    NmeaConnect,
    Follow,
}

impl FeedKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FeedKind::NmeaTcp => "nmea_tcp",
            FeedKind::NmeaUdp => "nmea_udp",
            FeedKind::NmeaConnect => "nmea_connect",
            FeedKind::Follow => "follow",
        }
    }
}

/// One source's counters.
#[derive(Debug)]
pub struct SourceStats {
    pub name: String,
    pub kind: FeedKind,
    /// Address or path.
    pub address: String,
    sentences: AtomicU64,
    positions: AtomicU64,
    statics: AtomicU64,
    /// Open connections (TCP listen), 1/0 for a client or file, 1 while a UDP socket is bound.
    connections: AtomicU64,
    connected: AtomicBool,
    reconnects: AtomicU64,
    /// Milliseconds since the epoch of the last decoded message's receive time; 0 = none.
    last_message_ms: AtomicI64,
    messages: Mutex<BTreeMap<u8, u64>>,
    rejects: Mutex<BTreeMap<String, u64>>,
    drops: Mutex<BTreeMap<String, u64>>,
}

/// A copy of a source's counters.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SourceSnapshot {
    pub name: String,
    pub kind: FeedKind,
    pub address: String,
    pub connected: bool,
    pub connections: u64,
    pub reconnects: u64,
    pub sentences: u64,
    /// Accepted positions and static reports (validated), before the store.
    pub positions: u64,
    pub statics: u64,
    /// Decoded messages by AIS message type.
    pub messages: BTreeMap<String, u64>,
    /// Sentences or records rejected, by reason.
    pub rejects: BTreeMap<String, u64>,
    /// Records dropped before the store, by reason (UDP under back-pressure).
    pub drops: BTreeMap<String, u64>,
    pub last_message: Option<Timestamp>,
}

fn add(map: &Mutex<BTreeMap<String, u64>>, key: &str, n: u64) {
    if let Ok(mut m) = map.lock() {
        match m.get_mut(key) {
            Some(v) => *v += n,
            None => {
                m.insert(key.to_string(), n);
            }
        }
    }
}

impl SourceStats {
    pub fn new(name: impl Into<String>, kind: FeedKind, address: impl Into<String>) -> SourceStats {
        SourceStats {
            name: name.into(),
            kind,
            address: address.into(),
            sentences: AtomicU64::new(0),
            positions: AtomicU64::new(0),
            statics: AtomicU64::new(0),
            connections: AtomicU64::new(0),
            connected: AtomicBool::new(false),
            reconnects: AtomicU64::new(0),
            last_message_ms: AtomicI64::new(0),
            messages: Mutex::default(),
            rejects: Mutex::default(),
            drops: Mutex::default(),
        }
    }

    pub fn sentences(&self, n: u64) {
        self.sentences.fetch_add(n, Ordering::Relaxed);
    }
    pub fn accepted(&self, positions: u64, statics: u64) {
        self.positions.fetch_add(positions, Ordering::Relaxed);
        self.statics.fetch_add(statics, Ordering::Relaxed);
    }
    pub fn messages(&self, by_type: &BTreeMap<u8, u64>, last: Option<Timestamp>) {
        if let Ok(mut m) = self.messages.lock() {
            for (t, n) in by_type {
                *m.entry(*t).or_insert(0) += n;
            }
        }
        if let Some(t) = last {
            self.last_message_ms.fetch_max(t.timestamp_millis(), Ordering::Relaxed);
        }
    }
    pub fn reject(&self, reason: &str, n: u64) {
        add(&self.rejects, reason, n);
    }
    pub fn drop_records(&self, reason: &str, n: u64) {
        add(&self.drops, reason, n);
    }
    pub fn connection_opened(&self) {
        self.connections.fetch_add(1, Ordering::SeqCst);
        self.connected.store(true, Ordering::SeqCst);
    }
    pub fn connection_closed(&self) {
        let left = self.connections.fetch_sub(1, Ordering::SeqCst).saturating_sub(1);
        self.connected.store(left > 0, Ordering::SeqCst);
    }
    pub fn reconnect(&self) {
        self.reconnects.fetch_add(1, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> SourceSnapshot {
        let ms = self.last_message_ms.load(Ordering::Relaxed);
        SourceSnapshot {
            name: self.name.clone(),
            kind: self.kind,
            address: self.address.clone(),
            connected: self.connected.load(Ordering::SeqCst),
            connections: self.connections.load(Ordering::SeqCst),
            reconnects: self.reconnects.load(Ordering::Relaxed),
            sentences: self.sentences.load(Ordering::Relaxed),
            positions: self.positions.load(Ordering::Relaxed),
            statics: self.statics.load(Ordering::Relaxed),
            messages: self
                .messages
                .lock()
                .map(|m| m.iter().map(|(t, n)| (t.to_string(), *n)).collect())
                .unwrap_or_default(),
            rejects: self.rejects.lock().map(|m| m.clone()).unwrap_or_default(),
            drops: self.drops.lock().map(|m| m.clone()).unwrap_or_default(),
            last_message: (ms != 0).then(|| Timestamp::from_timestamp_millis(ms)).flatten(),
        }
    }
}

/// Counters of the store side and the scheduler.
#[derive(Debug, Default)]
pub struct PathStats {
    /// Positions acknowledged: in a committed batch (new or exact repeats).
    pub positions_stored: AtomicU64,
    /// Of those, new rows.
    pub positions_inserted: AtomicU64,
    pub batches: AtomicU64,
    pub store_errors: AtomicU64,
    pub cycles: AtomicU64,
    pub cycles_late: AtomicU64,
    pub cycles_failed: AtomicU64,
    /// Windows re-analysed because late data arrived after them.
    pub cycles_rerun: AtomicU64,
    /// Windows skipped after downtime because they ended before the catch-up horizon.
    pub windows_missed: AtomicU64,
    /// Positions older than the last analysed window (late data).
    pub positions_late: AtomicU64,
    /// Late positions beyond the horizon: stored, but their window is not re-analysed.
    pub positions_too_late: AtomicU64,
}

/// Snapshot of [`PathStats`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PathSnapshot {
    pub positions_stored: u64,
    pub positions_inserted: u64,
    pub batches: u64,
    pub store_errors: u64,
    pub cycles: u64,
    pub cycles_late: u64,
    pub cycles_failed: u64,
    pub cycles_rerun: u64,
    pub windows_missed: u64,
    pub positions_late: u64,
    pub positions_too_late: u64,
}

impl PathStats {
    pub fn snapshot(&self) -> PathSnapshot {
        let g = |a: &AtomicU64| a.load(Ordering::SeqCst);
        PathSnapshot {
            positions_stored: g(&self.positions_stored),
            positions_inserted: g(&self.positions_inserted),
            batches: g(&self.batches),
            store_errors: g(&self.store_errors),
            cycles: g(&self.cycles),
            cycles_late: g(&self.cycles_late),
            cycles_failed: g(&self.cycles_failed),
            cycles_rerun: g(&self.cycles_rerun),
            windows_missed: g(&self.windows_missed),
            positions_late: g(&self.positions_late),
            positions_too_late: g(&self.positions_too_late),
        }
    }
}

/// Every source of a running live path, and the path's own counters.
#[derive(Debug, Default)]
pub struct LiveStatus {
    pub sources: Mutex<Vec<Arc<SourceStats>>>,
    pub path: PathStats,
}

/// `/api/v1/sources`.
#[derive(Clone, Debug, Serialize)]
pub struct StatusSnapshot {
    pub sources: Vec<SourceSnapshot>,
    pub path: PathSnapshot,
}

impl LiveStatus {
    pub fn add(&self, s: Arc<SourceStats>) {
        if let Ok(mut v) = self.sources.lock() {
            v.push(s);
        }
    }
    pub fn snapshot(&self) -> StatusSnapshot {
        let sources = self.sources.lock().map(|v| v.iter().map(|s| s.snapshot()).collect()).unwrap_or_default();
        StatusSnapshot { sources, path: self.path.snapshot() }
    }
}
