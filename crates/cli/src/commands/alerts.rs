//! `lookout alerts list|tick`, `lookout silences add|list|expire`, `lookout outbox list|deliver`.

use std::process::ExitCode;

use anyhow::Context;
use chrono::{DateTime, Utc};
use lookout_engine::outputs;
use lookout_pipeline::{AlertStatus, Matcher, Silence};

use super::common::DbArgs;
use super::outputs_common::{now_or_clock, report_lines, ts, OutputArgs};
use super::report::parse_duration;

#[derive(clap::Args)]
pub struct AlertsArgs {
    #[command(subcommand)]
    pub command: AlertsCommand,
}

#[derive(clap::Subcommand)]
pub enum AlertsCommand {
    /// Alerts (firing by default), with the silences holding them.
    List {
        #[command(flatten)]
        db: DbArgs,
        /// Resolved alerts too.
        #[arg(long)]
        all: bool,
        #[arg(long)]
        json: bool,
    },
    /// One dispatcher tick at --now (groups due since the last cycle notify), then the
    /// KPIs and a delivery pass.
    Tick {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        now: Option<DateTime<Utc>>,
        #[command(flatten)]
        out: OutputArgs,
    },
}

pub fn run(args: AlertsArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        AlertsCommand::List { db, all, json } => {
            let store = db.open()?;
            let state = store.dispatch_state()?;
            let alerts: Vec<_> = state
                .alerts
                .into_values()
                .filter(|a| all || a.status == AlertStatus::Firing)
                .collect();
            if json {
                println!("{}", serde_json::to_string_pretty(&alerts)?);
                return Ok(ExitCode::SUCCESS);
            }
            for a in &alerts {
                let label = |k: &str| a.labels.get(k).map(String::as_str).unwrap_or("");
                let silenced = if a.silenced_by.is_empty() {
                    String::new()
                } else {
                    format!("  silenced by {}", a.silenced_by.join(","))
                };
                println!(
                    "{}  {:<8} {:<14} {:<8} {:<20} area {:<9} since {}{}",
                    a.fingerprint,
                    a.status.as_str(),
                    label("category"),
                    label("level"),
                    label("vessel"),
                    label("area"),
                    ts(a.starts_at),
                    silenced
                );
            }
            println!("{} alerts", alerts.len());
            Ok(ExitCode::SUCCESS)
        }
        AlertsCommand::Tick { db, now, out } => {
            let cfg = out.config()?;
            let mut sinks = out.sinks()?;
            let mut store = db.open()?;
            let now = now_or_clock(now);
            let report = outputs::tick(store.as_mut(), now, &cfg);
            for line in report_lines(&report) {
                println!("{line}");
            }
            let d = outputs::deliver(store.as_mut(), &mut sinks, now)?;
            println!(
                "delivery: {} delivered, {} failed, {} waiting",
                d.delivered, d.failed, d.waiting
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

#[derive(clap::Args)]
pub struct SilencesArgs {
    #[command(subcommand)]
    pub command: SilencesCommand,
}

#[derive(clap::Subcommand)]
pub enum SilencesCommand {
    /// Mutes alerts whose labels match every matcher (`category=DARK_VESSEL`,
    /// `vessel!=123`, `area=~N35.*`, `level!~LOW|MEDIUM`).
    Add {
        #[command(flatten)]
        db: DbArgs,
        #[arg(required = true)]
        matchers: Vec<String>,
        #[arg(long)]
        author: String,
        #[arg(long)]
        comment: String,
        /// End (RFC 3339) ...
        #[arg(long, conflicts_with = "duration")]
        ends: Option<DateTime<Utc>>,
        /// ... or length from the start (e.g. 2h, 1d).
        #[arg(long, value_parser = parse_duration)]
        duration: Option<chrono::Duration>,
        /// Start (RFC 3339); default: now.
        #[arg(long)]
        starts: Option<DateTime<Utc>>,
        #[arg(long)]
        now: Option<DateTime<Utc>>,
    },
    /// Every silence with its state at --now.
    List {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        now: Option<DateTime<Utc>>,
    },
    /// Ends a silence at --now.
    Expire {
        #[command(flatten)]
        db: DbArgs,
        id: String,
        #[arg(long)]
        now: Option<DateTime<Utc>>,
    },
}

fn silence_line(s: &Silence, now: DateTime<Utc>) -> String {
    let state = if s.is_active(now) {
        "active"
    } else if now < s.starts_at {
        "pending"
    } else {
        "expired"
    };
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

pub fn run_silences(args: SilencesArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        SilencesCommand::Add {
            db,
            matchers,
            author,
            comment,
            ends,
            duration,
            starts,
            now,
        } => {
            let now = now_or_clock(now);
            let starts = starts.unwrap_or(now);
            let ends = match (ends, duration) {
                (Some(e), _) => e,
                (None, Some(d)) => starts + d,
                (None, None) => anyhow::bail!("give --ends TIME or --duration LENGTH"),
            };
            let matchers = matchers
                .iter()
                .map(|m| Matcher::parse(m))
                .collect::<Result<Vec<_>, _>>()?;
            let silence = Silence::new(matchers, starts, ends, &author, &comment)?;
            let mut store = db.open()?;
            store.put_silence(&silence)?;
            println!("{}", silence_line(&silence, now));
            Ok(ExitCode::SUCCESS)
        }
        SilencesCommand::List { db, now } => {
            let now = now_or_clock(now);
            let store = db.open()?;
            let silences = store.silences()?;
            for s in &silences {
                println!("{}", silence_line(s, now));
            }
            println!("{} silences", silences.len());
            Ok(ExitCode::SUCCESS)
        }
        SilencesCommand::Expire { db, id, now } => {
            let now = now_or_clock(now);
            let mut store = db.open()?;
            let mut s = store
                .silences()?
                .into_iter()
                .find(|s| s.id == id)
                .with_context(|| format!("no silence with id '{id}'"))?;
            s.expire(now);
            store.put_silence(&s)?;
            println!("{}", silence_line(&s, now));
            Ok(ExitCode::SUCCESS)
        }
    }
}

#[derive(clap::Args)]
pub struct OutboxArgs {
    #[command(subcommand)]
    pub command: OutboxCommand,
}

#[derive(clap::Subcommand)]
pub enum OutboxCommand {
    /// Notifications per sink with attempts and delivery state.
    List {
        #[command(flatten)]
        db: DbArgs,
        /// Undelivered rows only.
        #[arg(long)]
        pending: bool,
    },
    /// One delivery pass over due rows to the configured sinks.
    Deliver {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        now: Option<DateTime<Utc>>,
        #[command(flatten)]
        out: OutputArgs,
    },
}

pub fn run_outbox(args: OutboxArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        OutboxCommand::List { db, pending } => {
            let store = db.open()?;
            let rows = store.outbox(pending)?;
            for r in &rows {
                let state = match r.delivered_at {
                    Some(t) => format!("delivered {}", ts(t)),
                    None => format!("pending, next attempt {}", ts(r.next_attempt_at)),
                };
                let err = r
                    .last_error
                    .as_deref()
                    .map(|e| format!("  last error: {e}"))
                    .unwrap_or_default();
                println!(
                    "{:>4}  {:<7} {}  attempts {}  {}{}",
                    r.seq, r.sink, r.notification_id, r.attempts, state, err
                );
            }
            println!("{} rows", rows.len());
            Ok(ExitCode::SUCCESS)
        }
        OutboxCommand::Deliver { db, now, out } => {
            let mut sinks = out.sinks()?;
            let mut store = db.open()?;
            let d = outputs::deliver(store.as_mut(), &mut sinks, now_or_clock(now))?;
            println!(
                "delivery: {} delivered, {} failed, {} waiting",
                d.delivered, d.failed, d.waiting
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}
