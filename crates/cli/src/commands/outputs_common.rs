//! Options shared by the output-pipeline commands (`events`, `alerts`, `silences`,
//! `outbox`, `kpis`, `stats`) and by `analyze`: the time zone, the sinks and "now".

use std::time::Duration as StdDuration;

use anyhow::Context;
use chrono::{DateTime, Utc};
use lookout_engine::outputs::OutputConfig;
use lookout_pipeline::delivery::{LogSink, NatsSink, Sink, WebhookSink};
use lookout_pipeline::{PipelineConfig, RunReport};

/// Where notifications go, and in which time zone days are counted.
#[derive(clap::Args, Clone, Debug)]
pub(crate) struct OutputArgs {
    /// IANA time zone of "today", hours, days and months.
    #[arg(long = "timezone", default_value = "Asia/Seoul")]
    pub tz: String,
    /// Deliver notifications to this webhook too (HTTP POST of Alertmanager JSON; http:// only).
    #[arg(long)]
    pub webhook: Option<String>,
    /// Publish notifications on this NATS subject too.
    #[arg(long)]
    pub nats_subject: Option<String>,
    /// NATS server for --nats-subject.
    #[arg(long, default_value = "nats://127.0.0.1:4222")]
    pub nats_url: String,
    /// Do not write notifications to the log (the default sink).
    #[arg(long)]
    pub no_log_sink: bool,
}

impl OutputArgs {
    /// The runner's configuration: sinks in the order log, webhook, nats.
    pub(crate) fn config(&self) -> anyhow::Result<OutputConfig> {
        let pipeline = PipelineConfig { timezone: self.tz.clone(), ..PipelineConfig::default() };
        pipeline.tz().context("--timezone")?;
        let mut sinks = Vec::new();
        if !self.no_log_sink {
            sinks.push("log".to_string());
        }
        if self.webhook.is_some() {
            sinks.push("webhook".to_string());
        }
        if self.nats_subject.is_some() {
            sinks.push("nats".to_string());
        }
        Ok(OutputConfig { pipeline, sinks, ..OutputConfig::default() })
    }

    /// The configured sinks, connected lazily on first send.
    pub(crate) fn sinks(&self) -> anyhow::Result<Vec<Box<dyn Sink>>> {
        let timeout = StdDuration::from_secs(10);
        let mut out: Vec<Box<dyn Sink>> = Vec::new();
        if !self.no_log_sink {
            out.push(Box::new(LogSink));
        }
        if let Some(url) = &self.webhook {
            out.push(Box::new(WebhookSink::new(url, timeout).context("--webhook")?));
        }
        if let Some(subject) = &self.nats_subject {
            let addr = self.nats_url.strip_prefix("nats://").unwrap_or(&self.nats_url);
            out.push(Box::new(NatsSink::new(addr, subject, timeout).context("--nats-subject")?));
        }
        Ok(out)
    }

    pub(crate) fn tz(&self) -> anyhow::Result<chrono_tz::Tz> {
        PipelineConfig { timezone: self.tz.clone(), ..PipelineConfig::default() }.tz().context("--timezone")
    }
}

/// `--now`: the pipeline's clock, default the system clock.
pub(crate) fn now_or_clock(now: Option<DateTime<Utc>>) -> DateTime<Utc> {
    now.unwrap_or_else(Utc::now)
}

/// One line per stage: `  events: ok — ...`.
pub(crate) fn report_lines(report: &RunReport) -> Vec<String> {
    report
        .stages
        .iter()
        .map(|s| format!("  {}: {} — {}", s.stage, if s.ok { "ok" } else { "FAILED" }, s.detail))
        .collect()
}

/// RFC 3339 with seconds, UTC.
pub(crate) fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The demo's pipeline: default zone, notifications to the log only.
pub(crate) fn demo_output_config() -> lookout_engine::outputs::OutputConfig {
    lookout_engine::outputs::OutputConfig::default()
}

/// The demo's last section: a dispatcher tick `group_wait` after the last cycle (the
/// dispatcher loop, replayed on the data's clock), a delivery pass to the log, then the
/// KPIs, events by category and alerts.
pub(crate) fn print_demo_outputs(
    store: &mut dyn lookout_store::Store,
    last_cycle_end: DateTime<Utc>,
) -> anyhow::Result<()> {
    use std::collections::BTreeMap;

    let cfg = demo_output_config();
    let at = last_cycle_end + chrono::Duration::seconds(cfg.pipeline.alerts.group_wait_sec);
    let report = lookout_engine::outputs::tick(store, at, &cfg);
    for f in report.failures() {
        outln!("  output pipeline stage {} failed: {}", f.stage, f.detail);
    }
    let mut sinks: Vec<Box<dyn Sink>> = vec![Box::new(LogSink)];
    let delivery = lookout_engine::outputs::deliver(store, &mut sinks, at)?;
    let events = store.list_events(&lookout_store::EventFilter::default())?;
    // The replay's last day is often quiet; show the KPIs as they stood just after the
    // cycle that raised the most events (the earliest of equals), recomputed from the
    // store without replacing the latest snapshot that `lookout kpis` shows.
    let mut per_instant: BTreeMap<DateTime<Utc>, usize> = BTreeMap::new();
    for e in &events {
        *per_instant.entry(e.occurred_at).or_default() += 1;
    }
    let busiest = per_instant
        .iter()
        .fold(None, |best: Option<(DateTime<Utc>, usize)>, (t, n)| match best {
            Some((_, m)) if m >= *n => best,
            _ => Some((*t, *n)),
        })
        .map(|(t, _)| t);
    if let Some(t) = busiest {
        let tz = cfg.pipeline.tz()?;
        let since = t - chrono::Duration::minutes(lookout_pipeline::kpi::TRACKING_WINDOW_MIN);
        let alerts: Vec<_> = store.dispatch_state()?.alerts.into_values().collect();
        let k = lookout_pipeline::kpi::compute(t, &tz, &store.last_reports(since, t)?, &events, &alerts);
        for line in super::kpis::kpi_lines(&k) {
            outln!("{line}");
        }
        outln!("  (just after the cycle that raised the most events; `lookout kpis` shows the latest snapshot)");
    }
    outln!("events by category ({} in all, deduplicated across cycles):", events.len());
    let mut by: BTreeMap<&str, BTreeMap<String, u64>> = BTreeMap::new();
    for e in &events {
        *by.entry(e.category.as_str())
            .or_default()
            .entry(format!("{} {}", e.level.as_str(), e.status.as_str()))
            .or_default() += 1;
    }
    for (cat, levels) in &by {
        let parts: Vec<String> = levels.iter().map(|(k, v)| format!("{k} {v}")).collect();
        outln!("  {cat:<14} {}", parts.join(", "));
    }
    let state = store.dispatch_state()?;
    let firing = state.alerts.values().filter(|a| a.status == lookout_pipeline::AlertStatus::Firing).count();
    let resolved = state.alerts.len() - firing;
    let outbox = store.outbox(false)?;
    let delivered = outbox.iter().filter(|o| o.delivered_at.is_some()).count();
    outln!(
        "alerts: {firing} firing, {resolved} resolved, in {} groups; {} notifications, {delivered} delivered to the log ({} this pass)",
        state.groups.len(),
        outbox.len(),
        delivery.delivered
    );
    outln!(
        "(see `lookout events list`, `lookout alerts list`, `lookout kpis`, `lookout stats daily` with the same --db)"
    );
    Ok(())
}
