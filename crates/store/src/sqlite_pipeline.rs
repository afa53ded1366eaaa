//! The output pipeline's tables on SQLite (see the `Store` trait's last block).

use std::collections::BTreeMap;

use lookout_model::{Timestamp, VesselId};
use lookout_pipeline::delivery::OutboxItem;
use lookout_pipeline::lifecycle::HistoryEntry;
use lookout_pipeline::{
    CycleWindow, DailyStats, DispatchState, Enforcement, Event, EventStatus, HourlyStats, Kpis,
    MonthlyStats, Silence,
};
use rusqlite::{params, Connection, OptionalExtension, ToSql};

use crate::sqlite::{from_json, from_ms, ms, to_json};
use crate::{CycleKey, EventFilter, Result, SqliteStore, StoreError};

fn err(location: &str) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
    move |source| StoreError::Sqlite {
        location: location.to_string(),
        source,
    }
}

fn status_of(location: &str, s: &str) -> Result<EventStatus> {
    EventStatus::parse(s).ok_or_else(|| StoreError::Corrupt {
        location: location.to_string(),
        message: format!("unknown event status '{s}'"),
    })
}

/// JSON documents of a one-column query, in the query's order.
fn docs<T: serde::de::DeserializeOwned>(
    conn: &Connection,
    loc: &str,
    sql: &str,
    args: &[&dyn ToSql],
) -> Result<Vec<T>> {
    let e = err(loc);
    let mut stmt = conn.prepare_cached(sql).map_err(&e)?;
    let mut rows = stmt.query(args).map_err(&e)?;
    let mut out = Vec::new();
    while let Some(r) = rows.next().map_err(&e)? {
        let doc: String = r.get(0).map_err(&e)?;
        out.push(from_json(loc, &doc)?);
    }
    Ok(out)
}

/// Events from an `SELECT doc ...` query, each with its history.
fn events_from(conn: &Connection, loc: &str, sql: &str, args: &[&dyn ToSql]) -> Result<Vec<Event>> {
    let mut events: Vec<Event> = docs(conn, loc, sql, args)?;
    let e = err(loc);
    let mut stmt = conn
        .prepare_cached(
            "SELECT from_status, to_status, actor, at_ms, note FROM event_history WHERE event_id = ?1 ORDER BY seq",
        )
        .map_err(&e)?;
    for ev in &mut events {
        let mut rows = stmt.query(params![ev.id]).map_err(&e)?;
        let mut history = Vec::new();
        while let Some(r) = rows.next().map_err(&e)? {
            let from: Option<String> = r.get(0).map_err(&e)?;
            let to: String = r.get(1).map_err(&e)?;
            history.push(HistoryEntry {
                from: from.map(|f| status_of(loc, &f)).transpose()?,
                to: status_of(loc, &to)?,
                actor: r.get(2).map_err(&e)?,
                at: from_ms(loc, r.get(3).map_err(&e)?)?,
                note: r.get(4).map_err(&e)?,
            });
        }
        ev.history = history;
    }
    Ok(events)
}

fn write_event(tx: &Connection, loc: &str, ev: &Event) -> Result<()> {
    let e = err(loc);
    // The history lives in its own table; the document holds the rest.
    let mut doc = ev.clone();
    doc.history.clear();
    tx.execute(
        "INSERT INTO events (id, category, status, level, occurred_at_ms, last_seen_ms, doc)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (id) DO UPDATE SET category = excluded.category, status = excluded.status,
           level = excluded.level, occurred_at_ms = excluded.occurred_at_ms,
           last_seen_ms = excluded.last_seen_ms, doc = excluded.doc",
        params![
            ev.id,
            ev.category.as_str(),
            ev.status.as_str(),
            ev.level.as_str(),
            ms(ev.occurred_at),
            ms(ev.last_seen),
            to_json(loc, &doc)?
        ],
    )
    .map_err(&e)?;
    tx.execute(
        "DELETE FROM event_windows WHERE event_id = ?1",
        params![ev.id],
    )
    .map_err(&e)?;
    for w in &ev.windows {
        tx.execute(
            "INSERT INTO event_windows (event_id, window_start_ms, window_end_ms) VALUES (?1, ?2, ?3)
             ON CONFLICT DO NOTHING",
            params![ev.id, ms(w.start), ms(w.end)],
        )
        .map_err(&e)?;
    }
    tx.execute(
        "DELETE FROM event_history WHERE event_id = ?1",
        params![ev.id],
    )
    .map_err(&e)?;
    for (seq, h) in ev.history.iter().enumerate() {
        tx.execute(
            "INSERT INTO event_history (event_id, seq, from_status, to_status, actor, at_ms, note)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                ev.id,
                seq as i64,
                h.from.map(|s| s.as_str()),
                h.to.as_str(),
                h.actor,
                ms(h.at),
                h.note
            ],
        )
        .map_err(&e)?;
    }
    Ok(())
}

fn enforcements_from(
    conn: &Connection,
    loc: &str,
    sql: &str,
    args: &[&dyn ToSql],
) -> Result<Vec<Enforcement>> {
    let e = err(loc);
    let mut stmt = conn.prepare_cached(sql).map_err(&e)?;
    let mut rows = stmt.query(args).map_err(&e)?;
    let mut out = Vec::new();
    while let Some(r) = rows.next().map_err(&e)? {
        out.push(Enforcement {
            event_id: r.get(0).map_err(&e)?,
            action: r.get(1).map_err(&e)?,
            actor: r.get(2).map_err(&e)?,
            at: from_ms(loc, r.get(3).map_err(&e)?)?,
            note: r.get(4).map_err(&e)?,
        });
    }
    Ok(out)
}

fn save_buckets<T: serde::Serialize>(
    tx: &Connection,
    loc: &str,
    table: &str,
    rows: impl Iterator<Item = (Timestamp, Timestamp, String, T)>,
) -> Result<()> {
    let e = err(loc);
    let sql = format!(
        "INSERT INTO {table} (start_ms, end_ms, label, doc) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (start_ms) DO UPDATE SET end_ms = excluded.end_ms, label = excluded.label, doc = excluded.doc"
    );
    for (start, end, label, doc) in rows {
        tx.execute(
            &sql,
            params![ms(start), ms(end), label, to_json(loc, &doc)?],
        )
        .map_err(&e)?;
    }
    Ok(())
}

impl SqliteStore {
    pub(crate) fn pl_events_by_ids(&self, ids: &[String]) -> Result<Vec<Event>> {
        let mut out = Vec::new();
        for id in ids {
            out.extend(events_from(
                &self.conn,
                &self.location,
                "SELECT doc FROM events WHERE id = ?1",
                &[id],
            )?);
        }
        out.sort_by(|a, b| a.id.cmp(&b.id));
        out.dedup_by(|a, b| a.id == b.id);
        Ok(out)
    }

    pub(crate) fn pl_events_in_window(&self, window: &CycleWindow) -> Result<Vec<Event>> {
        events_from(
            &self.conn,
            &self.location,
            "SELECT e.doc FROM events e JOIN event_windows w ON w.event_id = e.id
             WHERE w.window_start_ms = ?1 AND w.window_end_ms = ?2 ORDER BY e.id",
            &[&ms(window.start), &ms(window.end)],
        )
    }

    pub(crate) fn pl_list_events(&self, f: &EventFilter) -> Result<Vec<Event>> {
        events_from(
            &self.conn,
            &self.location,
            "SELECT doc FROM events
             WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR category = ?2)
               AND (?3 IS NULL OR occurred_at_ms >= ?3) AND (?4 IS NULL OR occurred_at_ms < ?4)
             ORDER BY id",
            &[
                &f.status.map(|s| s.as_str()),
                &f.category.map(|c| c.as_str()),
                &f.occurred_from.map(ms),
                &f.occurred_to.map(ms),
            ],
        )
    }

    pub(crate) fn pl_save_events(&mut self, events: &[Event]) -> Result<()> {
        let loc = self.location.clone();
        let tx = self.conn.transaction().map_err(err(&loc))?;
        for ev in events {
            write_event(&tx, &loc, ev)?;
        }
        tx.commit().map_err(err(&loc))
    }

    pub(crate) fn pl_save_event_step(
        &mut self,
        event: &Event,
        enforcement: Option<&Enforcement>,
    ) -> Result<()> {
        let loc = self.location.clone();
        let e = err(&loc);
        let tx = self.conn.transaction().map_err(&e)?;
        write_event(&tx, &loc, event)?;
        if let Some(x) = enforcement {
            tx.execute(
                "INSERT INTO enforcements (event_id, seq, action, actor, at_ms, note)
                 VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM enforcements WHERE event_id = ?1), ?2, ?3, ?4, ?5)",
                params![x.event_id, x.action, x.actor, ms(x.at), x.note],
            )
            .map_err(&e)?;
        }
        tx.commit().map_err(&e)
    }

    pub(crate) fn pl_enforcements_between(
        &self,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<Enforcement>> {
        enforcements_from(
            &self.conn,
            &self.location,
            "SELECT event_id, action, actor, at_ms, note FROM enforcements
             WHERE at_ms >= ?1 AND at_ms < ?2 ORDER BY at_ms, event_id, seq",
            &[&ms(from), &ms(to)],
        )
    }

    pub(crate) fn pl_event_enforcements(&self, event_id: &str) -> Result<Vec<Enforcement>> {
        enforcements_from(
            &self.conn,
            &self.location,
            "SELECT event_id, action, actor, at_ms, note FROM enforcements WHERE event_id = ?1 ORDER BY seq",
            &[&event_id],
        )
    }

    pub(crate) fn pl_dispatch_state(&self) -> Result<DispatchState> {
        let alerts: Vec<lookout_pipeline::Alert> = docs(
            &self.conn,
            &self.location,
            "SELECT doc FROM alerts ORDER BY fingerprint",
            &[],
        )?;
        let groups: Vec<lookout_pipeline::alert::Group> = docs(
            &self.conn,
            &self.location,
            "SELECT doc FROM alert_groups ORDER BY group_key",
            &[],
        )?;
        Ok(DispatchState {
            alerts: alerts
                .into_iter()
                .map(|a| (a.fingerprint.clone(), a))
                .collect(),
            groups: groups
                .into_iter()
                .map(|g| (g.key.clone(), g))
                .collect::<BTreeMap<_, _>>(),
        })
    }

    pub(crate) fn pl_save_dispatch(
        &mut self,
        state: &DispatchState,
        outbox: &[OutboxItem],
    ) -> Result<()> {
        let loc = self.location.clone();
        let e = err(&loc);
        let tx = self.conn.transaction().map_err(&e)?;
        for a in state.alerts.values() {
            tx.execute(
                "INSERT INTO alerts (fingerprint, event_id, status, starts_at_ms, doc) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (fingerprint) DO UPDATE SET event_id = excluded.event_id, status = excluded.status,
                   starts_at_ms = excluded.starts_at_ms, doc = excluded.doc",
                params![a.fingerprint, a.event_id, a.status.as_str(), ms(a.starts_at), to_json(&loc, a)?],
            )
            .map_err(&e)?;
        }
        tx.execute("DELETE FROM alert_groups", []).map_err(&e)?;
        for g in state.groups.values() {
            tx.execute(
                "INSERT INTO alert_groups (group_key, doc) VALUES (?1, ?2)",
                params![g.key, to_json(&loc, g)?],
            )
            .map_err(&e)?;
        }
        let mut next: i64 = tx
            .query_row("SELECT COALESCE(MAX(seq), 0) + 1 FROM outbox", [], |r| {
                r.get(0)
            })
            .map_err(&e)?;
        for i in outbox {
            let n = tx
                .execute(
                    "INSERT INTO outbox (seq, notification_id, sink, body, created_at_ms, attempts, next_attempt_at_ms,
                                         delivered_at_ms, last_error)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT (notification_id, sink) DO NOTHING",
                    params![
                        next,
                        i.notification_id,
                        i.sink,
                        i.body,
                        ms(i.created_at),
                        i64::from(i.attempts),
                        ms(i.next_attempt_at),
                        i.delivered_at.map(ms),
                        i.last_error
                    ],
                )
                .map_err(&e)?;
            next += n as i64;
        }
        tx.commit().map_err(&e)
    }

    pub(crate) fn pl_silences(&self) -> Result<Vec<Silence>> {
        docs(
            &self.conn,
            &self.location,
            "SELECT doc FROM silences ORDER BY starts_at_ms, id",
            &[],
        )
    }

    pub(crate) fn pl_put_silence(&mut self, s: &Silence) -> Result<()> {
        let loc = self.location.clone();
        self.conn
            .execute(
                "INSERT INTO silences (id, starts_at_ms, ends_at_ms, doc) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (id) DO UPDATE SET starts_at_ms = excluded.starts_at_ms,
                   ends_at_ms = excluded.ends_at_ms, doc = excluded.doc",
                params![s.id, ms(s.starts_at), ms(s.ends_at), to_json(&loc, s)?],
            )
            .map_err(err(&loc))?;
        Ok(())
    }

    pub(crate) fn pl_outbox(&self, pending_only: bool) -> Result<Vec<OutboxItem>> {
        let loc = &self.location;
        let e = err(loc);
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT seq, notification_id, sink, body, created_at_ms, attempts, next_attempt_at_ms,
                        delivered_at_ms, last_error
                 FROM outbox WHERE (?1 = 0 OR delivered_at_ms IS NULL) ORDER BY seq",
            )
            .map_err(&e)?;
        let mut rows = stmt.query(params![pending_only]).map_err(&e)?;
        let mut out = Vec::new();
        while let Some(r) = rows.next().map_err(&e)? {
            let attempts: i64 = r.get(5).map_err(&e)?;
            let delivered: Option<i64> = r.get(7).map_err(&e)?;
            out.push(OutboxItem {
                seq: r.get(0).map_err(&e)?,
                notification_id: r.get(1).map_err(&e)?,
                sink: r.get(2).map_err(&e)?,
                body: r.get(3).map_err(&e)?,
                created_at: from_ms(loc, r.get(4).map_err(&e)?)?,
                attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
                next_attempt_at: from_ms(loc, r.get(6).map_err(&e)?)?,
                delivered_at: delivered.map(|v| from_ms(loc, v)).transpose()?,
                last_error: r.get(8).map_err(&e)?,
            });
        }
        Ok(out)
    }

    pub(crate) fn pl_update_outbox(&mut self, items: &[OutboxItem]) -> Result<()> {
        let loc = self.location.clone();
        let e = err(&loc);
        let tx = self.conn.transaction().map_err(&e)?;
        for i in items {
            tx.execute(
                "UPDATE outbox SET attempts = ?2, next_attempt_at_ms = ?3, delivered_at_ms = ?4, last_error = ?5
                 WHERE seq = ?1",
                params![i.seq, i64::from(i.attempts), ms(i.next_attempt_at), i.delivered_at.map(ms), i.last_error],
            )
            .map_err(&e)?;
        }
        tx.commit().map_err(&e)
    }

    pub(crate) fn pl_save_kpis(&mut self, k: &Kpis) -> Result<()> {
        let loc = self.location.clone();
        self.conn
            .execute(
                "INSERT INTO kpis (id, at_ms, doc) VALUES (1, ?1, ?2)
                 ON CONFLICT (id) DO UPDATE SET at_ms = excluded.at_ms, doc = excluded.doc",
                params![ms(k.at), to_json(&loc, k)?],
            )
            .map_err(err(&loc))?;
        Ok(())
    }

    pub(crate) fn pl_kpis(&self) -> Result<Option<Kpis>> {
        let loc = &self.location;
        let doc: Option<String> = self
            .conn
            .query_row("SELECT doc FROM kpis WHERE id = 1", [], |r| r.get(0))
            .optional()
            .map_err(err(loc))?;
        doc.map(|d| from_json(loc, &d)).transpose()
    }

    pub(crate) fn pl_last_reports(
        &self,
        since: Timestamp,
        until: Timestamp,
    ) -> Result<Vec<(VesselId, Timestamp)>> {
        let loc = &self.location;
        let e = err(loc);
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT vessel_id, MAX(ts_ms) FROM positions WHERE ts_ms > ?1 AND ts_ms <= ?2
                 GROUP BY vessel_id ORDER BY vessel_id",
            )
            .map_err(&e)?;
        let mut rows = stmt.query(params![ms(since), ms(until)]).map_err(&e)?;
        let mut out = Vec::new();
        while let Some(r) = rows.next().map_err(&e)? {
            let v: String = r.get(0).map_err(&e)?;
            out.push((VesselId::new(v), from_ms(loc, r.get(1).map_err(&e)?)?));
        }
        Ok(out)
    }

    pub(crate) fn pl_cycles_ending_between(
        &self,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<CycleKey>> {
        let loc = &self.location;
        let e = err(loc);
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT window_start_ms, window_end_ms FROM cycles WHERE window_end_ms >= ?1 AND window_end_ms < ?2
                 ORDER BY window_end_ms, window_start_ms",
            )
            .map_err(&e)?;
        let mut rows = stmt.query(params![ms(from), ms(to)]).map_err(&e)?;
        let mut out = Vec::new();
        while let Some(r) = rows.next().map_err(&e)? {
            out.push(CycleKey {
                window_start: from_ms(loc, r.get(0).map_err(&e)?)?,
                window_end: from_ms(loc, r.get(1).map_err(&e)?)?,
            });
        }
        Ok(out)
    }

    pub(crate) fn pl_save_stats(
        &mut self,
        hourly: &[HourlyStats],
        daily: &[DailyStats],
        monthly: &[MonthlyStats],
    ) -> Result<()> {
        let loc = self.location.clone();
        let tx = self.conn.transaction().map_err(err(&loc))?;
        save_buckets(
            &tx,
            &loc,
            "stats_hourly",
            hourly
                .iter()
                .map(|h| (h.bucket.start, h.bucket.end, h.bucket.label.clone(), h)),
        )?;
        save_buckets(
            &tx,
            &loc,
            "stats_daily",
            daily
                .iter()
                .map(|h| (h.bucket.start, h.bucket.end, h.bucket.label.clone(), h)),
        )?;
        save_buckets(
            &tx,
            &loc,
            "stats_monthly",
            monthly
                .iter()
                .map(|h| (h.bucket.start, h.bucket.end, h.bucket.label.clone(), h)),
        )?;
        tx.commit().map_err(err(&loc))
    }

    pub(crate) fn pl_stats<T: serde::de::DeserializeOwned>(
        &self,
        table: &str,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<T>> {
        docs(
            &self.conn,
            &self.location,
            &format!(
                "SELECT doc FROM {table} WHERE start_ms >= ?1 AND start_ms < ?2 ORDER BY start_ms"
            ),
            &[&ms(from), &ms(to)],
        )
    }
}
