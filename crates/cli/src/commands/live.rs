//! The live options of `lookout serve` (feeds, schedule, `--config lookout.toml`) and
//! starting the live path (crate `lookout-live`) beside the HTTP server.

use std::path::PathBuf;

use anyhow::Context;
use lookout_live::config::{make_feed, parse_duration, LiveConfig, SourceSpec};
use lookout_live::schedule::EngineCycles;
use lookout_live::{config::LiveHandle, SharedClock};

#[derive(clap::Args, Clone, Debug, Default)]
pub(crate) struct LiveArgs {
    /// Live options in a TOML file (sources, cycle_every, window, horizon, lookback,
    /// batch_positions, batch_delay, schedule); flags below add sources and override values.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Listen for NMEA over TCP on ADDR (receivers connect and send lines). Repeatable.
    #[arg(long, value_name = "ADDR")]
    pub nmea_tcp: Vec<String>,
    /// Listen for NMEA datagrams on ADDR. Repeatable.
    #[arg(long, value_name = "ADDR")]
    pub nmea_udp: Vec<String>,
    /// Connect to a feed at HOST:PORT (reconnects with backoff). Repeatable.
    #[arg(long, value_name = "HOST:PORT")]
    pub nmea_connect: Vec<String>,
    /// Follow a growing NMEA file (tail -f, survives rotation). Repeatable.
    #[arg(long, value_name = "FILE")]
    pub follow: Vec<PathBuf>,
    /// Analysis cycle interval (default 5m; windows end on its multiples).
    #[arg(long, value_parser = parse_duration)]
    pub cycle_every: Option<chrono::Duration>,
    /// Length of each cycle's window (default 24h).
    #[arg(long, value_parser = parse_duration)]
    pub window: Option<chrono::Duration>,
    /// Missed or dirty windows older than this are not analysed (default 24h).
    #[arg(long, value_parser = parse_duration)]
    pub horizon: Option<chrono::Duration>,
    /// Positions loaded before a window so gaps ending in it are seen whole (default 24h).
    #[arg(long, value_parser = parse_duration)]
    pub lookback: Option<chrono::Duration>,
    /// Micro-batch size in positions (default 5000).
    #[arg(long)]
    pub batch_positions: Option<usize>,
    /// Longest wait before a micro-batch is stored (default 1s).
    #[arg(long, value_parser = parse_duration)]
    pub batch_delay: Option<chrono::Duration>,
    /// Ingest only: no scheduled cycles.
    #[arg(long)]
    pub no_schedule: bool,
}

impl LiveArgs {
    /// The effective configuration, or `None` when no source is configured.
    pub(crate) fn config(&self) -> anyhow::Result<Option<LiveConfig>> {
        let mut c = match &self.config {
            Some(p) => {
                let text = std::fs::read_to_string(p).with_context(|| format!("--config {}", p.display()))?;
                LiveConfig::from_toml(&text).with_context(|| format!("--config {}", p.display()))?
            }
            None => LiveConfig::default(),
        };
        c.sources.extend(self.nmea_tcp.iter().map(|a| (None, SourceSpec::NmeaTcp(a.clone()))));
        c.sources.extend(self.nmea_udp.iter().map(|a| (None, SourceSpec::NmeaUdp(a.clone()))));
        c.sources.extend(self.nmea_connect.iter().map(|a| (None, SourceSpec::NmeaConnect(a.clone()))));
        c.sources.extend(self.follow.iter().map(|p| (None, SourceSpec::Follow(p.clone()))));
        if let Some(d) = self.cycle_every {
            c.schedule.every = d;
        }
        if let Some(d) = self.window {
            c.schedule.window = d;
        }
        if let Some(d) = self.horizon {
            c.schedule.horizon = d;
        }
        if let Some(d) = self.lookback {
            c.lookback = d;
        }
        if let Some(n) = self.batch_positions {
            anyhow::ensure!(n > 0, "--batch-positions: at least 1");
            c.batch.max_positions = n;
        }
        if let Some(d) = self.batch_delay {
            c.batch.max_delay = d.to_std().context("--batch-delay: must be positive")?;
        }
        if self.no_schedule {
            c.run_schedule = false;
        }
        c.schedule.validate()?;
        Ok((!c.sources.is_empty()).then_some(c))
    }
}

/// Starts feeds, batcher and scheduler; the scheduler's cycles go to the server's stream.
pub(crate) fn start(
    cfg: &LiveConfig,
    db: &str,
    state: &lookout_server::AppState,
    rt: tokio::runtime::Handle,
) -> anyhow::Result<LiveHandle> {
    let clock: SharedClock = std::sync::Arc::new(lookout_pipeline::SystemClock);
    let feeds = cfg.sources.iter().map(|(name, spec)| make_feed(name.clone(), spec)).collect();
    let sink = Box::new(lookout_live::batch::StoreSink { store: lookout_store::open_shared(db)? });
    let runner: Option<Box<dyn lookout_live::schedule::CycleRunner>> = if cfg.run_schedule {
        let publish_state = state.clone();
        Some(Box::new(EngineCycles {
            store: lookout_store::open_shared(db)?,
            rules: lookout_engine::rules::RuleSet::builtin()?,
            lookback: cfg.lookback,
            output: state.output().clone(),
            clock: clock.clone(),
            actor: super::analyze::actor(),
            places: state.places(),
            after: Some(Box::new(move |store, report, rerun| {
                if let Err(e) = publish_state.publish_cycle_blocking(&rt, store, report, rerun) {
                    tracing::warn!(error = %e.message, "publishing a scheduled cycle to the stream failed");
                }
            })),
        }))
    } else {
        None
    };
    let handle = lookout_live::config::start(feeds, sink, runner, cfg.schedule, cfg.batch, clock)?;
    state.attach_live(handle.status.clone());
    for (name, spec) in &cfg.sources {
        tracing::info!(?name, ?spec, "live source");
    }
    Ok(handle)
}
