//! `lookout alerts list|tick`, `lookout silences add|list|expire`, `lookout outbox list|deliver`.

use std::process::ExitCode;

use anyhow::Context;
use chrono::{DateTime, Utc};
use lookout_engine::outputs;
use lookout_pipeline::{AlertStatus, Matcher, Silence};

use super::common::DbArgs;
use super::outputs_common::{now_or_clock, report_lines, ts, OutputArgs};
use super::report::parse_duration;
use crate::output::{print_csv, print_json, FormatArgs, ListFormat};

#[derive(clap::Args)]
pub(crate) struct AlertsArgs {
    #[command(subcommand)]
    pub command: AlertsCommand,
}

#[derive(clap::Subcommand)]
pub(crate) enum AlertsCommand {
    /// Alerts (firing by default), with the silences holding them.
    List {
        /// Resolved alerts too.
        #[arg(long)]
        all: bool,
        #[command(flatten)]
        format: FormatArgs,
    },
    /// One dispatcher tick at --now (groups due since the last cycle notify), then the
    /// KPIs and a delivery pass.
    Tick {
        #[arg(long, value_parser = crate::commands::report::parse_instant)]
        now: Option<DateTime<Utc>>,
        #[command(flatten)]
        out: OutputArgs,
    },
}

pub(crate) fn run(args: AlertsArgs, db: &DbArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        AlertsCommand::List { all, format } => {
            let store = db.open()?;
            let state = store.dispatch_state()?;
            let alerts: Vec<_> =
                state.alerts.into_values().filter(|a| all || a.status == AlertStatus::Firing).collect();
            match format.format() {
                ListFormat::Table => {
                    for a in &alerts {
                        outln!("{}", alert_line(a));
                    }
                    outln!("{} alerts", alerts.len());
                }
                ListFormat::Json => print_json(&alerts)?,
                ListFormat::Csv => print_csv(ALERT_CSV_HEADER, &alerts.iter().map(alert_csv_row).collect::<Vec<_>>())?,
            }
            Ok(ExitCode::SUCCESS)
        }
        AlertsCommand::Tick { now, out } => {
            let cfg = out.config()?;
            let mut sinks = out.sinks()?;
            let mut store = db.open()?;
            let now = now_or_clock(now);
            let report = outputs::tick(store.as_mut(), now, &cfg);
            for line in report_lines(&report) {
                outln!("{line}");
            }
            let d = outputs::deliver(store.as_mut(), &mut sinks, now)?;
            outln!("delivery: {} delivered, {} failed, {} waiting", d.delivered, d.failed, d.waiting);
            Ok(ExitCode::SUCCESS)
        }
    }
}

#[derive(clap::Args)]
pub(crate) struct SilencesArgs {
    /// The time silences are judged at (RFC 3339); default: the clock. Also the default
    /// start of `add` and the end of `expire`.
    #[arg(long, value_parser = crate::commands::report::parse_instant, global = true)]
    pub now: Option<DateTime<Utc>>,
    #[command(subcommand)]
    pub command: SilencesCommand,
}

#[derive(clap::Subcommand)]
pub(crate) enum SilencesCommand {
    /// Mutes alerts whose labels match every matcher (`category=DARK_VESSEL`,
    /// `vessel!=123`, `area=~N35.*`, `level!~LOW|MEDIUM`).
    Add {
        #[arg(required = true)]
        matchers: Vec<String>,
        #[arg(long)]
        author: String,
        #[arg(long)]
        comment: String,
        /// End (RFC 3339) ...
        #[arg(long, value_parser = crate::commands::report::parse_instant, conflicts_with = "duration")]
        ends: Option<DateTime<Utc>>,
        /// ... or length from the start (e.g. 2h, 1d).
        #[arg(long, value_parser = parse_duration)]
        duration: Option<chrono::Duration>,
        /// Start (RFC 3339); default: now.
        #[arg(long, value_parser = crate::commands::report::parse_instant)]
        starts: Option<DateTime<Utc>>,
    },
    /// Every silence with its state at --now.
    List {
        #[command(flatten)]
        format: FormatArgs,
    },
    /// Ends a silence at --now.
    Expire { id: String },
}

/// `active`, `pending` (not started) or `expired` at `now`.
fn silence_state(s: &Silence, now: DateTime<Utc>) -> &'static str {
    if s.is_active(now) {
        "active"
    } else if now < s.starts_at {
        "pending"
    } else {
        "expired"
    }
}

fn silence_line(s: &Silence, now: DateTime<Utc>) -> String {
    let state = silence_state(s, now);
    let m: Vec<String> = s.matchers.iter().map(|m| m.to_string()).collect();
    format!(
        "{}  {:<7} {} .. {}  {}  by {}: {}",
        s.id,
        state,
        ts(s.starts_at),
        ts(s.ends_at),
        m.join(","),
        s.created_by,
        s.comment
    )
}

pub(crate) fn run_silences(args: SilencesArgs, db: &DbArgs) -> anyhow::Result<ExitCode> {
    let now = args.now;
    match args.command {
        SilencesCommand::Add { matchers, author, comment, ends, duration, starts } => {
            let now = now_or_clock(now);
            let starts = starts.unwrap_or(now);
            let ends = match (ends, duration) {
                (Some(e), _) => e,
                (None, Some(d)) => starts + d,
                (None, None) => anyhow::bail!("give --ends TIME or --duration LENGTH"),
            };
            let matchers = matchers.iter().map(|m| Matcher::parse(m)).collect::<Result<Vec<_>, _>>()?;
            let silence = Silence::new(matchers, starts, ends, &author, &comment)?;
            let mut store = db.open()?;
            store.put_silence(&silence)?;
            outln!("{}", silence_line(&silence, now));
            Ok(ExitCode::SUCCESS)
        }
        SilencesCommand::List { format } => {
            let now = now_or_clock(now);
            let store = db.open()?;
            let silences = store.silences()?;
            match format.format() {
                ListFormat::Table => {
                    for s in &silences {
                        outln!("{}", silence_line(s, now));
                    }
                    outln!("{} silences", silences.len());
                }
                ListFormat::Json => {
                    let rows = silences.iter().map(|s| silence_json(s, now)).collect::<anyhow::Result<Vec<_>>>()?;
                    print_json(&rows)?;
                }
                ListFormat::Csv => {
                    let rows: Vec<Vec<String>> = silences.iter().map(|s| silence_csv_row(s, now)).collect();
                    print_csv(SILENCE_CSV_HEADER, &rows)?;
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        SilencesCommand::Expire { id } => {
            let now = now_or_clock(now);
            let mut store = db.open()?;
            let mut s = store
                .silences()?
                .into_iter()
                .find(|s| s.id == id)
                .with_context(|| format!("no silence with id '{id}'"))?;
            s.expire(now);
            store.put_silence(&s)?;
            outln!("{}", silence_line(&s, now));
            Ok(ExitCode::SUCCESS)
        }
    }
}

#[derive(clap::Args)]
pub(crate) struct OutboxArgs {
    #[command(subcommand)]
    pub command: OutboxCommand,
}

#[derive(clap::Subcommand)]
pub(crate) enum OutboxCommand {
    /// Notifications per sink with attempts and delivery state.
    List {
        /// Undelivered rows only.
        #[arg(long)]
        pending: bool,
    },
    /// One delivery pass over due rows to the configured sinks.
    Deliver {
        #[arg(long, value_parser = crate::commands::report::parse_instant)]
        now: Option<DateTime<Utc>>,
        #[command(flatten)]
        out: OutputArgs,
    },
}

pub(crate) fn run_outbox(args: OutboxArgs, db: &DbArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        OutboxCommand::List { pending } => {
            let store = db.open()?;
            let rows = store.outbox(pending)?;
            for r in &rows {
                let state = match r.delivered_at {
                    Some(t) => format!("delivered {}", ts(t)),
                    None => format!("pending, next attempt {}", ts(r.next_attempt_at)),
                };
                let err = r.last_error.as_deref().map(|e| format!("  last error: {e}")).unwrap_or_default();
                outln!("{:>4}  {:<7} {}  attempts {}  {}{}", r.seq, r.sink, r.notification_id, r.attempts, state, err);
            }
            outln!("{} rows", rows.len());
            Ok(ExitCode::SUCCESS)
        }
        OutboxCommand::Deliver { now, out } => {
            let mut sinks = out.sinks()?;
            let mut store = db.open()?;
            let d = outputs::deliver(store.as_mut(), &mut sinks, now_or_clock(now))?;
            outln!("delivery: {} delivered, {} failed, {} waiting", d.delivered, d.failed, d.waiting);
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// One line per alert: fingerprint, status, labels, start, the silences holding it.
fn alert_line(a: &lookout_pipeline::Alert) -> String {
    let label = |k: &str| a.labels.get(k).map(String::as_str).unwrap_or("");
    let silenced =
        if a.silenced_by.is_empty() { String::new() } else { format!("  silenced by {}", a.silenced_by.join(",")) };
    format!(
        "{}  {:<8} {:<14} {:<8} {:<20} area {:<9} since {}{}",
        a.fingerprint,
        a.status.as_str(),
        label("category"),
        label("level"),
        label("vessel"),
        label("area"),
        ts(a.starts_at),
        silenced
    )
}

const ALERT_CSV_HEADER: &[&str] = &[
    "fingerprint",
    "status",
    "category",
    "level",
    "vessel",
    "area",
    "starts_at",
    "ends_at",
    "event_id",
    "silenced_by",
    "group_key",
];

/// The table's columns plus the end, event and group; several silences joined by `,`.
fn alert_csv_row(a: &lookout_pipeline::Alert) -> Vec<String> {
    let label = |k: &str| a.labels.get(k).cloned().unwrap_or_default();
    vec![
        a.fingerprint.clone(),
        a.status.as_str().to_string(),
        label("category"),
        label("level"),
        label("vessel"),
        label("area"),
        ts(a.starts_at),
        a.ends_at.map(ts).unwrap_or_default(),
        a.event_id.clone(),
        a.silenced_by.join(","),
        a.group_key.clone(),
    ]
}

const SILENCE_CSV_HEADER: &[&str] = &["id", "state", "starts_at", "ends_at", "matchers", "created_by", "comment"];

/// Matchers written as in `silences add`, joined by `,`.
fn silence_csv_row(s: &Silence, now: DateTime<Utc>) -> Vec<String> {
    let m: Vec<String> = s.matchers.iter().map(|m| m.to_string()).collect();
    vec![
        s.id.clone(),
        silence_state(s, now).to_string(),
        ts(s.starts_at),
        ts(s.ends_at),
        m.join(","),
        s.created_by.clone(),
        s.comment.clone(),
    ]
}

/// The stored silence with its `state` at `now` added after the id.
fn silence_json(s: &Silence, now: DateTime<Utc>) -> anyhow::Result<serde_json::Value> {
    let mut v = serde_json::Map::new();
    v.insert("id".into(), s.id.clone().into());
    v.insert("state".into(), silence_state(s, now).into());
    if let serde_json::Value::Object(fields) = serde_json::to_value(s)? {
        v.extend(fields.into_iter().filter(|(k, _)| k != "id"));
    }
    Ok(serde_json::Value::Object(v))
}
