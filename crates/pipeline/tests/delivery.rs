//! Delivery against real receivers: an HTTP server written here on a std
//! `TcpListener`, and the real NATS server at 127.0.0.1:4222 (`.ci/run` starts it).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc;
use std::thread;
use std::time::Duration as StdDuration;

use chrono::Duration;
use lookout_model::Timestamp;
use lookout_pipeline::delivery::{
    backoff, deliver_due, read_http_body, LogSink, NatsSink, OutboxItem, Sink, WebhookSink,
};

fn t0() -> Timestamp {
    "2024-05-01T00:00:00Z".parse().expect("time")
}

/// A port with nothing listening on it (bound, then released).
fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

fn items(sink: &str, n: usize) -> Vec<OutboxItem> {
    (0..n).map(|i| OutboxItem::new(i as i64 + 1, &format!("n{i}"), sink, format!("{{\"n\":{i}}}"), t0())).collect()
}

#[test]
fn backoff_doubles_from_5_seconds_to_10_minutes() {
    let got: Vec<i64> = (1..=10).map(|a| backoff(a).num_seconds()).collect();
    assert_eq!(got, [5, 10, 20, 40, 80, 160, 320, 600, 600, 600]);
}

#[test]
fn webhook_down_then_rejecting_then_up_receives_everything_once_in_order() {
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}/hook");
    let mut sinks: Vec<Box<dyn Sink>> = vec![Box::new(WebhookSink::new(&url, StdDuration::from_secs(5)).expect("url"))];
    let mut rows = items("webhook", 3);

    // Down: connection refused. Only the first row is tried; the rest wait behind it.
    let r = deliver_due(&mut rows, &mut sinks, t0());
    assert_eq!((r.delivered, r.failed, r.waiting), (0, 1, 2));
    assert_eq!(rows[0].attempts, 1);
    assert_eq!(rows[0].next_attempt_at, t0() + Duration::seconds(5));
    assert!(rows[0].last_error.as_deref().unwrap_or("").starts_with("webhook: 127.0.0.1:"), "{:?}", rows[0].last_error);
    // Not due yet: nothing is tried.
    let r = deliver_due(&mut rows, &mut sinks, t0() + Duration::seconds(4));
    assert_eq!((r.delivered, r.failed, r.waiting), (0, 0, 3));

    // Up, but the first request gets 503, then 200s.
    let listener = TcpListener::bind(("127.0.0.1", port)).expect("rebind the port");
    let (tx, rx) = mpsc::channel();
    let server = thread::spawn(move || {
        for (i, conn) in listener.incoming().take(4).enumerate() {
            let mut s = conn.expect("accept");
            let body = read_http_body(&mut s).expect("request");
            let status = if i == 0 { "503 Service Unavailable" } else { "200 OK" };
            s.write_all(format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\n\r\n").as_bytes()).expect("reply");
            tx.send((status.starts_with("200"), body)).expect("send");
        }
    });
    let r = deliver_due(&mut rows, &mut sinks, t0() + Duration::seconds(5));
    assert_eq!((r.delivered, r.failed, r.waiting), (0, 1, 2));
    assert_eq!(rows[0].attempts, 2);
    assert_eq!(rows[0].last_error.as_deref(), Some("webhook: rejected: HTTP/1.1 503 Service Unavailable"));
    assert_eq!(rows[0].next_attempt_at, t0() + Duration::seconds(15));

    let r = deliver_due(&mut rows, &mut sinks, t0() + Duration::seconds(15));
    assert_eq!((r.delivered, r.failed, r.waiting), (3, 0, 0));
    assert!(rows.iter().all(|i| i.delivered_at == Some(t0() + Duration::seconds(15)) && i.last_error.is_none()));
    // Delivered rows are never sent again.
    let r = deliver_due(&mut rows, &mut sinks, t0() + Duration::seconds(100));
    assert_eq!((r.delivered, r.failed, r.waiting), (0, 0, 0));
    server.join().expect("server");
    let got: Vec<(bool, String)> = rx.try_iter().collect();
    let accepted: Vec<&str> = got.iter().filter(|(ok, _)| *ok).map(|(_, b)| b.as_str()).collect();
    assert_eq!(accepted, ["{\"n\":0}", "{\"n\":1}", "{\"n\":2}"]);
    assert_eq!(got.len(), 4, "one rejected attempt plus three accepted");
}

#[test]
fn a_failing_sink_does_not_hold_up_another() {
    let port = free_port();
    let mut sinks: Vec<Box<dyn Sink>> = vec![
        Box::new(WebhookSink::new(&format!("http://127.0.0.1:{port}/"), StdDuration::from_secs(2)).expect("url")),
        Box::new(LogSink),
    ];
    let mut rows = items("webhook", 2);
    rows.extend((0..2).map(|i| OutboxItem::new(10 + i, &format!("n{i}"), "log", "{}".into(), t0())));
    rows.push(OutboxItem::new(20, "n9", "pager", "{}".into(), t0()));
    let r = deliver_due(&mut rows, &mut sinks, t0());
    assert_eq!((r.delivered, r.failed, r.waiting), (2, 1, 2));
}

#[test]
fn webhook_urls_are_checked() {
    assert!(WebhookSink::new("https://example.org/x", StdDuration::from_secs(1)).is_err());
    assert!(WebhookSink::new("http:///x", StdDuration::from_secs(1)).is_err());
    assert!(WebhookSink::new("http://127.0.0.1:9/alerts", StdDuration::from_secs(1)).is_ok());
    assert!(NatsSink::new("127.0.0.1:4222", "has space", StdDuration::from_secs(1)).is_err());
}

/// A TCP forwarder on `port` to the real NATS server, started when the test says the
/// sink is "back". One client connection is enough: the sink keeps its connection.
fn forward(listener: TcpListener, to: &str) -> thread::JoinHandle<()> {
    let to = to.to_string();
    thread::spawn(move || {
        if let Some(Ok(client)) = listener.incoming().next() {
            let server = TcpStream::connect(&to).expect("nats server at 127.0.0.1:4222 (started by .ci/run)");
            let (mut c1, mut s1) = (client.try_clone().expect("clone"), server.try_clone().expect("clone"));
            let (mut c2, mut s2) = (client, server);
            let up = thread::spawn(move || {
                let _ = std::io::copy(&mut c1, &mut s1);
                let _ = s1.shutdown(std::net::Shutdown::Write);
            });
            let _ = std::io::copy(&mut s2, &mut c2);
            let _ = c2.shutdown(std::net::Shutdown::Write);
            let _ = up.join();
        }
    })
}

/// A raw-protocol subscriber on the real server; returns the payloads it gets.
fn subscribe(subject: &str, want: usize) -> (thread::JoinHandle<Vec<String>>, mpsc::Receiver<()>) {
    let (ready_tx, ready_rx) = mpsc::channel();
    let subject = subject.to_string();
    let h = thread::spawn(move || {
        let s = TcpStream::connect("127.0.0.1:4222").expect("nats server at 127.0.0.1:4222 (started by .ci/run)");
        s.set_read_timeout(Some(StdDuration::from_secs(20))).expect("timeout");
        let mut w = s.try_clone().expect("clone");
        let mut r = BufReader::new(s);
        let mut line = String::new();
        r.read_line(&mut line).expect("INFO");
        w.write_all(format!("CONNECT {{\"verbose\":false}}\r\nSUB {subject} 1\r\nPING\r\n").as_bytes()).expect("sub");
        let mut got = Vec::new();
        loop {
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
                if got.len() == want {
                    break;
                }
            }
        }
        got
    });
    (h, ready_rx)
}

#[test]
fn nats_down_then_back_receives_everything_once_in_order() {
    let subject = format!("lookout.test.alerts.{}", std::process::id());
    let (sub, ready) = subscribe(&subject, 3);
    ready.recv_timeout(StdDuration::from_secs(10)).expect("subscribed on the real NATS server");

    let port = free_port();
    let mut sinks: Vec<Box<dyn Sink>> =
        vec![Box::new(NatsSink::new(&format!("127.0.0.1:{port}"), &subject, StdDuration::from_secs(5)).expect("sink"))];
    let mut rows = items("nats", 3);
    let r = deliver_due(&mut rows, &mut sinks, t0());
    assert_eq!((r.delivered, r.failed, r.waiting), (0, 1, 2));
    assert!(rows[0].last_error.as_deref().unwrap_or("").starts_with("nats: "));

    let proxy = forward(TcpListener::bind(("127.0.0.1", port)).expect("rebind"), "127.0.0.1:4222");
    let r = deliver_due(&mut rows, &mut sinks, t0() + Duration::seconds(5));
    assert_eq!((r.delivered, r.failed, r.waiting), (3, 0, 0));
    assert_eq!(rows.iter().map(|i| i.attempts).collect::<Vec<_>>(), [2, 1, 1]);
    let got = sub.join().expect("subscriber");
    assert_eq!(got, ["{\"n\":0}", "{\"n\":1}", "{\"n\":2}"]);
    drop(sinks);
    proxy.join().expect("proxy");
}
