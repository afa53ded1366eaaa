//! Bulk position writes against plain one-row INSERTs, on both backends.
//!
//! ```sh
//! cargo run --release -p lookout-store --example store_bench -- --rows 200000 --single 20000
//! ```
//!
//! Bulk: `Store::insert_positions` in batches of 20,000 (the ingest batch size): SQLite
//! prepared statements in one transaction per batch, PostgreSQL `COPY ... FROM STDIN
//! (FORMAT binary)` into a temporary table then `INSERT ... ON CONFLICT DO NOTHING`.
//! Single: one `INSERT ... ON CONFLICT DO NOTHING` per row, prepared once, in autocommit
//! (a commit per row, the way a naive writer does it) and inside one transaction (the
//! round trip per row without the commit per row). PostgreSQL is `LOOKOUT_TEST_PG_URL` (default: the local test server),
//! in a schema of its own that is dropped afterwards.

use std::time::Instant;

use chrono::{Duration, TimeZone, Utc};
use lookout_model::{NavStatus, Position, VesselId};
use lookout_store::testing::{TestSchema, DEFAULT_TEST_PG_URL};
use lookout_store::{PostgresStore, SqliteStore, Store};
use postgres::GenericClient;

const BATCH: usize = 20_000;

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// `n` positions of 500 vessels, one every 10 s each, all distinct keys.
fn positions(n: usize, offset: usize) -> Vec<Position> {
    let t0 = Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).single().expect("time");
    (offset..offset + n)
        .map(|i| Position {
            vessel: VesselId::new(format!("4400{:05}", i % 500)),
            timestamp: t0 + Duration::seconds(10 * (i / 500) as i64),
            lat: 35.0 + (i % 997) as f64 * 1e-4,
            lon: 128.0 + (i % 991) as f64 * 1e-4,
            sog: Some((i % 20) as f64),
            cog: Some((i % 360) as f64),
            heading: None,
            nav_status: Some(NavStatus(0)),
        })
        .collect()
}

fn bulk(store: &mut dyn Store, rows: &[Position]) -> f64 {
    let start = Instant::now();
    let mut inserted = 0;
    for chunk in rows.chunks(BATCH) {
        inserted += store.insert_positions(chunk).expect("bulk insert");
    }
    assert_eq!(inserted, rows.len() as u64);
    rows.len() as f64 / start.elapsed().as_secs_f64()
}

const SINGLE_SQL: &str = "INSERT INTO positions (vessel_id, ts_ms, lat, lon, sog, cog, heading, nav_status)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING";

fn report(backend: &str, bulk: f64, single: f64, single_tx: f64) {
    println!(
        "{backend:<10} bulk {bulk:>9.0} rows/s | one-row INSERTs: autocommit {single:>7.0} rows/s (bulk x{:.0}), \
         one transaction {single_tx:>7.0} rows/s (bulk x{:.1})",
        bulk / single,
        bulk / single_tx
    );
}

fn main() {
    let rows = arg("--rows", 200_000);
    let single = arg("--single", 20_000);
    println!("{rows} rows bulk (batches of {BATCH}), {single} rows per one-row INSERT run");

    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("bench.db");
    let mut sqlite = SqliteStore::open(&path).expect("sqlite");
    let sqlite_bulk = bulk(&mut sqlite, &positions(rows, 0));
    drop(sqlite);
    // The vessels exist from the bulk run, so the one-row path needs no vessel insert.
    let conn = rusqlite::Connection::open(&path).expect("sqlite raw");
    conn.pragma_update(None, "synchronous", "NORMAL").expect("pragma");
    let sqlite_single = |rows: &[Position], in_tx: bool| {
        let start = Instant::now();
        if in_tx {
            conn.execute_batch("BEGIN").expect("begin");
        }
        let mut stmt = conn.prepare(&SINGLE_SQL.replace('$', "?")).expect("prepare");
        for p in rows {
            stmt.execute(rusqlite::params![
                p.vessel.as_str(),
                p.timestamp.timestamp_millis(),
                p.lat,
                p.lon,
                p.sog,
                p.cog,
                p.heading,
                p.nav_status.map(|n| n.0)
            ])
            .expect("insert");
        }
        if in_tx {
            conn.execute_batch("COMMIT").expect("commit");
        }
        rows.len() as f64 / start.elapsed().as_secs_f64()
    };
    let a = sqlite_single(&positions(single, rows), false);
    let b = sqlite_single(&positions(single, rows + single), true);
    report("sqlite", sqlite_bulk, a, b);

    let url = std::env::var("LOOKOUT_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_TEST_PG_URL.to_string());
    let schema = match TestSchema::create(&url, "bench") {
        Ok(s) => s,
        Err(e) => {
            eprintln!("postgres: skipped ({e})");
            return;
        }
    };
    let mut pg = PostgresStore::open(&schema.url()).expect("postgres");
    let pg_bulk = bulk(&mut pg, &positions(rows, 0));
    drop(pg);
    let mut client = schema.connect().expect("postgres raw");
    let start = Instant::now();
    pg_single(&mut client, &positions(single, rows));
    let autocommit = single as f64 / start.elapsed().as_secs_f64();
    let start = Instant::now();
    let mut tx = client.transaction().expect("begin");
    pg_single(&mut tx, &positions(single, rows + single));
    tx.commit().expect("commit");
    let one_tx = single as f64 / start.elapsed().as_secs_f64();
    report("postgres", pg_bulk, autocommit, one_tx);
}

fn pg_single(client: &mut impl GenericClient, rows: &[Position]) {
    let stmt = client.prepare(SINGLE_SQL).expect("prepare");
    for p in rows {
        client
            .execute(
                &stmt,
                &[
                    &p.vessel.as_str(),
                    &p.timestamp.timestamp_millis(),
                    &p.lat,
                    &p.lon,
                    &p.sog,
                    &p.cog,
                    &p.heading,
                    &p.nav_status.map(|n| i16::from(n.0)),
                ],
            )
            .expect("insert");
    }
}
