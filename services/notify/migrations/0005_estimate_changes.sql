-- What the citizen was last told about their call time, so only a significant change of
-- the estimate is messaged, and not more often than the rate limit allows.
ALTER TABLE tickets ADD COLUMN told_call_p50 timestamptz;
ALTER TABLE tickets ADD COLUMN told_at timestamptz;
ALTER TABLE tickets ADD COLUMN eta_changes integer NOT NULL DEFAULT 0;
