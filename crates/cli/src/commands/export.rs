//! `lookout track` and `lookout export`: the same engine functions the API's track and
//! export routes call (`lookout_engine::track`, `lookout_engine::export`), over every
//! matching row (the API pages them; here they are read page by page and written once).

use std::process::ExitCode;

use anyhow::Context;
use chrono::{DateTime, Utc};
use lookout_model::{Severity, VesselId};
use lookout_pipeline::{Category, EventStatus};
use lookout_store::{EventQuery, FindingQuery, Store};

use crate::commands::common::DbArgs;
use crate::commands::report::parse_instant;

/// Rows read per store page.
const PAGE: usize = 1000;

#[derive(clap::Args)]
pub(crate) struct TrackArgs {
    /// The vessel's id (an MMSI or the source's id).
    pub vessel: String,
    /// Start of the range (RFC 3339), included.
    #[arg(long, value_parser = parse_instant)]
    pub from: DateTime<Utc>,
    /// End of the range (RFC 3339), included.
    #[arg(long, value_parser = parse_instant)]
    pub to: DateTime<Utc>,
    /// Downsample to at most this many points (every part keeps its two ends).
    #[arg(long, value_parser = clap::value_parser!(u64).range(2..))]
    pub max_points: Option<u64>,
    /// Output format (only GeoJSON: a LineString per part, each gap a feature).
    #[arg(long, value_enum, default_value = "geojson")]
    pub format: TrackFormat,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub(crate) enum TrackFormat {
    Geojson,
}

pub(crate) fn track(args: TrackArgs, db: &DbArgs) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(args.from <= args.to, "--from must not be after --to");
    let store = db.open()?;
    let vessel = VesselId::new(args.vessel.as_str());
    anyhow::ensure!(store.vessel(&vessel)?.is_some(), "no vessel with id '{}' in {}", args.vessel, db.location());
    let max = args.max_points.map(|n| usize::try_from(n).unwrap_or(usize::MAX));
    let doc = lookout_engine::track::track_geojson(store.as_ref(), &vessel, args.from, args.to, max)
        .context("--max-points")?;
    match args.format {
        TrackFormat::Geojson => outln!("{}", serde_json::to_string(&doc)?),
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(clap::Args)]
pub(crate) struct ExportArgs {
    #[command(subcommand)]
    pub what: ExportWhat,
}

#[derive(clap::Subcommand)]
pub(crate) enum ExportWhat {
    /// Events with the list's filters.
    Events(EventExportArgs),
    /// Findings with the list's filters.
    Findings(FindingExportArgs),
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub(crate) enum ExportFormat {
    Csv,
    Geojson,
}

#[derive(clap::Args)]
pub(crate) struct EventExportArgs {
    #[arg(long, value_enum)]
    pub format: ExportFormat,
    /// DARK_VESSEL, EEZ_INTRUSION, ...
    #[arg(long, value_parser = |v: &str| Category::parse(v).ok_or_else(|| format!("unknown category '{v}'")))]
    pub category: Option<Category>,
    /// CRITICAL, HIGH, MEDIUM or LOW.
    #[arg(long, value_parser = severity)]
    pub level: Option<Severity>,
    /// NEW, ACKNOWLEDGED, CONFIRMED, ...
    #[arg(long, value_parser = |v: &str| EventStatus::parse(v).ok_or_else(|| format!("unknown status '{v}'")))]
    pub status: Option<EventStatus>,
    #[arg(long)]
    pub vessel: Option<String>,
    /// Occurred at or after (RFC 3339).
    #[arg(long, value_parser = parse_instant)]
    pub from: Option<DateTime<Utc>>,
    /// Occurred before (RFC 3339).
    #[arg(long, value_parser = parse_instant)]
    pub to: Option<DateTime<Utc>>,
}

#[derive(clap::Args)]
pub(crate) struct FindingExportArgs {
    #[arg(long, value_enum)]
    pub format: ExportFormat,
    /// A detector code (gaps, dark_suspicion, composite, ...).
    #[arg(long)]
    pub detector: Option<String>,
    /// The detector's own level (VIOLATION, CRITICAL, ...).
    #[arg(long)]
    pub level: Option<String>,
    /// CRITICAL, HIGH, MEDIUM, LOW or NONE.
    #[arg(long, value_parser = severity)]
    pub severity: Option<Severity>,
    #[arg(long)]
    pub vessel: Option<String>,
    /// Episode overlaps `[from, to)` (RFC 3339).
    #[arg(long, value_parser = parse_instant)]
    pub from: Option<DateTime<Utc>>,
    #[arg(long, value_parser = parse_instant)]
    pub to: Option<DateTime<Utc>>,
}

fn severity(v: &str) -> Result<Severity, String> {
    serde_json::from_value(serde_json::Value::String(v.to_ascii_uppercase()))
        .map_err(|_| format!("unknown level '{v}'"))
}

pub(crate) fn export(args: ExportArgs, db: &DbArgs) -> anyhow::Result<ExitCode> {
    let store = db.open()?;
    let text = match args.what {
        ExportWhat::Events(a) => export_events(store.as_ref(), &a)?,
        ExportWhat::Findings(a) => export_findings(store.as_ref(), &a)?,
    };
    outln!("{}", text.trim_end());
    Ok(ExitCode::SUCCESS)
}

fn export_events(store: &dyn Store, a: &EventExportArgs) -> anyhow::Result<String> {
    let base = EventQuery {
        status: a.status,
        category: a.category,
        level: a.level,
        vessel: a.vessel.as_deref(),
        from: a.from,
        to: a.to,
        limit: PAGE,
        ..Default::default()
    };
    let mut events = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = store.queries().events_page(&EventQuery { after: after.as_deref(), ..base.clone() })?;
        let full = page.len() == PAGE;
        after = page.last().map(|e| e.id.clone());
        events.extend(page);
        if !full {
            break;
        }
    }
    Ok(match a.format {
        ExportFormat::Csv => lookout_engine::export::events_csv(&events)?,
        ExportFormat::Geojson => serde_json::to_string(&lookout_engine::export::events_geojson(store, &events)?)?,
    })
}

fn export_findings(store: &dyn Store, a: &FindingExportArgs) -> anyhow::Result<String> {
    let mut q = FindingQuery {
        detector: a.detector.as_deref(),
        level: a.level.as_deref(),
        severity: a.severity,
        vessel: a.vessel.as_deref(),
        from: a.from,
        to: a.to,
        limit: PAGE,
        ..Default::default()
    };
    let mut findings = Vec::new();
    loop {
        let page = store.queries().findings_page(&q)?;
        let full = page.len() == PAGE;
        q.after = page.last().map(|f| f.key);
        findings.extend(page.into_iter().map(|f| f.finding));
        if !full {
            break;
        }
    }
    Ok(match a.format {
        ExportFormat::Csv => lookout_engine::export::findings_csv(&findings)?,
        ExportFormat::Geojson => serde_json::to_string(&lookout_engine::export::findings_geojson(store, &findings)?)?,
    })
}
