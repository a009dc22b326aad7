"""The sandbox's use cases and its in-memory record of what happened.

State lives in memory on purpose: the sandbox stands in for Meta, whose records notify never
reads; a restart forgetting the conversation is fine for development and tests.
"""

import asyncio
import base64
import hmac
import logging
import secrets
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from antre_platform.clock import Clock

from wa_sandbox.app.ports import Webhook, WebhookAnswer
from wa_sandbox.domain import graph_errors
from wa_sandbox.domain.faults import FaultBook
from wa_sandbox.domain.notifications import (
    BusinessPhone,
    DeliveryStatus,
    InboundContent,
    InboundReply,
    inbound_notification,
    inbound_text,
    status_notification,
)
from wa_sandbox.domain.outbound import accept_send

log = logging.getLogger(__name__)

# Headers of a send worth keeping: the W3C trace context, so tests can see that it travelled.
RECORDED_HEADERS = ("traceparent", "tracestate")
# Enough for a long demo day; older entries drop off so the process never grows without bound.
HISTORY_LIMIT = 10_000
MAX_BACKOFF_SECONDS = 30.0
DEFAULT_PROFILE_NAME = "Warga Sandbox"
# Meta reports a delivered message as sent, then delivered (read receipts are not simulated).
STATUS_SEQUENCE: tuple[DeliveryStatus, ...] = ("sent", "delivered")

Sleep = Callable[[float], Awaitable[None]]


def new_wamid() -> str:
    """A message id in Meta's form: "wamid." and an opaque base64 string."""
    return "wamid." + base64.b64encode(secrets.token_bytes(30)).decode()


@dataclass(frozen=True)
class CallbackPolicy:
    """How status callbacks are reported: at all, after how long, how persistently."""

    enabled: bool = True
    delay_seconds: float = 0.5
    attempts: int = 5
    first_backoff_seconds: float = 0.5


@dataclass
class CallbackReport:
    status: DeliveryStatus
    webhook_status: int | None
    attempts: int
    at: datetime
    error: str | None = None


@dataclass
class SentMessage:
    """A send the sandbox accepted, as Meta would have delivered it to the phone."""

    id: str
    phone_number_id: str
    to: str
    type: str
    text: str
    body: Mapping[str, Any]
    headers: dict[str, str]
    received_at: datetime
    callbacks: list[CallbackReport] = field(default_factory=list)

    def offers_reply(self, reply_id: str) -> bool:
        """Whether this interactive message has a button or list row with that id."""
        action = self.body.get("interactive", {}).get("action", {}) if self.type == "interactive" else {}
        button_ids = [button.get("reply", {}).get("id") for button in action.get("buttons", [])]
        row_ids = [row.get("id") for section in action.get("sections", []) for row in section.get("rows", [])]
        return reply_id in button_ids or reply_id in row_ids


@dataclass
class InboundRecord:
    """A message a (simulated) WhatsApp user sent, and how the webhook answered each delivery."""

    message_id: str
    sender: str
    name: str
    type: str
    text: str
    notification: Mapping[str, Any]
    received_at: datetime
    answers: list[WebhookAnswer] = field(default_factory=list)

    @property
    def webhook_status(self) -> int | None:
        return self.answers[-1].status if self.answers else None

    @property
    def webhook_error(self) -> str | None:
        return self.answers[-1].error if self.answers else None


class Sandbox:
    """Plays Meta for one business phone number: accepts sends, reports statuses, relays inbound."""

    def __init__(self, *, business: BusinessPhone, access_token: str, webhook: Webhook, clock: Clock,
                 callbacks: CallbackPolicy, new_message_id: Callable[[], str] = new_wamid,
                 sleep: Sleep = asyncio.sleep, history_limit: int = HISTORY_LIMIT) -> None:
        self.business = business
        self.faults = FaultBook()
        self._access_token = access_token
        self._webhook = webhook
        self._clock = clock
        self._callbacks = callbacks
        self._new_message_id = new_message_id
        self._sleep = sleep
        self._messages: deque[SentMessage] = deque(maxlen=history_limit)
        self._inbound: deque[InboundRecord] = deque(maxlen=history_limit)
        self._jobs: set[asyncio.Task[None]] = set()

    def authorize(self, token: str | None) -> None:
        if token is None or not hmac.compare_digest(token.encode(), self._access_token.encode()):
            raise graph_errors.invalid_token()

    def require_phone_number(self, phone_number_id: str, method: str) -> None:
        if phone_number_id != self.business.phone_number_id:
            raise graph_errors.unknown_object(phone_number_id, method)

    async def send(self, *, phone_number_id: str, body: Any, headers: Mapping[str, str]) -> SentMessage:
        """Accept a send like Meta (or raise its GraphError) and report statuses in the background.
        A delay fault holds the answer back: the message is still accepted after it, even if the
        client gave up waiting, as Meta accepts a message whose answer is lost on the way."""
        self.require_phone_number(phone_number_id, "post")
        accepted = accept_send(body)
        fault = self.faults.take(accepted.wa_id)
        if fault is not None and fault.delay_seconds > 0:
            log.info("injected fault: send answered after %.1f s", fault.delay_seconds)
            await self._sleep(fault.delay_seconds)
        error = fault.error() if fault is not None else None
        if error is not None:
            log.info("injected fault: send answered with code %s", error.code)
            raise error
        message = SentMessage(
            id=self._new_message_id(), phone_number_id=phone_number_id, to=accepted.wa_id,
            type=accepted.type, text=accepted.text, body=body, received_at=self._clock.now(),
            headers={name: headers[name] for name in RECORDED_HEADERS if name in headers},
        )
        self._messages.append(message)
        if self._callbacks.enabled:
            self._spawn(self._report_statuses(message))
        return message

    async def _report_statuses(self, message: SentMessage) -> None:
        await self._sleep(self._callbacks.delay_seconds)
        template = message.type == "template"
        callback_data = message.body.get("biz_opaque_callback_data")
        for status in STATUS_SEQUENCE:
            notification = status_notification(
                business=self.business, message_id=message.id, recipient_id=message.to,
                status=status, at=self._clock.now(), template=template,
                callback_data=callback_data if isinstance(callback_data, str) else None)
            answer, attempts = await self._deliver_with_retries(notification, f"{status} of {message.id}")
            message.callbacks.append(CallbackReport(status=status, webhook_status=answer.status,
                                                    attempts=attempts, at=self._clock.now(),
                                                    error=answer.error))

    async def _deliver_with_retries(self, notification: Mapping[str, Any],
                                    what: str) -> tuple[WebhookAnswer, int]:
        backoff = self._callbacks.first_backoff_seconds
        attempts = max(1, self._callbacks.attempts)
        for attempt in range(1, attempts + 1):
            answer = await self._webhook.deliver(notification)
            if answer.ok:
                return answer, attempt
            if attempt < attempts:
                log.info("webhook did not take status %s (attempt %d/%d): %s; retrying", what, attempt,
                         attempts, answer.error or answer.status)
                await self._sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
        log.warning("gave up reporting status %s after %d attempts: %s", what, attempts,
                    answer.error or answer.status)
        return answer, attempts

    async def receive_inbound(self, *, sender: str, content: InboundContent, name: str | None = None,
                              repeat: int = 1) -> InboundRecord:
        """Deliver what a WhatsApp user sent to the webhook, ``repeat`` times with the very same bytes."""
        message_id = self._new_message_id()
        at = self._clock.now()
        context = self._replied_message(sender, content)
        notification = inbound_notification(
            business=self.business, message_id=message_id, sender=sender,
            name=name or DEFAULT_PROFILE_NAME, at=at, content=content,
            context_message_id=context.id if context else None)
        record = InboundRecord(
            message_id=message_id, sender=sender, name=name or DEFAULT_PROFILE_NAME,
            type="text" if not isinstance(content, InboundReply) else "interactive",
            text=inbound_text(content), notification=notification, received_at=at)
        self._inbound.append(record)
        for _ in range(repeat):
            record.answers.append(await self._webhook.deliver(notification))
        return record

    def _replied_message(self, sender: str, content: InboundContent) -> SentMessage | None:
        """The latest interactive message to this user offering the tapped reply (Meta's ``context``)."""
        if not isinstance(content, InboundReply):
            return None
        return next((message for message in reversed(self._messages)
                     if message.to == sender and message.offers_reply(content.id)), None)

    def messages(self, to: str | None = None) -> list[SentMessage]:
        """Messages sent, oldest first; only those to one wa_id when ``to`` is given."""
        return [message for message in self._messages if to is None or message.to == to]

    def inbound(self, sender: str | None = None) -> list[InboundRecord]:
        return [record for record in self._inbound if sender is None or record.sender == sender]

    async def reset(self) -> None:
        """Forget the conversation, and stop reporting statuses of messages that are now forgotten."""
        await self._cancel_jobs()
        self._messages.clear()
        self._inbound.clear()

    async def close(self) -> None:
        await self._cancel_jobs()

    def _spawn(self, job: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(job)
        self._jobs.add(task)
        task.add_done_callback(self._jobs.discard)

    async def _cancel_jobs(self) -> None:
        jobs = list(self._jobs)
        for job in jobs:
            job.cancel()
        await asyncio.gather(*jobs, return_exceptions=True)
