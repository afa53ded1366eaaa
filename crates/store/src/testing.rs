//! Test support shared by the store's compliance suite and the CLI tests: finding the
//! test PostgreSQL server and isolating each test in its own schema.
//!
//! The server is `LOOKOUT_TEST_PG_URL`, else [`DEFAULT_TEST_PG_URL`]. When `CI` is set,
//! or the URL is set explicitly, an unreachable server is a test failure (a panic),
//! never a skip; otherwise the PostgreSQL half of a test is skipped with a loud message.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

use ::postgres::{Config, NoTls};

use crate::location::{redact, Location, PgLocation};

/// Where CI's PostgreSQL listens (trust auth).
pub const DEFAULT_TEST_PG_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

fn env_set(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// The URL of the test PostgreSQL server, or `None` to skip (outside CI, nothing
/// configured and nothing listening at the default). Panics when the server is required
/// (CI, or `LOOKOUT_TEST_PG_URL` set) but unreachable.
pub fn pg_test_url() -> Option<String> {
    static PROBE: OnceLock<std::result::Result<String, (bool, String)>> = OnceLock::new();
    let probe = PROBE.get_or_init(|| {
        let explicit = env_set("LOOKOUT_TEST_PG_URL");
        let required = explicit.is_some() || env_set("CI").is_some_and(|v| v != "false" && v != "0");
        let url = explicit.unwrap_or_else(|| DEFAULT_TEST_PG_URL.to_string());
        let reachable = url
            .parse::<Config>()
            .and_then(|mut c| c.connect_timeout(Duration::from_secs(5)).connect(NoTls))
            .map(drop)
            .map_err(|e| {
                let mut m = e.to_string();
                let mut cause = std::error::Error::source(&e);
                while let Some(c) = cause {
                    m.push_str(&format!(": {c}"));
                    cause = c.source();
                }
                m
            });
        match reachable {
            Ok(()) => Ok(url),
            Err(e) => Err((required, format!("PostgreSQL at {} is unreachable: {e}", redact(&url)))),
        }
    });
    match probe {
        Ok(url) => Some(url.clone()),
        Err((true, msg)) => panic!("{msg}\nPostgreSQL is required here (CI or LOOKOUT_TEST_PG_URL is set): start it, or fix LOOKOUT_TEST_PG_URL"),
        Err((false, msg)) => {
            eprintln!(
                "\n!!!!! SKIPPING the PostgreSQL half of this test: {msg}\n!!!!! set LOOKOUT_TEST_PG_URL (or CI) to require it\n"
            );
            None
        }
    }
}

/// A uniquely named schema on the test server, dropped (with everything in it) when
/// this value is dropped. Open stores on [`TestSchema::url`] and drop them first.
pub struct TestSchema {
    base: PgLocation,
    /// The schema's name.
    pub name: String,
}

impl TestSchema {
    /// Creates `lookout_t_<tag>_<pid>_<n>` on the server at `url`.
    pub fn create(url: &str, tag: &str) -> crate::Result<TestSchema> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let tag: String =
            tag.chars().filter(|c| c.is_ascii_alphanumeric()).take(20).collect::<String>().to_ascii_lowercase();
        let name = format!("lookout_t_{tag}_{}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
        let base = match Location::parse(url)? {
            Location::Postgres(pg) => pg,
            Location::Sqlite(_) => {
                return Err(crate::StoreError::Location {
                    location: url.into(),
                    message: "not a PostgreSQL URL".into(),
                })
            }
        };
        let schema = TestSchema { base: PgLocation { schema: Some(name.clone()), ..base }, name };
        crate::PostgresStore::recreate_schema(&schema.base)?;
        Ok(schema)
    }

    /// The server URL with `?schema=` naming this schema.
    pub fn url(&self) -> String {
        let sep = if self.base.url.contains('?') { '&' } else { '?' };
        format!("{}{sep}schema={}", self.base.url, self.name)
    }

    /// A plain connection to the server (not bound to the schema), for checks from a
    /// second session.
    pub fn connect(&self) -> crate::Result<::postgres::Client> {
        let loc = PgLocation { schema: None, ..self.base.clone() };
        let mut client = crate::pg::connect_to(&loc)?;
        client
            .batch_execute(&format!("SET search_path TO \"{}\"", self.name))
            .map_err(|e| crate::pg::pg_error(&loc.redacted(), e))?;
        Ok(client)
    }
}

impl Drop for TestSchema {
    fn drop(&mut self) {
        let result = crate::pg::connect_to(&PgLocation { schema: None, ..self.base.clone() }).and_then(|mut c| {
            c.batch_execute(&format!("DROP SCHEMA IF EXISTS \"{}\" CASCADE", self.name))
                .map_err(|e| crate::pg::pg_error(&self.base.redacted(), e))
        });
        if let Err(e) = result {
            eprintln!("warning: could not drop test schema {}: {e}", self.name);
        }
    }
}
