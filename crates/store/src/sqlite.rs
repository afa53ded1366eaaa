//! SQLite backend: one file, WAL journal, schema migrations embedded. The queries are
//! shared (`tables.rs`); this is the SQLite side of the seam (`sql.rs`).

use std::path::Path;

use rusqlite::types::{ToSqlOutput, Value, ValueRef};
use rusqlite::{params_from_iter, Connection, OpenFlags, ToSql};

use crate::admin::OpenMode;
use crate::sql::{json_error, values, Backend, Conn, Row, Val};
use crate::{Result, StoreError};

/// Ordered migrations; `PRAGMA user_version` records how many were applied.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/sqlite/0001_init.sql"),
    include_str!("../migrations/sqlite/0002_models.sql"),
    include_str!("../migrations/sqlite/0003_pipeline.sql"),
    include_str!("../migrations/sqlite/0004_identities.sql"),
    include_str!("../migrations/sqlite/0006_api_tokens.sql"),
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
        let c = &store.conn;
        c.pragma_update(None, "journal_mode", "WAL")
            .and_then(|_| c.pragma_update(None, "synchronous", "NORMAL"))
            .and_then(|_| c.pragma_update(None, "foreign_keys", "ON"))
            .and_then(|_| c.busy_timeout(std::time::Duration::from_secs(10)))
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
        let tx = self.conn.transaction().map_err(&e)?;
        let out = f(&mut Lite { conn: &tx, location: &self.location })?;
        tx.commit().map_err(e)?;
        Ok(out)
    }

    fn versions(&self) -> Result<(i64, i64)> {
        Ok((self.schema_version()?, Self::supported_version()))
    }

    fn apply_migrations(&mut self) -> Result<(i64, i64)> {
        let (found, supported) = self.versions()?;
        if found > supported {
            return Err(StoreError::TooNew { location: self.location.clone(), found, supported });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
            let tx = self.conn.transaction().map_err(lite_error(&self.location))?;
            tx.execute_batch(sql)
                .and_then(|_| tx.pragma_update(None, "user_version", (i + 1) as i64))
                .and_then(|_| tx.commit())
                .map_err(lite_error(&self.location))?;
        }
        Ok((found, supported))
    }
}
