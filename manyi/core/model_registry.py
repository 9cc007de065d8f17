"""Import every package's models so Base.metadata is complete (Alembic, create_all)."""

from __future__ import annotations

import importlib

from manyi.core.db import Base

MODEL_MODULES = (
    "manyi.core.sequences",
    "manyi.org.models",
    "manyi.customers.models",
    "manyi.calendars.models",
    "manyi.categories.models",
    "manyi.orders.models",
    "manyi.orders.fulltext",  # the full-text index created with work_orders (an after_create hook)
    "manyi.sla.models",
    "manyi.outbox.models",
    "manyi.auth.models",
    "manyi.hub.models",
    "manyi.ops.models",
    "manyi.search.models",
    "manyi.notify.models",
)


def load_all_models() -> type[Base]:
    """Import all model modules and return the declarative base."""
    for name in MODEL_MODULES:
        importlib.import_module(name)
    return Base
