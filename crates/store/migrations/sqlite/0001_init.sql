-- Lookout schema v1 (SQLite). Times are UTC unix milliseconds; JSON is text.
CREATE TABLE vessels (
    vessel_id   TEXT PRIMARY KEY,
    id_is_mmsi  INTEGER NOT NULL,
    name        TEXT,
    call_sign   TEXT,
    imo         INTEGER,
    ship_type   INTEGER,
    length_m    REAL,
    width_m     REAL
);

-- The key makes re-ingesting the same report a no-op; two reports at the same
-- instant in different places (a shared MMSI) are both kept.
CREATE TABLE positions (
    vessel_id   TEXT NOT NULL REFERENCES vessels (vessel_id),
    ts_ms       INTEGER NOT NULL,
    lat         REAL NOT NULL,
    lon         REAL NOT NULL,
    sog         REAL,
    cog         REAL,
    heading     REAL,
    nav_status  INTEGER,
    PRIMARY KEY (vessel_id, ts_ms, lat, lon)
) WITHOUT ROWID;
CREATE INDEX positions_ts ON positions (ts_ms);

CREATE TABLE ingest_runs (
    id                  INTEGER PRIMARY KEY,
    source              TEXT NOT NULL,
    format              TEXT NOT NULL,
    started_at_ms       INTEGER NOT NULL,
    records_read        INTEGER NOT NULL,
    positions_inserted  INTEGER NOT NULL,
    rejects             TEXT NOT NULL
);

CREATE TABLE cycles (
    window_start_ms  INTEGER NOT NULL,
    window_end_ms    INTEGER NOT NULL,
    params           TEXT NOT NULL,
    stats            TEXT NOT NULL,
    PRIMARY KEY (window_start_ms, window_end_ms)
);

CREATE TABLE findings (
    window_start_ms  INTEGER NOT NULL,
    window_end_ms    INTEGER NOT NULL,
    seq              INTEGER NOT NULL,
    detector         TEXT NOT NULL,
    vessel_id        TEXT NOT NULL,
    start_ms         INTEGER NOT NULL,
    end_ms           INTEGER NOT NULL,
    score            INTEGER,
    level            TEXT NOT NULL,
    severity         TEXT NOT NULL,
    breakdown        TEXT NOT NULL,
    evidence         TEXT NOT NULL,
    PRIMARY KEY (window_start_ms, window_end_ms, seq),
    FOREIGN KEY (window_start_ms, window_end_ms) REFERENCES cycles (window_start_ms, window_end_ms)
);
CREATE INDEX findings_history ON findings (detector, vessel_id, start_ms);
