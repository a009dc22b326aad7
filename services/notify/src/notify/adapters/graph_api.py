"""The WhatsApp Cloud API (Meta's Graph API) send call, and how its answers are classified.

``POST {base}/{version}/{phone_number_id}/messages`` with a bearer token answers
``{"messages": [{"id": "wamid..."}]}`` on success and ``{"error": {"code", "message", ...}}``
otherwise. Throttling (HTTP 429, or Meta's rate-limit error codes), server errors and a
connection that could not be made are worth retrying; any other 4xx will fail the same way
again. A request that left but whose answer was lost (read timeout, dropped connection) may
have been accepted: it is reported as uncertain, not retried, and each send carries our
message id as ``biz_opaque_callback_data`` so Meta's status callbacks can settle it.
"""

import re
from collections.abc import Mapping
from typing import Any

import httpx

from notify.app.ports import RejectedSendError, TransientSendError, UncertainSendError

# Meta's throttling codes, sometimes answered with HTTP 400: app/account rate limits (4, 80007),
# Cloud API throughput (130429) and per-recipient pair rate limit (131056).
_THROTTLING_CODES = frozenset({4, 80007, 130429, 131056})
# Error texts are stored and logged; a long digit run could be a phone number.
_DIGIT_RUN = re.compile(r"\+?\d[\d \-]{6,}\d")
# Failures before the request could have reached Meta: sending again is safe.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


def redact(text: str) -> str:
    return _DIGIT_RUN.sub("[redacted]", text)


def text_message(to_wa_id: str, body: str) -> dict[str, Any]:
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to_wa_id,
        "type": "text",
        "text": {"preview_url": False, "body": body},
    }


def _error_of(response: httpx.Response) -> tuple[int | None, str]:
    try:
        error = response.json().get("error") or {}
    except ValueError:
        error = {}
    code = error.get("code") if isinstance(error, dict) else None
    message = error.get("message") if isinstance(error, dict) else None
    title = redact(str(message))[:300] if message else f"HTTP {response.status_code}"
    return (code if isinstance(code, int) else None), title


def interactive_message(to_wa_id: str, interactive: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to_wa_id,
        "type": "interactive",
        "interactive": dict(interactive),
    }


class GraphApiClient:
    def __init__(self, http: httpx.AsyncClient, *, messages_url: str, token: str) -> None:
        self._http = http
        self._url = messages_url
        self._token = token

    async def send_text(self, *, to_wa_id: str, body: str, tracking: str | None = None) -> str:
        """Send one text message; returns its wamid or raises a SendError."""
        return await self._send(text_message(to_wa_id, body), tracking)

    async def send_interactive(
        self, *, to_wa_id: str, interactive: Mapping[str, Any], tracking: str | None = None
    ) -> str:
        """Send one list or reply-buttons message; returns its wamid or raises a SendError."""
        return await self._send(interactive_message(to_wa_id, interactive), tracking)

    async def send_template(
        self, *, to_wa_id: str, template: Mapping[str, Any], tracking: str | None = None
    ) -> str:
        """Send one approved template; returns its wamid or raises a SendError."""
        return await self._send(
            {
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": to_wa_id,
                "type": "template",
                "template": dict(template),
            },
            tracking,
        )

    async def _send(self, payload: dict[str, Any], tracking: str | None) -> str:
        if tracking is not None:
            payload["biz_opaque_callback_data"] = tracking
        try:
            response = await self._http.post(
                self._url, json=payload, headers={"Authorization": f"Bearer {self._token}"}
            )
        except _NOT_SENT as exc:
            raise TransientSendError(status=None, code=None, title=f"network: {type(exc).__name__}") from exc
        except httpx.HTTPError as exc:
            raise UncertainSendError(
                status=None, code=None, title=f"answer lost: {type(exc).__name__}"
            ) from exc
        if response.is_success:
            try:
                return str(response.json()["messages"][0]["id"])
            except (ValueError, KeyError, IndexError, TypeError) as exc:
                # Accepted, yet no id to track: treat as sent-unknown rather than resend.
                raise RejectedSendError(
                    status=response.status_code, code=None, title="accepted without a message id"
                ) from exc
        code, title = _error_of(response)
        if response.status_code == 429 or response.status_code >= 500 or code in _THROTTLING_CODES:
            raise TransientSendError(status=response.status_code, code=code, title=title)
        raise RejectedSendError(status=response.status_code, code=code, title=title)
