-- Lookout schema (PostgreSQL), helper api: what the HTTP API's lists filter on in SQL.
-- The vessels of each event with its episode's span (the vessel and box filters), filled
-- from the stored events and kept by every event write.
CREATE TABLE event_vessels (
    vessel_id         TEXT COLLATE "C" NOT NULL,
    event_id          TEXT NOT NULL REFERENCES events (id),
    episode_start_ms  BIGINT NOT NULL,
    episode_end_ms    BIGINT NOT NULL,
    PRIMARY KEY (vessel_id, event_id)
);
CREATE INDEX event_vessels_event ON event_vessels (event_id);
INSERT INTO event_vessels (vessel_id, event_id, episode_start_ms, episode_end_ms)
SELECT DISTINCT v, e.id,
       CAST(ROUND(EXTRACT(EPOCH FROM CAST(e.doc->>'episode_start' AS TIMESTAMPTZ)) * 1000) AS BIGINT),
       CAST(ROUND(EXTRACT(EPOCH FROM CAST(e.doc->>'episode_end' AS TIMESTAMPTZ)) * 1000) AS BIGINT)
FROM events e, jsonb_array_elements_text(e.doc->'vessels') AS v;
CREATE INDEX events_level ON events (level);
CREATE INDEX findings_vessel ON findings (vessel_id, start_ms);
-- The API's live stream (`/api/v1/stream`), numbered so a client resumes after the last
-- number it saw (`Last-Event-ID`).
CREATE TABLE stream_log (
    seq      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind     TEXT NOT NULL,
    at_ms    BIGINT NOT NULL,
    payload  JSONB NOT NULL
);
