"""Ticketing's HTTP API, as the WhatsApp conversation uses it.

Taking a number passes the citizen's phone: ticketing applies its anti-tout limits to it and
hands it back to notify sealed (``PUT /internal/v1/recipients/{id}``), so the "issued"
message follows the same path as for any other channel. The ``Idempotency-Key`` is the
inbound WhatsApp message id: Meta's webhook retries and our own retries never make two
tickets. A ticket's access token goes only as ``Authorization: Bearer``, never in a URL
(access logs and span attributes keep URLs); notify itself never logs it.
"""

from dataclasses import dataclass
from typing import Any
from uuid import UUID

import httpx

from notify.app.ports import TicketingRefused, TicketingUnavailable


@dataclass(frozen=True)
class TakenTicket:
    ticket_id: UUID
    number: str
    service_id: UUID
    access_token: str


@dataclass(frozen=True)
class TicketView:
    number: str
    status: str
    position: int | None
    counter_name: str | None


def _detail(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    detail = body.get("detail") if isinstance(body, dict) else None
    return detail if isinstance(detail, str) else None


class TicketingClient:
    def __init__(self, http: httpx.AsyncClient, *, base_url: str) -> None:
        self._http = http
        self._base = base_url.rstrip("/")

    async def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = await self._http.request(method, f"{self._base}{path}", **kwargs)
        except httpx.HTTPError as exc:
            raise TicketingUnavailable(f"network: {type(exc).__name__}") from exc
        if response.status_code >= 500 or response.status_code == 429:
            raise TicketingUnavailable(f"HTTP {response.status_code}")
        if not response.is_success:
            raise TicketingRefused(status=response.status_code, detail=_detail(response))
        body = response.json()
        if not isinstance(body, dict):
            raise TicketingUnavailable("unexpected answer")
        return body

    async def take(
        self, *, service_id: UUID, phone: str, locale: str, travel_minutes: int, idempotency_key: str
    ) -> TakenTicket:
        body = await self._call(
            "POST",
            "/v1/tickets",
            json={
                "service_id": str(service_id),
                "channel": "whatsapp",
                "phone": phone,
                "locale": locale,
                "travel_minutes": travel_minutes,
            },
            headers={"Idempotency-Key": idempotency_key},
        )
        return TakenTicket(
            ticket_id=UUID(body["id"]),
            number=str(body["number"]),
            service_id=UUID(body["service_id"]),
            access_token=str(body["access_token"]),
        )

    async def view(self, ticket_id: UUID, *, access_token: str) -> TicketView:
        return _view(await self._call("GET", f"/v1/tickets/{ticket_id}", **_holder(access_token)))

    async def cancel(self, ticket_id: UUID, *, access_token: str) -> TicketView:
        return _view(await self._call("POST", f"/v1/tickets/{ticket_id}/cancel", **_holder(access_token)))

    async def rejoin(self, ticket_id: UUID, *, access_token: str) -> TicketView:
        return _view(await self._call("POST", f"/v1/tickets/{ticket_id}/rejoin", **_holder(access_token)))


def _holder(token: str) -> dict[str, Any]:
    return {"headers": {"Authorization": f"Bearer {token}"}}


def _view(body: dict[str, Any]) -> TicketView:
    position = body.get("position")
    return TicketView(
        number=str(body.get("number")),
        status=str(body.get("status")),
        position=position if isinstance(position, int) else None,
        counter_name=body.get("counter_name") if isinstance(body.get("counter_name"), str) else None,
    )
