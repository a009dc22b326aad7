-- The expected (mean) call time next to the band: the point estimate for squared error.
ALTER TABLE predictions ADD COLUMN call_mean timestamptz;
ALTER TABLE last_estimates ADD COLUMN call_mean timestamptz;

-- Journeys (alur): the ordered services a journey ticket moves through, from registry.changed.
CREATE TABLE journeys (
    id       uuid PRIMARY KEY,
    site_id  uuid    NOT NULL,
    steps    uuid[]  NOT NULL,
    active   boolean NOT NULL DEFAULT true
);

-- A journey ticket's journey and 1-based step (null for a ticket outside any journey).
ALTER TABLE tickets ADD COLUMN journey_id uuid;
ALTER TABLE tickets ADD COLUMN journey_step integer;
