//! Routes that analyse without changing anything: the rules plan and a dry run, model
//! diffs and shadow runs, and anomaly scoring of a posted metric series. Each calls the
//! engine (or `lookout-anomaly`) function the CLI's `rules`, `models` and `anomaly`
//! commands call.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Duration, Utc};
use lookout_anomaly::explain::{explain, Lang};
use lookout_anomaly::{score_series, DetectorParams};
use lookout_engine::cycle::CycleRequest;
use lookout_engine::plan::{ExecOptions, Plan};
use lookout_engine::rules::RuleSet;
use lookout_engine::{dryrun, models, shadow};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiQuery};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/rules/plan", get(plan))
        .route("/api/v1/rules/dry-run", post(dry_run))
        .route("/api/v1/models/{model}/diff", get(diff))
        .route("/api/v1/models/{model}/versions/{version}/shadow", post(shadow_run))
        .route("/api/v1/anomaly", post(anomaly))
}

fn builtin_rules() -> Result<RuleSet, ApiError> {
    RuleSet::builtin().map_err(ApiError::internal)
}

/// The shipped rules' execution plan: stages, modes, dependencies.
#[derive(Serialize, ToSchema)]
pub struct PlanBody {
    /// One line per stage, as `lookout rules plan` prints them.
    pub lines: Vec<String>,
    #[schema(value_type = Object)]
    pub plan: Value,
}

#[utoipa::path(get, path = "/api/v1/rules/plan", tag = "rules", responses((status = 200, body = PlanBody), (status = "4XX", description = "a client mistake, naming the field", body = ErrorBody), (status = "5XX", description = "the server's own failure", body = ErrorBody)))]
pub(crate) async fn plan() -> Result<Json<PlanBody>, ApiError> {
    let set = builtin_rules()?;
    let plan = Plan::new(&set, ExecOptions::default());
    let lines = plan.render(&set);
    Ok(Json(PlanBody { lines, plan: serde_json::to_value(&plan).map_err(ApiError::internal)? }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DryRunBody {
    /// End of the window; default: the latest stored position.
    at: Option<DateTime<Utc>>,
    #[serde(default = "day_seconds")]
    window_seconds: i64,
    #[serde(default = "day_seconds")]
    lookback_seconds: i64,
}

fn day_seconds() -> i64 {
    86_400
}

fn seconds(field: &str, v: i64, min: i64) -> Result<Duration, ApiError> {
    if !(min..=366 * 86_400).contains(&v) {
        return Err(ApiError::bad_request(field, format!("{field}: from {min} second(s) to 366 days")));
    }
    Ok(Duration::seconds(v))
}

/// Plans and estimates a cycle over the store, as `lookout rules dry-run`: nothing is
/// executed or written.
#[utoipa::path(post, path = "/api/v1/rules/dry-run", tag = "rules", request_body = DryRunBody, responses((status = 200, description = "the plan, input sizes and estimated durations", body = Object), (status = "4XX", description = "a client mistake, naming the field", body = ErrorBody), (status = "5XX", description = "the server's own failure", body = ErrorBody)))]
pub(crate) async fn dry_run(
    State(state): State<AppState>,
    ApiJson(b): ApiJson<DryRunBody>,
) -> Result<Json<Value>, ApiError> {
    let window = seconds("window_seconds", b.window_seconds, 1)?;
    let lookback = seconds("lookback_seconds", b.lookback_seconds, 0)?;
    let set = builtin_rules()?;
    let places = state.places();
    let report = state
        .with_store(move |s| {
            let rules = models::resolve(&set, s, &BTreeMap::new(), None)?;
            let at = match b.at {
                Some(at) => at,
                None => s
                    .position_span()?
                    .map(|(_, last)| last)
                    .ok_or_else(|| ApiError::conflict("the store has no positions; ingest first"))?,
            };
            let req = CycleRequest {
                at,
                window,
                lookback,
                rules: &rules,
                exec: ExecOptions::default(),
                registry: None,
                zones: None,
                places: places.as_deref(),
            };
            Ok(dryrun::dry_run(s, &req)?)
        })
        .await?;
    Ok(Json(serde_json::to_value(&report).map_err(ApiError::internal)?))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct DiffQuery {
    /// The version to compare from; default: the ACTIVE one.
    from: Option<String>,
    /// The version to compare to.
    to: String,
}

/// One changed key between two versions' params.
#[derive(Serialize, ToSchema)]
pub struct DiffItem {
    /// Dotted key path.
    pub path: String,
    #[schema(value_type = Object)]
    pub before: Option<Value>,
    #[schema(value_type = Object)]
    pub after: Option<Value>,
}

/// Key-by-key differences between two versions.
#[derive(Serialize, ToSchema)]
pub struct DiffBody {
    pub from: i64,
    pub to: i64,
    pub changes: Vec<DiffItem>,
}

fn version_number(field: &str, raw: &str) -> Result<i64, ApiError> {
    raw.parse().map_err(|_| ApiError::bad_request(field, format!("{field}: not a version number: '{raw}'")))
}

/// Key-by-key differences between two versions' params, as `lookout models diff`.
#[utoipa::path(get, path = "/api/v1/models/{model}/diff", tag = "models", params(("model" = String, Path), DiffQuery), responses((status = 200, body = DiffBody), (status = "4XX", description = "a client mistake, naming the field", body = ErrorBody), (status = "5XX", description = "the server's own failure", body = ErrorBody)))]
pub(crate) async fn diff(
    State(state): State<AppState>,
    Path(model): Path<String>,
    ApiQuery(q): ApiQuery<DiffQuery>,
) -> Result<Json<DiffBody>, ApiError> {
    let from = q.from.as_deref().map(|v| version_number("from", v)).transpose()?;
    let to = version_number("to", &q.to)?;
    let body = state
        .with_store(move |s| {
            let a = models::version(s, &model, from)?;
            let b = models::version(s, &model, Some(to))?;
            let changes = models::diff(&a.params, &b.params)
                .into_iter()
                .map(|d| DiffItem { path: d.path, before: d.before, after: d.after })
                .collect();
            Ok(DiffBody { from: a.version, to: b.version, changes })
        })
        .await?;
    Ok(Json(body))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ShadowBody {
    /// The stored cycle (by its window end) to run on; default: the latest.
    at: Option<DateTime<Utc>>,
}

/// Runs a version in shadow beside the ACTIVE one on a stored cycle, as
/// `lookout models shadow`: findings added, removed and changed; nothing is written.
#[utoipa::path(post, path = "/api/v1/models/{model}/versions/{version}/shadow", tag = "models", params(("model" = String, Path), ("version" = i64, Path)), request_body = ShadowBody, responses((status = 200, description = "the shadow report", body = Object), (status = "4XX", description = "a client mistake, naming the field", body = ErrorBody), (status = "5XX", description = "the server's own failure", body = ErrorBody)))]
pub(crate) async fn shadow_run(
    State(state): State<AppState>,
    Path((model, version)): Path<(String, String)>,
    ApiJson(b): ApiJson<ShadowBody>,
) -> Result<Json<Value>, ApiError> {
    let v = version_number("version", &version)?;
    let set = builtin_rules()?;
    let report = state
        .with_store(move |s| {
            // An unknown model is a 404, as on every model route.
            models::versions(s, &model)?;
            Ok(shadow::shadow(s, &set, &model, v, &BTreeMap::new(), ExecOptions::default(), None, b.at)?)
        })
        .await?;
    Ok(Json(serde_json::to_value(&report).map_err(ApiError::internal)?))
}

/// One point of a metric series.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SeriesPoint {
    #[schema(value_type = String, format = DateTime)]
    at: DateTime<Utc>,
    value: f64,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AnomalyBody {
    /// Points in time order.
    points: Vec<SeriesPoint>,
    /// Detector parameters over the defaults (as `lookout anomaly --params`).
    #[schema(value_type = Object)]
    params: Option<Value>,
    /// `en` (default) or `ko`.
    lang: Option<String>,
}

/// A scored point with its explanation.
#[derive(Serialize, ToSchema)]
pub struct ScoredPoint {
    /// Every score the detectors keep for this point.
    #[schema(value_type = Object)]
    pub score: Value,
    /// One sentence from the numbers.
    pub explanation: String,
}

/// Points a series may have in one request.
const MAX_POINTS: usize = 100_000;

/// Scores a metric series point by point (no look-ahead) with explanations, as
/// `lookout anomaly --explain`.
#[utoipa::path(post, path = "/api/v1/anomaly", tag = "anomaly", request_body = AnomalyBody, responses((status = 200, body = crate::body::Items<ScoredPoint>), (status = "4XX", description = "a client mistake, naming the field", body = ErrorBody), (status = "5XX", description = "the server's own failure", body = ErrorBody)))]
pub(crate) async fn anomaly(
    ApiJson(b): ApiJson<AnomalyBody>,
) -> Result<Json<crate::body::Items<ScoredPoint>>, ApiError> {
    let lang: Lang = b.lang.as_deref().unwrap_or("en").parse().map_err(|e: String| ApiError::bad_request("lang", e))?;
    let params: DetectorParams = match b.params {
        None => DetectorParams::default(),
        Some(v) => serde_json::from_value(v).map_err(|e| ApiError::bad_request("params", format!("params: {e}")))?,
    };
    if b.points.is_empty() || b.points.len() > MAX_POINTS {
        return Err(ApiError::bad_request("points", format!("points: from 1 to {MAX_POINTS}")));
    }
    if b.points.windows(2).any(|w| w[0].at >= w[1].at) {
        return Err(ApiError::bad_request("points", "points: times must increase"));
    }
    if b.points.iter().any(|p| !p.value.is_finite()) {
        return Err(ApiError::bad_request("points", "points: values must be finite numbers"));
    }
    let timestamps: Vec<i64> = b.points.iter().map(|p| p.at.timestamp()).collect();
    let values: Vec<f64> = b.points.iter().map(|p| p.value).collect();
    // CPU-bound: off the runtime's threads.
    let items = tokio::task::spawn_blocking(move || {
        score_series(&timestamps, &values, &params)
            .iter()
            .map(|s| {
                Ok(ScoredPoint {
                    score: serde_json::to_value(s).map_err(ApiError::internal)?,
                    explanation: explain(s, &params, lang),
                })
            })
            .collect::<Result<Vec<_>, ApiError>>()
    })
    .await
    .map_err(ApiError::internal)??;
    Ok(Json(crate::body::Items { items }))
}
