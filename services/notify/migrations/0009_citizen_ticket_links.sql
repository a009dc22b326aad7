-- A citizen's ticket is also learnt from ticketing's phone hand-off (which carries the status
-- link, hence the access token) and from ticket.transferred, possibly before ticket.issued
-- told its number and service: those come from the tickets table then.
ALTER TABLE citizen_tickets ALTER COLUMN service_id DROP NOT NULL;
ALTER TABLE citizen_tickets ALTER COLUMN number DROP NOT NULL;
-- "Latest" must not depend on two rows having different clock readings.
ALTER TABLE citizen_tickets ADD COLUMN seq bigint GENERATED ALWAYS AS IDENTITY;
