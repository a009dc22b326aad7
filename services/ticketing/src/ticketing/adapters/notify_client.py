"""Notify's internal recipient endpoint, over HTTP (httpx is instrumented: traces follow)."""

import httpx

from ticketing.app.ports import HandoffRefused, RecipientHandoff


class NotifyRecipients:
    def __init__(self, client: httpx.AsyncClient, *, internal_token: str) -> None:
        self._client = client
        self._headers = {"Authorization": f"Bearer {internal_token}"}

    async def put(self, handoff: RecipientHandoff) -> None:
        body = {
            "sealed_phone": handoff.sealed_phone,
            "locale": handoff.locale,
            "site_id": str(handoff.site_id),
        }
        try:
            response = await self._client.put(
                f"/internal/v1/recipients/{handoff.ticket_id}", json=body, headers=self._headers
            )
        except httpx.HTTPError as exc:
            raise HandoffRefused(f"notify unreachable: {exc.__class__.__name__}") from exc
        if not response.is_success:
            # The status only: notify's body could echo what we sent.
            raise HandoffRefused(f"notify answered {response.status_code}")
