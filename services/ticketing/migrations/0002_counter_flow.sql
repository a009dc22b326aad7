-- Issue #4: the full counter flow, the priority ratio, anti-tout limits, journeys and credentials.

-- A counter may pause (with a reason the board and the console show).
ALTER TABLE counter_desks DROP CONSTRAINT counter_desks_status_check;
ALTER TABLE counter_desks ADD CONSTRAINT counter_desks_status_check
    CHECK (status IN ('open', 'paused', 'closed'));
ALTER TABLE counter_desks ADD COLUMN pause_reason text;

-- queued_at is the ticket's place in line: issue time, or the rejoin time (TUNDA), or the
-- original ticket's place for a transfer that keeps it.
ALTER TABLE tickets ADD COLUMN queued_at timestamptz;
UPDATE tickets SET queued_at = issued_at;
ALTER TABLE tickets ALTER COLUMN queued_at SET NOT NULL;
ALTER TABLE tickets
    ADD COLUMN recalls        integer NOT NULL DEFAULT 0,
    ADD COLUMN no_show_at     timestamptz,
    ADD COLUMN rejoined       boolean NOT NULL DEFAULT false,
    ADD COLUMN cancelled_at   timestamptz,
    ADD COLUMN journey_id     uuid,
    ADD COLUMN journey_step   integer,
    -- Journey tickets only: the phone sealed to notify's key (ticketing cannot open it), so
    -- the next step's ticket can be handed to notify for the same citizen.
    ADD COLUMN sealed_phone   text,
    -- HMAC of the phone (ANTRE_PHONE_HASH_KEY), for the anti-tout limits; never the phone.
    ADD COLUMN phone_hash     text,
    ADD COLUMN transferred_to uuid;

DROP INDEX tickets_waiting_line;
CREATE INDEX tickets_waiting_line ON tickets (service_id, day, priority_rank, queued_at, issue_order)
    WHERE status = 'waiting';
CREATE INDEX tickets_by_phone ON tickets (phone_hash, day) WHERE phone_hash IS NOT NULL;

-- Consecutive priority calls of a service while regulars waited; its row is locked by every
-- call-next of the service, which makes the priority ratio exact under concurrency.
CREATE TABLE priority_streaks (
    service_id uuid    NOT NULL,
    day        date    NOT NULL,
    streak     integer NOT NULL DEFAULT 0,
    PRIMARY KEY (service_id, day)
);

-- Agency keys and staff tokens as the registry announces them: only their SHA-256.
CREATE TABLE credentials (
    id         uuid PRIMARY KEY,
    kind       text    NOT NULL CHECK (kind IN ('agency_key', 'staff_token')),
    agency_id  uuid    NOT NULL,
    counter_id uuid,
    sha256     text    NOT NULL,
    active     boolean NOT NULL,
    state      jsonb   NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX credentials_by_hash ON credentials (sha256);
