"""The throughput cap: never more than N sends in any one-second span."""

import asyncio

from notify.app.throttle import Throttle


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


async def test_never_more_than_the_cap_in_any_second_and_no_slower_than_it() -> None:
    fake = FakeTime()
    throttle = Throttle(80, monotonic=fake.monotonic, sleep=fake.sleep)
    starts = []
    for _ in range(400):
        await throttle.acquire()
        starts.append(fake.now)
    for index, start in enumerate(starts):
        in_span = [s for s in starts[index:] if s - start < 1.0]
        assert len(in_span) <= 80
    # 400 messages at 80/s take 4 spans of 1.1 s (the jitter margin): 91% of the cap.
    assert starts[-1] < 4 * 1.1 + 0.01


async def test_concurrent_senders_share_one_cap() -> None:
    fake = FakeTime()
    throttle = Throttle(10, monotonic=fake.monotonic, sleep=fake.sleep)
    starts: list[float] = []

    async def send() -> None:
        await throttle.acquire()
        starts.append(fake.now)

    await asyncio.gather(*(send() for _ in range(35)))
    assert sorted(starts)[10] >= 1.0 and sorted(starts)[30] >= 3.0
