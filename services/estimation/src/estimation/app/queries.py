"""Answers to "when will I be called?" and "how long is the wait now?", from the stored state."""

from dataclasses import dataclass, replace
from datetime import datetime
from uuid import UUID

from estimation.app.estimates import (
    EstimationPolicy,
    NextStepEstimate,
    ServiceForecast,
    next_step_estimates,
    service_forecast,
    site_zone,
    ticket_estimate,
)
from estimation.app.ports import QueueStore
from estimation.domain.model import TicketStatus

_WHY_NOT_WAITING: dict[TicketStatus, str] = {
    "waiting": "it is waiting",
    "called": "it has been called to a counter",
    "serving": "it is being served at a counter",
    "done": "its service is finished",
    "no_show": "it was called and marked as not present",
    "cancelled": "it was cancelled",
    "transferred": "it was transferred to another service, which gave it a new ticket",
}


class UnknownTicket(LookupError):
    def __init__(self, ticket_id: UUID) -> None:
        super().__init__(
            f"No ticket {ticket_id} is known to the estimation service; check the id, "
            "or retry in a moment if it was issued just now."
        )


class TicketNotWaiting(LookupError):
    def __init__(self, ticket_id: UUID, status: TicketStatus) -> None:
        super().__init__(
            f"Ticket {ticket_id} is no longer waiting: {_WHY_NOT_WAITING[status]}. "
            "Estimates exist only for waiting tickets."
        )
        self.status = status


class UnknownService(LookupError):
    def __init__(self, service_id: UUID) -> None:
        super().__init__(
            f"No service {service_id} is known to the estimation service; check the id "
            "against the registry (GET /v1/services on the registry)."
        )


@dataclass(frozen=True)
class CurrentEstimate:
    ticket_id: UUID
    position: int
    call_p10: datetime
    call_p50: datetime
    call_p90: datetime
    arrive_by: datetime
    computed_at: datetime
    # The expected call time (the point for squared error); P10/P50/P90 keep their meaning.
    call_mean: datetime
    # A journey ticket's later steps, in order (empty for a ticket outside any journey).
    next_steps: list[NextStepEstimate]


async def current_estimate(
    store: QueueStore, policy: EstimationPolicy, *, ticket_id: UUID, now: datetime
) -> CurrentEstimate:
    """The call band of a waiting ticket, as of ``now``, in its site's local time."""
    ticket = await store.ticket(ticket_id)
    if ticket is None:
        raise UnknownTicket(ticket_id)
    if not ticket.waiting:
        raise TicketNotWaiting(ticket_id, ticket.status)
    call = (await ticket_estimate(store, policy, ticket=ticket, at=now)).call
    zone = await site_zone(store, ticket.site_id)
    next_steps = await next_step_estimates(store, policy, ticket=ticket, call=call, at=now)
    return CurrentEstimate(
        ticket_id=ticket.id,
        position=call.position,
        call_p10=call.call_p10.astimezone(zone),
        call_p50=call.call_p50.astimezone(zone),
        call_p90=call.call_p90.astimezone(zone),
        arrive_by=call.arrive_by.astimezone(zone),
        computed_at=now.astimezone(zone),
        call_mean=call.call_mean.astimezone(zone),
        next_steps=[
            replace(
                step,
                call_p10=step.call_p10.astimezone(zone),
                call_p50=step.call_p50.astimezone(zone),
                call_p90=step.call_p90.astimezone(zone),
            )
            for step in next_steps
        ],
    )


async def current_forecast(
    store: QueueStore, policy: EstimationPolicy, *, service_id: UUID, now: datetime
) -> ServiceForecast:
    """The wait of a ticket taken ``now`` in this service, in its site's local time."""
    forecast = await service_forecast(store, policy, service_id=service_id, at=now)
    if forecast.site_id is None and forecast.waiting == 0:
        raise UnknownService(service_id)
    zone = await site_zone(store, forecast.site_id)
    return replace(forecast, at=now.astimezone(zone))
