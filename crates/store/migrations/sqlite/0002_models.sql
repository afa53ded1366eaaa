-- Lookout schema v2 (SQLite): model registry, its audit trail, finding provenance.

-- One row per version of a model's params (the full effective JSON, never a diff).
CREATE TABLE model_versions (
    model          TEXT NOT NULL,
    version        INTEGER NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('DRAFT', 'ACTIVE', 'ARCHIVED')),
    params         TEXT NOT NULL,
    created_at_ms  INTEGER NOT NULL,
    created_by     TEXT NOT NULL,
    reason         TEXT NOT NULL,
    PRIMARY KEY (model, version)
);
-- Exactly one ACTIVE version per model, enforced here rather than trusted to callers.
CREATE UNIQUE INDEX model_versions_one_active ON model_versions (model) WHERE status = 'ACTIVE';

-- Every change to a model: what it was before, what it is after, who, when, why.
CREATE TABLE model_audit (
    id         INTEGER PRIMARY KEY,
    model      TEXT NOT NULL,
    version    INTEGER NOT NULL,
    action     TEXT NOT NULL,
    before     TEXT NOT NULL,
    after      TEXT NOT NULL,
    actor      TEXT NOT NULL,
    at_ms      INTEGER NOT NULL,
    reason     TEXT NOT NULL
);
CREATE INDEX model_audit_model ON model_audit (model, id);

-- Which rule, model version and params produced a finding (NULL for older rows).
ALTER TABLE findings ADD COLUMN rule_id TEXT;
ALTER TABLE findings ADD COLUMN model_version INTEGER;
ALTER TABLE findings ADD COLUMN params_hash TEXT;
