-- The citizen's status page link (from ticketing's hand-off), shown in the 'issued' message.
-- It is a bearer secret for the ticket, so it is stored encrypted like the phone (AES-GCM,
-- bound to its row); NULL for hand-offs that did not carry one.
ALTER TABLE recipients ADD COLUMN status_url bytea;

-- A message that shows such a secret stores its body and template with a placeholder and
-- the secret here, encrypted; it is put back only when the message is claimed for sending.
ALTER TABLE outbound_messages ADD COLUMN secret bytea;
