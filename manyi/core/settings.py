"""Settings from environment variables (MANYI_*) and an optional TOML/YAML config file."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def _config_file_values() -> dict[str, Any]:
    # An explicit MANYI_CONFIG wins; otherwise ./manyi.yaml when present. Environment still overrides.
    path = os.environ.get("MANYI_CONFIG") or ("manyi.yaml" if Path("manyi.yaml").exists() else None)
    if not path:
        return {}
    with open(path, encoding="utf-8") as fh:
        data = yaml.safe_load(fh) or {}
    if not isinstance(data, dict):
        raise ValueError(f"config file {path}: expected a mapping of setting names to values")
    return {str(k).lower(): v for k, v in data.items()}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MANYI_", extra="ignore")

    database_url: str = "sqlite:///./manyi.db"
    echo_sql: bool = False
    default_timezone: str = "Asia/Shanghai"
    default_calendar: str = "office"
    sla_warning_share: float = Field(default=0.8, gt=0, lt=1)
    # Minutes after a breach at which it goes to the team lead, the department head, the branch manager.
    escalation_delays_minutes: tuple[int, int, int] = (0, 240, 1440)
    attachments_dir: str = "./var/attachments"
    worker_batch_size: int = Field(default=1000, ge=1)
    worker_idle_seconds: float = Field(default=1.0, gt=0)
    # How long a console process keeps the supervisor page's aggregate figures (counts by team and
    # status, timeliness) per region scope; the page says as of when. 0 recomputes them every request.
    supervisor_figures_seconds: float = Field(default=30.0, ge=0)
    log_level: str = "INFO"
    # Keys PII at rest (ID numbers): set MANYI_SECRET_KEY in production; the default is for demos only.
    secret_key: str = "manyi-development-key-change-me"
    host: str = "127.0.0.1"
    port: int = 8000
    # The address clients reach the API at (https://manyi.example.com), for absolute links such as
    # TMF's @schemaLocation; unset, a request's own base URL (or http://host:port outside one).
    public_url: str | None = None
    # Where tickets and customers that arrive without a region Manyi can derive wait for a dispatcher
    # to place them (manyi.org.default_region); unset, the one region at the top of the tree.
    triage_region: str | None = None
    # PIPL erasure of a customer's personal data is refused while a closed order of theirs is younger
    # than this (complaint and dispute records kept); 0 keeps nothing back.
    customer_retention_days: int = Field(default=180, ge=0)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process settings (config file values, overridden by environment)."""
    file_values = _config_file_values()
    env_values = Settings().model_dump(exclude_unset=True)
    return Settings(**{**file_values, **env_values})


def reset_settings() -> None:
    """Forget cached settings so the next get_settings() re-reads the environment."""
    get_settings.cache_clear()
