//! Every [`Store`] method, written once over the private seam (`sql.rs`) and so the same
//! on SQLite and PostgreSQL.

use std::collections::{BTreeMap, HashMap};

use lookout_model::{
    Finding, Identity, IdentityObservation, Position, ShipType, StaticData, Timestamp, Track, VesselId,
};
use lookout_pipeline::delivery::OutboxItem;
use lookout_pipeline::lifecycle::HistoryEntry;
use lookout_pipeline::{
    CycleWindow, DailyStats, DispatchState, Enforcement, Event, EventStatus, HourlyStats, Kpis, MonthlyStats, Silence,
};

use crate::admin::{PruneReport, Retention, StoreInfo};
use crate::sql::{corrupt, quote_ident, vals, Backend, Conn, Row, Val};
use crate::{
    ApiToken, CycleKey, CycleOutput, CycleState, CycleStats, EventFilter, IngestRun, ModelAudit, ModelChange,
    ModelStatus, ModelVersion, Result, Store, StoreCounts, VesselRow,
};

const UPSERT_VESSEL: &str = "ON CONFLICT (vessel_id) DO UPDATE SET
    name = COALESCE(excluded.name, vessels.name),
    call_sign = COALESCE(excluded.call_sign, vessels.call_sign),
    imo = COALESCE(excluded.imo, vessels.imo),
    ship_type = COALESCE(excluded.ship_type, vessels.ship_type),
    length_m = COALESCE(excluded.length_m, vessels.length_m),
    width_m = COALESCE(excluded.width_m, vessels.width_m)";

// CASE rather than LEAST/GREATEST (PostgreSQL) or two-argument MIN/MAX (SQLite).
const WIDEN_IDENTITY: &str = "ON CONFLICT (vessel_id, name, call_sign, imo, ship_type) DO UPDATE SET
    first_seen_ms = CASE WHEN excluded.first_seen_ms < vessel_identities.first_seen_ms
                    THEN excluded.first_seen_ms ELSE vessel_identities.first_seen_ms END,
    last_seen_ms = CASE WHEN excluded.last_seen_ms > vessel_identities.last_seen_ms
                   THEN excluded.last_seen_ms ELSE vessel_identities.last_seen_ms END,
    reports = vessel_identities.reports + excluded.reports";

/// Migration 0008: identity sightings in run-length form, one schema text for both
/// backends (`BIGINT` is an integer in SQLite). Existing identity rows become one run
/// each, so history recorded before the migration keeps counting.
pub(crate) const MIGRATION_0008_IDENTITY_RUNS: &str = "
CREATE TABLE vessel_identity_runs (
    vessel_id      TEXT NOT NULL REFERENCES vessels (vessel_id),
    name           TEXT NOT NULL,
    call_sign      TEXT NOT NULL,
    imo            BIGINT NOT NULL,
    ship_type      INTEGER NOT NULL,
    first_seen_ms  BIGINT NOT NULL,
    last_seen_ms   BIGINT NOT NULL,
    reports        BIGINT NOT NULL,
    PRIMARY KEY (vessel_id, first_seen_ms, name, call_sign, imo, ship_type)
);
CREATE INDEX vessel_identity_runs_last ON vessel_identity_runs (last_seen_ms);
INSERT INTO vessel_identity_runs
    (vessel_id, name, call_sign, imo, ship_type, first_seen_ms, last_seen_ms, reports)
    SELECT vessel_id, name, call_sign, imo, ship_type, first_seen_ms, last_seen_ms, reports
    FROM vessel_identities;
";

const WIDEN_RUN: &str = "ON CONFLICT (vessel_id, first_seen_ms, name, call_sign, imo, ship_type) DO UPDATE SET
    last_seen_ms = CASE WHEN excluded.last_seen_ms > vessel_identity_runs.last_seen_ms
                   THEN excluded.last_seen_ms ELSE vessel_identity_runs.last_seen_ms END,
    reports = vessel_identity_runs.reports + excluded.reports";

const RUN_COLUMNS: &str = "SELECT vessel_id, name, call_sign, imo, ship_type, first_seen_ms, last_seen_ms, reports
                   FROM vessel_identity_runs";

/// Migration 0014: what an incremental cycle knows of the previous run of its window
/// (`CycleState`), one schema text for both backends. Rows exist only while they
/// describe the window's stored findings: every cycle write replaces or removes them.
pub(crate) const MIGRATION_0014_CYCLE_STATE: &str = "
CREATE TABLE cycle_state (
    window_start_ms  BIGINT NOT NULL,
    window_end_ms    BIGINT NOT NULL,
    run_hash         TEXT NOT NULL,
    PRIMARY KEY (window_start_ms, window_end_ms)
);
CREATE TABLE cycle_vessel_state (
    window_start_ms  BIGINT NOT NULL,
    window_end_ms    BIGINT NOT NULL,
    vessel_id        TEXT NOT NULL,
    fingerprint      TEXT NOT NULL,
    PRIMARY KEY (window_start_ms, window_end_ms, vessel_id)
);
";

const ENFORCEMENTS: &str = "SELECT event_id, action, actor, at_ms, note FROM enforcements WHERE";

impl<B: Backend> Store for B {
    fn upsert_vessels(&mut self, vessels: &[VesselRow]) -> Result<()> {
        self.write(|c| upsert_vessels_in(c, vessels))
    }

    fn insert_positions(&mut self, positions: &[Position]) -> Result<u64> {
        self.bulk_insert_positions(positions, None)
    }

    fn record_ingest(&mut self, run: &IngestRun) -> Result<()> {
        self.write(|c| record_ingest_in(c, run))
    }

    fn begin_ingest(&mut self, source: &str) -> Result<Option<u64>> {
        self.write(|c| {
            let sql = "SELECT positions_inserted FROM ingest_journal WHERE source = $1";
            if let Some(n) = c.one(sql, &vals![source], |r| r.i64(0))? {
                return Ok(Some(u64::try_from(n).unwrap_or(0)));
            }
            c.execute("INSERT INTO ingest_journal (source, positions_inserted) VALUES ($1, 0)", &vals![source])?;
            Ok(None)
        })
    }

    fn insert_ingest_positions(&mut self, source: &str, positions: &[Position]) -> Result<u64> {
        self.bulk_insert_positions(positions, Some(source))
    }

    fn finish_ingest(
        &mut self,
        vessels: &[VesselRow],
        sightings: &[IdentityObservation],
        run: &IngestRun,
    ) -> Result<()> {
        self.write(|c| {
            upsert_vessels_in(c, vessels)?;
            record_identities_in(c, sightings)?;
            record_ingest_in(c, run)?;
            c.execute("DELETE FROM ingest_journal WHERE source = $1", &vals![&run.source]).map(drop)
        })
    }

    fn load_tracks(&self, from: Timestamp, to: Timestamp) -> Result<Vec<Track>> {
        let sql = "SELECT p.vessel_id, p.ts_ms, p.lat, p.lon, p.sog, p.cog, p.heading, p.nav_status,
                          v.name, v.call_sign, v.imo, v.ship_type, v.length_m, v.width_m
                   FROM positions p JOIN vessels v ON v.vessel_id = p.vessel_id
                   WHERE p.ts_ms BETWEEN $1 AND $2
                   ORDER BY p.vessel_id, p.ts_ms, p.lat, p.lon";
        let mut tracks: Vec<Track> = Vec::new();
        self.read(|c| {
            c.each_row(sql, &vals![from, to], &mut |r| {
                let position = crate::queries::position(r)?;
                match tracks.last_mut() {
                    Some(t) if t.vessel == position.vessel => t.positions.push(position),
                    _ => {
                        let static_data = StaticData {
                            name: r.text(8)?,
                            call_sign: r.text(9)?,
                            imo: r.small(10, "imo")?,
                            ship_type: r.small(11, "ship type")?.map(ShipType),
                            length_m: r.real(12)?,
                            width_m: r.real(13)?,
                        };
                        tracks.push(Track { vessel: position.vessel.clone(), static_data, positions: vec![position] });
                    }
                }
                Ok(())
            })
        })?;
        Ok(tracks)
    }

    fn position_span(&self) -> Result<Option<(Timestamp, Timestamp)>> {
        let sql = "SELECT MIN(ts_ms), MAX(ts_ms) FROM positions";
        Ok(self.read(|c| c.one(sql, &[], |r| Ok(r.opt_ts(0)?.zip(r.opt_ts(1)?))))?.flatten())
    }

    fn finding_starts(
        &self,
        detector: &str,
        vessel: &VesselId,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<Timestamp>> {
        let sql = "SELECT DISTINCT start_ms FROM findings
                   WHERE detector = $1 AND vessel_id = $2 AND start_ms >= $3 AND start_ms < $4 ORDER BY start_ms";
        self.read(|c| c.query(sql, &vals![detector, vessel.as_str(), from, to], |r| r.ts(0)))
    }

    fn write_cycle(&mut self, output: &CycleOutput) -> Result<()> {
        self.write(|c| write_cycle_in(c, output, None))
    }

    fn write_cycle_with_state(&mut self, output: &CycleOutput, state: &CycleState) -> Result<()> {
        self.write(|c| write_cycle_in(c, output, Some(state)))
    }

    fn cycle_state(&self, key: &CycleKey) -> Result<Option<CycleState>> {
        let (ws, we) = (key.window_start, key.window_end);
        self.read(|c| {
            let sql = "SELECT run_hash FROM cycle_state WHERE window_start_ms = $1 AND window_end_ms = $2";
            let Some(run_hash) = c.one(sql, &vals![ws, we], |r| r.string(0))? else { return Ok(None) };
            let sql = "SELECT vessel_id, fingerprint FROM cycle_vessel_state
                       WHERE window_start_ms = $1 AND window_end_ms = $2 ORDER BY vessel_id";
            let vessels = c.query(sql, &vals![ws, we], |r| Ok((r.string(0)?, r.string(1)?)))?;
            Ok(Some(CycleState { run_hash, vessels }))
        })
    }

    fn cycle_findings(&self, key: &CycleKey) -> Result<Vec<Finding>> {
        let sql = "SELECT detector, vessel_id, start_ms, end_ms, score, level, severity, breakdown, evidence,
                          rule_id, model_version, params_hash
                   FROM findings WHERE window_start_ms = $1 AND window_end_ms = $2 ORDER BY seq";
        self.read(|c| c.query(sql, &vals![key.window_start, key.window_end], |r| crate::queries::finding_at(r, 0)))
    }

    fn counts(&self) -> Result<StoreCounts> {
        let sql =
            "SELECT (SELECT COUNT(*) FROM vessels), (SELECT COUNT(*) FROM positions), (SELECT COUNT(*) FROM findings)";
        let count = |r: &dyn Row, i| Ok(r.i64(i)? as u64);
        let counts =
            |r: &dyn Row| Ok(StoreCounts { vessels: count(r, 0)?, positions: count(r, 1)?, findings: count(r, 2)? });
        Ok(self.read(|c| c.one(sql, &[], counts))?.unwrap_or_default())
    }

    fn record_identities(&mut self, sightings: &[IdentityObservation]) -> Result<()> {
        self.write(|c| record_identities_in(c, sightings))
    }

    fn identities_between(&self, from: Timestamp, to: Timestamp) -> Result<Vec<IdentityObservation>> {
        let sql = "SELECT vessel_id, name, call_sign, imo, ship_type, first_seen_ms, last_seen_ms, reports
                   FROM vessel_identities WHERE last_seen_ms >= $1 AND first_seen_ms <= $2
                   ORDER BY vessel_id, first_seen_ms, last_seen_ms, name, call_sign, imo, ship_type";
        self.read(|c| c.query(sql, &vals![from, to], identity_row))
    }

    fn vessel_identities(&self, vessel: &VesselId) -> Result<Vec<IdentityObservation>> {
        let sql = "SELECT vessel_id, name, call_sign, imo, ship_type, first_seen_ms, last_seen_ms, reports
                   FROM vessel_identities WHERE vessel_id = $1
                   ORDER BY vessel_id, first_seen_ms, last_seen_ms, name, call_sign, imo, ship_type";
        self.read(|c| c.query(sql, &vals![vessel.as_str()], identity_row))
    }

    fn identity_runs_between(&self, from: Timestamp, to: Timestamp) -> Result<Vec<IdentityObservation>> {
        let sql = format!("{RUN_COLUMNS} WHERE last_seen_ms >= $1 AND first_seen_ms <= $2");
        let rows = self.read(|c| c.query(&sql, &vals![from, to], identity_row))?;
        Ok(in_run_order(rows))
    }

    fn vessel_identity_runs(&self, vessel: &VesselId) -> Result<Vec<IdentityObservation>> {
        let sql = format!("{RUN_COLUMNS} WHERE vessel_id = $1");
        let rows = self.read(|c| c.query(&sql, &vals![vessel.as_str()], identity_row))?;
        Ok(in_run_order(rows))
    }

    fn search_vessels(&self, prefix: &str, after: Option<&str>, limit: usize) -> Result<Vec<VesselRow>> {
        let escaped: String = prefix
            .to_ascii_lowercase()
            .chars()
            .flat_map(|ch| match ch {
                '%' | '_' | '\\' => vec!['\\', ch],
                ch => vec![ch],
            })
            .collect();
        let pattern = format!("{escaped}%");
        let sql = "SELECT vessel_id, CASE WHEN id_is_mmsi THEN 1 ELSE 0 END, name, call_sign, imo, ship_type, length_m, width_m
                   FROM vessels
                   WHERE (LOWER(vessel_id) LIKE $1 ESCAPE '\\' OR LOWER(COALESCE(name, '')) LIKE $1 ESCAPE '\\'
                          OR LOWER(COALESCE(call_sign, '')) LIKE $1 ESCAPE '\\'
                          OR COALESCE(CAST(imo AS TEXT), '') LIKE $1 ESCAPE '\\')
                     AND vessel_id COLLATE \"C\" > $2
                   ORDER BY vessel_id COLLATE \"C\" LIMIT $3";
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(|c| c.query(sql, &vals![&pattern, after.unwrap_or(""), limit], vessel_row))
    }

    fn create_token(&mut self, t: &ApiToken) -> Result<()> {
        self.write(|c| {
            c.execute(
                "INSERT INTO api_tokens (id, name, role, hash, created_at_ms, revoked_at_ms) VALUES ($1, $2, $3, $4, $5, $6)",
                &vals![&t.id, &t.name, &t.role, &t.hash, t.created_at, t.revoked_at],
            )
        })
        .map(drop)
    }

    fn tokens(&self) -> Result<Vec<ApiToken>> {
        let sql = "SELECT id, name, role, hash, created_at_ms, revoked_at_ms FROM api_tokens ORDER BY id COLLATE \"C\"";
        self.read(|c| c.query(sql, &[], token_row))
    }

    fn token_by_hash(&self, hash: &str) -> Result<Option<ApiToken>> {
        let sql = "SELECT id, name, role, hash, created_at_ms, revoked_at_ms FROM api_tokens WHERE hash = $1";
        self.read(|c| c.one(sql, &vals![hash], token_row))
    }

    fn revoke_token(&mut self, id: &str, at: Timestamp) -> Result<bool> {
        let sql = "UPDATE api_tokens SET revoked_at_ms = $2 WHERE id = $1 AND revoked_at_ms IS NULL";
        self.write(|c| c.execute(sql, &vals![id, at])).map(|n| n > 0)
    }

    fn vessel(&self, vessel: &VesselId) -> Result<Option<VesselRow>> {
        let sql = "SELECT vessel_id, CASE WHEN id_is_mmsi THEN 1 ELSE 0 END, name, call_sign, imo, ship_type, length_m, width_m
                   FROM vessels WHERE vessel_id = $1";
        self.read(|c| c.one(sql, &vals![vessel.as_str()], vessel_row))
    }

    fn last_position(&self, vessel: &VesselId) -> Result<Option<Position>> {
        let sql = "SELECT vessel_id, ts_ms, lat, lon, sog, cog, heading, nav_status FROM positions
                   WHERE vessel_id = $1 ORDER BY ts_ms DESC, lat, lon LIMIT 1";
        self.read(|c| c.one(sql, &vals![vessel.as_str()], crate::queries::position))
    }
    fn info(&self) -> Result<StoreInfo> {
        let (schema_version, supported_version) = self.versions()?;
        let tables = self.read(|c| {
            let names = c.query(B::TABLES, &[], |r| r.string(0))?;
            let mut tables = Vec::with_capacity(names.len());
            for name in names {
                let sql = format!("SELECT COUNT(*) FROM {}", quote_ident(&name));
                let n = c.one(&sql, &[], |r| r.i64(0))?.unwrap_or(0);
                tables.push((name, n as u64));
            }
            Ok(tables)
        })?;
        // A database older than migration 0005 has no journal.
        let unfinished_ingests = if tables.iter().any(|(name, _)| name == "ingest_journal") {
            let sql = "SELECT source, positions_inserted FROM ingest_journal ORDER BY source";
            self.read(|c| c.query(sql, &[], |r| Ok((r.string(0)?, u64::try_from(r.i64(1)?).unwrap_or(0)))))?
        } else {
            Vec::new()
        };
        let location = self.location().to_string();
        Ok(StoreInfo {
            backend: B::NAME.into(),
            location,
            schema_version,
            supported_version,
            tables,
            unfinished_ingests,
        })
    }

    fn migrate(&mut self) -> Result<(i64, i64)> {
        self.apply_migrations()
    }

    fn prune(&mut self, retention: &Retention) -> Result<PruneReport> {
        self.write(|c| {
            let mut report = PruneReport::default();
            if let Some(before) = retention.positions_before {
                report.positions = c.execute("DELETE FROM positions WHERE ts_ms < $1", &vals![before])?;
                report.identities =
                    c.execute("DELETE FROM vessel_identities WHERE last_seen_ms < $1", &vals![before])?;
                report.identity_runs =
                    c.execute("DELETE FROM vessel_identity_runs WHERE last_seen_ms < $1", &vals![before])?;
            }
            if let Some(before) = retention.hourly_stats_before {
                report.hourly_stats = c.execute("DELETE FROM stats_hourly WHERE start_ms < $1", &vals![before])?;
            }
            if let Some(before) = retention.stream_log_before {
                report.stream_log = c.execute("DELETE FROM stream_log WHERE at_ms < $1", &vals![before])?;
            }
            Ok(report)
        })
    }

    // ----- Model registry and cycle statistics (rule engine, issue 5) -----

    fn model_versions(&self, model: &str) -> Result<Vec<ModelVersion>> {
        self.read(|c| versions_of(c, model))
    }

    fn insert_model_version(
        &mut self,
        model: &str,
        status: ModelStatus,
        params: &serde_json::Value,
        change: &ModelChange,
    ) -> Result<ModelVersion> {
        self.write(|c| {
            c.lock(model)?;
            let existing = versions_of(c, model)?;
            let action = match status {
                ModelStatus::Active if existing.is_empty() => "seed",
                ModelStatus::Draft => "create",
                _ => {
                    let message = format!(
                        "model {model}: a new version can only be a DRAFT (or ACTIVE as the first version), not {}",
                        status.as_str()
                    );
                    return Err(c.conflict(message));
                }
            };
            let version = existing.iter().map(|v| v.version).max().unwrap_or(0) + 1;
            let row = ModelVersion {
                model: model.to_string(),
                version,
                status,
                params: params.clone(),
                created_at: change.at,
                created_by: change.actor.clone(),
                reason: change.reason.clone(),
            };
            c.execute(
                "INSERT INTO model_versions (model, version, status, params, created_at_ms, created_by, reason)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
                &vals![model, version, status.as_str(), c.json(params)?, change.at, &change.actor, &change.reason],
            )?;
            let active_before = existing.iter().find(|v| v.status == ModelStatus::Active).map(|v| v.version);
            let active_after = if status == ModelStatus::Active { Some(version) } else { active_before };
            let before = serde_json::json!({ "active": active_before, "version": null });
            let after = serde_json::json!({ "active": active_after, "version": version_summary(&row) });
            insert_audit(c, &row, action, &before, &after, change)?;
            Ok(row)
        })
    }

    fn activate_model_version(
        &mut self,
        model: &str,
        version: i64,
        from: ModelStatus,
        action: &str,
        change: &ModelChange,
    ) -> Result<ModelVersion> {
        self.write(|c| {
            c.lock(model)?;
            let existing = versions_of(c, model)?;
            let Some(target) = existing.iter().find(|v| v.version == version) else {
                return Err(c.conflict(format!("model {model} has no version {version}")));
            };
            if target.status != from {
                let (is, expected) = (target.status.as_str(), from.as_str());
                return Err(
                    c.conflict(format!("model {model} version {version} is {is}, expected {expected} for {action}"))
                );
            }
            let previous = existing.iter().find(|v| v.status == ModelStatus::Active);
            // Archive first: the partial unique index allows one ACTIVE row at any moment.
            let archive = "UPDATE model_versions SET status = 'ARCHIVED' WHERE model = $1 AND status = 'ACTIVE'";
            c.execute(archive, &vals![model])?;
            let activate = "UPDATE model_versions SET status = 'ACTIVE' WHERE model = $1 AND version = $2";
            c.execute(activate, &vals![model, version])?;
            let after_row = ModelVersion { status: ModelStatus::Active, ..target.clone() };
            let before =
                serde_json::json!({ "active": previous.map(|v| v.version), "version": version_summary(target) });
            let after = serde_json::json!({ "active": version, "version": version_summary(&after_row) });
            insert_audit(c, &after_row, action, &before, &after, change)?;
            Ok(after_row)
        })
    }

    fn model_audit(&self, model: &str) -> Result<Vec<ModelAudit>> {
        let sql = "SELECT model, version, action, before, after, actor, at_ms, reason
                   FROM model_audit WHERE model = $1 ORDER BY id";
        self.read(|c| {
            c.query(sql, &vals![model], |r| {
                Ok(ModelAudit {
                    model: r.string(0)?,
                    version: r.i64(1)?,
                    action: r.string(2)?,
                    before: r.doc(3)?,
                    after: r.doc(4)?,
                    actor: r.string(5)?,
                    at: r.ts(6)?,
                    reason: r.string(7)?,
                })
            })
        })
    }

    fn recent_cycle_stats(&self, limit: usize) -> Result<Vec<CycleStats>> {
        let sql = "SELECT window_start_ms, window_end_ms, stats FROM cycles
                   ORDER BY window_end_ms DESC, window_start_ms DESC LIMIT $1";
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(|c| c.query(sql, &vals![limit], |r| Ok(CycleStats { key: cycle_key(r)?, stats: r.doc(2)? })))
    }

    // ----- Output pipeline (issue 6) -----

    fn events_by_ids(&self, ids: &[String]) -> Result<Vec<Event>> {
        let mut out = Vec::new();
        for id in ids {
            out.extend(self.read(|c| events_from(c, "SELECT doc FROM events WHERE id = $1", &vals![id]))?);
        }
        out.sort_by(|a, b| a.id.cmp(&b.id));
        out.dedup_by(|a, b| a.id == b.id);
        Ok(out)
    }

    fn events_in_window(&self, window: &CycleWindow) -> Result<Vec<Event>> {
        let sql = "SELECT e.doc FROM events e JOIN event_windows w ON w.event_id = e.id
                   WHERE w.window_start_ms = $1 AND w.window_end_ms = $2 ORDER BY e.id COLLATE \"C\"";
        self.read(|c| events_from(c, sql, &vals![window.start, window.end]))
    }

    fn list_events(&self, f: &EventFilter) -> Result<Vec<Event>> {
        let sql = "SELECT doc FROM events
                   WHERE (CAST($1 AS TEXT) IS NULL OR status = $1) AND (CAST($2 AS TEXT) IS NULL OR category = $2)
                     AND (CAST($3 AS BIGINT) IS NULL OR occurred_at_ms >= $3)
                     AND (CAST($4 AS BIGINT) IS NULL OR occurred_at_ms < $4)
                   ORDER BY id COLLATE \"C\"";
        let (status, category) = (f.status.map(|s| s.as_str()), f.category.map(|c| c.as_str()));
        self.read(|c| events_from(c, sql, &vals![status, category, f.occurred_from, f.occurred_to]))
    }

    fn save_events(&mut self, events: &[Event]) -> Result<()> {
        self.write(|c| write_events(c, events))
    }

    fn save_event_step(&mut self, event: &Event, enforcement: Option<&Enforcement>) -> Result<()> {
        self.write(|c| {
            write_event(c, event)?;
            if let Some(x) = enforcement {
                c.execute(
                    "INSERT INTO enforcements (event_id, seq, action, actor, at_ms, note)
                     VALUES ($1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM enforcements WHERE event_id = $1),
                             $2, $3, $4, $5)",
                    &vals![&x.event_id, &x.action, &x.actor, x.at, &x.note],
                )?;
            }
            Ok(())
        })
    }

    fn enforcements_between(&self, from: Timestamp, to: Timestamp) -> Result<Vec<Enforcement>> {
        let sql = format!("{ENFORCEMENTS} at_ms >= $1 AND at_ms < $2 ORDER BY at_ms, event_id COLLATE \"C\", seq");
        self.read(|c| c.query(&sql, &vals![from, to], enforcement))
    }

    fn event_enforcements(&self, event_id: &str) -> Result<Vec<Enforcement>> {
        let sql = format!("{ENFORCEMENTS} event_id = $1 ORDER BY seq");
        self.read(|c| c.query(&sql, &vals![event_id], enforcement))
    }

    fn dispatch_state(&self) -> Result<DispatchState> {
        self.read(|c| {
            let alerts: Vec<lookout_pipeline::Alert> =
                c.docs("SELECT doc FROM alerts ORDER BY fingerprint COLLATE \"C\"", &[])?;
            let groups: Vec<lookout_pipeline::alert::Group> =
                c.docs("SELECT doc FROM alert_groups ORDER BY group_key COLLATE \"C\"", &[])?;
            Ok(DispatchState {
                alerts: alerts.into_iter().map(|a| (a.fingerprint.clone(), a)).collect(),
                groups: groups.into_iter().map(|g| (g.key.clone(), g)).collect(),
            })
        })
    }

    fn save_dispatch(&mut self, state: &DispatchState, outbox: &[OutboxItem]) -> Result<()> {
        self.write(|c| {
            // Set-based: many rows per statement on PostgreSQL (keys are unique, map keys).
            let mut rows = Vec::with_capacity(state.alerts.len() * 5);
            for a in state.alerts.values() {
                rows.extend(vals![&a.fingerprint, &a.event_id, a.status.as_str(), a.starts_at, c.json(a)?]);
            }
            c.insert_rows(
                "INSERT INTO alerts (fingerprint, event_id, status, starts_at_ms, doc)",
                5,
                "ON CONFLICT (fingerprint) DO UPDATE SET event_id = excluded.event_id, status = excluded.status,
                   starts_at_ms = excluded.starts_at_ms, doc = excluded.doc",
                &rows,
            )?;
            c.execute("DELETE FROM alert_groups", &[])?;
            let mut rows = Vec::with_capacity(state.groups.len() * 2);
            for g in state.groups.values() {
                rows.extend(vals![&g.key, c.json(g)?]);
            }
            c.insert_rows("INSERT INTO alert_groups (group_key, doc)", 2, "", &rows)?;
            let mut next = c.one("SELECT COALESCE(MAX(seq), 0) + 1 FROM outbox", &[], |r| r.i64(0))?.unwrap_or(1);
            for i in outbox {
                let (id, sink, body, error) = (&i.notification_id, &i.sink, &i.body, &i.last_error);
                let args =
                    vals![next, id, sink, body, i.created_at, i.attempts, i.next_attempt_at, i.delivered_at, error];
                next += c.execute(
                    "INSERT INTO outbox (seq, notification_id, sink, body, created_at_ms, attempts,
                                         next_attempt_at_ms, delivered_at_ms, last_error)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (notification_id, sink) DO NOTHING",
                    &args,
                )? as i64;
            }
            Ok(())
        })
    }

    fn silences(&self) -> Result<Vec<Silence>> {
        self.read(|c| c.docs("SELECT doc FROM silences ORDER BY starts_at_ms, id COLLATE \"C\"", &[]))
    }

    fn put_silence(&mut self, s: &Silence) -> Result<()> {
        self.write(|c| {
            c.execute(
                "INSERT INTO silences (id, starts_at_ms, ends_at_ms, doc) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (id) DO UPDATE SET starts_at_ms = excluded.starts_at_ms,
                   ends_at_ms = excluded.ends_at_ms, doc = excluded.doc",
                &vals![&s.id, s.starts_at, s.ends_at, c.json(s)?],
            )
        })
        .map(drop)
    }

    fn outbox(&self, pending_only: bool) -> Result<Vec<OutboxItem>> {
        let sql = "SELECT seq, notification_id, sink, body, created_at_ms, attempts, next_attempt_at_ms,
                          delivered_at_ms, last_error
                   FROM outbox WHERE (NOT $1 OR delivered_at_ms IS NULL) ORDER BY seq";
        self.read(|c| c.query(sql, &vals![pending_only], outbox_row))
    }

    fn update_outbox(&mut self, items: &[OutboxItem]) -> Result<()> {
        let sql = "UPDATE outbox SET attempts = $1, next_attempt_at_ms = $2, delivered_at_ms = $3, last_error = $4
                   WHERE seq = $5";
        self.write(|c| {
            for i in items {
                c.execute(sql, &vals![i.attempts, i.next_attempt_at, i.delivered_at, &i.last_error, i.seq])?;
            }
            Ok(())
        })
    }

    fn save_kpis(&mut self, k: &Kpis) -> Result<()> {
        self.write(|c| {
            c.execute(
                "INSERT INTO kpis (id, at_ms, doc) VALUES (1, $1, $2)
                 ON CONFLICT (id) DO UPDATE SET at_ms = excluded.at_ms, doc = excluded.doc",
                &vals![k.at, c.json(k)?],
            )
        })
        .map(drop)
    }

    fn kpis(&self) -> Result<Option<Kpis>> {
        self.read(|c| c.one("SELECT doc FROM kpis WHERE id = 1", &[], |r| r.doc(0)))
    }

    fn last_reports(&self, since: Timestamp, until: Timestamp) -> Result<Vec<(VesselId, Timestamp)>> {
        let sql = "SELECT vessel_id, MAX(ts_ms) FROM positions WHERE ts_ms > $1 AND ts_ms <= $2
                   GROUP BY vessel_id ORDER BY vessel_id COLLATE \"C\"";
        self.read(|c| c.query(sql, &vals![since, until], |r| Ok((VesselId::new(r.string(0)?), r.ts(1)?))))
    }

    fn cycles_ending_between(&self, from: Timestamp, to: Timestamp) -> Result<Vec<CycleKey>> {
        let sql = "SELECT window_start_ms, window_end_ms FROM cycles WHERE window_end_ms >= $1 AND window_end_ms < $2
                   ORDER BY window_end_ms, window_start_ms";
        self.read(|c| c.query(sql, &vals![from, to], cycle_key))
    }

    fn save_stats(&mut self, hourly: &[HourlyStats], daily: &[DailyStats], monthly: &[MonthlyStats]) -> Result<()> {
        self.write(|c| {
            save_buckets(c, "stats_hourly", hourly.iter().map(|h| (&h.bucket, h)))?;
            save_buckets(c, "stats_daily", daily.iter().map(|d| (&d.bucket, d)))?;
            save_buckets(c, "stats_monthly", monthly.iter().map(|m| (&m.bucket, m)))
        })
    }

    fn hourly_stats(&self, from: Timestamp, to: Timestamp) -> Result<Vec<HourlyStats>> {
        self.read(|c| stats_between(c, "stats_hourly", from, to))
    }

    fn daily_stats(&self, from: Timestamp, to: Timestamp) -> Result<Vec<DailyStats>> {
        self.read(|c| stats_between(c, "stats_daily", from, to))
    }

    fn monthly_stats(&self, from: Timestamp, to: Timestamp) -> Result<Vec<MonthlyStats>> {
        self.read(|c| stats_between(c, "stats_monthly", from, to))
    }

    fn queries(&self) -> &dyn crate::Queries {
        self
    }

    fn stream_log(&mut self) -> &mut dyn crate::StreamLog {
        self
    }
}

/// The one write of a cycle's output: its findings replace the window's, and its
/// incremental state (migration 0014) is replaced by `state` or removed.
fn write_cycle_in(c: &mut dyn Conn, output: &CycleOutput, state: Option<&CycleState>) -> Result<()> {
    let (ws, we) = (output.key.window_start, output.key.window_end);
    for table in ["findings", "cycle_vessel_state", "cycle_state"] {
        let sql = format!("DELETE FROM {table} WHERE window_start_ms = $1 AND window_end_ms = $2");
        c.execute(&sql, &vals![ws, we])?;
    }
    c.execute(
        "INSERT INTO cycles (window_start_ms, window_end_ms, params, stats) VALUES ($1, $2, $3, $4)
         ON CONFLICT (window_start_ms, window_end_ms) DO UPDATE SET params = excluded.params, stats = excluded.stats",
        &vals![ws, we, c.json(&output.params)?, c.json(&output.stats)?],
    )?;
    let mut rows = Vec::with_capacity(output.findings.len() * 15);
    for (seq, f) in output.findings.iter().enumerate() {
        let (breakdown, evidence) = (c.json(&f.breakdown)?, c.json(&f.evidence)?);
        rows.extend(vals![ws, we, seq as i64, &f.detector, f.vessel.as_str(), f.start, f.end, f.score]);
        rows.extend(vals![&f.level, f.severity.as_str(), breakdown, evidence, &f.rule, f.model_version]);
        rows.push(Val::from(&f.params_hash));
    }
    let insert = "INSERT INTO findings (window_start_ms, window_end_ms, seq, detector, vessel_id, start_ms,
                  end_ms, score, level, severity, breakdown, evidence, rule_id, model_version, params_hash)";
    c.insert_rows(insert, 15, "", &rows)?;
    let Some(state) = state else { return Ok(()) };
    let sql = "INSERT INTO cycle_state (window_start_ms, window_end_ms, run_hash) VALUES ($1, $2, $3)";
    c.execute(sql, &vals![ws, we, &state.run_hash])?;
    let mut rows = Vec::with_capacity(state.vessels.len() * 4);
    for (vessel, fingerprint) in &state.vessels {
        rows.extend(vals![ws, we, vessel, fingerprint]);
    }
    let insert = "INSERT INTO cycle_vessel_state (window_start_ms, window_end_ms, vessel_id, fingerprint)";
    c.insert_rows(insert, 4, "", &rows).map(drop)
}

fn upsert_vessels_in(c: &mut dyn Conn, vessels: &[VesselRow]) -> Result<()> {
    let folded = fold_vessels(vessels);
    let mut rows = Vec::with_capacity(folded.len() * 8);
    for (id, is_mmsi, d) in &folded {
        let ship_type = d.ship_type.map(|s| s.0);
        rows.extend(vals![*id, *is_mmsi, &d.name, &d.call_sign, d.imo, ship_type, d.length_m, d.width_m]);
    }
    let insert = "INSERT INTO vessels (vessel_id, id_is_mmsi, name, call_sign, imo, ship_type, length_m, width_m)";
    c.insert_rows(insert, 8, UPSERT_VESSEL, &rows).map(drop)
}

fn record_ingest_in(c: &mut dyn Conn, run: &IngestRun) -> Result<()> {
    let location = c.location().to_string();
    let count = |what: &str, v: u64| {
        i64::try_from(v).map_err(|_| corrupt(&location, format!("{what} {v} does not fit a BIGINT")))
    };
    let (read, inserted) =
        (count("records_read", run.records_read)?, count("positions_inserted", run.positions_inserted)?);
    let args = vals![&run.source, &run.format, run.started_at, read, inserted, c.json(&run.rejects)?];
    c.execute(
        "INSERT INTO ingest_runs (source, format, started_at_ms, records_read, positions_inserted, rejects)
         VALUES ($1, $2, $3, $4, $5, $6)",
        &args,
    )
    .map(drop)
}

fn record_identities_in(c: &mut dyn Conn, sightings: &[IdentityObservation]) -> Result<()> {
    let folded = fold_identities(sightings);
    let (mut vessels, mut rows) = (Vec::new(), Vec::with_capacity(folded.len() * 8));
    for (i, s) in folded.iter().enumerate() {
        // Folded rows come by vessel, so each vessel is listed once.
        if i == 0 || folded[i - 1].vessel != s.vessel {
            vessels.extend(vals![s.vessel.as_str(), s.vessel.is_mmsi()]);
        }
        rows.extend(identity_values(s));
    }
    c.insert_rows("INSERT INTO vessels (vessel_id, id_is_mmsi)", 2, "ON CONFLICT DO NOTHING", &vessels)?;
    let insert = "INSERT INTO vessel_identities
                  (vessel_id, name, call_sign, imo, ship_type, first_seen_ms, last_seen_ms, reports)";
    c.insert_rows(insert, 8, WIDEN_IDENTITY, &rows)?;
    record_identity_runs_in(c, sightings)
}

/// The sightings as runs (see [`Store::identity_runs_between`]), then each vessel over
/// the cap cut back to its latest runs.
fn record_identity_runs_in(c: &mut dyn Conn, sightings: &[IdentityObservation]) -> Result<()> {
    let mut folded: std::collections::BTreeMap<(&VesselId, Timestamp, &Identity), IdentityObservation> =
        std::collections::BTreeMap::new();
    for s in sightings {
        folded
            .entry((&s.vessel, s.first_seen, &s.identity))
            .and_modify(|o| o.absorb(s.first_seen, s.last_seen, s.reports))
            .or_insert_with(|| s.clone());
    }
    let mut rows = Vec::with_capacity(folded.len() * 8);
    for s in folded.values() {
        rows.extend(identity_values(s));
    }
    let insert = "INSERT INTO vessel_identity_runs
                  (vessel_id, name, call_sign, imo, ship_type, first_seen_ms, last_seen_ms, reports)";
    c.insert_rows(insert, 8, WIDEN_RUN, &rows)?;
    let cap = i64::try_from(crate::IDENTITY_RUNS_PER_VESSEL).unwrap_or(i64::MAX);
    let over = c.query(
        "SELECT vessel_id FROM vessel_identity_runs GROUP BY vessel_id HAVING COUNT(*) > $1 ORDER BY vessel_id",
        &vals![cap],
        |r| r.string(0),
    )?;
    for vessel in over {
        c.execute(
            "DELETE FROM vessel_identity_runs WHERE vessel_id = $1 AND first_seen_ms <
                 (SELECT first_seen_ms FROM vessel_identity_runs WHERE vessel_id = $1
                  ORDER BY first_seen_ms DESC LIMIT 1 OFFSET $2)",
            &vals![vessel.as_str(), cap - 1],
        )?;
    }
    Ok(())
}

/// The eight column values of an identity row or run ("not reported" as '' and 0).
fn identity_values(s: &IdentityObservation) -> [Val<'_>; 8] {
    let id = &s.identity;
    let (name, call_sign) = (id.name.as_deref().unwrap_or(""), id.call_sign.as_deref().unwrap_or(""));
    let (imo, ship_type) = (id.imo.unwrap_or(0), id.ship_type.map_or(0, |t| t.0));
    let reports = i64::try_from(s.reports).unwrap_or(i64::MAX);
    vals![s.vessel.as_str(), name, call_sign, imo, ship_type, s.first_seen, s.last_seen, reports]
}

/// Runs in the documented order, independent of the backend's text collation.
fn in_run_order(mut rows: Vec<IdentityObservation>) -> Vec<IdentityObservation> {
    // `String` orders by bytes.
    rows.sort_by_cached_key(|r| {
        (
            r.vessel.as_str().to_string(),
            r.first_seen,
            r.last_seen,
            r.identity.name.clone().unwrap_or_default(),
            r.identity.call_sign.clone().unwrap_or_default(),
            r.identity.imo.unwrap_or(0),
            r.identity.ship_type.map_or(0, |t| t.0),
        )
    });
    rows
}

/// Repeats of a vessel folded into what sequential upserts leave (`ON CONFLICT DO UPDATE`
/// may touch a row once per statement): the first row's id kind and, per field, the
/// latest value that is not missing. Vessels in order of first appearance.
fn fold_vessels(vessels: &[VesselRow]) -> Vec<(&str, bool, StaticData)> {
    let mut folded: Vec<(&str, bool, StaticData)> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    for v in vessels {
        let i = *index.entry(v.vessel.as_str()).or_insert_with(|| {
            folded.push((v.vessel.as_str(), v.id_is_mmsi, StaticData::default()));
            folded.len() - 1
        });
        folded[i].2.merge_from(&v.data);
    }
    folded
}

/// Sightings folded per (vessel, tuple) in key order: one statement may touch a row
/// once, and both backends must add up the same.
fn fold_identities(sightings: &[IdentityObservation]) -> Vec<IdentityObservation> {
    let mut folded: std::collections::BTreeMap<(&VesselId, &Identity), IdentityObservation> =
        std::collections::BTreeMap::new();
    for s in sightings {
        folded
            .entry((&s.vessel, &s.identity))
            .and_modify(|o| o.absorb(s.first_seen, s.last_seen, s.reports))
            .or_insert_with(|| s.clone());
    }
    folded.into_values().collect()
}

fn cycle_key(r: &dyn Row) -> Result<CycleKey> {
    Ok(CycleKey { window_start: r.ts(0)?, window_end: r.ts(1)? })
}

/// Versions of a model, oldest first, on a connection or inside a transaction.
fn versions_of(c: &mut dyn Conn, model: &str) -> Result<Vec<ModelVersion>> {
    let sql = "SELECT version, status, params, created_at_ms, created_by, reason
               FROM model_versions WHERE model = $1 ORDER BY version";
    c.query(sql, &vals![model], |r| {
        let status = r.string(1)?;
        Ok(ModelVersion {
            model: model.to_string(),
            version: r.i64(0)?,
            status: ModelStatus::parse(&status)
                .ok_or_else(|| corrupt(r.location(), format!("model {model}: unknown status '{status}'")))?,
            params: r.doc(2)?,
            created_at: r.ts(3)?,
            created_by: r.string(4)?,
            reason: r.string(5)?,
        })
    })
}

/// A version as the audit trail shows it (params included, so before/after are complete).
fn version_summary(v: &ModelVersion) -> serde_json::Value {
    serde_json::json!({ "version": v.version, "status": v.status, "params": v.params })
}

fn insert_audit(
    c: &mut dyn Conn,
    row: &ModelVersion,
    action: &str,
    before: &serde_json::Value,
    after: &serde_json::Value,
    change: &ModelChange,
) -> Result<()> {
    let (before, after) = (c.json(before)?, c.json(after)?);
    c.execute(
        "INSERT INTO model_audit (model, version, action, before, after, actor, at_ms, reason)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        &vals![&row.model, row.version, action, before, after, &change.actor, change.at, &change.reason],
    )
    .map(drop)
}

fn event_status(r: &dyn Row, s: &str) -> Result<EventStatus> {
    EventStatus::parse(s).ok_or_else(|| corrupt(r.location(), format!("unknown event status '{s}'")))
}

/// Events from a `SELECT doc ...` query, each with its history.
fn events_from(c: &mut dyn Conn, sql: &str, args: &[Val<'_>]) -> Result<Vec<Event>> {
    let mut events: Vec<Event> = c.docs(sql, args)?;
    let history =
        "SELECT from_status, to_status, actor, at_ms, note FROM event_history WHERE event_id = $1 ORDER BY seq";
    for ev in &mut events {
        ev.history = c.query(history, &vals![&ev.id], |r| {
            Ok(HistoryEntry {
                from: r.text(0)?.map(|f| event_status(r, &f)).transpose()?,
                to: event_status(r, &r.string(1)?)?,
                actor: r.string(2)?,
                at: r.ts(3)?,
                note: r.string(4)?,
            })
        })?;
    }
    Ok(events)
}

fn write_event(c: &mut dyn Conn, ev: &Event) -> Result<()> {
    // The history lives in its own table; the document holds the rest.
    let mut doc = ev.clone();
    doc.history.clear();
    let doc = c.json(&doc)?;
    let (category, status, level) = (ev.category.as_str(), ev.status.as_str(), ev.level.as_str());
    c.execute(
        "INSERT INTO events (id, category, status, level, occurred_at_ms, last_seen_ms, doc)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (id) DO UPDATE SET category = excluded.category, status = excluded.status,
           level = excluded.level, occurred_at_ms = excluded.occurred_at_ms,
           last_seen_ms = excluded.last_seen_ms, doc = excluded.doc",
        &vals![&ev.id, category, status, level, ev.occurred_at, ev.last_seen, doc],
    )?;
    crate::queries::write_event_vessels(c, ev)?;
    c.execute("DELETE FROM event_windows WHERE event_id = $1", &vals![&ev.id])?;
    for w in &ev.windows {
        c.execute(
            "INSERT INTO event_windows (event_id, window_start_ms, window_end_ms) VALUES ($1, $2, $3)
             ON CONFLICT DO NOTHING",
            &vals![&ev.id, w.start, w.end],
        )?;
    }
    c.execute("DELETE FROM event_history WHERE event_id = $1", &vals![&ev.id])?;
    for (seq, h) in ev.history.iter().enumerate() {
        c.execute(
            "INSERT INTO event_history (event_id, seq, from_status, to_status, actor, at_ms, note)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &vals![&ev.id, seq as i64, h.from.map(|s| s.as_str()), h.to.as_str(), &h.actor, h.at, &h.note],
        )?;
    }
    Ok(())
}

/// [`write_event`] for many events, set-based: the events, their windows and their
/// history each in multi-row statements (many rows per statement on PostgreSQL), the
/// old windows and history removed by id lists. Of several events with one id the last
/// wins, as one [`write_event`] after another would have it.
fn write_events(c: &mut dyn Conn, events: &[Event]) -> Result<()> {
    const IDS_PER_DELETE: usize = 500;
    let mut last: HashMap<&str, usize> = HashMap::new();
    for (i, ev) in events.iter().enumerate() {
        last.insert(ev.id.as_str(), i);
    }
    let events: Vec<&Event> =
        events.iter().enumerate().filter(|(i, ev)| last[ev.id.as_str()] == *i).map(|(_, e)| e).collect();
    if events.is_empty() {
        return Ok(());
    }
    let mut rows = Vec::with_capacity(events.len() * 7);
    for ev in &events {
        let mut doc = (*ev).clone();
        doc.history.clear();
        let (category, status, level) = (ev.category.as_str(), ev.status.as_str(), ev.level.as_str());
        rows.extend(vals![&ev.id, category, status, level, ev.occurred_at, ev.last_seen, c.json(&doc)?]);
    }
    c.insert_rows(
        "INSERT INTO events (id, category, status, level, occurred_at_ms, last_seen_ms, doc)",
        7,
        "ON CONFLICT (id) DO UPDATE SET category = excluded.category, status = excluded.status,
           level = excluded.level, occurred_at_ms = excluded.occurred_at_ms,
           last_seen_ms = excluded.last_seen_ms, doc = excluded.doc",
        &rows,
    )?;
    for ev in &events {
        crate::queries::write_event_vessels(c, ev)?;
    }
    for chunk in events.chunks(IDS_PER_DELETE) {
        let list = (1..=chunk.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
        let ids: Vec<Val<'_>> = chunk.iter().map(|ev| Val::from(&ev.id)).collect();
        c.execute(&format!("DELETE FROM event_windows WHERE event_id IN ({list})"), &ids)?;
        c.execute(&format!("DELETE FROM event_history WHERE event_id IN ({list})"), &ids)?;
    }
    let mut windows = std::collections::BTreeSet::new();
    let (mut rows, mut history) = (Vec::new(), Vec::new());
    for ev in &events {
        for w in &ev.windows {
            if windows.insert((ev.id.as_str(), w.start, w.end)) {
                rows.extend(vals![&ev.id, w.start, w.end]);
            }
        }
        for (seq, h) in ev.history.iter().enumerate() {
            history.extend(vals![&ev.id, seq as i64, h.from.map(|s| s.as_str()), h.to.as_str(), &h.actor, h.at]);
            history.push(Val::from(&h.note));
        }
    }
    c.insert_rows(
        "INSERT INTO event_windows (event_id, window_start_ms, window_end_ms)",
        3,
        "ON CONFLICT DO NOTHING",
        &rows,
    )?;
    c.insert_rows(
        "INSERT INTO event_history (event_id, seq, from_status, to_status, actor, at_ms, note)",
        7,
        "",
        &history,
    )
    .map(drop)
}

fn enforcement(r: &dyn Row) -> Result<Enforcement> {
    Ok(Enforcement {
        event_id: r.string(0)?,
        action: r.string(1)?,
        actor: r.string(2)?,
        at: r.ts(3)?,
        note: r.string(4)?,
    })
}

/// Upserts statistics buckets set-based (many rows per statement on PostgreSQL); of
/// several rows for one bucket start the last wins, as one upsert per row would have it.
fn save_buckets<'a, T: serde::Serialize + 'a>(
    c: &mut dyn Conn,
    table: &str,
    items: impl Iterator<Item = (&'a lookout_pipeline::zone::Bucket, &'a T)>,
) -> Result<()> {
    let last: BTreeMap<Timestamp, (&lookout_pipeline::zone::Bucket, &T)> =
        items.map(|(bucket, doc)| (bucket.start, (bucket, doc))).collect();
    let mut rows = Vec::with_capacity(last.len() * 4);
    for (bucket, doc) in last.values() {
        rows.extend(vals![bucket.start, bucket.end, &bucket.label, c.json(doc)?]);
    }
    c.insert_rows(
        &format!("INSERT INTO {table} (start_ms, end_ms, label, doc)"),
        4,
        "ON CONFLICT (start_ms) DO UPDATE SET end_ms = excluded.end_ms, label = excluded.label, doc = excluded.doc",
        &rows,
    )
    .map(drop)
}

fn stats_between<T: serde::de::DeserializeOwned>(
    c: &mut dyn Conn,
    table: &str,
    from: Timestamp,
    to: Timestamp,
) -> Result<Vec<T>> {
    let sql = format!("SELECT doc FROM {table} WHERE start_ms >= $1 AND start_ms < $2 ORDER BY start_ms");
    c.docs(&sql, &vals![from, to])
}

fn vessel_row(r: &dyn Row) -> Result<VesselRow> {
    Ok(VesselRow {
        vessel: VesselId::new(r.string(0)?),
        id_is_mmsi: r.i64(1)? != 0,
        data: StaticData {
            name: r.text(2)?,
            call_sign: r.text(3)?,
            imo: r.small(4, "imo")?,
            ship_type: r.small(5, "ship type")?.map(ShipType),
            length_m: r.real(6)?,
            width_m: r.real(7)?,
        },
    })
}

fn identity_row(r: &dyn Row) -> Result<IdentityObservation> {
    let (name, call_sign) = (r.string(1)?, r.string(2)?);
    let identity = Identity {
        name: (!name.is_empty()).then_some(name),
        call_sign: (!call_sign.is_empty()).then_some(call_sign),
        imo: r.small::<u32>(3, "imo")?.filter(|&v| v != 0),
        ship_type: r.small::<u16>(4, "ship type")?.filter(|&v| v != 0).map(ShipType),
    };
    let reports = r.i64(7)?;
    Ok(IdentityObservation {
        vessel: VesselId::new(r.string(0)?),
        identity,
        first_seen: r.ts(5)?,
        last_seen: r.ts(6)?,
        reports: u64::try_from(reports).map_err(|_| corrupt(r.location(), format!("reports {reports} < 0")))?,
    })
}

fn token_row(r: &dyn Row) -> Result<ApiToken> {
    Ok(ApiToken {
        id: r.string(0)?,
        name: r.string(1)?,
        role: r.string(2)?,
        hash: r.string(3)?,
        created_at: r.ts(4)?,
        revoked_at: r.opt_ts(5)?,
    })
}

/// An outbox row from the columns `seq, notification_id, sink, body, created_at_ms,
/// attempts, next_attempt_at_ms, delivered_at_ms, last_error`.
pub(crate) fn outbox_row(r: &dyn Row) -> Result<OutboxItem> {
    Ok(OutboxItem {
        seq: r.i64(0)?,
        notification_id: r.string(1)?,
        sink: r.string(2)?,
        body: r.string(3)?,
        created_at: r.ts(4)?,
        attempts: u32::try_from(r.i64(5)?).unwrap_or(u32::MAX),
        next_attempt_at: r.ts(6)?,
        delivered_at: r.opt_ts(7)?,
        last_error: r.text(8)?,
    })
}
