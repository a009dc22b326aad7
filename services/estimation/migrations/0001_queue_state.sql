-- Estimation's projection of the registry and the queue: what a prediction needs.

-- Sites: only their timezone, so times read as the hall's clock shows them.
CREATE TABLE sites (
    id       uuid PRIMARY KEY,
    timezone text    NOT NULL,
    active   boolean NOT NULL DEFAULT true
);

-- Services: the prior mean service time (minutes) and whether priority classes go first.
CREATE TABLE services (
    id               uuid PRIMARY KEY,
    site_id          uuid             NOT NULL,
    mean_service_min double precision NOT NULL CHECK (mean_service_min > 0),
    priority_enabled boolean          NOT NULL DEFAULT true,
    active           boolean          NOT NULL DEFAULT true
);

-- Counters (loket): which services each serves and whether it is open now.
CREATE TABLE counters (
    id          uuid PRIMARY KEY,
    site_id     uuid    NOT NULL,
    service_ids uuid[]  NOT NULL DEFAULT '{}',
    status      text    NOT NULL DEFAULT 'closed' CHECK (status IN ('open', 'paused', 'closed')),
    active      boolean NOT NULL DEFAULT true
);
CREATE INDEX counters_open_by_service ON counters USING gin (service_ids)
    WHERE status = 'open' AND active;

-- Tickets: queue order (rank, issue time) while waiting; then the observed call, start and
-- finish times, which the learning pass fits service times to.
CREATE TABLE tickets (
    id          uuid PRIMARY KEY,
    site_id     uuid        NOT NULL,
    service_id  uuid        NOT NULL,
    priority    text        NOT NULL,
    queue_rank  smallint    NOT NULL,
    issued_at   timestamptz NOT NULL,
    status      text        NOT NULL CHECK (status IN
                ('waiting', 'called', 'serving', 'done', 'no_show', 'cancelled', 'transferred')),
    counter_id  uuid,
    called_at   timestamptz,
    started_at  timestamptz,
    finished_at timestamptz,
    closed_at   timestamptz
);
-- Position and waiting count read only this index: the cost follows one service's queue.
CREATE INDEX tickets_waiting_in_order ON tickets (service_id, queue_rank, issued_at, id)
    WHERE status = 'waiting';

-- What each ticket was promised when it joined a queue, and when it was really called.
CREATE TABLE predictions (
    ticket_id        uuid PRIMARY KEY,
    service_id       uuid             NOT NULL,
    site_id          uuid             NOT NULL,
    predicted_at     timestamptz      NOT NULL,
    position         integer          NOT NULL,
    open_counters    integer          NOT NULL,
    mean_service_min double precision NOT NULL,
    call_p10         timestamptz      NOT NULL,
    call_p50         timestamptz      NOT NULL,
    call_p90         timestamptz      NOT NULL,
    arrive_by        timestamptz      NOT NULL,
    called_at        timestamptz
);
CREATE INDEX predictions_by_service ON predictions (service_id);
