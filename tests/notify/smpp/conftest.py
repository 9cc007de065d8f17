"""The SMSC every SMPP test talks to: a fresh smpp34 server process per test (see smsc.py), and
Jasmin, a real SMS gateway, in front of one for the tests that go through a gateway.

MANYI_REQUIRE_SMPP=1 (set by .ci/run) turns an SMSC that cannot start into an error instead of a skip.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator

import pytest

from tests.notify.smpp.jasmin_gateway import JasminGateway
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


@pytest.fixture(scope="module")
def jasmin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[JasminGateway, SmscProcess]]:
    """Jasmin bound to its own SMSC, for the tests that go through a real gateway."""
    server = start_smsc()
    server.command("set", receipts=False)
    try:
        gateway = JasminGateway(tmp_path_factory.mktemp("jasmin"), server.port).start()
    except (OSError, RuntimeError, subprocess.SubprocessError) as exc:
        server.stop()
        if REQUIRE_SMPP:
            raise
        pytest.skip(f"Jasmin SMS gateway cannot start here (it needs uv, RabbitMQ and Redis): {exc}")
    try:
        deadline = time.monotonic() + 30
        while server.command("stats")["binds"] != ["jasmin"]:
            assert time.monotonic() < deadline, (
                f"Jasmin's connector did not bind: {gateway.connector_status()}"
            )
            time.sleep(0.1)
        yield gateway, server
    finally:
        gateway.stop()
        server.stop()
