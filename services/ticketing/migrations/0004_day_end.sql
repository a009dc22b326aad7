-- Tickets left waiting when their site's local day ends are cancelled by the system.

-- Who cancelled a ticket: 'citizen', 'staff', 'agency' or 'system' (the day ended); null for
-- tickets that are not cancelled, and for those cancelled before this migration.
ALTER TABLE tickets ADD COLUMN cancelled_by text
    CHECK (cancelled_by IN ('citizen', 'staff', 'agency', 'system'));

-- The day-end pass looks for a site's waiting tickets of earlier days; only waiting tickets
-- are indexed, so the index stays as small as the lines.
CREATE INDEX tickets_waiting_by_site_day ON tickets (site_id, day) WHERE status = 'waiting';
