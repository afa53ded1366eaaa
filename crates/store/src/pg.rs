//! PostgreSQL backend: the production store. Same logical schema and observable
//! behaviour as SQLite (`migrations/postgres`), JSONB for JSON, `COPY` for positions.
//! The queries are shared (`tables.rs`); this is the PostgreSQL side of the seam.

use std::cell::RefCell;
use std::collections::HashMap;
use std::error::Error;
use std::time::Duration;

use ::postgres::binary_copy::BinaryCopyInWriter;
use ::postgres::types::{to_sql_checked, FromSql, IsNull, Json, ToSql, Type};
use ::postgres::{Client, Config, GenericClient, NoTls, Statement};
use bytes::BytesMut;
use lookout_model::Position;

use crate::admin::OpenMode;
use crate::location::{Location, PgLocation};
use crate::sql::{count_in_journal, quote_ident, vals, values, Backend, Conn, Row, Val};
use crate::{Result, StoreError};

/// Ordered migrations; row `version` N of `lookout_schema_migrations` records that the
/// N-th was applied.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/postgres/0001_init.sql"),
    include_str!("../migrations/postgres/0002_models.sql"),
    include_str!("../migrations/postgres/0003_pipeline.sql"),
    include_str!("../migrations/postgres/0004_identities.sql"),
    include_str!("../migrations/postgres/0005_ingest_journal.sql"),
    include_str!("../migrations/postgres/0006_api_tokens.sql"),
    crate::tables::MIGRATION_0008_IDENTITY_RUNS,
    include_str!("../migrations/postgres/0010_api.sql"),
    // Migration 0014: incremental cycle state.
    crate::tables::MIGRATION_0014_CYCLE_STATE,
    include_str!("../migrations/postgres/0016_api_indexes.sql"),
];

/// Key of the advisory lock that serialises lookouts migrating the same database.
const MIGRATION_LOCK: i64 = 0x6c6f_6f6b_6f75_7401;

const VERSION_TABLE: &str = "lookout_schema_migrations";

/// At most this many parameters per statement (the protocol counts them in 16 bits).
const MAX_PARAMS: usize = 65_535;

type Statements = HashMap<String, Statement>;

/// The PostgreSQL store: one connection, statements run on the schema named by the
/// URL's `?schema=` (else the server's `search_path`).
pub struct PostgresStore {
    // The trait reads through `&self`; the driver needs `&mut` for every query.
    pub(crate) client: RefCell<Client>,
    pub(crate) location: String,
    /// Whether this session's temporary COPY target exists (it survives commits, not
    /// a rolled-back creation).
    copy_table_ready: bool,
    /// Each query prepared once per connection: an unprepared one costs a second round
    /// trip every time (the engine asks for history once per track and cycle).
    statements: RefCell<Statements>,
}

/// Builds a [`StoreError::Postgres`] with the server's message, which the driver's own
/// `Display` leaves out ("db error").
pub(crate) fn pg_error(location: &str, source: ::postgres::Error) -> StoreError {
    let message = match source.as_db_error() {
        Some(db) => {
            let detail = db.detail().map(|d| format!("; {d}")).unwrap_or_default();
            let hint = db.hint().map(|h| format!("; hint: {h}")).unwrap_or_default();
            format!("{}: {} (SQLSTATE {}){detail}{hint}", db.severity(), db.message(), db.code().code())
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
    StoreError::Postgres { location: location.to_string(), message, cause: source }
}

fn pg_err(location: &str) -> impl Fn(::postgres::Error) -> StoreError + '_ {
    move |e| pg_error(location, e)
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
            use_schema(&mut client, schema, mode, &location)?;
        }
        let statements = Default::default();
        let mut store = PostgresStore { client: RefCell::new(client), location, copy_table_ready: false, statements };
        if mode == OpenMode::Migrate {
            store.apply_migrations()?;
        }
        Ok(store)
    }

    /// Drops the location's schema with everything in it and creates it empty. Only that
    /// schema is touched; callers choose it (the demo uses a dedicated one).
    pub fn recreate_schema(pg: &PgLocation) -> Result<()> {
        let location = pg.redacted();
        let Some(schema) = &pg.schema else {
            return Err(StoreError::Location { location, message: "no schema named to recreate".into() });
        };
        let q = quote_ident(schema);
        connect_to(pg)?
            .batch_execute(&format!("DROP SCHEMA IF EXISTS {q} CASCADE; CREATE SCHEMA {q}"))
            .map_err(pg_err(&location))
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
        let row = self.client.borrow_mut().query_one("SELECT pg_backend_pid()", &[]).map_err(pg_err(&self.location))?;
        row.try_get(0).map_err(pg_err(&self.location))
    }
}

/// Creates the schema (unless only inspecting, when it must exist) and works in it.
fn use_schema(client: &mut Client, schema: &str, mode: OpenMode, location: &str) -> Result<()> {
    let (q, e) = (quote_ident(schema), pg_err(location));
    if mode != OpenMode::Inspect {
        // Concurrent `CREATE SCHEMA IF NOT EXISTS` of one name can fail with a unique
        // violation: lookouts starting at once take turns, under the migration lock.
        let mut tx = client.transaction().map_err(&e)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK]).map_err(&e)?;
        tx.batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {q}")).map_err(&e)?;
        tx.commit().map_err(&e)?;
    } else if client.query_opt("SELECT 1 FROM pg_namespace WHERE nspname = $1", &[&schema]).map_err(&e)?.is_none() {
        let message = format!("schema '{schema}' does not exist");
        return Err(StoreError::Location { location: location.to_string(), message });
    }
    client.batch_execute(&format!("SET search_path TO {q}")).map_err(e)
}

pub(crate) fn connect_to(pg: &PgLocation) -> Result<Client> {
    let location = pg.redacted();
    let mut config: Config = pg.url.parse().map_err(pg_err(&location))?;
    if config.get_connect_timeout().is_none() {
        // An address that drops packets would otherwise hang the command for minutes.
        config.connect_timeout(Duration::from_secs(10));
    }
    if config.get_application_name().is_none() {
        config.application_name("lookout");
    }
    config.connect(NoTls).map_err(pg_err(&location))
}

fn schema_version_in(client: &mut impl GenericClient, location: &str) -> Result<i64> {
    let e = pg_err(location);
    let sql = format!("SELECT to_regclass('{VERSION_TABLE}') IS NOT NULL");
    if !client.query_one(&sql, &[]).map_err(&e)?.try_get::<_, bool>(0).map_err(&e)? {
        return Ok(0);
    }
    let sql = format!("SELECT COALESCE(MAX(version), 0)::BIGINT FROM {VERSION_TABLE}");
    client.query_one(&sql, &[]).map_err(&e)?.try_get(0).map_err(e)
}

impl ToSql for Val<'_> {
    /// Binds to the type the server inferred for the placeholder: an integer narrows to
    /// SMALLINT or INTEGER (checked), JSON goes in as JSON or JSONB.
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> std::result::Result<IsNull, Box<dyn Error + Sync + Send>> {
        match self {
            Val::Null => Ok(IsNull::Yes),
            Val::Int(v) if *ty == Type::INT2 => i16::try_from(*v)?.to_sql_checked(ty, out),
            Val::Int(v) if *ty == Type::INT4 => i32::try_from(*v)?.to_sql_checked(ty, out),
            Val::Int(v) => v.to_sql_checked(ty, out),
            Val::Real(v) => v.to_sql_checked(ty, out),
            Val::Bool(v) => v.to_sql_checked(ty, out),
            Val::Text(v) => v.to_sql_checked(ty, out),
            Val::Json(v) => Json(&**v).to_sql_checked(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

/// The client or a transaction on it, with the connection's prepared statements.
struct Pg<'a, C: GenericClient> {
    client: &'a mut C,
    statements: &'a mut Statements,
    location: &'a str,
}

impl<C: GenericClient> Pg<'_, C> {
    fn prepared(&mut self, sql: &str) -> Result<Statement> {
        if let Some(stmt) = self.statements.get(sql) {
            return Ok(stmt.clone());
        }
        let stmt = self.client.prepare(sql).map_err(pg_err(self.location))?;
        self.statements.insert(sql.to_string(), stmt.clone());
        Ok(stmt)
    }
}

fn bind<'v>(args: &'v [Val<'_>]) -> Vec<&'v (dyn ToSql + Sync)> {
    args.iter().map(|a| a as &(dyn ToSql + Sync)).collect()
}

impl<C: GenericClient> Conn for Pg<'_, C> {
    fn location(&self) -> &str {
        self.location
    }

    fn execute(&mut self, sql: &str, args: &[Val<'_>]) -> Result<u64> {
        let stmt = self.prepared(sql)?;
        self.client.execute(&stmt, &bind(args)).map_err(pg_err(self.location))
    }

    fn each_row(&mut self, sql: &str, args: &[Val<'_>], f: &mut dyn FnMut(&dyn Row) -> Result<()>) -> Result<()> {
        let stmt = self.prepared(sql)?;
        let rows = self.client.query(&stmt, &bind(args)).map_err(pg_err(self.location))?;
        rows.iter().try_for_each(|row| f(&PgRow { row, location: self.location }))
    }

    fn insert_rows(&mut self, insert: &str, width: usize, tail: &str, rows: &[Val<'_>]) -> Result<u64> {
        let mut changed = 0;
        // One statement per chunk; its text varies with the chunk, so it is not kept.
        for chunk in rows.chunks(MAX_PARAMS / width * width) {
            let sql = format!("{insert} {} {tail}", values('$', chunk.len() / width, width));
            changed += self.client.execute(&sql, &bind(chunk)).map_err(pg_err(self.location))?;
        }
        Ok(changed)
    }

    fn lock(&mut self, key: &str) -> Result<()> {
        self.execute("SELECT pg_advisory_xact_lock(hashtext($1))", &[Val::Text(key)]).map(drop)
    }
}

struct PgRow<'a> {
    row: &'a ::postgres::Row,
    location: &'a str,
}

impl PgRow<'_> {
    fn get<'r, T: FromSql<'r>>(&'r self, i: usize) -> Result<T> {
        self.row.try_get(i).map_err(pg_err(self.location))
    }
}

impl Row for PgRow<'_> {
    fn location(&self) -> &str {
        self.location
    }

    /// Any integer column, widened (the driver reads each width as its own Rust type).
    fn int(&self, i: usize) -> Result<Option<i64>> {
        Ok(match self.row.columns().get(i).map(|c| c.type_()) {
            Some(&Type::INT2) => self.get::<Option<i16>>(i)?.map(i64::from),
            Some(&Type::INT4) => self.get::<Option<i32>>(i)?.map(i64::from),
            _ => self.get(i)?,
        })
    }

    fn real(&self, i: usize) -> Result<Option<f64>> {
        self.get(i)
    }

    fn text(&self, i: usize) -> Result<Option<String>> {
        self.get(i)
    }

    fn json(&self, i: usize) -> Result<serde_json::Value> {
        self.get(i)
    }
}

impl Backend for PostgresStore {
    const NAME: &'static str = "postgres";
    const TABLES: &'static str = "SELECT CAST(table_name AS TEXT) FROM information_schema.tables
        WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'
          AND table_name <> 'lookout_schema_migrations'
        ORDER BY CAST(table_name AS TEXT) COLLATE \"C\"";

    fn location(&self) -> &str {
        &self.location
    }

    fn read<T>(&self, f: impl FnOnce(&mut dyn Conn) -> Result<T>) -> Result<T> {
        let (mut client, mut statements) = (self.client.borrow_mut(), self.statements.borrow_mut());
        f(&mut Pg { client: &mut *client, statements: &mut statements, location: &self.location })
    }

    fn write<T>(&mut self, f: impl FnOnce(&mut dyn Conn) -> Result<T>) -> Result<T> {
        let e = pg_err(&self.location);
        let mut tx = self.client.get_mut().transaction().map_err(&e)?;
        let out = f(&mut Pg { client: &mut tx, statements: self.statements.get_mut(), location: &self.location })?;
        tx.commit().map_err(e)?;
        Ok(out)
    }

    fn bulk_insert_positions(&mut self, positions: &[Position], journal: Option<&str>) -> Result<u64> {
        if positions.is_empty() {
            return Ok(0);
        }
        let e = pg_err(&self.location);
        let mut tx = self.client.get_mut().transaction().map_err(&e)?;
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
            .map_err(&e)?;
        }
        {
            let sink = tx
                .copy_in(
                    "COPY lookout_positions_in (seq, vessel_id, id_is_mmsi, ts_ms, lat, lon, sog, cog, heading, nav_status)
                     FROM STDIN (FORMAT binary)",
                )
                .map_err(&e)?;
            let (f, int) = (Type::FLOAT8, Type::INT8);
            let types =
                [int.clone(), Type::TEXT, Type::BOOL, int, f.clone(), f.clone(), f.clone(), f.clone(), f, Type::INT2];
            let mut writer = BinaryCopyInWriter::new(sink, &types);
            for (seq, p) in positions.iter().enumerate() {
                let (vessel, at, nav_status) = (p.vessel.as_str(), p.timestamp, p.nav_status.map(|n| n.0));
                let row = vals![
                    seq as i64,
                    vessel,
                    p.vessel.is_mmsi(),
                    at,
                    p.lat,
                    p.lon,
                    p.sog,
                    p.cog,
                    p.heading,
                    nav_status
                ];
                let row: [&(dyn ToSql + Sync); 10] = std::array::from_fn(|i| &row[i] as &(dyn ToSql + Sync));
                writer.write(&row).map_err(&e)?;
            }
            writer.finish().map_err(&e)?;
        }
        // A position may arrive before its vessel's static data: create the vessel row.
        tx.execute(
            "INSERT INTO vessels (vessel_id, id_is_mmsi)
             SELECT vessel_id, bool_or(id_is_mmsi) FROM lookout_positions_in GROUP BY vessel_id ORDER BY vessel_id
             ON CONFLICT DO NOTHING",
            &[],
        )
        .map_err(&e)?;
        // In key order, so each insert lands next to the previous one in the primary key's
        // index; seq last: of two rows with the same key in one batch the first wins, as
        // in SQLite.
        let inserted = tx
            .execute(
                "INSERT INTO positions (vessel_id, ts_ms, lat, lon, sog, cog, heading, nav_status)
                 SELECT vessel_id, ts_ms, lat, lon, sog, cog, heading, nav_status
                 FROM lookout_positions_in ORDER BY vessel_id, ts_ms, lat, lon, seq
                 ON CONFLICT DO NOTHING",
                &[],
            )
            .map_err(&e)?;
        let statements = self.statements.get_mut();
        count_in_journal(&mut Pg { client: &mut tx, statements, location: &self.location }, journal, inserted)?;
        tx.commit().map_err(e)?;
        self.copy_table_ready = true;
        Ok(inserted)
    }

    fn versions(&self) -> Result<(i64, i64)> {
        Ok((self.schema_version()?, Self::supported_version()))
    }

    fn apply_migrations(&mut self) -> Result<(i64, i64)> {
        let loc = self.location.clone();
        let e = pg_err(&loc);
        let supported = Self::supported_version();
        let mut tx = self.client.get_mut().transaction().map_err(&e)?;
        // Two lookouts starting at once must not both apply migration N: the lock holds
        // until this transaction ends, and the version is read only after taking it.
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK]).map_err(&e)?;
        let found = schema_version_in(&mut tx, &loc)?;
        if found > supported {
            return Err(StoreError::TooNew { location: loc.clone(), found, supported });
        }
        if found < supported {
            tx.batch_execute(&format!(
                "CREATE TABLE IF NOT EXISTS {VERSION_TABLE} (
                    version     INTEGER PRIMARY KEY,
                    applied_at  TIMESTAMPTZ NOT NULL DEFAULT now()
                 )"
            ))
            .map_err(&e)?;
            for (i, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
                tx.batch_execute(sql).map_err(&e)?;
                tx.execute(&format!("INSERT INTO {VERSION_TABLE} (version) VALUES ($1)"), &[&(i as i32 + 1)])
                    .map_err(&e)?;
            }
        }
        tx.commit().map_err(e)?;
        Ok((found, supported))
    }
}
