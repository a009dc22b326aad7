"""Issuing a ticket: numbering, quota, idempotent retries and the phone hand-off, in one transaction."""

import hashlib
import hmac
import json
import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from uuid import UUID, uuid4

from antre_platform.clock import Clock

from ticketing.app import events
from ticketing.app.ports import RecipientHandoff, UnitOfWork
from ticketing.domain.errors import IdempotencyKeyReused, UnknownService
from ticketing.domain.tickets import (
    Channel,
    Locale,
    Priority,
    Ticket,
    ensure_can_issue,
    ensure_within_quota,
)

PhoneSealer = Callable[[str], str]


@dataclass(frozen=True)
class IssueTicket:
    service_id: UUID
    channel: Channel
    priority: Priority = "regular"
    phone: str | None = None  # already normalised to +62...
    locale: Locale = "id"
    travel_minutes: int | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True)
class IssuedTicket:
    ticket: Ticket
    position: int | None
    replayed: bool


class RequestFingerprint:
    """Tells whether a retry carries the same request as the first use of its Idempotency-Key.

    Keyed (HMAC) because the request holds the phone number: a plain hash of a phone
    number is reversed by trying every number, and ticketing must not keep phones.
    """

    def __init__(self, secret: str) -> None:
        self._key = hashlib.sha256(b"antre ticketing request fingerprint\0" + secret.encode()).digest()

    def __call__(self, command: IssueTicket) -> str:
        fields = asdict(command)
        fields.pop("idempotency_key")
        canonical = json.dumps(fields, sort_keys=True, default=str).encode()
        return hmac.new(self._key, canonical, hashlib.sha256).hexdigest()


def new_access_token() -> str:
    return secrets.token_urlsafe(24)


async def issue_ticket(
    command: IssueTicket,
    *,
    uow: UnitOfWork,
    clock: Clock,
    seal_phone: PhoneSealer,
    fingerprint: RequestFingerprint,
    new_token: Callable[[], str] = new_access_token,
) -> IssuedTicket:
    # Sealing first: a misconfigured key refuses the request before anything is written.
    sealed_phone = seal_phone(command.phone) if command.phone else None
    ticket_id = uuid4()
    async with uow:
        now = clock.now()
        if command.idempotency_key is not None:
            request = fingerprint(command)
            earlier = await uow.idempotency.claim(command.idempotency_key, request, ticket_id, now)
            if earlier is not None:
                return await _replay(earlier.ticket_id, earlier.fingerprint == request, uow)
        ticket = await _new_ticket(command, ticket_id=ticket_id, access_token=new_token(), now=now, uow=uow)
        await uow.tickets.add(ticket)
        await uow.emit(events.ticket_issued(ticket))
        if sealed_phone is not None:
            await uow.handoffs.add(
                RecipientHandoff(
                    ticket_id=ticket.id,
                    site_id=ticket.site_id,
                    sealed_phone=sealed_phone,
                    locale=command.locale,
                    next_attempt_at=now,
                )
            )
        position = await uow.tickets.position(ticket)
        await uow.commit()
    return IssuedTicket(ticket=ticket, position=position, replayed=False)


async def _new_ticket(
    command: IssueTicket, *, ticket_id: UUID, access_token: str, now: datetime, uow: UnitOfWork
) -> Ticket:
    """The day's next ticket of the service, if the service may issue one now."""
    service = await uow.catalog.service(command.service_id)
    if service is None:
        raise UnknownService(
            f"No service with id {command.service_id}: pick one from the site's catalog.",
            field="service_id",
            detail_id="Layanan tidak ditemukan: pilih layanan dari katalog.",
        )
    site = ensure_can_issue(service, await uow.catalog.site(service.site_id), command.priority)
    day = site.local_day(now)
    seq = await uow.tickets.next_seq(service.id, day)
    ensure_within_quota(service, seq)
    return Ticket.issue(
        id=ticket_id,
        service=service,
        day=day,
        seq=seq,
        channel=command.channel,
        priority=command.priority,
        access_token=access_token,
        issued_at=now,
        locale=command.locale,
        travel_minutes=command.travel_minutes,
    )


async def _replay(ticket_id: UUID, same_request: bool, uow: UnitOfWork) -> IssuedTicket:
    if not same_request:
        raise IdempotencyKeyReused(
            "This Idempotency-Key was already used for a different request; "
            "use a new key for a new ticket, or resend exactly the first request.",
            field="Idempotency-Key",
        )
    ticket = await uow.tickets.get(ticket_id)
    if ticket is None:  # the key and its ticket commit together, so this is a broken database
        raise RuntimeError(f"idempotency key points at missing ticket {ticket_id}")
    return IssuedTicket(ticket=ticket, position=await uow.tickets.position(ticket), replayed=True)
