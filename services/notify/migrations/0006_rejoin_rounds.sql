-- A ticket that was missed (ticket.no_show) and came back (TUNDA) is called again with the
-- same ticket id and, since ticketing does not reset its recall count, the same recall
-- number. Each no-show starts a new "round" so that call is a new cause (a new "Loket N"
-- message) and the ticket counts as waiting again (few-ahead, estimate changes).
CREATE TABLE ticket_rounds (
    ticket_id uuid    PRIMARY KEY,
    round     integer NOT NULL
);

ALTER TABLE calls ADD COLUMN round integer NOT NULL DEFAULT 0;
ALTER TABLE calls DROP CONSTRAINT calls_pkey;
ALTER TABLE calls ADD PRIMARY KEY (ticket_id, round, recall);
