//! Live operation (`lookout serve` with feeds): receivers of NMEA sentences, the
//! micro-batched path into the store, and the scheduler of analysis cycles.
//!
//! ```text
//! Feed (tcp listen | udp listen | tcp client | followed file), one thread per connection
//!   │  Ingress: lines → lookout-nmea Decoder → records (receive time from the clock
//!   │           when a sentence has no stamp); counters per source
//!   ▼
//! bounded channel of Chunks (TCP/file readers block = back-pressure; UDP counts drops)
//!   │  Batcher: lookout_ingest::validate, micro-batches bounded by size and time
//!   ▼
//! BatchSink (the seam: StoreSink → engine::ingest_stream::store_batch; a broker
//!   could sit here)  ──► late positions mark analysed windows dirty
//!
//! Scheduler: every N minutes, a cycle over the window ending at the aligned boundary,
//!   then the output pipeline; missed windows caught up in order within a horizon;
//!   dirty windows re-analysed.
//! ```

pub mod batch;
pub mod config;
pub mod feed;
pub mod ingress;
pub mod schedule;
pub mod stats;

use std::sync::Arc;

pub use lookout_pipeline::Clock;

/// A clock shared by the feeds, the batcher and the scheduler.
pub type SharedClock = Arc<dyn Clock + Send + Sync>;

/// Errors of the live path.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    #[error("{what} {addr}: {source}")]
    Io {
        what: &'static str,
        addr: String,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Engine(#[from] lookout_engine::EngineError),
    #[error(transparent)]
    Store(#[from] lookout_store::StoreError),
    #[error("config {field}: {message}")]
    Config { field: String, message: String },
}

impl LiveError {
    pub(crate) fn io(what: &'static str, addr: impl Into<String>, source: std::io::Error) -> LiveError {
        LiveError::Io { what, addr: addr.into(), source }
    }
}

/// A stop flag every live thread polls (at least every [`feed::POLL`]).
#[derive(Clone, Debug, Default)]
pub struct Stop(Arc<std::sync::atomic::AtomicBool>);

impl Stop {
    pub fn stop(&self) {
        self.0.store(true, std::sync::atomic::Ordering::SeqCst);
    }
    pub fn is_stopped(&self) -> bool {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
}
