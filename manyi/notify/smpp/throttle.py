"""The gateway's agreed rate as a token bucket: each submit_sm takes a token, tokens come back at
`rate` per second, at most `size` wait unused (the burst a quiet link may send at once)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


class TokenBucket:
    """Reserve-ahead token bucket: a taker that finds it empty books the next free slot and sleeps
    until then, so concurrent takers are spaced out instead of waking together."""

    def __init__(self, rate: float, size: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.size = size
        self._clock = clock
        self._tokens = float(size)
        self._stamp = clock()

    def reserve(self) -> float:
        """Book one token; return how many seconds to wait before using it (0 when one is ready)."""
        if self.rate <= 0:
            return 0.0
        now = self._clock()
        self._tokens = min(float(self.size), self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now
        self._tokens -= 1
        return 0.0 if self._tokens >= 0 else -self._tokens / self.rate

    async def take(self) -> None:
        delay = self.reserve()
        if delay > 0:
            await asyncio.sleep(delay)
