-- Lookout schema v3 (SQLite): the output pipeline (issue 6). Rich values are kept as
-- canonical JSON documents (`doc`) next to the columns queries filter and order on.

-- Events: one row per fingerprint; `doc` is the event without its history.
CREATE TABLE events (
    id              TEXT PRIMARY KEY,
    category        TEXT NOT NULL,
    status          TEXT NOT NULL,
    level           TEXT NOT NULL,
    occurred_at_ms  INTEGER NOT NULL,
    last_seen_ms    INTEGER NOT NULL,
    doc             TEXT NOT NULL
);
CREATE INDEX events_occurred ON events (occurred_at_ms);
CREATE INDEX events_status ON events (status);

-- Cycle windows currently reporting an event (withdrawal looks events up by window).
CREATE TABLE event_windows (
    event_id         TEXT NOT NULL REFERENCES events (id),
    window_start_ms  INTEGER NOT NULL,
    window_end_ms    INTEGER NOT NULL,
    PRIMARY KEY (event_id, window_start_ms, window_end_ms)
);
CREATE INDEX event_windows_window ON event_windows (window_start_ms, window_end_ms);

-- Every lifecycle step and pipeline note of an event, oldest first.
CREATE TABLE event_history (
    event_id     TEXT NOT NULL REFERENCES events (id),
    seq          INTEGER NOT NULL,
    from_status  TEXT,
    to_status    TEXT NOT NULL,
    actor        TEXT NOT NULL,
    at_ms        INTEGER NOT NULL,
    note         TEXT NOT NULL,
    PRIMARY KEY (event_id, seq)
);

-- What was done when an event was enforced.
CREATE TABLE enforcements (
    event_id  TEXT NOT NULL REFERENCES events (id),
    seq       INTEGER NOT NULL,
    action    TEXT NOT NULL,
    actor     TEXT NOT NULL,
    at_ms     INTEGER NOT NULL,
    note      TEXT NOT NULL,
    PRIMARY KEY (event_id, seq)
);
CREATE INDEX enforcements_at ON enforcements (at_ms);

-- The alert dispatcher's state: every alert ever made (with the silences that held
-- it, in `doc`) and the live aggregation groups.
CREATE TABLE alerts (
    fingerprint    TEXT PRIMARY KEY,
    event_id       TEXT NOT NULL,
    status         TEXT NOT NULL,
    starts_at_ms   INTEGER NOT NULL,
    doc            TEXT NOT NULL
);
CREATE TABLE alert_groups (
    group_key  TEXT PRIMARY KEY,
    doc        TEXT NOT NULL
);

CREATE TABLE silences (
    id            TEXT PRIMARY KEY,
    starts_at_ms  INTEGER NOT NULL,
    ends_at_ms    INTEGER NOT NULL,
    doc           TEXT NOT NULL
);

-- Notifications waiting for (or done with) delivery, one row per sink.
CREATE TABLE outbox (
    seq                 INTEGER PRIMARY KEY,
    notification_id     TEXT NOT NULL,
    sink                TEXT NOT NULL,
    body                TEXT NOT NULL,
    created_at_ms       INTEGER NOT NULL,
    attempts            INTEGER NOT NULL,
    next_attempt_at_ms  INTEGER NOT NULL,
    delivered_at_ms     INTEGER,
    last_error          TEXT,
    UNIQUE (notification_id, sink)
);

-- The latest KPI snapshot (one row).
CREATE TABLE kpis (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    at_ms  INTEGER NOT NULL,
    doc    TEXT NOT NULL
);

-- Statistics per bucket [start, end) in the configured zone, replaced on recompute.
CREATE TABLE stats_hourly (
    start_ms  INTEGER PRIMARY KEY,
    end_ms    INTEGER NOT NULL,
    label     TEXT NOT NULL,
    doc       TEXT NOT NULL
);
CREATE TABLE stats_daily (
    start_ms  INTEGER PRIMARY KEY,
    end_ms    INTEGER NOT NULL,
    label     TEXT NOT NULL,
    doc       TEXT NOT NULL
);
CREATE TABLE stats_monthly (
    start_ms  INTEGER PRIMARY KEY,
    end_ms    INTEGER NOT NULL,
    label     TEXT NOT NULL,
    doc       TEXT NOT NULL
);
