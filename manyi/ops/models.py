"""The worker's heartbeat: when each worker process last finished a pass, for /metrics and /readyz
(served by another process, so it lives in the database)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from manyi.core.db import Base, UTCDateTime


class WorkerHeartbeat(Base):
    __tablename__ = "worker_heartbeats"

    worker_id: Mapped[str] = mapped_column(String(128), primary_key=True)  # host:pid
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_pass_at: Mapped[datetime] = mapped_column(UTCDateTime)
    passes: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), default=0)
