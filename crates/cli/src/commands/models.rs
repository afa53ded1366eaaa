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

#[derive(clap::Args)]
pub struct ModelsArgs {
    #[command(flatten)]
    pub db: DbArgs,
    #[command(subcommand)]
    pub command: ModelsCommand,
}

/// Who, when and why, for commands that change a model.
#[derive(clap::Args, Clone, Debug)]
pub struct ChangeArgs {
    /// Who makes the change (default: $USER).
    #[arg(long)]
    pub actor: Option<String>,
    /// Why (recorded in the audit trail).
    #[arg(long, default_value = "")]
    pub reason: String,
    /// The time recorded for the change (RFC 3339); default: the clock.
    #[arg(long)]
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
pub enum ModelsCommand {
    /// Every model with its versions and their status.
    List,
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
        /// Dark-model parameter override applied to both runs (as `analyze --params`).
        #[arg(long)]
        params: Option<String>,
        /// Vessel registry CSV, as given to `analyze`.
        #[arg(long)]
        registry: Option<PathBuf>,
        /// The stored cycle ending at this time (RFC 3339); default: the latest.
        #[arg(long)]
        at: Option<DateTime<Utc>>,
    },
}

pub fn run(args: ModelsArgs) -> anyhow::Result<ExitCode> {
    let mut store = args.db.open()?;
    match args.command {
        ModelsCommand::List => {
            ensure_seeded(store.store_mut(), &actor(), Utc::now())?;
            for d in ALGORITHMS {
                println!("{} — {} / {}", d.code(), d.name().ko, d.name().en);
                for v in store.store().model_versions(d.code())? {
                    print_version(&v);
                }
            }
        }
        ModelsCommand::Show { model, version } => {
            let v = models::version(store.store(), &model, version)?;
            println!("{}", serde_json::to_string_pretty(&v)?);
        }
        ModelsCommand::Create { model, params, from, change } => {
            let over = json_arg(&params, "params")?;
            let v = models::create_draft(store.store_mut(), &model, &over, from, &change.change())?;
            println!("created {}@{} (DRAFT)", v.model, v.version);
            let base = models::version(store.store(), &model, from)?;
            print_diff(&diff(&base.params, &v.params));
        }
        ModelsCommand::Diff { model, a, b } => {
            let (va, vb) =
                (models::version(store.store(), &model, Some(a))?, models::version(store.store(), &model, Some(b))?);
            println!("{model}: version {a} → {b}");
            print_diff(&diff(&va.params, &vb.params));
        }
        ModelsCommand::Promote { model, version, change } => {
            let v = models::promote(store.store_mut(), &model, version, &change.change())?;
            println!("{}@{} is now ACTIVE", v.model, v.version);
        }
        ModelsCommand::Rollback { model, to, change } => {
            let v = models::rollback(store.store_mut(), &model, to, &change.change())?;
            println!("{}@{} is now ACTIVE (rolled back)", v.model, v.version);
        }
        ModelsCommand::History { model } => {
            ensure_seeded(store.store_mut(), &actor(), Utc::now())?;
            for a in store.store().model_audit(&model)? {
                println!(
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
                &overrides(params.as_deref())?,
                engine.exec(),
                registry.as_ref(),
                at,
            )?;
            print_shadow(&report);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_version(v: &ModelVersion) {
    println!(
        "  v{:<3} {:<8} params {}  created {} by {}{}",
        v.version,
        v.status.as_str(),
        lookout_detect::params_hash(&v.params),
        v.created_at.to_rfc3339(),
        v.created_by,
        if v.reason.is_empty() { String::new() } else { format!(" — {}", v.reason) }
    );
}

fn print_diff(lines: &[DiffLine]) {
    if lines.is_empty() {
        println!("  (no differences)");
    }
    let show = |v: &Option<serde_json::Value>| v.as_ref().map(|v| v.to_string()).unwrap_or_else(|| "(absent)".into());
    for l in lines {
        println!("  {}: {} → {}", l.path, show(&l.before), show(&l.after));
    }
}

/// Prints a shadow report (also used by the demo).
pub fn print_shadow(r: &ShadowReport) {
    println!(
        "shadow run of {}@{} beside ACTIVE {}@{} on the cycle {} .. {} (nothing written)",
        r.model,
        r.shadow_version,
        r.model,
        r.active_version,
        r.key.window_start.to_rfc3339(),
        r.key.window_end.to_rfc3339()
    );
    println!("params changed:");
    print_diff(&r.params_changed);
    for (detector, moves) in &r.moves {
        println!(
            "{detector}: {} vessels up, {} down",
            r.up.get(detector).copied().unwrap_or(0),
            r.down.get(detector).copied().unwrap_or(0)
        );
        for (m, n) in moves {
            println!("  {m}: {n}");
        }
    }
    if r.moves.is_empty() {
        println!("no vessel changes level");
    }
    println!("findings: {} added, {} removed, {} changed", r.added.len(), r.removed.len(), r.changed.len());
    for k in r.added.iter().take(10) {
        println!("  + {} {} {} .. {}", k.detector, k.vessel, k.start, k.end);
    }
    for k in r.removed.iter().take(10) {
        println!("  - {} {} {} .. {}", k.detector, k.vessel, k.start, k.end);
    }
    for c in r.changed.iter().take(10) {
        let s = |x: &(String, Option<i64>)| format!("{} {}", x.0, x.1.map(|v| v.to_string()).unwrap_or_default());
        println!(
            "  ~ {} {} {}: {} → {}",
            c.key.detector,
            c.key.vessel,
            c.key.start,
            s(&c.before).trim(),
            s(&c.after).trim()
        );
    }
}
