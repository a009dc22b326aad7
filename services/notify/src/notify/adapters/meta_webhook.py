"""Meta's WhatsApp webhook: the X-Hub-Signature-256 check and the payload's shape.

Meta signs the raw request body with the app secret (HMAC-SHA256, hex, prefixed
``sha256=``). A payload is ``{"object": "whatsapp_business_account", "entry": [{"changes":
[{"field": "messages", "value": {"messages": [...], "statuses": [...]}}]}]}``.
"""

import hashlib
import hmac
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, get_args

from notify.domain.model import DeliveryStatus, InboundMessage, StatusUpdate
from notify.domain.phone import InvalidPhoneNumber, PhoneNumber

log = logging.getLogger(__name__)
_PREFIX = "sha256="
_STATUSES: frozenset[str] = frozenset(get_args(DeliveryStatus))


def sign(app_secret: str, body: bytes) -> str:
    """The header value Meta would send for ``body``."""
    return _PREFIX + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def signature_valid(app_secret: str, body: bytes, header: str | None) -> bool:
    """Constant-time check of X-Hub-Signature-256 against the raw body."""
    if not header or not header.startswith(_PREFIX):
        return False
    return hmac.compare_digest(sign(app_secret, body).encode(), header.strip().lower().encode())


@dataclass(frozen=True)
class WebhookBatch:
    inbound: list[InboundMessage] = field(default_factory=list)
    statuses: list[StatusUpdate] = field(default_factory=list)


def _list(raw: object) -> list[Any]:
    """A JSON array, or nothing: a signed but oddly shaped payload is skipped, never a 500."""
    return raw if isinstance(raw, list) else []


def _values(payload: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    for entry in _list(payload.get("entry")):
        if not isinstance(entry, Mapping):
            continue
        for change in _list(entry.get("changes")):
            if isinstance(change, Mapping) and isinstance(change.get("value"), Mapping):
                yield change["value"]


def _timestamp(raw: object, fallback: datetime) -> datetime:
    try:
        return datetime.fromtimestamp(int(str(raw)), UTC)
    except (TypeError, ValueError, OverflowError):
        return fallback


def _inbound(item: Mapping[str, Any], received_at: datetime) -> InboundMessage | None:
    wamid, sender, kind = item.get("id"), item.get("from"), item.get("type")
    if not (isinstance(wamid, str) and isinstance(sender, str) and isinstance(kind, str)):
        return None
    try:
        phone = PhoneNumber.parse(sender)
    except InvalidPhoneNumber:
        return None
    kind, body, reply_id = _content(item, kind)
    return InboundMessage(
        wamid=wamid,
        sender=phone,
        kind=kind,
        sent_at=_timestamp(item.get("timestamp"), received_at),
        text=body,
        reply_id=reply_id,
    )


def _content(item: Mapping[str, Any], kind: str) -> tuple[str, str | None, str | None]:
    """(kind, text, reply id): a typed text, a tapped list row or reply button
    (``interactive``), or a template's quick-reply button (``button``); other types keep
    their kind and carry no text."""
    if kind == "text":
        text = item.get("text")
        body = text.get("body") if isinstance(text, Mapping) else None
        return kind, (body if isinstance(body, str) else None), None
    if kind == "interactive":
        interactive = item.get("interactive")
        if isinstance(interactive, Mapping):
            reply_kind = interactive.get("type")
            reply = interactive.get(reply_kind) if isinstance(reply_kind, str) else None
            if reply_kind in ("button_reply", "list_reply") and isinstance(reply, Mapping):
                reply_id, title = reply.get("id"), reply.get("title")
                return (
                    str(reply_kind),
                    title if isinstance(title, str) else None,
                    reply_id if isinstance(reply_id, str) else None,
                )
    if kind == "button":
        button = item.get("button")
        if isinstance(button, Mapping):
            payload, text = button.get("payload"), button.get("text")
            return (
                "button_reply",
                text if isinstance(text, str) else None,
                payload if isinstance(payload, str) else None,
            )
    return kind, None, None


def _status(item: Mapping[str, Any], received_at: datetime) -> StatusUpdate | None:
    wamid, status = item.get("id"), item.get("status")
    if not isinstance(wamid, str) or status not in _STATUSES:
        return None
    errors = _list(item.get("errors"))
    first = errors[0] if errors and isinstance(errors[0], Mapping) else {}
    code = first.get("code")
    title = first.get("title")
    callback = item.get("biz_opaque_callback_data")
    return StatusUpdate(
        wamid=wamid,
        status=status,
        at=_timestamp(item.get("timestamp"), received_at),
        error_code=code if isinstance(code, int) else None,
        error_title=title if isinstance(title, str) else None,
        callback_data=callback[:512] if isinstance(callback, str) else None,
    )


def parse_webhook(payload: Mapping[str, Any], *, received_at: datetime) -> WebhookBatch:
    """The messages and statuses in a payload; items of unknown shape are skipped."""
    batch = WebhookBatch()
    skipped = 0
    for value in _values(payload):
        for item in _list(value.get("messages")):
            message = _inbound(item, received_at) if isinstance(item, Mapping) else None
            if message is None:
                skipped += 1
            else:
                batch.inbound.append(message)
        for item in _list(value.get("statuses")):
            update = _status(item, received_at) if isinstance(item, Mapping) else None
            if update is None:
                skipped += 1
            else:
                batch.statuses.append(update)
    if skipped:
        # Only the count: the items may carry phone numbers.
        log.warning("skipped %d webhook item(s) of an unknown shape", skipped)
    return batch
