-- Lookout schema (SQLite), helper api: indexes in the orders the HTTP API's lists page in,
-- so a page reads its own rows (keyset) instead of sorting every matching row.
-- Events in id order, per status and per level (the list's filters); replaces the
-- single-column indexes of 0003 and 0010, which these cover.
DROP INDEX IF EXISTS events_status;
DROP INDEX IF EXISTS events_level;
CREATE INDEX events_status_id ON events (status, id);
CREATE INDEX events_level_id ON events (level, id);
CREATE INDEX events_category_id ON events (category, id);
-- A vessel's findings newest first (its detail) and a detector's in key order (the list);
-- replaces 0010's findings_vessel (vessel_id, start_ms).
DROP INDEX IF EXISTS findings_vessel;
CREATE INDEX findings_vessel_key ON findings (vessel_id, window_start_ms, window_end_ms, seq);
CREATE INDEX findings_detector_key ON findings (detector, window_start_ms, window_end_ms, seq);
-- A detector's findings of one vessel in key order (its current risk, the gaps along a track).
CREATE INDEX findings_detector_vessel_key ON findings (detector, vessel_id, window_start_ms, window_end_ms, seq);
-- The stream log is pruned by age.
CREATE INDEX stream_log_at ON stream_log (at_ms);
