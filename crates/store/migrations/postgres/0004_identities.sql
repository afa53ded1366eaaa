-- Lookout schema v4 (PostgreSQL): identity history, the same logical table as
-- migrations/sqlite/0004. "Not reported" is '' (text) and 0 (numbers) so that key
-- columns are never NULL; text uses the "C" collation for SQLite's bytewise order.
CREATE TABLE vessel_identities (
    vessel_id      TEXT COLLATE "C" NOT NULL REFERENCES vessels (vessel_id),
    name           TEXT COLLATE "C" NOT NULL,
    call_sign      TEXT COLLATE "C" NOT NULL,
    imo            BIGINT NOT NULL,
    ship_type      INTEGER NOT NULL,
    first_seen_ms  BIGINT NOT NULL,
    last_seen_ms   BIGINT NOT NULL,
    reports        BIGINT NOT NULL,
    PRIMARY KEY (vessel_id, name, call_sign, imo, ship_type)
);
CREATE INDEX vessel_identities_last ON vessel_identities (last_seen_ms);
