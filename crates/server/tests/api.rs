//! The API over a real SQLite store built from the shipped demo data.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{DateTime, Duration, DurationRound, Utc};
use http_body_util::BodyExt;
use lookout_engine::cycle::{run_cycle, CycleRequest};
use lookout_engine::ingest::ingest_file;
use lookout_engine::models::{ensure_seeded, resolve};
use lookout_engine::outputs::{run_after_cycle, OutputConfig};
use lookout_engine::plan::ExecOptions;
use lookout_engine::rules::RuleSet;
use lookout_ingest::readers::ReadOptions;
use lookout_server::auth::{create_token, Role};
use lookout_server::{app, app_with, AppState, Limits};
use serde_json::{json, Value};
use tower::ServiceExt;

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/demo")
}

/// Two demo files (a day of Danish and two weeks of Canadian AIS), one cycle per day
/// and the output pipeline after each, as `lookout demo` does; built once per binary.
fn demo_db() -> &'static str {
    static DB: OnceLock<(tempfile::TempDir, String)> = OnceLock::new();
    &DB.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("api.db").display().to_string();
        fill_demo(
            &db,
            &["dma_collision_2021-12-13_219021240_232018267.csv", "shipstrike_kitimat_2019-07-01_14.csv.gz"],
        );
        (dir, db)
    })
    .1
}

/// Ingests `files` from the demo data into the store at `db` and runs a cycle per day
/// with the output pipeline after each.
fn fill_demo(db: &str, files: &[&str]) {
    {
        let mut store = lookout_store::open(db).expect("open");
        let now = Utc::now();
        let mut ends = std::collections::BTreeSet::new();
        for name in files {
            let s = ingest_file(store.as_mut(), &data_dir().join(name), &ReadOptions::default(), now, &mut |_, _| {})
                .expect("ingest");
            let (first, last) = s.span.expect("span");
            let mut day = first.duration_trunc(Duration::days(1)).expect("day");
            while day <= last {
                day += Duration::days(1);
                ends.insert(day);
            }
        }
        ensure_seeded(store.as_mut(), "test", now).expect("seed");
        let set = RuleSet::builtin().expect("rules");
        let rules = resolve(&set, store.as_ref(), &Default::default(), None).expect("resolve");
        for at in ends {
            let req = CycleRequest {
                at,
                window: Duration::days(1),
                lookback: Duration::days(1),
                rules: &rules,
                exec: ExecOptions::default(),
                registry: None,
                zones: None,
                places: None,
            };
            let report = run_cycle(store.as_mut(), &req).expect("cycle");
            run_after_cycle(store.as_mut(), &report.key, report.key.window_end, &OutputConfig::default());
        }
    }
}

/// Functional tests run without tokens; `every_route_needs_its_role` covers auth.
fn state() -> AppState {
    AppState::without_auth(demo_db(), OutputConfig::default())
}

async fn call(req: Request<Body>) -> (StatusCode, Value) {
    let resp = app(state()).oneshot(req).await.expect("response");
    let status = resp.status();
    let bytes = resp.into_body().collect().await.expect("body").to_bytes();
    let body = serde_json::from_slice(&bytes).unwrap_or_else(|_| json!({ "raw": String::from_utf8_lossy(&bytes) }));
    (status, body)
}

async fn get(uri: &str) -> (StatusCode, Value) {
    call(Request::get(uri).body(Body::empty()).expect("request")).await
}

async fn post(uri: &str, body: &str) -> (StatusCode, Value) {
    call(
        Request::post(uri)
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .expect("request"),
    )
    .await
}

#[tokio::test]
async fn health_and_readiness() {
    assert_eq!(get("/healthz").await, (StatusCode::OK, json!({ "status": "ok" })));
    let (status, body) = get("/readyz").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "ready");
}

#[tokio::test]
async fn events_page_through_every_event_once() {
    let (status, all) = get("/api/v1/events?limit=1000").await;
    assert_eq!(status, StatusCode::OK, "{all}");
    let all: Vec<String> =
        all["items"].as_array().expect("items").iter().map(|e| e["id"].as_str().expect("id").to_string()).collect();
    assert!(all.len() >= 2, "the demo data makes events: {all:?}");
    let mut paged = Vec::new();
    let mut uri = "/api/v1/events?limit=1".to_string();
    loop {
        let (status, page) = get(&uri).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let items = page["items"].as_array().expect("items");
        assert!(items.len() <= 1);
        paged.extend(items.iter().map(|e| e["id"].as_str().expect("id").to_string()));
        match page["next_cursor"].as_str() {
            Some(c) => uri = format!("/api/v1/events?limit=1&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(paged, all);
}

#[tokio::test]
async fn events_filter_by_category_and_vessel() {
    let (_, all) = get("/api/v1/events?limit=1000").await;
    let first = &all["items"][0];
    let category = first["category"].as_str().expect("category");
    let vessel = first["vessels"][0].as_str().expect("vessel");
    let (status, by_cat) = get(&format!("/api/v1/events?limit=1000&category={}", category.to_lowercase())).await;
    assert_eq!(status, StatusCode::OK);
    let items = by_cat["items"].as_array().expect("items");
    assert!(!items.is_empty() && items.iter().all(|e| e["category"] == category));
    let (_, by_vessel) = get(&format!("/api/v1/events?limit=1000&vessel={vessel}")).await;
    let items = by_vessel["items"].as_array().expect("items");
    assert!(!items.is_empty());
    assert!(items.iter().all(|e| e["vessels"].as_array().expect("vessels").iter().any(|v| v == vessel)));
    let (_, none) = get("/api/v1/events?from=1990-01-01T00:00:00Z&to=1990-01-02T00:00:00Z").await;
    assert_eq!(none["items"], json!([]));
}

/// An event of its own per test that changes it, so tests running in parallel do not meet.
async fn event_id(index: usize) -> String {
    let (_, all) = get("/api/v1/events?limit=1000&status=new").await;
    all["items"][index]["id"].as_str().expect("an event to act on").to_string()
}

#[tokio::test]
async fn lifecycle_steps_through_the_engine() {
    let id = event_id(0).await;
    let (status, body) = post(&format!("/api/v1/events/{id}/ack"), r#"{"actor":"ana","note":"looking"}"#).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["event"]["status"], "ACK");
    // Not allowed twice: the lifecycle refuses, a conflict.
    let (status, body) = post(&format!("/api/v1/events/{id}/ack"), r#"{"actor":"ana"}"#).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, body) =
        post(&format!("/api/v1/events/{id}/enforce"), r#"{"actor":"ana","action":"boarding","note":"n"}"#).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["event"]["status"], "ENFORCED");
    let (status, detail) = get(&format!("/api/v1/events/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(detail["enforcements"][0]["action"], "boarding");
    let history: Vec<&str> =
        detail["event"]["history"].as_array().expect("history").iter().map(|h| h["to"].as_str().expect("to")).collect();
    assert!(history.ends_with(&["ACK", "ENFORCED"]), "{history:?}");
}

#[tokio::test]
async fn silences_create_list_expire() {
    let (status, created) = post(
        "/api/v1/silences",
        r#"{"matchers":["area=N99E999"],"duration_seconds":3600,"created_by":"ana","comment":"test"}"#,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().expect("id");
    let (_, list) = get("/api/v1/silences?limit=1000").await;
    assert!(list["items"].as_array().expect("items").iter().any(|s| s["id"] == id));
    let (status, expired) = post(&format!("/api/v1/silences/{id}/expire"), "").await;
    assert_eq!(status, StatusCode::OK, "{expired}");
    let ends: DateTime<Utc> = expired["ends_at"].as_str().expect("ends").parse().expect("time");
    assert!(ends <= Utc::now());
}

#[tokio::test]
async fn read_routes_answer() {
    for uri in [
        "/api/v1/alerts?all=true",
        "/api/v1/outbox",
        "/api/v1/kpis",
        "/api/v1/stats/daily",
        "/api/v1/stats/hourly",
        "/api/v1/stats/monthly",
        "/api/v1/cycles?limit=5",
    ] {
        let (status, body) = get(uri).await;
        assert_eq!(status, StatusCode::OK, "{uri}: {body}");
    }
    let (_, cycles) = get("/api/v1/cycles?limit=5").await;
    assert_eq!(cycles["items"].as_array().expect("items").len(), 5);
    let (_, daily) = get("/api/v1/stats/daily").await;
    assert!(!daily["items"].as_array().expect("items").is_empty());
}

/// Every client mistake is a 4xx JSON error naming the field.
#[tokio::test]
async fn bad_input_names_the_field() {
    let id = event_id(1).await;
    let ack = format!("/api/v1/events/{id}/ack");
    let cases: Vec<(&str, String, Option<&str>, StatusCode, &str)> = vec![
        ("GET", "/api/v1/events?from=yesterday".into(), None, StatusCode::BAD_REQUEST, "from"),
        (
            "GET",
            "/api/v1/events?from=2021-01-02T00:00:00Z&to=2021-01-01T00:00:00Z".into(),
            None,
            StatusCode::BAD_REQUEST,
            "to",
        ),
        ("GET", "/api/v1/events?cursor=zz".into(), None, StatusCode::BAD_REQUEST, "cursor"),
        ("GET", "/api/v1/events?limit=abc".into(), None, StatusCode::BAD_REQUEST, "limit"),
        ("GET", "/api/v1/events?limit=0".into(), None, StatusCode::BAD_REQUEST, "limit"),
        ("GET", "/api/v1/events?status=SLEEPING".into(), None, StatusCode::BAD_REQUEST, "status"),
        ("GET", "/api/v1/events?level=loud".into(), None, StatusCode::BAD_REQUEST, "level"),
        ("GET", "/api/v1/events?colour=red".into(), None, StatusCode::BAD_REQUEST, "colour"),
        ("GET", "/api/v1/events/nosuchevent".into(), None, StatusCode::NOT_FOUND, "id"),
        ("GET", "/api/v1/alerts?all=maybe".into(), None, StatusCode::BAD_REQUEST, "all"),
        ("GET", "/api/v1/stats/weekly".into(), None, StatusCode::NOT_FOUND, "period"),
        ("GET", "/api/v1/vessels/nosuchvessel".into(), None, StatusCode::NOT_FOUND, "id"),
        ("GET", "/api/v1/vessels?cursor=1".into(), None, StatusCode::BAD_REQUEST, "cursor"),
        ("GET", "/api/v1/vessels?limit=100000".into(), None, StatusCode::BAD_REQUEST, "limit"),
        (
            "POST",
            "/api/v1/cycles".into(),
            Some(r#"{"actor":"a","window_seconds":0}"#),
            StatusCode::BAD_REQUEST,
            "window_seconds",
        ),
        ("POST", "/api/v1/cycles".into(), Some(r#"{"actor":"a","at":"noon"}"#), StatusCode::UNPROCESSABLE_ENTITY, "at"),
        ("POST", "/api/v1/cycles".into(), Some(r#"{"actor":""}"#), StatusCode::BAD_REQUEST, "actor"),
        ("POST", "/api/v1/ingest?format=pdf".into(), Some("x"), StatusCode::BAD_REQUEST, "format"),
        ("POST", "/api/v1/ingest?mode=fast".into(), Some("x"), StatusCode::BAD_REQUEST, "mode"),
        ("POST", "/api/v1/ingest".into(), Some(""), StatusCode::BAD_REQUEST, "body"),
        ("GET", "/api/v1/nothing".into(), None, StatusCode::NOT_FOUND, "path"),
        ("POST", ack.clone(), Some("{not json"), StatusCode::BAD_REQUEST, "body"),
        ("POST", ack.clone(), Some(r#"{"actor":5}"#), StatusCode::UNPROCESSABLE_ENTITY, "actor"),
        ("POST", ack.clone(), Some(r#"{"actor":"a","bogus":1}"#), StatusCode::UNPROCESSABLE_ENTITY, "bogus"),
        ("POST", ack.clone(), Some(r#"{"note":"x"}"#), StatusCode::UNPROCESSABLE_ENTITY, "actor"),
        ("POST", ack.clone(), Some(r#"{"actor":" "}"#), StatusCode::BAD_REQUEST, "actor"),
        ("POST", ack.clone(), Some(r#"{"actor":"a","action":"boarding"}"#), StatusCode::BAD_REQUEST, "action"),
        ("POST", format!("/api/v1/events/{id}/enforce"), Some(r#"{"actor":"a"}"#), StatusCode::BAD_REQUEST, "action"),
        ("POST", "/api/v1/events/nosuchevent/ack".into(), Some(r#"{"actor":"a"}"#), StatusCode::NOT_FOUND, "id"),
        (
            "POST",
            "/api/v1/silences".into(),
            Some(r#"{"matchers":["bad"],"duration_seconds":60,"created_by":"a"}"#),
            StatusCode::BAD_REQUEST,
            "matchers",
        ),
        (
            "POST",
            "/api/v1/silences".into(),
            Some(r#"{"matchers":["a=b"],"created_by":"a"}"#),
            StatusCode::BAD_REQUEST,
            "ends_at",
        ),
        (
            "POST",
            "/api/v1/silences".into(),
            Some(r#"{"matchers":["a=b"],"ends_at":"soon","created_by":"a"}"#),
            StatusCode::UNPROCESSABLE_ENTITY,
            "ends_at",
        ),
        ("POST", "/api/v1/silences/nosuch/expire".into(), None, StatusCode::NOT_FOUND, "id"),
        // Boxes, cursors and ranges of the SQL-paged lists.
        ("GET", "/api/v1/events?bbox=1,2,3".into(), None, StatusCode::BAD_REQUEST, "bbox"),
        ("GET", "/api/v1/events?bbox=a,b,c,d".into(), None, StatusCode::BAD_REQUEST, "bbox"),
        ("GET", "/api/v1/events?bbox=10,0,5,1".into(), None, StatusCode::BAD_REQUEST, "bbox"),
        ("GET", "/api/v1/events?bbox=0,-91,1,1".into(), None, StatusCode::BAD_REQUEST, "bbox"),
        ("GET", "/api/v1/events?bbox=0,0,NaN,1".into(), None, StatusCode::BAD_REQUEST, "bbox"),
        ("GET", "/api/v1/alerts?cursor=xyz".into(), None, StatusCode::BAD_REQUEST, "cursor"),
        ("GET", "/api/v1/findings?bbox=1,2,3,4,5".into(), None, StatusCode::BAD_REQUEST, "bbox"),
        ("GET", "/api/v1/findings?cursor=6162".into(), None, StatusCode::BAD_REQUEST, "cursor"),
        ("GET", "/api/v1/findings?cursor=zz".into(), None, StatusCode::BAD_REQUEST, "cursor"),
        ("GET", "/api/v1/findings?severity=huge".into(), None, StatusCode::BAD_REQUEST, "severity"),
        (
            "GET",
            "/api/v1/findings?from=2021-01-02T00:00:00Z&to=2021-01-01T00:00:00Z".into(),
            None,
            StatusCode::BAD_REQUEST,
            "to",
        ),
        ("GET", "/api/v1/findings?to=tomorrow".into(), None, StatusCode::BAD_REQUEST, "to"),
        ("GET", "/api/v1/findings?limit=-1".into(), None, StatusCode::BAD_REQUEST, "limit"),
        ("GET", "/api/v1/findings?detecter=gaps".into(), None, StatusCode::BAD_REQUEST, "detecter"),
        // Tracks.
        ("GET", "/api/v1/vessels/x/track?to=2021-01-01T00:00:00Z".into(), None, StatusCode::BAD_REQUEST, "from"),
        ("GET", "/api/v1/vessels/x/track?from=2021-01-01T00:00:00Z".into(), None, StatusCode::BAD_REQUEST, "to"),
        (
            "GET",
            "/api/v1/vessels/x/track?from=2021-01-02T00:00:00Z&to=2021-01-01T00:00:00Z".into(),
            None,
            StatusCode::BAD_REQUEST,
            "to",
        ),
        (
            "GET",
            "/api/v1/vessels/x/track?from=2020-01-01T00:00:00Z&to=2021-01-01T00:00:00Z".into(),
            None,
            StatusCode::BAD_REQUEST,
            "to",
        ),
        (
            "GET",
            "/api/v1/vessels/x/track?from=2021-01-01T00:00:00Z&to=2021-01-02T00:00:00Z&max_points=1".into(),
            None,
            StatusCode::BAD_REQUEST,
            "max_points",
        ),
        (
            "GET",
            "/api/v1/vessels/nosuch/track?from=2021-01-01T00:00:00Z&to=2021-01-02T00:00:00Z".into(),
            None,
            StatusCode::NOT_FOUND,
            "id",
        ),
        // Exports, the stream.
        ("GET", "/api/v1/exports/events/xml".into(), None, StatusCode::NOT_FOUND, "format"),
        ("GET", "/api/v1/exports/findings/csv?bbox=x".into(), None, StatusCode::BAD_REQUEST, "bbox"),
        ("GET", "/api/v1/stream?after=soon".into(), None, StatusCode::BAD_REQUEST, "after"),
        ("GET", "/api/v1/stream?since=1".into(), None, StatusCode::BAD_REQUEST, "since"),
        // Rules, models.
        (
            "POST",
            "/api/v1/rules/dry-run".into(),
            Some(r#"{"window_seconds":0}"#),
            StatusCode::BAD_REQUEST,
            "window_seconds",
        ),
        (
            "POST",
            "/api/v1/rules/dry-run".into(),
            Some(r#"{"window_seconds":"1h"}"#),
            StatusCode::UNPROCESSABLE_ENTITY,
            "window_seconds",
        ),
        ("POST", "/api/v1/rules/dry-run".into(), Some(r#"{"mode":"fast"}"#), StatusCode::UNPROCESSABLE_ENTITY, "mode"),
        ("POST", "/api/v1/rules/dry-run".into(), Some(r#"{"at":"#), StatusCode::BAD_REQUEST, "body"),
        ("POST", "/api/v1/rules/dry-run".into(), Some("[1,2]"), StatusCode::UNPROCESSABLE_ENTITY, "body"),
        ("GET", "/api/v1/models/gaps/diff".into(), None, StatusCode::BAD_REQUEST, "to"),
        ("GET", "/api/v1/models/gaps/diff?to=one".into(), None, StatusCode::BAD_REQUEST, "to"),
        ("GET", "/api/v1/models/gaps/diff?from=x&to=1".into(), None, StatusCode::BAD_REQUEST, "from"),
        ("GET", "/api/v1/models/gaps/diff?to=999".into(), None, StatusCode::NOT_FOUND, "version"),
        ("GET", "/api/v1/models/nosuch/diff?to=1".into(), None, StatusCode::NOT_FOUND, "model"),
        ("POST", "/api/v1/models/gaps/versions/x/shadow".into(), Some("{}"), StatusCode::BAD_REQUEST, "version"),
        (
            "POST",
            "/api/v1/models/gaps/versions/1/shadow".into(),
            Some(r#"{"at":5}"#),
            StatusCode::UNPROCESSABLE_ENTITY,
            "at",
        ),
        ("POST", "/api/v1/models/nosuch/versions/1/shadow".into(), Some("{}"), StatusCode::NOT_FOUND, "model"),
        ("POST", "/api/v1/anomaly".into(), Some(r#"{"points":"many"}"#), StatusCode::UNPROCESSABLE_ENTITY, "points"),
        (
            "POST",
            "/api/v1/anomaly".into(),
            Some(r#"{"points":[],"extra":1}"#),
            StatusCode::UNPROCESSABLE_ENTITY,
            "extra",
        ),
    ];
    for (method, uri, body, want, field) in cases {
        let mut req = Request::builder().method(method).uri(&uri);
        if body.is_some() {
            req = req.header("content-type", "application/json");
        }
        let (status, json) = call(req.body(Body::from(body.unwrap_or_default().to_string())).expect("request")).await;
        assert_eq!(status, want, "{method} {uri} {body:?}: {json}");
        assert_eq!(json["error"]["field"], field, "{method} {uri} {body:?}: {json}");
        assert!(json["error"]["code"].is_string() && json["error"]["message"].is_string(), "{json}");
    }
    // The event the mistakes were aimed at is untouched.
    let (_, detail) = get(&format!("/api/v1/events/{id}")).await;
    assert_eq!(detail["event"]["status"], "NEW");
}

#[tokio::test]
async fn oversized_and_untyped_bodies_are_refused() {
    let small = app_with(state(), Limits { body_bytes: 64, ..Limits::default() });
    let big = format!(r#"{{"actor":"{}"}}"#, "a".repeat(200));
    let req = Request::post("/api/v1/events/x/ack")
        .header("content-type", "application/json")
        .body(Body::from(big))
        .expect("request");
    let resp = small.clone().oneshot(req).await.expect("response");
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body: Value =
        serde_json::from_slice(&resp.into_body().collect().await.expect("body").to_bytes()).expect("json");
    assert_eq!(body["error"]["field"], "body");
    // Every route that takes a body refuses one over the limit, naming the body.
    for uri in ["/api/v1/rules/dry-run", "/api/v1/anomaly", "/api/v1/silences", "/api/v1/models/gaps/drafts"] {
        let req = Request::post(uri)
            .header("content-type", "application/json")
            .body(Body::from(format!(r#"{{"x":"{}"}}"#, "a".repeat(200))))
            .expect("request");
        let resp = small.clone().oneshot(req).await.expect("response");
        assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE, "{uri}");
        let body: Value =
            serde_json::from_slice(&resp.into_body().collect().await.expect("body").to_bytes()).expect("json");
        assert_eq!(body["error"]["field"], "body", "{uri}: {body}");
    }
    let req = Request::post("/api/v1/events/x/ack").body(Body::from(r#"{"actor":"a"}"#)).expect("request");
    let (status, body) = call(req).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{body}");
    assert_eq!(body["error"]["field"], "content-type");
}

/// Over real HTTP on loopback: the server answers, with a request id.
#[tokio::test]
async fn serves_over_loopback() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(lookout_server::serve(listener, app(state())));
    let mut conn = tokio::net::TcpStream::connect(addr).await.expect("connect");
    conn.write_all(b"GET /api/v1/events?limit=2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .expect("write");
    let mut text = String::new();
    conn.read_to_string(&mut text).await.expect("read");
    assert!(text.starts_with("HTTP/1.1 200 OK"), "{text}");
    assert!(text.to_ascii_lowercase().contains("x-request-id: "), "{text}");
    let body = &text[text.find("\r\n\r\n").expect("head end") + 4..];
    let page: Value = serde_json::from_str(body).expect("json body");
    assert_eq!(page["items"].as_array().expect("items").len(), 2);
}

#[tokio::test]
async fn vessels_search_pages_and_detail() {
    let (status, all) = get("/api/v1/vessels?limit=1000").await;
    assert_eq!(status, StatusCode::OK, "{all}");
    let ids: Vec<&str> =
        all["items"].as_array().expect("items").iter().map(|v| v["vessel"].as_str().expect("id")).collect();
    assert!(ids.len() > 2);
    let (_, first) = get("/api/v1/vessels?limit=2").await;
    let cursor = first["next_cursor"].as_str().expect("a next page");
    let (_, second) = get(&format!("/api/v1/vessels?limit=2&cursor={cursor}")).await;
    assert_eq!(second["items"][0]["vessel"], ids[2]);
    // The Danish file's vessel, by MMSI prefix.
    let (_, found) = get("/api/v1/vessels?q=21902").await;
    assert_eq!(found["items"][0]["vessel"], "219021240");
    let (_, events) = get("/api/v1/events?limit=1000").await;
    let vessel = events["items"][0]["vessels"][0].as_str().expect("vessel");
    let (status, detail) = get(&format!("/api/v1/vessels/{vessel}")).await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    assert_eq!(detail["vessel"]["vessel"], vessel);
    assert!(detail["last_position"]["lat"].is_number(), "{detail}");
    // No test closes an event, so the vessel's first event is open.
    let open = detail["open_events"].as_array().expect("events");
    assert!(open.iter().any(|e| e["id"] == events["items"][0]["id"]), "{detail}");
    assert!(detail["identities"].is_array());
}

#[tokio::test]
async fn models_draft_promote_rollback_and_history() {
    let (status, list) = get("/api/v1/models").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert!(list["items"].as_array().expect("items").iter().any(|m| m["model"] == "dark_suspicion"));
    let (status, draft) = post(
        "/api/v1/models/dark_suspicion/drafts",
        r#"{"params":{"weights":{"P7_unpermitted":20}},"actor":"ana","reason":"try"}"#,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{draft}");
    assert_eq!(draft["status"], "DRAFT");
    let v = draft["version"].as_i64().expect("version");
    let (status, shown) = get(&format!("/api/v1/models/dark_suspicion/versions/{v}")).await;
    assert_eq!((status, &shown["version"]), (StatusCode::OK, &json!(v)));
    let (status, promoted) =
        post(&format!("/api/v1/models/dark_suspicion/versions/{v}/promote"), r#"{"actor":"ana"}"#).await;
    assert_eq!(status, StatusCode::OK, "{promoted}");
    assert_eq!(promoted["status"], "ACTIVE");
    // Promoting again: no longer a DRAFT.
    let (status, again) =
        post(&format!("/api/v1/models/dark_suspicion/versions/{v}/promote"), r#"{"actor":"ana"}"#).await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");
    let (status, back) = post("/api/v1/models/dark_suspicion/rollback", r#"{"actor":"ana","reason":"undo"}"#).await;
    assert_eq!(status, StatusCode::OK, "{back}");
    assert_ne!(back["version"], json!(v));
    let (_, history) = get("/api/v1/models/dark_suspicion/history").await;
    let actions: Vec<&str> =
        history["items"].as_array().expect("items").iter().map(|a| a["action"].as_str().expect("action")).collect();
    assert!(actions.ends_with(&["create", "promote", "rollback"]), "{actions:?}");
    let cases = [
        ("/api/v1/models/nosuch", StatusCode::NOT_FOUND, "model"),
        ("/api/v1/models/nosuch/history", StatusCode::NOT_FOUND, "model"),
        ("/api/v1/models/dark_suspicion/versions/x", StatusCode::BAD_REQUEST, "version"),
        ("/api/v1/models/dark_suspicion/versions/999", StatusCode::NOT_FOUND, "version"),
    ];
    for (uri, want, field) in cases {
        let (status, body) = get(uri).await;
        assert_eq!((status, body["error"]["field"].as_str()), (want, Some(field)), "{uri}: {body}");
    }
    let (status, body) =
        post("/api/v1/models/dark_suspicion/drafts", r#"{"params":{"weights":"heavy"},"actor":"ana"}"#).await;
    assert_eq!((status, body["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("params")), "{body}");
}

/// Every route: method, path (a sample), the least role that may call it.
const ROUTES: &[(&str, &str, Role)] = &[
    ("GET", "/api/v1/events", Role::Viewer),
    ("GET", "/api/v1/events/x", Role::Viewer),
    ("POST", "/api/v1/events/x/ack", Role::Analyst),
    ("POST", "/api/v1/events/x/confirm", Role::Analyst),
    ("POST", "/api/v1/events/x/false-positive", Role::Analyst),
    ("POST", "/api/v1/events/x/enforce", Role::Analyst),
    ("POST", "/api/v1/events/x/close", Role::Analyst),
    ("GET", "/api/v1/vessels", Role::Viewer),
    ("GET", "/api/v1/vessels/x", Role::Viewer),
    ("GET", "/api/v1/vessels/x/track", Role::Viewer),
    ("GET", "/api/v1/findings", Role::Viewer),
    ("GET", "/api/v1/stream?after=notanumber", Role::Viewer),
    ("GET", "/api/v1/rules/plan", Role::Viewer),
    ("GET", "/api/v1/exports/events/csv", Role::Viewer),
    ("GET", "/api/v1/exports/findings/geojson", Role::Viewer),
    ("POST", "/api/v1/rules/dry-run", Role::Admin),
    ("GET", "/api/v1/models/dark_suspicion/diff?to=1", Role::Viewer),
    ("POST", "/api/v1/models/dark_suspicion/versions/x/shadow", Role::Admin),
    ("POST", "/api/v1/anomaly", Role::Analyst),
    ("GET", "/api/v1/alerts", Role::Viewer),
    ("GET", "/api/v1/silences", Role::Viewer),
    ("POST", "/api/v1/silences", Role::Analyst),
    ("POST", "/api/v1/silences/x/expire", Role::Analyst),
    ("GET", "/api/v1/outbox", Role::Viewer),
    ("GET", "/api/v1/kpis", Role::Viewer),
    ("GET", "/api/v1/sources", Role::Viewer),
    ("GET", "/api/v1/stats/daily", Role::Viewer),
    ("GET", "/api/v1/cycles", Role::Viewer),
    ("POST", "/api/v1/cycles", Role::Admin),
    ("POST", "/api/v1/ingest", Role::Admin),
    ("GET", "/metrics", Role::Viewer),
    ("GET", "/api/v1/models", Role::Viewer),
    ("GET", "/api/v1/models/dark_suspicion", Role::Viewer),
    ("GET", "/api/v1/models/dark_suspicion/history", Role::Viewer),
    ("GET", "/api/v1/models/dark_suspicion/versions/1", Role::Viewer),
    ("POST", "/api/v1/models/dark_suspicion/drafts", Role::Admin),
    ("POST", "/api/v1/models/dark_suspicion/versions/1/promote", Role::Admin),
    ("POST", "/api/v1/models/dark_suspicion/rollback", Role::Admin),
];

/// A token per role, created once in the demo store.
fn tokens() -> &'static [(Role, String)] {
    static TOKENS: OnceLock<Vec<(Role, String)>> = OnceLock::new();
    TOKENS.get_or_init(|| {
        let mut store = lookout_store::open(demo_db()).expect("open");
        [Role::Viewer, Role::Analyst, Role::Admin]
            .into_iter()
            .map(|r| (r, create_token(store.as_mut(), r, r.as_str(), Utc::now()).expect("token").0))
            .collect()
    })
}

fn token(role: Role) -> &'static str {
    &tokens().iter().find(|(r, _)| *r == role).expect("role").1
}

async fn call_as(method: &str, uri: &str, token: Option<&str>) -> (StatusCode, Value) {
    let mut req = Request::builder().method(method).uri(uri).header("content-type", "application/json");
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let resp = app(AppState::new(demo_db(), OutputConfig::default()))
        .oneshot(req.body(Body::from("{}")).expect("request"))
        .await
        .expect("response");
    let status = resp.status();
    let bytes = resp.into_body().collect().await.expect("body").to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

#[tokio::test]
async fn every_route_needs_its_role() {
    for &(method, uri, least) in ROUTES {
        let (status, body) = call_as(method, uri, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {uri} without a token: {body}");
        assert_eq!(body["error"]["field"], "authorization");
        let (status, _) = call_as(method, uri, Some("lk_not_a_token")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {uri} with a made-up token");
        for &role in [Role::Viewer, Role::Analyst, Role::Admin].iter() {
            let (status, body) = call_as(method, uri, Some(token(role))).await;
            if role < least {
                assert_eq!(status, StatusCode::FORBIDDEN, "{method} {uri} as {role:?}: {body}");
                assert_eq!(body["error"]["code"], "forbidden");
            } else {
                assert!(
                    status != StatusCode::UNAUTHORIZED && status != StatusCode::FORBIDDEN,
                    "{method} {uri} as {role:?}: {status} {body}"
                );
            }
        }
    }
    // The probes need no token.
    assert_eq!(call_as("GET", "/healthz", None).await.0, StatusCode::OK);
    assert_eq!(call_as("GET", "/readyz", None).await.0, StatusCode::OK);
    assert_eq!(call_as("GET", "/openapi.json", None).await.0, StatusCode::OK);
}

#[tokio::test]
async fn revoked_tokens_are_refused_and_only_hashes_are_stored() {
    let mut store = lookout_store::open(demo_db()).expect("open");
    let (secret, row) = create_token(store.as_mut(), Role::Viewer, "short-lived", Utc::now()).expect("token");
    assert!(secret.starts_with("lk_") && secret.len() == 67, "{secret}");
    let stored = store.tokens().expect("tokens");
    assert!(stored.iter().all(|t| t.hash != secret && !t.hash.contains(&secret[3..])));
    assert_eq!(call_as("GET", "/api/v1/kpis", Some(&secret)).await.0, StatusCode::OK);
    assert!(store.revoke_token(&row.id, Utc::now()).expect("revoke"));
    assert_eq!(call_as("GET", "/api/v1/kpis", Some(&secret)).await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn run_a_cycle_now() {
    let (status, report) = post("/api/v1/cycles", r#"{"at":"2019-07-05T00:00:00Z","actor":"ops"}"#).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["key"]["window_end"], "2019-07-05T00:00:00Z");
    assert!(report["positions"].as_u64().expect("positions") > 0, "{report}");
    assert!(!report["rules"].as_array().expect("rules").is_empty());
    assert_eq!(report["stage_failures"], json!([]));
}

/// A gzip body, as shipped, with the CLI's summary; the same file again inserts nothing new.
#[tokio::test]
async fn ingest_a_gzip_body() {
    let bytes = std::fs::read(data_dir().join("gfw_segment_338013000.jsonl.gz")).expect("demo file");
    // A store of its own, so the shared one keeps the vessels other tests page through.
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("ingest.db").display().to_string();
    let send = || async {
        let req = Request::post("/api/v1/ingest?source=gfw.jsonl.gz").body(Body::from(bytes.clone())).expect("request");
        let resp =
            app(AppState::without_auth(db.as_str(), OutputConfig::default())).oneshot(req).await.expect("response");
        let status = resp.status();
        let body: Value =
            serde_json::from_slice(&resp.into_body().collect().await.expect("body").to_bytes()).expect("json");
        (status, body)
    };
    let (status, summary) = send().await;
    assert_eq!(status, StatusCode::OK, "{summary}");
    assert_eq!(summary["path"], "gfw.jsonl.gz");
    assert_eq!(summary["format"], "gfw");
    assert!(summary["records_read"].as_u64().expect("read") > 100, "{summary}");
    assert!(summary["positions_inserted"].as_u64().expect("inserted") > 0);
    assert!(summary["rejects"].is_object(), "{summary}");
    let (_, again) = send().await;
    assert_eq!(again["records_read"], summary["records_read"]);
    assert_eq!(again["positions_inserted"], 0, "{again}");
}

/// `/metrics` after a cycle run through the API: requests, cycles, rule durations, findings, events.
#[tokio::test]
async fn metrics_after_a_cycle() {
    let router = app(state());
    let send = |req: Request<Body>| {
        let router = router.clone();
        async move {
            let resp = router.oneshot(req).await.expect("response");
            let status = resp.status();
            (
                status,
                String::from_utf8(resp.into_body().collect().await.expect("body").to_bytes().to_vec()).expect("utf8"),
            )
        }
    };
    let cycle = Request::post("/api/v1/cycles")
        .header("content-type", "application/json")
        .body(Body::from(r#"{"at":"2019-07-03T00:00:00Z","actor":"ops"}"#))
        .expect("request");
    let (status, body) = send(cycle).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, text) = send(Request::get("/metrics").body(Body::empty()).expect("request")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(text.contains("lookout_cycles_total 1"), "{text}");
    assert!(
        text.contains(r#"lookout_http_requests_total{route="/api/v1/cycles",method="POST",status="200"} 1"#),
        "{text}"
    );
    assert!(text.contains("lookout_http_request_duration_seconds_bucket{"), "{text}");
    assert!(text.contains(r#"lookout_rule_duration_seconds_count{rule="dark_suspicion"} 1"#), "{text}");
    assert!(text.contains("lookout_findings_total{detector="), "{text}");
    assert!(text.contains("lookout_events{category="), "{text}");
    assert!(text.trim_end().ends_with("# EOF") && text.matches("# EOF").count() == 1, "{text}");
}

/// The OpenAPI document, and every response a route gives checked against the schema it
/// declares for that status (its `$ref`s resolved in the document's components).
struct Contract {
    doc: Value,
    called: std::collections::BTreeSet<(String, String)>,
}

impl Contract {
    async fn fetch() -> Contract {
        let (status, doc) = get("/openapi.json").await;
        assert_eq!(status, StatusCode::OK, "{doc}");
        assert_eq!(doc["openapi"], "3.1.0", "an OpenAPI 3.1 document");
        Contract { doc, called: Default::default() }
    }

    /// Calls `uri` (an instance of the documented `template`) and checks the answer;
    /// returns it for the next call to build on.
    async fn call(&mut self, method: &str, template: &str, uri: &str, body: Option<&str>) -> (StatusCode, Value) {
        let mut req = Request::builder().method(method).uri(uri);
        if body.is_some() {
            req = req.header("content-type", "application/json");
        }
        let (status, json) = call(req.body(Body::from(body.unwrap_or_default().to_string())).expect("request")).await;
        self.check(method, template, status, &json);
        (status, json)
    }

    fn check(&mut self, method: &str, template: &str, status: StatusCode, body: &Value) {
        let errors = self.errors(method, template, status, body);
        assert!(
            errors.is_empty(),
            "{method} {template} {status} does not match its schema: {errors:#?}\nbody: {body:.2000}"
        );
    }

    /// Why `body` does not match what the document declares (empty: it matches).
    fn errors(&mut self, method: &str, template: &str, status: StatusCode, body: &Value) -> Vec<String> {
        let method = method.to_ascii_lowercase();
        let op = &self.doc["paths"][template][&method];
        assert!(op.is_object(), "{method} {template} is not in /openapi.json");
        self.called.insert((template.to_string(), method.clone()));
        let responses = &op["responses"];
        let code = status.as_str();
        let range = format!("{}XX", &code[..1]);
        let declared = responses.get(code).or_else(|| responses.get(&range));
        let declared = declared.unwrap_or_else(|| panic!("{method} {template}: status {code} is not declared: {body}"));
        // The one media type each answer declares (JSON, or GeoJSON for a track).
        let content = declared["content"].as_object().and_then(|c| c.values().next());
        let mut schema = content.map(|c| c["schema"].clone()).unwrap_or(Value::Null);
        assert!(schema.is_object(), "{method} {template} {code}: no JSON schema declared");
        schema["components"] = self.doc["components"].clone();
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .should_validate_formats(true)
            .build(&schema)
            .unwrap_or_else(|e| panic!("{method} {template} {code}: the declared schema does not compile: {e}"));
        validator.iter_errors(body).map(|e| format!("{} at '{}'", e, e.instance_path())).take(5).collect()
    }

    /// Every documented operation was called at least once.
    fn assert_all_called(&self) {
        let documented: std::collections::BTreeSet<(String, String)> = self.doc["paths"]
            .as_object()
            .expect("paths")
            .iter()
            .flat_map(|(path, ops)| ops.as_object().expect("operations").keys().map(move |m| (path.clone(), m.clone())))
            .filter(|(_, m)| ["get", "post", "put", "patch", "delete"].contains(&m.as_str()))
            .collect();
        let missed: Vec<_> = documented.difference(&self.called).collect();
        assert!(missed.is_empty(), "documented but never called: {missed:?}");
    }
}

/// Real responses (from the demo store) of every route, valid against `/openapi.json`.
#[tokio::test]
async fn every_response_matches_the_openapi_document() {
    let mut c = Contract::fetch().await;
    // The check can fail: a wrong type, a missing field, a bad time are caught.
    for wrong in [
        json!({ "items": [{ "id": 1 }], "next_cursor": null }),
        json!({ "items": [] }),
        json!({ "items": [], "next_cursor": 5 }),
    ] {
        assert!(!c.errors("GET", "/api/v1/events", StatusCode::OK, &wrong).is_empty(), "{wrong}");
    }
    let (_, cycles) = get("/api/v1/cycles?limit=1").await;
    let mut bad_time = cycles.clone();
    bad_time["items"][0]["key"]["window_end"] = json!("yesterday");
    assert!(c.errors("GET", "/api/v1/cycles", StatusCode::OK, &cycles).is_empty());
    assert!(!c.errors("GET", "/api/v1/cycles", StatusCode::OK, &bad_time).is_empty(), "{bad_time}");
    c.call("GET", "/healthz", "/healthz", None).await;
    c.call("GET", "/readyz", "/readyz", None).await;
    let (_, events) = c.call("GET", "/api/v1/events", "/api/v1/events?limit=1000", None).await;
    let items = events["items"].as_array().expect("items");
    assert!(items.len() >= 2, "the demo makes events");
    c.call("GET", "/api/v1/events", "/api/v1/events?limit=1", None).await;
    c.call("GET", "/api/v1/events", "/api/v1/events?status=sleeping", None).await;
    // The last event is the one the other tests leave alone.
    let id = items.last().and_then(|e| e["id"].as_str()).expect("id").to_string();
    let vessel = items[0]["vessels"][0].as_str().expect("vessel").to_string();
    c.call("GET", "/api/v1/events/{id}", &format!("/api/v1/events/{id}"), None).await;
    c.call("GET", "/api/v1/events/{id}", "/api/v1/events/nosuch", None).await;
    let step = r#"{"actor":"contract","note":"checked"}"#;
    for action in ["ack", "confirm", "false-positive", "close"] {
        let template = format!("/api/v1/events/{{id}}/{action}");
        c.call("POST", &template, &format!("/api/v1/events/{id}/{action}"), Some(step)).await;
    }
    let (status, _) = c
        .call(
            "POST",
            "/api/v1/events/{id}/enforce",
            &format!("/api/v1/events/{id}/enforce"),
            Some(r#"{"actor":"contract","action":"warning"}"#),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "a closed event is not enforced");
    c.call("GET", "/api/v1/events/{id}", &format!("/api/v1/events/{id}"), None).await;
    c.call("GET", "/api/v1/vessels", "/api/v1/vessels?limit=3", None).await;
    let (_, detail) = c.call("GET", "/api/v1/vessels/{id}", &format!("/api/v1/vessels/{vessel}"), None).await;
    assert!(detail["current_risk"]["finding"]["detector"] == "composite", "{detail:.1500}");
    let (_, findings) = c.call("GET", "/api/v1/findings", "/api/v1/findings?limit=50", None).await;
    assert_eq!(findings["items"].as_array().expect("items").len(), 50);
    c.call("GET", "/api/v1/findings", "/api/v1/findings?bbox=1,2,3", None).await;
    // The stream's 200 is endless text (see `stream_live_and_resume`); its errors are JSON.
    c.call("GET", "/api/v1/stream", "/api/v1/stream?after=x", None).await;
    // So are the exports' (CSV and GeoJSON: `exports_match_the_lists`).
    c.call("GET", "/api/v1/exports/events/{format}", "/api/v1/exports/events/pdf", None).await;
    c.call("GET", "/api/v1/exports/findings/{format}", "/api/v1/exports/findings/csv?limit=0", None).await;
    let track =
        format!("/api/v1/vessels/{vessel}/track?from=2019-07-01T00:00:00Z&to=2019-07-15T00:00:00Z&max_points=50");
    c.call("GET", "/api/v1/vessels/{id}/track", &track, None).await;
    c.call("GET", "/api/v1/alerts", "/api/v1/alerts?all=true", None).await;
    let (status, silence) = c
        .call(
            "POST",
            "/api/v1/silences",
            "/api/v1/silences",
            Some(r#"{"matchers":["area=~N5.*"],"duration_seconds":600,"created_by":"contract","comment":"contract test"}"#),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{silence}");
    let silence_id = silence["id"].as_str().expect("silence id");
    c.call("GET", "/api/v1/silences", "/api/v1/silences", None).await;
    c.call("POST", "/api/v1/silences/{id}/expire", &format!("/api/v1/silences/{silence_id}/expire"), None).await;
    c.call("GET", "/api/v1/outbox", "/api/v1/outbox?limit=5", None).await;
    c.call("GET", "/api/v1/kpis", "/api/v1/kpis", None).await;
    c.call("GET", "/api/v1/sources", "/api/v1/sources", None).await;
    for period in ["hourly", "daily", "monthly"] {
        let (status, rows) = c.call("GET", "/api/v1/stats/{period}", &format!("/api/v1/stats/{period}"), None).await;
        assert_eq!(status, StatusCode::OK);
        assert!(!rows["items"].as_array().expect("items").is_empty(), "{period}");
    }
    c.call("GET", "/api/v1/cycles", "/api/v1/cycles?limit=3", None).await;
    let (status, _) = c
        .call("POST", "/api/v1/cycles", "/api/v1/cycles", Some(r#"{"at":"2019-07-04T00:00:00Z","actor":"contract"}"#))
        .await;
    assert_eq!(status, StatusCode::OK);
    // A body the store already holds: counted, nothing new inserted.
    let nmea = "!AIVDM,1,1,,A,13u?etPv2;0n:dDPwUM1U1Cb069D,0*24\n";
    let (status, _) = c.call("POST", "/api/v1/ingest", "/api/v1/ingest?format=nmea", Some(nmea)).await;
    assert_eq!(status, StatusCode::OK);
    c.call("GET", "/api/v1/models", "/api/v1/models", None).await;
    c.call("GET", "/api/v1/models/{model}", "/api/v1/models/loitering", None).await;
    c.call("GET", "/api/v1/models/{model}/versions/{version}", "/api/v1/models/loitering/versions/1", None).await;
    let (status, draft) = c
        .call(
            "POST",
            "/api/v1/models/{model}/drafts",
            "/api/v1/models/loitering/drafts",
            Some(r#"{"params":{},"actor":"contract"}"#),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{draft}");
    let v = draft["version"].as_i64().expect("version");
    c.call(
        "POST",
        "/api/v1/models/{model}/versions/{version}/promote",
        &format!("/api/v1/models/loitering/versions/{v}/promote"),
        Some(r#"{"actor":"contract"}"#),
    )
    .await;
    c.call(
        "POST",
        "/api/v1/models/{model}/rollback",
        "/api/v1/models/loitering/rollback",
        Some(r#"{"actor":"contract"}"#),
    )
    .await;
    c.call("GET", "/api/v1/models/{model}/history", "/api/v1/models/loitering/history", None).await;
    c.call("GET", "/api/v1/models/{model}/history", "/api/v1/models/nosuch/history", None).await;
    let (status, diff) = c
        .call("GET", "/api/v1/models/{model}/diff", &format!("/api/v1/models/loitering/diff?from=1&to={v}"), None)
        .await;
    assert_eq!((status, &diff["changes"]), (StatusCode::OK, &json!([])), "an empty override changes nothing");
    let (status, _) = c
        .call(
            "POST",
            "/api/v1/models/{model}/versions/{version}/shadow",
            &format!("/api/v1/models/loitering/versions/{v}/shadow"),
            Some("{}"),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, plan) = c.call("GET", "/api/v1/rules/plan", "/api/v1/rules/plan", None).await;
    assert!(!plan["lines"].as_array().expect("lines").is_empty());
    let (status, dry) = c
        .call("POST", "/api/v1/rules/dry-run", "/api/v1/rules/dry-run", Some(r#"{"at":"2019-07-04T00:00:00Z"}"#))
        .await;
    assert_eq!(status, StatusCode::OK, "{dry}");
    assert!(dry["positions"].as_u64().expect("positions") > 0);
    let series = r#"{"points":[{"at":"2024-01-01T00:00:00Z","value":1},{"at":"2024-01-01T00:05:00Z","value":2}]}"#;
    c.call("POST", "/api/v1/anomaly", "/api/v1/anomaly", Some(series)).await;
    c.assert_all_called();
}

async fn all_pages(uri: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut next = uri.to_string();
    loop {
        let (status, page) = get(&next).await;
        assert_eq!(status, StatusCode::OK, "{next}: {page}");
        out.extend(page["items"].as_array().expect("items").iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => next = format!("{uri}&cursor={c}"),
            None => return out,
        }
    }
}

/// Findings page in SQL: small pages give the same rows as one big page; filters and a
/// box narrow them.
#[tokio::test]
async fn findings_page_filter_and_box() {
    let (status, big) = get("/api/v1/findings?detector=gaps&limit=1000").await;
    assert_eq!(status, StatusCode::OK, "{big}");
    let big = big["items"].as_array().expect("items").clone();
    assert!(big.len() > 3, "the demo has gaps: {}", big.len());
    assert!(big.iter().all(|f| f["finding"]["detector"] == "gaps"));
    let paged = all_pages("/api/v1/findings?detector=gaps&limit=3").await;
    assert_eq!(paged, big);
    let vessel = big[0]["finding"]["vessel"].as_str().expect("vessel");
    let mine = all_pages(&format!("/api/v1/findings?vessel={vessel}&limit=100")).await;
    assert!(!mine.is_empty() && mine.iter().all(|f| f["finding"]["vessel"] == vessel));
    // The box around the vessel's last report holds its findings of that time; the far
    // side of the world holds none.
    let (_, detail) = get(&format!("/api/v1/vessels/{vessel}")).await;
    let (lat, lon) =
        (detail["last_position"]["lat"].as_f64().expect("lat"), detail["last_position"]["lon"].as_f64().expect("lon"));
    let near = format!("{},{},{},{}", lon - 1.0, lat - 1.0, lon + 1.0, lat + 1.0);
    let boxed = all_pages(&format!("/api/v1/findings?vessel={vessel}&bbox={near}&limit=100")).await;
    assert!(!boxed.is_empty(), "findings near {near}");
    let far = format!("{},{},{},{}", -lon - 1.0, -lat - 1.0, -lon + 1.0, -lat + 1.0);
    let (_, none) = get(&format!("/api/v1/findings?bbox={far}")).await;
    assert_eq!(none["items"], json!([]));
    let (_, events_far) = get(&format!("/api/v1/events?bbox={far}")).await;
    assert_eq!(events_far["items"], json!([]));
    let events_near = all_pages(&format!("/api/v1/events?vessel={vessel}&bbox={near}&limit=2")).await;
    let events_mine = all_pages(&format!("/api/v1/events?vessel={vessel}&limit=2")).await;
    assert!(events_near.len() <= events_mine.len());
    assert!(events_near.iter().all(|e| events_mine.contains(e)));
}

/// A track with gaps: parts split at each gap, each gap a feature with its duration and
/// dark score; downsampled, every part keeps its ends.
#[tokio::test]
async fn track_as_geojson_with_gaps_and_downsampling() {
    let (_, gaps) = get("/api/v1/findings?detector=gaps&limit=1000").await;
    let gap = gaps["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|f| f["finding"]["start"].as_str().is_some_and(|s| s.starts_with("2019-07")))
        .expect("a gap in the Kitimat data")
        .clone();
    let vessel = gap["finding"]["vessel"].as_str().expect("vessel");
    let uri = format!("/api/v1/vessels/{vessel}/track?from=2019-07-01T00:00:00Z&to=2019-07-15T00:00:00Z");
    let (status, full) = get(&uri).await;
    assert_eq!(status, StatusCode::OK, "{full}");
    assert_eq!(full["type"], "FeatureCollection");
    let features = full["features"].as_array().expect("features");
    let parts: Vec<&Value> = features.iter().filter(|f| f["properties"]["kind"] == "track").collect();
    let gaps: Vec<&Value> = features.iter().filter(|f| f["properties"]["kind"] == "gap").collect();
    assert!(!gaps.is_empty(), "{full:.2000}");
    assert_eq!(parts.len(), gaps.len() + 1, "a part on each side of every gap");
    let g = &gaps[0]["properties"];
    assert!(g["duration_seconds"].as_i64().expect("duration") > 0);
    assert!(g.get("dark_score").is_some());
    let total: u64 = parts.iter().map(|p| p["properties"]["points"].as_u64().expect("points")).sum();
    assert_eq!(total, full["properties"]["positions"].as_u64().expect("positions"));
    let n = (parts.len() * 2 + 3) as u64;
    assert!(total > n, "enough points to thin");
    let (status, thin) = get(&format!("{uri}&max_points={n}")).await;
    assert_eq!(status, StatusCode::OK, "{thin}");
    let thin_parts: Vec<&Value> =
        thin["features"].as_array().expect("features").iter().filter(|f| f["properties"]["kind"] == "track").collect();
    let kept: u64 = thin_parts.iter().map(|p| p["properties"]["points"].as_u64().expect("points")).sum();
    assert!(kept <= n, "{kept} > {n}");
    for (a, b) in parts.iter().zip(&thin_parts) {
        let ends = |f: &Value| {
            let c = f["geometry"]["coordinates"].clone();
            match c.as_array() {
                Some(pts) if pts.first().is_some_and(Value::is_array) => (pts[0].clone(), pts[pts.len() - 1].clone()),
                _ => (c.clone(), c),
            }
        };
        assert_eq!(ends(a), ends(b), "a part's ends survive downsampling");
    }
    let (status, err) = get(&format!("{uri}&max_points=2")).await;
    assert_eq!((status, err["error"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("max_points")), "{err}");
}

/// Reads server-sent events from `body` until `done` says enough (10 s at most).
async fn sse_until(body: &mut Body, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    let (mut text, mut out) = (String::new(), Vec::new());
    while !done(&out) {
        let frame = tokio::time::timeout_at(deadline, body.frame()).await.expect("entries in time");
        let frame = frame.expect("stream open").expect("frame");
        if let Ok(data) = frame.into_data() {
            text.push_str(&String::from_utf8_lossy(&data));
        }
        while let Some(end) = text.find("\n\n") {
            let block: String = text.drain(..end + 2).collect();
            let id = block.lines().find_map(|l| l.strip_prefix("id: ")).map(str::to_string);
            if let Some(data) = block.lines().find_map(|l| l.strip_prefix("data: ")) {
                let entry: Value = serde_json::from_str(data).expect("data is JSON");
                assert_eq!(id, Some(entry["seq"].to_string()), "id: is the entry's number");
                out.push(entry);
            }
        }
    }
    out
}

/// A cycle run through the API is streamed live (cycle, its events, alerts), and a client
/// that reconnects with Last-Event-ID gets the entries after it from the store, in order.
#[tokio::test]
async fn stream_live_and_resume() {
    let router = app(state());
    let open = |last: Option<i64>| {
        let router = router.clone();
        async move {
            let mut req = Request::get("/api/v1/stream");
            if let Some(id) = last {
                req = req.header("last-event-id", id.to_string());
            }
            let resp = router.oneshot(req.body(Body::empty()).expect("request")).await.expect("response");
            assert_eq!(resp.status(), StatusCode::OK);
            assert_eq!(resp.headers()["content-type"], "text/event-stream");
            resp.into_body()
        }
    };
    let mut live = open(None).await;
    let cycle = Request::post("/api/v1/cycles")
        .header("content-type", "application/json")
        .body(Body::from(r#"{"at":"2019-07-06T00:00:00Z","actor":"stream"}"#))
        .expect("request");
    let resp = router.clone().oneshot(cycle).await.expect("response");
    assert_eq!(resp.status(), StatusCode::OK);
    let seen = sse_until(&mut live, |v| v.iter().any(|e| e["kind"] == "cycle")).await;
    let first = &seen[0];
    assert_eq!(first["kind"], "cycle", "the cycle comes first: {first}");
    assert_eq!(first["payload"]["key"]["window_end"], "2019-07-06T00:00:00Z");
    let seq = first["seq"].as_i64().expect("seq");
    // An analyst's step is streamed as the changed event.
    let id = event_id(2).await;
    let ack = Request::post(format!("/api/v1/events/{id}/ack"))
        .header("content-type", "application/json")
        .body(Body::from(r#"{"actor":"stream"}"#))
        .expect("request");
    assert_eq!(router.clone().oneshot(ack).await.expect("response").status(), StatusCode::OK);
    let mut seen = seen.clone();
    seen.extend(sse_until(&mut live, |v| v.iter().any(|e| e["payload"]["id"] == id.as_str())).await);
    let acked = seen.last().expect("entry");
    assert_eq!((&acked["kind"], &acked["payload"]["status"]), (&json!("event"), &json!("ACK")), "{acked}");
    assert!(seen[1..seen.len() - 1].iter().all(|e| e["kind"] == "event" || e["kind"] == "alert"), "{seen:?}");
    // Resuming from just before the cycle replays the same entries from the store.
    let mut resumed = open(Some(seq - 1)).await;
    let last = acked["seq"].clone();
    let replay = sse_until(&mut resumed, |v| v.iter().any(|e| e["seq"] == last)).await;
    // Other servers' entries (the other tests') are in the shared log too; ours are all
    // there, unchanged, in order.
    let ours: Vec<&Value> = replay.iter().filter(|e| seen.iter().any(|s| s["seq"] == e["seq"])).collect();
    assert_eq!(ours, seen.iter().collect::<Vec<_>>());
    assert_eq!(replay[0], seen[0]);
    let seqs: Vec<i64> = replay.iter().map(|e| e["seq"].as_i64().expect("seq")).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    let (status, body) = get("/api/v1/stream?after=-1").await;
    assert_eq!((status, body["error"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("after")));
}

/// The first `n` rows of a shipped NAB series.
fn nab_series(name: &str, n: usize) -> (Vec<i64>, Vec<f64>) {
    use std::io::BufRead;
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/nab/data").join(name);
    let reader = std::io::BufReader::new(flate2::read::GzDecoder::new(std::fs::File::open(&path).expect("nab file")));
    let (mut ts, mut vs) = (Vec::new(), Vec::new());
    for line in reader.lines().skip(1).take(n) {
        let line = line.expect("line");
        let (t, v) = line.split_once(',').expect("two columns");
        let t = chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S").expect("time").and_utc().timestamp();
        ts.push(t);
        vs.push(v.parse().expect("value"));
    }
    (ts, vs)
}

/// A posted series gets the scores and explanations `lookout anomaly` computes.
#[tokio::test]
async fn anomaly_scores_a_posted_series_as_the_cli_does() {
    let (ts, vs) = nab_series("realTweets/Twitter_volume_AMZN.csv.gz", 800);
    let points: Vec<Value> = ts
        .iter()
        .zip(&vs)
        .map(|(t, v)| json!({ "at": DateTime::<Utc>::from_timestamp(*t, 0).expect("time"), "value": v }))
        .collect();
    let (status, body) = post("/api/v1/anomaly", &json!({ "points": points, "lang": "ko" }).to_string()).await;
    assert_eq!(status, StatusCode::OK, "{body:.500}");
    let items = body["items"].as_array().expect("items");
    let p = lookout_anomaly::DetectorParams::default();
    let want = lookout_anomaly::score_series(&ts, &vs, &p);
    assert_eq!(items.len(), want.len());
    for (got, want) in items.iter().zip(&want) {
        assert_eq!(got["score"], serde_json::to_value(want).expect("json"));
        let sentence = lookout_anomaly::explain::explain(want, &p, lookout_anomaly::explain::Lang::Ko);
        assert_eq!(got["explanation"], sentence);
    }
    let bad = [
        (r#"{"points":[]}"#, "points"),
        (r#"{"points":[{"at":"2024-01-01T00:05:00Z","value":1},{"at":"2024-01-01T00:00:00Z","value":2}]}"#, "points"),
        (r#"{"points":[{"at":"2024-01-01T00:00:00Z","value":1}],"lang":"fr"}"#, "lang"),
        (r#"{"points":[{"at":"2024-01-01T00:00:00Z","value":1}],"params":{"nonsense":1}}"#, "params"),
        (r#"{"points":[{"at":"noon","value":1}]}"#, "points[0].at"),
    ];
    for (body, field) in bad {
        let (status, err) = post("/api/v1/anomaly", body).await;
        assert!(status.is_client_error(), "{body}: {status}");
        assert_eq!(err["error"]["field"], field, "{body}: {err}");
    }
}

async fn get_text(uri: &str) -> (StatusCode, String, axum::http::HeaderMap) {
    let resp = app(state()).oneshot(Request::get(uri).body(Body::empty()).expect("request")).await.expect("response");
    let (status, headers) = (resp.status(), resp.headers().clone());
    let bytes = resp.into_body().collect().await.expect("body").to_bytes();
    (status, String::from_utf8(bytes.to_vec()).expect("utf8"), headers)
}

/// Exports hold the rows the lists give, with the same filters and chunks.
#[tokio::test]
async fn exports_match_the_lists() {
    let (_, list) = get("/api/v1/events?limit=1000&category=dark_vessel").await;
    let events = list["items"].as_array().expect("items");
    assert!(!events.is_empty());
    let (status, csv, headers) = get_text("/api/v1/exports/events/csv?limit=1000&category=dark_vessel").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "text/csv");
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let ids: Vec<String> = reader.records().map(|r| r.expect("row")[0].to_string()).collect();
    let want: Vec<&str> = events.iter().map(|e| e["id"].as_str().expect("id")).collect();
    assert_eq!(ids, want);
    let (status, geo, headers) = get_text("/api/v1/exports/events/geojson?limit=1000&category=dark_vessel").await;
    assert_eq!(
        (status, &headers["content-type"]),
        (StatusCode::OK, &axum::http::HeaderValue::from_static("application/geo+json"))
    );
    let geo: Value = serde_json::from_str(&geo).expect("json");
    let features = geo["features"].as_array().expect("features");
    assert_eq!(features.len(), events.len());
    assert!(features.iter().all(|f| f["geometry"]["type"] == "Point"), "the demo store holds their positions");
    // Findings in chunks: the cursor header leads to the next chunk, and together they
    // are the list.
    let (_, all) = get("/api/v1/findings?detector=gaps&limit=1000").await;
    let all = all["items"].as_array().expect("items").len();
    let (status, first, headers) = get_text("/api/v1/exports/findings/csv?detector=gaps&limit=5").await;
    assert_eq!(status, StatusCode::OK);
    let next = headers["x-next-cursor"].to_str().expect("cursor").to_string();
    let (_, rest, _) = get_text(&format!("/api/v1/exports/findings/csv?detector=gaps&limit=1000&cursor={next}")).await;
    let rows = |t: &str| csv::Reader::from_reader(t.as_bytes()).records().count();
    assert_eq!(rows(&first) + rows(&rest), all);
    let (status, geo, _) = get_text("/api/v1/exports/findings/geojson?detector=gaps&limit=5").await;
    assert_eq!(status, StatusCode::OK);
    let geo: Value = serde_json::from_str(&geo).expect("json");
    assert_eq!(geo["features"].as_array().expect("features").len(), 5);
    assert_eq!(geo["features"][0]["properties"]["detector"], "gaps");
}

/// The same data on SQLite and PostgreSQL answers the same through the API: lists,
/// filters and pages in SQL, details, tracks, exports.
#[tokio::test]
async fn postgres_answers_as_sqlite_does() {
    // The synchronous PostgreSQL client runs off the test's runtime.
    let schema = tokio::task::spawn_blocking(|| {
        lookout_store::testing::pg_test_url()
            .map(|url| lookout_store::testing::TestSchema::create(&url, "api").expect("schema"))
    })
    .await
    .expect("probe");
    let Some(schema) = schema else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let sqlite = dir.path().join("same.db").display().to_string();
    let files = ["shipstrike_kitimat_2019-07-01_14.csv.gz"];
    let (pg, lite) = (schema.url(), sqlite.clone());
    tokio::task::spawn_blocking(move || {
        fill_demo(&pg, &files);
        fill_demo(&lite, &files);
    })
    .await
    .expect("filled");
    let (_, gaps) = get("/api/v1/findings?detector=gaps&from=2019-07-01T00:00:00Z&limit=1").await;
    let vessel = gaps["items"][0]["finding"]["vessel"].as_str().expect("a vessel with gaps").to_string();
    let uris = [
        "/api/v1/events?limit=7".to_string(),
        "/api/v1/events?level=high&limit=1000".into(),
        format!("/api/v1/events?vessel={vessel}"),
        "/api/v1/events?bbox=-130,53,-128,54&limit=1000".into(),
        "/api/v1/findings?limit=9".into(),
        "/api/v1/findings?detector=dark_suspicion&severity=high&limit=1000".into(),
        "/api/v1/findings?bbox=-130,53,-128,54&from=2019-07-05T00:00:00Z&limit=1000".into(),
        format!("/api/v1/vessels/{vessel}"),
        format!("/api/v1/vessels/{vessel}/track?from=2019-07-01T00:00:00Z&to=2019-07-15T00:00:00Z&max_points=100"),
        "/api/v1/vessels?q=2&limit=5".into(),
        "/api/v1/alerts?all=true&limit=3".into(),
        "/api/v1/stats/daily".into(),
    ];
    for uri in uris {
        let answer = |db: String| {
            let uri = uri.clone();
            async move {
                let resp = app(AppState::without_auth(db, OutputConfig::default()))
                    .oneshot(Request::get(&uri).body(Body::empty()).expect("request"))
                    .await
                    .expect("response");
                let status = resp.status();
                let body: Value =
                    serde_json::from_slice(&resp.into_body().collect().await.expect("body").to_bytes()).expect("json");
                (status, body)
            }
        };
        let (a, b) = (answer(sqlite.clone()).await, answer(schema.url()).await);
        assert_eq!(a.0, StatusCode::OK, "{uri}: {}", a.1);
        assert_eq!(a, b, "{uri}: SQLite and PostgreSQL differ");
    }
    tokio::task::spawn_blocking(move || drop(schema)).await.expect("schema dropped");
}
