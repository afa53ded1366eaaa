//! The model registry routes: the engine's `models` functions, as `lookout models`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Utc;
use lookout_engine::models;
use lookout_store::{ModelChange, ModelVersion};
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::body::{Items, ModelEntry, Versions};
use crate::error::ErrorBody;
use lookout_store::ModelAudit;

use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/models", get(list))
        .route("/api/v1/models/{model}", get(show))
        .route("/api/v1/models/{model}/history", get(history))
        .route("/api/v1/models/{model}/drafts", post(create_draft))
        .route("/api/v1/models/{model}/versions/{version}", get(show_version))
        .route("/api/v1/models/{model}/versions/{version}/promote", post(promote))
        .route("/api/v1/models/{model}/rollback", post(rollback))
}

/// Every registered model with its versions.
#[utoipa::path(get, path = "/api/v1/models", tag = "models", responses((status = 200, body = Items<ModelEntry>), (status = "4XX", description = "a client mistake, naming the field", body = ErrorBody), (status = "5XX", description = "the server's own failure", body = ErrorBody)))]
pub(crate) async fn list(State(state): State<AppState>) -> Result<Json<Items<ModelEntry>>, ApiError> {
    let items = state
        .with_store(|s| {
            let codes = lookout_detect::Detectors::builtin().codes();
            let mut items = Vec::new();
            for code in codes {
                items.push(ModelEntry { model: code.to_string(), versions: models::versions(s, code)? });
            }
            Ok(items)
        })
        .await?;
    Ok(Json(Items { items }))
}

#[utoipa::path(get, path = "/api/v1/models/{model}", tag = "models", params(("model" = String, Path)), responses((status = 200, body = Versions), (status = "4XX", description = "a client mistake, naming the field", body = ErrorBody), (status = "5XX", description = "the server's own failure", body = ErrorBody)))]
pub(crate) async fn show(State(state): State<AppState>, Path(model): Path<String>) -> Result<Json<Versions>, ApiError> {
    let versions = state.with_store(move |s| Ok(models::versions(s, &model)?)).await?;
    Ok(Json(Versions { versions }))
}

fn version_number(raw: &str) -> Result<i64, ApiError> {
    raw.parse().map_err(|_| ApiError::bad_request("version", format!("version: not a number: '{raw}'")))
}

#[utoipa::path(get, path = "/api/v1/models/{model}/versions/{version}", tag = "models", params(("model" = String, Path), ("version" = i64, Path)), responses((status = 200, body = ModelVersion), (status = "4XX", description = "a client mistake, naming the field", body = ErrorBody), (status = "5XX", description = "the server's own failure", body = ErrorBody)))]
pub(crate) async fn show_version(
    State(state): State<AppState>,
    Path((model, version)): Path<(String, String)>,
) -> Result<Json<ModelVersion>, ApiError> {
    let v = version_number(&version)?;
    Ok(Json(state.with_store(move |s| Ok(models::version(s, &model, Some(v))?)).await?))
}

/// The audit trail: every seed, draft, promotion and rollback with before and after.
#[utoipa::path(get, path = "/api/v1/models/{model}/history", tag = "models", params(("model" = String, Path)), responses((status = 200, body = Items<ModelAudit>), (status = "4XX", description = "a client mistake, naming the field", body = ErrorBody), (status = "5XX", description = "the server's own failure", body = ErrorBody)))]
pub(crate) async fn history(
    State(state): State<AppState>,
    Path(model): Path<String>,
) -> Result<Json<Items<ModelAudit>>, ApiError> {
    let items = state
        .with_store(move |s| {
            models::versions(s, &model)?;
            Ok(s.model_audit(&model)?)
        })
        .await?;
    Ok(Json(Items { items }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DraftBody {
    /// Overrides merged over the base version's parameters.
    params: Value,
    /// The version to start from; default: the ACTIVE one.
    base: Option<i64>,
    actor: String,
    #[serde(default)]
    reason: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChangeBody {
    actor: String,
    #[serde(default)]
    reason: String,
    /// Only for rollback: the ARCHIVED version to re-activate.
    to: Option<i64>,
}

fn change(actor: String, reason: String) -> Result<ModelChange, ApiError> {
    if actor.trim().is_empty() {
        return Err(ApiError::bad_request("actor", "actor: required"));
    }
    Ok(ModelChange { actor, at: Utc::now(), reason })
}

#[utoipa::path(post, path = "/api/v1/models/{model}/drafts", tag = "models", params(("model" = String, Path)), request_body = DraftBody, responses((status = 201, body = ModelVersion), (status = "4XX", description = "a client mistake, naming the field", body = ErrorBody), (status = "5XX", description = "the server's own failure", body = ErrorBody)))]
pub(crate) async fn create_draft(
    State(state): State<AppState>,
    Path(model): Path<String>,
    ApiJson(b): ApiJson<DraftBody>,
) -> Result<(StatusCode, Json<ModelVersion>), ApiError> {
    let change = change(b.actor, b.reason)?;
    let draft = state.with_store(move |s| Ok(models::create_draft(s, &model, &b.params, b.base, &change)?)).await?;
    Ok((StatusCode::CREATED, Json(draft)))
}

#[utoipa::path(post, path = "/api/v1/models/{model}/versions/{version}/promote", tag = "models", params(("model" = String, Path), ("version" = i64, Path)), request_body = ChangeBody, responses((status = 200, body = ModelVersion), (status = "4XX", description = "a client mistake, naming the field", body = ErrorBody), (status = "5XX", description = "the server's own failure", body = ErrorBody)))]
pub(crate) async fn promote(
    State(state): State<AppState>,
    Path((model, version)): Path<(String, String)>,
    ApiJson(b): ApiJson<ChangeBody>,
) -> Result<Json<ModelVersion>, ApiError> {
    let v = version_number(&version)?;
    if b.to.is_some() {
        return Err(ApiError::bad_request("to", "to: only for rollback"));
    }
    let change = change(b.actor, b.reason)?;
    Ok(Json(state.with_store(move |s| Ok(models::promote(s, &model, v, &change)?)).await?))
}

#[utoipa::path(post, path = "/api/v1/models/{model}/rollback", tag = "models", params(("model" = String, Path)), request_body = ChangeBody, responses((status = 200, body = ModelVersion), (status = "4XX", description = "a client mistake, naming the field", body = ErrorBody), (status = "5XX", description = "the server's own failure", body = ErrorBody)))]
pub(crate) async fn rollback(
    State(state): State<AppState>,
    Path(model): Path<String>,
    ApiJson(b): ApiJson<ChangeBody>,
) -> Result<Json<ModelVersion>, ApiError> {
    let to = b.to;
    let change = change(b.actor, b.reason)?;
    Ok(Json(state.with_store(move |s| Ok(models::rollback(s, &model, to, &change)?)).await?))
}
