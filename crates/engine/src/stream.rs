//! The API's live stream as the engine records it: what a cycle changed (the cycle, the
//! events its window reports, the firing alerts of those events) appended to the store's
//! `stream_log` in one transaction. A server tails that log, so `/api/v1/stream`
//! subscribers see a cycle whichever process ran it (`lookout analyze` or the server).

use lookout_model::Timestamp;
use lookout_pipeline::{AlertStatus, CycleWindow, RunReport};
use lookout_store::{CycleKey, Store, StoreError, StreamEntry};
use serde_json::{json, Value};

use crate::cycle::CycleReport;

#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("stream entry: {0}")]
    Json(#[from] serde_json::Error),
}

/// The `cycle` entry's payload: the cycle's key, counts, per-rule statistics and the
/// output stages that failed.
pub fn cycle_summary(report: &CycleReport, pipeline: &RunReport) -> Result<Value, StreamError> {
    let failures: Vec<Value> = pipeline.failures().map(|f| json!({ "stage": f.stage, "detail": f.detail })).collect();
    Ok(json!({
        "key": report.key,
        "tracks": report.tracks,
        "positions": report.positions,
        "composite": report.composite,
        "rules": serde_json::to_value(&report.rules)?,
        "findings": report.findings.len(),
        "stage_failures": failures,
    }))
}

/// Appends the cycle `key` (with `summary`), the events its window reports and their
/// firing alerts to the stream log at `now`, in that order; returns the stored entries.
pub fn record_cycle(
    store: &mut dyn Store,
    key: &CycleKey,
    summary: Value,
    now: Timestamp,
) -> Result<Vec<StreamEntry>, StreamError> {
    let window = CycleWindow { start: key.window_start, end: key.window_end };
    let events = store.events_in_window(&window)?;
    let alerts = store.dispatch_state()?.alerts;
    let mut entries = vec![("cycle".to_string(), summary)];
    for e in &events {
        entries.push(("event".into(), serde_json::to_value(e)?));
    }
    for a in alerts.values().filter(|a| a.status == AlertStatus::Firing && events.iter().any(|e| e.id == a.event_id)) {
        entries.push(("alert".into(), serde_json::to_value(a)?));
    }
    Ok(store.stream_log().append_stream(&entries, now)?)
}
