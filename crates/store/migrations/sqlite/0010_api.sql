-- Lookout schema (SQLite), helper api: what the HTTP API's lists filter on in SQL.
-- The vessels of each event with its episode's span (the vessel and box filters), filled
-- from the stored events and kept by every event write.
CREATE TABLE event_vessels (
    vessel_id         TEXT NOT NULL,
    event_id          TEXT NOT NULL REFERENCES events (id),
    episode_start_ms  INTEGER NOT NULL,
    episode_end_ms    INTEGER NOT NULL,
    PRIMARY KEY (vessel_id, event_id)
);
CREATE INDEX event_vessels_event ON event_vessels (event_id);
INSERT INTO event_vessels (vessel_id, event_id, episode_start_ms, episode_end_ms)
SELECT DISTINCT v.value, e.id,
       CAST(ROUND((julianday(json_extract(e.doc, '$.episode_start')) - 2440587.5) * 86400000.0) AS INTEGER),
       CAST(ROUND((julianday(json_extract(e.doc, '$.episode_end')) - 2440587.5) * 86400000.0) AS INTEGER)
FROM events e, json_each(e.doc, '$.vessels') v;
CREATE INDEX events_level ON events (level);
CREATE INDEX findings_vessel ON findings (vessel_id, start_ms);
-- The API's live stream (`/api/v1/stream`), numbered so a client resumes after the last
-- number it saw (`Last-Event-ID`).
CREATE TABLE stream_log (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,
    kind     TEXT NOT NULL,
    at_ms    INTEGER NOT NULL,
    payload  TEXT NOT NULL
);
