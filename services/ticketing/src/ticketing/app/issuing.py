"""Issuing a ticket: numbering, hours, quota, anti-tout limits, idempotent retries and the
phone hand-off, in one transaction."""

import hashlib
import hmac
import json
import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from antre_platform.clock import Clock

from ticketing.app import events
from ticketing.app.access import Actor, idempotency_scope
from ticketing.app.ports import RecipientHandoff, UnitOfWork
from ticketing.domain.catalog import Service, Site
from ticketing.domain.errors import Forbidden, IdempotencyKeyReused, UnknownJourney, UnknownService
from ticketing.domain.hours import is_open, next_opening
from ticketing.domain.tickets import (
    Channel,
    Locale,
    Priority,
    Ticket,
    ensure_can_issue,
    ensure_open,
    ensure_phone_limits,
    ensure_within_quota,
)

PhoneSealer = Callable[[str], str]
PhoneHasher = Callable[[str], str]


@dataclass(frozen=True)
class IssuingRules:
    """Configurable refusals (settings): opening hours, the anti-tout (calo) limits, and how long
    an Idempotency-Key replays its ticket."""

    enforce_hours: bool = True
    max_waiting_per_phone_per_service: int = 1
    max_tickets_per_phone_per_day: int = 5
    idempotency_key_ttl: timedelta = timedelta(hours=48)


class PhoneHash:
    """A keyed hash (HMAC-SHA-256) of a phone number: counts a phone's tickets without keeping it.
    Keyed, because a plain hash of a phone number is reversed by trying every number."""

    def __init__(self, secret: str) -> None:
        self._key = hashlib.sha256(b"antre ticketing phone hash\0" + secret.encode()).digest()

    def __call__(self, phone: str) -> str:
        return hmac.new(self._key, phone.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class IssueTicket:
    service_id: UUID | None
    channel: Channel
    priority: Priority = "regular"
    phone: str | None = None  # already normalised to +62...
    locale: Locale = "id"
    travel_minutes: int | None = None
    idempotency_key: str | None = None
    journey_id: UUID | None = None


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
    hash_phone: PhoneHasher,
    rules: IssuingRules = IssuingRules(),
    actor: Actor | None = None,
    new_token: Callable[[], str] = new_access_token,
) -> IssuedTicket:
    # Sealing first: a misconfigured key refuses the request before anything is written.
    sealed_phone = seal_phone(command.phone) if command.phone else None
    ticket_id = uuid4()
    async with uow:
        now = clock.now()
        if command.idempotency_key is not None:
            request = fingerprint(command)
            earlier = await uow.idempotency.claim(
                idempotency_scope(actor),
                command.idempotency_key,
                request,
                ticket_id,
                now,
                expired_before=now - rules.idempotency_key_ttl,
            )
            if earlier is not None:
                return await _replay(earlier.ticket_id, earlier.fingerprint == request, uow)
        ticket = await _new_ticket(
            command,
            ticket_id=ticket_id,
            access_token=new_token(),
            now=now,
            uow=uow,
            rules=rules,
            actor=actor,
            sealed_phone=sealed_phone,
            phone_hash=hash_phone(command.phone) if command.phone else None,
        )
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
        await uow.commit()
        # Counted after the commit, so concurrent issues of the service do not queue behind this
        # count on the day's number row (held until commit); the position is "as of now" anyway.
        position = await uow.tickets.position(ticket)
    return IssuedTicket(ticket=ticket, position=position, replayed=False)


async def _new_ticket(
    command: IssueTicket,
    *,
    ticket_id: UUID,
    access_token: str,
    now: datetime,
    uow: UnitOfWork,
    rules: IssuingRules,
    actor: Actor | None,
    sealed_phone: str | None,
    phone_hash: str | None,
) -> Ticket:
    """The day's next ticket of the service (or the journey's first step), if it may issue one now."""
    service, site, journey_step = await _service_of(command, uow)
    if command.channel == "agency_api" and not (
        actor is not None
        and (actor.kind == "admin" or (actor.kind == "agency" and actor.agency_id == service.agency_id))
    ):
        raise Forbidden(
            f"agency_api tickets for {service.code} need the API key of the agency that offers it."
        )
    site = ensure_can_issue(service, site, command.priority)
    if rules.enforce_hours:
        hours = service.hours if service.hours is not None else site.hours
        ensure_open(
            service,
            site,
            open_now=is_open(hours, site.closed_dates, site.timezone, now),
            opens_at=next_opening(hours, site.closed_dates, site.timezone, now),
        )
    day = site.local_day(now)
    if phone_hash is not None:
        await uow.tickets.lock_phone(phone_hash)
        usage = await uow.tickets.phone_usage(phone_hash, service.id, day)
        ensure_phone_limits(
            service,
            waiting_in_service=usage.waiting_in_service,
            issued_today=usage.issued_today,
            max_waiting=rules.max_waiting_per_phone_per_service,
            max_per_day=rules.max_tickets_per_phone_per_day,
        )
    ticket = await numbered_ticket(
        service,
        site,
        uow=uow,
        now=now,
        id=ticket_id,
        channel=command.channel,
        priority=command.priority,
        access_token=access_token,
        locale=command.locale,
        travel_minutes=command.travel_minutes,
        journey_id=command.journey_id,
        journey_step=journey_step,
        sealed_phone=sealed_phone,
        phone_hash=phone_hash,
    )
    ensure_within_quota(service, ticket.seq)
    return ticket


async def numbered_ticket(
    service: Service, site: Site, *, uow: UnitOfWork, now: datetime, **fields: Any
) -> Ticket:
    """A ticket with the day's next number of ``service`` (no refusal checks: transfers and
    journey steps use it for a citizen who is already in the building)."""
    day = site.local_day(now)
    seq = await uow.tickets.next_seq(service.id, day)
    return Ticket.issue(service=service, day=day, seq=seq, issued_at=now, **fields)


async def _service_of(command: IssueTicket, uow: UnitOfWork) -> tuple[Service, Site | None, int | None]:
    """The service to queue for, its site, and the journey step (1) when the ticket starts a journey."""
    if command.journey_id is not None:
        journey = await uow.catalog.journey(command.journey_id)
        if journey is None or not journey.steps:
            raise UnknownJourney(
                f"No journey with id {command.journey_id}: pick one from the site's catalog.",
                field="journey_id",
                detail_id="Alur layanan tidak ditemukan: pilih dari katalog.",
            )
        service_id, step = journey.steps[0], 1
    else:
        assert command.service_id is not None  # the request schema demands one of the two
        service_id, step = command.service_id, None
    found = await uow.catalog.service_with_site(service_id)
    if found is None:
        raise UnknownService(
            f"No service with id {service_id}: pick one from the site's catalog.",
            field="service_id",
            detail_id="Layanan tidak ditemukan: pilih layanan dari katalog.",
        )
    service, site = found
    return service, site, step


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
