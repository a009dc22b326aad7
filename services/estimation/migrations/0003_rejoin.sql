-- TUNDA: when a no-show ticket rejoined its line (null for a ticket that never did). Its place in
-- line (issued_at) moves to this time; the learning passes measure only the first wait and call.
ALTER TABLE tickets ADD COLUMN rejoined_at timestamptz;
