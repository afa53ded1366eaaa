//! Storage of vessels, positions, findings and analysis cycles.
//!
//! [`Store`] is the one extension point; [`SqliteStore`] is the embedded default
//! (a single file, no server) and [`PostgresStore`] the production backend. Both hold
//! one logical schema (migrations embedded per backend in `migrations/`) and pass the
//! same compliance suite (`tests/compliance.rs`). [`open`] picks the backend from a
//! `--db` value. Every cycle's output is written in one transaction, so a crash leaves
//! either all of it or none; an ingest commits position batches one by one, counted in
//! its `ingest_journal` row, and everything else at its end in one transaction, so a
//! re-run completes a killed one ([`Store::begin_ingest`]).
//!
//! Concurrency: migrations run under a lock (SQLite's write lock, PostgreSQL's advisory
//! lock), so lookouts starting at once on a new database each see it migrated once.
//! SQLite write transactions take the write lock at their start (`BEGIN IMMEDIATE`) and
//! statements wait for a busy database (busy timeout) instead of failing.
//!
//! Each query is written once: `tables.rs` implements [`Store`] for every backend over a
//! small private seam (`sql.rs`: parameter values, rows, a connection that runs SQL and
//! the `Backend` trait). `sqlite.rs` and `pg.rs` hold only what really differs: opening
//! and transactions, the SQL dialect (placeholders, bytewise collation, JSON vs JSONB
//! binding), bulk inserts (PostgreSQL `COPY` and multi-row statements, SQLite prepared
//! statements in one transaction), migrations and advisory locks.
//!
//! Adding a method: declare it on [`Store`], write its body once in `tables.rs` with
//! `self.read(|c| ...)` or `self.write(|c| ...)` and SQL both backends run (`$N`
//! placeholders, `CAST(x AS T)`, `COLLATE "C"` where text order matters); a new table
//! needs a migration in both `migrations/` folders. Add a check to the compliance
//! suite, which runs it against both backends.

mod admin;
mod location;
mod pg;
mod queries;
mod sql;
mod sqlite;
mod tables;
pub mod testing;

use lookout_model::{Finding, IdentityObservation, Position, StaticData, Timestamp, Track, VesselId};
use lookout_pipeline::delivery::OutboxItem;
use lookout_pipeline::{
    Category, CycleWindow, DailyStats, DispatchState, Enforcement, Event, EventStatus, HourlyStats, Kpis, MonthlyStats,
    Silence,
};
use serde::{Deserialize, Serialize};

pub use admin::{canonical_json, open, open_with, recreate, OpenMode, PruneReport, Retention, StoreInfo};
pub use location::{redact, Location, PgLocation};
pub use pg::PostgresStore;
pub use queries::{
    open_shared, BBox, EventQuery, FindingKey, FindingQuery, FindingSpan, Queries, SharedStore, StoredFinding,
    StreamEntry, StreamLog,
};
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
    /// A change the data does not allow (e.g. promoting a version that is not a DRAFT).
    #[error("database {location}: {message}")]
    Conflict { location: String, message: String },
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// Identity runs kept per vessel (see [`Store::identity_runs_between`]): enough for
/// months of a vessel that alternates names daily, and a bound on what one id that
/// flips on every report can make the store hold.
pub const IDENTITY_RUNS_PER_VESSEL: usize = 200;

/// A vessel as stored: identity, whether the id is an MMSI, and static data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CycleKey {
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub window_start: Timestamp,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
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

/// What an incremental cycle needs to know about the previous run of the same window
/// (migration 0014): the hash of everything that is the same for every vessel (rules,
/// params, look-back, registry, zones) and one fingerprint per vessel of what its
/// findings may depend on (its loaded positions, static data, identity and dark history).
/// Written only with the cycle's output ([`Store::write_cycle_with_state`]); a plain
/// [`Store::write_cycle`] of the window removes it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CycleState {
    pub run_hash: String,
    /// `(vessel id, fingerprint)` by vessel id (bytewise).
    pub vessels: Vec<(String, String)>,
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

    // ----- Crash-safe ingest (issue 14) -----
    // Position batches commit one by one (a reader never waits for a whole file), and
    // each counts itself in the source's journal row in its own transaction; everything
    // else the file derives commits at its end in one transaction that also removes the
    // journal row. A killed ingest leaves the row behind, so re-running it completes it.

    /// Starts the ingest of `source`: `None` when no ingest of it was left unfinished,
    /// else how many positions the unfinished one committed. A resumed ingest reads the
    /// whole file again; its positions are then no longer new, but its vessels, identity
    /// history and run record were never written, so it must still write them.
    fn begin_ingest(&mut self, source: &str) -> Result<Option<u64>>;
    /// [`Store::insert_positions`] for an ingest begun with [`Store::begin_ingest`]: the
    /// new positions are counted in its journal row in the same transaction.
    fn insert_ingest_positions(&mut self, source: &str, positions: &[Position]) -> Result<u64>;
    /// Ends the ingest of `run.source` in one transaction: vessels upserted (as
    /// [`Store::upsert_vessels`]), sightings recorded (as [`Store::record_identities`]),
    /// the run recorded and the journal row removed.
    fn finish_ingest(
        &mut self,
        vessels: &[VesselRow],
        sightings: &[IdentityObservation],
        run: &IngestRun,
    ) -> Result<()>;
    /// Tracks with positions in `[from, to]`, joined with vessel static data.
    fn load_tracks(&self, from: Timestamp, to: Timestamp) -> Result<Vec<Track>>;
    /// Time span of all stored positions.
    fn position_span(&self) -> Result<Option<(Timestamp, Timestamp)>>;
    /// Start times of a detector's findings for one vessel with start in `[from, to)`,
    /// across all cycles, each episode once.
    fn finding_starts(
        &self,
        detector: &str,
        vessel: &VesselId,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<Timestamp>>;
    /// Replaces the output of the cycle with the same key, in one transaction.
    fn write_cycle(&mut self, output: &CycleOutput) -> Result<()>;
    /// Findings of one cycle, in the order they were written.
    fn cycle_findings(&self, key: &CycleKey) -> Result<Vec<Finding>>;
    /// [`Store::write_cycle`] plus the window's [`CycleState`], in the same transaction.
    fn write_cycle_with_state(&mut self, output: &CycleOutput, state: &CycleState) -> Result<()>;
    /// The state written with the last output of the window, if that write kept one.
    fn cycle_state(&self, key: &CycleKey) -> Result<Option<CycleState>>;
    fn counts(&self) -> Result<StoreCounts>;

    // ----- Identity history (issue 7) -----

    /// Adds sightings of identity tuples in one transaction: a tuple new for its vessel
    /// becomes a row; a known one widens its first/last seen and adds its reports.
    /// Sightings of one tuple in the same call fold together first. A missing vessel
    /// row is created, as positions do.
    fn record_identities(&mut self, sightings: &[IdentityObservation]) -> Result<()>;
    /// Identity rows seen at some point of `[from, to]` (first seen ≤ `to`, last seen ≥
    /// `from`), by vessel id, first seen, last seen, then name, call sign, IMO, ship type
    /// (missing values first).
    fn identities_between(&self, from: Timestamp, to: Timestamp) -> Result<Vec<IdentityObservation>>;
    /// Identity rows of one vessel, in the order of [`Store::identities_between`].
    fn vessel_identities(&self, vessel: &VesselId) -> Result<Vec<IdentityObservation>>;
    /// The sequence of sightings in run-length form (migration 0008): every sighting
    /// given to [`Store::record_identities`] is also kept as a *run* (consecutive
    /// sightings of one tuple: first and last time, report count), keyed by vessel, first
    /// sighting and tuple; a run given again widens its last sighting and adds its
    /// reports. A vessel keeps its [`IDENTITY_RUNS_PER_VESSEL`] latest runs (by first
    /// sighting; ties kept). Runs seen at some point of `[from, to]`, by vessel id (bytes),
    /// first seen, last seen, then name, call sign, IMO, ship type.
    fn identity_runs_between(&self, from: Timestamp, to: Timestamp) -> Result<Vec<IdentityObservation>>;
    /// Identity runs of one vessel, in the order of [`Store::identity_runs_between`].
    fn vessel_identity_runs(&self, vessel: &VesselId) -> Result<Vec<IdentityObservation>>;

    // ----- API tokens (issue 17) -----

    /// Stores a new token (its hash, never the token).
    fn create_token(&mut self, token: &ApiToken) -> Result<()>;
    /// Every token, revoked ones too, by id.
    fn tokens(&self) -> Result<Vec<ApiToken>>;
    /// The token with this hash, revoked or not.
    fn token_by_hash(&self, hash: &str) -> Result<Option<ApiToken>>;
    /// Marks a token revoked at `at`; false when no unrevoked token has this id.
    fn revoke_token(&mut self, id: &str, at: Timestamp) -> Result<bool>;

    // ----- Vessels for the API (issue 17) -----

    /// Vessels whose id, name, call sign or IMO starts with `prefix` (ASCII case
    /// ignored; `%` and `_` are plain characters), by id (bytewise), after `after`, at
    /// most `limit`.
    fn search_vessels(&self, prefix: &str, after: Option<&str>, limit: usize) -> Result<Vec<VesselRow>>;
    /// One vessel's row, if stored.
    fn vessel(&self, vessel: &VesselId) -> Result<Option<VesselRow>>;
    /// The latest stored position of a vessel (ties: lowest lat, then lon).
    fn last_position(&self, vessel: &VesselId) -> Result<Option<Position>>;

    // ----- Administration: `lookout db` (issue 4) -----

    /// Backend, location (password redacted), schema versions and row counts of every
    /// table, for `lookout db status`. Works on a database that is not migrated.
    fn info(&self) -> Result<StoreInfo>;
    /// Applies pending migrations; returns the schema version before and after.
    /// A database from a newer lookout is [`StoreError::TooNew`].
    fn migrate(&mut self) -> Result<(i64, i64)>;
    /// Deletes what the retention policy says is too old, in one transaction.
    fn prune(&mut self, retention: &Retention) -> Result<PruneReport>;

    // ----- Model registry and cycle statistics (rule engine, issue 5) -----
    // Lifecycle rules that must hold atomically (one ACTIVE per model, status transitions,
    // the audit row) are enforced inside these methods, not by their callers.

    /// All versions of a model, oldest first; empty when the model was never seeded.
    fn model_versions(&self, model: &str) -> Result<Vec<ModelVersion>>;
    /// Adds the next version (1 for a new model) with an audit row, in one transaction.
    /// `status` is DRAFT, or ACTIVE only for the first version of a model (seeding the
    /// defaults); anything else is a [`StoreError::Conflict`].
    fn insert_model_version(
        &mut self,
        model: &str,
        status: ModelStatus,
        params: &serde_json::Value,
        change: &ModelChange,
    ) -> Result<ModelVersion>;
    /// Makes `version` the ACTIVE one in one transaction: it must currently have status
    /// `from` (DRAFT to promote, ARCHIVED to roll back), the previous ACTIVE version
    /// becomes ARCHIVED, and an audit row with `action` records before and after.
    fn activate_model_version(
        &mut self,
        model: &str,
        version: i64,
        from: ModelStatus,
        action: &str,
        change: &ModelChange,
    ) -> Result<ModelVersion>;
    /// Audit rows of a model, oldest first.
    fn model_audit(&self, model: &str) -> Result<Vec<ModelAudit>>;
    /// Statistics of the most recent cycles, newest window end first, at most `limit`.
    fn recent_cycle_stats(&self, limit: usize) -> Result<Vec<CycleStats>>;

    // ----- Output pipeline (issue 6) -----
    // Events with their history, enforcement records, the alert dispatcher's state,
    // silences, the delivery outbox, KPIs and statistics. Every writing method is one
    // transaction, so each pipeline stage commits all of its output or none of it.
    // Lists come back in a documented, bytewise order on both backends.

    /// Stored events with these ids (missing ones are left out), in id order.
    fn events_by_ids(&self, ids: &[String]) -> Result<Vec<Event>>;
    /// Events whose currently reporting windows include `window`, in id order.
    fn events_in_window(&self, window: &CycleWindow) -> Result<Vec<Event>>;
    /// Events matching `filter`, in id order.
    fn list_events(&self, filter: &EventFilter) -> Result<Vec<Event>>;
    /// Inserts or replaces events, their windows and their history, in one transaction.
    fn save_events(&mut self, events: &[Event]) -> Result<()>;
    /// One lifecycle step: the changed event and, when enforcing, its enforcement
    /// record, in one transaction.
    fn save_event_step(&mut self, event: &Event, enforcement: Option<&Enforcement>) -> Result<()>;
    /// Enforcement records with a time in `[from, to)`, by time then event id.
    fn enforcements_between(&self, from: Timestamp, to: Timestamp) -> Result<Vec<Enforcement>>;
    /// Enforcement records of one event, oldest first.
    fn event_enforcements(&self, event_id: &str) -> Result<Vec<Enforcement>>;

    /// The alert dispatcher's state (every alert, live groups).
    fn dispatch_state(&self) -> Result<DispatchState>;
    /// Replaces the dispatcher's state and enqueues `outbox` rows, in one transaction.
    /// Each row gets the next `seq` in the given order; a row whose (notification id,
    /// sink) is already queued is skipped, so a re-run enqueues nothing twice.
    fn save_dispatch(&mut self, state: &DispatchState, outbox: &[OutboxItem]) -> Result<()>;
    /// Every silence, by start time then id.
    fn silences(&self) -> Result<Vec<Silence>>;
    /// Inserts or replaces a silence (by id).
    fn put_silence(&mut self, silence: &Silence) -> Result<()>;
    /// Outbox rows in `seq` order; only undelivered ones when `pending_only`.
    fn outbox(&self, pending_only: bool) -> Result<Vec<OutboxItem>>;
    /// Writes back attempts, next attempt time, delivery time and last error of rows
    /// (by `seq`), in one transaction.
    fn update_outbox(&mut self, items: &[OutboxItem]) -> Result<()>;

    /// Replaces the latest KPI snapshot.
    fn save_kpis(&mut self, kpis: &Kpis) -> Result<()>;
    /// The latest KPI snapshot, if any.
    fn kpis(&self) -> Result<Option<Kpis>>;
    /// Each vessel's latest position time within `(since, until]`, by vessel id.
    fn last_reports(&self, since: Timestamp, until: Timestamp) -> Result<Vec<(VesselId, Timestamp)>>;
    /// Keys of stored cycles whose window ends in `[from, to)`, by window end then start.
    fn cycles_ending_between(&self, from: Timestamp, to: Timestamp) -> Result<Vec<CycleKey>>;
    /// Replaces the given statistics rows (by bucket start), in one transaction.
    fn save_stats(&mut self, hourly: &[HourlyStats], daily: &[DailyStats], monthly: &[MonthlyStats]) -> Result<()>;
    /// Hourly rows starting in `[from, to)`, by start.
    fn hourly_stats(&self, from: Timestamp, to: Timestamp) -> Result<Vec<HourlyStats>>;
    /// Daily rows starting in `[from, to)`, by start.
    fn daily_stats(&self, from: Timestamp, to: Timestamp) -> Result<Vec<DailyStats>>;
    /// Monthly rows starting in `[from, to)`, by start.
    fn monthly_stats(&self, from: Timestamp, to: Timestamp) -> Result<Vec<MonthlyStats>>;

    /// The HTTP API's paged, filtered reads (`queries.rs`).
    fn queries(&self) -> &dyn Queries;

    /// The API's live stream log (`queries.rs`).
    fn stream_log(&mut self) -> &mut dyn StreamLog;
}

/// Which events [`Store::list_events`] returns; `None` fields do not filter.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EventFilter {
    pub status: Option<EventStatus>,
    pub category: Option<Category>,
    /// `occurred_at` in `[from, to)`.
    pub occurred_from: Option<Timestamp>,
    pub occurred_to: Option<Timestamp>,
}

/// A bearer token of the HTTP API as stored: its SHA-256 (hex), never the token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiToken {
    pub id: String,
    pub name: String,
    /// `viewer`, `analyst` or `admin`.
    pub role: String,
    #[serde(skip_serializing)]
    pub hash: String,
    pub created_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
}

/// Lifecycle of a model version: DRAFT → ACTIVE → ARCHIVED (and back to ACTIVE on rollback).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ModelStatus {
    Draft,
    Active,
    Archived,
}

impl ModelStatus {
    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            ModelStatus::Draft => "DRAFT",
            ModelStatus::Active => "ACTIVE",
            ModelStatus::Archived => "ARCHIVED",
        }
    }

    /// Parses the stored text.
    pub fn parse(s: &str) -> Option<ModelStatus> {
        match s {
            "DRAFT" => Some(ModelStatus::Draft),
            "ACTIVE" => Some(ModelStatus::Active),
            "ARCHIVED" => Some(ModelStatus::Archived),
            _ => None,
        }
    }
}

/// One stored version of a model's params (the full effective JSON, never a diff).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ModelVersion {
    pub model: String,
    pub version: i64,
    pub status: ModelStatus,
    pub params: serde_json::Value,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    pub created_by: String,
    pub reason: String,
}

/// Who makes a change, when (the caller's clock, so tests and replays are exact) and why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelChange {
    pub actor: String,
    pub at: Timestamp,
    pub reason: String,
}

/// One audit row: the state of the model before and after a change.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ModelAudit {
    pub model: String,
    /// The version the change was about.
    pub version: i64,
    /// `seed`, `create`, `promote` or `rollback`.
    pub action: String,
    /// `{"active": N|null, "version": {...}|null}` before the change.
    pub before: serde_json::Value,
    pub after: serde_json::Value,
    pub actor: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub at: Timestamp,
    pub reason: String,
}

/// The statistics JSON a cycle stored with its output.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CycleStats {
    pub key: CycleKey,
    pub stats: serde_json::Value,
}
