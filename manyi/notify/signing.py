"""Signing what we POST to an HTTP SMS gateway, and checking what it POSTs back (delivery reports,
replies). A signer is a small strategy; one scheme is built in, its details set in configuration.

The built-in scheme, "hmac-sha256" (docs/channels.md "Signatures"):
    string_to_sign = timestamp + "\\n" + nonce + "\\n" + body
    signature      = hex (or base64) of HMAC-SHA256(secret, string_to_sign), UTF-8 throughout
`body` is the exact bytes of the request body, never a re-serialization (two JSON encoders seldom
agree byte for byte); the timestamp (Unix seconds or milliseconds) and nonce travel in headers
beside the key id and the signature. A callback is refused when a header is missing, the key id is
not the configured one, the timestamp is further than `max_skew_seconds` from our clock either way,
or the signature differs (compared in constant time).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from datetime import datetime
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from manyi.core.errors import ManyiError

# Why a callback was refused: the gateway's operator reads it in our answer and our log.
MISSING_SIGNATURE = "missing_signature"
UNKNOWN_KEY = "unknown_key"
STALE_TIMESTAMP = "stale_timestamp"
BAD_SIGNATURE = "bad_signature"


class CallbackRejected(ManyiError):
    """A callback whose signature does not prove it came from the gateway: nothing in it is used."""

    status = 401
    code = "callback_rejected"

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason = reason


class Signer(Protocol):
    """A signing scheme: headers for a request we send, and the check of one we receive."""

    def sign(self, body: bytes, *, key_id: str, secret: str, at: datetime) -> dict[str, str]:
        """The headers that sign body at instant at."""
        ...

    def verify(
        self, body: bytes, headers: Mapping[str, str], *, key_id: str, secret: str, at: datetime
    ) -> None:
        """Return if headers sign body for key_id and are fresh at instant at; else CallbackRejected."""
        ...


class HmacSha256Signing(BaseModel):
    """The built-in scheme; header names, encoding and tolerance are configuration."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    scheme: Literal["hmac-sha256"] = "hmac-sha256"
    key_id_header: str = "X-Sms-Key-Id"
    timestamp_header: str = "X-Sms-Timestamp"
    nonce_header: str = "X-Sms-Nonce"
    signature_header: str = "X-Sms-Signature"
    encoding: Literal["hex", "base64"] = "hex"
    timestamp_unit: Literal["s", "ms"] = "s"
    max_skew_seconds: int = Field(default=300, ge=1, le=3600)

    def digest(self, body: bytes, *, timestamp: str, nonce: str, secret: str) -> str:
        """The signature of body under this scheme."""
        message = timestamp.encode() + b"\n" + nonce.encode() + b"\n" + body
        mac = hmac.new(secret.encode(), message, hashlib.sha256).digest()
        return mac.hex() if self.encoding == "hex" else base64.b64encode(mac).decode("ascii")

    def _timestamp(self, at: datetime) -> str:
        seconds = at.timestamp()
        return str(int(seconds * 1000) if self.timestamp_unit == "ms" else int(seconds))

    def sign(self, body: bytes, *, key_id: str, secret: str, at: datetime) -> dict[str, str]:
        timestamp, nonce = self._timestamp(at), secrets.token_hex(16)
        return {
            self.key_id_header: key_id,
            self.timestamp_header: timestamp,
            self.nonce_header: nonce,
            self.signature_header: self.digest(body, timestamp=timestamp, nonce=nonce, secret=secret),
        }

    def verify(
        self, body: bytes, headers: Mapping[str, str], *, key_id: str, secret: str, at: datetime
    ) -> None:
        lowered = {name.lower(): value for name, value in headers.items()}
        wanted = (self.key_id_header, self.timestamp_header, self.nonce_header, self.signature_header)
        missing = [name for name in wanted if not lowered.get(name.lower())]
        if missing:
            raise CallbackRejected(MISSING_SIGNATURE, f"header {', '.join(missing)} missing")
        given_key = lowered[self.key_id_header.lower()]
        timestamp = lowered[self.timestamp_header.lower()]
        nonce = lowered[self.nonce_header.lower()]
        signature = lowered[self.signature_header.lower()]
        if not hmac.compare_digest(given_key.encode(), key_id.encode()):
            raise CallbackRejected(UNKNOWN_KEY, f"{self.key_id_header} is not the configured key id")
        if not timestamp.isdigit():
            raise CallbackRejected(
                STALE_TIMESTAMP, f"{self.timestamp_header}: expected Unix time in {self.timestamp_unit}"
            )
        sent = int(timestamp) / (1000 if self.timestamp_unit == "ms" else 1)
        skew = abs(at.timestamp() - sent)
        if skew > self.max_skew_seconds:
            raise CallbackRejected(
                STALE_TIMESTAMP,
                f"signed {int(skew)} s away from our clock; at most {self.max_skew_seconds} s allowed",
            )
        expected = self.digest(body, timestamp=timestamp, nonce=nonce, secret=secret)
        given = signature.strip().lower() if self.encoding == "hex" else signature.strip()
        if not hmac.compare_digest(expected.encode(), given.encode()):
            raise CallbackRejected(BAD_SIGNATURE, "the signature does not match the body")
