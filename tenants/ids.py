"""Public identifiers and key material."""

import hashlib
import secrets
import string

_ALPHABET = string.ascii_letters + string.digits


def random_token(length: int) -> str:
    """A base62 string from the OS's CSPRNG (``length`` * 5.95 bits of entropy)."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def public_id(prefix: str, length: int = 16) -> str:
    return f"{prefix}_{random_token(length)}"


def key_digest(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()
