"""Operations tests use the API's and the console's fixtures (clients, signed-in staff, Chromium)."""

from __future__ import annotations

from tests.api.conftest import api
from tests.console.conftest import browser, console

__all__ = ["api", "browser", "console"]
