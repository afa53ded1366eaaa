-- Lookout schema v5 (SQLite): bearer tokens of the HTTP API (issue 17). Only the SHA-256
-- of a token is stored; the token itself is shown once, when created.
CREATE TABLE api_tokens (
    id             TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    role           TEXT NOT NULL,
    hash           TEXT NOT NULL UNIQUE,
    created_at_ms  INTEGER NOT NULL,
    revoked_at_ms  INTEGER
);
