"""SMS over SMPP 3.4: a transceiver client for operators' SMS gateways (see docs/smpp.md)."""

from manyi.notify.smpp.client import SmppBindError, SmppClient, SmppStats
from manyi.notify.smpp.config import SmppConfig, SmppConfigError

__all__ = ["SmppBindError", "SmppClient", "SmppConfig", "SmppConfigError", "SmppStats"]
