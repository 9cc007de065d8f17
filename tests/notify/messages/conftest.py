"""Fixtures of the message tests: an SMSC (smpp34) per test, settings pointing the worker at it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from manyi.core.settings import reset_settings
from tests.notify.smpp.conftest import start_smsc
from tests.notify.smpp.smsc import SmscProcess


@pytest.fixture
def smsc() -> Iterator[SmscProcess]:
    server = start_smsc()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def gateway_env(monkeypatch: pytest.MonkeyPatch, smsc: SmscProcess) -> Iterator[SmscProcess]:
    """MANYI_NOTIFY_SMS_GATEWAYS names the test SMSC; settings re-read before and after."""
    monkeypatch.setenv(
        "MANYI_NOTIFY_SMS_GATEWAYS",
        f"smpp://manyi:secret@127.0.0.1:{smsc.port}?source_addr=10655&window=20&rate=0&name=primary",
    )
    monkeypatch.setenv("MANYI_NOTIFY_DAILY_LIMIT", "0")
    reset_settings()
    yield smsc
    monkeypatch.undo()
    reset_settings()
