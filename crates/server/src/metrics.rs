//! `/metrics` in the Prometheus text format: HTTP requests by route and status with
//! latency histograms, cycles and per-rule durations run by this server, findings by
//! detector, positions ingested and rejected by reason, and events by category and
//! status (read from the store at scrape time, so they count every writer's events).

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use lookout_engine::cycle::CycleReport;
use lookout_engine::ingest::FileSummary;
use lookout_store::EventFilter;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

use crate::error::ApiError;
use crate::AppState;

type Labels = Vec<(&'static str, String)>;

fn seconds_histogram() -> Histogram {
    // 0.5 ms .. ~16 s.
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

/// The server's own metrics.
pub struct Metrics {
    registry: Registry,
    requests: Family<Labels, Counter>,
    latency: Family<Labels, Histogram, fn() -> Histogram>,
    cycles: Counter,
    rule_duration: Family<Labels, Histogram, fn() -> Histogram>,
    findings: Family<Labels, Counter>,
    positions: Counter,
    rejects: Family<Labels, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("lookout");
        let requests = Family::<Labels, Counter>::default();
        let latency = Family::<Labels, Histogram, fn() -> Histogram>::new_with_constructor(seconds_histogram);
        let cycles = Counter::default();
        let rule_duration = Family::<Labels, Histogram, fn() -> Histogram>::new_with_constructor(seconds_histogram);
        let findings = Family::<Labels, Counter>::default();
        let positions = Counter::default();
        let rejects = Family::<Labels, Counter>::default();
        registry.register("http_requests", "HTTP requests by route, method and status", requests.clone());
        registry.register("http_request_duration_seconds", "HTTP request latency by route and method", latency.clone());
        registry.register("cycles", "Analysis cycles run by this server", cycles.clone());
        registry.register("rule_duration_seconds", "Rule run time per cycle, by rule", rule_duration.clone());
        registry.register("findings", "Findings of cycles run by this server, by detector", findings.clone());
        registry.register("positions_ingested", "Positions inserted by ingest requests", positions.clone());
        registry.register("positions_rejected", "Records rejected by ingest requests, by reason", rejects.clone());
        Metrics { registry, requests, latency, cycles, rule_duration, findings, positions, rejects }
    }
}

impl Metrics {
    pub fn cycle(&self, report: &CycleReport) {
        self.cycles.inc();
        for r in &report.rules {
            self.rule_duration.get_or_create(&vec![("rule", r.rule.clone())]).observe(r.duration_us as f64 / 1e6);
        }
        for f in &report.findings {
            self.findings.get_or_create(&vec![("detector", f.detector.clone())]).inc();
        }
    }

    pub fn ingest(&self, summary: &FileSummary) {
        self.positions.inc_by(summary.positions_inserted);
        if let Ok(serde_json::Value::Object(m)) = serde_json::to_value(&summary.rejects) {
            for (reason, n) in m {
                if let Some(n) = n.as_u64().filter(|&n| n > 0) {
                    self.rejects.get_or_create(&vec![("reason", reason)]).inc_by(n);
                }
            }
        }
    }
}

/// Counts and times every request by its route pattern (never the raw path, so ids do
/// not explode the label space).
pub async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let route =
        req.extensions().get::<MatchedPath>().map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let method = req.method().to_string();
    let start = Instant::now();
    let resp = next.run(req).await;
    let m = state.metrics();
    let status = resp.status().as_u16().to_string();
    m.requests.get_or_create(&vec![("route", route.clone()), ("method", method.clone()), ("status", status)]).inc();
    m.latency.get_or_create(&vec![("route", route), ("method", method)]).observe(start.elapsed().as_secs_f64());
    resp
}

/// The text exposition, with the store's events by category and status.
pub async fn scrape(State(state): State<AppState>) -> Result<Response, ApiError> {
    let events = state.with_store(|s| Ok(s.list_events(&EventFilter::default())?)).await?;
    let mut counts = std::collections::BTreeMap::new();
    for e in &events {
        *counts.entry((e.category.as_str().to_string(), e.status.as_str().to_string())).or_insert(0i64) += 1;
    }
    let gauge = Family::<Labels, Gauge>::default();
    for ((category, status), n) in counts {
        gauge.get_or_create(&vec![("category", category), ("status", status)]).set(n);
    }
    let mut text = String::new();
    encode(&mut text, &state.metrics().registry).map_err(ApiError::internal)?;
    let mut events_registry = Registry::with_prefix("lookout");
    events_registry.register("events", "Stored events by category and status", gauge);
    let mut live = String::new();
    crate::sources::encode_metrics(&state, &mut live).map_err(ApiError::internal)?;
    let mut more = live.trim_end().strip_suffix("# EOF").unwrap_or(&live).to_string();
    encode(&mut more, &events_registry).map_err(ApiError::internal)?;
    // Each encoding ends with `# EOF`; only the last may.
    let text = text.trim_end().strip_suffix("# EOF").unwrap_or(&text).to_string() + &more;
    Ok(([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], text).into_response())
}
