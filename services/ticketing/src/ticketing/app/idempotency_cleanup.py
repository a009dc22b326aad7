"""Forget old Idempotency-Keys, so their table stays as small as the retry window.

A key replays its ticket for ``ttl`` (``ANTRE_IDEMPOTENCY_KEY_TTL_HOURS``); after that the same
key issues a new ticket (issuing takes an expired key over), and this loop deletes the expired
rows in bounded batches every ``every_seconds``.
"""

import asyncio
import logging
from datetime import timedelta

from antre_platform.clock import Clock

from ticketing.app.ports import IdempotencyKeyStore

log = logging.getLogger(__name__)


class IdempotencyKeyCleanup:
    def __init__(
        self,
        *,
        store: IdempotencyKeyStore,
        clock: Clock,
        ttl: timedelta,
        every_seconds: float,
        batch_size: int = 1000,
    ) -> None:
        self._store = store
        self._clock = clock
        self._ttl = ttl
        self._every_seconds = every_seconds
        self._batch_size = batch_size

    async def purge_expired(self) -> int:
        """Delete every key older than the TTL, one batch at a time; returns how many went."""
        cutoff = self._clock.now() - self._ttl
        purged = 0
        while True:
            deleted = await self._store.purge(created_before=cutoff, limit=self._batch_size)
            purged += deleted
            if deleted < self._batch_size:
                return purged

    async def run(self) -> None:
        """Purge until cancelled; a failed pass (PostgreSQL away) is retried at the next one."""
        while True:
            try:
                purged = await self.purge_expired()
                if purged:
                    log.info("deleted %d expired Idempotency-Keys", purged)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("Idempotency-Key clean-up failed; retrying at the next pass")
            await asyncio.sleep(self._every_seconds)
