//! `lookout serve`: the HTTP API (crate `lookout-server`) over the store.

use std::net::SocketAddr;
use std::process::ExitCode;

use anyhow::Context;

use super::common::DbArgs;
use super::outputs_common::OutputArgs;

#[derive(clap::Args)]
pub(crate) struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// Largest accepted request body, in bytes.
    #[arg(long, default_value_t = 16 * 1024 * 1024)]
    pub max_body: usize,
    /// Check the options, open the store and bind, print the URL, then exit without serving.
    #[arg(long)]
    pub check: bool,
    /// Serve without tokens (everyone is admin); only on a loopback address.
    #[arg(long)]
    pub no_auth: bool,
    /// Ports and anchorages for the cycles the API runs (CSV or GeoJSON, gzip allowed)
    /// or `none`; default: the shipped list (data/ports/world_ports.csv.gz).
    #[arg(long, value_name = "FILE|none")]
    pub ports: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub out: OutputArgs,
    #[command(flatten)]
    pub live: super::live::LiveArgs,
}

pub(crate) fn run(args: ServeArgs, db: &DbArgs) -> anyhow::Result<ExitCode> {
    let cfg = args.out.config()?;
    let ports = super::analyze::load_ports(args.ports.as_deref())?;
    tracing::info!("{}", ports.describe());
    let live = args.live.config()?;
    // Open (and migrate) once up front so a bad --db fails here, not on the first request.
    db.open()?;
    let state = if args.no_auth {
        anyhow::ensure!(
            args.bind.ip().is_loopback(),
            "--no-auth is only allowed on a loopback address, not {}",
            args.bind
        );
        tracing::warn!("--no-auth: every request is served as admin without a token");
        eprintln!("lookout serve: WARNING: --no-auth: NO AUTHENTICATION, every local client is admin");
        lookout_server::AppState::without_auth(db.db.clone(), cfg)
    } else {
        lookout_server::AppState::new(db.db.clone(), cfg)
    }
    .with_places(ports.set);
    let limits = lookout_server::Limits { body_bytes: args.max_body, ..lookout_server::Limits::default() };
    if args.check {
        let listener = std::net::TcpListener::bind(args.bind).with_context(|| format!("binding {}", args.bind))?;
        outln!(
            "lookout serve: http://{}/api/v1 (store {}; --check: not serving)",
            listener.local_addr()?,
            db.location()
        );
        return Ok(ExitCode::SUCCESS);
    }
    serve_live_until_stopped(state, args.bind, limits, &db.location(), live.map(|l| (l, db.db.clone())))?;
    Ok(ExitCode::SUCCESS)
}

/// Serves until ctrl-c or SIGTERM, after printing the URL (the first line of stdout).
pub(crate) fn serve_until_stopped(
    state: lookout_server::AppState,
    bind: SocketAddr,
    limits: lookout_server::Limits,
    location: &str,
) -> anyhow::Result<()> {
    serve_live_until_stopped(state, bind, limits, location, None)
}

/// [`serve_until_stopped`] with the live path (feeds, scheduler) when configured; on
/// shutdown the feeds stop, their last batch is stored and a running cycle completes.
pub(crate) fn serve_live_until_stopped(
    state: lookout_server::AppState,
    bind: SocketAddr,
    limits: lookout_server::Limits,
    location: &str,
    live: Option<(lookout_live::config::LiveConfig, String)>,
) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the runtime")?;
    let live = match live {
        Some((cfg, db)) => Some(super::live::start(&cfg, &db, &state, runtime.handle().clone())?),
        None => None,
    };
    let served = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(bind).await.with_context(|| format!("binding {bind}"))?;
        let addr = listener.local_addr()?;
        outln!("lookout serve: http://{addr}/api/v1 (store {location})");
        super::super::output::flush_stdout()?;
        lookout_server::serve(listener, lookout_server::app_with(state, limits)).await.context("serving")
    });
    if let Some(live) = live {
        // The scheduler publishes through the runtime: stop it on a plain thread.
        runtime.block_on(async { tokio::task::spawn_blocking(move || live.shutdown()).await }).ok();
    }
    served
}
