"""Running the client against the simulator: both in one event loop, a generous overall timeout
(a loaded 2-core machine is slow, never wrong), conditions awaited instead of slept on."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec

from manyi.notify.cmpp.config import CmppConfig
from manyi.notify.cmpp.simulator import SimulatorConfig
from tests.async_run import run_fresh

P = ParamSpec("P")

ACCOUNT = "901234"
SECRET = "s3cret"
ACCESS_CODE = "1065712345"
TEST_TIMEOUT = 30.0


def run_async(test: Callable[P, Awaitable[None]]) -> Callable[P, None]:
    """Run an async test in a fresh event loop (on its own thread), failing it after TEST_TIMEOUT seconds."""

    @functools.wraps(test)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> None:
        run_fresh(test(*args, **kwargs), TEST_TIMEOUT)

    return wrapper


def sim_config(**overrides: Any) -> SimulatorConfig:
    values: dict[str, Any] = {
        "accounts": {ACCOUNT: SECRET},
        "report_delay": 0.01,
        "src_id_prefix": ACCESS_CODE,
    }
    values.update(overrides)
    return SimulatorConfig(**values)


def client_config(port: int, **overrides: Any) -> CmppConfig:
    values: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": port,
        "source_addr": ACCOUNT,
        "shared_secret": SECRET,
        "src_id": ACCESS_CODE,
        "service_id": "MANYI",
        "rate": 0,
        "response_timeout": 10.0,
        "reconnect_initial": 0.05,
        "reconnect_max": 0.5,
    }
    values.update(overrides)
    return CmppConfig(**values)


async def eventually(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Wait for a condition that no simulator event announces (a client-side counter)."""
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.005)
