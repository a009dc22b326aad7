"""Notify's HTTP surface: the phone hand-off, Meta's webhook, and the notifications list."""

import hmac
import json
from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from antre_platform.web import Problem
from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import PlainTextResponse
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException

from notify.adapters.meta_webhook import parse_webhook, signature_valid
from notify.app.handlers import HandoffRejected
from notify.app.service import Notify
from notify.settings import Settings


def _notify(request: Request) -> Notify:
    notify: Notify = request.app.state.notify
    return notify


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


NotifyDep = Annotated[Notify, Depends(_notify)]
SettingsDep = Annotated[Settings, Depends(_settings)]


def _require_bearer(authorization: str | None, expected: str, *, who: str) -> None:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise HTTPException(
            401, f"send 'Authorization: Bearer <token>' with {who}", headers={"WWW-Authenticate": "Bearer"}
        )
    if not hmac.compare_digest(token.strip().encode(), expected.encode()):
        raise HTTPException(401, f"the bearer token is not {who}", headers={"WWW-Authenticate": "Bearer"})


def require_internal(settings: SettingsDep, authorization: Annotated[str | None, Header()] = None) -> None:
    _require_bearer(
        authorization, settings.internal_token, who="the internal service token (ANTRE_INTERNAL_TOKEN)"
    )


def require_admin(settings: SettingsDep, authorization: Annotated[str | None, Header()] = None) -> None:
    _require_bearer(authorization, settings.admin_token, who="the platform admin token (ANTRE_ADMIN_TOKEN)")


# The phone hand-off -----------------------------------------------------------------------

recipients_router = APIRouter(tags=["internal"])


class RecipientHandoff(BaseModel):
    model_config = ConfigDict(extra="ignore")

    sealed_phone: str = Field(
        min_length=1, max_length=2000, description="the phone number sealed to notify's public key"
    )
    locale: Literal["id", "en"] = "id"
    site_id: UUID
    # Kept as sent (not normalised as HttpUrl would): the citizen sees exactly ticketing's link.
    status_url: str | None = Field(
        default=None,
        max_length=2000,
        pattern=r"^https?://[^\s]+$",
        description="the citizen's status page for this ticket (ticketing's status_url); shown in the "
        "'issued' message. Optional: older hand-offs without it still work.",
    )


@recipients_router.put(
    "/internal/v1/recipients/{ticket_id}",
    status_code=204,
    dependencies=[Depends(require_internal)],
    responses={401: {"description": "bad token"}, 422: {"description": "unusable box"}},
)
async def put_recipient(ticket_id: UUID, handoff: RecipientHandoff, notify: NotifyDep) -> Response:
    """Who to tell about a ticket. Idempotent: the same ticket again is 204 and changes nothing."""
    try:
        await notify.record_recipient(
            ticket_id=ticket_id,
            site_id=handoff.site_id,
            sealed_phone=handoff.sealed_phone,
            locale=handoff.locale,
            status_url=handoff.status_url,
        )
    except HandoffRejected as exc:
        raise Problem(422, str(exc), title="Unusable phone hand-off") from exc
    return Response(status_code=204)


# Meta's webhook ---------------------------------------------------------------------------

webhook_router = APIRouter(tags=["whatsapp"])


@webhook_router.get("/webhooks/whatsapp", response_class=PlainTextResponse)
async def verify_webhook(
    settings: SettingsDep,
    mode: Annotated[str | None, Query(alias="hub.mode")] = None,
    verify_token: Annotated[str | None, Query(alias="hub.verify_token")] = None,
    challenge: Annotated[str | None, Query(alias="hub.challenge")] = None,
) -> PlainTextResponse:
    """Meta's subscription handshake: echo hub.challenge when the verify token matches."""
    token_ok = verify_token is not None and hmac.compare_digest(
        verify_token.encode(), settings.whatsapp_verify_token.encode()
    )
    if mode != "subscribe" or not token_ok:
        raise Problem(
            403,
            "webhook verification refused: hub.mode must be 'subscribe' and hub.verify_token "
            "must equal the verify token configured for this app (ANTRE_WHATSAPP_VERIFY_TOKEN)",
        )
    if not challenge:
        raise Problem(400, "hub.challenge is missing: Meta sends it to be echoed back")
    return PlainTextResponse(challenge)


class WebhookReceipt(BaseModel):
    status: Literal["received"] = "received"
    messages: int
    statuses: int


@webhook_router.post("/webhooks/whatsapp", response_model=WebhookReceipt)
async def receive_webhook(
    request: Request,
    notify: NotifyDep,
    settings: SettingsDep,
    x_hub_signature_256: Annotated[str | None, Header()] = None,
) -> WebhookReceipt:
    """Inbound messages and delivery statuses, signed by Meta with the app secret."""
    body = await request.body()
    if not signature_valid(settings.whatsapp_app_secret, body, x_hub_signature_256):
        raise Problem(
            401,
            "X-Hub-Signature-256 is missing or wrong: it must be 'sha256=' followed by the "
            "hex HMAC-SHA256 of the raw body under the app secret",
        )
    try:
        payload = json.loads(body)
    except ValueError as exc:
        raise Problem(400, "the body is not JSON: send the webhook payload as Meta does") from exc
    if not isinstance(payload, dict):
        raise Problem(400, "the body must be a JSON object with 'object' and 'entry'")
    batch = parse_webhook(payload, received_at=notify.clock.now())
    await notify.record_webhook(inbound=batch.inbound, statuses=batch.statuses)
    return WebhookReceipt(messages=len(batch.inbound), statuses=len(batch.statuses))


# Notifications for staff ---------------------------------------------------------------------

notifications_router = APIRouter(tags=["notifications"])


class NotificationPublic(BaseModel):
    id: UUID
    kind: str = Field(examples=["ticket_issued", "called"])
    status: Literal["pending", "sending", "sent", "failed", "expired"]
    delivery_status: Literal["sent", "delivered", "read", "failed"] | None
    wamid: str | None
    locale: Literal["id", "en"]
    body: str
    attempts: int
    error_code: int | None
    error_title: str | None
    created_at: AwareDatetime
    sent_at: datetime | None
    delivered_at: datetime | None
    read_at: datetime | None
    failed_at: datetime | None
    expires_at: AwareDatetime


class NotificationList(BaseModel):
    ticket_id: UUID
    notifications: list[NotificationPublic]


@notifications_router.get(
    "/v1/notifications", response_model=NotificationList, dependencies=[Depends(require_admin)]
)
async def list_notifications(ticket_id: Annotated[UUID, Query()], notify: NotifyDep) -> NotificationList:
    """The WhatsApp messages for a ticket, oldest first; never the phone number."""
    rows = await notify.notifications(ticket_id)
    return NotificationList(
        ticket_id=ticket_id, notifications=[NotificationPublic.model_validate(row) for row in rows]
    )
