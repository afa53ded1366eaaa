//! The output pipeline's tables on PostgreSQL (see the `Store` trait's last block).
//! Text ordering uses `COLLATE "C"` so rows come back in SQLite's bytewise order.

use lookout_model::{Timestamp, VesselId};
use lookout_pipeline::delivery::OutboxItem;
use lookout_pipeline::lifecycle::HistoryEntry;
use lookout_pipeline::{
    CycleWindow, DailyStats, DispatchState, Enforcement, Event, EventStatus, HourlyStats, Kpis,
    MonthlyStats, Silence,
};
use postgres::types::{Json, ToSql};
use postgres::GenericClient;

use crate::pg::{corrupt, from_ms, get, get_json, ms, pg_error};
use crate::{CycleKey, EventFilter, PostgresStore, Result, StoreError};

fn status_of(location: &str, s: &str) -> Result<EventStatus> {
    EventStatus::parse(s).ok_or_else(|| corrupt(location, format!("unknown event status '{s}'")))
}

fn json_value<T: serde::Serialize>(location: &str, v: &T) -> Result<serde_json::Value> {
    serde_json::to_value(v).map_err(|source| StoreError::Json {
        location: location.to_string(),
        source,
    })
}

fn docs<T: serde::de::DeserializeOwned>(
    c: &mut impl GenericClient,
    loc: &str,
    sql: &str,
    args: &[&(dyn ToSql + Sync)],
) -> Result<Vec<T>> {
    let rows = c.query(sql, args).map_err(|e| pg_error(loc, e))?;
    rows.iter().map(|r| get_json(loc, r, 0)).collect()
}

fn events_from(
    c: &mut impl GenericClient,
    loc: &str,
    sql: &str,
    args: &[&(dyn ToSql + Sync)],
) -> Result<Vec<Event>> {
    let mut events: Vec<Event> = docs(c, loc, sql, args)?;
    let stmt = c
        .prepare("SELECT from_status, to_status, actor, at_ms, note FROM event_history WHERE event_id = $1 ORDER BY seq")
        .map_err(|e| pg_error(loc, e))?;
    for ev in &mut events {
        let rows = c.query(&stmt, &[&ev.id]).map_err(|e| pg_error(loc, e))?;
        ev.history = rows
            .iter()
            .map(|r| {
                let from: Option<String> = get(loc, r, 0)?;
                let to: String = get(loc, r, 1)?;
                Ok(HistoryEntry {
                    from: from.map(|f| status_of(loc, &f)).transpose()?,
                    to: status_of(loc, &to)?,
                    actor: get(loc, r, 2)?,
                    at: from_ms(loc, get(loc, r, 3)?)?,
                    note: get(loc, r, 4)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
    }
    Ok(events)
}

fn write_event(tx: &mut impl GenericClient, loc: &str, ev: &Event) -> Result<()> {
    let e = |err| pg_error(loc, err);
    // The history lives in its own table; the document holds the rest.
    let mut doc = ev.clone();
    doc.history.clear();
    tx.execute(
        "INSERT INTO events (id, category, status, level, occurred_at_ms, last_seen_ms, doc)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (id) DO UPDATE SET category = excluded.category, status = excluded.status,
           level = excluded.level, occurred_at_ms = excluded.occurred_at_ms,
           last_seen_ms = excluded.last_seen_ms, doc = excluded.doc",
        &[
            &ev.id,
            &ev.category.as_str(),
            &ev.status.as_str(),
            &ev.level.as_str(),
            &ms(ev.occurred_at),
            &ms(ev.last_seen),
            &Json(json_value(loc, &doc)?),
        ],
    )
    .map_err(e)?;
    tx.execute("DELETE FROM event_windows WHERE event_id = $1", &[&ev.id])
        .map_err(e)?;
    for w in &ev.windows {
        tx.execute(
            "INSERT INTO event_windows (event_id, window_start_ms, window_end_ms) VALUES ($1, $2, $3)
             ON CONFLICT DO NOTHING",
            &[&ev.id, &ms(w.start), &ms(w.end)],
        )
        .map_err(e)?;
    }
    tx.execute("DELETE FROM event_history WHERE event_id = $1", &[&ev.id])
        .map_err(e)?;
    for (seq, h) in ev.history.iter().enumerate() {
        tx.execute(
            "INSERT INTO event_history (event_id, seq, from_status, to_status, actor, at_ms, note)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[
                &ev.id,
                &(seq as i64),
                &h.from.map(|s| s.as_str()),
                &h.to.as_str(),
                &h.actor,
                &ms(h.at),
                &h.note,
            ],
        )
        .map_err(e)?;
    }
    Ok(())
}

fn enforcements_from(
    c: &mut impl GenericClient,
    loc: &str,
    sql: &str,
    args: &[&(dyn ToSql + Sync)],
) -> Result<Vec<Enforcement>> {
    let rows = c.query(sql, args).map_err(|e| pg_error(loc, e))?;
    rows.iter()
        .map(|r| {
            Ok(Enforcement {
                event_id: get(loc, r, 0)?,
                action: get(loc, r, 1)?,
                actor: get(loc, r, 2)?,
                at: from_ms(loc, get(loc, r, 3)?)?,
                note: get(loc, r, 4)?,
            })
        })
        .collect()
}

fn save_buckets<T: serde::Serialize>(
    tx: &mut impl GenericClient,
    loc: &str,
    table: &str,
    rows: impl Iterator<Item = (Timestamp, Timestamp, String, T)>,
) -> Result<()> {
    let sql = format!(
        "INSERT INTO {table} (start_ms, end_ms, label, doc) VALUES ($1, $2, $3, $4)
         ON CONFLICT (start_ms) DO UPDATE SET end_ms = excluded.end_ms, label = excluded.label, doc = excluded.doc"
    );
    for (start, end, label, doc) in rows {
        tx.execute(
            &sql,
            &[&ms(start), &ms(end), &label, &Json(json_value(loc, &doc)?)],
        )
        .map_err(|e| pg_error(loc, e))?;
    }
    Ok(())
}

impl PostgresStore {
    pub(crate) fn pl_events_by_ids(&self, ids: &[String]) -> Result<Vec<Event>> {
        events_from(
            &mut *self.client.borrow_mut(),
            &self.location,
            "SELECT doc FROM events WHERE id = ANY($1) ORDER BY id COLLATE \"C\"",
            &[&ids],
        )
    }

    pub(crate) fn pl_events_in_window(&self, window: &CycleWindow) -> Result<Vec<Event>> {
        events_from(
            &mut *self.client.borrow_mut(),
            &self.location,
            "SELECT e.doc FROM events e JOIN event_windows w ON w.event_id = e.id
             WHERE w.window_start_ms = $1 AND w.window_end_ms = $2 ORDER BY e.id COLLATE \"C\"",
            &[&ms(window.start), &ms(window.end)],
        )
    }

    pub(crate) fn pl_list_events(&self, f: &EventFilter) -> Result<Vec<Event>> {
        events_from(
            &mut *self.client.borrow_mut(),
            &self.location,
            "SELECT doc FROM events
             WHERE ($1::TEXT IS NULL OR status = $1) AND ($2::TEXT IS NULL OR category = $2)
               AND ($3::BIGINT IS NULL OR occurred_at_ms >= $3) AND ($4::BIGINT IS NULL OR occurred_at_ms < $4)
             ORDER BY id COLLATE \"C\"",
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
        let mut tx = self
            .client
            .get_mut()
            .transaction()
            .map_err(|e| pg_error(&loc, e))?;
        for ev in events {
            write_event(&mut tx, &loc, ev)?;
        }
        tx.commit().map_err(|e| pg_error(&loc, e))
    }

    pub(crate) fn pl_save_event_step(
        &mut self,
        event: &Event,
        enforcement: Option<&Enforcement>,
    ) -> Result<()> {
        let loc = self.location.clone();
        let e = |err| pg_error(&loc, err);
        let mut tx = self.client.get_mut().transaction().map_err(e)?;
        write_event(&mut tx, &loc, event)?;
        if let Some(x) = enforcement {
            tx.execute(
                "INSERT INTO enforcements (event_id, seq, action, actor, at_ms, note)
                 VALUES ($1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM enforcements WHERE event_id = $1), $2, $3, $4, $5)",
                &[&x.event_id, &x.action, &x.actor, &ms(x.at), &x.note],
            )
            .map_err(e)?;
        }
        tx.commit().map_err(e)
    }

    pub(crate) fn pl_enforcements_between(
        &self,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<Enforcement>> {
        enforcements_from(
            &mut *self.client.borrow_mut(),
            &self.location,
            "SELECT event_id, action, actor, at_ms, note FROM enforcements
             WHERE at_ms >= $1 AND at_ms < $2 ORDER BY at_ms, event_id COLLATE \"C\", seq",
            &[&ms(from), &ms(to)],
        )
    }

    pub(crate) fn pl_event_enforcements(&self, event_id: &str) -> Result<Vec<Enforcement>> {
        enforcements_from(
            &mut *self.client.borrow_mut(),
            &self.location,
            "SELECT event_id, action, actor, at_ms, note FROM enforcements WHERE event_id = $1 ORDER BY seq",
            &[&event_id],
        )
    }

    pub(crate) fn pl_dispatch_state(&self) -> Result<DispatchState> {
        let mut c = self.client.borrow_mut();
        let alerts: Vec<lookout_pipeline::Alert> = docs(
            &mut *c,
            &self.location,
            "SELECT doc FROM alerts ORDER BY fingerprint COLLATE \"C\"",
            &[],
        )?;
        let groups: Vec<lookout_pipeline::alert::Group> = docs(
            &mut *c,
            &self.location,
            "SELECT doc FROM alert_groups ORDER BY group_key COLLATE \"C\"",
            &[],
        )?;
        Ok(DispatchState {
            alerts: alerts
                .into_iter()
                .map(|a| (a.fingerprint.clone(), a))
                .collect(),
            groups: groups.into_iter().map(|g| (g.key.clone(), g)).collect(),
        })
    }

    pub(crate) fn pl_save_dispatch(
        &mut self,
        state: &DispatchState,
        outbox: &[OutboxItem],
    ) -> Result<()> {
        let loc = self.location.clone();
        let e = |err| pg_error(&loc, err);
        let mut tx = self.client.get_mut().transaction().map_err(e)?;
        for a in state.alerts.values() {
            tx.execute(
                "INSERT INTO alerts (fingerprint, event_id, status, starts_at_ms, doc) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (fingerprint) DO UPDATE SET event_id = excluded.event_id, status = excluded.status,
                   starts_at_ms = excluded.starts_at_ms, doc = excluded.doc",
                &[&a.fingerprint, &a.event_id, &a.status.as_str(), &ms(a.starts_at), &Json(json_value(&loc, a)?)],
            )
            .map_err(e)?;
        }
        tx.execute("DELETE FROM alert_groups", &[]).map_err(e)?;
        for g in state.groups.values() {
            tx.execute(
                "INSERT INTO alert_groups (group_key, doc) VALUES ($1, $2)",
                &[&g.key, &Json(json_value(&loc, g)?)],
            )
            .map_err(e)?;
        }
        let row = tx
            .query_one("SELECT COALESCE(MAX(seq), 0) + 1 FROM outbox", &[])
            .map_err(e)?;
        let mut next: i64 = get(&loc, &row, 0)?;
        for i in outbox {
            let n = tx
                .execute(
                    "INSERT INTO outbox (seq, notification_id, sink, body, created_at_ms, attempts, next_attempt_at_ms,
                                         delivered_at_ms, last_error)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (notification_id, sink) DO NOTHING",
                    &[
                        &next,
                        &i.notification_id,
                        &i.sink,
                        &i.body,
                        &ms(i.created_at),
                        &i64::from(i.attempts),
                        &ms(i.next_attempt_at),
                        &i.delivered_at.map(ms),
                        &i.last_error,
                    ],
                )
                .map_err(e)?;
            next += n as i64;
        }
        tx.commit().map_err(e)
    }

    pub(crate) fn pl_silences(&self) -> Result<Vec<Silence>> {
        docs(
            &mut *self.client.borrow_mut(),
            &self.location,
            "SELECT doc FROM silences ORDER BY starts_at_ms, id COLLATE \"C\"",
            &[],
        )
    }

    pub(crate) fn pl_put_silence(&mut self, s: &Silence) -> Result<()> {
        let loc = self.location.clone();
        self.client
            .get_mut()
            .execute(
                "INSERT INTO silences (id, starts_at_ms, ends_at_ms, doc) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (id) DO UPDATE SET starts_at_ms = excluded.starts_at_ms,
                   ends_at_ms = excluded.ends_at_ms, doc = excluded.doc",
                &[
                    &s.id,
                    &ms(s.starts_at),
                    &ms(s.ends_at),
                    &Json(json_value(&loc, s)?),
                ],
            )
            .map_err(|e| pg_error(&loc, e))?;
        Ok(())
    }

    pub(crate) fn pl_outbox(&self, pending_only: bool) -> Result<Vec<OutboxItem>> {
        let loc = &self.location;
        let rows = self
            .client
            .borrow_mut()
            .query(
                "SELECT seq, notification_id, sink, body, created_at_ms, attempts, next_attempt_at_ms,
                        delivered_at_ms, last_error
                 FROM outbox WHERE (NOT $1 OR delivered_at_ms IS NULL) ORDER BY seq",
                &[&pending_only],
            )
            .map_err(|e| pg_error(loc, e))?;
        rows.iter()
            .map(|r| {
                let attempts: i64 = get(loc, r, 5)?;
                let delivered: Option<i64> = get(loc, r, 7)?;
                Ok(OutboxItem {
                    seq: get(loc, r, 0)?,
                    notification_id: get(loc, r, 1)?,
                    sink: get(loc, r, 2)?,
                    body: get(loc, r, 3)?,
                    created_at: from_ms(loc, get(loc, r, 4)?)?,
                    attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
                    next_attempt_at: from_ms(loc, get(loc, r, 6)?)?,
                    delivered_at: delivered.map(|v| from_ms(loc, v)).transpose()?,
                    last_error: get(loc, r, 8)?,
                })
            })
            .collect()
    }

    pub(crate) fn pl_update_outbox(&mut self, items: &[OutboxItem]) -> Result<()> {
        let loc = self.location.clone();
        let e = |err| pg_error(&loc, err);
        let mut tx = self.client.get_mut().transaction().map_err(e)?;
        for i in items {
            tx.execute(
                "UPDATE outbox SET attempts = $2, next_attempt_at_ms = $3, delivered_at_ms = $4, last_error = $5
                 WHERE seq = $1",
                &[&i.seq, &i64::from(i.attempts), &ms(i.next_attempt_at), &i.delivered_at.map(ms), &i.last_error],
            )
            .map_err(e)?;
        }
        tx.commit().map_err(e)
    }

    pub(crate) fn pl_save_kpis(&mut self, k: &Kpis) -> Result<()> {
        let loc = self.location.clone();
        self.client
            .get_mut()
            .execute(
                "INSERT INTO kpis (id, at_ms, doc) VALUES (1, $1, $2)
                 ON CONFLICT (id) DO UPDATE SET at_ms = excluded.at_ms, doc = excluded.doc",
                &[&ms(k.at), &Json(json_value(&loc, k)?)],
            )
            .map_err(|e| pg_error(&loc, e))?;
        Ok(())
    }

    pub(crate) fn pl_kpis(&self) -> Result<Option<Kpis>> {
        let mut v: Vec<Kpis> = docs(
            &mut *self.client.borrow_mut(),
            &self.location,
            "SELECT doc FROM kpis WHERE id = 1",
            &[],
        )?;
        Ok(v.pop())
    }

    pub(crate) fn pl_last_reports(
        &self,
        since: Timestamp,
        until: Timestamp,
    ) -> Result<Vec<(VesselId, Timestamp)>> {
        let loc = &self.location;
        let rows = self
            .client
            .borrow_mut()
            .query(
                "SELECT vessel_id, MAX(ts_ms) FROM positions WHERE ts_ms > $1 AND ts_ms <= $2
                 GROUP BY vessel_id ORDER BY vessel_id COLLATE \"C\"",
                &[&ms(since), &ms(until)],
            )
            .map_err(|e| pg_error(loc, e))?;
        rows.iter()
            .map(|r| {
                Ok((
                    VesselId::new(get::<String>(loc, r, 0)?),
                    from_ms(loc, get(loc, r, 1)?)?,
                ))
            })
            .collect()
    }

    pub(crate) fn pl_cycles_ending_between(
        &self,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<CycleKey>> {
        let loc = &self.location;
        let rows = self
            .client
            .borrow_mut()
            .query(
                "SELECT window_start_ms, window_end_ms FROM cycles WHERE window_end_ms >= $1 AND window_end_ms < $2
                 ORDER BY window_end_ms, window_start_ms",
                &[&ms(from), &ms(to)],
            )
            .map_err(|e| pg_error(loc, e))?;
        rows.iter()
            .map(|r| {
                Ok(CycleKey {
                    window_start: from_ms(loc, get(loc, r, 0)?)?,
                    window_end: from_ms(loc, get(loc, r, 1)?)?,
                })
            })
            .collect()
    }

    pub(crate) fn pl_save_stats(
        &mut self,
        hourly: &[HourlyStats],
        daily: &[DailyStats],
        monthly: &[MonthlyStats],
    ) -> Result<()> {
        let loc = self.location.clone();
        let mut tx = self
            .client
            .get_mut()
            .transaction()
            .map_err(|e| pg_error(&loc, e))?;
        save_buckets(
            &mut tx,
            &loc,
            "stats_hourly",
            hourly
                .iter()
                .map(|h| (h.bucket.start, h.bucket.end, h.bucket.label.clone(), h)),
        )?;
        save_buckets(
            &mut tx,
            &loc,
            "stats_daily",
            daily
                .iter()
                .map(|h| (h.bucket.start, h.bucket.end, h.bucket.label.clone(), h)),
        )?;
        save_buckets(
            &mut tx,
            &loc,
            "stats_monthly",
            monthly
                .iter()
                .map(|h| (h.bucket.start, h.bucket.end, h.bucket.label.clone(), h)),
        )?;
        tx.commit().map_err(|e| pg_error(&loc, e))
    }

    pub(crate) fn pl_stats<T: serde::de::DeserializeOwned>(
        &self,
        table: &str,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<T>> {
        docs(
            &mut *self.client.borrow_mut(),
            &self.location,
            &format!(
                "SELECT doc FROM {table} WHERE start_ms >= $1 AND start_ms < $2 ORDER BY start_ms"
            ),
            &[&ms(from), &ms(to)],
        )
    }
}
