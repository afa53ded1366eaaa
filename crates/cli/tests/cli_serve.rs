//! `lookout tokens` and `lookout serve` as a user runs them.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command as StdCommand, Stdio};

use assert_cmd::Command;

fn lookout(db: &str) -> Command {
    let mut c = Command::cargo_bin("lookout").expect("lookout binary");
    c.args(["--db", db]);
    c
}

#[test]
fn tokens_create_list_revoke() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("t.db").display().to_string();
    let out = lookout(&db).args(["tokens", "create", "--role", "analyst", "--name", "ana"]).output().expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let token = String::from_utf8(out.stdout).expect("utf8").trim().to_string();
    assert!(token.starts_with("lk_") && token.len() == 67, "{token}");
    let list = lookout(&db).args(["tokens", "list"]).output().expect("runs");
    let text = String::from_utf8(list.stdout).expect("utf8");
    assert!(text.contains("analyst") && text.contains("ana") && text.contains("active"), "{text}");
    assert!(!text.contains(&token), "the token is never shown again");
    let id = text.split_whitespace().next().expect("id").to_string();
    lookout(&db).args(["tokens", "revoke", &id]).assert().success();
    // Revoking again keeps it revoked; an unknown id is an error.
    lookout(&db).args(["tokens", "revoke", &id]).assert().success();
    lookout(&db).args(["tokens", "revoke", "nosuchtoken"]).assert().failure();
    let text = String::from_utf8(lookout(&db).args(["tokens", "list"]).output().expect("runs").stdout).expect("utf8");
    assert!(text.contains("revoked"), "{text}");
    lookout(&db).args(["tokens", "create", "--role", "boss", "--name", "x"]).assert().failure();
}

#[test]
fn no_auth_only_on_loopback() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("t.db").display().to_string();
    let out = lookout(&db).args(["serve", "--no-auth", "--bind", "0.0.0.0:0"]).output().expect("runs");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("loopback"));
}

/// The real binary serves over loopback; a token from `lookout tokens` opens the API.
#[test]
fn serve_answers_with_a_token() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("t.db").display().to_string();
    let out = lookout(&db).args(["tokens", "create", "--role", "viewer", "--name", "v"]).output().expect("runs");
    let token = String::from_utf8(out.stdout).expect("utf8").trim().to_string();
    let bin = assert_cmd::cargo::cargo_bin("lookout");
    let mut child = StdCommand::new(bin)
        .args(["--db", &db, "serve", "--bind", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("first line");
    let addr = line.split("http://").nth(1).and_then(|r| r.split('/').next()).expect("address").to_string();
    let get = |auth: Option<&str>| {
        let mut conn = std::net::TcpStream::connect(&addr).expect("connect");
        let header = auth.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
        write!(conn, "GET /api/v1/kpis HTTP/1.1\r\nHost: x\r\n{header}Connection: close\r\n\r\n").expect("write");
        let mut text = String::new();
        conn.read_to_string(&mut text).expect("read");
        text
    };
    let without = get(None);
    let with = get(Some(&token));
    child.kill().expect("stop the server");
    child.wait().expect("reaped");
    assert!(without.starts_with("HTTP/1.1 401"), "{without}");
    assert!(with.starts_with("HTTP/1.1 200"), "{with}");
}

/// `lookout demo --serve`: the demo, an admin token, then the API over the demo store.
#[test]
fn demo_serve_prints_a_token_and_serves() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("demo.db").display().to_string();
    let bin = assert_cmd::cargo::cargo_bin("lookout");
    let mut child = StdCommand::new(bin)
        .args(["--db", &db, "demo", "--serve", "--bind", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let mut reader = BufReader::new(child.stdout.take().expect("stdout"));
    let (mut token, mut addr) = (None, None);
    let mut line = String::new();
    while addr.is_none() {
        line.clear();
        if reader.read_line(&mut line).expect("read") == 0 {
            break;
        }
        if let Some(t) = line.strip_prefix("admin token (shown once): ") {
            token = Some(t.trim().to_string());
        }
        if let Some(rest) = line.split("lookout serve: http://").nth(1) {
            addr = rest.split('/').next().map(str::to_string);
        }
    }
    let (token, addr) = (token.expect("a token line"), addr.expect("a URL line"));
    let mut conn = std::net::TcpStream::connect(&addr).expect("connect");
    write!(conn, "POST /api/v1/models/dark_suspicion/rollback HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{{}}").expect("write");
    let mut text = String::new();
    conn.read_to_string(&mut text).expect("read");
    let mut conn = std::net::TcpStream::connect(&addr).expect("connect");
    write!(
        conn,
        "GET /api/v1/events?limit=1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    )
    .expect("write");
    let mut events = String::new();
    conn.read_to_string(&mut events).expect("read");
    child.kill().expect("stop the server");
    child.wait().expect("reaped");
    // An admin route passes auth (the empty body is then refused for its missing actor).
    assert!(text.starts_with("HTTP/1.1 422"), "{text}");
    assert!(events.starts_with("HTTP/1.1 200") && events.contains("\"items\":[{"), "{events}");
}

/// A cycle run by a separate `lookout analyze` process against the server's store reaches
/// `/api/v1/stream` subscribers: the engine records it in the stream log, the server
/// tails the log.
#[test]
fn a_cycle_from_another_process_reaches_stream_subscribers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("s.db").display().to_string();
    let data =
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/ais/dma_collision_2021-12-13_219021240_232018267.csv.gz");
    lookout(&db).args(["ingest", data]).assert().success();
    let out = lookout(&db).args(["tokens", "create", "--role", "viewer", "--name", "v"]).output().expect("runs");
    let token = String::from_utf8(out.stdout).expect("utf8").trim().to_string();
    let bin = assert_cmd::cargo::cargo_bin("lookout");
    let mut child = StdCommand::new(&bin)
        .args(["--db", &db, "serve", "--bind", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("first line");
    let addr = line.split("http://").nth(1).and_then(|r| r.split('/').next()).expect("address").to_string();
    let mut conn = std::net::TcpStream::connect(&addr).expect("connect");
    // A guard against a hung test, not a measurement.
    conn.set_read_timeout(Some(std::time::Duration::from_secs(60))).expect("timeout");
    write!(conn, "GET /api/v1/stream HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\r\n").expect("write");
    let mut reader = BufReader::new(conn);
    let mut head = String::new();
    reader.read_line(&mut head).expect("status line");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    // Subscribed: now a cycle in another process.
    let analyzed = lookout(&db).args(["analyze", "--window", "2d"]).output().expect("analyze runs");
    assert!(analyzed.status.success(), "{}", String::from_utf8_lossy(&analyzed.stderr));
    let mut kinds = Vec::new();
    let mut cycle = None;
    while cycle.is_none() {
        line.clear();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        if let Some(kind) = line.strip_prefix("event: ") {
            kinds.push(kind.trim().to_string());
        }
        if let Some(data) = line.strip_prefix("data: ") {
            let v: serde_json::Value = serde_json::from_str(data.trim()).expect("json data");
            if v["kind"] == "cycle" {
                cycle = Some(v);
            }
        }
    }
    child.kill().expect("stop the server");
    child.wait().expect("reaped");
    let cycle = cycle.unwrap_or_else(|| panic!("no cycle entry; saw {kinds:?}"));
    assert!(cycle["payload"]["positions"].as_u64().is_some_and(|n| n > 0), "{cycle}");
    assert!(cycle["payload"]["key"]["window_end"].is_string(), "{cycle}");
    assert!(cycle["seq"].as_i64().is_some_and(|n| n > 0), "{cycle}");
}
