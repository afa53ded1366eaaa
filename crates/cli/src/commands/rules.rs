//! `lookout rules plan|dry-run`: the rule engine's plan, and a dry run of a cycle.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use chrono::{DateTime, Utc};
use lookout_detect::ALGORITHMS;
use lookout_engine::cycle::{CycleRequest, DARK};
use lookout_engine::dryrun::dry_run;
use lookout_engine::models::resolve;
use lookout_engine::plan::{ExecOptions, Mode, Plan};
use lookout_engine::rules::RuleSet;
use lookout_store::Store;
use serde_json::Value;

use super::common::DbArgs;
use super::report::{json_arg, parse_duration};

/// The store behind whatever `DbArgs::open` returns (a concrete backend or a boxed
/// `dyn Store`), so these commands do not depend on which one it is.
pub(crate) trait AsStore {
    fn store(&self) -> &dyn Store;
    fn store_mut(&mut self) -> &mut dyn Store;
}

impl AsStore for Box<dyn Store> {
    fn store(&self) -> &dyn Store {
        &**self
    }
    fn store_mut(&mut self) -> &mut dyn Store {
        &mut **self
    }
}

impl AsStore for lookout_store::SqliteStore {
    fn store(&self) -> &dyn Store {
        self
    }
    fn store_mut(&mut self) -> &mut dyn Store {
        self
    }
}

/// Which rules to run and how (shared by `analyze`, `rules`, `models shadow`). Global,
/// so that under `rules` they go before or after `plan` / `dry-run`.
#[derive(clap::Args, Clone, Debug)]
pub(crate) struct EngineArgs {
    /// Rules file (TOML); default: the shipped rules/default.toml.
    #[arg(long, global = true)]
    pub rules: Option<PathBuf>,
    /// How stages run: sequential, parallel or hybrid.
    #[arg(long, global = true, default_value = "hybrid")]
    pub mode: Mode,
    /// Most rules running at once.
    #[arg(long, global = true, default_value_t = 2)]
    pub concurrency: usize,
}

impl EngineArgs {
    /// The rules file, validated.
    pub(crate) fn rule_set(&self) -> anyhow::Result<RuleSet> {
        match &self.rules {
            None => Ok(RuleSet::builtin()?),
            Some(p) => {
                let text = std::fs::read_to_string(p).with_context(|| format!("reading rules file {}", p.display()))?;
                RuleSet::parse(&text).with_context(|| format!("rules file {}", p.display()))
            }
        }
    }

    pub(crate) fn exec(&self) -> ExecOptions {
        ExecOptions { mode: self.mode, concurrency: self.concurrency.max(1) }
    }
}

/// `--params` values as overrides by model (algorithm code): `MODEL=JSON` (inline or a
/// file) for any model, or bare JSON for the `dark_suspicion` model, as before.
pub(crate) fn overrides(raw: &[String]) -> anyhow::Result<BTreeMap<String, Value>> {
    let detectors = lookout_detect::registry::Detectors::builtin();
    let mut out = BTreeMap::new();
    for r in raw {
        let (model, json) = split_model(r);
        anyhow::ensure!(
            detectors.get(model).is_some(),
            "--params {model}=...: no model named {model:?} (models: {})",
            detectors.codes().join(", ")
        );
        let value = json_arg(json, "params").with_context(|| format!("--params for model {model}"))?;
        anyhow::ensure!(out.insert(model.to_string(), value).is_none(), "--params: model {model} given twice");
    }
    Ok(out)
}

/// `MODEL=JSON` into its parts; anything else (inline JSON, a file that exists) is the
/// dark model's.
fn split_model(raw: &str) -> (&str, &str) {
    if raw.trim_start().starts_with('{') || std::path::Path::new(raw).exists() {
        return (DARK, raw);
    }
    match raw.split_once('=') {
        Some((model, json)) if !model.is_empty() && model.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') => {
            (model, json)
        }
        _ => (DARK, raw),
    }
}

/// The end of the window: `--at`, or the latest stored position.
pub(crate) fn window_end(store: &dyn Store, at: Option<DateTime<Utc>>) -> anyhow::Result<DateTime<Utc>> {
    match at {
        Some(at) => Ok(at),
        None => match store.position_span()? {
            Some((_, last)) => Ok(last),
            None => anyhow::bail!("the store has no positions; run `lookout ingest` first"),
        },
    }
}

#[derive(clap::Args)]
pub(crate) struct RulesArgs {
    #[command(flatten)]
    pub engine: EngineArgs,
    #[command(subcommand)]
    pub command: RulesCommand,
}

#[derive(clap::Subcommand)]
pub(crate) enum RulesCommand {
    /// Print the execution plan of a rules file (stages, modes, dependencies).
    Plan,
    /// Print the plan, the input sizes and an estimated duration; runs and writes nothing.
    DryRun(DryRunArgs),
}

#[derive(clap::Args)]
pub(crate) struct DryRunArgs {
    #[arg(long, default_value = "24h", value_parser = parse_duration)]
    pub window: chrono::Duration,
    /// End of the window (RFC 3339); default: the latest stored position.
    #[arg(long, value_parser = crate::commands::report::parse_instant)]
    pub at: Option<DateTime<Utc>>,
    #[arg(long, default_value = "24h", value_parser = parse_duration)]
    pub lookback: chrono::Duration,
    /// Parameter overrides, as `analyze --params` (`MODEL=JSON`, or bare JSON for the
    /// dark model; repeatable).
    #[arg(long)]
    pub params: Vec<String>,
}

pub(crate) fn run(args: RulesArgs, db: &DbArgs) -> anyhow::Result<ExitCode> {
    let engine = args.engine;
    match args.command {
        RulesCommand::Plan => {
            let set = engine.rule_set()?;
            for line in Plan::new(&set, engine.exec()).render(&set) {
                outln!("{line}");
            }
            outln!("\nregistered algorithms:");
            for d in ALGORITHMS {
                outln!("  {:<15} {:<7} {} / {}", d.code(), d.entity().as_str(), d.name().ko, d.name().en);
            }
        }
        RulesCommand::DryRun(a) => dry(a, &engine, db)?,
    }
    Ok(ExitCode::SUCCESS)
}

fn dry(a: DryRunArgs, engine: &EngineArgs, db: &DbArgs) -> anyhow::Result<()> {
    let store = db.open()?;
    let set = engine.rule_set()?;
    // Unseeded models resolve to their defaults in memory: a dry run writes nothing.
    let rules = resolve(&set, store.store(), &overrides(&a.params)?, None)?;
    let at = window_end(store.store(), a.at)?;
    let req = CycleRequest {
        at,
        window: a.window,
        lookback: a.lookback,
        rules: &rules,
        exec: engine.exec(),
        registry: None,
        zones: None,
        places: None,
    };
    let key = req.key();
    let d = dry_run(store.store(), &req)?;
    outln!("dry run (nothing is executed or written)");
    for line in d.plan.render(&set) {
        outln!("{line}");
    }
    outln!(
        "\ninput: window {} .. {}: {} vessels, {} positions in the window ({} with look-back)",
        key.window_start.to_rfc3339(),
        key.window_end.to_rfc3339(),
        d.tracks,
        d.positions_in_window,
        d.positions
    );
    outln!("estimate (from the statistics of up to {} earlier cycles):", lookout_engine::dryrun::HISTORY_CYCLES);
    for (r, e) in rules.iter().zip(&d.rules) {
        match (e.estimate_us, e.mean_us_per_entity, e.expected_entities) {
            (Some(us), Some(per), Some(n)) => outln!(
                "  {:<16} {:>10.1} ms  ({:.1} µs per entity × {:.0} entities, {} cycles)",
                r.id,
                us / 1000.0,
                per,
                n,
                e.samples
            ),
            _ => outln!("  {:<16} no history", r.id),
        }
    }
    match d.total_us {
        Some(us) => outln!("  total ({}): {:.1} ms", d.plan.exec.mode.as_str(), us / 1000.0),
        None => {
            outln!("  total: unknown (some rules have no history; run `lookout analyze` once)")
        }
    }
    Ok(())
}
