//! The OpenAPI 3.1 document, generated from the handlers' annotations and the types they
//! serialise (utoipa), served at `/openapi.json`.

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::{analysis, models, routes, sources, stream};

#[derive(OpenApi)]
#[openapi(
    info(title = "Lookout API", description = "Maritime risk detection: vessels, tracks, findings, events, alerts, models."),
    paths(
        routes::healthz,
        routes::readyz,
        routes::list_events,
        routes::show_event,
        routes::ack,
        routes::confirm,
        routes::false_positive,
        routes::enforce,
        routes::close,
        routes::search_vessels,
        routes::show_vessel,
        routes::vessel_track,
        routes::list_findings,
        stream::stream,
        routes::export_events,
        routes::export_findings,
        analysis::plan,
        analysis::dry_run,
        analysis::diff,
        analysis::shadow_run,
        analysis::anomaly,
        routes::list_alerts,
        routes::list_silences,
        routes::create_silence,
        routes::expire_silence,
        routes::list_outbox,
        routes::kpis,
        routes::stats,
        routes::cycles,
        routes::run_cycle,
        routes::ingest,
        models::list,
        models::show,
        models::show_version,
        models::history,
        models::create_draft,
        models::promote,
        models::rollback,
        sources::list,
    ),
    modifiers(&BearerAuth),
    security(("bearer" = []))
)]
pub struct ApiDoc;

/// Every route but the probes takes `Authorization: Bearer <token>`.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The document as JSON.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

pub(crate) async fn serve() -> Json<utoipa::openapi::OpenApi> {
    Json(document())
}
