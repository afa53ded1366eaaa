//! The output pipeline through the binary, on the real Kitimat AIS slice: lifecycle
//! commands, silences holding alerts, KPIs and statistics after a cycle, and delivery
//! end to end to a real HTTP server (refusing, then accepting) and the real NATS server
//! at 127.0.0.1:4222, on SQLite and PostgreSQL.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use assert_cmd::Command;
use lookout_pipeline::delivery::read_http_body;
use lookout_store::testing::{pg_test_url, TestSchema};
use serde_json::Value;

const KITIMAT: &str = "shipstrike_kitimat_2019-07-01_14.csv.gz";
const AT: &str = "2019-07-08T00:00:00Z";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn demo_file(name: &str) -> String {
    repo().join("data/demo").join(name).display().to_string()
}

fn lookout(args: &[&str]) -> Output {
    Command::cargo_bin("lookout").expect("binary").args(args).output().expect("run lookout")
}

/// Runs and expects success; returns stdout.
fn ok(args: &[&str]) -> String {
    let o = lookout(args);
    assert!(o.status.success(), "lookout {args:?} failed: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn json(args: &[&str]) -> Value {
    serde_json::from_str(&ok(args)).expect("JSON output")
}

/// Ingests the Kitimat slice and analyses the day ending at `AT` with the demo's params.
fn cycle(db: &str, extra: &[&str]) -> String {
    ok(&["ingest", "--db", db, &demo_file(KITIMAT)]);
    let params = demo_file("params.json");
    let mut args = vec!["analyze", "--db", db, "--at", AT, "--now", AT, "--params", &params];
    args.extend_from_slice(extra);
    ok(&args)
}

/// What the stored events imply for alerts and KPIs, worked out from `events list`, so
/// the checks follow the detectors when their findings change.
struct Expected {
    events: usize,
    /// HIGH and CRITICAL events: one alert each.
    alerts: usize,
    /// Distinct (category, area) of the alerts: one group each.
    groups: usize,
    dark_alerts: usize,
    dark_groups: usize,
    dark_vessels: usize,
    critical: usize,
}

fn expected(db: &str) -> (Expected, Vec<Value>) {
    let listed = json(&["events", "list", "--db", db, "--json"]);
    let events = listed.as_array().expect("array").clone();
    let alerting: Vec<&Value> = events.iter().filter(|e| e["level"] == "HIGH" || e["level"] == "CRITICAL").collect();
    let group = |e: &&Value| format!("{}|{}", e["category"], e["area"]);
    let groups: std::collections::BTreeSet<String> = alerting.iter().map(group).collect();
    let dark: Vec<&&Value> = alerting.iter().filter(|e| e["category"] == "DARK_VESSEL").collect();
    let dark_groups: std::collections::BTreeSet<String> = dark.iter().map(|e| group(e)).collect();
    let dark_vessels: std::collections::BTreeSet<String> = events
        .iter()
        .filter(|e| e["category"] == "DARK_VESSEL")
        .flat_map(|e| e["vessels"].as_array().expect("vessels").iter().map(|v| v.to_string()))
        .collect();
    let x = Expected {
        events: events.len(),
        alerts: alerting.len(),
        groups: groups.len(),
        dark_alerts: dark.len(),
        dark_groups: dark_groups.len(),
        dark_vessels: dark_vessels.len(),
        critical: events.iter().filter(|e| e["level"] == "CRITICAL").count(),
    };
    (x, events)
}

#[test]
fn lifecycle_commands_kpis_and_stats_after_a_demo_data_cycle() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("p.db");
    let db = db.to_str().expect("utf8");
    let out = cycle(db, &[]);
    let (x, events) = expected(db);
    assert!(x.dark_vessels > 0 && x.alerts > 0, "the Kitimat day has dark vessels: {out}");
    assert!(out.contains(&format!(" findings: {} events created, 0 updated", x.events)), "{out}");
    assert!(
        out.contains(&format!(
            "  alerts: ok — {} alerts firing (0 silenced), {} groups, 0 notifications enqueued",
            x.alerts, x.groups
        )),
        "group_wait holds the first notification: {out}"
    );

    let k = json(&["kpis", "--db", db, "--json"]);
    // 14 vessels reported in the last 30 minutes of the day (positions only, no detector).
    assert_eq!(k["tracking_active"].as_u64(), Some(14));
    assert_eq!(k["dark_vessels_today"].as_u64(), Some(x.dark_vessels as u64));
    assert_eq!(k["alerts_today"].as_u64(), Some(x.alerts as u64));
    assert_eq!(k["critical_events_today"].as_u64(), Some(x.critical as u64));
    assert_eq!(k["today"]["label"], "2019-07-08");
    let text = ok(&["kpis", "--db", db]);
    assert!(text.contains(&format!("  dark_vessels_today     {}", x.dark_vessels)), "{text}");

    let dark: Vec<&Value> = events.iter().filter(|e| e["category"] == "DARK_VESSEL").collect();
    assert!(dark.iter().all(|e| e["labels"].as_array().is_some_and(|l| l.contains(&Value::from("DARK")))));
    let id = |i: usize| dark[i]["id"].as_str().expect("id").to_string();
    let (a, b) = (id(0), id(1));

    let at = "2019-07-08T02:00:00Z";
    ok(&["events", "ack", "--db", db, &a, "--actor", "kim", "--note", "looking", "--now", at]);
    ok(&["events", "confirm", "--db", db, &a, "--actor", "kim", "--now", at]);
    let enforced = ok(&[
        "events",
        "enforce",
        "--db",
        db,
        &a,
        "--actor",
        "lee",
        "--action",
        "boarding",
        "--note",
        "boarded at 53N",
        "--now",
        at,
    ]);
    assert!(enforced.contains(" ENFORCED "), "{enforced}");
    ok(&["events", "close", "--db", db, &a, "--actor", "lee", "--now", at]);
    let refused = lookout(&["events", "ack", "--db", db, &a, "--actor", "kim", "--now", at]);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains(&format!("event {a}: cannot ack an event that is CLOSED"))
    );
    let shown = ok(&["events", "show", "--db", db, &a]);
    assert!(shown.contains("2019-07-08T02:00:00Z  NEW -> ACK  by kim  looking"), "{shown}");
    assert!(shown.contains("ENFORCED -> CLOSED  by lee"), "{shown}");
    assert!(shown.contains("enforcement: boarding by lee at 2019-07-08T02:00:00Z  boarded at 53N"), "{shown}");
    ok(&["events", "ack", "--db", db, &b, "--actor", "kim", "--now", at]);
    ok(&["events", "false-positive", "--db", db, &b, "--actor", "kim", "--note", "fishing ground", "--now", at]);
    let closed = ok(&["events", "list", "--db", db, "--status", "closed"]);
    assert!(closed.ends_with("1 events\n") && closed.contains(&a), "{closed}");

    let daily = json(&["stats", "daily", "--db", db, "--json"]);
    let day = &daily.as_array().expect("rows")[0];
    assert_eq!(day["bucket"]["label"], "2019-07-08");
    let n = x.events as u64;
    assert_eq!(
        (day["events"].as_u64(), day["false_positives"].as_u64(), day["enforcements"].as_u64()),
        (Some(n), Some(1), Some(1))
    );
    let accuracy = ((1.0 - 1.0 / n as f64) * 100.0 * 100.0).round() / 100.0;
    assert_eq!(day["accuracy_pct"].as_f64(), Some(accuracy));
    let monthly = json(&["stats", "monthly", "--db", db, "--json"]);
    assert_eq!(monthly[0]["bucket"]["label"], "2019-07");
    assert_eq!(monthly[0]["events"].as_u64(), Some(n));
    assert_eq!(monthly[0]["detections"], day["detections"], "the month is the sum of its one day");
    let hourly = ok(&["stats", "hourly", "--db", db]);
    assert!(hourly.contains("2019-07-08T09:00+09:00  detections"), "{hourly}");

    // The next day over 48 h overlaps the first window: its episodes update, not duplicate.
    let params = demo_file("params.json");
    let next = ok(&[
        "analyze",
        "--db",
        db,
        "--at",
        "2019-07-09T00:00:00Z",
        "--now",
        "2019-07-09T00:00:00Z",
        "--window",
        "48h",
        "--params",
        &params,
    ]);
    let line = next.lines().find(|l| l.starts_with("  events: ok")).expect("events stage");
    let listed = json(&["events", "list", "--db", db, "--json"]);
    let seen_twice = listed.as_array().expect("array").iter().filter(|e| e["occurrences"] == 2).count();
    assert!(seen_twice > 0, "{line}");
    assert!(line.contains(&format!("{seen_twice} updated")), "{line}");
}

#[test]
fn a_silence_holds_alerts_until_it_expires() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("s.db");
    let db = db.to_str().expect("utf8");
    let added = ok(&[
        "silences",
        "add",
        "--db",
        db,
        "category=DARK_VESSEL",
        "--author",
        "kim",
        "--comment",
        "exercise area",
        "--starts",
        "2019-07-07T00:00:00Z",
        "--duration",
        "2d",
        "--now",
        "2019-07-07T00:00:00Z",
    ]);
    let silence_id = added.split_whitespace().next().expect("id").to_string();
    assert!(added.contains("active") && added.contains("category=\"DARK_VESSEL\""), "{added}");
    cycle(db, &[]);
    let (x, _) = expected(db);
    assert!(x.dark_alerts > 0);
    let tick = ok(&["alerts", "tick", "--db", db, "--now", "2019-07-08T00:00:30Z"]);
    let others = x.groups - x.dark_groups;
    assert!(
        tick.contains(&format!(
            "{} alerts firing ({} silenced), {} groups, {others} notifications enqueued",
            x.alerts, x.dark_alerts, x.groups
        )),
        "only the groups without silenced alerts notify: {tick}"
    );
    let alerts = ok(&["alerts", "list", "--db", db]);
    assert_eq!(alerts.matches(&format!("silenced by {silence_id}")).count(), x.dark_alerts, "{alerts}");
    let store = lookout_store::open(db).expect("open");
    for row in store.outbox(false).expect("outbox") {
        let v: Value = serde_json::from_str(&row.body).expect("JSON");
        assert_ne!(v["groupLabels"]["category"], "DARK_VESSEL", "a silenced alert is not notified");
    }
    drop(store);

    let expired = ok(&["silences", "expire", "--db", db, &silence_id, "--now", "2019-07-08T00:01:00Z"]);
    assert!(expired.contains("expired") && expired.contains(".. 2019-07-08T00:01:00Z"), "{expired}");
    // The groups are looked at again group_interval (5 min) after their last look.
    let early = ok(&["alerts", "tick", "--db", db, "--now", "2019-07-08T00:05:00Z"]);
    assert!(early.contains(" 0 notifications enqueued"), "{early}");
    let tick = ok(&["alerts", "tick", "--db", db, "--now", "2019-07-08T00:05:30Z"]);
    assert!(
        tick.contains(&format!(
            "{} alerts firing (0 silenced), {} groups, {} notifications enqueued",
            x.alerts, x.groups, x.dark_groups
        )),
        "{tick}"
    );
    assert!(tick.contains(&format!("delivery: {} delivered, 0 failed, 0 waiting", x.dark_groups)), "{tick}");
    let all = json(&["alerts", "list", "--db", db, "--json"]);
    for a in all.as_array().expect("alerts") {
        let held = if a["labels"]["category"] == "DARK_VESSEL" {
            serde_json::json!([silence_id])
        } else {
            serde_json::json!([])
        };
        assert_eq!(a["held_by"], held, "an alert records the silence that held it");
        assert_eq!(a["silenced_by"], serde_json::json!([]));
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

/// A raw-protocol subscriber on the real NATS server; sends () once subscribed.
fn subscribe(subject: &str, want: usize) -> (thread::JoinHandle<Vec<String>>, mpsc::Receiver<()>) {
    let (ready_tx, ready_rx) = mpsc::channel();
    let subject = subject.to_string();
    let h = thread::spawn(move || {
        let s = TcpStream::connect("127.0.0.1:4222").expect("nats server at 127.0.0.1:4222 (started by .ci/run)");
        s.set_read_timeout(Some(Duration::from_secs(60))).expect("timeout");
        let mut w = s.try_clone().expect("clone");
        let mut r = BufReader::new(s);
        let mut line = String::new();
        r.read_line(&mut line).expect("INFO");
        w.write_all(format!("CONNECT {{\"verbose\":false}}\r\nSUB {subject} 1\r\nPING\r\n").as_bytes()).expect("sub");
        let mut got = Vec::new();
        while got.len() < want {
            line.clear();
            if r.read_line(&mut line).expect("read") == 0 {
                break;
            }
            let l = line.trim_end();
            if l == "PONG" {
                let _ = ready_tx.send(());
            } else if l == "PING" {
                w.write_all(b"PONG\r\n").expect("pong");
            } else if let Some(rest) = l.strip_prefix("MSG ") {
                let len: usize = rest.rsplit(' ').next().and_then(|n| n.parse().ok()).expect("length");
                let mut buf = vec![0u8; len + 2];
                r.read_exact(&mut buf).expect("payload");
                got.push(String::from_utf8_lossy(&buf[..len]).into_owned());
            }
        }
        got
    });
    (h, ready_rx)
}

/// Notification ids of the outbox rows of one sink, in delivery order.
fn outbox_ids(db: &str, sink: &str) -> Vec<String> {
    ok(&["outbox", "list", "--db", db])
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.len() > 2 && f[1] == sink).then(|| f[2].to_string())
        })
        .collect()
}

fn end_to_end(db: &str, tag: &str) {
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}/alertmanager");
    let subject = format!("lookout.e2e.{}.{tag}", std::process::id());
    let sinks = ["--webhook", url.as_str(), "--nats-subject", subject.as_str()];

    let out = cycle(db, &sinks);
    let (x, _) = expected(db);
    let g = x.groups;
    assert!(g > 0 && out.contains(&format!("{} events created", x.events)), "{out}");
    assert!(
        out.contains("delivery: 0 delivered, 0 failed, 0 waiting"),
        "group_wait holds the first notification: {out}"
    );
    let (nats, ready) = subscribe(&subject, g);
    ready.recv_timeout(Duration::from_secs(20)).expect("subscribed");

    // group_wait later every group notifies; the webhook is down (connection refused).
    let mut args = vec!["alerts", "tick", "--db", db, "--now", "2019-07-08T00:00:30Z"];
    args.extend_from_slice(&sinks);
    let tick = ok(&args);
    assert!(tick.contains(&format!("{g} notifications enqueued for 3 sinks")), "{tick}");
    assert!(
        tick.contains(&format!("delivery: {} delivered, 1 failed, {} waiting", 2 * g, g - 1)),
        "the log and NATS get all of them, the webhook's wait: {tick}"
    );
    let pending = ok(&["outbox", "list", "--db", db, "--pending"]);
    assert!(
        pending.contains("attempts 1  pending, next attempt 2019-07-08T00:00:35Z  last error: webhook: 127.0.0.1:"),
        "{pending}"
    );
    assert!(pending.ends_with(&format!("{g} rows\n")), "{pending}");

    // The webhook comes up: everything it missed arrives, once, in order.
    let listener = TcpListener::bind(("127.0.0.1", port)).expect("rebind the webhook port");
    let server = thread::spawn(move || {
        let mut bodies = Vec::new();
        for conn in listener.incoming().take(g) {
            let mut s = conn.expect("accept");
            bodies.push(read_http_body(&mut s).expect("request"));
            s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").expect("reply");
        }
        bodies
    });
    let mut args = vec!["outbox", "deliver", "--db", db, "--now", "2019-07-08T00:00:35Z"];
    args.extend_from_slice(&sinks);
    let delivered = ok(&args);
    assert!(delivered.contains(&format!("delivery: {g} delivered, 0 failed, 0 waiting")), "{delivered}");
    let again = ok(&args);
    assert!(again.contains("delivery: 0 delivered, 0 failed, 0 waiting"), "nothing twice: {again}");

    let web = server.join().expect("server");
    let got = nats.join().expect("subscriber");
    assert_eq!(web, got, "both sinks receive the same notifications in the same order");
    let ids: Vec<String> = web
        .iter()
        .map(|b| {
            serde_json::from_str::<Value>(b).expect("JSON body")["notificationId"].as_str().expect("id").to_string()
        })
        .collect();
    assert_eq!(ids, outbox_ids(db, "webhook"));
    assert_eq!(ids, outbox_ids(db, "nats"));
    let mut alerts = 0;
    for b in &web {
        let v: Value = serde_json::from_str(b).expect("JSON");
        assert_eq!((v["version"].as_str(), v["status"].as_str()), (Some("4"), Some("firing")));
        alerts += v["alerts"].as_array().expect("alerts").len();
    }
    assert_eq!(alerts, x.alerts, "every alert of the cycle is notified exactly once");
    let k = json(&["kpis", "--db", db, "--json"]);
    assert_eq!(
        (k["dark_vessels_today"].as_u64(), k["alerts_today"].as_u64()),
        (Some(x.dark_vessels as u64), Some(x.alerts as u64))
    );
    let daily = json(&["stats", "daily", "--db", db, "--json"]);
    assert_eq!(daily[0]["events"].as_u64(), Some(x.events as u64));
}

#[test]
fn a_demo_cycle_is_delivered_to_a_webhook_that_was_down_and_to_nats_on_sqlite_and_postgres() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("e.db");
    end_to_end(db.to_str().expect("utf8"), "sqlite");
    if let Some(url) = pg_test_url() {
        let schema = TestSchema::create(&url, "clipipe").expect("schema");
        end_to_end(&schema.url(), "postgres");
    }
}

/// `analyze` over a window it analysed before reuses that run (only changed vessels are
/// re-analysed) and says so; `--full` re-analyses everything; both give the same findings.
#[test]
fn analyze_again_is_incremental_and_full_on_request() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("incr.db").display().to_string();
    let first = cycle(&db, &[]);
    assert!(first.contains("cycle: full (no previous run of this window kept its state)"), "{first}");
    let params = demo_file("params.json");
    let base = ["analyze", "--db", db.as_str(), "--at", AT, "--now", AT, "--params", params.as_str()];
    let again = ok(&base);
    assert!(again.contains("cycle: incremental, "), "{again}");
    let incr = json(&[&base[..], &["--format", "json"]].concat());
    let full = json(&[&base[..], &["--format", "json", "--full"]].concat());
    let findings = incr["findings"].as_array().expect("findings");
    assert!(!findings.is_empty());
    assert_eq!(incr["findings"], full["findings"]);
    let forced = ok(&[&base[..], &["--full"]].concat());
    assert!(forced.contains("cycle: full (full run requested)"), "{forced}");
}
