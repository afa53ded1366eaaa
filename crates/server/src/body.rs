//! The response bodies the handlers build, typed so that `/openapi.json` describes
//! exactly what is serialised (the API test validates real responses against it).

use std::collections::BTreeMap;

use lookout_model::{Finding, IdentityObservation, Position, Timestamp};
use lookout_pipeline::delivery::OutboxItem;
use lookout_pipeline::{DailyStats, HourlyStats, MonthlyStats};
use lookout_pipeline::{Enforcement, Event, Kpis};
use lookout_store::{CycleKey, ModelVersion, StoreInfo, StoredFinding, VesselRow};
use serde::Serialize;
use utoipa::openapi::schema::{AnyOfBuilder, ArrayBuilder};
use utoipa::openapi::{Ref, RefOr, Schema};
use utoipa::{PartialSchema, ToSchema};

/// `{"status": "ok"}`.
#[derive(Serialize, ToSchema)]
pub struct Status {
    pub status: String,
}

/// The store answered and its schema is current.
#[derive(Serialize, ToSchema)]
pub struct Ready {
    pub status: String,
    pub store: StoreInfo,
}

/// A list without paging.
#[derive(Serialize, ToSchema)]
pub struct Items<T> {
    pub items: Vec<T>,
}

/// One event with its enforcement records.
#[derive(Serialize, ToSchema)]
pub struct EventDetail {
    pub event: Event,
    pub enforcements: Vec<Enforcement>,
}

/// An output stage that failed after the request's own change was stored.
#[derive(Serialize, ToSchema)]
pub struct StageFailure {
    pub stage: String,
    pub detail: String,
}

/// A lifecycle step's result.
#[derive(Serialize, ToSchema)]
pub struct StepResult {
    pub event: Event,
    pub stage_failures: Vec<StageFailure>,
}

/// The latest KPI values; `null` before the first cycle.
#[derive(Serialize, ToSchema)]
pub struct KpisBody {
    pub kpis: Option<Kpis>,
}

/// A vessel with its identity history, last position and open events.
#[derive(Serialize, ToSchema)]
pub struct VesselDetail {
    pub vessel: VesselRow,
    pub identities: Vec<IdentityObservation>,
    pub last_position: Option<Position>,
    pub open_events: Vec<Event>,
    /// The latest composite finding: the vessel's risk with each rule's share in its
    /// breakdown; `null` before any cycle scored it.
    pub current_risk: Option<FindingItem>,
    /// The latest findings of any detector, newest cycle first.
    pub recent_findings: Vec<FindingItem>,
}

/// A stored finding: the cycle window that produced it, its place there, the finding.
#[derive(Serialize, ToSchema)]
pub struct FindingItem {
    #[schema(value_type = String, format = DateTime)]
    pub window_start: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub window_end: Timestamp,
    pub seq: i64,
    pub finding: Finding,
}

impl From<StoredFinding> for FindingItem {
    fn from(f: StoredFinding) -> Self {
        FindingItem {
            window_start: f.key.window_start,
            window_end: f.key.window_end,
            seq: f.key.seq,
            finding: f.finding,
        }
    }
}

/// What a cycle run now did.
#[derive(Serialize, ToSchema)]
pub struct CycleRun {
    pub key: CycleKey,
    pub tracks: usize,
    pub positions: usize,
    /// Vessels by composite level.
    pub composite: BTreeMap<String, u64>,
    /// Per-rule statistics (rule, algorithm, model, status, counts).
    #[schema(value_type = Vec<Object>)]
    pub rules: serde_json::Value,
    /// How many findings the cycle stored.
    pub findings: usize,
    pub stage_failures: Vec<StageFailure>,
}

/// One outbox row keyed by its place in the store's order.
#[derive(Serialize, ToSchema)]
pub struct OutboxRow {
    pub seq: String,
    pub item: OutboxItem,
}

/// A model with its versions.
#[derive(Serialize, ToSchema)]
pub struct ModelEntry {
    pub model: String,
    pub versions: Vec<ModelVersion>,
}

/// A model's versions.
#[derive(Serialize, ToSchema)]
pub struct Versions {
    pub versions: Vec<ModelVersion>,
}

/// Statistics rows of one period.
#[derive(Serialize)]
#[serde(untagged)]
pub enum StatsRows {
    Hourly(Vec<HourlyStats>),
    Daily(Vec<DailyStats>),
    Monthly(Vec<MonthlyStats>),
}

// Derived, an untagged enum would be a `oneOf`, which an empty list (or a daily row,
// shaped like a monthly one) matches more than once; `anyOf` is what it means.
impl PartialSchema for StatsRows {
    fn schema() -> RefOr<Schema> {
        let array =
            |name: std::borrow::Cow<'static, str>| ArrayBuilder::new().items(Ref::from_schema_name(name)).build();
        AnyOfBuilder::new()
            .item(array(HourlyStats::name()))
            .item(array(DailyStats::name()))
            .item(array(MonthlyStats::name()))
            .into()
    }
}

impl ToSchema for StatsRows {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((HourlyStats::name().into(), <HourlyStats as PartialSchema>::schema()));
        schemas.push((DailyStats::name().into(), <DailyStats as PartialSchema>::schema()));
        schemas.push((MonthlyStats::name().into(), <MonthlyStats as PartialSchema>::schema()));
        <HourlyStats as ToSchema>::schemas(schemas);
        <DailyStats as ToSchema>::schemas(schemas);
        <MonthlyStats as ToSchema>::schemas(schemas);
    }
}

/// `{"items": ...}` for a period's statistics.
#[derive(Serialize, ToSchema)]
pub struct StatsBody {
    pub items: StatsRows,
}

/// A GeoJSON FeatureCollection as the track route answers it. Documentation only: the
/// engine builds the document (`lookout_engine::track`), the API test validates it
/// against this.
#[allow(dead_code)]
#[derive(ToSchema)]
pub struct TrackCollection {
    #[schema(pattern = "^FeatureCollection$")]
    pub r#type: String,
    /// `vessel`, `from`, `to`, `positions` (in the range, before downsampling).
    pub properties: TrackProperties,
    pub features: Vec<TrackFeature>,
}

/// The collection's own properties.
#[allow(dead_code)]
#[derive(ToSchema)]
pub struct TrackProperties {
    pub vessel: String,
    #[schema(value_type = String, format = DateTime)]
    pub from: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub to: Timestamp,
    pub positions: u64,
}

/// A part of the track (`kind: track`, a LineString, or a Point for a lone report) or a
/// gap (`kind: gap`, the LineString between its two ends).
#[allow(dead_code)]
#[derive(ToSchema)]
pub struct TrackFeature {
    #[schema(pattern = "^Feature$")]
    pub r#type: String,
    pub geometry: Option<Geometry>,
    /// track: `part`, `start`, `end`, `points`, `source_points`; gap: `start`, `end`,
    /// `duration_seconds`, `level`, `dark_score`.
    #[schema(value_type = Object)]
    pub properties: serde_json::Value,
}

/// A GeoJSON geometry: `[lon, lat]` for a Point, a list of them for a LineString.
#[allow(dead_code)]
#[derive(ToSchema)]
pub struct Geometry {
    #[schema(pattern = "^(Point|LineString)$")]
    pub r#type: String,
    /// `[lon, lat]`, or a list of them.
    pub coordinates: Vec<serde_json::Value>,
}
