use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use chrono::{DateTime, Utc};
use lookout_detect::zones::ZoneSet;
use lookout_detect::{parse_registry, Registry, ZoneClassifier};
use lookout_engine::composite::COMPOSITE;
use lookout_engine::cycle::{CycleReport, CycleRequest, DARK};
use lookout_engine::incremental::{run_cycle_with, CycleMode};
use lookout_engine::models::{ensure_seeded, resolve};

use super::common::DbArgs;
use super::outputs_common::{now_or_clock, report_lines, OutputArgs};
use super::report::{
    add_reception_stats, breakdown_lines, dark_headline, geojson, outage_summary, parse_duration, risk_line,
    unobserved_line,
};
use super::rules::{overrides, window_end, AsStore, EngineArgs};

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub(crate) enum OutputFormat {
    Table,
    Json,
    Geojson,
}

#[derive(clap::Args)]
pub(crate) struct AnalyzeArgs {
    /// Length of the analysed window ending at --at (e.g. 24h, 90m, 7d).
    #[arg(long, default_value = "24h", value_parser = parse_duration)]
    pub window: chrono::Duration,
    /// End of the window (RFC 3339); default: the latest stored position.
    #[arg(long, value_parser = crate::commands::report::parse_instant)]
    pub at: Option<DateTime<Utc>>,
    /// Positions loaded before the window so gaps ending inside it are seen whole.
    #[arg(long, default_value = "24h", value_parser = parse_duration)]
    pub lookback: chrono::Duration,
    /// Parameter override, deep-merged over the version the rules use (default: the
    /// ACTIVE one): `MODEL=JSON` for any model (e.g. `transshipment={"mode":"gfw"}`),
    /// or bare JSON for the dark model; JSON inline or a file. Repeat for several models.
    #[arg(long)]
    pub params: Vec<String>,
    #[command(flatten)]
    pub engine: EngineArgs,
    /// Vessel registry CSV (mmsi, permitted, ship_kind, flag, name).
    #[arg(long)]
    pub registry: Option<PathBuf>,
    /// Zone files (GeoJSON; each feature with `zone` and `country`): the `zones` rule's
    /// zones and P2 of the dark score. Several files make one set.
    #[arg(long, num_args = 1..)]
    pub zones: Vec<PathBuf>,
    /// Ports and anchorages for transshipment's distance-from-port stage and loitering:
    /// a CSV (name,lat,lon) or GeoJSON (points/polygons with `name`) file, gzip allowed,
    /// or `none`; default: the shipped list (data/ports/world_ports.csv.gz).
    #[arg(long, value_name = "FILE|none")]
    pub ports: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "table")]
    pub format: OutputFormat,
    /// Rows in the table output.
    #[arg(long, default_value_t = 10)]
    pub top: usize,
    /// The output pipeline's clock (RFC 3339): when events occur, "today" of the KPIs,
    /// alert timing; default: the system clock.
    #[arg(long, value_parser = crate::commands::report::parse_instant)]
    pub now: Option<DateTime<Utc>>,
    /// Re-analyse every vessel. Without it a window analysed before with the same rules,
    /// params, look-back and zones re-runs only what changed since (new or late
    /// positions, new identities), with the same findings as a full run.
    #[arg(long)]
    pub full: bool,
    #[command(flatten)]
    pub out: OutputArgs,
}

pub(crate) fn run(args: AnalyzeArgs, db: &DbArgs) -> anyhow::Result<ExitCode> {
    let mut store = db.open()?;
    let set = args.engine.rule_set()?;
    let over = overrides(&args.params)?;
    let registry = load_registry(args.registry.as_ref())?;
    let zones = load_zones(&args.zones)?;
    let ports = load_ports(args.ports.as_deref())?;
    tracing::info!("{}", ports.describe());
    let at = window_end(store.store(), args.at)?;
    // Validate the rules and overrides before writing anything.
    resolve(&set, store.store(), &over, None).context("--params")?;
    // First start: the DEFAULT params in code become version 1, ACTIVE, of each model.
    ensure_seeded(store.store_mut(), &actor(), Utc::now())?;
    lookout_engine::fault::pause_point("analyze-seeded");
    let rules = resolve(&set, store.store(), &over, None).context("--params")?;
    let req = CycleRequest {
        at,
        window: args.window,
        lookback: args.lookback,
        rules: &rules,
        exec: args.engine.exec(),
        registry: registry.as_ref(),
        zones: zones.as_ref().map(|z| z as &(dyn ZoneClassifier + Sync)),
        places: ports.set.as_ref(),
    };
    let cfg = args.out.config()?;
    let mut sinks = args.out.sinks()?;
    let mode = if args.full { CycleMode::Full } else { CycleMode::Incremental };
    let report = run_cycle_with(store.store_mut(), &req, mode)?;
    lookout_engine::fault::pause_point("analyze-cycle");
    // The output pipeline after the cycle: never fatal; failed stages are reported.
    let now = now_or_clock(args.now);
    let pipeline = lookout_engine::outputs::run_after_cycle(store.store_mut(), &report.key, now, &cfg);
    let delivery = lookout_engine::outputs::deliver(store.store_mut(), &mut sinks, now);
    // For `lookout serve` on the same store: its stream subscribers see this cycle.
    let streamed = lookout_engine::stream::cycle_summary(&report, &pipeline)
        .and_then(|summary| lookout_engine::stream::record_cycle(store.store_mut(), &report.key, summary, now));
    let mut pipeline_lines = vec!["output pipeline:".to_string()];
    pipeline_lines.extend(report_lines(&pipeline));
    if let Err(e) = streamed {
        pipeline_lines.push(format!("  live stream: FAILED — {e}"));
    }
    pipeline_lines.push(match &delivery {
        Ok(d) => format!("  delivery: {} delivered, {} failed, {} waiting", d.delivered, d.failed, d.waiting),
        Err(e) => format!("  delivery: FAILED — {e}"),
    });
    match args.format {
        OutputFormat::Table => {
            print_table(&report, args.top)?;
            for l in pipeline_lines.iter() {
                outln!("{l}");
            }
        }
        OutputFormat::Json => outln!("{}", serde_json::to_string_pretty(&report)?),
        OutputFormat::Geojson => outln!("{}", serde_json::to_string_pretty(&geojson(&report.findings))?),
    }
    if !matches!(args.format, OutputFormat::Table) {
        // stdout stays one JSON document.
        pipeline_lines.iter().for_each(|l| eprintln!("{l}"));
    }
    Ok(ExitCode::SUCCESS)
}

/// The port list a `--ports` value chooses (absent: the shipped one; `none`: none).
pub(crate) fn load_ports(arg: Option<&Path>) -> anyhow::Result<lookout_engine::ports::Ports> {
    Ok(lookout_engine::ports::load(&lookout_engine::ports::PortsChoice::from_arg(arg))?)
}

/// Who changes things: `$USER`, or `lookout` when unset.
pub(crate) fn actor() -> String {
    std::env::var("USER").ok().filter(|u| !u.is_empty()).unwrap_or_else(|| "lookout".into())
}

/// Reads and parses zone files into one set; `None` without files.
pub(crate) fn load_zones(paths: &[PathBuf]) -> anyhow::Result<Option<ZoneSet>> {
    let mut set: Option<ZoneSet> = None;
    for path in paths {
        let text = read_zone_text(path).with_context(|| format!("reading zones {}", path.display()))?;
        let zones = ZoneSet::from_geojson(&text).with_context(|| format!("zones {}", path.display()))?;
        match set.as_mut() {
            Some(s) => s.extend(zones),
            None => set = Some(zones),
        }
    }
    Ok(set)
}

/// A zone file's text; `.gz` files (the shipped world zones) are decompressed.
fn read_zone_text(path: &Path) -> anyhow::Result<String> {
    let bytes = std::fs::read(path)?;
    if !bytes.starts_with(&[0x1f, 0x8b]) {
        return Ok(String::from_utf8(bytes)?);
    }
    let mut text = String::new();
    flate2::read::MultiGzDecoder::new(bytes.as_slice()).read_to_string(&mut text)?;
    Ok(text)
}

pub(crate) fn load_registry(path: Option<&PathBuf>) -> anyhow::Result<Option<Registry>> {
    let Some(path) = path else { return Ok(None) };
    let text = std::fs::read_to_string(path).with_context(|| format!("reading registry {}", path.display()))?;
    Ok(Some(parse_registry(&text).with_context(|| format!("registry {}", path.display()))?))
}

fn print_table(report: &CycleReport, top: usize) -> anyhow::Result<()> {
    outln!(
        "window {} .. {}: {} vessels, {} positions",
        report.key.window_start.to_rfc3339(),
        report.key.window_end.to_rfc3339(),
        report.tracks,
        report.positions
    );
    if let Some(i) = &report.incremental {
        match &i.reason {
            None => outln!("cycle: incremental, {} of {} vessels re-analysed", i.vessels_changed, i.vessels),
            Some(why) => outln!("cycle: full ({why})"),
        }
    }
    outln!("gaps by level: {:?}", report.gaps);
    outln!("dark vessels by tier: {:?}", report.dark);
    outln!("composite risk by level: {:?}", report.composite);
    for r in &report.rules {
        let status = match &r.status {
            lookout_engine::exec::RuleStatus::Ok => "ok".to_string(),
            lookout_engine::exec::RuleStatus::Failed(e) => format!("FAILED: {e}"),
            lookout_engine::exec::RuleStatus::Skipped(e) => format!("skipped: {e}"),
        };
        outln!(
            "rule {:<16} {} — {} in, {} findings (model {}@{}, params {})",
            r.rule,
            status,
            r.entities_in,
            r.findings_out,
            r.model,
            r.model_version,
            r.params_hash
        );
    }
    let mut judged = serde_json::json!({});
    add_reception_stats(&mut judged, &report.rules);
    for l in outage_summary(&report.findings, &judged).iter() {
        outln!("{l}");
    }
    outln!("{}", unobserved_line(&report.findings));
    let mut dark: Vec<_> = report.findings.iter().filter(|f| f.detector == DARK).collect();
    dark.sort_by(|a, b| b.score.cmp(&a.score).then_with(|| a.vessel.cmp(&b.vessel)));
    for (i, f) in dark.iter().take(top).enumerate() {
        outln!("{:>2}. {}", i + 1, dark_headline(f));
        for line in breakdown_lines(f) {
            outln!("      {line}");
        }
    }
    print_top_risks(report, top)?;
    Ok(())
}

/// The highest composite risks with each rule's contribution.
fn print_top_risks(report: &CycleReport, top: usize) -> anyhow::Result<()> {
    let mut risks: Vec<_> = report.findings.iter().filter(|f| f.detector == COMPOSITE).collect();
    risks.sort_by(|a, b| b.score.cmp(&a.score).then_with(|| a.vessel.cmp(&b.vessel)));
    if risks.is_empty() {
        return Ok(());
    }
    outln!("highest composite risk (probabilistic OR of weight x rule score):");
    for (i, f) in risks.iter().take(top).enumerate() {
        outln!("{:>2}. {}", i + 1, risk_line(f));
    }
    Ok(())
}
