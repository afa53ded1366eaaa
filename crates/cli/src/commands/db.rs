//! `lookout db`: schema migrations, status and retention of the store (SQLite or PostgreSQL).

use std::process::ExitCode;

use chrono::{DateTime, Utc};
use lookout_store::{OpenMode, Retention};

use super::common::DbArgs;
use super::report::parse_duration;

#[derive(clap::Args)]
pub(crate) struct DbCommandArgs {
    #[command(subcommand)]
    pub command: DbCommand,
}

#[derive(clap::Subcommand)]
pub(crate) enum DbCommand {
    /// Create the database if needed and apply pending schema migrations.
    Migrate,
    /// Backend, location, schema version applied vs supported, and row counts per table.
    Status,
    /// Delete positions and live stream entries older than a retention window.
    Prune(PruneArgs),
}

#[derive(clap::Args)]
pub(crate) struct PruneArgs {
    /// Keep positions and live stream (`/api/v1/stream`) entries this recent (e.g. 30d,
    /// 48h); older ones are deleted.
    #[arg(long, value_parser = parse_duration)]
    pub keep: chrono::Duration,
    /// The time the window ends at (RFC 3339); default: the clock.
    #[arg(long, value_parser = crate::commands::report::parse_instant)]
    pub now: Option<DateTime<Utc>>,
}

pub(crate) fn run(args: DbCommandArgs, db: &DbArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        DbCommand::Migrate => migrate(db),
        DbCommand::Status => status(db),
        DbCommand::Prune(a) => prune(a, db),
    }
}

fn migrate(db: &DbArgs) -> anyhow::Result<ExitCode> {
    let mut store = db.open_with(OpenMode::Create)?;
    let (before, after) = store.migrate()?;
    if before == after {
        outln!("{}: schema version {after}, up to date", db.location());
    } else {
        outln!("{}: schema migrated from version {before} to {after}", db.location());
    }
    Ok(ExitCode::SUCCESS)
}

fn status(db: &DbArgs) -> anyhow::Result<ExitCode> {
    let info = db.open_with(OpenMode::Inspect)?.info()?;
    let state = match info.schema_version.cmp(&info.supported_version) {
        std::cmp::Ordering::Equal => "up to date".to_string(),
        std::cmp::Ordering::Less => {
            format!("{} migration(s) pending: run `lookout db migrate`", info.supported_version - info.schema_version)
        }
        std::cmp::Ordering::Greater => "newer than this lookout: upgrade lookout".to_string(),
    };
    outln!("backend:  {}", info.backend);
    outln!("location: {}", info.location);
    outln!("schema:   version {} applied, {} supported ({state})", info.schema_version, info.supported_version);
    outln!("tables:");
    let width = info.tables.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
    for (name, rows) in &info.tables {
        outln!("  {name:<width$}  {rows:>12} rows");
    }
    if info.tables.is_empty() {
        outln!("  (none)");
    }
    for (source, committed) in &info.unfinished_ingests {
        outln!(
            "unfinished ingest: {source} stopped after {committed} new positions; \
             its vessels, identity history and run record are not written: run `lookout ingest {}` on this database to complete it",
            shell_quote(source)
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `source` as one shell word, so the suggested command can be pasted.
fn shell_quote(source: &str) -> String {
    if source.bytes().all(|b| b.is_ascii_alphanumeric() || b"/._-+=:,@".contains(&b)) {
        source.to_string()
    } else {
        format!("'{}'", source.replace('\'', "'\\''"))
    }
}

fn prune(args: PruneArgs, db: &DbArgs) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(args.keep > chrono::Duration::zero(), "--keep must be positive");
    let now = args.now.unwrap_or_else(Utc::now);
    let before = now - args.keep;
    let mut store = db.open()?;
    let retention = Retention { positions_before: Some(before), stream_log_before: Some(before), ..Default::default() };
    let report = store.prune(&retention)?;
    outln!(
        "{}: deleted {} positions older than {}, {} identity rows last seen before it and {} live stream entries",
        db.location(),
        report.positions,
        before.to_rfc3339(),
        report.identities,
        report.stream_log
    );
    Ok(ExitCode::SUCCESS)
}
