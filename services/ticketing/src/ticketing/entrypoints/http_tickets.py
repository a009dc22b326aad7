"""``/v1/tickets``, ``/v1/services/{id}/queue`` and ``/v1/sites/{id}/snapshot``."""

from collections import Counter as Tally
from typing import Annotated
from uuid import UUID

from antre_platform.web import Problem
from fastapi import APIRouter, Depends, Header, Query, Response, status

from ticketing.app import queries, ticket_actions
from ticketing.app.issuing import IssueTicket, issue_ticket
from ticketing.domain.tickets import CHANNELS_NEEDING_IDEMPOTENCY_KEY
from ticketing.entrypoints.deps import MaybeActor, TicketingDep
from ticketing.entrypoints.schemas import (
    AgencyWaiting,
    BoardCallPublic,
    CalledEntry,
    QueueEntry,
    QueuePublic,
    ServiceWaiting,
    SnapshotPublic,
    TicketCreate,
    TicketPublic,
)

router = APIRouter(tags=["tickets"])


async def _access_token(
    token: Annotated[
        str | None, Query(max_length=200, description="The ticket's access token (from its status link).")
    ] = None,
    authorization: Annotated[str | None, Header(max_length=1000)] = None,
) -> str | None:
    """The holder's access token: ``?token=`` (the status link), or ``Authorization: Bearer``,
    which keeps it out of URLs and access logs (notify uses that)."""
    if token:
        return token
    scheme, _, value = (authorization or "").partition(" ")
    return (value.strip() or None) if scheme.lower() == "bearer" else None


AccessToken = Annotated[str | None, Depends(_access_token)]

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
    body: TicketCreate,
    ticketing: TicketingDep,
    response: Response,
    actor: MaybeActor,
    idempotency_key: IdempotencyKey = None,
) -> TicketPublic:
    if idempotency_key is None and body.channel in CHANNELS_NEEDING_IDEMPOTENCY_KEY:
        raise Problem(
            400,
            f"Send an Idempotency-Key header (e.g. a UUID) with {body.channel} tickets, "
            "so a retried request cannot take a second number.",
            code="idempotency_key_required",
        )
    if body.channel == "agency_api" and actor is None:
        raise Problem(
            401,
            "agency_api tickets need your agency's API key as 'Authorization: Bearer <key>'.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    command = IssueTicket(
        service_id=body.service_id,
        journey_id=body.journey_id,
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
        hash_phone=ticketing.hash_phone,
        rules=ticketing.rules,
        actor=actor,
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
    description="For the ticket's holder (``?token=`` its access token), the admin, the agency's key "
    "or the staff of a counter serving its service.",
)
async def get_ticket(
    ticket_id: UUID, ticketing: TicketingDep, actor: MaybeActor, token: AccessToken
) -> TicketPublic:
    details = await queries.ticket_details(ticket_id, uow=ticketing.uow(), actor=actor, access_token=token)
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


@router.post(
    "/v1/tickets/{ticket_id}/cancel",
    response_model=TicketPublic,
    description="BATAL: the holder (``?token=``) or staff cancel a waiting or called ticket.",
    responses={
        404: {"description": "No such ticket for this caller."},
        409: {"description": "Not cancellable now."},
    },
)
async def cancel_ticket(
    ticket_id: UUID, ticketing: TicketingDep, actor: MaybeActor, token: AccessToken
) -> TicketPublic:
    ticket = await ticket_actions.cancel_ticket(
        ticket_id, uow=ticketing.uow(), clock=ticketing.clock, actor=actor, access_token=token
    )
    return TicketPublic.of(ticket, position=None, status_url=ticketing.status_url(ticket.access_token))


@router.post(
    "/v1/tickets/{ticket_id}/rejoin",
    response_model=TicketPublic,
    description="TUNDA: a ticket marked as a no-show goes back to the end of its line, once, "
    "within the grace window (ANTRE_REJOIN_GRACE_MINUTES).",
    responses={
        404: {"description": "No such ticket for this caller."},
        409: {"description": "Cannot rejoin."},
    },
)
async def rejoin_ticket(
    ticket_id: UUID, ticketing: TicketingDep, actor: MaybeActor, token: AccessToken
) -> TicketPublic:
    ticket, position = await ticket_actions.rejoin_ticket(
        ticket_id,
        uow=ticketing.uow(),
        clock=ticketing.clock,
        grace=ticketing.rejoin_grace,
        actor=actor,
        access_token=token,
    )
    return TicketPublic.of(ticket, position=position, status_url=ticketing.status_url(ticket.access_token))


@router.get("/v1/sites/{site_id}/snapshot", response_model=SnapshotPublic, tags=["board"])
async def site_snapshot(site_id: UUID, ticketing: TicketingDep) -> SnapshotPublic:
    """What the hall's display board shows: latest calls with counter names, waiting counts."""
    snapshot = await queries.site_snapshot(site_id, uow=ticketing.uow(), clock=ticketing.clock)
    by_agency: Tally[UUID] = Tally()
    for service, waiting in snapshot.waiting:
        by_agency[service.agency_id] += waiting
    return SnapshotPublic(
        site_id=snapshot.site_id,
        at=snapshot.at,
        latest_calls=[
            BoardCallPublic(
                ticket_id=call.ticket.id,
                number=call.ticket.number,
                service_id=call.ticket.service_id,
                counter_id=call.ticket.counter_id,
                counter_name=call.counter.name if call.counter else None,
                called_at=call.ticket.called_at,
                recalls=call.ticket.recalls,
                status=call.ticket.status,
            )
            for call in snapshot.calls
            if call.ticket.called_at is not None
        ],
        waiting_by_service=[
            ServiceWaiting(
                service_id=service.id,
                code=service.code,
                prefix=service.prefix,
                name_id=service.name_id,
                name_en=service.name_en,
                agency_id=service.agency_id,
                waiting=waiting,
            )
            for service, waiting in snapshot.waiting
        ],
        waiting_by_agency=[
            AgencyWaiting(agency_id=a, waiting=n)
            for a, n in sorted(by_agency.items(), key=lambda item: str(item[0]))
        ],
    )
