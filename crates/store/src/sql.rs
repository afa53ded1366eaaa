//! The private seam between the queries (`tables.rs`, written once) and the two drivers.
//!
//! Queries are written in the subset of SQL both backends run: `$N` placeholders,
//! `CAST(x AS T)` rather than `x::T`, and `COLLATE "C"` where text must order bytewise
//! (SQLite rewrites the placeholders to `?N` and drops the collation: its BINARY default
//! is bytewise). Values go in as [`Val`], which each driver binds as its column expects,
//! and come out through [`Row`]. What cannot be shared stays behind [`Backend`]
//! (connections, transactions, bulk position inserts, migrations, the catalog) and
//! [`Conn`] (multi-row inserts, advisory locks).

use chrono::{DateTime, Utc};
use lookout_model::{Position, Timestamp};
use serde::de::DeserializeOwned;

use crate::admin::canonical_json;
use crate::{Result, StoreError};

/// A value bound to a placeholder: an `Int` goes into SMALLINT, INTEGER or BIGINT, and
/// `Json` into JSONB on PostgreSQL and TEXT on SQLite.
#[derive(Clone, Debug)]
pub(crate) enum Val<'a> {
    Null,
    Int(i64),
    Real(f64),
    Bool(bool),
    Text(&'a str),
    // Boxed: a bulk insert holds many values, and this one is large.
    Json(Box<serde_json::Value>),
}

macro_rules! int_vals {
    ($($t:ty),*) => {$(
        impl From<$t> for Val<'_> {
            fn from(v: $t) -> Self {
                Val::Int(i64::from(v))
            }
        }
    )*};
}
int_vals!(i64, i32, u8, u16, u32);

impl From<bool> for Val<'_> {
    fn from(v: bool) -> Self {
        Val::Bool(v)
    }
}

impl From<f64> for Val<'_> {
    /// NaN is stored as NULL, as SQLite does with it, so both backends read back alike.
    fn from(v: f64) -> Self {
        if v.is_nan() {
            Val::Null
        } else {
            Val::Real(v)
        }
    }
}

impl<'a> From<&'a str> for Val<'a> {
    fn from(v: &'a str) -> Self {
        Val::Text(v)
    }
}

impl<'a> From<&'a String> for Val<'a> {
    fn from(v: &'a String) -> Self {
        Val::Text(v)
    }
}

impl<'a> From<&'a Option<String>> for Val<'a> {
    fn from(v: &'a Option<String>) -> Self {
        v.as_deref().into()
    }
}

impl From<Timestamp> for Val<'_> {
    fn from(t: Timestamp) -> Self {
        Val::Int(ms(t))
    }
}

impl<'a, T: Into<Val<'a>>> From<Option<T>> for Val<'a> {
    fn from(v: Option<T>) -> Self {
        v.map_or(Val::Null, Into::into)
    }
}

/// `[Val; N]` of the given expressions, for binding.
macro_rules! vals {
    ($($e:expr),* $(,)?) => { [$($crate::sql::Val::from($e)),*] };
}
pub(crate) use vals;

pub(crate) fn ms(t: Timestamp) -> i64 {
    t.timestamp_millis()
}

pub(crate) fn from_ms(location: &str, v: i64) -> Result<Timestamp> {
    DateTime::<Utc>::from_timestamp_millis(v).ok_or_else(|| corrupt(location, format!("timestamp {v} ms out of range")))
}

pub(crate) fn corrupt(location: &str, message: String) -> StoreError {
    StoreError::Corrupt { location: location.to_string(), message }
}

pub(crate) fn json_error(location: &str) -> impl Fn(serde_json::Error) -> StoreError + '_ {
    move |source| StoreError::Json { location: location.to_string(), source }
}

/// Quotes an identifier for SQL text (names come from the catalog or a checked URL).
pub(crate) fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// One result row, read by column index.
pub(crate) trait Row {
    fn location(&self) -> &str;
    fn int(&self, i: usize) -> Result<Option<i64>>;
    fn real(&self, i: usize) -> Result<Option<f64>>;
    fn text(&self, i: usize) -> Result<Option<String>>;
    /// A JSON column (TEXT on SQLite, JSONB on PostgreSQL).
    fn json(&self, i: usize) -> Result<serde_json::Value>;
}

impl dyn Row + '_ {
    fn null(&self, i: usize) -> StoreError {
        corrupt(self.location(), format!("column {i} is NULL"))
    }

    pub(crate) fn i64(&self, i: usize) -> Result<i64> {
        self.int(i)?.ok_or_else(|| self.null(i))
    }

    pub(crate) fn f64(&self, i: usize) -> Result<f64> {
        self.real(i)?.ok_or_else(|| self.null(i))
    }

    pub(crate) fn string(&self, i: usize) -> Result<String> {
        self.text(i)?.ok_or_else(|| self.null(i))
    }

    pub(crate) fn ts(&self, i: usize) -> Result<Timestamp> {
        from_ms(self.location(), self.i64(i)?)
    }

    pub(crate) fn opt_ts(&self, i: usize) -> Result<Option<Timestamp>> {
        self.int(i)?.map(|v| from_ms(self.location(), v)).transpose()
    }

    /// An integer column that must fit `T`; anything else is corruption.
    pub(crate) fn small<T: TryFrom<i64>>(&self, i: usize, what: &str) -> Result<Option<T>> {
        let bad = |v| corrupt(self.location(), format!("{what} {v} out of range"));
        self.int(i)?.map(|v| T::try_from(v).map_err(|_| bad(v))).transpose()
    }

    /// A JSON column read back as `T`, keys in canonical order on both backends.
    pub(crate) fn doc<T: DeserializeOwned>(&self, i: usize) -> Result<T> {
        serde_json::from_value(canonical_json(self.json(i)?)).map_err(json_error(self.location()))
    }
}

/// A connection, or a transaction on one, that runs the shared SQL.
pub(crate) trait Conn {
    fn location(&self) -> &str;
    /// Runs one statement; returns how many rows it changed.
    fn execute(&mut self, sql: &str, args: &[Val<'_>]) -> Result<u64>;
    /// Runs a query and hands each row to `f`, in order.
    fn each_row(&mut self, sql: &str, args: &[Val<'_>], f: &mut dyn FnMut(&dyn Row) -> Result<()>) -> Result<()>;
    /// `{insert} VALUES (...) {tail}` for every `width` values of `rows`; returns the rows
    /// changed. SQLite runs one prepared row at a time, PostgreSQL many rows per
    /// statement, so `tail` may not touch one row twice (fold repeats first).
    fn insert_rows(&mut self, insert: &str, width: usize, tail: &str, rows: &[Val<'_>]) -> Result<u64>;
    /// Serialises the writers of `key` until the transaction ends. SQLite has a single
    /// writer anyway; PostgreSQL takes an advisory lock.
    fn lock(&mut self, _key: &str) -> Result<()> {
        Ok(())
    }
}

impl dyn Conn + '_ {
    pub(crate) fn query<T>(
        &mut self,
        sql: &str,
        args: &[Val<'_>],
        mut f: impl FnMut(&dyn Row) -> Result<T>,
    ) -> Result<Vec<T>> {
        let mut out = Vec::new();
        self.each_row(sql, args, &mut |r| f(r).map(|v| out.push(v)))?;
        Ok(out)
    }

    /// The JSON documents of a one-column query, in its order.
    pub(crate) fn docs<T: DeserializeOwned>(&mut self, sql: &str, args: &[Val<'_>]) -> Result<Vec<T>> {
        self.query(sql, args, |r| r.doc(0))
    }

    /// The first row of a query, if any.
    pub(crate) fn one<T>(
        &mut self,
        sql: &str,
        args: &[Val<'_>],
        f: impl FnMut(&dyn Row) -> Result<T>,
    ) -> Result<Option<T>> {
        Ok(self.query(sql, args, f)?.into_iter().next())
    }

    /// A change the data does not allow.
    pub(crate) fn conflict(&self, message: String) -> StoreError {
        StoreError::Conflict { location: self.location().to_string(), message }
    }

    /// `v` as a JSON value to bind.
    pub(crate) fn json(&self, v: &impl serde::Serialize) -> Result<Val<'static>> {
        serde_json::to_value(v).map(|v| Val::Json(Box::new(v))).map_err(json_error(self.location()))
    }
}

/// `VALUES (...), (...)` placeholders for `rows` rows of `width`, marked `$N` or `?N`.
pub(crate) fn values(mark: char, rows: usize, width: usize) -> String {
    let row = |r: usize| {
        let marks: Vec<String> = (1..=width).map(|c| format!("{mark}{}", r * width + c)).collect();
        format!("({})", marks.join(", "))
    };
    let rows: Vec<String> = (0..rows).map(row).collect();
    format!("VALUES {}", rows.join(", "))
}

/// A database the shared queries run on. `Store` is implemented once for every backend
/// (`tables.rs`); what differs between SQLite and PostgreSQL is here.
pub(crate) trait Backend {
    /// `sqlite` or `postgres`.
    const NAME: &'static str;
    /// Lookout's tables, by name (bytewise), without the migration bookkeeping.
    const TABLES: &'static str;
    fn location(&self) -> &str;
    /// Runs `f` on the connection, outside a transaction.
    fn read<T>(&self, f: impl FnOnce(&mut dyn Conn) -> Result<T>) -> Result<T>;
    /// Runs `f` in one transaction, committed when it returns `Ok`, else rolled back.
    fn write<T>(&mut self, f: impl FnOnce(&mut dyn Conn) -> Result<T>) -> Result<T>;
    /// The bulk path for positions: new rows only, missing vessel rows created, the first
    /// of a repeated key wins; with `journal`, the new rows are counted in that source's
    /// `ingest_journal` row in the same transaction. Here prepared statements in one
    /// transaction (SQLite); PostgreSQL uses `COPY` instead.
    fn bulk_insert_positions(&mut self, positions: &[Position], journal: Option<&str>) -> Result<u64> {
        let (mut vessels, mut rows) = (Vec::new(), Vec::with_capacity(positions.len() * 8));
        for (i, p) in positions.iter().enumerate() {
            // A position may arrive before its vessel's static data: create the vessel row.
            if i == 0 || positions[i - 1].vessel != p.vessel {
                vessels.extend(vals![p.vessel.as_str(), p.vessel.is_mmsi()]);
            }
            let nav_status = p.nav_status.map(|n| n.0);
            rows.extend(vals![p.vessel.as_str(), p.timestamp, p.lat, p.lon, p.sog, p.cog, p.heading, nav_status]);
        }
        self.write(|c| {
            c.insert_rows("INSERT INTO vessels (vessel_id, id_is_mmsi)", 2, "ON CONFLICT DO NOTHING", &vessels)?;
            let insert = "INSERT INTO positions (vessel_id, ts_ms, lat, lon, sog, cog, heading, nav_status)";
            let inserted = c.insert_rows(insert, 8, "ON CONFLICT DO NOTHING", &rows)?;
            count_in_journal(c, journal, inserted)?;
            Ok(inserted)
        })
    }
    /// Schema version applied to the database and the one this build knows.
    fn versions(&self) -> Result<(i64, i64)>;
    /// Applies pending migrations; returns the version before and after.
    fn apply_migrations(&mut self) -> Result<(i64, i64)>;
}

/// Adds `inserted` to the journal row of an ingest in progress (see `ingest_journal`).
pub(crate) fn count_in_journal(c: &mut dyn Conn, journal: Option<&str>, inserted: u64) -> Result<()> {
    let Some(source) = journal else { return Ok(()) };
    let n = i64::try_from(inserted).unwrap_or(i64::MAX);
    let sql = "UPDATE ingest_journal SET positions_inserted = positions_inserted + $1 WHERE source = $2";
    c.execute(sql, &vals![n, source]).map(drop)
}
