"""``/v1/counters/{id}/...``: the actions of a counter (loket).

Admin token, the owning agency's key, or the staff token of this counter.
"""

from uuid import UUID

from fastapi import APIRouter, Response, status

from ticketing.app import counter_actions
from ticketing.entrypoints.deps import StaffActor, TicketingDep
from ticketing.entrypoints.schemas import (
    CounterPause,
    CounterPublic,
    CounterTicketPublic,
    CounterTransfer,
    TransferPublic,
)

router = APIRouter(prefix="/v1/counters/{counter_id}", tags=["counters"])

_REFUSALS: dict[int | str, dict[str, str]] = {
    401: {"description": "No or unknown credential."},
    403: {"description": "The credential belongs to another agency or another counter."},
    404: {"description": "No such counter."},
    409: {"description": "The counter's state forbids it now; the detail says why."},
}


@router.post("/open", response_model=CounterPublic, responses=_REFUSALS)
async def open_counter(counter_id: UUID, ticketing: TicketingDep, actor: StaffActor) -> CounterPublic:
    """Open a closed counter, or resume a paused one."""
    desk = await counter_actions.open_counter(
        counter_id, uow=ticketing.uow(), clock=ticketing.clock, actor=actor
    )
    return CounterPublic.of(desk)


@router.post("/pause", response_model=CounterPublic, responses=_REFUSALS)
async def pause_counter(
    counter_id: UUID, body: CounterPause, ticketing: TicketingDep, actor: StaffActor
) -> CounterPublic:
    desk = await counter_actions.pause_counter(
        counter_id, body.reason, uow=ticketing.uow(), clock=ticketing.clock, actor=actor
    )
    return CounterPublic.of(desk)


@router.post("/close", response_model=CounterPublic, responses=_REFUSALS)
async def close_counter(counter_id: UUID, ticketing: TicketingDep, actor: StaffActor) -> CounterPublic:
    desk = await counter_actions.close_counter(
        counter_id, uow=ticketing.uow(), clock=ticketing.clock, actor=actor
    )
    return CounterPublic.of(desk)


@router.post(
    "/call-next",
    response_model=CounterTicketPublic,
    responses={**_REFUSALS, 204: {"description": "Nobody waits for this counter's services today."}},
)
async def call_next(
    counter_id: UUID, ticketing: TicketingDep, actor: StaffActor
) -> CounterTicketPublic | Response:
    desk, ticket = await counter_actions.call_next(
        counter_id, uow=ticketing.uow(), clock=ticketing.clock, actor=actor, policy=ticketing.policy
    )
    if ticket is None:
        return Response(status_code=status.HTTP_204_NO_CONTENT)
    return CounterTicketPublic.of(ticket, desk.counter)


@router.post("/recall", response_model=CounterTicketPublic, responses=_REFUSALS)
async def recall(counter_id: UUID, ticketing: TicketingDep, actor: StaffActor) -> CounterTicketPublic:
    desk, ticket = await counter_actions.recall(
        counter_id, uow=ticketing.uow(), clock=ticketing.clock, actor=actor
    )
    return CounterTicketPublic.of(ticket, desk.counter)


@router.post("/start", response_model=CounterTicketPublic, responses=_REFUSALS)
async def start_service(counter_id: UUID, ticketing: TicketingDep, actor: StaffActor) -> CounterTicketPublic:
    desk, ticket = await counter_actions.start_service(
        counter_id, uow=ticketing.uow(), clock=ticketing.clock, actor=actor
    )
    return CounterTicketPublic.of(ticket, desk.counter)


@router.post("/finish", response_model=CounterTicketPublic, responses=_REFUSALS)
async def finish_service(counter_id: UUID, ticketing: TicketingDep, actor: StaffActor) -> CounterTicketPublic:
    desk, ticket = await counter_actions.finish_service(
        counter_id, uow=ticketing.uow(), clock=ticketing.clock, actor=actor
    )
    if ticket.journey_id is not None:
        ticketing.handoff_wakeup.set()  # the next step may carry the citizen's sealed phone
    return CounterTicketPublic.of(ticket, desk.counter)


@router.post("/no-show", response_model=CounterTicketPublic, responses=_REFUSALS)
async def no_show(counter_id: UUID, ticketing: TicketingDep, actor: StaffActor) -> CounterTicketPublic:
    desk, ticket = await counter_actions.no_show(
        counter_id, uow=ticketing.uow(), clock=ticketing.clock, actor=actor
    )
    return CounterTicketPublic.of(ticket, desk.counter)


@router.post(
    "/transfer", response_model=TransferPublic, responses={**_REFUSALS, 422: {"description": "Bad body."}}
)
async def transfer(
    counter_id: UUID, body: CounterTransfer, ticketing: TicketingDep, actor: StaffActor
) -> TransferPublic:
    desk, moved = await counter_actions.transfer(
        counter_id,
        body.to_service_id,
        keep_place=body.keep_place,
        uow=ticketing.uow(),
        clock=ticketing.clock,
        actor=actor,
    )
    return TransferPublic(
        transferred=CounterTicketPublic.of(moved.old, desk.counter),
        new_ticket=CounterTicketPublic.of(moved.new, None),
    )
