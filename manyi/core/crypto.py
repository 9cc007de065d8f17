"""PII at rest: ID numbers are encrypted (Fernet) and matched through a keyed hash (HMAC-SHA256)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet


@lru_cache(maxsize=4)
def _fernet(secret: str) -> Fernet:
    key = hashlib.sha256(b"manyi-pii-encryption:" + secret.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def _secret() -> str:
    from manyi.core.settings import get_settings

    return get_settings().secret_key


def keyed_hash(value: str) -> str:
    """A keyed hash for exact matching without storing the value."""
    return hmac.new(
        ("manyi-pii-hash:" + _secret()).encode(), value.strip().upper().encode(), hashlib.sha256
    ).hexdigest()


def encrypt(value: str) -> str:
    return _fernet(_secret()).encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    return _fernet(_secret()).decrypt(token.encode()).decode()
