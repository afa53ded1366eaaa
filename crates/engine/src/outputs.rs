//! The output pipeline over the store: after every analysis cycle, the stages of
//! `lookout-pipeline` (pure logic) read what they need from the store and write their
//! output back, each stage in one transaction:
//!
//! 1. **events** — the cycle's findings → deduplicated events (against the stored ones),
//!    withdrawal of episodes the re-run window no longer reports;
//! 2. **labels** — violation labels of the events the cycle's findings touch;
//! 3. **stats** — the touched hourly, daily and monthly buckets recomputed from source
//!    (cycles' findings, events, enforcements) and replaced; hourly rows older than 48 h
//!    pruned;
//! 4. **alerts** — one dispatcher tick with the stored state and silences; notifications
//!    are enqueued in the outbox (one row per configured sink) in the same transaction
//!    as the new state, so a crash never loses or doubles one;
//! 5. **kpis** — the six KPIs at `now`. Last, unlike the reference, because
//!    `alerts_today` counts the alerts this very run starts: computed before the alerts
//!    stage, a second run over the same cycle would change the KPIs.
//!
//! Every stage runs under [`RunReport::run`]: an error or panic is logged and reported
//! and the next stage runs. Each stage reads its inputs from the store rather than from
//! the previous stage, so re-running after a crash between stages (or running twice)
//! converges to the same rows. "Now" is always an argument (the injected clock).
//!
//! [`deliver`] is the separate delivery pass over the outbox.

use std::collections::{BTreeMap, BTreeSet};

use chrono::Duration;
use chrono_tz::Tz;
use lookout_model::{Finding, Timestamp};
use lookout_pipeline::alert::{self, AlertStatus};
use lookout_pipeline::classify::labels_for;
use lookout_pipeline::delivery::{deliver_due, DeliveryReport, OutboxItem, Sink};
use lookout_pipeline::event::{self, candidate, fnv1a_hex};
use lookout_pipeline::lifecycle::{self, Action};
use lookout_pipeline::zone::{day_of, month_of};
use lookout_pipeline::{kpi, stats, CycleWindow, Event, EventStatus, Kpis, PipelineConfig, PipelineError, RunReport};
use lookout_store::{CycleKey, EventFilter, Retention, Store, StoreError};

/// Errors of one stage (reported, never fatal to the others) or of an analyst's action.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
    #[error("no event with id '{0}'")]
    NoSuchEvent(String),
}

impl From<lifecycle::LifecycleError> for OutputError {
    fn from(e: lifecycle::LifecycleError) -> Self {
        OutputError::Pipeline(e.into())
    }
}

/// The stages, in the order they run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stage {
    Events,
    Labels,
    Stats,
    Alerts,
    Kpis,
}

impl Stage {
    /// Every stage, in order.
    pub const ALL: [Stage; 5] = [Stage::Events, Stage::Labels, Stage::Stats, Stage::Alerts, Stage::Kpis];

    /// The name in reports and logs.
    pub fn name(self) -> &'static str {
        match self {
            Stage::Events => "events",
            Stage::Labels => "labels",
            Stage::Kpis => "kpis",
            Stage::Stats => "stats",
            Stage::Alerts => "alerts",
        }
    }
}

/// What the runner needs besides the store and the clock.
#[derive(Clone, Debug, PartialEq)]
pub struct OutputConfig {
    pub pipeline: PipelineConfig,
    /// Sinks notifications are enqueued for (`log`, `webhook`, `nats`), in this order.
    pub sinks: Vec<String>,
    /// `receiver` of the Alertmanager webhook payload.
    pub receiver: String,
}

impl Default for OutputConfig {
    fn default() -> Self {
        OutputConfig { pipeline: PipelineConfig::default(), sinks: vec!["log".into()], receiver: "lookout".into() }
    }
}

fn window_of(key: &CycleKey) -> CycleWindow {
    CycleWindow { start: key.window_start, end: key.window_end }
}

/// Runs every stage after the cycle `key` at `now`.
pub fn run_after_cycle(store: &mut dyn Store, key: &CycleKey, now: Timestamp, cfg: &OutputConfig) -> RunReport {
    run_stages(store, key, now, cfg, &Stage::ALL)
}

/// Runs the given stages (in pipeline order) after the cycle `key` at `now`. Tests use a
/// prefix of [`Stage::ALL`] to stand for a crash between stages.
pub fn run_stages(
    store: &mut dyn Store,
    key: &CycleKey,
    now: Timestamp,
    cfg: &OutputConfig,
    stages: &[Stage],
) -> RunReport {
    let mut report = RunReport::default();
    let tz = match cfg.pipeline.tz() {
        Ok(tz) => tz,
        Err(e) => {
            // Without a zone no stage can run; say so once per stage, as failures.
            for s in stages {
                report.run(s.name(), || Err::<((), String), _>(e.clone()));
            }
            return report;
        }
    };
    let mut todo: Vec<Stage> = stages.to_vec();
    todo.sort();
    todo.dedup();
    for stage in todo {
        match stage {
            Stage::Events => report.run(stage.name(), || events_stage(store, key, now, cfg, &tz)),
            Stage::Labels => report.run(stage.name(), || labels_stage(store, key, cfg, &tz)),
            Stage::Kpis => report.run(stage.name(), || kpis_stage(store, now, &tz).map(|k| ((), kpi_line(&k)))),
            Stage::Stats => report.run(stage.name(), || stats_stage(store, Some(key), [key.window_end, now], now, &tz)),
            Stage::Alerts => report.run(stage.name(), || alerts_stage(store, now, cfg)),
        };
    }
    report
}

/// A dispatcher tick without a cycle (the dispatcher loop; the demo's replay of time),
/// then the KPIs, whose `alerts_today` it may change.
pub fn tick(store: &mut dyn Store, now: Timestamp, cfg: &OutputConfig) -> RunReport {
    let mut report = RunReport::default();
    report.run("alerts", || alerts_stage(store, now, cfg));
    report.run("kpis", || {
        let tz = cfg.pipeline.tz()?;
        kpis_stage(store, now, &tz).map(|k| ((), kpi_line(&k)))
    });
    report
}

fn kpi_line(k: &Kpis) -> String {
    let parts: Vec<String> = k.values().iter().map(|(n, v)| format!("{n}={v}")).collect();
    parts.join(" ")
}

/// Event ids the findings of a cycle call for, with those findings.
fn findings_by_event<'a>(findings: &'a [Finding], cfg: &PipelineConfig, tz: &Tz) -> BTreeMap<String, Vec<&'a Finding>> {
    let mut out: BTreeMap<String, Vec<&Finding>> = BTreeMap::new();
    for f in findings {
        if let Some(c) = candidate(f, &cfg.events, tz) {
            out.entry(fnv1a_hex(&c.key())).or_default().push(f);
        }
    }
    out
}

fn events_stage(
    store: &mut dyn Store,
    key: &CycleKey,
    now: Timestamp,
    cfg: &OutputConfig,
    tz: &Tz,
) -> Result<((), String), OutputError> {
    let window = window_of(key);
    let findings = store.cycle_findings(key)?;
    let ids: Vec<String> = findings_by_event(&findings, &cfg.pipeline, tz).into_keys().collect();
    // Dedup needs every stored event these findings may produce; withdrawal needs every
    // event this window reported before.
    let mut existing = store.events_by_ids(&ids)?;
    existing.extend(store.events_in_window(&window)?);
    existing.sort_by(|a, b| a.id.cmp(&b.id));
    existing.dedup_by(|a, b| a.id == b.id);
    let out = event::generate(&existing, window, &findings, &cfg.pipeline.events, tz, now);
    store.save_events(&out.events)?;
    Ok((
        (),
        format!(
            "{} findings: {} events created, {} updated, {} escalated, {} withdrawn, {} reinstated",
            findings.len(),
            out.created,
            out.updated,
            out.escalated,
            out.withdrawn,
            out.reinstated
        ),
    ))
}

fn labels_stage(
    store: &mut dyn Store,
    key: &CycleKey,
    cfg: &OutputConfig,
    tz: &Tz,
) -> Result<((), String), OutputError> {
    let findings = store.cycle_findings(key)?;
    let by_event = findings_by_event(&findings, &cfg.pipeline, tz);
    let ids: Vec<String> = by_event.keys().cloned().collect();
    let mut changed = Vec::new();
    for mut e in store.events_by_ids(&ids)? {
        let Some(fs) = by_event.get(&e.id) else {
            continue;
        };
        // Labels only ever accumulate: what an earlier window showed stays shown.
        let mut labels: BTreeSet<_> = e.labels.iter().copied().collect();
        labels.extend(labels_for(e.category, fs));
        let labels: Vec<_> = labels.into_iter().collect();
        if labels != e.labels {
            e.labels = labels;
            changed.push(e);
        }
    }
    store.save_events(&changed)?;
    Ok(((), format!("{} events labelled, {} changed", ids.len(), changed.len())))
}

/// Computes and stores the KPIs at `now`.
pub fn kpis_stage(store: &mut dyn Store, now: Timestamp, tz: &Tz) -> Result<Kpis, OutputError> {
    let today = day_of(now, tz);
    let reports = store.last_reports(now - Duration::minutes(kpi::TRACKING_WINDOW_MIN), now)?;
    let events = store.list_events(&EventFilter {
        occurred_from: Some(today.start),
        occurred_to: Some(today.end),
        ..EventFilter::default()
    })?;
    let state = store.dispatch_state()?;
    let alerts: Vec<_> = state.alerts.into_values().collect();
    let k = kpi::compute(now, tz, &reports, &events, &alerts);
    store.save_kpis(&k)?;
    Ok(k)
}

/// Recomputes and replaces the statistics buckets holding `times` (and, for a cycle,
/// the instants of the events it touched), then prunes hourly rows older than 48 h.
pub fn stats_stage(
    store: &mut dyn Store,
    key: Option<&CycleKey>,
    times: impl IntoIterator<Item = Timestamp>,
    now: Timestamp,
    tz: &Tz,
) -> Result<((), String), OutputError> {
    let mut instants: Vec<Timestamp> = times.into_iter().collect();
    if let Some(key) = key {
        // Events the window reports count at their occurrence, which may be another day.
        instants.extend(store.events_in_window(&window_of(key))?.iter().map(|e| e.occurred_at));
        // Events withdrawn by this run have left the window but must leave their
        // buckets' counts too; the history says which were withdrawn now.
        let withdrawn =
            store.list_events(&EventFilter { status: Some(EventStatus::Withdrawn), ..EventFilter::default() })?;
        instants
            .extend(withdrawn.iter().filter(|e| e.history.last().is_some_and(|h| h.at == now)).map(|e| e.occurred_at));
    }
    let touched = stats::touched(instants, tz);
    let (Some(first), Some(last)) = (touched.days.first(), touched.days.last()) else {
        return Ok(((), "nothing to recompute".into()));
    };
    // Sources for the touched hours and days (hours lie inside their days), one read
    // each; months are summed from stored daily rows, so they need no source of their own.
    let (from, to) = (first.start, last.end);
    let mut detections = Vec::new();
    for k in store.cycles_ending_between(from, to)? {
        detections.extend(stats::detections(window_of(&k), &store.cycle_findings(&k)?));
    }
    let events = store.list_events(&EventFilter {
        occurred_from: Some(from),
        occurred_to: Some(to),
        ..EventFilter::default()
    })?;
    let enforcements = store.enforcements_between(from, to)?;
    let cutoff = stats::hourly_cutoff(now);
    let hourly: Vec<_> =
        touched.hours.iter().filter(|h| h.start >= cutoff).map(|h| stats::hourly(h, &detections, &events)).collect();
    let daily: Vec<_> = touched.days.iter().map(|d| stats::daily(d, &detections, &events, &enforcements)).collect();
    // A month is the sum of all its days: the stored ones, with the recomputed replacing.
    let (Some(m_first), Some(m_last)) = (touched.months.first(), touched.months.last()) else {
        return Ok(((), "nothing to recompute".into()));
    };
    let mut days: BTreeMap<Timestamp, lookout_pipeline::DailyStats> =
        store.daily_stats(m_first.start, m_last.end)?.into_iter().map(|d| (d.bucket.start, d)).collect();
    for d in &daily {
        days.insert(d.bucket.start, d.clone());
    }
    let days: Vec<_> = days.into_values().collect();
    let monthly: Vec<_> = touched.months.iter().map(|m| stats::monthly(m, &days)).collect();
    store.save_stats(&hourly, &daily, &monthly)?;
    let pruned = store.prune(&Retention { hourly_stats_before: Some(cutoff), ..Retention::default() })?;
    Ok((
        (),
        format!(
            "{} hourly, {} daily, {} monthly rows recomputed; {} hourly rows older than 48 h pruned",
            hourly.len(),
            daily.len(),
            monthly.len(),
            pruned.hourly_stats
        ),
    ))
}

/// One dispatcher tick over the stored state; notifications go to the outbox.
fn alerts_stage(store: &mut dyn Store, now: Timestamp, cfg: &OutputConfig) -> Result<((), String), OutputError> {
    let state = store.dispatch_state()?;
    // The tick needs the events that can fire and those whose alert fires now (to see
    // them resolve); the others keep their alerts as they are.
    let mut events: Vec<Event> = Vec::new();
    for status in [EventStatus::New, EventStatus::Ack, EventStatus::Confirmed] {
        events.extend(store.list_events(&EventFilter { status: Some(status), ..EventFilter::default() })?);
    }
    let firing: Vec<String> =
        state.alerts.values().filter(|a| a.status == AlertStatus::Firing).map(|a| a.event_id.clone()).collect();
    events.extend(store.events_by_ids(&firing)?);
    events.sort_by(|a, b| a.id.cmp(&b.id));
    events.dedup_by(|a, b| a.id == b.id);
    let silences = store.silences()?;
    let (state, notifications) = alert::tick(state, &events, &silences, now, &cfg.pipeline.alerts);
    let mut rows = Vec::new();
    for n in &notifications {
        let body = n.payload(&cfg.receiver).to_string();
        for sink in &cfg.sinks {
            rows.push(OutboxItem::new(0, &n.id, sink, body.clone(), now));
        }
    }
    store.save_dispatch(&state, &rows)?;
    let firing = state.alerts.values().filter(|a| a.status == AlertStatus::Firing).count();
    let silenced =
        state.alerts.values().filter(|a| a.status == AlertStatus::Firing && !a.silenced_by.is_empty()).count();
    Ok((
        (),
        format!(
            "{} alerts firing ({} silenced), {} groups, {} notifications enqueued for {} sinks",
            firing,
            silenced,
            state.groups.len(),
            notifications.len(),
            cfg.sinks.len()
        ),
    ))
}

/// One delivery pass: every due outbox row to its sink, in order, with backoff on
/// failure; the rows' new state is written back in one transaction.
pub fn deliver(
    store: &mut dyn Store,
    sinks: &mut [Box<dyn Sink>],
    now: Timestamp,
) -> Result<DeliveryReport, OutputError> {
    let mut items = store.outbox(true)?;
    let report = deliver_due(&mut items, sinks, now);
    store.update_outbox(&items)?;
    Ok(report)
}

/// An analyst's action on an event at `now`: the lifecycle step and its enforcement
/// record in one transaction, then (isolated, so a failure there never undoes the step)
/// the statistics of the days it changes.
#[allow(clippy::too_many_arguments)]
pub fn event_action(
    store: &mut dyn Store,
    id: &str,
    action: Action,
    actor: &str,
    note: &str,
    enforcement: Option<&str>,
    now: Timestamp,
    cfg: &OutputConfig,
) -> Result<(Event, RunReport), OutputError> {
    let mut event = store
        .events_by_ids(&[id.to_string()])?
        .into_iter()
        .next()
        .ok_or_else(|| OutputError::NoSuchEvent(id.into()))?;
    let record = lifecycle::apply(&mut event, action, actor, now, note, enforcement)?;
    store.save_event_step(&event, record.as_ref())?;
    let mut report = RunReport::default();
    let occurred = event.occurred_at;
    report.run("stats", || {
        let tz = cfg.pipeline.tz()?;
        stats_stage(store, None, [occurred, now], now, &tz)
    });
    Ok((event, report))
}

/// The month bucket of `now` (for `lookout stats monthly` defaults).
pub fn month_at(now: Timestamp, tz: &Tz) -> lookout_pipeline::zone::Bucket {
    month_of(now, tz)
}
