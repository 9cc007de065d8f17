"""The SMSC every SMPP test talks to: a fresh smpp34 server process per test (see smsc.py).

MANYI_REQUIRE_SMPP=1 (set by .ci/run) turns an SMSC that cannot start into an error instead of a skip.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.notify.smpp.smsc import SmscProcess

REQUIRE_SMPP = os.environ.get("MANYI_REQUIRE_SMPP") == "1"


def start_smsc(port: int | None = None) -> SmscProcess:
    try:
        return SmscProcess(port).start()
    except (ImportError, OSError, RuntimeError) as exc:
        if REQUIRE_SMPP:
            raise
        pytest.skip(f"SMPP server (smpp34) cannot start here: {exc}")


@pytest.fixture
def smsc() -> Iterator[SmscProcess]:
    server = start_smsc()
    try:
        yield server
    finally:
        server.stop()
