//! `lookout kpis` and `lookout stats hourly|daily|monthly`.

use std::collections::BTreeMap;
use std::process::ExitCode;

use chrono::{DateTime, Duration, Utc};
use lookout_engine::outputs;
use lookout_pipeline::stats::{DailyStats, HourlyStats, MonthlyStats};
use lookout_pipeline::zone::Bucket;
use lookout_pipeline::Kpis;

use super::common::DbArgs;
use super::outputs_common::{ts, OutputArgs};
use crate::output::{counts_cell, print_csv, print_json, FormatArgs, ListFormat};

#[derive(clap::Args)]
pub(crate) struct KpisArgs {
    /// Recompute (and store) the KPIs at this time; default: show the latest snapshot.
    #[arg(long, value_parser = crate::commands::report::parse_instant)]
    pub now: Option<DateTime<Utc>>,
    #[command(flatten)]
    pub out: OutputArgs,
    #[command(flatten)]
    pub format: FormatArgs,
}

/// The KPI block the demo and `lookout kpis` print.
pub(crate) fn kpi_lines(k: &Kpis) -> Vec<String> {
    let mut out = vec![format!("KPIs at {} (today = {} local)", ts(k.at), k.today.label)];
    out.extend(k.values().iter().map(|(n, v)| format!("  {n:<22} {v}")));
    out
}

pub(crate) fn run(args: KpisArgs, db: &DbArgs) -> anyhow::Result<ExitCode> {
    let mut store = db.open()?;
    let k = match args.now {
        Some(now) => Some(outputs::kpis_stage(store.as_mut(), now, &args.out.tz()?)?),
        None => store.kpis()?,
    };
    let format = args.format.format();
    let Some(k) = k else {
        let hint = "no KPIs yet: run `lookout analyze` (or pass --now)";
        match format {
            ListFormat::Table => outln!("{hint}"),
            // Machine-readable output stays parseable: `null`, or the header alone.
            ListFormat::Json => {
                eprintln!("lookout: {hint}");
                print_json(&serde_json::Value::Null)?;
            }
            ListFormat::Csv => {
                eprintln!("lookout: {hint}");
                print_csv(&kpi_csv_header(), &[])?;
            }
        }
        return Ok(ExitCode::SUCCESS);
    };
    match format {
        ListFormat::Table => {
            for line in kpi_lines(&k) {
                outln!("{line}");
            }
        }
        ListFormat::Json => print_json(&k)?,
        ListFormat::Csv => {
            let mut row = vec![ts(k.at), k.today.label.clone()];
            row.extend(k.values().iter().map(|(_, v)| v.to_string()));
            print_csv(&kpi_csv_header(), &[row])?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `at`, `today`, then the KPI names in their documented order.
fn kpi_csv_header() -> Vec<&'static str> {
    // The names come from a computation over nothing, so they never drift from `values()`.
    let empty = lookout_pipeline::kpi::compute(DateTime::<Utc>::UNIX_EPOCH, &chrono_tz::UTC, &[], &[], &[]);
    let mut header = vec!["at", "today"];
    header.extend(empty.values().map(|(n, _)| n));
    header
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub(crate) enum Period {
    Hourly,
    Daily,
    Monthly,
}

#[derive(clap::Args)]
pub(crate) struct StatsArgs {
    #[arg(value_enum)]
    pub period: Period,
    /// Buckets starting at or after this (RFC 3339); default: all.
    #[arg(long, value_parser = crate::commands::report::parse_instant)]
    pub from: Option<DateTime<Utc>>,
    /// Buckets starting before this (RFC 3339); default: all.
    #[arg(long, value_parser = crate::commands::report::parse_instant)]
    pub to: Option<DateTime<Utc>>,
    #[command(flatten)]
    pub format: FormatArgs,
}

fn counts(m: &BTreeMap<String, u64>) -> String {
    let parts: Vec<String> = m.iter().map(|(k, v)| format!("{k} {v}")).collect();
    if parts.is_empty() {
        "-".into()
    } else {
        parts.join(", ")
    }
}

fn pct(p: Option<f64>) -> String {
    p.map(|v| format!("{v:.2}%")).unwrap_or_else(|| "-".into())
}

pub(crate) fn run_stats(args: StatsArgs, db: &DbArgs) -> anyhow::Result<ExitCode> {
    let store = db.open()?;
    // Wide defaults: every stored bucket (years either side of any AIS data).
    let from = args.from.unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
    let to = args.to.unwrap_or_else(|| DateTime::<Utc>::UNIX_EPOCH + Duration::days(365 * 200));
    let format = args.format.format();
    match args.period {
        Period::Hourly => {
            let rows = store.hourly_stats(from, to)?;
            match format {
                ListFormat::Table => {
                    for r in &rows {
                        outln!(
                            "{}  detections {}  events {}  critical {}  by risk: {}",
                            r.bucket.label,
                            r.detections,
                            r.events,
                            r.critical,
                            counts(&r.by_risk_level)
                        );
                    }
                    outln!("{} hourly rows", rows.len());
                }
                ListFormat::Json => print_json(&rows)?,
                ListFormat::Csv => print_csv(HOURLY_CSV_HEADER, &rows.iter().map(hourly_csv_row).collect::<Vec<_>>())?,
            }
        }
        Period::Daily => {
            let rows: Vec<PeriodRow> = store.daily_stats(from, to)?.into_iter().map(PeriodRow::from).collect();
            print_period_rows(&rows, "daily", format)?;
        }
        Period::Monthly => {
            let rows: Vec<PeriodRow> = store.monthly_stats(from, to)?.into_iter().map(PeriodRow::from).collect();
            print_period_rows(&rows, "monthly", format)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

const HOURLY_CSV_HEADER: &[&str] = &["bucket", "start", "end", "detections", "events", "critical", "by_risk_level"];

fn hourly_csv_row(r: &HourlyStats) -> Vec<String> {
    vec![
        r.bucket.label.clone(),
        ts(r.bucket.start),
        ts(r.bucket.end),
        r.detections.to_string(),
        r.events.to_string(),
        r.critical.to_string(),
        counts_cell(&r.by_risk_level),
    ]
}

/// A daily or a monthly row: the two have the same fields, so one printer serves both.
#[derive(serde::Serialize)]
#[serde(untagged)]
enum PeriodRow {
    Daily(DailyStats),
    Monthly(MonthlyStats),
}

impl From<DailyStats> for PeriodRow {
    fn from(r: DailyStats) -> Self {
        PeriodRow::Daily(r)
    }
}

impl From<MonthlyStats> for PeriodRow {
    fn from(r: MonthlyStats) -> Self {
        PeriodRow::Monthly(r)
    }
}

/// The fields both periods share, borrowed.
struct PeriodFields<'a> {
    bucket: &'a Bucket,
    detections: u64,
    events: u64,
    critical: u64,
    enforcements: u64,
    false_positives: u64,
    accuracy_pct: Option<f64>,
    by_violation_type: &'a BTreeMap<String, u64>,
    by_risk_level: &'a BTreeMap<String, u64>,
}

impl PeriodRow {
    fn fields(&self) -> PeriodFields<'_> {
        macro_rules! fields {
            ($r:expr) => {
                PeriodFields {
                    bucket: &$r.bucket,
                    detections: $r.detections,
                    events: $r.events,
                    critical: $r.critical,
                    enforcements: $r.enforcements,
                    false_positives: $r.false_positives,
                    accuracy_pct: $r.accuracy_pct,
                    by_violation_type: &$r.by_violation_type,
                    by_risk_level: &$r.by_risk_level,
                }
            };
        }
        match self {
            PeriodRow::Daily(r) => fields!(r),
            PeriodRow::Monthly(r) => fields!(r),
        }
    }
}

const PERIOD_CSV_HEADER: &[&str] = &[
    "bucket",
    "start",
    "end",
    "detections",
    "events",
    "critical",
    "enforcements",
    "false_positives",
    "accuracy_pct",
    "by_violation_type",
    "by_risk_level",
];

fn print_period_rows(rows: &[PeriodRow], period: &str, format: ListFormat) -> anyhow::Result<()> {
    match format {
        ListFormat::Table => {
            for r in rows.iter().map(PeriodRow::fields) {
                outln!(
                    "{}  detections {}  events {}  critical {}  enforcements {}  false positives {}  accuracy {}  by type: {}  by risk: {}",
                    r.bucket.label, r.detections, r.events, r.critical, r.enforcements, r.false_positives,
                    pct(r.accuracy_pct), counts(r.by_violation_type), counts(r.by_risk_level)
                );
            }
            outln!("{} {period} rows", rows.len());
        }
        ListFormat::Json => print_json(rows)?,
        ListFormat::Csv => {
            let csv_rows: Vec<Vec<String>> = rows
                .iter()
                .map(PeriodRow::fields)
                .map(|r| {
                    vec![
                        r.bucket.label.clone(),
                        ts(r.bucket.start),
                        ts(r.bucket.end),
                        r.detections.to_string(),
                        r.events.to_string(),
                        r.critical.to_string(),
                        r.enforcements.to_string(),
                        r.false_positives.to_string(),
                        r.accuracy_pct.map(|p| p.to_string()).unwrap_or_default(),
                        counts_cell(r.by_violation_type),
                        counts_cell(r.by_risk_level),
                    ]
                })
                .collect();
            print_csv(PERIOD_CSV_HEADER, &csv_rows)?;
        }
    }
    Ok(())
}
