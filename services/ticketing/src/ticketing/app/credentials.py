"""Agency keys and staff tokens, looked up by the SHA-256 of their secret, with a short cache.

Every authenticated request needs its credential; the cache spares it a transaction for the
``ttl_seconds`` after the first look-up. A credential change (``registry.changed``, entity
``credential``) processed by this process empties the cache at once, so a revoked key is
refused by the next request. Other replicas of ticketing (one consumer group processes each
event once) see the revocation in the shared database when their entry expires, within
``ttl_seconds``.
"""

import time
from collections.abc import Awaitable, Callable

from ticketing.app.ports import Credential

CredentialLoader = Callable[[str], Awaitable[Credential | None]]


class CredentialCache:
    def __init__(
        self,
        *,
        load: CredentialLoader,
        ttl_seconds: float,
        max_entries: int = 10_000,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._load = load
        self._ttl = ttl_seconds
        self._max_entries = max_entries
        self._monotonic = monotonic
        # sha256 -> (expires at, the credential or None for an unknown secret)
        self._entries: dict[str, tuple[float, Credential | None]] = {}
        self._generation = 0

    async def get(self, sha256: str) -> Credential | None:
        """The active credential whose secret hashes to ``sha256``, or None."""
        now = self._monotonic()
        cached = self._entries.get(sha256)
        if cached is not None and cached[0] > now:
            return cached[1]
        generation = self._generation
        credential = await self._load(sha256)
        # A change processed while this look-up ran may have made its answer stale: not kept.
        if self._ttl > 0 and generation == self._generation:
            if len(self._entries) >= self._max_entries:
                self._drop_expired(now)
            if len(self._entries) >= self._max_entries:
                # Full of live entries (a flood of made-up secrets): start over rather than grow.
                self._entries.clear()
            self._entries[sha256] = (now + self._ttl, credential)
        return credential

    def invalidate(self) -> None:
        """Forget every cached credential (a credential was added, changed or revoked)."""
        self._generation += 1
        self._entries.clear()

    def _drop_expired(self, now: float) -> None:
        for sha256 in [k for k, (expires, _) in self._entries.items() if expires <= now]:
            del self._entries[sha256]
