//! `lookout`: the thin binary. Each subcommand lives in `commands/` and only wires
//! library crates together; no detection or storage logic lives here.

mod commands;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "lookout", version, about = "Maritime risk detection engine")]
struct Cli {
    /// Log filter (e.g. `info`, `lookout=debug`); also from RUST_LOG.
    #[arg(long, global = true, default_value = "warn")]
    log: String,
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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(&cli.log);
    let result = match cli.command {
        Command::Demo(a) => commands::demo::run(a),
        Command::Db(a) => commands::db::run(a),
        Command::Ingest(a) => commands::ingest::run(a),
        Command::Decode(a) => commands::decode::run(a),
        Command::Analyze(a) => commands::analyze::run(a),
        Command::Events(a) => commands::events::run(a),
        Command::Alerts(a) => commands::alerts::run(a),
        Command::Silences(a) => commands::alerts::run_silences(a),
        Command::Outbox(a) => commands::alerts::run_outbox(a),
        Command::Kpis(a) => commands::kpis::run(a),
        Command::Stats(a) => commands::kpis::run_stats(a),
        Command::ScoreDark(a) => commands::score_dark::run(a),
        Command::Bench(a) => commands::bench::run(a),
        Command::Rules(a) => commands::rules::run(a),
        Command::Models(a) => commands::models::run(a),
        Command::Anomaly(a) => commands::anomaly::run(a),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("lookout: error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(default: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
}
