//! `/api/v1/stream`: server-sent events for new and updated events, alerts and cycle
//! completions. Every entry is first stored (`stream_log`, numbered) and then broadcast
//! to connected clients; a client that reconnects with `Last-Event-ID` gets what it
//! missed from the store, then the live entries, each once and in order.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use chrono::Utc;
use futures_util::stream::{self, Stream, StreamExt};
use lookout_pipeline::{AlertStatus, CycleWindow};
use lookout_store::{CycleKey, Store, StreamEntry};
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::broadcast;
use utoipa::IntoParams;

use crate::error::{ApiError, ErrorBody};
use crate::extract::ApiQuery;
use crate::AppState;

/// Entries a slow client may fall behind before it is dropped (it reconnects and
/// catches up from the store).
pub(crate) const CHANNEL: usize = 1024;
/// Stored entries read per page when a client catches up.
const REPLAY_PAGE: usize = 500;
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// The live half: a broadcast of stored entries, and a lock so they are broadcast in
/// the order they were numbered.
pub(crate) struct Hub {
    tx: broadcast::Sender<StreamEntry>,
    order: tokio::sync::Mutex<()>,
}

impl Default for Hub {
    fn default() -> Self {
        Hub { tx: broadcast::channel(CHANNEL).0, order: tokio::sync::Mutex::new(()) }
    }
}

impl AppState {
    /// Stores `entries` in the stream log and broadcasts them.
    pub(crate) async fn publish(&self, entries: Vec<(String, Value)>) -> Result<(), ApiError> {
        if entries.is_empty() {
            return Ok(());
        }
        let _order = self.hub().order.lock().await;
        let now = Utc::now();
        let stored = self.with_store(move |s| Ok(s.stream_log().append_stream(&entries, now)?)).await?;
        for entry in stored {
            // Nobody listening is fine: the log keeps it.
            let _ = self.hub().tx.send(entry);
        }
        Ok(())
    }
}

/// What a cycle changed, for the stream: the cycle, the events its window reports, and
/// the firing alerts of those events.
pub(crate) fn after_cycle(s: &mut dyn Store, key: &CycleKey, summary: Value) -> Result<Vec<(String, Value)>, ApiError> {
    let window = CycleWindow { start: key.window_start, end: key.window_end };
    let events = s.events_in_window(&window)?;
    let alerts = s.dispatch_state()?.alerts;
    let mut out = vec![("cycle".to_string(), summary)];
    for e in &events {
        out.push(("event".into(), serde_json::to_value(e).map_err(ApiError::internal)?));
    }
    for a in alerts.values().filter(|a| a.status == AlertStatus::Firing && events.iter().any(|e| e.id == a.event_id)) {
        out.push(("alert".into(), serde_json::to_value(a).map_err(ApiError::internal)?));
    }
    Ok(out)
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct StreamQuery {
    /// Resume after this entry (as the `Last-Event-ID` header does; the header wins).
    after: Option<String>,
}

/// Where a client resumes: after the entry it names, or `None` (a new client: live
/// entries only).
fn resume_point(headers: &HeaderMap, after: Option<&str>) -> Result<Option<i64>, ApiError> {
    let (field, raw) = match headers.get("last-event-id") {
        Some(v) => ("last-event-id", Some(v.to_str().unwrap_or("?"))),
        None => ("after", after),
    };
    raw.map(|v| match v.trim().parse::<i64>() {
        Ok(n) if n >= 0 => Ok(n),
        _ => Err(ApiError::bad_request(field, format!("{field}: a stream entry id (0 or more)"))),
    })
    .transpose()
}

fn to_sse(e: StreamEntry) -> Result<SseEvent, Infallible> {
    let data = json!({ "seq": e.seq, "kind": e.kind, "at": e.at, "payload": e.payload });
    Ok(SseEvent::default().id(e.seq.to_string()).event(e.kind).data(data.to_string()))
}

/// Server-sent events: `event` (an event created or changed), `alert` (firing),
/// `cycle` (a cycle completed). Each has `id:` = its number; reconnect with
/// `Last-Event-ID` to resume. A comment line is sent every 15 s to keep the connection.
#[utoipa::path(get, path = "/api/v1/stream", tag = "stream", params(StreamQuery, ("Last-Event-ID" = Option<String>, Header)), responses((status = 200, description = "an endless text/event-stream; each `data:` is {seq, kind, at, payload}", content_type = "text/event-stream", body = String), (status = "4XX", description = "a client mistake, naming the field", body = ErrorBody), (status = "5XX", description = "the server's own failure", body = ErrorBody)))]
pub(crate) async fn stream(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<StreamQuery>,
) -> Result<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>, ApiError> {
    let after = resume_point(&headers, q.after.as_deref())?;
    // Subscribe before reading the log, so nothing falls between the two.
    let rx = state.hub().tx.subscribe();
    let mut backlog = Vec::new();
    let mut last = after.unwrap_or(0);
    while after.is_some() {
        let page = state.with_store(move |s| Ok(s.stream_log().stream_after(last, REPLAY_PAGE)?)).await?;
        let full = page.len() == REPLAY_PAGE;
        last = page.last().map_or(last, |e| e.seq);
        backlog.extend(page);
        if !full {
            break;
        }
    }
    let live = stream::unfold((rx, last), |(mut rx, mut last)| async move {
        loop {
            match rx.recv().await {
                Ok(e) if e.seq <= last => continue,
                Ok(e) => {
                    last = e.seq;
                    return Some((to_sse(e), (rx, last)));
                }
                // Too slow: end; the client resumes from the log with Last-Event-ID.
                Err(_) => return None,
            }
        }
    });
    let events = stream::iter(backlog.into_iter().map(to_sse)).chain(live);
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(KEEP_ALIVE)))
}
