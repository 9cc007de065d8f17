"""Login arithmetic of CMPP_CONNECT: the SP proves it knows the shared secret without sending it,
and the gateway proves the same in its answer.

AuthenticatorSource = MD5(Source_Addr + 9 NUL bytes + shared secret + timestamp), the timestamp
being the ten digits MMDDHHMMSS of the SP's clock (China time) also sent in the Timestamp field:
the gateway recomputes the digest, so a clock far off or a wrong secret both fail with Status 3.
AuthenticatorISMG = MD5(Status + AuthenticatorSource + shared secret).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime


def connect_timestamp(local_time: datetime) -> int:
    """The Timestamp field: MMDDHHMMSS of the local time, as an integer (0203040506 -> 203040506)."""
    return int(local_time.strftime("%m%d%H%M%S"))


def authenticator_source(source_addr: str, shared_secret: str, timestamp: int) -> bytes:
    """Return the 16-byte AuthenticatorSource of a CMPP_CONNECT."""
    material = (
        source_addr.encode("ascii") + b"\0" * 9 + shared_secret.encode("ascii") + f"{timestamp:010d}".encode()
    )
    return hashlib.md5(material, usedforsecurity=False).digest()


def authenticator_ismg(
    status: int, source_authenticator: bytes, shared_secret: str, *, status_size: int
) -> bytes:
    """Return the 16-byte AuthenticatorISMG: Status is hashed at its width on the wire (4 bytes in
    CMPP 3.0, 1 in CMPP 2.0)."""
    material = status.to_bytes(status_size, "big") + source_authenticator + shared_secret.encode("ascii")
    return hashlib.md5(material, usedforsecurity=False).digest()


def ismg_authenticator_matches(
    received: bytes, status: int, source_authenticator: bytes, shared_secret: str, *, status_size: int
) -> bool:
    """Whether the gateway's AuthenticatorISMG proves it knows the secret. Some CMPP 3.0 gateways
    hash Status as one byte, as CMPP 2.0 did; either form proves knowledge of the secret."""
    sizes = {status_size, 1}
    return any(
        hmac.compare_digest(
            received, authenticator_ismg(status, source_authenticator, shared_secret, status_size=s)
        )
        for s in sizes
    )
