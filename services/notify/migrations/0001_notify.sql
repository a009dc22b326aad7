-- Notify's own tables. Phone numbers are never stored in clear: *_phone columns hold
-- AES-256-GCM ciphertext (12-byte nonce || ciphertext || tag, bound to the row by its
-- associated data) and *_phone_hash an HMAC-SHA256 for lookups by phone.

-- What the registry says about sites, services and counters (names, timezone, documents),
-- kept as the registry API returns each entity.
CREATE TABLE registry_entities (
    entity      text        NOT NULL,
    id          uuid        NOT NULL,
    state       jsonb       NOT NULL,
    deleted     boolean     NOT NULL DEFAULT false,
    changed_at  timestamptz NOT NULL,
    PRIMARY KEY (entity, id)
);

-- Tickets as issued by ticketing; kept whether or not they have a recipient, because the
-- phone hand-off and the events arrive in any order.
CREATE TABLE tickets (
    ticket_id      uuid        PRIMARY KEY,
    site_id        uuid        NOT NULL,
    service_id     uuid        NOT NULL,
    number         text        NOT NULL,
    issued_at      timestamptz NOT NULL,
    travel_minutes integer,
    issue_due_at   timestamptz NOT NULL
);

-- The latest estimate for each ticket (ticket.estimated).
CREATE TABLE estimates (
    ticket_id  uuid        PRIMARY KEY,
    service_id uuid        NOT NULL,
    position   integer     NOT NULL,
    call_p10   timestamptz NOT NULL,
    call_p50   timestamptz NOT NULL,
    call_p90   timestamptz NOT NULL,
    arrive_by  timestamptz NOT NULL,
    at         timestamptz NOT NULL
);

-- Calls and recalls (counter.called), so a hand-off that arrives late still finds them.
CREATE TABLE calls (
    ticket_id    uuid        NOT NULL,
    recall       integer     NOT NULL,
    counter_id   uuid        NOT NULL,
    service_id   uuid        NOT NULL,
    number       text,
    counter_name text,
    called_at    timestamptz NOT NULL,
    PRIMARY KEY (ticket_id, recall)
);

-- The phone hand-off from ticketing: who to tell about a ticket.
CREATE TABLE recipients (
    ticket_id  uuid        PRIMARY KEY,
    site_id    uuid        NOT NULL,
    phone      bytea       NOT NULL,
    phone_hash bytea       NOT NULL,
    locale     text        NOT NULL CHECK (locale IN ('id', 'en')),
    created_at timestamptz NOT NULL
);
CREATE INDEX recipients_by_phone ON recipients (phone_hash);

-- One row per message to send; cause_key makes a cause send at most one message.
CREATE TABLE outbound_messages (
    id              uuid        PRIMARY KEY,
    seq             bigint      GENERATED ALWAYS AS IDENTITY,
    cause_key       text        NOT NULL UNIQUE,
    kind            text        NOT NULL,
    ticket_id       uuid,
    site_id         uuid,
    locale          text        NOT NULL,
    body            text        NOT NULL,
    phone           bytea       NOT NULL,
    phone_hash      bytea       NOT NULL,
    trace_context   jsonb       NOT NULL DEFAULT '{}'::jsonb,  -- W3C headers of what caused it
    status          text        NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'expired')),
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    lease_until     timestamptz,
    expires_at      timestamptz NOT NULL,
    wamid           text,
    delivery_status text CHECK (delivery_status IN ('sent', 'delivered', 'read', 'failed')),
    error_code      integer,
    error_title     text,
    created_at      timestamptz NOT NULL,
    sent_at         timestamptz,
    delivered_at    timestamptz,
    read_at         timestamptz,
    failed_at       timestamptz
);
CREATE INDEX outbound_due ON outbound_messages (next_attempt_at) WHERE status IN ('pending', 'sending');
CREATE INDEX outbound_by_ticket ON outbound_messages (ticket_id, seq);
CREATE INDEX outbound_by_wamid ON outbound_messages (wamid);

-- Messages citizens sent us, once per WhatsApp message id (Meta retries webhooks).
CREATE TABLE inbound_messages (
    wamid       text        PRIMARY KEY,
    phone       bytea       NOT NULL,
    phone_hash  bytea       NOT NULL,
    kind        text        NOT NULL,
    text        text,
    sent_at     timestamptz NOT NULL,
    received_at timestamptz NOT NULL
);
CREATE INDEX inbound_by_phone ON inbound_messages (phone_hash, sent_at);

-- Delivery status callbacks, once per (wamid, status).
CREATE TABLE delivery_statuses (
    wamid       text        NOT NULL,
    status      text        NOT NULL,
    at          timestamptz NOT NULL,
    error_code  integer,
    error_title text,
    received_at timestamptz NOT NULL,
    PRIMARY KEY (wamid, status)
);
