"""Running a coroutine from a synchronous test, whatever else the test process holds.

Playwright's sync API (the session-wide Chromium fixture) drives its own event loop from the main
thread through greenlets, so once a browser test has run, ``asyncio.run`` in that thread refuses
("cannot be called from a running event loop"). A fresh thread has no running loop: each
coroutine gets its own loop there, and its result or exception comes back to the caller.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run_fresh(coroutine: Coroutine[Any, Any, T], timeout: float) -> T:
    """Run ``coroutine`` to completion in a new event loop on a new thread, within ``timeout`` s."""

    async def bounded() -> T:
        return await asyncio.wait_for(coroutine, timeout)

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="async-test") as pool:
        return pool.submit(asyncio.run, bounded()).result()
