"""The webhook notifications Meta POSTs for the ``messages`` field, and how they are signed.

Shapes follow the Cloud API webhook reference: ``{"object": "whatsapp_business_account",
"entry": [{"id": <WABA id>, "changes": [{"field": "messages", "value": {...}}]}]}``, with
``value.statuses`` for delivery statuses and ``value.contacts`` + ``value.messages`` for
what a WhatsApp user sent. Timestamps are Unix seconds as strings, as Meta sends them.
"""

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

SIGNATURE_HEADER = "X-Hub-Signature-256"

ReplyKind = Literal["button_reply", "list_reply"]
DeliveryStatus = Literal["sent", "delivered"]


@dataclass(frozen=True)
class BusinessPhone:
    """The business number the sandbox plays: the account and number notify is configured with."""

    waba_id: str
    phone_number_id: str
    display_phone_number: str
    verified_name: str


@dataclass(frozen=True)
class InboundText:
    body: str


@dataclass(frozen=True)
class InboundReply:
    """A tap on a reply button or a list row of an interactive message."""

    kind: ReplyKind
    id: str
    title: str
    description: str | None = None


InboundContent = InboundText | InboundReply


def sign(app_secret: str, raw_body: bytes) -> str:
    """``X-Hub-Signature-256``: "sha256=" + hex HMAC-SHA256 of the exact bytes sent, keyed by the
    app secret."""
    digest = hmac.new(app_secret.encode(), raw_body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def unix_timestamp(at: datetime) -> str:
    return str(int(at.timestamp()))


def status_notification(*, business: BusinessPhone, message_id: str, recipient_id: str,
                        status: DeliveryStatus, at: datetime, template: bool,
                        callback_data: str | None = None) -> dict[str, Any]:
    """A status update for a message the business sent; like Meta, it echoes the send's
    ``biz_opaque_callback_data`` when there was one."""
    status_object: dict[str, Any] = {
        "id": message_id,
        "status": status,
        "timestamp": unix_timestamp(at),
        "recipient_id": recipient_id,
        "pricing": _pricing(template),
    }
    if callback_data is not None:
        status_object["biz_opaque_callback_data"] = callback_data
    return _envelope(business, {"statuses": [status_object]})


def _pricing(template: bool) -> dict[str, Any]:
    # Per-message pricing: a free-form reply inside the customer service window is free, a
    # template (here always a utility notice: queue updates) is billed.
    if template:
        return {"billable": True, "pricing_model": "PMP", "type": "regular", "category": "utility"}
    return {"billable": False, "pricing_model": "PMP", "type": "free_customer_service",
            "category": "service"}


def inbound_notification(*, business: BusinessPhone, message_id: str, sender: str, name: str,
                         at: datetime, content: InboundContent,
                         context_message_id: str | None = None) -> dict[str, Any]:
    """What Meta sends when a WhatsApp user writes to, or taps a reply in a chat with, the business."""
    message: dict[str, Any] = {}
    if context_message_id is not None:
        message["context"] = {"from": business.display_phone_number, "id": context_message_id}
    message.update({"from": sender, "id": message_id, "timestamp": unix_timestamp(at)})
    message.update(_content(content))
    contacts = [{"profile": {"name": name}, "wa_id": sender}]
    return _envelope(business, {"contacts": contacts, "messages": [message]})


def _content(content: InboundContent) -> dict[str, Any]:
    if isinstance(content, InboundText):
        return {"type": "text", "text": {"body": content.body}}
    reply: dict[str, Any] = {"id": content.id, "title": content.title}
    if content.kind == "list_reply" and content.description is not None:
        reply["description"] = content.description
    return {"type": "interactive", "interactive": {"type": content.kind, content.kind: reply}}


def _envelope(business: BusinessPhone, fields: dict[str, Any]) -> dict[str, Any]:
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": business.display_phone_number,
                     "phone_number_id": business.phone_number_id},
        **fields,
    }
    return {"object": "whatsapp_business_account",
            "entry": [{"id": business.waba_id, "changes": [{"value": value, "field": "messages"}]}]}


def inbound_text(content: InboundContent) -> str:
    """How an inbound message reads in the sandbox's lists and on the phone page."""
    return content.body if isinstance(content, InboundText) else content.title
