//! `/api/v1/sources`: the live feeds of this server (`lookout serve --nmea-tcp ...`) with
//! their counters, and the live path's (batches, cycles, late data). The same counters
//! are in `/metrics`. Also how the live scheduler publishes its cycles to the stream.

use std::sync::Arc;

use axum::extract::State;
use axum::Json;
use lookout_engine::cycle::CycleReport;
use lookout_live::stats::{LiveStatus, PathSnapshot, SourceSnapshot};
use lookout_store::Store;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorBody};
use crate::AppState;

/// The live feeds and path counters (empty when the server runs no feed).
#[derive(Serialize, ToSchema)]
pub(crate) struct SourcesBody {
    /// Per source: name, kind, address, connected, connections, reconnects, sentences,
    /// positions, statics, messages by type, rejects and drops by reason, last message.
    #[schema(value_type = Vec<Object>)]
    sources: Vec<SourceSnapshot>,
    /// Positions stored (acknowledged) and new, batches, store errors, cycles (late,
    /// failed, re-run), missed windows, late positions; null without feeds.
    #[schema(value_type = Option<Object>)]
    path: Option<PathSnapshot>,
}

impl AppState {
    /// Makes the live path's counters visible in `/api/v1/sources` and `/metrics`.
    pub fn attach_live(&self, status: Arc<LiveStatus>) {
        let _ = self.inner.live.set(status);
    }

    /// After a scheduled cycle (on the scheduler's thread, with its store): the cycle,
    /// its window's events and their firing alerts go to the stream, as after
    /// `POST /api/v1/cycles`.
    pub fn publish_cycle_blocking(
        &self,
        rt: &tokio::runtime::Handle,
        store: &mut dyn Store,
        report: &CycleReport,
        rerun: bool,
    ) -> Result<(), ApiError> {
        self.metrics().cycle(report);
        let summary = json!({
            "key": report.key, "tracks": report.tracks, "positions": report.positions,
            "findings": report.findings.len(), "composite": report.composite, "scheduled": true, "rerun": rerun,
        });
        crate::stream::after_cycle(store, &report.key, summary)?;
        rt.block_on(self.appended_elsewhere(store))
    }
}

/// The live sources with their counters.
#[utoipa::path(get, path = "/api/v1/sources", tag = "sources", responses((status = 200, body = SourcesBody), (status = "4XX", description = "a client mistake, naming the field", body = ErrorBody), (status = "5XX", description = "the server's own failure", body = ErrorBody)))]
pub(crate) async fn list(State(state): State<AppState>) -> Json<SourcesBody> {
    Json(match state.inner.live.get() {
        Some(live) => {
            let s = live.snapshot();
            SourcesBody { sources: s.sources, path: Some(s.path) }
        }
        None => SourcesBody { sources: Vec::new(), path: None },
    })
}

type Labels = Vec<(&'static str, String)>;

/// The live counters in the text exposition (empty without feeds).
pub(crate) fn encode_metrics(state: &AppState, out: &mut String) -> Result<(), std::fmt::Error> {
    let Some(live) = state.inner.live.get() else { return Ok(()) };
    let snap = live.snapshot();
    let mut registry = Registry::with_prefix("lookout_live");
    let fam = |name: &str, help: &str, registry: &mut Registry| {
        let f = Family::<Labels, Gauge>::default();
        registry.register(name, help, f.clone());
        f
    };
    let sentences = fam("source_sentences", "Sentences received, by source", &mut registry);
    let messages = fam("source_messages", "Decoded AIS messages, by source and type", &mut registry);
    let rejects = fam("source_rejects", "Rejected sentences or records, by source and reason", &mut registry);
    let drops = fam("source_drops", "Records dropped under back-pressure, by source and reason", &mut registry);
    let connected = fam("source_connected", "1 when the source has a connection", &mut registry);
    let last = fam("source_last_message_seconds", "Receive time of the last message (Unix seconds)", &mut registry);
    let path = fam("path", "Live path counters (stored positions, batches, cycles, late data)", &mut registry);
    for s in &snap.sources {
        let l = |extra: Option<(&'static str, String)>| {
            let mut v: Labels = vec![("source", s.name.clone()), ("kind", s.kind.as_str().to_string())];
            v.extend(extra);
            v
        };
        sentences.get_or_create(&l(None)).set(s.sentences as i64);
        connected.get_or_create(&l(None)).set(i64::from(s.connected));
        if let Some(t) = s.last_message {
            last.get_or_create(&l(None)).set(t.timestamp());
        }
        for (t, n) in &s.messages {
            messages.get_or_create(&l(Some(("type", t.clone())))).set(*n as i64);
        }
        for (r, n) in &s.rejects {
            rejects.get_or_create(&l(Some(("reason", r.clone())))).set(*n as i64);
        }
        for (r, n) in &s.drops {
            drops.get_or_create(&l(Some(("reason", r.clone())))).set(*n as i64);
        }
    }
    if let Ok(serde_json::Value::Object(m)) = serde_json::to_value(&snap.path) {
        for (k, v) in m {
            path.get_or_create(&vec![("counter", k)]).set(v.as_i64().unwrap_or(0));
        }
    }
    prometheus_client::encoding::text::encode(out, &registry)
}
