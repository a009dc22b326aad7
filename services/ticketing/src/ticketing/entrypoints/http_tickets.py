"""``/v1/tickets`` and ``/v1/services/{id}/queue``."""

from typing import Annotated
from uuid import UUID

from antre_platform.web import Problem
from fastapi import APIRouter, Header, Query, Response, status

from ticketing.app import queries
from ticketing.app.issuing import IssueTicket, issue_ticket
from ticketing.domain.tickets import CHANNELS_NEEDING_IDEMPOTENCY_KEY
from ticketing.entrypoints.deps import IsAdmin, TicketingDep
from ticketing.entrypoints.schemas import CalledEntry, QueueEntry, QueuePublic, TicketCreate, TicketPublic

router = APIRouter(tags=["tickets"])

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        pattern=r"^[\x21-\x7e]{1,255}$",
        description="Required for whatsapp, agency_api, web and outreach: a retry with the same key "
        "and body returns the same ticket.",
    ),
]


@router.post(
    "/v1/tickets",
    status_code=status.HTTP_201_CREATED,
    response_model=TicketPublic,
    responses={200: {"description": "A retry: the ticket issued for this Idempotency-Key."}},
)
async def create_ticket(
    body: TicketCreate, ticketing: TicketingDep, response: Response, idempotency_key: IdempotencyKey = None
) -> TicketPublic:
    if idempotency_key is None and body.channel in CHANNELS_NEEDING_IDEMPOTENCY_KEY:
        raise Problem(
            400,
            f"Send an Idempotency-Key header (e.g. a UUID) with {body.channel} tickets, "
            "so a retried request cannot take a second number.",
            code="idempotency_key_required",
        )
    command = IssueTicket(
        service_id=body.service_id,
        channel=body.channel,
        priority=body.priority,
        phone=body.phone,
        locale=body.locale,
        travel_minutes=body.travel_minutes,
        idempotency_key=idempotency_key,
    )
    issued = await issue_ticket(
        command,
        uow=ticketing.uow(),
        clock=ticketing.clock,
        seal_phone=ticketing.seal_phone,
        fingerprint=ticketing.fingerprint,
    )
    if body.phone and not issued.replayed:
        ticketing.handoff_wakeup.set()
    response.headers["Location"] = f"/v1/tickets/{issued.ticket.id}"
    if issued.replayed:
        response.status_code = status.HTTP_200_OK
        response.headers["Idempotent-Replayed"] = "true"
    return TicketPublic.of(
        issued.ticket, position=issued.position, status_url=ticketing.status_url(issued.ticket.access_token)
    )


@router.get(
    "/v1/tickets/{ticket_id}",
    response_model=TicketPublic,
    description="For the ticket's holder (``?token=`` its access token) or the platform admin.",
)
async def get_ticket(
    ticket_id: UUID,
    ticketing: TicketingDep,
    admin: IsAdmin,
    token: Annotated[str | None, Query(max_length=200)] = None,
) -> TicketPublic:
    details = await queries.ticket_details(ticket_id, uow=ticketing.uow(), staff=admin, access_token=token)
    return TicketPublic.of(
        details.ticket,
        position=details.position,
        counter=details.counter,
        status_url=ticketing.status_url(details.ticket.access_token),
    )


@router.get("/v1/services/{service_id}/queue", response_model=QueuePublic)
async def get_queue(service_id: UUID, ticketing: TicketingDep) -> QueuePublic:
    line = await queries.service_line(service_id, uow=ticketing.uow(), clock=ticketing.clock)
    waiting = [
        QueueEntry(id=t.id, number=t.number, priority=t.priority, issued_at=t.issued_at) for t in line.waiting
    ]
    called = [
        CalledEntry(
            id=t.id,
            number=t.number,
            priority=t.priority,
            issued_at=t.issued_at,
            status="serving" if t.status == "serving" else "called",
            counter_id=t.counter_id,
            counter_name=line.counters[t.counter_id].name if t.counter_id in line.counters else None,
            called_at=t.called_at,
        )
        for t in line.called
        if t.counter_id and t.called_at
    ]
    return QueuePublic(service_id=service_id, waiting=waiting, called=called)
