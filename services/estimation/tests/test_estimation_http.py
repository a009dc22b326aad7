"""The HTTP API of a running estimation app (real PostgreSQL; Kafka deliberately absent)."""

import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4

import httpx
import pytest
from antre_contracts import CloudEvent
from antre_platform.clock import FixedClock
from fastapi import FastAPI

from estimation.adapters.memory import MemoryDatabase
from estimation.adapters.postgres import PostgresDatabase
from estimation.app.estimates import EstimationPolicy
from estimation.app.handlers import handle_event
from estimation.app.queries import current_estimate, current_forecast
from estimation.main import create_app
from estimation.settings import Settings


def closed_port() -> int:
    # Nothing listens there: the service must start and answer without Kafka.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Running:
    app: FastAPI
    client: httpx.AsyncClient
    clock: FixedClock

    # The same events applied to the in-memory store (the replay's): the answers must match.
    twin: MemoryDatabase

    async def feed(self, *events: CloudEvent) -> None:
        db = PostgresDatabase(lambda: self.app.state.runtime.pool)
        for event in events:
            await handle_event(event, unit_of_work=db.unit_of_work, policy=EstimationPolicy())
            await handle_event(event, unit_of_work=self.twin.unit_of_work, policy=EstimationPolicy())

    async def twin_estimate(self, ticket: CloudEvent, hall: Any) -> dict[str, Any]:
        async with self.twin.unit_of_work() as store:
            estimate = await current_estimate(
                store, EstimationPolicy(), ticket_id=hall.ticket_id(ticket), now=self.clock.now()
            )
        return {"position": estimate.position, "call_p50": estimate.call_p50.isoformat()}


@pytest.fixture
async def estimation(database_url: str, hall: Any) -> AsyncIterator[Running]:
    settings = Settings(env="test", database_url=database_url, kafka_bootstrap=f"127.0.0.1:{closed_port()}")
    clock = FixedClock(hall.at(0))
    app = create_app(settings, clock=clock)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://estimation") as client,
    ):
        yield Running(app=app, client=client, clock=clock, twin=MemoryDatabase())


async def morning(estimation: Running, hall: Any) -> list[CloudEvent]:
    tickets = [hall.issued(0), hall.issued(1), hall.issued(2)]
    await estimation.feed(
        hall.site(),
        hall.service(mean_service_min=5),
        hall.counter(0),
        hall.counter_state("counter.opened"),
        *tickets,
    )
    return tickets


async def test_a_waiting_ticket_sees_its_place_and_call_band_from_now(estimation: Running, hall: Any) -> None:
    third = (await morning(estimation, hall))[2]
    estimation.clock.advance(timedelta(minutes=4))

    response = await estimation.client.get(f"/v1/tickets/{hall.ticket_id(third)}/estimate")

    assert response.status_code == 200
    body = response.json()
    assert body["ticket_id"] == str(hall.ticket_id(third))
    assert body["position"] == 3
    assert body["computed_at"] == "2026-05-04T08:04:00+08:00"
    assert {k: body[k] for k in ("position", "call_p50")} == await estimation.twin_estimate(third, hall)
    # Two 5-minute services ahead (the open counter calls the first at once): about 8 minutes.
    assert "2026-05-04T08:09:00+08:00" < body["call_p50"] < "2026-05-04T08:15:00+08:00"
    assert body["arrive_by"] <= body["call_p10"] < body["call_p50"] < body["call_p90"]


async def test_the_estimate_follows_the_queue(estimation: Running, hall: Any) -> None:
    first, _, third = await morning(estimation, hall)
    await estimation.feed(hall.called(first, 3))
    estimation.clock.advance(timedelta(minutes=3))

    body = (await estimation.client.get(f"/v1/tickets/{hall.ticket_id(third)}/estimate")).json()

    assert body["position"] == 2
    assert {k: body[k] for k in ("position", "call_p50")} == await estimation.twin_estimate(third, hall)


async def test_a_called_ticket_has_no_estimate_and_is_told_why(estimation: Running, hall: Any) -> None:
    first = (await morning(estimation, hall))[0]
    await estimation.feed(hall.called(first, 3))

    response = await estimation.client.get(f"/v1/tickets/{hall.ticket_id(first)}/estimate")

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert "no longer waiting: it has been called to a counter" in response.json()["detail"]


async def test_a_rejoined_ticket_is_told_its_place_again(estimation: Running, hall: Any) -> None:
    first, _, third = await morning(estimation, hall)
    await estimation.feed(hall.called(first, 3), hall.no_show(first, 6))
    missed = await estimation.client.get(f"/v1/tickets/{hall.ticket_id(first)}/estimate")
    assert missed.status_code == 404

    await estimation.feed(hall.rejoined(first, 10))
    estimation.clock.advance(timedelta(minutes=11))
    response = await estimation.client.get(f"/v1/tickets/{hall.ticket_id(first)}/estimate")

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["position"] == 3, "TUNDA: behind the two who kept waiting"
    assert {k: body[k] for k in ("position", "call_p50")} == await estimation.twin_estimate(first, hall)
    third_now = (await estimation.client.get(f"/v1/tickets/{hall.ticket_id(third)}/estimate")).json()
    assert third_now["position"] == 2 and third_now["call_p50"] < body["call_p50"]


async def test_an_unknown_ticket_is_a_404_problem(estimation: Running) -> None:
    ticket_id = uuid4()
    response = await estimation.client.get(f"/v1/tickets/{ticket_id}/estimate")
    assert response.status_code == 404
    problem = response.json()
    assert problem["status"] == 404 and f"No ticket {ticket_id}" in problem["detail"]


async def test_a_malformed_id_is_a_422_naming_the_field(estimation: Running) -> None:
    response = await estimation.client.get("/v1/tickets/A-001/estimate")
    assert response.status_code == 422
    assert "ticket_id" in response.json()["detail"]


async def test_the_forecast_tells_the_wait_for_a_ticket_taken_now(estimation: Running, hall: Any) -> None:
    await morning(estimation, hall)
    estimation.clock.advance(timedelta(minutes=5))

    response = await estimation.client.get(f"/v1/services/{hall.service_id}/forecast")

    assert response.status_code == 200
    body = response.json()
    async with estimation.twin.unit_of_work() as store:
        twin = await current_forecast(
            store, EstimationPolicy(), service_id=hall.service_id, now=estimation.clock.now()
        )
    assert {k: body[k] for k in ("service_id", "waiting", "open_counters", "wait_p50", "computed_at")} == {
        "service_id": str(hall.service_id),
        "waiting": 3,
        "open_counters": 1,
        "wait_p50": twin.band.p50,
        "computed_at": "2026-05-04T08:05:00+08:00",
    }
    assert body["wait_p10"] < body["wait_p50"] < body["wait_p90"]


async def test_an_unknown_service_is_a_404_problem(estimation: Running) -> None:
    response = await estimation.client.get(f"/v1/services/{uuid4()}/forecast")
    assert response.status_code == 404
    assert "registry" in response.json()["detail"]


async def test_accuracy_compares_promised_and_actual_call_times(estimation: Running, hall: Any) -> None:
    assert (await estimation.client.get("/v1/accuracy")).json() == []
    first, second, _ = await morning(estimation, hall)
    promised = estimation.twin.state.predictions
    second_p90 = promised[hall.ticket_id(second)].estimate.call_p90
    assert second_p90 < hall.at(30)
    await estimation.feed(hall.called(first, 0), hall.called(second, 30))

    response = await estimation.client.get("/v1/accuracy")

    errors = sorted(
        abs((called - promised[t].estimate.call_p50).total_seconds()) / 60
        for t, called in ((hall.ticket_id(first), hall.at(0)), (hall.ticket_id(second), hall.at(30)))
    )
    assert response.status_code == 200
    assert response.json() == [
        {
            "service_id": str(hall.service_id),
            "day": "2026-05-04",
            "predictions": 3,
            "called": 2,
            "mae_minutes": round(sum(errors) / 2, 2),
            "p90_abs_error_minutes": round(errors[0] + 0.9 * (errors[1] - errors[0]), 2),  # interpolated
            "band_coverage": 0.5,  # the first was called at once, as promised; the second long after its p90
        }
    ]


async def test_health_and_openapi_answer_without_kafka(estimation: Running) -> None:
    assert (await estimation.client.get("/healthz")).json() == {"status": "ok"}
    assert (await estimation.client.get("/readyz")).status_code == 200
    paths = (await estimation.client.get("/openapi.json")).json()["paths"]
    ours = {"/v1/tickets/{ticket_id}/estimate", "/v1/services/{service_id}/forecast", "/v1/accuracy"}
    assert ours <= set(paths)


def minutes(later: str, earlier: str) -> float:
    return (datetime.fromisoformat(later) - datetime.fromisoformat(earlier)).total_seconds() / 60


async def test_a_journey_ticket_is_told_when_each_later_step_will_likely_call_it(
    estimation: Running, hall: Any
) -> None:
    # Founding a company, three steps: notary deed (5 min, one counter), NIB (12 min, one counter,
    # two citizens already waiting there), then NPWP (8 min, no counter registered yet).
    notary, nib, npwp, journey_id = hall.service_id, hall.other_service_id, uuid4(), uuid4()
    await estimation.feed(
        hall.site(),
        hall.service(mean_service_min=5),
        hall.service(mean_service_min=12, service_id=nib),
        hall.service(mean_service_min=8, service_id=npwp),
        hall.counter(0),
        hall.counter(1, service_ids=[nib]),
        hall.counter_state("counter.opened", 0),
        hall.counter_state("counter.opened", 1, service_ids=[nib]),
        hall.journey(journey_id, [notary, nib, npwp]),
        hall.issued(0),
        hall.issued(1, service_id=nib),
        hall.issued(2, service_id=nib),
    )
    founder = hall.issued(3, journey_id=journey_id, journey_step=1)
    at_last_step = hall.issued(4, service_id=npwp, journey_id=journey_id, journey_step=3)
    walk_in = hall.issued(5)
    await estimation.feed(founder, at_last_step, walk_in)
    estimation.clock.advance(timedelta(minutes=6))

    body = (await estimation.client.get(f"/v1/tickets/{hall.ticket_id(founder)}/estimate")).json()
    nib_now = (await estimation.client.get(f"/v1/services/{nib}/forecast")).json()
    npwp_now = (await estimation.client.get(f"/v1/services/{npwp}/forecast")).json()

    second, third = body["next_steps"]
    assert (second["step"], second["service_id"], third["step"], third["service_id"]) == (
        2,
        str(nib),
        3,
        str(npwp),
    )
    # Step 2: done at the notary (its call + 5 minutes), then NIB's wait as forecast now.
    for band in ("call_p10", "call_p50", "call_p90"):
        assert minutes(second[band], body[band]) == pytest.approx(5 + nib_now[f"wait_{band[5:]}"], abs=0.02)
        assert minutes(third[band], second[band]) == pytest.approx(
            12 + npwp_now[f"wait_{band[5:]}"], abs=0.02
        )
    assert body["call_p50"] < second["call_p10"] < second["call_p50"] < second["call_p90"]
    assert second["call_p50"] < third["call_p50"]
    assert second["call_p50"].endswith("+08:00")
    # The in-memory twin (the replay's store) tells the same.
    async with estimation.twin.unit_of_work() as store:
        twin = await current_estimate(
            store, EstimationPolicy(), ticket_id=hall.ticket_id(founder), now=estimation.clock.now()
        )
    assert [step.call_p50.isoformat() for step in twin.next_steps] == [second["call_p50"], third["call_p50"]]

    # Nothing comes after the last step, and a ticket outside any journey has no next step.
    for other in (at_last_step, walk_in):
        answer = (await estimation.client.get(f"/v1/tickets/{hall.ticket_id(other)}/estimate")).json()
        assert answer["next_steps"] == []

    # The registry withdraws the journey: its next steps are no longer promised.
    await estimation.feed(hall.journey(journey_id, [notary, nib, npwp], op="delete"))
    withdrawn = (await estimation.client.get(f"/v1/tickets/{hall.ticket_id(founder)}/estimate")).json()
    assert withdrawn["next_steps"] == []


async def test_the_estimate_carries_the_mean_call_time_beside_the_band(
    estimation: Running, hall: Any
) -> None:
    third = (await morning(estimation, hall))[2]

    body = (await estimation.client.get(f"/v1/tickets/{hall.ticket_id(third)}/estimate")).json()

    # Waits are right-skewed: the mean (best for squared error) comes after the median.
    assert body["call_p50"] < body["call_mean"] < body["call_p90"]
    async with estimation.twin.unit_of_work() as store:
        twin = await current_estimate(
            store, EstimationPolicy(), ticket_id=hall.ticket_id(third), now=estimation.clock.now()
        )
    assert body["call_mean"] == twin.call_mean.isoformat()
