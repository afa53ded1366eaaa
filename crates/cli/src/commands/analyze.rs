use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use chrono::{DateTime, Utc};
use lookout_detect::{parse_registry, DarkParams, Registry};
use lookout_engine::cycle::{run_cycle, CycleReport, CycleRequest, DARK};

use super::common::DbArgs;
use super::report::{breakdown_lines, dark_headline, geojson, json_arg, parse_duration};

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum OutputFormat {
    Table,
    Json,
    Geojson,
}

#[derive(clap::Args)]
pub struct AnalyzeArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// Length of the analysed window ending at --at (e.g. 24h, 90m, 7d).
    #[arg(long, default_value = "24h", value_parser = parse_duration)]
    pub window: chrono::Duration,
    /// End of the window (RFC 3339); default: the latest stored position.
    #[arg(long)]
    pub at: Option<DateTime<Utc>>,
    /// Positions loaded before the window so gaps ending inside it are seen whole.
    #[arg(long, default_value = "24h", value_parser = parse_duration)]
    pub lookback: chrono::Duration,
    /// Dark-model parameter override (inline JSON or a file), deep-merged over the defaults.
    #[arg(long)]
    pub params: Option<String>,
    /// Vessel registry CSV (mmsi, permitted, ship_kind, flag, name).
    #[arg(long)]
    pub registry: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "table")]
    pub format: OutputFormat,
    /// Rows in the table output.
    #[arg(long, default_value_t = 10)]
    pub top: usize,
}

pub fn run(args: AnalyzeArgs) -> anyhow::Result<ExitCode> {
    let mut store = args.db.open()?;
    let params = load_params(args.params.as_deref())?;
    let registry = load_registry(args.registry.as_ref())?;
    let at = match args.at {
        Some(at) => at,
        None => match store.position_span()? {
            Some((_, last)) => last,
            None => anyhow::bail!("the store at {} has no positions; run `lookout ingest` first", args.db.location()),
        },
    };
    let req = CycleRequest {
        at,
        window: args.window,
        lookback: args.lookback,
        params: &params,
        registry: registry.as_ref(),
        zones: None,
    };
    let report = run_cycle(&mut *store, &req)?;
    match args.format {
        OutputFormat::Table => print_table(&report, args.top),
        OutputFormat::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        OutputFormat::Geojson => println!("{}", serde_json::to_string_pretty(&geojson(&report.findings))?),
    }
    Ok(ExitCode::SUCCESS)
}

pub fn load_params(raw: Option<&str>) -> anyhow::Result<DarkParams> {
    match raw {
        None => Ok(DarkParams::default()),
        Some(r) => DarkParams::from_override(&json_arg(r, "params")?).context("--params"),
    }
}

pub fn load_registry(path: Option<&PathBuf>) -> anyhow::Result<Option<Registry>> {
    let Some(path) = path else { return Ok(None) };
    let text = std::fs::read_to_string(path).with_context(|| format!("reading registry {}", path.display()))?;
    Ok(Some(parse_registry(&text).with_context(|| format!("registry {}", path.display()))?))
}

fn print_table(report: &CycleReport, top: usize) {
    println!(
        "window {} .. {}: {} vessels, {} positions",
        report.key.window_start.to_rfc3339(),
        report.key.window_end.to_rfc3339(),
        report.tracks,
        report.positions
    );
    println!("gaps by level: {:?}", report.gaps);
    println!("dark vessels by tier: {:?}", report.dark);
    let mut dark: Vec<_> = report.findings.iter().filter(|f| f.detector == DARK).collect();
    dark.sort_by(|a, b| b.score.cmp(&a.score).then_with(|| a.vessel.cmp(&b.vessel)));
    for (i, f) in dark.iter().take(top).enumerate() {
        println!("{:>2}. {}", i + 1, dark_headline(f));
        for line in breakdown_lines(f) {
            println!("      {line}");
        }
    }
}
