"""PostgreSQL: notify's store and unit of work (one transaction per use case).

Phones go through the :class:`PhoneVault` on the way in and out, so nothing above this
module handles ciphertext and nothing below it sees a clear phone number.
"""

import json
import logging
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, cast
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import asyncpg
from antre_contracts import CloudEvent
from antre_platform import inbox, outbox
from asyncpg.transaction import Transaction
from opentelemetry import propagate

from notify.adapters.phone_vault import PhoneVault
from notify.domain.conversation import CatalogService, ConversationState
from notify.domain.model import (
    SECRET_PLACEHOLDER,
    Call,
    DeliveryStatus,
    InboundMessage,
    MessageKind,
    OutboundDraft,
    OutboundMessage,
    Recipient,
    SendStatus,
    ServiceInfo,
    SiteInfo,
    StatusUpdate,
    Ticket,
    Told,
)
from notify.domain.phone import PhoneNumber
from notify.domain.texts import Eta, Locale

log = logging.getLogger(__name__)
CONSUMER = "notify"
# Two-key advisory locks live apart from the platform's one-key locks.
_TICKET_LOCK_CLASS = 7_310_004
_WAMID_LOCK_CLASS = 7_310_005


def _recipient_row(ticket_id: UUID) -> str:
    return f"recipient:{ticket_id}"


def _status_url_row(ticket_id: UUID) -> str:
    return f"recipient-status-url:{ticket_id}"


def _secret_row(message_id: UUID) -> str:
    return f"outbound-secret:{message_id}"


def _hide(text: str | None, secret: str) -> str | None:
    # Also its JSON-escaped form, for the template's text (a URL rarely needs escaping).
    if text is None:
        return None
    return text.replace(secret, SECRET_PLACEHOLDER).replace(json.dumps(secret)[1:-1], SECRET_PLACEHOLDER)


def _reveal(text: str | None, secret: str) -> str | None:
    if text is None:
        return None
    return text.replace(SECRET_PLACEHOLDER, secret)


def _outbound_row(message_id: UUID) -> str:
    return f"outbound:{message_id}"


def _inbound_row(wamid: str) -> str:
    return f"inbound:{wamid}"


def _action_row(wamid: str) -> str:
    return f"action:{wamid}"


def _token_row(ticket_id: UUID) -> str:
    return f"access-token:{ticket_id}"


def _strings(value: object) -> tuple[str, ...]:
    return tuple(str(item) for item in value) if isinstance(value, list) else ()


class PostgresStore:
    def __init__(self, conn: asyncpg.Connection, vault: PhoneVault) -> None:
        self._conn = conn
        self._vault = vault

    async def lock_ticket(self, ticket_id: UUID) -> None:
        """Serialise the transactions that bring pieces of one ticket, so the one that
        brings the last piece sees all the others (READ COMMITTED, statement snapshots)."""
        await self._conn.execute(
            "SELECT pg_advisory_xact_lock($1, hashtext($2))", _TICKET_LOCK_CLASS, str(ticket_id)
        )

    async def lock_wamid(self, wamid: str) -> None:
        """Serialise recording a sent message's wamid with its status callbacks, which Meta
        may deliver before the send call has even answered."""
        await self._conn.execute("SELECT pg_advisory_xact_lock($1, hashtext($2))", _WAMID_LOCK_CLASS, wamid)

    # Registry ---------------------------------------------------------------------------

    async def save_registry_entity(
        self, *, entity: str, entity_id: UUID, state: dict[str, Any], deleted: bool, changed_at: datetime
    ) -> None:
        await self._conn.execute(
            """INSERT INTO registry_entities (entity, id, state, deleted, changed_at)
               VALUES ($1, $2, $3::jsonb, $4, $5)
               ON CONFLICT (entity, id) DO UPDATE
               SET state = EXCLUDED.state, deleted = EXCLUDED.deleted, changed_at = EXCLUDED.changed_at
               WHERE registry_entities.changed_at <= EXCLUDED.changed_at""",
            entity,
            entity_id,
            json.dumps(state),
            deleted,
            changed_at,
        )

    async def _registry_state(self, entity: str, entity_id: UUID) -> dict[str, Any]:
        raw = await self._conn.fetchval(
            "SELECT state FROM registry_entities WHERE entity = $1 AND id = $2", entity, entity_id
        )
        return cast(dict[str, Any], json.loads(raw)) if raw else {}

    async def site_info(self, site_id: UUID) -> SiteInfo | None:
        """The site's name and timezone; None until the registry has told us (or if its
        timezone is not one we know, since a wrong zone would show wrong times)."""
        state = await self._registry_state("site", site_id)
        timezone = state.get("timezone")
        if not isinstance(timezone, str):
            return None
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            log.warning("site %s has an unknown timezone %r", site_id, timezone)
            return None
        return SiteInfo(name=state.get("name"), timezone=timezone)

    async def service_info(self, service_id: UUID) -> ServiceInfo | None:
        state = await self._registry_state("service", service_id)
        if not state:
            return None
        return ServiceInfo(
            name_id=state.get("name_id"),
            name_en=state.get("name_en"),
            documents_id=_strings(state.get("documents_id")),
            documents_en=_strings(state.get("documents_en")),
        )

    async def counter_name(self, counter_id: UUID) -> str | None:
        name = (await self._registry_state("counter", counter_id)).get("name")
        return str(name) if name else None

    # Tickets, estimates, calls, recipients ----------------------------------------------------

    async def add_ticket(self, ticket: Ticket) -> None:
        trace_context: dict[str, str] = {}
        propagate.inject(trace_context)  # the consumer span of ticket.issued, child of the request
        await self._conn.execute(
            """INSERT INTO tickets (ticket_id, site_id, service_id, number, issued_at,
                                    travel_minutes, issue_due_at, trace_context)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb) ON CONFLICT (ticket_id) DO NOTHING""",
            ticket.ticket_id,
            ticket.site_id,
            ticket.service_id,
            ticket.number,
            ticket.issued_at,
            ticket.travel_minutes,
            ticket.issue_due_at,
            json.dumps(trace_context),
        )

    async def ticket(self, ticket_id: UUID) -> Ticket | None:
        row = await self._conn.fetchrow("SELECT * FROM tickets WHERE ticket_id = $1", ticket_id)
        if row is None:
            return None
        return Ticket(
            ticket_id=row["ticket_id"],
            site_id=row["site_id"],
            service_id=row["service_id"],
            number=row["number"],
            issued_at=row["issued_at"],
            issue_due_at=row["issue_due_at"],
            travel_minutes=row["travel_minutes"],
        )

    async def save_estimate(
        self, *, ticket_id: UUID, service_id: UUID, position: int, eta: Eta, at: datetime
    ) -> None:
        await self._conn.execute(
            """INSERT INTO estimates
                 (ticket_id, service_id, position, call_p10, call_p50, call_p90, arrive_by, at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
               ON CONFLICT (ticket_id) DO UPDATE
               SET service_id = EXCLUDED.service_id, position = EXCLUDED.position,
                   call_p10 = EXCLUDED.call_p10, call_p50 = EXCLUDED.call_p50, call_p90 = EXCLUDED.call_p90,
                   arrive_by = EXCLUDED.arrive_by, at = EXCLUDED.at
               WHERE estimates.at <= EXCLUDED.at""",
            ticket_id,
            service_id,
            position,
            eta.call_p10,
            eta.call_p50,
            eta.call_p90,
            eta.arrive_by,
            at,
        )

    async def eta(self, ticket_id: UUID) -> Eta | None:
        row = await self._conn.fetchrow(
            "SELECT call_p10, call_p50, call_p90, arrive_by FROM estimates WHERE ticket_id = $1", ticket_id
        )
        if row is None:
            return None
        return Eta(
            call_p10=row["call_p10"],
            call_p50=row["call_p50"],
            call_p90=row["call_p90"],
            arrive_by=row["arrive_by"],
        )

    async def add_call(self, call: Call) -> None:
        await self._conn.execute(
            """INSERT INTO calls (ticket_id, round, recall, counter_id, service_id, number, counter_name,
                                  called_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (ticket_id, round, recall) DO NOTHING""",
            call.ticket_id,
            call.round,
            call.recall,
            call.counter_id,
            call.service_id,
            call.number,
            call.counter_name,
            call.called_at,
        )

    async def latest_call(self, ticket_id: UUID) -> Call | None:
        """The latest call of the ticket's current round: none after a no-show until it is
        called again."""
        row = await self._conn.fetchrow(
            """SELECT c.*, min(c.recall) OVER () AS first_recall
                 FROM calls c
                WHERE c.ticket_id = $1
                  AND c.round = COALESCE((SELECT round FROM ticket_rounds WHERE ticket_id = $1), 0)
                ORDER BY c.recall DESC LIMIT 1""",
            ticket_id,
        )
        if row is None:
            return None
        return Call(
            ticket_id=row["ticket_id"],
            recall=row["recall"],
            counter_id=row["counter_id"],
            service_id=row["service_id"],
            called_at=row["called_at"],
            number=row["number"],
            counter_name=row["counter_name"],
            round=row["round"],
            first_recall=row["first_recall"],
        )

    async def ever_called(self, ticket_id: UUID) -> bool:
        return bool(await self._conn.fetchval("SELECT EXISTS (SELECT 1 FROM calls WHERE ticket_id = $1)",
                                              ticket_id))

    async def round(self, ticket_id: UUID) -> int:
        found = await self._conn.fetchval("SELECT round FROM ticket_rounds WHERE ticket_id = $1", ticket_id)
        return int(found or 0)

    async def start_round(self, ticket_id: UUID) -> int:
        """A no-show: the next call of this ticket belongs to a new round. Returns its number."""
        return int(
            await self._conn.fetchval(
                """INSERT INTO ticket_rounds (ticket_id, round) VALUES ($1, 1)
                   ON CONFLICT (ticket_id) DO UPDATE SET round = ticket_rounds.round + 1
                   RETURNING round""",
                ticket_id,
            )
        )

    async def add_recipient(self, recipient: Recipient, *, at: datetime) -> bool:
        inserted = await self._conn.fetchval(
            """INSERT INTO recipients (ticket_id, site_id, phone, phone_hash, locale, created_at, status_url)
               VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (ticket_id) DO NOTHING RETURNING true""",
            recipient.ticket_id,
            recipient.site_id,
            self._vault.encrypt(recipient.phone, row=_recipient_row(recipient.ticket_id)),
            self._vault.lookup_hash(recipient.phone),
            recipient.locale,
            at,
            # The link is the ticket's bearer secret: encrypted at rest, like the phone.
            None
            if recipient.status_url is None
            else self._vault.seal_text(recipient.status_url, row=_status_url_row(recipient.ticket_id)),
        )
        return bool(inserted)

    async def recipient(self, ticket_id: UUID) -> Recipient | None:
        row = await self._conn.fetchrow(
            "SELECT ticket_id, site_id, phone, locale, status_url FROM recipients WHERE ticket_id = $1",
            ticket_id,
        )
        if row is None:
            return None
        sealed_url = row["status_url"]
        return Recipient(
            ticket_id=row["ticket_id"],
            site_id=row["site_id"],
            phone=self._vault.decrypt(row["phone"], row=_recipient_row(ticket_id)),
            locale=cast(Locale, row["locale"]),
            status_url=None
            if sealed_url is None
            else self._vault.open_text(sealed_url, row=_status_url_row(ticket_id)),
        )

    async def tickets_awaiting_issued_message(
        self,
        *,
        now: datetime,
        limit: int,
        due_only: bool = True,
        site_id: UUID | None = None,
        service_id: UUID | None = None,
    ) -> list[UUID]:
        """Tickets with a recipient, not called yet and without an 'issued' message: all of
        them, or only those whose wait for the missing pieces is over, optionally of one site
        or service (when the registry just described it)."""
        rows = await self._conn.fetch(
            """SELECT t.ticket_id FROM recipients r JOIN tickets t USING (ticket_id)
               WHERE ($2::boolean IS FALSE OR t.issue_due_at <= $1)
                 AND ($4::uuid IS NULL OR t.site_id = $4)
                 AND ($5::uuid IS NULL OR t.service_id = $5)
                 AND NOT EXISTS (SELECT 1 FROM outbound_messages m
                                 WHERE m.cause_key = 'issued:' || t.ticket_id)
                 AND NOT EXISTS (SELECT 1 FROM calls c WHERE c.ticket_id = t.ticket_id)
               ORDER BY t.issue_due_at LIMIT $3""",
            now,
            due_only,
            limit,
            site_id,
            service_id,
        )
        return [row["ticket_id"] for row in rows]

    # Outbound messages ------------------------------------------------------------------

    async def add_outbound(self, draft: OutboundDraft, *, now: datetime) -> UUID | None:
        """Store a message for its cause; None if that cause already has one, or if the
        citizen opted out (BERHENTI): then nothing is sent, of any kind."""
        if await self.opted_out(draft.to):
            return None
        message_id = uuid.uuid4()
        trace_context: dict[str, str] = {}
        propagate.inject(trace_context)
        if draft.kind == "ticket_issued" and draft.ticket_id is not None:
            # Its cause is the ticket's issue, whichever piece completed the message.
            issued_trace = await self._conn.fetchval(
                "SELECT trace_context FROM tickets WHERE ticket_id = $1", draft.ticket_id
            )
            stored = json.loads(issued_trace) if issued_trace else {}
            trace_context = stored or trace_context
        body = draft.body
        template = json.dumps(draft.template) if draft.template is not None else None
        sealed_secret = None
        if draft.secret:
            # The status link is a bearer secret: at rest (and in the staff's notifications
            # list) the message shows a placeholder; the link itself is kept encrypted.
            body = _hide(body, draft.secret)
            template = _hide(template, draft.secret)
            sealed_secret = self._vault.seal_text(draft.secret, row=_secret_row(message_id))
        inserted = await self._conn.fetchval(
            """INSERT INTO outbound_messages
                 (id, cause_key, kind, ticket_id, site_id, locale, body, phone, phone_hash,
                  next_attempt_at, expires_at, created_at, trace_context, interactive, template, secret)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $10, $12::jsonb, $13::jsonb, $14::jsonb,
                       $15)
               ON CONFLICT (cause_key) DO NOTHING RETURNING true""",
            message_id,
            draft.cause_key,
            draft.kind,
            draft.ticket_id,
            draft.site_id,
            draft.locale,
            body,
            self._vault.encrypt(draft.to, row=_outbound_row(message_id)),
            self._vault.lookup_hash(draft.to),
            now,
            draft.expires_at,
            json.dumps(trace_context),
            json.dumps(draft.interactive) if draft.interactive is not None else None,
            template,
            sealed_secret,
        )
        return message_id if inserted else None

    def _outbound(self, row: Mapping[str, Any]) -> OutboundMessage:
        body, template = row["body"], row["template"]
        if row.get("secret") is not None:
            secret = self._vault.open_text(row["secret"], row=_secret_row(row["id"]))
            body, template = _reveal(body, secret), _reveal(template, json.dumps(secret)[1:-1])
        return OutboundMessage(
            id=row["id"],
            cause_key=row["cause_key"],
            kind=cast(MessageKind, row["kind"]),
            to=self._vault.decrypt(row["phone"], row=_outbound_row(row["id"])),
            body=body,
            status=cast(SendStatus, row["status"]),
            attempts=row["attempts"],
            expires_at=row["expires_at"],
            ticket_id=row["ticket_id"],
            site_id=row["site_id"],
            wamid=row["wamid"],
            delivery_status=cast(DeliveryStatus | None, row["delivery_status"]),
            trace_context=json.loads(row["trace_context"]) if row["trace_context"] else {},
            interactive=json.loads(row["interactive"]) if row["interactive"] else None,
            template=json.loads(template) if template else None,
            in_window=bool(row.get("in_window", True)),
            reclaimed=bool(row.get("reclaimed", False)),
        )

    async def claim_due(
        self, *, now: datetime, lease: timedelta, limit: int, window: timedelta = timedelta(hours=24)
    ) -> list[OutboundMessage]:
        """Take due messages for sending. A 'sending' row whose lease ran out was claimed by a
        process that died mid-send, or its answer was lost: it is due again, marked
        ``reclaimed`` so the sender first looks for Meta's confirmation of the earlier send."""
        rows = await self._conn.fetch(
            """WITH picked AS (
                 SELECT id, status = 'sending' AS reclaimed FROM outbound_messages
                 WHERE ((status = 'pending' AND next_attempt_at <= $1)
                    OR (status = 'sending' AND lease_until <= $1))
                   -- One citizen's messages go out in order: not before the earlier ones left.
                   AND NOT EXISTS (SELECT 1 FROM outbound_messages earlier
                                   WHERE earlier.phone_hash = outbound_messages.phone_hash
                                     AND earlier.seq < outbound_messages.seq
                                     AND earlier.status IN ('pending', 'sending'))
                 ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED)
               UPDATE outbound_messages SET status = 'sending', lease_until = $2
               FROM picked WHERE outbound_messages.id = picked.id
               RETURNING outbound_messages.*, picked.reclaimed, EXISTS (SELECT 1 FROM conversations c
                                    WHERE c.phone_hash = outbound_messages.phone_hash
                                      AND c.last_inbound_at > $1 - $4::interval) AS in_window""",
            now,
            now + lease,
            limit,
            window,
        )
        return [self._outbound(row) for row in rows]

    async def mark_sent(self, message_id: UUID, *, wamid: str, tries: int, now: datetime) -> bool:
        """Record the send; False when it was already recorded (by a status callback that
        echoed our id, or by the sender), so the caller does not announce it twice."""
        updated = await self._conn.fetchval(
            """UPDATE outbound_messages
               SET status = 'sent', wamid = $2, attempts = attempts + $3, sent_at = $4, lease_until = NULL,
                   delivery_status = COALESCE(delivery_status, 'sent')
               WHERE id = $1 AND status <> 'sent'
               RETURNING true""",
            message_id,
            wamid,
            tries,
            now,
        )
        return bool(updated)

    async def unconfirmed_outbound(self, message_id: UUID) -> OutboundMessage | None:
        """The message with this id if it is being sent and its wamid is not known yet."""
        row = await self._conn.fetchrow(
            """SELECT * FROM outbound_messages
               WHERE id = $1 AND status = 'sending' AND wamid IS NULL FOR UPDATE""",
            message_id,
        )
        return self._outbound(row) if row is not None else None

    async def mark_failed(
        self, message_id: UUID, *, code: int | None, title: str, tries: int, now: datetime
    ) -> None:
        await self._conn.execute(
            """UPDATE outbound_messages
               SET status = 'failed', error_code = $2, error_title = $3, attempts = attempts + $4,
                   failed_at = $5, lease_until = NULL
               WHERE id = $1""",
            message_id,
            code,
            title,
            tries,
            now,
        )

    async def mark_expired(self, message_id: UUID) -> None:
        await self._conn.execute(
            "UPDATE outbound_messages SET status = 'expired', lease_until = NULL WHERE id = $1", message_id
        )

    async def release(
        self, message_id: UUID, *, next_attempt_at: datetime, code: int | None, title: str, tries: int
    ) -> None:
        await self._conn.execute(
            """UPDATE outbound_messages
               SET status = 'pending', next_attempt_at = $2, error_code = $3, error_title = $4,
                   attempts = attempts + $5, lease_until = NULL
               WHERE id = $1""",
            message_id,
            next_attempt_at,
            code,
            title,
            tries,
        )

    async def messages_for_ticket(self, ticket_id: UUID) -> list[dict[str, Any]]:
        rows = await self._conn.fetch(
            """SELECT id, kind, status, delivery_status, wamid, locale, body, attempts,
                      error_code, error_title,
                      created_at, sent_at, delivered_at, read_at, failed_at, expires_at
               FROM outbound_messages WHERE ticket_id = $1 ORDER BY seq""",
            ticket_id,
        )
        return [dict(row) for row in rows]

    # Retention --------------------------------------------------------------------------------

    async def purge_phones(self, *, before: datetime) -> int:
        """Forget phone numbers last needed before ``before``: hand-offs, inbound messages,
        finished outbound messages (their ciphertext and hash are blanked, the delivery record
        stays), done actions, kept access tokens and idle conversations. An opted-out
        citizen's row stays: it holds only the keyed hash, and it is what keeps them opted out."""
        purged = 0
        for statement in (
            "DELETE FROM recipients WHERE created_at < $1",
            "DELETE FROM inbound_messages WHERE received_at < $1",
            """UPDATE outbound_messages SET phone = ''::bytea, phone_hash = ''::bytea
               WHERE created_at < $1 AND status IN ('sent', 'failed', 'expired')
                 AND phone_hash <> ''::bytea""",
            "DELETE FROM conversation_actions WHERE created_at < $1 AND status = 'done'",
            "DELETE FROM citizen_tickets WHERE created_at < $1",
            """DELETE FROM conversations
               WHERE NOT opted_out AND COALESCE(last_inbound_at, updated_at) < $1""",
        ):
            purged += int((await self._conn.execute(statement, before)).split()[-1])
        return purged

    # Leave-home reminders and positions ---------------------------------------------------

    async def told(self, ticket_id: UUID) -> Told | None:
        row = await self._conn.fetchrow(
            "SELECT told_call_p50, told_at, eta_changes FROM tickets WHERE ticket_id = $1", ticket_id
        )
        if row is None or row["told_call_p50"] is None:
            return None
        return Told(call_p50=row["told_call_p50"], at=row["told_at"], changes=row["eta_changes"])

    async def set_told(self, ticket_id: UUID, *, call_p50: datetime, at: datetime, change: bool) -> None:
        await self._conn.execute(
            """UPDATE tickets SET told_call_p50 = $2, told_at = $3,
                 eta_changes = eta_changes + CASE WHEN $4 THEN 1 ELSE 0 END
               WHERE ticket_id = $1""",
            ticket_id,
            call_p50,
            at,
            change,
        )

    async def position(self, ticket_id: UUID) -> int | None:
        return cast(
            int | None,
            await self._conn.fetchval("SELECT position FROM estimates WHERE ticket_id = $1", ticket_id),
        )

    async def schedule_reminder(self, ticket_id: UUID, *, due_at: datetime) -> None:
        """Set or move the ticket's reminder; one that already fired stays fired."""
        await self._conn.execute(
            """INSERT INTO reminders (ticket_id, due_at) VALUES ($1, $2)
               ON CONFLICT (ticket_id) DO UPDATE SET due_at = EXCLUDED.due_at
               WHERE reminders.fired_at IS NULL""",
            ticket_id,
            due_at,
        )

    async def reschedule_reminder(self, ticket_id: UUID, *, due_at: datetime) -> None:
        await self._conn.execute(
            "UPDATE reminders SET due_at = $2, fired_at = NULL WHERE ticket_id = $1", ticket_id, due_at
        )

    async def due_reminders(self, *, now: datetime, limit: int) -> list[UUID]:
        rows = await self._conn.fetch(
            """SELECT ticket_id FROM reminders
               WHERE fired_at IS NULL AND due_at <= $1 ORDER BY due_at LIMIT $2""",
            now,
            limit,
        )
        return [row["ticket_id"] for row in rows]

    async def mark_reminder_fired(self, ticket_id: UUID, *, at: datetime) -> bool:
        """True for the one transaction that fires it."""
        return bool(
            await self._conn.fetchval(
                "UPDATE reminders SET fired_at = $2 WHERE ticket_id = $1 AND fired_at IS NULL RETURNING true",
                ticket_id,
                at,
            )
        )

    # Conversation -------------------------------------------------------------------------

    async def conversation(self, phone: PhoneNumber) -> ConversationState:
        row = await self._conn.fetchrow(
            "SELECT locale, opted_out, survey_ticket_id FROM conversations WHERE phone_hash = $1 FOR UPDATE",
            self._vault.lookup_hash(phone),
        )
        if row is None:
            return ConversationState()
        return ConversationState(
            locale=cast(Locale, row["locale"]),
            opted_out=row["opted_out"],
            survey_ticket_id=row["survey_ticket_id"],
        )

    async def save_conversation(
        self,
        phone: PhoneNumber,
        state: ConversationState,
        *,
        now: datetime,
        inbound_at: datetime | None = None,
    ) -> None:
        await self._conn.execute(
            """INSERT INTO conversations
                 (phone_hash, locale, opted_out, survey_ticket_id, last_inbound_at, updated_at)
               VALUES ($1, $2, $3, $4, $5, $6)
               ON CONFLICT (phone_hash) DO UPDATE SET
                 locale = EXCLUDED.locale, opted_out = EXCLUDED.opted_out,
                 survey_ticket_id = EXCLUDED.survey_ticket_id, updated_at = EXCLUDED.updated_at,
                 last_inbound_at = GREATEST(conversations.last_inbound_at, EXCLUDED.last_inbound_at)""",
            self._vault.lookup_hash(phone),
            state.locale,
            state.opted_out,
            state.survey_ticket_id,
            inbound_at,
            now,
        )

    async def opted_out(self, phone: PhoneNumber) -> bool:
        return bool(
            await self._conn.fetchval(
                "SELECT opted_out FROM conversations WHERE phone_hash = $1", self._vault.lookup_hash(phone)
            )
        )

    async def withdraw_unsent(self, phone: PhoneNumber) -> int:
        """Opt-out: messages not yet handed to WhatsApp never go (a send in flight may)."""
        result = await self._conn.execute(
            """UPDATE outbound_messages SET status = 'expired', lease_until = NULL
               WHERE phone_hash = $1 AND status = 'pending'""",
            self._vault.lookup_hash(phone),
        )
        return int(result.split()[-1])

    async def site_by_code(self, code: str) -> UUID | None:
        return cast(
            UUID | None,
            await self._conn.fetchval(
                """SELECT id FROM registry_entities
                   WHERE entity = 'site' AND NOT deleted AND state->>'code' = $1""",
                code,
            ),
        )

    async def catalog(self, site_id: UUID) -> tuple[CatalogService, ...]:
        """The site's active services with their agency's name and latest expected wait."""
        rows = await self._conn.fetch(
            """SELECT s.id, s.state AS service, a.state AS agency, f.wait_p50
               FROM registry_entities s
               LEFT JOIN registry_entities a
                 ON a.entity = 'agency' AND a.id = (s.state->>'agency_id')::uuid
               LEFT JOIN forecasts f ON f.service_id = s.id
               WHERE s.entity = 'service' AND NOT s.deleted
                 AND s.state->>'site_id' = $1::text
                 AND COALESCE((s.state->>'active')::boolean, true)""",
            str(site_id),
        )
        services = []
        for row in rows:
            service = json.loads(row["service"])
            agency = json.loads(row["agency"]) if row["agency"] else {}
            services.append(
                CatalogService(
                    service_id=row["id"],
                    agency_name=str(agency.get("name") or agency.get("code") or "-"),
                    name_id=str(service.get("name_id") or service.get("code") or "-"),
                    name_en=service.get("name_en"),
                    documents_id=_strings(service.get("documents_id")),
                    documents_en=_strings(service.get("documents_en")),
                    wait_p50_min=row["wait_p50"],
                )
            )
        return tuple(services)

    async def save_forecast(
        self,
        *,
        service_id: UUID,
        waiting: int,
        open_counters: int,
        wait_p50: float,
        wait_p90: float,
        at: datetime,
    ) -> None:
        await self._conn.execute(
            """INSERT INTO forecasts (service_id, waiting, open_counters, wait_p50, wait_p90, at)
               VALUES ($1, $2, $3, $4, $5, $6)
               ON CONFLICT (service_id) DO UPDATE SET
                 waiting = EXCLUDED.waiting, open_counters = EXCLUDED.open_counters,
                 wait_p50 = EXCLUDED.wait_p50, wait_p90 = EXCLUDED.wait_p90, at = EXCLUDED.at
               WHERE forecasts.at <= EXCLUDED.at""",
            service_id,
            waiting,
            open_counters,
            wait_p50,
            wait_p90,
            at,
        )

    async def add_action(
        self, *, wamid: str, phone: PhoneNumber, action: dict[str, Any], locale: Locale, now: datetime
    ) -> None:
        await self._conn.execute(
            """INSERT INTO conversation_actions
                 (wamid, phone, phone_hash, action, locale, next_attempt_at, created_at)
               VALUES ($1, $2, $3, $4::jsonb, $5, $6, $6) ON CONFLICT (wamid) DO NOTHING""",
            wamid,
            self._vault.encrypt(phone, row=_action_row(wamid)),
            self._vault.lookup_hash(phone),
            json.dumps(action),
            locale,
            now,
        )

    async def claim_actions(
        self, *, now: datetime, lease: timedelta, limit: int
    ) -> list[tuple[str, PhoneNumber, dict[str, Any], Locale, int]]:
        """Due actions, oldest first: (wamid, phone, action, locale, attempts so far)."""
        rows = await self._conn.fetch(
            """UPDATE conversation_actions SET status = 'running', lease_until = $2
               WHERE wamid IN (
                 SELECT wamid FROM conversation_actions
                 WHERE (status = 'pending' AND next_attempt_at <= $1)
                    OR (status = 'running' AND lease_until <= $1)
                 ORDER BY created_at LIMIT $3 FOR UPDATE SKIP LOCKED)
               RETURNING wamid, phone, action, locale, attempts, created_at""",
            now,
            now + lease,
            limit,
        )
        return [
            (
                row["wamid"],
                self._vault.decrypt(row["phone"], row=_action_row(row["wamid"])),
                json.loads(row["action"]),
                cast(Locale, row["locale"]),
                row["attempts"],
            )
            for row in sorted(rows, key=lambda r: r["created_at"])
        ]

    async def finish_action(self, wamid: str) -> None:
        await self._conn.execute(
            "UPDATE conversation_actions SET status = 'done', lease_until = NULL, attempts = attempts + 1 "
            "WHERE wamid = $1",
            wamid,
        )

    async def retry_action(self, wamid: str, *, next_attempt_at: datetime) -> None:
        await self._conn.execute(
            """UPDATE conversation_actions SET status = 'pending', lease_until = NULL,
                 attempts = attempts + 1, next_attempt_at = $2 WHERE wamid = $1""",
            wamid,
            next_attempt_at,
        )

    async def add_citizen_ticket(
        self,
        *,
        ticket_id: UUID,
        phone: PhoneNumber,
        service_id: UUID | None,
        number: str | None,
        access_token: str,
        now: datetime,
    ) -> None:
        await self._conn.execute(
            """INSERT INTO citizen_tickets
                 (ticket_id, phone_hash, service_id, number, access_token, created_at)
               VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (ticket_id) DO NOTHING""",
            ticket_id,
            self._vault.lookup_hash(phone),
            service_id,
            number,
            self._vault.seal_text(access_token, row=_token_row(ticket_id)),
            now,
        )

    async def latest_citizen_ticket(self, phone: PhoneNumber) -> tuple[UUID, str, UUID | None, str] | None:
        """The citizen's most recent ticket: (ticket id, number, service id, access token).

        A ticket learnt from a hand-off or a transfer may not know its number and service yet;
        ticket.issued (the tickets table) tells them, and until then the number is empty."""
        row = await self._conn.fetchrow(
            """SELECT c.ticket_id, COALESCE(c.number, t.number, '') AS number,
                      COALESCE(c.service_id, t.service_id) AS service_id, c.access_token
               FROM citizen_tickets c LEFT JOIN tickets t ON t.ticket_id = c.ticket_id
               WHERE c.phone_hash = $1 ORDER BY c.created_at DESC, c.seq DESC LIMIT 1""",
            self._vault.lookup_hash(phone),
        )
        if row is None:
            return None
        token = self._vault.open_text(row["access_token"], row=_token_row(row["ticket_id"]))
        return row["ticket_id"], row["number"], row["service_id"], token

    # Webhook ----------------------------------------------------------------------------

    async def add_inbound(self, message: InboundMessage, *, received_at: datetime) -> bool:
        inserted = await self._conn.fetchval(
            """INSERT INTO inbound_messages (wamid, phone, phone_hash, kind, text, sent_at, received_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (wamid) DO NOTHING RETURNING true""",
            message.wamid,
            self._vault.encrypt(message.sender, row=_inbound_row(message.wamid)),
            self._vault.lookup_hash(message.sender),
            message.kind,
            message.text,
            message.sent_at,
            received_at,
        )
        return bool(inserted)

    async def add_status(self, update: StatusUpdate, *, received_at: datetime) -> bool:
        inserted = await self._conn.fetchval(
            """INSERT INTO delivery_statuses (wamid, status, at, error_code, error_title, received_at,
                                              callback_data)
               VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (wamid, status) DO NOTHING RETURNING true""",
            update.wamid,
            update.status,
            update.at,
            update.error_code,
            update.error_title,
            received_at,
            update.callback_data,
        )
        return bool(inserted)

    async def confirmed_wamid(self, message_id: UUID) -> str | None:
        """The wamid Meta gave the message, learnt from a status callback that echoed our id."""
        value = await self._conn.fetchval(
            "SELECT wamid FROM delivery_statuses WHERE callback_data = $1 ORDER BY at LIMIT 1",
            str(message_id),
        )
        return str(value) if value is not None else None

    async def await_confirmation(
        self, message_id: UUID, *, until: datetime, code: int | None, title: str, tries: int
    ) -> None:
        """Keep a message whose send answer was lost in 'sending' until ``until``: by then
        Meta's status callback has told whether it arrived; if none did, it is sent again."""
        await self._conn.execute(
            """UPDATE outbound_messages
               SET lease_until = $2, error_code = $3, error_title = $4, attempts = attempts + $5
               WHERE id = $1 AND status = 'sending'""",
            message_id,
            until,
            code,
            title,
            tries,
        )

    async def statuses_for(self, wamid: str) -> list[StatusUpdate]:
        rows = await self._conn.fetch(
            "SELECT status, at, error_code, error_title FROM delivery_statuses WHERE wamid = $1 ORDER BY at",
            wamid,
        )
        return [
            StatusUpdate(
                wamid=wamid,
                status=cast(DeliveryStatus, row["status"]),
                at=row["at"],
                error_code=row["error_code"],
                error_title=row["error_title"],
            )
            for row in rows
        ]

    async def outbound_by_wamid(self, wamid: str) -> OutboundMessage | None:
        row = await self._conn.fetchrow("SELECT * FROM outbound_messages WHERE wamid = $1 FOR UPDATE", wamid)
        return self._outbound(row) if row is not None else None

    async def set_delivery(self, message_id: UUID, *, status: DeliveryStatus, update: StatusUpdate) -> None:
        await self._conn.execute(
            """UPDATE outbound_messages SET
                 delivery_status = $2,
                 sent_at = CASE WHEN $3 = 'sent' THEN COALESCE(sent_at, $4) ELSE sent_at END,
                 delivered_at = CASE WHEN $3 IN ('delivered', 'read') THEN COALESCE(delivered_at, $4)
                                     ELSE delivered_at END,
                 read_at = CASE WHEN $3 = 'read' THEN COALESCE(read_at, $4) ELSE read_at END,
                 failed_at = CASE WHEN $3 = 'failed' THEN COALESCE(failed_at, $4) ELSE failed_at END,
                 error_code = CASE WHEN $3 = 'failed' THEN $5 ELSE error_code END,
                 error_title = CASE WHEN $3 = 'failed' THEN $6 ELSE error_title END
               WHERE id = $1""",
            message_id,
            status,
            update.status,
            update.at,
            update.error_code,
            update.error_title,
        )


class PostgresUnitOfWork:
    def __init__(self, pool: asyncpg.Pool, vault: PhoneVault) -> None:
        self._pool = pool
        self._vault = vault
        self._conn: asyncpg.Connection | None = None
        self._transaction: Transaction | None = None
        self.store: PostgresStore

    @property
    def _connection(self) -> asyncpg.Connection:
        if self._conn is None:
            raise RuntimeError("use the unit of work inside 'async with'")
        return self._conn

    async def __aenter__(self) -> "PostgresUnitOfWork":
        conn = await self._pool.acquire()
        try:
            transaction = conn.transaction()
            await transaction.start()
        except BaseException:
            # __aexit__ does not run when __aenter__ fails (e.g. cancelled at shutdown): a
            # connection kept here would make the pool's close wait forever.
            await self._pool.release(conn)
            raise
        self._conn, self._transaction = conn, transaction
        self.store = PostgresStore(self._conn, self._vault)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._transaction is not None and self._conn is not None
        try:
            if exc_type is None:
                await self._transaction.commit()
            else:
                await self._transaction.rollback()
        finally:
            await self._pool.release(self._conn)
            self._conn = None
            self._transaction = None

    async def first_delivery(self, event_id: UUID) -> bool:
        return await inbox.first_delivery(self._connection, consumer=CONSUMER, event_id=event_id)

    async def publish(self, event: CloudEvent) -> None:
        await outbox.enqueue(self._connection, event)
