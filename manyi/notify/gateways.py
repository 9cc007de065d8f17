"""The operator's SMS gateways, in failover order, from `notify_sms_gateways` (docs/notifications.md):

    smpp://system_id:password@host:2775?source_addr=10655&window=50&rate=100&name=primary
    cmpp://sp_id:shared_secret@host:7890?src_id=106571234&version=3.0&window=16&rate=100&name=backup

Every other query parameter is a field of SmppConfig / CmppConfig of the same name.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from manyi.core.errors import ValidationFailed
from manyi.notify.cmpp.config import CmppConfig
from manyi.notify.cmpp.constants import Version
from manyi.notify.smpp.config import SmppConfig


@dataclass(frozen=True)
class Gateway:
    name: str
    kind: str  # smpp | cmpp
    config: SmppConfig | CmppConfig

    @property
    def window(self) -> int:
        return self.config.window


def _typed(cls: type, values: dict[str, str], setting: str) -> dict[str, Any]:
    """Query values converted to the config field's type (int, float, str)."""
    known = {f.name: f for f in fields(cls)}
    out: dict[str, Any] = {}
    for key, raw in values.items():
        if key not in known:
            raise ValidationFailed(f"{setting}: unknown parameter {key!r}", field=setting)
        kind = str(known[key].type)
        try:
            out[key] = int(raw) if kind == "int" else float(raw) if kind == "float" else raw
        except ValueError as exc:
            raise ValidationFailed(f"{setting}: {key} expected a number, got {raw!r}", field=setting) from exc
    return out


def parse_gateway(url: str, position: int) -> Gateway:
    setting = "notify_sms_gateways"
    parts = urlsplit(url.strip())
    query = dict(parse_qsl(parts.query))
    name = query.pop("name", f"gw{position + 1}")
    if not parts.hostname or not parts.port:
        raise ValidationFailed(f"{setting}: gateway {name} needs host:port", field=setting)
    user, password = unquote(parts.username or ""), unquote(parts.password or "")
    if parts.scheme == "smpp":
        values = _typed(SmppConfig, query, setting)
        return Gateway(
            name,
            "smpp",
            SmppConfig(host=parts.hostname, port=parts.port, system_id=user, password=password, **values),
        )
    if parts.scheme == "cmpp":
        version = query.pop("version", "3.0")
        values = _typed(CmppConfig, query, setting)
        config = CmppConfig(
            host=parts.hostname,
            port=parts.port,
            source_addr=user,
            shared_secret=password,
            version=Version.V20 if version.startswith("2") else Version.V30,
            **values,
        )
        return Gateway(name, "cmpp", config)
    raise ValidationFailed(f"{setting}: expected smpp:// or cmpp://, got {parts.scheme!r}://", field=setting)


def parse_gateways(setting: str) -> list[Gateway]:
    """The configured gateways in failover order (none: SMS wait in the queue, nothing is lost)."""
    gateways = [parse_gateway(url, i) for i, url in enumerate(u for u in setting.split(",") if u.strip())]
    if len({g.name for g in gateways}) != len(gateways):
        raise ValidationFailed("notify_sms_gateways: two gateways share a name", field="notify_sms_gateways")
    return gateways
