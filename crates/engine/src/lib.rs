//! Orchestration between the library crates.
//!
//! - [`ingest`]: a file through its reader and the validator into the store, with the
//!   identity sightings of the file aggregated per vessel and identity.
//! - [`rules`], [`plan`], [`exec`], [`composite`]: the rule engine (rules file →
//!   validated DAG → stages → isolated execution → composite risk per vessel, a probabilistic OR).
//! - [`models`]: the model registry (versioned params, DRAFT → ACTIVE → ARCHIVED).
//! - [`cycle`]: a stored time window through the rule engine into findings;
//!   [`dryrun`] and [`shadow`] do the same without writing.
//! - [`outputs`]: the output pipeline after a cycle (events, labels, KPIs, statistics,
//!   alerts) over the store, and delivery of the outbox.
//!
//! The engine owns no format, no detector logic and no SQL: it wires them.

pub mod composite;
pub mod cycle;
pub mod dryrun;
pub mod exec;
pub mod export;
pub mod fault;
pub mod incremental;
pub mod ingest;
mod ingest_identity;
pub mod ingest_stream;
pub mod models;
pub mod outputs;
pub mod plan;
pub mod ports;
pub mod rules;
pub mod shadow;
pub mod stream;
pub mod track;

/// Errors that stop an ingest job or a cycle (record-level problems and failing rules
/// never do).
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    // Boxed: the structural error carries paths and header text, and is rare.
    #[error(transparent)]
    Ingest(Box<lookout_ingest::IngestError>),
    #[error(transparent)]
    Store(#[from] lookout_store::StoreError),
    /// The store failed part-way through a file. What was committed stays, and the
    /// file's journal row makes its next ingest complete it.
    #[error("{cause} ({committed} new positions of {path} were committed before the failure; ingest the file again to complete it)")]
    IngestStopped { path: String, committed: u64, cause: lookout_store::StoreError },
    #[error("{0}")]
    Params(String),
    #[error(transparent)]
    Rules(#[from] rules::RulesError),
    #[error("{0}")]
    Model(String),
}

impl From<lookout_ingest::IngestError> for EngineError {
    fn from(e: lookout_ingest::IngestError) -> Self {
        EngineError::Ingest(Box::new(e))
    }
}
