"""Settings from environment variables (MANYI_*) and an optional TOML/YAML config file."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

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


DEFAULT_SECRET_KEY = "manyi-development-key-change-me"
MIN_SECRET_KEY_LENGTH = 32
SECRET_KEY_HOWTO = (
    "set MANYI_SECRET_KEY to a random secret of at least 32 characters, e.g. "
    "export MANYI_SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))'), "
    "or run a demo or development server with MANYI_ENV=demo or MANYI_ENV=dev"
)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MANYI_", extra="ignore")

    database_url: str = "sqlite:///./manyi.db"
    echo_sql: bool = False
    default_timezone: str = "Asia/Shanghai"
    default_calendar: str = "office"
    sla_warning_share: float = Field(default=0.8, gt=0, lt=1)
    # Minutes after a breach at which it goes to the team lead, the department head, the branch manager.
    escalation_delays_minutes: tuple[int, int, int] = (0, 240, 1440)
    # The contact rule (DOMAIN "contact rule"): a customer counts as unreachable, and the order may be
    # closed so, after this many failed attempts, each at least this many minutes after the one before.
    unreachable_attempts: int = Field(default=3, ge=1, le=20)
    unreachable_spacing_minutes: int = Field(default=120, ge=0, le=7 * 24 * 60)
    attachments_dir: str = "./var/attachments"
    worker_batch_size: int = Field(default=1000, ge=1)
    worker_idle_seconds: float = Field(default=1.0, gt=0)
    # How long a console process keeps the supervisor page's aggregate figures (counts by team and
    # status, timeliness) per region scope; the page says as of when. 0 recomputes them every request.
    supervisor_figures_seconds: float = Field(default=30.0, ge=0)
    log_level: str = "INFO"
    # production (the default: refuses to serve with the built-in secret key), demo or dev (warn).
    env: Literal["production", "demo", "dev"] = "production"
    # Keys PII at rest (ID numbers) and the console's CSRF tokens: set MANYI_SECRET_KEY in production;
    # the default is for demos only.
    secret_key: str = DEFAULT_SECRET_KEY
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

    # --- notifications (docs/notifications.md) ---
    # SMS gateways in failover order, comma-separated URLs:
    # smpp://system_id:password@host:2775?source_addr=10655&window=50&rate=100&name=primary
    # cmpp://sp_id:secret@host:7890?src_id=106571234&version=3.0&name=backup
    notify_sms_gateways: str = ""
    notify_daily_limit: int = Field(default=5, ge=0)  # SMS per number per local day (0: no limit)
    notify_max_attempts: int = Field(default=8, ge=1)  # then the message is failed
    notify_failover_after: int = Field(default=2, ge=1)  # failed attempts before the next gateway
    # A worker killed mid-window leaves its claimed messages "sending"; another takes them after this.
    notify_lease_seconds: float = Field(default=60.0, gt=0)
    notify_extension_digits: int = Field(default=4, ge=0, le=6)  # 0: no per-message extension
    notify_reply_window_hours: float = Field(default=72.0, gt=0)  # a reply answers the last SMS within

    # --- limits (docs/operations.md) ---
    # Largest request body in bytes (JSON, forms); attachment uploads have their own limit
    # (manyi.orders.attachments.MAX_ATTACHMENT_BYTES). Larger bodies get 413 before they are read.
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)

    # --- database timeouts: a database that is down or stuck makes requests fail fast with 503 ---
    # Seconds to establish a connection (PostgreSQL connect_timeout, covering a server that accepts
    # TCP and then never answers).
    db_connect_timeout_seconds: int = Field(default=5, ge=1)
    # Seconds one SQL statement may run on PostgreSQL before the server cancels it (statement_timeout);
    # 0 turns it off. Long batch jobs (imports, the demo) set it for their own engine.
    db_statement_timeout_seconds: float = Field(default=30.0, ge=0)
    # Seconds a request waits for a free pooled connection when all are in use.
    db_pool_timeout_seconds: float = Field(default=10.0, gt=0)
    # Seconds a SQLite writer waits for the write lock held by another (busy_timeout).
    sqlite_busy_timeout_seconds: float = Field(default=30.0, gt=0)

    # --- operations endpoints (docs/operations.md) ---
    # Who may read /metrics: clients from these networks (comma-separated CIDRs), or anyone sending
    # `Authorization: Bearer <metrics_token>` when a token is set. Default: this machine only.
    metrics_allowed_networks: str = "127.0.0.1/32,::1/128"
    metrics_token: str = ""


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process settings (config file values, overridden by environment)."""
    file_values = _config_file_values()
    env_values = Settings().model_dump(exclude_unset=True)
    return Settings(**{**file_values, **env_values})


def reset_settings() -> None:
    """Forget cached settings so the next get_settings() re-reads the environment."""
    get_settings.cache_clear()


def secret_key_problem(settings: Settings) -> str | None:
    """Why the secret key is unfit for a real server (the built-in default, or too short), or None."""
    if settings.secret_key == DEFAULT_SECRET_KEY:
        return "MANYI_SECRET_KEY is the built-in default, which anyone can read in the source"
    if len(settings.secret_key) < MIN_SECRET_KEY_LENGTH:
        return f"MANYI_SECRET_KEY is shorter than {MIN_SECRET_KEY_LENGTH} characters"
    return None
