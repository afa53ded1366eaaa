-- Lookout schema v5 (PostgreSQL): bearer tokens of the HTTP API, the same logical table
-- as migrations/sqlite/0005. Only the SHA-256 of a token is stored.
CREATE TABLE api_tokens (
    id             TEXT COLLATE "C" PRIMARY KEY,
    name           TEXT NOT NULL,
    role           TEXT NOT NULL,
    hash           TEXT NOT NULL UNIQUE,
    created_at_ms  BIGINT NOT NULL,
    revoked_at_ms  BIGINT
);
