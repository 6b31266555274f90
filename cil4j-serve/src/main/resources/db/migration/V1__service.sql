-- cil serve's schema. Portable between SQLite and PostgreSQL: text ids made by the service,
-- times as epoch milliseconds, flags as integers, JSON documents as text.

CREATE TABLE tokens (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    hash        TEXT NOT NULL UNIQUE,   -- SHA-256 of the secret; the secret is never stored
    scope       TEXT NOT NULL,          -- predict | write | admin
    created_at  BIGINT NOT NULL,
    revoked     INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE classifiers (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL UNIQUE,
    spec            TEXT NOT NULL,      -- method, model, recipe, budget, gate (JSON)
    created_at      BIGINT NOT NULL,
    active_version  INTEGER,
    next_class_id   INTEGER NOT NULL DEFAULT 0
);

-- Class ids are stable: never changed, never reused. head_index is the class's place in the
-- network's output, given when a phase first learns the class.
CREATE TABLE classes (
    classifier_id  TEXT NOT NULL,
    id             INTEGER NOT NULL,
    name           TEXT NOT NULL,
    head_index     INTEGER,
    forgotten      INTEGER NOT NULL DEFAULT 0,
    created_at     BIGINT NOT NULL,
    PRIMARY KEY (classifier_id, id)
);
CREATE UNIQUE INDEX classes_by_name ON classes (classifier_id, name);

-- One row per stored sample; its pixels are the blob named by hash.
-- state: pending (uploaded, not learned) | training (in a running phase) | kept (exemplar or
-- validation sample kept after a phase). split: train | val (given when a phase starts).
CREATE TABLE samples (
    id             TEXT PRIMARY KEY,
    classifier_id  TEXT NOT NULL,
    class_id       INTEGER NOT NULL,
    blob           TEXT NOT NULL,
    bytes          BIGINT NOT NULL,
    source_id      TEXT,
    expires_at     BIGINT,
    state          TEXT NOT NULL,
    split          TEXT,
    keep_rank      INTEGER,
    job_id         TEXT,
    trained_from   INTEGER,
    trained_until  INTEGER,
    created_at     BIGINT NOT NULL
);
CREATE INDEX samples_by_state ON samples (classifier_id, state);
CREATE INDEX samples_by_source ON samples (classifier_id, source_id);
CREATE INDEX samples_by_expiry ON samples (expires_at);
CREATE INDEX samples_by_blob ON samples (blob);

CREATE TABLE versions (
    classifier_id  TEXT NOT NULL,
    num            INTEGER NOT NULL,
    job_id         TEXT NOT NULL,
    classes        INTEGER NOT NULL,
    heads          TEXT NOT NULL,       -- JSON: classes per phase, in head order
    metrics        TEXT NOT NULL,       -- JSON: accuracy matrix, gate decision
    provenance     TEXT NOT NULL,       -- JSON: method, params, samples, normalization
    dir            TEXT NOT NULL,
    bytes          BIGINT NOT NULL,
    created_at     BIGINT NOT NULL,
    PRIMARY KEY (classifier_id, num)
);

CREATE TABLE jobs (
    id             TEXT PRIMARY KEY,
    classifier_id  TEXT NOT NULL,
    state          TEXT NOT NULL,       -- queued | running | done | failed
    progress       TEXT,
    error          TEXT,
    version        INTEGER,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);

CREATE TABLE erasures (
    id             TEXT PRIMARY KEY,
    classifier_id  TEXT NOT NULL,
    source_id      TEXT NOT NULL,
    state          TEXT NOT NULL,       -- pending | done
    receipt        TEXT,
    token_id       TEXT,
    created_at     BIGINT NOT NULL
);

-- What was deleted, when, by whom, how many: never the data.
CREATE TABLE audit (
    id             TEXT PRIMARY KEY,
    at             BIGINT NOT NULL,
    classifier_id  TEXT,
    action         TEXT NOT NULL,
    token_id       TEXT,
    count          INTEGER NOT NULL,
    detail         TEXT
);
