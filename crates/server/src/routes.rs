//! The routes: each translates HTTP into one engine or store call and back.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Duration, Utc};
use lookout_engine::outputs;
use lookout_model::VesselId;
use lookout_pipeline::lifecycle::Action;
use lookout_pipeline::{Matcher, Silence};
use lookout_store::VesselRow;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::body::{
    CycleRun, EventDetail, FindingItem, Items, KpisBody, OutboxRow, Ready, StageFailure, StatsBody, StatsRows, Status,
    StepResult, TrackCollection, VesselDetail,
};
use crate::error::ApiError;
use crate::error::ErrorBody;
use crate::extract::{ApiJson, ApiQuery};
use crate::params::{self, page, Page};
use crate::AppState;
use axum::response::IntoResponse;
use lookout_pipeline::{Alert, Event};
use lookout_store::CycleStats;
use lookout_store::{EventQuery, FindingQuery};
use utoipa::{IntoParams, ToSchema};

/// The output stages that failed, by name, with what went wrong.
fn stage_failures(report: &lookout_pipeline::RunReport) -> Vec<StageFailure> {
    report.failures().map(|f| StageFailure { stage: f.stage.clone(), detail: f.detail.clone() }).collect()
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/api/v1/events", get(list_events))
        .route("/api/v1/events/{id}", get(show_event))
        .route("/api/v1/events/{id}/ack", post(ack))
        .route("/api/v1/events/{id}/confirm", post(confirm))
        .route("/api/v1/events/{id}/false-positive", post(false_positive))
        .route("/api/v1/events/{id}/enforce", post(enforce))
        .route("/api/v1/events/{id}/close", post(close))
        .route("/api/v1/vessels", get(search_vessels))
        .route("/api/v1/vessels/{id}", get(show_vessel))
        .route("/api/v1/vessels/{id}/track", get(vessel_track))
        .route("/api/v1/findings", get(list_findings))
        .route("/api/v1/stream", get(crate::stream::stream))
        .route("/api/v1/exports/events/{format}", get(export_events))
        .route("/api/v1/exports/findings/{format}", get(export_findings))
        .route("/api/v1/alerts", get(list_alerts))
        .route("/api/v1/silences", get(list_silences).post(create_silence))
        .route("/api/v1/silences/{id}/expire", post(expire_silence))
        .route("/api/v1/outbox", get(list_outbox))
        .route("/api/v1/kpis", get(kpis))
        .route("/api/v1/stats/{period}", get(stats))
        .route("/api/v1/cycles", get(cycles).post(run_cycle))
        .route("/api/v1/ingest", post(ingest))
}

#[utoipa::path(get, path = "/healthz", tag = "probes", security(()), responses((status = 200, body = Status)))]
pub(crate) async fn healthz() -> Json<Status> {
    Json(Status { status: "ok".into() })
}

/// Ready when the store opens (which migrates it to the current schema) and answers.
#[utoipa::path(get, path = "/readyz", tag = "probes", security(()), responses((status = 200, body = Ready), (status = 503, body = ErrorBody)))]
pub(crate) async fn readyz(State(state): State<AppState>) -> Result<Json<Ready>, ApiError> {
    let info = state.with_store(|s| Ok(s.info()?)).await.map_err(|e| ApiError {
        status: StatusCode::SERVICE_UNAVAILABLE,
        code: "not_ready",
        message: e.message,
        field: None,
    })?;
    Ok(Json(Ready { status: "ready".into(), store: info }))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct EventsQuery {
    category: Option<String>,
    level: Option<String>,
    status: Option<String>,
    vessel: Option<String>,
    from: Option<String>,
    to: Option<String>,
    /// `min_lon,min_lat,max_lon,max_lat`: one of the event's vessels reported inside it
    /// during the episode.
    bbox: Option<String>,
    cursor: Option<String>,
    limit: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/events", tag = "events", params(EventsQuery), responses((status = 200, body = Page<Event>), (status = "4XX", description = "a client mistake, naming the field", body = ErrorBody), (status = "5XX", description = "the server's own failure", body = ErrorBody)))]
pub(crate) async fn list_events(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<EventsQuery>,
) -> Result<Json<Page<lookout_pipeline::Event>>, ApiError> {
    Ok(Json(events_page(&state, q).await?))
}

/// The page of events `q` asks for: every filter and the page boundary in SQL.
async fn events_page(state: &AppState, q: EventsQuery) -> Result<Page<lookout_pipeline::Event>, ApiError> {
    let (from, to) = params::range(q.from.as_deref(), q.to.as_deref())?;
    let status = params::status(q.status.as_deref())?;
    let category = params::category(q.category.as_deref())?;
    let level = params::level(q.level.as_deref())?;
    let bbox = params::bbox(q.bbox.as_deref())?;
    let cursor = params::decode_cursor(q.cursor.as_deref())?;
    let limit = params::limit(q.limit.as_deref())?;
    let events = state
        .with_store(move |s| {
            let query = EventQuery {
                status,
                category,
                level,
                vessel: q.vessel.as_deref(),
                from,
                to,
                bbox,
                open_only: false,
                after: cursor.as_deref(),
                // One more than asked says whether another page follows.
                limit: limit + 1,
            };
            Ok(s.queries().events_page(&query)?)
        })
        .await?;
    Ok(params::page_of(events, limit, |e| params::encode_cursor(&e.id)))
}

/// One event with its history (inside the event) and its enforcement records.
#[utoipa::path(get, path = "/api/v1/events/{id}", tag = "events", params(("id" = String, Path)), responses((status = 200, body = EventDetail), (status = "4XX", description = "a client mistake, naming the field", body = ErrorBody), (status = "5XX", description = "the server's own failure", body = ErrorBody)))]
pub(crate) async fn show_event(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<EventDetail>, ApiError> {
    let (event, enforcements) = state
        .with_store(move |s| {
            let event = s
                .events_by_ids(std::slice::from_ref(&id))?
                .into_iter()
                .next()
                .ok_or_else(|| ApiError::not_found("id", format!("no event with id '{id}'")))?;
            let enforcements = s.event_enforcements(&event.id)?;
            Ok((event, enforcements))
        })
        .await?;
    Ok(Json(EventDetail { event, enforcements }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct StepBody {
    actor: String,
    #[serde(default)]
    note: String,
    /// Only for `enforce`: what was done (boarding, warning, seizure, ...).
    action: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/events/{id}/ack", tag = "events", params(("id" = String, Path)), request_body = StepBody, responses((status = 200, body = StepResult), (status = "4XX", description = "a client mistake, naming the field", body = ErrorBody), (status = "5XX", description = "the server's own failure", body = ErrorBody)))]
pub(crate) async fn ack(
    state: State<AppState>,
    id: Path<String>,
    body: ApiJson<StepBody>,
) -> Result<Json<StepResult>, ApiError> {
    step(state, id, body, Action::Ack).await
}

#[utoipa::path(post, path = "/api/v1/events/{id}/confirm", tag = "events", params(("id" = String, Path)), request_body = StepBody, responses((status = 200, body = StepResult), (status = "4XX", description = "a client mistake, naming the field", body = ErrorBody), (status = "5XX", description = "the server's own failure", body = ErrorBody)))]
pub(crate) async fn confirm(
    state: State<AppState>,
    id: Path<String>,
    body: ApiJson<StepBody>,
) -> Result<Json<StepResult>, ApiError> {
    step(state, id, body, Action::Confirm).await
}

#[utoipa::path(post, path = "/api/v1/events/{id}/false-positive", tag = "events", params(("id" = String, Path)), request_body = StepBody, responses((status = 200, body = StepResult), (status = "4XX", description = "a client mistake, naming the field", body = ErrorBody), (status = "5XX", description = "the server's own failure", body = ErrorBody)))]
pub(crate) async fn false_positive(
    state: State<AppState>,
    id: Path<String>,
    body: ApiJson<StepBody>,
) -> Result<Json<StepResult>, ApiError> {
    step(state, id, body, Action::FalsePositive).await
}

#[utoipa::path(post, path = "/api/v1/events/{id}/enforce", tag = "events", params(("id" = String, Path)), request_body = StepBody, responses((status = 200, body = StepResult), (status = "4XX", description = "a client mistake, naming the field", body = ErrorBody), (status = "5XX", description = "the server's own failure", body = ErrorBody)))]
pub(crate) async fn enforce(
    state: State<AppState>,
    id: Path<String>,
    body: ApiJson<StepBody>,
) -> Result<Json<StepResult>, ApiError> {
    step(state, id, body, Action::Enforce).await
}

#[utoipa::path(post, path = "/api/v1/events/{id}/close", tag = "events", params(("id" = String, Path)), request_body = StepBody, responses((status = 200, body = StepResult), (status = "4XX", description = "a client mistake, naming the field", body = ErrorBody), (status = "5XX", description = "the server's own failure", body = ErrorBody)))]
pub(crate) async fn close(
    state: State<AppState>,
    id: Path<String>,
    body: ApiJson<StepBody>,
) -> Result<Json<StepResult>, ApiError> {
    step(state, id, body, Action::Close).await
}

/// The lifecycle step through the engine's `event_action`, as `lookout events <step>`.
async fn step(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<StepBody>,
    action: Action,
) -> Result<Json<StepResult>, ApiError> {
    if body.actor.trim().is_empty() {
        return Err(ApiError::bad_request("actor", "actor: required"));
    }
    let enforcement = match (action, body.action) {
        (Action::Enforce, Some(a)) if !a.trim().is_empty() => Some(a),
        (Action::Enforce, _) => return Err(ApiError::bad_request("action", "action: required to enforce")),
        (_, Some(_)) => return Err(ApiError::bad_request("action", "action: only for enforce")),
        (_, None) => None,
    };
    let cfg = state.output().clone();
    let now = Utc::now();
    let (event, report) = state
        .with_store(move |s| {
            Ok(outputs::event_action(s, &id, action, &body.actor, &body.note, enforcement.as_deref(), now, &cfg)?)
        })
        .await?;
    let payload = serde_json::to_value(&event).map_err(ApiError::internal)?;
    state.publish(vec![("event".into(), payload)]).await?;
    Ok(Json(StepResult { event, stage_failures: stage_failures(&report) }))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct AlertQuery {
    all: Option<String>,
    cursor: Option<String>,
    limit: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/alerts", tag = "alerts", params(AlertQuery), responses((status = 200, body = Page<Alert>), (status = "4XX", description = "a client mistake, naming the field", body = ErrorBody), (status = "5XX", description = "the server's own failure", body = ErrorBody)))]
pub(crate) async fn list_alerts(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<AlertQuery>,
) -> Result<Json<params::Page<lookout_pipeline::Alert>>, ApiError> {
    let all = params::boolean("all", q.all.as_deref())?;
    let cursor = params::decode_cursor(q.cursor.as_deref())?;
    let limit = params::limit(q.limit.as_deref())?;
    let alerts = state.with_store(move |s| Ok(s.queries().alerts_page(all, cursor.as_deref(), limit + 1)?)).await?;
    Ok(Json(params::page_of(alerts, limit, |a| params::encode_cursor(&a.fingerprint))))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct PageQuery {
    cursor: Option<String>,
    limit: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/silences", tag = "alerts", params(PageQuery), responses((status = 200, body = Page<Silence>), (status = "4XX", description = "a client mistake, naming the field", body = ErrorBody), (status = "5XX", description = "the server's own failure", body = ErrorBody)))]
pub(crate) async fn list_silences(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Json<params::Page<Silence>>, ApiError> {
    let cursor = params::decode_cursor(q.cursor.as_deref())?;
    let limit = params::limit(q.limit.as_deref())?;
    // One more than asked says whether another page follows.
    let silences = state.with_store(move |s| Ok(s.queries().silences_page(cursor.as_deref(), limit + 1)?)).await?;
    Ok(Json(params::page_of(silences, limit, |s| params::encode_cursor(&s.id))))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SilenceBody {
    /// `name=value`, `name!=value`, `name=~regex`, `name!~regex`.
    matchers: Vec<String>,
    starts_at: Option<DateTime<Utc>>,
    ends_at: Option<DateTime<Utc>>,
    /// Length in seconds from `starts_at`, instead of `ends_at`.
    duration_seconds: Option<i64>,
    created_by: String,
    #[serde(default)]
    comment: String,
}

#[utoipa::path(post, path = "/api/v1/silences", tag = "alerts", request_body = SilenceBody, responses((status = 201, body = Silence), (status = "4XX", description = "a client mistake, naming the field", body = ErrorBody), (status = "5XX", description = "the server's own failure", body = ErrorBody)))]
pub(crate) async fn create_silence(
    State(state): State<AppState>,
    ApiJson(b): ApiJson<SilenceBody>,
) -> Result<(StatusCode, Json<Silence>), ApiError> {
    let starts = b.starts_at.unwrap_or_else(Utc::now);
    let ends = match (b.ends_at, b.duration_seconds) {
        (Some(e), None) => e,
        (None, Some(d)) if d > 0 => starts + Duration::seconds(d),
        (None, Some(_)) => return Err(ApiError::bad_request("duration_seconds", "duration_seconds: must be positive")),
        _ => return Err(ApiError::bad_request("ends_at", "give exactly one of ends_at and duration_seconds")),
    };
    let matchers = b
        .matchers
        .iter()
        .map(|m| Matcher::parse(m).map_err(|e| ApiError::bad_request("matchers", e.to_string())))
        .collect::<Result<Vec<_>, _>>()?;
    let silence = Silence::new(matchers, starts, ends, &b.created_by, &b.comment)
        .map_err(|e| ApiError::bad_request("matchers", e.to_string()))?;
    let saved = silence.clone();
    state.with_store(move |s| Ok(s.put_silence(&saved)?)).await?;
    Ok((StatusCode::CREATED, Json(silence)))
}

#[utoipa::path(post, path = "/api/v1/silences/{id}/expire", tag = "alerts", params(("id" = String, Path)), responses((status = 200, body = Silence), (status = "4XX", description = "a client mistake, naming the field", body = ErrorBody), (status = "5XX", description = "the server's own failure", body = ErrorBody)))]
pub(crate) async fn expire_silence(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Silence>, ApiError> {
    let now = Utc::now();
    let silence = state
        .with_store(move |s| {
            let mut silence = s
                .silences()?
                .into_iter()
                .find(|x| x.id == id)
                .ok_or_else(|| ApiError::not_found("id", format!("no silence with id '{id}'")))?;
            silence.expire(now);
            s.put_silence(&silence)?;
            Ok(silence)
        })
        .await?;
    Ok(Json(silence))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct OutboxQuery {
    pending: Option<String>,
    cursor: Option<String>,
    limit: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/outbox", tag = "alerts", params(OutboxQuery), responses((status = 200, body = Page<OutboxRow>), (status = "4XX", description = "a client mistake, naming the field", body = ErrorBody), (status = "5XX", description = "the server's own failure", body = ErrorBody)))]
pub(crate) async fn list_outbox(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<OutboxQuery>,
) -> Result<Json<params::Page<OutboxRow>>, ApiError> {
    let pending = params::boolean("pending", q.pending.as_deref())?;
    let cursor = params::decode_cursor(q.cursor.as_deref())?;
    let limit = params::limit(q.limit.as_deref())?;
    let after = cursor
        .map(|c| {
            c.parse::<i64>().map_err(|_| ApiError::bad_request("cursor", "cursor: not a cursor this server returned"))
        })
        .transpose()?;
    let rows = state.with_store(move |s| Ok(s.queries().outbox_page(pending, after, limit + 1)?)).await?;
    // Rows keyed by the store's sequence number (zero-padded so text order is it).
    let keyed = rows.into_iter().map(|item| OutboxRow { seq: format!("{:020}", item.seq), item }).collect();
    Ok(Json(params::page_of(keyed, limit, |r| params::encode_cursor(&r.item.seq.to_string()))))
}

#[utoipa::path(get, path = "/api/v1/kpis", tag = "statistics", responses((status = 200, body = KpisBody), (status = "4XX", description = "a client mistake, naming the field", body = ErrorBody), (status = "5XX", description = "the server's own failure", body = ErrorBody)))]
pub(crate) async fn kpis(State(state): State<AppState>) -> Result<Json<KpisBody>, ApiError> {
    let kpis = state.with_store(|s| Ok(s.kpis()?)).await?;
    Ok(Json(KpisBody { kpis }))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct RangeQuery {
    from: Option<String>,
    to: Option<String>,
}

/// Hourly, daily or monthly statistics in `[from, to)`; default: every stored bucket.
#[utoipa::path(get, path = "/api/v1/stats/{period}", tag = "statistics", params(("period" = String, Path, description = "hourly, daily or monthly"), RangeQuery), responses((status = 200, body = StatsBody), (status = "4XX", description = "a client mistake, naming the field", body = ErrorBody), (status = "5XX", description = "the server's own failure", body = ErrorBody)))]
pub(crate) async fn stats(
    State(state): State<AppState>,
    Path(period): Path<String>,
    ApiQuery(q): ApiQuery<RangeQuery>,
) -> Result<Json<StatsBody>, ApiError> {
    let (from, to) = params::range(q.from.as_deref(), q.to.as_deref())?;
    let from = from.unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
    let to = to.unwrap_or_else(|| DateTime::<Utc>::UNIX_EPOCH + Duration::days(365 * 200));
    let rows = state
        .with_store(move |s| {
            Ok(match period.as_str() {
                "hourly" => StatsRows::Hourly(s.hourly_stats(from, to)?),
                "daily" => StatsRows::Daily(s.daily_stats(from, to)?),
                "monthly" => StatsRows::Monthly(s.monthly_stats(from, to)?),
                _ => return Err(ApiError::not_found("period", "period: hourly, daily or monthly")),
            })
        })
        .await?;
    Ok(Json(StatsBody { items: rows }))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct CycleQuery {
    limit: Option<String>,
}

/// The latest cycles, newest first, with per-rule statistics.
#[utoipa::path(get, path = "/api/v1/cycles", tag = "cycles", params(CycleQuery), responses((status = 200, body = Items<CycleStats>), (status = "4XX", description = "a client mistake, naming the field", body = ErrorBody), (status = "5XX", description = "the server's own failure", body = ErrorBody)))]
pub(crate) async fn cycles(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<CycleQuery>,
) -> Result<Json<Items<CycleStats>>, ApiError> {
    let limit = params::limit(q.limit.as_deref())?;
    let items = state.with_store(move |s| Ok(s.recent_cycle_stats(limit)?)).await?;
    Ok(Json(Items { items }))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct VesselQuery {
    /// Prefix of the id, name, call sign or IMO (case ignored); empty: every vessel.
    q: Option<String>,
    cursor: Option<String>,
    limit: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/vessels", tag = "vessels", params(VesselQuery), responses((status = 200, body = Page<VesselRow>), (status = "4XX", description = "a client mistake, naming the field", body = ErrorBody), (status = "5XX", description = "the server's own failure", body = ErrorBody)))]
pub(crate) async fn search_vessels(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<VesselQuery>,
) -> Result<Json<params::Page<VesselRow>>, ApiError> {
    let cursor = params::decode_cursor(q.cursor.as_deref())?;
    let limit = params::limit(q.limit.as_deref())?;
    let prefix = q.q.unwrap_or_default();
    // One more than asked says whether another page follows.
    let rows = state.with_store(move |s| Ok(s.search_vessels(&prefix, cursor.as_deref(), limit + 1)?)).await?;
    Ok(Json(page(rows, |r| r.vessel.as_str(), None, limit)))
}

/// A vessel with its identity history, last position and open events.
#[utoipa::path(get, path = "/api/v1/vessels/{id}", tag = "vessels", params(("id" = String, Path)), responses((status = 200, body = VesselDetail), (status = "4XX", description = "a client mistake, naming the field", body = ErrorBody), (status = "5XX", description = "the server's own failure", body = ErrorBody)))]
pub(crate) async fn show_vessel(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<VesselDetail>, ApiError> {
    let detail = state
        .with_store(move |s| {
            let vessel = VesselId::new(id.as_str());
            let row =
                s.vessel(&vessel)?.ok_or_else(|| ApiError::not_found("id", format!("no vessel with id '{id}'")))?;
            let identities = s.vessel_identities(&vessel)?;
            let last_position = s.last_position(&vessel)?;
            let events = EventQuery {
                vessel: Some(vessel.as_str()),
                open_only: true,
                limit: params::MAX_LIMIT,
                ..Default::default()
            };
            let open_events = s.queries().events_page(&events)?;
            let newest = |detector: Option<&'static str>, limit| FindingQuery {
                detector,
                vessel: Some(vessel.as_str()),
                newest_first: true,
                limit,
                ..Default::default()
            };
            let current_risk = s
                .queries()
                .findings_page(&newest(Some(lookout_engine::composite::COMPOSITE), 1))?
                .into_iter()
                .next()
                .map(FindingItem::from);
            let recent_findings =
                s.queries().findings_page(&newest(None, RECENT_FINDINGS))?.into_iter().map(FindingItem::from).collect();
            Ok(VesselDetail { vessel: row, identities, last_position, open_events, current_risk, recent_findings })
        })
        .await?;
    Ok(Json(detail))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CycleBody {
    /// End of the window; default: the latest stored position.
    at: Option<DateTime<Utc>>,
    #[serde(default = "day_seconds")]
    window_seconds: i64,
    #[serde(default = "day_seconds")]
    lookback_seconds: i64,
    actor: String,
}

fn day_seconds() -> i64 {
    86_400
}

/// Runs a cycle now with the shipped rules and the ACTIVE model versions, then the
/// output pipeline, as `lookout analyze` does (without zones or a permit registry).
#[utoipa::path(post, path = "/api/v1/cycles", tag = "cycles", request_body = CycleBody, responses((status = 200, body = CycleRun), (status = "4XX", description = "a client mistake, naming the field", body = ErrorBody), (status = "5XX", description = "the server's own failure", body = ErrorBody)))]
pub(crate) async fn run_cycle(
    State(state): State<AppState>,
    ApiJson(b): ApiJson<CycleBody>,
) -> Result<Json<CycleRun>, ApiError> {
    if b.actor.trim().is_empty() {
        return Err(ApiError::bad_request("actor", "actor: required"));
    }
    for (field, v) in [("window_seconds", b.window_seconds), ("lookback_seconds", b.lookback_seconds)] {
        if !(0..=366 * 86_400).contains(&v) || (field == "window_seconds" && v == 0) {
            return Err(ApiError::bad_request(field, format!("{field}: from 1 second to 366 days")));
        }
    }
    let cfg = state.output().clone();
    let places = state.places();
    let (report, failures) = state
        .with_store(move |s| {
            let at = match b.at {
                Some(at) => at,
                None => s
                    .position_span()?
                    .map(|(_, last)| last)
                    .ok_or_else(|| ApiError::conflict("the store has no positions; ingest first"))?,
            };
            let set = lookout_engine::rules::RuleSet::builtin().map_err(ApiError::internal)?;
            lookout_engine::models::ensure_seeded(s, &b.actor, Utc::now())?;
            let rules = lookout_engine::models::resolve(&set, s, &Default::default(), None)?;
            let req = lookout_engine::cycle::CycleRequest {
                at,
                window: Duration::seconds(b.window_seconds),
                lookback: Duration::seconds(b.lookback_seconds),
                rules: &rules,
                exec: lookout_engine::plan::ExecOptions::default(),
                registry: None,
                zones: None,
                places: places.as_deref(),
            };
            let report = lookout_engine::cycle::run_cycle(s, &req)?;
            let pipeline = outputs::run_after_cycle(s, &report.key, Utc::now(), &cfg);
            Ok((report, stage_failures(&pipeline)))
        })
        .await?;
    state.metrics().cycle(&report);
    let rules = serde_json::to_value(&report.rules).map_err(ApiError::internal)?;
    let run = CycleRun {
        key: report.key,
        tracks: report.tracks,
        positions: report.positions,
        composite: report.composite,
        rules,
        findings: report.findings.len(),
        stage_failures: failures,
    };
    let summary = serde_json::to_value(&run).map_err(ApiError::internal)?;
    let key = run.key.clone();
    state.record(move |s| crate::stream::after_cycle(s, &key, summary)).await?;
    Ok(Json(run))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct IngestQuery {
    /// nmea, marinecadastre, dma, gfw, generic, ...; default: detected from the body.
    format: Option<String>,
    /// A name for the summary; default `request`.
    source: Option<String>,
}

/// Ingests an NMEA, CSV or JSON-lines body (gzip allowed, detected by its magic bytes)
/// through the engine's `ingest_file`, as `lookout ingest`; answers its summary with
/// rejects by reason.
#[utoipa::path(post, path = "/api/v1/ingest", tag = "ingest", params(IngestQuery), request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "NMEA, CSV or JSON lines, gzip allowed"), responses((status = 200, description = "the ingest summary, as `lookout ingest` prints it", body = Object), (status = "4XX", description = "a client mistake, naming the field", body = ErrorBody), (status = "5XX", description = "the server's own failure", body = ErrorBody)))]
pub(crate) async fn ingest(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<IngestQuery>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    let format = q
        .format
        .as_deref()
        .map(|f| {
            f.parse::<lookout_ingest::readers::Format>().map_err(|e| ApiError::bad_request("format", e.to_string()))
        })
        .transpose()?;
    if body.is_empty() {
        return Err(ApiError::bad_request("body", "body: empty"));
    }
    let source = q.source.unwrap_or_else(|| "request".into());
    let summary = state
        .with_store(move |s| {
            let mut file = tempfile::NamedTempFile::new().map_err(ApiError::internal)?;
            std::io::Write::write_all(&mut file, &body).map_err(ApiError::internal)?;
            let read = lookout_ingest::readers::ReadOptions { format, ..Default::default() };
            lookout_engine::ingest::ingest_file(s, file.path(), &read, Utc::now(), &mut |_, _| {}).map_err(
                |e| match e {
                    lookout_engine::EngineError::Ingest(i) => ApiError::bad_request("body", i.to_string()),
                    other => other.into(),
                },
            )
        })
        .await?;
    state.metrics().ingest(&summary);
    let mut v = serde_json::to_value(&summary).map_err(ApiError::internal)?;
    v["path"] = json!(source);
    Ok(Json(v))
}

/// How many of a vessel's latest findings its detail shows.
const RECENT_FINDINGS: usize = 20;

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct FindingsQuery {
    /// Detector code (`gaps`, `dark_suspicion`, `composite`, ...).
    detector: Option<String>,
    /// The detector's own level (`VIOLATION`, `CRITICAL`, ...).
    level: Option<String>,
    /// NONE, LOW, WATCH, MEDIUM, HIGH, CRITICAL.
    severity: Option<String>,
    vessel: Option<String>,
    /// The episode overlaps `[from, to)`.
    from: Option<String>,
    to: Option<String>,
    /// `min_lon,min_lat,max_lon,max_lat`: the vessel reported inside it during the episode.
    bbox: Option<String>,
    cursor: Option<String>,
    limit: Option<String>,
}

/// Stored findings with breakdown and evidence, oldest cycle first.
#[utoipa::path(get, path = "/api/v1/findings", tag = "findings", params(FindingsQuery), responses((status = 200, body = Page<FindingItem>), (status = "4XX", description = "a client mistake, naming the field", body = ErrorBody), (status = "5XX", description = "the server's own failure", body = ErrorBody)))]
pub(crate) async fn list_findings(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<FindingsQuery>,
) -> Result<Json<Page<FindingItem>>, ApiError> {
    let page = findings_page(&state, q).await?;
    Ok(Json(Page { items: page.items.into_iter().map(FindingItem::from).collect(), next_cursor: page.next_cursor }))
}

/// The page of findings `q` asks for: every filter and the page boundary in SQL.
async fn findings_page(state: &AppState, q: FindingsQuery) -> Result<Page<lookout_store::StoredFinding>, ApiError> {
    let (from, to) = params::range(q.from.as_deref(), q.to.as_deref())?;
    let severity =
        params::level(q.severity.as_deref()).map_err(|e| ApiError { field: Some("severity".into()), ..e })?;
    let level = q.level.map(|l| l.to_ascii_uppercase());
    let bbox = params::bbox(q.bbox.as_deref())?;
    let after = params::finding_cursor(q.cursor.as_deref())?;
    let limit = params::limit(q.limit.as_deref())?;
    let rows = state
        .with_store(move |s| {
            let query = FindingQuery {
                detector: q.detector.as_deref(),
                level: level.as_deref(),
                severity,
                vessel: q.vessel.as_deref(),
                from,
                to,
                bbox,
                after,
                limit: limit + 1,
                newest_first: false,
            };
            Ok(s.queries().findings_page(&query)?)
        })
        .await?;
    Ok(params::page_of(rows, limit, |f| params::encode_finding_cursor(&f.key)))
}

/// `csv` or `geojson`.
#[derive(Clone, Copy)]
enum ExportFormat {
    Csv,
    GeoJson,
}

fn export_format(raw: &str) -> Result<ExportFormat, ApiError> {
    match raw {
        "csv" => Ok(ExportFormat::Csv),
        "geojson" => Ok(ExportFormat::GeoJson),
        _ => Err(ApiError::not_found("format", "format: csv or geojson")),
    }
}

/// The export answer: the body with its media type, and the next chunk's cursor.
fn export_response(content_type: &'static str, body: String, next: Option<String>) -> axum::response::Response {
    let mut resp = ([(axum::http::header::CONTENT_TYPE, content_type)], body).into_response();
    if let Some(c) = next.and_then(|c| axum::http::HeaderValue::from_str(&c).ok()) {
        resp.headers_mut().insert("x-next-cursor", c);
    }
    resp
}

fn export_error(e: lookout_engine::export::ExportError) -> ApiError {
    match e {
        lookout_engine::export::ExportError::Store(s) => s.into(),
        other => ApiError::internal(other),
    }
}

/// Events as CSV or GeoJSON, with the list's filters; a chunk of `limit` rows, the next
/// chunk's cursor in `X-Next-Cursor`.
#[utoipa::path(get, path = "/api/v1/exports/events/{format}", tag = "exports", params(("format" = String, Path, description = "csv or geojson"), EventsQuery), responses((status = 200, description = "CSV (text/csv) or a GeoJSON FeatureCollection (application/geo+json)", content_type = "text/csv", body = String), (status = "4XX", description = "a client mistake, naming the field", body = ErrorBody), (status = "5XX", description = "the server's own failure", body = ErrorBody)))]
pub(crate) async fn export_events(
    State(state): State<AppState>,
    Path(format): Path<String>,
    ApiQuery(q): ApiQuery<EventsQuery>,
) -> Result<axum::response::Response, ApiError> {
    let format = export_format(&format)?;
    let page = events_page(&state, q).await?;
    let (items, next) = (page.items, page.next_cursor);
    Ok(match format {
        ExportFormat::Csv => {
            export_response("text/csv", lookout_engine::export::events_csv(&items).map_err(export_error)?, next)
        }
        ExportFormat::GeoJson => {
            let doc = state
                .with_store(move |s| lookout_engine::export::events_geojson(s, &items).map_err(export_error))
                .await?;
            export_response("application/geo+json", doc.to_string(), next)
        }
    })
}

/// Findings as CSV or GeoJSON, with the list's filters; a chunk of `limit` rows, the
/// next chunk's cursor in `X-Next-Cursor`.
#[utoipa::path(get, path = "/api/v1/exports/findings/{format}", tag = "exports", params(("format" = String, Path, description = "csv or geojson"), FindingsQuery), responses((status = 200, description = "CSV (text/csv) or a GeoJSON FeatureCollection (application/geo+json)", content_type = "text/csv", body = String), (status = "4XX", description = "a client mistake, naming the field", body = ErrorBody), (status = "5XX", description = "the server's own failure", body = ErrorBody)))]
pub(crate) async fn export_findings(
    State(state): State<AppState>,
    Path(format): Path<String>,
    ApiQuery(q): ApiQuery<FindingsQuery>,
) -> Result<axum::response::Response, ApiError> {
    let format = export_format(&format)?;
    let page = findings_page(&state, q).await?;
    let next = page.next_cursor;
    let findings: Vec<lookout_model::Finding> = page.items.into_iter().map(|f| f.finding).collect();
    Ok(match format {
        ExportFormat::Csv => {
            export_response("text/csv", lookout_engine::export::findings_csv(&findings).map_err(export_error)?, next)
        }
        ExportFormat::GeoJson => {
            let doc = state
                .with_store(move |s| lookout_engine::export::findings_geojson(s, &findings).map_err(export_error))
                .await?;
            export_response("application/geo+json", doc.to_string(), next)
        }
    })
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct TrackQuery {
    /// RFC 3339; both required.
    from: Option<String>,
    to: Option<String>,
    /// Downsample to at most this many track points (every part keeps its two ends).
    max_points: Option<String>,
}

/// Longest range a track request may span.
const MAX_TRACK_DAYS: i64 = 31;

/// The vessel's track in `[from, to]` as GeoJSON: a LineString per continuous part and
/// each gap as its own feature, as `lookout_engine::track` builds it.
#[utoipa::path(get, path = "/api/v1/vessels/{id}/track", tag = "vessels", params(("id" = String, Path), TrackQuery), responses((status = 200, description = "a GeoJSON FeatureCollection", body = TrackCollection, content_type = "application/geo+json"), (status = "4XX", description = "a client mistake, naming the field", body = ErrorBody), (status = "5XX", description = "the server's own failure", body = ErrorBody)))]
pub(crate) async fn vessel_track(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<TrackQuery>,
) -> Result<axum::response::Response, ApiError> {
    let (from, to) = params::range(q.from.as_deref(), q.to.as_deref())?;
    let from = from.ok_or_else(|| ApiError::bad_request("from", "from: required"))?;
    let to = to.ok_or_else(|| ApiError::bad_request("to", "to: required"))?;
    if to - from > Duration::days(MAX_TRACK_DAYS) {
        return Err(ApiError::bad_request("to", format!("to: at most {MAX_TRACK_DAYS} days after from")));
    }
    let max_points = q
        .max_points
        .as_deref()
        .map(|v| match v.parse::<usize>() {
            Ok(n) if n >= 2 => Ok(n),
            _ => Err(ApiError::bad_request("max_points", "max_points: an integer of at least 2")),
        })
        .transpose()?;
    let doc = state
        .with_store(move |s| {
            let vessel = VesselId::new(id.as_str());
            s.vessel(&vessel)?.ok_or_else(|| ApiError::not_found("id", format!("no vessel with id '{id}'")))?;
            lookout_engine::track::track_geojson(s, &vessel, from, to, max_points).map_err(|e| match e {
                lookout_engine::track::TrackError::Store(e) => e.into(),
                e @ lookout_engine::track::TrackError::TooFewPoints { .. } => {
                    ApiError::bad_request("max_points", e.to_string())
                }
            })
        })
        .await?;
    Ok(([(axum::http::header::CONTENT_TYPE, "application/geo+json")], Json(doc)).into_response())
}
