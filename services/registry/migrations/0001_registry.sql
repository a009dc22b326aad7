-- The registry: what an MPP offers, where and by whom. Codes and prefixes are stored
-- upper-case (the API normalises them), so plain UNIQUE constraints are case-insensitive.

CREATE TABLE sites (
    id           uuid        PRIMARY KEY,
    code         text        NOT NULL CONSTRAINT sites_code_key UNIQUE,
    name         text        NOT NULL,
    kind         text        NOT NULL CHECK (kind IN ('mpp', 'outreach')),
    timezone     text        NOT NULL,
    address      text,
    motto        text,
    hours        jsonb       NOT NULL DEFAULT '{}'::jsonb,
    closed_dates date[]      NOT NULL DEFAULT '{}',
    active       boolean     NOT NULL DEFAULT true,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL
);

CREATE TABLE agencies (
    id         uuid        PRIMARY KEY,
    code       text        NOT NULL CONSTRAINT agencies_code_key UNIQUE,
    name       text        NOT NULL,
    active     boolean     NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);

CREATE TABLE services (
    id               uuid             PRIMARY KEY,
    site_id          uuid             NOT NULL REFERENCES sites (id),
    agency_id        uuid             NOT NULL REFERENCES agencies (id),
    code             text             NOT NULL,
    prefix           text             NOT NULL,
    name_id          text             NOT NULL,
    name_en          text             NOT NULL,
    mean_service_min double precision NOT NULL CHECK (mean_service_min > 0),
    daily_quota      integer          NOT NULL CHECK (daily_quota > 0),
    documents_id     text[]           NOT NULL DEFAULT '{}',
    documents_en     text[]           NOT NULL DEFAULT '{}',
    -- NULL: the service keeps its site's opening hours.
    hours            jsonb,
    priority_enabled boolean          NOT NULL DEFAULT true,
    active           boolean          NOT NULL DEFAULT true,
    created_at       timestamptz      NOT NULL,
    updated_at       timestamptz      NOT NULL,
    CONSTRAINT services_site_code_key UNIQUE (site_id, code),
    -- Ticket numbers are <prefix>-<NNN> per site: two services sharing a prefix would
    -- make "A-023" ambiguous on the hall's display board.
    CONSTRAINT services_site_prefix_key UNIQUE (site_id, prefix)
);
CREATE INDEX services_agency_id ON services (agency_id);

CREATE TABLE counters (
    id         uuid        PRIMARY KEY,
    site_id    uuid        NOT NULL REFERENCES sites (id),
    agency_id  uuid        NOT NULL REFERENCES agencies (id),
    name       text        NOT NULL,
    active     boolean     NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    -- Calls are announced by counter name ("A-023 ke Loket 3"): one name, one place.
    CONSTRAINT counters_site_name_key UNIQUE (site_id, name)
);
CREATE INDEX counters_agency_id ON counters (agency_id);

CREATE TABLE counter_services (
    counter_id uuid    NOT NULL REFERENCES counters (id) ON DELETE CASCADE,
    service_id uuid    NOT NULL REFERENCES services (id),
    position   integer NOT NULL,
    PRIMARY KEY (counter_id, service_id)
);
CREATE INDEX counter_services_service_id ON counter_services (service_id);

CREATE TABLE journeys (
    id         uuid        PRIMARY KEY,
    site_id    uuid        NOT NULL REFERENCES sites (id),
    code       text        NOT NULL,
    name_id    text        NOT NULL,
    name_en    text        NOT NULL,
    kind       text        NOT NULL,
    active     boolean     NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    CONSTRAINT journeys_site_code_key UNIQUE (site_id, code)
);

CREATE TABLE journey_steps (
    journey_id uuid    NOT NULL REFERENCES journeys (id) ON DELETE CASCADE,
    step_no    integer NOT NULL,
    service_id uuid    NOT NULL REFERENCES services (id),
    PRIMARY KEY (journey_id, step_no)
);
CREATE INDEX journey_steps_service_id ON journey_steps (service_id);

-- Only a hash of each key is kept; the visible prefix lets people tell keys apart
-- (and find a leaked one) without the key itself ever being stored.
CREATE TABLE agency_api_keys (
    id         uuid        PRIMARY KEY,
    agency_id  uuid        NOT NULL REFERENCES agencies (id),
    prefix     text        NOT NULL CONSTRAINT agency_api_keys_prefix_key UNIQUE,
    key_hash   text        NOT NULL CONSTRAINT agency_api_keys_key_hash_key UNIQUE,
    label      text,
    created_at timestamptz NOT NULL,
    revoked_at timestamptz
);
CREATE INDEX agency_api_keys_agency_id ON agency_api_keys (agency_id);

CREATE TABLE audit_log (
    id        bigserial   PRIMARY KEY,
    at        timestamptz NOT NULL,
    actor     text        NOT NULL,
    action    text        NOT NULL,
    entity    text        NOT NULL,
    entity_id uuid        NOT NULL,
    before    jsonb,
    after     jsonb
);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id, id);
