//! `lookout models list|show|create|diff|promote|rollback|history|shadow`: the model
//! registry (versioned params, DRAFT → ACTIVE → ARCHIVED, audit trail, shadow runs).

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::{DateTime, Utc};
use lookout_detect::ALGORITHMS;
use lookout_engine::models::{self, diff, ensure_seeded, DiffLine};
use lookout_engine::shadow::{shadow, ShadowReport};
use lookout_store::{ModelChange, ModelVersion};

use super::analyze::{actor, load_registry};
use super::common::DbArgs;
use super::report::json_arg;
use super::rules::{overrides, AsStore, EngineArgs};
use crate::output::{print_csv, print_json, FormatArgs, ListFormat};

#[derive(clap::Args)]
pub(crate) struct ModelsArgs {
    #[command(subcommand)]
    pub command: ModelsCommand,
}

/// Who, when and why, for commands that change a model.
#[derive(clap::Args, Clone, Debug)]
pub(crate) struct ChangeArgs {
    /// Who makes the change (default: $USER).
    #[arg(long)]
    pub actor: Option<String>,
    /// Why (recorded in the audit trail).
    #[arg(long, default_value = "")]
    pub reason: String,
    /// The time recorded for the change (RFC 3339); default: the clock.
    #[arg(long, value_parser = crate::commands::report::parse_instant)]
    pub now: Option<DateTime<Utc>>,
}

impl ChangeArgs {
    fn change(&self) -> ModelChange {
        ModelChange {
            actor: self.actor.clone().unwrap_or_else(actor),
            at: self.now.unwrap_or_else(Utc::now),
            reason: self.reason.clone(),
        }
    }
}

#[derive(clap::Subcommand)]
pub(crate) enum ModelsCommand {
    /// Every model with its versions and their status.
    List {
        #[command(flatten)]
        format: FormatArgs,
    },
    /// The params of a version (default: the ACTIVE one) as JSON.
    Show { model: String, version: Option<i64> },
    /// Create a DRAFT: a JSON override (inline or a file) deep-merged over a base version.
    Create {
        model: String,
        /// Override, e.g. '{"weights": {"out_of_coverage": -30}}', or a JSON file.
        #[arg(long)]
        params: String,
        /// Base version (default: the ACTIVE one).
        #[arg(long)]
        from: Option<i64>,
        #[command(flatten)]
        change: ChangeArgs,
    },
    /// Key-by-key differences between two versions.
    Diff { model: String, a: i64, b: i64 },
    /// Make a DRAFT the ACTIVE version (the previous ACTIVE one is ARCHIVED).
    Promote {
        model: String,
        version: i64,
        #[command(flatten)]
        change: ChangeArgs,
    },
    /// Re-point ACTIVE to an older version (default: the newest archived one before it).
    Rollback {
        model: String,
        #[arg(long)]
        to: Option<i64>,
        #[command(flatten)]
        change: ChangeArgs,
    },
    /// The audit trail of a model.
    History { model: String },
    /// Run a version beside the ACTIVE one on the latest cycle's input; report what
    /// would change. Writes nothing.
    Shadow {
        model: String,
        version: i64,
        #[command(flatten)]
        engine: EngineArgs,
        /// Parameter overrides applied to both runs (as `analyze --params`: `MODEL=JSON`,
        /// or bare JSON for the dark model; repeatable).
        #[arg(long)]
        params: Vec<String>,
        /// Vessel registry CSV, as given to `analyze`.
        #[arg(long)]
        registry: Option<PathBuf>,
        /// The stored cycle ending at this time (RFC 3339); default: the latest.
        #[arg(long, value_parser = crate::commands::report::parse_instant)]
        at: Option<DateTime<Utc>>,
    },
}

pub(crate) fn run(args: ModelsArgs, db: &DbArgs) -> anyhow::Result<ExitCode> {
    let mut store = db.open()?;
    match args.command {
        ModelsCommand::List { format } => {
            ensure_seeded(store.store_mut(), &actor(), Utc::now())?;
            list(store.store(), format.format())?;
        }
        ModelsCommand::Show { model, version } => {
            let v = models::version(store.store(), &model, version)?;
            outln!("{}", serde_json::to_string_pretty(&v)?);
        }
        ModelsCommand::Create { model, params, from, change } => {
            let over = json_arg(&params, "params")?;
            let v = models::create_draft(store.store_mut(), &model, &over, from, &change.change())?;
            outln!("created {}@{} (DRAFT)", v.model, v.version);
            let base = models::version(store.store(), &model, from)?;
            print_diff(&diff(&base.params, &v.params))?;
        }
        ModelsCommand::Diff { model, a, b } => {
            let (va, vb) =
                (models::version(store.store(), &model, Some(a))?, models::version(store.store(), &model, Some(b))?);
            outln!("{model}: version {a} → {b}");
            print_diff(&diff(&va.params, &vb.params))?;
        }
        ModelsCommand::Promote { model, version, change } => {
            let v = models::promote(store.store_mut(), &model, version, &change.change())?;
            outln!("{}@{} is now ACTIVE", v.model, v.version);
        }
        ModelsCommand::Rollback { model, to, change } => {
            let v = models::rollback(store.store_mut(), &model, to, &change.change())?;
            outln!("{}@{} is now ACTIVE (rolled back)", v.model, v.version);
        }
        ModelsCommand::History { model } => {
            ensure_seeded(store.store_mut(), &actor(), Utc::now())?;
            for a in store.store().model_audit(&model)? {
                outln!(
                    "{}  {:<8} v{}  by {}  active {} → {}  reason: {}",
                    a.at.to_rfc3339(),
                    a.action,
                    a.version,
                    a.actor,
                    a.before["active"],
                    a.after["active"],
                    if a.reason.is_empty() { "-" } else { &a.reason }
                );
            }
        }
        ModelsCommand::Shadow { model, version, engine, params, registry, at } => {
            let set = engine.rule_set()?;
            let registry = load_registry(registry.as_ref())?;
            let report = shadow(
                store.store(),
                &set,
                &model,
                version,
                &overrides(&params)?,
                engine.exec(),
                registry.as_ref(),
                at,
            )?;
            print_shadow(&report)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Every registered algorithm with its stored versions, in registry order.
fn list(store: &dyn lookout_store::Store, format: ListFormat) -> anyhow::Result<()> {
    let mut models = Vec::new();
    for d in ALGORITHMS {
        models.push((d, store.model_versions(d.code())?));
    }
    match format {
        ListFormat::Table => {
            for (d, versions) in &models {
                outln!("{} — {} / {}", d.code(), d.name().ko, d.name().en);
                for v in versions {
                    print_version(v)?;
                }
            }
        }
        ListFormat::Json => {
            let doc: Vec<serde_json::Value> = models
                .iter()
                .map(|(d, versions)| {
                    serde_json::json!({
                        "model": d.code(),
                        "name": { "ko": d.name().ko, "en": d.name().en },
                        "versions": versions.iter().map(version_json).collect::<Vec<_>>(),
                    })
                })
                .collect();
            print_json(&doc)?;
        }
        ListFormat::Csv => {
            let rows: Vec<Vec<String>> =
                models.iter().flat_map(|(_, versions)| versions.iter().map(version_csv_row)).collect();
            print_csv(VERSION_CSV_HEADER, &rows)?;
        }
    }
    Ok(())
}

/// A stored version as JSON with the params hash the table shows.
fn version_json(v: &ModelVersion) -> serde_json::Value {
    serde_json::json!({
        "version": v.version,
        "status": v.status.as_str(),
        "params_hash": lookout_detect::params_hash(&v.params),
        "params": v.params,
        "created_at": v.created_at.to_rfc3339(),
        "created_by": v.created_by,
        "reason": v.reason,
    })
}

const VERSION_CSV_HEADER: &[&str] =
    &["model", "version", "status", "params_hash", "created_at", "created_by", "reason"];

fn version_csv_row(v: &ModelVersion) -> Vec<String> {
    vec![
        v.model.clone(),
        v.version.to_string(),
        v.status.as_str().to_string(),
        lookout_detect::params_hash(&v.params),
        v.created_at.to_rfc3339(),
        v.created_by.clone(),
        v.reason.clone(),
    ]
}

fn print_version(v: &ModelVersion) -> anyhow::Result<()> {
    outln!(
        "  v{:<3} {:<8} params {}  created {} by {}{}",
        v.version,
        v.status.as_str(),
        lookout_detect::params_hash(&v.params),
        v.created_at.to_rfc3339(),
        v.created_by,
        if v.reason.is_empty() { String::new() } else { format!(" — {}", v.reason) }
    );
    Ok(())
}

fn print_diff(lines: &[DiffLine]) -> anyhow::Result<()> {
    if lines.is_empty() {
        outln!("  (no differences)");
    }
    let show = |v: &Option<serde_json::Value>| v.as_ref().map(|v| v.to_string()).unwrap_or_else(|| "(absent)".into());
    for l in lines {
        outln!("  {}: {} → {}", l.path, show(&l.before), show(&l.after));
    }
    Ok(())
}

/// Prints a shadow report (also used by the demo).
pub(crate) fn print_shadow(r: &ShadowReport) -> anyhow::Result<()> {
    outln!(
        "shadow run of {}@{} beside ACTIVE {}@{} on the cycle {} .. {} (nothing written)",
        r.model,
        r.shadow_version,
        r.model,
        r.active_version,
        r.key.window_start.to_rfc3339(),
        r.key.window_end.to_rfc3339()
    );
    outln!("params changed:");
    print_diff(&r.params_changed)?;
    for (detector, moves) in &r.moves {
        outln!(
            "{detector}: {} vessels up, {} down",
            r.up.get(detector).copied().unwrap_or(0),
            r.down.get(detector).copied().unwrap_or(0)
        );
        for (m, n) in moves {
            outln!("  {m}: {n}");
        }
    }
    if r.moves.is_empty() {
        outln!("no vessel changes level");
    }
    outln!("findings: {} added, {} removed, {} changed", r.added.len(), r.removed.len(), r.changed.len());
    for k in r.added.iter().take(10) {
        outln!("  + {} {} {} .. {}", k.detector, k.vessel, k.start, k.end);
    }
    for k in r.removed.iter().take(10) {
        outln!("  - {} {} {} .. {}", k.detector, k.vessel, k.start, k.end);
    }
    for c in r.changed.iter().take(10) {
        let s = |x: &(String, Option<i64>)| format!("{} {}", x.0, x.1.map(|v| v.to_string()).unwrap_or_default());
        outln!(
            "  ~ {} {} {}: {} → {}",
            c.key.detector,
            c.key.vessel,
            c.key.start,
            s(&c.before).trim(),
            s(&c.after).trim()
        );
    }
    Ok(())
}
