//! The store side of the live path: chunks of records from the feeds are validated and
//! gathered into micro-batches bounded by size and by time, then handed to a
//! [`BatchSink`], the one seam between readers and the store (a broker can sit there).

use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use lookout_engine::ingest_stream::{store_batch, BatchOutcome, StreamBatch};
use lookout_ingest::validate::{ValidateOptions, Validator};
use lookout_model::Record;
use lookout_store::Store;

use crate::ingress::Chunk;
use crate::schedule::LateData;
use crate::stats::{LiveStatus, SourceStats};
use crate::{LiveError, SharedClock, Stop};

/// Micro-batch bounds.
#[derive(Clone, Copy, Debug)]
pub struct BatchOptions {
    /// A batch is stored once it holds this many positions...
    pub max_positions: usize,
    /// ...or this long after its first record arrived.
    pub max_delay: Duration,
    /// Chunks (one read of one connection each, at most 64 KiB of lines) waiting for
    /// the batcher: bounds the memory between readers and the store.
    pub queue_chunks: usize,
}

impl Default for BatchOptions {
    fn default() -> Self {
        BatchOptions { max_positions: 5_000, max_delay: Duration::from_secs(1), queue_chunks: 64 }
    }
}

/// Where validated batches go. The live path's seam: [`StoreSink`] writes them to the
/// store; a broker sink would publish them and a consumer would call [`StoreSink`].
pub trait BatchSink: Send {
    /// Stores (or durably hands over) one batch; `Ok` = acknowledged.
    fn store(&mut self, batch: &StreamBatch) -> Result<BatchOutcome, LiveError>;
}

/// Writes batches to the store through the engine's `ingest_stream::store_batch`.
pub struct StoreSink {
    pub store: Box<dyn Store + Send>,
}

impl BatchSink for StoreSink {
    fn store(&mut self, batch: &StreamBatch) -> Result<BatchOutcome, LiveError> {
        Ok(store_batch(self.store.as_mut(), batch)?)
    }
}

/// One batch under construction.
struct Pending {
    batch: StreamBatch,
    validator: Validator,
    started: Instant,
}

/// Receives chunks until every feed is gone (or `stop` and the queue is empty), storing
/// batches; a failing store is retried (readers wait meanwhile: back-pressure), never
/// dropped. Returns after the last batch is stored.
pub fn run_batcher(
    rx: Receiver<Chunk>,
    sink: &mut dyn BatchSink,
    opts: BatchOptions,
    clock: SharedClock,
    status: Arc<LiveStatus>,
    late: Option<Arc<LateData>>,
    stop: Stop,
) {
    let mut pending: Option<Pending> = None;
    loop {
        let wait = pending
            .as_ref()
            .map_or(crate::feed::POLL, |p| opts.max_delay.saturating_sub(p.started.elapsed()).min(crate::feed::POLL));
        match rx.recv_timeout(wait) {
            Ok(chunk) => {
                let p = pending.get_or_insert_with(|| Pending {
                    batch: StreamBatch::default(),
                    validator: Validator::new(ValidateOptions::new(clock.now())),
                    started: Instant::now(),
                });
                add_chunk(p, chunk);
                if p.batch.positions.len() >= opts.max_positions {
                    flush(&mut pending, sink, &status, late.as_deref(), &stop);
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => {
                flush(&mut pending, sink, &status, late.as_deref(), &stop);
                return;
            }
        }
        if pending.as_ref().is_some_and(|p| p.started.elapsed() >= opts.max_delay) {
            flush(&mut pending, sink, &status, late.as_deref(), &stop);
        }
    }
}

fn add_chunk(p: &mut Pending, chunk: Chunk) {
    let src: &SourceStats = &chunk.source;
    let (mut positions, mut statics) = (0u64, 0u64);
    for (line, record) in chunk.records {
        match p.validator.check(record, line) {
            Ok(Record::Position(pos)) => {
                positions += 1;
                p.batch.positions.push(pos);
            }
            Ok(Record::Static { vessel, timestamp, data }) => {
                statics += 1;
                // Live static reports always carry a receive time (the clock's at worst).
                if let Some(t) = timestamp {
                    p.batch.statics.push((vessel, t, data));
                }
            }
            Err(rej) => src.reject(rej.reason.as_str(), 1),
        }
    }
    src.accepted(positions, statics);
}

fn flush(
    pending: &mut Option<Pending>,
    sink: &mut dyn BatchSink,
    status: &LiveStatus,
    late: Option<&LateData>,
    stop: &Stop,
) {
    let Some(p) = pending.take() else { return };
    if p.batch.is_empty() {
        return;
    }
    let mut attempt = 0u32;
    loop {
        match sink.store(&p.batch) {
            Ok(out) => {
                let s = &status.path;
                s.positions_stored.fetch_add(p.batch.positions.len() as u64, Ordering::SeqCst);
                s.positions_inserted.fetch_add(out.positions_inserted, Ordering::SeqCst);
                s.batches.fetch_add(1, Ordering::SeqCst);
                tracing::debug!(positions = p.batch.positions.len(), new = out.positions_inserted, "batch stored");
                if let Some(late) = late {
                    late.observe(&p.batch.positions, &status.path);
                }
                return;
            }
            Err(e) => {
                status.path.store_errors.fetch_add(1, Ordering::SeqCst);
                tracing::error!(error = %e, attempt, "storing a batch failed; retrying");
                // Give up only when asked to stop: the batch is then not acknowledged.
                if stop.is_stopped() && attempt >= 3 {
                    tracing::error!(positions = p.batch.positions.len(), "stopping with an unstored batch");
                    return;
                }
                let d = crate::feed::Backoff::default().delay(attempt, 0.0);
                std::thread::sleep(d);
                attempt = attempt.saturating_add(1);
            }
        }
    }
}
