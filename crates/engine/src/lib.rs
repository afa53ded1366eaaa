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
    // Boxed: the structural error carries paths and header text, and is rare.
    #[error(transparent)]
    Ingest(Box<lookout_ingest::IngestError>),
    #[error(transparent)]
    Store(#[from] lookout_store::StoreError),
    #[error("{0}")]
    Params(String),
}

impl From<lookout_ingest::IngestError> for EngineError {
    fn from(e: lookout_ingest::IngestError) -> Self {
        EngineError::Ingest(Box::new(e))
    }
}
