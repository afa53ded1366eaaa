//! `lookout`: the thin binary. Each subcommand lives in `commands/` and only wires
//! library crates together; no detection or storage logic lives here.

#[macro_use]
mod output;
mod commands;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

use commands::common::DbArgs;

/// Exit code of `ingest` / `decode` when some file could not be read or was cut short
/// (also any other command's error). Clap's usage errors exit 2.
pub const EXIT_CUT_SHORT: u8 = 1;
/// Exit code of `ingest` / `decode` when nothing at all could be read.
pub const EXIT_NOTHING_READ: u8 = 3;

#[derive(Parser)]
#[command(name = "lookout", version, about = "Maritime risk detection engine")]
struct Cli {
    /// Log filter (e.g. `info`, `lookout=debug`); also from RUST_LOG.
    #[arg(long, global = true, default_value = "warn")]
    log: String,
    /// The store: a SQLite file, or a PostgreSQL URL (`postgres://user:pass@host:5432/db`,
    /// optionally `?schema=NAME`); created and migrated on first use. Default:
    /// $LOOKOUT_DB, else `lookout.db` (`demo`: `lookout-demo.db`, never $LOOKOUT_DB).
    /// Commands that use no store ignore it.
    #[arg(long, global = true, value_name = "DB")]
    db: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Ingest the shipped real AIS sample, analyse it and print a summary.
    Demo(commands::demo::DemoArgs),
    /// The store: `migrate`, `status` (versions, row counts), `prune --keep 30d`.
    Db(commands::db::DbCommandArgs),
    /// Read AIS files (NMEA, CSV, JSON lines) into the store.
    Ingest(commands::ingest::IngestArgs),
    /// Decode NMEA 0183 AIS sentences and print one JSON object per message.
    Decode(commands::decode::DecodeArgs),
    /// Run the rules (all detectors, composite risk) over a stored time window, then the output pipeline.
    Analyze(commands::analyze::AnalyzeArgs),
    /// Events: list, show, and the analyst's lifecycle steps (ack, confirm, enforce, ...).
    Events(commands::events::EventsArgs),
    /// Alerts (firing, silenced) and a dispatcher tick.
    Alerts(commands::alerts::AlertsArgs),
    /// Silences: add (matchers, author, comment, end), list, expire.
    Silences(commands::alerts::SilencesArgs),
    /// The notification outbox: list, deliver.
    Outbox(commands::alerts::OutboxArgs),
    /// The six real-time KPIs.
    Kpis(commands::kpis::KpisArgs),
    /// Hourly, daily and monthly statistics.
    Stats(commands::kpis::StatsArgs),
    /// Score a positions CSV with the dark-vessel model, output as the reference oracle.
    ScoreDark(commands::score_dark::ScoreDarkArgs),
    /// Measure throughput (decode, csv, gaps) side by side with other tools.
    Bench(commands::bench::BenchArgs),
    /// The rule engine: print the plan of a rules file, or dry-run a cycle.
    Rules(commands::rules::RulesArgs),
    /// The model registry: versions, drafts, promotion, rollback, audit, shadow runs.
    Models(commands::models::ModelsArgs),
    /// Time-series anomaly detection on a metric CSV; `anomaly nab` runs the NAB benchmark.
    Anomaly(commands::anomaly::AnomalyArgs),
    /// Serve the HTTP API (`/api/v1`, `/healthz`, `/readyz`) until ctrl-c or SIGTERM.
    Serve(commands::serve::ServeArgs),
    /// Play NMEA files as a live feed to `tcp://HOST:PORT` or `udp://HOST:PORT`, paced by their times.
    Replay(commands::replay::ReplayArgs),
    /// Bearer tokens of `lookout serve`: create (shown once), list, revoke.
    Tokens(commands::tokens::TokensArgs),
    /// A vessel's track in a time range as GeoJSON (parts and gaps), as the API's track.
    Track(commands::export::TrackArgs),
    /// Events or findings as CSV or GeoJSON with the lists' filters, as the API's exports.
    Export(commands::export::ExportArgs),
    /// Print shell completions: `lookout completions bash > /etc/bash_completion.d/lookout`.
    Completions(commands::completions::CompletionsArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(&cli.log);
    let db = DbArgs::resolve(cli.db.clone());
    let result = match cli.command {
        Command::Demo(a) => commands::demo::run(a, cli.db),
        Command::Db(a) => commands::db::run(a, &db),
        Command::Ingest(a) => commands::ingest::run(a, &db),
        Command::Decode(a) => commands::decode::run(a),
        Command::Analyze(a) => commands::analyze::run(a, &db),
        Command::Events(a) => commands::events::run(a, &db),
        Command::Alerts(a) => commands::alerts::run(a, &db),
        Command::Silences(a) => commands::alerts::run_silences(a, &db),
        Command::Outbox(a) => commands::alerts::run_outbox(a, &db),
        Command::Kpis(a) => commands::kpis::run(a, &db),
        Command::Stats(a) => commands::kpis::run_stats(a, &db),
        Command::ScoreDark(a) => commands::score_dark::run(a),
        Command::Bench(a) => commands::bench::run(a),
        Command::Rules(a) => commands::rules::run(a, &db),
        Command::Models(a) => commands::models::run(a, &db),
        Command::Anomaly(a) => commands::anomaly::run(a),
        Command::Track(a) => commands::export::track(a, &db),
        Command::Export(a) => commands::export::export(a, &db),
        Command::Serve(a) => commands::serve::run(a, &db),
        Command::Replay(a) => commands::replay::run(a),
        Command::Tokens(a) => commands::tokens::run(a, &db),
        Command::Completions(a) => commands::completions::run(a, Cli::command()),
    };
    exit_code(result.and_then(|code| output::flush_stdout().map(|()| code).map_err(Into::into)))
}

/// A closed stdout means the reader (`| head`) has all it wants: a quiet success.
fn exit_code(result: anyhow::Result<ExitCode>) -> ExitCode {
    match result {
        Ok(code) => code,
        Err(err) if output::is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("lookout: error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(default: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}
