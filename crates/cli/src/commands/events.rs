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
use crate::output::{print_csv, print_json, FormatArgs, ListFormat};

#[derive(clap::Args)]
pub(crate) struct EventsArgs {
    #[command(subcommand)]
    pub command: EventsCommand,
}

#[derive(clap::Subcommand)]
pub(crate) enum EventsCommand {
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
pub(crate) struct ListArgs {
    /// NEW, ACK, CONFIRMED, FALSE_POSITIVE, ENFORCED, CLOSED or WITHDRAWN.
    #[arg(long)]
    pub status: Option<String>,
    /// DARK_VESSEL, EEZ_INTRUSION, MMSI_ANOMALY, TRANSSHIPMENT, GEAR_VIOLATION, PAIR_TRAWL, HIGH_RISK.
    #[arg(long)]
    pub category: Option<String>,
    #[command(flatten)]
    pub format: FormatArgs,
}

#[derive(clap::Args)]
pub(crate) struct ShowArgs {
    pub id: String,
    #[arg(long)]
    pub json: bool,
}

#[derive(clap::Args)]
pub(crate) struct StepArgs {
    pub id: String,
    /// Who takes the step (default: $USER).
    #[arg(long)]
    pub actor: Option<String>,
    #[arg(long, default_value = "")]
    pub note: String,
    /// Time of the step (RFC 3339); default: the clock.
    #[arg(long, value_parser = crate::commands::report::parse_instant)]
    pub now: Option<DateTime<Utc>>,
    #[command(flatten)]
    pub out: OutputArgs,
}

#[derive(clap::Args)]
pub(crate) struct EnforceArgs {
    #[command(flatten)]
    pub step: StepArgs,
    /// What was done (e.g. boarding, warning, seizure).
    #[arg(long)]
    pub action: String,
}

pub(crate) fn run(args: EventsArgs, db: &DbArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        EventsCommand::List(a) => list(a, db),
        EventsCommand::Show(a) => show(a, db),
        EventsCommand::Ack(a) => step(a, db, Action::Ack, None),
        EventsCommand::Confirm(a) => step(a, db, Action::Confirm, None),
        EventsCommand::FalsePositive(a) => step(a, db, Action::FalsePositive, None),
        EventsCommand::Close(a) => step(a, db, Action::Close, None),
        EventsCommand::Enforce(a) => step(a.step, db, Action::Enforce, Some(a.action)),
    }
}

fn list(args: ListArgs, db: &DbArgs) -> anyhow::Result<ExitCode> {
    let status = args
        .status
        .as_deref()
        .map(|s| EventStatus::parse(&s.to_ascii_uppercase()).with_context(|| format!("--status {s}: unknown status")))
        .transpose()?;
    let category = args
        .category
        .as_deref()
        .map(|c| Category::parse(&c.to_ascii_uppercase()).with_context(|| format!("--category {c}: unknown category")))
        .transpose()?;
    let store = db.open()?;
    let events = store.list_events(&EventFilter { status, category, ..EventFilter::default() })?;
    match args.format.format() {
        ListFormat::Table => {
            for e in &events {
                outln!("{}", event_line(e));
            }
            outln!("{} events", events.len());
        }
        ListFormat::Json => print_json(&events)?,
        ListFormat::Csv => print_csv(EVENT_CSV_HEADER, &events.iter().map(event_csv_row).collect::<Vec<_>>())?,
    }
    Ok(ExitCode::SUCCESS)
}

const EVENT_CSV_HEADER: &[&str] = &[
    "id",
    "category",
    "level",
    "status",
    "vessels",
    "area",
    "occurred_at",
    "last_seen",
    "episode_start",
    "episode_end",
    "occurrences",
    "score",
    "labels",
];

/// The table's columns plus the episode and score; vessels joined by `+`, labels by `,`.
fn event_csv_row(e: &Event) -> Vec<String> {
    let vessels: Vec<&str> = e.vessels.iter().map(|v| v.as_str()).collect();
    let labels: Vec<&str> = e.labels.iter().map(|l| l.as_str()).collect();
    vec![
        e.id.clone(),
        e.category.as_str().to_string(),
        e.level.as_str().to_string(),
        e.status.as_str().to_string(),
        vessels.join("+"),
        e.area.clone(),
        ts(e.occurred_at),
        ts(e.last_seen),
        ts(e.episode_start),
        ts(e.episode_end),
        e.occurrences.to_string(),
        e.score.map(|s| s.to_string()).unwrap_or_default(),
        labels.join(","),
    ]
}

/// One line per event: id, category, level, status, vessels, area, time, labels.
pub(crate) fn event_line(e: &Event) -> String {
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

fn show(args: ShowArgs, db: &DbArgs) -> anyhow::Result<ExitCode> {
    let store = db.open()?;
    let Some(e) = store.events_by_ids(std::slice::from_ref(&args.id))?.into_iter().next() else {
        anyhow::bail!("no event with id '{}'", args.id);
    };
    let enforcements = store.event_enforcements(&e.id)?;
    if args.json {
        let v = serde_json::json!({ "event": e, "enforcements": enforcements });
        outln!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(ExitCode::SUCCESS);
    }
    outln!("{}", event_line(&e));
    outln!("key: {}", e.key);
    outln!("episode: {} .. {}", ts(e.episode_start), ts(e.episode_end));
    if let Some(s) = e.score {
        outln!("score: {s}");
    }
    for (detector, ev) in &e.evidence {
        outln!("evidence {detector}: {ev}");
    }
    outln!("history:");
    for h in &e.history {
        let from = h.from.map(|s| s.as_str()).unwrap_or("-");
        outln!("  {}  {} -> {}  by {}  {}", ts(h.at), from, h.to.as_str(), h.actor, h.note);
    }
    for x in &enforcements {
        outln!("enforcement: {} by {} at {}  {}", x.action, x.actor, ts(x.at), x.note);
    }
    Ok(ExitCode::SUCCESS)
}

fn step(args: StepArgs, db: &DbArgs, action: Action, enforcement: Option<String>) -> anyhow::Result<ExitCode> {
    let cfg = args.out.config()?;
    let mut store = db.open()?;
    let actor = args.actor.clone().unwrap_or_else(actor);
    let now = now_or_clock(args.now);
    match outputs::event_action(store.as_mut(), &args.id, action, &actor, &args.note, enforcement.as_deref(), now, &cfg)
    {
        Ok((e, report)) => {
            outln!("{}", event_line(&e));
            for line in report_lines(&report) {
                outln!("{line}");
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
