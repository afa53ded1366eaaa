//! `lookout events list|show|ack|confirm|false-positive|enforce|close`.

use std::process::ExitCode;

use anyhow::Context;
use chrono::{DateTime, Utc};
use lookout_engine::outputs::{self, OutputError};
use lookout_pipeline::lifecycle::Action;
use lookout_pipeline::{Category, Event, EventStatus};
use lookout_store::EventFilter;

use super::analyze::actor;
use super::common::DbArgs;
use super::outputs_common::{now_or_clock, report_lines, ts, OutputArgs};

#[derive(clap::Args)]
pub struct EventsArgs {
    #[command(subcommand)]
    pub command: EventsCommand,
}

#[derive(clap::Subcommand)]
pub enum EventsCommand {
    /// Events, by id; filter by status and category.
    List(ListArgs),
    /// One event with its evidence, history and enforcement records.
    Show(ShowArgs),
    /// NEW → ACK.
    Ack(StepArgs),
    /// ACK → CONFIRMED.
    Confirm(StepArgs),
    /// ACK → FALSE_POSITIVE.
    FalsePositive(StepArgs),
    /// ACK | CONFIRMED → ENFORCED, with what was done (--action).
    Enforce(EnforceArgs),
    /// CONFIRMED | FALSE_POSITIVE | ENFORCED → CLOSED.
    Close(StepArgs),
}

#[derive(clap::Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// NEW, ACK, CONFIRMED, FALSE_POSITIVE, ENFORCED, CLOSED or WITHDRAWN.
    #[arg(long)]
    pub status: Option<String>,
    /// DARK_VESSEL, EEZ_INTRUSION, MMSI_ANOMALY, TRANSSHIPMENT, GEAR_VIOLATION, PAIR_TRAWL, HIGH_RISK.
    #[arg(long)]
    pub category: Option<String>,
    /// One JSON array instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(clap::Args)]
pub struct ShowArgs {
    #[command(flatten)]
    pub db: DbArgs,
    pub id: String,
    #[arg(long)]
    pub json: bool,
}

#[derive(clap::Args)]
pub struct StepArgs {
    #[command(flatten)]
    pub db: DbArgs,
    pub id: String,
    /// Who takes the step (default: $USER).
    #[arg(long)]
    pub actor: Option<String>,
    #[arg(long, default_value = "")]
    pub note: String,
    /// Time of the step (RFC 3339); default: the clock.
    #[arg(long)]
    pub now: Option<DateTime<Utc>>,
    #[command(flatten)]
    pub out: OutputArgs,
}

#[derive(clap::Args)]
pub struct EnforceArgs {
    #[command(flatten)]
    pub step: StepArgs,
    /// What was done (e.g. boarding, warning, seizure).
    #[arg(long)]
    pub action: String,
}

pub fn run(args: EventsArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        EventsCommand::List(a) => list(a),
        EventsCommand::Show(a) => show(a),
        EventsCommand::Ack(a) => step(a, Action::Ack, None),
        EventsCommand::Confirm(a) => step(a, Action::Confirm, None),
        EventsCommand::FalsePositive(a) => step(a, Action::FalsePositive, None),
        EventsCommand::Close(a) => step(a, Action::Close, None),
        EventsCommand::Enforce(a) => step(a.step, Action::Enforce, Some(a.action)),
    }
}

fn list(args: ListArgs) -> anyhow::Result<ExitCode> {
    let status = args
        .status
        .as_deref()
        .map(|s| {
            EventStatus::parse(&s.to_ascii_uppercase())
                .with_context(|| format!("--status {s}: unknown status"))
        })
        .transpose()?;
    let category = args
        .category
        .as_deref()
        .map(|c| {
            Category::parse(&c.to_ascii_uppercase())
                .with_context(|| format!("--category {c}: unknown category"))
        })
        .transpose()?;
    let store = args.db.open()?;
    let events = store.list_events(&EventFilter {
        status,
        category,
        ..EventFilter::default()
    })?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&events)?);
        return Ok(ExitCode::SUCCESS);
    }
    for e in &events {
        println!("{}", event_line(e));
    }
    println!("{} events", events.len());
    Ok(ExitCode::SUCCESS)
}

/// One line per event: id, category, level, status, vessels, area, time, labels.
pub fn event_line(e: &Event) -> String {
    let vessels: Vec<&str> = e.vessels.iter().map(|v| v.as_str()).collect();
    let labels: Vec<&str> = e.labels.iter().map(|l| l.as_str()).collect();
    format!(
        "{}  {:<14} {:<8} {:<14} {:<20} area {:<9} occurred {}  seen {}x  [{}]",
        e.id,
        e.category.as_str(),
        e.level.as_str(),
        e.status.as_str(),
        vessels.join("+"),
        e.area,
        ts(e.occurred_at),
        e.occurrences,
        labels.join(",")
    )
}

fn show(args: ShowArgs) -> anyhow::Result<ExitCode> {
    let store = args.db.open()?;
    let Some(e) = store
        .events_by_ids(std::slice::from_ref(&args.id))?
        .into_iter()
        .next()
    else {
        anyhow::bail!("no event with id '{}'", args.id);
    };
    let enforcements = store.event_enforcements(&e.id)?;
    if args.json {
        let v = serde_json::json!({ "event": e, "enforcements": enforcements });
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!("{}", event_line(&e));
    println!("key: {}", e.key);
    println!("episode: {} .. {}", ts(e.episode_start), ts(e.episode_end));
    if let Some(s) = e.score {
        println!("score: {s}");
    }
    for (detector, ev) in &e.evidence {
        println!("evidence {detector}: {ev}");
    }
    println!("history:");
    for h in &e.history {
        let from = h.from.map(|s| s.as_str()).unwrap_or("-");
        println!(
            "  {}  {} -> {}  by {}  {}",
            ts(h.at),
            from,
            h.to.as_str(),
            h.actor,
            h.note
        );
    }
    for x in &enforcements {
        println!(
            "enforcement: {} by {} at {}  {}",
            x.action,
            x.actor,
            ts(x.at),
            x.note
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn step(args: StepArgs, action: Action, enforcement: Option<String>) -> anyhow::Result<ExitCode> {
    let cfg = args.out.config()?;
    let mut store = args.db.open()?;
    let actor = args.actor.clone().unwrap_or_else(actor);
    let now = now_or_clock(args.now);
    match outputs::event_action(
        store.as_mut(),
        &args.id,
        action,
        &actor,
        &args.note,
        enforcement.as_deref(),
        now,
        &cfg,
    ) {
        Ok((e, report)) => {
            println!("{}", event_line(&e));
            for line in report_lines(&report) {
                println!("{line}");
            }
            Ok(ExitCode::SUCCESS)
        }
        // A refused step is the analyst's error, said plainly.
        Err(e @ (OutputError::Pipeline(_) | OutputError::NoSuchEvent(_))) => {
            eprintln!("lookout: {e}");
            Ok(ExitCode::FAILURE)
        }
        Err(e) => Err(e.into()),
    }
}
