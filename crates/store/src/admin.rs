//! Opening a store from a `--db` value, and what `lookout db` reports and prunes.

use lookout_model::Timestamp;
use serde::{Deserialize, Serialize};

use crate::location::Location;
use crate::{PostgresStore, Result, SqliteStore, Store, StoreError};

/// How a store is opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpenMode {
    /// Create the database (SQLite file, PostgreSQL schema) if missing and apply pending
    /// migrations; a database from a newer lookout is refused. What every command but
    /// `lookout db status|migrate` uses.
    Migrate,
    /// Create the database if missing but apply nothing (`lookout db migrate` then
    /// calls [`Store::migrate`] to report the versions before and after).
    Create,
    /// Open an existing database as it is: nothing is created or migrated and the
    /// version is not checked, so status can describe any database, even a newer one.
    Inspect,
}

/// What `lookout db status` shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StoreInfo {
    /// `sqlite` or `postgres`.
    pub backend: String,
    /// File path or URL, password redacted.
    pub location: String,
    /// Migrations applied to this database.
    pub schema_version: i64,
    /// Migrations this build knows.
    pub supported_version: i64,
    /// Every table of lookout's schema with its row count, by name (bytewise).
    pub tables: Vec<(String, u64)>,
    /// Ingests that were stopped before their end (the `ingest_journal` rows): source
    /// file and the positions they had committed, by source. Ingesting the same file
    /// again completes them.
    #[serde(default)]
    pub unfinished_ingests: Vec<(String, u64)>,
}

/// What [`Store::prune`] deletes. Each field is one retention rule; `None` keeps all.
///
/// Hourly statistics (kept 48 h, issue 6) get their own field here and are pruned
/// in the same transaction by both backends.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retention {
    /// Positions with a timestamp strictly before this are deleted, and so are identity
    /// rows last seen strictly before it (the history then covers what positions do).
    pub positions_before: Option<Timestamp>,
    /// Hourly statistics rows starting strictly before this are deleted (the pipeline
    /// passes now − 48 h).
    pub hourly_stats_before: Option<Timestamp>,
    /// Entries of the API's live stream (`stream_log`) stored strictly before this are
    /// deleted (a client resuming from an older entry gets what is left).
    pub stream_log_before: Option<Timestamp>,
}

/// Rows deleted by [`Store::prune`], per rule.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PruneReport {
    pub positions: u64,
    /// Identity history rows (`vessel_identities`).
    pub identities: u64,
    /// Identity runs (`vessel_identity_runs`, the sequence of sightings).
    #[serde(default)]
    pub identity_runs: u64,
    pub hourly_stats: u64,
    /// Entries of the live stream's log.
    #[serde(default)]
    pub stream_log: u64,
}

/// Opens the store named by a `--db` value (a SQLite file path or a `postgres://` /
/// `postgresql://` URL, with an optional `?schema=NAME`), creating and migrating it.
pub fn open(db: &str) -> Result<Box<dyn Store>> {
    open_with(db, OpenMode::Migrate)
}

/// Opens the store named by a `--db` value in the given mode.
pub fn open_with(db: &str, mode: OpenMode) -> Result<Box<dyn Store>> {
    Ok(match Location::parse(db)? {
        Location::Sqlite(path) => Box::new(SqliteStore::open_with(&path, mode)?),
        Location::Postgres(pg) => Box::new(PostgresStore::open_with(&pg, mode)?),
    })
}

/// Deletes a store and opens it fresh (the demo's "start from nothing"): a SQLite file
/// with its WAL files, or one PostgreSQL schema (the URL's `?schema=`, else
/// `default_schema`) dropped and recreated. Other schemas are never touched, and
/// `public` and system schemas are refused.
pub fn recreate(db: &str, default_schema: &str) -> Result<Box<dyn Store>> {
    match Location::parse(db)? {
        Location::Sqlite(path) => {
            for suffix in ["", "-wal", "-shm"] {
                let p = std::path::PathBuf::from(format!("{}{suffix}", path.display()));
                match std::fs::remove_file(&p) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => {
                        return Err(StoreError::Location {
                            location: p.display().to_string(),
                            message: format!("cannot remove the old database: {e}"),
                        })
                    }
                }
            }
            Ok(Box::new(SqliteStore::open(&path)?))
        }
        Location::Postgres(mut pg) => {
            let schema = pg.schema.clone().unwrap_or_else(|| default_schema.to_string());
            crate::location::check_schema_name(&schema)
                .map_err(|message| StoreError::Location { location: pg.redacted(), message })?;
            if schema == "public" || schema.starts_with("pg_") || schema == "information_schema" {
                return Err(StoreError::Location {
                    location: pg.redacted(),
                    message: format!(
                        "refusing to drop and recreate schema '{schema}': name a dedicated one with ?schema="
                    ),
                });
            }
            pg.schema = Some(schema);
            PostgresStore::recreate_schema(&pg)?;
            Ok(Box::new(PostgresStore::open_with(&pg, OpenMode::Migrate)?))
        }
    }
}

/// Orders object keys bytewise at every depth and writes `-0.0` as `0.0`. Both backends
/// return stored JSON in this form: PostgreSQL's JSONB keeps neither the writer's key
/// order nor a negative zero, so SQLite must not either for the two to read back alike.
pub fn canonical_json(value: serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(map) => {
            let mut entries: Vec<(String, serde_json::Value)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            serde_json::Value::Object(entries.into_iter().map(|(k, v)| (k, canonical_json(v))).collect())
        }
        serde_json::Value::Array(items) => serde_json::Value::Array(items.into_iter().map(canonical_json).collect()),
        serde_json::Value::Number(n) if n.as_f64() == Some(0.0) && n.is_f64() => {
            serde_json::json!(0.0)
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_json_sorts_keys_at_every_depth() {
        let v = serde_json::json!({"zeta": 1, "alpha": {"b": -0.0, "a": [ {"y": 1, "x": 2} ]}});
        assert_eq!(
            serde_json::to_string(&canonical_json(v)).expect("json"),
            r#"{"alpha":{"a":[{"x":2,"y":1}],"b":0.0},"zeta":1}"#
        );
    }
}
