//! Exports of events and findings as CSV (one row each, flat columns) and GeoJSON (a
//! Point each: its vessel's first report during the episode, or no geometry when the
//! store holds none, e.g. after retention pruned the positions).

use lookout_model::{Finding, Position, Timestamp, VesselId};
use lookout_pipeline::Event;
use lookout_store::{Store, StoreError};
use serde_json::{json, Value};

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("writing CSV: {0}")]
    Csv(String),
}

const EVENT_COLUMNS: [&str; 12] = [
    "id",
    "category",
    "level",
    "status",
    "score",
    "vessels",
    "area",
    "occurred_at",
    "last_seen",
    "episode_start",
    "episode_end",
    "labels",
];

const FINDING_COLUMNS: [&str; 11] = [
    "detector",
    "vessel",
    "start",
    "end",
    "score",
    "level",
    "severity",
    "rule",
    "model_version",
    "breakdown",
    "evidence",
];

fn csv_text(header: &[&str], rows: impl Iterator<Item = Vec<String>>) -> Result<String, ExportError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let err = |e: csv::Error| ExportError::Csv(e.to_string());
    w.write_record(header).map_err(err)?;
    for row in rows {
        w.write_record(&row).map_err(err)?;
    }
    let bytes = w.into_inner().map_err(|e| ExportError::Csv(e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| ExportError::Csv(e.to_string()))
}

fn time(t: Timestamp) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|x| x.to_string()).unwrap_or_default()
}

/// Events as CSV; vessels and labels joined with `;`.
pub fn events_csv(events: &[Event]) -> Result<String, ExportError> {
    csv_text(
        &EVENT_COLUMNS,
        events.iter().map(|e| {
            vec![
                e.id.clone(),
                e.category.as_str().into(),
                e.level.as_str().into(),
                e.status.as_str().into(),
                opt(e.score),
                e.vessels.iter().map(VesselId::as_str).collect::<Vec<_>>().join(";"),
                e.area.clone(),
                time(e.occurred_at),
                time(e.last_seen),
                time(e.episode_start),
                time(e.episode_end),
                e.labels.iter().map(|l| l.as_str()).collect::<Vec<_>>().join(";"),
            ]
        }),
    )
}

/// Findings as CSV; breakdown and evidence as compact JSON.
pub fn findings_csv(findings: &[Finding]) -> Result<String, ExportError> {
    csv_text(
        &FINDING_COLUMNS,
        findings.iter().map(|f| {
            vec![
                f.detector.clone(),
                f.vessel.as_str().into(),
                time(f.start),
                time(f.end),
                opt(f.score),
                f.level.clone(),
                f.severity.as_str().into(),
                f.rule.clone().unwrap_or_default(),
                opt(f.model_version),
                serde_json::to_string(&f.breakdown).unwrap_or_default(),
                f.evidence.to_string(),
            ]
        }),
    )
}

/// The vessel's first stored report in `[start, end]`.
fn first_report(
    store: &dyn Store,
    vessel: &VesselId,
    start: Timestamp,
    end: Timestamp,
) -> Result<Option<Position>, StoreError> {
    Ok(store.queries().track(vessel, start, end)?.into_iter().next())
}

fn point(p: Option<Position>) -> Value {
    p.map_or(Value::Null, |p| json!({ "type": "Point", "coordinates": [p.lon, p.lat] }))
}

/// Events as a GeoJSON FeatureCollection, each event's fields as properties.
pub fn events_geojson(store: &dyn Store, events: &[Event]) -> Result<Value, ExportError> {
    let mut features = Vec::with_capacity(events.len());
    for e in events {
        let at = match e.vessels.first() {
            Some(v) => first_report(store, v, e.episode_start, e.episode_end)?,
            None => None,
        };
        let mut properties = serde_json::to_value(e).map_err(|x| ExportError::Csv(x.to_string()))?;
        if let Some(o) = properties.as_object_mut() {
            // The history and evidence stay in the event's own route; a map needs the rest.
            o.remove("history");
            o.remove("evidence");
        }
        features.push(json!({ "type": "Feature", "id": e.id, "geometry": point(at), "properties": properties }));
    }
    Ok(json!({ "type": "FeatureCollection", "features": features }))
}

/// Findings as a GeoJSON FeatureCollection, each finding as properties.
pub fn findings_geojson(store: &dyn Store, findings: &[Finding]) -> Result<Value, ExportError> {
    let mut features = Vec::with_capacity(findings.len());
    for f in findings {
        let at = first_report(store, &f.vessel, f.start, f.end)?;
        let properties = serde_json::to_value(f).map_err(|x| ExportError::Csv(x.to_string()))?;
        features.push(json!({ "type": "Feature", "geometry": point(at), "properties": properties }));
    }
    Ok(json!({ "type": "FeatureCollection", "features": features }))
}
