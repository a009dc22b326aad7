"""The per-number throughput cap of the Cloud API (80 messages a second by default).

A sliding window: at most ``per_second`` sends start in any span of one second plus a
safety margin, so the cap is never exceeded, not merely on average: Meta counts arrivals,
and network jitter can bunch sends that started a second apart (the margin absorbs 100 ms).
One process sends for one phone number id; with several notify replicas, divide the cap
among them (``ANTRE_WHATSAPP_MAX_MESSAGES_PER_SECOND``).
"""

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable


class Throttle:
    def __init__(
        self,
        per_second: float,
        *,
        margin: float = 0.1,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if per_second <= 0:
            raise ValueError("the throughput cap must be positive")
        self._limit = max(1, int(per_second))
        # 1 s (longer for fractional caps below 1/s), plus the jitter margin.
        self._span = self._limit / per_second + margin
        self._monotonic = monotonic
        self._sleep = sleep
        self._starts: deque[float] = deque()
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        """Wait until one more send fits under the cap, and count it."""
        async with self._lock:
            while True:
                now = self._monotonic()
                while self._starts and now - self._starts[0] >= self._span:
                    self._starts.popleft()
                if len(self._starts) < self._limit:
                    self._starts.append(now)
                    return
                await self._sleep(self._span - (now - self._starts[0]))
