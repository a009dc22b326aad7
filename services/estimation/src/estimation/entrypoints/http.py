"""The HTTP API: estimates for a ticket, forecasts for a service, accuracy so far."""

from datetime import datetime
from typing import Any
from uuid import UUID

from antre_platform.clock import Clock
from antre_platform.web import Problem
from fastapi import APIRouter
from pydantic import BaseModel, Field

from estimation.app.estimates import EstimationPolicy
from estimation.app.ports import AccuracyReader, UnitOfWork
from estimation.app.queries import (
    TicketNotWaiting,
    UnknownService,
    UnknownTicket,
    current_estimate,
    current_forecast,
)


class NextStepPublic(BaseModel):
    step: int = Field(description="1-based step of the journey")
    service_id: UUID
    call_p10: datetime = Field(description="10% of citizens are called at this step before this")
    call_p50: datetime
    call_p90: datetime = Field(description="90% of citizens are called at this step before this")


class TicketEstimatePublic(BaseModel):
    ticket_id: UUID
    position: int = Field(description="1-based place in the queue of its service")
    call_p10: datetime = Field(description="10% of tickets are called before this")
    call_p50: datetime = Field(description="the expected call time")
    call_p90: datetime = Field(description="90% of tickets are called before this")
    arrive_by: datetime = Field(description="be at the hall by then: a margin before call_p10")
    computed_at: datetime
    call_mean: datetime = Field(
        description="the mean call time (the best point for squared error; call_p50 is the median)"
    )
    next_steps: list[NextStepPublic] = Field(
        default_factory=list,
        description="for a journey ticket, the estimated call band at each later step (empty otherwise)",
    )


class ServiceForecastPublic(BaseModel):
    service_id: UUID
    waiting: int
    open_counters: int = Field(description="0 when none is open: waits then assume the registered ones open")
    wait_p10: float = Field(description="minutes, for a ticket taken now")
    wait_p50: float
    wait_p90: float
    computed_at: datetime


class ServiceAccuracyPublic(BaseModel):
    service_id: UUID
    day: str = Field(description="the site's local calendar day of the predictions, YYYY-MM-DD")
    predictions: int = Field(description="tickets that got an estimate when they joined the queue")
    called: int = Field(description="of those, tickets called so far")
    mae_minutes: float = Field(description="mean absolute error of call_p50 against the actual call")
    p90_abs_error_minutes: float = Field(description="90% of absolute errors are at most this")
    band_coverage: float = Field(description="share of called tickets called between call_p10 and call_p90")


_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "Problem details (RFC 9457) naming what was not found and why"}
}


def build_router(
    *, snapshot: UnitOfWork, accuracy: AccuracyReader, clock: Clock, policy: EstimationPolicy
) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["estimates"])

    @router.get("/tickets/{ticket_id}/estimate", responses=_NOT_FOUND)
    async def get_ticket_estimate(ticket_id: UUID) -> TicketEstimatePublic:
        """When a waiting ticket will likely be called, seen from now."""
        try:
            async with snapshot() as store:
                estimate = await current_estimate(store, policy, ticket_id=ticket_id, now=clock.now())
        except (UnknownTicket, TicketNotWaiting) as exc:
            raise Problem(404, str(exc)) from exc
        return TicketEstimatePublic(
            ticket_id=estimate.ticket_id,
            position=estimate.position,
            call_p10=estimate.call_p10,
            call_p50=estimate.call_p50,
            call_p90=estimate.call_p90,
            arrive_by=estimate.arrive_by,
            computed_at=estimate.computed_at,
            call_mean=estimate.call_mean,
            next_steps=[NextStepPublic(**vars(step)) for step in estimate.next_steps],
        )

    @router.get("/services/{service_id}/forecast", responses=_NOT_FOUND)
    async def get_service_forecast(service_id: UUID) -> ServiceForecastPublic:
        """Who is waiting and how long a ticket taken now would wait."""
        try:
            async with snapshot() as store:
                forecast = await current_forecast(store, policy, service_id=service_id, now=clock.now())
        except UnknownService as exc:
            raise Problem(404, str(exc)) from exc
        return ServiceForecastPublic(
            service_id=forecast.service_id,
            waiting=forecast.waiting,
            open_counters=forecast.open_counters,
            wait_p10=forecast.band.p10,
            wait_p50=forecast.band.p50,
            wait_p90=forecast.band.p90,
            computed_at=forecast.at,
        )

    @router.get("/accuracy")
    async def get_accuracy() -> list[ServiceAccuracyPublic]:
        """Predicted against actual first-call times, per service and local day with at least one call."""
        return [ServiceAccuracyPublic(**vars(row)) for row in await accuracy.accuracy()]

    return router
