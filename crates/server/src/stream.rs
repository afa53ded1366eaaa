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
use lookout_store::{CycleKey, Store, StreamEntry};
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::{Arc, Weak};
use tokio::sync::{broadcast, Notify, OnceCell};
use utoipa::IntoParams;

use crate::error::{ApiError, ErrorBody};
use crate::extract::ApiQuery;
use crate::AppState;

/// Entries a slow client may fall behind before it is dropped (it reconnects and
/// catches up from the store).
pub(crate) const CHANNEL: usize = 1024;
/// Stored entries read per page when a client catches up or the log is tailed.
const REPLAY_PAGE: usize = 500;
const KEEP_ALIVE: Duration = Duration::from_secs(15);
/// How often the log is read for entries other processes stored (`lookout analyze`
/// against the same store); entries this server stores are read at once.
const TAIL_INTERVAL: Duration = Duration::from_millis(250);
/// The log keeps at most this many entries: each store by this server trims it (and
/// `lookout db prune` deletes entries by age).
pub(crate) const MAX_STREAM_LOG: usize = 100_000;

/// The live half: one task tails the stream log and broadcasts every stored entry, in
/// the order numbered, whichever process stored it.
pub(crate) struct Hub {
    tx: broadcast::Sender<StreamEntry>,
    wake: Arc<Notify>,
    tailer: OnceCell<()>,
}

impl Default for Hub {
    fn default() -> Self {
        Hub { tx: broadcast::channel(CHANNEL).0, wake: Arc::new(Notify::new()), tailer: OnceCell::new() }
    }
}

impl AppState {
    /// Stores `entries` in the stream log; the tailer broadcasts them.
    pub(crate) async fn publish(&self, entries: Vec<(String, Value)>) -> Result<(), ApiError> {
        if entries.is_empty() {
            return Ok(());
        }
        let now = Utc::now();
        self.record(move |s| Ok(s.stream_log().append_stream(&entries, now).map(drop)?)).await
    }

    /// After entries were appended to the log through another store (the live
    /// scheduler's): trims the log and wakes the tailer, which sends them on.
    pub(crate) async fn appended_elsewhere(&self, store: &mut dyn Store) -> Result<(), ApiError> {
        store.stream_log().trim_stream(MAX_STREAM_LOG)?;
        self.start_tailer().await?;
        self.hub().wake.notify_one();
        Ok(())
    }

    /// Runs `store` (which appends to the stream log) with the log then trimmed to
    /// [`MAX_STREAM_LOG`] entries, and wakes the tailer.
    pub(crate) async fn record<F>(&self, store: F) -> Result<(), ApiError>
    where
        F: FnOnce(&mut dyn Store) -> Result<(), ApiError> + Send + 'static,
    {
        self.start_tailer().await?;
        self.with_store(move |s| {
            store(s)?;
            s.stream_log().trim_stream(MAX_STREAM_LOG)?;
            Ok(())
        })
        .await?;
        self.hub().wake.notify_one();
        Ok(())
    }

    /// Starts the task that tails the log (once), from its latest entry.
    async fn start_tailer(&self) -> Result<(), ApiError> {
        self.hub()
            .tailer
            .get_or_try_init(|| async {
                let last = self.with_store(|s| Ok(s.stream_log().last_stream_seq()?)).await?;
                tokio::spawn(tail(Arc::downgrade(&self.inner), self.hub().wake.clone(), last));
                Ok::<(), ApiError>(())
            })
            .await
            .map(drop)
    }
}

/// Reads the entries stored after `last` every [`TAIL_INTERVAL`] (or when woken) and
/// broadcasts them in order; ends with the server's state.
async fn tail(state: Weak<crate::Inner>, wake: Arc<Notify>, mut last: i64) {
    loop {
        tokio::select! {
            () = wake.notified() => {},
            () = tokio::time::sleep(TAIL_INTERVAL) => {},
        }
        let Some(inner) = state.upgrade() else { return };
        let state = AppState { inner };
        loop {
            let after = last;
            let page = match state.with_store(move |s| Ok(s.stream_log().stream_after(after, REPLAY_PAGE)?)).await {
                Ok(page) => page,
                Err(e) => {
                    tracing::warn!(error = %e.message, "stream log: tail failed; retrying");
                    break;
                }
            };
            let full = page.len() == REPLAY_PAGE;
            for entry in page {
                last = entry.seq;
                // Nobody listening is fine: the log keeps it.
                let _ = state.hub().tx.send(entry);
            }
            if !full {
                break;
            }
        }
    }
}

/// What a cycle changed, for the stream, as the engine records it for `lookout analyze`.
pub(crate) fn after_cycle(s: &mut dyn Store, key: &CycleKey, summary: Value) -> Result<(), ApiError> {
    lookout_engine::stream::record_cycle(s, key, summary, Utc::now()).map(drop).map_err(|e| match e {
        lookout_engine::stream::StreamError::Store(e) => e.into(),
        e @ lookout_engine::stream::StreamError::Json(_) => ApiError::internal(e),
    })
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
    state.start_tailer().await?;
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
