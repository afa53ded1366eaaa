//! SQLite backend: one file, WAL journal, schema migrations embedded.

use std::path::Path;

use chrono::{DateTime, Utc};
use lookout_model::{Finding, IdentityObservation, NavStatus, Position, ShipType, StaticData, Timestamp, Track, VesselId};
use rusqlite::{params, Connection, OpenFlags, OptionalExtension};

use crate::admin::{canonical_json, OpenMode, PruneReport, Retention, StoreInfo};

use crate::{
    fold_identities, identity_from_columns, IdentityColumns, CycleKey, CycleOutput, CycleStats, IngestRun, ModelAudit, ModelChange, ModelStatus, ModelVersion, Result, Store,
    StoreCounts, StoreError, VesselRow,
};

/// Ordered migrations; `PRAGMA user_version` records how many were applied.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/sqlite/0001_init.sql"),
    include_str!("../migrations/sqlite/0002_models.sql"),
    include_str!("../migrations/sqlite/0003_pipeline.sql"),
    include_str!("../migrations/sqlite/0004_identities.sql"),
];

/// The embedded default store.
pub struct SqliteStore {
    pub(crate) conn: Connection,
    pub(crate) location: String,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and applies pending migrations.
    pub fn open(path: &Path) -> Result<Self> {
        Self::open_with(path, OpenMode::Migrate)
    }

    /// Opens the database file in the given mode (see [`OpenMode`]).
    pub fn open_with(path: &Path, mode: OpenMode) -> Result<Self> {
        let location = path.display().to_string();
        if mode == OpenMode::Inspect {
            if !path.is_file() {
                return Err(StoreError::Location { location, message: "no SQLite database file here".into() });
            }
            let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE)
                .map_err(|source| StoreError::Sqlite { location: location.clone(), source })?;
            let store = SqliteStore { conn, location };
            store.configure()?;
            return Ok(store);
        }
        let conn = Connection::open(path).map_err(|source| StoreError::Sqlite { location: location.clone(), source })?;
        if mode == OpenMode::Create {
            let store = SqliteStore { conn, location };
            store.configure()?;
            return Ok(store);
        }
        Self::init(conn, location)
    }

    /// An in-memory database, for tests and dry runs.
    pub fn open_in_memory() -> Result<Self> {
        let location = ":memory:".to_string();
        let conn = Connection::open_in_memory().map_err(|source| StoreError::Sqlite { location: location.clone(), source })?;
        Self::init(conn, location)
    }

    fn init(conn: Connection, location: String) -> Result<Self> {
        let mut store = SqliteStore { conn, location };
        store.configure()?;
        store.apply_migrations()?;
        Ok(store)
    }

    fn err(&self) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
        move |source| StoreError::Sqlite { location: self.location.clone(), source }
    }

    fn configure(&self) -> Result<()> {
        // WAL lets readers (the console) run while a cycle writes.
        self.conn
            .pragma_update(None, "journal_mode", "WAL")
            .and_then(|_| self.conn.pragma_update(None, "synchronous", "NORMAL"))
            .and_then(|_| self.conn.pragma_update(None, "foreign_keys", "ON"))
            .and_then(|_| self.conn.busy_timeout(std::time::Duration::from_secs(10)))
            .map_err(self.err())
    }

    /// Schema version applied to this database.
    pub fn schema_version(&self) -> Result<i64> {
        self.conn.pragma_query_value(None, "user_version", |r| r.get(0)).map_err(self.err())
    }

    /// Number of migrations this build knows.
    pub fn supported_version() -> i64 {
        MIGRATIONS.len() as i64
    }

    fn apply_migrations(&mut self) -> Result<(i64, i64)> {
        let found = self.schema_version()?;
        let supported = Self::supported_version();
        if found > supported {
            return Err(StoreError::TooNew { location: self.location.clone(), found, supported });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
            let tx = self.conn.transaction().map_err(|source| StoreError::Sqlite { location: self.location.clone(), source })?;
            tx.execute_batch(sql)
                .and_then(|_| tx.pragma_update(None, "user_version", (i + 1) as i64))
                .and_then(|_| tx.commit())
                .map_err(|source| StoreError::Sqlite { location: self.location.clone(), source })?;
        }
        Ok((found, supported))
    }

    fn location(&self) -> &str {
        &self.location
    }
}

pub(crate) fn ms(t: Timestamp) -> i64 {
    t.timestamp_millis()
}

pub(crate) fn from_ms(location: &str, v: i64) -> Result<Timestamp> {
    DateTime::<Utc>::from_timestamp_millis(v)
        .ok_or_else(|| StoreError::Corrupt { location: location.to_string(), message: format!("timestamp {v} ms out of range") })
}

pub(crate) fn to_json<T: serde::Serialize>(location: &str, v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|source| StoreError::Json { location: location.to_string(), source })
}

/// Stored JSON read back with keys in canonical order, as PostgreSQL's JSONB returns it.
pub(crate) fn from_json<T: serde::de::DeserializeOwned>(location: &str, s: &str) -> Result<T> {
    let e = |source| StoreError::Json { location: location.to_string(), source };
    serde_json::from_value(canonical_json(serde_json::from_str(s).map_err(e)?)).map_err(e)
}

impl Store for SqliteStore {
    fn upsert_vessels(&mut self, vessels: &[VesselRow]) -> Result<()> {
        let location = self.location.clone();
        let e = |source| StoreError::Sqlite { location: location.clone(), source };
        let tx = self.conn.transaction().map_err(e)?;
        {
            let mut stmt = tx
                .prepare_cached(
                    "INSERT INTO vessels (vessel_id, id_is_mmsi, name, call_sign, imo, ship_type, length_m, width_m)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                     ON CONFLICT (vessel_id) DO UPDATE SET
                       name = COALESCE(excluded.name, vessels.name),
                       call_sign = COALESCE(excluded.call_sign, vessels.call_sign),
                       imo = COALESCE(excluded.imo, vessels.imo),
                       ship_type = COALESCE(excluded.ship_type, vessels.ship_type),
                       length_m = COALESCE(excluded.length_m, vessels.length_m),
                       width_m = COALESCE(excluded.width_m, vessels.width_m)",
                )
                .map_err(e)?;
            for v in vessels {
                let d = &v.data;
                stmt.execute(params![
                    v.vessel.as_str(),
                    v.id_is_mmsi,
                    d.name,
                    d.call_sign,
                    d.imo,
                    d.ship_type.map(|s| s.0),
                    d.length_m,
                    d.width_m
                ])
                .map_err(e)?;
            }
        }
        tx.commit().map_err(e)
    }

    fn insert_positions(&mut self, positions: &[Position]) -> Result<u64> {
        let location = self.location.clone();
        let e = |source| StoreError::Sqlite { location: location.clone(), source };
        let tx = self.conn.transaction().map_err(e)?;
        let mut inserted = 0u64;
        {
            // A position may arrive before its vessel's static data: create the vessel row.
            let mut vessel = tx
                .prepare_cached("INSERT INTO vessels (vessel_id, id_is_mmsi) VALUES (?1, ?2) ON CONFLICT DO NOTHING")
                .map_err(e)?;
            let mut stmt = tx
                .prepare_cached(
                    "INSERT INTO positions (vessel_id, ts_ms, lat, lon, sog, cog, heading, nav_status)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT DO NOTHING",
                )
                .map_err(e)?;
            let mut last_vessel: Option<&VesselId> = None;
            for p in positions {
                if last_vessel != Some(&p.vessel) {
                    vessel.execute(params![p.vessel.as_str(), p.vessel.is_mmsi()]).map_err(e)?;
                    last_vessel = Some(&p.vessel);
                }
                inserted += stmt
                    .execute(params![
                        p.vessel.as_str(),
                        ms(p.timestamp),
                        p.lat,
                        p.lon,
                        p.sog,
                        p.cog,
                        p.heading,
                        p.nav_status.map(|n| n.0)
                    ])
                    .map_err(e)? as u64;
            }
        }
        tx.commit().map_err(e)?;
        Ok(inserted)
    }

    fn record_ingest(&mut self, run: &IngestRun) -> Result<()> {
        let rejects = to_json(self.location(), &run.rejects)?;
        self.conn
            .execute(
                "INSERT INTO ingest_runs (source, format, started_at_ms, records_read, positions_inserted, rejects)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![run.source, run.format, ms(run.started_at), run.records_read, run.positions_inserted, rejects],
            )
            .map_err(self.err())?;
        Ok(())
    }

    fn load_tracks(&self, from: Timestamp, to: Timestamp) -> Result<Vec<Track>> {
        let loc = self.location.clone();
        let e = self.err();
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT p.vessel_id, p.ts_ms, p.lat, p.lon, p.sog, p.cog, p.heading, p.nav_status,
                        v.name, v.call_sign, v.imo, v.ship_type, v.length_m, v.width_m
                 FROM positions p JOIN vessels v ON v.vessel_id = p.vessel_id
                 WHERE p.ts_ms BETWEEN ?1 AND ?2
                 ORDER BY p.vessel_id, p.ts_ms, p.lat, p.lon",
            )
            .map_err(&e)?;
        let mut rows = stmt.query(params![ms(from), ms(to)]).map_err(&e)?;
        let mut tracks: Vec<Track> = Vec::new();
        while let Some(row) = rows.next().map_err(&e)? {
            let id: String = row.get(0).map_err(&e)?;
            if tracks.last().map(|t| t.vessel.as_str()) != Some(id.as_str()) {
                let data = StaticData {
                    name: row.get(8).map_err(&e)?,
                    call_sign: row.get(9).map_err(&e)?,
                    imo: row.get(10).map_err(&e)?,
                    ship_type: row.get::<_, Option<u16>>(11).map_err(&e)?.map(ShipType),
                    length_m: row.get(12).map_err(&e)?,
                    width_m: row.get(13).map_err(&e)?,
                };
                tracks.push(Track { vessel: VesselId::new(id.clone()), static_data: data, positions: Vec::new() });
            }
            let position = Position {
                vessel: VesselId::new(id),
                timestamp: from_ms(&loc, row.get(1).map_err(&e)?)?,
                lat: row.get(2).map_err(&e)?,
                lon: row.get(3).map_err(&e)?,
                sog: row.get(4).map_err(&e)?,
                cog: row.get(5).map_err(&e)?,
                heading: row.get(6).map_err(&e)?,
                nav_status: row.get::<_, Option<u8>>(7).map_err(&e)?.map(NavStatus),
            };
            if let Some(t) = tracks.last_mut() {
                t.positions.push(position);
            }
        }
        Ok(tracks)
    }

    fn position_span(&self) -> Result<Option<(Timestamp, Timestamp)>> {
        let span: Option<(Option<i64>, Option<i64>)> = self
            .conn
            .query_row("SELECT MIN(ts_ms), MAX(ts_ms) FROM positions", [], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()
            .map_err(self.err())?;
        match span {
            Some((Some(a), Some(b))) => Ok(Some((from_ms(self.location(), a)?, from_ms(self.location(), b)?))),
            _ => Ok(None),
        }
    }

    fn finding_starts(&self, detector: &str, vessel: &VesselId, from: Timestamp, to: Timestamp) -> Result<Vec<Timestamp>> {
        let e = self.err();
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT DISTINCT start_ms FROM findings
                 WHERE detector = ?1 AND vessel_id = ?2 AND start_ms >= ?3 AND start_ms < ?4 ORDER BY start_ms",
            )
            .map_err(&e)?;
        let starts = stmt
            .query_map(params![detector, vessel.as_str(), ms(from), ms(to)], |r| r.get::<_, i64>(0))
            .map_err(&e)?
            .collect::<std::result::Result<Vec<i64>, _>>()
            .map_err(&e)?;
        starts.into_iter().map(|v| from_ms(self.location(), v)).collect()
    }

    fn write_cycle(&mut self, output: &CycleOutput) -> Result<()> {
        let loc = self.location.clone();
        let params_json = to_json(&loc, &output.params)?;
        let stats_json = to_json(&loc, &output.stats)?;
        let encoded: Vec<(String, String)> = output
            .findings
            .iter()
            .map(|f| Ok((to_json(&loc, &f.breakdown)?, to_json(&loc, &f.evidence)?)))
            .collect::<Result<_>>()?;
        let e = |source| StoreError::Sqlite { location: loc.clone(), source };
        let (ws, we) = (ms(output.key.window_start), ms(output.key.window_end));
        let tx = self.conn.transaction().map_err(e)?;
        tx.execute("DELETE FROM findings WHERE window_start_ms = ?1 AND window_end_ms = ?2", params![ws, we]).map_err(e)?;
        tx.execute(
            "INSERT INTO cycles (window_start_ms, window_end_ms, params, stats) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (window_start_ms, window_end_ms) DO UPDATE SET params = excluded.params, stats = excluded.stats",
            params![ws, we, params_json, stats_json],
        )
        .map_err(e)?;
        {
            let mut stmt = tx
                .prepare_cached(
                    "INSERT INTO findings (window_start_ms, window_end_ms, seq, detector, vessel_id, start_ms, end_ms,
                                           score, level, severity, breakdown, evidence, rule_id, model_version, params_hash)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
                )
                .map_err(e)?;
            for (seq, (f, (breakdown, evidence))) in output.findings.iter().zip(&encoded).enumerate() {
                stmt.execute(params![
                    ws,
                    we,
                    seq as i64,
                    f.detector,
                    f.vessel.as_str(),
                    ms(f.start),
                    ms(f.end),
                    f.score,
                    f.level,
                    f.severity.as_str(),
                    breakdown,
                    evidence,
                    f.rule,
                    f.model_version,
                    f.params_hash
                ])
                .map_err(e)?;
            }
        }
        tx.commit().map_err(e)
    }

    fn cycle_findings(&self, key: &CycleKey) -> Result<Vec<Finding>> {
        let loc = self.location.clone();
        let e = self.err();
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT detector, vessel_id, start_ms, end_ms, score, level, severity, breakdown, evidence,
                        rule_id, model_version, params_hash
                 FROM findings WHERE window_start_ms = ?1 AND window_end_ms = ?2 ORDER BY seq",
            )
            .map_err(&e)?;
        let mut rows = stmt.query(params![ms(key.window_start), ms(key.window_end)]).map_err(&e)?;
        let mut out = Vec::new();
        while let Some(r) = rows.next().map_err(&e)? {
            let severity: String = r.get(6).map_err(&e)?;
            let breakdown: String = r.get(7).map_err(&e)?;
            let evidence: String = r.get(8).map_err(&e)?;
            out.push(Finding {
                detector: r.get(0).map_err(&e)?,
                vessel: VesselId::new(r.get::<_, String>(1).map_err(&e)?),
                start: from_ms(&loc, r.get(2).map_err(&e)?)?,
                end: from_ms(&loc, r.get(3).map_err(&e)?)?,
                score: r.get(4).map_err(&e)?,
                level: r.get(5).map_err(&e)?,
                severity: from_json(&loc, &format!("\"{severity}\""))?,
                breakdown: from_json(&loc, &breakdown)?,
                evidence: from_json(&loc, &evidence)?,
                rule: r.get(9).map_err(&e)?,
                model_version: r.get(10).map_err(&e)?,
                params_hash: r.get(11).map_err(&e)?,
            });
        }
        Ok(out)
    }

    fn counts(&self) -> Result<StoreCounts> {
        let count = |table: &str| -> Result<u64> {
            self.conn
                .query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get::<_, i64>(0))
                .map(|n| n as u64)
                .map_err(self.err())
        };
        Ok(StoreCounts { vessels: count("vessels")?, positions: count("positions")?, findings: count("findings")? })
    }

    fn record_identities(&mut self, sightings: &[IdentityObservation]) -> Result<()> {
        let location = self.location.clone();
        let e = |source| StoreError::Sqlite { location: location.clone(), source };
        let tx = self.conn.transaction().map_err(e)?;
        {
            let mut vessel = tx
                .prepare_cached("INSERT INTO vessels (vessel_id, id_is_mmsi) VALUES (?1, ?2) ON CONFLICT DO NOTHING")
                .map_err(e)?;
            let mut stmt = tx
                .prepare_cached(
                    "INSERT INTO vessel_identities
                       (vessel_id, name, call_sign, imo, ship_type, first_seen_ms, last_seen_ms, reports)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                     ON CONFLICT (vessel_id, name, call_sign, imo, ship_type) DO UPDATE SET
                       first_seen_ms = MIN(vessel_identities.first_seen_ms, excluded.first_seen_ms),
                       last_seen_ms = MAX(vessel_identities.last_seen_ms, excluded.last_seen_ms),
                       reports = vessel_identities.reports + excluded.reports",
                )
                .map_err(e)?;
            for s in fold_identities(sightings) {
                vessel.execute(params![s.vessel.as_str(), s.vessel.is_mmsi()]).map_err(e)?;
                let c = IdentityColumns::of(&s.identity);
                let reports = i64::try_from(s.reports).unwrap_or(i64::MAX);
                stmt.execute(params![
                    s.vessel.as_str(),
                    c.name,
                    c.call_sign,
                    c.imo,
                    c.ship_type,
                    ms(s.first_seen),
                    ms(s.last_seen),
                    reports
                ])
                .map_err(e)?;
            }
        }
        tx.commit().map_err(e)
    }

    fn identities_between(&self, from: Timestamp, to: Timestamp) -> Result<Vec<IdentityObservation>> {
        let loc = self.location.clone();
        let e = self.err();
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT vessel_id, name, call_sign, imo, ship_type, first_seen_ms, last_seen_ms, reports
                 FROM vessel_identities WHERE first_seen_ms <= ?2 AND last_seen_ms >= ?1
                 ORDER BY vessel_id, first_seen_ms, last_seen_ms, name, call_sign, imo, ship_type",
            )
            .map_err(&e)?;
        let mut rows = stmt.query(params![ms(from), ms(to)]).map_err(&e)?;
        let mut out = Vec::new();
        while let Some(r) = rows.next().map_err(&e)? {
            let reports: i64 = r.get(7).map_err(&e)?;
            out.push(IdentityObservation {
                vessel: VesselId::new(r.get::<_, String>(0).map_err(&e)?),
                identity: identity_from_columns(
                    &loc,
                    r.get(1).map_err(&e)?,
                    r.get(2).map_err(&e)?,
                    r.get(3).map_err(&e)?,
                    r.get(4).map_err(&e)?,
                )?,
                first_seen: from_ms(&loc, r.get(5).map_err(&e)?)?,
                last_seen: from_ms(&loc, r.get(6).map_err(&e)?)?,
                reports: u64::try_from(reports)
                    .map_err(|_| StoreError::Corrupt { location: loc.clone(), message: format!("reports {reports} < 0") })?,
            });
        }
        Ok(out)
    }

    fn info(&self) -> Result<StoreInfo> {
        let e = self.err();
        let names = {
            let mut stmt = self
                .conn
                .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
                .map_err(&e)?;
            let names = stmt.query_map([], |r| r.get::<_, String>(0)).map_err(&e)?;
            names.collect::<std::result::Result<Vec<String>, _>>().map_err(&e)?
        };
        let mut tables = Vec::with_capacity(names.len());
        for name in names {
            let n: i64 = self
                .conn
                .query_row(&format!("SELECT COUNT(*) FROM \"{}\"", name.replace('"', "\"\"")), [], |r| r.get(0))
                .map_err(&e)?;
            tables.push((name, n as u64));
        }
        Ok(StoreInfo {
            backend: "sqlite".into(),
            location: self.location.clone(),
            schema_version: self.schema_version()?,
            supported_version: Self::supported_version(),
            tables,
        })
    }

    fn migrate(&mut self) -> Result<(i64, i64)> {
        self.apply_migrations()
    }

    fn prune(&mut self, retention: &Retention) -> Result<PruneReport> {
        let location = self.location.clone();
        let e = |source| StoreError::Sqlite { location: location.clone(), source };
        let tx = self.conn.transaction().map_err(e)?;
        let mut report = PruneReport::default();
        if let Some(before) = retention.positions_before {
            report.positions = tx.execute("DELETE FROM positions WHERE ts_ms < ?1", params![ms(before)]).map_err(e)? as u64;
            report.identities =
                tx.execute("DELETE FROM vessel_identities WHERE last_seen_ms < ?1", params![ms(before)]).map_err(e)? as u64;
        }
        if let Some(before) = retention.hourly_stats_before {
            report.hourly_stats =
                tx.execute("DELETE FROM stats_hourly WHERE start_ms < ?1", params![ms(before)]).map_err(e)? as u64;
        }
        tx.commit().map_err(e)?;
        Ok(report)
    }

    // ----- Model registry and cycle statistics (rule engine, issue 5) -----

    fn model_versions(&self, model: &str) -> Result<Vec<ModelVersion>> {
        model_versions_in(&self.conn, &self.location, model)
    }

    fn insert_model_version(
        &mut self,
        model: &str,
        status: ModelStatus,
        params: &serde_json::Value,
        change: &ModelChange,
    ) -> Result<ModelVersion> {
        let loc = self.location.clone();
        let e = |source| StoreError::Sqlite { location: loc.clone(), source };
        let params_json = to_json(&loc, params)?;
        let tx = self.conn.transaction().map_err(e)?;
        let existing = model_versions_in(&tx, &loc, model)?;
        let action = match status {
            ModelStatus::Active if existing.is_empty() => "seed",
            ModelStatus::Draft => "create",
            _ => {
                return Err(StoreError::Conflict {
                    location: loc.clone(),
                    message: format!(
                        "model {model}: a new version can only be a DRAFT (or ACTIVE as the first version), not {}",
                        status.as_str()
                    ),
                })
            }
        };
        let version = existing.iter().map(|v| v.version).max().unwrap_or(0) + 1;
        tx.execute(
            "INSERT INTO model_versions (model, version, status, params, created_at_ms, created_by, reason)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![model, version, status.as_str(), params_json, ms(change.at), change.actor, change.reason],
        )
        .map_err(e)?;
        let row = ModelVersion {
            model: model.to_string(),
            version,
            status,
            params: params.clone(),
            created_at: change.at,
            created_by: change.actor.clone(),
            reason: change.reason.clone(),
        };
        let active_before = existing.iter().find(|v| v.status == ModelStatus::Active).map(|v| v.version);
        let active_after = if status == ModelStatus::Active { Some(version) } else { active_before };
        let before = serde_json::json!({ "active": active_before, "version": null });
        let after = serde_json::json!({ "active": active_after, "version": version_summary(&row) });
        insert_audit(&tx, &loc, model, version, action, &before, &after, change)?;
        tx.commit().map_err(e)?;
        Ok(row)
    }

    fn activate_model_version(
        &mut self,
        model: &str,
        version: i64,
        from: ModelStatus,
        action: &str,
        change: &ModelChange,
    ) -> Result<ModelVersion> {
        let loc = self.location.clone();
        let e = |source| StoreError::Sqlite { location: loc.clone(), source };
        let conflict = |message: String| StoreError::Conflict { location: loc.clone(), message };
        let tx = self.conn.transaction().map_err(e)?;
        let existing = model_versions_in(&tx, &loc, model)?;
        let Some(target) = existing.iter().find(|v| v.version == version) else {
            return Err(conflict(format!("model {model} has no version {version}")));
        };
        if target.status != from {
            return Err(conflict(format!(
                "model {model} version {version} is {}, expected {} for {action}",
                target.status.as_str(),
                from.as_str()
            )));
        }
        let previous = existing.iter().find(|v| v.status == ModelStatus::Active);
        // Archive first: the partial unique index allows one ACTIVE row at any moment.
        tx.execute(
            "UPDATE model_versions SET status = 'ARCHIVED' WHERE model = ?1 AND status = 'ACTIVE'",
            params![model],
        )
        .map_err(e)?;
        tx.execute(
            "UPDATE model_versions SET status = 'ACTIVE' WHERE model = ?1 AND version = ?2",
            params![model, version],
        )
        .map_err(e)?;
        let mut after_row = target.clone();
        after_row.status = ModelStatus::Active;
        let before = serde_json::json!({
            "active": previous.map(|v| v.version),
            "version": version_summary(target),
        });
        let after = serde_json::json!({ "active": version, "version": version_summary(&after_row) });
        insert_audit(&tx, &loc, model, version, action, &before, &after, change)?;
        tx.commit().map_err(e)?;
        Ok(after_row)
    }

    fn model_audit(&self, model: &str) -> Result<Vec<ModelAudit>> {
        let loc = self.location.clone();
        let e = self.err();
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT model, version, action, before, after, actor, at_ms, reason
                 FROM model_audit WHERE model = ?1 ORDER BY id",
            )
            .map_err(&e)?;
        let mut rows = stmt.query(params![model]).map_err(&e)?;
        let mut out = Vec::new();
        while let Some(r) = rows.next().map_err(&e)? {
            let before: String = r.get(3).map_err(&e)?;
            let after: String = r.get(4).map_err(&e)?;
            out.push(ModelAudit {
                model: r.get(0).map_err(&e)?,
                version: r.get(1).map_err(&e)?,
                action: r.get(2).map_err(&e)?,
                before: from_json(&loc, &before)?,
                after: from_json(&loc, &after)?,
                actor: r.get(5).map_err(&e)?,
                at: from_ms(&loc, r.get(6).map_err(&e)?)?,
                reason: r.get(7).map_err(&e)?,
            });
        }
        Ok(out)
    }

    fn recent_cycle_stats(&self, limit: usize) -> Result<Vec<CycleStats>> {
        let loc = self.location.clone();
        let e = self.err();
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT window_start_ms, window_end_ms, stats FROM cycles
                 ORDER BY window_end_ms DESC, window_start_ms DESC LIMIT ?1",
            )
            .map_err(&e)?;
        let mut rows = stmt.query(params![i64::try_from(limit).unwrap_or(i64::MAX)]).map_err(&e)?;
        let mut out = Vec::new();
        while let Some(r) = rows.next().map_err(&e)? {
            let stats: String = r.get(2).map_err(&e)?;
            out.push(CycleStats {
                key: CycleKey {
                    window_start: from_ms(&loc, r.get(0).map_err(&e)?)?,
                    window_end: from_ms(&loc, r.get(1).map_err(&e)?)?,
                },
                stats: from_json(&loc, &stats)?,
            });
        }
        Ok(out)
    }

    // ----- Output pipeline (issue 6) -----

    crate::forward_pipeline_methods!();
}

/// Versions of a model on a connection or inside a transaction.
fn model_versions_in(conn: &Connection, location: &str, model: &str) -> Result<Vec<ModelVersion>> {
    let e = |source| StoreError::Sqlite { location: location.to_string(), source };
    let mut stmt = conn
        .prepare_cached(
            "SELECT version, status, params, created_at_ms, created_by, reason
             FROM model_versions WHERE model = ?1 ORDER BY version",
        )
        .map_err(e)?;
    let mut rows = stmt.query(params![model]).map_err(e)?;
    let mut out = Vec::new();
    while let Some(r) = rows.next().map_err(e)? {
        let status: String = r.get(1).map_err(e)?;
        let params_json: String = r.get(2).map_err(e)?;
        out.push(ModelVersion {
            model: model.to_string(),
            version: r.get(0).map_err(e)?,
            status: ModelStatus::parse(&status).ok_or_else(|| StoreError::Corrupt {
                location: location.to_string(),
                message: format!("model {model}: unknown status '{status}'"),
            })?,
            params: from_json(location, &params_json)?,
            created_at: from_ms(location, r.get(3).map_err(e)?)?,
            created_by: r.get(4).map_err(e)?,
            reason: r.get(5).map_err(e)?,
        });
    }
    Ok(out)
}

/// A version as the audit trail shows it (params included, so before/after are complete).
fn version_summary(v: &ModelVersion) -> serde_json::Value {
    serde_json::json!({ "version": v.version, "status": v.status, "params": v.params })
}

#[allow(clippy::too_many_arguments)]
fn insert_audit(
    conn: &Connection,
    location: &str,
    model: &str,
    version: i64,
    action: &str,
    before: &serde_json::Value,
    after: &serde_json::Value,
    change: &ModelChange,
) -> Result<()> {
    let (before, after) = (to_json(location, before)?, to_json(location, after)?);
    conn.execute(
        "INSERT INTO model_audit (model, version, action, before, after, actor, at_ms, reason)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![model, version, action, before, after, change.actor, ms(change.at), change.reason],
    )
    .map_err(|source| StoreError::Sqlite { location: location.to_string(), source })?;
    Ok(())
}
