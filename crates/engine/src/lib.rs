//! Orchestration between the library crates.
//!
//! - [`ingest`]: a file through its reader and the validator into the store.
//! - [`cycle`]: a stored time window through the detectors into findings.
//!
//! The engine owns no format, no detector logic and no SQL: it wires them.

pub mod cycle;
pub mod ingest;

/// Errors that stop an ingest job or a cycle (record-level problems never do).
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Ingest(#[from] lookout_ingest::IngestError),
    #[error(transparent)]
    Store(#[from] lookout_store::StoreError),
    #[error("{0}")]
    Params(String),
}
