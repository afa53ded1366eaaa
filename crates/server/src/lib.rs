//! `lookout serve`: the HTTP API.
//!
//! Only this crate knows HTTP. Handlers translate a request into a call of the same
//! engine and store functions the CLI uses, and the result back into JSON; no detection,
//! lifecycle or storage logic lives here. The store is synchronous: every call runs on
//! the blocking pool (`spawn_blocking`) with a store opened for the request, so a slow
//! query never stalls the runtime, and on SQLite (WAL) readers never wait for a running
//! cycle.

mod analysis;
pub mod auth;
mod body;
mod error;
mod extract;
pub mod metrics;
mod models;
pub mod openapi;
mod params;
mod routes;
mod sources;
mod stream;

use std::sync::Arc;
use std::time::Duration;

use axum::http::{HeaderName, StatusCode};
use axum::Router;
use lookout_engine::outputs::OutputConfig;
use lookout_store::{SharedStore, Store};

/// Idle connections kept; more are opened under load and closed when returned.
const MAX_IDLE_STORES: usize = 16;
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use error::ApiError;

/// What every handler shares: where the store is and how the output pipeline runs.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    db: String,
    /// Idle stores, reused across requests (a connection each: on SQLite WAL a reader
    /// never waits for a writer, on PostgreSQL each is a session).
    pool: std::sync::Mutex<Vec<SharedStore>>,
    hub: stream::Hub,
    output: OutputConfig,
    auth: bool,
    metrics: metrics::Metrics,
    /// Ports and anchorages the cycles it runs measure from (`lookout serve --ports`).
    places: Option<Arc<lookout_detect::input::places::PlaceSet>>,
    /// The live path's counters, when `lookout serve` runs feeds (`sources`).
    live: std::sync::OnceLock<Arc<lookout_live::stats::LiveStatus>>,
}

impl Drop for Inner {
    /// The pooled stores close on a plain thread: a PostgreSQL client closes by blocking
    /// on its own runtime, which may not happen on one of the server's runtime threads
    /// (where the last `AppState` usually goes).
    fn drop(&mut self) {
        let stores = match self.pool.get_mut() {
            Ok(pool) => std::mem::take(pool),
            Err(poisoned) => std::mem::take(poisoned.into_inner()),
        };
        if !stores.is_empty() {
            let _ = std::thread::spawn(move || drop(stores)).join();
        }
    }
}

impl AppState {
    /// `db`: a `--db` value (SQLite file or PostgreSQL URL).
    /// Every route but the probes needs a bearer token (see [`auth`]).
    pub fn new(db: impl Into<String>, output: OutputConfig) -> AppState {
        AppState::build(db.into(), output, true)
    }

    /// Without tokens: for `--no-auth` on a loopback address only (the CLI checks).
    pub fn without_auth(db: impl Into<String>, output: OutputConfig) -> AppState {
        AppState::build(db.into(), output, false)
    }

    fn build(db: String, output: OutputConfig, auth: bool) -> AppState {
        let inner = Inner {
            db,
            pool: Default::default(),
            hub: Default::default(),
            output,
            auth,
            metrics: metrics::Metrics::default(),
            places: None,
            live: Default::default(),
        };
        AppState { inner: Arc::new(inner) }
    }

    /// The same state with this port list for the cycles it runs (before the state is
    /// shared: a state already cloned keeps its list, and this is logged).
    pub fn with_places(mut self, places: Option<lookout_detect::input::places::PlaceSet>) -> AppState {
        match Arc::get_mut(&mut self.inner) {
            Some(inner) => inner.places = places.map(Arc::new),
            None => tracing::warn!("with_places on a shared server state: port list not changed"),
        }
        self
    }

    /// The port list cycles run with, if any.
    pub fn places(&self) -> Option<Arc<lookout_detect::input::places::PlaceSet>> {
        self.inner.places.clone()
    }

    fn hub(&self) -> &stream::Hub {
        &self.inner.hub
    }

    pub fn metrics(&self) -> &metrics::Metrics {
        &self.inner.metrics
    }

    pub fn auth_enabled(&self) -> bool {
        self.inner.auth
    }

    pub fn output(&self) -> &OutputConfig {
        &self.inner.output
    }

    /// Runs `f` on the blocking pool with a store from the pool (opened when none is
    /// idle), so the runtime never waits on the synchronous store.
    pub async fn with_store<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut dyn Store) -> Result<T, ApiError> + Send + 'static,
    {
        let state = self.clone();
        tokio::task::spawn_blocking(move || {
            let mut store = state.checkout()?;
            let out = f(store.as_mut());
            state.checkin(store);
            out
        })
        .await
        .map_err(ApiError::internal)?
    }

    fn checkout(&self) -> Result<SharedStore, ApiError> {
        let idle = self.inner.pool.lock().ok().and_then(|mut p| p.pop());
        match idle {
            Some(store) => Ok(store),
            None => Ok(lookout_store::open_shared(&self.inner.db)?),
        }
    }

    fn checkin(&self, store: SharedStore) {
        if let Ok(mut pool) = self.inner.pool.lock() {
            if pool.len() < MAX_IDLE_STORES {
                pool.push(store);
            }
        }
    }
}

/// Server limits (request body size, per-request time).
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub body_bytes: usize,
    pub timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { body_bytes: 16 * 1024 * 1024, timeout: Duration::from_secs(60) }
    }
}

/// The whole API with its middleware.
pub fn app(state: AppState) -> Router {
    app_with(state, Limits::default())
}

pub fn app_with(state: AppState, limits: Limits) -> Router {
    let request_id = HeaderName::from_static("x-request-id");
    routes::router()
        .merge(models::router())
        .merge(analysis::router())
        .route("/api/v1/sources", axum::routing::get(sources::list))
        .route("/metrics", axum::routing::get(metrics::scrape))
        .route("/openapi.json", axum::routing::get(openapi::serve))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), auth::require))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), metrics::track))
        .with_state(state)
        .fallback(|| async {
            ApiError {
                status: StatusCode::NOT_FOUND,
                code: "not_found",
                message: "no such route".into(),
                field: Some("path".into()),
            }
        })
        .layer(CompressionLayer::new())
        .layer(RequestBodyLimitLayer::new(limits.body_bytes))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, limits.timeout))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(TraceLayer::new_for_http())
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
}

/// Serves `app` on `listener` until ctrl-c or SIGTERM; in-flight requests finish.
pub async fn serve(listener: tokio::net::TcpListener, app: Router) -> std::io::Result<()> {
    axum::serve(listener, app).with_graceful_shutdown(shutdown_signal()).await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
