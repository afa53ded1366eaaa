-- Lookout schema v5 (SQLite): crash-safe ingest (issue 14). One row per ingest in
-- progress, by source: created before the file's first position batch, counted up in
-- the transaction of each batch, and deleted in the one transaction that writes the
-- file's vessels, identity history and run record. A row left behind is an ingest that
-- was killed; the next ingest of the same source resumes it (see `Store::begin_ingest`).
CREATE TABLE ingest_journal (
    source              TEXT PRIMARY KEY,
    positions_inserted  INTEGER NOT NULL
);
