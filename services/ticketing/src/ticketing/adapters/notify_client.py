"""Notify's internal recipient endpoint, over HTTP (httpx is instrumented: traces follow)."""

from collections.abc import Callable

import httpx

from ticketing.app.ports import HandoffRefused, RecipientHandoff


class NotifyRecipients:
    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        internal_token: str,
        status_url: Callable[[str], str] | None = None,
    ) -> None:
        self._client = client
        self._headers = {"Authorization": f"Bearer {internal_token}"}
        # Builds the citizen's status page from the access token at delivery time, so the
        # link notify shows is the ticket's current one and nothing extra is stored here.
        self._status_url = status_url

    async def put(self, handoff: RecipientHandoff) -> None:
        body = {
            "sealed_phone": handoff.sealed_phone,
            "locale": handoff.locale,
            "site_id": str(handoff.site_id),
        }
        if self._status_url is not None and handoff.access_token:
            body["status_url"] = self._status_url(handoff.access_token)
        try:
            response = await self._client.put(
                f"/internal/v1/recipients/{handoff.ticket_id}", json=body, headers=self._headers
            )
        except httpx.HTTPError as exc:
            raise HandoffRefused(f"notify unreachable: {exc.__class__.__name__}") from exc
        if not response.is_success:
            # The status only: notify's body could echo what we sent.
            raise HandoffRefused(f"notify answered {response.status_code}")
