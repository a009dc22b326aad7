-- The leave-home reminder: one durable row per ticket, due at arrive_by minus the travel
-- time, moved by newer estimates until it fires; fired_at makes it fire once, across restarts.
CREATE TABLE reminders (
    ticket_id uuid        PRIMARY KEY,
    due_at    timestamptz NOT NULL,
    fired_at  timestamptz
);
CREATE INDEX reminders_due ON reminders (due_at) WHERE fired_at IS NULL;
