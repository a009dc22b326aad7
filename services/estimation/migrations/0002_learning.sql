-- Learning pass: opening hours, travel times, learned moments, last estimate sent per ticket.

ALTER TABLE sites ADD COLUMN hours jsonb;
ALTER TABLE sites ADD COLUMN closed_dates text[] NOT NULL DEFAULT '{}';
ALTER TABLE services ADD COLUMN hours jsonb;
ALTER TABLE tickets ADD COLUMN travel_minutes integer;

-- Running moments (count, sum, sum of squares) of what the hall teaches, per service, measure
-- (occupancy_min, no_show, no_show_delay_min, cancel) and scope ("all", "counter:<id>", "hour:09").
CREATE TABLE learned_moments (
    service_id uuid             NOT NULL,
    measure    text             NOT NULL,
    scope      text             NOT NULL,
    count      double precision NOT NULL,
    total      double precision NOT NULL,
    total_sq   double precision NOT NULL,
    PRIMARY KEY (service_id, measure, scope)
);

-- The last ticket.estimated sent per ticket: the next one goes out only on a visible change.
CREATE TABLE last_estimates (
    ticket_id uuid PRIMARY KEY,
    call_p50  timestamptz NOT NULL,
    arrive_by timestamptz NOT NULL
);

-- The band stretch in force at each prediction, to recover the model's own band at the call.
ALTER TABLE predictions ADD COLUMN upper_stretch double precision NOT NULL DEFAULT 1.0;
ALTER TABLE predictions ADD COLUMN lower_stretch double precision NOT NULL DEFAULT 1.0;

-- Counters busy with a called or served ticket.
CREATE INDEX tickets_at_counter ON tickets (counter_id) WHERE status IN ('called', 'serving');
