//! PostgreSQL backend: the production store. Same logical schema and observable
//! behaviour as SQLite (`migrations/postgres`), JSONB for JSON, `COPY` for positions.

use std::cell::RefCell;
use std::collections::HashMap;
use std::time::Duration;

use ::postgres::binary_copy::BinaryCopyInWriter;
use ::postgres::types::{Json, ToSql, Type};
use ::postgres::{Client, Config, GenericClient, NoTls, Row, Statement};
use chrono::{DateTime, Utc};
use lookout_model::{
    Finding, IdentityObservation, NavStatus, Position, ShipType, StaticData, Timestamp, Track, VesselId,
};

use crate::admin::{canonical_json, OpenMode, PruneReport, Retention, StoreInfo};
use crate::location::{Location, PgLocation};
use crate::{
    fold_identities, identity_from_columns, IdentityColumns, CycleKey, CycleOutput, CycleStats, IngestRun, ModelAudit, ModelChange, ModelStatus,
    ModelVersion, Result, Store, StoreCounts, StoreError, VesselRow,
};

/// Ordered migrations; row `version` N of `lookout_schema_migrations` records that the
/// N-th was applied.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/postgres/0001_init.sql"),
    include_str!("../migrations/postgres/0002_models.sql"),
    include_str!("../migrations/postgres/0003_pipeline.sql"),
    include_str!("../migrations/postgres/0004_identities.sql"),
];

/// Key of the advisory lock that serialises lookouts migrating the same database.
const MIGRATION_LOCK: i64 = 0x6c6f_6f6b_6f75_7401;

const VERSION_TABLE: &str = "lookout_schema_migrations";

/// The PostgreSQL store: one connection, statements run on the schema named by the
/// URL's `?schema=` (else the server's `search_path`).
pub struct PostgresStore {
    // The trait reads through `&self`; the driver needs `&mut` for every query.
    pub(crate) client: RefCell<Client>,
    pub(crate) location: String,
    /// Whether this session's temporary COPY target exists (it survives commits, not
    /// a rolled-back creation).
    copy_table_ready: bool,
    /// Prepared once per connection: the engine asks for history once per track and
    /// cycle, and an unprepared query costs a second round trip each time.
    finding_starts_stmt: RefCell<Option<Statement>>,
}

/// Builds a [`StoreError::Postgres`] with the server's message, which the driver's own
/// `Display` leaves out ("db error").
pub(crate) fn pg_error(location: &str, source: ::postgres::Error) -> StoreError {
    let message = match source.as_db_error() {
        Some(db) => {
            let mut m = format!(
                "{}: {} (SQLSTATE {})",
                db.severity(),
                db.message(),
                db.code().code()
            );
            if let Some(detail) = db.detail() {
                m.push_str(&format!("; {detail}"));
            }
            if let Some(hint) = db.hint() {
                m.push_str(&format!("; hint: {hint}"));
            }
            m
        }
        None => {
            let mut m = source.to_string();
            let mut cause = std::error::Error::source(&source);
            while let Some(c) = cause {
                // The driver nests errors that repeat their parent's words.
                let text = c.to_string();
                if !m.contains(&text) {
                    m.push_str(&format!(": {text}"));
                }
                cause = c.source();
            }
            m
        }
    };
    StoreError::Postgres {
        location: location.to_string(),
        message,
        cause: source,
    }
}

pub(crate) fn ms(t: Timestamp) -> i64 {
    t.timestamp_millis()
}

pub(crate) fn corrupt(location: &str, message: String) -> StoreError {
    StoreError::Corrupt {
        location: location.to_string(),
        message,
    }
}

pub(crate) fn from_ms(location: &str, v: i64) -> Result<Timestamp> {
    DateTime::<Utc>::from_timestamp_millis(v)
        .ok_or_else(|| corrupt(location, format!("timestamp {v} ms out of range")))
}

pub(crate) fn get<'a, T: ::postgres::types::FromSql<'a>>(
    location: &str,
    row: &'a Row,
    idx: usize,
) -> Result<T> {
    row.try_get(idx).map_err(|e| pg_error(location, e))
}

/// A JSONB column read back as `T`, keys in canonical order (as SQLite returns them).
pub(crate) fn get_json<T: serde::de::DeserializeOwned>(location: &str, row: &Row, idx: usize) -> Result<T> {
    let value: serde_json::Value = get(location, row, idx)?;
    serde_json::from_value(canonical_json(value)).map_err(|source| StoreError::Json {
        location: location.to_string(),
        source,
    })
}

fn to_i64(location: &str, what: &str, v: u64) -> Result<i64> {
    i64::try_from(v).map_err(|_| corrupt(location, format!("{what} {v} does not fit a BIGINT")))
}

/// Quotes an identifier for SQL text (names come from the catalog or a checked URL).
fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

impl PostgresStore {
    /// Connects to a `postgres://` URL (optionally `?schema=NAME`) and applies pending
    /// migrations.
    pub fn open(url: &str) -> Result<Self> {
        match Location::parse(url)? {
            Location::Postgres(pg) => Self::open_with(&pg, OpenMode::Migrate),
            Location::Sqlite(p) => Err(StoreError::Location {
                location: p.display().to_string(),
                message: "not a postgres:// or postgresql:// URL".into(),
            }),
        }
    }

    /// Connects in the given mode (see [`OpenMode`]).
    pub fn open_with(pg: &PgLocation, mode: OpenMode) -> Result<Self> {
        let location = pg.redacted();
        let mut client = connect_to(pg)?;
        if let Some(schema) = &pg.schema {
            let q = quote_ident(schema);
            match mode {
                OpenMode::Migrate | OpenMode::Create => client
                    .batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {q}"))
                    .map_err(|e| pg_error(&location, e))?,
                OpenMode::Inspect => {
                    let exists = client
                        .query_opt("SELECT 1 FROM pg_namespace WHERE nspname = $1", &[schema])
                        .map_err(|e| pg_error(&location, e))?;
                    if exists.is_none() {
                        return Err(StoreError::Location {
                            location,
                            message: format!("schema '{schema}' does not exist"),
                        });
                    }
                }
            }
            client
                .batch_execute(&format!("SET search_path TO {q}"))
                .map_err(|e| pg_error(&location, e))?;
        }
        let mut store = PostgresStore {
            client: RefCell::new(client),
            location,
            copy_table_ready: false,
            finding_starts_stmt: RefCell::new(None),
        };
        if mode == OpenMode::Migrate {
            store.migrate()?;
        }
        Ok(store)
    }

    /// Drops the location's schema with everything in it and creates it empty. Only that
    /// schema is touched; callers choose it (the demo uses a dedicated one).
    pub fn recreate_schema(pg: &PgLocation) -> Result<()> {
        let location = pg.redacted();
        let Some(schema) = &pg.schema else {
            return Err(StoreError::Location {
                location,
                message: "no schema named to recreate".into(),
            });
        };
        let q = quote_ident(schema);
        connect_to(pg)?
            .batch_execute(&format!(
                "DROP SCHEMA IF EXISTS {q} CASCADE; CREATE SCHEMA {q}"
            ))
            .map_err(|e| pg_error(&location, e))
    }

    /// Number of migrations this build knows.
    pub fn supported_version() -> i64 {
        MIGRATIONS.len() as i64
    }

    /// Schema version applied to this database (0 when lookout never migrated it).
    pub fn schema_version(&self) -> Result<i64> {
        schema_version_in(&mut *self.client.borrow_mut(), &self.location)
    }

    /// The server process of this connection, for operators and fault tests
    /// (`pg_terminate_backend`).
    pub fn backend_pid(&self) -> Result<i32> {
        let row = self
            .client
            .borrow_mut()
            .query_one("SELECT pg_backend_pid()", &[])
            .map_err(|e| pg_error(&self.location, e))?;
        get(&self.location, &row, 0)
    }

    fn err(&self) -> impl Fn(::postgres::Error) -> StoreError + '_ {
        move |e| pg_error(&self.location, e)
    }
}

pub(crate) fn connect_to(pg: &PgLocation) -> Result<Client> {
    let location = pg.redacted();
    let mut config: Config = pg.url.parse().map_err(|e| pg_error(&location, e))?;
    if config.get_connect_timeout().is_none() {
        // An address that drops packets would otherwise hang the command for minutes.
        config.connect_timeout(Duration::from_secs(10));
    }
    if config.get_application_name().is_none() {
        config.application_name("lookout");
    }
    config.connect(NoTls).map_err(|e| pg_error(&location, e))
}

fn schema_version_in(client: &mut impl GenericClient, location: &str) -> Result<i64> {
    let row = client
        .query_one(
            &format!("SELECT to_regclass('{VERSION_TABLE}') IS NOT NULL"),
            &[],
        )
        .map_err(|e| pg_error(location, e))?;
    if !get::<bool>(location, &row, 0)? {
        return Ok(0);
    }
    let row = client
        .query_one(
            &format!("SELECT COALESCE(MAX(version), 0)::BIGINT FROM {VERSION_TABLE}"),
            &[],
        )
        .map_err(|e| pg_error(location, e))?;
    get(location, &row, 0)
}

impl Store for PostgresStore {
    fn upsert_vessels(&mut self, vessels: &[VesselRow]) -> Result<()> {
        if vessels.is_empty() {
            return Ok(());
        }
        // One statement per batch (a round trip per row made the demo's 7,000 static
        // reports slow). ON CONFLICT DO UPDATE may touch a row once per statement, so
        // repeats are folded first into what sequential upserts leave: the first row's id
        // kind and, per field, the latest value that is not missing.
        let mut order: Vec<&str> = Vec::new();
        let mut merged: HashMap<&str, (bool, StaticData)> = HashMap::new();
        for v in vessels {
            let id = v.vessel.as_str();
            match merged.get_mut(id) {
                Some((_, d)) => {
                    let n = &v.data;
                    d.name = n.name.clone().or(d.name.take());
                    d.call_sign = n.call_sign.clone().or(d.call_sign.take());
                    d.imo = n.imo.or(d.imo);
                    d.ship_type = n.ship_type.or(d.ship_type);
                    d.length_m = n.length_m.or(d.length_m);
                    d.width_m = n.width_m.or(d.width_m);
                }
                None => {
                    order.push(id);
                    merged.insert(id, (v.id_is_mmsi, v.data.clone()));
                }
            }
        }
        let rows: Vec<&(bool, StaticData)> = order.iter().filter_map(|id| merged.get(id)).collect();
        let mmsi: Vec<bool> = rows.iter().map(|r| r.0).collect();
        let name: Vec<Option<&str>> = rows.iter().map(|r| r.1.name.as_deref()).collect();
        let call_sign: Vec<Option<&str>> = rows.iter().map(|r| r.1.call_sign.as_deref()).collect();
        let imo: Vec<Option<i64>> = rows.iter().map(|r| r.1.imo.map(i64::from)).collect();
        let ship_type: Vec<Option<i32>> = rows.iter().map(|r| r.1.ship_type.map(|s| i32::from(s.0))).collect();
        let length: Vec<Option<f64>> = rows.iter().map(|r| r.1.length_m).collect();
        let width: Vec<Option<f64>> = rows.iter().map(|r| r.1.width_m).collect();
        let loc = self.location.clone();
        self.client
            .get_mut()
            .execute(
                "INSERT INTO vessels (vessel_id, id_is_mmsi, name, call_sign, imo, ship_type, length_m, width_m)
                 SELECT * FROM UNNEST($1::TEXT[], $2::BOOL[], $3::TEXT[], $4::TEXT[], $5::INT8[], $6::INT4[],
                                      $7::FLOAT8[], $8::FLOAT8[])
                 ON CONFLICT (vessel_id) DO UPDATE SET
                   name = COALESCE(excluded.name, vessels.name),
                   call_sign = COALESCE(excluded.call_sign, vessels.call_sign),
                   imo = COALESCE(excluded.imo, vessels.imo),
                   ship_type = COALESCE(excluded.ship_type, vessels.ship_type),
                   length_m = COALESCE(excluded.length_m, vessels.length_m),
                   width_m = COALESCE(excluded.width_m, vessels.width_m)",
                &[&order, &mmsi, &name, &call_sign, &imo, &ship_type, &length, &width],
            )
            .map_err(|err| pg_error(&loc, err))?;
        Ok(())
    }

    fn insert_positions(&mut self, positions: &[Position]) -> Result<u64> {
        if positions.is_empty() {
            return Ok(0);
        }
        let loc = self.location.clone();
        let e = |err| pg_error(&loc, err);
        let mut tx = self.client.get_mut().transaction().map_err(e)?;
        if !self.copy_table_ready {
            // COPY cannot skip conflicts, so rows land in a session-private table first
            // and move over with ON CONFLICT DO NOTHING, as SQLite's INSERTs do.
            tx.batch_execute(
                "CREATE TEMP TABLE IF NOT EXISTS lookout_positions_in (
                    seq BIGINT, vessel_id TEXT COLLATE \"C\", id_is_mmsi BOOLEAN, ts_ms BIGINT,
                    lat DOUBLE PRECISION, lon DOUBLE PRECISION, sog DOUBLE PRECISION,
                    cog DOUBLE PRECISION, heading DOUBLE PRECISION, nav_status SMALLINT
                 ) ON COMMIT DELETE ROWS",
            )
            .map_err(e)?;
        }
        {
            let sink = tx
                .copy_in(
                    "COPY lookout_positions_in (seq, vessel_id, id_is_mmsi, ts_ms, lat, lon, sog, cog, heading, nav_status)
                     FROM STDIN (FORMAT binary)",
                )
                .map_err(e)?;
            let types = [
                Type::INT8,
                Type::TEXT,
                Type::BOOL,
                Type::INT8,
                Type::FLOAT8,
                Type::FLOAT8,
                Type::FLOAT8,
                Type::FLOAT8,
                Type::FLOAT8,
                Type::INT2,
            ];
            let mut writer = BinaryCopyInWriter::new(sink, &types);
            // SQLite stores NaN as NULL; do the same so both read back alike.
            let num = |v: Option<f64>| v.filter(|x| !x.is_nan());
            for (seq, p) in positions.iter().enumerate() {
                let row: [&(dyn ToSql + Sync); 10] = [
                    &(seq as i64),
                    &p.vessel.as_str(),
                    &p.vessel.is_mmsi(),
                    &ms(p.timestamp),
                    &p.lat,
                    &p.lon,
                    &num(p.sog),
                    &num(p.cog),
                    &num(p.heading),
                    &p.nav_status.map(|n| i16::from(n.0)),
                ];
                writer.write(&row).map_err(e)?;
            }
            writer.finish().map_err(e)?;
        }
        // A position may arrive before its vessel's static data: create the vessel row.
        tx.execute(
            "INSERT INTO vessels (vessel_id, id_is_mmsi)
             SELECT vessel_id, bool_or(id_is_mmsi) FROM lookout_positions_in GROUP BY vessel_id ORDER BY vessel_id
             ON CONFLICT DO NOTHING",
            &[],
        )
        .map_err(e)?;
        // ORDER BY seq: of two rows with the same key in one batch the first wins, as in SQLite.
        let inserted = tx
            .execute(
                "INSERT INTO positions (vessel_id, ts_ms, lat, lon, sog, cog, heading, nav_status)
                 SELECT vessel_id, ts_ms, lat, lon, sog, cog, heading, nav_status
                 FROM lookout_positions_in ORDER BY seq
                 ON CONFLICT DO NOTHING",
                &[],
            )
            .map_err(e)?;
        tx.commit().map_err(e)?;
        self.copy_table_ready = true;
        Ok(inserted)
    }

    fn record_ingest(&mut self, run: &IngestRun) -> Result<()> {
        let loc = self.location.clone();
        let (read, inserted) = (
            to_i64(&loc, "records_read", run.records_read)?,
            to_i64(&loc, "positions_inserted", run.positions_inserted)?,
        );
        self.client
            .get_mut()
            .execute(
                "INSERT INTO ingest_runs (source, format, started_at_ms, records_read, positions_inserted, rejects)
                 VALUES ($1, $2, $3, $4, $5, $6)",
                &[&run.source, &run.format, &ms(run.started_at), &read, &inserted, &Json(&run.rejects)],
            )
            .map_err(|err| pg_error(&loc, err))?;
        Ok(())
    }

    fn load_tracks(&self, from: Timestamp, to: Timestamp) -> Result<Vec<Track>> {
        let loc = &self.location;
        let rows = self
            .client
            .borrow_mut()
            .query(
                "SELECT p.vessel_id, p.ts_ms, p.lat, p.lon, p.sog, p.cog, p.heading, p.nav_status,
                        v.name, v.call_sign, v.imo, v.ship_type, v.length_m, v.width_m
                 FROM positions p JOIN vessels v ON v.vessel_id = p.vessel_id
                 WHERE p.ts_ms BETWEEN $1 AND $2
                 ORDER BY p.vessel_id, p.ts_ms, p.lat, p.lon",
                &[&ms(from), &ms(to)],
            )
            .map_err(self.err())?;
        let mut tracks: Vec<Track> = Vec::new();
        for row in &rows {
            let id: &str = get(loc, row, 0)?;
            if tracks.last().map(|t| t.vessel.as_str()) != Some(id) {
                let imo = get::<Option<i64>>(loc, row, 10)?
                    .map(|v| {
                        u32::try_from(v)
                            .map_err(|_| corrupt(loc, format!("vessel {id}: imo {v} out of range")))
                    })
                    .transpose()?;
                let ship_type = get::<Option<i32>>(loc, row, 11)?
                    .map(|v| {
                        u16::try_from(v).map_err(|_| {
                            corrupt(loc, format!("vessel {id}: ship type {v} out of range"))
                        })
                    })
                    .transpose()?;
                let data = StaticData {
                    name: get(loc, row, 8)?,
                    call_sign: get(loc, row, 9)?,
                    imo,
                    ship_type: ship_type.map(ShipType),
                    length_m: get(loc, row, 12)?,
                    width_m: get(loc, row, 13)?,
                };
                tracks.push(Track {
                    vessel: VesselId::new(id),
                    static_data: data,
                    positions: Vec::new(),
                });
            }
            let nav_status = get::<Option<i16>>(loc, row, 7)?
                .map(|v| {
                    u8::try_from(v).map_err(|_| {
                        corrupt(loc, format!("vessel {id}: nav status {v} out of range"))
                    })
                })
                .transpose()?;
            let position = Position {
                vessel: VesselId::new(id),
                timestamp: from_ms(loc, get(loc, row, 1)?)?,
                lat: get(loc, row, 2)?,
                lon: get(loc, row, 3)?,
                sog: get(loc, row, 4)?,
                cog: get(loc, row, 5)?,
                heading: get(loc, row, 6)?,
                nav_status: nav_status.map(NavStatus),
            };
            if let Some(t) = tracks.last_mut() {
                t.positions.push(position);
            }
        }
        Ok(tracks)
    }

    fn position_span(&self) -> Result<Option<(Timestamp, Timestamp)>> {
        let loc = &self.location;
        let row = self
            .client
            .borrow_mut()
            .query_one("SELECT MIN(ts_ms), MAX(ts_ms) FROM positions", &[])
            .map_err(self.err())?;
        match (
            get::<Option<i64>>(loc, &row, 0)?,
            get::<Option<i64>>(loc, &row, 1)?,
        ) {
            (Some(a), Some(b)) => Ok(Some((from_ms(loc, a)?, from_ms(loc, b)?))),
            _ => Ok(None),
        }
    }

    fn finding_starts(
        &self,
        detector: &str,
        vessel: &VesselId,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<Timestamp>> {
        let mut client = self.client.borrow_mut();
        let cached = self.finding_starts_stmt.borrow().clone();
        let stmt = match cached {
            Some(stmt) => stmt,
            None => {
                let stmt = client
                    .prepare(
                        "SELECT DISTINCT start_ms FROM findings
                         WHERE detector = $1 AND vessel_id = $2 AND start_ms >= $3 AND start_ms < $4
                         ORDER BY start_ms",
                    )
                    .map_err(self.err())?;
                *self.finding_starts_stmt.borrow_mut() = Some(stmt.clone());
                stmt
            }
        };
        let rows = client
            .query(&stmt, &[&detector, &vessel.as_str(), &ms(from), &ms(to)])
            .map_err(self.err())?;
        rows.iter()
            .map(|r| from_ms(&self.location, get(&self.location, r, 0)?))
            .collect()
    }

    fn write_cycle(&mut self, output: &CycleOutput) -> Result<()> {
        let loc = self.location.clone();
        let e = |err| pg_error(&loc, err);
        let (ws, we) = (ms(output.key.window_start), ms(output.key.window_end));
        let mut tx = self.client.get_mut().transaction().map_err(e)?;
        tx.execute(
            "DELETE FROM findings WHERE window_start_ms = $1 AND window_end_ms = $2",
            &[&ws, &we],
        )
        .map_err(e)?;
        tx.execute(
            "INSERT INTO cycles (window_start_ms, window_end_ms, params, stats) VALUES ($1, $2, $3, $4)
             ON CONFLICT (window_start_ms, window_end_ms) DO UPDATE SET params = excluded.params, stats = excluded.stats",
            &[&ws, &we, &Json(&output.params), &Json(&output.stats)],
        )
        .map_err(e)?;
        let stmt = tx
            .prepare(
                "INSERT INTO findings (window_start_ms, window_end_ms, seq, detector, vessel_id, start_ms, end_ms,
                                       score, level, severity, breakdown, evidence, rule_id, model_version, params_hash)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
            )
            .map_err(e)?;
        for (seq, f) in output.findings.iter().enumerate() {
            tx.execute(
                &stmt,
                &[
                    &ws,
                    &we,
                    &(seq as i64),
                    &f.detector,
                    &f.vessel.as_str(),
                    &ms(f.start),
                    &ms(f.end),
                    &f.score,
                    &f.level,
                    &f.severity.as_str(),
                    &Json(&f.breakdown),
                    &Json(&f.evidence),
                    &f.rule,
                    &f.model_version,
                    &f.params_hash,
                ],
            )
            .map_err(e)?;
        }
        tx.commit().map_err(e)
    }

    fn cycle_findings(&self, key: &CycleKey) -> Result<Vec<Finding>> {
        let loc = &self.location;
        let rows = self
            .client
            .borrow_mut()
            .query(
                "SELECT detector, vessel_id, start_ms, end_ms, score, level, severity, breakdown, evidence,
                        rule_id, model_version, params_hash
                 FROM findings WHERE window_start_ms = $1 AND window_end_ms = $2 ORDER BY seq",
                &[&ms(key.window_start), &ms(key.window_end)],
            )
            .map_err(self.err())?;
        rows.iter()
            .map(|r| {
                let severity: String = get(loc, r, 6)?;
                Ok(Finding {
                    detector: get(loc, r, 0)?,
                    vessel: VesselId::new(get::<String>(loc, r, 1)?),
                    start: from_ms(loc, get(loc, r, 2)?)?,
                    end: from_ms(loc, get(loc, r, 3)?)?,
                    score: get(loc, r, 4)?,
                    level: get(loc, r, 5)?,
                    severity: serde_json::from_value(serde_json::Value::String(severity)).map_err(
                        |source| StoreError::Json {
                            location: loc.clone(),
                            source,
                        },
                    )?,
                    breakdown: get_json(loc, r, 7)?,
                    evidence: get_json(loc, r, 8)?,
                    rule: get(loc, r, 9)?,
                    model_version: get(loc, r, 10)?,
                    params_hash: get(loc, r, 11)?,
                })
            })
            .collect()
    }

    fn counts(&self) -> Result<StoreCounts> {
        let loc = &self.location;
        let row = self
            .client
            .borrow_mut()
            .query_one(
                "SELECT (SELECT COUNT(*) FROM vessels), (SELECT COUNT(*) FROM positions), (SELECT COUNT(*) FROM findings)",
                &[],
            )
            .map_err(self.err())?;
        let n = |i| get::<i64>(loc, &row, i).map(|v| v as u64);
        Ok(StoreCounts {
            vessels: n(0)?,
            positions: n(1)?,
            findings: n(2)?,
        })
    }

    fn record_identities(&mut self, sightings: &[IdentityObservation]) -> Result<()> {
        let folded = fold_identities(sightings);
        if folded.is_empty() {
            return Ok(());
        }
        let loc = self.location.clone();
        let cols: Vec<IdentityColumns<'_>> = folded.iter().map(|s| IdentityColumns::of(&s.identity)).collect();
        let vessel: Vec<&str> = folded.iter().map(|s| s.vessel.as_str()).collect();
        let is_mmsi: Vec<bool> = folded.iter().map(|s| s.vessel.is_mmsi()).collect();
        let name: Vec<&str> = cols.iter().map(|c| c.name).collect();
        let call_sign: Vec<&str> = cols.iter().map(|c| c.call_sign).collect();
        let imo: Vec<i64> = cols.iter().map(|c| c.imo).collect();
        let ship_type: Vec<i32> = cols.iter().map(|c| c.ship_type).collect();
        let first: Vec<i64> = folded.iter().map(|s| ms(s.first_seen)).collect();
        let last: Vec<i64> = folded.iter().map(|s| ms(s.last_seen)).collect();
        let reports: Vec<i64> = folded.iter().map(|s| i64::try_from(s.reports).unwrap_or(i64::MAX)).collect();
        let e = |err| pg_error(&loc, err);
        let mut tx = self.client.get_mut().transaction().map_err(e)?;
        // One statement per table for the whole call; the rows are folded, so no row is
        // touched twice by one ON CONFLICT.
        tx.execute(
            "INSERT INTO vessels (vessel_id, id_is_mmsi)
             SELECT DISTINCT * FROM UNNEST($1::TEXT[], $2::BOOL[]) ON CONFLICT DO NOTHING",
            &[&vessel, &is_mmsi],
        )
        .map_err(e)?;
        tx.execute(
            "INSERT INTO vessel_identities
               (vessel_id, name, call_sign, imo, ship_type, first_seen_ms, last_seen_ms, reports)
             SELECT * FROM UNNEST($1::TEXT[], $2::TEXT[], $3::TEXT[], $4::INT8[], $5::INT4[],
                                  $6::INT8[], $7::INT8[], $8::INT8[])
             ON CONFLICT (vessel_id, name, call_sign, imo, ship_type) DO UPDATE SET
               first_seen_ms = LEAST(vessel_identities.first_seen_ms, excluded.first_seen_ms),
               last_seen_ms = GREATEST(vessel_identities.last_seen_ms, excluded.last_seen_ms),
               reports = vessel_identities.reports + excluded.reports",
            &[&vessel, &name, &call_sign, &imo, &ship_type, &first, &last, &reports],
        )
        .map_err(e)?;
        tx.commit().map_err(e)
    }

    fn identities_between(&self, from: Timestamp, to: Timestamp) -> Result<Vec<IdentityObservation>> {
        let loc = &self.location;
        let rows = self
            .client
            .borrow_mut()
            .query(
                "SELECT vessel_id, name, call_sign, imo, ship_type::INT8, first_seen_ms, last_seen_ms, reports
                 FROM vessel_identities WHERE first_seen_ms <= $2 AND last_seen_ms >= $1
                 ORDER BY vessel_id, first_seen_ms, last_seen_ms, name, call_sign, imo, ship_type",
                &[&ms(from), &ms(to)],
            )
            .map_err(self.err())?;
        rows.iter()
            .map(|r| {
                let reports: i64 = get(loc, r, 7)?;
                Ok(IdentityObservation {
                    vessel: VesselId::new(get::<String>(loc, r, 0)?),
                    identity: identity_from_columns(loc, get(loc, r, 1)?, get(loc, r, 2)?, get(loc, r, 3)?, get(loc, r, 4)?)?,
                    first_seen: from_ms(loc, get(loc, r, 5)?)?,
                    last_seen: from_ms(loc, get(loc, r, 6)?)?,
                    reports: u64::try_from(reports).map_err(|_| corrupt(loc, format!("reports {reports} < 0")))?,
                })
            })
            .collect()
    }

    fn info(&self) -> Result<StoreInfo> {
        let loc = &self.location;
        let mut client = self.client.borrow_mut();
        let schema_version = schema_version_in(&mut *client, loc)?;
        let names = client
            .query(
                "SELECT table_name::TEXT FROM information_schema.tables
                 WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name <> $1
                 ORDER BY table_name::TEXT COLLATE \"C\"",
                &[&VERSION_TABLE],
            )
            .map_err(|e| pg_error(loc, e))?;
        let mut tables = Vec::with_capacity(names.len());
        for r in &names {
            let name: String = get(loc, r, 0)?;
            let row = client
                .query_one(&format!("SELECT COUNT(*) FROM {}", quote_ident(&name)), &[])
                .map_err(|e| pg_error(loc, e))?;
            tables.push((name, get::<i64>(loc, &row, 0)? as u64));
        }
        Ok(StoreInfo {
            backend: "postgres".into(),
            location: loc.clone(),
            schema_version,
            supported_version: Self::supported_version(),
            tables,
        })
    }

    fn migrate(&mut self) -> Result<(i64, i64)> {
        let loc = self.location.clone();
        let e = |err| pg_error(&loc, err);
        let supported = Self::supported_version();
        let mut tx = self.client.get_mut().transaction().map_err(e)?;
        // Two lookouts starting at once must not both apply migration N: the lock holds
        // until this transaction ends, and the version is read only after taking it.
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .map_err(e)?;
        let found = schema_version_in(&mut tx, &loc)?;
        if found > supported {
            return Err(StoreError::TooNew {
                location: loc.clone(),
                found,
                supported,
            });
        }
        if found < supported {
            tx.batch_execute(&format!(
                "CREATE TABLE IF NOT EXISTS {VERSION_TABLE} (
                    version     INTEGER PRIMARY KEY,
                    applied_at  TIMESTAMPTZ NOT NULL DEFAULT now()
                 )"
            ))
            .map_err(e)?;
            for (i, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
                tx.batch_execute(sql).map_err(e)?;
                tx.execute(
                    &format!("INSERT INTO {VERSION_TABLE} (version) VALUES ($1)"),
                    &[&(i as i32 + 1)],
                )
                .map_err(e)?;
            }
        }
        tx.commit().map_err(e)?;
        Ok((found, supported))
    }

    fn prune(&mut self, retention: &Retention) -> Result<PruneReport> {
        let loc = self.location.clone();
        let e = |err| pg_error(&loc, err);
        let mut tx = self.client.get_mut().transaction().map_err(e)?;
        let mut report = PruneReport::default();
        if let Some(before) = retention.positions_before {
            report.positions = tx
                .execute("DELETE FROM positions WHERE ts_ms < $1", &[&ms(before)])
                .map_err(e)?;
            report.identities = tx
                .execute("DELETE FROM vessel_identities WHERE last_seen_ms < $1", &[&ms(before)])
                .map_err(e)?;
        }
        if let Some(before) = retention.hourly_stats_before {
            report.hourly_stats = tx
                .execute("DELETE FROM stats_hourly WHERE start_ms < $1", &[&ms(before)])
                .map_err(e)?;
        }
        tx.commit().map_err(e)?;
        Ok(report)
    }

    // ----- Model registry and cycle statistics (rule engine, issue 5) -----

    fn model_versions(&self, model: &str) -> Result<Vec<ModelVersion>> {
        model_versions_in(&mut *self.client.borrow_mut(), &self.location, model)
    }

    fn insert_model_version(
        &mut self,
        model: &str,
        status: ModelStatus,
        params: &serde_json::Value,
        change: &ModelChange,
    ) -> Result<ModelVersion> {
        let loc = self.location.clone();
        let e = |err| pg_error(&loc, err);
        let mut tx = self.client.get_mut().transaction().map_err(e)?;
        // Serialises concurrent writers of one model, as SQLite's single writer does.
        tx.execute("SELECT pg_advisory_xact_lock(hashtext($1))", &[&model])
            .map_err(e)?;
        let existing = model_versions_in(&mut tx, &loc, model)?;
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
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[&model, &version, &status.as_str(), &Json(params), &ms(change.at), &change.actor, &change.reason],
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
        let active_before = existing
            .iter()
            .find(|v| v.status == ModelStatus::Active)
            .map(|v| v.version);
        let active_after = if status == ModelStatus::Active {
            Some(version)
        } else {
            active_before
        };
        let before = serde_json::json!({ "active": active_before, "version": null });
        let after = serde_json::json!({ "active": active_after, "version": version_summary(&row) });
        insert_audit(
            &mut tx, &loc, model, version, action, &before, &after, change,
        )?;
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
        let e = |err| pg_error(&loc, err);
        let conflict = |message: String| StoreError::Conflict {
            location: loc.clone(),
            message,
        };
        let mut tx = self.client.get_mut().transaction().map_err(e)?;
        tx.execute("SELECT pg_advisory_xact_lock(hashtext($1))", &[&model])
            .map_err(e)?;
        let existing = model_versions_in(&mut tx, &loc, model)?;
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
            "UPDATE model_versions SET status = 'ARCHIVED' WHERE model = $1 AND status = 'ACTIVE'",
            &[&model],
        )
        .map_err(e)?;
        tx.execute(
            "UPDATE model_versions SET status = 'ACTIVE' WHERE model = $1 AND version = $2",
            &[&model, &version],
        )
        .map_err(e)?;
        let mut after_row = target.clone();
        after_row.status = ModelStatus::Active;
        let before = serde_json::json!({
            "active": previous.map(|v| v.version),
            "version": version_summary(target),
        });
        let after =
            serde_json::json!({ "active": version, "version": version_summary(&after_row) });
        insert_audit(
            &mut tx, &loc, model, version, action, &before, &after, change,
        )?;
        tx.commit().map_err(e)?;
        Ok(after_row)
    }

    fn model_audit(&self, model: &str) -> Result<Vec<ModelAudit>> {
        let loc = &self.location;
        let rows = self
            .client
            .borrow_mut()
            .query(
                "SELECT model, version, action, before, after, actor, at_ms, reason
                 FROM model_audit WHERE model = $1 ORDER BY id",
                &[&model],
            )
            .map_err(self.err())?;
        rows.iter()
            .map(|r| {
                Ok(ModelAudit {
                    model: get(loc, r, 0)?,
                    version: get(loc, r, 1)?,
                    action: get(loc, r, 2)?,
                    before: get_json(loc, r, 3)?,
                    after: get_json(loc, r, 4)?,
                    actor: get(loc, r, 5)?,
                    at: from_ms(loc, get(loc, r, 6)?)?,
                    reason: get(loc, r, 7)?,
                })
            })
            .collect()
    }

    fn recent_cycle_stats(&self, limit: usize) -> Result<Vec<CycleStats>> {
        let loc = &self.location;
        let rows = self
            .client
            .borrow_mut()
            .query(
                "SELECT window_start_ms, window_end_ms, stats FROM cycles
                 ORDER BY window_end_ms DESC, window_start_ms DESC LIMIT $1",
                &[&i64::try_from(limit).unwrap_or(i64::MAX)],
            )
            .map_err(self.err())?;
        rows.iter()
            .map(|r| {
                Ok(CycleStats {
                    key: CycleKey {
                        window_start: from_ms(loc, get(loc, r, 0)?)?,
                        window_end: from_ms(loc, get(loc, r, 1)?)?,
                    },
                    stats: get_json(loc, r, 2)?,
                })
            })
            .collect()
    }

    // ----- Output pipeline (issue 6) -----

    crate::forward_pipeline_methods!();
}

fn model_versions_in(
    client: &mut impl GenericClient,
    location: &str,
    model: &str,
) -> Result<Vec<ModelVersion>> {
    let rows = client
        .query(
            "SELECT version, status, params, created_at_ms, created_by, reason
             FROM model_versions WHERE model = $1 ORDER BY version",
            &[&model],
        )
        .map_err(|e| pg_error(location, e))?;
    rows.iter()
        .map(|r| {
            let status: String = get(location, r, 1)?;
            Ok(ModelVersion {
                model: model.to_string(),
                version: get(location, r, 0)?,
                status: ModelStatus::parse(&status).ok_or_else(|| {
                    corrupt(
                        location,
                        format!("model {model}: unknown status '{status}'"),
                    )
                })?,
                params: get_json(location, r, 2)?,
                created_at: from_ms(location, get(location, r, 3)?)?,
                created_by: get(location, r, 4)?,
                reason: get(location, r, 5)?,
            })
        })
        .collect()
}

/// A version as the audit trail shows it (params included, so before/after are complete).
fn version_summary(v: &ModelVersion) -> serde_json::Value {
    serde_json::json!({ "version": v.version, "status": v.status, "params": v.params })
}

#[allow(clippy::too_many_arguments)]
fn insert_audit(
    client: &mut impl GenericClient,
    location: &str,
    model: &str,
    version: i64,
    action: &str,
    before: &serde_json::Value,
    after: &serde_json::Value,
    change: &ModelChange,
) -> Result<()> {
    client
        .execute(
            "INSERT INTO model_audit (model, version, action, before, after, actor, at_ms, reason)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            &[
                &model,
                &version,
                &action,
                &Json(before),
                &Json(after),
                &change.actor,
                &ms(change.at),
                &change.reason,
            ],
        )
        .map_err(|e| pg_error(location, e))?;
    Ok(())
}
