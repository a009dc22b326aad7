"""The sender loop: takes pending messages and sends them through the Graph API.

Exactly one message per cause: a row is claimed (status ``sending`` with a lease) in its
own short transaction, sent, and its outcome recorded in the next transaction right after
Meta answers. The Graph API has no idempotency key, so every send carries our message id as
``biz_opaque_callback_data``, which Meta echoes in the message's status callbacks. When the
outcome is unknown, the message is not sent again at once:

- the answer was lost (read timeout, dropped connection): the row stays ``sending`` for the
  confirmation window (:attr:`SendPolicy.confirm_window`);
- the process died (SIGKILL, power loss) or PostgreSQL was away when the outcome was to be
  recorded: the row's lease runs out.

Either way the row is claimed again as *reclaimed*, and before sending, the sender looks for
a status callback carrying its id: if Meta reported it, it is recorded as sent with that
wamid and not sent again. Only a message Meta never confirmed within the window goes again
(Meta reports "sent" within seconds). A graceful stop drains in-flight sends first
(:meth:`OutboundSender.drain`).
"""

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from antre_platform.clock import Clock
from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    stop_any,
    wait_exponential,
)
from tenacity.stop import stop_base

from notify.app.handlers import notification_event, record_sent
from notify.app.ports import (
    MessageSender,
    RejectedSendError,
    TransientSendError,
    UncertainSendError,
    UnitOfWorkFactory,
)
from notify.app.throttle import Throttle
from notify.domain.model import OutboundMessage

log = logging.getLogger(__name__)
_tracer = trace.get_tracer("antre.notify.sender")


@dataclass(frozen=True)
class SendPolicy:
    concurrency: int = 8
    attempts: int = 4
    retry_initial: float = 0.5
    retry_max: float = 8.0
    backoff: timedelta = timedelta(seconds=30)
    backoff_max: timedelta = timedelta(minutes=15)
    lease: timedelta = timedelta(minutes=2)
    poll_seconds: float = 0.5
    max_per_second: float = 80.0
    # Meta's pair rate limit: about one message per 6 s to one citizen (error 131056).
    pair_wait: timedelta = timedelta(seconds=6)
    # How long a send whose answer was lost waits for Meta's status callback before it goes again.
    confirm_window: timedelta = timedelta(minutes=2)

    def next_backoff(self, attempts_so_far: int) -> timedelta:
        """How long a message that kept failing waits in the database before its next round."""
        rounds = max(attempts_so_far // self.attempts, 0)
        return min(self.backoff * (1 << min(rounds, 10)), self.backoff_max)


PAIR_RATE_LIMITED = 131056


def _retry_now(exc: BaseException) -> bool:
    """Transient failures are retried at once with backoff, except the pair rate limit,
    which needs seconds: that message goes back to the database instead of holding a slot."""
    return isinstance(exc, TransientSendError) and exc.code != PAIR_RATE_LIMITED


class _stop_when(stop_base):
    """Stop retrying once the service is shutting down; the row goes back to pending."""

    def __init__(self, event: asyncio.Event) -> None:
        self._event = event

    def __call__(self, retry_state: RetryCallState) -> bool:
        return self._event.is_set()


class OutboundSender:
    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        client: MessageSender,
        clock: Clock,
        policy: SendPolicy,
        throttle: Throttle | None = None,
    ) -> None:
        self._throttle = throttle or Throttle(policy.max_per_second)
        self._uow = uow
        self._client = client
        self._clock = clock
        self._policy = policy
        self._wakeup = asyncio.Event()
        self._stopping = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()

    def wake(self) -> None:
        """A message was just stored: look now rather than at the next poll."""
        self._wakeup.set()

    async def run(self) -> None:
        while not self._stopping.is_set():
            try:
                sent = await self.send_due()
            except asyncio.CancelledError:
                raise
            except Exception:  # PostgreSQL away or a bug: keep the loop alive, rows wait
                log.exception("sending pending messages failed; retrying")
                sent = 0
            if sent < self._policy.concurrency:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wakeup.wait(), self._policy.poll_seconds)
                self._wakeup.clear()

    async def drain(self, grace: float) -> None:
        """Stop claiming and let in-flight sends record their outcome (graceful shutdown)."""
        self._stopping.set()
        self._wakeup.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), grace)

    async def send_due(self) -> int:
        """Claim and send one batch of due messages; returns how many were claimed."""
        if self._stopping.is_set():
            return 0
        self._idle.clear()
        try:
            async with self._uow() as work:
                batch = await work.store.claim_due(
                    now=self._clock.now(), lease=self._policy.lease, limit=self._policy.concurrency
                )
            await self._send_all(batch)
            return len(batch)
        finally:
            self._idle.set()

    async def _send_all(self, batch: Iterable[OutboundMessage]) -> None:
        results = await asyncio.gather(
            *(self._send_one(message) for message in batch), return_exceptions=True
        )
        for result in results:
            if isinstance(result, BaseException):
                log.error("recording a send outcome failed; the message will be retried", exc_info=result)

    async def _send_one(self, message: OutboundMessage) -> None:
        # Continue the trace of the request or event that caused the message, so one trace
        # runs from a citizen's ticket request to the Graph API call.
        token = otel_context.attach(propagate.extract(message.trace_context))
        try:
            with _tracer.start_as_current_span(f"whatsapp send {message.kind}", kind=SpanKind.INTERNAL):
                await self._attempt(message)
        finally:
            otel_context.detach(token)

    async def _attempt(self, message: OutboundMessage) -> None:
        if message.reclaimed and await self._settled_by_callback(message, tries=0):
            return
        if self._clock.now() >= message.expires_at:
            await self._expire(message)
            return
        tries = 0
        try:
            async for attempt in AsyncRetrying(
                stop=stop_any(stop_after_attempt(self._policy.attempts), _stop_when(self._stopping)),
                wait=wait_exponential(multiplier=self._policy.retry_initial, max=self._policy.retry_max),
                retry=retry_if_exception(_retry_now),
                reraise=True,
            ):
                with attempt:
                    tries += 1
                    wamid = await self._deliver(message)
        except RejectedSendError as exc:
            await self._record_rejected(message, exc, tries)
        except TransientSendError as exc:
            await self._record_retry_later(message, exc, tries)
        except UncertainSendError as exc:
            await self._record_uncertain(message, exc, tries)
        else:
            await self._record_sent(message, wamid, tries)

    async def _deliver(self, message: OutboundMessage) -> str:
        await self._throttle.acquire()  # every call counts against the cap, retries too
        # Outside WhatsApp's 24-hour customer-service window only approved templates go.
        tracking = str(message.id)
        if not message.in_window and message.template is not None:
            return await self._client.send_template(
                to_wa_id=message.to.wa_id, template=message.template, tracking=tracking
            )
        if message.interactive is not None:
            return await self._client.send_interactive(
                to_wa_id=message.to.wa_id, interactive=message.interactive, tracking=tracking
            )
        return await self._client.send_text(to_wa_id=message.to.wa_id, body=message.body, tracking=tracking)

    async def _settled_by_callback(self, message: OutboundMessage, *, tries: int) -> bool:
        """Record ``message`` as sent if a status callback proved Meta accepted it."""
        async with self._uow() as work:
            wamid = await work.store.confirmed_wamid(message.id)
        if wamid is None:
            return False
        log.info("%s message %s was accepted by Meta before (wamid %s): not sent again",
                 message.kind, message.id, wamid)
        await self._record_sent(message, wamid, tries)
        return True

    async def _record_uncertain(self, message: OutboundMessage, exc: UncertainSendError, tries: int) -> None:
        if await self._settled_by_callback(message, tries=tries):
            return
        until = self._clock.now() + self._policy.confirm_window
        async with self._uow() as work:
            await work.store.await_confirmation(
                message.id, until=until, code=exc.error_code, title=exc.title, tries=tries
            )
        log.warning(
            "the answer to %s message %s was lost (%s); waiting %ss for Meta's confirmation before "
            "sending again",
            message.kind,
            message.id,
            exc.title,
            int(self._policy.confirm_window.total_seconds()),
        )

    async def _record_sent(self, message: OutboundMessage, wamid: str, tries: int) -> None:
        now = self._clock.now()
        async with self._uow() as work:
            await record_sent(work, message, wamid=wamid, tries=tries, now=now)
        log.info(
            "sent %s message %s to %s (wamid %s, %d tries)",
            message.kind,
            message.id,
            message.to.masked(),
            wamid,
            tries,
        )

    async def _record_rejected(self, message: OutboundMessage, exc: RejectedSendError, tries: int) -> None:
        now = self._clock.now()
        async with self._uow() as work:
            await work.store.mark_failed(
                message.id, code=exc.error_code, title=exc.title, tries=tries, now=now
            )
            await work.publish(
                notification_event("notification.failed", message, at=now, error_code=exc.error_code)
            )
        log.warning(
            "WhatsApp refused %s message %s to %s: %s (code %s)",
            message.kind,
            message.id,
            message.to.masked(),
            exc.title,
            exc.error_code,
        )

    async def _record_retry_later(
        self, message: OutboundMessage, exc: TransientSendError, tries: int
    ) -> None:
        if exc.code == PAIR_RATE_LIMITED:
            # Wait out the pair limit in the database; the citizen's later messages wait
            # behind this one, so their order holds.
            wait = self._policy.pair_wait
        else:
            wait = self._policy.next_backoff(message.attempts + tries)
        async with self._uow() as work:
            await work.store.release(
                message.id,
                next_attempt_at=self._clock.now() + wait,
                code=exc.error_code,
                title=exc.title,
                tries=tries,
            )
        log.warning(
            "sending %s message %s failed for now (%s); next try in %ss",
            message.kind,
            message.id,
            exc.title,
            int(wait.total_seconds()),
        )

    async def _expire(self, message: OutboundMessage) -> None:
        now = self._clock.now()
        async with self._uow() as work:
            await work.store.mark_expired(message.id)
            await work.publish(notification_event("notification.failed", message, at=now))
        log.warning("%s message %s expired before it could be sent", message.kind, message.id)
