"""SMS over CMPP 2.0 / 3.0, the protocol of China Mobile's SMS gateways (ISMG, 互联网短信网关).

`pdu` is the pure codec, `client.CmppClient` the SP's side of the link (submit, receipts,
replies, window, rate, keep-alive, reconnect), `simulator.IsmgSimulator` a gateway for tests and
benchmarks. See docs/cmpp.md.
"""

from manyi.notify.cmpp.client import CmppClient
from manyi.notify.cmpp.config import CmppConfig
from manyi.notify.cmpp.constants import Version
from manyi.notify.cmpp.errors import CmppAuthError, CmppConfigError, CmppError, CmppLinkError, CmppPduError

__all__ = [
    "CmppAuthError",
    "CmppClient",
    "CmppConfig",
    "CmppConfigError",
    "CmppError",
    "CmppLinkError",
    "CmppPduError",
    "Version",
]
