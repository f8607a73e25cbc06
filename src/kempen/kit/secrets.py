"""Passwords, API keys and HMAC signatures."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()

API_KEY_PREFIX = "kmp_"


def hash_password(password: str) -> str:
    """Hash a password with argon2id."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Check a password against its argon2 hash without raising."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def new_api_key() -> str:
    """Return a new random API key; it is shown once and only its hash is stored."""
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def hash_api_key(key: str) -> str:
    """Hash an API key for storage and lookup.

    Keys carry 256 bits of randomness, so a fast hash is safe here (unlike passwords) and keeps
    authenticating every API call cheap.
    """
    return hashlib.sha256(key.encode()).hexdigest()


def hmac_sha256(secret: str, payload: bytes) -> str:
    """Return the hex HMAC-SHA256 of a payload."""
    return hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()


def derive_secret(master_key: str, purpose: str) -> str:
    """Derive a stable per-purpose secret from the master key, so derived secrets need no storage."""
    return hmac_sha256(master_key, purpose.encode())
