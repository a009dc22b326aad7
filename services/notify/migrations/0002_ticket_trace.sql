-- The trace of the request that issued a ticket, so the "issued" message continues it
-- whichever of its pieces (ticket, hand-off, estimate) arrives last.
ALTER TABLE tickets ADD COLUMN trace_context jsonb NOT NULL DEFAULT '{}'::jsonb;
