"""Run the few asyncio client calls (aiokafka, asyncpg) behind a synchronous API."""

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run `coroutine` to completion and return its result.

    The devstack API is synchronous because its callers are (the CLI, the launcher,
    pytest session fixtures). When the caller already runs an event loop, as an async
    fixture does, `asyncio.run` refuses, so the coroutine gets its own loop on a thread.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
