-- Lookout schema v4 (SQLite): identity history (issue 7). One row per distinct identity
-- tuple a vessel reported, widened and counted again on every re-observation, so the
-- table grows with distinct identities, not with reports. "Not reported" is stored as
-- '' (text) and 0 (numbers) because key columns must not be NULL for the upsert to
-- find the row; the store maps them back to missing values.
CREATE TABLE vessel_identities (
    vessel_id      TEXT NOT NULL REFERENCES vessels (vessel_id),
    name           TEXT NOT NULL,
    call_sign      TEXT NOT NULL,
    imo            INTEGER NOT NULL,
    ship_type      INTEGER NOT NULL,
    first_seen_ms  INTEGER NOT NULL,
    last_seen_ms   INTEGER NOT NULL,
    reports        INTEGER NOT NULL,
    PRIMARY KEY (vessel_id, name, call_sign, imo, ship_type)
) WITHOUT ROWID;
-- Cycles load the rows whose time range overlaps their window; retention deletes by
-- last sighting.
CREATE INDEX vessel_identities_last ON vessel_identities (last_seen_ms);
