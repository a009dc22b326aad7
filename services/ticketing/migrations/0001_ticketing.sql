-- Ticketing's own database. The outbox and inbox tables come from antre_platform.

-- Read model of the registry, fed by registry.changed. A deleted entity stays as a
-- tombstone (deleted = true) because earlier tickets still name it. `state` keeps the
-- entity exactly as the registry sent it, for fields this service does not use yet.
CREATE TABLE sites (
    id          uuid PRIMARY KEY,
    code        text        NOT NULL,
    name        text        NOT NULL,
    timezone    text        NOT NULL,
    active      boolean     NOT NULL,
    deleted     boolean     NOT NULL DEFAULT false,
    state       jsonb       NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE services (
    id               uuid PRIMARY KEY,
    site_id          uuid        NOT NULL,
    agency_id        uuid        NOT NULL,
    code             text        NOT NULL,
    prefix           text        NOT NULL,
    name_id          text        NOT NULL,
    name_en          text        NOT NULL,
    daily_quota      integer,
    priority_enabled boolean     NOT NULL,
    active           boolean     NOT NULL,
    deleted          boolean     NOT NULL DEFAULT false,
    state            jsonb       NOT NULL,
    updated_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE counters (
    id          uuid PRIMARY KEY,
    site_id     uuid        NOT NULL,
    agency_id   uuid        NOT NULL,
    name        text        NOT NULL,
    service_ids uuid[]      NOT NULL,
    active      boolean     NOT NULL,
    deleted     boolean     NOT NULL DEFAULT false,
    state       jsonb       NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE journeys (
    id          uuid PRIMARY KEY,
    site_id     uuid        NOT NULL,
    code        text        NOT NULL,
    name_id     text        NOT NULL,
    name_en     text        NOT NULL,
    steps       uuid[]      NOT NULL,
    active      boolean     NOT NULL,
    deleted     boolean     NOT NULL DEFAULT false,
    state       jsonb       NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Whether a counter is open. Its row is also the lock that runs one counter's actions
-- one at a time.
CREATE TABLE counter_desks (
    counter_id  uuid PRIMARY KEY,
    status      text NOT NULL DEFAULT 'closed' CHECK (status IN ('open', 'closed')),
    changed_at  timestamptz
);

-- The last number issued per service and local day, incremented in place (atomic).
CREATE TABLE daily_sequences (
    service_id  uuid    NOT NULL,
    day         date    NOT NULL,
    last_seq    integer NOT NULL,
    PRIMARY KEY (service_id, day)
);

CREATE TABLE tickets (
    id             uuid PRIMARY KEY,
    issue_order    bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    site_id        uuid        NOT NULL,
    service_id     uuid        NOT NULL,
    agency_id      uuid        NOT NULL,
    day            date        NOT NULL,
    seq            integer     NOT NULL,
    number         text        NOT NULL,
    channel        text        NOT NULL,
    priority       text        NOT NULL,
    -- 0 for the priority classes, 1 for regular: the first key of the waiting line.
    priority_rank  smallint    NOT NULL,
    access_token   text        NOT NULL UNIQUE,
    issued_at      timestamptz NOT NULL,
    locale         text        NOT NULL,
    travel_minutes integer,
    status         text        NOT NULL CHECK (status IN
                       ('waiting', 'called', 'serving', 'done', 'no_show', 'cancelled', 'transferred')),
    counter_id     uuid,
    called_at      timestamptz,
    started_at     timestamptz,
    finished_at    timestamptz,
    UNIQUE (service_id, day, seq)
);
CREATE INDEX tickets_waiting_line ON tickets (service_id, day, priority_rank, issued_at, issue_order)
    WHERE status = 'waiting';
-- A counter handles one ticket at a time, whatever the application does.
CREATE UNIQUE INDEX tickets_one_per_counter ON tickets (counter_id) WHERE status IN ('called', 'serving');

-- Idempotency-Key -> the ticket it issued. The fingerprint is an HMAC of the request (it
-- holds the phone number, which must not be recoverable from this database).
CREATE TABLE idempotency_keys (
    key         text PRIMARY KEY,
    fingerprint text        NOT NULL,
    ticket_id   uuid        NOT NULL REFERENCES tickets (id) DEFERRABLE INITIALLY DEFERRED,
    created_at  timestamptz NOT NULL
);

-- A phone number sealed to notify's public key, kept only until notify has it.
CREATE TABLE recipient_handoff (
    ticket_id       uuid PRIMARY KEY REFERENCES tickets (id),
    site_id         uuid        NOT NULL,
    sealed_phone    text        NOT NULL,
    locale          text        NOT NULL,
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX recipient_handoff_due ON recipient_handoff (next_attempt_at);
