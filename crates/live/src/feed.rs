//! Sources of NMEA sentences: one trait, one implementation per kind.
//!
//! - [`TcpListen`] (`--nmea-tcp ADDR`): receivers connect and send lines; one thread and
//!   one decoder per connection. A full queue blocks the reader, so TCP slows the sender.
//! - [`UdpListen`] (`--nmea-udp ADDR`): one datagram = one or more lines. A full queue
//!   drops the datagram's records, counted as `queue_full`.
//! - [`TcpConnect`] (`--nmea-connect HOST:PORT`): a client that reconnects with capped
//!   exponential backoff and jitter.
//! - [`Follow`] (`--follow FILE`): reads a growing file from its start, then polls; a
//!   rotated (new inode) or truncated file is read again from its start.
//!
//! Every feed polls its [`Stop`] at least every [`POLL`].

use std::io::{ErrorKind, Read, Seek, SeekFrom};
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs, UdpSocket};
use std::path::PathBuf;
use std::sync::mpsc::{SyncSender, TrySendError};
use std::sync::Arc;
use std::time::Duration;

use crate::ingress::{Chunk, Ingress};
use crate::stats::{FeedKind, SourceStats};
use crate::{LiveError, SharedClock, Stop};

/// How often a blocked feed looks at its stop flag.
pub const POLL: Duration = Duration::from_millis(100);
const READ_BUF: usize = 64 * 1024;
/// A UDP chunk goes to the queue at this many records, or after the socket was idle
/// for [`UDP_IDLE`].
const UDP_CHUNK_RECORDS: usize = 1000;
const UDP_IDLE: Duration = Duration::from_millis(20);

/// What a running feed gets.
#[derive(Clone)]
pub struct FeedContext {
    pub stats: Arc<SourceStats>,
    pub tx: SyncSender<Chunk>,
    pub clock: SharedClock,
    pub stop: Stop,
}

/// A source of NMEA lines.
pub trait Feed: Send {
    fn name(&self) -> &str;
    fn kind(&self) -> FeedKind;
    /// Address or path, for the counters.
    fn address(&self) -> String;
    /// Runs until `ctx.stop` is set (or the queue's receiver is gone). An error only
    /// for what cannot be retried (the address cannot be bound).
    fn run(self: Box<Self>, ctx: FeedContext) -> Result<(), LiveError>;
}

/// Sends a chunk, waiting while the queue is full (back-pressure). False when the
/// batcher is gone or the feed must stop.
fn send_blocking(ctx: &FeedContext, mut chunk: Chunk) -> bool {
    if chunk.records.is_empty() {
        return true;
    }
    loop {
        match ctx.tx.try_send(chunk) {
            Ok(()) => return true,
            Err(TrySendError::Disconnected(_)) => return false,
            Err(TrySendError::Full(c)) => {
                if ctx.stop.is_stopped() {
                    return false;
                }
                chunk = c;
                std::thread::sleep(Duration::from_millis(2));
            }
        }
    }
}

/// Reads a stream to its end (or the stop flag) through one decoder.
fn pump_stream(ctx: &FeedContext, stream: &mut dyn Read) -> std::io::Result<()> {
    let mut ingress = Ingress::new(ctx.stats.clone(), ctx.clock.clone());
    let mut buf = vec![0u8; READ_BUF];
    let result = loop {
        if ctx.stop.is_stopped() {
            break Ok(());
        }
        match stream.read(&mut buf) {
            Ok(0) => break Ok(()),
            Ok(n) => {
                if !send_blocking(ctx, ingress.bytes(&buf[..n])) {
                    break Ok(());
                }
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted) => {}
            Err(e) => break Err(e),
        }
    };
    send_blocking(ctx, ingress.finish());
    result
}

/// `--nmea-tcp ADDR`: listens; every connection is a receiver sending lines.
pub struct TcpListen {
    pub name: String,
    pub addr: String,
    /// Set once bound (port 0 picks one): where a test connects.
    pub bound: Option<std::sync::mpsc::Sender<SocketAddr>>,
}

impl Feed for TcpListen {
    fn name(&self) -> &str {
        &self.name
    }
    fn kind(&self) -> FeedKind {
        FeedKind::NmeaTcp
    }
    fn address(&self) -> String {
        self.addr.clone()
    }
    fn run(self: Box<Self>, ctx: FeedContext) -> Result<(), LiveError> {
        let listener = TcpListener::bind(&self.addr).map_err(|e| LiveError::io("binding", &self.addr, e))?;
        listener.set_nonblocking(true).map_err(|e| LiveError::io("binding", &self.addr, e))?;
        if let (Some(tx), Ok(a)) = (&self.bound, listener.local_addr()) {
            let _ = tx.send(a);
        }
        tracing::info!(source = %self.name, addr = %self.addr, "listening for NMEA over TCP");
        let mut workers = Vec::new();
        while !ctx.stop.is_stopped() {
            match listener.accept() {
                Ok((mut stream, peer)) => {
                    let ctx = ctx.clone();
                    workers.push(std::thread::spawn(move || {
                        let _ = stream.set_nonblocking(false);
                        let _ = stream.set_read_timeout(Some(POLL));
                        ctx.stats.connection_opened();
                        tracing::info!(source = %ctx.stats.name, %peer, "receiver connected");
                        if let Err(e) = pump_stream(&ctx, &mut stream) {
                            tracing::warn!(source = %ctx.stats.name, %peer, error = %e, "receiver connection failed");
                        }
                        ctx.stats.connection_closed();
                    }));
                    workers.retain(|w| !w.is_finished());
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => std::thread::sleep(Duration::from_millis(20)),
                Err(e) => {
                    tracing::warn!(source = %self.name, error = %e, "accept failed");
                    std::thread::sleep(POLL);
                }
            }
        }
        for w in workers {
            let _ = w.join();
        }
        Ok(())
    }
}

/// `--nmea-udp ADDR`: one socket; each datagram holds whole lines.
pub struct UdpListen {
    pub name: String,
    pub addr: String,
    pub bound: Option<std::sync::mpsc::Sender<SocketAddr>>,
}

impl Feed for UdpListen {
    fn name(&self) -> &str {
        &self.name
    }
    fn kind(&self) -> FeedKind {
        FeedKind::NmeaUdp
    }
    fn address(&self) -> String {
        self.addr.clone()
    }
    fn run(self: Box<Self>, ctx: FeedContext) -> Result<(), LiveError> {
        let socket = UdpSocket::bind(&self.addr).map_err(|e| LiveError::io("binding", &self.addr, e))?;
        socket.set_read_timeout(Some(UDP_IDLE)).map_err(|e| LiveError::io("binding", &self.addr, e))?;
        if let (Some(tx), Ok(a)) = (&self.bound, socket.local_addr()) {
            let _ = tx.send(a);
        }
        tracing::info!(source = %self.name, addr = %self.addr, "listening for NMEA over UDP");
        ctx.stats.connection_opened();
        let mut ingress = Ingress::new(ctx.stats.clone(), ctx.clock.clone());
        let mut buf = vec![0u8; 65_536];
        // Datagrams gather into one chunk until it is big enough or the socket is idle.
        let mut pending: Option<Chunk> = None;
        let offer = |pending: &mut Option<Chunk>| -> bool {
            let Some(c) = pending.take() else { return true };
            match ctx.tx.try_send(c) {
                Ok(()) => true,
                Err(TrySendError::Full(c)) => {
                    ctx.stats.drop_records("queue_full", c.records.len() as u64);
                    true
                }
                Err(TrySendError::Disconnected(_)) => false,
            }
        };
        while !ctx.stop.is_stopped() {
            match socket.recv_from(&mut buf) {
                Ok((n, _peer)) => {
                    let chunk = ingress.lines(buf[..n].split(|&b| b == b'\n'));
                    match pending.as_mut() {
                        Some(p) => p.records.extend(chunk.records),
                        None if !chunk.records.is_empty() => pending = Some(chunk),
                        None => {}
                    }
                    if pending.as_ref().is_some_and(|p| p.records.len() >= UDP_CHUNK_RECORDS) && !offer(&mut pending) {
                        break;
                    }
                }
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted) => {
                    if !offer(&mut pending) {
                        break;
                    }
                }
                Err(e) => {
                    tracing::warn!(source = %self.name, error = %e, "UDP receive failed");
                    std::thread::sleep(POLL);
                }
            }
        }
        offer(&mut pending);
        send_blocking(&ctx, ingress.finish());
        ctx.stats.connection_closed();
        Ok(())
    }
}

/// Reconnection delays: capped exponential backoff with jitter.
#[derive(Clone, Copy, Debug)]
pub struct Backoff {
    pub initial: Duration,
    pub max: Duration,
    /// Fraction of the delay drawn at random and subtracted (0.0–1.0).
    pub jitter: f64,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff { initial: Duration::from_millis(500), max: Duration::from_secs(30), jitter: 0.5 }
    }
}

impl Backoff {
    /// Delay before attempt `n` (0 = the first retry); `random` in `[0, 1)`.
    pub fn delay(&self, n: u32, random: f64) -> Duration {
        let base = self.initial.as_secs_f64() * 2f64.powi(n.min(30) as i32);
        let capped = base.min(self.max.as_secs_f64());
        let j = self.jitter.clamp(0.0, 1.0) * random.clamp(0.0, 1.0);
        Duration::from_secs_f64(capped * (1.0 - j))
    }
}

/// A random number in `[0, 1)` from the standard library's randomly keyed hasher
/// (jitter needs no quality).
fn random_unit() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(0);
    (h.finish() >> 11) as f64 / (1u64 << 53) as f64
}

/// `--nmea-connect HOST:PORT`: a TCP client of a feed, reconnecting forever.
pub struct TcpConnect {
    pub name: String,
    pub addr: String,
    pub backoff: Backoff,
}

impl Feed for TcpConnect {
    fn name(&self) -> &str {
        &self.name
    }
    fn kind(&self) -> FeedKind {
        FeedKind::NmeaConnect
    }
    fn address(&self) -> String {
        self.addr.clone()
    }
    fn run(self: Box<Self>, ctx: FeedContext) -> Result<(), LiveError> {
        let mut failures = 0u32;
        let mut first = true;
        while !ctx.stop.is_stopped() {
            let conn = self
                .addr
                .to_socket_addrs()
                .and_then(|mut a| a.next().ok_or_else(|| std::io::Error::new(ErrorKind::NotFound, "no address")))
                .and_then(|a| TcpStream::connect_timeout(&a, Duration::from_secs(5)));
            match conn {
                Ok(mut stream) => {
                    if !first {
                        ctx.stats.reconnect();
                    }
                    first = false;
                    failures = 0;
                    let _ = stream.set_read_timeout(Some(POLL));
                    ctx.stats.connection_opened();
                    tracing::info!(source = %self.name, addr = %self.addr, "connected to feed");
                    if let Err(e) = pump_stream(&ctx, &mut stream) {
                        tracing::warn!(source = %self.name, error = %e, "feed connection failed");
                    }
                    ctx.stats.connection_closed();
                }
                Err(e) => {
                    tracing::debug!(source = %self.name, error = %e, "connecting failed");
                }
            }
            if ctx.stop.is_stopped() {
                break;
            }
            let wait = self.backoff.delay(failures, random_unit());
            failures = failures.saturating_add(1);
            sleep_unless_stopped(&ctx.stop, wait);
        }
        Ok(())
    }
}

fn sleep_unless_stopped(stop: &Stop, d: Duration) {
    let end = std::time::Instant::now() + d;
    while !stop.is_stopped() {
        let now = std::time::Instant::now();
        if now >= end {
            break;
        }
        std::thread::sleep((end - now).min(POLL));
    }
}

/// `--follow FILE`: `tail -f` from the file's start, surviving rotation and truncation.
pub struct Follow {
    pub name: String,
    pub path: PathBuf,
    /// How often the end of the file is polled.
    pub poll: Duration,
}

#[cfg(unix)]
fn file_id(m: &std::fs::Metadata) -> u64 {
    std::os::unix::fs::MetadataExt::ino(m)
}
#[cfg(not(unix))]
fn file_id(_m: &std::fs::Metadata) -> u64 {
    0
}

impl Feed for Follow {
    fn name(&self) -> &str {
        &self.name
    }
    fn kind(&self) -> FeedKind {
        FeedKind::Follow
    }
    fn address(&self) -> String {
        self.path.display().to_string()
    }
    fn run(self: Box<Self>, ctx: FeedContext) -> Result<(), LiveError> {
        let mut buf = vec![0u8; READ_BUF];
        // (file, its inode, bytes read, its decoder)
        let mut open: Option<(std::fs::File, u64, u64, Ingress)> = None;
        while !ctx.stop.is_stopped() {
            if open.is_none() {
                match std::fs::File::open(&self.path).and_then(|f| f.metadata().map(|m| (f, file_id(&m)))) {
                    Ok((f, id)) => {
                        ctx.stats.connection_opened();
                        open = Some((f, id, 0, Ingress::new(ctx.stats.clone(), ctx.clock.clone())));
                    }
                    Err(_) => {
                        sleep_unless_stopped(&ctx.stop, self.poll);
                        continue;
                    }
                }
            }
            let Some((file, id, pos, ingress)) = open.as_mut() else { continue };
            match file.read(&mut buf) {
                Ok(0) => {
                    // At the end: rotated (another file at the path) or truncated?
                    let now_meta = std::fs::metadata(&self.path);
                    let rotated = match &now_meta {
                        Ok(m) => file_id(m) != *id,
                        Err(_) => false,
                    };
                    let truncated = matches!(&now_meta, Ok(m) if !rotated && m.len() < *pos);
                    if rotated {
                        tracing::info!(source = %self.name, "file rotated: reading the new one");
                        send_blocking(&ctx, ingress.finish());
                        ctx.stats.connection_closed();
                        ctx.stats.reconnect();
                        open = None;
                    } else if truncated {
                        tracing::info!(source = %self.name, "file truncated: reading from its start");
                        send_blocking(&ctx, ingress.finish());
                        *ingress = Ingress::new(ctx.stats.clone(), ctx.clock.clone());
                        let _ = file.seek(SeekFrom::Start(0));
                        *pos = 0;
                        ctx.stats.reconnect();
                    } else {
                        sleep_unless_stopped(&ctx.stop, self.poll);
                    }
                }
                Ok(n) => {
                    *pos += n as u64;
                    if !send_blocking(&ctx, ingress.bytes(&buf[..n])) {
                        break;
                    }
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => {
                    tracing::warn!(source = %self.name, error = %e, "reading failed; reopening");
                    ctx.stats.connection_closed();
                    open = None;
                    sleep_unless_stopped(&ctx.stop, self.poll);
                }
            }
        }
        if let Some((_, _, _, mut ingress)) = open {
            send_blocking(&ctx, ingress.finish());
            ctx.stats.connection_closed();
        }
        Ok(())
    }
}
