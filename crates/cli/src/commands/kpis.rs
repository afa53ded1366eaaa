//! `lookout kpis` and `lookout stats hourly|daily|monthly`.

use std::process::ExitCode;

use chrono::{DateTime, Duration, Utc};
use lookout_engine::outputs;
use lookout_pipeline::Kpis;

use super::common::DbArgs;
use super::outputs_common::{ts, OutputArgs};

#[derive(clap::Args)]
pub struct KpisArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// Recompute (and store) the KPIs at this time; default: show the latest snapshot.
    #[arg(long)]
    pub now: Option<DateTime<Utc>>,
    #[command(flatten)]
    pub out: OutputArgs,
    #[arg(long)]
    pub json: bool,
}

/// The KPI block the demo and `lookout kpis` print.
pub fn kpi_lines(k: &Kpis) -> Vec<String> {
    let mut out = vec![format!(
        "KPIs at {} (today = {} local)",
        ts(k.at),
        k.today.label
    )];
    out.extend(k.values().iter().map(|(n, v)| format!("  {n:<22} {v}")));
    out
}

pub fn run(args: KpisArgs) -> anyhow::Result<ExitCode> {
    let mut store = args.db.open()?;
    let k = match args.now {
        Some(now) => Some(outputs::kpis_stage(store.as_mut(), now, &args.out.tz()?)?),
        None => store.kpis()?,
    };
    let Some(k) = k else {
        println!("no KPIs yet: run `lookout analyze` (or pass --now)");
        return Ok(ExitCode::SUCCESS);
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&k)?);
    } else {
        for line in kpi_lines(&k) {
            println!("{line}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Period {
    Hourly,
    Daily,
    Monthly,
}

#[derive(clap::Args)]
pub struct StatsArgs {
    #[arg(value_enum)]
    pub period: Period,
    #[command(flatten)]
    pub db: DbArgs,
    /// Buckets starting at or after this (RFC 3339); default: all.
    #[arg(long)]
    pub from: Option<DateTime<Utc>>,
    /// Buckets starting before this (RFC 3339); default: all.
    #[arg(long)]
    pub to: Option<DateTime<Utc>>,
    #[arg(long)]
    pub json: bool,
}

fn counts(m: &std::collections::BTreeMap<String, u64>) -> String {
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

pub fn run_stats(args: StatsArgs) -> anyhow::Result<ExitCode> {
    let store = args.db.open()?;
    // Wide defaults: every stored bucket (years either side of any AIS data).
    let from = args.from.unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
    let to = args
        .to
        .unwrap_or_else(|| DateTime::<Utc>::UNIX_EPOCH + Duration::days(365 * 200));
    match args.period {
        Period::Hourly => {
            let rows = store.hourly_stats(from, to)?;
            if args.json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                for r in &rows {
                    println!(
                        "{}  detections {}  events {}  critical {}  by risk: {}",
                        r.bucket.label,
                        r.detections,
                        r.events,
                        r.critical,
                        counts(&r.by_risk_level)
                    );
                }
                println!("{} hourly rows", rows.len());
            }
        }
        Period::Daily => {
            let rows = store.daily_stats(from, to)?;
            if args.json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                for r in &rows {
                    println!(
                        "{}  detections {}  events {}  critical {}  enforcements {}  false positives {}  accuracy {}  by type: {}  by risk: {}",
                        r.bucket.label, r.detections, r.events, r.critical, r.enforcements, r.false_positives,
                        pct(r.accuracy_pct), counts(&r.by_violation_type), counts(&r.by_risk_level)
                    );
                }
                println!("{} daily rows", rows.len());
            }
        }
        Period::Monthly => {
            let rows = store.monthly_stats(from, to)?;
            if args.json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                for r in &rows {
                    println!(
                        "{}  detections {}  events {}  critical {}  enforcements {}  false positives {}  accuracy {}  by type: {}  by risk: {}",
                        r.bucket.label, r.detections, r.events, r.critical, r.enforcements, r.false_positives,
                        pct(r.accuracy_pct), counts(&r.by_violation_type), counts(&r.by_risk_level)
                    );
                }
                println!("{} monthly rows", rows.len());
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
