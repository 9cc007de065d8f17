"""The settings of one CMPP account at one gateway, checked when made: a setting the protocol
cannot carry is refused here, naming it, rather than at the first message."""

from __future__ import annotations

from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from manyi.notify.cmpp.constants import FLOW_CONTROL, Version
from manyi.notify.cmpp.errors import CmppConfigError


def _ascii(name: str, value: str, *, width: int, required: bool = False, digits: bool = False) -> None:
    if required and not value:
        raise CmppConfigError(f"{name}: required", field=name)
    if not value.isascii() or len(value) > width or "\0" in value:
        raise CmppConfigError(f"{name}: expected at most {width} ASCII characters, got {value!r}", field=name)
    if digits and value and not value.isdigit():
        raise CmppConfigError(f"{name}: expected digits only, got {value!r}", field=name)


def _positive(name: str, value: float, *, zero_ok: bool = False) -> None:
    if value < 0 or (value == 0 and not zero_ok):
        raise CmppConfigError(f"{name}: expected a number above 0, got {value}", field=name)


@dataclass(frozen=True)
class CmppConfig:
    """One SP account: where the gateway is, who we are, and the limits agreed with the operator."""

    host: str
    port: int  # 7890 for long connections at China Mobile's gateways
    source_addr: str  # SP id (企业代码), six characters: the login account
    shared_secret: str  # agreed with the operator; never sent on the wire
    src_id: str  # the access code (短信接入码, e.g. 106571234): the sender a handset shows
    service_id: str = ""  # service code (业务代码), up to 10 characters
    version: Version = Version.V30
    window: int = 16  # SUBMITs sent and not yet answered; the gateway drops or throttles beyond it
    rate: float = 100.0  # SUBMITs per second agreed with the gateway (each segment counts); 0: none
    burst: int | None = None  # SUBMITs sent back to back after a pause; default a tenth of a second
    active_test_interval: float = 60.0  # idle seconds before an ACTIVE_TEST (the spec's C: <= 180)
    response_timeout: float = 60.0  # seconds to wait for any response (the spec's T)
    active_test_retries: int = 3  # unanswered ACTIVE_TESTs before the link is dropped (the spec's N)
    connect_timeout: float = 10.0  # TCP connect plus CONNECT_RESP
    reconnect_initial: float = 1.0  # backoff after a dropped link, doubling ...
    reconnect_max: float = 60.0  # ... up to this
    segment_retries: int = 3  # a throttled later segment is re-sent so a long message stays whole
    retryable_results: frozenset[int] = field(default_factory=lambda: frozenset({FLOW_CONTROL}))
    fee_user_type: int = 2  # the SP pays: notifications are free for the customer
    fee_type: str = "01"  # 01: free of charge
    fee_code: str = "000000"
    msg_level: int = 0
    timezone: str = "Asia/Shanghai"  # the gateway's clock: CONNECT's Timestamp and report times
    verify_gateway: bool = True  # check AuthenticatorISMG: the gateway proves it knows the secret
    mo_reassembly_timeout: float = 300.0  # a long reply missing a part is handed over as it is

    def __post_init__(self) -> None:
        if not self.host:
            raise CmppConfigError("host: required", field="host")
        if not 0 < self.port < 65536:
            raise CmppConfigError(f"port: expected 1..65535, got {self.port}", field="port")
        _ascii("source_addr", self.source_addr, width=6, required=True)
        _ascii("shared_secret", self.shared_secret, width=64)
        _ascii("src_id", self.src_id, width=21, required=True, digits=True)
        _ascii("service_id", self.service_id, width=10)
        _ascii("fee_type", self.fee_type, width=2)
        _ascii("fee_code", self.fee_code, width=6)
        if self.version not in tuple(Version):
            raise CmppConfigError(f"version: expected 0x20 or 0x30, got {self.version!r}", field="version")
        object.__setattr__(self, "version", Version(self.version))
        if not 1 <= self.window <= 1024:
            raise CmppConfigError(f"window: expected 1..1024, got {self.window}", field="window")
        _positive("rate", self.rate, zero_ok=True)
        if self.burst is not None and self.burst < 1:
            raise CmppConfigError(f"burst: expected 1 or more, got {self.burst}", field="burst")
        for name in ("active_test_interval", "response_timeout", "connect_timeout"):
            _positive(name, getattr(self, name))
        _positive("reconnect_initial", self.reconnect_initial)
        if self.reconnect_max < self.reconnect_initial:
            raise CmppConfigError("reconnect_max: expected at least reconnect_initial", field="reconnect_max")
        if self.active_test_retries < 1:
            raise CmppConfigError("active_test_retries: expected 1 or more", field="active_test_retries")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise CmppConfigError(f"timezone: unknown zone {self.timezone!r}", field="timezone") from exc

    @property
    def bucket_size(self) -> int:
        """Tokens the rate limiter holds: `burst`, else a tenth of a second of the rate."""
        if self.burst is not None:
            return self.burst
        return max(1, int(self.rate / 10))

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)
