-- Beyond the head of a line, each change of the queue re-checks the next few waiting tickets
-- after this cursor (the sort key of the last one checked), wrapping round: every ticket is
-- re-checked within a bounded number of events, however long the line.
CREATE TABLE sweep_cursors (
    service_id uuid        PRIMARY KEY,
    queue_rank integer     NOT NULL,
    issued_at  timestamptz NOT NULL,
    ticket_id  uuid        NOT NULL
);
