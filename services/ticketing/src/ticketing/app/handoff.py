"""Deliver sealed phone numbers to notify, then forget them.

A hand-off row is written with its ticket; this loop PUTs it to notify and deletes it on
success, so a restart or a notify outage delays a hand-off but never loses it. Notify's
endpoint is idempotent, so delivering a row twice (a crash between PUT and delete) is harmless.
"""

import asyncio
import contextlib
import logging
from datetime import timedelta
from typing import Final

from antre_platform.clock import Clock

from ticketing.app.ports import HandoffQueue, HandoffRefused, RecipientDirectory, RecipientHandoff

log = logging.getLogger(__name__)

LEASE: Final = timedelta(seconds=60)
MAX_BACKOFF: Final = timedelta(minutes=5)


def backoff(attempts: int) -> timedelta:
    """1 s after the first failed attempt, doubling, at most five minutes."""
    return min(timedelta(seconds=2 ** max(attempts - 1, 0)), MAX_BACKOFF)


class HandoffDelivery:
    def __init__(
        self,
        *,
        queue: HandoffQueue,
        recipients: RecipientDirectory,
        clock: Clock,
        wakeup: asyncio.Event,
        poll_seconds: float = 2.0,
        batch_size: int = 20,
    ) -> None:
        self._queue = queue
        self._recipients = recipients
        self._clock = clock
        self._wakeup = wakeup
        self._poll_seconds = poll_seconds
        self._batch_size = batch_size

    async def deliver_due(self) -> int:
        """One pass over the hand-offs due now; returns how many notify accepted."""
        due = await self._queue.claim_due(now=self._clock.now(), lease=LEASE, limit=self._batch_size)
        delivered = 0
        for handoff in due:
            delivered += await self._deliver(handoff)
        return delivered

    async def run(self) -> None:
        """Deliver until cancelled; wakes when a ticket with a phone commits, else polls."""
        while True:
            try:
                while await self.deliver_due() == self._batch_size:
                    pass
            except asyncio.CancelledError:
                raise
            except Exception:  # PostgreSQL away or a bug: keep the rows, try again later
                log.exception("recipient hand-off pass failed; retrying")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), self._poll_seconds)
            self._wakeup.clear()

    async def _deliver(self, handoff: RecipientHandoff) -> int:
        try:
            await self._recipients.put(handoff)
        except HandoffRefused as refusal:
            retry_at = self._clock.now() + backoff(handoff.attempts)
            # Only the ticket id is logged: the sealed box and the phone never reach a log.
            log.warning(
                "hand-off of ticket %s to notify failed (attempt %d): %s; retrying at %s",
                handoff.ticket_id,
                handoff.attempts,
                refusal,
                retry_at.isoformat(),
            )
            await self._queue.retry_at(handoff.ticket_id, retry_at, str(refusal))
            return 0
        await self._queue.delivered(handoff.ticket_id)
        return 1
