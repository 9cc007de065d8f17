"""How Manyi binds to an operator's SMPP gateway: the account the gateway issued, the service code
messages are sent from, and the traffic contract agreed with it (window, rate, keep-alive)."""

from __future__ import annotations

from dataclasses import dataclass

from manyi.core.errors import ValidationFailed


class SmppConfigError(ValidationFailed):
    """A setting outside what SMPP 3.4 or the client allows, naming the setting."""

    code = "smpp_config"


@dataclass(frozen=True)
class SmppConfig:
    """One transceiver bind. Lengths are SMPP 3.4's C-octet-string limits (section 5.2)."""

    host: str
    port: int
    system_id: str
    password: str
    system_type: str = ""
    source_addr: str = ""  # the service code (e.g. 106xxxxx); an OutgoingSms.extension is appended
    source_ton: int = 0
    source_npi: int = 0
    dest_ton: int = 1  # international: Manyi stores numbers as 86…
    dest_npi: int = 1  # E.164
    service_type: str = ""
    window: int = 10  # submit_sm PDUs awaiting their submit_sm_resp at once
    rate: float = 100.0  # submit_sm PDUs per second agreed with the gateway; 0 means unthrottled
    burst: int = 0  # tokens the bucket holds; 0 means max(1, rate / 10)
    enquire_interval: float = 30.0  # seconds between our enquire_link
    response_timeout: float = 10.0  # seconds a bind, submit or enquire_link waits for its answer
    connect_timeout: float = 5.0
    reconnect_initial: float = 0.5  # first pause after a lost link, doubled up to reconnect_max
    reconnect_max: float = 30.0
    link_wait: float = 60.0  # how long a submit waits for a lost link to come back before giving up
    throttle_backoff: float = 0.5  # first pause after ESME_RTHROTTLED, doubled per repeat
    throttle_retries: int = 5  # re-sends of one PDU refused as throttled before reporting it retryable
    receipt_timezone: str = "UTC"  # zone of the receipt's "done date" (gateways use their local time)

    def __post_init__(self) -> None:
        _text("host", self.host, 1, 253)
        if not 0 < self.port < 65536:
            raise SmppConfigError(f"port: expected 1..65535, got {self.port}", field="port")
        _text("system_id", self.system_id, 1, 15)
        _text("password", self.password, 0, 8, secret=True)
        _text("system_type", self.system_type, 0, 12)
        _text("source_addr", self.source_addr, 0, 20)
        _text("service_type", self.service_type, 0, 5)
        for name in ("source_ton", "source_npi", "dest_ton", "dest_npi"):
            value = getattr(self, name)
            if not 0 <= value <= 18:
                raise SmppConfigError(f"{name}: expected 0..18, got {value}", field=name)
        if not 1 <= self.window <= 1000:
            raise SmppConfigError(f"window: expected 1..1000, got {self.window}", field="window")
        if self.rate < 0:
            raise SmppConfigError(f"rate: expected 0 or more per second, got {self.rate}", field="rate")
        if self.burst < 0:
            raise SmppConfigError(f"burst: expected 0 or more, got {self.burst}", field="burst")
        if self.throttle_retries < 0:
            raise SmppConfigError(
                f"throttle_retries: expected 0 or more, got {self.throttle_retries}", field="throttle_retries"
            )
        for name in (
            "enquire_interval",
            "response_timeout",
            "connect_timeout",
            "reconnect_initial",
            "reconnect_max",
            "link_wait",
            "throttle_backoff",
        ):
            if getattr(self, name) <= 0:
                raise SmppConfigError(
                    f"{name}: expected a positive number of seconds, got {getattr(self, name)}", field=name
                )

    @property
    def bucket_size(self) -> int:
        return self.burst or max(1, int(self.rate / 10))


def _text(name: str, value: str, low: int, high: int, *, secret: bool = False) -> None:
    if not isinstance(value, str) or not low <= len(value) <= high or not value.isascii():
        shown = "a value of that length" if secret else repr(value)  # a password never reaches a log
        raise SmppConfigError(f"{name}: expected {low}..{high} ASCII characters, got {shown}", field=name)
