"""Password hashing with argon2 (argon2-cffi's recommended parameters)."""

from __future__ import annotations

import secrets
from contextlib import suppress
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


@cache
def _dummy_hash() -> str:
    # A hash of a random secret nobody knows, made with the same parameters as real ones, so that
    # checking against it costs what checking a real password costs.
    return _hasher.hash(secrets.token_urlsafe(32))


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when password matches; False for a wrong password or a missing/corrupt hash. Takes an
    argon2 verification's time in every case, so the answer's timing does not tell an account
    without a password (or no account at all, see `burn_password_check`) from a wrong password."""
    if not password_hash:
        burn_password_check(password)
        return False
    try:
        return _hasher.verify(password_hash, password)
    except InvalidHashError:
        burn_password_check(password)
        return False
    except VerificationError:
        return False


def burn_password_check(password: str) -> None:
    """Do the work of one password check against a hash nothing matches (unknown or disabled user)."""
    with suppress(VerificationError, InvalidHashError):  # it never matches: the time spent is the point
        _hasher.verify(_dummy_hash(), password)
