-- Issue #3: agency keys record when they were last used; counter officers get staff tokens.
ALTER TABLE agency_api_keys ADD COLUMN last_used_at timestamptz;

-- A staff token lets one counter's officer read that counter; like agency keys, only a
-- hash is kept next to a visible prefix.
CREATE TABLE staff_tokens (
    id           uuid        PRIMARY KEY,
    counter_id   uuid        NOT NULL REFERENCES counters (id) ON DELETE CASCADE,
    agency_id    uuid        NOT NULL REFERENCES agencies (id),
    prefix       text        NOT NULL CONSTRAINT staff_tokens_prefix_key UNIQUE,
    token_hash   text        NOT NULL CONSTRAINT staff_tokens_token_hash_key UNIQUE,
    label        text,
    created_at   timestamptz NOT NULL,
    last_used_at timestamptz,
    revoked_at   timestamptz
);
CREATE INDEX staff_tokens_counter_id ON staff_tokens (counter_id);

-- GET /v1/audit?since= reads the log in time order.
CREATE INDEX audit_log_at ON audit_log (at, id);
