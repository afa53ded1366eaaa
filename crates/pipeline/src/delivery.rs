//! Delivery of notifications from the outbox to sinks: a webhook (HTTP POST of JSON),
//! a NATS subject, the log.
//!
//! This is the one module of the crate that does IO. The outbox itself lives in the
//! store; here is what to do with its rows: [`deliver_due`] sends every row whose time
//! has come, in order, and on failure schedules the next attempt with exponential
//! backoff ([`backoff`]), so a sink that is down loses nothing and receives everything,
//! once, when it is back. A sink that fails is not tried again in the same round: later
//! rows wait behind the first one, which keeps each sink's order.
//!
//! Both network clients are small and blocking on purpose (std `TcpStream`, no TLS, no
//! async runtime): a webhook behind TLS goes through a local proxy. The NATS client
//! speaks the text protocol (`CONNECT`, `PUB`, then `PING` and waits for `PONG`, which
//! the server sends only after processing the `PUB`), so "sent" means the server has it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration as StdDuration;

use chrono::Duration;
use lookout_model::Timestamp;
use serde::{Deserialize, Serialize};

/// A failed send, with enough words for the outbox's `last_error`.
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    #[error("{sink}: {message}")]
    Io { sink: String, message: String },
    #[error("{sink}: rejected: {message}")]
    Rejected { sink: String, message: String },
    #[error("{0}: bad address")]
    Address(String),
}

/// Somewhere notifications go.
pub trait Sink {
    /// The name rows are addressed to (`webhook`, `nats`, `log`).
    fn name(&self) -> &str;
    /// Sends one body; `Ok` means the receiver has it.
    fn send(&mut self, body: &str) -> Result<(), SinkError>;
}

/// First retry after 5 s, doubling up to 10 min.
pub fn backoff(attempts: u32) -> Duration {
    let exp = attempts.saturating_sub(1).min(16);
    Duration::seconds((5i64 << exp).min(600))
}

/// One row of the outbox.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OutboxItem {
    /// Order of enqueueing; rows of one sink are delivered in this order.
    pub seq: i64,
    /// The notification id (with `sink`, unique).
    pub notification_id: String,
    pub sink: String,
    pub body: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    pub attempts: u32,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub next_attempt_at: Timestamp,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub delivered_at: Option<Timestamp>,
    pub last_error: Option<String>,
}

impl OutboxItem {
    /// A new row, due at once.
    pub fn new(seq: i64, notification_id: &str, sink: &str, body: String, now: Timestamp) -> OutboxItem {
        OutboxItem {
            seq,
            notification_id: notification_id.into(),
            sink: sink.into(),
            body,
            created_at: now,
            attempts: 0,
            next_attempt_at: now,
            delivered_at: None,
            last_error: None,
        }
    }
}

/// What one round did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryReport {
    pub delivered: u32,
    pub failed: u32,
    /// Rows not tried: not yet due, behind an earlier row of their sink that failed or
    /// is backing off, or with no sink of their name configured.
    pub waiting: u32,
}

/// Sends every due, undelivered row in `seq` order and updates it in place (the caller
/// writes the rows back in one transaction).
pub fn deliver_due(items: &mut [OutboxItem], sinks: &mut [Box<dyn Sink>], now: Timestamp) -> DeliveryReport {
    items.sort_by_key(|i| i.seq);
    let mut report = DeliveryReport::default();
    let mut down: Vec<String> = Vec::new();
    for item in items.iter_mut().filter(|i| i.delivered_at.is_none()) {
        let sink = sinks.iter_mut().find(|s| s.name() == item.sink);
        let Some(sink) = sink else {
            report.waiting += 1;
            continue;
        };
        if down.contains(&item.sink) {
            report.waiting += 1;
            continue;
        }
        if item.next_attempt_at > now {
            // The sink's oldest row is backing off: the ones behind it wait too, so a
            // sink always receives rows in enqueue order.
            down.push(item.sink.clone());
            report.waiting += 1;
            continue;
        }
        item.attempts = item.attempts.saturating_add(1);
        match sink.send(&item.body) {
            Ok(()) => {
                item.delivered_at = Some(now);
                item.last_error = None;
                report.delivered += 1;
            }
            Err(e) => {
                tracing::warn!(sink = %item.sink, attempt = item.attempts, "delivery failed: {e}");
                item.last_error = Some(e.to_string());
                item.next_attempt_at = now + backoff(item.attempts);
                down.push(item.sink.clone());
                report.failed += 1;
            }
        }
    }
    report
}

fn io_err(sink: &str, e: impl std::fmt::Display) -> SinkError {
    SinkError::Io { sink: sink.to_string(), message: e.to_string() }
}

fn connect(sink: &str, addr: &str, timeout: StdDuration) -> Result<TcpStream, SinkError> {
    let sa = addr
        .to_socket_addrs()
        .map_err(|e| io_err(sink, format!("{addr}: {e}")))?
        .next()
        .ok_or_else(|| SinkError::Address(addr.to_string()))?;
    let s = TcpStream::connect_timeout(&sa, timeout).map_err(|e| io_err(sink, format!("{addr}: {e}")))?;
    s.set_read_timeout(Some(timeout)).map_err(|e| io_err(sink, e))?;
    s.set_write_timeout(Some(timeout)).map_err(|e| io_err(sink, e))?;
    Ok(s)
}

/// HTTP POST of the JSON body to `http://host[:port]/path`; any 2xx is success.
#[derive(Clone, Debug)]
pub struct WebhookSink {
    host: String,
    addr: String,
    path: String,
    timeout: StdDuration,
}

impl WebhookSink {
    /// Parses an `http://` URL.
    pub fn new(url: &str, timeout: StdDuration) -> Result<WebhookSink, SinkError> {
        let rest = url
            .strip_prefix("http://")
            .ok_or_else(|| SinkError::Address(format!("{url} (only http:// is supported)")))?;
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        if authority.is_empty() {
            return Err(SinkError::Address(url.to_string()));
        }
        let addr = if authority.contains(':') { authority.to_string() } else { format!("{authority}:80") };
        Ok(WebhookSink { host: authority.to_string(), addr, path: path.to_string(), timeout })
    }
}

impl Sink for WebhookSink {
    fn name(&self) -> &str {
        "webhook"
    }

    fn send(&mut self, body: &str) -> Result<(), SinkError> {
        let mut s = connect("webhook", &self.addr, self.timeout)?;
        let req = format!(
            "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\nUser-Agent: lookout\r\n\r\n{}",
            self.path,
            self.host,
            body.len(),
            body
        );
        s.write_all(req.as_bytes()).map_err(|e| io_err("webhook", e))?;
        s.flush().map_err(|e| io_err("webhook", e))?;
        let mut line = String::new();
        BufReader::new(&mut s).read_line(&mut line).map_err(|e| io_err("webhook", e))?;
        // "HTTP/1.1 204 No Content"
        let code = line.split_whitespace().nth(1).and_then(|c| c.parse::<u16>().ok());
        match code {
            Some(c) if (200..300).contains(&c) => Ok(()),
            Some(_) => Err(SinkError::Rejected { sink: "webhook".into(), message: line.trim().to_string() }),
            None => Err(io_err("webhook", format!("no HTTP status line in reply '{}'", line.trim()))),
        }
    }
}

/// Publishes each body on a NATS subject.
#[derive(Debug)]
pub struct NatsSink {
    addr: String,
    subject: String,
    timeout: StdDuration,
    conn: Option<BufReader<TcpStream>>,
}

impl NatsSink {
    /// `addr` is `host:port` (e.g. `127.0.0.1:4222`).
    pub fn new(addr: &str, subject: &str, timeout: StdDuration) -> Result<NatsSink, SinkError> {
        if subject.is_empty() || subject.contains(char::is_whitespace) {
            return Err(SinkError::Address(format!("nats subject '{subject}'")));
        }
        Ok(NatsSink { addr: addr.into(), subject: subject.into(), timeout, conn: None })
    }

    fn read_line(conn: &mut BufReader<TcpStream>) -> Result<String, SinkError> {
        let mut line = String::new();
        let n = conn.read_line(&mut line).map_err(|e| io_err("nats", e))?;
        if n == 0 {
            return Err(io_err("nats", "connection closed by server"));
        }
        Ok(line.trim_end().to_string())
    }

    fn open(&self) -> Result<BufReader<TcpStream>, SinkError> {
        let s = connect("nats", &self.addr, self.timeout)?;
        let mut r = BufReader::new(s);
        let info = Self::read_line(&mut r)?;
        if !info.starts_with("INFO ") {
            return Err(io_err("nats", format!("expected INFO, got '{info}'")));
        }
        r.get_mut()
            .write_all(b"CONNECT {\"verbose\":false,\"pedantic\":false,\"name\":\"lookout\",\"lang\":\"rust\",\"version\":\"0\",\"protocol\":0}\r\n")
            .map_err(|e| io_err("nats", e))?;
        Ok(r)
    }

    fn publish(&mut self, body: &str) -> Result<(), SinkError> {
        if self.conn.is_none() {
            self.conn = Some(self.open()?);
        }
        let conn = self.conn.as_mut().ok_or_else(|| io_err("nats", "not connected"))?;
        let msg = format!("PUB {} {}\r\n{}\r\nPING\r\n", self.subject, body.len(), body);
        conn.get_mut().write_all(msg.as_bytes()).map_err(|e| io_err("nats", e))?;
        loop {
            let line = Self::read_line(conn)?;
            if line == "PONG" {
                return Ok(());
            }
            if line == "PING" {
                conn.get_mut().write_all(b"PONG\r\n").map_err(|e| io_err("nats", e))?;
                continue;
            }
            if let Some(err) = line.strip_prefix("-ERR") {
                return Err(SinkError::Rejected { sink: "nats".into(), message: err.trim().to_string() });
            }
            // +OK, INFO updates: keep reading until our PONG.
        }
    }
}

impl Sink for NatsSink {
    fn name(&self) -> &str {
        "nats"
    }

    fn send(&mut self, body: &str) -> Result<(), SinkError> {
        let r = self.publish(body);
        if r.is_err() {
            // Reconnect on the next attempt rather than reuse a broken connection.
            self.conn = None;
        }
        r
    }
}

/// Writes each body to the log (`tracing` at INFO); never fails.
#[derive(Clone, Copy, Debug, Default)]
pub struct LogSink;

impl Sink for LogSink {
    fn name(&self) -> &str {
        "log"
    }

    fn send(&mut self, body: &str) -> Result<(), SinkError> {
        tracing::info!(target: "lookout::alerts", "{body}");
        Ok(())
    }
}

/// Reads an HTTP/1.1 request from a stream: headers, then `Content-Length` bytes of
/// body. Used by tests' and tools' small receivers; returns the body.
pub fn read_http_body(stream: &mut impl Read) -> std::io::Result<String> {
    let mut r = BufReader::new(stream);
    let mut len = 0usize;
    loop {
        let mut line = String::new();
        if r.read_line(&mut line)? == 0 {
            break;
        }
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                len = v.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut body = vec![0u8; len];
    r.read_exact(&mut body)?;
    Ok(String::from_utf8_lossy(&body).into_owned())
}
