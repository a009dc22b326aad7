-- The WhatsApp conversation (issue #6).

-- One row per citizen (by phone lookup hash): language, opt-out, a pending survey and the
-- last inbound message, which opens WhatsApp's 24-hour customer-service window.
CREATE TABLE conversations (
    phone_hash       bytea       PRIMARY KEY,
    locale           text        NOT NULL DEFAULT 'id' CHECK (locale IN ('id', 'en')),
    opted_out        boolean     NOT NULL DEFAULT false,
    survey_ticket_id uuid,
    last_inbound_at  timestamptz,
    updated_at       timestamptz NOT NULL
);

-- The latest queue.forecast per service: the menu shows each service's expected wait
-- without asking estimation on every message.
CREATE TABLE forecasts (
    service_id    uuid             PRIMARY KEY,
    waiting       integer          NOT NULL,
    open_counters integer          NOT NULL,
    wait_p50      double precision NOT NULL,
    wait_p90      double precision NOT NULL,
    at            timestamptz      NOT NULL
);

-- Tickets a citizen took through the conversation, with ticketing's access token (needed for
-- STATUS, BATAL and TUNDA) encrypted like phones are, bound to the ticket.
CREATE TABLE citizen_tickets (
    ticket_id    uuid        PRIMARY KEY,
    phone_hash   bytea       NOT NULL,
    service_id   uuid        NOT NULL,
    number       text        NOT NULL,
    access_token bytea       NOT NULL,
    created_at   timestamptz NOT NULL
);
CREATE INDEX citizen_tickets_by_phone ON citizen_tickets (phone_hash, created_at DESC);

-- What a message asked of other services (take a ticket, cancel, ...), recorded with the
-- message and carried out by a worker: it survives a restart, and ticketing's
-- Idempotency-Key (the message id) keeps a retried action to one ticket.
CREATE TABLE conversation_actions (
    wamid           text        PRIMARY KEY,
    phone           bytea       NOT NULL,
    phone_hash      bytea       NOT NULL,
    action          jsonb       NOT NULL,
    locale          text        NOT NULL,
    status          text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'done')),
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    lease_until     timestamptz,
    created_at      timestamptz NOT NULL
);
CREATE INDEX conversation_actions_due ON conversation_actions (next_attempt_at) WHERE status <> 'done';

-- Interactive messages (lists, reply buttons) keep the Cloud API 'interactive' object here;
-- body stays a plain-text rendering for the notifications API.
ALTER TABLE outbound_messages ADD COLUMN interactive jsonb;

-- The sender keeps one citizen's messages in order; this finds the earlier unsent ones.
CREATE INDEX outbound_unsent_by_phone ON outbound_messages (phone_hash, seq) WHERE status IN ('pending', 'sending');

-- The approved template sent instead when the 24-hour window is closed.
ALTER TABLE outbound_messages ADD COLUMN template jsonb;
