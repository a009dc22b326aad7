"""Delivers notifications to the configured webhook over HTTP, signed the way Meta signs them."""

import json
from collections.abc import Mapping
from typing import Any

import httpx

from wa_sandbox.app.ports import WebhookAnswer
from wa_sandbox.domain.notifications import SIGNATURE_HEADER, sign

# Meta's webhook requests identify themselves with this user agent.
USER_AGENT = "facebookexternalua"


class HttpWebhook:
    def __init__(self, *, url: str, app_secret: str, client: httpx.AsyncClient) -> None:
        self._url = url
        self._app_secret = app_secret
        self._client = client

    async def deliver(self, notification: Mapping[str, Any]) -> WebhookAnswer:
        # Compact, ASCII-escaped JSON like Meta's; the signature covers exactly these bytes, so a
        # receiver that re-serialises the parsed body before verifying fails here as it would live.
        raw = json.dumps(notification, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT,
                   SIGNATURE_HEADER: sign(self._app_secret, raw)}
        try:
            response = await self._client.post(self._url, content=raw, headers=headers)
        except httpx.HTTPError as exc:
            return WebhookAnswer(status=None, error=f"{type(exc).__name__}: {exc}".rstrip(": "))
        return WebhookAnswer(status=response.status_code)
