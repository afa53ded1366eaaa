//! Storage of vessels, positions, findings and analysis cycles.
//!
//! [`Store`] is the one extension point; [`SqliteStore`] is the embedded default
//! (a single file, no server) and [`PostgresStore`] the production backend. Both hold
//! one logical schema (migrations embedded per backend in `migrations/`) and pass the
//! same compliance suite (`tests/compliance.rs`). [`open`] picks the backend from a
//! `--db` value. Every cycle's output is written in one transaction, so a crash leaves
//! either all of it or none.
//!
//! Adding a method: declare it on [`Store`], implement it in `sqlite.rs` and
//! `postgres.rs` (a new table needs a migration in both `migrations/` folders), and
//! add a check to the compliance suite, which runs it against both backends.

mod admin;
mod location;
mod pg;
mod sqlite;
pub mod testing;

use lookout_model::{Finding, Position, StaticData, Timestamp, Track, VesselId};
use serde::{Deserialize, Serialize};

pub use admin::{canonical_json, open, open_with, recreate, OpenMode, PruneReport, Retention, StoreInfo};
pub use location::{redact, Location, PgLocation};
pub use pg::PostgresStore;
pub use sqlite::SqliteStore;

/// Errors from any store backend.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database {location}: {source}")]
    Sqlite { location: String, source: rusqlite::Error },
    /// `message` carries the server's own words and the driver's causes (its `Display`
    /// hides both), so `cause` is not exposed as a source to be printed again.
    #[error("database {location}: {message}")]
    Postgres { location: String, message: String, cause: ::postgres::Error },
    /// A `--db` value that names no usable database.
    #[error("database {location}: {message}")]
    Location { location: String, message: String },
    #[error("database {location} has schema version {found}, newer than this lookout ({supported}); upgrade lookout")]
    TooNew { location: String, found: i64, supported: i64 },
    #[error("database {location}: stored JSON is invalid: {source}")]
    Json { location: String, source: serde_json::Error },
    #[error("database {location}: stored value is invalid: {message}")]
    Corrupt { location: String, message: String },
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// A vessel as stored: identity, whether the id is an MMSI, and static data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VesselRow {
    pub vessel: VesselId,
    pub id_is_mmsi: bool,
    pub data: StaticData,
}

/// One ingest of one file, for the audit trail and the demo summary.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IngestRun {
    pub source: String,
    pub format: String,
    pub started_at: Timestamp,
    pub records_read: u64,
    pub positions_inserted: u64,
    /// Reject counts by reason name.
    pub rejects: std::collections::BTreeMap<String, u64>,
}

/// Identity of an analysis cycle: its window. Re-running a window replaces its output.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CycleKey {
    pub window_start: Timestamp,
    pub window_end: Timestamp,
}

/// Everything one analysis cycle produced, written atomically.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CycleOutput {
    pub key: CycleKey,
    /// Parameters used per detector, as JSON.
    pub params: serde_json::Value,
    pub findings: Vec<Finding>,
    /// Per-detector statistics (entities in, findings out, duration).
    pub stats: serde_json::Value,
}

/// Row counts for summaries.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreCounts {
    pub vessels: u64,
    pub positions: u64,
    pub findings: u64,
}

/// A storage backend. Every implementation passes the same compliance tests.
pub trait Store {
    /// Inserts or updates vessels; newer static fields win, missing ones keep old values.
    fn upsert_vessels(&mut self, vessels: &[VesselRow]) -> Result<()>;
    /// Inserts positions, ignoring exact repeats; returns how many were new.
    fn insert_positions(&mut self, positions: &[Position]) -> Result<u64>;
    fn record_ingest(&mut self, run: &IngestRun) -> Result<()>;
    /// Tracks with positions in `[from, to]`, joined with vessel static data.
    fn load_tracks(&self, from: Timestamp, to: Timestamp) -> Result<Vec<Track>>;
    /// Time span of all stored positions.
    fn position_span(&self) -> Result<Option<(Timestamp, Timestamp)>>;
    /// Start times of a detector's findings for one vessel with start in `[from, to)`,
    /// across all cycles, each episode once.
    fn finding_starts(&self, detector: &str, vessel: &VesselId, from: Timestamp, to: Timestamp)
        -> Result<Vec<Timestamp>>;
    /// Replaces the output of the cycle with the same key, in one transaction.
    fn write_cycle(&mut self, output: &CycleOutput) -> Result<()>;
    /// Findings of one cycle, in the order they were written.
    fn cycle_findings(&self, key: &CycleKey) -> Result<Vec<Finding>>;
    fn counts(&self) -> Result<StoreCounts>;

    // ----- Administration: `lookout db` (issue 4) -----

    /// Backend, location (password redacted), schema versions and row counts of every
    /// table, for `lookout db status`. Works on a database that is not migrated.
    fn info(&self) -> Result<StoreInfo>;
    /// Applies pending migrations; returns the schema version before and after.
    /// A database from a newer lookout is [`StoreError::TooNew`].
    fn migrate(&mut self) -> Result<(i64, i64)>;
    /// Deletes what the retention policy says is too old, in one transaction.
    fn prune(&mut self, retention: &Retention) -> Result<PruneReport>;
}
