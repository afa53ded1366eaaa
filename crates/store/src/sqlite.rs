//! SQLite backend: one file, WAL journal, schema migrations embedded. The queries are
//! shared (`tables.rs`); this is the SQLite side of the seam (`sql.rs`).

use std::path::Path;

use rusqlite::types::{ToSqlOutput, Value, ValueRef};
use std::time::{Duration, Instant};

use rusqlite::{params_from_iter, Connection, ErrorCode, OpenFlags, ToSql, Transaction, TransactionBehavior};

use crate::admin::OpenMode;
use crate::sql::{json_error, values, Backend, Conn, Row, Val};
use crate::{Result, StoreError};
use lookout_model::Position;

/// The positions' primary key order (vessel id bytewise, time, latitude, longitude;
/// milliseconds, -0.0 equal to 0.0, as the database compares them; a total order even
/// with NaN).
fn position_key_order(a: &Position, b: &Position) -> std::cmp::Ordering {
    let real = |x: f64, y: f64| (x + 0.0).total_cmp(&(y + 0.0));
    a.vessel
        .as_str()
        .as_bytes()
        .cmp(b.vessel.as_str().as_bytes())
        .then(crate::sql::ms(a.timestamp).cmp(&crate::sql::ms(b.timestamp)))
        .then_with(|| real(a.lat, b.lat))
        .then_with(|| real(a.lon, b.lon))
}

/// Ordered migrations; `PRAGMA user_version` records how many were applied.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/sqlite/0001_init.sql"),
    include_str!("../migrations/sqlite/0002_models.sql"),
    include_str!("../migrations/sqlite/0003_pipeline.sql"),
    include_str!("../migrations/sqlite/0004_identities.sql"),
    include_str!("../migrations/sqlite/0005_ingest_journal.sql"),
    include_str!("../migrations/sqlite/0006_api_tokens.sql"),
    crate::tables::MIGRATION_0008_IDENTITY_RUNS,
    include_str!("../migrations/sqlite/0010_api.sql"),
    // Migration 0014: incremental cycle state.
    crate::tables::MIGRATION_0014_CYCLE_STATE,
    include_str!("../migrations/sqlite/0016_api_indexes.sql"),
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
        if mode == OpenMode::Inspect && !path.is_file() {
            return Err(StoreError::Location { location, message: "no SQLite database file here".into() });
        }
        let conn = match mode {
            OpenMode::Inspect => Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE),
            OpenMode::Create | OpenMode::Migrate => Connection::open(path),
        };
        let conn = conn.map_err(lite_error(&location))?;
        Self::init(conn, location, mode)
    }

    /// An in-memory database, for tests and dry runs.
    pub fn open_in_memory() -> Result<Self> {
        let location = ":memory:".to_string();
        let conn = Connection::open_in_memory().map_err(lite_error(&location))?;
        Self::init(conn, location, OpenMode::Migrate)
    }

    fn init(conn: Connection, location: String, mode: OpenMode) -> Result<Self> {
        let mut store = SqliteStore { conn, location };
        // WAL lets readers (the console) run while a cycle writes.
        // The busy timeout comes first: on a new file, switching to WAL and migrating
        // wait for another lookout doing the same instead of failing at once.
        let c = &store.conn;
        c.busy_timeout(BUSY_TIMEOUT)
            .and_then(|_| retry_busy(|| c.pragma_update(None, "journal_mode", "WAL")))
            .and_then(|_| c.pragma_update(None, "synchronous", "NORMAL"))
            .and_then(|_| c.pragma_update(None, "foreign_keys", "ON"))
            .map_err(lite_error(&store.location))?;
        if mode == OpenMode::Migrate {
            store.apply_migrations()?;
        }
        Ok(store)
    }

    /// Schema version applied to this database.
    pub fn schema_version(&self) -> Result<i64> {
        self.conn.pragma_query_value(None, "user_version", |r| r.get(0)).map_err(lite_error(&self.location))
    }

    /// Number of migrations this build knows.
    pub fn supported_version() -> i64 {
        MIGRATIONS.len() as i64
    }
}

/// How long a statement waits for another connection's lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Retries `f` while SQLite reports the database busy without having waited (it does
/// not call the busy handler where waiting could deadlock, e.g. changing the journal
/// mode of a file another connection is opening), up to [`BUSY_TIMEOUT`].
fn retry_busy<T>(mut f: impl FnMut() -> rusqlite::Result<T>) -> rusqlite::Result<T> {
    let start = Instant::now();
    loop {
        match f() {
            Err(e) if is_busy(&e) && start.elapsed() < BUSY_TIMEOUT => std::thread::sleep(Duration::from_millis(20)),
            other => return other,
        }
    }
}

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(e.sqlite_error_code(), Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked))
}

/// A write transaction that takes the write lock at its start (`BEGIN IMMEDIATE`), so
/// it waits for another writer (busy timeout) instead of failing when a read
/// transaction would have to be upgraded after that writer committed.
fn begin_write(conn: &mut Connection) -> rusqlite::Result<Transaction<'_>> {
    let conn: &Connection = conn;
    retry_busy(|| Transaction::new_unchecked(conn, TransactionBehavior::Immediate))
}

fn lite_error(location: &str) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
    move |source| StoreError::Sqlite { location: location.to_string(), source }
}

/// The shared SQL in SQLite's dialect: `?N` placeholders, and no `COLLATE "C"` (the
/// default BINARY collation is already bytewise).
fn dialect(sql: &str) -> String {
    sql.replace(" COLLATE \"C\"", "").replace('$', "?")
}

impl ToSql for Val<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Val::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Val::Int(v) => ToSqlOutput::Borrowed(ValueRef::Integer(*v)),
            Val::Real(v) => ToSqlOutput::Borrowed(ValueRef::Real(*v)),
            Val::Bool(v) => ToSqlOutput::Borrowed(ValueRef::Integer(i64::from(*v))),
            Val::Text(v) => ToSqlOutput::Borrowed(ValueRef::Text(v.as_bytes())),
            Val::Json(v) => ToSqlOutput::Owned(Value::Text(v.to_string())),
        })
    }
}

/// The connection or a transaction on it (which derefs to a connection).
struct Lite<'a> {
    conn: &'a Connection,
    location: &'a str,
}

impl Conn for Lite<'_> {
    fn location(&self) -> &str {
        self.location
    }

    fn execute(&mut self, sql: &str, args: &[Val<'_>]) -> Result<u64> {
        let e = lite_error(self.location);
        let mut stmt = self.conn.prepare_cached(&dialect(sql)).map_err(&e)?;
        stmt.execute(params_from_iter(args)).map(|n| n as u64).map_err(e)
    }

    fn each_row(&mut self, sql: &str, args: &[Val<'_>], f: &mut dyn FnMut(&dyn Row) -> Result<()>) -> Result<()> {
        let e = lite_error(self.location);
        let mut stmt = self.conn.prepare_cached(&dialect(sql)).map_err(&e)?;
        let mut rows = stmt.query(params_from_iter(args)).map_err(&e)?;
        while let Some(row) = rows.next().map_err(&e)? {
            f(&LiteRow { row, location: self.location })?;
        }
        Ok(())
    }

    fn insert_rows(&mut self, insert: &str, width: usize, tail: &str, rows: &[Val<'_>]) -> Result<u64> {
        let e = lite_error(self.location);
        let mut stmt = self.conn.prepare_cached(&format!("{insert} {} {tail}", values('?', 1, width))).map_err(&e)?;
        let mut changed = 0;
        for row in rows.chunks(width) {
            changed += stmt.execute(params_from_iter(row)).map_err(&e)? as u64;
        }
        Ok(changed)
    }
}

struct LiteRow<'a> {
    row: &'a rusqlite::Row<'a>,
    location: &'a str,
}

impl LiteRow<'_> {
    fn get<T: rusqlite::types::FromSql>(&self, i: usize) -> Result<T> {
        self.row.get(i).map_err(lite_error(self.location))
    }
}

impl Row for LiteRow<'_> {
    fn location(&self) -> &str {
        self.location
    }

    fn int(&self, i: usize) -> Result<Option<i64>> {
        self.get(i)
    }

    fn real(&self, i: usize) -> Result<Option<f64>> {
        self.get(i)
    }

    fn text(&self, i: usize) -> Result<Option<String>> {
        self.get(i)
    }

    fn json(&self, i: usize) -> Result<serde_json::Value> {
        let text: String = self.get(i)?;
        serde_json::from_str(&text).map_err(json_error(self.location))
    }
}

impl Backend for SqliteStore {
    const NAME: &'static str = "sqlite";
    const TABLES: &'static str =
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name";

    fn location(&self) -> &str {
        &self.location
    }

    fn read<T>(&self, f: impl FnOnce(&mut dyn Conn) -> Result<T>) -> Result<T> {
        f(&mut Lite { conn: &self.conn, location: &self.location })
    }

    fn write<T>(&mut self, f: impl FnOnce(&mut dyn Conn) -> Result<T>) -> Result<T> {
        let e = lite_error(&self.location);
        let tx = begin_write(&mut self.conn).map_err(&e)?;
        let out = f(&mut Lite { conn: &tx, location: &self.location })?;
        tx.commit().map_err(e)?;
        Ok(out)
    }

    /// Typed binds on two cached statements, no row of values built first, and the rows
    /// in key order (a stable sort, so of two rows with one key the first still wins):
    /// each insert then lands next to the previous one in the primary key's B-tree
    /// instead of on a random page.
    fn bulk_insert_positions(&mut self, positions: &[Position], journal: Option<&str>) -> Result<u64> {
        let mut order: Vec<usize> = (0..positions.len()).collect();
        order.sort_by(|&a, &b| position_key_order(&positions[a], &positions[b]));
        let e = lite_error(&self.location);
        let tx = begin_write(&mut self.conn).map_err(&e)?;
        let mut inserted = 0u64;
        {
            let mut vessel = tx
                .prepare_cached("INSERT INTO vessels (vessel_id, id_is_mmsi) VALUES (?1, ?2) ON CONFLICT DO NOTHING")
                .map_err(&e)?;
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO positions (vessel_id, ts_ms, lat, lon, sog, cog, heading, nav_status)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT DO NOTHING",
                )
                .map_err(&e)?;
            let mut last: Option<&str> = None;
            for &i in &order {
                let p = &positions[i];
                let id = p.vessel.as_str();
                // A position may arrive before its vessel's static data: create the vessel row.
                if last != Some(id) {
                    vessel.execute((id, p.vessel.is_mmsi())).map_err(&e)?;
                    last = Some(id);
                }
                // NaN is stored as NULL, as `Val` does on every other path.
                let real = |v: Option<f64>| v.filter(|x| !x.is_nan());
                let (lat, lon) = (real(Some(p.lat)), real(Some(p.lon)));
                let nav_status = p.nav_status.map(|n| n.0);
                inserted += insert
                    .execute((
                        id,
                        crate::sql::ms(p.timestamp),
                        lat,
                        lon,
                        real(p.sog),
                        real(p.cog),
                        real(p.heading),
                        nav_status,
                    ))
                    .map_err(&e)? as u64;
            }
        }
        crate::sql::count_in_journal(&mut Lite { conn: &tx, location: &self.location }, journal, inserted)?;
        tx.commit().map_err(e)?;
        Ok(inserted)
    }

    fn versions(&self) -> Result<(i64, i64)> {
        Ok((self.schema_version()?, Self::supported_version()))
    }

    fn apply_migrations(&mut self) -> Result<(i64, i64)> {
        let (found, supported) = self.versions()?;
        if found > supported {
            return Err(StoreError::TooNew { location: self.location.clone(), found, supported });
        }
        if found == supported {
            return Ok((found, supported));
        }
        // Several lookouts may start on a new file at once: the version is read again
        // under the write lock, so each migration is applied by exactly one of them.
        let e = lite_error(&self.location);
        let tx = begin_write(&mut self.conn).map_err(&e)?;
        let locked: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0)).map_err(&e)?;
        if locked > supported {
            return Err(StoreError::TooNew { location: self.location.clone(), found: locked, supported });
        }
        for sql in MIGRATIONS.iter().skip(locked as usize) {
            tx.execute_batch(sql).map_err(&e)?;
        }
        tx.pragma_update(None, "user_version", supported).and_then(|_| tx.commit()).map_err(e)?;
        Ok((found, supported))
    }
}
