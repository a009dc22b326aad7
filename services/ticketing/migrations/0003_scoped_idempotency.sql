-- Idempotency-Keys belong to their caller: the same key sent by another caller is another
-- request, never a replay of the first one's ticket (which carries its access token).
-- scope is "admin", "agency:<agency id>", "counter:<counter id>" (a staff token) or
-- "anonymous" (kiosk, web and other callers without a credential).
ALTER TABLE idempotency_keys ADD COLUMN scope text;
-- Keys stored before this migration were global and their caller is unknown: no caller's
-- scope matches "legacy", so they are never replayed to anyone; the clean-up removes them.
UPDATE idempotency_keys SET scope = 'legacy';
ALTER TABLE idempotency_keys ALTER COLUMN scope SET NOT NULL;
ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_pkey;
ALTER TABLE idempotency_keys ADD PRIMARY KEY (scope, key);
-- The clean-up deletes the oldest keys first (ANTRE_IDEMPOTENCY_KEY_TTL_HOURS).
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
