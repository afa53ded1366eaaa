//! Paged, filtered reads for the HTTP API, written once for both backends like
//! `tables.rs`: every filter and the page boundary are in the SQL (keyset paging on a
//! unique order, so a page costs its own rows and never an OFFSET), never in memory.

use lookout_model::{Finding, NavStatus, Position, Severity, Timestamp, VesselId};
use lookout_pipeline::delivery::OutboxItem;
use lookout_pipeline::{Alert, AlertStatus, Category, Event, EventStatus, HistoryEntry, Silence};

use crate::sql::{json_error, vals, Backend, Conn, Row, Val};
use crate::{Result, Store};

/// A box in degrees, edges included. `min_lon > max_lon` is not a box (the caller
/// splits one across the antimeridian into two requests).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BBox {
    pub min_lon: f64,
    pub min_lat: f64,
    pub max_lon: f64,
    pub max_lat: f64,
}

/// Which events, after which id, how many. An event is in `bbox` when one of its
/// vessels reported a position inside it during the event's episode.
#[derive(Clone, Debug, Default)]
pub struct EventQuery<'a> {
    pub status: Option<EventStatus>,
    pub category: Option<Category>,
    pub level: Option<Severity>,
    pub vessel: Option<&'a str>,
    /// `occurred_at` in `[from, to)`.
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
    pub bbox: Option<BBox>,
    /// Only events still open (neither closed nor withdrawn).
    pub open_only: bool,
    /// The last id of the previous page.
    pub after: Option<&'a str>,
    pub limit: usize,
}

/// Where a stored finding is: its cycle window and its place in it (unique, ordered).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FindingKey {
    pub window_start: Timestamp,
    pub window_end: Timestamp,
    pub seq: i64,
}

/// A finding with its key.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredFinding {
    pub key: FindingKey,
    pub finding: Finding,
}

/// Which findings, after which key, how many. Time: the episode overlaps `[from, to)`.
/// A finding is in `bbox` when its vessel reported a position inside it during the episode.
#[derive(Clone, Debug, Default)]
pub struct FindingQuery<'a> {
    pub detector: Option<&'a str>,
    /// The detector's own level (`VIOLATION`, `CRITICAL`, ...).
    pub level: Option<&'a str>,
    pub severity: Option<Severity>,
    pub vessel: Option<&'a str>,
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
    pub bbox: Option<BBox>,
    pub after: Option<FindingKey>,
    pub limit: usize,
    /// Newest cycle first (a vessel's recent findings) instead of oldest first.
    pub newest_first: bool,
}

/// A stored finding's span, level and score, without its breakdown and evidence: what a
/// map needs of the gaps along a track.
#[derive(Clone, Debug, PartialEq)]
pub struct FindingSpan {
    pub key: FindingKey,
    pub start: Timestamp,
    pub end: Timestamp,
    pub level: String,
    pub score: Option<i64>,
}

/// The API's reads. Every store has them ([`Store::queries`]).
pub trait Queries {
    /// Events in id order (bytewise) after `q.after`.
    fn events_page(&self, q: &EventQuery<'_>) -> Result<Vec<Event>>;
    /// Alerts in fingerprint order after `after`; only firing ones unless `all`.
    fn alerts_page(&self, all: bool, after: Option<&str>, limit: usize) -> Result<Vec<Alert>>;
    /// Outbox rows in `seq` order after `after`; only undelivered ones with `pending_only`.
    fn outbox_page(&self, pending_only: bool, after: Option<i64>, limit: usize) -> Result<Vec<OutboxItem>>;
    /// Silences in id order (bytewise) after `after`.
    fn silences_page(&self, after: Option<&str>, limit: usize) -> Result<Vec<Silence>>;
    /// Findings in key order after `q.after`.
    fn findings_page(&self, q: &FindingQuery<'_>) -> Result<Vec<StoredFinding>>;
    /// The spans of `vessel`'s findings by `detector` whose episode overlaps `[from, to]`,
    /// in key order (oldest cycle first). Reads no JSON column.
    fn finding_spans(
        &self,
        detector: &str,
        vessel: &VesselId,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<FindingSpan>>;
    /// A vessel's positions in `[from, to]`, oldest first.
    fn track(&self, vessel: &VesselId, from: Timestamp, to: Timestamp) -> Result<Vec<Position>>;
}

fn limit_val(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

/// A `WHERE` clause built from the filters that are present, written once for both
/// backends: each filter adds its condition with its own `$N` placeholders, so an absent
/// filter costs nothing and never hides an index behind `(CAST($N AS T) IS NULL OR ...)`.
struct Filters<'a> {
    conds: Vec<String>,
    args: Vec<Val<'a>>,
}

impl<'a> Filters<'a> {
    fn new() -> Self {
        Filters { conds: Vec::new(), args: Vec::new() }
    }

    /// Binds `v` and returns its placeholder.
    fn arg(&mut self, v: impl Into<Val<'a>>) -> String {
        self.args.push(v.into());
        format!("${}", self.args.len())
    }

    /// `column op $N` when `v` is present.
    fn cmp<T: Into<Val<'a>>>(&mut self, column: &str, op: &str, v: Option<T>) {
        if let Some(v) = v {
            let mark = self.arg(v);
            self.conds.push(format!("{column} {op} {mark}"));
        }
    }

    fn push(&mut self, cond: String) {
        self.conds.push(cond);
    }

    /// `WHERE a AND b ...`, or nothing when no filter is present.
    fn clause(&self) -> String {
        if self.conds.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", self.conds.join(" AND "))
        }
    }
}

/// `EXISTS` a position of the vessel `vessel` (a column) in `[start, end]` (columns)
/// inside the box.
fn in_box(f: &mut Filters<'_>, b: BBox, vessel: &str, start: &str, end: &str) -> String {
    let (min_lat, max_lat) = (f.arg(b.min_lat), f.arg(b.max_lat));
    let (min_lon, max_lon) = (f.arg(b.min_lon), f.arg(b.max_lon));
    format!(
        "EXISTS (SELECT 1 FROM positions p WHERE p.vessel_id = {vessel} AND p.ts_ms >= {start} AND p.ts_ms <= {end}
                 AND p.lat >= {min_lat} AND p.lat <= {max_lat} AND p.lon >= {min_lon} AND p.lon <= {max_lon})"
    )
}

const FINDING_COLUMNS: &str = "SELECT f.window_start_ms, f.window_end_ms, f.seq, f.detector, f.vessel_id, f.start_ms,
    f.end_ms, f.score, f.level, f.severity, f.breakdown, f.evidence, f.rule_id, f.model_version, f.params_hash";

impl<B: Backend> Queries for B {
    fn events_page(&self, q: &EventQuery<'_>) -> Result<Vec<Event>> {
        let mut f = Filters::new();
        f.cmp("e.status", "=", q.status.map(|s| s.as_str()));
        f.cmp("e.category", "=", q.category.map(|c| c.as_str()));
        f.cmp("e.level", "=", q.level.map(|l| l.as_str()));
        if q.open_only {
            let (closed, withdrawn) = (f.arg(EventStatus::Closed.as_str()), f.arg(EventStatus::Withdrawn.as_str()));
            f.push(format!("e.status NOT IN ({closed}, {withdrawn})"));
        }
        f.cmp("e.occurred_at_ms", ">=", q.from);
        f.cmp("e.occurred_at_ms", "<", q.to);
        if let Some(vessel) = q.vessel {
            let mark = f.arg(vessel);
            f.push(format!("e.id IN (SELECT v.event_id FROM event_vessels v WHERE v.vessel_id = {mark})"));
        }
        if let Some(b) = q.bbox {
            let inner = in_box(&mut f, b, "v.vessel_id", "v.episode_start_ms", "v.episode_end_ms");
            f.push(format!("EXISTS (SELECT 1 FROM event_vessels v WHERE v.event_id = e.id AND {inner})"));
        }
        f.cmp("e.id COLLATE \"C\"", ">", q.after);
        let limit = f.arg(limit_val(q.limit));
        let sql = format!("SELECT e.doc FROM events e {} ORDER BY e.id COLLATE \"C\" LIMIT {limit}", f.clause());
        self.read(|c| {
            let mut events: Vec<Event> = c.docs(&sql, &f.args)?;
            attach_histories(c, &mut events)?;
            Ok(events)
        })
    }

    fn alerts_page(&self, all: bool, after: Option<&str>, limit: usize) -> Result<Vec<Alert>> {
        let mut f = Filters::new();
        f.cmp("status", "=", (!all).then_some(AlertStatus::Firing.as_str()));
        f.cmp("fingerprint COLLATE \"C\"", ">", after);
        let limit = f.arg(limit_val(limit));
        let sql = format!("SELECT doc FROM alerts {} ORDER BY fingerprint COLLATE \"C\" LIMIT {limit}", f.clause());
        self.read(|c| c.docs(&sql, &f.args))
    }

    fn outbox_page(&self, pending_only: bool, after: Option<i64>, limit: usize) -> Result<Vec<OutboxItem>> {
        let mut f = Filters::new();
        if pending_only {
            f.push("delivered_at_ms IS NULL".into());
        }
        f.cmp("seq", ">", after);
        let limit = f.arg(limit_val(limit));
        let sql = format!(
            "SELECT seq, notification_id, sink, body, created_at_ms, attempts, next_attempt_at_ms, delivered_at_ms,
                    last_error FROM outbox {} ORDER BY seq LIMIT {limit}",
            f.clause()
        );
        self.read(|c| c.query(&sql, &f.args, crate::tables::outbox_row))
    }

    fn silences_page(&self, after: Option<&str>, limit: usize) -> Result<Vec<Silence>> {
        let mut f = Filters::new();
        f.cmp("id COLLATE \"C\"", ">", after);
        let limit = f.arg(limit_val(limit));
        let sql = format!("SELECT doc FROM silences {} ORDER BY id COLLATE \"C\" LIMIT {limit}", f.clause());
        self.read(|c| c.docs(&sql, &f.args))
    }

    fn findings_page(&self, q: &FindingQuery<'_>) -> Result<Vec<StoredFinding>> {
        let mut f = Filters::new();
        f.cmp("f.detector", "=", q.detector);
        f.cmp("f.level", "=", q.level);
        f.cmp("f.severity", "=", q.severity.map(|s| s.as_str()));
        f.cmp("f.vessel_id", "=", q.vessel);
        f.cmp("f.end_ms", ">=", q.from);
        f.cmp("f.start_ms", "<", q.to);
        if let Some(b) = q.bbox {
            let cond = in_box(&mut f, b, "f.vessel_id", "f.start_ms", "f.end_ms");
            f.push(cond);
        }
        // Row-value comparison spelled out (both backends), in the primary key's order.
        let (order, cmp) = if q.newest_first { ("DESC", "<") } else { ("ASC", ">") };
        if let Some(k) = q.after {
            let (ws, we, seq) = (f.arg(k.window_start), f.arg(k.window_end), f.arg(k.seq));
            f.push(format!(
                "(f.window_start_ms {cmp} {ws} OR (f.window_start_ms = {ws} AND (f.window_end_ms {cmp} {we}
                  OR (f.window_end_ms = {we} AND f.seq {cmp} {seq}))))"
            ));
        }
        let limit = f.arg(limit_val(q.limit));
        let sql = format!(
            "{FINDING_COLUMNS} FROM findings f {}
             ORDER BY f.window_start_ms {order}, f.window_end_ms {order}, f.seq {order} LIMIT {limit}",
            f.clause()
        );
        self.read(|c| c.query(&sql, &f.args, stored_finding))
    }

    fn finding_spans(
        &self,
        detector: &str,
        vessel: &VesselId,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<FindingSpan>> {
        let sql = "SELECT window_start_ms, window_end_ms, seq, start_ms, end_ms, level, score FROM findings
                   WHERE detector = $1 AND vessel_id = $2 AND end_ms >= $3 AND start_ms <= $4
                   ORDER BY window_start_ms, window_end_ms, seq";
        self.read(|c| {
            c.query(sql, &vals![detector, vessel.as_str(), from, to], |r| {
                Ok(FindingSpan {
                    key: FindingKey { window_start: r.ts(0)?, window_end: r.ts(1)?, seq: r.i64(2)? },
                    start: r.ts(3)?,
                    end: r.ts(4)?,
                    level: r.string(5)?,
                    score: r.int(6)?,
                })
            })
        })
    }

    fn track(&self, vessel: &VesselId, from: Timestamp, to: Timestamp) -> Result<Vec<Position>> {
        let sql = "SELECT vessel_id, ts_ms, lat, lon, sog, cog, heading, nav_status FROM positions
                   WHERE vessel_id = $1 AND ts_ms >= $2 AND ts_ms <= $3 ORDER BY ts_ms, lat, lon";
        self.read(|c| c.query(sql, &vals![vessel.as_str(), from, to], position))
    }
}

/// The histories of a page of events in one query (not one per event).
fn attach_histories(c: &mut dyn Conn, events: &mut [Event]) -> Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    let marks: Vec<String> = (1..=events.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT event_id, from_status, to_status, actor, at_ms, note FROM event_history
         WHERE event_id IN ({}) ORDER BY event_id, seq",
        marks.join(", ")
    );
    let ids: Vec<Val<'_>> = events.iter().map(|e| Val::from(e.id.as_str())).collect();
    let rows = c.query(&sql, &ids, |r| {
        let status = |s: String| {
            EventStatus::parse(&s)
                .ok_or_else(|| crate::sql::corrupt(r.location(), format!("unknown event status '{s}'")))
        };
        let entry = HistoryEntry {
            from: r.text(1)?.map(status).transpose()?,
            to: status(r.string(2)?)?,
            actor: r.string(3)?,
            at: r.ts(4)?,
            note: r.string(5)?,
        };
        Ok((r.string(0)?, entry))
    })?;
    let mut by_id: std::collections::HashMap<String, Vec<HistoryEntry>> = std::collections::HashMap::new();
    for (id, entry) in rows {
        by_id.entry(id).or_default().push(entry);
    }
    for e in events.iter_mut() {
        e.history = by_id.remove(&e.id).unwrap_or_default();
    }
    Ok(())
}

fn stored_finding(r: &dyn Row) -> Result<StoredFinding> {
    let key = FindingKey { window_start: r.ts(0)?, window_end: r.ts(1)?, seq: r.i64(2)? };
    Ok(StoredFinding { key, finding: finding_at(r, 3)? })
}

/// A finding from the twelve columns `detector, vessel_id, start_ms, end_ms, score, level,
/// severity, breakdown, evidence, rule_id, model_version, params_hash` starting at `at`.
pub(crate) fn finding_at(r: &dyn Row, at: usize) -> Result<Finding> {
    let severity = serde_json::Value::String(r.string(at + 6)?);
    Ok(Finding {
        detector: r.string(at)?,
        vessel: VesselId::new(r.string(at + 1)?),
        start: r.ts(at + 2)?,
        end: r.ts(at + 3)?,
        score: r.int(at + 4)?,
        level: r.string(at + 5)?,
        severity: serde_json::from_value(severity).map_err(json_error(r.location()))?,
        breakdown: r.doc(at + 7)?,
        evidence: r.doc(at + 8)?,
        rule: r.text(at + 9)?,
        model_version: r.int(at + 10)?,
        params_hash: r.text(at + 11)?,
    })
}

/// A position from the columns `vessel_id, ts_ms, lat, lon, sog, cog, heading, nav_status`.
pub(crate) fn position(r: &dyn Row) -> Result<Position> {
    Ok(Position {
        vessel: VesselId::new(r.string(0)?),
        timestamp: r.ts(1)?,
        lat: r.f64(2)?,
        lon: r.f64(3)?,
        sog: r.real(4)?,
        cog: r.real(5)?,
        heading: r.real(6)?,
        nav_status: r.small::<u8>(7, "nav_status")?.map(NavStatus),
    })
}

/// Keeps `event_vessels` (migration 0010) in step with an event: its vessels and the
/// span of its episode, which the vessel and box filters read.
pub(crate) fn write_event_vessels(c: &mut dyn Conn, ev: &Event) -> Result<()> {
    c.execute("DELETE FROM event_vessels WHERE event_id = $1", &vals![&ev.id])?;
    for v in &ev.vessels {
        c.execute(
            "INSERT INTO event_vessels (vessel_id, event_id, episode_start_ms, episode_end_ms) VALUES ($1, $2, $3, $4)
             ON CONFLICT DO NOTHING",
            &vals![v.as_str(), &ev.id, ev.episode_start, ev.episode_end],
        )?;
    }
    Ok(())
}

/// One entry of the API's live stream (`/api/v1/stream`), numbered in the order stored,
/// so a client that reconnects resumes after the last number it saw.
#[derive(Clone, Debug, PartialEq)]
pub struct StreamEntry {
    pub seq: i64,
    /// `event`, `alert` or `cycle`.
    pub kind: String,
    pub at: Timestamp,
    pub payload: serde_json::Value,
}

/// The stream's writes.
pub trait StreamLog {
    /// Appends entries `(kind, payload)` at `at` in one transaction; returns them numbered.
    fn append_stream(&mut self, entries: &[(String, serde_json::Value)], at: Timestamp) -> Result<Vec<StreamEntry>>;
    /// Entries after `seq`, oldest first, at most `limit`.
    fn stream_after(&self, seq: i64, limit: usize) -> Result<Vec<StreamEntry>>;
    /// The number of the latest entry (0 when the log is empty).
    fn last_stream_seq(&self) -> Result<i64>;
    /// Keeps only the latest `keep` entries by number; returns how many were deleted.
    fn trim_stream(&mut self, keep: usize) -> Result<u64>;
}

impl<B: Backend> StreamLog for B {
    fn append_stream(&mut self, entries: &[(String, serde_json::Value)], at: Timestamp) -> Result<Vec<StreamEntry>> {
        // Stored in milliseconds: hand back what a reader will read.
        let at = crate::sql::from_ms(self.location(), crate::sql::ms(at))?;
        self.write(|c| {
            let mut out = Vec::with_capacity(entries.len());
            for (kind, payload) in entries {
                let sql = "INSERT INTO stream_log (kind, at_ms, payload) VALUES ($1, $2, $3) RETURNING seq";
                let seq = c.one(sql, &vals![kind.as_str(), at, c.json(payload)?], |r| r.i64(0))?;
                let seq = seq.ok_or_else(|| c.conflict("stream_log: no sequence number returned".into()))?;
                out.push(StreamEntry { seq, kind: kind.clone(), at, payload: payload.clone() });
            }
            Ok(out)
        })
    }

    fn last_stream_seq(&self) -> Result<i64> {
        let sql = "SELECT COALESCE(MAX(seq), 0) FROM stream_log";
        self.read(|c| c.one(sql, &[], |r| r.i64(0))).map(|v| v.unwrap_or(0))
    }

    fn trim_stream(&mut self, keep: usize) -> Result<u64> {
        let sql = "DELETE FROM stream_log WHERE seq <= (SELECT COALESCE(MAX(seq), 0) FROM stream_log) - $1";
        self.write(|c| c.execute(sql, &vals![limit_val(keep)]))
    }

    fn stream_after(&self, seq: i64, limit: usize) -> Result<Vec<StreamEntry>> {
        let sql = "SELECT seq, kind, at_ms, payload FROM stream_log WHERE seq > $1 ORDER BY seq LIMIT $2";
        self.read(|c| {
            c.query(sql, &vals![seq, limit_val(limit)], |r| {
                Ok(StreamEntry { seq: r.i64(0)?, kind: r.string(1)?, at: r.ts(2)?, payload: r.json(3)? })
            })
        })
    }
}

/// `Box<dyn Store>` that may move between threads: what a server's pool holds.
pub type SharedStore = Box<dyn Store + Send>;

/// Opens the store named by a `--db` value, migrated, for a pool (see [`crate::open`]).
pub fn open_shared(db: &str) -> Result<SharedStore> {
    use crate::location::Location;
    Ok(match Location::parse(db)? {
        Location::Sqlite(path) => Box::new(crate::SqliteStore::open(&path)?),
        Location::Postgres(pg) => Box::new(crate::PostgresStore::open_with(&pg, crate::OpenMode::Migrate)?),
    })
}
