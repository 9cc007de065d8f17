"""Flow control toward the gateway: a token bucket for the agreed rate and a window of SUBMITs sent
and not yet answered. Gateways count every SUBMIT, so one segment is one token and one slot."""

from __future__ import annotations

import asyncio


class TokenBucket:
    """At most `rate` acquisitions per second on average and `size` back to back after a pause."""

    def __init__(self, rate: float, size: int) -> None:
        self._rate = rate
        self._size = size
        self._tokens = float(size)
        self._updated: float | None = None
        self._lock = asyncio.Lock()  # waiters are served in order, none jumps the queue

    async def acquire(self) -> None:
        if self._rate <= 0:
            return
        loop = asyncio.get_running_loop()
        async with self._lock:
            while True:
                now = loop.time()
                if self._updated is not None:
                    self._tokens = min(self._size, self._tokens + (now - self._updated) * self._rate)
                self._updated = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                await asyncio.sleep((1 - self._tokens) / self._rate)


class Window:
    """A semaphore that also remembers how many were in flight at most (for tests and metrics)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._free = asyncio.Semaphore(size)
        self.in_flight = 0
        self.peak = 0

    async def acquire(self) -> None:
        await self._free.acquire()
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)

    def release(self) -> None:
        self.in_flight -= 1
        self._free.release()
