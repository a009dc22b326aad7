"""Notify's model: what it knows about tickets and recipients, and which message each
cause produces. Pure: no I/O, time comes in as arguments.

Every outbound message has a ``cause_key`` (``issued:<ticket>``, ``called:<ticket>:<recall>``,
``reply:<inbound wamid>``); the store keeps it unique, so one cause sends one message however
often its events are delivered.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal
from uuid import UUID

from notify.domain import templates
from notify.domain.phone import PhoneNumber
from notify.domain.texts import (
    Eta,
    IssuedFacts,
    Locale,
    clock_time,
    issued_template_values,
    render_called,
    render_estimate_changed,
    render_few_ahead,
    render_leave_home,
    render_ticket_issued,
)

MessageKind = Literal["ticket_issued", "called", "reply", "reminder"]
SendStatus = Literal["pending", "sending", "sent", "failed", "expired"]
DeliveryStatus = Literal["sent", "delivered", "read", "failed"]


@dataclass(frozen=True)
class Timing:
    estimate_wait: timedelta = timedelta(seconds=30)
    issued_ttl: timedelta = timedelta(hours=4)
    called_ttl: timedelta = timedelta(minutes=10)
    reply_ttl: timedelta = timedelta(hours=24)
    # "N more ahead" once the citizen is this few places from the counter.
    few_ahead: int = 3
    # A new estimate is worth a message when the call time moves this much ...
    eta_change_min: timedelta = timedelta(minutes=10)
    # ... and at most once per this interval per ticket, so a citizen is not spammed.
    eta_change_interval: timedelta = timedelta(minutes=15)
    # No separate reminder when leaving is due sooner than this after the ticket message.
    reminder_min_lead: timedelta = timedelta(minutes=5)


@dataclass(frozen=True)
class Ticket:
    ticket_id: UUID
    site_id: UUID
    service_id: UUID
    number: str
    issued_at: datetime
    issue_due_at: datetime
    travel_minutes: int | None = None


@dataclass(frozen=True)
class Recipient:
    ticket_id: UUID
    site_id: UUID
    phone: PhoneNumber
    locale: Locale
    # The citizen's status page ({public base}/t/{access token}); a secret, never logged.
    status_url: str | None = None


@dataclass(frozen=True)
class Call:
    ticket_id: UUID
    recall: int
    counter_id: UUID
    service_id: UUID
    called_at: datetime
    number: str | None = None
    counter_name: str | None = None
    # 0 until the first no-show; each no-show (and TUNDA) starts the next round of calls.
    round: int = 0
    # The recall count of the round's first call: ticketing keeps counting across a rejoin,
    # but the first call after one is a call, not a recall.
    first_recall: int = 0

    @property
    def is_recall(self) -> bool:
        return self.recall > self.first_recall


@dataclass(frozen=True)
class SiteInfo:
    name: str | None
    timezone: str


@dataclass(frozen=True)
class ServiceInfo:
    name_id: str | None = None
    name_en: str | None = None
    documents_id: tuple[str, ...] = ()
    documents_en: tuple[str, ...] = ()

    def name(self, locale: Locale) -> str | None:
        return (self.name_en or self.name_id) if locale == "en" else (self.name_id or self.name_en)

    def documents(self, locale: Locale) -> tuple[str, ...]:
        # Agencies often list documents in Indonesian only; better that than nothing.
        return (self.documents_en or self.documents_id) if locale == "en" else self.documents_id


@dataclass(frozen=True)
class OutboundDraft:
    """A message decided on but not yet stored; the store gives it an id and a status."""

    cause_key: str
    kind: MessageKind
    to: PhoneNumber
    locale: Locale
    body: str
    expires_at: datetime
    ticket_id: UUID | None = None
    site_id: UUID | None = None
    # The Cloud API 'interactive' object (list or reply buttons); None for plain text.
    interactive: Mapping[str, Any] | None = None
    # The Cloud API 'template' object sent instead when the 24-hour window is closed; a
    # message without one is only sent inside the window.
    template: Mapping[str, Any] | None = None
    # A bearer secret shown in the message (the status page link): the store keeps it
    # encrypted and the stored body shows SECRET_PLACEHOLDER in its place.
    secret: str | None = None


SECRET_PLACEHOLDER = "[tautan status]"


@dataclass(frozen=True)
class InboundMessage:
    wamid: str
    sender: PhoneNumber
    kind: str
    sent_at: datetime
    text: str | None = None
    reply_id: str | None = None  # the tapped list row or reply button


@dataclass(frozen=True)
class StatusUpdate:
    wamid: str
    status: DeliveryStatus
    at: datetime
    error_code: int | None = None
    error_title: str | None = None
    # Our outbound message id, sent as biz_opaque_callback_data and echoed by Meta.
    callback_data: str | None = None


@dataclass(frozen=True)
class OutboundMessage:
    id: UUID
    cause_key: str
    kind: MessageKind
    to: PhoneNumber
    body: str
    status: SendStatus
    attempts: int
    expires_at: datetime
    ticket_id: UUID | None = None
    site_id: UUID | None = None
    wamid: str | None = None
    delivery_status: DeliveryStatus | None = None
    # W3C trace headers of the request or event that caused it, so sending continues its trace.
    trace_context: Mapping[str, str] = field(default_factory=dict)
    interactive: Mapping[str, Any] | None = None
    template: Mapping[str, Any] | None = None
    # Whether the citizen wrote to us in the last 24 hours (free-form allowed), as of claiming.
    in_window: bool = True
    # Claimed again after its lease ran out: an earlier send may have reached Meta.
    reclaimed: bool = False


def issued_cause(ticket_id: UUID) -> str:
    return f"issued:{ticket_id}"


def called_cause(ticket_id: UUID, recall: int, round: int = 0) -> str:
    """One message per call; a call after a rejoin (round 1..) is a cause of its own."""
    if round == 0:
        return f"called:{ticket_id}:{recall}"
    return f"called:{ticket_id}:r{round}:{recall}"


def rejoined_cause(ticket_id: UUID, round: int) -> str:
    return f"rejoined:{ticket_id}:{round}"


def reply_cause(inbound_wamid: str) -> str:
    return f"reply:{inbound_wamid}"


def issue_due_at(*, issued_at: datetime, seen_at: datetime, timing: Timing) -> datetime:
    """When to stop waiting for an estimate. Counted from when notify learned of the ticket
    too, so a notify catching up on a backlog still gives the estimate its chance."""
    return max(issued_at, seen_at) + timing.estimate_wait


def issued_message(
    *,
    ticket: Ticket | None,
    recipient: Recipient | None,
    eta: Eta | None,
    service: ServiceInfo | None,
    site: SiteInfo | None,
    already_called: bool,
    now: datetime,
    timing: Timing,
) -> OutboundDraft | None:
    """The 'your number is ...' message, once the ticket, its recipient, its estimate and
    the registry's words for its site and service are all known; or with what is known
    once waiting is over. None while waiting, and never once the ticket was called (the
    'called' message says all that matters then)."""
    if ticket is None or recipient is None or already_called:
        return None
    complete = eta is not None and site is not None and service is not None
    if not complete and now < ticket.issue_due_at:
        return None
    service = service or ServiceInfo()
    facts = IssuedFacts(
        number=ticket.number,
        timezone=site.timezone if site else None,  # no zone, no times: never a wrong time
        service_name=service.name(recipient.locale),
        site_name=site.name if site else None,
        documents=service.documents(recipient.locale),
        eta=eta,
        travel_minutes=ticket.travel_minutes,
        status_url=recipient.status_url,
    )
    return OutboundDraft(
        cause_key=issued_cause(ticket.ticket_id),
        kind="ticket_issued",
        to=recipient.phone,
        locale=recipient.locale,
        body=render_ticket_issued(facts, locale=recipient.locale, now=now),
        expires_at=ticket.issued_at + timing.issued_ttl,
        ticket_id=ticket.ticket_id,
        site_id=recipient.site_id,
        template=templates.template_message(
            templates.TICKET_ISSUED,
            locale=recipient.locale,
            values=issued_template_values(facts, locale=recipient.locale, now=now),
        ),
        secret=recipient.status_url,
    )


def called_message(
    *,
    call: Call,
    recipient: Recipient | None,
    ticket_number: str | None,
    counter_name: str | None,
    timing: Timing,
) -> OutboundDraft | None:
    """'Nomor A-001 dipanggil ...' for a call or recall, if the ticket has a recipient."""
    number = call.number or ticket_number
    if recipient is None or number is None:
        return None
    return OutboundDraft(
        cause_key=called_cause(call.ticket_id, call.recall, call.round),
        kind="called",
        to=recipient.phone,
        locale=recipient.locale,
        body=render_called(
            number=number,
            counter_name=call.counter_name or counter_name,
            recall=int(call.is_recall),
            locale=recipient.locale,
        ),
        expires_at=call.called_at + timing.called_ttl,
        ticket_id=call.ticket_id,
        site_id=recipient.site_id,
        template=templates.template_message(
            templates.CALLED,
            locale=recipient.locale,
            values={"number": number, "counter": call.counter_name or counter_name or "loket"},
        ),
    )


def access_token_of(status_url: str | None) -> str | None:
    """The access token in a status link ``{public base}/t/{token}``; None if it has none."""
    if not status_url or "/t/" not in status_url:
        return None
    token = status_url.rsplit("/t/", 1)[1].split("?", 1)[0].split("#", 1)[0].strip("/")
    return token or None


def leave_home_at(ticket: Ticket, eta: Eta | None) -> datetime | None:
    """When the citizen should leave: be there by arrive_by, with their travel time."""
    if eta is None or ticket.travel_minutes is None:
        return None
    return eta.arrive_by - timedelta(minutes=ticket.travel_minutes)


def leave_home_message(
    *, ticket: Ticket, recipient: Recipient, eta: Eta, site: SiteInfo | None, now: datetime
) -> OutboundDraft | None:
    """The leave-home reminder; None without the site's timezone (no time can be shown)."""
    if site is None:
        return None
    return OutboundDraft(
        cause_key=f"leave:{ticket.ticket_id}",
        kind="reminder",
        to=recipient.phone,
        locale=recipient.locale,
        body=render_leave_home(
            number=ticket.number, eta=eta, timezone=site.timezone, locale=recipient.locale, now=now
        ),
        expires_at=eta.arrive_by,
        ticket_id=ticket.ticket_id,
        site_id=recipient.site_id,
        template=templates.template_message(
            templates.LEAVE_HOME,
            locale=recipient.locale,
            values={
                "number": ticket.number,
                "expected_call": clock_time(
                    eta.call_p50, timezone=site.timezone, now=now, locale=recipient.locale
                ),
            },
        ),
    )


@dataclass(frozen=True)
class Told:
    """What the citizen was last told of their call time, and when."""

    call_p50: datetime
    at: datetime
    changes: int


def estimate_changed_message(
    *,
    ticket: Ticket,
    recipient: Recipient,
    eta: Eta,
    site: SiteInfo | None,
    told: Told | None,
    now: datetime,
    timing: Timing,
) -> OutboundDraft | None:
    """A message for a significant change of the call time, rate-limited per ticket; None if
    nothing was told yet (the ticket message will say it), the change is small, or the last
    one was too recent (the next estimate is compared again)."""
    if told is None or site is None:
        return None
    if (
        abs(eta.call_p50 - told.call_p50) < timing.eta_change_min
        or now - told.at < timing.eta_change_interval
    ):
        return None
    facts = IssuedFacts(
        number=ticket.number, timezone=site.timezone, eta=eta, travel_minutes=ticket.travel_minutes
    )
    values = issued_template_values(facts, locale=recipient.locale, now=now)
    return OutboundDraft(
        cause_key=f"eta:{ticket.ticket_id}:{told.changes + 1}",
        kind="reminder",
        to=recipient.phone,
        locale=recipient.locale,
        body=render_estimate_changed(facts, locale=recipient.locale, now=now),
        expires_at=eta.call_p50,
        ticket_id=ticket.ticket_id,
        site_id=recipient.site_id,
        template=templates.template_message(
            templates.ESTIMATE_CHANGED,
            locale=recipient.locale,
            values={k: v for k, v in values.items() if k in ("number", "expected_call", "leave_by")},
        ),
    )


def few_ahead_message(
    *,
    ticket: Ticket,
    recipient: Recipient,
    previous: int | None,
    position: int,
    now: datetime,
    timing: Timing,
) -> OutboundDraft | None:
    """'Tinggal 2 antrean lagi ...' when the position first crosses into the few-ahead zone
    (not when the ticket started there: its first message said so)."""
    if previous is None or not (position <= timing.few_ahead < previous) or position < 1:
        return None
    ahead = position - 1
    return OutboundDraft(
        cause_key=f"ahead:{ticket.ticket_id}",
        kind="reminder",
        to=recipient.phone,
        locale=recipient.locale,
        body=render_few_ahead(number=ticket.number, ahead=ahead, locale=recipient.locale),
        expires_at=now + timing.called_ttl,
        ticket_id=ticket.ticket_id,
        site_id=recipient.site_id,
        template=templates.template_message(
            templates.FEW_AHEAD,
            locale=recipient.locale,
            values={"number": ticket.number, "ahead": str(ahead)},
        ),
    )


_DELIVERY_RANK: dict[DeliveryStatus, int] = {"sent": 1, "delivered": 2, "read": 3, "failed": 4}


def advance_delivery(current: DeliveryStatus | None, update: DeliveryStatus) -> DeliveryStatus:
    """Meta's callbacks can arrive out of order (read before delivered): only move forward.
    A failure is final."""
    if current is None or _DELIVERY_RANK[update] > _DELIVERY_RANK[current]:
        return update
    return current


def delivery_event(current: DeliveryStatus | None, update: DeliveryStatus) -> str | None:
    """The event a status callback causes: delivered once (a 'read' implies it), failed once."""
    if current == "failed":
        return None
    if update == "failed":
        return "notification.failed"
    if update in ("delivered", "read") and current in (None, "sent"):
        return "notification.delivered"
    return None
