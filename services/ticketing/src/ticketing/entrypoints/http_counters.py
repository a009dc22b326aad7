"""``/v1/counters/{id}/...``: the actions of a counter (loket). Admin token in this first pass."""

from uuid import UUID

from fastapi import APIRouter, Response, status

from ticketing.app import counter_actions
from ticketing.entrypoints.deps import AdminOnly, TicketingDep
from ticketing.entrypoints.schemas import CounterPublic, CounterTicketPublic

router = APIRouter(prefix="/v1/counters/{counter_id}", tags=["counters"], dependencies=[AdminOnly])


@router.post("/open", response_model=CounterPublic)
async def open_counter(counter_id: UUID, ticketing: TicketingDep) -> CounterPublic:
    desk = await counter_actions.open_counter(counter_id, uow=ticketing.uow(), clock=ticketing.clock)
    return CounterPublic.of(desk)


@router.post("/close", response_model=CounterPublic)
async def close_counter(counter_id: UUID, ticketing: TicketingDep) -> CounterPublic:
    desk = await counter_actions.close_counter(counter_id, uow=ticketing.uow(), clock=ticketing.clock)
    return CounterPublic.of(desk)


@router.post(
    "/call-next",
    response_model=CounterTicketPublic,
    responses={204: {"description": "Nobody waits for this counter's services today."}},
)
async def call_next(counter_id: UUID, ticketing: TicketingDep) -> CounterTicketPublic | Response:
    desk, ticket = await counter_actions.call_next(counter_id, uow=ticketing.uow(), clock=ticketing.clock)
    if ticket is None:
        return Response(status_code=status.HTTP_204_NO_CONTENT)
    return CounterTicketPublic.of(ticket, desk.counter)


@router.post("/start", response_model=CounterTicketPublic)
async def start_service(counter_id: UUID, ticketing: TicketingDep) -> CounterTicketPublic:
    desk, ticket = await counter_actions.start_service(counter_id, uow=ticketing.uow(), clock=ticketing.clock)
    return CounterTicketPublic.of(ticket, desk.counter)


@router.post("/finish", response_model=CounterTicketPublic)
async def finish_service(counter_id: UUID, ticketing: TicketingDep) -> CounterTicketPublic:
    desk, ticket = await counter_actions.finish_service(
        counter_id, uow=ticketing.uow(), clock=ticketing.clock
    )
    return CounterTicketPublic.of(ticket, desk.counter)
