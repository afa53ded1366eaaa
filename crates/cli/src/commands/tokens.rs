//! `lookout tokens create|list|revoke`: bearer tokens of `lookout serve`.

use std::process::ExitCode;

use chrono::Utc;
use lookout_server::auth::{create_token, Role};

use super::common::DbArgs;
use super::outputs_common::ts;

#[derive(clap::Args)]
pub(crate) struct TokensArgs {
    #[command(subcommand)]
    pub command: TokensCommand,
}

#[derive(clap::Subcommand)]
pub(crate) enum TokensCommand {
    /// A new token; printed once (only its hash is stored).
    Create {
        /// viewer (read), analyst (+ event actions, silences) or admin (+ models, cycles, ingest).
        #[arg(long, value_parser = ["viewer", "analyst", "admin"])]
        role: String,
        /// Who or what holds it.
        #[arg(long)]
        name: String,
    },
    /// Every token (id, role, name, created, revoked); never the token itself.
    List,
    /// Revokes a token by id (a token already revoked stays so).
    Revoke { id: String },
}

pub(crate) fn run(args: TokensArgs, db: &DbArgs) -> anyhow::Result<ExitCode> {
    let mut store = db.open()?;
    match args.command {
        TokensCommand::Create { role, name } => {
            let role = Role::parse(&role).ok_or_else(|| anyhow::anyhow!("--role {role}: viewer, analyst or admin"))?;
            let (token, row) = create_token(store.as_mut(), role, &name, Utc::now())?;
            outln!("{token}");
            eprintln!("token {} ({}, {}) created; it is shown only this once", row.id, row.role, row.name);
        }
        TokensCommand::List => {
            let tokens = store.tokens()?;
            for t in &tokens {
                let revoked = t.revoked_at.map(|r| format!("revoked {}", ts(r))).unwrap_or_else(|| "active".into());
                outln!("{}  {:<8} {:<20} created {}  {}", t.id, t.role, t.name, ts(t.created_at), revoked);
            }
            outln!("{} tokens", tokens.len());
        }
        TokensCommand::Revoke { id } => {
            if !store.revoke_token(&id, Utc::now())? && !store.tokens()?.iter().any(|t| t.id == id) {
                eprintln!("lookout: no token with id '{id}'");
                return Ok(ExitCode::FAILURE);
            }
            outln!("revoked {id}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
